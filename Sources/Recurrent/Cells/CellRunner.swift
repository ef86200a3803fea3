import CRecurrentKernels

/// What a cell reads at every step: rows of input vectors, or token ids looked up in an
/// embedding (the first layer of a language model).
enum CellInput<Scalar: RecurrentScalar>: @unchecked Sendable {
    // Invariant: the pointers are valid for the call that receives the value, and only read.
    /// `(T·B, In)` vectors, row `t·B + b`.
    case rows(MatrixView<Scalar>)
    /// `T·B` token ids and the embedding `(V, In)` they index. When T·B ≥ V, the input
    /// projection of every step is a row of the table b + E W_ihᵀ `(V, G·H)`, made once per
    /// call: the same numbers as projecting the looked-up rows, at V rows of work instead of
    /// T·B. Fewer rows (a stream's single step) are looked up and projected.
    case tokens(ids: UnsafePointer<Int32>, embedding: MatrixView<Scalar>)
}

/// Runs one cell (one layer, one direction) over a whole sequence, forward and backward: any
/// cell, through its `CellDefinition` and kernel.
///
/// Shapes: input `(T·B, In)` with row `t·B + b` for step t of sequence b; states `(B, Hout)`
/// and `(B, H)`; output rows `t·B + b`, `outputStride` apart. The forward work per call:
///   1. one product for the input projection of all steps, started from the biases:
///      A = b_ih + b_hh + X W_ihᵀ   (T·B, G·H)   (b_hh stays with the recurrent part when the
///      cell keeps that part apart)
///   2. the time loop (`scanForward`): per step the recurrent product, the cell's kernel (A_t
///      becomes the gate activations), the projection if any.
/// A batch of one takes the row-block steps (`RowBlockSteps`: the gates of a few units side by
/// side, threads sharing the units); larger batches the batched steps (`BatchedSteps`).
struct CellRunner<Scalar: RecurrentScalar>: @unchecked Sendable {
    // Invariant: `weights` point into parameters that outlive the runner and that nothing
    // writes while it runs; the runner only reads them.
    let geometry: CellGeometry
    let weights: CellWeights<Scalar>
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
    var definition: CellDefinition { geometry.kind.definition }

    /// The time index of the s-th step processed (forward order).
    @inline(__always)
    func time(ofStep s: Int) -> Int { reverse ? steps - 1 - s : s }

    /// Whether the steps run in row blocks: one sequence and no projection.
    var usesRowPath: Bool { batch == 1 && geometry.projectionSize == 0 }

    /// Forward over the sequence. Writes h_t to `output`, the final states to `hN` and `cN`, and,
    /// when `tape` is given, everything the backward pass needs.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func forward(
        input: CellInput<Scalar>, h0: UnsafePointer<Scalar>?, c0: UnsafePointer<Scalar>?,
        output: UnsafeMutablePointer<Scalar>, outputStride: Int,
        hN: UnsafeMutablePointer<Scalar>, cN: UnsafeMutablePointer<Scalar>?, tape: CellTape<Scalar>?
    ) {
        let states = ForwardStates(self, h0: h0, c0: c0, output: output, outputStride: outputStride, tape: tape)
        if usesRowPath {
            let layout = RowBlockLayout(geometry, shared: rowThreads > 1), columnRows = layout.columnRows()
            let proj = projection(input, columns: layout.columns, rows: columnRows)
            let shared = RowBlockSteps<Scalar>.Shared(self, layout: layout, columnRows: columnRows)
            shareRowBlocks(layout.blocks, tileElements: layout.width) { p, meeting, tile in
                let engine = RowBlockSteps(shared, proj: proj.base, tape: tape, meeting: meeting, tile: tile)
                scanForward(engine, participant: p, states: states)
            }
        } else {
            let proj = projection(input, columns: geometry.gateRows, rows: nil, into: tape?.gates)
            let engine = BatchedSteps.Shared(self, tape: tape)
            let split = batchSplit
            if split > 1 {
                // Sequences are independent: each thread runs the whole recurrence of its own rows.
                kernels.pool.run(split, chunks: split) { chunk, scratch in
                    let rows = (chunk * batch / split)..<((chunk + 1) * batch / split)
                    scanForward(BatchedSteps(engine, rows: rows, proj: proj.base, scratch: scratch), participant: chunk,
                                states: states)
                }
            } else {
                scanForward(BatchedSteps(engine, rows: 0..<batch, proj: proj.base), participant: 0, states: states)
            }
        }
        states.finish(hN: hN, cN: cN)
    }

    /// The input projection of every step, `(T·B, columns)`: column k holds gate row `rows[k]`
    /// (negative: padding, zero), or gate row k without `rows`, of b_ih + b_hh + x W_ihᵀ (b_hh left
    /// out when the cell keeps its recurrent part apart). Into `buffer` when given.
    func projection(
        _ input: CellInput<Scalar>, columns: Int, rows: [Int]?, into buffer: Buffer<Scalar>? = nil
    ) -> Buffer<Scalar> {
        let bias = Buffer<Scalar>(count: columns), withHH = !geometry.traits.keepsRecurrentPartApart
        for k in 0..<columns {
            let r = rows?[k] ?? k
            guard r >= 0 else { continue }
            var value: Scalar = weights.biasIH?[r] ?? 0
            if withHH, let b = weights.biasHH { value += b[r] }
            bias.base[k] = value
        }
        let X = geometry.inputSize
        let pack = {
            guard let rows else {
                return PackedMatrix(MatrixView(weights.weightIH, rows: geometry.gateRows, cols: X).transposed, kernels: kernels)
            }
            let gathered = Buffer<Scalar>(count: columns * X)
            for (k, r) in rows.enumerated() where r >= 0 {
                (gathered.base + k * X).update(from: weights.weightIH + r * X, count: X)
            }
            return PackedMatrix(MatrixView(gathered.base, rows: columns, cols: X).transposed, kernels: kernels)
        }
        let wih = rows.map { packs?.inputRows(layout: $0, pack) ?? pack() } ?? packs?.input(pack) ?? pack()
        let out = buffer ?? Buffer<Scalar>(uninitializedCount: steps * batch * columns)
        project(input, wih, bias: bias.base, columns: columns, into: out.base)
        return out
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
        case .tokens(let ids, let embedding) where rows < embedding.rows:
            // Invariant: every id was checked against the vocabulary (`Embedding.check`).
            precondition(embedding.cols == geometry.inputSize && embedding.colStride == 1)
            let X = embedding.cols, looked = Buffer<Scalar>(uninitializedCount: rows * X)
            for r in 0..<rows { (looked.base + r * X).update(from: embedding.base + Int(ids[r]) * embedding.rowStride, count: X) }
            gemm(MatrixView(looked.base, rows: rows, cols: X), w, MutableMatrixView(proj, rows: rows, cols: columns),
                 accumulate: true, kernels: kernels, bias: bias)
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
        let small = geometry.gateRows * geometry.stateSize * MemoryLayout<Scalar>.stride <= MachineProfile.current.l2Bytes
        let rowsEach = small ? 8 : 16
        return max(1, min(threads, batch / rowsEach))
    }

    /// The threads that share a batch-1 pass: all of them when a step's product is large enough
    /// to pay for meeting after every step, else one.
    var rowThreads: Int {
        geometry.hiddenSize * geometry.gateRows >= GemmPlan.minRowWork ? kernels.threads : 1
    }

    /// Runs `body(participant, meeting, tile)` for the participants that share `blocks` row
    /// blocks step by step: several threads that meet after every step when the product is
    /// large enough (each with a tile of `tileElements`), else the calling thread alone.
    func shareRowBlocks(
        _ blocks: Int, tileElements: Int,
        _ body: (_ participant: Int, _ meeting: StepMeeting, _ tile: UnsafeMutablePointer<Scalar>) -> Void
    ) {
        let threads = min(rowThreads, blocks)
        if threads > 1 {
            let meeting = StepMeeting(participants: threads, blocks: blocks, policy: kernels.balancing)
            let done = kernels.pool.runTogether(threads) { p, scratch in
                body(p, meeting, scratch.elements(tileElements, of: Scalar.self))
            }
            if done { return }
        }
        let tile = Buffer<Scalar>(count: tileElements)
        body(0, StepMeeting(participants: 1, blocks: blocks), tile.base)
    }
}
