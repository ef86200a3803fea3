import Foundation

/// A character-level language-model corpus: predict each next character of a text, trained on
/// random windows or, as in Karpathy's char-rnn, by truncated backpropagation through time
/// over long streams.
///
/// - Characters are Unicode scalars. The vocabulary is the sorted distinct scalars of the whole
///   text (training and held-out part), token id = index in `vocabulary`.
/// - Split: the first `n - round(validationFraction · n)` characters train, the rest are held
///   out.
/// - Training batches (`sampling`): `.windows` (the default) cuts the N training characters
///   into W = (N - L) / L windows of L + 1 characters (inputs and next characters) starting at
///   phase + k·L, k < W, with a random phase in [0, L) drawn for each epoch; an epoch takes them
///   in a random order (sampling without replacement, as a shuffled PyTorch DataLoader does),
///   B per batch, each from a zero state; the last W mod B are left out. `.streams` cuts the
///   N training characters into B contiguous streams of m = (N - 1) / B characters each (stream b starts at character b · m); each stream is cut
///   into `chunksPerEpoch = m / L` chunks of L = `sequenceLength` steps. Step i takes chunk
///   c = i mod chunksPerEpoch of every stream: the inputs are the stream's characters
///   [c·L, c·L + L), the targets the characters one further on (the next character), a class
///   at every step. `continuesPrevious` is c > 0, so chunk c starts from the state chunk c - 1
///   ended in. An epoch visits every chunk once, always in the same order; the last m mod L
///   characters of each stream and the last (N - 1) mod B characters of the training part are
///   not trained on.
/// - Held-out batches: the held-out characters, preceded by the last training character as
///   context, are cut the same way into B streams (the first (count mod B) streams one
///   character longer than the others) and consecutive chunks of at most L steps, continuing
///   each other. Every held-out character is a target exactly once, so the mean loss over
///   the counted positions is the held-out loss in nats per character; the steps past the
///   end of a shorter stream (at most one per stream, at the very end, plus whole streams
///   when there are fewer held-out characters than B) have input token 0 and the ignored
///   target class -1.
/// - Spec: `input = .tokens(vocabularySize:)`, `output = .classes(count: vocabularySize)`,
///   loss at every step, `carriesState = true`.
///
/// Baseline: predicting the characters' frequencies costs their unigram entropy (about 3.3
/// nats per character for English text); a uniform guess costs ln(vocabularySize).
public struct TextCorpus: TrainingData {
    /// The sorted distinct Unicode scalars of the text; a character's token id is its index.
    public private(set) var vocabulary: [Unicode.Scalar]
    /// L: the number of steps of a training chunk.
    public let sequenceLength: Int
    /// The fraction of the characters held out, at the end of the text.
    public let validationFraction: Double
    /// The whole text as token ids.
    public private(set) var tokens: [Int32]
    /// The number of characters that train (the first ones); the rest are held out.
    public let trainingCount: Int
    /// What the text is called in messages and the summary: a file path or "text".
    public let name: String
    private var ids: [Unicode.Scalar: Int32]
    /// How training batches are drawn from the training part: shuffled windows by default, which
    /// reach a lower held-out loss than contiguous streams in a few thousand steps (measured in
    /// docs/EXPERIMENTS.md: 1.48 against 1.53 nats per character for the README's model).
    public var sampling: TextSampling = .windows

    /// The number of token ids: the text's distinct characters, or more once it is encoded
    /// with a model's vocabulary (`encoded(with:)`).
    public var vocabularySize: Int { vocabulary.count }
    /// The number of distinct characters in the text itself.
    public let distinctCharacterCount: Int
    /// The number of held-out characters.
    public var heldOutCount: Int { tokens.count - trainingCount }

    /// A corpus from a text.
    /// - Parameters:
    ///   - text: the whole text; needs at least 2 characters.
    ///   - sequenceLength: L, the steps of one training chunk (at least 1).
    ///   - validationFraction: the fraction of characters held out at the end, in [0, 1).
    /// - Throws: `RecurrentError` (`.value`) for a text of fewer than 2 characters, a training
    ///   part of fewer than 2, or a parameter out of range.
    public init(text: String, sequenceLength: Int, validationFraction: Double = 0.1) throws {
        try self.init(text: text, name: "text", sequenceLength: sequenceLength, validationFraction: validationFraction)
    }

    /// A corpus from a UTF-8 text file.
    /// - Throws: `RecurrentError` (`.io`) naming the path when the file cannot be read,
    ///   (`.format`) when it is not valid UTF-8, (`.value`) as for `init(text:...)`.
    public init(contentsOf url: URL, sequenceLength: Int, validationFraction: Double = 0.1) throws {
        try self.init(text: Self.readText(url), name: url.path, sequenceLength: sequenceLength,
                      validationFraction: validationFraction)
    }

    /// The text of a UTF-8 file, read as the corpus reads it. A byte-order mark at its start
    /// (U+FEFF, which some editors write) marks the encoding, not the text: it is dropped, as
    /// Python's `utf-8-sig` does.
    /// - Throws: `RecurrentError` (`.io`) naming the path when the file cannot be read, (`.format`)
    ///   when it is not valid UTF-8.
    public static func readText(_ url: URL) throws -> String {
        let data = try FileAccess.readMapped(url)
        let text = data.withUnsafeBytes { bytes in
            String(validating: bytes.bindMemory(to: UInt8.self), as: UTF8.self)
        }
        guard let text else { throw RecurrentError.format("\(url.path): not a UTF-8 text file") }
        return text.unicodeScalars.first == "\u{FEFF}" ? String(text.unicodeScalars.dropFirst()) : text
    }

    init(text: String, name: String, sequenceLength: Int, validationFraction: Double) throws {
        guard sequenceLength >= 1 else {
            throw RecurrentError.value("\(name): sequence length \(sequenceLength) must be at least 1")
        }
        guard validationFraction >= 0, validationFraction < 1 else {
            throw RecurrentError.value("\(name): validation fraction \(validationFraction) must be in [0, 1)")
        }
        // One pass: scalar values, and which ones occur (a table for the Basic Multilingual
        // Plane, a set for the rest), so a megabyte of text takes milliseconds.
        var values: [UInt32] = []
        values.reserveCapacity(text.utf8.count)
        var seen = [Bool](repeating: false, count: 0x1_0000)
        var seenAstral = Set<UInt32>()
        for scalar in text.unicodeScalars {
            let value = scalar.value
            values.append(value)
            if value < 0x1_0000 { seen[Int(value)] = true } else { seenAstral.insert(value) }
        }
        guard values.count >= 2 else {
            throw RecurrentError.value(
                "\(name): the text has \(values.count) character\(values.count == 1 ? "" : "s"), "
                    + "a language model needs at least 2")
        }
        var vocabulary: [Unicode.Scalar] = []
        var table = [Int32](repeating: -1, count: 0x1_0000)
        for value in 0..<0x1_0000 where seen[value] {
            table[value] = Int32(vocabulary.count)
            vocabulary.append(Unicode.Scalar(UInt32(value))!)
        }
        var astralIDs: [UInt32: Int32] = [:]
        for value in seenAstral.sorted() {
            astralIDs[value] = Int32(vocabulary.count)
            vocabulary.append(Unicode.Scalar(value)!)
        }
        let tokens = values.map { $0 < 0x1_0000 ? table[Int($0)] : astralIDs[$0]! }
        let heldOut = heldOutItemCount(fraction: validationFraction, of: tokens.count)
        let training = tokens.count - heldOut
        guard training >= 2 else {
            throw RecurrentError.value(
                "\(name): the training part has \(training) character\(training == 1 ? "" : "s") "
                    + "(validation fraction \(validationFraction) of \(tokens.count)), it needs at least 2")
        }
        self.vocabulary = vocabulary
        self.distinctCharacterCount = vocabulary.count
        self.sequenceLength = sequenceLength
        self.validationFraction = validationFraction
        self.tokens = tokens
        self.trainingCount = training
        self.name = name
        self.ids = Dictionary(uniqueKeysWithValues: vocabulary.enumerated().map { ($1, Int32($0)) })
    }

    /// The same text with the token ids of another vocabulary (a model's, when it goes on
    /// training on a new text), which must hold every character of this one.
    /// - Throws: `RecurrentError` (`.value`) naming the first character not in `vocabulary`.
    public func encoded(with vocabulary: [Unicode.Scalar]) throws -> TextCorpus {
        guard Set(vocabulary).count == vocabulary.count else {
            throw RecurrentError.value("the vocabulary to encode \(name) with holds a character twice")
        }
        var copy = self
        (copy.vocabulary, copy.ids) = (vocabulary, Dictionary(uniqueKeysWithValues: vocabulary.enumerated().map { ($1, Int32($0)) }))
        let present = Set(self.vocabulary).subtracting(vocabulary)
        if let missing = tokens.firstIndex(where: { present.contains(self.vocabulary[Int($0)]) }) {
            let scalar = self.vocabulary[Int(tokens[missing])]
            throw RecurrentError.value("\(name): character '\(scalar.escaped(asASCII: false))' (\(String(format: "U+%04X", scalar.value))) "
                + "at position \(missing) is not in the model's vocabulary (\(vocabulary.count) characters)")
        }
        copy.tokens = tokens.map { copy.ids[self.vocabulary[Int($0)]] ?? -1 }
        return copy
    }

    /// The token ids of a text.
    /// - Throws: `RecurrentError` (`.value`) naming the first character that is not in the
    ///   vocabulary and its position.
    public func encode(_ text: String) throws -> [Int32] {
        var result: [Int32] = []
        result.reserveCapacity(text.unicodeScalars.count)
        for (position, scalar) in text.unicodeScalars.enumerated() {
            guard let id = ids[scalar] else {
                throw RecurrentError.value(
                    "character '\(scalar.escaped(asASCII: false))' (\(String(format: "U+%04X", scalar.value))) "
                        + "at position \(position) is not in the vocabulary of \(name) (\(vocabulary.count) characters)")
            }
            result.append(id)
        }
        return result
    }

    /// The text of token ids; an id outside the vocabulary becomes U+FFFD (replacement character).
    public func decode(_ tokens: [Int32]) -> String {
        var scalars = String.UnicodeScalarView()
        for token in tokens {
            scalars.append(token >= 0 && Int(token) < vocabulary.count ? vocabulary[Int(token)] : "\u{FFFD}")
        }
        return String(scalars)
    }

    /// The number of characters in each training stream, m = (N - 1) / B.
    public func streamLength(batchSize: Int) -> Int { batchSize >= 1 ? (trainingCount - 1) / batchSize : 0 }

    /// One line saying what the data is, for the log.
    public var summary: String {
        let vocabularyNote = vocabularySize == distinctCharacterCount ? "" : " (in a vocabulary of \(vocabularySize))"
        return description(distinct: "\(distinctCharacterCount) distinct\(vocabularyNote)")
    }
    /// The summary as checkpoints have recorded it (the vocabulary's size as "distinct"), the
    /// sampling, and a hash of the vocabulary and the token ids.
    public var identity: String {
        var hash = FNV1a()
        for scalar in vocabulary { hash.mix(UInt64(scalar.value)) }
        for token in tokens { hash.mix(UInt64(UInt32(bitPattern: token))) }
        return description(distinct: "\(vocabularySize) distinct") + "; \(sampling.rawValue) sampling; content \(hash.hex)"
    }
    private func description(distinct: String) -> String {
        "text \(name): \(tokens.count) characters, \(distinct); \(trainingCount) train, \(heldOutCount) held out; "
            + "chunks of \(sequenceLength) characters"
    }
    /// What the model reads.
    public var input: InputSpec { .tokens(vocabularySize: vocabularySize) }
    /// The chunk length.
    public var maximumSteps: Int { sequenceLength }
    /// What the model predicts.
    public var output: OutputSpec { .classes(count: vocabularySize) }
    /// Whether consecutive training batches continue the same sequences.
    public var carriesState: Bool { true }
    /// The target at each step is the next character, the next step's input.
    public var targetIsNextInput: Bool { true }
    /// Random windows are drawn from the seed; streams are not.
    public var drawsFromSeed: Bool { sampling == .windows }

    /// The number of windows in an epoch of `.windows` sampling, W = (N - L) / L.
    public var windowCount: Int { (trainingCount - sequenceLength) / sequenceLength }

    /// Training batches per epoch: W / B windows batches, or m / L chunks per stream; zero when
    /// the text is too short for one batch (which `validate(batchSize:)` reports).
    public func batchesPerEpoch(batchSize: Int) -> Int? {
        guard batchSize >= 1 else { return 0 }  // no batch of fewer than one sequence
        return sampling == .windows ? windowCount / batchSize : streamLength(batchSize: batchSize) / sequenceLength
    }

    /// - Throws: `RecurrentError` (`.value`) when the training part is too short for one batch
    ///   (`batchSize` windows, or streams of one chunk), with the largest batch size and
    ///   sequence length that would fit.
    public func validate(batchSize: Int) throws {
        guard batchSize >= 1 else { throw RecurrentError.value("batch size \(batchSize) must be at least 1") }
        guard (batchesPerEpoch(batchSize: batchSize) ?? 0) < 1 else { return }
        let N = trainingCount, L = sequenceLength, B = batchSize
        let (maxBatch, maxLength) = sampling == .windows ? ((N - L) / L, N / (B + 1)) : ((N - 1) / L, (N - 1) / B)
        var suggestions: [String] = []
        if maxBatch >= 1 { suggestions.append("a batch size of at most \(maxBatch)") }
        if maxLength >= 1 { suggestions.append("a sequence length of at most \(maxLength)") }
        // Neither alone fits: both at their least, which fit the 2 training characters `init` requires.
        if suggestions.isEmpty { suggestions.append("a batch size of 1 with a sequence length of 1") }
        throw RecurrentError.value(
            "\(name): the \(N) training characters are too few for \(B) \(sampling.rawValue) of "
                + "\(L) characters plus one; use \(suggestions.joined(separator: " or "))")
    }

    /// The training batch for `step`, a pure function of (step, batchSize, seed).
    public func trainingBatch<Scalar: RecurrentScalar>(step: Int, batchSize: Int, seed: UInt64) throws -> TrainingBatch<Scalar> {
        try checkTrainingRequest(step: step, batchSize: batchSize)
        let perEpoch = batchesPerEpoch(batchSize: batchSize) ?? 0  // at least 1: validated
        let B = batchSize, length = sequenceLength
        let epoch = step / perEpoch, index = step % perEpoch
        // Where each sequence of the batch starts, and whether it continues the previous batch's.
        let starts: [Int]
        if sampling == .windows {
            var random = TaskRandom.generator(seed: seed, .textWindow, epoch)
            let phase = random.below(length)
            let order = random.permutation(windowCount)
            starts = (0..<B).map { phase + order[index * B + $0] * length }
        } else {
            let m = streamLength(batchSize: B)
            starts = (0..<B).map { $0 * m + index * length }
        }
        var inputs = [Int32](repeating: 0, count: length * B)
        var targets = [Int32](repeating: 0, count: length * B)
        tokens.withUnsafeBufferPointer { tokens in
            for b in 0..<B {
                for t in 0..<length {
                    inputs[t * B + b] = tokens[starts[b] + t]
                    targets[t * B + b] = tokens[starts[b] + t + 1]
                }
            }
        }
        return TrainingBatch(steps: length, batch: B, inputs: .tokens(inputs),
                             targets: .classes(targets, positions: .everyStep),
                             continuesPrevious: sampling == .streams && index > 0)
    }

    /// The held-out batches (see the type's description).
    public func heldOutBatches<Scalar: RecurrentScalar>(batchSize: Int, seed: UInt64) throws -> [TrainingBatch<Scalar>] {
        try Self.requirePositive(batchSize: batchSize)
        let predictions = heldOutCount
        guard predictions > 0 else { return [] }
        // The held-out characters with the last training character in front as context.
        let context = trainingCount - 1
        // Streams past the predictions would hold none: as many streams as predictions then
        // (the same batches less their empty columns, so the same loss).
        let batchSize = min(batchSize, predictions)
        let base = predictions / batchSize, extra = predictions % batchSize
        let counts = (0..<batchSize).map { base + ($0 < extra ? 1 : 0) }
        var offsets = [Int](repeating: 0, count: batchSize)
        for b in 1..<batchSize { offsets[b] = offsets[b - 1] + counts[b - 1] }
        let longest = base + (extra > 0 ? 1 : 0)
        return stride(from: 0, to: longest, by: sequenceLength).map { first in
            let steps = min(sequenceLength, longest - first)
            var inputs = [Int32](repeating: 0, count: steps * batchSize)
            var targets = [Int32](repeating: -1, count: steps * batchSize)
            for b in 0..<batchSize {
                for t in 0..<steps where first + t < counts[b] {
                    let position = context + offsets[b] + first + t
                    inputs[t * batchSize + b] = tokens[position]
                    targets[t * batchSize + b] = tokens[position + 1]
                }
            }
            return TrainingBatch(steps: steps, batch: batchSize, inputs: .tokens(inputs),
                                 targets: .classes(targets, positions: .everyStep), continuesPrevious: first > 0)
        }
    }
}

/// How a `TextCorpus` draws its training batches.
public enum TextSampling: String, Sendable, CaseIterable, Codable {
    /// B contiguous streams read chunk after chunk, the state carried from one chunk to the next
    /// (truncated backpropagation through time over the whole text), the same order every epoch.
    case streams
    /// Windows of L + 1 characters at a random phase each epoch, every one once per epoch in a
    /// random order (sampling without replacement), B per batch, each starting from a zero state.
    case windows
}
