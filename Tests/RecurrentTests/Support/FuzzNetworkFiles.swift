import Foundation
@testable import Recurrent

/// The structure-aware side of the fuzz targets: safetensors files generated from fuzz bytes
/// (a plausible model, then mutations of its names, shapes, dtypes, data and metadata), and the
/// load -> run -> save -> load -> run round trip that both network targets end in.
enum FuzzNetworkFiles {
    /// One tensor of a generated file. `span`, when set, is what `data_offsets` claim instead
    /// of the bytes written; `specials` replace values by index.
    struct TensorPlan {
        var name: String
        var dtype: String
        var shape: [Int]
        var span: Int?
        var specials: [(index: Int, value: Float)] = []
    }

    /// A generated file, and how the targets load it.
    struct Program {
        var tensors: [TensorPlan] = []
        /// The `recurrent.model` JSON's `recurrent` object and top level, as (key, JSON text);
        /// nil when the file has no `recurrent.model`.
        var recurrentFields: [(String, String)]?
        var modelFields: [(String, String)] = []
        /// The other `__metadata__` entries.
        var metadata: [(String, String)] = []
        var roles = ModelRoles.Choice()
        var networkPrefix: String?
    }

    static let cells: [CellKind] = [.lstm, .gru, .rnn, .gated, .peephole]
    static let prefixes = ["", "rnn.", "lstm.", "encoder.rnn.", "gru.", "model.rnn.", "rnn", ".", "fc."]
    static let embeddings = ["embed.weight", "embedding.weight", "encoder.embed.weight", "emb.weight", "fc.weight"]
    static let heads = ["fc.", "head.", "decoder.", "out.", "embed."]
    static let kinds = ["weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr", "weight_ci", "weight_cf", "weight_co", "weight"]
    static let layerIndices = ["0", "1", "2", "3", "01", "-1", "9223372036854775807", "9223372036854775808", "100000000",
                               "4096", "\u{0663}", "1e3", ""]
    static let oddNames = ["embed.weight", "fc.weight", "fc.bias", "head.bias", "decoder.weight", "__metadata__", "",
                           "weight_ih_l0", "a\nb", "é", "\u{0}", "fc", ".weight", "rnn.weight_ih_l0 ", "h0", "c_n"]
    static let dimensions = [0, 1, 2, 3, 4, 6, 8, 12, 16, 1 << 31, 1 << 62, Int.max, 1 << 24, (1 << 24) + 1, 4096, 100_000_000]
    static let dtypes = ["F32", "F16", "BF16", "F64", "I64", "I32", "U8", "BOOL", "F8_E4M3", "F4", "X"]
    static let numbers = ["-1", "0", "1", "2", "3", "16777216", "16777217", "4096", "4097", "100000000", "2147483648",
                          "9223372036854775807", "9223372036854775808", "1e3", "1.5", "-0", "null", "\"x\"", "true", "[]"]
    static let specialValues: [Float] = [.nan, .infinity, -.infinity, .greatestFiniteMagnitude, -0.0,
                                         .leastNonzeroMagnitude, 1e20, -1e20]
    static let metadataKeys = [TorchStateDict.MetadataKey.vocabulary, TorchStateDict.MetadataKey.series,
                               TorchStateDict.MetadataKey.cell, TorchStateDict.MetadataKey.nonlinearity, "other"]

    /// Decodes the bytes: a model (cell, sizes, layers, directions, bias, projection, embedding,
    /// head, names, dtype, which metadata), up to 7 mutations, then the roles to load it with.
    static func program(_ bytes: [UInt8]) -> Program {
        var r = FuzzBytes(bytes)
        let cell = r.pick(cells), x = 1 + r.below(3), h = 1 + r.below(3), shape = r.byte()
        let vocabulary = r.pick([nil, 1, 2, 3, 5]), output = r.pick([nil, x, 1, 2])
        let recurrent = RecurrentConfiguration(
            cell: cell, inputSize: x, hiddenSize: h, layers: shape & 1 == 0 ? 1 : 2, bidirectional: shape & 2 != 0,
            projectionSize: shape & 8 != 0 && cell == .lstm && h > 1 ? 1 : 0, bias: shape & 4 == 0,
            nonlinearity: shape & 16 != 0 ? .relu : .tanh)
        let configuration = SequenceModelConfiguration(
            recurrent: recurrent, vocabularySize: vocabulary, headSize: output, recurrentPrefix: r.pick(prefixes),
            embeddingName: r.pick(embeddings), headPrefix: r.pick(heads), headHasBias: shape & 32 == 0)
        let dtype = r.pick(["F32", "F16", "BF16", "F64"]), which = r.byte()
        var p = Program()
        p.tensors = configuration.parameterShapes.map { TensorPlan(name: $0.name, dtype: dtype, shape: $0.shape) }
        if which & 1 != 0 { (p.recurrentFields, p.modelFields) = modelJSONFields(configuration) }
        let columns = (0..<configuration.modelOutputSize).map { "\"c\($0)\"" }.joined(separator: ",")
        let ones = Array(repeating: "1", count: configuration.modelOutputSize).joined(separator: ",")
        let entries: [(UInt8, String, String)] = [
            (2, TorchStateDict.MetadataKey.vocabulary, "[" + (0..<(vocabulary ?? 0)).map { "\"\(Character(Unicode.Scalar(UInt8(97 + $0))))\"" }
                .joined(separator: ",") + "]"),
            (4, TorchStateDict.MetadataKey.series, "{\"columns\":[\(columns)],\"means\":[\(ones)],\"standardDeviations\":[\(ones)]}"),
            (8, TorchStateDict.MetadataKey.cell, cell.rawValue),
            (16, TorchStateDict.MetadataKey.nonlinearity, recurrent.nonlinearity.rawValue),
        ]
        p.metadata = entries.filter { which & $0.0 != 0 }.map { ($0.1, $0.2) }
        for _ in 0..<r.below(8) { mutate(&p, &r) }
        let prefix = configuration.recurrentPrefix
        p.roles = r.pick([.init(), .init(prefix: prefix), .init(prefix: prefix, embedding: configuration.embeddingName,
                                                                 head: configuration.headPrefix),
                          .init(prefix: "nope"), .init(embedding: "fc"), .init(head: "embed")])
        p.networkPrefix = r.pick([nil, prefix, "x."])
        return p
    }

    /// The honest `recurrent.model` JSON of a configuration, as fields `mutate` can replace.
    static func modelJSONFields(_ c: SequenceModelConfiguration) -> ([(String, String)], [(String, String)]) {
        let r = c.recurrent
        let recurrent = [("cell", "\"\(r.cell.rawValue)\""), ("nonlinearity", "\"\(r.nonlinearity.rawValue)\""),
                         ("inputSize", "\(r.inputSize)"), ("hiddenSize", "\(r.hiddenSize)"), ("layers", "\(r.layers)"),
                         ("bidirectional", "\(r.bidirectional)"), ("projectionSize", "\(r.projectionSize)"), ("bias", "\(r.bias)")]
        var model = [("recurrentPrefix", json(c.recurrentPrefix)), ("embeddingName", json(c.embeddingName)),
                     ("headPrefix", json(c.headPrefix)), ("headHasBias", "\(c.headHasBias)")]
        if let v = c.vocabularySize { model.append(("vocabularySize", "\(v)")) }
        if let o = c.headSize { model.append(("outputSize", "\(o)")) }
        return (recurrent, model)
    }

    /// One mutation: rename, reshape, add, drop, duplicate or retype a tensor, make its offsets
    /// lie or its values special, or change a metadata entry or a `recurrent.model` field.
    static func mutate(_ p: inout Program, _ r: inout FuzzBytes) {
        let k = p.tensors.isEmpty ? 0 : r.below(p.tensors.count), has = !p.tensors.isEmpty
        switch r.below(11) {
        case 0 where has: p.tensors[k].name = name(&r)
        case 1 where has && !p.tensors[k].shape.isEmpty:
            p.tensors[k].shape[r.below(p.tensors[k].shape.count)] = r.pick(dimensions)
        case 2 where has: if r.flag() { p.tensors[k].shape.append(r.pick(dimensions)) } else { _ = p.tensors[k].shape.popLast() }
        case 3: p.tensors.append(TensorPlan(name: name(&r), dtype: "F32", shape: (0..<r.below(4)).map { _ in r.pick(dimensions) }))
        case 4 where has: p.tensors.remove(at: k)
        case 5 where has: p.tensors.append(p.tensors[k])
        case 6 where has: p.tensors[k].dtype = r.pick(dtypes)
        case 7 where has: p.tensors[k].span = r.flag() ? Int(r.word()) : r.pick(dimensions)
        case 8 where has: p.tensors[k].specials.append((r.below(16), r.pick(specialValues)))
        case 9: p.metadata.append((r.pick(metadataKeys), metadataValue(&r)))
        default:
            guard p.recurrentFields != nil else { return }
            if r.flag(), !p.recurrentFields!.isEmpty {
                p.recurrentFields![r.below(p.recurrentFields!.count)].1 = r.pick(numbers + ["\"gru\"", "\"peephole\"", "\"LSTM\""])
            } else if !p.modelFields.isEmpty {
                let field = r.below(p.modelFields.count)
                if r.flag() { p.modelFields.remove(at: field) } else { p.modelFields[field].1 = r.pick(numbers + prefixes.map(json)) }
            }
        }
    }

    /// A tensor name: a recurrent tensor's (prefix, kind, layer index, maybe `_reverse`) or an odd one.
    static func name(_ r: inout FuzzBytes) -> String {
        guard r.below(4) != 0 else { return r.pick(oddNames) }
        return r.pick(prefixes) + r.pick(kinds) + "_l" + r.pick(layerIndices) + (r.flag() ? "_reverse" : "")
    }

    /// A hostile metadata value: vocabularies and series of wrong lengths, duplicates, bad
    /// numbers, and plain junk.
    static func metadataValue(_ r: inout FuzzBytes) -> String {
        r.pick([
            "[\"a\",\"b\",\"c\",\"d\",\"e\"]", "[\"a\",\"a\",\"b\"]", "[\"\",\"ab\",\"\\n\"]", "[]", "[1,2]", "x", "",
            "{\"columns\":[\"c0\"],\"means\":[],\"standardDeviations\":[]}",
            "{\"columns\":[\"c0\",\"c1\"],\"means\":[0,0],\"standardDeviations\":[0,-1]}",
            "{\"columns\":[\"c0\"],\"means\":[1e308],\"standardDeviations\":[1e-308]}",
            "{\"columns\":[\"c0\",\"c1\",\"c2\"],\"means\":[0],\"standardDeviations\":[1,1,1]}",
            "lstm", "gru", "rnn", "gated", "peephole", "tanh", "relu", "sigmoid", "{\"recurrent\":{}}",
        ])
    }

    /// A JSON string literal.
    static func json(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// The file's bytes: the header JSON written here (so offsets can lie), then at most a few
    /// KB of data. A tensor whose shape is small gets its true byte count; a large or
    /// overflowing one gets a few elements, so the shape and the data disagree.
    static func fileBytes(_ p: Program) -> Data {
        var members: [String] = [], body: [UInt8] = [], offset = 0
        var metadata = p.metadata.map { (json($0.0), json($0.1)) }
        if let fields = p.recurrentFields {
            let recurrent = "{" + fields.map { json($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
            let model = "{\"recurrent\":" + recurrent + p.modelFields.map { "," + json($0.0) + ":" + $0.1 }.joined() + "}"
            metadata.append((json(TorchStateDict.MetadataKey.model), json(model)))
        }
        if !metadata.isEmpty { members.append("\"__metadata__\":{" + metadata.map { $0.0 + ":" + $0.1 }.joined(separator: ",") + "}") }
        for t in p.tensors {
            let count = checkedElementCount(t.shape).flatMap { $0 <= 256 ? $0 : nil } ?? 4
            let data = encode(t, count: count)
            let span = t.span ?? data.count, end = offset.addingReportingOverflow(span)
            members.append(json(t.name) + ":{\"dtype\":" + json(t.dtype) + ",\"shape\":[" + t.shape.map(String.init).joined(separator: ",")
                + "],\"data_offsets\":[\(offset),\(end.overflow ? "18446744073709551616" : String(end.partialValue))]}")
            body += data
            offset += data.count
        }
        let header = Array(("{" + members.joined(separator: ",") + "}").utf8)
        let length: [UInt8] = withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) }
        return Data(length + header + body)
    }

    /// `count` values of a tensor in its dtype (small, varied values; the specials in place).
    static func encode(_ t: TensorPlan, count: Int) -> [UInt8] {
        var values = (0..<count).map { Float(($0 * 7 + t.name.utf8.count) % 11) * 0.0625 - 0.3 }
        for (index, value) in t.specials where index < count { values[index] = value }
        func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        switch t.dtype {
        case "F32": return values.flatMap { le($0.bitPattern) }
        case "F16": return values.flatMap { le(Float16($0).bitPattern) }
        case "BF16": return values.flatMap { le(UInt16(truncatingIfNeeded: $0.bitPattern >> 16)) }
        case "F64", "I64": return values.flatMap { le(Double($0).bitPattern) }
        case "I32": return values.flatMap { le($0.bitPattern) }
        case "F4": return Array(repeating: 0x21, count: (count + 1) / 2)
        default: return values.map { UInt8(truncatingIfNeeded: $0.bitPattern >> 24) }
        }
    }
}

extension FuzzNetworkFiles {
    /// What the network targets do with a file's bytes: decode them (and encode and decode
    /// again: the same tensors and metadata), load a `SequenceModel` with `roles`, and load a
    /// `RecurrentNetwork` as `recurrent inspect`/`train` do (from a file); whatever loads goes
    /// through `roundTrip`.
    static func exercise(_ data: Data, input: [UInt8], roles: ModelRoles.Choice, networkPrefix: String?) -> FuzzOutcome {
        let source = "fuzz.safetensors"
        var file: SafetensorsFile<Float>?
        let decoded = FuzzOutcome.of(source, input: input) {
            let read = try SafetensorsFile<Float>.decode(data, name: source)
            let again = try FuzzEntries.mustNotRefuse("decoding an encoded file") {
                try SafetensorsFile<Float>.decode(read.encode(), name: "encoded")
            }
            guard again.names == read.names, again.metadata == read.metadata,
                  zip(again.tensors, read.tensors).allSatisfy({ $0.tensor.shape == $1.tensor.shape
                      && FuzzEntries.sameValues($0.tensor.scalars, $1.tensor.scalars) })
            else { throw FuzzViolation("a decoded file does not encode and decode to the same tensors") }
            file = read
        }
        guard let file else { return decoded }
        let model = FuzzOutcome.of(source, input: input) {
            try roundTrip(SequenceModel<Float>.load(file: file, source: source, roles: roles))
        }
        // `RecurrentNetwork.load(from:)` reads a file; the file's name is the source again.
        let directory = FuzzEntries.scratchFile("input")
        guard (try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)) != nil,
              (try? data.write(to: directory.appendingPathComponent(source))) != nil else { return model }
        defer { try? FileManager.default.removeItem(at: directory) }
        let network = FuzzOutcome.of(source, input: input) {
            let (network, _) = try RecurrentNetwork<Float>.load(from: directory.appendingPathComponent(source), prefix: networkPrefix)
            try roundTrip(network)
        }
        return .combine([model, network])
    }

    /// A loaded model runs on a small well-formed input, is saved, loads back equal, and runs
    /// to the same outputs, generated text and forecast.
    static func roundTrip(_ model: SequenceModel<Float>) throws {
        try FuzzEntries.mustNotRefuse("the loaded model") {
            let url = FuzzEntries.scratchFile("safetensors")
            defer { try? FileManager.default.removeItem(at: url) }
            try model.write(to: url)
            let again = try SequenceModel<Float>.load(from: url)
            guard sameModel(again, model) else { throw FuzzViolation("the model saved and loaded back differs from the one loaded") }
            guard try FuzzEntries.sameValues(run(model), run(again)) else {
                throw FuzzViolation("the model saved and loaded back computes other outputs")
            }
            guard try extras(model) == extras(again) else {
                throw FuzzViolation("the model saved and loaded back generates or forecasts otherwise")
            }
        }
    }

    /// `==`, except that a NaN in a tensor the model keeps without using (`passthrough`) equals
    /// a NaN: the loader refuses non-finite weights it uses, and copies the others bit for bit.
    static func sameModel(_ a: SequenceModel<Float>, _ b: SequenceModel<Float>) -> Bool {
        a.configuration == b.configuration && a.parameters == b.parameters && a.vocabulary == b.vocabulary
            && a.series == b.series && a.passthrough.map(\.name) == b.passthrough.map(\.name)
            && zip(a.passthrough, b.passthrough).allSatisfy {
                $0.tensor.shape == $1.tensor.shape && FuzzEntries.sameValues($0.tensor.scalars, $1.tensor.scalars)
            }
    }

    /// The model's outputs for three tokens, or for a (3, X) sequence and a batch-first
    /// (2, 2, X) batch with lengths [2, 1] (nothing when X is over 4096).
    static func run(_ model: SequenceModel<Float>) throws -> [Float] {
        let c = model.configuration
        if let v = c.vocabularySize {
            let ids = [0, Int32(v - 1), Int32(v / 2)]
            return try model(TokenSequences(ids)).output.scalars
                + model(TokenSequences(shape: [1, 3], ids: ids), layout: .batchFirst).output.scalars
        }
        let x = c.recurrent.inputSize
        guard x <= 4096 else { return [] }
        let values = (0..<(4 * x)).map { Float($0 % 5) * 0.25 - 0.5 }
        let single = try model(Tensor(shape: [3, x], scalars: Array(values.prefix(3 * x)))).output.scalars
        let batch = try model(Tensor(shape: [2, 2, x], scalars: values), lengths: [2, 1], layout: .batchFirst).output.scalars
        return single + batch
    }

    /// Four generated characters for a model with a vocabulary, and a two-step forecast for
    /// a forecaster: as text, or the refusal's message.
    static func extras(_ model: SequenceModel<Float>) throws -> [String] {
        func attempt(_ body: () throws -> String) throws -> String {
            do { return try body() } catch let error as RecurrentError {
                guard !error.message.isEmpty else { throw FuzzViolation("a \(error.kind) error with an empty message") }
                return "refused: " + error.message
            }
        }
        var out: [String] = []
        if let vocabulary = model.vocabulary {
            out.append(try attempt { try model.generateText(prime: vocabulary.first ?? "", count: 4, temperature: 0.7, seed: 3) })
        }
        if let series = model.series, series.columns.count <= 4096 {
            let row = (0..<series.columns.count).map { Double($0) - 0.5 }
            out.append(try attempt { try model.forecast(history: [row, row], horizon: 2).description })
        }
        return out
    }

    /// A loaded network runs on a (3, X) sequence, is saved, loads back equal and runs the same.
    static func roundTrip(_ network: RecurrentNetwork<Float>) throws {
        try FuzzEntries.mustNotRefuse("the loaded network") {
            let url = FuzzEntries.scratchFile("safetensors")
            defer { try? FileManager.default.removeItem(at: url) }
            try network.write(to: url)
            let (again, _) = try RecurrentNetwork<Float>.load(from: url)
            guard again == network else { throw FuzzViolation("the network saved and loaded back differs from the one loaded") }
            let x = network.configuration.inputSize
            guard x <= 4096 else { return }
            let input = try Tensor(shape: [3, x], scalars: (0..<(3 * x)).map { Float($0 % 3) - 1 })
            guard FuzzEntries.sameValues(try network(input).output.scalars, try again(input).output.scalars) else {
                throw FuzzViolation("the network saved and loaded back computes other outputs")
            }
        }
    }
}
