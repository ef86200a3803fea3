import Foundation
import Testing
@testable import Recurrent

/// The products and the pool with several threads: results bit-identical to one thread, and
/// proof that the other threads ran (each test has a pool of its own, so no other test's job
/// can make it run everything on the calling thread).
@Suite("Threaded kernels")
struct ThreadedKernelTests {
    /// `gemm` of a fixed product with `threads` threads of `pool`, `calls` times back to back
    /// (so the pool's workers are awake for all but the first), C starting from fixed values.
    static func products(m: Int, n: Int, k: Int, layout: KernelTests.ALayout, threads: Int, tile: GemmTile,
                         isa: InstructionSet = .best, pool: KernelThreadPool, calls: Int = 1) -> [[Float]] {
        let a = KernelTests.Operand<Float>(rows: m, cols: k, layout: layout, seed: 1)
        let bOperand = KernelTests.Operand<Float>(rows: k, cols: n, layout: .rowMajor, seed: 2)
        let k1 = kernels(isa, threads: threads, pool: pool)
        let b = PackedMatrix(bOperand.view, kernels: k1)
        var results: [[Float]] = []
        for _ in 0..<calls {
            var c = [Float](repeating: 0.25, count: m * n)
            c.withUnsafeMutableBufferPointer { cp in
                gemm(a.view, b, MutableMatrixView(cp.baseAddress!, rows: m, cols: n), accumulate: true, kernels: k1, tile: tile)
            }
            results.append(c)
        }
        withExtendedLifetime((a, bOperand)) {}
        return results
    }

    static func product(m: Int, n: Int, k: Int, layout: KernelTests.ALayout, threads: Int, tile: GemmTile,
                        pool: KernelThreadPool) -> [Float] {
        products(m: m, n: n, k: k, layout: layout, threads: threads, tile: tile, pool: pool)[0]
    }

    @Test("Bit-identical products with 1 to 4 threads (split over N and over M), either tile; the workers ran",
          arguments: [(64, 520, 40), (150, 100, 130), (1, 2048, 256), (1, 130, 300), (37, 2048, 600)])
    func threadCountDoesNotMatter(_ shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        for layout in [KernelTests.ALayout.rowMajor, .transposed] {
            for tile in GemmTile.allCases {
                let single = Self.product(m: m, n: n, k: k, layout: layout, threads: 1, tile: tile, pool: KernelThreadPool())
                for threads in 2...4 {
                    // Whether the plan shares this product at all (small ones stay on one thread).
                    let shared = m == 1 ? k * n >= GemmPlan.minRowWork
                        : GemmPlan(m: m, n: n, k: k, threads: threads, tile: tile).threads > 1
                    let pool = KernelThreadPool()
                    // Back-to-back calls until a worker has taken a chunk (one not yet scheduled
                    // leaves its chunks to the caller; with every core busy running other tests
                    // that can take a while), every result checked.
                    let deadline = ContinuousClock.now + .seconds(5)
                    repeat {
                        for product in Self.products(m: m, n: n, k: k, layout: layout, threads: threads, tile: tile,
                                                     pool: pool, calls: 10) {
                            #expect(KernelTests.mismatches(product, single) == [],
                                    "M=\(m) N=\(n) K=\(k) \(layout), \(threads) threads, \(tile) tile")
                        }
                    } while shared && pool.chunksRunByWorkers == 0 && ContinuousClock.now < deadline
                    #expect((pool.chunksRunByWorkers > 0) == shared, "M=\(m) N=\(n) K=\(k), \(threads) threads, shared: \(shared)")
                }
            }
        }
    }

    @Test("Four threads computing products at once on one pool get bit-identical results, and the pool's workers take part")
    func concurrentCallers() {
        let pool = KernelThreadPool()
        let expected = Self.product(m: 150, n: 100, k: 130, layout: .rowMajor, threads: 1, tile: .narrow, pool: pool)
        let before = pool.chunksRunByWorkers
        /// Four callers' products, and a gate they all pass before computing: none starts
        /// before every caller is running, so they run at the same time.
        final class Callers: @unchecked Sendable {
            let condition = NSCondition()
            var arrived = 0, finished = 0
            var products = [[[Float]]](repeating: [], count: 4)
            func arriveAndWait() {
                condition.withLock {
                    arrived += 1
                    condition.broadcast()
                    while arrived < 4 { condition.wait() }
                }
            }
        }
        // Rounds until a worker has taken a chunk (see threadCountDoesNotMatter), every result checked.
        let deadline = ContinuousClock.now + .seconds(10)
        repeat {
            let callers = Callers()
            for i in 0..<4 {
                Thread {
                    callers.arriveAndWait()
                    let products = (0..<2).map { j in
                        Self.product(m: 150, n: 100, k: 130, layout: .rowMajor, threads: 2 + (i + j) % 2,
                                     tile: GemmTile.allCases[(i + j) % 2], pool: pool)
                    }
                    callers.condition.withLock {
                        callers.products[i] = products
                        callers.finished += 1
                        callers.condition.broadcast()
                    }
                }.start()
            }
            callers.condition.withLock { while callers.finished < 4 { callers.condition.wait() } }
            for i in 0..<4 {
                #expect(callers.products[i].count == 2 && callers.products[i].allSatisfy { KernelTests.mismatches($0, expected) == [] },
                        "caller \(i)")
            }
        } while pool.chunksRunByWorkers == before && ContinuousClock.now < deadline
        #expect(pool.chunksRunByWorkers > before, "no caller's product was shared with the pool's threads")
    }

    @Test("The thread pool runs every chunk exactly once, for any participant count")
    func poolRunsEveryChunkOnce() {
        let pool = KernelThreadPool()
        for (participants, chunks) in [(1, 5), (2, 1), (2, 2), (2, 37), (3, 10), (4, 64)] {
            let counts = UnsafeMutablePointer<Int>.allocate(capacity: chunks)
            defer { counts.deallocate() }
            for _ in 0..<20 {
                counts.initialize(repeating: 0, count: chunks)
                pool.run(participants, chunks: chunks) { chunk, _ in
                    counts[chunk] += 1  // each chunk is claimed once: no race
                }
                #expect((0..<chunks).allSatisfy { counts[$0] == 1 }, "\(participants) participants, \(chunks) chunks")
            }
        }
    }

    @Test("runTogether runs every participant on a thread of its own, at the same time")
    func runTogetherUsesDistinctThreads() {
        let pool = KernelThreadPool()
        for participants in [2, 3] {
            final class Seen: @unchecked Sendable {
                let lock = NSLock()
                var threads: Set<ObjectIdentifier> = []
            }
            let seen = Seen()
            let before = pool.chunksRunByWorkers
            let barrier = StepBarrier(participants: participants)
            let ran = pool.runTogether(participants) { p, _ in
                seen.lock.withLock { _ = seen.threads.insert(ObjectIdentifier(Thread.current)) }
                // Everyone must arrive before anyone leaves: they ran at the same time.
                barrier.arrive(p, step: 0)
            }
            #expect(ran)
            #expect(seen.threads.count == participants)
            #expect(pool.chunksRunByWorkers - before == participants - 1)
        }
    }

    @Test("Threads are a setting: the process setting is clamped to 1...the cores, 0 becomes 1, and the task override wins")
    func threadSettings() {
        let saved = KernelSettings.threadCount
        defer { KernelSettings.threadCount = saved }
        KernelSettings.threadCount = 10_000
        #expect(KernelSettings.threadCount == KernelSettings.maximumThreadCount)
        KernelSettings.threadCount = 0
        #expect(KernelSettings.threadCount == 1 && Kernels.current.threads == 1)
        KernelSettings.withThreadCount(3) { #expect(Kernels.current.threads == 3) }
        #expect(Kernels.current.threads == 1)
        KernelSettings.withThreadCount(0) { #expect(Kernels.current.threads == 1) }
        KernelSettings.threadCount = saved
        KernelSettings.withThreadCount(1) { #expect(Kernels.current.threads == 1) }
        #expect(Kernels.current.threads == saved)
    }
}
