import ArgumentParser
import Foundation
import Recurrent

/// `recurrent`: recurrent neural networks from the command line.
@main
struct RecurrentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recurrent",
        abstract: "Recurrent neural networks (simple RNN, gated RNN, LSTM, GRU): trace, run, train, benchmark.",
        version: "0.1.0",
        subcommands: [TrainCommand.self, GenerateCommand.self, ExperimentCommand.self, TraceCommand.self, PredictCommand.self, ForecastCommand.self, InspectCommand.self, PlotCommand.self, VisualizeCommand.self, BenchCommand.self],
        defaultSubcommand: TrainCommand.self)

    /// Runs the command; a failure prints one line, `Error: ...`, to standard error and exits
    /// non-zero (64 for a usage error, 1 otherwise). `--help` and `--version` print as usual.
    /// Standard output is flushed and checked at the end: a full disk or a closed descriptor
    /// is an error, not a cut-off result with exit 0.
    static func main() {
        // Over a file-size limit (`ulimit -f`) a write fails with EFBIG, reported and cleaned up
        // like a full disk, instead of SIGXFSZ ending the process mid-write.
        signal(SIGXFSZ, SIG_IGN)
        TerminalSignals.unblockInherited()
        if let bad = argumentNotUTF8() {
            StandardError.write("Error: argument \(bad.index), '\(escapingControlCharacters(bad.shown))', is not valid UTF-8 "
                + "(a name in another encoding?): it would name another file; rename it\n")
            Foundation.exit(ExitCode.validationFailure.rawValue)
        }
        if let message = usageErrorBeforeParsing(Array(CommandLine.arguments.dropFirst())) {
            StandardError.write("Error: \(message)\n")
            Foundation.exit(ExitCode.validationFailure.rawValue)
        }
        do {
            var command = try parseAsRoot()
            // RECURRENT_ISA, when set, must name an instruction set this CPU runs (checked after
            // parsing, so that --help and --version answer whatever it says).
            if let isa = try InstructionSet.fromEnvironment() { try KernelSettings.setInstructionSet(isa) }
            try command.run()
        } catch {
            let code = exitCode(for: error)
            // --help and --version: printed here, so that a failed write is an error, not exit 0.
            if code == .success, !(error is ExitCode) {
                let text = fullMessage(for: error)
                if !text.isEmpty { print(text) }
                Foundation.exit(reportLostOutput() ? 1 : 0)
            }
            // An interrupted run that was saved: its status (128 + the signal), no error line,
            // unless its output was lost on the way, which is the worse news.
            if let code = error as? ExitCode {
                Foundation.exit(reportLostOutput() ? 1 : code.rawValue)
            }
            let message = errorLine(for: error)
            StandardError.write("Error: \(message.isEmpty ? "\(error)" : message)\n")
            Foundation.exit(code.rawValue)
        }
        if reportLostOutput() { Foundation.exit(1) }
    }

    /// Why the arguments (after the program's name) are refused before the parser sees them,
    /// or nil: an option with nothing after its `=`, or an empty argument.
    static func usageErrorBeforeParsing(_ arguments: [String]) -> String? {
        if let empty = optionWithEmptyValue(in: arguments) {
            return "\(empty) has nothing after '='; give a value (\(empty)VALUE) or leave the option out"
        }
        if let empty = emptyArgument(in: arguments) {
            return "argument \(empty.index)\(empty.after.map { " (after \($0))" } ?? "") is empty; give a value or leave it out"
        }
        return nil
    }

    /// The line a failure prints after "Error: ", empty when the error has none. Our messages
    /// are one line by construction; a line break can only come from a value the user gave (a
    /// path), so it is shown escaped. The parser's messages carry usage lines after the first.
    static func errorLine(for error: any Error) -> String {
        error is RecurrentError ? escapingControlCharacters(message(for: error)) : oneLine(message(for: error))
    }

    /// The first argument whose bytes are not UTF-8, by position (1 = the first after the
    /// program), with its repaired text: Swift's arguments replace such bytes with U+FFFD, so
    /// `$'\xff.npy'` would read or overwrite a file named "\u{FFFD}.npy".
    static func argumentNotUTF8() -> (index: Int, shown: String)? {
        for index in 1..<Int(CommandLine.argc) {
            guard let pointer = CommandLine.unsafeArgv[index] else { continue }
            let bytes = UnsafeBufferPointer(start: pointer, count: strlen(pointer)).map { UInt8(bitPattern: $0) }
            if String(validating: bytes, as: UTF8.self) == nil { return (index, String(decoding: bytes, as: UTF8.self)) }
        }
        return nil
    }

    /// The first `--name=` with nothing after the sign, before a `--` that ends the options.
    /// The parser reads it as the option with no value attached and takes the next argument
    /// as the value, even another option: `trace --inputs= --format csv` read "--format" as
    /// the inputs. (An empty value can still be given apart: `--prefix ""`.)
    static func optionWithEmptyValue(in arguments: some Sequence<String>) -> String? {
        for argument in arguments {
            if argument == "--" { return nil }
            if argument.count > 3, argument.hasPrefix("--"), argument.hasSuffix("="),
               !argument.dropFirst(2).dropLast().contains("=") {
                return argument
            }
        }
        return nil
    }

    /// Options whose empty value means something (`--prefix ""`: the module at the root of a
    /// file) or gets a message of its own (`--prime`, `--columns`).
    static let optionsJudgingEmptyValue: Set<String> = ["--prefix", "--head", "--embedding", "--prime", "--columns"]

    /// The first empty argument before a `--` that ends the options, by position (1 = the first
    /// after the program), with the argument before it: an empty path reads as the working
    /// directory ("is a directory, not a file"), or as no file at all, ": no such file".
    static func emptyArgument(in arguments: [String]) -> (index: Int, after: String?)? {
        for (index, argument) in arguments.enumerated() {
            if argument == "--" { return nil }
            let before = index > 0 ? arguments[index - 1] : nil
            if argument.isEmpty, !(before.map(optionsJudgingEmptyValue.contains) ?? false) { return (index + 1, before) }
        }
        return nil
    }

    /// Prints why standard output lost bytes, if it did (a full disk, a closed descriptor).
    /// - Returns: whether it did.
    @discardableResult
    static func reportLostOutput() -> Bool {
        guard let reason = StandardOutput.failure() else { return false }
        StandardError.write("Error: standard output: cannot write (\(reason))\n")
        return true
    }

    /// The text with each control character (a line break, a tab, an escape) written as its
    /// Swift escape, `\n`, so that it stays on one line.
    static func escapingControlCharacters(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.properties.generalCategory == .control {
                out += String(reflecting: String(scalar)).dropFirst().dropLast()
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A message's first line, and the list the parser puts under it (`  - lstm` lines, the
    /// values an option takes) joined onto it: `... one of the following: lstm, gru, rnn`.
    static func oneLine(_ message: String) -> String {
        let lines = message.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard let first = lines.first else { return message }
        let items = lines.dropFirst().prefix { $0.hasPrefix("- ") }.map { String($0.dropFirst(2)) }
        return items.isEmpty ? first : first + " " + items.joined(separator: ", ")
    }
}

extension TraceFormat: ExpressibleByArgument {}
extension CellKind: ExpressibleByArgument {}
extension Nonlinearity: ExpressibleByArgument {}
