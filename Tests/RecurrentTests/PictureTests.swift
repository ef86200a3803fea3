import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import Recurrent

/// The pictures the commands draw hold the data they were given, parse as XML and repeat exactly.
@Suite("Pictures")
struct PictureTests {
    static func series(_ svg: String) throws -> [String: Int] {
        let document = try XML.parse(svg)
        var out: [String: Int] = [:]
        for element in try XML.elements(in: document, withAttribute: "data-series") {
            out[XML.attribute(element, "data-series") ?? ""] = Int(XML.attribute(element, "data-points") ?? "")
        }
        return out
    }

    @Test("trace --format svg: a cell per gate and state per step, the homework's h written in its row")
    func tracePicture() throws {
        let result = try CLI.run(["trace", "--format", "svg"])
        #expect(result.status == 0, "\(result.stderr)")
        let document = try XML.parse(result.stdout)
        let cells = try XML.elements(in: document, withAttribute: "data-value")
        #expect(cells.count == 5 * 6)  // f, i, o, c, h × 6 steps
        let h = cells.filter { XML.attribute($0, "data-row") == "4" }.map { XML.attribute($0, "data-value") ?? "" }
        #expect(h == ["0", "0", "1", "-1", "1", "0"])
        #expect(result.stdout.contains(">-1.00<") && result.stdout.contains("homework-lstm on 0,0,1,1,1,0"))
        #expect(try CLI.run(["trace", "--format", "svg"]).stdout == result.stdout)
        let page = try CLI.run(["trace", "--format", "html", "--preset", "lecture-lstm"])
        #expect(page.status == 0 && page.stdout.hasPrefix("<!DOCTYPE html>") && page.stdout.contains("<svg"))
    }

    @Test("plot refuses one loss curve given twice, however spelled (both were drawn, under one name)")
    func plotSameCurveTwice() throws {
        let dir = try CLI.temporaryDirectory()
        try (1...3).map { #"{"step": \#($0), "loss": 0.5, "lr": 0.01, "seconds": 0.1}"# }.joined(separator: "\n")
            .write(to: dir.appendingPathComponent("a.loss.jsonl"), atomically: true, encoding: .utf8)
        let result = try CLI.run(["plot", "a.loss.jsonl", "./a.loss.jsonl", "--output", "p.svg"], in: dir)
        #expect(result.status == 1 && result.errorMessage == "a.loss.jsonl and ./a.loss.jsonl are the same loss curve; give each run once",
                "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("p.svg").path))
    }

    @Test("train --output writes the loss picture beside the curve; plot overlays runs; a bad curve writes nothing")
    func lossPictures() throws {
        let dir = try CLI.temporaryDirectory()
        for (name, cell) in [("lstm", "lstm"), ("gru", "gru")] {
            let run = try CLI.run(["train", "--steps", "120", "--cell", cell, "--validate-every", "40", "--output", "\(name).safetensors"], in: dir)
            #expect(run.status == 0, "\(run.stderr)")
        }
        let own = try Self.series(String(contentsOf: dir.appendingPathComponent("lstm.loss.svg"), encoding: .utf8))
        #expect(own["batch loss"] == 120 && own["smoothed"] == 120 && own["held-out"] == 3)  // steps 40, 80, and the end
        let plot = try CLI.run(["plot", "lstm.loss.jsonl", "gru.loss.jsonl", "--output", "runs.svg", "--title", "LSTM or GRU"], in: dir)
        #expect(plot.status == 0, "\(plot.stderr)")
        let runs = try String(contentsOf: dir.appendingPathComponent("runs.svg"), encoding: .utf8)
        let both = try Self.series(runs)
        #expect(both["lstm: batch loss"] == 120 && both["gru: batch loss"] == 120 && both["gru: held-out"] == 3)
        #expect(runs.contains("LSTM or GRU"))
        // Two runs of one name in two folders are told apart by their paths.
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("again"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: dir.appendingPathComponent("gru.loss.jsonl"), to: dir.appendingPathComponent("again/gru.loss.jsonl"))
        let twice = try CLI.run(["plot", "gru.loss.jsonl", "again/gru.loss.jsonl", "--output", "twice.svg"], in: dir)
        #expect(twice.status == 0, "\(twice.stderr)")
        let named = try Self.series(String(contentsOf: dir.appendingPathComponent("twice.svg"), encoding: .utf8))
        #expect(named["gru: batch loss"] == 120 && named["again/gru: batch loss"] == 120, "\(named)")
        // Held-out losses of 0 cannot go on a log axis: the axis is linear then, and they are drawn.
        try (1...3).map { #"{"step": \#($0), "loss": 0.5, "lr": 0.01, "seconds": 0.1, "validation_loss": 0}"# }.joined(separator: "\n")
            .write(to: dir.appendingPathComponent("zero.loss.jsonl"), atomically: true, encoding: .utf8)
        #expect(try CLI.run(["plot", "zero.loss.jsonl", "--output", "zero.svg"], in: dir).status == 0)
        #expect(try Self.series(String(contentsOf: dir.appendingPathComponent("zero.svg"), encoding: .utf8))["held-out"] == 3)
        try "\n".write(to: dir.appendingPathComponent("empty.loss.jsonl"), atomically: true, encoding: .utf8)
        try "{\"step\": 1}\n".write(to: dir.appendingPathComponent("bad.loss.jsonl"), atomically: true, encoding: .utf8)
        // Values training never writes: a negative time or gradient norm.
        let record = #"{"step": 1, "loss": 0.5, "lr": 0.01, "seconds": 0.1}"#
        try (record + "\n" + #"{"step": 2, "loss": 0.5, "lr": 0.01, "seconds": -3}"#).write(
            to: dir.appendingPathComponent("back.loss.jsonl"), atomically: true, encoding: .utf8)
        try #"{"step": 1, "loss": 0.5, "lr": 0.01, "seconds": 0.1, "grad_norm": -1}"#.write(
            to: dir.appendingPathComponent("norm.loss.jsonl"), atomically: true, encoding: .utf8)
        // A repeated key: the decoder kept one value (Python and jq keep the other).
        try (record + "\n" + #"{"step": 2, "loss": 2, "lr": 0.01, "seconds": 0.2, "loss": 100}"#).write(
            to: dir.appendingPathComponent("twice.loss.jsonl"), atomically: true, encoding: .utf8)
        try #"{"step": 1, "loss": "0.5", "lr": 0.01, "seconds": 0.1}"#.write(
            to: dir.appendingPathComponent("half.loss.jsonl"), atomically: true, encoding: .utf8)
        // A byte-order mark before the first record is not part of it (the decoder skipped it; the strict parse must too).
        try ("\u{FEFF}" + record + "\n").write(to: dir.appendingPathComponent("bom.loss.jsonl"), atomically: true, encoding: .utf8)
        #expect(try CLI.run(["plot", "bom.loss.jsonl", "--output", "bom.svg"], in: dir).status == 0)
        // (The plot names each curve by its absolute path.)
        for (file, message) in [("empty.loss.jsonl", "empty.loss.jsonl: no training records (an empty loss curve)"),
                                ("bad.loss.jsonl", "bad.loss.jsonl line 1: no 'loss': a training record has step, loss, lr and seconds"),
                                ("back.loss.jsonl", "back.loss.jsonl line 2: seconds -3.0 is negative"),
                                ("norm.loss.jsonl", "norm.loss.jsonl line 1: grad_norm -1.0 is negative"),
                                ("twice.loss.jsonl", "twice.loss.jsonl line 2: key 'loss' appears twice"),
                                ("half.loss.jsonl", "half.loss.jsonl line 1: 'loss' is not a number")] {
            let bad = try CLI.run(["plot", file, "--output", "x.svg"], in: dir)
            #expect(bad.status == 1 && bad.errorMessage == dir.appendingPathComponent(message).path, "\(bad.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("x.svg").path))
        // 100,000 brackets in a record: refused by line under a 128 KB stack (the decoder recursed into SIGSEGV).
        let deep = #"{"step": 1, "loss": 1, "lr": 0.1, "seconds": 0, "x": "#
            + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}\n"
        try deep.write(to: dir.appendingPathComponent("deep.loss.jsonl"), atomically: true, encoding: .utf8)
        let small = try CLI.shell(#"ulimit -s 128; exec "$0" plot deep.loss.jsonl --output deep.svg"#, in: dir)
        #expect(!small.signaled && small.status == 1, "\(small.status) \(small.stderr)")
        #expect(small.errorMessage == dir.path + "/deep.loss.jsonl line 1: not a training record (a training record has step, loss, lr and seconds)")
        #expect(BoundedJSON.firstRepeatedKey(in: try JSONValue.parse(Data(#"{"a": ["[{", {"b": [{"c": 1, "c": 2}]}], "d": 3}"#.utf8), source: "")) == "c")
    }

    @Test("experiment gradients --svg: one line per cell over every k, on a log axis")
    func gradientPicture() throws {
        let dir = try CLI.temporaryDirectory()
        let run = try CLI.run(["experiment", "gradients", "--length", "30", "--sequences", "2", "--svg", "g.svg"], in: dir)
        #expect(run.status == 0, "\(run.stderr)")
        let svg = try String(contentsOf: dir.appendingPathComponent("g.svg"), encoding: .utf8)
        #expect(try Self.series(svg) == ["rnn": 30, "gated": 30, "lstm": 30, "lstm f=3.4": 30, "gru": 30])
        #expect(svg.contains("gradient norm (log scale)"))
    }

    @Test("The smoothing is TensorBoard's debiased moving average")
    func smoothing() {
        let s = LossCurve.smoothed([1, 0, 0], weight: 0.5)
        #expect(s == [1, 0.5 * 0.5 / 0.75, 0.25 * 0.5 / 0.875])
    }

    @Test("Text features mark quotes, brackets, line positions, words and capitals")
    func textFeatures() {
        let text = Array("Ab \"c\" (d)\ne")
        #expect(TextFeature.insideQuotes.values(text) == [0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0])
        #expect(TextFeature.insideBrackets.values(text) == [0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0])
        #expect(TextFeature.linePosition.values(text) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0])
        #expect(TextFeature.upperCase.values(text) == [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        #expect(abs(pearson([1, 2, 3], [2, 4, 6]) - 1) < 1e-12 && abs(pearson([1, 2, 3], [3, 2, 1]) + 1) < 1e-12)
        #expect(pearson([1, 1, 1], [1, 2, 3]) == 0)
    }

    @Test("visualize: a character model's cell values at every character, equal to its forward pass; one span per character")
    func visualize() throws {
        let dir = try CLI.temporaryDirectory()
        let text = String(repeating: "say \"hi\" (now)\nthen go.\n", count: 40)
        try text.write(to: dir.appendingPathComponent("t.txt"), atomically: true, encoding: .utf8)
        let train = try CLI.run(["train", "--text", "t.txt", "--hidden", "12", "--layers", "2", "--steps", "30", "--seq-len", "16", "--output", "m.safetensors"],
                                in: dir)
        #expect(train.status == 0, "\(train.stderr)")
        let model = try SequenceModel<Float>.load(from: dir.appendingPathComponent("m.safetensors"))
        let excerpt = String(text.prefix(50))
        let activity = try TextActivity(model: model, text: excerpt, layer: 1)
        let ids = try TextActivity.encode(excerpt, vocabulary: try #require(model.vocabulary), name: "the text")
        let final = try model(TokenSequences(ids)).state
        #expect(maxAbsDiff(try #require(activity.values["h"]?.last), Array(final.h.scalars[12...])) < 1e-5)
        #expect(maxAbsDiff(try #require(activity.values["c"]?.last), Array(try #require(final.c).scalars[12...])) < 1e-5)

        let page = try CLI.run(["visualize", "--model", "m.safetensors", "--text", "t.txt", "--output", "p.html", "--length", "50",
                                "--unit", "5", "--units", "8"], in: dir)
        #expect(page.status == 0, "\(page.stderr)")
        let html = try String(contentsOf: dir.appendingPathComponent("p.html"), encoding: .utf8)
        #expect(html.components(separatedBy: "<span style=").count - 1 == 50)
        #expect(html.components(separatedBy: "<option").count - 1 == 8 && html.contains(">c[5]"))
        try Data([0x61, 0xFF, 0x62]).write(to: dir.appendingPathComponent("latin1.txt"))
        try "say\nhi Q".write(to: dir.appendingPathComponent("q.txt"), atomically: true, encoding: .utf8)
        for (arguments, message) in [(["--unit", "12"], "--unit 12 is out of range: the layer has units 0...11"),
                                     (["--value", "r"], "--value r: this lstm model has c, h, i, f, o, g"),
                                     (["--text", "latin1.txt"], "{dir}/latin1.txt: not a UTF-8 text file"),
                                     (["--text", "q.txt"], "q.txt line 2, character 4: 'Q' (U+0051) is not in the model's vocabulary (17 characters)"),
                                     (["--text", "."], ".: is a directory, not a file")] {
            let bad = try CLI.run(["visualize", "--model", "m.safetensors", "--text", "t.txt", "--output", "bad.html"] + arguments, in: dir)
            #expect(bad.status == 1 && bad.errorMessage == message.replacingOccurrences(of: "{dir}", with: dir.path), "\(bad.stderr)")
        }
        let unknown = try CLI.run(["visualize", "--model", "m.safetensors", "--text", "t.txt", "--output", "bad.html", "--value", "q"], in: dir)
        #expect(unknown.status == 64 && unknown.errorMessage == "--value must be one of c, h, i, f, o, g, r, z, n, got 'q'", "\(unknown.stderr)")
        let encoder = ModelCase.root.appendingPathComponent("gru_encoder_decoder/model.safetensors").path
        let notText = try CLI.run(["visualize", "--model", encoder, "--text", "t.txt", "--output", "bad.html"], in: dir)
        #expect(notText.status == 1 && notText.errorMessage == "not a character model (it has no vocabulary): visualize reads models trained on text", "\(notText.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("bad.html").path))
    }
}
