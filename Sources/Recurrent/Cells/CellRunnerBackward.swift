import CRecurrentKernels

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
        let hasC = g.hasCellState

        // Every row of these is written at its step (zeros past a sequence's end): no zeroing pass.
        let dA = Buffer<Scalar>(uninitializedCount: TB * GH)
        // The GRU's recurrent part has its own gradient (n's is scaled by r); others share dA.
        let dAh = g.kind.keepsRecurrentPartApart ? Buffer<Scalar>(uninitializedCount: TB * GH) : dA
        let dHAll = weights.weightHR != nil ? Buffer<Scalar>(uninitializedCount: TB * P) : nil
        // ∂L/∂h_T and ∂L/∂c_T in, ∂L/∂h_0 and ∂L/∂c_0 out.
        let dh = Buffer<Scalar>(count: B * P, copying: dhN)
        let dc = Buffer<Scalar>(count: hasC ? B * H : 0, copying: hasC ? dcN : nil)
        if usesRowPath {
            // One sequence: row blocks, each thread its own hidden units (see `backRows`).
            backRows(tape: tape, dOutput: dOutput, dOutputStride: dOutputStride, dA: dA.base, dAh: dAh.base,
                     dh: dh.base, dc: dc.base)
        } else {
            let whh = PackedMatrix(MatrixView(weights.weightHH, rows: GH, cols: P), kernels: kernels)
            let whr = weights.weightHR.map { PackedMatrix(MatrixView($0, rows: P, cols: H), kernels: kernels) }
            let split = batchSplit
            if split > 1 {
                // Sequences are independent: each thread runs back through its own rows.
                kernels.pool.run(split, chunks: split) { chunk, scratch in
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
            gemm(dAView.transposed, x, MutableMatrixView(grads.weightIH, rows: GH, cols: g.inputSize), accumulate: true,
                 kernels: kernels)
            if let dInput {
                gemm(dAView, wih, MutableMatrixView(dInput, rows: TB, cols: g.inputSize, rowStride: dInputStride),
                     accumulate: true, kernels: kernels)
            }
        case .tokens(let ids, let embedding):
            // Sum ∂A by token first: S[v] = Σ_{r: id_r = v} ∂A_r; then ∂W_ih += Sᵀ E, ∂E += S W_ih.
            let V = embedding.rows
            let sums = Buffer<Scalar>(count: V * GH)
            for r in 0..<TB { addLanes(sums.base + Int(ids[r]) * GH, dA.base + r * GH, GH, table: table) }
            let sumsView = MatrixView(sums.base, rows: V, cols: GH)
            gemm(sumsView.transposed, embedding, MutableMatrixView(grads.weightIH, rows: GH, cols: g.inputSize),
                 accumulate: true, kernels: kernels)
            if let dInput {
                gemm(sumsView, wih, MutableMatrixView(dInput, rows: V, cols: g.inputSize, rowStride: dInputStride),
                     accumulate: true, kernels: kernels)
            }
        }
        gemm(dAhView.transposed, MatrixView(tape.hPrev.base, rows: TB, cols: P),
             MutableMatrixView(grads.weightHH, rows: GH, cols: P), accumulate: true, kernels: kernels)
        if let bi = grads.biasIH, let bh = grads.biasHH, dAh === dA {
            // Both biases have the gates' gradient: one pass for the two.
            addColumnSums(dA.base, rows: TB, cols: GH, into: bi, and: bh, kernels: kernels)
        } else {
            if let gb = grads.biasIH { addColumnSums(dA.base, rows: TB, cols: GH, into: gb, kernels: kernels) }
            if let gb = grads.biasHH { addColumnSums(dAh.base, rows: TB, cols: GH, into: gb, kernels: kernels) }
        }
        if let gr = grads.weightHR, let dHAll, let hRaw = tape.hRaw {
            gemm(MatrixView(dHAll.base, rows: TB, cols: P).transposed, MatrixView(hRaw.base, rows: TB, cols: H),
                 MutableMatrixView(gr, rows: P, cols: H), accumulate: true, kernels: kernels)
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
        let hasC = g.hasCellState
        guard R > 0 else { return }
        let kernels = scratch == nil ? self.kernels : self.kernels.singleThreaded
        let table = self.table
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
                    addLanes(dh.base + b * P, dOutput + (first + b) * dOutputStride, P, table: table)
                }
            }
            if hasC && !everyRowActive { dcSaved.base.update(from: dc, count: R * H) }
            let a = tape.gates.base + first * GH
            let da = dA + first * GH, dah = dAh + first * GH
            // ∂L/∂(the cell's h): through the projection first, if any.
            var dhCell = dh.base
            if let whr, let dhRaw, let dHAll {
                (dHAll + first * P).update(from: dh.base, count: R * P)
                gemm(MatrixView(dh.base, rows: R, cols: P), whr, MutableMatrixView(dhRaw.base, rows: R, cols: H),
                     accumulate: false, kernels: kernels)
                dhCell = dhRaw.base
            }
            let hp = tape.hPrev.base + first * P
            let cPrev = tape.cPrev.map { $0.base + first * H }, cells = tape.cells.map { $0.base + first * H }
            let aux = tape.ghn.map { $0.base + first * H }
            let (dhIn, dhOut) = (dhCell, dhPrev.base)
            elementwise(R, columns: GH, kernels: kernels) { r in
                let o = r.lowerBound
                var step = rk_cell_back(
                    gates: a + o * GH, aux: aux.map { $0 + o * H }, h_prev: hp + o * H, c_prev: cPrev.map { $0 + o * H },
                    c: cells.map { $0 + o * H }, dh: dhIn + o * H, dc: dc + o * H, d_gates: da + o * GH,
                    d_recurrent: dah + o * GH, dh_prev: dhOut + o * H, rows: r.count, units: H, gate_stride: H,
                    gates_ld: GH, state_ld: H, nonlinearity: g.nonlinearity == .tanh ? 0 : 1)
                table.pointee.cell_backward(g.kind.kernelID, &step)
            }
            // ∂L/∂h_{t-1} (+)= ∂L/∂A_t · W_hh, added to the direct term where the cell has one.
            gemm(MatrixView(dah, rows: R, cols: GH), whh, MutableMatrixView(dhPrev.base, rows: R, cols: P),
                 accumulate: g.kind.hasDirectStateGradient, kernels: kernels)
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
