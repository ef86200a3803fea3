import Testing
@testable import Recurrent

/// The course's claim, in small versions that run in CI.
@Suite("Experiments")
struct ExperimentTests {
    @Test("Adding problem, T = 30: the LSTM reaches MSE < 0.01, the simple RNN trained the same way stays near the trivial 0.04")
    func lstmBeatsSimpleRNN() throws {
        let lstm = try Experiments.adding(cell: .lstm, length: 30, steps: 1500, evaluateEvery: 250)
        let rnn = try Experiments.adding(cell: .rnn, length: 30, steps: 1500, evaluateEvery: 250)
        #expect(lstm.sequencesToCriterion != nil)
        #expect(lstm.finalMSE < AddingTask.criterionMSE)
        #expect(rnn.sequencesToCriterion == nil)
        #expect(rnn.finalMSE > 0.03)
    }

    @Test("An evaluation interval beyond the step budget evaluates once, at the end of the budget")
    func evaluationIntervalBeyondBudget() throws {
        let result = try Experiments.adding(cell: .rnn, length: 20, steps: 3, evaluateEvery: .max)
        #expect(result.curve.map(\.sequences) == [0, 3 * BuiltInTask.adding.recipe(length: 20).batchSize])
    }

    @Test("Gradient norms over 60 steps: the simple RNN's vanish, the LSTM's memory cell with an open forget gate keeps them")
    func gradientsVanishOrNot() throws {
        let rnn = try Experiments.gradientNorms(cell: .rnn, length: 60, sequences: 3)
        let gated = try Experiments.gradientNorms(cell: .gated, length: 60, sequences: 3)
        let lstm = try Experiments.gradientNorms(cell: .lstm, length: 60, sequences: 3, forgetBias: log(60.0))
        #expect(rnn[0] == 1 && lstm[0] == 1)
        #expect(rnn[59] < 1e-10)
        #expect(gated[59] > 100 * rnn[59])
        #expect(lstm[59] > 1e-3)
    }

    @Test("The gradient norms of one backward sweep equal, for every k, those of a separate pass over the last k steps from the state before them",
          arguments: [CellKind.rnn, .gated, .lstm, .gru])
    func gradientSweepMatchesSeparateSuffixPasses(cell: CellKind) throws {
        var g = SeededGenerator(seed: 5)
        let (T, H) = (12, 6)
        let net = try RecurrentNetwork<Double>(.init(cell: cell, inputSize: 1, hiddenSize: H), generator: &g)
        let x = (0..<T).map { _ in g.normal() }, r = (0..<H).map { _ in g.normal() }
        let sweep = Experiments.stateGradientLogNorms(net, x: x, r: r).map { exp($0) }
        #expect(sweep.count == T)
        for k in 1..<T {
            // The state after step T-1-k from the whole prefix at once; the last k steps from it, backward from r.
            let state = try net(Tensor(shape: [T - k, 1], scalars: Array(x[0..<(T - k)]))).state
            let suffix = Array(x[(T - k)...]), cells = state.c?.scalars ?? []
            let result = suffix.withUnsafeBufferPointer { xp in
                state.h.scalars.withUnsafeBufferPointer { hp in
                    cells.withUnsafeBufferPointer { cp in
                        net.forward(input: xp.baseAddress!, steps: k, batch: 1, lengths: nil, h0: hp.baseAddress,
                                    c0: state.c == nil ? nil : cp.baseAddress, recordTape: true)
                    }
                }
            }
            var grads = [Double](repeating: 0, count: net.parameterCount)
            let dh0 = grads.withUnsafeMutableBufferPointer { gp in
                r.withUnsafeBufferPointer { rp in
                    net.backward(tape: result.tape!, dOutput: nil, dhN: rp.baseAddress, dcN: nil, grads: gp.baseAddress!,
                                 wantInputGradient: false).dh0.array
                }
            }
            let separate = dh0.reduce(0) { $0 + $1 * $1 }.squareRoot()
            #expect(abs(sweep[k] - separate) <= 1e-12 * separate, "k = \(k): \(sweep[k]) against \(separate)")
        }
    }

    @Test("A norm is scaled before squaring: gradients of 1e-160 keep their norm (their squares underflow), not 0")
    func tinyNormsKept() throws {
        #expect(abs(Experiments.euclideanLength([3e-160, -4e-160]) / 5e-160 - 1) < 1e-15)
        #expect(Experiments.euclideanLength([0, 0]) == 0 && Experiments.euclideanLength([1e300, 1e300]) == 1e300 * 2.0.squareRoot())
        #expect(Experiments.euclideanLength([0, .nan]).isNaN && Experiments.euclideanLength([.infinity, 1]) == .infinity)
        let rnn = try Experiments.gradientNorms(cell: .rnn, length: 600, sequences: 1)
        #expect(rnn[599] > 0 && rnn[599] < 1e-120, "\(rnn[599])")   // was 0, then shown as the floor 1e-300
    }

    @Test("Gradient norms far below a Double's range are printed in full: no 0, no subnormal stuck at 4.941e-324")
    func normsBelowDoubleRange() throws {
        // Plain float64 gave 0 for the rnn and held the GRU at 4.941e-324 (subnormal rounding) from T = 2500 on.
        let result = try CLI.run(["experiment", "gradients", "--length", "3000", "--hidden", "4", "--sequences", "1"])
        #expect(result.status == 0, "\(result.stderr)")
        let last = try #require(result.stdout.split(separator: "\n").last).split(separator: " ")
        #expect(last.count == 6 && last[0] == "2999", "\(result.stdout)")
        let exponents = last.dropFirst().compactMap { $0.split(separator: "e").last.flatMap { Int($0) } }
        #expect(exponents.count == 5 && exponents[0] < -400 && exponents[4] < -400, "\(last)")
    }

    @Test("Rescaling the gradient as it shrinks changes no norm: down to 1e-250, where plain float64 still holds it, they agree",
          arguments: [CellKind.rnn, .gru])   // the LSTM's fall too slowly to need it in 800 steps
    func rescalingIsExact(cell: CellKind) throws {
        var g = SeededGenerator(seed: 3)
        let net = try RecurrentNetwork<Double>(.init(cell: cell, inputSize: 1, hiddenSize: 32), generator: &g)
        let x = (0..<800).map { _ in g.normal() }, r = [1.0] + [Double](repeating: 0, count: 31)
        let scaled = Experiments.stateGradientLogNorms(net, x: x, r: r)
        let plain = Experiments.stateGradientLogNorms(net, x: x, r: r, rescaling: false)
        let compared = zip(scaled, plain).filter { $0.1 > -250 * M_LN10 }
        // Below 2^-332 (1.1e-100) the sweep rescales: the comparison passes through it.
        #expect(compared.count > 250 && scaled.min()! < -110 * M_LN10, "\(compared.count), \(scaled.min()!)")
        #expect(compared.allSatisfy { abs($0.0 - $0.1) <= 1e-9 * abs($0.1) + 1e-12 })
    }

    @Test("Gradient norms over more steps than memory holds are refused before anything is allocated")
    func gradientNormsTooLongForMemory() throws {
        let error = try #require(throws: RecurrentError.self) {
            try Experiments.gradientNorms(cell: .rnn, hiddenSize: 32, length: 1 << 40)
        }
        expectMemoryRefusal(error.message, needing: "the gradient norms over 1099511627776 steps of 32 units would need 1.0 PB of memory; ")
    }
}

import Foundation
