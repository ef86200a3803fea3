import CRecurrentKernels

extension CellRunner {
    /// Backpropagation through time over the sequence recorded in `tape`.
    ///
    /// Inputs: `dOutput` = ∂L/∂h_t for every step (rows `t·B + b`, `dOutputStride` apart, or nil),
    /// `dhN`, `dcN` = ∂L/∂ of the final states (or nil). Adds ∂L/∂(every parameter) into `grads`
    /// and, when given, ∂L/∂input into `dInput` (`(T·B, In)`, rows `dInputStride` apart; for
    /// token input, ∂L/∂embedding `(V, In)`); writes ∂L/∂h0 and ∂L/∂c0 to `dh0` and `dc0` when
    /// given. Rows past a sequence's length pass the state gradient through unchanged and
    /// contribute nothing else.
    ///
    /// The time loop (`scanBackward`) gives ∂L/∂A_t for every step; then one product each over
    /// all steps: ∂W_ih += ∂Aᵀ X, ∂W_hh += ∂Aᵀ H_prev, ∂X += ∂A W_ih (and ∂W_hr with a
    /// projection), and the column sums for the biases.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func backward(
        tape: CellTape<Scalar>, input: CellInput<Scalar>,
        dOutput: UnsafePointer<Scalar>?, dOutputStride: Int,
        dhN: UnsafePointer<Scalar>?, dcN: UnsafePointer<Scalar>?,
        grads: CellGradients<Scalar>,
        dInput: UnsafeMutablePointer<Scalar>?, dInputStride: Int,
        dh0: UnsafeMutablePointer<Scalar>?, dc0: UnsafeMutablePointer<Scalar>?
    ) {
        let g = geometry, B = batch
        let states = BackwardStates(self, dOutput: dOutput, dOutputStride: dOutputStride, dhN: dhN, dcN: dcN)
        if usesRowPath {
            let whh = RowBlockBackSteps<Scalar>.packed(self)
            shareRowBlocks(whh.blockCount, tileElements: whh.width) { p, meeting, tile in
                scanBackward(RowBlockBackSteps(self, tape: tape, states: states, meeting: meeting, tile: tile, whh: whh),
                             participant: p, states: states)
            }
        } else {
            let whh = PackedMatrix(MatrixView(weights.weightHH, rows: g.gateRows, cols: g.stateSize), kernels: kernels)
            let whr = weights.weightHR.map { PackedMatrix(MatrixView($0, rows: g.stateSize, cols: g.hiddenSize), kernels: kernels) }
            let split = batchSplit
            if split > 1 {
                // Sequences are independent: each thread runs back through its own rows.
                kernels.pool.run(split, chunks: split) { chunk, scratch in
                    let rows = (chunk * B / split)..<((chunk + 1) * B / split)
                    scanBackward(BatchedBackSteps(self, tape: tape, states: states, rows: rows, whh: whh, whr: whr,
                                                  scratch: scratch), participant: chunk, states: states)
                }
            } else {
                scanBackward(BatchedBackSteps(self, tape: tape, states: states, rows: 0..<B, whh: whh, whr: whr),
                             participant: 0, states: states)
            }
        }
        if let dh0 { dh0.update(from: states.dh(steps), count: B * g.stateSize) }
        if g.hasCellState, let dc0 { dc0.update(from: states.dc.base, count: B * g.hiddenSize) }
        addParameterGradients(tape: tape, input: input, states: states, grads: grads, dInput: dInput,
                              dInputStride: dInputStride)
    }

    /// The parameter gradients (and the input's), one product each over all steps, from ∂A.
    private func addParameterGradients(
        tape: CellTape<Scalar>, input: CellInput<Scalar>, states: BackwardStates<Scalar>, grads: CellGradients<Scalar>,
        dInput: UnsafeMutablePointer<Scalar>?, dInputStride: Int
    ) {
        let g = geometry, TB = steps * batch, GH = g.gateRows, X = g.inputSize, P = g.stateSize, H = g.hiddenSize
        let (dA, dAh) = (states.dA, states.dAh)
        let wih = MatrixView(weights.weightIH, rows: GH, cols: X)
        switch input {
        case .rows(let x):
            let dAView = MatrixView(dA.base, rows: TB, cols: GH)
            gemm(dAView.transposed, x, MutableMatrixView(grads.weightIH, rows: GH, cols: X), accumulate: true, kernels: kernels)
            if let dInput {
                gemm(dAView, wih, MutableMatrixView(dInput, rows: TB, cols: X, rowStride: dInputStride), accumulate: true,
                     kernels: kernels)
            }
        case .tokens(let ids, let embedding):
            // Sum ∂A by token first: S[v] = Σ_{r: id_r = v} ∂A_r; then ∂W_ih += Sᵀ E, ∂E += S W_ih.
            let V = embedding.rows
            let sums = Buffer<Scalar>(count: V * GH)
            for r in 0..<TB { addLanes(sums.base + Int(ids[r]) * GH, dA.base + r * GH, GH, table: table) }
            let sumsView = MatrixView(sums.base, rows: V, cols: GH)
            gemm(sumsView.transposed, embedding, MutableMatrixView(grads.weightIH, rows: GH, cols: X), accumulate: true,
                 kernels: kernels)
            if let dInput {
                gemm(sumsView, wih, MutableMatrixView(dInput, rows: V, cols: X, rowStride: dInputStride), accumulate: true,
                     kernels: kernels)
            }
        }
        gemm(MatrixView(dAh.base, rows: TB, cols: GH).transposed, MatrixView(tape.hPrev.base, rows: TB, cols: P),
             MutableMatrixView(grads.weightHH, rows: GH, cols: P), accumulate: true, kernels: kernels)
        if let bi = grads.biasIH, let bh = grads.biasHH, dAh === dA {
            // Both biases have the gates' gradient: one pass for the two.
            addColumnSums(dA.base, rows: TB, cols: GH, into: bi, and: bh, kernels: kernels)
        } else {
            if let gb = grads.biasIH { addColumnSums(dA.base, rows: TB, cols: GH, into: gb, kernels: kernels) }
            if let gb = grads.biasHH { addColumnSums(dAh.base, rows: TB, cols: GH, into: gb, kernels: kernels) }
        }
        if let gr = grads.weightHR, let dHAll = states.dHAll, let hRaw = tape.hRaw {
            gemm(MatrixView(dHAll.base, rows: TB, cols: P).transposed, MatrixView(hRaw.base, rows: TB, cols: H),
                 MutableMatrixView(gr, rows: P, cols: H), accumulate: true, kernels: kernels)
        }
        if let out = grads.unitVectors {
            var args = rk_cell_vectors_back(d_gates: dA.base, c_prev: tape.cPrev?.base, c: tape.cells?.base, out: out,
                                            rows: TB, hidden: H)
            table.pointee.cell_vectors_backward(g.traits.kernel, &args)
        }
    }
}
