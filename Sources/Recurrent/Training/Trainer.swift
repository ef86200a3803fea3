import Dispatch

/// Trains a model on a data source: the whole loop, one step at a time.
///
///     for step in 1...N:
///         batch  = data.trainingBatch(step - 1)        a pure function of (step, batch size, seed)
///         loss   = model(batch, carried state)        forward; backward adds ∂loss/∂θ into g
///         g      = clip(g)                            optional global-norm clipping
///         θ      = optimizer(θ, g, lr(step))          SGD, Adam or AdamW, PyTorch's rules
///
/// The carried state continues a stream across batches (truncated backpropagation through
/// time). Everything is deterministic: the same seed, data and thread count give bit-identical
/// weights, and a run resumed from a checkpoint reaches the weights of one that never stopped.
public struct Trainer<Scalar: RecurrentScalar>: Sendable {
    /// The model being trained.
    public internal(set) var model: SequenceModel<Scalar>
    /// The optimizer and its state.
    public internal(set) var optimizer: Optimizer<Scalar>
    /// The data.
    public let data: any TrainingData
    /// The options.
    public let options: TrainingOptions
    /// Steps taken so far.
    public internal(set) var step = 0
    /// The loss curve so far.
    public internal(set) var curve: [TrainingRecord] = []
    /// Seconds trained before this process (for resumed runs).
    public internal(set) var secondsBefore = 0.0
    /// How the run's model began (drawn, and how, or loaded): kept in checkpoints, so that a
    /// resume that would begin otherwise is refused; nil when unknown.
    public var origin: ModelOrigin?
    var carried: CarriedState<Scalar>?
    var gradients: [Scalar]

    /// A trainer starting at step 0.
    /// - Throws: `RecurrentError` when the data does not fit the model (input or output kind
    ///   and size), or an option is invalid.
    public init(model: SequenceModel<Scalar>, data: any TrainingData, options: TrainingOptions) throws {
        try Self.checkCompatible(model.configuration, data)
        try data.validate(batchSize: options.batchSize)
        try options.optimizer.validate()
        try options.schedule.validate()
        // Finite: a checkpoint records them in JSON, which has no infinity (nil is "none").
        if let clip = options.clipNorm, !(clip > 0 && clip.isFinite) {
            throw RecurrentError.value("clip norm must be a finite number above 0 (nil for none), got \(clip)")
        }
        if let limit = options.maxTime, !(limit > 0 && limit.isFinite) {
            throw RecurrentError.value("time limit must be a finite number of seconds above 0 (nil for none), got \(limit)")
        }
        _ = try options.totalSteps(for: data)
        let steps = data.maximumSteps, batch = data.largestBatch(batchSize: options.batchSize)
        try MemoryBudget.require(
            model.configuration.trainingBytes(batch: batch, steps: steps, scalarSize: MemoryLayout<Scalar>.size),
            for: "training \(model.configuration.recurrent.summary) on batches of \(batch) sequences of \(steps) steps")
        self.model = model
        self.data = data
        self.options = options
        self.optimizer = try Optimizer(options.optimizer, parameterCount: model.parameterCount)
        self.gradients = Array(repeating: 0, count: model.parameterCount)
    }

    static func checkCompatible(_ cfg: SequenceModelConfiguration, _ data: any TrainingData) throws {
        // What the model takes or gives, then what the data has, then the data in full.
        func refuse(_ model: String, _ data: String, _ summary: String) -> RecurrentError {
            RecurrentError.shape("the model \(model), but the data \(data) (\(summary))")
        }
        switch data.input {
        case .vectors(let size):
            guard let vocabulary = cfg.vocabularySize else {
                guard size == cfg.recurrent.inputSize else {
                    throw refuse("reads vectors of size \(cfg.recurrent.inputSize)", "gives vectors of size \(size)", data.summary)
                }
                break
            }
            throw refuse("reads token ids (an embedding of \(vocabulary) tokens)", "gives vectors of size \(size)", data.summary)
        case .tokens(let vocabulary):
            guard cfg.vocabularySize == vocabulary else {
                let model = cfg.vocabularySize.map { "has a vocabulary of \($0) tokens" }
                    ?? "reads vectors of size \(cfg.recurrent.inputSize) (it has no embedding)"
                throw refuse(model, "has a vocabulary of \(vocabulary) tokens", data.summary)
            }
        }
        guard data.output.size == cfg.modelOutputSize else {
            throw refuse("outputs \(cfg.modelOutputSize) values per step", "has targets of size \(data.output.size)", data.summary)
        }
        if cfg.recurrent.bidirectional, data.targetIsNextInput {
            throw RecurrentError.value("the model is bidirectional: reading the sequence backwards it sees the next character "
                + "or row it is to predict (\(data.summary)); train a unidirectional model")
        }
    }

    /// Takes one optimizer step and returns its record.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public mutating func trainStep(clock: Double = 0) throws -> TrainingRecord {
        let batch: TrainingBatch<Scalar> = try data.trainingBatch(step: step, batchSize: options.batchSize, seed: options.seed)
        let state = batch.continuesPrevious && carried?.batch == batch.batch ? carried : nil
        gradients.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        let (loss, final) = try gradients.withUnsafeMutableBufferPointer { g in
            try model.pass(batch, state: state, gradients: g.baseAddress!)
        }
        guard loss.mean.isFinite else {
            throw RecurrentError.value("step \(step + 1): the loss is \(loss.mean); training stopped before the update "
                + "(a smaller learning rate or gradient clipping may help)")
        }
        try Self.requireFinite(gradients, in: model.parameters, step: step + 1) { "the gradient of '\($0)' is NaN or infinite" }
        carried = data.carriesState ? final : nil
        let norm = try options.clipNorm.map { try clipGradientNorm(&gradients, maxNorm: $0) }
        let rate = try options.schedule.learningRate(base: options.optimizer.learningRate, step: step)
        try optimizer.step(parameters: &model.parameters.storage, gradients: gradients, learningRate: rate)
        try Self.requireFinite(model.parameters.storage, in: model.parameters, step: step + 1) { "the update made '\($0)' NaN or infinite" }
        step += 1
        let record = TrainingRecord(step: step, loss: loss.mean, learningRate: rate, seconds: secondsBefore + clock,
                                    gradientNorm: norm)
        curve.append(record)
        return record
    }

    /// Throws unless every value of `values` (laid out as `store`) is finite, naming the first
    /// tensor that is not: training stops there, so no checkpoint or model of NaNs is written.
    static func requireFinite(_ values: [Scalar], in store: ParameterStore<Scalar>, step: Int, problem: (String) -> String) throws {
        guard !allFinite(values, kernels: .current) else { return }
        let bad = store.entries.first { entry in !allFinite(Array(values[entry.offset..<(entry.offset + entry.count)])) }
        throw RecurrentError.value("step \(step): \(problem(bad?.name ?? "?")); training stopped "
            + "(a smaller learning rate or gradient clipping may help)")
    }

    /// Trains until the options' steps are done or their time limit passes, calling `progress`
    /// after every step, `checkpoint` every `checkpointEvery` steps and at the end, and, every
    /// `validateEvery` steps (before the last), measuring the held-out loss: stored in the step's
    /// record and passed to `validated`. Time spent measuring is not training time: it counts
    /// neither in the records' seconds nor against the time limit. `stop` is asked before every
    /// step (and between held-out batches): true ends the run there, as the time limit does.
    /// - Returns: whether training stopped before its last step (the time limit, or `stop`).
    @discardableResult
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public mutating func run(
        checkpointEvery: Int? = nil, checkpoint: ((Trainer) throws -> Void)? = nil,
        validateEvery: Int? = nil, validated: (TrainingRecord) -> Void = { _ in },
        progress: (TrainingProgress) -> Void = { _ in }, stop: () -> Bool = { false }
    ) throws -> Bool {
        let total = try options.totalSteps(for: data)
        let start = DispatchTime.now().uptimeNanoseconds
        let firstStep = step
        var smoothed: Double?
        var stoppedEarly = false
        var paused = 0.0
        func clock() -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 - paused }
        while step < total {
            if stop() {
                stoppedEarly = true
                break
            }
            let before = clock()
            let record = try trainStep(clock: before)
            let now = clock()
            curve[curve.count - 1].seconds = secondsBefore + now
            smoothed = smoothed.map { 0.95 * $0 + 0.05 * record.loss } ?? record.loss
            let done = step - firstStep
            let perStep = now / Double(done)
            var left = perStep * Double(total - step)
            if let limit = options.maxTime { left = min(left, max(0, limit - secondsBefore - now)) }
            progress(TrainingProgress(step: step, totalSteps: total, record: curve[curve.count - 1],
                                      smoothedLoss: smoothed!, sequencesPerSecond: Double(done) * Double(data.largestBatch(batchSize: options.batchSize)) / now,
                                      secondsLeft: left))
            if let every = checkpointEvery, every > 0, step % every == 0, step < total { try checkpoint?(self) }
            if let limit = options.maxTime, secondsBefore + now >= limit {
                stoppedEarly = true
                break
            }
            if let every = validateEvery, every > 0, step % every == 0, step < total {
                let pauseStart = DispatchTime.now().uptimeNanoseconds
                if let loss = try evaluateHeldOut(stop: stop) {
                    curve[curve.count - 1].validationLoss = loss.mean
                    validated(curve[curve.count - 1])
                }
                paused += Double(DispatchTime.now().uptimeNanoseconds - pauseStart) / 1e9
            }
        }
        secondsBefore += clock()
        try checkpoint?(self)
        return stoppedEarly
    }

    /// The model's loss (and accuracy, for classes) on batches, carrying the state between
    /// batches that continue each other.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func evaluate(_ batches: [TrainingBatch<Scalar>]) throws -> LossValue {
        try evaluate(batches, stop: { false }) ?? .zero
    }

    /// `evaluate(_:)`, asking `stop` before each batch: nil when it says to give up.
    func evaluate(_ batches: [TrainingBatch<Scalar>], stop: () -> Bool) throws -> LossValue? {
        var total = LossValue.zero
        var state: CarriedState<Scalar>?
        for batch in batches {
            if stop() { return nil }
            let start = batch.continuesPrevious && state?.batch == batch.batch ? state : nil
            let (loss, final) = try model.pass(batch, state: start, gradients: nil)
            state = final
            total = total + loss
        }
        return total
    }

    /// The model's loss on the data's held-out batches; nil when there are none, or when
    /// `stop`, asked before each batch, says to give up (an interrupted run).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func evaluateHeldOut(stop: () -> Bool = { false }) throws -> LossValue? {
        let batches: [TrainingBatch<Scalar>] = try data.heldOutBatches(batchSize: options.batchSize, seed: options.heldOutSeed)
        return batches.isEmpty ? nil : try evaluate(batches, stop: stop)
    }
}
