import Foundation
import Testing
@testable import Recurrent

/// An `optim/<name>` case written by `scripts/make_torch_fixtures.py` (Part 3).
struct OptimFixture {
    static let root = TorchCase.root.appendingPathComponent("optim")
    static let expectedNames = ["adam", "adam_clipped", "adam_cosine", "adam_wd", "adamw", "sgd_clipped",
                                "sgd_dampening", "sgd_momentum", "sgd_nesterov_wd", "sgd_plain", "sgd_steplr"]
    static var all: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []).filter {
            FileManager.default.fileExists(atPath: root.appendingPathComponent("\($0)/optimizer.json").path)
        }.sorted()
    }

    let directory: URL
    let json: [String: Any]

    init(_ name: String) throws {
        directory = Self.root.appendingPathComponent(name)
        json = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("optimizer.json")))
            as! [String: Any]
    }

    func url(_ file: String) -> URL { directory.appendingPathComponent(file) }
    func number(_ key: String) -> Double { (json[key] as! NSNumber).doubleValue }
    func numbers(_ key: String) -> [Double] { (json[key] as! [NSNumber]).map(\.doubleValue) }
    var steps: Int { json["steps"] as! Int }
    var clip: Double? { (json["clip_grad_norm"] as? NSNumber)?.doubleValue }

    var configuration: OptimizerConfiguration {
        let kind = OptimizerKind(rawValue: json["optimizer"] as! String)!
        if kind == .sgd {
            return OptimizerConfiguration(kind: kind, learningRate: number("lr"), momentum: number("momentum"),
                                          dampening: number("dampening"), nesterov: json["nesterov"] as! Bool,
                                          weightDecay: number("weight_decay"))
        }
        #expect(json["amsgrad"] as? Bool == false)
        let betas = numbers("betas")
        return OptimizerConfiguration(kind: kind, learningRate: number("lr"), weightDecay: number("weight_decay"),
                                      beta1: betas[0], beta2: betas[1], epsilon: number("eps"))
    }

    var schedule: LearningRateSchedule {
        guard let s = json["scheduler"] as? [String: Any] else { return .constant }
        switch s["scheduler"] as! String {
        case "step": return .step(stepSize: s["step_size"] as! Int, gamma: (s["gamma"] as! NSNumber).doubleValue)
        case "cosine": return .cosine(totalSteps: s["t_max"] as! Int, minimum: (s["eta_min"] as! NSNumber).doubleValue)
        default: fatalError("unknown scheduler \(s)")
        }
    }
}

/// One forward and backward pass of L = Σ output ⊙ r: (L, ∂L/∂parameters).
func probeLossAndGradients(_ net: RecurrentNetwork<Float>, x: Tensor<Float>, r: Tensor<Float>) -> (Double, [Float]) {
    let (T, B) = (x.shape[0], x.shape[1])
    let result = x.withUnsafeBufferPointer { xp in
        net.forward(input: xp.baseAddress!, steps: T, batch: B, lengths: nil, h0: nil, c0: nil, recordTape: true)
    }
    var loss = 0.0
    for (y, w) in zip(result.output.array, r.scalars) { loss += Double(y) * Double(w) }
    var grads = [Float](repeating: 0, count: net.parameterCount)
    grads.withUnsafeMutableBufferPointer { g in
        r.withUnsafeBufferPointer { rp in
            _ = net.backward(tape: result.tape!, dOutput: rp.baseAddress, dhN: nil, dcN: nil,
                             grads: g.baseAddress!, wantInputGradient: false)
        }
    }
    return (loss, grads)
}

/// |a − b| <= tolerance · max(|b|, 1).
func closeRelative(_ a: Double, _ b: Double, _ tolerance: Double) -> Bool {
    abs(a - b) <= tolerance * max(abs(b), 1)
}

func expectClose(_ actual: [Double], _ expected: [Double], _ tolerance: Double = 1e-12,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, sourceLocation: sourceLocation)
    for (a, e) in zip(actual, expected) {
        #expect(abs(a - e) <= tolerance, "\(actual) vs \(expected)", sourceLocation: sourceLocation)
    }
}

/// The error message `body` throws, checked to be a `RecurrentError` of `kind`.
func recurrentErrorMessage(_ kind: RecurrentError.Kind, sourceLocation: SourceLocation = #_sourceLocation,
                           _ body: () throws -> Void) -> String {
    do {
        try body()
        Issue.record("expected a RecurrentError", sourceLocation: sourceLocation)
    } catch let error as RecurrentError {
        #expect(error.kind == kind, "\(error.message)", sourceLocation: sourceLocation)
        return error.message
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
    return ""
}

@Suite("Optimizers: PyTorch parity")
struct OptimizerParityTests {
    @Test("Every optimizer fixture is present")
    func fixturesPresent() {
        #expect(OptimFixture.all == OptimFixture.expectedNames)
    }

    @Test("Parameters after steps 1, 2, 3 match torch.optim within 1e-5; losses, norms and lrs match",
          arguments: OptimFixture.all)
    func parity(_ name: String) throws {
        let fixture = try OptimFixture(name)
        let configuration = fixture.configuration
        let schedule = fixture.schedule
        try schedule.validate()
        var net = try RecurrentNetwork<Float>.load(from: fixture.url("model.safetensors")).network
        let x: Tensor<Float> = try NPY.read(fixture.url("input.npy"))
        let r: Tensor<Float> = try NPY.read(fixture.url("r_output.npy"))
        var optimizer = try Optimizer<Float>(configuration, parameterCount: net.parameterCount)
        let (losses, lrs, norms) = (fixture.numbers("losses"), fixture.numbers("lrs"), fixture.numbers("grad_norms"))
        #expect(fixture.steps == 3)
        var worst: Float = 0
        for k in 0..<fixture.steps {
            let lr = try schedule.learningRate(base: configuration.learningRate, step: k)
            #expect(abs(lr - lrs[k]) <= 1e-12, "\(name) step \(k + 1): lr \(lr) vs \(lrs[k])")
            var (loss, grads) = probeLossAndGradients(net, x: x, r: r)
            #expect(closeRelative(loss, losses[k], 1e-4), "\(name) step \(k + 1): loss \(loss) vs \(losses[k])")
            let norm = if let clip = fixture.clip {
                try clipGradientNorm(&grads, maxNorm: clip)
            } else {
                grads.withUnsafeBufferPointer { sumOfSquares($0) }.squareRoot()
            }
            #expect(closeRelative(norm, norms[k], 1e-4), "\(name) step \(k + 1): grad norm \(norm) vs \(norms[k])")
            if let clip = fixture.clip {
                let clipped = grads.withUnsafeBufferPointer { sumOfSquares($0) }.squareRoot()
                #expect(abs(clipped - clip) <= 1e-5 * clip)
            }
            try optimizer.step(parameters: &net.parameters.storage, gradients: grads, learningRate: lr)
            #expect(optimizer.stepCount == k + 1)

            let expected = try SafetensorsFile<Float>.read(fixture.url("after_\(k + 1).safetensors"))
            #expect(Set(expected.names) == Set(net.parameters.names))
            for tensorName in net.parameters.names {
                let want = try #require(expected[tensorName], "\(name): after_\(k + 1) lacks \(tensorName)")
                let got = try #require(net.parameters[tensorName])
                #expect(got.shape == want.shape)
                let difference = got.maxAbsoluteDifference(want)
                worst = max(worst, difference)
                #expect(difference <= 1e-5, "\(name) step \(k + 1) \(tensorName): max |Δ| \(difference)")
            }
        }
        print("optim/\(name): max |Δ| over 3 steps = \(worst)")
    }
}

@Suite("Optimizers: update rules")
struct OptimizerRuleTests {
    /// Runs `gradients.count` steps from `start` and returns the parameters after each.
    func run(_ configuration: OptimizerConfiguration, start: [Double], gradients: [[Double]], lr: Double? = nil)
        throws -> (params: [[Double]], optimizer: Optimizer<Double>)
    {
        var optimizer = try Optimizer<Double>(configuration, parameterCount: start.count)
        var p = start
        var history: [[Double]] = []
        for g in gradients {
            try optimizer.step(parameters: &p, gradients: g, learningRate: lr ?? configuration.learningRate)
            history.append(p)
        }
        return (history, optimizer)
    }

    @Test("SGD without momentum: p − lr·g, no state")
    func plainSGD() throws {
        let (p, opt) = try run(.init(kind: .sgd, learningRate: 0.5), start: [1, -2], gradients: [[0.25, -1]])
        expectClose(p[0], [1 - 0.5 * 0.25, -2 + 0.5 * 1])
        #expect(opt.state.isEmpty)
    }

    @Test("SGD momentum: the first step's buffer is the gradient, undampened; dampening applies from step 2")
    func momentumFirstStep() throws {
        let cfg = OptimizerConfiguration(kind: .sgd, learningRate: 0.1, momentum: 0.9, dampening: 0.5)
        var opt = try Optimizer<Double>(cfg, parameterCount: 2)
        #expect(opt.state.isEmpty)
        var p = [1.0, -2.0]
        try opt.step(parameters: &p, gradients: [0.5, 0.25], learningRate: 0.1)
        // buf = g (no factor 1 − dampening = 0.5); p = p − 0.1·buf
        #expect(opt.state == ["momentum_buffer": [0.5, 0.25]])
        expectClose(p, [0.95, -2.025])
        try opt.step(parameters: &p, gradients: [1, -1], learningRate: 0.1)
        // buf = 0.9·buf + 0.5·g = [0.95, −0.275]
        expectClose(opt.state["momentum_buffer"]!, [0.95, -0.275])
        expectClose(p, [0.95 - 0.095, -2.025 + 0.0275])
    }

    @Test("Nesterov with L2 weight decay: d = g + wd·p, buf, then p −= lr·(d + μ·buf)")
    func nesterov() throws {
        let cfg = OptimizerConfiguration(kind: .sgd, learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.1)
        let (p, opt) = try run(cfg, start: [1], gradients: [[0.5], [0.5]])
        // step 1: d = 0.5 + 0.1 = 0.6, buf = 0.6, d = 0.6 + 0.54 = 1.14, p = 1 − 0.114
        expectClose(p[0], [0.886])
        // step 2: d = 0.5 + 0.0886 = 0.5886, buf = 0.54 + 0.5886 = 1.1286, d = 0.5886 + 1.01574 = 1.60434
        expectClose(p[1], [0.886 - 0.160434])
        expectClose(opt.state["momentum_buffer"]!, [1.1286])
    }

    @Test("Adam's bias correction makes a constant gradient step lr·g/(|g| + eps) at steps 1 and 2")
    func adamBiasCorrection() throws {
        let g = [2.0, -0.5, 0]
        let (p, opt) = try run(.init(kind: .adam, learningRate: 0.01), start: [0, 0, 0], gradients: [g, g])
        let step = g.map { 0.01 * $0 / (abs($0) + 1e-8) }   // ≈ lr · sign(g)
        expectClose(p[0], step.map { -$0 }, 1e-15)
        expectClose(p[1], step.map { -2 * $0 }, 1e-15)
        // m = 0.19 g and v = 0.001999 g² after two steps
        expectClose(opt.state["exp_avg"]!, g.map { 0.19 * $0 }, 1e-15)
        expectClose(opt.state["exp_avg_sq"]!, g.map { 0.001999 * $0 * $0 }, 1e-15)
        #expect(opt.stepCount == 2)
    }

    @Test("AdamW decays p by (1 − lr·wd) apart from the gradient; Adam adds wd·p to the gradient")
    func decoupledDecay() throws {
        let (adamw, _) = try run(.init(kind: .adamw, learningRate: 0.01, weightDecay: 0.1), start: [1, -4], gradients: [[0, 0]])
        expectClose(adamw[0], [1 - 0.001, -4 * (1 - 0.001)], 1e-15)   // zero gradient: decay only
        let (adam, _) = try run(.init(kind: .adam, learningRate: 0.01, weightDecay: 0.1), start: [1, -4], gradients: [[0, 0]])
        // g = wd·p = [0.1, −0.4]: an Adam step of lr·g/(|g| + eps)
        expectClose(adam[0], [1 - 0.01 * 0.1 / (0.1 + 1e-8), -4 + 0.01 * 0.4 / (0.4 + 1e-8)], 1e-15)
    }

    @Test("Defaults are PyTorch's: weight decay 0.01 for AdamW only, betas (0.9, 0.999), eps 1e-8")
    func defaults() {
        #expect(OptimizerConfiguration(kind: .adamw, learningRate: 1e-3).weightDecay == 0.01)
        #expect(OptimizerConfiguration(kind: .adam, learningRate: 1e-3).weightDecay == 0)
        #expect(OptimizerConfiguration(kind: .sgd, learningRate: 1e-3).weightDecay == 0)
        #expect(OptimizerConfiguration(kind: .adamw, learningRate: 1e-3, weightDecay: 0).weightDecay == 0)
        let adam = OptimizerConfiguration(kind: .adam, learningRate: 1e-3)
        #expect(adam.beta1 == 0.9 && adam.beta2 == 0.999 && adam.epsilon == 1e-8)
        #expect(adam.momentum == 0 && adam.dampening == 0 && !adam.nesterov)
    }

    @Test("Clipping scales to exactly maxNorm and returns the norm before; small gradients are untouched")
    func clipping() throws {
        var g: [Double] = [3, 4]
        #expect(try clipGradientNorm(&g, maxNorm: 1) == 5)
        expectClose(g, [3 / (5 + 1e-6), 4 / (5 + 1e-6)], 1e-15)
        #expect(abs((g[0] * g[0] + g[1] * g[1]).squareRoot() - 1) <= 1e-6)

        var small: [Double] = [0.3, -0.4]
        #expect(abs(try clipGradientNorm(&small, maxNorm: 1) - 0.5) <= 1e-15)
        #expect(small == [0.3, -0.4])

        // Float, with a length that is not a multiple of 8
        var long = (0..<1003).map { Float($0 % 17) - 8 }
        let expectedNorm = long.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        let norm = try clipGradientNorm(&long, maxNorm: 2.5)
        #expect(abs(norm - expectedNorm) <= 1e-12 * expectedNorm)
        let after = long.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        #expect(abs(after - 2.5) <= 1e-6 * 2.5)

        var empty: [Float] = []
        #expect(try clipGradientNorm(&empty, maxNorm: 1) == 0)
    }

    @Test("An infinite clip norm clips nothing, as in PyTorch; a negative or NaN one is refused, not a trap")
    func clippingBounds() throws {
        var g: [Double] = [3, 4]
        #expect(try clipGradientNorm(&g, maxNorm: .infinity) == 5)
        #expect(g == [3, 4])
        #expect(throws: RecurrentError.value("clip norm must be at least 0, got -1.0")) { try clipGradientNorm(&g, maxNorm: -1) }
        #expect(throws: RecurrentError.value("clip norm must be at least 0, got nan")) { try clipGradientNorm(&g, maxNorm: .nan) }
    }

    @Test("StepLR and cosine annealing at chosen steps")
    func schedules() throws {
        let stepLR = LearningRateSchedule.step(stepSize: 2, gamma: 0.5)
        #expect(try (0..<6).map { try stepLR.learningRate(base: 0.1, step: $0) } == [0.1, 0.1, 0.05, 0.05, 0.025, 0.025])
        let cosine = LearningRateSchedule.cosine(totalSteps: 4, minimum: 0.001)
        expectClose(try [0, 1, 2, 3, 4, 6, 8].map { try cosine.learningRate(base: 0.01, step: $0) },
                    [0.01, 0.001 + 0.009 * (1 + 0.5.squareRoot()) / 2, 0.0055, 0.001 + 0.009 * (1 - 0.5.squareRoot()) / 2,
                     0.001, 0.0055, 0.01], 1e-17)
        #expect(try LearningRateSchedule.constant.learningRate(base: 0.3, step: 99) == 0.3)
        try stepLR.validate()
        try cosine.validate()
        try LearningRateSchedule.constant.validate()
    }

    @Test("Invalid schedules throw naming the parameter")
    func scheduleValidation() {
        let cases: [(LearningRateSchedule, String)] = [
            (.step(stepSize: 0, gamma: 0.5), "step schedule: step size must be > 0, got 0"),
            (.step(stepSize: 2, gamma: -1), "step schedule: gamma must be a finite number >= 0, got -1.0"),
            (.cosine(totalSteps: 0, minimum: 0), "cosine schedule: total steps must be > 0, got 0"),
            (.cosine(totalSteps: 3, minimum: -0.1), "cosine schedule: minimum learning rate must be a finite number >= 0, got -0.1"),
        ]
        for (schedule, expected) in cases {
            #expect(recurrentErrorMessage(.value) { try schedule.validate() } == expected)
        }
    }

    @Test("Invalid hyperparameters throw naming the hyperparameter")
    func validation() throws {
        let cases: [(OptimizerConfiguration, String)] = [
            (.init(kind: .sgd, learningRate: -0.1), "learning rate must be a finite number >= 0, got -0.1"),
            (.init(kind: .sgd, learningRate: .nan), "learning rate must be a finite number >= 0, got nan"),
            (.init(kind: .sgd, learningRate: 0.1, momentum: -0.9), "momentum must be a finite number >= 0, got -0.9"),
            (.init(kind: .sgd, learningRate: 0.1, weightDecay: -1), "weight decay must be a finite number >= 0, got -1.0"),
            (.init(kind: .adam, learningRate: 0.1, epsilon: -1e-8), "epsilon must be a finite number >= 0, got -1e-08"),
            (.init(kind: .adam, learningRate: 0.1, beta1: 1), "beta1 must be in [0, 1), got 1.0"),
            (.init(kind: .adamw, learningRate: 0.1, beta2: -0.1), "beta2 must be in [0, 1), got -0.1"),
            (.init(kind: .sgd, learningRate: 0.1, nesterov: true), "nesterov needs momentum > 0, got momentum 0.0"),
            (.init(kind: .sgd, learningRate: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true), "nesterov needs dampening 0, got dampening 0.1"),
        ]
        for (configuration, reason) in cases {
            // The same refusal from the configuration and from an optimizer made with it.
            #expect(recurrentErrorMessage(.value) { try configuration.validate() } == "optimizer " + reason)
            #expect(recurrentErrorMessage(.value) { _ = try Optimizer<Float>(configuration, parameterCount: 3) } == "optimizer " + reason)
        }
        try OptimizerConfiguration(kind: .sgd, learningRate: 0, momentum: 0.9, nesterov: true).validate()
        try OptimizerConfiguration(kind: .adam, learningRate: 0.1, beta1: 0, beta2: 0).validate()
    }

    @Test("Configurations and schedules round-trip through JSON")
    func codable() throws {
        let cfg = OptimizerConfiguration(kind: .sgd, learningRate: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01)
        #expect(try JSONDecoder().decode(OptimizerConfiguration.self, from: JSONEncoder().encode(cfg)) == cfg)
        for schedule in [LearningRateSchedule.constant, .step(stepSize: 3, gamma: 0.1), .cosine(totalSteps: 10, minimum: 1e-4)] {
            #expect(try JSONDecoder().decode(LearningRateSchedule.self, from: JSONEncoder().encode(schedule)) == schedule)
        }
    }
}
