/// A recurrent cell as a value (as PyTorch's `nn.LSTMCell`): its parameters under PyTorch's
/// fused names, and one call operator for one step on a batch `(B, X)` or a single input `(X)`.
/// `LSTMCell`, `GRUCell`, `GatedRNNCell`, `SimpleRNNCell` and `PeepholeLSTMCell` conform; the
/// layers run the same cells over whole sequences (`RecurrentNetwork`), with the same numbers.
public protocol RecurrentCell: Equatable, Sendable {
    associatedtype Scalar: RecurrentScalar
    /// The state a step starts from (h, or h and c).
    associatedtype State: Sendable
    /// What one step computes: its gates and new state (the simple RNN: the new state alone).
    associatedtype Step: Sendable
    /// Which cell this is.
    static var kind: CellKind { get }
    /// The parameters under PyTorch's names (`weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`, ...).
    var parameters: ParameterStore<Scalar> { get }
    /// Replaces one parameter, same name and shape.
    mutating func setParameter(_ name: String, _ value: Tensor<Scalar>) throws
    /// X
    var inputSize: Int { get }
    /// H
    var hiddenSize: Int { get }
    /// One step from `state` (zeros if nil) on input `x` `(B, X)` or `(X)`.
    func callAsFunction(_ x: Tensor<Scalar>, state: State?) throws -> Step
}

extension LSTMCell: RecurrentCell { public static var kind: CellKind { .lstm } }
extension GRUCell: RecurrentCell { public static var kind: CellKind { .gru } }
extension GatedRNNCell: RecurrentCell { public static var kind: CellKind { .gated } }
extension SimpleRNNCell: RecurrentCell { public static var kind: CellKind { .rnn } }
