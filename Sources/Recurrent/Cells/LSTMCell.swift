import CRecurrentKernels

/// A long short-term memory cell, in the course's equations (PyTorch's `nn.LSTMCell`, plus the
/// optional projection of `nn.LSTM(proj_size=P)`):
///
///     f_t = σ(W^{f,h} h_{t-1} + W^{f,x} x_t + b_f)                 forget gate
///     i_t = σ(W^{i,h} h_{t-1} + W^{i,x} x_t + b_i)                 input gate
///     o_t = σ(W^{o,h} h_{t-1} + W^{o,x} x_t + b_o)                 output gate
///     c_t = f_t ⊙ c_{t-1} + i_t ⊙ tanh(W^{c,h} h_{t-1} + W^{c,x} x_t + b_c)   memory cell
///     h_t = o_t ⊙ tanh(c_t)                                        visible state
///     (h_t = W_hr (o_t ⊙ tanh(c_t)) with a projection)
///
/// Shapes: x `(B, X)` or `(X)`, h `(B, Hout)`, c `(B, H)`, Hout = P with a projection, else H.
/// Parameters are stored fused, as PyTorch: `weight_ih` `(4H, X)` and `weight_hh` `(4H, Hout)`
/// with row blocks (i, f, g, o), where g is the course's candidate (W^{c,·}); `bias_ih` and
/// `bias_hh` `(4H)`; `weight_hr` `(P, H)`. `courseParameters()` and `init(course:)` convert
/// to and from the course's named matrices losslessly.
public struct LSTMCell<Scalar: RecurrentScalar>: Equatable, Sendable {
    var core: CellCore<Scalar>

    /// A cell with zero parameters, or, given a `seed`, PyTorch's default U(-1/√H, 1/√H).
    public init(inputSize: Int, hiddenSize: Int, projectionSize: Int = 0, bias: Bool = true, seed: UInt64? = nil) throws {
        let geometry = CellGeometry(kind: .lstm, inputSize: inputSize, hiddenSize: hiddenSize,
                                    projectionSize: projectionSize, hasBias: bias)
        core = try seed.map { try CellCore(geometry, seed: $0) } ?? CellCore(geometry)
    }

    /// A cell with the course's named parameters (keys `W_fh`, `W_fx`, `b_f`, ...).
    public init(course: CourseParameters<Scalar>) throws {
        guard course.cell == .lstm else { throw RecurrentError.value("expected LSTM parameters, got \(course.cell.rawValue)") }
        core = try CellCore(course: course)
    }

    /// The parameters in the course's notation.
    public func courseParameters() throws -> CourseParameters<Scalar> { try core.courseParameters() }
    /// The fused parameters under PyTorch's names.
    public var parameters: ParameterStore<Scalar> { core.parameters }
    /// Replaces one fused parameter (`weight_ih`, ...), same shape.
    public mutating func setParameter(_ name: String, _ value: Tensor<Scalar>) throws { try core.set(name, value) }
    /// X
    public var inputSize: Int { core.geometry.inputSize }
    /// H
    public var hiddenSize: Int { core.geometry.hiddenSize }
    /// P, or 0 without a projection.
    public var projectionSize: Int { core.geometry.projectionSize }

    /// The LSTM's state: the visible state h and the memory cell c.
    public struct State: Equatable, Sendable {
        /// h, `(B, Hout)` or `(Hout)`.
        public var h: Tensor<Scalar>
        /// c, `(B, H)` or `(H)`.
        public var c: Tensor<Scalar>
        /// A state from its parts.
        public init(h: Tensor<Scalar>, c: Tensor<Scalar>) { self.h = h; self.c = c }
    }

    /// Everything one step computes, each `(B, H)` or `(H)` (h: Hout).
    public struct Step: Equatable, Sendable {
        /// The input gate i_t.
        public var i: Tensor<Scalar>
        /// The forget gate f_t.
        public var f: Tensor<Scalar>
        /// The candidate tanh(W^{c,h} h + W^{c,x} x + b_c) (PyTorch's g).
        public var g: Tensor<Scalar>
        /// The output gate o_t.
        public var o: Tensor<Scalar>
        /// The memory cell c_t.
        public var c: Tensor<Scalar>
        /// The visible state h_t.
        public var h: Tensor<Scalar>
        /// The new state (h_t, c_t).
        public var state: State { State(h: h, c: c) }
    }

    /// One step from `state` (zeros if nil) on input `x`.
    /// - Throws: `RecurrentError` for a wrong shape or a non-finite value.
    public func callAsFunction(_ x: Tensor<Scalar>, state: State? = nil) throws -> Step {
        let shapes = try CellStepShapes(input: x, inputSize: inputSize)
        let H = hiddenSize, P = core.geometry.stateSize
        let r = core.step(x: x.scalars, batch: shapes.batch,
                          h: try shapes.elements(of: state?.h, name: "h", size: P),
                          c: try shapes.elements(of: state?.c, name: "c", size: H))
        return Step(i: shapes.gate(r.gates, block: 0, of: 4, size: H), f: shapes.gate(r.gates, block: 1, of: 4, size: H),
                    g: shapes.gate(r.gates, block: 2, of: 4, size: H), o: shapes.gate(r.gates, block: 3, of: 4, size: H),
                    c: shapes.tensor(r.c!, size: H), h: shapes.tensor(r.h, size: P))
    }
}
