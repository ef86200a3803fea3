import Foundation
import Testing
@testable import Recurrent

@Suite("Run what you train: predict, forecast and the refusals")
struct ModelJourneyTests {
    @Test("train on .npy arrays then predict: the head's outputs, equal to a float64 reference of the saved weights")
    func trainThenPredict() throws {
        let dir = try CLI.temporaryDirectory()
        let (T, N, X) = (12, 16, 3)
        let xs = Reference.randomArray(T * N * X, seed: 5).map(Float.init)
        var ys: [Float] = []
        for r in 0..<(T * N) { ys += [xs[r * X] + xs[r * X + 1], xs[r * X + 2] * 0.5] }
        try NPY.write(Tensor<Float>(shape: [T, N, X], scalars: xs), to: dir.appendingPathComponent("X.npy"))
        try NPY.write(Tensor<Float>(shape: [T, N, 2], scalars: ys), to: dir.appendingPathComponent("Y.npy"))
        let train = try CLI.run(["train", "--input", "X.npy", "--target", "Y.npy", "--hidden", "8", "--epochs", "3",
                                 "--output", "m.safetensors"], in: dir)
        #expect(train.status == 0, "\(train.stderr)")
        let predict = try CLI.run(["predict", "--model", "m.safetensors", "--input", "X.npy", "--output", "y.npy"], in: dir)
        #expect(predict.status == 0, "\(predict.stderr)")
        let y: Tensor<Float> = try NPY.read(dir.appendingPathComponent("y.npy"))
        #expect(y.shape == [T, N, 2])

        // float64: the recurrent stack by Reference, then y = W h + b.
        let model = try SequenceModel<Double>.load(from: dir.appendingPathComponent("m.safetensors"))
        let cfg = model.configuration
        var p: [String: [Double]] = [:]
        for entry in model.parameters.entries {
            let name = entry.name.hasPrefix(cfg.recurrentPrefix) ? String(entry.name.dropFirst(cfg.recurrentPrefix.count)) : entry.name
            p[name] = Array(model.parameters.storage[entry.offset..<(entry.offset + entry.count)])
        }
        let h = Reference.network(cfg.recurrent, p, x: xs.map(Double.init), T: T, B: N).output
        let (W, b, Hout) = (p[cfg.headWeightName]!, p[cfg.headBiasName]!, cfg.recurrent.outputSize)
        let reference = (0..<(T * N)).flatMap { r in
            (0..<2).map { o in b[o] + (0..<Hout).reduce(0.0) { $0 + W[o * Hout + $1] * h[r * Hout + $1] } }
        }
        #expect(maxAbsDiff(y.scalars, reference) < 1e-5)
    }

    /// A noisy daily cycle, two columns: `rows` rows after a header.
    static func periodicSeries(rows: Int, seed: UInt64) -> [String] {
        var g = SeededGenerator(seed: seed)
        return ["hour,temp,load"] + (0..<rows).map { t in
            let phase = 2 * Double.pi * Double(t) / 24
            return "\(t),\(10 + 5 * sin(phase) + 0.3 * g.normal()),\(3 + cos(phase) + 0.1 * g.normal())"
        }
    }

    @Test("A forecaster trained with --csv continues the series better than repeating the last value, in original units")
    func forecastBeatsRepeatingTheLastValue() throws {
        let dir = try CLI.temporaryDirectory()
        let series = Self.periodicSeries(rows: 900, seed: 3)
        try series[..<601].joined(separator: "\n").write(to: dir.appendingPathComponent("train.csv"), atomically: true, encoding: .utf8)
        let train = try CLI.run(["train", "--csv", "train.csv", "--columns", "temp,load", "--hidden", "16", "--steps", "400",
                                 "--output", "f.safetensors"], in: dir)
        #expect(train.status == 0, "\(train.stderr)")
        let model = try SequenceModel<Float>.load(from: dir.appendingPathComponent("f.safetensors"))
        #expect(model.series?.columns == ["temp", "load"])
        let values = series.dropFirst().map { $0.split(separator: ",").dropFirst().map { Double($0)! } }
        let horizon = 12
        var (modelError, naiveError) = (0.0, 0.0)
        for origin in stride(from: 620, to: 880, by: 20) {
            let forecast = try model.forecast(history: Array(values[(origin - 200)..<origin]), horizon: horizon)
            for k in 0..<horizon {
                for column in 0..<2 {
                    modelError += pow(forecast[k][column] - values[origin + k][column], 2)
                    naiveError += pow(values[origin - 1][column] - values[origin + k][column], 2)
                }
            }
        }
        #expect(modelError < 0.5 * naiveError, "model \(modelError), repeat-last \(naiveError)")

        // The command gives the library call's numbers, as a CSV with the trained columns.
        try series[..<401].joined(separator: "\n").write(to: dir.appendingPathComponent("history.csv"), atomically: true, encoding: .utf8)
        let run = try CLI.run(["forecast", "--model", "f.safetensors", "--csv", "history.csv", "--horizon", "5", "--output", "next.csv"],
                              in: dir)
        #expect(run.status == 0, "\(run.stderr)")
        let written = try TimeSeriesCSV.rows(contentsOf: dir.appendingPathComponent("next.csv"), columns: nil)
        #expect(written.columns == ["temp", "load"])
        let library = try model.forecast(history: Array(values[..<400]), horizon: 5)
        #expect(written.rows.count == 5 && maxAbsDiff(written.rows.flatMap { $0 }, library.flatMap { $0 }) < 1e-6)
    }

    @Test("Refusals are one line naming the thing at fault, with a non-zero exit and no output file", arguments: [
        (["ambiguous_heads"], "x3", [String](), "model.safetensors: more modules than roles: 'head_a.', 'head_b.' (one embedding and one "
         + "head are run); name them with --embedding and --head, and give --prefix to leave the rest out"),
        (["unplaceable"], "x3", [], "model.safetensors: cannot place norm.bias (4), norm.weight (4): a model here is an embedding, "
         + "one recurrent module and one linear head"),
        (["ambiguous_heads"], "x3", ["--head", "head_a"], "model.safetensors: cannot place head_b.bias (2), head_b.weight (2, 4): a model "
         + "here is an embedding, one recurrent module and one linear head"),
        (["embed_lstm_batch_first"], "bad_token", ["--batch-first"], "bad_token.npy: token 20 at [1, 2] is outside the vocabulary 0..<20"),
        (["embed_lstm_batch_first"], "huge_token", ["--batch-first"], "huge_token.npy: token 4294967296 at [1, 0] is outside any vocabulary"),
        (["embed_lstm_batch_first"], "bytes", [],
         "{dir}/bytes.npy: dtype '|u1' is not supported (float32 or float64 vectors, int32 or int64 token ids, little-endian)"),
        (["embed_lstm_batch_first"], "x3", [], "x3.npy: the model reads token ids (it has an embedding), the input holds floats"),
        (["gru_encoder_decoder"], "bad_token", [], "bad_token.npy: the model reads vectors (it has no embedding), the input holds integers"),
        (["gru_encoder_decoder"], "x3", ["--embedding", "decoder"],
         "model.safetensors: 'decoder' is not a module that can be the embedding (expected weight (V, 4))"),
    ])
    func refusals(model: [String], input: String, extra: [String], message: String) throws {
        let dir = try CLI.temporaryDirectory()
        try NPY.write(Tensor<Float>(shape: [4, 2, 3], scalars: Reference.randomArray(24, seed: 1).map(Float.init)),
                      to: dir.appendingPathComponent("x3.npy"))
        try Self.writeIntegers([3, 1, 4, 1, 5, 20], shape: [2, 3], descr: "<i8", to: dir.appendingPathComponent("bad_token.npy"))
        try Self.writeIntegers([3, 1, 4, 1 << 32, 5, 2], shape: [2, 3], descr: "<i8", to: dir.appendingPathComponent("huge_token.npy"))
        try Self.writeIntegers([1, 2, 3, 4], shape: [2, 2], descr: "|u1", to: dir.appendingPathComponent("bytes.npy"))
        let path = ModelCase.root.appendingPathComponent("\(model[0])/model.safetensors").path
        let result = try CLI.run(["predict", "--model", path, "--input", "\(input).npy", "--output", "y.npy"] + extra, in: dir)
        #expect(result.status == 1)
        #expect(result.errorMessage == message.replacingOccurrences(of: "{dir}", with: dir.path), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("y.npy").path))
    }

    @Test("Choosing the recurrent module with --prefix runs it and names what was left out in one notice")
    func prefixNamesWhatIsLeftOut() throws {
        let dir = try CLI.temporaryDirectory()
        try NPY.write(Tensor<Float>(shape: [4, 2, 3], scalars: Reference.randomArray(24, seed: 1).map(Float.init)),
                      to: dir.appendingPathComponent("x.npy"))
        let path = ModelCase.root.appendingPathComponent("ambiguous_heads/model.safetensors").path
        let result = try CLI.run(["predict", "--model", path, "--input", "x.npy", "--output", "y.npy", "--prefix", "lstm",
                                  "--head", "head_a"], in: dir)
        #expect(result.status == 0)
        #expect(result.stderr == "note: running the model under 'lstm.'; left out: head_b.bias, head_b.weight\n")
        let y: Tensor<Float> = try NPY.read(dir.appendingPathComponent("y.npy"))
        #expect(y.shape == [4, 2, 2])
    }

    @Test("forecast refuses a model that is not a forecaster, a history without its columns or out of its range (by file and row), and a horizon below 1")
    func forecastRefusals() throws {
        let dir = try CLI.temporaryDirectory()
        try Self.periodicSeries(rows: 80, seed: 1).joined(separator: "\n")
            .write(to: dir.appendingPathComponent("s.csv"), atomically: true, encoding: .utf8)
        try "hour,temp\n1,2\n2,3\n".write(to: dir.appendingPathComponent("short.csv"), atomically: true, encoding: .utf8)
        try "temp,load\n1,2\n1e308,3\n".write(to: dir.appendingPathComponent("far.csv"), atomically: true, encoding: .utf8)
        #expect(try CLI.run(["train", "--csv", "s.csv", "--columns", "temp,load", "--steps", "2", "--output", "f.safetensors"],
                            in: dir).status == 0)
        let tagger = ModelCase.root.appendingPathComponent("embed_lstm_batch_first/model.safetensors").path
        for (arguments, code, message) in [
            (["--model", tagger, "--csv", "s.csv", "--horizon", "3"], Int32(1),
             "\(tagger): not a forecaster (it has no column scaling; train one with recurrent train --csv)"),
            (["--model", "f.safetensors", "--csv", "short.csv", "--horizon", "3"], 1,
             "\(dir.path)/short.csv: no column 'load'; the header has 'hour', 'temp'"),
            // The scaling is the training series' mean and standard deviation of 'temp'.
            (["--model", "f.safetensors", "--csv", "far.csv", "--horizon", "3"], 1, "far.csv data row 2 of 2, column 'temp': 1e+308 is too far "
             + "from the model's scaling (mean 10.006119153575039, deviation 3.504673338275036) to standardise"),
            (["--model", "f.safetensors", "--csv", "s.csv", "--horizon", "0"], 64, "--horizon must be at least 1, got 0"),
            (["--model", "f.safetensors", "--csv", "s.csv", "--horizon", "3", "--output", "no/such/f.csv"], 1,
             "no/such/f.csv: the directory \(dir.path)/no/such does not exist"),
        ] {
            let result = try CLI.run(["forecast"] + arguments, in: dir)
            #expect(result.status == code && result.errorMessage == message, "\(arguments): \(result.stderr)")
        }
    }

    /// A `.npy` file of integers (the library writes floats only).
    static func writeIntegers(_ values: [Int64], shape: [Int], descr: String, to url: URL) throws {
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(shape.map(String.init).joined(separator: ", ")),), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)])
        data += Data(header.utf8)
        for v in values {
            switch descr {
            case "<i8": withUnsafeBytes(of: v.littleEndian) { data += Data($0) }
            case "<i4": withUnsafeBytes(of: Int32(v).littleEndian) { data += Data($0) }
            default: data.append(UInt8(v))
            }
        }
        try data.write(to: url)
    }
}
