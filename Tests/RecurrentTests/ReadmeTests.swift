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
        // The README's numbers, stepped in float64: g = σ(W_gs s + W_gx x + b_g),
        // s' = (1 - g) ⊙ s + g ⊙ tanh(W_ss s + W_sx x) from s0 = (0.5, -0.5).
        func sigmoid(_ v: Double) -> Double { 1 / (1 + exp(-v)) }
        var s = [0.5, -0.5]
        var expected: [(g: [Double], s: [Double])] = []
        for x in [1.0, 0.0] {
            let g = [sigmoid(4 * x), sigmoid(-4 * x)]
            s = (0..<2).map { (1 - g[$0]) * s[$0] + g[$0] * tanh(s[$0] + x) }
            expected.append((g, s))
        }
        #expect(trace.steps.count == 2)
        for (step, want) in zip(trace.steps, expected) {
            let (g, s) = (try #require(step.values["g"]), try #require(step.values["s"]))
            #expect(maxAbsDiff(g, want.g) < 1e-12 && maxAbsDiff(s, want.s) < 1e-12, "\(step.values)")
        }
    }

    @Test("The README's trace output is what recurrent trace prints")
    func traceOutput() throws {
        let printed = try Trace(model: CoursePreset.homeworkLSTM.model, inputs: [0, 0, 1, 1, 1, 0].map { [$0] }, round: true)
            .formatted(.table)
        #expect(Self.blocks("").contains(printed))
    }

    @Test("The README's library example runs as written and its comments hold")
    func libraryExample() throws {
        // The README's statements, verbatim (checked below), but for the file written.
        let lstm = try RecurrentNetwork<Float>(
            .init(cell: .lstm, inputSize: 3, hiddenSize: 5, layers: 2, bidirectional: true), seed: 42)
        let x = try Tensor<Float>(zeros: [7, 4, 3])
        let (y, state) = try lstm(x, lengths: [7, 3, 5, 1])
        #expect(y.shape == [7, 4, 10] && state.h.shape == [4, 4, 5])
        let cell = try LSTMCell(course: CoursePreset.homeworkLSTM.model.parameters)
        let step = try cell(Tensor([1.0]))
        #expect(step.h.shape == [1] && step.h.scalars[0].rounded() == 1)
        let model = try SequenceModel<Float>(
            .init(recurrent: .init(cell: .lstm, inputSize: 1, hiddenSize: 16), headSize: 3), seed: 0)
        var trainer = try Trainer(model: model, data: try ParityTask(length: 20), options: TrainingOptions(
            steps: 600, optimizer: .init(kind: .adam, learningRate: 0.01), clipNorm: 1))
        try trainer.run()
        let accuracy = try trainer.evaluateHeldOut()?.accuracy       // 1.0 on 1024 fresh sequences
        #expect(try accuracy == 1 && ParityTask(length: 20).heldOutCount == 1024)
        let saved = try CLI.temporaryDirectory().appendingPathComponent("parity.safetensors")
        try trainer.model.write(to: saved)
        #expect(try SequenceModel<Float>.load(from: saved).parameters == trainer.model.parameters)
        var stream = try RecurrentStream(network: try RecurrentNetwork<Float>(.init(cell: .gru, inputSize: 3, hiddenSize: 8), seed: 1))
        let h1 = try stream.step(Tensor<Float>([0.1, 0.2, 0.3]))     // (8)
        // "Same numbers as the whole-sequence call": one step of the same network, called whole.
        let (whole, _) = try RecurrentNetwork<Float>(.init(cell: .gru, inputSize: 3, hiddenSize: 8), seed: 1)(
            try Tensor<Float>(shape: [1, 1, 3], scalars: [0.1, 0.2, 0.3]))
        #expect(h1.shape == [8] && h1.scalars == whole.scalars)

        // Every statement of the README's block is one of the above (comments and blanks aside).
        let block = try #require(Self.blocks("swift").first { $0.contains("RecurrentNetwork<Float>(") && $0.contains("Trainer(") })
        let source = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
        let statements = block.split(separator: "\n").map { $0.components(separatedBy: "//")[0].trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("import ") && !$0.contains("parity.safetensors") }
        #expect(statements.count == 14, "\(statements)")
        for statement in statements { #expect(source.contains(statement), "the README's '\(statement)' is not what this test runs") }
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

    /// Runs a README shell block with `recurrent` on the PATH, in `directory`.
    static func runShell(_ block: String, in directory: URL) throws -> CLI.Result {
        let path = CLI.productsDirectory.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-ec", block]
        process.currentDirectoryURL = directory
        process.environment = ProcessInfo.processInfo.environment.merging(["PATH": path]) { $1 }
        let err = Pipe()
        (process.standardOutput, process.standardError) = (FileHandle.nullDevice, err)
        try process.run()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLI.Result(status: process.terminationStatus, stdout: "", stderr: String(decoding: errData, as: UTF8.self))
    }

    @Test("The README's journeys run as written: train then predict (and the Swift calls), train a forecaster then forecast")
    func journeys() throws {
        let dir = try CLI.temporaryDirectory()
        let blocks = Self.blocks("sh")
        // Train then predict, on arrays like the README's NumPy ones (x (20, 64, 3), y its running sums / 5).
        let xs = Reference.randomArray(20 * 64 * 3, seed: 2, scale: 1.7).map(Float.init)
        var ys = [Float](repeating: 0, count: 20 * 64 * 2)
        for t in 0..<20 { for n in 0..<64 { for k in 0..<2 {
            ys[(t * 64 + n) * 2 + k] = xs[(t * 64 + n) * 3 + k] / 5 + (t > 0 ? ys[((t - 1) * 64 + n) * 2 + k] : 0)
        } } }
        let x = try Tensor<Float>(shape: [20, 64, 3], scalars: xs)
        try NPY.write(x, to: dir.appendingPathComponent("X.npy"))
        try NPY.write(Tensor<Float>(shape: [20, 64, 2], scalars: ys), to: dir.appendingPathComponent("Y.npy"))
        let predict = try #require(blocks.first { $0.contains("recurrent predict --model sums.safetensors") })
        let first = try Self.runShell(predict, in: dir)
        #expect(first.status == 0, "\(first.stderr)")
        let yHat: Tensor<Float> = try NPY.read(dir.appendingPathComponent("Yhat.npy"))
        let meanSquare = ys.reduce(0.0) { $0 + Double($1 * $1) } / Double(ys.count)
        let meanSquareError = zip(yHat.scalars, ys).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) } / Double(ys.count)
        #expect(yHat.shape == [20, 64, 2] && meanSquareError < 0.1 * meanSquare, "\(meanSquareError) vs \(meanSquare)")
        let model = try SequenceModel<Float>.load(from: dir.appendingPathComponent("sums.safetensors"))
        let (y, state) = try model(x)
        #expect(y == yHat && state.h.shape == [1, 64, 16])
        let grads = try model.gradients(of: x, outputGradient: y)
        #expect(grads.input?.shape == [20, 64, 3] && grads.initialState.h.shape == [1, 64, 16])
        var stream = try ModelStream(model: model, batch: 64)
        #expect(try stream.step(Tensor(shape: [64, 3], scalars: Array(xs[..<192]))).scalars == Array(y.scalars[..<128]))

        // The forecaster: the block exactly as written.
        let forecast = try #require(blocks.first { $0.contains("recurrent forecast") })
        let second = try Self.runShell(forecast, in: dir)
        #expect(second.status == 0, "\(second.stderr)")
        let written = try TimeSeriesCSV.rows(contentsOf: dir.appendingPathComponent("forecast.csv"), columns: nil)
        let truth = try TimeSeriesCSV.rows(contentsOf: dir.appendingPathComponent("series.csv"), columns: ["temp", "load"]).rows
        #expect(written.columns == ["temp", "load"] && written.rows.count == 24)
        // Within the noise and a little drift of the true continuation (rows 1800...1823), column by
        // column: temp swings ±5 with noise 0.3, load ±1 with noise 0.1; each within 20% of its swing.
        let temp = maxAbsDiff(written.rows.map { $0[0] }, truth[1800..<1824].map { $0[0] })
        let load = maxAbsDiff(written.rows.map { $0[1] }, truth[1800..<1824].map { $0[1] })
        #expect(temp < 1.0 && load < 0.2, "temp \(temp), load \(load)")
    }
}
