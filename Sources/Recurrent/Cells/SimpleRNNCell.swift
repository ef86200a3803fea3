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

// The simple RNN's element-wise step, forward and backward:
//
//   s_t = φ(W^{s,x} x_t + W^{s,s} s_{t-1} + b),   φ = tanh (the course, and PyTorch's default)
//                                                  or ReLU (nn.RNN(nonlinearity="relu"))

enum SimpleRNNMath<Scalar: RecurrentScalar> {
    /// Forward. `gates` (B, H): pre-activations in, s_t = φ(a) out (also written to `s`).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    static func forward(
        gates: UnsafeMutablePointer<Scalar>, s: UnsafeMutablePointer<Scalar>, batch: Int, hidden: Int,
        nonlinearity: Nonlinearity
    ) {
        let count = batch * hidden
        forEachLaneChunk16(count) { j, n in
            let a = load16(gates + j, n)
            let v = nonlinearity == .tanh ? Scalar.tanh(a) : Scalar.relu(a)
            store16(v, gates + j, n)
            store16(v, s + j, n)
        }
    }

    /// Backward. Given s_t in `gates` (B, H) and `ds` = ∂L/∂s_t: writes ∂L/∂a to `dGates`:
    /// ds ⊙ (1 - s²) for tanh, ds where s > 0 (else 0) for ReLU, as PyTorch.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    static func backward(
        gates: UnsafePointer<Scalar>, ds: UnsafePointer<Scalar>, dGates: UnsafeMutablePointer<Scalar>,
        batch: Int, hidden: Int, nonlinearity: Nonlinearity
    ) {
        let count = batch * hidden
        let one = SIMD16<Scalar>(repeating: 1)
        forEachLaneChunk16(count) { j, n in
            let s = load16(gates + j, n), d = load16(ds + j, n)
            let da = nonlinearity == .tanh ? d * (one - s * s) : d.replacing(with: 0, where: s .<= 0)
            store16(da, dGates + j, n)
        }
    }
}
