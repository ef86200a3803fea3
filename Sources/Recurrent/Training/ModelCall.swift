/// Token ids of a batch of sequences in any of PyTorch's layouts: `(T, B)`, `(B, T)` with
/// `.batchFirst`, or `(T)` for one sequence.
public struct TokenSequences: Equatable, Sendable {
    /// The shape, `(T, B)`, `(B, T)` or `(T)`.
    public let shape: [Int]
    /// The ids, row-major.
    public let ids: [Int32]

    /// Token ids and their shape.
    /// - Throws: `RecurrentError` for a rank other than 1 or 2, or a count that does not match.
    public init(shape: [Int], ids: [Int32]) throws {
        guard shape.count == 1 || shape.count == 2, shape.allSatisfy({ $0 >= 0 }) else {
            throw RecurrentError.shape("token ids: expected shape (T, B), (B, T) or (T), got \(describeShape(shape))")
        }
        guard MemoryBudget.product(shape) == ids.count else {
            throw RecurrentError.shape("token ids: shape \(describeShape(shape)) needs \(MemoryBudget.product(shape) ?? -1) ids, got \(ids.count)")
        }
        (self.shape, self.ids) = (shape, ids)
    }

    /// One sequence of ids, `(T)`.
    public init(_ ids: [Int32]) {
        (shape, self.ids) = ([ids.count], ids)
    }

    /// Why an id is not in `0..<vocabulary`, naming the first by its index in `shape` (`[b, t]`
    /// for a batch-first batch), or nil when all are.
    public func outOfRange(vocabulary: Int) -> String? {
        guard let bad = ids.firstIndex(where: { $0 < 0 || Int($0) >= vocabulary }) else { return nil }
        return "token \(ids[bad]) at \(multiIndex(bad, in: shape)) is outside the vocabulary 0..<\(vocabulary)"
    }

    /// Throws unless every id is in `0..<vocabulary` (`outOfRange`).
    func check(vocabulary: Int) throws {
        if let problem = outOfRange(vocabulary: vocabulary) { throw RecurrentError.value(problem) }
    }
}

/// The gradients a caller's ∂L/∂output gives (`SequenceModel.gradients`): of every parameter,
/// of the input vectors, of the initial state.
public struct ModelGradients<Scalar: RecurrentScalar>: Sendable {
    /// ∂L/∂θ under the parameters' names and shapes.
    public var parameters: ParameterStore<Scalar>
    /// ∂L/∂input, in the input's shape and layout (nil for token input).
    public var input: Tensor<Scalar>?
    /// ∂L/∂ the initial state, in PyTorch's shapes.
    public var initialState: RecurrentState<Scalar>
}

/// A batch prepared for a model: sequence-first inputs and their shape.
struct ModelBatch<Scalar: RecurrentScalar> {
    let inputs: BatchInputs<Scalar>
    let steps: Int, batch: Int, isBatched: Bool, layout: SequenceLayout
    var vectors: SequenceBatch<Scalar>?

    init(_ input: Tensor<Scalar>, layout: SequenceLayout, inputSize: Int) throws {
        let b = try SequenceBatch(input, layout: layout, inputSize: inputSize)
        (inputs, steps, batch, isBatched, self.layout, vectors) = (.vectors(b.sequenceFirst), b.steps, b.batch, b.isBatched, layout, b)
    }

    init(_ tokens: TokenSequences, layout: SequenceLayout, vocabulary: Int?) throws {
        guard let vocabulary else {
            throw RecurrentError.value("this model reads vectors (it has no embedding), not token ids")
        }
        try tokens.check(vocabulary: vocabulary)
        (isBatched, self.layout) = (tokens.shape.count == 2, layout)
        if !isBatched {
            (steps, batch, inputs) = (tokens.shape[0], 1, .tokens(tokens.ids))
        } else if layout == .sequenceFirst {
            (steps, batch, inputs) = (tokens.shape[0], tokens.shape[1], .tokens(tokens.ids))
        } else {
            let (B, T) = (tokens.shape[0], tokens.shape[1])
            (steps, batch) = (T, B)
            inputs = .tokens((0..<(T * B)).map { tokens.ids[($0 % B) * T + $0 / B] })
        }
    }

    /// Sequence-first `(T·B, size)` rows as a tensor in the batch's layout.
    func tensor(_ flat: [Scalar], size: Int) -> Tensor<Scalar> {
        guard isBatched else { return Tensor(uncheckedShape: [steps, size], scalars: flat) }
        let first = Tensor(uncheckedShape: [steps, batch, size], scalars: flat)
        return layout == .sequenceFirst ? first : first.swappedFirstTwoAxes()
    }

    /// A tensor in the batch's layout `(T, B, size)` (or `(B, T, size)`, or `(T, size)`) as
    /// sequence-first rows; nil when its shape is not that.
    func sequenceFirst(_ t: Tensor<Scalar>, size: Int) -> [Scalar]? {
        let expected = !isBatched ? [steps, size] : layout == .sequenceFirst ? [steps, batch, size] : [batch, steps, size]
        guard t.shape == expected else { return nil }
        return isBatched && layout == .batchFirst ? t.swappedFirstTwoAxes().scalars : t.scalars
    }
}

extension SequenceModel {
    /// `y, state = model(x)` for vector inputs: x `(T, B, X)`, `(B, T, X)` with `.batchFirst`,
    /// or `(T, X)` for one sequence; y in the same layout with O values per step (the head's
    /// outputs, or the stack's D·Hout without a head). Lengths and the initial state as
    /// `RecurrentNetwork` takes them; past a sequence's length the stack's output is zero, so a
    /// head gives its bias there (PyTorch's `head(pad_packed_sequence(rnn(packed))[0])`).
    /// - Throws: `RecurrentError` for a wrong shape, a non-finite value, a model that reads
    ///   tokens, or a batch too large for the memory (`inferenceBytes`).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(
        _ input: Tensor<Scalar>, initialState: RecurrentState<Scalar>? = nil, lengths: [Int]? = nil,
        layout: SequenceLayout = .sequenceFirst
    ) throws -> (output: Tensor<Scalar>, state: RecurrentState<Scalar>) {
        try run(ModelBatch(input, layout: layout, inputSize: configuration.recurrent.inputSize), initialState, lengths)
    }

    /// `y, state = model(tokens)` for a model that reads token ids through its embedding; each
    /// id must be in `0..<V`.
    /// - Throws: `RecurrentError` naming the first id out of range, or as for vectors.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(
        _ tokens: TokenSequences, initialState: RecurrentState<Scalar>? = nil, lengths: [Int]? = nil,
        layout: SequenceLayout = .sequenceFirst
    ) throws -> (output: Tensor<Scalar>, state: RecurrentState<Scalar>) {
        try run(ModelBatch(tokens, layout: layout, vocabulary: configuration.vocabularySize), initialState, lengths)
    }

    private func run(_ batch: ModelBatch<Scalar>, _ initialState: RecurrentState<Scalar>?, _ lengths: [Int]?) throws
        -> (output: Tensor<Scalar>, state: RecurrentState<Scalar>)
    {
        let forward = try forward(batch, initialState, lengths, recordTape: false)
        let cfg = configuration.recurrent
        return (batch.tensor(forward.y.array, size: configuration.modelOutputSize),
                cfg.state(h: forward.recurrent.hN, c: forward.recurrent.cN, batch: batch.batch, isBatched: batch.isBatched))
    }

    func forward(_ batch: ModelBatch<Scalar>, _ initialState: RecurrentState<Scalar>?, _ lengths: [Int]?, recordTape: Bool)
        throws -> ModelForward<Scalar>
    {
        let cfg = configuration.recurrent
        if let lengths { try validateLengths(lengths, batch: batch.batch, steps: batch.steps) }
        let (B, T, size) = (batch.batch, batch.steps, MemoryLayout<Scalar>.size)
        try MemoryBudget.require(recordTape ? configuration.trainingBytes(batch: B, steps: T, scalarSize: size)
                                            : configuration.inferenceBytes(batch: B, steps: T, scalarSize: size),
                                 for: "\(configuration.summary) on \(B) sequences of \(T) steps")
        let (h, c) = try cfg.flatState(initialState, batch: batch.batch, isBatched: batch.isBatched)
        let state = h.isEmpty ? nil : CarriedState(batch: batch.batch, h: h, c: c.isEmpty ? nil : c)
        return try forward(batch.inputs, steps: batch.steps, batch: batch.batch, lengths: lengths, state: state,
                           recordTape: recordTape, kernels: .current)
    }

    /// The gradients of a loss of the caller's own, given ∂L/∂output (the output's shape and
    /// layout): of every parameter, of the input vectors, of the initial state. For training
    /// with a loss the library does not have, or for looking inside a model.
    /// - Throws: `RecurrentError` for a wrong shape or a non-finite value, as for the call.
    public func gradients(
        of input: Tensor<Scalar>, outputGradient: Tensor<Scalar>, initialState: RecurrentState<Scalar>? = nil,
        lengths: [Int]? = nil, layout: SequenceLayout = .sequenceFirst
    ) throws -> ModelGradients<Scalar> {
        try gradients(ModelBatch(input, layout: layout, inputSize: configuration.recurrent.inputSize), outputGradient,
                      initialState, lengths)
    }

    /// The gradients for token input (see the vector form; no input gradient).
    public func gradients(
        of tokens: TokenSequences, outputGradient: Tensor<Scalar>, initialState: RecurrentState<Scalar>? = nil,
        lengths: [Int]? = nil, layout: SequenceLayout = .sequenceFirst
    ) throws -> ModelGradients<Scalar> {
        try gradients(ModelBatch(tokens, layout: layout, vocabulary: configuration.vocabularySize), outputGradient,
                      initialState, lengths)
    }

    private func gradients(_ batch: ModelBatch<Scalar>, _ dy: Tensor<Scalar>, _ initialState: RecurrentState<Scalar>?,
                           _ lengths: [Int]?) throws -> ModelGradients<Scalar> {
        let O = configuration.modelOutputSize
        guard let flat = batch.sequenceFirst(dy, size: O) else {
            throw RecurrentError.shape("output gradient: expected the output's shape, got \(describeShape(dy.shape))")
        }
        guard dy.isFinite else { throw RecurrentError.value("output gradient contains NaN or infinity") }
        let forward = try forward(batch, initialState, lengths, recordTape: true)
        var grads = [Scalar](repeating: 0, count: parameterCount)
        let back = flat.withUnsafeBufferPointer { d in
            grads.withUnsafeMutableBufferPointer { g in
                backward(d.baseAddress!, forward: forward, gradients: g.baseAddress!, wantInputGradient: embedding == nil,
                         kernels: .current)
            }
        }
        var store = parameters
        store.storage = grads
        let cfg = configuration.recurrent
        return ModelGradients(parameters: store, input: back.input.map { batch.tensor($0.array, size: cfg.inputSize) },
                              initialState: cfg.state(h: back.h0, c: back.c0, batch: batch.batch, isBatched: batch.isBatched))
    }
}
