import Foundation

/// A status line rewritten in place while a long computation runs: training's progress on
/// standard output, an experiment's stage on standard error. It is drawn only when its stream
/// is a terminal; a log, a pipe or a test's capture never receives it.
struct TerminalStatus {
    enum Stream { case standardOutput, standardError }

    private let stream: Stream
    /// Whether the stream is a terminal, so that the line is drawn at all.
    let isTerminal: Bool
    /// The characters shown on the line (0: nothing); past them, a shorter update's padding
    /// leaves blanks.
    private var width = 0

    init(on stream: Stream) {
        self.stream = stream
        isTerminal = isatty(stream == .standardOutput ? STDOUT_FILENO : STDERR_FILENO) != 0
    }

    /// Whether a line is on the screen, waiting to be replaced, ended or erased.
    var isShown: Bool { width > 0 }

    /// Replaces the line with `text`.
    mutating func show(_ text: String) {
        guard isTerminal else { return }
        write("\r" + padded(text))
        width = text.count
    }

    /// Replaces the line with `text` and ends it there: `text` stays on the screen, and the
    /// next line is drawn below it.
    mutating func settle(_ text: String) {
        guard isTerminal else { return }
        write("\r" + padded(text) + "\n")
        width = 0
    }

    /// Ends the line as it is, so that what follows starts below it.
    mutating func end() {
        guard isTerminal, width > 0 else { return }
        write("\n")
        width = 0
    }

    /// Erases the line and leaves the cursor at its start, where the results or an error go.
    mutating func clear() {
        guard isTerminal, width > 0 else { return }
        write("\r" + String(repeating: " ", count: width) + "\r")
        width = 0
    }

    /// `text` with blanks over what is left of a longer line shown before it.
    private func padded(_ text: String) -> String {
        text + String(repeating: " ", count: max(0, width - text.count))
    }

    private func write(_ text: String) {
        switch stream {
        case .standardOutput: print(text, terminator: ""); StandardOutput.flush()
        case .standardError: StandardError.write(text)
        }
    }
}
