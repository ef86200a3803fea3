import CRecurrentKernels
import Foundation

/// The optimizers, each with PyTorch's update rule (`torch.optim.SGD`, `Adam`, `AdamW`).
public enum OptimizerKind: String, Sendable, Codable, CaseIterable {
    /// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2
    /// weight decay (`torch.optim.SGD`).
    case sgd
    /// Adam with L2 weight decay added to the gradient (`torch.optim.Adam`).
    case adam
    /// Adam with decoupled weight decay (`torch.optim.AdamW`).
    case adamw
}

/// An optimizer's hyperparameters, under PyTorch's meaning. Fields that the kind does not use
/// (momentum for Adam, betas for SGD) are ignored by the update.
public struct OptimizerConfiguration: Equatable, Sendable, Codable {
    /// Which optimizer.
    public var kind: OptimizerKind
    /// The base learning rate (a schedule scales it per step).
    public var learningRate: Double
    /// SGD: the momentum factor; 0 for plain SGD.
    public var momentum: Double
    /// SGD: the dampening of the momentum, applied from the second step on.
    public var dampening: Double
    /// SGD: Nesterov momentum (needs momentum > 0 and dampening 0).
    public var nesterov: Bool
    /// SGD and Adam: the L2 penalty, added to the gradient as `wd · p`. AdamW: decoupled decay,
    /// `p ← p · (1 − lr · wd)` before the moments.
    public var weightDecay: Double
    /// Adam, AdamW: the decay rate of the first moment.
    public var beta1: Double
    /// Adam, AdamW: the decay rate of the second moment.
    public var beta2: Double
    /// Adam, AdamW: added to the denominator for stability.
    public var epsilon: Double

    /// PyTorch's defaults for the kind: momentum 0, dampening 0, nesterov false, betas (0.9, 0.999), eps 1e-8,
    /// weight decay 0 (SGD, Adam) or 0.01 (AdamW); pass nil to get the kind's default.
    public init(kind: OptimizerKind, learningRate: Double, momentum: Double = 0, dampening: Double = 0, nesterov: Bool = false,
                weightDecay: Double? = nil, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8) {
        self.kind = kind
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weightDecay = weightDecay ?? (kind == .adamw ? 0.01 : 0)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    /// Throws RecurrentError (.value) naming the hyperparameter for invalid values (negative lr, momentum, weight decay or eps;
    /// betas outside [0, 1); nesterov without momentum or with dampening, as PyTorch refuses).
    ///
    /// Every value must also be finite. The Nesterov conditions are checked for SGD only, the
    /// kind that uses them.
    public func validate() throws {
        func nonNegative(_ value: Double, _ name: String) throws {
            guard value.isFinite, value >= 0 else {
                throw RecurrentError.value("optimizer \(name) must be a finite number >= 0, got \(value)")
            }
        }
        try nonNegative(learningRate, "learning rate")
        try nonNegative(momentum, "momentum")
        guard dampening.isFinite else {
            throw RecurrentError.value("optimizer dampening must be a finite number, got \(dampening)")
        }
        try nonNegative(weightDecay, "weight decay")
        try nonNegative(epsilon, "epsilon")
        for (value, name) in [(beta1, "beta1"), (beta2, "beta2")] where !(value >= 0 && value < 1) {
            throw RecurrentError.value("optimizer \(name) must be in [0, 1), got \(value)")
        }
        if kind == .sgd && nesterov {
            guard momentum > 0 else {
                throw RecurrentError.value("optimizer nesterov needs momentum > 0, got momentum \(momentum)")
            }
            guard dampening == 0 else {
                throw RecurrentError.value("optimizer nesterov needs dampening 0, got dampening \(dampening)")
            }
        }
    }
}

/// An optimizer over one flat parameter buffer (a `ParameterStore`'s storage) and its gradients
/// (same layout), with PyTorch's single-tensor update rules: the same numbers as
/// `torch.optim.SGD/Adam/AdamW(..., foreach=False)` up to rounding. The hyperparameters are
/// converted to `Scalar` where PyTorch converts them to the tensor's dtype, so `Float` runs
/// round as PyTorch's float32 does.
///
/// One step with learning rate `lr` (from the schedule) and gradient `g`, elementwise:
///
/// SGD (momentum μ, dampening τ, weight decay λ):
///
///     d = g + λ·p                          (when λ ≠ 0)
///     buf = d                              (first step, no dampening)
///     buf = μ·buf + (1 − τ)·d              (later steps)        } when μ ≠ 0
///     d = d + μ·buf (Nesterov), else d = buf                     }
///     p = p − lr·d
///
/// Adam / AdamW (β1, β2, ε, weight decay λ) at step t = 1, 2, ...:
///
///     g = g + λ·p                          (Adam, when λ ≠ 0)
///     p = p·(1 − lr·λ)                     (AdamW, before the moments)
///     m = lerp(m, g, 1 − β1)               (= β1·m + (1 − β1)·g)
///     v = β2·v + (1 − β2)·g²
///     p = p − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + ε)
public struct Optimizer<Scalar: RecurrentScalar>: Sendable, Equatable {
    /// The state buffer names, as in PyTorch's `optimizer.state_dict()`.
    static var momentumKey: String { "momentum_buffer" }
    static var expAvgKey: String { "exp_avg" }
    static var expAvgSqKey: String { "exp_avg_sq" }

    /// The hyperparameters.
    public let configuration: OptimizerConfiguration
    /// The size of the parameter buffer it updates.
    public let parameterCount: Int
    /// Optimizer steps taken so far.
    public private(set) var stepCount: Int
    /// The most steps an optimizer counts: 2^53, every count exact in float64 (the bias
    /// corrections raise β to it), and far from overflow.
    public static var maximumStepCount: Int { 1 << 53 }
    /// SGD momentum buffer; empty until the first step.
    private var momentumBuffer: [Scalar] = []
    /// Adam's first and second moments; empty for SGD.
    private var expAvg: [Scalar] = []
    private var expAvgSq: [Scalar] = []

    /// The per-parameter state, each buffer with the parameters' flat layout: "momentum_buffer" (SGD with momentum,
    /// absent until the first step), "exp_avg" and "exp_avg_sq" (Adam, AdamW). Checkpoints save and restore it.
    ///
    /// Adam's moments are present (zeros) from the start.
    public var state: [String: [Scalar]] {
        switch configuration.kind {
        case .sgd: momentumBuffer.isEmpty ? [:] : [Self.momentumKey: momentumBuffer]
        case .adam, .adamw: [Self.expAvgKey: expAvg, Self.expAvgSqKey: expAvgSq]
        }
    }

    /// A fresh optimizer for `parameterCount` parameters.
    /// - Throws: `RecurrentError` (`.value`) for invalid hyperparameters or a negative count.
    public init(_ configuration: OptimizerConfiguration, parameterCount: Int) throws {
        try self.init(configuration, parameterCount: parameterCount, stepCount: 0, state: [:])
    }

    /// Restores an optimizer from a checkpoint (validates buffer names and sizes; throws RecurrentError otherwise).
    ///
    /// SGD with momentum needs "momentum_buffer" exactly when `stepCount > 0`; SGD without
    /// momentum has no state. Adam and AdamW need "exp_avg" and "exp_avg_sq", which may both be
    /// absent only when `stepCount` is 0. Every value must be finite, and "exp_avg_sq" >= 0.
    /// - Throws: `RecurrentError`: `.value` for invalid hyperparameters, a negative step count or
    ///   bad values, `.name` for an unknown or missing buffer, `.shape` for a buffer of the wrong size.
    public init(_ configuration: OptimizerConfiguration, parameterCount: Int, stepCount: Int, state: [String: [Scalar]]) throws {
        try configuration.validate()
        guard parameterCount >= 0 else {
            throw RecurrentError.value("optimizer parameter count must be >= 0, got \(parameterCount)")
        }
        guard (0...Self.maximumStepCount).contains(stepCount) else {
            throw RecurrentError.value("optimizer step count must be in 0...\(Self.maximumStepCount), got \(stepCount)")
        }
        let buffers = configuration.kind != .sgd ? 2 : configuration.momentum != 0 ? 1 : 0
        try MemoryBudget.require(MemoryBudget.product([buffers, parameterCount, MemoryLayout<Scalar>.stride]),
                                 for: "the \(configuration.kind.rawValue) optimizer's state for \(parameterCount) parameters")
        self.configuration = configuration
        self.parameterCount = parameterCount
        self.stepCount = stepCount

        let expected: [String]
        switch configuration.kind {
        case .sgd: expected = configuration.momentum != 0 ? [Self.momentumKey] : []
        case .adam, .adamw: expected = [Self.expAvgKey, Self.expAvgSqKey]
        }
        try Self.checkBuffers(state, expected: expected, kind: configuration.kind, parameterCount: parameterCount)

        switch configuration.kind {
        case .sgd:
            guard let buffer = state[Self.momentumKey] else {
                if configuration.momentum != 0 && stepCount > 0 && parameterCount > 0 {
                    throw RecurrentError.name(
                        "optimizer state: missing '\(Self.momentumKey)' after \(stepCount) steps")
                }
                return
            }
            guard stepCount > 0 else {
                throw RecurrentError.value("optimizer state: '\(Self.momentumKey)' given at step count 0")
            }
            momentumBuffer = buffer
        case .adam, .adamw:
            switch (state[Self.expAvgKey], state[Self.expAvgSqKey]) {
            case let (m?, v?):
                guard v.allSatisfy({ $0 >= 0 }) else {
                    throw RecurrentError.value("optimizer state '\(Self.expAvgSqKey)' has negative values")
                }
                expAvg = m
                expAvgSq = v
            case (nil, nil) where stepCount == 0:
                expAvg = [Scalar](repeating: 0, count: parameterCount)
                expAvgSq = [Scalar](repeating: 0, count: parameterCount)
            default:
                let missing = state[Self.expAvgKey] == nil ? Self.expAvgKey : Self.expAvgSqKey
                throw RecurrentError.name("optimizer state: missing '\(missing)' after \(stepCount) steps")
            }
        }
    }

    /// Every buffer in `state` is one `expected` for `kind`, holds `parameterCount` finite values.
    private static func checkBuffers(_ state: [String: [Scalar]], expected: [String], kind: OptimizerKind,
                                     parameterCount: Int) throws {
        let kindName = kind.rawValue
        for name in state.keys.sorted() where !expected.contains(name) {
            let known = expected.isEmpty ? "none" : expected.joined(separator: ", ")
            throw RecurrentError.name("optimizer state: unknown buffer '\(name)' for \(kindName) (expected: \(known))")
        }
        for (name, buffer) in state.sorted(by: { $0.key < $1.key }) {
            guard buffer.count == parameterCount else {
                throw RecurrentError.shape(
                    "optimizer state '\(name)': expected \(parameterCount) values, got \(buffer.count)")
            }
            guard buffer.allSatisfy(\.isFinite) else {
                throw RecurrentError.value("optimizer state '\(name)' contains NaN or infinity")
            }
        }
    }

    /// One update at `learningRate` (the schedule's value for this step): PyTorch's exact rule.
    ///
    /// Increments `stepCount` to t, then for every element (λ the weight decay):
    /// - SGD: `d = g + λ·p`; with momentum μ, `buf = d` at t = 1, else `buf = μ·buf + (1 − τ)·d`,
    ///   then `d = d + μ·buf` (Nesterov) or `d = buf`; `p = p − lr·d`.
    /// - Adam: `g = g + λ·p`; AdamW: `p = p·(1 − lr·λ)`; then `m = lerp(m, g, 1 − β1)`,
    ///   `v = β2·v + (1 − β2)·g²`, `p = p − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + ε)`.
    ///
    /// - Throws: `RecurrentError` when `parameters` or `gradients` do not hold `parameterCount`
    ///   values, for a learning rate that is negative or not finite, or past `maximumStepCount`.
    /// The state buffers are updated in place: a step allocates nothing, except SGD's momentum
    /// buffer on its first step (and one copy of a buffer still shared with a copy of `state`
    /// or of the optimizer, by copy-on-write).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public mutating func step(parameters: inout [Scalar], gradients: [Scalar], learningRate: Double) throws {
        guard parameters.count == parameterCount, gradients.count == parameterCount else {
            throw RecurrentError.shape("optimizer step: expected \(parameterCount) parameters and gradients, "
                + "got \(parameters.count) and \(gradients.count)")
        }
        guard learningRate.isFinite, learningRate >= 0 else {
            throw RecurrentError.value("optimizer step: the learning rate must be a finite number >= 0, got \(learningRate)")
        }
        guard stepCount < Self.maximumStepCount else {
            throw RecurrentError.value("optimizer step: the step count is at its largest, \(Self.maximumStepCount)")
        }
        stepCount += 1
        parameters.withUnsafeMutableBufferPointer { p in
            gradients.withUnsafeBufferPointer { g in
                switch configuration.kind {
                case .sgd: sgdStep(p, g, learningRate: learningRate)
                case .adam, .adamw: adamStep(p, g, learningRate: learningRate)
                }
            }
        }
    }

    private mutating func sgdStep(_ p: UnsafeMutableBufferPointer<Scalar>, _ g: UnsafeBufferPointer<Scalar>,
                                  learningRate: Double) {
        let c = configuration, n = p.count
        guard let pp = p.baseAddress, let gp = g.baseAddress else { return }
        let first = c.momentum != 0 && momentumBuffer.isEmpty
        if first { momentumBuffer = [Scalar](repeating: 0, count: n) }
        let table = Kernels.current.table(Scalar.self)
        momentumBuffer.withUnsafeMutableBufferPointer { buffer in
            var args = rk_sgd(
                p: pp, g: gp, momentum_buffer: buffer.baseAddress, n: n, neg_lr: -learningRate,
                weight_decay: c.weightDecay, momentum: c.momentum, keep: 1 - c.dampening,
                use_decay: c.weightDecay != 0 ? 1 : 0, has_momentum: c.momentum != 0 ? 1 : 0, first: first ? 1 : 0,
                nesterov: c.nesterov ? 1 : 0)
            table.pointee.sgd_step(&args)
        }
    }

    private mutating func adamStep(_ p: UnsafeMutableBufferPointer<Scalar>, _ g: UnsafeBufferPointer<Scalar>,
                                   learningRate lr: Double) {
        let c = configuration, n = p.count
        let t = Double(stepCount)
        let biasCorrection1 = 1 - pow(c.beta1, t)
        let w = 1 - c.beta1
        guard let pp = p.baseAddress, let gp = g.baseAddress else { return }
        let table = Kernels.current.table(Scalar.self)
        expAvg.withUnsafeMutableBufferPointer { m in
            expAvgSq.withUnsafeMutableBufferPointer { v in
                guard let mp = m.baseAddress, let vp = v.baseAddress else { return }
                var args = rk_adam(
                    p: pp, g: gp, m: mp, v: vp, n: n, neg_step: -(lr / biasCorrection1),
                    bias_correction2_sqrt: (1 - pow(c.beta2, t)).squareRoot(), eps: c.epsilon,
                    weight_decay: c.weightDecay, decay: 1 - lr * c.weightDecay, w: w, one_minus_w: 1 - Double(Scalar(w)),
                    beta2: c.beta2, one_minus_beta2: 1 - c.beta2,
                    l2: c.kind == .adam && c.weightDecay != 0 ? 1 : 0,
                    decoupled: c.kind == .adamw && c.weightDecay != 0 ? 1 : 0, lerp_from_start: abs(w) < 0.5 ? 1 : 0)
                table.pointee.adam_step(&args)
            }
        }
    }
}
