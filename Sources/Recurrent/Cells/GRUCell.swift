import CRecurrentKernels

/// A gated recurrent unit with PyTorch's exact equations (`nn.GRUCell`):
///
///     r_t = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)              reset gate
///     z_t = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)              update gate
///     n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn))   candidate
///     h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}
///
/// Shapes: x `(B, X)` or `(X)`, h `(B, H)`. Parameters fused as PyTorch: `weight_ih` `(3H, X)`,
/// `weight_hh` `(3H, H)`, `bias_ih`, `bias_hh` `(3H)`, row blocks (r, z, n).
public struct GRUCell<Scalar: RecurrentScalar>: Equatable, Sendable {
    var core: CellCore<Scalar>

    /// A cell with zero parameters, or, given a `seed`, PyTorch's default U(-1/√H, 1/√H).
    public init(inputSize: Int, hiddenSize: Int, bias: Bool = true, seed: UInt64? = nil) throws {
        let geometry = CellGeometry(kind: .gru, inputSize: inputSize, hiddenSize: hiddenSize, hasBias: bias)
        core = try seed.map { try CellCore(geometry, seed: $0) } ?? CellCore(geometry)
    }

    /// The fused parameters under PyTorch's names.
    public var parameters: ParameterStore<Scalar> { core.parameters }
    /// Replaces one fused parameter (`weight_ih`, ...), same shape.
    public mutating func setParameter(_ name: String, _ value: Tensor<Scalar>) throws { try core.set(name, value) }
    /// X
    public var inputSize: Int { core.geometry.inputSize }
    /// H
    public var hiddenSize: Int { core.geometry.hiddenSize }

    /// Everything one step computes, each `(B, H)` or `(H)`.
    public struct Step: Equatable, Sendable {
        /// The reset gate r_t.
        public var r: Tensor<Scalar>
        /// The update gate z_t.
        public var z: Tensor<Scalar>
        /// The candidate n_t.
        public var n: Tensor<Scalar>
        /// The new state h_t.
        public var h: Tensor<Scalar>
    }

    /// One step from state `h` (zeros if nil) on input `x`.
    /// - Throws: `RecurrentError` for a wrong shape or a non-finite value.
    public func callAsFunction(_ x: Tensor<Scalar>, state h: Tensor<Scalar>? = nil) throws -> Step {
        let shapes = try CellStepShapes(input: x, inputSize: inputSize)
        let H = hiddenSize
        let r = core.step(x: x.scalars, batch: shapes.batch, h: try shapes.elements(of: h, name: "h", size: H), c: nil)
        return Step(r: shapes.gate(r.gates, block: 0, of: 3, size: H), z: shapes.gate(r.gates, block: 1, of: 3, size: H),
                    n: shapes.gate(r.gates, block: 2, of: 3, size: H), h: shapes.tensor(r.h, size: H))
    }
}
