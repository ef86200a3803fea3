import CRecurrentKernels

/// What a cell reads at every step: rows of input vectors, or token ids looked up in an
/// embedding (the first layer of a language model).
enum CellInput<Scalar: RecurrentScalar>: @unchecked Sendable {
    // Invariant: the pointers are valid for the call that receives the value, and only read.
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
///   2. per step, one recurrent product A_t += h_{t-1} W_hhᵀ (the GRU's into a buffer of its
///      own, started from b_hh), then the cell's element-wise kernel in place (A_t becomes the
///      gate activations), then the LSTM's projection if any.
/// Every buffer is allocated before the time loop.
struct CellRunner<Scalar: RecurrentScalar>: @unchecked Sendable {
    // Invariant: `weights` point into parameters that outlive the runner and that nothing
    // writes while it runs; the runner only reads them.
    let geometry: CellGeometry
    let weights: CellPointers<Scalar>
    let steps: Int
    let batch: Int
    let reverse: Bool
    let mask: StepMask
    /// The kernels, threads and pool of this call.
    let kernels: Kernels
    /// The weights' packed forms kept from earlier calls (inference with fixed weights), or nil
    /// to pack them for this call.
    var packs: CellPacks<Scalar>? = nil

    var table: UnsafePointer<rk_kernels> { kernels.table(Scalar.self) }

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
        if !g.kind.keepsRecurrentPartApart, let b = weights.biasHH {
            for j in 0..<GH { bias.base[j] += b[j] }
        }
        let packWih = { PackedMatrix(MatrixView(weights.weightIH, rows: GH, cols: g.inputSize).transposed, kernels: kernels) }
        let wih = packs?.input(packWih) ?? packWih()
        project(input, wih, bias: bias.base, columns: GH, into: proj.base)

        // 2. Recurrent weights, packed once for every step.
        let packWhh = { PackedMatrix(MatrixView(weights.weightHH, rows: GH, cols: P).transposed, kernels: kernels) }
        let whh = packs?.recurrent(packWhh) ?? packWhh()
        let whr = weights.weightHR.map { w in
            let pack = { PackedMatrix(MatrixView(w, rows: P, cols: H).transposed, kernels: kernels) }
            return packs?.projection(pack) ?? pack()
        }
        let split = batchSplit
        if split > 1 {
            // Sequences are independent: each thread runs the whole recurrence of its own rows.
            kernels.pool.run(split, chunks: split) { chunk, scratch in
                recur(rows: (chunk * B / split)..<((chunk + 1) * B / split), proj: proj.base, whh: whh, whr: whr,
                      h0: h0, c0: c0, output: output, outputStride: outputStride, hN: hN, cN: cN, tape: tape,
                      scratch: scratch)
            }
        } else {
            recur(rows: 0..<B, proj: proj.base, whh: whh, whr: whr, h0: h0, c0: c0, output: output,
                  outputStride: outputStride, hN: hN, cN: cN, tape: tape, scratch: nil)
        }
    }

    /// `proj` (rows of `columns`) = bias + input · W, for rows of vectors or token ids (through
    /// a table of the projected embedding rows).
    func project(
        _ input: CellInput<Scalar>, _ w: PackedMatrix<Scalar>, bias: UnsafePointer<Scalar>, columns: Int,
        into proj: UnsafeMutablePointer<Scalar>
    ) {
        let rows = steps * batch
        switch input {
        case .rows(let x):
            precondition(x.rows == rows && x.cols == geometry.inputSize)
            gemm(x, w, MutableMatrixView(proj, rows: rows, cols: columns), accumulate: true, kernels: kernels, bias: bias)
        case .tokens(let ids, let embedding):
            precondition(embedding.cols == geometry.inputSize)
            let table = Buffer<Scalar>(uninitializedCount: embedding.rows * columns)
            gemm(embedding, w, MutableMatrixView(table.base, rows: embedding.rows, cols: columns), accumulate: true,
                 kernels: kernels, bias: bias)
            for r in 0..<rows { (proj + r * columns).update(from: table.base + Int(ids[r]) * columns, count: columns) }
        }
    }

    /// How many threads run the recurrence side by side, each on its own rows of the batch: at
    /// least 16 rows each (8 when W_hh fits in a core's L2 cache), so every thread's per-step
    /// product still runs whole slivers and W_hh is read no more than a shared product would.
    var batchSplit: Int {
        let threads = kernels.threads
        guard threads > 1 else { return 1 }
        let small = geometry.gateRows * geometry.outputSize * MemoryLayout<Scalar>.stride <= MachineProfile.current.l2Bytes
        let rowsEach = small ? 8 : 16
        return max(1, min(threads, batch / rowsEach))
    }
}
