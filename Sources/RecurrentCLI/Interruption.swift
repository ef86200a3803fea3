import Foundation
import Synchronization

/// Ctrl-C (SIGINT) or SIGTERM while training: the first ends the run after the step under
/// way, and the run is then saved as at its end (the model, its loss curve, a last checkpoint),
/// so that stopping a long run by hand loses nothing; a second ends the process at once. The
/// process then exits with 128 + the signal's number, as one the signal ended would.
enum Interruption {
    /// The signals received since `catching` began; the last one's number.
    static let received = Atomic<Int>(0)
    static let lastSignal = Atomic<Int32>(0)

    /// Whether a signal asked training to stop.
    static var requested: Bool { received.load(ordering: .relaxed) > 0 }

    /// The exit status for the signal received, if one was: 128 + its number.
    static var exitCode: Int32? { requested ? 128 + lastSignal.load(ordering: .relaxed) : nil }

    /// Runs `body` with the two signals caught, and puts the handlers that were there back
    /// after (a process that runs commands in itself, the fuzz target, keeps its own).
    static func catching<T>(_ body: () throws -> T) rethrows -> T {
        received.store(0, ordering: .relaxed)
        let previous = [SIGINT, SIGTERM].map { number in
            let handler = signal(number, onInterruptSignal)
            // A signal the parent ignores (`nohup`, `trap '' INT`) stays ignored.
            if unsafeBitCast(handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self) { signal(number, SIG_IGN) }
            return (number, handler)
        }
        // A parent may have left the signals blocked (a test runner does): unblock them here.
        var signals = sigset_t(), blocked = sigset_t()
        sigemptyset(&signals)
        for number in [SIGINT, SIGTERM] { sigaddset(&signals, number) }
        pthread_sigmask(SIG_UNBLOCK, &signals, &blocked)
        defer {
            pthread_sigmask(SIG_SETMASK, &blocked, nil)
            for (number, handler) in previous { signal(number, handler) }
        }
        return try body()
    }
}

/// The handler: only async-signal-safe work (atomics, `write`, `signal`, `raise`).
private func onInterruptSignal(_ number: Int32) {
    Interruption.lastSignal.store(number, ordering: .relaxed)
    guard Interruption.received.add(1, ordering: .relaxed).newValue == 1 else {
        signal(number, SIG_DFL)
        raise(number)
        return
    }
    let message: StaticString = "\ninterrupted: saving what was trained (interrupt again to quit at once)\n"
    message.withUTF8Buffer { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
}
