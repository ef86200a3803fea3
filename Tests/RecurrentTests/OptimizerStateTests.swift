import Foundation
import Testing
@testable import Recurrent

@Suite("Optimizers: checkpoints")
struct OptimizerCheckpointTests {
    static let configurations: [OptimizerConfiguration] = [
        .init(kind: .sgd, learningRate: 0.1),
        .init(kind: .sgd, learningRate: 0.1, momentum: 0.9, dampening: 0.3, weightDecay: 0.01),
        .init(kind: .sgd, learningRate: 0.05, momentum: 0.9, nesterov: true),
        .init(kind: .adam, learningRate: 0.01, weightDecay: 0.05),
        .init(kind: .adamw, learningRate: 0.01),
    ]

    @Test("Restoring (stepCount, state) and continuing is bit-identical to never stopping",
          arguments: configurations)
    func resume(_ configuration: OptimizerConfiguration) throws {
        let n = 37
        let start = (0..<n).map { Float(sin(Double($0))) }
        let gradients = (0..<6).map { s in (0..<n).map { Float(cos(Double($0 * 7 + s * 3))) } }
        let schedule = LearningRateSchedule.cosine(totalSteps: 6, minimum: 0.001)
        func lr(_ k: Int) throws -> Double { try schedule.learningRate(base: configuration.learningRate, step: k) }

        var straight = try Optimizer<Float>(configuration, parameterCount: n)
        var p1 = start
        for k in 0..<6 { try straight.step(parameters: &p1, gradients: gradients[k], learningRate: try lr(k)) }

        var first = try Optimizer<Float>(configuration, parameterCount: n)
        var p2 = start
        for k in 0..<3 { try first.step(parameters: &p2, gradients: gradients[k], learningRate: try lr(k)) }
        let saved = (first.stepCount, first.state)
        var resumed = try Optimizer<Float>(configuration, parameterCount: n, stepCount: saved.0, state: saved.1)
        #expect(resumed == first)
        for k in 3..<6 { try resumed.step(parameters: &p2, gradients: gradients[k], learningRate: try lr(k)) }

        #expect(p1 == p2)
        #expect(resumed == straight)
        #expect(resumed.stepCount == 6)
        // the earlier copy is unaffected by the resumed optimizer's steps
        #expect(first.stepCount == 3 && first.state == saved.1)
    }

    @Test("Restoring rejects unknown, missing or mis-sized buffers and bad values")
    func restoreValidation() {
        let sgd = OptimizerConfiguration(kind: .sgd, learningRate: 0.1, momentum: 0.9)
        let adam = OptimizerConfiguration(kind: .adam, learningRate: 0.1)
        let ok: [Float] = [0, 0, 0]
        var message = recurrentErrorMessage(.name) {
            _ = try Optimizer<Float>(sgd, parameterCount: 3, stepCount: 1, state: ["exp_avg": ok])
        }
        #expect(message == "optimizer state: unknown buffer 'exp_avg' for sgd (expected: momentum_buffer)")
        message = recurrentErrorMessage(.name) { _ = try Optimizer<Float>(sgd, parameterCount: 3, stepCount: 2, state: [:]) }
        #expect(message == "optimizer state: missing 'momentum_buffer' after 2 steps")
        message = recurrentErrorMessage(.shape) {
            _ = try Optimizer<Float>(sgd, parameterCount: 3, stepCount: 1, state: ["momentum_buffer": [0, 0]])
        }
        #expect(message == "optimizer state 'momentum_buffer': expected 3 values, got 2")
        message = recurrentErrorMessage(.name) {
            _ = try Optimizer<Float>(adam, parameterCount: 3, stepCount: 4, state: ["exp_avg": ok])
        }
        #expect(message == "optimizer state: missing 'exp_avg_sq' after 4 steps")
        message = recurrentErrorMessage(.value) {
            _ = try Optimizer<Float>(adam, parameterCount: 3, stepCount: 4, state: ["exp_avg": ok, "exp_avg_sq": [0, -1, 0]])
        }
        #expect(message == "optimizer state 'exp_avg_sq' has negative values")
        message = recurrentErrorMessage(.value) {
            _ = try Optimizer<Float>(adam, parameterCount: 3, stepCount: 4, state: ["exp_avg": [0, .nan, 0], "exp_avg_sq": ok])
        }
        #expect(message == "optimizer state 'exp_avg' contains NaN or infinity")
        message = recurrentErrorMessage(.value) { _ = try Optimizer<Float>(adam, parameterCount: 3, stepCount: -1, state: [:]) }
        #expect(message == "optimizer step count must be in 0...9007199254740992, got -1")
        message = recurrentErrorMessage(.name) {
            _ = try Optimizer<Float>(.init(kind: .sgd, learningRate: 0.1), parameterCount: 3, stepCount: 1, state: ["momentum_buffer": ok])
        }
        #expect(message == "optimizer state: unknown buffer 'momentum_buffer' for sgd (expected: none)")
    }

    @Test("Adam's moments exist from the start; SGD's momentum buffer only after the first step")
    func initialState() throws {
        let adam = try Optimizer<Float>(.init(kind: .adamw, learningRate: 0.1), parameterCount: 2)
        #expect(adam.state == ["exp_avg": [0, 0], "exp_avg_sq": [0, 0]])
        #expect(adam.stepCount == 0)
        var sgd = try Optimizer<Float>(.init(kind: .sgd, learningRate: 0.1, momentum: 0.5), parameterCount: 2)
        #expect(sgd.state.isEmpty)
        var p: [Float] = [1, 1]
        try sgd.step(parameters: &p, gradients: [1, 2], learningRate: 0.1)
        #expect(sgd.state == ["momentum_buffer": [1, 2]])
    }
}

@Suite("Optimizers: vector kernels")
struct OptimizerKernelTests {
    /// PyTorch's rules one element at a time, in Double, in the same operation order.
    struct ScalarReference {
        var c: OptimizerConfiguration
        var t = 0
        var buf: [Double]? = nil
        var m: [Double], v: [Double]

        init(_ c: OptimizerConfiguration, count: Int) {
            self.c = c
            m = Array(repeating: 0, count: count)
            v = Array(repeating: 0, count: count)
        }

        mutating func step(_ p: inout [Double], _ g: [Double], lr: Double) {
            t += 1
            if c.kind == .sgd {
                var d = g
                if c.weightDecay != 0 { for i in d.indices { d[i] = g[i] + c.weightDecay * p[i] } }
                if c.momentum != 0 {
                    if let old = buf {
                        buf = old.indices.map { old[$0] * c.momentum + (1 - c.dampening) * d[$0] }
                    } else {
                        buf = d
                    }
                    d = c.nesterov ? d.indices.map { d[$0] + c.momentum * buf![$0] } : buf!
                }
                for i in p.indices { p[i] = p[i] + -lr * d[i] }
                return
            }
            let bc1 = 1 - pow(c.beta1, Double(t)), bc2 = (1 - pow(c.beta2, Double(t))).squareRoot()
            for i in p.indices {
                var grad = g[i]
                if c.kind == .adam && c.weightDecay != 0 { grad = grad + c.weightDecay * p[i] }
                if c.kind == .adamw && c.weightDecay != 0 { p[i] = p[i] * (1 - lr * c.weightDecay) }
                let w = 1 - c.beta1   // torch.lerp's two forms
                m[i] = w < 0.5 ? m[i] + w * (grad - m[i]) : grad - (grad - m[i]) * (1 - w)
                v[i] = v[i] * c.beta2 + (1 - c.beta2) * grad * grad
                p[i] = p[i] + -(lr / bc1) * m[i] / (v[i].squareRoot() / bc2 + c.epsilon)
            }
        }
    }

    static let configurations: [OptimizerConfiguration] = OptimizerCheckpointTests.configurations + [
        .init(kind: .adamw, learningRate: 0.02, weightDecay: 0.3, beta1: 0.8),
        .init(kind: .adam, learningRate: 0.02, beta1: 0.3, beta2: 0.5),   // lerp's second form
    ]

    @Test("Eight-lane kernels and their tails give exactly the element-by-element rule", arguments: configurations)
    func matchesScalarRule(_ configuration: OptimizerConfiguration) throws {
        let n = 29   // three full chunks of 8 and a tail of 5
        var p = (0..<n).map { sin(Double($0) * 1.3) }
        var reference = ScalarReference(configuration, count: n)
        var expected = p
        var optimizer = try Optimizer<Double>(configuration, parameterCount: n)
        for s in 0..<4 {
            let g = (0..<n).map { cos(Double($0 * 5 + s)) * Double(s + 1) }
            let lr = configuration.learningRate / Double(s + 1)
            try optimizer.step(parameters: &p, gradients: g, learningRate: lr)
            reference.step(&expected, g, lr: lr)
            #expect(p == expected, "\(configuration.kind) step \(s + 1)")
        }
        if configuration.kind == .sgd {
            #expect(optimizer.state["momentum_buffer"] == reference.buf)
        } else {
            #expect(optimizer.state["exp_avg"] == reference.m)
            #expect(optimizer.state["exp_avg_sq"] == reference.v)
        }
    }
}
