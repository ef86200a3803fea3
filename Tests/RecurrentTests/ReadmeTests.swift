import Foundation
import Testing
@testable import Recurrent

/// The README's examples work as written.
@Suite("README")
struct ReadmeTests {
    static let readme = try! String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("README.md"), encoding: .utf8)

    /// The fenced blocks of a given language.
    static func blocks(_ language: String) -> [String] {
        readme.components(separatedBy: "```" + language + "\n").dropFirst().map { $0.components(separatedBy: "```")[0] }
    }

    @Test("The README's model file is a valid gated RNN in the course's notation")
    func courseModelExample() throws {
        let json = try #require(Self.blocks("json").first)
        let model = try CourseModel(json: Data(json.utf8), source: "README")
        #expect(model.cell == .gated && model.parameters.hiddenSize == 2 && model.parameters.inputSize == 1)
        let trace = try Trace(model: model, inputs: [[1], [0]])
        #expect(trace.steps.count == 2)
    }

    @Test("The README's trace output is what recurrent trace prints")
    func traceOutput() throws {
        let printed = try Trace(model: CoursePreset.homeworkLSTM.model, inputs: [0, 0, 1, 1, 1, 0].map { [$0] }, round: true)
            .formatted(.table)
        #expect(Self.blocks("").contains(printed))
    }

    @Test("The README's library example runs and its comments hold")
    func libraryExample() throws {
        let lstm = try RecurrentNetwork<Float>(
            .init(cell: .lstm, inputSize: 3, hiddenSize: 5, layers: 2, bidirectional: true), seed: 42)
        let x = try Tensor<Float>(zeros: [7, 4, 3])
        let (y, state) = try lstm(x, lengths: [7, 3, 5, 1])
        #expect(y.shape == [7, 4, 10] && state.h.shape == [4, 4, 5])
        let cell = try LSTMCell(course: CoursePreset.homeworkLSTM.model.parameters)
        let step = try cell(Tensor([1.0]))
        #expect(step.h.shape == [1] && step.h.scalars[0].rounded() == 1)
        let model = try SequenceModel<Float>(
            .init(recurrent: .init(cell: .lstm, inputSize: 1, hiddenSize: 16), outputSize: 3), seed: 0)
        var trainer = try Trainer(model: model, data: try ParityTask(length: 20), options: TrainingOptions(
            steps: 600, optimizer: .init(kind: .adam, learningRate: 0.01), clipNorm: 1))
        try trainer.run()
        #expect(try trainer.evaluateHeldOut()?.accuracy == 1)
        var stream = try RecurrentStream(network: try RecurrentNetwork<Float>(.init(cell: .gru, inputSize: 3, hiddenSize: 8), seed: 1))
        #expect(try stream.step(Tensor<Float>([0.1, 0.2, 0.3])).shape == [8])
    }

    @Test("The README's first two commands are the main job and the test command CI runs")
    func commands() throws {
        let first = try #require(Self.blocks("sh").first)
        let lines = first.split(separator: "\n").map { $0.split(separator: "#")[0].trimmingCharacters(in: .whitespaces) }
        #expect(lines[0] == "swift run -c release recurrent train")
        #expect(lines[1] == "swift test -c release")
        let ci = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".ci/run"), encoding: .utf8)
        #expect(ci.contains("\n" + lines[1] + "\n"))
    }
}
