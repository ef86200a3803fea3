/// The homework's task: tell whether the current run of consecutive ones is odd.
///
/// Course homework 4 ("LSTM") gives an LSTM with one scalar unit whose rounded visible state
/// h_t is 0 where x_t = 0, +1 where the run of consecutive ones ending at step t has odd
/// length, and -1 where it has even length (for example inputs [1, 1, 0, 1, 1] give
/// h = [1, -1, 0, 1, -1]). This task asks a network to learn that state.
///
/// - Sequences: `length` steps; the input at each step is a vector of size 1 holding a random
///   bit, 0 or 1 with probability 1/2 each, independent of every other bit.
/// - Targets: a class at every step, class = h_t + 1: class 0 ↔ h = -1 (even run of ones),
///   class 1 ↔ h = 0 (x_t = 0), class 2 ↔ h = +1 (odd run of ones).
/// - Spec: `input = .vectors(size: 1)`, `output = .classes(count: 3)`, loss at every step,
///   all sequences of the same length (no `lengths`), no carried state.
/// - Held out: 1024 fresh sequences of the same length drawn from the held-out seed.
///
/// Baselines: the targets are a deterministic function of the inputs seen so far, so a perfect
/// model reaches zero loss. Predicting the marginal class frequencies, about (1/6, 1/2, 1/3)
/// away from the start of a sequence, costs about 1.01 nats per step; always predicting
/// class 1 is right half of the time.
public struct ParityTask: TrainingData {
    /// The number of steps of every sequence.
    public let length: Int

    /// The number of held-out sequences.
    public static let heldOutSequences = 1024

    /// A task with sequences of `length` steps.
    /// - Throws: `RecurrentError` (`.value`) when `length` is less than 1 or over 2^40.
    public init(length: Int = 20) throws {
        try requireTaskParameter(length >= 1, "parity task: length \(length) must be at least 1")
        try requireTaskParameter(length <= maximumTaskLength, "parity task: length \(length) must be at most \(maximumTaskLength)")
        self.length = length
    }

    /// The homework LSTM's rounded states h_t (each -1, 0 or +1) for a sequence of bits.
    public static func homeworkStates(_ bits: [Bool]) -> [Int] {
        var run = 0
        return bits.map { bit in
            run = bit ? run + 1 : 0
            return run == 0 ? 0 : (run % 2 == 1 ? 1 : -1)
        }
    }

    /// One line saying what the data is, for the log.
    public var summary: String {
        "parity: \(length) random bits; at every step, is the current run of ones odd (+1), even (-1) or none (0)? 3 classes"
    }
    /// What the model reads.
    public var input: InputSpec { .vectors(size: 1) }
    /// Every sequence has `length` steps.
    public var maximumSteps: Int { length }
    /// What the model predicts.
    public var output: OutputSpec { .classes(count: 3) }
    /// Whether consecutive training batches continue the same sequences.
    public var carriesState: Bool { false }
    /// Refuses a batch size below 1, or one whose batch and held-out set would not fit in memory.
    public func validate(batchSize: Int) throws { try validateSynthetic(batchSize: batchSize) }
    /// The number of batches in one pass over the training data (nil: an endless generator).
    public func batchesPerEpoch(batchSize: Int) -> Int? { nil }

    /// The training batch for `step`, a pure function of (step, batchSize, seed).
    public func trainingBatch<Scalar: RecurrentScalar>(step: Int, batchSize: Int, seed: UInt64) throws -> TrainingBatch<Scalar> {
        try syntheticTrainingBatch(step: step, batchSize: batchSize, seed: seed)
    }

    /// The held-out batches (see the type's description).
    public func heldOutBatches<Scalar: RecurrentScalar>(batchSize: Int, seed: UInt64) throws -> [TrainingBatch<Scalar>] {
        try syntheticHeldOutBatches(batchSize: batchSize, seed: seed)
    }
}

extension ParityTask: SyntheticTask {
    var heldOutCount: Int { Self.heldOutSequences }
    var hasVariableLength: Bool { false }

    func makeSequence(using generator: inout SeededGenerator) -> SyntheticSequence {
        let bits = (0..<length).map { _ in generator.coin() }
        let classes = Self.homeworkStates(bits).map { Int32($0 + 1) }
        return SyntheticSequence(length: length, inputs: bits.map { $0 ? 1 : 0 }, target: .stepClasses(classes))
    }
}
