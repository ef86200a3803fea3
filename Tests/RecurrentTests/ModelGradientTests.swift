import Foundation
import Testing
@testable import Recurrent

/// A whole model (embedding, recurrent stack, head) and its losses: values and gradients
/// against PyTorch autograd and against finite differences.
@Suite("Model losses and gradients")
struct ModelGradientTests {
    static let charDirectory = TorchCase.root.appendingPathComponent("charmodel")

    func gradients<S: RecurrentScalar>(_ model: SequenceModel<S>, _ batch: TrainingBatch<S>) throws -> (LossValue, [S]) {
        var g = [S](repeating: 0, count: model.parameterCount)
        let loss = try g.withUnsafeMutableBufferPointer { try model.pass(batch, state: nil, gradients: $0.baseAddress!).loss }
        return (loss, g)
    }

    func charBatch(last: Bool) throws -> TrainingBatch<Float> {
        let tokens = try NPY.read(Self.charDirectory.appendingPathComponent("tokens.npy"), as: Float.self)
        let targets = try NPY.read(Self.charDirectory.appendingPathComponent("targets.npy"), as: Float.self)
        let (T, B) = (tokens.shape[0], tokens.shape[1])
        let classes = targets.scalars.map { Int32($0) }
        return TrainingBatch(steps: T, batch: B, inputs: .tokens(tokens.scalars.map { Int32($0) }),
                             targets: .classes(last ? Array(classes[((T - 1) * B)...]) : classes,
                                               positions: last ? .lastStep : .everyStep))
    }

    @Test("Embedding → LSTM → head, cross-entropy on every step and on the last step: loss and every gradient match PyTorch to 1e-5",
          arguments: [false, true])
    func charModelMatchesTorch(_ lastStep: Bool) throws {
        let model = try SequenceModel<Float>.load(from: Self.charDirectory.appendingPathComponent("model.safetensors"))
        #expect(model.configuration.vocabularySize == 7 && model.configuration.headSize == 7)
        let (loss, g) = try gradients(model, try charBatch(last: lastStep))
        let json = try JSONSerialization.jsonObject(
            with: Data(contentsOf: Self.charDirectory.appendingPathComponent(lastStep ? "loss_last.json" : "loss.json"))) as! [String: Any]
        #expect(abs(loss.mean - (json["loss"] as! Double)) < 1e-5)
        let expected = try SafetensorsFile<Float>.read(Self.charDirectory.appendingPathComponent(lastStep ? "grads_last.safetensors" : "grads.safetensors"))
        for entry in model.parameters.entries {
            let ours = Array(g[entry.offset..<(entry.offset + entry.count)])
            let theirs = try #require(expected[entry.name], "\(entry.name)")
            #expect(maxAbsDiff(ours, theirs.scalars) <= 1e-5, "\(entry.name)")
        }
    }

    @Test("A bare PyTorch LSTM fine-tuned with MSE: one SGD step (lr 0.5) from our gradient gives PyTorch's weights to 1e-5")
    func fineTuneGradientMatchesTorch() throws {
        let dir = TorchCase.root.appendingPathComponent("finetune")
        let model = try SequenceModel<Float>.load(from: dir.appendingPathComponent("model.safetensors"))
        #expect(model.configuration.recurrentPrefix == "" && model.configuration.headSize == nil)
        let x = try NPY.read(dir.appendingPathComponent("input.npy"), as: Float.self)
        let y = try NPY.read(dir.appendingPathComponent("target.npy"), as: Float.self)
        let batch = TrainingBatch<Float>(steps: x.shape[0], batch: x.shape[1], inputs: .vectors(x.scalars),
                                         targets: .values(y.scalars, positions: .everyStep))
        let (_, g) = try gradients(model, batch)
        let expected = try SafetensorsFile<Float>.read(dir.appendingPathComponent("expected.safetensors"))
        for entry in model.parameters.entries {
            let stepped = (0..<entry.count).map { model.parameters.storage[entry.offset + $0] - 0.5 * g[entry.offset + $0] }
            #expect(maxAbsDiff(stepped, try #require(expected[entry.name]).scalars) <= 1e-5, "\(entry.name)")
        }
    }

    static let finiteDifferenceCases: [(String, SequenceModelConfiguration, LossPositions, [Int]?)] = [
        ("tokens → GRU → head, CE every step, lengths",
         .init(recurrent: .init(cell: .gru, inputSize: 3, hiddenSize: 4), vocabularySize: 5, headSize: 5), .everyStep, [4, 2, 3]),
        ("tokens → LSTM 2 layers → head, CE last step, lengths",
         .init(recurrent: .init(cell: .lstm, inputSize: 2, hiddenSize: 3, layers: 2), vocabularySize: 4, headSize: 3), .lastStep, [4, 1, 3]),
        ("vectors → bidirectional gated RNN → head, MSE every step",
         .init(recurrent: .init(cell: .gated, inputSize: 2, hiddenSize: 3, bidirectional: true), headSize: 2), .everyStep, nil),
        ("vectors → RNN, no head, MSE last step, lengths",
         .init(recurrent: .init(cell: .rnn, inputSize: 2, hiddenSize: 3), headSize: nil), .lastStep, [2, 4, 3]),
        ("vectors → LSTM with projection → head, MSE every step",
         .init(recurrent: .init(cell: .lstm, inputSize: 2, hiddenSize: 4, projectionSize: 2), headSize: 1), .everyStep, nil),
    ]

    @Test("Every parameter's gradient, through embedding, stack, head and loss, matches finite differences (relative 1e-6)",
          arguments: 0..<finiteDifferenceCases.count)
    func matchesFiniteDifferences(_ index: Int) throws {
        let (_, cfg, positions, lengths) = Self.finiteDifferenceCases[index]
        let model = try SequenceModel<Double>(cfg, seed: UInt64(index) + 3)
        let T = 4, B = 3, O = cfg.modelOutputSize
        var g = SeededGenerator(seed: 99 + UInt64(index))
        let inputs: BatchInputs<Double> = cfg.vocabularySize.map { V in .tokens((0..<(T * B)).map { _ in Int32(g.next() % UInt64(V)) }) }
            ?? .vectors((0..<(T * B * cfg.recurrent.inputSize)).map { _ in g.uniform(-1.0, 1.0) })
        let targetRows = positions == .everyStep ? T * B : B
        let targets: BatchTargets<Double> = cfg.vocabularySize != nil
            ? .classes((0..<targetRows).map { _ in Int32(g.next() % UInt64(O)) }, positions: positions)
            : .values((0..<(targetRows * O)).map { _ in g.uniform(-1.0, 1.0) }, positions: positions)
        let batch = TrainingBatch(steps: T, batch: B, inputs: inputs, targets: targets, lengths: lengths)
        let (_, analytic) = try gradients(model, batch)
        let numeric = finiteDifferences(model.parameters.storage) { p in
            var m = model
            m.parameters.storage = p
            return (try? m.pass(batch, state: nil, gradients: nil).loss.mean) ?? .nan
        }
        #expect(relativeError(analytic, numeric) < 1e-6)
    }

    @Test("A training batch's lengths are checked as a call's are: one per sequence, each in 0...T, the bad one named",
          arguments: [([4, 9, 3], RecurrentError(.value, "batch lengths[1] = 9 is outside 0...4")),
                      ([4, 2, -1], RecurrentError(.value, "batch lengths[2] = -1 is outside 0...4")),
                      ([4, 2], RecurrentError(.shape, "batch lengths: expected 3 values (one per sequence), got 2"))])
    func trainingBatchLengthsAreChecked(_ lengths: [Int], _ expected: RecurrentError) throws {
        let model = try SequenceModel<Double>(.init(recurrent: .init(cell: .gru, inputSize: 2, hiddenSize: 3), headSize: 1), seed: 1)
        let (T, B) = (4, 3)
        let batch = TrainingBatch<Double>(steps: T, batch: B, inputs: .vectors(Array(repeating: 0.5, count: T * B * 2)),
                                          targets: .values(Array(repeating: 0, count: B), positions: .lastStep), lengths: lengths)
        #expect(throws: expected) { try model.pass(batch, state: nil, gradients: nil) }
    }
}
