/// What a model reads at each time step.
public enum InputSpec: Equatable, Sendable, Codable {
    /// Vectors of this size: the recurrent stack's input size X.
    case vectors(size: Int)
    /// Token ids in `0..<vocabularySize`, looked up in an embedding before the recurrent stack.
    case tokens(vocabularySize: Int)
}

/// What a model predicts, and how it is scored.
public enum OutputSpec: Equatable, Sendable, Codable {
    /// Real values of this size, scored by mean squared error.
    case values(size: Int)
    /// One of `count` classes (softmax over `count` logits), scored by cross-entropy; accuracy
    /// is reported too.
    case classes(count: Int)

    /// The size of the model's output vector.
    public var size: Int {
        switch self {
        case .values(let size): size
        case .classes(let count): count
        }
    }
}

/// Where in a sequence the loss is taken.
public enum LossPositions: String, Sendable, Codable, CaseIterable {
    /// At every step inside the sequence's length.
    case everyStep
    /// At each sequence's last step (step `length - 1`).
    case lastStep
}

/// The inputs of a batch, sequence-first.
public enum BatchInputs<Scalar: RecurrentScalar>: Sendable, Equatable {
    /// `(T, B, X)` vectors, flat.
    case vectors([Scalar])
    /// `(T, B)` token ids, flat.
    case tokens([Int32])
}

/// The targets of a batch, sequence-first.
public enum BatchTargets<Scalar: RecurrentScalar>: Sendable, Equatable {
    /// Values: `(T, B, O)` flat for `.everyStep`, `(B, O)` for `.lastStep`.
    case values([Scalar], positions: LossPositions)
    /// Class indices: `(T, B)` flat for `.everyStep`, `(B)` for `.lastStep`. A negative index
    /// marks a position that does not count (PyTorch's `ignore_index`).
    case classes([Int32], positions: LossPositions)

    /// Where the loss is taken.
    public var positions: LossPositions {
        switch self {
        case .values(_, let p), .classes(_, let p): p
        }
    }
}

/// One batch of B sequences of T steps for training or evaluation.
public struct TrainingBatch<Scalar: RecurrentScalar>: Sendable, Equatable {
    /// T
    public var steps: Int
    /// B
    public var batch: Int
    /// The inputs, `(T, B, ·)`.
    public var inputs: BatchInputs<Scalar>
    /// The targets.
    public var targets: BatchTargets<Scalar>
    /// Each sequence's length (B values in 1...T), or nil when every sequence has T steps.
    public var lengths: [Int]?
    /// Whether this batch continues the sequences of the previous batch of the same run, so
    /// training starts from the state that batch ended in (truncated backpropagation through
    /// time over a long stream). False starts from zero states.
    public var continuesPrevious: Bool

    /// Makes a batch.
    public init(steps: Int, batch: Int, inputs: BatchInputs<Scalar>, targets: BatchTargets<Scalar>,
                lengths: [Int]? = nil, continuesPrevious: Bool = false) {
        self.steps = steps
        self.batch = batch
        self.inputs = inputs
        self.targets = targets
        self.lengths = lengths
        self.continuesPrevious = continuesPrevious
    }
}

/// A source of training data: a built-in task, arrays from files, a text, a time series.
///
/// Every batch is a pure function of its step number, the batch size and the seed, so a run
/// can stop and resume anywhere and see exactly the same data.
public protocol TrainingData: Sendable {
    /// One line saying what the data is, for the log.
    var summary: String { get }
    /// What a checkpoint compares to tell that a resumed run reads the same data: the summary,
    /// and for data read from a file how it is sampled and a hash of its content (another text
    /// of the same length and alphabet has the same summary).
    var identity: String { get }
    /// What the model reads.
    var input: InputSpec { get }
    /// What the model predicts.
    var output: OutputSpec { get }
    /// T of the longest batch: what a batch will need is counted from it before any is drawn.
    var maximumSteps: Int { get }
    /// Whether consecutive training batches continue the same sequences (a long stream cut
    /// into chunks, trained by truncated backpropagation through time with the state carried).
    var carriesState: Bool { get }
    /// Whether each step's target is the next step's input (a text's next character, a
    /// series' next row): a model that reads the sequence backwards would see the answer.
    var targetIsNextInput: Bool { get }
    /// Whether the seed changes the batches (drawn sequences, shuffled order, random windows).
    var drawsFromSeed: Bool { get }
    /// The number of batches in one pass over the training data, or nil for a generator that
    /// never runs out (the synthetic tasks).
    func batchesPerEpoch(batchSize: Int) -> Int?
    /// The most sequences any batch of `batchSize` holds, training or held out: fewer than
    /// `batchSize` for data with fewer sequences (what memory is counted for).
    func largestBatch(batchSize: Int) -> Int
    /// The training batch for step `step` (0, 1, 2, ...). Finite data is visited in epochs of
    /// `batchesPerEpoch` steps; shuffling, if any, is derived from the seed and the epoch.
    /// - Throws: `RecurrentError` for a negative step or a batch size `validate(batchSize:)` refuses.
    func trainingBatch<Scalar: RecurrentScalar>(step: Int, batchSize: Int, seed: UInt64) throws -> TrainingBatch<Scalar>
    /// Held-out data to report on: the validation split of finite data, or fresh sequences
    /// from a generator (drawn from `seed`, which the trainer keeps apart from training seeds).
    /// Empty when there is none. Batches of a stream continue each other (`continuesPrevious`).
    /// - Throws: `RecurrentError` for a batch size below 1.
    func heldOutBatches<Scalar: RecurrentScalar>(batchSize: Int, seed: UInt64) throws -> [TrainingBatch<Scalar>]
    /// Checks, before training starts, that the data can make batches of `batchSize` sequences
    /// (`trainingBatch` checks it again).
    /// - Throws: `RecurrentError` saying what is wrong and what to change (for example a text
    ///   too short for `batchSize` streams of one chunk). The default accepts every size >= 1.
    func validate(batchSize: Int) throws
}

extension TrainingData {
    /// The summary: a generator's data is all in it (its kind, sizes and seed-free recipe).
    public var identity: String { summary }

    /// Targets apart from the inputs (a task's answer, arrays of targets).
    public var targetIsNextInput: Bool { false }

    /// Drawn from the seed (a task's generator, shuffled windows).
    public var drawsFromSeed: Bool { true }

    /// `batchSize`: every batch full (a generator, a text's streams and windows).
    public func largestBatch(batchSize: Int) -> Int { batchSize }

    /// Accepts every batch size from 1 up.
    public func validate(batchSize: Int) throws {
        try Self.requirePositive(batchSize: batchSize)
    }

    /// What `trainingBatch` checks first: a step from 0 up and a batch size `validate` accepts.
    func checkTrainingRequest(step: Int, batchSize: Int) throws {
        guard step >= 0 else { throw RecurrentError.value("training step \(step) is negative") }
        try validate(batchSize: batchSize)
    }

    /// Refuses a batch size below 1 (what `heldOutBatches` checks).
    static func requirePositive(batchSize: Int) throws {
        guard batchSize >= 1 else { throw RecurrentError.value("batch size \(batchSize) must be at least 1") }
    }
}
