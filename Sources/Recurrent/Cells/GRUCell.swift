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

// The GRU's element-wise step, forward and backward, with PyTorch's exact equations (gate
// blocks r, z, n; the hidden bias of n inside the reset product):
//
//   r = σ(W_ir x + b_ir + W_hr h + b_hr)
//   z = σ(W_iz x + b_iz + W_hz h + b_hz)
//   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
//   h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}         computed as n + z ⊙ (h_{t-1} - n), as PyTorch does

enum GRUMath<Scalar: RecurrentScalar> {
    /// Forward. `gi` (B, 3H): W_ih x + b_ih in, activations (r, z, n) out. `gh` (B, 3H):
    /// W_hh h + b_hh. Writes h_t (B, H) to `h`, and W_hn h + b_hn to `ghn` (B, H) when given.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    static func forward(
        gi: UnsafeMutablePointer<Scalar>, gh: UnsafePointer<Scalar>, hPrev: UnsafePointer<Scalar>,
        h: UnsafeMutablePointer<Scalar>, ghn: UnsafeMutablePointer<Scalar>?, batch: Int, hidden: Int
    ) {
        let H = hidden
        for b in 0..<batch {
            let a = gi + b * 3 * H, ah = gh + b * 3 * H, hp = hPrev + b * H, hn = h + b * H
            forEachLaneChunk16(H) { j, n in
                let r = Scalar.sigmoid(load16(a + j, n) + load16(ah + j, n))
                let z = Scalar.sigmoid(load16(a + H + j, n) + load16(ah + H + j, n))
                let hnGate = load16(ah + 2 * H + j, n)
                let cand = Scalar.tanh(multiplyAdd(r, hnGate, load16(a + 2 * H + j, n)))
                store16(r, a + j, n)
                store16(z, a + H + j, n)
                store16(cand, a + 2 * H + j, n)
                if let ghn { store16(hnGate, ghn + b * H + j, n) }
                store16(multiplyAdd(z, load16(hp + j, n) - cand, cand), hn + j, n)
            }
        }
    }

    /// Backward. Given the activations (r, z, n) in `gates` (B, 3H), `ghn` (B, H), `hPrev` and
    /// `dh` = ∂L/∂h_t (B, H): writes ∂L/∂(W_ih x + b_ih) to `dGi` (B, 3H), ∂L/∂(W_hh h + b_hh)
    /// to `dGh` (B, 3H), and the direct part z ⊙ dh of ∂L/∂h_{t-1} to `dhPrev` (B, H).
    /// With `units`, only units 0 ..< units of each row (the gate blocks stay `hidden` apart).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    static func backward(
        gates: UnsafePointer<Scalar>, ghn: UnsafePointer<Scalar>, hPrev: UnsafePointer<Scalar>,
        dh: UnsafePointer<Scalar>, dGi: UnsafeMutablePointer<Scalar>, dGh: UnsafeMutablePointer<Scalar>,
        dhPrev: UnsafeMutablePointer<Scalar>, batch: Int, hidden: Int, units: Int? = nil
    ) {
        let H = hidden
        let one = SIMD16<Scalar>(repeating: 1)
        for b in 0..<batch {
            let a = gates + b * 3 * H, di = dGi + b * 3 * H, dhh = dGh + b * 3 * H
            let ghb = ghn + b * H, hp = hPrev + b * H, dhb = dh + b * H, dpb = dhPrev + b * H
            forEachLaneChunk16(units ?? H) { j, n in
                let r = load16(a + j, n), z = load16(a + H + j, n), cand = load16(a + 2 * H + j, n)
                let dhv = load16(dhb + j, n)
                let dn = dhv * (one - z) * (one - cand * cand)
                let dz = dhv * (load16(hp + j, n) - cand) * z * (one - z)
                let dr = dn * load16(ghb + j, n) * r * (one - r)
                store16(dr, di + j, n)
                store16(dz, di + H + j, n)
                store16(dn, di + 2 * H + j, n)
                store16(dr, dhh + j, n)
                store16(dz, dhh + H + j, n)
                store16(dn * r, dhh + 2 * H + j, n)
                store16(dhv * z, dpb + j, n)
            }
        }
    }
}
