import Foundation
@testable import Recurrent

/// A float64 reference written straight from the equations with plain loops and libm, sharing
/// no code with the library. Parameters by PyTorch name, flat row-major `[Double]`.
enum Reference {
    static func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

    /// y = W v (+ b), W rows × cols row-major.
    static func matvec(_ w: [Double], _ v: [Double], rows: Int, cols: Int) -> [Double] {
        (0..<rows).map { r in (0..<cols).reduce(0.0) { $0 + w[r * cols + $1] * v[$1] } }
    }

    struct Cell {
        var kind: CellKind
        var nonlinearity: Nonlinearity = .tanh
        var X: Int, H: Int, P: Int = 0
        var wih: [Double], whh: [Double]
        var bih: [Double]?, bhh: [Double]?
        var whr: [Double]?
        /// The peephole LSTM's p_i, p_f, p_o.
        var pci: [Double]? = nil, pcf: [Double]? = nil, pco: [Double]? = nil

        var hOut: Int { P > 0 ? P : H }

        /// One step for one sequence: returns (h, c).
        func step(x: [Double], h: [Double], c: [Double]) -> (h: [Double], c: [Double]) {
            let G = kind.gateCount
            var gi = matvec(wih, x, rows: G * H, cols: X)
            var gh = matvec(whh, h, rows: G * H, cols: hOut)
            for j in 0..<(G * H) {
                gi[j] += bih?[j] ?? 0
                gh[j] += bhh?[j] ?? 0
            }
            switch kind {
            case .rnn:
                let s = (0..<H).map { j in
                    let a = gi[j] + gh[j]
                    return nonlinearity == .tanh ? tanh(a) : max(a, 0)
                }
                return (s, [])
            case .gated:
                var s = [Double](repeating: 0, count: H)
                for j in 0..<H {
                    let g = sigmoid(gi[j] + gh[j])
                    let cand = tanh(gi[H + j] + gh[H + j])
                    s[j] = (1 - g) * h[j] + g * cand
                }
                return (s, [])
            case .lstm, .peephole, CellKind(rawValue: "cifg"):
                return memoryStep(gi, gh, c)
            case .gru:
                var hNew = [Double](repeating: 0, count: H)
                for j in 0..<H {
                    let r = sigmoid(gi[j] + gh[j]), z = sigmoid(gi[H + j] + gh[H + j])
                    let n = tanh(gi[2 * H + j] + r * gh[2 * H + j])
                    hNew[j] = (1 - z) * n + z * h[j]
                }
                return (hNew, [])
            default:
                fatalError("no float64 reference for the \(kind) cell: add its equations here")
            }
        }

        /// The cells with a memory c (the LSTM, its peephole and CIFG variants), from the two
        /// pre-activations: returns (h, c).
        private func memoryStep(_ gi: [Double], _ gh: [Double], _ c: [Double]) -> (h: [Double], c: [Double]) {
            switch kind {
            case .lstm:
                var cNew = [Double](repeating: 0, count: H), raw = [Double](repeating: 0, count: H)
                for j in 0..<H {
                    let i = sigmoid(gi[j] + gh[j]), f = sigmoid(gi[H + j] + gh[H + j])
                    let g = tanh(gi[2 * H + j] + gh[2 * H + j]), o = sigmoid(gi[3 * H + j] + gh[3 * H + j])
                    cNew[j] = f * c[j] + i * g
                    raw[j] = o * tanh(cNew[j])
                }
                let hNew = whr.map { matvec($0, raw, rows: P, cols: H) } ?? raw
                return (hNew, cNew)
            case .peephole:
                // Gers & Schmidhuber (2000): i and f see c_{t-1}, o sees c_t.
                var cNew = [Double](repeating: 0, count: H), hNew = [Double](repeating: 0, count: H)
                for j in 0..<H {
                    let i = sigmoid(gi[j] + gh[j] + pci![j] * c[j]), f = sigmoid(gi[H + j] + gh[H + j] + pcf![j] * c[j])
                    let g = tanh(gi[2 * H + j] + gh[2 * H + j])
                    cNew[j] = f * c[j] + i * g
                    let o = sigmoid(gi[3 * H + j] + gh[3 * H + j] + pco![j] * cNew[j])
                    hNew[j] = o * tanh(cNew[j])
                }
                return (hNew, cNew)
            case CellKind(rawValue: "cifg"):
                // Greff et al. (2017): the forget gate is 1 - i; blocks i, g, o.
                var cNew = [Double](repeating: 0, count: H), hNew = [Double](repeating: 0, count: H)
                for j in 0..<H {
                    let i = sigmoid(gi[j] + gh[j]), g = tanh(gi[H + j] + gh[H + j])
                    let o = sigmoid(gi[2 * H + j] + gh[2 * H + j])
                    cNew[j] = (1 - i) * c[j] + i * g
                    hNew[j] = o * tanh(cNew[j])
                }
                return (hNew, cNew)
            default:
                fatalError("no float64 reference for the \(kind) cell: add its equations here")
            }
        }
    }

    static func cell(_ cfg: RecurrentConfiguration, _ p: [String: [Double]], layer: Int, reverse: Bool) -> Cell {
        let sfx = RecurrentConfiguration.suffix(layer: layer, reverse: reverse)
        return Cell(kind: cfg.cell, nonlinearity: cfg.nonlinearity,
                    X: layer == 0 ? cfg.inputSize : cfg.outputSize, H: cfg.hiddenSize, P: cfg.projectionSize,
                    wih: p["weight_ih" + sfx]!, whh: p["weight_hh" + sfx]!, bih: p["bias_ih" + sfx],
                    bhh: p["bias_hh" + sfx], whr: p["weight_hr" + sfx], pci: p["weight_ci" + sfx], pcf: p["weight_cf" + sfx],
                    pco: p["weight_co" + sfx])
    }

    /// A whole network on a sequence-first batch x `(T, B, X)` flat; lengths as PyTorch's packed
    /// sequences; h0 `(L·D, B, Hout)`, c0 `(L·D, B, H)` flat or nil.
    static func network(
        _ cfg: RecurrentConfiguration, _ p: [String: [Double]], x: [Double], T: Int, B: Int,
        lengths: [Int]? = nil, h0: [Double]? = nil, c0: [Double]? = nil
    ) -> (output: [Double], hN: [Double], cN: [Double]) {
        let D = cfg.directions, P = cfg.stateSize, H = cfg.hiddenSize
        let hasC = cfg.cell == .lstm || cfg.cell == .peephole || cfg.cell.rawValue == "cifg"
        var input = x
        var hN = [Double](repeating: 0, count: cfg.layers * D * B * P)
        var cN = [Double](repeating: 0, count: cfg.layers * D * B * H)
        for layer in 0..<cfg.layers {
            let inSize = layer == 0 ? cfg.inputSize : cfg.outputSize
            var out = [Double](repeating: 0, count: T * B * D * P)
            for d in 0..<D {
                let cell = cell(cfg, p, layer: layer, reverse: d == 1)
                let row = layer * D + d
                for b in 0..<B {
                    let len = lengths?[b] ?? T
                    var h = h0.map { Array($0[((row * B + b) * P)..<((row * B + b + 1) * P)]) }
                        ?? [Double](repeating: 0, count: P)
                    var c = c0.map { Array($0[((row * B + b) * H)..<((row * B + b + 1) * H)]) }
                        ?? [Double](repeating: 0, count: H)
                    let order = d == 0 ? Array(0..<len) : Array((0..<len).reversed())
                    for t in order {
                        let xt = Array(input[((t * B + b) * inSize)..<((t * B + b + 1) * inSize)])
                        (h, c) = cell.step(x: xt, h: h, c: c)
                        for j in 0..<P { out[(t * B + b) * D * P + d * P + j] = h[j] }
                    }
                    for j in 0..<P { hN[(row * B + b) * P + j] = h[j] }
                    if hasC { for j in 0..<H { cN[(row * B + b) * H + j] = c[j] } }
                }
            }
            input = out
        }
        return (input, hN, hasC ? cN : [])
    }

    /// Random parameters by name for a configuration.
    static func randomParameters(_ cfg: RecurrentConfiguration, seed: UInt64, scale: Double = 0.5) -> [String: [Double]] {
        var g = SeededGenerator(seed: seed)
        var p: [String: [Double]] = [:]
        for (name, shape) in cfg.parameterShapes {
            p[name] = (0..<shape.reduce(1, *)).map { _ in g.uniform(-scale, scale) }
        }
        return p
    }

    static func randomArray(_ count: Int, seed: UInt64, scale: Double = 1) -> [Double] {
        var g = SeededGenerator(seed: seed)
        return (0..<count).map { _ in g.uniform(-scale, scale) }
    }
}

extension RecurrentNetwork {
    /// A network holding the given parameters (by name, flat).
    static func make(_ cfg: RecurrentConfiguration, _ p: [String: [Double]]) throws -> RecurrentNetwork {
        var net = try RecurrentNetwork(cfg)
        for (name, shape) in cfg.parameterShapes {
            try net.setParameter(name, Tensor(shape: shape, scalars: p[name]!.map { Scalar($0) }))
        }
        return net
    }
}

/// The largest absolute difference between two arrays (infinity if the counts differ).
func maxAbsDiff<A: BinaryFloatingPoint, B: BinaryFloatingPoint>(_ a: [A], _ b: [B]) -> Double {
    guard a.count == b.count else { return .infinity }
    return zip(a, b).reduce(0.0) { max($0, abs(Double($1.0) - Double($1.1))) }
}
