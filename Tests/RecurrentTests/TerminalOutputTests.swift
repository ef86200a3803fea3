import Foundation
import Testing

/// What a user's terminal shows: progress rewritten in place on one line, never left behind
/// in the results; a pipe or a log gets plain lines, or nothing, instead.
@Suite("What a terminal shows")
struct TerminalOutputTests {
    @Test("On a terminal, training progress is one line rewritten in place, ended by a line break; a pipe gets a line per tenth")
    func trainingProgressOnATerminal() throws {
        let arguments = ["train", "--steps", "40", "--hidden", "8", "--validate-every", "20"]
        let onTerminal = try CLI.runOnTerminal(arguments, terminal: .standardOutput), piped = try CLI.run(arguments)
        #expect(onTerminal.status == 0 && piped.status == 0, "\(onTerminal.piped) \(piped.stderr)")
        let lines = CLI.screen(onTerminal.terminal)
        let progress = lines.indices.filter { lines[$0].hasPrefix("step ") && lines[$0].contains("/40") }
        // However many updates the run made, one line shows them, holding the last step; the
        // held-out loss at step 20 took a line of its own before it.
        #expect(progress.count == 1, "\(lines)")
        let at = try #require(progress.first, "\(lines)")
        try #require(at > 0 && at + 1 < lines.count, "\(lines)")
        #expect(lines[at].hasPrefix("step 40/40  loss ") && lines[at].hasSuffix(" left"), "\(lines[at])")
        #expect(lines[at - 1].hasPrefix("step 20  validation loss "), "\(lines)")
        #expect(lines[at + 1].hasPrefix("trained 40 steps in "), "\(lines)")
        #expect(onTerminal.terminal.contains("\rstep 40/40  loss "), "\(onTerminal.terminal)")
        let pipedProgress = piped.stdout.split(separator: "\n").filter { $0.hasPrefix("step ") && $0.contains("/40") }
        #expect(pipedProgress.map { String($0.split(separator: " ")[1]) } == (1...10).map { "\(4 * $0)/40" }, "\(piped.stdout)")
    }

    @Test("On a terminal, experiment gradients names the cell it is at on one line, erased before the table; a pipe gets none of it")
    func gradientsStatusOnATerminal() throws {
        let arguments = ["experiment", "gradients", "--length", "20", "--hidden", "4", "--sequences", "1"]
        let onTerminal = try CLI.runOnTerminal(arguments, terminal: .standardError), piped = try CLI.run(arguments)
        #expect(onTerminal.status == 0 && piped.status == 0, "\(onTerminal.terminal) \(piped.stderr)")
        #expect(onTerminal.piped == piped.stdout && piped.stderr.isEmpty && piped.stdout.contains("lstm f=3.0"))
        // Every update starts with a carriage return: the line is rewritten, never a new one.
        #expect(onTerminal.terminal.hasPrefix("\r") && !onTerminal.terminal.contains("\n"), "\(onTerminal.terminal)")
        // The line as the terminal shows it after each update.
        let updates = onTerminal.terminal.split(separator: "\r")
        let screens = updates.indices.map { CLI.screen(updates[...$0].joined(separator: "\r")).joined() }
        let cells = ["rnn", "gated", "lstm", "lstm f=3.0", "gru"]
        let expected = cells.enumerated().map { "computing the norms of \($1) (cell \($0 + 1) of 5), " }
        #expect(screens.count == 6, "\(screens)")
        #expect(zip(screens, expected).allSatisfy { $0.hasPrefix($1) && $0.hasSuffix("s so far") }, "\(screens)")
        // Erased before the table: nothing of any update is left on the line.
        #expect(screens.last == "", "\(screens)")
    }
}
