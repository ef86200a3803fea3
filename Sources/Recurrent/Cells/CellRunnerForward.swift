/// What a cell reads at every step: rows of input vectors, or token ids looked up in an
/// embedding (the first layer of a language model).
enum CellInput<Scalar: RecurrentScalar>: @unchecked Sendable {
    /// `(T·B, In)` vectors, row `t·B + b`.
    case rows(MatrixView<Scalar>)
    /// `T·B` token ids and the embedding `(V, In)` they index. The input projection of every
    /// step is then a row of the table b + E W_ihᵀ `(V, G·H)`, made once per call: the same
    /// numbers as projecting the looked-up rows, at V rows of work instead of T·B.
    case tokens(ids: UnsafePointer<Int32>, embedding: MatrixView<Scalar>)
}

/// Runs one cell (one layer, one direction) over a whole sequence.
///
/// Shapes: input `(T·B, In)` with row `t·B + b` for step t of sequence b; states `(B, Hout)`
/// and `(B, H)`; output rows `t·B + b`, `outputStride` apart. The work per call:
///   1. one product for the input projection of all steps, started from the biases:
///      A = b_ih + b_hh + X W_ihᵀ   (T·B, G·H)    (the GRU leaves b_hh to the recurrent part)
///   2. per step, one fused recurrent product A_t += h_{t-1} W_hhᵀ, then the cell's element-wise
///      step in place (A_t becomes the gate activations), then the LSTM's projection if any.
/// Every buffer is allocated before the time loop.
struct CellRunner<Scalar: RecurrentScalar>: @unchecked Sendable {
    let geometry: CellGeometry
    let weights: CellPointers<Scalar>
    let steps: Int
    let batch: Int
    let reverse: Bool
    let mask: StepMask
    /// The weights' packed forms kept from earlier calls (inference with fixed weights), or nil
    /// to pack them for this call.
    var packs: CellPacks<Scalar>? = nil

    /// The time index of the s-th step processed.
    @inline(__always)
    func time(ofStep s: Int) -> Int { reverse ? steps - 1 - s : s }

    /// Forward over the sequence. Writes h_t to `output`, the final states to `hN` and `cN`, and,
    /// when `tape` is given, everything the backward pass needs.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func forward(
        input: CellInput<Scalar>, h0: UnsafePointer<Scalar>?, c0: UnsafePointer<Scalar>?,
        output: UnsafeMutablePointer<Scalar>, outputStride: Int,
        hN: UnsafeMutablePointer<Scalar>, cN: UnsafeMutablePointer<Scalar>?, tape: CellTape<Scalar>?
    ) {
        if usesRowPath {
            // One sequence: gates in row blocks, each thread finishing its own hidden units.
            forwardRows(input: input, h0: h0, c0: c0, output: output, outputStride: outputStride, hN: hN, cN: cN,
                        tape: tape)
            return
        }
        let g = geometry, B = batch, T = steps
        let H = g.hiddenSize, P = g.outputSize, GH = g.gateRows
        // 1. Input projection of every step, started from the biases.
        let proj = tape?.gates ?? Buffer<Scalar>(uninitializedCount: T * B * GH)
        let bias = Buffer<Scalar>(count: GH)
        if let b = weights.biasIH { bias.base.update(from: b, count: GH) }
        if g.kind != .gru, let b = weights.biasHH {
            for j in 0..<GH { bias.base[j] += b[j] }
        }
        let packWih = { PackedMatrix(MatrixView(weights.weightIH, rows: GH, cols: g.inputSize).transposed) }
        let wih = packs?.input(packWih) ?? packWih()
        switch input {
        case .rows(let x):
            precondition(x.rows == T * B && x.cols == g.inputSize)
            proj.base.fillRows(T * B, cols: GH, with: bias.base)
            gemm(x, wih, MutableMatrixView(proj.base, rows: T * B, cols: GH), accumulate: true)
        case .tokens(let ids, let embedding):
            precondition(embedding.cols == g.inputSize)
            let table = Buffer<Scalar>(count: embedding.rows * GH)
            table.base.fillRows(embedding.rows, cols: GH, with: bias.base)
            gemm(embedding, wih, MutableMatrixView(table.base, rows: embedding.rows, cols: GH), accumulate: true)
            for r in 0..<(T * B) {
                (proj.base + r * GH).update(from: table.base + Int(ids[r]) * GH, count: GH)
            }
        }

        // 2. Recurrent weights, packed once for every step.
        let packWhh = { PackedMatrix(MatrixView(weights.weightHH, rows: GH, cols: P).transposed) }
        let whh = packs?.recurrent(packWhh) ?? packWhh()
        let whr = weights.weightHR.map { w in
            let pack = { PackedMatrix(MatrixView(w, rows: P, cols: H).transposed) }
            return packs?.projection(pack) ?? pack()
        }
        let split = batchSplit
        if split > 1 {
            // Sequences are independent: each thread runs the whole recurrence of its own rows.
            KernelThreadPool.shared.run(split, chunks: split) { chunk, scratch in
                recur(rows: (chunk * B / split)..<((chunk + 1) * B / split), proj: proj.base, whh: whh, whr: whr,
                      h0: h0, c0: c0, output: output, outputStride: outputStride, hN: hN, cN: cN, tape: tape,
                      scratch: scratch)
            }
        } else {
            recur(rows: 0..<B, proj: proj.base, whh: whh, whr: whr, h0: h0, c0: c0, output: output,
                  outputStride: outputStride, hN: hN, cN: cN, tape: tape, scratch: nil)
        }
    }

    /// How many threads run the recurrence side by side, each on its own rows of the batch: at
    /// least 16 rows each (8 when W_hh fits in a core's cache), so every thread's per-step
    /// product still runs whole slivers and W_hh is read no more than a shared product would.
    var batchSplit: Int {
        let threads = KernelSettings.threadCount
        guard threads > 1 else { return 1 }
        let small = geometry.gateRows * geometry.outputSize * MemoryLayout<Scalar>.stride <= 1 << 20
        let rowsEach = small ? 8 : 16
        return max(1, min(threads, batch / rowsEach))
    }

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
        /// Rows `r` (of these R) of the element-wise step, shared between threads unless `scratch`.
        func elementwise(_ body: (Range<Int>) -> Void) {
            if scratch != nil { body(0..<R) } else { forEachRowBlock(R, elementsPerRow: GH, body) }
        }
        // h_t goes straight into the output rows when they are contiguous and no sequence ends
        // early; else into one of two buffers in turn, then copied. `h` is h_{t-1}, wherever it is.
        let direct = outputStride == P && mask.lengths == nil
        let hStart = Buffer<Scalar>(count: R * P, copying: h0.map { $0 + r0 * P })
        let hOther = Buffer<Scalar>(count: direct ? 0 : R * P)
        var h = hStart.base
        let hasC = g.kind == .lstm
        var c = Buffer<Scalar>(count: hasC ? R * H : 0, copying: hasC ? c0.map { $0 + r0 * H } : nil)
        var cNext = Buffer<Scalar>(count: hasC ? R * H : 0)
        let hRawStep = whr != nil && tape == nil ? Buffer<Scalar>(count: R * H) : nil
        let gh = g.kind == .gru ? Buffer<Scalar>(count: R * GH) : nil

        for s in 0..<T {
            let t = time(ofStep: s)
            let first = t * B + r0  // this step's first row in (T·B, ·) arrays
            let a = proj + first * GH
            let hNext = direct ? output + first * P : h == hStart.base ? hOther.base : hStart.base
            let hView = MatrixView(h, rows: R, cols: P)
            if let tape {
                (tape.hPrev.base + first * P).update(from: h, count: R * P)
                if hasC { (tape.cPrev!.base + first * H).update(from: c.base, count: R * H) }
            }
            switch g.kind {
            case .lstm:
                gemm(hView, whh, MutableMatrixView(a, rows: R, cols: GH), accumulate: true, scratch: scratch)
                let cOut = tape.map { $0.cells!.base + first * H } ?? cNext.base
                let hRaw = tape?.hRaw.map { $0.base + first * H } ?? hRawStep?.base ?? hNext
                let cPrev = c.base
                elementwise { r in
                    LSTMMath.forward(gates: a + r.lowerBound * GH, cPrev: cPrev + r.lowerBound * H,
                                     c: cOut + r.lowerBound * H, h: hRaw + r.lowerBound * H, batch: r.count, hidden: H)
                }
                if cOut != cNext.base { cNext.base.update(from: cOut, count: R * H) }
                if let whr {
                    gemm(MatrixView(hRaw, rows: R, cols: H), whr,
                         MutableMatrixView(hNext, rows: R, cols: P), accumulate: false, scratch: scratch)
                }
            case .gru:
                gh!.base.fillRows(R, cols: GH, with: weights.biasHH)
                gemm(hView, whh, MutableMatrixView(gh!.base, rows: R, cols: GH), accumulate: true, scratch: scratch)
                let (ghBase, hPrev, hOut) = (gh!.base, UnsafePointer(h), hNext)
                let ghn = tape.map { $0.ghn!.base + first * H }
                elementwise { r in
                    let o = r.lowerBound
                    GRUMath.forward(gi: a + o * GH, gh: ghBase + o * GH, hPrev: hPrev + o * H, h: hOut + o * H,
                                    ghn: ghn.map { $0 + o * H }, batch: r.count, hidden: H)
                }
            case .gated:
                gemm(hView, whh, MutableMatrixView(a, rows: R, cols: GH), accumulate: true, scratch: scratch)
                let (sPrev, sOut) = (UnsafePointer(h), hNext)
                elementwise { r in
                    let o = r.lowerBound
                    GatedRNNMath.forward(gates: a + o * GH, sPrev: sPrev + o * H, s: sOut + o * H, batch: r.count, hidden: H)
                }
            case .rnn:
                gemm(hView, whh, MutableMatrixView(a, rows: R, cols: GH), accumulate: true, scratch: scratch)
                let sOut = hNext
                elementwise { r in
                    SimpleRNNMath.forward(gates: a + r.lowerBound * GH, s: sOut + r.lowerBound * H, batch: r.count,
                                          hidden: H, nonlinearity: g.nonlinearity)
                }
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
}
