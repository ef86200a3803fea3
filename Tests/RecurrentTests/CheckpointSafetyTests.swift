import Foundation
import Testing
@testable import Recurrent

/// Checkpoints that are damaged, out of range or from another run are refused and left in
/// place; training that goes non-finite stops with the step and tensor named.
@Suite("Checkpoint and training safety")
struct CheckpointSafetyTests {
    static let options = TrainingOptions(batchSize: 8, steps: 6, optimizer: .init(kind: .adam, learningRate: 0.01), clipNorm: 1)

    /// A trainer after 6 steps of parity training with an LSTM(1, 8), and its data.
    static func trained() throws -> (Trainer<Float>, ParityTask) {
        let data = try ParityTask(length: 10)
        let model = try SequenceModel<Float>(.init(recurrent: .init(cell: .lstm, inputSize: 1, hiddenSize: 8), headSize: 3), seed: 1)
        var trainer = try Trainer(model: model, data: data, options: options)
        try trainer.run()
        return (trainer, data)
    }

    /// A directory holding the checkpoint of `trained()`.
    static func checkpointDirectory() throws -> (URL, ParityTask) {
        let dir = try CLI.temporaryDirectory()
        let (trainer, data) = try trained()
        try trainer.writeCheckpoint(to: dir)
        return (dir, data)
    }

    /// Rewrites the checkpoint with `change` applied to its file, re-signed when `resign`.
    static func tamper(_ dir: URL, resign: Bool, _ change: (inout SafetensorsFile<Float>) -> Void) throws {
        let url = dir.appendingPathComponent(Trainer<Float>.checkpointFileName)
        var file = try SafetensorsFile<Float>.read(url)
        change(&file)
        if resign { file.metadata[Trainer<Float>.checksumKey] = Trainer<Float>.checksum(file) }
        try file.write(to: url)
    }

    static func resumeError(_ dir: URL, data: any TrainingData, options: TrainingOptions = options,
                            model: SequenceModelConfiguration? = nil) -> String {
        do {
            _ = try Trainer<Float>.resume(from: dir, data: data, options: options, model: model)
            return "resumed"
        } catch {
            return "\(error)"
        }
    }

    @Test("A checkpoint resumes whole: the step, curve and weights it saved")
    func resumesWhole() throws {
        let dir = try CLI.temporaryDirectory()
        let (trainer, data) = try Self.trained()
        try trainer.writeCheckpoint(to: dir)
        let resumed = try #require(try Trainer<Float>.resume(from: dir, data: data, options: Self.options))
        #expect(resumed.step == 6 && resumed.curve.count == 6)
        #expect(resumed.curve.map(\.loss.bitPattern) == trainer.curve.map(\.loss.bitPattern))
        #expect(resumed.model.parameters.storage.map(\.bitPattern) == trainer.model.parameters.storage.map(\.bitPattern))
        #expect(resumed.model.parameters.storage != (try SequenceModel<Float>(trainer.model.configuration, seed: 1)).parameters.storage,
                "the six steps changed the weights")
    }

    @Test("One flipped bit in a weight is caught by the checksum, and the damaged file is left as it was")
    func flippedBitIsRefused() throws {
        let (dir, data) = try Self.checkpointDirectory()
        let url = dir.appendingPathComponent(Trainer<Float>.checkpointFileName)
        var bytes = [UInt8](try Data(contentsOf: url))
        bytes[bytes.count - 9] ^= 0x04
        try Data(bytes).write(to: url)
        #expect(Self.resumeError(dir, data: data) == "\(url.path): the checksum does not match: the checkpoint is damaged "
            + "(it is left in place; move it away to start afresh)")
        #expect([UInt8](try Data(contentsOf: url)) == bytes)
    }

    /// The record's fields are named in the message; `SECONDS` stands for the seconds the
    /// checkpointed run took, which vary from run to run.
    @Test("A training record out of range or malformed is refused by name, even with a valid checksum", arguments: [
        (#""step":6"#, #""step":-3"#,
         "the training record is out of range (step -3, optimizer steps 6, SECONDS s, 6 curve records, carried batch none)"),
        (#""optimizerSteps":6"#, #""optimizerSteps":1000000000"#,
         "the training record is out of range (step 6, optimizer steps 1000000000, SECONDS s, 6 curve records, carried batch none)"),
        (#""step":6"#, #""step":"six""#, "the training record ('recurrent.training' metadata) is malformed"),
        // 10^300 seconds of training before (an unknown key after it is ignored by the decoder).
        (#""seconds":"#, #""seconds":1e300,"x":"#,
         "the training record is out of range (step 6, optimizer steps 6, 1e+300 s, 6 curve records, carried batch none)"),
    ])
    func recordOutOfRange(original: String, replacement: String, message: String) throws {
        let (dir, data) = try Self.checkpointDirectory()
        try Self.tamper(dir, resign: true) { file in
            let record = file.metadata[Trainer<Float>.trainingKey] ?? ""
            #expect(record.contains(original))
            file.metadata[Trainer<Float>.trainingKey] = record.replacingOccurrences(of: original, with: replacement)
        }
        let expected = "\(dir.appendingPathComponent(Trainer<Float>.checkpointFileName).path): \(message)"
        let refusal = Self.resumeError(dir, data: data)
        if let seconds = expected.range(of: "SECONDS") {
            #expect(refusal.hasPrefix(expected[..<seconds.lowerBound]) && refusal.hasSuffix(expected[seconds.upperBound...]), "\(refusal)")
            let shown = refusal.dropFirst(expected.distance(from: expected.startIndex, to: seconds.lowerBound)).prefix { $0 != " " }
            #expect(Double(shown).map { $0 >= 0 } == true, "\(refusal)")
        } else {
            #expect(refusal == expected)
        }
    }

    @Test("Optimizer moments and a carried state out of range are refused naming the checkpoint, even with a valid checksum")
    func buffersOutOfRange() throws {
        let (dir, data) = try Self.checkpointDirectory()
        try Self.tamper(dir, resign: true) { file in
            let k = file.tensors.firstIndex { $0.name == "optimizer.exp_avg_sq" }!
            file.tensors[k].tensor = try! Tensor(shape: file.tensors[k].tensor.shape, scalars: file.tensors[k].tensor.scalars.map { -1 - $0 })
        }
        let file = dir.appendingPathComponent(Trainer<Float>.checkpointFileName).path
        #expect(Self.resumeError(dir, data: data) == "\(file): optimizer state 'exp_avg_sq' has negative values")
        let (again, _) = try Self.checkpointDirectory()
        try Self.tamper(again, resign: true) { file in
            file.tensors.append((name: "carried.h", tensor: try! Tensor(shape: [8], scalars: [Float](repeating: .nan, count: 8))))
        }
        #expect(Self.resumeError(again, data: data)
            == "\(again.appendingPathComponent(Trainer<Float>.checkpointFileName).path): the carried state and its batch size come together; one is missing")
    }

    @Test("Resuming on a text of the same length and alphabet but other characters, or sampled otherwise, is refused")
    func otherTextContentIsRefused() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = String((0..<600).map { Character(Unicode.Scalar(UInt8(97 + ($0 * 7) % 9))) })
        let corpus = try TextCorpus(text: text, sequenceLength: 8)
        let model = try SequenceModel<Float>(.init(recurrent: .init(cell: .lstm, inputSize: 4, hiddenSize: 4), vocabularySize: 9,
                                                   headSize: 9), seed: 1)
        let options = TrainingOptions(batchSize: 4, steps: 2, optimizer: .init(kind: .adam, learningRate: 0.01))
        var trainer = try Trainer(model: model, data: corpus, options: options)
        try trainer.run()
        try trainer.writeCheckpoint(to: dir)
        #expect(try Trainer<Float>.resume(from: dir, data: corpus, options: options)?.step == 2)
        // The same summary: 600 characters, 9 distinct; other letters.
        let shifted = try TextCorpus(text: String(text.map { $0 == "a" ? "j" : $0 }), sequenceLength: 8)
        #expect(shifted.summary == corpus.summary)
        // The message shows the summaries; the content hash and the sampling tell the runs apart.
        let refusal = dir.appendingPathComponent(Trainer<Float>.checkpointFileName).path + " was saved by a run on other data (text text: "
            + "600 characters, 9 distinct; 540 train, 60 held out; chunks of 8 characters; windows sampling; content 3246ec5602bf44ac); "
            + "this run is on text text: 600 characters, 9 distinct; 540 train, 60 held out; chunks of 8 characters"
        #expect(Self.resumeError(dir, data: shifted, options: options) == refusal)
        var streamed = corpus
        streamed.sampling = .streams
        #expect(Self.resumeError(dir, data: streamed, options: options) == refusal)
    }

    @Test("Resuming asked for fewer steps than the checkpoint holds is refused (it trained none and saved the checkpoint's model); as many resumes")
    func budgetBelowCheckpointRefused() throws {
        let (dir, data) = try Self.checkpointDirectory()
        var fewer = Self.options
        fewer.steps = 4
        #expect(Self.resumeError(dir, data: data, options: fewer) == dir.appendingPathComponent(Trainer<Float>.checkpointFileName).path
            + " is at step 6, past this run's 4 steps: ask for at least 6 steps, or checkpoint into another directory")
        #expect(Self.resumeError(dir, data: data) == "resumed")
    }

    @Test("A bidirectional model is refused for data whose target is the next input (text, a series): it would see the answer")
    func bidirectionalOnNextStepRefused() throws {
        let corpus = try TextCorpus(text: String(repeating: "abcdefgh", count: 20), sequenceLength: 8)
        let model = try SequenceModel<Float>(.init(recurrent: .init(cell: .gru, inputSize: 4, hiddenSize: 4, bidirectional: true),
                                                   vocabularySize: 8, headSize: 8), seed: 1)
        let error = recurrentError { try Trainer(model: model, data: corpus, options: Self.options) }
        #expect(error?.message == "the model is bidirectional: reading the sequence backwards it sees the next character or row it is "
            + "to predict (\(corpus.summary)); train a unidirectional model")
        #expect(corpus.summary == "text text: 160 characters, 8 distinct; 144 train, 16 held out; chunks of 8 characters")
        let parity = try ParityTask(length: 4)
        let both = try SequenceModel<Float>(.init(recurrent: .init(cell: .gru, inputSize: 1, hiddenSize: 4, bidirectional: true),
                                                  headSize: 3), seed: 1)
        #expect(try Trainer(model: both, data: parity, options: Self.options).step == 0)
    }

    @Test("Resuming with another model or other data is refused, naming both")
    func otherRunIsRefused() throws {
        let (dir, data) = try Self.checkpointDirectory()
        let file = dir.appendingPathComponent(Trainer<Float>.checkpointFileName).path
        let gru = SequenceModelConfiguration(recurrent: .init(cell: .gru, inputSize: 1, hiddenSize: 8), headSize: 3)
        #expect(Self.resumeError(dir, data: data, model: gru) == "\(file) holds LSTM(1, 8) → Linear(8, 3), this run asks for "
            + "GRU(1, 8) → Linear(8, 3); resume with the same model, or checkpoint into another directory")
        let wider = SequenceModelConfiguration(recurrent: .init(cell: .lstm, inputSize: 1, hiddenSize: 9), headSize: 3)
        #expect(Self.resumeError(dir, data: data, model: wider) == "\(file) holds LSTM(1, 8) → Linear(8, 3), this run asks for "
            + "LSTM(1, 9) → Linear(9, 3); resume with the same model, or checkpoint into another directory")
        let longer = try ParityTask(length: 12)
        #expect(Self.resumeError(dir, data: longer) == "\(file) was saved by a run on other data (\(data.summary)); this run is on \(longer.summary)")
    }

    @Test("Resuming with another initialisation, or from a model file, is refused, naming both; the same command resumes")
    func otherInitializationIsRefused() throws {
        let dir = try CLI.temporaryDirectory().appendingPathComponent("ck")
        let run = ["train", "--task", "parity", "--length", "6", "--hidden", "4", "--batch-size", "4", "--quiet",
                   "--checkpoint", dir.path, "--checkpoint-every", "1", "--forget-bias", "1"]
        #expect(try CLI.run(run + ["--steps", "2", "--output", dir.appendingPathExtension("safetensors").path]).status == 0)
        let other = try CLI.run(Array(run.dropLast(2)) + ["--steps", "3", "--orthogonal"])
        #expect(other.status == 1)
        let checkpoint = dir.appendingPathComponent(Trainer<Float>.checkpointFileName).path
        #expect(other.errorMessage == "\(checkpoint) was saved by a run whose model was drawn with forget-gate bias 1.0, but this run's "
            + "would be drawn with orthogonal recurrent weights; resume the same way, or checkpoint into another directory", "\(other.stderr)")
        let loaded = try CLI.run(["train", "--task", "parity", "--length", "6", "--batch-size", "4", "--quiet", "--checkpoint", dir.path,
                                  "--steps", "3", "--model", dir.appendingPathExtension("safetensors").path])
        // The model file's parameters are named by a hash of their values, which differ between machines.
        let fromFile = /(.+) was saved by a run whose model was drawn with forget-gate bias 1.0, but this run's would be loaded from a model file \(parameters [0-9a-f]{16}\); resume the same way, or checkpoint into another directory/
        #expect(loaded.status == 1 && loaded.errorMessage?.wholeMatch(of: fromFile)?.1 == checkpoint[...], "\(loaded.stderr)")
        let same = try CLI.run(run + ["--steps", "3"])
        #expect(same.status == 0 && same.stdout.contains("at step 2"), "\(same.stderr)")
    }

    @Test("Resuming from another model file is refused (the checkpoint records its parameters' hash); the same file resumes")
    func otherModelFileIsRefused() throws {
        let dir = try CLI.temporaryDirectory()
        let make = ["train", "--task", "parity", "--length", "6", "--hidden", "4", "--batch-size", "4", "--steps", "1", "--quiet"]
        #expect(try CLI.run(make + ["--output", "a.safetensors"], in: dir).status == 0)
        #expect(try CLI.run(make + ["--seed", "5", "--output", "b.safetensors"], in: dir).status == 0)
        let run = ["train", "--task", "parity", "--length", "6", "--batch-size", "4", "--quiet", "--checkpoint", "ck", "--checkpoint-every", "1"]
        #expect(try CLI.run(run + ["--model", "a.safetensors", "--steps", "2"], in: dir).status == 0)
        let other = try CLI.run(run + ["--model", "b.safetensors", "--steps", "3"], in: dir)
        // Each model file's parameters are named by a hash of their values, which differ between machines.
        let refusal = /(.+) was saved by a run whose model was loaded from a model file \(parameters ([0-9a-f]{16})\), but this run's would be loaded from a model file \(parameters ([0-9a-f]{16})\); resume the same way, or checkpoint into another directory/
        let parts = try #require(other.errorMessage?.wholeMatch(of: refusal), "\(other.stderr)")
        #expect(other.status == 1 && parts.1 == dir.appendingPathComponent("ck/\(Trainer<Float>.checkpointFileName)").path[...]
                && parts.2 != parts.3)
        let same = try CLI.run(run + ["--model", "a.safetensors", "--steps", "3"], in: dir)
        #expect(same.status == 0 && same.stdout.contains("at step 2"), "\(same.stderr)")
        // Fine-tuned in place, the file is the run's own output: the same command resumes.
        let inPlace = run.map { $0 == "ck" ? "ck2" : $0 } + ["--model", "a.safetensors", "--output", "a.safetensors"]
        #expect(try CLI.run(inPlace + ["--steps", "2"], in: dir).status == 0)
        let again = try CLI.run(inPlace + ["--steps", "3"], in: dir)
        #expect(again.status == 0 && again.stdout.contains("at step 2"), "\(again.stderr)")
        // A checkpoint written before the hash was recorded resumes from any model file, as it did.
        #expect(ModelOrigin.loaded(content: nil).admits(.loaded(content: "1f")) && !ModelOrigin.loaded(content: "2e").admits(.loaded(content: "1f")))
        let old = try JSONDecoder().decode(ModelOrigin.self, from: Data(#"{"loaded":{}}"#.utf8))
        #expect(old == .loaded(content: nil))
    }

    @Test("Temporary files of interrupted writes are removed when the next run starts")
    func interruptedWritesAreRemoved() throws {
        let (dir, data) = try Self.checkpointDirectory()
        for name in [".checkpoint.safetensors.partial-A", ".checkpoint.safetensors.partial-B", "unrelated.txt"] {
            try Data([1, 2, 3]).write(to: dir.appendingPathComponent(name))
        }
        _ = try Trainer<Float>.resume(from: dir, data: data, options: Self.options)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["checkpoint.safetensors", "unrelated.txt"])
    }

    @Test("A gradient that becomes infinite stops training at that step, naming the step and the tensor; the weights and the last checkpoint stay finite")
    func nonFiniteTrainingStops() throws {
        let dir = try CLI.temporaryDirectory()
        let x = try Tensor<Float>(shape: [5, 4, 2], scalars: Reference.randomArray(40, seed: 3).map(Float.init))
        let y = try Tensor<Float>(shape: [5, 4, 1], scalars: Reference.randomArray(20, seed: 4).map(Float.init))
        let data = try ArrayDataset(inputs: x, targets: y)
        let model = try SequenceModel<Float>(.init(recurrent: .init(cell: .lstm, inputSize: 2, hiddenSize: 4), headSize: 1), seed: 2)
        let options = TrainingOptions(batchSize: 4, steps: 50, optimizer: .init(kind: .sgd, learningRate: 1e30))
        var trainer = try Trainer(model: model, data: data, options: options)
        var message = ""
        do {
            try trainer.run(checkpointEvery: 1, checkpoint: { try $0.writeCheckpoint(to: dir) })
        } catch {
            message = "\(error)"
        }
        // The line names the step that failed and the first tensor that went non-finite. Step 1's
        // update (learning rate 1e30) leaves finite weights so large that step 2's gradient
        // overflows, first in the input weights; the update is not made.
        #expect(trainer.step == 1)
        #expect(message == "step 2: the gradient of 'rnn.weight_ih_l0' is NaN or infinite; training stopped "
                + "(a smaller learning rate or gradient clipping may help)")
        #expect(trainer.model.parameters.storage.allSatisfy { $0.isFinite })
        let gradient = try #require(trainer.model.parameters.entries.first { $0.name == "rnn.weight_ih_l0" })
        #expect(!trainer.gradients[gradient.offset..<(gradient.offset + gradient.count)].allSatisfy { $0.isFinite })
        let saved = try SafetensorsFile<Float>.read(dir.appendingPathComponent(Trainer<Float>.checkpointFileName))
        #expect(saved.tensors.allSatisfy { $0.tensor.isFinite })
    }

    @Test("A non-finite loss stops training before the update; an update that overflows stops it after, naming the tensor")
    func nonFiniteLossOrUpdateStops() throws {
        let x = try Tensor<Float>(shape: [5, 4, 2], scalars: Reference.randomArray(40, seed: 3).map(Float.init))
        let y = try Tensor<Float>(shape: [5, 4, 1], scalars: [Float](repeating: 100, count: 20))
        let data = try ArrayDataset(inputs: x, targets: y)
        let advice = "training stopped (a smaller learning rate or gradient clipping may help)"
        // An infinite head bias (as a bad update would leave it) makes every output and the loss
        // infinite: the loss is named, before its gradients, and nothing is updated.
        var model = try SequenceModel<Float>(.init(recurrent: .init(cell: .lstm, inputSize: 2, hiddenSize: 4), headSize: 1), seed: 2)
        let bias = try #require(model.parameters.entries.first { $0.name == "head.bias" })
        model.parameters.storage[bias.offset] = .infinity
        let sgd = TrainingOptions(batchSize: 4, steps: 5, optimizer: .init(kind: .sgd, learningRate: 0.1))
        var infinite = try Trainer(model: model, data: data, options: sgd)
        let lossError = #expect(throws: RecurrentError.self) { try infinite.run() }
        #expect(lossError?.description == "step 1: the loss is inf; training stopped before the update "
                + "(a smaller learning rate or gradient clipping may help)")
        #expect(infinite.step == 0 && infinite.model.parameters.storage == model.parameters.storage)
        // The largest finite learning rate times gradients of about 100: the first weights overflow.
        let huge = TrainingOptions(batchSize: 4, steps: 5, optimizer: .init(kind: .sgd, learningRate: Double(Float.greatestFiniteMagnitude)))
        model.parameters.storage[bias.offset] = 0
        var overflowing = try Trainer(model: model, data: data, options: huge)
        let updateError = #expect(throws: RecurrentError.self) { try overflowing.run() }
        #expect(updateError?.description == "step 1: the update made 'rnn.weight_ih_l0' NaN or infinite; " + advice)
        #expect(overflowing.step == 0)
    }

    @Test("Training is refused before any allocation when its batches cannot fit in memory, with the figures")
    func memoryIsCheckedFirst() throws {
        let model = try SequenceModel<Float>(.init(recurrent: .init(cell: .lstm, inputSize: 1, hiddenSize: 16), headSize: 3), seed: 0)
        let options = TrainingOptions(batchSize: 1 << 40, steps: 1)
        let refusal = try #require(throws: RecurrentError.self) {
            try Trainer(model: model, data: try ParityTask(length: 20), options: options)
        }
        // The data refuses first: (2^40 training + 1024 held-out sequences) × 20 steps × (an input
        // and a target) × 16 bytes (drawn as float64, then kept) = 2^40 · 640 bytes + 640 KB.
        expectMemoryRefusal(refusal.message, needing: "\(1 << 40) training and 1024 held-out sequences of 20 steps "
            + "(\(try ParityTask().summary)) would need 640.0 TB of memory; ")
        let cfg = model.configuration
        // 20 steps of (1 input + 3·3 outputs + (4 + 3)·16 tape and its row-block padding, at most 143, + 3·16 states)
        // and 8 copies of 1267 parameters, 4 bytes each.
        #expect(cfg.trainingBytes(batch: 32, steps: 20, scalarSize: 4) == 4 * (8 * 1267 + 32 * 20 * (1 + 9 + 7 * 16 + 143 + 3 * 16)))
        #expect(cfg.trainingBytes(batch: Int.max / 2, steps: 20, scalarSize: 4) == nil)
    }

    @Test("A CSV column too large to standardise and a text with a character the model lacks are refused by name")
    func dataThatCannotBeUsed() throws {
        let rows = (0..<40).map { "\($0 % 2 == 0 ? 1.7e308 : -1.7e308),\($0)" }
        #expect(throws: RecurrentError.value("big.csv, column 'a': the values are too large to standardise (their mean or variance "
            + "overflows a Double); rescale the column")) {
            try TimeSeriesCSV(csv: "a,b\n" + rows.joined(separator: "\n"), name: "big.csv", sequenceLength: 4)
        }
        let corpus = try TextCorpus(text: "abcab", sequenceLength: 2)
        let recoded = try corpus.encoded(with: ["x", "c", "b", "a"])
        #expect(recoded.tokens == [3, 2, 1, 3, 2] && recoded.vocabularySize == 4)
        // The summary counts the text's own characters (it gave the model's 4 as the text's).
        #expect(recoded.summary.hasPrefix("text text: 5 characters, 3 distinct (in a vocabulary of 4); "), "\(recoded.summary)")
        #expect(corpus.summary.hasPrefix("text text: 5 characters, 3 distinct; "))
        // Checkpoints written before keep resuming: what they recorded of the data is unchanged.
        #expect(recoded.identity.hasPrefix("text text: 5 characters, 4 distinct; ") && recoded.identity.contains(" sampling; content "),
                "\(recoded.identity)")
        #expect(throws: RecurrentError.value("text: character 'c' (U+0063) at position 2 is not in the model's vocabulary (2 characters)")) {
            try corpus.encoded(with: ["a", "b"])
        }
    }
}
