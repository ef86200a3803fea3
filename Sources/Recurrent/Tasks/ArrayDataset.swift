import Foundation

/// User data held in arrays (typically two `.npy` files), laid out as `recurrent predict`
/// reads them: N sequences of T steps each.
///
/// - Inputs: `(T, N, X)`, or `(N, T, X)` with `batchFirst`.
/// - Targets for regression (`classes: nil`, mean squared error): `(T, N, O)` (`(N, T, O)` with
///   `batchFirst`) for a loss at every step, or `(N, O)` for a loss at the last step.
/// - Targets for classification (`classes: K`, cross-entropy): class indices stored as floats,
///   whole numbers in `0..<K`: `(T, N)` (`(N, T)` with `batchFirst`) for every step, or `(N)`
///   for the last step.
/// - Split: the last `round(validationFraction · N)` sequences are held out, the others train.
/// - Training batches: the training sequences in batches of B, in order (or in an order
///   shuffled per epoch from (seed, epoch) with `shuffle`), the last batch of an epoch smaller
///   when B does not divide their number, like PyTorch's `DataLoader(drop_last=False)`.
///   Every batch has T steps and starts from zero state.
/// - Held-out batches: the held-out sequences in order, in batches of B.
/// - Spec: `input = .vectors(size: X)`, `output = .values(size: O)` or `.classes(count: K)`.
public struct ArrayDataset: TrainingData {
    /// N: the number of sequences.
    public let sequenceCount: Int
    /// T: the number of steps of every sequence.
    public let steps: Int
    /// X: the size of an input vector.
    public let inputSize: Int
    /// What the model predicts.
    public let output: OutputSpec
    /// Where the loss is taken: every step or the last step, from the targets' rank.
    public let positions: LossPositions
    /// The number of sequences that train (the first ones).
    public let trainingCount: Int
    /// Whether each epoch visits the training sequences in a random order.
    public let shuffle: Bool
    /// What the inputs and targets are called in messages: file paths, or "inputs" and "targets".
    public let inputName: String, targetName: String
    /// Inputs `(N, T, X)`.
    private let inputValues: [Float]
    /// Value targets `(N, T, O)` or `(N, O)`; empty for classes.
    private let targetValues: [Float]
    /// Class targets `(N, T)` or `(N)`; empty for values.
    private let targetClasses: [Int32]

    /// Data from tensors.
    /// - Parameters:
    ///   - inputs: `(T, N, X)`, or `(N, T, X)` with `batchFirst`.
    ///   - targets: see the type's description; its rank decides where the loss is taken.
    ///   - batchFirst: whether the first two dimensions are (N, T) rather than (T, N).
    ///   - validationFraction: the fraction of sequences held out at the end, in [0, 1).
    ///   - shuffle: whether each epoch visits the training sequences in a random order.
    ///   - classes: the number of classes for classification, nil for regression.
    /// - Throws: `RecurrentError`: (`.shape`) naming both tensors and their shapes when a rank is
    ///   wrong or N or T disagree; (`.value`) naming the tensor and element for a non-finite
    ///   value or a target that is not a class index, or for a parameter out of range.
    public init(inputs: Tensor<Float>, targets: Tensor<Float>, batchFirst: Bool = false,
                validationFraction: Double = 0, shuffle: Bool = false, classes: Int? = nil) throws {
        try self.init(inputs: inputs, targets: targets, inputName: "inputs", targetName: "targets",
                      batchFirst: batchFirst, validationFraction: validationFraction, shuffle: shuffle, classes: classes)
    }

    /// Data from two `.npy` files (float32 or float64; class-index targets may also be int32 or
    /// int64, PyTorch's dtype for them); messages name the files.
    /// - Throws: `RecurrentError` as `NPY.read` and `init(inputs:targets:...)` do.
    public init(inputURL: URL, targetURL: URL, batchFirst: Bool = false,
                validationFraction: Double = 0, shuffle: Bool = false, classes: Int? = nil) throws {
        try self.init(inputs: NPY.read(inputURL, as: Float.self), targets: Self.targets(targetURL, classIndices: classes != nil),
                      inputName: inputURL.path, targetName: targetURL.path, batchFirst: batchFirst,
                      validationFraction: validationFraction, shuffle: shuffle, classes: classes)
    }

    /// The targets of a `.npy` file: floats, or, for class indices, integers as floats (exact
    /// up to 2^24, the most classes this takes).
    /// - Throws: `RecurrentError` as `NPY.readContents` does, and for integer value targets.
    public static func targets(_ url: URL, classIndices: Bool) throws -> Tensor<Float> {
        switch try NPY.readContents(url, as: Float.self) {
        case .values(let tensor):
            return tensor
        case .integers(let shape, let values):
            guard classIndices else {
                throw RecurrentError.value("\(url.path): holds integers; targets of values are float32 or float64 "
                    + "(integer targets are class indices, for a cross-entropy loss)")
            }
            if let (i, v) = values.enumerated().first(where: { $0.element.magnitude > 1 << 24 }) {
                throw RecurrentError.value("\(url.path): element \(i) is \(v), not a class index (at most 2^24 classes)")
            }
            return try Tensor(shape: shape, scalars: values.map { Float($0) })
        }
    }

    init(inputs: Tensor<Float>, targets: Tensor<Float>, inputName: String, targetName: String, batchFirst: Bool,
         validationFraction: Double, shuffle: Bool, classes: Int?) throws {
        if let classes, classes < 1 || classes > Int(Int32.max) {
            throw RecurrentError.value("the number of classes \(classes) must be in 1...\(Int32.max) (a class is stored as an Int32)")
        }
        guard validationFraction >= 0, validationFraction < 1 else {
            throw RecurrentError.value("validation fraction \(validationFraction) must be in [0, 1)")
        }
        let (t, n, everyStep) = try Self.checkShapes(inputs: inputs, targets: targets, inputName: inputName,
                                                     targetName: targetName, batchFirst: batchFirst, classes: classes)
        try Self.checkFinite(inputs, name: inputName)
        try Self.checkFinite(targets, name: targetName)
        // Per-sequence storage: batch-first.
        let perSequence = try batchFirst ? inputs : inputs.swappingFirstTwoAxes()
        let perSequenceTargets = try batchFirst || !everyStep ? targets : targets.swappingFirstTwoAxes()
        if let classes {
            // Checked in the file's order, so the first bad element is the file's first.
            if let bad = targets.scalars.firstIndex(where: { $0 != $0.rounded() || $0 < 0 || $0 >= Float(classes) }) {
                let value = targets.scalars[bad]
                throw RecurrentError.value(
                    "\(targetName): element \(describeShape(Self.unflatten(bad, shape: targets.shape))) is \(value), "
                        + (value == value.rounded() ? "not a class index in 0..<\(classes)" : "not a whole number (a class index)"))
            }
            targetClasses = perSequenceTargets.scalars.map { Int32($0) }
            targetValues = []
            output = .classes(count: classes)
        } else {
            targetValues = perSequenceTargets.scalars
            targetClasses = []
            output = .values(size: targets.shape[targets.rank - 1])
        }
        inputValues = perSequence.scalars
        sequenceCount = n
        steps = t
        inputSize = inputs.shape[2]
        positions = everyStep ? .everyStep : .lastStep
        trainingCount = n - heldOutItemCount(fraction: validationFraction, of: n)
        self.shuffle = shuffle
        self.inputName = inputName
        self.targetName = targetName
        guard trainingCount >= 1 else {
            throw RecurrentError.value("validation fraction \(validationFraction) of \(n) sequences leaves none to train on")
        }
    }

    /// T and N from the inputs, and whether the targets have a step axis (a loss at every
    /// step) or not (the last step); the targets' rank decides. Throws naming the tensor whose
    /// rank is wrong or that is empty, or both tensors when their N or T disagree.
    private static func checkShapes(inputs: Tensor<Float>, targets: Tensor<Float>, inputName: String, targetName: String,
                                    batchFirst: Bool, classes: Int?) throws -> (t: Int, n: Int, everyStep: Bool) {
        let layout = batchFirst ? "N, T" : "T, N"
        guard inputs.rank == 3 else {
            throw RecurrentError.shape(
                "\(inputName): inputs have shape \(describeShape(inputs.shape)), expected (\(layout), X)")
        }
        let (t, n) = batchFirst ? (inputs.shape[1], inputs.shape[0]) : (inputs.shape[0], inputs.shape[1])
        guard t >= 1, n >= 1, inputs.shape[2] >= 1 else {
            throw RecurrentError.shape("\(inputName): inputs of shape \(describeShape(inputs.shape)) are empty")
        }
        let everyStepRank = classes == nil ? 3 : 2
        let expected = classes == nil
            ? "(\(layout), O) for a loss at every step or (N, O) for the last step"
            : "class indices (\(layout)) for every step or (N) for the last step"
        guard targets.rank == everyStepRank || targets.rank == everyStepRank - 1 else {
            throw RecurrentError.shape("\(targetName): targets have shape \(describeShape(targets.shape)), expected \(expected)")
        }
        let everyStep = targets.rank == everyStepRank
        let (targetT, targetN) = !everyStep ? (t, targets.shape[0])
            : batchFirst ? (targets.shape[1], targets.shape[0]) : (targets.shape[0], targets.shape[1])
        let both = "\(targetName) has shape \(describeShape(targets.shape)) and \(inputName) has shape "
            + "\(describeShape(inputs.shape))"
        guard targetN == n else {
            throw RecurrentError.shape("\(both): \(targetN) sequences (N) in the targets, \(n) in the inputs (layout \(layout))")
        }
        guard targetT == t else {
            throw RecurrentError.shape("\(both): \(targetT) steps (T) in the targets, \(t) in the inputs (layout \(layout))")
        }
        // Ranks are at least 1 here (everyStepRank - 1 >= 1).
        if classes == nil, targets.shape[targets.rank - 1] < 1 {
            throw RecurrentError.shape("\(targetName): targets of shape \(describeShape(targets.shape)) are empty")
        }
        return (t, n, everyStep)
    }

    /// Throws naming the first element that is NaN or infinite, by its index in the tensor.
    private static func checkFinite(_ tensor: Tensor<Float>, name: String) throws {
        guard let bad = tensor.scalars.firstIndex(where: { !$0.isFinite }) else { return }
        throw RecurrentError.value(
            "\(name): element \(describeShape(unflatten(bad, shape: tensor.shape))) is \(tensor.scalars[bad]); "
                + "values must be finite")
    }

    /// The multi-index of a flat index in a row-major shape.
    private static func unflatten(_ flat: Int, shape: [Int]) -> [Int] {
        var rest = flat
        var index = [Int](repeating: 0, count: shape.count)
        for d in shape.indices.reversed() {
            index[d] = rest % shape[d]
            rest /= shape[d]
        }
        return index
    }

    /// The number of held-out sequences.
    public var heldOutCount: Int { sequenceCount - trainingCount }
    /// The summary and a hash of the inputs and targets.
    public var identity: String {
        var hash = FNV1a()
        hash.mix(bitsOf: inputValues)
        hash.mix(bitsOf: targetValues)
        return summary + "; content \(hash.hex)"
    }

    /// One line saying what the data is, for the log.
    public var summary: String {
        let what = switch output {
        case .classes(let count): "\(count) classes"
        case .values(let size): "\(size) value\(size == 1 ? "" : "s")"
        }
        return "arrays \(inputName) → \(targetName): \(sequenceCount) sequences of \(steps) steps of \(inputSize) "
            + "inputs, \(what) at \(positions == .everyStep ? "every step" : "the last step"); "
            + "\(trainingCount) train\(shuffle ? " (shuffled)" : ""), \(heldOutCount) held out"
    }
    /// What the model reads.
    public var input: InputSpec { .vectors(size: inputSize) }
    /// T: every sequence has it.
    public var maximumSteps: Int { steps }
    /// Whether consecutive training batches continue the same sequences.
    public var carriesState: Bool { false }
    /// The order is shuffled from the seed only with `shuffle`.
    public var drawsFromSeed: Bool { shuffle }

    private var order: EpochOrder { EpochOrder(count: trainingCount, shuffle: shuffle) }

    /// The number of batches in one pass over the training data (nil: an endless generator).
    public func batchesPerEpoch(batchSize: Int) -> Int? { order.batchesPerEpoch(batchSize: batchSize) }

    /// No more than the training or held-out sequences.
    public func largestBatch(batchSize: Int) -> Int { min(batchSize, max(trainingCount, heldOutCount)) }

    /// The training batch for `step`, a pure function of (step, batchSize, seed).
    public func trainingBatch<Scalar: RecurrentScalar>(step: Int, batchSize: Int, seed: UInt64) throws -> TrainingBatch<Scalar> {
        try checkTrainingRequest(step: step, batchSize: batchSize)
        return batch(order.items(step: step, batchSize: batchSize, seed: seed))
    }

    /// The held-out batches (see the type's description).
    public func heldOutBatches<Scalar: RecurrentScalar>(batchSize: Int, seed: UInt64) throws -> [TrainingBatch<Scalar>] {
        try Self.requirePositive(batchSize: batchSize)
        return batchRanges(count: heldOutCount, batchSize: batchSize).map { range in
            batch(range.map { trainingCount + $0 })
        }
    }

    /// The given sequences, sequence-first.
    private func batch<Scalar: RecurrentScalar>(_ sequences: [Int]) -> TrainingBatch<Scalar> {
        let batch = sequences.count, x = inputSize
        var inputs = [Float](repeating: 0, count: steps * batch * x)
        for (b, n) in sequences.enumerated() {
            for t in 0..<steps {
                let from = (n * steps + t) * x, to = (t * batch + b) * x
                for i in 0..<x { inputs[to + i] = inputValues[from + i] }
            }
        }
        let targets: BatchTargets<Scalar>
        switch (output, positions) {
        case (.classes, .everyStep):
            var classes = [Int32](repeating: 0, count: steps * batch)
            for (b, n) in sequences.enumerated() {
                for t in 0..<steps { classes[t * batch + b] = targetClasses[n * steps + t] }
            }
            targets = .classes(classes, positions: .everyStep)
        case (.classes, .lastStep):
            targets = .classes(sequences.map { targetClasses[$0] }, positions: .lastStep)
        case (.values(let o), .everyStep):
            var values = [Float](repeating: 0, count: steps * batch * o)
            for (b, n) in sequences.enumerated() {
                for t in 0..<steps {
                    let from = (n * steps + t) * o, to = (t * batch + b) * o
                    for i in 0..<o { values[to + i] = targetValues[from + i] }
                }
            }
            targets = .values(convertScalars(values), positions: .everyStep)
        case (.values(let o), .lastStep):
            targets = .values(convertScalars(sequences.flatMap { n in targetValues[(n * o)..<(n * o + o)] }),
                              positions: .lastStep)
        }
        return TrainingBatch(steps: steps, batch: batch, inputs: .vectors(convertScalars(inputs)), targets: targets)
    }
}
