import Foundation
import Testing
@testable import Recurrent

/// Where commands write, checked before any work: an output is a file (not a directory, not
/// empty), no two outputs are one file, and no output replaces a file the command reads.
@Suite("Output paths")
struct OutputPathTests {
    /// Runs `recurrent`, expecting a failure whose one line is `Error: <message>` and no work
    /// done (nothing on standard output).
    func expectRefusal(_ arguments: [String], _ message: String, in directory: URL? = nil,
                       sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try CLI.run(arguments, in: directory)
        #expect(result.status == 1, sourceLocation: sourceLocation)
        #expect(result.stderr == "Error: \(message)\n", sourceLocation: sourceLocation)
        #expect(result.stdout.isEmpty, "work was done before the refusal: \(result.stdout)", sourceLocation: sourceLocation)
    }

    @Test("A directory or an empty path as an output is refused before training or the experiment starts")
    func directoryOrEmptyOutputRefused() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try expectRefusal(["train", "--steps", "2", "--output", dir.path], "\(dir.path): is a directory; --output names a file")
        try expectRefusal(["train", "--steps", "2", "--output", ""], "--output: the path is empty")
        try expectRefusal(["experiment", "gradients", "--length", "5", "--svg", dir.path],
                          "\(dir.path): is a directory; --svg names a file")
        // A directory where the loss curve would go.
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("m.loss.jsonl"), withIntermediateDirectories: false)
        try expectRefusal(["train", "--steps", "2", "--output", "m.safetensors"],
                          "\(dir.appendingPathComponent("m.loss.jsonl").path): is a directory; --output's loss curve names a file", in: dir)
    }

    @Test("A loss curve named like the training text would replace it: refused, and the text is untouched")
    func curveOverInputRefused() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = String(repeating: "to be or not to be\n", count: 20)
        try text.write(to: dir.appendingPathComponent("tt.loss.jsonl"), atomically: true, encoding: .utf8)
        try expectRefusal(["train", "--text", "tt.loss.jsonl", "--steps", "2", "--seq-len", "8", "--output", "tt.safetensors"],
                          "--output's loss curve \(dir.appendingPathComponent("tt.loss.jsonl").path) would overwrite the input --text", in: dir)
        #expect(try String(contentsOf: dir.appendingPathComponent("tt.loss.jsonl"), encoding: .utf8) == text)
    }

    @Test("predict: --output and --state-output naming one file, or an output over the model, are refused")
    func predictOutputsDistinct() throws {
        let f = try TorchCase("lstm_stacked_bidirectional")
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = f.url("model.safetensors").path, input = f.url("input.npy").path
        try expectRefusal(["predict", "--model", model, "--input", input, "--output", "y.npy", "--state-output", "./y.npy"],
                          "--output and --state-output name the same file, ./y.npy", in: dir)
        // The model is copied in: a refusal must leave it as it was.
        try FileManager.default.copyItem(atPath: model, toPath: dir.appendingPathComponent("m.safetensors").path)
        try expectRefusal(["predict", "--model", "m.safetensors", "--input", input, "--output", "y.npy", "--state-output", "m.safetensors"],
                          "--state-output m.safetensors would overwrite the input --model", in: dir)
        #expect(FileManager.default.contentsEqual(atPath: model, andPath: dir.appendingPathComponent("m.safetensors").path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["m.safetensors"])
    }

    @Test("Fine-tuning a forecaster keeps its columns and scaling; data of other columns is refused")
    func forecasterKeepsColumns() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        func csv(_ name: String, _ header: String, _ row: (Int) -> String) throws {
            try (header + "\n" + (0..<40).map(row).joined(separator: "\n")).write(
                to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        try csv("s.csv", "a,b") { "\($0 % 7),\(($0 * 3) % 5)" }
        try csv("t.csv", "a,b,c") { "\(100 + $0),\($0 * $0),\($0 % 2)" }
        let small = ["--steps", "2", "--hidden", "4", "--seq-len", "4", "--quiet"]
        var result = try CLI.run(["train", "--csv", "s.csv", "--output", "f.safetensors"] + small, in: dir)
        #expect(result.status == 0, "\(result.stderr)")
        result = try CLI.run(["train", "--model", "f.safetensors", "--csv", "t.csv", "--columns", "a,b", "--output", "g.safetensors",
                              "--steps", "2", "--seq-len", "4", "--quiet"], in: dir)
        #expect(result.status == 0, "\(result.stderr)")
        let f = try SequenceModel<Float>.load(from: dir.appendingPathComponent("f.safetensors"))
        let g = try SequenceModel<Float>.load(from: dir.appendingPathComponent("g.safetensors"))
        #expect(g.series == f.series && f.series?.columns == ["a", "b"])
        result = try CLI.run(["train", "--model", "f.safetensors", "--csv", "t.csv", "--columns", "a,c", "--steps", "2", "--seq-len", "4"], in: dir)
        #expect(result.status == 1)
        #expect(result.stderr == "Error: \(dir.appendingPathComponent("t.csv").path): the model forecasts the columns a, b, but the data has a, c\n")
    }

    @Test("An invalid value for an option of fixed values lists them all on the error's line")
    func valueListOnOneLine() throws {
        let result = try CLI.run(["train", "--cell", "foo"])
        #expect(result.status == 64)
        #expect(result.stderr == "Error: The value 'foo' is invalid for '--cell <cell>'. Please provide one of the following: "
            + CellKind.allCases.map(\.rawValue).joined(separator: ", ") + "\n")
    }
}
