import CRecurrentKernels

extension CellRunner {
    /// The time loop of `forward` for batch rows `rows` (all of them, or one thread's share),
    /// from the input projections in `proj` `(T·B, G·H)`. With `scratch`, everything runs on the
    /// calling thread; without, products and element-wise steps are shared between threads.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func recur(
        rows: Range<Int>, proj: UnsafeMutablePointer<Scalar>, whh: PackedMatrix<Scalar>, whr: PackedMatrix<Scalar>?,
        h0: UnsafePointer<Scalar>?, c0: UnsafePointer<Scalar>?,
        output: UnsafeMutablePointer<Scalar>, outputStride: Int,
        hN: UnsafeMutablePointer<Scalar>, cN: UnsafeMutablePointer<Scalar>?, tape: CellTape<Scalar>?,
        scratch: KernelScratch?
    ) {
        let g = geometry, B = batch, T = steps, R = rows.count, r0 = rows.lowerBound
        let H = g.hiddenSize, P = g.outputSize, GH = g.gateRows
        guard R > 0 else { return }
        let kernels = scratch == nil ? self.kernels : self.kernels.singleThreaded
        // h_t goes straight into the output rows when they are contiguous and no sequence ends
        // early; else into one of two buffers in turn, then copied. `h` is h_{t-1}, wherever it is.
        let direct = outputStride == P && mask.lengths == nil
        let hStart = Buffer<Scalar>(count: R * P, copying: h0.map { $0 + r0 * P })
        let hOther = Buffer<Scalar>(count: direct ? 0 : R * P)
        var h = hStart.base
        let hasC = g.hasCellState
        var c = Buffer<Scalar>(count: hasC ? R * H : 0, copying: hasC ? c0.map { $0 + r0 * H } : nil)
        var cNext = Buffer<Scalar>(count: hasC ? R * H : 0)
        let hRawStep = whr != nil && tape == nil ? Buffer<Scalar>(count: R * H) : nil
        let apart = g.kind.keepsRecurrentPartApart ? Buffer<Scalar>(count: R * GH) : nil

        for s in 0..<T {
            let t = time(ofStep: s)
            let first = t * B + r0  // this step's first row in (T·B, ·) arrays
            let a = proj + first * GH
            let hNext = direct ? output + first * P : h == hStart.base ? hOther.base : hStart.base
            if let tape {
                (tape.hPrev.base + first * P).update(from: h, count: R * P)
                if hasC { (tape.cPrev!.base + first * H).update(from: c.base, count: R * H) }
            }
            // The recurrent product, into the gates or into the part kept apart (from b_hh).
            let target = apart?.base ?? a
            if let apart { apart.base.fillRows(R, cols: GH, with: weights.biasHH) }
            gemm(MatrixView(h, rows: R, cols: P), whh, MutableMatrixView(target, rows: R, cols: GH), accumulate: true,
                 kernels: kernels)
            let cOut = tape?.cells.map { $0.base + first * H } ?? cNext.base
            // With a projection, the cell's h is o ⊙ tanh(c) before it (the tape keeps it).
            let hCell = whr == nil ? hNext : tape?.hRaw.map { $0.base + first * H } ?? hRawStep?.base ?? hNext
            let (hPrev, cPrev) = (h, c.base)
            let aux = tape?.ghn.map { $0.base + first * H }
            let table = self.table
            elementwise(R, columns: GH, kernels: kernels) { r in
                let o = r.lowerBound
                var step = rk_cell_step(
                    gates: a + o * GH, recurrent: apart.map { UnsafeRawPointer($0.base + o * GH) },
                    h_prev: hPrev + o * H, h: hCell + o * H, c_prev: cPrev + o * H, c: cOut + o * H,
                    aux: aux.map { $0 + o * H }, rows: r.count, units: H, gate_stride: H, gates_ld: GH, state_ld: H,
                    nonlinearity: g.nonlinearity == .tanh ? 0 : 1)
                table.pointee.cell_forward(g.kind.kernelID, &step)
            }
            if hasC && cOut != cNext.base { cNext.base.update(from: cOut, count: R * H) }
            if let whr {
                gemm(MatrixView(hCell, rows: R, cols: H), whr, MutableMatrixView(hNext, rows: R, cols: P),
                     accumulate: false, kernels: kernels)
            }
            if !direct {
                for b in 0..<R {
                    let out = output + (first + b) * outputStride
                    if mask.isActive(r0 + b, at: t) {
                        out.update(from: hNext + b * P, count: P)
                    } else {
                        // Past this sequence's end: the state is carried, the output is zero.
                        (hNext + b * P).update(from: h + b * P, count: P)
                        if hasC { (cNext.base + b * H).update(from: c.base + b * H, count: H) }
                        out.update(repeating: 0, count: P)
                    }
                }
            }
            h = hNext
            swap(&c, &cNext)
        }
        (hN + r0 * P).update(from: h, count: R * P)
        if hasC, let cN { (cN + r0 * H).update(from: c.base, count: R * H) }
    }

    /// Runs `body` over rows `0..<rows` of an element-wise step: shared between the threads of
    /// `kernels` when the step is large enough to pay for it, else in one call.
    @inline(__always)
    func elementwise(_ rows: Int, columns: Int, kernels: Kernels, _ body: (Range<Int>) -> Void) {
        if kernels.threads == 1 { body(0..<rows) } else { forEachRowBlock(rows, elementsPerRow: columns, kernels: kernels, body) }
    }
}
