import Foundation
import Testing
@testable import Recurrent

private let sample = """
    First Citizen:
    Before we proceed any further, hear me speak.

    All:
    Speak, speak.
    """

/// The benchmark text, beside the repository (not committed).
private let shakespeare = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("shared/data/tinyshakespeare.txt")

@Suite("Text corpus")
struct TextCorpusTests {
    @Test("the vocabulary is the sorted distinct scalars; decode(encode(s)) == s, with combining marks and emoji")
    func roundTrip() throws {
        let text = "naïve café — e\u{301} 👍🏽 ok 𝔘 ab"
        let corpus = try TextCorpus(text: text, sequenceLength: 3)
        #expect(corpus.vocabulary == Array(Set(text.unicodeScalars)).sorted { $0.value < $1.value })
        #expect(corpus.tokens.count == text.unicodeScalars.count)
        #expect(corpus.decode(try corpus.encode(text)) == text)
        #expect(try corpus.encode(text) == corpus.tokens)
        #expect(corpus.decode([0, Int32(corpus.vocabularySize), -1]) == String(corpus.vocabulary[0]) + "\u{FFFD}\u{FFFD}")
        #expect(corpus.input == .tokens(vocabularySize: corpus.vocabularySize))
        #expect(corpus.output == .classes(count: corpus.vocabularySize))
        #expect(corpus.carriesState)
    }

    @Test("encoding a character outside the vocabulary names it; tiny texts and bad options are value errors")
    func errors() throws {
        let corpus = try TextCorpus(text: "abcabc", sequenceLength: 2)
        #expect(recurrentError { try corpus.encode("abZ") }
            == RecurrentError(.value, "character 'Z' (U+005A) at position 2 is not in the vocabulary of text (3 characters)"))
        #expect(recurrentError { try TextCorpus(text: "", sequenceLength: 2) }
            == RecurrentError(.value, "text: the text has 0 characters, a language model needs at least 2"))
        #expect(recurrentError { try TextCorpus(text: "x", sequenceLength: 2) }
            == RecurrentError(.value, "text: the text has 1 character, a language model needs at least 2"))
        #expect(recurrentError { try TextCorpus(text: "abc", sequenceLength: 0) }
            == RecurrentError(.value, "text: sequence length 0 must be at least 1"))
        #expect(recurrentError { try TextCorpus(text: "abc", sequenceLength: 1, validationFraction: 1) }
            == RecurrentError(.value, "text: validation fraction 1.0 must be in [0, 1)"))
        #expect(recurrentError { try TextCorpus(text: "abc", sequenceLength: 1, validationFraction: 0.8) }
            == RecurrentError(.value, "text: the training part has 1 character (validation fraction 0.8 of 3), it needs at least 2"))
        let missing = URL(fileURLWithPath: "/nonexistent/corpus.txt")
        let io = recurrentError { try TextCorpus(contentsOf: missing, sequenceLength: 4) }
        #expect(io == RecurrentError(.io, "/nonexistent/corpus.txt: no such file"))
    }

    @Test("a byte-order mark opening a file is not a character of the text; one further on is")
    func byteOrderMark() throws {
        try withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("bom.txt")
            try Data([0xEF, 0xBB, 0xBF] + Array("abab\u{FEFF}a".utf8)).write(to: url)
            let corpus = try TextCorpus(contentsOf: url, sequenceLength: 2, validationFraction: 0)
            #expect(corpus.vocabulary == ["a", "b", "\u{FEFF}"])
            #expect(corpus.tokens == [0, 1, 0, 1, 2, 0])
        }
    }

    @Test("a text too short for one batch of windows or streams is an error suggesting a smaller batch size or sequence length")
    func tooShort() throws {
        // 20 training characters: (20 - 5) / 5 = 3 windows < 4; (20 - 1) / 4 = 4 characters per stream < 5.
        let corpus = try TextCorpus(text: String(repeating: "abcd", count: 5), sequenceLength: 5, validationFraction: 0)
        try corpus.validate(batchSize: 3)
        #expect(corpus.batchesPerEpoch(batchSize: 3) == 1)
        let error = recurrentError { try corpus.validate(batchSize: 4) }
        #expect(error?.kind == .value)
        #expect(error?.message == "text: the 20 training characters are too few for 4 windows of 5 characters plus one; "
            + "use a batch size of at most 3 or a sequence length of at most 4")
        var streams = corpus
        streams.sampling = .streams
        #expect(streams.batchesPerEpoch(batchSize: 3) == 1)
        #expect(recurrentError { try streams.validate(batchSize: 4) }?.message
            == "text: the 20 training characters are too few for 4 streams of 5 characters plus one; "
            + "use a batch size of at most 3 or a sequence length of at most 4")
        #expect(recurrentError { try corpus.validate(batchSize: 0) } == RecurrentError(.value, "batch size 0 must be at least 1"))
        // Neither alone fits: the advice was cut off after "use".
        let two = try TextCorpus(text: "abcdefghij", sequenceLength: 64, validationFraction: 0.8)
        #expect(recurrentError { try two.validate(batchSize: 32) }?.message
            == "text: the 2 training characters are too few for 32 windows of 64 characters plus one; "
            + "use a batch size of 1 with a sequence length of 1")
    }

    @Test("training batches: B contiguous streams cut into chunks; targets are the next characters, across chunk boundaries too")
    func trainingBatches() throws {
        var corpus = try TextCorpus(text: sample, sequenceLength: 7, validationFraction: 0.2)
        corpus.sampling = .streams
        let tokens = corpus.tokens, n = corpus.trainingCount, B = 3, L = 7
        let m = (n - 1) / B, chunks = m / L
        #expect(corpus.batchesPerEpoch(batchSize: B) == chunks)
        #expect(chunks >= 2)
        var previous: TrainingBatch<Float>?
        for step in 0..<(2 * chunks) {
            let batch: TrainingBatch<Float> = try corpus.trainingBatch(step: step, batchSize: B, seed: 0)
            let c = step % chunks
            #expect(batch.steps == L && batch.batch == B && batch.lengths == nil)
            #expect(batch.continuesPrevious == (c > 0))
            #expect(batch.targets.positions == .everyStep)
            for b in 0..<B {
                let inputs = (0..<L).map { batch.tokenInputs[$0 * B + b] }
                let targets = (0..<L).map { batch.classTargets[$0 * B + b] }
                #expect(inputs == Array(tokens[(b * m + c * L)..<(b * m + c * L + L)]))
                #expect(Array(targets.dropLast()) == Array(inputs.dropFirst()))
                if let previous, c > 0 {
                    #expect(inputs[0] == previous.classTargets[(L - 1) * B + b])
                }
            }
            #expect(try batch == corpus.trainingBatch(step: step + 2 * chunks, batchSize: B, seed: 99))
            previous = batch
        }
    }

    @Test("windows sampling: each epoch takes every window at its phase once, in a random order, from a zero state")
    func windowBatches() throws {
        // 200 different characters in increasing order: a character's token id is its position.
        let text = String(String.UnicodeScalarView((0..<200).map { Unicode.Scalar(0x100 + $0)! }))
        let corpus = try TextCorpus(text: text, sequenceLength: 7, validationFraction: 0.1)
        #expect(corpus.sampling == .windows)  // the default
        let n = corpus.trainingCount, B = 5, L = 7
        let perEpoch = try #require(corpus.batchesPerEpoch(batchSize: B))
        #expect(corpus.windowCount == (n - L) / L && perEpoch == corpus.windowCount / B && perEpoch >= 2)
        var phases = Set<Int>()
        for epoch in 0..<4 {
            var starts: [Int] = []
            for i in 0..<perEpoch {
                let step = epoch * perEpoch + i
                let batch: TrainingBatch<Float> = try corpus.trainingBatch(step: step, batchSize: B, seed: 3)
                #expect(batch.steps == L && batch.batch == B && !batch.continuesPrevious)
                #expect(try batch == corpus.trainingBatch(step: step, batchSize: B, seed: 3))
                for b in 0..<B {
                    let start = Int(batch.tokenInputs[b])
                    #expect((0..<L).map { batch.tokenInputs[$0 * B + b] } == (0..<L).map { Int32(start + $0) })
                    #expect((0..<L).map { batch.classTargets[$0 * B + b] } == (0..<L).map { Int32(start + 1 + $0) })
                    #expect(start + L < n)  // the last target is a training character
                    starts.append(start)
                }
            }
            // One phase per epoch, every window once at most, not in text order.
            #expect(Set(starts.map { $0 % L }).count == 1)
            #expect(Set(starts).count == starts.count)
            #expect(starts != starts.sorted())
            phases.insert(starts[0] % L)
        }
        #expect(phases.count > 1)  // the phase changes between epochs
        let other: TrainingBatch<Float> = try corpus.trainingBatch(step: 0, batchSize: B, seed: 4)
        #expect(try other != corpus.trainingBatch(step: 0, batchSize: B, seed: 3))
    }

    @Test("held-out batches cover every held-out character exactly once, for batch sizes that do and do not divide it", arguments: [1, 4, 5, 7, 40])
    func heldOut(batchSize B: Int) throws {
        let corpus = try TextCorpus(text: sample, sequenceLength: 3, validationFraction: 0.25)
        let heldOut = Array(corpus.tokens[corpus.trainingCount...])
        #expect(heldOut.count == corpus.heldOutCount && heldOut.count > 10)
        let batches: [TrainingBatch<Double>] = try corpus.heldOutBatches(batchSize: B, seed: 0)
        // More streams than held-out characters would leave some empty: one per character then.
        let width = min(B, heldOut.count)
        var streams = [[(input: Int32, target: Int32)]](repeating: [], count: width)
        for (c, batch) in batches.enumerated() {
            #expect(batch.batch == width && batch.continuesPrevious == (c > 0) && batch.steps <= 3)
            for t in 0..<batch.steps {
                for b in 0..<width where batch.classTargets[t * width + b] >= 0 {
                    #expect(streams[b].count == c * 3 + t, "padding only at a stream's end")
                    streams[b].append((batch.tokenInputs[t * width + b], batch.classTargets[t * width + b]))
                }
            }
        }
        // Concatenated, the streams' targets are the held-out text, and each input is the
        // character before its target (the first one the last training character).
        let pairs = streams.flatMap { $0 }
        #expect(pairs.map(\.target) == heldOut)
        #expect(pairs.map(\.input) == [corpus.tokens[corpus.trainingCount - 1]] + heldOut.dropLast())
        let none: [TrainingBatch<Float>] = try TextCorpus(text: sample, sequenceLength: 3, validationFraction: 0)
            .heldOutBatches(batchSize: B, seed: 0)
        #expect(none.isEmpty)
    }

    @Test("reads a file; the benchmark text has 1115394 characters and 65 distinct",
          .enabled(if: FileManager.default.fileExists(atPath: shakespeare.path)))
    func benchmarkText() throws {
        var corpus = try TextCorpus(contentsOf: shakespeare, sequenceLength: 100)
        corpus.sampling = .streams
        #expect(corpus.tokens.count == 1_115_394)
        #expect(corpus.vocabularySize == 65)
        #expect(corpus.heldOutCount == 111_539)
        let batch: TrainingBatch<Float> = try corpus.trainingBatch(step: 0, batchSize: 32, seed: 0)
        #expect(corpus.decode(Array(batch.tokenInputs.enumerated().filter { $0.offset % 32 == 0 }.map(\.element)))
            .hasPrefix("First Citizen"))
    }
}
