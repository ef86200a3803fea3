/// What a network keeps from a forward pass for its backward pass: each layer's input and
/// output sequence and each cell's tape.
final class NetworkTape<Scalar: RecurrentScalar>: @unchecked Sendable {
    // Invariant (why `@unchecked Sendable`): filled by one forward pass, layer by layer, then only read by the backward pass.
    let steps: Int
    let batch: Int
    let lengths: [Int]?
    /// Layer l's input, `(T·B, In_l)`; entry L is the last layer's output, `(T·B, D·Hout)`.
    var sequences: [Buffer<Scalar>] = []
    /// Tapes by layer, then direction.
    var cells: [[CellTape<Scalar>]] = []

    init(steps: Int, batch: Int, lengths: [Int]?) {
        self.steps = steps
        self.batch = batch
        self.lengths = lengths
    }

    /// Bytes held, for memory reports.
    var byteCount: Int {
        sequences.map(\.count).reduce(0, +) * MemoryLayout<Scalar>.stride
            + cells.joined().map(\.byteCount).reduce(0, +)
    }
}

/// The result of a forward pass over sequence-first buffers.
struct ForwardResult<Scalar: RecurrentScalar> {
    /// `(T·B, D·Hout)`; empty when the pass wrote it to the caller's `finalOutput`.
    let output: Buffer<Scalar>
    /// `(L·D, B, Hout)`.
    let hN: Buffer<Scalar>
    /// `(L·D, B, H)`, LSTM only.
    let cN: Buffer<Scalar>?
    let tape: NetworkTape<Scalar>?
}

extension RecurrentNetwork {
    /// Runs the network on a sequence-first batch `(T·B, X)` with its own parameters; the output
    /// goes to `finalOutput` when given (`(T·B, D·Hout)`), else to the result's buffer.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func forward(
        input: UnsafePointer<Scalar>, steps T: Int, batch B: Int, lengths: [Int]?,
        h0: UnsafePointer<Scalar>?, c0: UnsafePointer<Scalar>?, recordTape: Bool,
        finalOutput: UnsafeMutablePointer<Scalar>? = nil
    ) -> ForwardResult<Scalar> {
        parameters.storage.withUnsafeBufferPointer { params in
            // Without a tape (inference), the weights' packed forms are kept for the next call.
            layout.forward(weights: params.baseAddress!, input: input, steps: T, batch: B, lengths: lengths,
                           h0: h0, c0: c0, recordTape: recordTape, finalOutput: finalOutput,
                           packs: recordTape ? nil : packs, kernels: .current)
        }
    }

    /// Runs the network over a batch of sequences, as PyTorch's `y, state = module(x, state)`.
    ///
    /// - Parameters:
    ///   - input: `(T, B, X)`, or `(B, T, X)` with `layout: .batchFirst`, or `(T, X)` unbatched.
    ///   - initialState: h0 `(L·D, B, Hout)` and, for the LSTM, c0 `(L·D, B, H)` (without B
    ///     when unbatched); nil for zeros. An LSTM state without c starts c at zero.
    ///   - lengths: each sequence's length (B values in 0...T), as PyTorch's packed sequences:
    ///     steps past a sequence's length leave its state unchanged and output zeros.
    ///   - layout: how `input` and the output are laid out.
    /// - Returns: the output sequence `(T, B, D·Hout)` (same layout as the input) and the final
    ///   states in PyTorch's shapes.
    /// - Throws: `RecurrentError` for a wrong shape, a non-finite input or invalid lengths.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(
        _ input: Tensor<Scalar>, initialState: RecurrentState<Scalar>? = nil, lengths: [Int]? = nil,
        layout: SequenceLayout = .sequenceFirst
    ) throws -> (output: Tensor<Scalar>, state: RecurrentState<Scalar>) {
        let batch = try SequenceBatch(input, layout: layout, inputSize: configuration.inputSize)
        try batch.validate(lengths: lengths)
        // The output and the states can be far larger than the input (a small X, a large H, or
        // no steps at all and a large B).
        try MemoryBudget.require(configuration.inferenceBytes(batch: batch.batch, steps: batch.steps, scalarSize: MemoryLayout<Scalar>.size),
                                 for: "\(configuration.summary) on \(batch.batch) sequences of \(batch.steps) steps")
        let (h0, c0) = try validatedState(initialState, batch: batch)
        // The last layer writes straight into the output's storage.
        let count = batch.steps * batch.batch * configuration.outputSize
        var result: ForwardResult<Scalar>?
        let flat = [Scalar](unsafeUninitializedCapacity: count) { out, initialized in
            result = batch.sequenceFirst.withUnsafeBufferPointer { x in
                h0.withUnsafeBufferPointer { h in
                    c0.withUnsafeBufferPointer { c in
                        forward(input: x.baseAddress!, steps: batch.steps, batch: batch.batch, lengths: lengths,
                                h0: h.isEmpty ? nil : h.baseAddress, c0: c.isEmpty ? nil : c.baseAddress,
                                recordTape: false, finalOutput: out.baseAddress)
                    }
                }
            }
            initialized = count
        }
        return (batch.output(flat, size: configuration.outputSize), state(result!, batch: batch))
    }

    /// The initial states as flat `(L·D, B, ·)` arrays (empty for zeros), checked against PyTorch's shapes.
    func validatedState(_ state: RecurrentState<Scalar>?, batch: SequenceBatch<Scalar>) throws
        -> (h: [Scalar], c: [Scalar])
    {
        try configuration.flatState(state, batch: batch.batch, isBatched: batch.isBatched)
    }

    /// The final states of a forward pass in PyTorch's shapes.
    func state(_ result: ForwardResult<Scalar>, batch: SequenceBatch<Scalar>) -> RecurrentState<Scalar> {
        configuration.state(h: result.hN, c: result.cN, batch: batch.batch, isBatched: batch.isBatched)
    }
}
