import ArgumentParser
import Foundation
import Recurrent

/// `recurrent trace`: the course's exercises, step by step.
struct TraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Run a model in the course's notation step by step, showing every gate and state.",
        discussion: """
            With no arguments, runs the homework's LSTM (preset homework-lstm) on its first sequence \
            0,0,1,1,1,0, rounding h at every step as the exercise says.
            Presets: \(CoursePreset.all.map { "\($0.name): \($0.summary)" }.joined(separator: "; ")).
            """)

    @Option(help: ArgumentHelp("A model in the course's notation: a JSON file with \"cell\" (lstm, gated, rnn) and the parameters (W_fh, W_fx, b_f, ...).", valueName: "file.json"))
    var model: String?

    @Option(help: "A built-in model (\(CoursePreset.all.map(\.name).joined(separator: ", "))).")
    var preset: String?

    @Option(parsing: .unconditional,
            help: ArgumentHelp("The input sequence: steps separated by ';', the components of a step by ','; for a scalar model ',' separates steps (\"0,0,1,1\", \"1,0;0,1\", --inputs=-1,0.5).", valueName: "values"))
    var inputs: String?

    @Flag(inversion: .prefixedNo, help: "Round the visible state (h or s) to the nearest integer at every step before it feeds the next (default: on for the homework and lecture presets, off otherwise).")
    var round: Bool?

    @Option(help: "Output format: table, csv, json, svg (a heatmap of every gate and state) or html (the heatmap, values on hover).")
    var format: TraceFormat = .table

    func validate() throws {
        if model != nil && preset != nil {
            throw ValidationError("give --model or --preset, not both")
        }
        if model != nil && inputs == nil {  // a preset has its exercise's inputs; a model file has none
            throw ValidationError("--inputs is required with --model")
        }
        if let preset {  // a usage error, like any other option's unknown value
            do { _ = try CoursePreset.named(preset) } catch let error as RecurrentError { throw ValidationError(error.message) }
        }
        // Every value a number (a usage error); how many make a step is known from the model.
        let words = (inputs ?? "").split(omittingEmptySubsequences: false, whereSeparator: { $0 == ";" || $0 == "," })
            .map { $0.trimmingCharacters(in: .whitespaces) }
        if inputs != nil, let bad = words.first(where: { DecimalText.decimal($0)?.isFinite != true }) {
            throw ValidationError("--inputs: '\(shortQuote(bad))' is not a finite number")
        }
    }

    func run() throws {
        let courseModel: CourseModel, inputText: String, defaultRound: Bool
        if let path = model {
            // validate() refused --model without --inputs; an empty text would be refused below.
            (courseModel, inputText, defaultRound) = (try CourseModel(contentsOf: fileURL(path)), inputs ?? "", false)
        } else {
            let chosen = try CoursePreset.named(preset ?? CoursePreset.homeworkLSTM.name)
            (courseModel, inputText, defaultRound) = (chosen.model, inputs ?? chosen.inputs, chosen.roundsByDefault)
        }
        let sequence = try parseInputSequence(inputText, inputSize: courseModel.parameters.inputSize)
        let trace = try Trace(model: courseModel, inputs: sequence, round: round ?? defaultRound)
        let name = model.map { fileURL($0).lastPathComponent } ?? (preset ?? CoursePreset.homeworkLSTM.name)
        let text = trace.formatted(format, title: "\(name) on \(inputText)")
        print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
    }
}
