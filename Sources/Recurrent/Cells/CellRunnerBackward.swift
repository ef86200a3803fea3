extension CellRunner {
    /// Backpropagation through time over the sequence recorded in `tape`.
    ///
    /// Inputs: `dOutput` = ∂L/∂h_t for every step (rows `t·B + b`, `dOutputStride` apart, or nil),
    /// `dhN`, `dcN` = ∂L/∂ of the final states (or nil). Adds ∂L/∂(every parameter) into `grads`
    /// and, when given, ∂L/∂input into `dInput` (`(T·B, In)`, rows `dInputStride` apart; for
    /// token input, ∂L/∂embedding `(V, In)`); writes
    /// ∂L/∂h0 and ∂L/∂c0 to `dh0` and `dc0` when given. Rows past a sequence's length pass the
    /// state gradient through unchanged and contribute nothing else.
    ///
    /// Per step (in reverse processing order) the cell's element-wise backward gives
    /// ∂L/∂A_t, and one product gives ∂L/∂h_{t-1} = ∂L/∂A_t · W_hh. After the loop, three large
    /// products: ∂W_ih += ∂Aᵀ X, ∂W_hh += ∂Aᵀ H_prev, ∂X += ∂A W_ih (and ∂W_hr with a projection).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func backward(
        tape: CellTape<Scalar>, input: CellInput<Scalar>,
        dOutput: UnsafePointer<Scalar>?, dOutputStride: Int,
        dhN: UnsafePointer<Scalar>?, dcN: UnsafePointer<Scalar>?,
        grads: CellPointers<Scalar>,
        dInput: UnsafeMutablePointer<Scalar>?, dInputStride: Int,
        dh0: UnsafeMutablePointer<Scalar>?, dc0: UnsafeMutablePointer<Scalar>?
    ) {
        let g = geometry, B = batch, T = steps
        let H = g.hiddenSize, P = g.outputSize, GH = g.gateRows, TB = T * B
        let hasC = g.kind == .lstm

        // Every row of these is written at its step (zeros past a sequence's end): no zeroing pass.
        let dA = Buffer<Scalar>(uninitializedCount: TB * GH)
        // The GRU's recurrent part has its own gradient (n's is scaled by r); others share dA.
        let dAh = g.kind == .gru ? Buffer<Scalar>(uninitializedCount: TB * GH) : dA
        let dHAll = weights.weightHR != nil ? Buffer<Scalar>(uninitializedCount: TB * P) : nil
        // ∂L/∂h_T and ∂L/∂c_T in, ∂L/∂h_0 and ∂L/∂c_0 out.
        let dh = Buffer<Scalar>(count: B * P, copying: dhN)
        let dc = Buffer<Scalar>(count: hasC ? B * H : 0, copying: hasC ? dcN : nil)
        if usesRowPath {
            // One sequence: row blocks, each thread its own hidden units (see `backRows`).
            backRows(tape: tape, dOutput: dOutput, dOutputStride: dOutputStride, dA: dA.base, dAh: dAh.base,
                     dh: dh.base, dc: dc.base)
        } else {
            let whh = PackedMatrix(MatrixView(weights.weightHH, rows: GH, cols: P))
            let whr = weights.weightHR.map { PackedMatrix(MatrixView($0, rows: P, cols: H)) }
            let split = batchSplit
            if split > 1 {
                // Sequences are independent: each thread runs back through its own rows.
                KernelThreadPool.shared.run(split, chunks: split) { chunk, scratch in
                    backRecur(rows: (chunk * B / split)..<((chunk + 1) * B / split), tape: tape, dOutput: dOutput,
                              dOutputStride: dOutputStride, dA: dA.base, dAh: dAh.base, dHAll: dHAll?.base,
                              dh: dh.base, dc: dc.base, whh: whh, whr: whr, scratch: scratch)
                }
            } else {
                backRecur(rows: 0..<B, tape: tape, dOutput: dOutput, dOutputStride: dOutputStride, dA: dA.base,
                          dAh: dAh.base, dHAll: dHAll?.base, dh: dh.base, dc: dc.base, whh: whh, whr: whr, scratch: nil)
            }
        }
        if let dh0 { dh0.update(from: dh.base, count: B * P) }
        if hasC, let dc0 { dc0.update(from: dc.base, count: B * H) }

        // Parameter gradients: one product each over all steps.
        let dAView = MatrixView(dA.base, rows: TB, cols: GH)
        let dAhView = MatrixView(dAh.base, rows: TB, cols: GH)
        let wih = MatrixView(weights.weightIH, rows: GH, cols: g.inputSize)
        switch input {
        case .rows(let x):
            gemm(dAView.transposed, x, MutableMatrixView(grads.weightIH, rows: GH, cols: g.inputSize), accumulate: true)
            if let dInput {
                gemm(dAView, wih, MutableMatrixView(dInput, rows: TB, cols: g.inputSize, rowStride: dInputStride),
                     accumulate: true)
            }
        case .tokens(let ids, let embedding):
            // Sum ∂A by token first: S[v] = Σ_{r: id_r = v} ∂A_r; then ∂W_ih += Sᵀ E, ∂E += S W_ih.
            let V = embedding.rows
            let sums = Buffer<Scalar>(count: V * GH)
            for r in 0..<TB {
                let dst = sums.base + Int(ids[r]) * GH, src = dA.base + r * GH
                forEachLaneChunk(GH) { j, n in store8(load8(dst + j, n) + load8(src + j, n), dst + j, n) }
            }
            let sumsView = MatrixView(sums.base, rows: V, cols: GH)
            gemm(sumsView.transposed, embedding, MutableMatrixView(grads.weightIH, rows: GH, cols: g.inputSize), accumulate: true)
            if let dInput {
                gemm(sumsView, wih, MutableMatrixView(dInput, rows: V, cols: g.inputSize, rowStride: dInputStride),
                     accumulate: true)
            }
        }
        gemm(dAhView.transposed, MatrixView(tape.hPrev.base, rows: TB, cols: P),
             MutableMatrixView(grads.weightHH, rows: GH, cols: P), accumulate: true)
        if let bi = grads.biasIH, let bh = grads.biasHH, dAh === dA {
            // Both biases have the gates' gradient: one pass for the two.
            addColumnSums(dA.base, rows: TB, cols: GH, into: bi, and: bh)
        } else {
            if let gb = grads.biasIH { addColumnSums(dA.base, rows: TB, cols: GH, into: gb) }
            if let gb = grads.biasHH { addColumnSums(dAh.base, rows: TB, cols: GH, into: gb) }
        }
        if let gr = grads.weightHR, let dHAll, let hRaw = tape.hRaw {
            gemm(MatrixView(dHAll.base, rows: TB, cols: P).transposed, MatrixView(hRaw.base, rows: TB, cols: H),
                 MutableMatrixView(gr, rows: P, cols: H), accumulate: true)
        }
    }
}

extension CellRunner {
    /// The time loop of `backward` for batch rows `rows` (all of them, or one thread's share):
    /// fills their rows of `dA`, `dAh` (and `dHAll`) at every step, and turns their rows of `dh`
    /// and `dc` from ∂L/∂(final states) into ∂L/∂(initial states). With `scratch`, everything
    /// runs on the calling thread; without, products and element-wise steps are shared.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func backRecur(
        rows: Range<Int>, tape: CellTape<Scalar>, dOutput: UnsafePointer<Scalar>?, dOutputStride: Int,
        dA: UnsafeMutablePointer<Scalar>, dAh: UnsafeMutablePointer<Scalar>, dHAll: UnsafeMutablePointer<Scalar>?,
        dh dhState: UnsafeMutablePointer<Scalar>, dc dcState: UnsafeMutablePointer<Scalar>,
        whh: PackedMatrix<Scalar>, whr: PackedMatrix<Scalar>?, scratch: KernelScratch?
    ) {
        let g = geometry, B = batch, T = steps, R = rows.count, r0 = rows.lowerBound
        let H = g.hiddenSize, P = g.outputSize, GH = g.gateRows
        let hasC = g.kind == .lstm
        guard R > 0 else { return }
        func elementwise(_ body: (Range<Int>) -> Void) {
            if scratch != nil { body(0..<R) } else { forEachRowBlock(R, elementsPerRow: GH, body) }
        }
        var dh = Buffer<Scalar>(count: R * P, copying: dhState + r0 * P)
        var dhPrev = Buffer<Scalar>(count: R * P)
        let dc = dcState + r0 * H
        let dcSaved = Buffer<Scalar>(count: hasC ? R * H : 0)
        let dhRaw = whr != nil ? Buffer<Scalar>(count: R * H) : nil
        for s in stride(from: T - 1, through: 0, by: -1) {
            let t = time(ofStep: s)
            let first = t * B + r0  // this step's first row in (T·B, ·) arrays
            let everyRowActive = (0..<R).allSatisfy { mask.isActive(r0 + $0, at: t) }
            if let dOutput {
                for b in 0..<R where mask.isActive(r0 + b, at: t) {
                    addLanes(dh.base + b * P, dOutput + (first + b) * dOutputStride, P)
                }
            }
            if hasC && !everyRowActive { dcSaved.base.update(from: dc, count: R * H) }
            let a = tape.gates.base + first * GH
            let da = dA + first * GH, dah = dAh + first * GH
            let hp = tape.hPrev.base + first * P
            switch g.kind {
            case .lstm:
                var dhr = dh.base
                if let whr, let dhRaw, let dHAll {
                    (dHAll + first * P).update(from: dh.base, count: R * P)
                    gemm(MatrixView(dh.base, rows: R, cols: P), whr,
                         MutableMatrixView(dhRaw.base, rows: R, cols: H), accumulate: false, scratch: scratch)
                    dhr = dhRaw.base
                }
                let (cPrev, cells) = (tape.cPrev!.base + first * H, tape.cells!.base + first * H)
                elementwise { r in
                    let o = r.lowerBound
                    LSTMMath.backward(gates: a + o * GH, cPrev: cPrev + o * H, c: cells + o * H, dh: dhr + o * H,
                                      dc: dc + o * H, dGates: da + o * GH, batch: r.count, hidden: H)
                }
                gemm(MatrixView(da, rows: R, cols: GH), whh,
                     MutableMatrixView(dhPrev.base, rows: R, cols: P), accumulate: false, scratch: scratch)
            case .gru:
                let (ghn, dhBase, dhPrevBase) = (tape.ghn!.base + first * H, dh.base, dhPrev.base)
                elementwise { r in
                    let o = r.lowerBound
                    GRUMath.backward(gates: a + o * GH, ghn: ghn + o * H, hPrev: hp + o * H, dh: dhBase + o * H,
                                     dGi: da + o * GH, dGh: dah + o * GH, dhPrev: dhPrevBase + o * H, batch: r.count, hidden: H)
                }
                gemm(MatrixView(dah, rows: R, cols: GH), whh,
                     MutableMatrixView(dhPrev.base, rows: R, cols: P), accumulate: true, scratch: scratch)
            case .gated:
                let (dsBase, dsPrevBase) = (dh.base, dhPrev.base)
                elementwise { r in
                    let o = r.lowerBound
                    GatedRNNMath.backward(gates: a + o * GH, sPrev: hp + o * H, ds: dsBase + o * H, dGates: da + o * GH,
                                          dsPrev: dsPrevBase + o * H, batch: r.count, hidden: H)
                }
                gemm(MatrixView(da, rows: R, cols: GH), whh,
                     MutableMatrixView(dhPrev.base, rows: R, cols: P), accumulate: true, scratch: scratch)
            case .rnn:
                let dsBase = dh.base
                elementwise { r in
                    let o = r.lowerBound
                    SimpleRNNMath.backward(gates: a + o * GH, ds: dsBase + o * H, dGates: da + o * GH, batch: r.count,
                                           hidden: H, nonlinearity: g.nonlinearity)
                }
                gemm(MatrixView(da, rows: R, cols: GH), whh,
                     MutableMatrixView(dhPrev.base, rows: R, cols: P), accumulate: false, scratch: scratch)
            }
            if !everyRowActive {
                // Past a sequence's end: the state gradient passes through, nothing else flows.
                for b in 0..<R where !mask.isActive(r0 + b, at: t) {
                    (da + b * GH).update(repeating: 0, count: GH)
                    if dah != da { (dah + b * GH).update(repeating: 0, count: GH) }
                    if let dHAll { (dHAll + (first + b) * P).update(repeating: 0, count: P) }
                    (dhPrev.base + b * P).update(from: dh.base + b * P, count: P)
                    if hasC { (dc + b * H).update(from: dcSaved.base + b * H, count: H) }
                }
            }
            swap(&dh, &dhPrev)
        }
        (dhState + r0 * P).update(from: dh.base, count: R * P)
    }
}

/// `out[j] += Σ_r m[r, j]` for a row-major `rows × cols` matrix, summing rows in order (and
/// the same into `second`, from the same pass over m). Large sums are split by columns between
/// threads, which changes no result.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func addColumnSums<Scalar: RecurrentScalar>(
    _ m: UnsafePointer<Scalar>, rows: Int, cols: Int, into out: UnsafeMutablePointer<Scalar>,
    and second: UnsafeMutablePointer<Scalar>? = nil
) {
    // Blocks of 16 columns, so every thread's part starts on a whole vector.
    let vectors = (cols + 15) / 16
    forEachRowBlock(vectors, elementsPerRow: 16 * rows) { block in
        let j0 = 16 * block.lowerBound, width = min(cols, 16 * block.upperBound) - j0
        for r in 0..<rows {
            let row = m + r * cols + j0
            forEachLaneChunk16(width) { j, n in
                let v = load16(row + j, n)
                store16(load16(out + j0 + j, n) + v, out + j0 + j, n)
                if let second { store16(load16(second + j0 + j, n) + v, second + j0 + j, n) }
            }
        }
    }
}
