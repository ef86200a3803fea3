import Foundation

/// The one place that decides whether something fits in this machine's memory: a network's
/// parameters, a batch's activations, a generation. Sizes come from files and options, so
/// they are counted with overflow checks, and what cannot fit is refused before anything is
/// allocated, with how much it needs and how much there is (an allocation that fails would
/// end the process instead).
public enum MemoryBudget {
    /// The machine's physical memory in bytes.
    public static var physicalBytes: Int { Int(clamping: ProcessInfo.processInfo.physicalMemory) }

    /// The process's limit on its address space or data (`ulimit -v`, `ulimit -d`), when one is
    /// set below the physical memory: allocations past it fail as surely.
    public static var processLimitBytes: Int? {
        #if os(Linux)
        let resources = [__rlimit_resource_t(RLIMIT_AS.rawValue), __rlimit_resource_t(RLIMIT_DATA.rawValue)]
        #else
        let resources = [RLIMIT_AS, RLIMIT_DATA]
        #endif
        let limits = resources.compactMap { resource -> Int? in
            var limit = rlimit()
            guard getrlimit(resource, &limit) == 0 else { return nil }  // no limit: the largest value, above the memory
            return Int(clamping: limit.rlim_cur)
        }
        return limits.min().flatMap { $0 < physicalBytes ? $0 : nil }
    }

    /// The product of `factors`, or nil when it overflows or a factor is negative or nil (a
    /// count that itself overflowed), so products and sums of products nest without unwrapping.
    public static func product(_ factors: [Int?]) -> Int? {
        var total = 1
        for f in factors {
            guard let f, f >= 0 else { return nil }
            let (value, overflow) = total.multipliedReportingOverflow(by: f)
            if overflow { return nil }
            total = value
        }
        return total
    }

    /// The sum of `terms`, or nil when it overflows or a term is nil.
    public static func sum(_ terms: [Int?]) -> Int? {
        var total = 0
        for t in terms {
            guard let t else { return nil }
            let (value, overflow) = total.addingReportingOverflow(t)
            if overflow { return nil }
            total = value
        }
        return total
    }

    /// The bytes of address space this process holds now (its code, libraries, thread stacks
    /// and heap: what a `ulimit -v` counts), or 0 where the system does not say.
    static var addressSpaceInUse: Int {
        #if os(Linux)
        // /proc/self/statm: the first field is the total program size in pages.
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
              let pages = text.split(separator: " ").first.flatMap({ Int($0) }) else { return 0 }
        return pages &* Int(sysconf(Int32(_SC_PAGESIZE)))
        #else
        return 0
        #endif
    }

    /// Throws unless `bytes` (nil: too many to count) fits in the machine's memory, and under
    /// the process's limit when one is set, less what the process already holds.
    /// - Parameter what: what needs it, for the message ("the parameters of LSTM(…)").
    public static func require(_ bytes: Int?, for what: String) throws {
        let limit = processLimitBytes.map { max(0, $0 - addressSpaceInUse) }, have = limit ?? physicalBytes
        guard let bytes, bytes <= have else {
            throw RecurrentError.value("\(what) would need \(bytes.map(describe) ?? "more than \(describe(Int.max))") "
                + "of memory; " + (limit == nil ? "this machine has \(describe(have))" : "this process may use \(describe(have)) more (its ulimit)"))
        }
    }

    /// `require` against the machine's memory only, for checks made at every step or token:
    /// nothing read from /proc and no message built unless it refuses. (Against a ulimit the
    /// estimates would count buffers a run already holds; those are checked when it starts.)
    public static func requireWithinMachine(_ bytes: Int?, for what: @autoclosure () -> String) throws {
        if bytes.map({ $0 > physicalBytes }) ?? true { try require(bytes, for: what()) }
    }

    /// `bytes` in the largest unit that keeps it at least 1 (KB, MB, GB, TB; powers of 1024).
    public static func describe(_ bytes: Int) -> String {
        let units = ["bytes", "KB", "MB", "GB", "TB", "PB", "EB"]
        var value = Double(bytes), unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) bytes" : String(format: "%.1f %@", value, units[unit])
    }
}
