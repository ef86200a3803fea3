import Foundation
import Testing

/// `recurrent trace`, run as a user runs it.
@Suite("recurrent trace")
struct TraceCommandTests {
    /// The h column of a table.
    func column(_ name: String, ofTable text: String) -> [String] {
        let lines = text.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        guard let index = lines.first?.firstIndex(of: name) else { return [] }
        return lines.dropFirst().map { $0[index] }
    }

    @Test("With no arguments it runs the homework, rounded: h = 0 0 1 -1 1 0")
    func noArguments() throws {
        let result = try CLI.run(["trace"])
        #expect(result.status == 0)
        #expect(column("h", ofTable: result.stdout) == ["0", "0", "1", "-1", "1", "0"])
        #expect(try CLI.run(["trace", "--preset", "homework-lstm", "--inputs", "0,0,1,1,1,0", "--round"]).stdout == result.stdout)
    }

    @Test("The homework's second sequence, and --no-round giving exact values")
    func secondSequenceAndExact() throws {
        let rounded = try CLI.run(["trace", "--inputs", "1,1,0,1,1"])
        #expect(column("h", ofTable: rounded.stdout) == ["1", "-1", "0", "1", "-1"])
        let exact = try CLI.run(["trace", "--no-round", "--format", "json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(exact.stdout.utf8)) as? [String: Any])
        let steps = try #require(json["steps"] as? [[String: Any]])
        #expect(steps.count == 6)
        #expect(Set(steps[0].keys) == ["t", "x", "f", "i", "o", "c", "h"])
        let h5 = try #require((steps[5]["h"] as? [Double])?.first)
        // At the last step (x = 0) the output gate is σ(0) = 1/2 and the cell -1: h = -tanh(1)/2.
        #expect(abs(h5 - -tanh(1.0) / 2) < 1e-12)
    }

    @Test("JSON steps of the gated RNN have g and s; of the simple RNN, s; every value an array")
    func jsonKeysPerCell() throws {
        let dir = try CLI.temporaryDirectory()
        let model = dir.appendingPathComponent("rnn.json")
        try Data(#"{"cell": "rnn", "W_ss": [[0.5, 0], [0, 0.5]], "W_sx": [1, -1], "b_s": [0, 0.1]}"#.utf8).write(to: model)
        let rnn = try CLI.run(["trace", "--model", model.path, "--inputs=-1,0.5", "--format", "json"])
        #expect(rnn.status == 0, "\(rnn.stderr)")
        let steps = try #require((try JSONSerialization.jsonObject(with: Data(rnn.stdout.utf8)) as? [String: Any])?["steps"] as? [[String: Any]])
        #expect(steps.count == 2 && Set(steps[0].keys) == ["t", "x", "s"])
        let s0 = try #require(steps[0]["s"] as? [Double])
        #expect(s0.count == 2 && abs(s0[0] - tanh(-1.0)) < 1e-12 && abs(s0[1] - tanh(1.1)) < 1e-12)
        let gated = try CLI.run(["trace", "--preset", "gated-latch", "--format", "json"])
        let gsteps = try #require((try JSONSerialization.jsonObject(with: Data(gated.stdout.utf8)) as? [String: Any])?["steps"] as? [[String: Any]])
        #expect(Set(gsteps[0].keys) == ["t", "x", "g", "s"])
        #expect((gsteps[1]["s"] as? [Double]) == (gsteps[0]["s"] as? [Double]))
    }

    @Test("CSV has a header and one full-precision row per step")
    func csv() throws {
        let result = try CLI.run(["trace", "--format", "csv", "--no-round"])
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.first == "t,x,f,i,o,c,h")
        #expect(lines.count == 7)
        #expect(lines[6].hasSuffix(",0.5,-1.0,\(-tanh(1.0) / 2)"), "\(lines[6])")  // o = σ(0), c = -1, h = -tanh(1)/2
    }

    @Test("Bad input: one line on standard error naming what is at fault, and its exit status", arguments: [
        (["trace", "--preset", "nope"], Int32(64), "unknown preset 'nope' (presets: homework-lstm, lecture-lstm, gated-latch)"),
        (["trace", "--inputs", "1,a"], 64, "--inputs: 'a' is not a finite number"),
        (["trace", "--inputs", "1;nan"], 64, "--inputs: 'nan' is not a finite number"),
        (["trace", "--model", "/nonexistent/m.json", "--inputs", "1"], 1, "/nonexistent/m.json: cannot read the file"),
        (["trace", "--format", "xml"], 64, "The value 'xml' is invalid for '--format <format>'. Please provide one of 'table', 'csv', 'json', 'svg' or 'html'."),
        (["trace", "--frobnicate"], 64, "Unknown option '--frobnicate'"),
        // The parser would take the next option as the value: "Unexpected argument 'csv'".
        (["trace", "--inputs=", "--format", "csv"], 64, "--inputs= has nothing after '='; give a value (--inputs=VALUE) or leave the option out"),
        (["train", "--lr=", "--steps", "5"], 64, "--lr= has nothing after '='; give a value (--lr=VALUE) or leave the option out"),
    ])
    func errors(_ arguments: [String], _ status: Int32, _ expected: String) throws {
        let result = try CLI.run(arguments)
        #expect(result.status == status)
        #expect(result.stdout.isEmpty)
        #expect(result.errorMessage == expected, "\(result.stderr)")
    }

    @Test("A model file with a matrix of the wrong shape names the file, the key and both shapes")
    func wrongShape() throws {
        let dir = try CLI.temporaryDirectory()
        let model = dir.appendingPathComponent("bad.json")
        try Data(#"{"cell": "rnn", "W_ss": [[1, 0], [0, 1]], "W_sx": [[1, 2, 3], [4, 5, 6]], "b_s": [[1, 2]]}"#.utf8).write(to: model)
        let result = try CLI.run(["trace", "--model", model.path, "--inputs", "1,2,3"])
        #expect(result.status == 1)
        #expect(result.stderr == "Error: bad.json: b_s: expected shape (2), got (1, 2)\n")
    }
}
