import Foundation
import Recurrent

/// Prints training progress: one line rewritten in place on a terminal, plain lines now and
/// then when the output goes to a pipe or a file.
final class ProgressReporter {
    private var status = TerminalStatus(on: .standardOutput)
    private var lastPrint = 0.0
    private let quiet: Bool

    init(quiet: Bool) { self.quiet = quiet }

    func report(_ p: TrainingProgress) {
        guard !quiet else { return }
        let elapsed = p.record.seconds
        if status.isTerminal {
            guard elapsed - lastPrint >= 0.1 || p.step == p.totalSteps else { return }
            lastPrint = elapsed
            status.show(Self.line(p))
        } else {
            let every = p.totalSteps >= TrainingDataOptions.unbounded ? Int.max : max(1, p.totalSteps / 10)
            guard p.step % every == 0 || elapsed - lastPrint >= 10 || p.step == p.totalSteps else { return }
            lastPrint = elapsed
            print(Self.line(p))
        }
    }

    /// The progress line (made only when printed: steps can take microseconds).
    static func line(_ p: TrainingProgress) -> String {
        let steps = p.totalSteps >= TrainingDataOptions.unbounded ? "step \(p.step)" : "step \(p.step)/\(p.totalSteps)"
        return steps + String(format: "  loss %.4f (smoothed)  %.0f seq/s  ", p.smoothedLoss, p.sequencesPerSecond)
            + "\(duration(p.record.seconds)) elapsed  \(duration(p.secondsLeft)) left"
    }

    /// A held-out measurement, on a line of its own (even when quiet); on a terminal it takes
    /// the place of the progress line, which is drawn again below it at the next report.
    func validated(_ record: TrainingRecord) {
        let line = String(format: "step %ld  validation loss %.4f  after %@ of training", record.step,
                          record.validationLoss ?? .nan, Self.duration(record.seconds))
        if status.isShown {
            status.settle(line)
        } else {
            print(line)
            StandardOutput.flush()
        }
    }

    /// Ends the progress line, so that the results are printed below it.
    func finish() {
        status.end()
    }

    /// `12s`, `3m04s`, `5h07m`; `?` for no number, `over 10000h` past that.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        guard seconds < 36_000_000 else { return "over 10000h" }
        let s = Int(seconds.rounded())
        return s < 60 ? "\(s)s" : s < 3600 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s / 3600)h\(String(format: "%02d", s / 60 % 60))m"
    }
}
