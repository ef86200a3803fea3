import Foundation

/// The one place that decides whether something fits in this machine's memory: a network's
/// parameters, a batch's activations, a generation. Sizes come from files and options, so
/// they are counted with overflow checks, and what cannot fit is refused before anything is
/// allocated, with how much it needs and how much there is (an allocation that fails would
/// end the process instead).
public enum MemoryBudget {
    /// The machine's physical memory in bytes.
    public static var physicalBytes: Int { Int(clamping: ProcessInfo.processInfo.physicalMemory) }

    /// The product of `factors`, or nil when it overflows or a factor is negative.
    public static func product(_ factors: [Int]) -> Int? {
        var total = 1
        for f in factors {
            guard f >= 0 else { return nil }
            let (value, overflow) = total.multipliedReportingOverflow(by: f)
            if overflow { return nil }
            total = value
        }
        return total
    }

    /// The sum of `terms`, or nil when it overflows.
    public static func sum(_ terms: [Int]) -> Int? {
        var total = 0
        for t in terms {
            let (value, overflow) = total.addingReportingOverflow(t)
            if overflow { return nil }
            total = value
        }
        return total
    }

    /// Throws unless `bytes` (nil: too many to count) fits in the machine's memory.
    /// - Parameter what: what needs it, for the message ("the parameters of LSTM(…)").
    public static func require(_ bytes: Int?, for what: String) throws {
        let have = physicalBytes
        guard let bytes, bytes <= have else {
            throw RecurrentError.value("\(what) would need \(bytes.map(describe) ?? "more than \(describe(Int.max))") "
                + "of memory; this machine has \(describe(have))")
        }
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
