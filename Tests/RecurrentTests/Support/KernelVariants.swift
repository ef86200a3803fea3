@testable import Recurrent

/// The kernels of `isa` with `threads` threads of `pool`, for tests that run every variant
/// this CPU supports side by side.
func kernels(_ isa: InstructionSet, threads: Int = 1, pool: KernelThreadPool = .shared) -> Kernels {
    Kernels(instructionSet: isa, tables: KernelTables.forSupported(isa), threads: threads, pool: pool)
}

/// Runs `body` with the process's kernels replaced, for this task only, by `isa`'s, on
/// `threads` threads of `pool`: everything the library computes inside goes through them.
func withKernels<R>(_ isa: InstructionSet, threads: Int = 1, pool: KernelThreadPool? = nil, _ body: () throws -> R) rethrows -> R {
    try Kernels.$override.withValue(Kernels.Override(instructionSet: isa, threads: threads, pool: pool), operation: body)
}

extension InstructionSet {
    /// Whether the variant fuses multiply-adds (every one but the x86-64 baseline).
    var fusesMultiplyAdd: Bool { self != .baseline }
}

/// Runs `body` again until one of `pool`'s workers has taken a chunk, or `seconds` have passed:
/// a worker the OS has not scheduled yet leaves its chunks to the caller, and on a busy machine
/// that can happen to a whole pass. `body` checks every result; the caller then expects
/// `pool.chunksRunByWorkers > 0`.
func repeatUntilAWorkerRan(_ pool: KernelThreadPool, seconds: Int = 5, _ body: () throws -> Void) rethrows {
    let deadline = ContinuousClock.now + .seconds(seconds)
    repeat { try body() } while pool.chunksRunByWorkers == 0 && ContinuousClock.now < deadline
}
