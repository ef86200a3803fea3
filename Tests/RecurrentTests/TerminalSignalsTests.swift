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
        let pool = KernelThreadPool()
        let deadline = ContinuousClock.now + .seconds(5)
        repeat {
            _ = ThreadedKernelTests.products(m: 64, n: 520, k: 40, layout: .rowMajor, threads: 2, tile: .narrow, pool: pool, calls: 10)
        } while pool.chunksRunByWorkers == 0 && ContinuousClock.now < deadline
        #expect(pool.chunksRunByWorkers > 0, "no worker ran")
        // /proc/self/task/TID/status: "Name:\trecurrent-k1", "SigBlk:\t<hex mask>", bit n-1 for signal n.
        let masks = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").compactMap { task -> UInt64? in
            let status = try String(contentsOfFile: "/proc/self/task/\(task)/status", encoding: .utf8)
            guard status.contains("Name:\trecurrent-k"),
                  let line = status.split(separator: "\n").first(where: { $0.hasPrefix("SigBlk:") }) else { return nil }
            return UInt64(line.dropFirst("SigBlk:".count).trimmingCharacters(in: .whitespaces), radix: 16)
        }
        #expect(!masks.isEmpty, "no kernel worker thread found")
        let bits = [SIGINT, SIGTERM, SIGHUP, SIGQUIT].reduce(UInt64(0)) { $0 | 1 << UInt64($1 - 1) }
        for mask in masks { #expect(mask & bits == bits, "a worker lets in \(String(mask, radix: 16))") }
    }
}

private let hangUps = Atomic<Int>(0)
private func countHangUp(_: Int32) { hangUps.add(1, ordering: .relaxed) }
