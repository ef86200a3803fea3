import Foundation
import Testing
@testable import Recurrent

/// The training loop: determinism, resuming, learning.
@Suite("Training")
struct TrainerTests {
    static let text = String(repeating: "the quick brown fox jumps over the lazy dog. ", count: 40)

    func parityTrainer(steps: Int, seed: UInt64 = 7, optimizer: OptimizerKind = .adam) throws -> Trainer<Float> {
        let data = try ParityTask(length: 12)
        let model = try SequenceModel<Float>(
            .init(recurrent: .init(cell: .lstm, inputSize: 1, hiddenSize: 12), headSize: 3), seed: seed)
        let options = TrainingOptions(batchSize: 16, steps: steps,
                                      optimizer: .init(kind: optimizer, learningRate: 0.01, momentum: optimizer == .sgd ? 0.9 : 0),
                                      clipNorm: 1, seed: seed)
        return try Trainer(model: model, data: data, options: options)
    }

    func textTrainer(steps: Int) throws -> Trainer<Float> {
        let data = try TextCorpus(text: Self.text, sequenceLength: 16, validationFraction: 0.1)
        let model = try SequenceModel<Float>(
            .init(recurrent: .init(cell: .gru, inputSize: 8, hiddenSize: 16, layers: 2), vocabularySize: data.vocabularySize,
                  headSize: data.vocabularySize), seed: 3)
        return try Trainer(model: model, data: data, options: TrainingOptions(
            batchSize: 4, steps: steps, optimizer: .init(kind: .adamw, learningRate: 0.01), schedule: .cosine(totalSteps: steps, minimum: 0.001),
            clipNorm: 5, seed: 11))
    }

    func bits(_ trainer: Trainer<Float>) -> [UInt32] { trainer.model.parameters.storage.map(\.bitPattern) }

    @Test("Same seed, same data: bit-identical weights; another seed: different weights")
    func determinism() throws {
        var a = try parityTrainer(steps: 30), b = try parityTrainer(steps: 30), c = try parityTrainer(steps: 30, seed: 8)
        try a.run(); try b.run(); try c.run()
        #expect(bits(a) == bits(b))
        #expect(bits(a) != bits(c))
    }

    @Test("A run resumed from a checkpoint reaches the weights of one that never stopped (stream state, AdamW, cosine schedule)")
    func resumeIsExact() throws {
        var straight = try textTrainer(steps: 24)
        try straight.run()
        let dir = try CLI.temporaryDirectory()
        // Stop at step 10 (mid-epoch: the carried state matters), then resume to 24.
        var first = try textTrainer(steps: 24)
        for _ in 0..<10 { _ = try first.trainStep() }
        #expect(first.carried != nil)
        try first.writeCheckpoint(to: dir)
        var resumed = try #require(try Trainer<Float>.resume(from: dir, data: first.data, options: first.options))
        #expect(resumed.step == 10 && resumed.curve.count == 10)
        try resumed.run()
        #expect(bits(resumed) == bits(straight))
        #expect(resumed.curve.map(\.loss) == straight.curve.map(\.loss))
    }

    @Test("SGD with momentum resumes exactly too; a checkpoint with other options is refused")
    func resumeSGD() throws {
        var straight = try parityTrainer(steps: 20, optimizer: .sgd)
        try straight.run()
        let dir = try CLI.temporaryDirectory()
        var first = try parityTrainer(steps: 20, optimizer: .sgd)
        for _ in 0..<7 { _ = try first.trainStep() }
        try first.writeCheckpoint(to: dir)
        var resumed = try #require(try Trainer<Float>.resume(from: dir, data: first.data, options: first.options))
        try resumed.run()
        #expect(bits(resumed) == bits(straight))
        var other = first.options
        let rate = other.optimizer.learningRate
        other.optimizer.learningRate = 0.02
        other.batchSize += 1
        // The message names what differs, with both values.
        #expect(throws: RecurrentError.value("\(dir.appendingPathComponent(Trainer<Float>.checkpointFileName).path) was saved by a "
            + "run with other options (batch size \(first.options.batchSize), now \(other.batchSize); learning rate \(rate), now 0.02); "
            + "resume with the same options, or checkpoint into another directory")) {
            try Trainer<Float>.resume(from: dir, data: first.data, options: other)
        }
    }

    @Test("Parity (the homework's task) is learned: 100% on 1024 fresh sequences")
    func parityIsLearned() throws {
        var trainer = try parityTrainer(steps: 300)
        try trainer.run()
        let heldOut = try #require(try trainer.evaluateHeldOut())
        #expect(heldOut.positions == 1024 * 12)
        #expect(heldOut.accuracy == 1)
    }

    @Test("The adding problem at T = 20 gets below the paper's criterion (MSE 0.01) from the trivial 0.04")
    func addingIsLearned() throws {
        let data = try AddingTask(length: 20)
        let recipe = BuiltInTask.adding.recipe(length: 20)
        let model = try SequenceModel<Float>(.init(recurrent: .init(cell: .lstm, inputSize: 2, hiddenSize: 16), headSize: 1),
                                             initialization: .init(forgetBias: recipe.forgetBias), seed: 1)
        var trainer = try Trainer(model: model, data: data, options: TrainingOptions(
            batchSize: 32, steps: 600, optimizer: .init(kind: .adam, learningRate: 0.003), clipNorm: 1, seed: 1))
        let before = try #require(try trainer.evaluateHeldOut()).mean
        try trainer.run()
        let after = try #require(try trainer.evaluateHeldOut()).mean
        #expect(before > 0.03)
        #expect(after < AddingTask.criterionMSE)
    }

    @Test("A character model's held-out loss falls well below the uniform ln V")
    func textIsLearned() throws {
        var trainer = try textTrainer(steps: 150)
        let vocabulary = Double((trainer.data as! TextCorpus).vocabularySize)
        try trainer.run()
        let heldOut = try #require(try trainer.evaluateHeldOut())
        #expect(heldOut.mean < 0.5 * log(vocabulary))
    }

    @Test("Validating every N steps records the held-out loss of that moment and leaves training unchanged")
    func periodicValidation() throws {
        var validated = try textTrainer(steps: 12), plain = try textTrainer(steps: 12), upToSix = try textTrainer(steps: 12)
        var reported: [Int] = []
        try validated.run(validateEvery: 6, validated: { reported.append($0.step) })
        try plain.run()
        for _ in 0..<6 { _ = try upToSix.trainStep() }
        #expect(bits(validated) == bits(plain))
        #expect(reported == [6])  // not after the last step: the caller measures that one
        #expect(validated.curve[5].validationLoss == (try upToSix.evaluateHeldOut())?.mean)
        #expect(validated.curve.enumerated().allSatisfy { $0.offset == 5 || $0.element.validationLoss == nil })
        let line = String(decoding: try JSONEncoder().encode(validated.curve[5]), as: UTF8.self)
        #expect(line.contains("\"validation_loss\""))
    }

    @Test("A model and data that do not fit together are refused naming what each takes, then the data")
    func incompatibleModelAndData() throws {
        let text = try TextCorpus(text: Self.text, sequenceLength: 16, validationFraction: 0.1)
        let parity = try ParityTask(length: 12)
        let options = TrainingOptions(batchSize: 4, steps: 1)
        func refusal(_ configuration: SequenceModelConfiguration, _ data: any TrainingData) throws -> String {
            let model = try SequenceModel<Float>(configuration, seed: 1)
            return try #require(throws: RecurrentError.self) { try Trainer(model: model, data: data, options: options) }.message
        }
        let vectors = SequenceModelConfiguration(recurrent: .init(cell: .gru, inputSize: 2, hiddenSize: 4), headSize: 3)
        let tokens = SequenceModelConfiguration(recurrent: .init(cell: .gru, inputSize: 2, hiddenSize: 4), vocabularySize: 5, headSize: 3)
        #expect(try refusal(vectors, parity) == "the model reads vectors of size 2, but the data gives vectors of size 1 (\(parity.summary))")
        #expect(try refusal(tokens, parity)
            == "the model reads token ids (an embedding of 5 tokens), but the data gives vectors of size 1 (\(parity.summary))")
        #expect(try refusal(tokens, text)
            == "the model has a vocabulary of 5 tokens, but the data has a vocabulary of \(text.vocabularySize) tokens (\(text.summary))")
        #expect(try refusal(vectors, text) == "the model reads vectors of size 2 (it has no embedding), but the data has a vocabulary of "
            + "\(text.vocabularySize) tokens (\(text.summary))")
        let wide = SequenceModelConfiguration(recurrent: .init(cell: .gru, inputSize: 1, hiddenSize: 4), headSize: 7)
        #expect(try refusal(wide, parity) == "the model outputs 7 values per step, but the data has targets of size \(parity.output.size) (\(parity.summary))")
    }

    @Test("Training that would not fit in memory is refused before a batch is drawn, with the figure")
    func trainingTooLargeForMemory() throws {
        let model = try SequenceModel<Float>(.init(recurrent: .init(cell: .lstm, inputSize: 1, hiddenSize: 2048), headSize: 3), seed: 1)
        let error = try #require(throws: RecurrentError.self) {
            try Trainer(model: model, data: ParityTask(length: 100_000), options: TrainingOptions(batchSize: 32, steps: 1))
        }
        // The figure is the training footprint, whose formula `memoryIsCheckedFirst` pins.
        let bytes = try #require(model.configuration.trainingBytes(batch: 32, steps: 100_000, scalarSize: 4))
        expectMemoryRefusal(error.message, needing: "training LSTM(1, 2048) on batches of 32 sequences of 100000 steps would need "
            + "\(MemoryBudget.describe(bytes)) of memory; ")
    }

    @Test("Epochs whose steps cannot be counted are refused, not an overflow")
    func epochsOverflow() throws {
        let data = try ArrayDataset(inputs: Tensor(shape: [10, 4, 3], repeating: 0.5), targets: Tensor(shape: [10, 4, 2], repeating: 0))
        #expect(try TrainingOptions(batchSize: 1, epochs: 3).totalSteps(for: data) == 12)
        #expect(throws: RecurrentError.value("9223372036854775807 epochs of 4 batches are more steps than can be counted")) {
            try TrainingOptions(batchSize: 1, epochs: .max).totalSteps(for: data)
        }
    }
}
