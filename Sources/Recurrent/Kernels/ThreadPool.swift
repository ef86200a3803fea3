import CRecurrentKernels
import Foundation

/// A participant's 64-byte-aligned scratch area, grown on demand, and its per-run state.
final class KernelScratch: @unchecked Sendable {
    // Invariant (why `@unchecked Sendable`): a scratch belongs to one participant of one pool job at a time (the pool hands each its own).
    private(set) var base = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 64)
    private var byteCount = 64
    /// False at the start of each run; a job sets it once it has prepared the scratch (packed
    /// an operand, say) for the chunks it may claim next.
    var prepared = false

    /// At least `count` elements of `S`, 64-byte aligned; contents are undefined.
    func elements<S>(_ count: Int, of _: S.Type) -> UnsafeMutablePointer<S> {
        let bytes = count * MemoryLayout<S>.stride
        if bytes > byteCount {
            base.deallocate()
            byteCount = max(bytes, 2 * byteCount)
            base = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: 64)
        }
        return base.bindMemory(to: S.self, capacity: count)
    }

    deinit { base.deallocate() }
}

/// Persistent worker threads sharing out the chunks of one job at a time.
///
/// `run(n, chunks:)` gives each of n participants (the caller is participant 0) a home range of
/// the chunks, contiguous and in order, so a participant tends to get the same part of a
/// product (and of its weights, which then stay in its core's cache) call after call. Each
/// claims its home chunks one by one from an atomic counter, then steals what is left of the
/// others', so a worker that the OS has not scheduled yet delays nothing: the caller does its
/// share. Workers spin (`pause`) for `KernelSettings.spinMicroseconds` after their last job, then
/// sleep on a condition variable; they never `sched_yield` while idle, which beside a process of
/// lower priority (a build, a fuzzer at nice 19) hands it the core until the next scheduler
/// tick, so the next job's chunks wait milliseconds (measured: LSTM stream inference 12-16 ms
/// against 8-10 ms beside three nice-19 processes on Zen 4). One caller at a time: a caller that finds
/// the pool busy (another thread's product) runs every chunk itself, with the same results.
final class KernelThreadPool: @unchecked Sendable {
    // Invariant (why `@unchecked Sendable`): shared state is the atomic counters; `job`, `together` and the scratches are set by the caller holding `busy` before a job opens and read by workers only between joining and leaving it.
    static let shared = KernelThreadPool()
    static let maxParticipants = 64

    /// Counters, one cache line each: busy flag, generation, active workers, sleepers, then
    /// the next chunk and the end of each participant's home range. The generation word is
    /// `serial << 8 | participants` (0 participants: no job open).
    private let counters: UnsafeMutablePointer<CLong>
    private static let line = 8
    private var busy: UnsafeMutablePointer<CLong> { counters }
    private var generation: UnsafeMutablePointer<CLong> { counters + Self.line }
    private var active: UnsafeMutablePointer<CLong> { counters + 2 * Self.line }
    private var sleepers: UnsafeMutablePointer<CLong> { counters + 3 * Self.line }
    /// Chunks run by workers (not by callers) since the pool was made.
    private var workerChunks: UnsafeMutablePointer<CLong> { counters + 4 * Self.line }
    private func next(_ i: Int) -> UnsafeMutablePointer<CLong> { counters + (5 + 2 * i) * Self.line }
    private func end(_ i: Int) -> UnsafeMutablePointer<CLong> { counters + (6 + 2 * i) * Self.line }

    /// How many chunks worker threads (not callers) have run since the pool was made: what
    /// proves that work was shared between threads.
    var chunksRunByWorkers: Int { recurrent_atomic_load(workerChunks) }
    private let wakeUp = NSCondition()

    /// The open job; set by the caller before the generation opens, cleared after it closes
    /// and every worker has left.
    private var job: ((Int, KernelScratch) -> Void)?
    /// Whether the open job runs each participant's home chunk only (`runTogether`).
    private var together = false
    private var workerCount = 0
    /// Scratch of participant i (index 0 is the caller's while it holds the pool).
    private var scratches: [KernelScratch] = [KernelScratch()]

    /// A pool of its own (the shared one is `shared`): for callers that must not wait for, or
    /// run inline because of, other callers' jobs.
    init() {
        let words = (5 + 2 * Self.maxParticipants) * Self.line
        let raw = UnsafeMutableRawPointer.allocate(byteCount: words * MemoryLayout<CLong>.stride, alignment: 64)
        counters = raw.bindMemory(to: CLong.self, capacity: words)
        counters.initialize(repeating: 0, count: words)
    }

    /// Runs `body(chunk, scratch)` for every chunk in `0..<chunks`, shared between `n`
    /// participants (the calling thread and n - 1 workers), and returns when all are done.
    /// Each participant has its own scratch, `prepared` false at its first chunk.
    func run(_ n: Int, chunks: Int, _ body: (_ chunk: Int, _ scratch: KernelScratch) -> Void) {
        _ = run(n, chunks: chunks, together: false, body)
    }

    /// Runs `body(i, scratch)` for every i in `0..<n` on n different threads at once (the caller
    /// runs 0), for work whose participants wait for each other (a `StepBarrier`). Returns false,
    /// having run nothing, when the pool is busy with another caller's job: the caller then does
    /// the work alone.
    func runTogether(_ n: Int, _ body: (_ participant: Int, _ scratch: KernelScratch) -> Void) -> Bool {
        precondition(n >= 1 && n <= Self.maxParticipants, "runTogether: \(n) participants")
        return run(n, chunks: n, together: true, body)
    }

    private func run(_ n: Int, chunks: Int, together: Bool, _ body: (_ chunk: Int, _ scratch: KernelScratch) -> Void) -> Bool {
        let n = max(1, min(n, chunks, Self.maxParticipants))
        guard recurrent_atomic_cas(busy, 0, 1) != 0 else {
            if together { return false }
            let scratch = KernelScratch()
            for c in 0..<chunks { body(c, scratch) }
            return true
        }
        defer { recurrent_atomic_store(busy, 0) }
        let own = scratches[0]
        own.prepared = false
        if n == 1 {
            for c in 0..<chunks { body(c, own) }
            return true
        }
        while workerCount < n - 1 { startWorker() }
        self.together = together
        withoutActuallyEscaping(body) { body in
            job = body
            for i in 0..<n {
                recurrent_atomic_store(next(i), i * chunks / n)
                recurrent_atomic_store(end(i), (i + 1) * chunks / n)
            }
            let serial = recurrent_atomic_load(generation) >> 8 + 1
            recurrent_atomic_store(generation, serial << 8 | CLong(n))
            if recurrent_atomic_load(sleepers) > 0 {
                wakeUp.lock()
                wakeUp.broadcast()
                wakeUp.unlock()
            }
            claimChunks(0, n, own)
            if together {
                // Every participant's one chunk must run, on its own thread: wait until each
                // worker has claimed its own.
                spinWait { (1..<n).allSatisfy { recurrent_atomic_load(next($0)) >= recurrent_atomic_load(end($0)) } }
            }
            // Close the job: workers that have not joined yet will not; wait for the others.
            recurrent_atomic_store(generation, (serial + 1) << 8)
            spinWait { recurrent_atomic_load(active) == 0 }
            job = nil
        }
        return true
    }

    /// Claims and runs chunks, home range first, then (unless the job is `together`) the others'
    /// in turn, until none is left.
    private func claimChunks(_ index: Int, _ n: Int, _ scratch: KernelScratch) {
        for h in 0..<(together ? 1 : n) {
            let home = (index + h) % n
            let limit = recurrent_atomic_load(end(home))
            while true {
                let c = recurrent_atomic_add(next(home), 1) - 1
                if c >= limit { break }
                job?(c, scratch)
                if index != 0 { recurrent_atomic_add(workerChunks, 1) }
            }
        }
    }

    /// Spins until `done()` (see `pauseOrYield`).
    private func spinWait(_ done: () -> Bool) {
        var spins = 0
        while !done() { pauseOrYield(&spins) }
    }

    private func startWorker() {
        workerCount += 1
        let index = workerCount
        scratches.append(KernelScratch())
        let scratch = scratches[index]
        let seen = recurrent_atomic_load(generation)
        // The worker keeps the pool alive: a pool, once it has workers, lives as long as the process.
        Thread { self.workerLoop(index, scratch, seen) }.start()
    }

    /// Joins the open job if it still is, runs chunks, leaves. Not inlined, so every reference
    /// it takes to the job is released before the worker leaves (`run` checks that nothing
    /// outlives `withoutActuallyEscaping`).
    @inline(never)
    private func join(_ index: Int, _ word: CLong, _ scratch: KernelScratch) {
        recurrent_atomic_add(active, 1)
        if recurrent_atomic_load(generation) == word {
            scratch.prepared = false
            claimChunks(index, Int(word & 255), scratch)
        }
        recurrent_atomic_add(active, -1)
    }

    private func workerLoop(_ index: Int, _ scratch: KernelScratch, _ initial: CLong) -> Never {
        // Ctrl-C and its kind go to the threads that run the program, never to a worker.
        TerminalSignals.blockOnThisThread()
        // The name `top -H` and `perf` show (set from the thread itself; the system takes at most 15 bytes).
        Thread.current.name = "recurrent-k\(index)"
        var seen = initial
        while true {
            var spins = 0
            var deadline: ContinuousClock.Instant?
            while recurrent_atomic_load(generation) == seen {
                // No `sched_yield` (see above): the sleep below wakes in microseconds.
                spins += 1
                recurrent_spin_pause()
                if spins & 255 != 0 { continue }
                let now = ContinuousClock.now
                if deadline == nil { deadline = now + .microseconds(KernelSettings.spinMicroseconds) }
                if now >= deadline! {
                    wakeUp.lock()
                    recurrent_atomic_add(sleepers, 1)
                    while recurrent_atomic_load(generation) == seen { wakeUp.wait() }
                    recurrent_atomic_add(sleepers, -1)
                    wakeUp.unlock()
                }
            }
            seen = recurrent_atomic_load(generation)
            if index < Int(seen & 255) { join(index, seen, scratch) }
        }
    }
}

/// A barrier for the participants of a `runTogether` job that meet after every step: each
/// participant announces the steps it has finished on its own cache line and waits for the
/// others' lines, so a meeting of two threads costs one cache-line transfer each way (about
/// 50 ns between two Zen 5 cores), against several for a pool job. Writes before
/// `arrive(_:step:)` are visible to every participant after it returns: the announcement is a
/// store-release, the wait a load-acquire. A sequentially consistent store would also be
/// correct, but on x86 it waits for every pending store to reach the other cores first (the
/// step's h, each line a round trip between cores), where release lets those transfers overlap
/// with the announcement's.
///
/// Invariant (why `@unchecked Sendable`): `lines` is allocated once, freed in `deinit`, and only
/// touched with atomics; participant p writes line p only.
final class StepBarrier: @unchecked Sendable {
    private let lines: UnsafeMutablePointer<CLong>
    let participants: Int

    init(participants: Int) {
        self.participants = participants
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, participants) * 64, alignment: 64)
        lines = raw.bindMemory(to: CLong.self, capacity: max(1, participants) * 8)
        lines.initialize(repeating: 0, count: max(1, participants) * 8)
    }

    deinit { lines.deallocate() }

    /// Participant p has finished step `step` (0, 1, 2, …, in order); returns once every
    /// participant has.
    func arrive(_ p: Int, step: Int) {
        recurrent_atomic_store_release(lines + 8 * p, CLong(step + 1))
        for q in 0..<participants where q != p {
            var spins = 0
            while recurrent_atomic_load_acquire(lines + 8 * q) <= CLong(step) { pauseOrYield(&spins) }
        }
    }
}

/// One turn of a wait for another thread: `pause`, and after a long wait (20,000 turns, a thread
/// that lost its core on an oversubscribed machine) `sched_yield`. Not sooner: beside a process
/// of lower priority a yield hands it the core until the next scheduler tick.
@inline(__always)
func pauseOrYield(_ spins: inout Int) {
    spins += 1
    if spins < 20_000 { recurrent_spin_pause() } else { sched_yield() }
}

/// Below this many elements (rows × elements per row) element-wise work stays on one thread:
/// a pool job costs about a microsecond, the time of some 4,000 gate activations.
let minParallelElements = 16 * 1024

/// Runs `body` over `0..<rows` in contiguous blocks, one per thread (up to `kernels.threads`)
/// when the work is large enough to pay for a pool job, else in one call. For element-wise
/// work (a cell's gates): the split changes no result.
func forEachRowBlock(_ rows: Int, elementsPerRow: Int, kernels: Kernels, _ body: (Range<Int>) -> Void) {
    let threads = min(kernels.threads, rows)
    guard threads > 1, rows * elementsPerRow >= minParallelElements else {
        body(0..<rows)
        return
    }
    kernels.pool.run(threads, chunks: threads) { chunk, _ in
        body((chunk * rows / threads)..<((chunk + 1) * rows / threads))
    }
}
