/// One generated sequence of a synthetic task, before it is laid out in a batch. Values are
/// Doubles, converted to the batch's scalar type once, at the end: the generic entry points are
/// reached through `any TrainingData` and run unspecialised, so the work is done in concrete types.
struct SyntheticSequence {
    /// What the sequence is scored on.
    enum Target {
        /// A class at every step (`length` values).
        case stepClasses([Int32])
        /// One class at the last step.
        case lastClass(Int32)
        /// Values at the last step (the task's output size).
        case lastValues([Double])
    }

    /// The number of steps.
    var length: Int
    /// `length × inputSize` values, step-major.
    var inputs: [Double]
    /// The targets.
    var target: Target
}

/// A generator of independent random sequences: the parity, adding, copy and temporal-order
/// tasks. Training sequence `b` of step `i` is drawn from a generator seeded by (seed, i, b),
/// and held-out sequence `n` from (seed, n) in another domain, so the held-out set does not
/// depend on the batch size and never shares a stream with training.
protocol SyntheticTask: TrainingData {
    /// The number of held-out sequences.
    var heldOutCount: Int { get }
    /// Whether sequences differ in length (then batches carry `lengths`).
    var hasVariableLength: Bool { get }
    /// Draws one sequence.
    func makeSequence(using generator: inout SeededGenerator) -> SyntheticSequence
}

extension SyntheticTask {
    /// `validate(batchSize:)` of a synthetic task: a batch size of at least 1, and a training
    /// batch and the held-out set (drawn at once) that fit in memory, counted before anything is
    /// drawn: per step of a sequence, its inputs and a target, as float64 while drawn and again
    /// as float32 or float64 in the batch.
    func validateSynthetic(batchSize: Int) throws {
        guard batchSize >= 1 else { throw RecurrentError.value("batch size \(batchSize) must be at least 1") }
        let sequences = MemoryBudget.sum([batchSize, heldOutCount])
        let bytes = MemoryBudget.product([sequences, maximumSteps, input.vectorSize + 1, 16])
        try MemoryBudget.require(bytes, for: "\(batchSize) training and \(heldOutCount) held-out sequences of "
                                 + "\(maximumSteps) steps (\(summary))")
    }

    /// The training batch for `step`: `batchSize` sequences drawn from (seed, step, b).
    func syntheticTrainingBatch<Scalar: RecurrentScalar>(step: Int, batchSize: Int, seed: UInt64) throws -> TrainingBatch<Scalar> {
        // Not `validate(batchSize:)` at every step (it counts the held-out set too, against any
        // ulimit): a step from 0, and a batch within the machine's memory.
        guard step >= 0 else { throw RecurrentError.value("training step \(step) is negative") }
        try Self.requirePositive(batchSize: batchSize)
        let bytes = MemoryBudget.product([batchSize, maximumSteps, input.vectorSize + 1, 16])
        try MemoryBudget.requireWithinMachine(bytes, for: "\(batchSize) training sequences of \(maximumSteps) steps (\(summary))")
        let sequences: [SyntheticSequence] = (0..<batchSize).map { b in
            var generator = TaskRandom.generator(seed: seed, .trainingSequence, step, b)
            return makeSequence(using: &generator)
        }
        return assembleBatch(sequences)
    }

    /// The held-out set: `heldOutCount` sequences drawn from (seed, n), in batches of
    /// `batchSize` (the last one smaller when `batchSize` does not divide the count).
    func syntheticHeldOutBatches<Scalar: RecurrentScalar>(batchSize: Int, seed: UInt64) throws -> [TrainingBatch<Scalar>] {
        try Self.requirePositive(batchSize: batchSize)
        return batchRanges(count: heldOutCount, batchSize: batchSize).map { range in
            let sequences: [SyntheticSequence] = range.map { n in
                var generator = TaskRandom.generator(seed: seed, .heldOutSequence, n)
                return makeSequence(using: &generator)
            }
            return assembleBatch(sequences)
        }
    }

    /// Lays sequences out sequence-first, padding shorter ones with zero inputs (and, for
    /// classes at every step, with the ignored class -1).
    func assembleBatch<Scalar: RecurrentScalar>(_ sequences: [SyntheticSequence]) -> TrainingBatch<Scalar> {
        let batch = sequences.count
        let width = input.vectorSize
        let steps = sequences.map(\.length).max() ?? 0
        var inputs = [Double](repeating: 0, count: steps * batch * width)
        for (b, sequence) in sequences.enumerated() {
            for t in 0..<sequence.length {
                let from = t * width, to = (t * batch + b) * width
                for x in 0..<width { inputs[to + x] = sequence.inputs[from + x] }
            }
        }
        let targets: BatchTargets<Scalar>
        switch sequences.first?.target {
        case .stepClasses, nil:
            var classes = [Int32](repeating: -1, count: steps * batch)
            for (b, sequence) in sequences.enumerated() {
                guard case .stepClasses(let values) = sequence.target else { preconditionFailure("mixed targets") }
                for t in 0..<sequence.length { classes[t * batch + b] = values[t] }
            }
            targets = .classes(classes, positions: .everyStep)
        case .lastClass:
            targets = .classes(sequences.map { sequence in
                guard case .lastClass(let value) = sequence.target else { preconditionFailure("mixed targets") }
                return value
            }, positions: .lastStep)
        case .lastValues:
            targets = .values(convertScalars(sequences.flatMap { sequence in
                guard case .lastValues(let values) = sequence.target else { preconditionFailure("mixed targets") }
                return values
            }), positions: .lastStep)
        }
        return TrainingBatch(steps: steps, batch: batch, inputs: .vectors(convertScalars(inputs)), targets: targets,
                             lengths: hasVariableLength ? sequences.map(\.length) : nil)
    }
}
