import ArgumentParser
import Foundation
import Recurrent

/// `recurrent generate`: sample text from a character-level model.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Sample text from a character-level model trained with `recurrent train --text`.")

    @Option(help: ArgumentHelp("The character model (written by `recurrent train --text`).", valueName: "file.safetensors"))
    var model: String

    @Option(help: "The text to start from (default: a newline).")
    var prime: String?

    @Option(parsing: .unconditional, help: "Characters to generate.")
    var length = 500

    @Option(parsing: .unconditional, help: "Sampling temperature: below 1 is more conservative, above 1 more varied, 0 always the likeliest.")
    var temperature = 0.8

    @Option(parsing: .unconditional, help: "Sampling seed.")
    var seed: UInt64 = 0

    func validate() throws {
        guard length >= 0 else { throw ValidationError("--length must be 0 or more, got \(length)") }
        guard prime?.isEmpty != true else { throw ValidationError("--prime is empty; the model needs at least one character to start from") }
        guard temperature >= 0, temperature.isFinite else {
            throw ValidationError("--temperature must be 0 or a finite positive number, got \(temperature)")
        }
    }

    func run() throws {
        let loaded = try SequenceModel<Float>.load(from: fileURL(model))
        let prime = self.prime ?? "\n"
        if self.prime == nil, let vocabulary = loaded.vocabulary, !vocabulary.contains("\n") {
            throw RecurrentError(.value, "the model's text had no line breaks, so the default --prime (a newline) is not in its "
                + "vocabulary; give --prime with characters of its text")
        }
        // Each character is flushed as it is drawn: an interrupted run has shown its text so far.
        // The prime goes out with the first (a refused prime or length prints nothing); a lost
        // standard output ends the run (main reports it).
        var started = false
        try loaded.generateText(prime: prime, count: length, temperature: temperature, seed: seed) { character in
            print((started ? "" : prime) + character, terminator: "")
            started = true
            StandardOutput.flush()
            if StandardOutput.hasFailed { throw ExitCode.failure }
        }
        print(started ? "" : prime)
    }
}
