import ArgumentParser
import Foundation
import Recurrent

extension OptimizerKind: ExpressibleByArgument {}

/// The optimizer and the loop.
struct OptimizationOptions: ParsableArguments {
    enum Schedule: String, ExpressibleByArgument, CaseIterable { case constant, step, cosine }

    @Option(help: "The optimizer.")
    var optimizer: OptimizerKind = .adam

    @Option(parsing: .unconditional, help: "The learning rate (default: the task's; 0.002 for text; 0.001 otherwise).")
    var lr: Double?

    @Option(parsing: .unconditional, help: "SGD momentum (default: 0).")
    var momentum: Double?

    @Flag(help: "SGD with Nesterov momentum.")
    var nesterov = false

    @Option(parsing: .unconditional, help: "Weight decay (L2 for SGD and Adam, decoupled for AdamW; default 0, AdamW 0.01).")
    var weightDecay: Double?

    @Option(parsing: .unconditional, help: "Clip the gradients' global norm to this (default: the task's; 5 for text; none otherwise); inf turns a task's clipping off.")
    var clip: Double?

    @Option(help: "The learning-rate schedule: step decays by --gamma every --step-size steps, cosine falls to --min-lr.")
    var schedule: Schedule = .constant

    @Option(parsing: .unconditional, help: "Steps between decays of the step schedule (default: 1000).")
    var stepSize: Int?

    @Option(parsing: .unconditional, help: "The step schedule's decay factor (default: 0.5).")
    var gamma: Double?

    @Option(parsing: .unconditional, help: "The cosine schedule's final learning rate (default: 0).")
    var minLr: Double?

    @Option(parsing: .unconditional, help: "Sequences per batch (default: the task's, else 32).")
    var batchSize: Int?

    @Option(parsing: .unconditional, help: "Optimizer steps (default: the task's; one epoch of finite data).")
    var steps: Int?

    @Option(parsing: .unconditional, help: "Passes over finite data.")
    var epochs: Int?

    @Option(parsing: .unconditional, help: "Seed of the data and of a new model's initialisation (default: 0).")
    var seed: UInt64?

    @Option(parsing: .unconditional, help: "Stop training after this many seconds. Without --steps or --epochs, a task still stops at its own step count, and other data trains until the time is up.")
    var maxTime: Double?

    @Option(parsing: .unconditional, help: "Threads for the matrix products (default: every core). Results do not depend on it.")
    var threads: Int?

    func validate() throws {
        if let threads { try validateThreadCount(threads) }
        // Options the chosen optimizer or schedule would not use: refused, not ignored.
        if optimizer != .sgd, let (option, _) = [("--momentum", momentum != nil), ("--nesterov", nesterov)].first(where: \.1) {
            throw ValidationError("\(option) is for --optimizer sgd; \(optimizer.rawValue) has no such setting")
        }
        if schedule != .step, let (option, _) = [("--step-size", stepSize != nil), ("--gamma", gamma != nil)].first(where: \.1) {
            throw ValidationError("\(option) is for --schedule step")
        }
        if schedule != .cosine, minLr != nil { throw ValidationError("--min-lr is for --schedule cosine") }
        if nesterov, (momentum ?? 0) <= 0 { throw ValidationError("--nesterov needs --momentum above 0") }
        if steps != nil, epochs != nil { throw ValidationError("give --steps or --epochs, not both") }
        try checkRanges()
        for (option, value) in [("--lr", lr), ("--momentum", momentum), ("--weight-decay", weightDecay), ("--clip", clip),
                                ("--gamma", gamma), ("--min-lr", minLr)] {
            try checkSinglePrecision(option, value)
        }
    }

    /// The ranges the library checks once the data is read (a learning rate of NaN, a batch of
    /// 0), checked first as usage errors naming the option.
    private func checkRanges() throws {
        for (option, value) in [("--lr", lr), ("--momentum", momentum), ("--weight-decay", weightDecay), ("--gamma", gamma),
                                ("--min-lr", minLr)] {
            if let value, !(value.isFinite && value >= 0) { throw ValidationError("\(option) must be a finite number >= 0, got \(value)") }
        }
        if let clip, !(clip > 0) { throw ValidationError("--clip must be above 0, got \(clip)") }
        if let maxTime, !(maxTime > 0 && maxTime.isFinite) {
            throw ValidationError("--max-time must be a finite number of seconds above 0, got \(maxTime)")
        }
        for (option, value, least) in [("--batch-size", batchSize, 1), ("--step-size", stepSize, 1), ("--steps", steps, 0),
                                       ("--epochs", epochs, 1)] {
            if let value, value < least { throw ValidationError("\(option) must be at least \(least), got \(value)") }
        }
        if let steps, steps >= TrainingDataOptions.unbounded {
            throw ValidationError("--steps must be below \(TrainingDataOptions.unbounded), got \(steps) (for a run that ends at its "
                + "time limit, give --max-time alone)")
        }
    }

    /// Sets the kernels' thread count from `--threads` (checked in `validate()`).
    func applyThreads() {
        if let threads { KernelSettings.threadCount = threads }
    }

    func options(for data: any TrainingData, recipe: BuiltInTask.Recipe?, kind: TrainingDataOptions.Kind) throws -> TrainingOptions {
        var isText = false
        if case .text = kind { isText = true }
        let rate = lr ?? recipe?.learningRate ?? (isText ? 0.002 : 0.001)
        let optimizerConfiguration = OptimizerConfiguration(
            kind: optimizer, learningRate: rate, momentum: momentum ?? 0, nesterov: nesterov, weightDecay: weightDecay)
        var stepCount = steps ?? (epochs == nil ? recipe?.steps : nil)
        if stepCount == nil, epochs == nil, maxTime != nil { stepCount = TrainingDataOptions.unbounded }
        let total = try stepCount ?? TrainingOptions(batchSize: batchSize ?? recipe?.batchSize ?? 32, epochs: epochs)
            .totalSteps(for: data)
        if stepCount == nil, total >= TrainingDataOptions.unbounded {
            throw RecurrentError(.value, "--epochs \(epochs ?? 1): \(total) steps are more than a run may take "
                + "(below \(TrainingDataOptions.unbounded)); give --max-time alone for a run that ends at its time limit")
        }
        if schedule == .cosine, total == TrainingDataOptions.unbounded {
            throw RecurrentError(.value, "--schedule cosine anneals over the run's length: give --steps or --epochs")
        }
        let scheduleValue: LearningRateSchedule = switch schedule {
        case .constant: .constant
        case .step: .step(stepSize: stepSize ?? 1000, gamma: gamma ?? 0.5)
        case .cosine: .cosine(totalSteps: max(1, total), minimum: minLr ?? 0)
        }
        return TrainingOptions(batchSize: batchSize ?? recipe?.batchSize ?? 32, steps: stepCount, epochs: epochs,
                               optimizer: optimizerConfiguration, schedule: scheduleValue,
                               clipNorm: clip.map { $0.isInfinite ? nil : $0 } ?? recipe?.clipNorm ?? (isText ? 5 : nil),
                               seed: seed ?? 0, maxTime: maxTime)
    }
}

/// Refuses a finite value that single precision, the weights' precision, cannot hold: beyond
/// its range (it would become infinite) or so small it becomes 0 (non-finite values are left
/// to the checks that name their own range).
func checkSinglePrecision(_ option: String, _ value: Double?) throws {
    guard let value, value.isFinite else { return }
    if value.magnitude > Double(Float.greatestFiniteMagnitude) {
        let off = option == "--clip" ? " (--clip inf turns clipping off)" : ""
        throw ValidationError("\(option) \(value) is beyond single precision's range (±3.4e38), the weights' precision\(off)")
    }
    if value != 0, Float(value) == 0 {
        throw ValidationError("\(option) \(value) is 0 in single precision, the weights' precision (the smallest is 1.4e-45)")
    }
}

/// Refuses a `--threads` count outside 1...`KernelSettings.maximumThreadCount` (the setting
/// would clamp it without a word).
func validateThreadCount(_ threads: Int) throws {
    guard (1...KernelSettings.maximumThreadCount).contains(threads) else {
        throw ValidationError("--threads must be in 1...\(KernelSettings.maximumThreadCount) (the cores this process may use), got \(threads)")
    }
}
