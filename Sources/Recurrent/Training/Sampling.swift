import RealModule

extension SequenceModel {
    /// Continues a token sequence by sampling from a model that reads tokens and predicts the
    /// next one (a character-level language model): a `ModelStream` reads the prime in one
    /// pass, then each new token is drawn from softmax(logits / temperature) and fed back.
    ///
    /// - Parameters:
    ///   - prime: the tokens to start from (at least one).
    ///   - count: how many tokens to generate.
    ///   - temperature: > 0 sharpens (< 1) or flattens (> 1) the distribution; 0 takes the most
    ///     likely token every time.
    ///   - seed: the sampling seed; the same seed gives the same text.
    /// - Returns: the generated tokens (without the prime).
    /// - Throws: `RecurrentError` when the model does not read tokens, the prime is empty or
    ///   holds a token outside the vocabulary, or the temperature is negative.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func generate(prime: [Int32], count: Int, temperature: Double, seed: UInt64) throws -> [Int32] {
        if count > 0 {
            try MemoryBudget.require(MemoryBudget.product([count, MemoryLayout<Int32>.stride]), for: "generating \(count) tokens")
        }
        var out: [Int32] = []
        out.reserveCapacity(max(0, count))
        try generate(prime: prime, count: count, temperature: temperature, seed: seed) { out.append($0) }
        return out
    }

    /// `generate(prime:count:temperature:seed:)`, handing each token to `emit` as soon as it is
    /// drawn (a caller prints as it goes; an interrupted run has shown what it drew).
    /// - Throws: as `generate(prime:count:temperature:seed:)`, and what `emit` throws.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func generate(prime: [Int32], count: Int, temperature: Double, seed: UInt64,
                         emit: (Int32) throws -> Void) throws {
        guard let vocabulary = configuration.vocabularySize, configuration.modelOutputSize == vocabulary else {
            throw RecurrentError.unsupported("generation needs a model that reads tokens and predicts the next token")
        }
        guard !prime.isEmpty else { throw RecurrentError.value("the prime must hold at least one token") }
        guard temperature >= 0, temperature.isFinite else {
            throw RecurrentError.value("temperature must be 0 or positive, got \(temperature)")
        }
        guard count >= 0 else { throw RecurrentError.value("length must not be negative, got \(count)") }
        var generator = SeededGenerator(seed: seed)
        // The prime in one pass, then one token at a time, through the same stream.
        var stream = try ModelStream(model: self)
        let primed = try stream.steps(tokens: prime).scalars
        var logits = Array(primed[((prime.count - 1) * vocabulary)...]).map(Double.init)
        for k in 0..<count {
            let token = Int32(Self.sample(logits, temperature: temperature, generator: &generator))
            try emit(token)
            if k + 1 < count { logits = try stream.step(token: token).scalars.map(Double.init) }
        }
    }

    /// A class drawn from softmax(logits / temperature), or the largest logit at temperature 0.
    static func sample(_ logits: [Double], temperature: Double, generator: inout SeededGenerator) -> Int {
        // `logits` has V ≥ 1 entries (the model's output size), so a largest one exists.
        guard let best = logits.indices.max(by: { logits[$0] < logits[$1] }) else { return 0 }
        guard temperature > 0 else { return best }
        let weights = logits.map { Double.exp(($0 - logits[best]) / temperature) }
        var u = generator.nextUnit() * weights.reduce(0, +)
        for (k, w) in weights.enumerated() {
            u -= w
            if u < 0 { return k }
        }
        return best
    }

    /// Continues `prime` with `count` characters (see `generate(prime:count:temperature:seed:)`),
    /// for a model saved with its vocabulary.
    /// - Throws: `RecurrentError` for a model without a vocabulary or a prime character outside it.
    public func generateText(prime: String, count: Int, temperature: Double, seed: UInt64) throws -> String {
        // The text as well as its tokens: up to 4 bytes per character in UTF-8.
        if count > 0 { try MemoryBudget.require(MemoryBudget.product([count, 8]), for: "generating \(count) characters") }
        var text = ""
        try generateText(prime: prime, count: count, temperature: temperature, seed: seed) { text += $0 }
        return text
    }

    /// Refuses a vocabulary (a public var) whose length is not the embedding's row count V:
    /// token i is `vocabulary[i]` for every i in 0..<V.
    func checkVocabularySize(_ vocabulary: [String]) throws {
        guard vocabulary.count == configuration.vocabularySize else {
            throw RecurrentError.value("the model's vocabulary has \(vocabulary.count) characters; its embedding has "
                + "\(configuration.vocabularySize.map { "\($0)" } ?? "no") rows")
        }
    }

    /// `generateText(prime:count:temperature:seed:)`, handing each character to `emit` as soon
    /// as it is drawn.
    /// - Throws: as `generateText(prime:count:temperature:seed:)`, and what `emit` throws.
    public func generateText(prime: String, count: Int, temperature: Double, seed: UInt64,
                             emit: (String) throws -> Void) throws {
        guard let vocabulary else {
            throw RecurrentError.unsupported("this model has no vocabulary: only a model trained on text generates text")
        }
        guard count >= 0 else { throw RecurrentError.value("the number of characters to generate, \(count), is negative") }
        try checkVocabularySize(vocabulary)
        let ids = Dictionary(vocabulary.enumerated().map { ($1, Int32($0)) }, uniquingKeysWith: { a, _ in a })
        let tokens = try prime.unicodeScalars.enumerated().map { position, scalar -> Int32 in
            guard let id = ids[String(scalar)] else {
                // The code too: the character may be invisible (a byte-order mark, a space of another width).
                throw RecurrentError.value("the prime's character \(String(reflecting: String(scalar))) (\(String(format: "U+%04X", scalar.value))) "
                    + "at position \(position) is not in the model's vocabulary (\(vocabulary.count) characters)")
            }
            return id
        }
        try generate(prime: tokens, count: count, temperature: temperature, seed: seed) { try emit(vocabulary[Int($0)]) }
    }
}
