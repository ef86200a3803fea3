import Foundation
import Recurrent

/// Prints training progress: one line rewritten in place on a terminal, plain lines now and
/// then when the output goes to a pipe or a file.
final class ProgressReporter {
    private let isTerminal = isatty(STDOUT_FILENO) != 0
    private var lastPrint = 0.0
    private var lastLineLength = 0
    private let quiet: Bool

    init(quiet: Bool) { self.quiet = quiet }

    func report(_ p: TrainingProgress) {
        guard !quiet else { return }
        let elapsed = p.record.seconds
        let steps = p.totalSteps >= TrainingDataOptions.unbounded ? "step \(p.step)" : "step \(p.step)/\(p.totalSteps)"
        let line = steps + String(format: "  loss %.4f (smoothed)  %.0f seq/s  ", p.smoothedLoss, p.sequencesPerSecond)
            + "\(Self.duration(elapsed)) elapsed  \(Self.duration(p.secondsLeft)) left"
        if isTerminal {
            guard elapsed - lastPrint >= 0.1 || p.step == p.totalSteps else { return }
            lastPrint = elapsed
            print("\r" + line + String(repeating: " ", count: max(0, lastLineLength - line.count)), terminator: "")
            lastLineLength = line.count
            StandardOutput.flush()
        } else {
            let every = p.totalSteps >= TrainingDataOptions.unbounded ? Int.max : max(1, p.totalSteps / 10)
            guard p.step % every == 0 || elapsed - lastPrint >= 10 || p.step == p.totalSteps else { return }
            lastPrint = elapsed
            print(line)
        }
    }

    /// Ends the in-place line.
    /// A held-out measurement, on a line of its own (even when quiet).
    func validated(_ record: TrainingRecord) {
        let line = String(format: "step %ld  validation loss %.4f  after %@ of training", record.step,
                          record.validationLoss ?? .nan, Self.duration(record.seconds))
        if isTerminal && lastLineLength > 0 {
            print("\r" + line + String(repeating: " ", count: max(0, lastLineLength - line.count)))
            lastLineLength = 0
        } else {
            print(line)
        }
        StandardOutput.flush()
    }

    func finish() {
        if isTerminal && !quiet && lastLineLength > 0 { print("") }
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds.rounded())
        return s < 60 ? "\(s)s" : s < 3600 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s / 3600)h\(String(format: "%02d", s / 60 % 60))m"
    }
}
