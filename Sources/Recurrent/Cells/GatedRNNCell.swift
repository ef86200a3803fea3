import CRecurrentKernels

/// The course's single-gate gated RNN:
///
///     g_t = σ(W^{g,s} s_{t-1} + W^{g,x} x_t + b_g)                          gate
///     s_t = (1 - g_t) ⊙ s_{t-1} + g_t ⊙ tanh(W^{s,s} s_{t-1} + W^{s,x} x_t + b_s)
///
/// Where an element of g_t is 0 that element of the state is carried unchanged; where it is 1
/// the element is overwritten by the candidate. Both hold exactly in floating point.
///
/// Shapes: x `(B, X)` or `(X)`, s `(B, H)`. Parameters fused like PyTorch's cells:
/// `weight_ih` `(2H, X)` = [W^{g,x}; W^{s,x}], `weight_hh` `(2H, H)` = [W^{g,s}; W^{s,s}],
/// optional `bias_ih`, `bias_hh` `(2H)` whose sum is [b_g; b_s].
public struct GatedRNNCell<Scalar: RecurrentScalar>: Equatable, Sendable {
    var core: CellCore<Scalar>

    /// A cell with zero parameters, or, given a `seed`, U(-1/√H, 1/√H) as PyTorch's cells.
    public init(inputSize: Int, hiddenSize: Int, bias: Bool = true, seed: UInt64? = nil) throws {
        let geometry = CellGeometry(kind: .gated, inputSize: inputSize, hiddenSize: hiddenSize, hasBias: bias)
        core = try seed.map { try CellCore(geometry, seed: $0) } ?? CellCore(geometry)
    }

    /// A cell with the course's named parameters (`W_gs`, `W_gx`, `b_g`, `W_ss`, `W_sx`, `b_s`).
    public init(course: CourseParameters<Scalar>) throws {
        guard course.cell == .gated else { throw RecurrentError.value("expected gated RNN parameters, got \(course.cell.rawValue)") }
        core = try CellCore(course: course)
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

    /// Everything one step computes, each `(B, H)` or `(H)`.
    public struct Step: Equatable, Sendable {
        /// The gate g_t.
        public var g: Tensor<Scalar>
        /// The candidate tanh(W^{s,s} s_{t-1} + W^{s,x} x_t + b_s).
        public var candidate: Tensor<Scalar>
        /// The new state s_t.
        public var s: Tensor<Scalar>
    }

    /// One step from state `s` (zeros if nil) on input `x`.
    /// - Throws: `RecurrentError` for a wrong shape or a non-finite value.
    public func callAsFunction(_ x: Tensor<Scalar>, state s: Tensor<Scalar>? = nil) throws -> Step {
        let shapes = try CellStepShapes(input: x, inputSize: inputSize)
        let H = hiddenSize
        let r = core.step(x: x.scalars, batch: shapes.batch, h: try shapes.elements(of: s, name: "s", size: H), c: nil)
        return Step(g: shapes.gate(r.gates, block: 0, of: 2, size: H),
                    candidate: shapes.gate(r.gates, block: 1, of: 2, size: H), s: shapes.tensor(r.h, size: H))
    }
}
