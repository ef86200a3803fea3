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
