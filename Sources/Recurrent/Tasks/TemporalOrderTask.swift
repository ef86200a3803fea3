/// The temporal order problem: Hochreiter & Schmidhuber (1997), "Long Short-Term Memory",
/// experiment 6a ("two relevant, widely separated symbols").
///
/// The paper (T = 100): the sequence starts with an E, ends with a B (the "trigger symbol")
/// and otherwise consists of symbols drawn from {a, b, c, d}, except at two positions t1 and
/// t2 that hold X or Y; the length is drawn from 100...110, t1 from 10...20 and t2 from
/// 50...60; the class (Q, R, S, U in the paper) is the order of the two relevant symbols:
/// (X, X), (X, Y), (Y, X), (Y, Y). This type scales the ranges with T:
///
/// - Sequences: a length drawn uniformly from `T...T + T/10`, each step a one-hot vector of
///   size 8 over the symbols in the order a, b, c, d, B, E, X, Y (indices 0...7). Step 0 is E
///   and the last step is B; t1 is drawn from `T/10...2T/10` and t2 from `T/2...6T/10`
///   (integer division, steps counted from 0 at the initial E), and each holds X or Y with
///   probability 1/2; every other step is a, b, c or d, uniformly.
/// - Target: at the last step only, one of 4 classes: 0 for (X, X), 1 for (X, Y), 2 for (Y, X),
///   3 for (Y, Y) — that is 2 · [symbol at t1 is Y] + [symbol at t2 is Y].
/// - Spec: `input = .vectors(size: 8)`, `output = .classes(count: 4)`, loss at the last step,
///   `lengths` set (padded steps hold zeros).
/// - Held out: 1024 fresh sequences drawn from the held-out seed.
///
/// Baseline: the four classes are equally likely, so a model that ignores the inputs costs
/// ln 4 ≈ 1.386 nats and is right a quarter of the time. The paper counts a sequence as
/// classified correctly when every output unit's final error is below 0.3.
public struct TemporalOrderTask: TrainingData {
    /// T: the shortest sequence length; sequences have `T...T + T/10` steps.
    public let length: Int

    /// The number of held-out sequences.
    public static let heldOutSequences = 1024
    /// The names of the input symbols, in the order of the one-hot indices.
    public static let symbolNames: [Character] = ["a", "b", "c", "d", "B", "E", "X", "Y"]

    static let symbolB = 4, symbolE = 5, symbolX = 6, symbolY = 7

    /// The temporal order problem with minimum length `T` (the paper's T is 100).
    /// - Throws: `RecurrentError` (`.value`) when `T` is below 10 (t1 would reach the initial E)
    ///   or over 2^40.
    public init(length T: Int = 100) throws {
        try requireTaskParameter(T >= 10, "temporal order task: length \(T) must be at least 10")
        try requireTaskParameter(T <= maximumTaskLength, "temporal order task: length \(T) must be at most \(maximumTaskLength)")
        self.length = T
    }

    /// The range of sequence lengths: `T...T + T/10`.
    public var lengthRange: ClosedRange<Int> { length...(length + length / 10) }
    /// The steps that may hold the first relevant symbol: `T/10...2T/10`.
    public var firstPositions: ClosedRange<Int> { (length / 10)...(2 * length / 10) }
    /// The steps that may hold the second relevant symbol: `T/2...6T/10`.
    public var secondPositions: ClosedRange<Int> { (length / 2)...(6 * length / 10) }

    /// One line saying what the data is, for the log.
    public var summary: String {
        "temporal order (Hochreiter & Schmidhuber 1997, exp. 6a): \(lengthRange.lowerBound)–\(lengthRange.upperBound) "
            + "symbols; at the end, the order of X/Y at steps \(firstPositions.lowerBound)–\(firstPositions.upperBound) "
            + "and \(secondPositions.lowerBound)–\(secondPositions.upperBound) (4 classes)"
    }
    /// What the model reads.
    public var input: InputSpec { .vectors(size: 8) }
    /// T + T/10, the longest drawn.
    public var maximumSteps: Int { lengthRange.upperBound }
    /// What the model predicts.
    public var output: OutputSpec { .classes(count: 4) }
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

extension TemporalOrderTask: SyntheticTask {
    var heldOutCount: Int { Self.heldOutSequences }
    var hasVariableLength: Bool { true }

    func makeSequence(using generator: inout SeededGenerator) -> SyntheticSequence {
        let steps = generator.integer(in: lengthRange)
        var symbols = (0..<steps).map { _ in generator.below(4) }
        symbols[0] = Self.symbolE
        symbols[steps - 1] = Self.symbolB
        let t1 = generator.integer(in: firstPositions)
        let t2 = generator.integer(in: secondPositions)
        let firstIsY = generator.coin(), secondIsY = generator.coin()
        symbols[t1] = firstIsY ? Self.symbolY : Self.symbolX
        symbols[t2] = secondIsY ? Self.symbolY : Self.symbolX
        var inputs = [Double](repeating: 0, count: steps * 8)
        for (t, symbol) in symbols.enumerated() { inputs[t * 8 + symbol] = 1 }
        let label = Int32((firstIsY ? 2 : 0) + (secondIsY ? 1 : 0))
        return SyntheticSequence(length: steps, inputs: inputs, target: .lastClass(label))
    }
}
