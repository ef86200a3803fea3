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
    static func main() {
        do {
            // RECURRENT_ISA, when set, must name an instruction set this CPU runs.
            if let isa = try InstructionSet.fromEnvironment() { try KernelSettings.setInstructionSet(isa) }
        } catch {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            Foundation.exit(1)
        }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .success { exit(withError: error) }
            let message = oneLine(self.message(for: error))
            FileHandle.standardError.write(Data("Error: \(message.isEmpty ? "\(error)" : message)\n".utf8))
            Foundation.exit(code.rawValue)
        }
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
