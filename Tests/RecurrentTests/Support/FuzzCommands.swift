import ArgumentParser
import Foundation
@testable import Recurrent
#if !RECURRENT_FUZZ_CLI
// The libFuzzer target compiles this file inside the CLI's own module (scripts/fuzz.sh).
@testable import RecurrentCLI
#endif

/// The `arguments` fuzz target's entry, shared with `FuzzRegressionTests`: an argument list
/// from the bytes (`FuzzEntries.argumentList`) is parsed as `recurrent` parses it (with every
/// `validate()`); when it parses and its work is small (`isSmall`), the command runs in a fresh
/// directory holding small real files under the names the value table gives
/// (`FuzzEntries.fixtureFiles`), so that relative names resolve there and outputs land there.
enum FuzzCommands {
    /// What one argument list did.
    enum Outcome: Equatable {
        /// Refused by the parser or a `validate()`, with a message.
        case parseRefused
        /// Parsed, and left unrun: its work is not small, or it names a shared place
        /// (`/tmp`, `/dev/null`) that a run could write into.
        case notRun
        /// Parsed and ran to the end.
        case ran
        /// Parsed, and refused while running, with a one-line message.
        case runRefused
        /// A broken property: a failing exit without a message, a multi-line or anonymous
        /// refusal, an error that is neither a `RecurrentError` nor the parser's, a signal.
        case violated(String)
    }

    /// Values that name places outside the run's directory which a run must not write into.
    static let sharedPlaces = ["/tmp", "/dev/null"]

    /// Parses the list the bytes give; a small command is handed to `run` as parsed, with its
    /// arguments and a fresh run directory (the libFuzzer target runs the parsed command in this
    /// process, the tests run the built executable there with the arguments).
    static func arguments(_ bytes: [UInt8], run: (ParsableCommand, [String], URL) -> Outcome) -> Outcome {
        let list = FuzzEntries.argumentList(bytes)
        // What the CLI refuses before parsing, the parser never sees (its message is not empty).
        if let refusal = RecurrentCommand.usageErrorBeforeParsing(list) {
            return refusal.isEmpty ? .violated("an empty message: \(list)") : .parseRefused
        }
        let command: ParsableCommand
        do {
            command = try RecurrentCommand.parseAsRoot(list)
        } catch {
            // The line the CLI would print after "Error: " (--help and --version exit 0 with text).
            let empty = RecurrentCommand.errorLine(for: error).isEmpty
            return empty && RecurrentCommand.exitCode(for: error) != .success
                ? .violated("no message for a failing exit: \(list)") : .parseRefused
        }
        let namesSharedPlace = list.contains { argument in sharedPlaces.contains { argument == $0 || argument.hasSuffix("=" + $0) } }
        guard isSmall(command), !namesSharedPlace else { return .notRun }
        let directory: URL
        do { directory = try freshRunDirectory() } catch { return .violated("cannot prepare the run directory: \(error)") }
        defer { try? FileManager.default.removeItem(at: directory) }
        return run(command, list, directory)
    }

    /// Runs the parsed command in this process with `directory` as the working directory (the
    /// libFuzzer target is one thread; tests, which run in parallel, must not change the
    /// directory). Parsing once, not twice, is a sixth of the target's time.
    static func runInProcess(_ parsed: ParsableCommand, _ list: [String], in directory: URL) -> Outcome {
        guard FileManager.default.changeCurrentDirectoryPath(directory.path) else {
            return .violated("cannot enter \(directory.path)")
        }
        do {
            var command = parsed
            try command.run()
            return .ran
        } catch let error as RecurrentError {
            return judge(error.message, list)
        } catch let error as ValidationError {
            return judge(error.message, list)
        } catch {
            if let code = error as? ExitCode, code == .success { return .ran }
            return .violated("\(list): threw \(type(of: error)), not a RecurrentError: \(error)")
        }
    }

    /// A refusal while running must be one non-empty line (the CLI prints only the first),
    /// unless an argument itself holds a line break.
    static func judge(_ message: String, _ list: [String]) -> Outcome {
        if message.isEmpty { return .violated("\(list): an empty message") }
        if message.contains(where: \.isNewline), !list.contains(where: { $0.contains(where: \.isNewline) }) {
            return .violated("\(list): a message of several lines: \(message)")
        }
        return .runRefused
    }

    /// Whether running the command takes milliseconds: sizes and step counts within small
    /// bounds (the fixtures are a few KB, so commands that only read them are always small);
    /// `bench` and anything unbounded are left unrun.
    static func isSmall(_ command: ParsableCommand) -> Bool {
        switch command {
        case is TraceCommand, is PlotCommand, is InspectCommand, is PredictCommand, is VisualizeCommand: true
        case let c as GenerateCommand: c.length <= 64
        case let c as ForecastCommand: c.horizon <= 64
        case let c as GradientsExperimentCommand: c.length <= 32 && c.hidden <= 8 && c.sequences <= 4
        case let c as AddingExperimentCommand: c.length <= 16 && (c.steps ?? .max) <= 4 && c.cells.count <= 3
        case let c as TrainCommand: isSmall(c)
        default: false
        }
    }

    /// A training run of at most 3 steps of a small model on small batches.
    static func isSmall(_ c: TrainCommand) -> Bool {
        let recipe = c.data.recipe, a = c.architecture, o = c.optimization
        guard let steps = o.steps, steps <= 3, o.epochs == nil else { return false }
        return (a.hidden ?? recipe?.hiddenSize ?? 128) <= 32 && (a.layers ?? 1) <= 2 && (a.embedding ?? 0) <= 16
            && (o.batchSize ?? recipe?.batchSize ?? 32) <= 32 && (c.data.length ?? recipe?.length ?? 0) <= 64
            && (c.data.seqLen ?? 64) <= 64
    }

    /// A new directory holding a copy of the fixtures and nothing else (a run may overwrite
    /// them, and leaves its outputs there); the caller removes it.
    static func freshRunDirectory() throws -> URL {
        let run = fixtures.deletingLastPathComponent().appendingPathComponent("run-" + UUID().uuidString)
        try FileManager.default.copyItem(at: fixtures, to: run)
        return run
    }

    /// The fixtures, made by the CLI itself from small data on first use.
    static let fixtures: URL = {
        let directory = FuzzEntries.scratchFile("commands").appendingPathComponent("fixtures")
        do {
            try makeFixtures(in: directory)
        } catch {
            fatalError("cannot make the fuzz fixtures in \(directory.path): \(error)")
        }
        return directory
    }()

    static func makeFixtures(in directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        func write(_ name: String, _ text: String) throws { try Data(text.utf8).write(to: URL(fileURLWithPath: path(name))) }
        try write("t.txt", String(repeating: "To be, or not to be: that is the question.\n", count: 8))
        try write("s.csv", "a,b\n" + (0..<40).map { "\(Double($0 % 7) * 0.5),\(Double($0 % 5) - 2)" }.joined(separator: "\n") + "\n")
        try write("k.json", #"{"cell": "rnn", "W_ss": [[0.5]], "W_sx": 1, "b_s": 0}"#)
        let x = (0..<48).map { Float($0 % 9) * 0.25 - 1 }
        try NPY.write(Tensor(shape: [6, 4, 2], scalars: x), to: URL(fileURLWithPath: path("x.npy")))
        try NPY.write(Tensor(shape: [6, 4, 1], scalars: stride(from: 0, to: 48, by: 2).map { x[$0] + x[$0 + 1] }),
                      to: URL(fileURLWithPath: path("y.npy")))
        let small = ["--steps", "2", "--hidden", "4", "--batch-size", "2", "--quiet"]
        for run in [["--text", path("t.txt"), "--seq-len", "8", "--output", path("c.safetensors")],
                    ["--csv", path("s.csv"), "--seq-len", "4", "--output", path("f.safetensors")],
                    ["--input", path("x.npy"), "--target", path("y.npy"), "--loss", "mse", "--output", path("m.safetensors")]] {
            var command = try RecurrentCommand.parseAsRoot(["train"] + run + small)
            try command.run()
        }
        for name in ["f", "m"] {
            for suffix in [".loss.jsonl", ".loss.svg"] { try FileManager.default.removeItem(atPath: path(name + suffix)) }
        }
        try FileManager.default.removeItem(atPath: path("c.loss.svg"))
    }
}
