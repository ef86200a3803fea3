import Foundation

/// A status line on standard error, rewritten in place while a long computation runs and
/// erased when it ends. It is written only when standard error is a terminal: a log, a pipe
/// or a test's capture receives the results alone.
struct TerminalStatus {
    private let isTerminal = isatty(STDERR_FILENO) != 0
    /// The characters shown on the line (0: nothing); past them, a shorter update's padding
    /// left blanks.
    private var width = 0

    /// Replaces the line with `text`.
    mutating func show(_ text: String) {
        guard isTerminal else { return }
        StandardError.write("\r" + text + String(repeating: " ", count: max(0, width - text.count)))
        width = text.count
    }

    /// Erases the line and leaves the cursor at its start, where the results or an error go.
    mutating func clear() {
        guard isTerminal, width > 0 else { return }
        StandardError.write("\r" + String(repeating: " ", count: width) + "\r")
        width = 0
    }
}
