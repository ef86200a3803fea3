import Foundation

/// The signals that end a process from a terminal or a supervisor: SIGINT (Ctrl-C), SIGTERM,
/// SIGHUP, SIGQUIT. A process-directed signal goes to any thread that lets it in, so the
/// library's own threads (the kernel workers) hold them back for good, and a short section that
/// must not be cut in two (the renames of `FileAccess.writeTogether`) holds them back on its
/// thread while it runs: they then arrive just after, on the thread that runs it.
public enum TerminalSignals {
    /// The four signals as a set.
    static var set: sigset_t {
        var signals = sigset_t()
        sigemptyset(&signals)
        for number in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] { sigaddset(&signals, number) }
        return signals
    }

    /// Lets the signals in on the calling thread: for a program's start, before it makes
    /// threads. The mask of blocked signals is inherited across `exec`, and a launcher may
    /// leave them blocked (Foundation's `Process` called from a Dispatch thread does): a
    /// `kill` or Ctrl-C then waits forever. Signals the parent ignores stay ignored (`nohup`).
    public static func unblockInherited() {
        var signals = set
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
    }

    /// Holds the signals back on the calling thread from now on (a worker thread's first act).
    static func blockOnThisThread() {
        var signals = set
        pthread_sigmask(SIG_BLOCK, &signals, nil)
    }

    /// Runs `body` with the signals held back on this thread, and lets them in after (those
    /// that came meanwhile are then delivered). `body` must be short: the signals wait for it.
    /// Only SIGKILL, which nothing holds back, can still cut it.
    static func deferred<T>(_ body: () throws -> T) rethrows -> T {
        var signals = set, before = sigset_t()
        pthread_sigmask(SIG_BLOCK, &signals, &before)
        defer { pthread_sigmask(SIG_SETMASK, &before, nil) }
        return try body()
    }
}
