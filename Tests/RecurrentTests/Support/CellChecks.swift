import Foundation
import Testing
@testable import Recurrent

/// The checks a cell passes, in one place: its networks against the float64 reference of its
/// equations (the cells added after PyTorch's), and its gradients against finite differences
/// (every cell: the gradient-check suite too).
enum CellChecks {
    /// Double and Float networks of `cfg` against `Reference.network` (1e-12 and 1e-5), batch 1
    /// and batch 3 with lengths 7, 2, 5; parameters from `parameterSeed`, the input, h0 and c0
    /// from `dataSeed`, `dataSeed + 1`, `dataSeed + 2`.
    static func expectMatchesReference(_ cfg: RecurrentConfiguration, parameterSeed: UInt64, dataSeed: UInt64) throws {
        for B in [1, 3] {
            let T = 7, rows = cfg.layers * cfg.directions
            let p = Reference.randomParameters(cfg, seed: parameterSeed)
            let x = Reference.randomArray(T * B * cfg.inputSize, seed: dataSeed)
            let h0 = Reference.randomArray(rows * B * cfg.hiddenSize, seed: dataSeed + 1)
            let c0 = Reference.randomArray(rows * B * cfg.hiddenSize, seed: dataSeed + 2)
            let lengths = B == 3 ? [7, 2, 5] : nil
            let expected = Reference.network(cfg, p, x: x, T: T, B: B, lengths: lengths, h0: h0, c0: c0)
            let double = try RecurrentNetwork<Double>.make(cfg, p)
            let state = RecurrentState<Double>(h: try Tensor(shape: [rows, B, cfg.hiddenSize], scalars: h0),
                                               c: try Tensor(shape: [rows, B, cfg.hiddenSize], scalars: c0))
            let (y, final) = try double(try Tensor(shape: [T, B, cfg.inputSize], scalars: x), initialState: state, lengths: lengths)
            #expect(maxAbsDiff(y.scalars, expected.output) < 1e-12, "B = \(B)")
            #expect(maxAbsDiff(final.h.scalars, expected.hN) < 1e-12 && maxAbsDiff(final.c!.scalars, expected.cN) < 1e-12)
            let float = try RecurrentNetwork<Float>.make(cfg, p)
            let floatState = RecurrentState<Float>(h: try Tensor(shape: [rows, B, cfg.hiddenSize], scalars: h0.map { Float($0) }),
                                                   c: try Tensor(shape: [rows, B, cfg.hiddenSize], scalars: c0.map { Float($0) }))
            let (yf, finalF) = try float(try Tensor(shape: [T, B, cfg.inputSize], scalars: x.map { Float($0) }),
                                         initialState: floatState, lengths: lengths)
            #expect(maxAbsDiff(yf.scalars, expected.output) < 1e-5, "B = \(B)")
            #expect(maxAbsDiff(finalF.c!.scalars, expected.cN) < 1e-5)
        }
    }

    /// ∂L/∂(parameters, input, h0, and c0 for a cell with a memory cell) of a linear probe over 4
    /// steps against finite differences (relative 1e-6), for a network drawn from `networkSeed`;
    /// returns the analytic gradients.
    @discardableResult
    static func expectGradientsMatchFiniteDifferences(_ cfg: RecurrentConfiguration, lengths: [Int]?, batch B: Int,
                                                      networkSeed: UInt64, lossSeed: UInt64) throws
        -> (net: RecurrentNetwork<Double>, params: [Double]) {
        let net = try RecurrentNetwork<Double>(cfg, seed: networkSeed)
        let loss = LinearProbeLoss(cfg, T: 4, B: B, seed: lossSeed, lengths: lengths)
        let analytic = loss.gradients(net)
        let numeric = finiteDifferences(net.parameters.storage) { p in
            var n = net
            n.parameters.storage = p
            return loss.value(n)
        }
        #expect(relativeError(analytic.params, numeric) < 1e-6)
        #expect(relativeError(analytic.x, finiteDifferences(loss.x) { loss.value(net, x: $0) }) < 1e-6)
        #expect(relativeError(analytic.h0, finiteDifferences(loss.h0!) { loss.value(net, h0: $0) }) < 1e-6)
        if cfg.cell.hasCellState {
            #expect(relativeError(analytic.c0, finiteDifferences(loss.c0!) { loss.value(net, c0: $0) }) < 1e-6)
        }
        return (net, analytic.params)
    }
}
