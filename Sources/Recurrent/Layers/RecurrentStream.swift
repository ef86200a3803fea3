/// A network run online, one step (or one chunk of steps) at a time, carrying its state
/// between calls. Gives exactly the numbers of the whole-sequence call on the concatenated
/// input: both run the same code, and every product sums in the same order.
///
/// ```swift
/// var stream = try RecurrentStream(network: lstm)       // batch 1, zero state
/// for x in incoming { let h = try stream.step(x) }      // x (X) → h (Hout)
/// ```
/// Only unidirectional networks stream: a reverse direction needs the future.
public struct RecurrentStream<Scalar: RecurrentScalar>: Sendable {
    /// The network.
    public let network: RecurrentNetwork<Scalar>
    /// B, the number of sequences streamed side by side.
    public let batch: Int
    /// The state after the last step, in PyTorch's shapes `(L, B, Hout)`, `(L, B, H)`.
    public private(set) var state: RecurrentState<Scalar>
    /// The number of steps taken since the start (or the last `reset`).
    public private(set) var stepCount = 0
    private let initialState: RecurrentState<Scalar>

    /// Starts a stream of `batch` sequences from `initialState` (zeros if nil).
    /// - Throws: `RecurrentError` for a bidirectional network or a state of the wrong shape.
    public init(network: RecurrentNetwork<Scalar>, batch: Int = 1, initialState: RecurrentState<Scalar>? = nil) throws {
        guard !network.configuration.bidirectional else {
            throw RecurrentError.unsupported("a bidirectional network cannot stream: its reverse direction needs the whole sequence")
        }
        guard batch > 0 else { throw RecurrentError.value("stream batch must be positive, got \(batch)") }
        let cfg = network.configuration
        let zero = RecurrentState<Scalar>(
            h: try Tensor(zeros: [cfg.layers, batch, cfg.stateSize]),
            c: cfg.cell.hasCellState ? try Tensor(zeros: [cfg.layers, batch, cfg.hiddenSize]) : nil)
        var start = initialState ?? zero
        if start.c == nil, cfg.cell.hasCellState { start.c = zero.c }
        let probe = try SequenceBatch(Tensor<Scalar>(zeros: [1, batch, cfg.inputSize]), layout: .sequenceFirst,
                                      inputSize: cfg.inputSize)
        _ = try network.validatedState(start, batch: probe)
        self.network = network
        self.batch = batch
        self.state = start
        self.initialState = start
    }

    /// One step: x `(B, X)`, or `(X)` when B = 1; returns h_t `(B, Hout)` or `(Hout)`.
    /// - Throws: `RecurrentError` for a wrong shape or a non-finite input.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public mutating func step(_ x: Tensor<Scalar>) throws -> Tensor<Scalar> {
        let X = network.configuration.inputSize
        let unbatched = x.rank == 1
        guard (unbatched && batch == 1 && x.shape == [X]) || x.shape == [batch, X] else {
            throw RecurrentError.shape(
                "stream input: expected (\(batch), \(X))\(batch == 1 ? " or (\(X))" : ""), got \(describeShape(x.shape))")
        }
        let y = try steps(try x.reshaped([1, batch, X]))
        return try y.reshaped(unbatched ? [y.count] : [batch, y.count / batch])
    }

    /// Several steps: x `(T, B, X)`; returns the outputs `(T, B, Hout)`.
    /// - Throws: `RecurrentError` for a wrong shape or a non-finite input.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public mutating func steps(_ x: Tensor<Scalar>) throws -> Tensor<Scalar> {
        guard x.rank == 3, x.shape[1] == batch else {
            throw RecurrentError.shape(
                "stream input: expected (T, \(batch), \(network.configuration.inputSize)), got \(describeShape(x.shape))")
        }
        let (y, next) = try network(x, initialState: state)
        state = next
        stepCount += x.shape[0]
        return y
    }

    /// Goes back to the initial state.
    public mutating func reset() {
        state = initialState
        stepCount = 0
    }
}
