import Foundation

/// The copying-memory task (Arjovsky, Shah & Bengio 2016, "Unitary Evolution Recurrent Neural
/// Networks", after Hochreiter & Schmidhuber 1997): remember S symbols over a delay of T steps.
///
/// - Sequences: `S + T + S` steps of one-hot vectors of size `K + 2` (index `0..<K` for the K
///   symbols, index K for blank, index K + 1 for the go-marker): S symbols drawn uniformly and
///   independently from the K symbols, then T - 1 blanks, then the go-marker, then S blanks.
/// - Targets: a class at every step, out of K + 1: class 0 ("blank") at the first S + T steps;
///   the last S steps' targets are the S symbols in order, symbol j as class j + 1.
/// - Spec: `input = .vectors(size: K + 2)`, `output = .classes(count: K + 1)`, loss at every
///   step, all sequences of the same length (no `lengths`), no carried state.
/// - Held out: 1024 fresh sequences drawn from the held-out seed.
///
/// Baseline (`trivialLoss`): predicting blank for the first S + T steps and a uniform guess
/// over the K symbols for the last S costs S · ln K / (T + 2S) nats per step (memoryless
/// models reach it; Arjovsky et al.'s task is S = 10, K = 8).
public struct CopyTask: TrainingData {
    /// T: the number of steps from the last symbol to the go-marker.
    public let delay: Int
    /// S: the number of symbols to copy.
    public let symbols: Int
    /// K: the number of distinct symbols.
    public let alphabet: Int

    /// The number of held-out sequences.
    public static let heldOutSequences = 1024

    /// A copy task with delay `T`, `S` symbols to copy, out of an alphabet of `K`.
    /// - Throws: `RecurrentError` (`.value`) when T, S or K is less than 1, T or S over 2^40, K over 2^20.
    public init(delay T: Int, symbols S: Int = 5, alphabet K: Int = 8) throws {
        try requireTaskParameter(T >= 1, "copy task: delay \(T) must be at least 1")
        try requireTaskParameter(S >= 1, "copy task: symbols \(S) must be at least 1")
        try requireTaskParameter(K >= 1, "copy task: alphabet \(K) must be at least 1")
        try requireTaskParameter(T <= maximumTaskLength, "copy task: delay \(T) must be at most \(maximumTaskLength)")
        try requireTaskParameter(S <= maximumTaskLength, "copy task: symbols \(S) must be at most \(maximumTaskLength)")
        try requireTaskParameter(K <= 1 << 20, "copy task: alphabet \(K) must be at most \(1 << 20)")
        delay = T
        symbols = S
        alphabet = K
    }

    /// The length of every sequence: S + T + S.
    public var sequenceLength: Int { 2 * symbols + delay }

    /// The cross-entropy per step of the memoryless strategy: S · ln K / (T + 2S) nats.
    public var trivialLoss: Double { Double(symbols) * log(Double(alphabet)) / Double(sequenceLength) }

    /// One line saying what the data is, for the log.
    public var summary: String {
        "copy: remember \(symbols) of \(alphabet) symbols over \(delay) steps and repeat them after the go-marker "
            + "(\(sequenceLength) steps, \(alphabet + 1) classes at every step)"
    }
    /// What the model reads.
    public var input: InputSpec { .vectors(size: alphabet + 2) }
    /// S + T + S: every sequence has it.
    public var maximumSteps: Int { sequenceLength }
    /// What the model predicts.
    public var output: OutputSpec { .classes(count: alphabet + 1) }
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

extension CopyTask: SyntheticTask {
    var heldOutCount: Int { Self.heldOutSequences }
    var hasVariableLength: Bool { false }

    func makeSequence(using generator: inout SeededGenerator) -> SyntheticSequence {
        let width = alphabet + 2, blank = alphabet, go = alphabet + 1
        let steps = sequenceLength
        let drawn = (0..<symbols).map { _ in generator.below(alphabet) }
        var inputs = [Double](repeating: 0, count: steps * width)
        var classes = [Int32](repeating: 0, count: steps)
        for t in 0..<steps {
            let index: Int
            if t < symbols {
                index = drawn[t]
            } else if t == symbols + delay - 1 {
                index = go
            } else {
                index = blank
            }
            inputs[t * width + index] = 1
            if t >= symbols + delay { classes[t] = Int32(drawn[t - symbols - delay] + 1) }
        }
        return SyntheticSequence(length: steps, inputs: inputs, target: .stepClasses(classes))
    }
}
