import Foundation
import Synchronization
import Testing
@testable import Recurrent

/// Ctrl-C and its kind (SIGINT, SIGTERM, SIGHUP, SIGQUIT) reach the program's own threads only
/// when nothing must be cut in two: held back during the renames of a file set, and always on
/// the kernel workers (a process-directed signal goes to any thread that lets it in).
@Suite("Terminal signals")
struct TerminalSignalsTests {
    @Test("A signal raised while deferred arrives when the section ends, not during it")
    func deferredSignalArrivesAfter() {
        hangUps.store(0, ordering: .relaxed)
        let previous = signal(SIGHUP, countHangUp)
        // The test runner may hold SIGHUP back on this thread already: let it in around the test.
        var hangUp = sigset_t(), before = sigset_t()
        sigemptyset(&hangUp)
        sigaddset(&hangUp, SIGHUP)
        pthread_sigmask(SIG_UNBLOCK, &hangUp, &before)
        defer {
            pthread_sigmask(SIG_SETMASK, &before, nil)
            signal(SIGHUP, previous)
        }
        let seenInside = TerminalSignals.deferred { () -> Int in
            raise(SIGHUP)
            return hangUps.load(ordering: .relaxed)
        }
        #expect(seenInside == 0)
        #expect(hangUps.load(ordering: .relaxed) == 1)
    }

    @Test("Kernel worker threads hold back SIGINT, SIGTERM, SIGHUP and SIGQUIT")
    func workersBlockTerminalSignals() throws {
        // Workers start from the caller's thread and would inherit its mask: let the signals in
        // on it (the test runner holds them back), so that only the workers' own act blocks them.
        var terminal = TerminalSignals.set, before = sigset_t()
        pthread_sigmask(SIG_UNBLOCK, &terminal, &before)
        defer { pthread_sigmask(SIG_SETMASK, &before, nil) }
        // Participant 1 of a `runTogether` job runs on a worker while the caller runs 0: the
        // worker reads its own mask. (Found by thread name in /proc, a worker was missed when it
        // ran before Foundation's `Thread.start` had returned, which left it unnamed.)
        let caller = pthread_self()
        let seen = Mutex<[(otherThread: Bool, blocked: [Int32])]>([])
        let ran = KernelThreadPool().runTogether(2) { participant, _ in
            guard participant == 1 else { return }
            var mask = sigset_t()
            pthread_sigmask(SIG_BLOCK, nil, &mask)
            let blocked = [SIGINT, SIGTERM, SIGHUP, SIGQUIT].filter { sigismember(&mask, $0) == 1 }
            let otherThread = pthread_equal(pthread_self(), caller) == 0
            seen.withLock { $0.append((otherThread, blocked)) }
        }
        #expect(ran)
        let workers = seen.withLock { $0 }
        #expect(workers.count == 1 && workers.allSatisfy(\.otherThread), "the worker's part ran on the caller's thread")
        #expect(workers.map(\.blocked) == [[SIGINT, SIGTERM, SIGHUP, SIGQUIT]])
    }
}

private let hangUps = Atomic<Int>(0)
private func countHangUp(_: Int32) { hangUps.add(1, ordering: .relaxed) }
