/// Reproducible randomness for data sources: every random choice a batch makes comes from a
/// generator seeded by mixing the run's seed with the indices that identify what is drawn
/// (a step and a sequence, a held-out sequence, an epoch), so batches are pure functions of
/// their indices and two different indices give independent streams.
enum TaskRandom {
    /// Domains keep the streams of different uses apart even when their indices coincide.
    enum Domain: UInt64 {
        /// A training sequence of a synthetic task: indices (step, sequence in the batch).
        case trainingSequence = 0x5452_4149_4E53_4551
        /// A held-out sequence of a synthetic task: index (sequence).
        case heldOutSequence = 0x4845_4C44_4F55_5453
        /// The order of an epoch of finite data: index (epoch).
        case epochOrder = 0x4550_4F43_484F_5244
        /// The window positions of a text's training batch: index (step).
        case textWindow = 0x5445_5854_5749_4E44
    }

    /// The SplitMix64 finaliser: a bijection on 64-bit values whose output bits each depend
    /// on every input bit.
    static func finalize(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A generator determined by the seed, the domain and the indices (each non-negative).
    static func generator(seed: UInt64, _ domain: Domain, _ indices: Int...) -> SeededGenerator {
        var state = finalize(seed ^ domain.rawValue)
        for index in indices {
            state = finalize(state ^ finalize(UInt64(truncatingIfNeeded: index)))
        }
        return SeededGenerator(seed: state)
    }
}

extension SeededGenerator {
    /// A uniform integer in `0..<bound` (`bound` > 0), without modulo bias (Lemire's
    /// multiply-and-reject). Implemented here rather than with `Int.random(in:using:)` so the
    /// values cannot change with the standard library's version.
    mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0, "below(\(bound)): bound must be positive")
        let range = UInt64(bound)
        var product = next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold {
                product = next().multipliedFullWidth(by: range)
            }
        }
        return Int(product.high)
    }

    /// A uniform integer in the closed range `low...high`.
    mutating func integer(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + below(range.upperBound - range.lowerBound + 1)
    }

    /// A fair coin: true with probability 1/2.
    mutating func coin() -> Bool { next() >> 63 == 1 }

    /// `0..<count` in a uniformly random order (Fisher–Yates).
    mutating func permutation(_ count: Int) -> [Int] {
        var order = Array(0..<count)
        var i = count - 1
        while i > 0 {
            order.swapAt(i, below(i + 1))
            i -= 1
        }
        return order
    }
}
