import CRecurrentKernels
import Foundation

/// What one operation computes with: the kernel tables of one instruction set, a thread count
/// and a thread pool. Read once where an operation starts (`Kernels.current`) and passed down,
/// so the worker threads of that operation use the same kernels and plans even while another
/// thread changes the settings.
struct Kernels: @unchecked Sendable {
    // Invariant (why `@unchecked Sendable`): the tables are constant C data for the whole process; the pool is thread-safe.
    let instructionSet: InstructionSet
    let tables: KernelTables
    /// Threads one product or time loop may use (the caller's included), at least 1.
    let threads: Int
    let pool: KernelThreadPool
    /// How participants that meet after every step share out work (`RowBlockSplit`).
    var balancing: RowBlockSplit.Policy = .measured

    /// Overrides of the process-wide settings for the current task (tests, comparisons).
    struct Override: Sendable {
        var instructionSet: InstructionSet?
        var threads: Int?
        var pool: KernelThreadPool?
        var balancing: RowBlockSplit.Policy?
    }

    @TaskLocal static var override: Override?

    /// The settings in force for the calling task: its override, else `KernelSettings`.
    static var current: Kernels {
        let o = override
        let isa = o?.instructionSet ?? KernelSettings.instructionSet
        return Kernels(instructionSet: isa, tables: KernelTables.forSupported(isa),
                       threads: max(1, o?.threads ?? KernelSettings.threadCount), pool: o?.pool ?? .shared,
                       balancing: o?.balancing ?? .measured)
    }

    /// The same kernels on the calling thread alone (work already shared out between threads).
    var singleThreaded: Kernels {
        Kernels(instructionSet: instructionSet, tables: tables, threads: 1, pool: pool, balancing: balancing)
    }

    /// The table for elements of type `S` (`Float` or `Double`, the only `RecurrentScalar`s).
    @inline(__always)
    func table<S>(_: S.Type) -> UnsafePointer<rk_kernels> {
        MemoryLayout<S>.size == MemoryLayout<Double>.size ? tables.f64 : tables.f32
    }

    /// The register tile the packed product uses for `S`.
    @inline(__always)
    func tile<S>(for _: S.Type) -> GemmTile {
        table(S.self).pointee.wide_tile != 0 ? .wide : .narrow
    }
}

extension KernelTables {
    /// The tables of an instruction set the settings accepted (so supported).
    static func forSupported(_ isa: InstructionSet) -> KernelTables {
        if let tables = all[isa] { return tables }
        // `KernelSettings` only ever holds a supported instruction set, and the best one this
        // CPU runs always has tables; input cannot reach this.
        guard let best = all[InstructionSet.best] else { preconditionFailure("no kernel tables for \(InstructionSet.best)") }
        return best
    }
}

/// Global settings of the CPU kernels.
public enum KernelSettings {
    /// The number of threads one matrix product or time loop may use (the caller's thread
    /// included); 1 disables threading. Defaults to the number of active processors. Results
    /// never depend on it: every element of a product is summed in the same order whatever the
    /// split, and element-wise work is split by rows. Set, it is clamped to
    /// 1...`maximumThreadCount` (a command line refuses a count outside it instead).
    public static var threadCount: Int {
        get { recurrent_atomic_load(storage.threadCount) }
        set { recurrent_atomic_store(storage.threadCount, max(1, min(newValue, maximumThreadCount))) }
    }

    /// The most threads `threadCount` takes: the cores this process may use, at most 64. More
    /// threads than cores would not be faster, and the step barriers of batch-1 work, where
    /// threads wait for each other every step, would wait for a descheduled thread each time.
    /// (Foundation's `activeProcessorCount` counts every online processor on Linux, ignoring
    /// `taskset` and a container's cpuset: `rk_usable_cpu_count` reads the affinity mask.)
    public static let maximumThreadCount = max(1, min(64, Int(rk_usable_cpu_count())))

    /// How long, in microseconds, an idle worker thread spins waiting for the next product
    /// before it sleeps (waking a sleeping worker costs a few microseconds).
    public static var spinMicroseconds: Int {
        get { recurrent_atomic_load(storage.spinMicroseconds) }
        set { recurrent_atomic_store(storage.spinMicroseconds, max(0, newValue)) }
    }

    /// The instruction set the kernels use: `RECURRENT_ISA` when it names one this CPU runs,
    /// else the best this CPU runs (`InstructionSet.best`).
    public static var instructionSet: InstructionSet {
        InstructionSet.allCases[recurrent_atomic_load(storage.instructionSet)]
    }

    /// Makes every later operation of the process use `isa`.
    /// - Throws: `RecurrentError` when this CPU cannot run it.
    public static func setInstructionSet(_ isa: InstructionSet) throws {
        try isa.requireSupported(source: "instruction set")
        recurrent_atomic_store(storage.instructionSet, InstructionSet.allCases.firstIndex(of: isa) ?? 0)
    }

    /// Runs `body` with the kernels of `isa` on the calling task only (other threads keep theirs).
    /// - Throws: `RecurrentError` when this CPU cannot run it, or what `body` throws.
    public static func withInstructionSet<R>(_ isa: InstructionSet, _ body: () throws -> R) throws -> R {
        try isa.requireSupported(source: "instruction set")
        var o = Kernels.override ?? Kernels.Override()
        o.instructionSet = isa
        return try Kernels.$override.withValue(o, operation: body)
    }

    /// Runs `body` with `threads` threads (at least 1) on the calling task only.
    public static func withThreadCount<R>(_ threads: Int, _ body: () throws -> R) rethrows -> R {
        var o = Kernels.override ?? Kernels.Override()
        o.threads = max(1, min(threads, KernelThreadPool.maxParticipants))
        return try Kernels.$override.withValue(o, operation: body)
    }

    private static let storage = SettingsStorage()

    /// Invariant: each pointer is allocated once, never freed, and only read and written with
    /// the C atomics, so the class can be shared between threads.
    private final class SettingsStorage: @unchecked Sendable {
        let threadCount = UnsafeMutablePointer<CLong>.allocate(capacity: 1)
        let spinMicroseconds = UnsafeMutablePointer<CLong>.allocate(capacity: 1)
        /// Index into `InstructionSet.allCases`.
        let instructionSet = UnsafeMutablePointer<CLong>.allocate(capacity: 1)

        init() {
            threadCount.initialize(to: KernelSettings.maximumThreadCount)
            spinMicroseconds.initialize(to: 200)
            var isa = InstructionSet.best
            do {
                if let chosen = try InstructionSet.fromEnvironment() { isa = chosen }
            } catch {
                // A library cannot exit: say so once, on standard error, and use the best.
                // The throwing write: the other traps when standard error cannot be written.
                _ = try? FileHandle.standardError.write(contentsOf: Data("recurrent: \(error); using \(isa.rawValue)\n".utf8))
            }
            instructionSet.initialize(to: InstructionSet.allCases.firstIndex(of: isa) ?? 0)
        }
    }
}
