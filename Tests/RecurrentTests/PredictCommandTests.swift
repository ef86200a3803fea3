import Foundation
import Testing
@testable import Recurrent

/// `recurrent predict` and `recurrent inspect`, run as a user runs them.
@Suite("recurrent predict and inspect")
struct PredictCommandTests {
    func fixture(_ name: String) throws -> TorchCase { try TorchCase(name) }

    @Test("Stacked bidirectional LSTM with initial states: output, h_n and c_n files match PyTorch to 1e-5")
    func initialAndFinalStates() throws {
        let f = try fixture("lstm_stacked_bidirectional")
        let dir = try CLI.temporaryDirectory()
        let y = dir.appendingPathComponent("y.npy"), s = dir.appendingPathComponent("s.safetensors")
        let result = try CLI.run(["predict", "--model", f.url("model.safetensors").path, "--input", f.url("input.npy").path,
                                  "--output", y.path, "--initial-state", f.url("initial_state.safetensors").path,
                                  "--state-output", s.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try NPY.read(y, as: Float.self).maxAbsoluteDifference(try f.npy("output.npy")) <= 1e-5)
        let state = try SafetensorsFile<Float>.read(s)
        #expect(state.names == ["h_n", "c_n"])
        #expect(try #require(state["h_n"]).maxAbsoluteDifference(try f.npy("h_n.npy")) <= 1e-5)
        #expect(try #require(state["c_n"]).maxAbsoluteDifference(try f.npy("c_n.npy")) <= 1e-5)
    }

    @Test("Batch-first input with lengths, and an unbatched input, give PyTorch's shapes and values")
    func layouts() throws {
        let dir = try CLI.temporaryDirectory()
        let y = dir.appendingPathComponent("y.npy")
        let g = try fixture("gru_lengths_batch_first")
        var result = try CLI.run(["predict", "--model", g.url("model.safetensors").path, "--input", g.url("input.npy").path,
                                  "--output", y.path, "--batch-first", "--lengths", "6,1,4"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try NPY.read(y, as: Float.self).maxAbsoluteDifference(try g.npy("output.npy")) <= 1e-5)
        let u = try fixture("lstm_unbatched")
        result = try CLI.run(["predict", "--model", u.url("model.safetensors").path, "--input", u.url("input.npy").path,
                              "--output", y.path, "--initial-state", u.url("initial_state.safetensors").path])
        #expect(result.status == 0, "\(result.stderr)")
        let out = try NPY.read(y, as: Float.self)
        #expect(out.shape == [6, 4])
        #expect(out.maxAbsoluteDifference(try u.npy("output.npy")) <= 1e-5)
    }

    @Test("--lengths that are not whole numbers from 0 are usage errors (exit 64), before any file is read", arguments: [
        ("7,x", "Error: --lengths: 'x' is not a whole number"),
        ("5,,5", "Error: --lengths: '' is not a whole number"),
        // A value starting with '-' is the option's (was: "Missing value for '--lengths'").
        ("-1,5", "Error: --lengths: -1 is below 0; a sequence has 0 or more steps"),
    ])
    func lengthsUsage(_ lengths: String, _ expected: String) throws {
        let result = try CLI.run(["predict", "--model", "nowhere.safetensors", "--input", "nowhere.npy", "--output", "y.npy",
                                  "--lengths", lengths])
        #expect(result.status == 64 && result.stderr == expected + "\n", "\(result.stderr)")
    }

    @Test("Bad inputs: one line naming what was expected, non-zero exit, no output file", arguments: [
        ("wrong input size", ["--model", "lstm_basic/model.safetensors", "--input", "gru_stacked_bidirectional/input.npy"],
         "Error: input: expected (T, B, 3), got (5, 2, 4)"),
        ("initial state batch", ["--model", "lstm_stacked_bidirectional/model.safetensors", "--input", "gru_stacked_bidirectional/input.npy",
                                  "--initial-state", "lstm_stacked_bidirectional/initial_state.safetensors"],
         "Error: initial state h: expected shape (4, 2, 6), got (4, 3, 6)"),
        ("two modules", ["--model", "two_recurrent_modules/model.safetensors", "--input", "lstm_basic/input.npy"],
         "Error: model.safetensors: holds 2 recurrent modules (decoder., encoder.); choose one with --prefix"),
        ("missing model", ["--model", "nowhere/model.safetensors", "--input", "lstm_basic/input.npy"],
         "Error: \(TorchCase.root.appendingPathComponent("nowhere/model.safetensors").path): no such file"),
        // The upper bound is the input's steps, known once it is read.
        ("length past the steps", ["--model", "lstm_basic/model.safetensors", "--input", "lstm_basic/input.npy", "--lengths", "9,5,5,5"],
         "Error: lengths[0] = 9 is outside 0...7"),
    ])
    func errors(_ label: String, _ arguments: [String], _ expected: String) throws {
        let dir = try CLI.temporaryDirectory()
        let y = dir.appendingPathComponent("y.npy")
        var args = ["predict", "--output", y.path]
        var i = 0
        while i < arguments.count {
            args.append(arguments[i])
            args.append(arguments[i].hasPrefix("--") && arguments[i] != "--lengths" && arguments[i] != "--prefix"
                        ? TorchCase.root.appendingPathComponent(arguments[i + 1]).path : arguments[i + 1])
            i += 2
        }
        let result = try CLI.run(args)
        #expect(result.status == 1, "\(label)")
        #expect(result.stderr == expected + "\n", "\(label): \(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: y.path), "\(label)")
    }

    @Test("A truncated model file and a NaN input are clear errors")
    func malformedFiles() throws {
        let dir = try CLI.temporaryDirectory()
        let f = try fixture("lstm_basic")
        let data = try Data(contentsOf: f.url("model.safetensors"))
        let truncated = dir.appendingPathComponent("t.safetensors")
        try data.prefix(data.count - 10).write(to: truncated)
        var result = try CLI.run(["predict", "--model", truncated.path, "--input", f.url("input.npy").path,
                                  "--output", dir.appendingPathComponent("y.npy").path])
        #expect(result.status == 1 && result.errorMessage == "\(truncated.path): tensor 'weight_ih_l0': data_offsets [560, 800] run past the end of the data buffer (790 bytes)", "\(result.stderr)")
        let nan = dir.appendingPathComponent("nan.npy")
        try NPY.write(Tensor<Float>(shape: [2, 1, 3], scalars: [0, 1, 2, .nan, 4, 5]), to: nan)
        result = try CLI.run(["predict", "--model", f.url("model.safetensors").path, "--input", nan.path,
                              "--output", dir.appendingPathComponent("y.npy").path])
        #expect(result.stderr == "Error: \(nan.path): input[1, 0, 0] is nan; the model reads finite numbers\n")
    }

    @Test("inspect prints the inferred module, parameter count and every tensor")
    func inspect() throws {
        let f = try fixture("lstm_projection")
        let result = try CLI.run(["inspect", f.url("model.safetensors").path])
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        // 4H·X + 4H·P + 8H + P·H for layer 0, then 4H·P + 4H·P + 8H + P·H.
        #expect(lines.contains("LSTM(5, 8, proj_size=3, num_layers=2): 624 parameters"))
        #expect(lines.contains { $0.contains("weight_hr_l1") && $0.contains("F32") && $0.hasSuffix("(3, 8)") })
        let rnn = try CLI.run(["inspect", try fixture("rnn_bfloat16").url("model.safetensors").path])
        #expect(rnn.stdout.contains("RNN(3, 4): 36 parameters") && rnn.stdout.contains("tanh assumed"))
    }

    @Test("inspect lists a name holding a line break on one line, escaped")
    func inspectEscapesNames() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("odd.safetensors")
        try SafetensorsFile<Float>(tensors: [(name: "a\nb", tensor: try Tensor(shape: [2], scalars: [1, 2]))],
                                   metadata: ["note": "x\ty"]).write(to: url)
        let result = try CLI.run(["inspect", url.path])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("  \"a\\nb\"  F32") && $0.hasSuffix("(2)") }, "\(lines)")
        #expect(lines.contains("  metadata note = \"x\\ty\""), "\(lines)")
        // Every line, the model line too: no raw control character (a terminal escape clearing the screen) reaches stdout.
        #expect(!result.stdout.unicodeScalars.contains { $0.properties.generalCategory == .control && $0 != "\n" }, "\(lines)")
        try SafetensorsFile<Float>(tensors: [(name: "we\u{1B}[2Jird", tensor: try Tensor(shape: [2], scalars: [1, 2]))]).write(to: url)
        let escape = try CLI.run(["inspect", url.path])
        #expect(escape.status == 0 && !escape.stdout.contains("\u{1B}") && escape.stdout.contains("we\\u{1B}[2Jird"), "\(escape.stdout)")
    }
}
