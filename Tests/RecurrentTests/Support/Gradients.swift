@testable import Recurrent

/// The test loss L = Σ output ⊙ R + Σ h_n ⊙ Rh + Σ c_n ⊙ Rc, and its gradients by the
/// library's backward pass.
struct LinearProbeLoss<Scalar: RecurrentScalar> {
    var T: Int, B: Int
    var x: [Scalar]
    var lengths: [Int]?
    var h0: [Scalar]?, c0: [Scalar]?
    var r: [Scalar], rh: [Scalar], rc: [Scalar]

    func value(_ net: RecurrentNetwork<Scalar>, x: [Scalar]? = nil, h0: [Scalar]? = nil, c0: [Scalar]? = nil) -> Double {
        let xs = x ?? self.x
        let h = h0 ?? self.h0, c = c0 ?? self.c0
        let result = xs.withUnsafeBufferPointer { xp in
            (h ?? []).withUnsafeBufferPointer { hp in
                (c ?? []).withUnsafeBufferPointer { cp in
                    net.forward(input: xp.baseAddress!, steps: T, batch: B, lengths: lengths,
                                h0: h == nil ? nil : hp.baseAddress, c0: c == nil ? nil : cp.baseAddress, recordTape: false)
                }
            }
        }
        var sum = 0.0
        for (a, w) in zip(result.output.array, r) { sum += Double(a) * Double(w) }
        for (a, w) in zip(result.hN.array, rh) { sum += Double(a) * Double(w) }
        if let cN = result.cN { for (a, w) in zip(cN.array, rc) { sum += Double(a) * Double(w) } }
        return sum
    }

    /// (∂L/∂parameters in storage order, ∂L/∂x, ∂L/∂h0, ∂L/∂c0)
    func gradients(_ net: RecurrentNetwork<Scalar>) -> (params: [Scalar], x: [Scalar], h0: [Scalar], c0: [Scalar]) {
        let result = x.withUnsafeBufferPointer { xp in
            (h0 ?? []).withUnsafeBufferPointer { hp in
                (c0 ?? []).withUnsafeBufferPointer { cp in
                    net.forward(input: xp.baseAddress!, steps: T, batch: B, lengths: lengths,
                                h0: h0 == nil ? nil : hp.baseAddress, c0: c0 == nil ? nil : cp.baseAddress, recordTape: true)
                }
            }
        }
        var grads = [Scalar](repeating: 0, count: net.parameterCount)
        let back = grads.withUnsafeMutableBufferPointer { g in
            r.withUnsafeBufferPointer { rp in
                rh.withUnsafeBufferPointer { rhp in
                    rc.withUnsafeBufferPointer { rcp in
                        net.backward(tape: result.tape!, dOutput: rp.baseAddress, dhN: rhp.baseAddress,
                                     dcN: net.configuration.cell.hasCellState ? rcp.baseAddress : nil,
                                     grads: g.baseAddress!, wantInputGradient: true)
                    }
                }
            }
        }
        return (grads, back.dInput!.array, back.dh0.array, back.dc0?.array ?? [])
    }
}

extension LinearProbeLoss where Scalar == Double {
    /// Random probe weights and inputs for a configuration.
    init(_ cfg: RecurrentConfiguration, T: Int, B: Int, seed: UInt64, lengths: [Int]? = nil, initialState: Bool = true) {
        let rows = cfg.layers * cfg.directions
        self.T = T
        self.B = B
        self.lengths = lengths
        x = Reference.randomArray(T * B * cfg.inputSize, seed: seed)
        h0 = initialState ? Reference.randomArray(rows * B * cfg.stateSize, seed: seed + 1, scale: 0.5) : nil
        c0 = initialState && cfg.cell.hasCellState ? Reference.randomArray(rows * B * cfg.hiddenSize, seed: seed + 2, scale: 0.5) : nil
        r = Reference.randomArray(T * B * cfg.outputSize, seed: seed + 3)
        rh = Reference.randomArray(rows * B * cfg.stateSize, seed: seed + 4)
        rc = Reference.randomArray(rows * B * cfg.hiddenSize, seed: seed + 5)
    }
}

/// Central finite differences of `f` at `point`, one coordinate at a time.
func finiteDifferences(_ point: [Double], step: Double = 1e-5, _ f: ([Double]) -> Double) -> [Double] {
    var p = point
    return point.indices.map { i in
        let saved = p[i]
        p[i] = saved + step
        let plus = f(p)
        p[i] = saved - step
        let minus = f(p)
        p[i] = saved
        return (plus - minus) / (2 * step)
    }
}

/// max |a - n| / max(max |n|, 1e-3): the error relative to the gradient's scale.
func relativeError(_ analytic: [Double], _ numeric: [Double]) -> Double {
    guard analytic.count == numeric.count else { return .infinity }
    let scale = max(numeric.map(abs).max() ?? 0, 1e-3)
    return zip(analytic, numeric).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
}
