import CRecurrentKernels

/// The simple RNN (PyTorch's `nn.RNNCell`):
///
///     s_t = φ(W^{s,s} s_{t-1} + W^{s,x} x_t + b),   φ = tanh, or ReLU
///
/// Shapes: x `(B, X)` or `(X)`, s `(B, H)`. Parameters as PyTorch: `weight_ih` `(H, X)` = W^{s,x},
/// `weight_hh` `(H, H)` = W^{s,s}, optional `bias_ih`, `bias_hh` `(H)` whose sum is b.
public struct SimpleRNNCell<Scalar: RecurrentScalar>: Equatable, Sendable {
    var core: CellCore<Scalar>

    /// A cell with zero parameters, or, given a `seed`, PyTorch's default U(-1/√H, 1/√H).
    public init(inputSize: Int, hiddenSize: Int, nonlinearity: Nonlinearity = .tanh, bias: Bool = true,
                seed: UInt64? = nil) throws {
        let geometry = CellGeometry(kind: .rnn, nonlinearity: nonlinearity, inputSize: inputSize,
                                    hiddenSize: hiddenSize, hasBias: bias)
        core = try seed.map { try CellCore(geometry, seed: $0) } ?? CellCore(geometry)
    }

    /// A cell with the course's named parameters (`W_ss`, `W_sx`, `b_s`).
    public init(course: CourseParameters<Scalar>, nonlinearity: Nonlinearity = .tanh) throws {
        guard course.cell == .rnn else { throw RecurrentError.value("expected simple RNN parameters, got \(course.cell.rawValue)") }
        core = try CellCore(course: course, nonlinearity: nonlinearity)
    }

    /// The parameters in the course's notation.
    public func courseParameters() throws -> CourseParameters<Scalar> { try core.courseParameters() }
    /// The fused parameters.
    public var parameters: ParameterStore<Scalar> { core.parameters }
    /// Replaces one fused parameter (`weight_ih`, ...), same shape.
    public mutating func setParameter(_ name: String, _ value: Tensor<Scalar>) throws { try core.set(name, value) }
    /// X
    public var inputSize: Int { core.geometry.inputSize }
    /// H
    public var hiddenSize: Int { core.geometry.hiddenSize }
    /// φ
    public var nonlinearity: Nonlinearity { core.geometry.nonlinearity }

    /// One step from state `s` (zeros if nil) on input `x`: s_t, `(B, H)` or `(H)`.
    /// - Throws: `RecurrentError` for a wrong shape or a non-finite value.
    public func callAsFunction(_ x: Tensor<Scalar>, state s: Tensor<Scalar>? = nil) throws -> Tensor<Scalar> {
        let shapes = try CellStepShapes(input: x, inputSize: inputSize)
        let r = core.step(x: x.scalars, batch: shapes.batch,
                          h: try shapes.elements(of: s, name: "s", size: hiddenSize), c: nil)
        return shapes.tensor(r.h, size: hiddenSize)
    }
}
