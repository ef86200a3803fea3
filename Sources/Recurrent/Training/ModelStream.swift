/// A whole model run online, one step (or one chunk of steps) at a time: tokens or vectors go
/// through the embedding, the stack and the head, the state is carried between calls. Gives
/// exactly the numbers of the whole-sequence call on the concatenated input: both run the same
/// code, and every product sums in the same order.
///
/// ```swift
/// var stream = try ModelStream(model: charModel)          // batch 1, zero state
/// let logits = try stream.step(token: 17)                 // (V)
/// ```
/// Only unidirectional models stream: a reverse direction needs the future.
public struct ModelStream<Scalar: RecurrentScalar>: Sendable {
    /// The model.
    public let model: SequenceModel<Scalar>
    /// B, the number of sequences streamed side by side.
    public let batch: Int
    /// The number of steps taken since the start (or the last `reset`).
    public private(set) var stepCount = 0
    private var carried: CarriedState<Scalar>?
    private let initial: CarriedState<Scalar>?

    /// Starts a stream of `batch` sequences from `initialState` (PyTorch's shapes; zeros if nil).
    /// - Throws: `RecurrentError` for a bidirectional model or a state of the wrong shape.
    public init(model: SequenceModel<Scalar>, batch: Int = 1, initialState: RecurrentState<Scalar>? = nil) throws {
        let cfg = model.configuration.recurrent
        guard !cfg.bidirectional else {
            throw RecurrentError.unsupported("a bidirectional model cannot stream: its reverse direction needs the whole sequence")
        }
        guard batch > 0 else { throw RecurrentError.value("stream batch must be positive, got \(batch)") }
        try Self.requireMemory(model, batch: batch, steps: 1, starting: true)
        let (h, c) = try cfg.flatState(initialState, batch: batch, isBatched: true)
        initial = h.isEmpty ? nil : CarriedState(batch: batch, h: h, c: c.isEmpty ? nil : c)
        (self.model, self.batch, carried) = (model, batch, initial)
    }

    /// The state after the last step, in PyTorch's shapes `(L, B, Hout)`, `(L, B, H)`.
    public var state: RecurrentState<Scalar> {
        let cfg = model.configuration.recurrent, rows = cfg.layers
        let h = carried?.h ?? [Scalar](repeating: 0, count: rows * batch * cfg.stateSize)
        let c = cfg.cell.hasCellState ? carried?.c ?? [Scalar](repeating: 0, count: rows * batch * cfg.hiddenSize) : nil
        return RecurrentState(h: Tensor(uncheckedShape: [rows, batch, cfg.stateSize], scalars: h),
                              c: c.map { Tensor(uncheckedShape: [rows, batch, cfg.hiddenSize], scalars: $0) })
    }

    /// One step on vectors x `(B, X)`, or `(X)` when B = 1; returns y_t `(B, O)` or `(O)`.
    public mutating func step(_ x: Tensor<Scalar>) throws -> Tensor<Scalar> {
        let X = model.configuration.recurrent.inputSize
        guard x.shape == [batch, X] || (batch == 1 && x.shape == [X]) else {
            throw RecurrentError.shape("stream input: expected (\(batch), \(X))\(batch == 1 ? " or (\(X))" : ""), got \(describeShape(x.shape))")
        }
        guard x.isFinite else { throw RecurrentError.value("stream input contains NaN or infinity") }
        let y = try advance(.vectors(x.scalars), steps: 1)
        return Tensor(uncheckedShape: x.rank == 1 ? [y.count] : [batch, y.count / batch], scalars: y)
    }

    /// One step on one token id (B = 1); returns y_t `(O)`.
    public mutating func step(token: Int32) throws -> Tensor<Scalar> {
        try step(tokens: [token])
    }

    /// One step on B token ids; returns y_t `(O)` for B = 1, else `(B, O)`.
    public mutating func step(tokens: [Int32]) throws -> Tensor<Scalar> {
        guard tokens.count == batch else { throw RecurrentError.shape("stream tokens: expected \(batch), got \(tokens.count)") }
        let y = try advance(.tokens(tokens), steps: 1)
        return Tensor(uncheckedShape: batch == 1 ? [y.count] : [batch, y.count / batch], scalars: y)
    }

    /// Several steps on vectors `(T, B, X)`; returns `(T, B, O)`.
    public mutating func steps(_ x: Tensor<Scalar>) throws -> Tensor<Scalar> {
        let X = model.configuration.recurrent.inputSize
        guard x.rank == 3, x.shape[1] == batch, x.shape[2] == X else {
            throw RecurrentError.shape("stream input: expected (T, \(batch), \(X)), got \(describeShape(x.shape))")
        }
        guard x.isFinite else { throw RecurrentError.value("stream input contains NaN or infinity") }
        let y = try advance(.vectors(x.scalars), steps: x.shape[0])
        return Tensor(uncheckedShape: [x.shape[0], batch, model.configuration.modelOutputSize], scalars: y)
    }

    /// Several steps on token ids `(T, B)` flat, sequence-first; returns `(T, B, O)`.
    public mutating func steps(tokens: [Int32]) throws -> Tensor<Scalar> {
        guard tokens.count % batch == 0 else {
            throw RecurrentError.shape("stream tokens: \(tokens.count) ids are not whole steps of \(batch)")
        }
        let T = tokens.count / batch
        let y = try advance(.tokens(tokens), steps: T)
        return Tensor(uncheckedShape: [T, batch, model.configuration.modelOutputSize], scalars: y)
    }

    /// Goes back to the initial state.
    public mutating func reset() {
        carried = initial
        stepCount = 0
    }

    /// Refuses a call that cannot fit (its outputs can be far larger than its inputs: V logits
    /// per token): against any ulimit when the stream starts, later only past the machine's
    /// memory (the estimate counts the packed weights, which the first call made and keeps).
    private static func requireMemory(_ model: SequenceModel<Scalar>, batch: Int, steps: Int, starting: Bool) throws {
        let bytes = model.configuration.inferenceBytes(batch: batch, steps: steps, scalarSize: MemoryLayout<Scalar>.size)
        let what = { "streaming \(model.configuration.summary) on \(batch) sequences of \(steps) steps" }
        try starting ? MemoryBudget.require(bytes, for: what()) : MemoryBudget.requireWithinMachine(bytes, for: what())
    }

    private mutating func advance(_ inputs: BatchInputs<Scalar>, steps T: Int) throws -> [Scalar] {
        try Self.requireMemory(model, batch: batch, steps: T, starting: false)
        let forward = try model.forward(inputs, steps: T, batch: batch, lengths: nil, state: carried, recordTape: false,
                                        kernels: .current)
        carried = CarriedState(batch: batch, h: forward.recurrent.hN.array, c: forward.recurrent.cN?.array)
        stepCount += T
        return forward.y.array
    }
}
