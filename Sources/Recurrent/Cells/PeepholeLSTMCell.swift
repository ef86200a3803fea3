import CRecurrentKernels

/// An LSTM with peephole connections (Gers & Schmidhuber 2000; the `P` input of ONNX's LSTM):
/// the input and forget gates also see the memory cell they update, the output gate the one
/// it reads out:
///
///     i_t = σ(W_i x_t + U_i h_{t-1} + b_i + p_i ⊙ c_{t-1})
///     f_t = σ(W_f x_t + U_f h_{t-1} + b_f + p_f ⊙ c_{t-1})
///     g_t = tanh(W_g x_t + U_g h_{t-1} + b_g)
///     c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
///     o_t = σ(W_o x_t + U_o h_{t-1} + b_o + p_o ⊙ c_t)
///     h_t = o_t ⊙ tanh(c_t)
///
/// Parameters: the LSTM's (`weight_ih` `(4H, X)`, `weight_hh` `(4H, H)`, `bias_ih`, `bias_hh`
/// `(4H)`, gate blocks i, f, g, o) and the peephole vectors `weight_ci`, `weight_cf`,
/// `weight_co` `(H)` each: p_i, p_f and p_o. ONNX's `P` is `[p_i, p_o, p_f]` (note the order).
/// Shapes: x `(B, X)` or `(X)`, h and c `(B, H)` or `(H)`. No projection.
public struct PeepholeLSTMCell<Scalar: RecurrentScalar>: RecurrentCell {
    var core: CellCore<Scalar>
    public static var kind: CellKind { .peephole }

    /// A cell with zero parameters, or, given a `seed`, every parameter from U(-1/√H, 1/√H).
    public init(inputSize: Int, hiddenSize: Int, bias: Bool = true, seed: UInt64? = nil) throws {
        let geometry = CellGeometry(kind: .peephole, inputSize: inputSize, hiddenSize: hiddenSize, hasBias: bias)
        core = try seed.map { try CellCore(geometry, seed: $0) } ?? CellCore(geometry)
    }

    public var parameters: ParameterStore<Scalar> { core.parameters }
    public mutating func setParameter(_ name: String, _ value: Tensor<Scalar>) throws { try core.set(name, value) }
    public var inputSize: Int { core.geometry.inputSize }
    public var hiddenSize: Int { core.geometry.hiddenSize }

    /// One step from `state` (zeros if nil): every gate and the new state, as `LSTMCell`'s.
    /// - Throws: `RecurrentError` for a wrong shape or a non-finite value.
    public func callAsFunction(_ x: Tensor<Scalar>, state: LSTMCell<Scalar>.State? = nil) throws -> LSTMCell<Scalar>.Step {
        let shapes = try CellStepShapes(input: x, inputSize: inputSize)
        let H = hiddenSize
        let r = core.step(x: x.scalars, batch: shapes.batch, h: try shapes.elements(of: state?.h, name: "h", size: H),
                          c: try shapes.elements(of: state?.c, name: "c", size: H))
        return LSTMCell<Scalar>.Step(
            i: shapes.gate(r.gates, block: 0, of: 4, size: H), f: shapes.gate(r.gates, block: 1, of: 4, size: H),
            g: shapes.gate(r.gates, block: 2, of: 4, size: H), o: shapes.gate(r.gates, block: 3, of: 4, size: H),
            c: shapes.tensor(r.c ?? [], size: H), h: shapes.tensor(r.h, size: H))
    }
}
