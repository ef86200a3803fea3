/// The adding problem: Hochreiter & Schmidhuber (1997), "Long Short-Term Memory", experiment 4.
///
/// - Sequences: a length drawn uniformly from `T...T + T/10` (integer division). Each step is a
///   pair (value, marker): the value is uniform in [-1, 1), the marker is 1.0, 0.0 or -1.0.
///   Exactly two pairs are marked with 1.0: first one of the first ten pairs, uniformly (its
///   value is X1), then, uniformly, one of the first `T/2 - 1` pairs that are still unmarked
///   (its value is X2; with X1's pair among them these are pairs `0..<T/2` less X1's pair).
///   Every other marker is 0, except the first and the final pair's, which are -1 when those
///   pairs are not marked. In the case where X1's pair is the first pair of the sequence
///   (probability 1/10), X1 is set to zero, in the input as well as in the target.
/// - Target: at the sequence's last step only, the value 0.5 + (X1 + X2) / 4, which lies in
///   [0, 1] (the paper's scaling of the sum to that interval).
/// - Spec: `input = .vectors(size: 2)` (value, marker), `output = .values(size: 1)`, loss at the
///   last step (targets `(B, 1)`), `lengths` set; the batch has as many steps as its longest
///   sequence and padded steps hold zeros.
/// - Held out: 2048 fresh sequences drawn from the held-out seed.
///
/// The paper counts a sequence as processed correctly when the absolute error at its end is
/// below 0.04 (`correctAbsoluteError`), and stops training when the mean squared error is
/// below 0.01 (`criterionMSE`) and the last 2000 sequences were all correct. Predicting the
/// constant 0.5 costs `trivialMSE` = Var[(X1 + X2) / 4] = (3/10 + 1/3) / 16 = 19/480 ≈ 0.0396
/// (without the zeroing rule it would be 1/24 ≈ 0.0417).
public struct AddingTask: TrainingData {
    /// T: the shortest sequence length; sequences have `T...T + T/10` steps.
    public let length: Int

    /// The number of held-out sequences.
    public static let heldOutSequences = 2048
    /// The shortest T: X1 is one of the first ten pairs, X2 one of the first T/2 - 1.
    public static let minimumLength = 20
    /// The mean squared error of always predicting 0.5, the mean target: exactly 19/480.
    ///
    /// X1 and X2 are independent with mean 0; E[X2²] = 1/3 and, because X1 is zero with
    /// probability 1/10, E[X1²] = 9/10 · 1/3 = 3/10, so Var[(X1 + X2)/4] = (3/10 + 1/3)/16.
    public static let trivialMSE: Double = 19.0 / 480.0
    /// The paper's stopping criterion on the mean squared error.
    public static let criterionMSE: Double = 0.01
    /// The paper's per-sequence criterion: absolute error at the sequence end below this.
    public static let correctAbsoluteError: Double = 0.04

    /// The adding problem with minimum length `T` (the paper uses 100, 500 and 1000).
    /// - Throws: `RecurrentError` (`.value`) when `T` is below 20 (X1 comes from the first
    ///   ten pairs and X2 from the first `T/2 - 1`) or over 2^40.
    public init(length T: Int) throws {
        try requireTaskParameter(T >= Self.minimumLength,
                                 "adding task: length \(T) must be at least \(Self.minimumLength) (X1 is one of the first ten pairs)")
        try requireTaskParameter(T <= maximumTaskLength, "adding task: length \(T) must be at most \(maximumTaskLength)")
        self.length = T
    }

    /// The range of sequence lengths: `T...T + T/10`.
    public var lengthRange: ClosedRange<Int> { length...(length + length / 10) }

    /// One line saying what the data is, for the log.
    public var summary: String {
        "adding (Hochreiter & Schmidhuber 1997, exp. 4): \(lengthRange.lowerBound)–\(lengthRange.upperBound) "
            + "(value, marker) pairs; at the end, 0.5 + (sum of the two marked values) / 4"
    }
    /// What the model reads.
    public var input: InputSpec { .vectors(size: 2) }
    /// T + T/10, the longest drawn.
    public var maximumSteps: Int { lengthRange.upperBound }
    /// What the model predicts.
    public var output: OutputSpec { .values(size: 1) }
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

extension AddingTask: SyntheticTask {
    var heldOutCount: Int { Self.heldOutSequences }
    var hasVariableLength: Bool { true }

    func makeSequence(using generator: inout SeededGenerator) -> SyntheticSequence {
        let steps = generator.integer(in: lengthRange)
        var values = (0..<steps).map { _ in -1 + 2 * generator.nextUnit() }
        var markers = [Double](repeating: 0, count: steps)
        markers[0] = -1
        markers[steps - 1] = -1
        let first = generator.below(10)
        // The k-th of the first T/2 - 1 unmarked pairs: skip X1's pair.
        let k = generator.below(length / 2 - 1)
        let second = k < first ? k : k + 1
        markers[first] = 1
        markers[second] = 1
        if first == 0 { values[0] = 0 }
        let target = 0.5 + (values[first] + values[second]) / 4
        var inputs = [Double](repeating: 0, count: 2 * steps)
        for t in 0..<steps {
            inputs[2 * t] = values[t]
            inputs[2 * t + 1] = markers[t]
        }
        return SyntheticSequence(length: steps, inputs: inputs, target: .lastValues([target]))
    }
}
