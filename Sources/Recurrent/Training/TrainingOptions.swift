/// How to train: batches, optimizer, schedule, clipping, seed, and when to stop.
public struct TrainingOptions: Equatable, Sendable, Codable {
    /// Sequences per batch.
    public var batchSize: Int
    /// Optimizer steps to take; nil to derive them from `epochs`.
    public var steps: Int?
    /// Passes over finite data (when `steps` is nil).
    public var epochs: Int?
    /// The optimizer and its hyperparameters.
    public var optimizer: OptimizerConfiguration
    /// The learning rate over the steps.
    public var schedule: LearningRateSchedule
    /// Gradients are clipped to this global L2 norm (PyTorch's `clip_grad_norm_`), if set.
    public var clipNorm: Double?
    /// Seeds the data (and, for a new model, its initialisation).
    public var seed: UInt64
    /// Training stops after the step that crosses this many seconds, if set.
    public var maxTime: Double?

    /// Makes options; the defaults are one epoch of Adam at 0.001 with batches of 32.
    public init(batchSize: Int = 32, steps: Int? = nil, epochs: Int? = nil,
                optimizer: OptimizerConfiguration = OptimizerConfiguration(kind: .adam, learningRate: 0.001),
                schedule: LearningRateSchedule = .constant, clipNorm: Double? = nil, seed: UInt64 = 0, maxTime: Double? = nil) {
        self.batchSize = batchSize
        self.steps = steps
        self.epochs = epochs
        self.optimizer = optimizer
        self.schedule = schedule
        self.clipNorm = clipNorm
        self.seed = seed
        self.maxTime = maxTime
    }

    /// The number of steps to take on `data`.
    /// - Throws: `RecurrentError` when neither steps nor epochs fit the data (an endless task
    ///   needs `steps`), or a value is out of range.
    public func totalSteps(for data: any TrainingData) throws -> Int {
        guard batchSize > 0 else { throw RecurrentError.value("batch size must be positive, got \(batchSize)") }
        if let steps {
            guard steps >= 0 else { throw RecurrentError.value("steps must not be negative, got \(steps)") }
            return steps
        }
        guard let perEpoch = data.batchesPerEpoch(batchSize: batchSize) else {
            throw RecurrentError.value("\(data.summary) never runs out: give a number of steps, not epochs")
        }
        let epochs = self.epochs ?? 1
        guard epochs > 0 else { throw RecurrentError.value("epochs must be positive, got \(epochs)") }
        let (total, overflow) = perEpoch.multipliedReportingOverflow(by: epochs)
        guard !overflow else {
            throw RecurrentError.value("\(epochs) epochs of \(perEpoch) batches are more steps than can be counted")
        }
        return total
    }

    /// The seed the held-out data is drawn from: apart from every training batch's seed.
    var heldOutSeed: UInt64 { seed ^ 0x6A09_E667_F3BC_C908 }
}

/// One line of the loss curve.
public struct TrainingRecord: Equatable, Sendable, Codable {
    /// The step, from 1.
    public var step: Int
    /// The batch's mean loss.
    public var loss: Double
    /// The learning rate used.
    public var learningRate: Double
    /// Seconds since training started (including time before a resume).
    public var seconds: Double
    /// The gradients' global norm before clipping, when clipping.
    public var gradientNorm: Double?
    /// The mean held-out loss after this step, when it was measured (`validateEvery`).
    public var validationLoss: Double?

    /// What makes the values ones training never writes, naming the key ("seconds -1 is
    /// negative"), or nil: step from 1, finite values, time and norm not negative.
    var problem: String? {
        if step < 1 { return "step \(step) is below 1" }
        let values: [(String, Double?)] = [("loss", loss), ("lr", learningRate), ("seconds", seconds), ("grad_norm", gradientNorm),
                                           ("validation_loss", validationLoss)]
        if let (key, value) = values.first(where: { $0.1.map { !$0.isFinite } ?? false }) { return "\(key) \(value!) is not finite" }
        if let (key, value) = values.first(where: { ["seconds", "grad_norm"].contains($0.0) && ($0.1 ?? 0) < 0 }) {
            return "\(key) \(value!) is negative"
        }
        return nil
    }

    enum CodingKeys: String, CodingKey {
        case step, loss, seconds
        case learningRate = "lr"
        case gradientNorm = "grad_norm"
        case validationLoss = "validation_loss"
    }
}

/// What the trainer reports after each step.
public struct TrainingProgress: Sendable {
    /// The step just taken, from 1.
    public var step: Int
    /// The steps the run will take unless time runs out.
    public var totalSteps: Int
    /// This step's record.
    public var record: TrainingRecord
    /// An exponential moving average of the loss (factor 0.95, after a short warm-up).
    public var smoothedLoss: Double
    /// Training throughput over this run (not counting time before a resume).
    public var sequencesPerSecond: Double
    /// Estimated seconds left, from the step rate and the time limit.
    public var secondsLeft: Double
}
