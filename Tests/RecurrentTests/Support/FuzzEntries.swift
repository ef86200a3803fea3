import Foundation
@testable import Recurrent

/// What one fuzz input did. Only `violated` is a bug: the fuzz targets (Fuzz/Targets) trap on
/// it and `FuzzRegressionTests` fails on it. A trap inside the library is a bug as well; it
/// never gets as far as an outcome.
enum FuzzOutcome: Equatable, Sendable {
    /// The input was read, and every check on what it gave held.
    case accepted
    /// The input was refused with a `RecurrentError` whose message is non-empty, starts with the
    /// input's name, and is one line unless the input itself holds a line break or an escape.
    case refused(RecurrentError)
    /// The input is not for this target (text that is not UTF-8, too few bytes for the options).
    case skipped
    /// A property broke: another error type, an empty or anonymous message, a round trip that
    /// changed something, a loaded model that refused a well-formed input.
    case violated(String)

    /// Why the input is a bug, or nil.
    var violation: String? {
        if case .violated(let why) = self { return why }
        return nil
    }

    /// Runs `body`; a `RecurrentError` is a refusal (judged against `source`), a `FuzzViolation`
    /// or any other error a violation.
    static func of(_ source: String, input: [UInt8], _ body: () throws -> Void) -> FuzzOutcome {
        do {
            try body()
            return .accepted
        } catch let error as RecurrentError {
            let message = error.message
            if message.isEmpty { return .violated("a \(error.kind) error with an empty message") }
            if !message.hasPrefix(source) { return .violated("the message does not start with '\(source)': \(message)") }
            if !FuzzEntries.mayQuoteLineBreak(input), message.contains(where: \.isNewline) {
                return .violated("the message spans lines, though the input holds no line break: \(message)")
            }
            return .refused(error)
        } catch let error as FuzzViolation {
            return .violated(error.reason)
        } catch {
            return .violated("threw \(type(of: error)), not a RecurrentError: \(error)")
        }
    }

    /// The outcome of several steps on one input: the first violation, else accepted when any
    /// step was, else the first refusal.
    static func combine(_ outcomes: [FuzzOutcome]) -> FuzzOutcome {
        if let bad = outcomes.first(where: { $0.violation != nil }) { return bad }
        if outcomes.contains(.accepted) { return .accepted }
        return outcomes.first { if case .refused = $0 { true } else { false } } ?? .skipped
    }
}

/// A broken property, thrown by the checks inside an entry.
struct FuzzViolation: Error {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}

/// One entry per fuzz target, each taking the raw input and returning normally whatever the
/// bytes are. Shared by the libFuzzer targets (Fuzz/Targets, built by scripts/fuzz.sh) and by
/// `FuzzRegressionTests`, which replays the seed corpus and every saved crash through them.
enum FuzzEntries {
    /// The targets whose entry reads bytes and returns a `FuzzOutcome`, by name.
    static let readers = ["safetensors", "npy", "courseJSON", "csv", "textCorpus", "fileToNetwork"]

    /// The entry named `target` run on `bytes`; nil for an unknown name (and for `arguments`,
    /// which only builds an argument list).
    static func run(_ target: String, _ bytes: [UInt8]) -> FuzzOutcome? {
        switch target {
        case "safetensors": safetensors(bytes)
        case "npy": npy(bytes)
        case "courseJSON": courseJSON(bytes)
        case "csv": csv(bytes)
        case "textCorpus": textCorpus(bytes)
        case "fileToNetwork": fileToNetwork(bytes)
        default: nil
        }
    }

    /// The bytes libFuzzer hands a target.
    static func bytes(_ start: UnsafeRawPointer?, _ count: Int) -> [UInt8] {
        guard let start, count > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: start, count: count))
    }

    /// Runs the entry and traps on a violation, so that libFuzzer saves the input.
    static func check(_ outcome: FuzzOutcome?) {
        if let why = outcome?.violation { fatalError("fuzz property violated: \(why)") }
    }

    /// Whether a message may rightly quote a line break from the input: a line-break byte
    /// (including latin-1 NEL and the first byte of U+2028/U+2029) or a backslash escape.
    static func mayQuoteLineBreak(_ input: [UInt8]) -> Bool {
        input.contains { [0x0A, 0x0B, 0x0C, 0x0D, 0x5C, 0x85, 0xE2].contains($0) }
    }

    /// A fresh file name in this process's scratch directory (in memory when /dev/shm exists).
    static func scratchFile(_ suffix: String, name: String = UUID().uuidString) -> URL {
        scratch.appendingPathComponent(name + "." + suffix)
    }

    private static let scratch: URL = {
        let shm = URL(fileURLWithPath: "/dev/shm")
        let base = FileManager.default.isWritableFile(atPath: shm.path) ? shm : FileManager.default.temporaryDirectory
        let url = base.appendingPathComponent("recurrent-fuzz-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    /// Runs a step that must not refuse (its input is well formed): a `RecurrentError` becomes
    /// a violation naming `what`.
    static func mustNotRefuse<T>(_ what: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as RecurrentError {
            throw FuzzViolation("\(what) was refused: \(error.message)")
        }
    }

    /// Equal counts and values, any NaN equal to any NaN.
    static func sameValues<S: BinaryFloatingPoint>(_ a: [S], _ b: [S]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
    }

    /// `SafetensorsFile.decode` on the bytes (then encode and decode again: same tensors), then
    /// `SequenceModel.load(file:source:)` and `RecurrentNetwork.load(from:)` on what parsed; a
    /// model or network that loads runs, is saved, loaded back and must run the same.
    static func safetensors(_ bytes: [UInt8]) -> FuzzOutcome {
        FuzzNetworkFiles.exercise(Data(bytes), input: bytes, roles: .init(), networkPrefix: nil)
    }

    /// `NPY.read(data:name:)` as float32 and as float64, and `NPY.readContents` (token ids too);
    /// an array that reads must encode and read back to the same shape and values.
    static func npy(_ bytes: [UInt8]) -> FuzzOutcome {
        let url = scratchFile("npy", name: "fuzz-\(UUID().uuidString)"), source = url.path, data = Data(bytes)
        func roundTrip<S: RecurrentScalar>(_ tensor: Tensor<S>) throws {
            let back = try mustNotRefuse("reading an encoded array") { try NPY.read(data: NPY.encode(tensor), name: "encoded", as: S.self) }
            guard back.shape == tensor.shape, sameValues(back.scalars, tensor.scalars) else {
                throw FuzzViolation("an array read from the bytes does not encode and read back the same")
            }
        }
        let asFloat = FuzzOutcome.of(source, input: bytes) { try roundTrip(NPY.read(data: data, name: source, as: Float.self)) }
        let asDouble = FuzzOutcome.of(source, input: bytes) { try roundTrip(NPY.read(data: data, name: source, as: Double.self)) }
        guard (try? data.write(to: url)) != nil else { return .combine([asFloat, asDouble]) }
        defer { try? FileManager.default.removeItem(at: url) }
        let contents = FuzzOutcome.of(source, input: bytes) {
            switch try NPY.readContents(url, as: Float.self) {
            case .values(let tensor): try roundTrip(tensor)
            case .integers(let shape, let values):
                guard MemoryBudget.product(shape) == values.count else {
                    throw FuzzViolation("token ids of shape \(shape) hold \(values.count) values")
                }
            }
        }
        return .combine([asFloat, asDouble, contents])
    }

    /// `CourseModel(json:source:)` on the bytes up to the first zero byte; a model that reads is
    /// traced (`Trace`, every format) on the text after that byte as `parseInputSequence`
    /// reads it, or on three steps of ones.
    static func courseJSON(_ bytes: [UInt8]) -> FuzzOutcome {
        let parts = bytes.split(separator: 0, maxSplits: 1, omittingEmptySubsequences: false)
        let json = Data(parts.first ?? []), inputText = parts.count > 1 ? String(decoding: parts[1], as: UTF8.self) : nil
        var model: CourseModel?
        let read = FuzzOutcome.of("model.json", input: bytes) { model = try CourseModel(json: json, source: "model.json") }
        guard let model else { return read }
        // The inputs are not the file's: any well-formed refusal will do.
        let traced = FuzzOutcome.of("", input: bytes) {
            let x = model.parameters.inputSize
            let inputs = try inputText.map { try parseInputSequence($0, inputSize: x) }
                ?? Array(repeating: Array(repeating: 1, count: x), count: 3)
            let trace = try Trace(model: model, inputs: inputs, round: bytes.count % 2 == 0)
            for format in TraceFormat.allCases where trace.formatted(format).isEmpty {
                throw FuzzViolation("an empty \(format) trace")
            }
            guard trace.visibleStates.count == inputs.count else { throw FuzzViolation("a trace with a state per step missing") }
        }
        return .combine([read, traced])
    }

    /// Sequence lengths by the first byte: 0...15, then hostile values.
    static func sequenceLength(_ byte: UInt8) -> Int {
        let hostile = [-1, Int.max, Int.min, Int(Int32.max), 1 << 31, 100_000_000, 1000, 64]
        return byte < 240 ? Int(byte % 16) : hostile[Int(byte - 240) % hostile.count]
    }

    /// (validation fraction, batch size) by the second byte.
    static func options(_ byte: UInt8) -> (fraction: Double, batch: Int) {
        let fractions: [Double] = [0.1, 0, 0.5, 0.9, 0.999_999, 1, -0.1, .nan, .infinity, 1e-300]
        return (fractions[Int(byte) % fractions.count], [1, 2, 3, 7, 64][Int(byte / 16) % 5])
    }

    /// `TimeSeriesCSV.table` (the rows `rows(contentsOf:columns:)` reads) and
    /// `TimeSeriesCSV(csv:name:sequenceLength:...)` on the bytes after the first two (skipped
    /// unless UTF-8); byte 0 is the sequence length, byte 1 the fraction, batch size and
    /// columns. A series that reads makes its scaling, batches and held-out batches.
    static func csv(_ bytes: [UInt8]) -> FuzzOutcome {
        guard bytes.count >= 2, let text = String(validating: bytes.dropFirst(2), as: UTF8.self) else { return .skipped }
        let length = sequenceLength(bytes[0]), (fraction, batch) = options(bytes[1])
        let columnChoices: [[String]?] = [nil, nil, ["1"], ["column 1"], ["a"], [], ["0"], ["99999999999999999999"], ["2", "1"]]
        let columns = columnChoices[Int(bytes[1] / 80) % columnChoices.count]
        let source = "series.csv"
        let table = FuzzOutcome.of(source, input: bytes) {
            let table = try TimeSeriesCSV.table(csv: text, name: source, columns: columns)
            guard table.values.count % max(1, table.picked.count) == 0 else { throw FuzzViolation("a ragged table") }
        }
        let series = FuzzOutcome.of(source, input: bytes) {
            let series = try TimeSeriesCSV(csv: text, name: source, sequenceLength: length, validationFraction: fraction,
                                           columns: columns)
            guard series.standardizedValues.count == series.rowCount * series.columnCount,
                  series.trainingRowCount <= series.rowCount else { throw FuzzViolation("a series whose counts disagree") }
            // A forecast of these columns reads back by their names (the header written whole), as
            // `forecast` reads a history: by name only (a name "1" need not be column 1 there).
            if let scaling = try? series.scaling() {
                let written = try mustNotRefuse("writing a header of \(scaling.columns)") {
                    try TimeSeriesCSV.text(columns: scaling.columns, rows: [scaling.means])
                }
                let back = try mustNotRefuse("reading back the header \(scaling.columns)") {
                    try TimeSeriesCSV.table(csv: written, name: source, columns: scaling.columns, byNameOnly: true)
                }
                guard back.picked.map({ back.names[$0] }) == scaling.columns else {
                    throw FuzzViolation("the header \(scaling.columns) read back as \(back.names)")
                }
            }
            try exercise(series, batchSize: batch)
        }
        // Every line that reads as cells reads back the same once written (`CSVLine.quoted`).
        let lines = FuzzOutcome.of(source, input: bytes) {
            for line in text.split(whereSeparator: \.isNewline) {
                guard let cells = CSVLine.cells(line) else { continue }
                let again = CSVLine.cells(Substring(cells.map(CSVLine.quoted).joined(separator: ",")))
                guard again == cells else { throw FuzzViolation("the cells \(cells) written and read back as \(String(describing: again))") }
            }
        }
        return .combine([table, series, lines])
    }

    /// `TextCorpus(text:sequenceLength:validationFraction:)` on the bytes after the first two
    /// (skipped unless UTF-8), options as for `csv`; a corpus that reads encodes and decodes
    /// its own text, re-encodes with its vocabulary reversed, and makes batches both ways.
    static func textCorpus(_ bytes: [UInt8]) -> FuzzOutcome {
        guard bytes.count >= 2, let text = String(validating: bytes.dropFirst(2), as: UTF8.self) else { return .skipped }
        let length = sequenceLength(bytes[0]), (fraction, batch) = options(bytes[1])
        return FuzzOutcome.of("text", input: bytes) {
            var corpus = try TextCorpus(text: text, sequenceLength: length, validationFraction: fraction)
            let ids = try mustNotRefuse("encoding the corpus's own text") { try corpus.encode(text) }
            guard corpus.decode(ids).unicodeScalars.elementsEqual(text.unicodeScalars) else {
                throw FuzzViolation("the text does not decode back from its token ids")
            }
            let reversed = try mustNotRefuse("re-encoding with the vocabulary reversed") {
                try corpus.encoded(with: corpus.vocabulary.reversed())
            }
            guard reversed.tokens.count == corpus.tokens.count else { throw FuzzViolation("re-encoding changed the length") }
            corpus.sampling = bytes[1] % 2 == 0 ? .windows : .streams
            try exercise(corpus, batchSize: batch)
        }
    }

    /// Batches of data that accepts `batchSize`: some training steps (each twice: a pure
    /// function of the step) and the held-out batches.
    static func exercise(_ data: some TrainingData, batchSize: Int) throws {
        _ = data.summary
        try data.validate(batchSize: batchSize)
        guard let perEpoch = data.batchesPerEpoch(batchSize: batchSize), perEpoch >= 1 else { return }
        for step in Set([0, perEpoch - 1, perEpoch, 3 * perEpoch + 1]) {
            let batch: TrainingBatch<Float> = try data.trainingBatch(step: step, batchSize: batchSize, seed: 7)
            guard try batch == data.trainingBatch(step: step, batchSize: batchSize, seed: 7) else {
                throw FuzzViolation("training batch \(step) differs when drawn again")
            }
        }
        let heldOut: [TrainingBatch<Float>] = try data.heldOutBatches(batchSize: batchSize, seed: 1)
        guard heldOut.allSatisfy({ $0.batch >= 1 && $0.batch <= batchSize }) else {
            throw FuzzViolation("a held-out batch of another size than 1...\(batchSize)")
        }
    }

    /// The structure-aware file -> network target: the bytes choose a model, its tensor names,
    /// shapes, dtypes and metadata (`FuzzNetworkFiles.program`), written as a safetensors file
    /// whose header may lie about the data; then as `safetensors`, with the roles and module
    /// prefix the bytes chose.
    static func fileToNetwork(_ bytes: [UInt8]) -> FuzzOutcome {
        let program = FuzzNetworkFiles.program(bytes)
        let data = FuzzNetworkFiles.fileBytes(program)
        return FuzzNetworkFiles.exercise(data, input: [UInt8](data), roles: program.roles, networkPrefix: program.networkPrefix)
    }
}

extension FuzzEntries {
    /// Every subcommand of `recurrent` with its options and flags (from Sources/RecurrentCLI).
    static let commands: [(path: [String], options: [String], flags: [String])] = [
        ([], trainOptions, trainFlags),  // the default subcommand, train
        (["train"], trainOptions, trainFlags),
        (["generate"], ["--model", "--prime", "--length", "--temperature", "--seed"], []),
        (["experiment", "adding"], ["--length", "--steps", "--evaluate-every", "--cells", "--seed", "--svg"], []),
        (["experiment", "gradients"], ["--length", "--hidden", "--sequences", "--seed", "--svg"], []),
        (["trace"], ["--model", "--preset", "--inputs", "--format"], ["--round", "--no-round"]),
        (["plot"], ["--output", "--title"], []),
        (["visualize"], ["--model", "--text", "--output", "--value", "--layer", "--unit", "--length", "--units"], []),
        (["predict"], ["--model", "--input", "--output", "--initial-state", "--state-output", "--lengths", "--prefix",
                       "--embedding", "--head", "--nonlinearity"], ["--batch-first", "--softmax"]),
        (["forecast"], ["--model", "--csv", "--horizon", "--output"], []),
        (["inspect"], ["--prefix", "--nonlinearity", "--embedding", "--head"], []),
        (["bench"], ["--config", "--cell", "--threads", "--repeats"], ["--json", "--inference-only", "--kernels"]),
        (["experiment"], [], []), (["help"], [], []), (["trian"], [], []),
    ]
    static let trainOptions = [
        "--task", "--length", "--text", "--csv", "--columns", "--input", "--target", "--loss", "--classes", "--seq-len",
        "--sampling", "--validation-split", "--model", "--prefix", "--nonlinearity", "--cell", "--hidden", "--layers",
        "--embedding", "--forget-bias", "--input-bias", "--optimizer", "--lr", "--momentum", "--weight-decay", "--clip",
        "--schedule", "--step-size", "--gamma", "--min-lr", "--batch-size", "--steps", "--epochs", "--seed", "--max-time",
        "--threads", "--output", "--checkpoint", "--checkpoint-every", "--validate-every",
    ]
    static let trainFlags = ["--batch-first", "--shuffle", "--bidirectional", "--orthogonal", "--nesterov", "--quiet"]
    static let globalArguments = ["--help", "-h", "--version", "--generate-completion-script", "--experimental-dump-help", "help"]
    /// Option values: the real names (cells, tasks, formats, ...) and hostile ones.
    static let values = [
        "0", "-1", "1", "2", "1e14", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
        "18446744073709551615", "nan", "inf", "-inf", "", "0.5", "-0", "1e-320", "lstm", "gru", "rnn", "gated", "peephole",
        "tanh", "relu", "parity", "adding", "copy", "temporal-order", "sgd", "adam", "adamw", "constant", "step", "cosine",
        "table", "csv", "json", "svg", "html", "windows", "streams", "mse", "ce", "homework-lstm", "gated-latch", "1,2,3,4,5", "0,0,0,0,0",
        "1,2", "a,b", "1;0;1", "/nonexistent/model.safetensors", "/tmp", "/dev/null", "-", "--", "=", "bash", "zsh", "fish",
        "é", "\u{1F600}", "x\ny",
    ] + fixtureFiles + ["o.svg", "o.html", "o.npy", "o.csv", "o.safetensors", "d"]
    /// The files in the directory where a small command runs (`FuzzCommands`): a text, a
    /// series, arrays, a character model, a forecaster, an arrays model, a loss curve, a course
    /// model. The table's `o.*` and `d` are outputs there.
    static let fixtureFiles = ["t.txt", "s.csv", "x.npy", "y.npy", "c.safetensors", "f.safetensors", "m.safetensors",
                               "c.loss.jsonl", "k.json"]

    /// An argument list (without the program name) for `recurrent`: byte 0 picks a subcommand,
    /// byte 1 the number of arguments (1...12), each further byte an option with a value (or
    /// `--option=value`), a flag, a positional value, a global argument, or another command's
    /// option. A pure function of the bytes, never empty.
    static func argumentList(_ bytes: [UInt8]) -> [String] {
        var r = FuzzBytes(bytes)
        let command = r.pick(commands)
        var list = command.path
        let options = command.options.isEmpty ? trainOptions : command.options
        for _ in 0..<(1 + r.below(12)) {
            switch r.below(8) {
            case 0, 1, 2: list += [r.pick(options), r.below(4) == 0 ? String(Int16(bitPattern: r.word())) : r.pick(values)]
            case 3: list.append(r.pick(options) + "=" + r.pick(values))
            case 4: list.append(command.flags.isEmpty ? r.pick(trainFlags) : r.pick(command.flags))
            case 5: list.append(r.pick(values))
            case 6: list.append(r.pick(globalArguments))
            default: list.append(r.pick(r.pick(commands.filter { !$0.options.isEmpty }).options))
            }
        }
        return list
    }
}

/// Choices read from fuzz bytes, front to back; once the bytes run out every choice is the first.
struct FuzzBytes {
    private let bytes: [UInt8]
    private var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// The next byte, 0 past the end.
    mutating func byte() -> UInt8 {
        defer { position += 1 }
        return position < bytes.count ? bytes[position] : 0
    }

    /// Two bytes, little-endian.
    mutating func word() -> UInt16 { UInt16(byte()) | UInt16(byte()) << 8 }
    /// 0 ..< n (n >= 1).
    mutating func below(_ n: Int) -> Int { Int(byte()) % n }
    /// One element of a non-empty table.
    mutating func pick<T>(_ table: [T]) -> T { table[below(table.count)] }
    /// true for an odd byte.
    mutating func flag() -> Bool { byte() & 1 == 1 }
}
