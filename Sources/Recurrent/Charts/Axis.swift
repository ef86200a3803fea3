import Foundation

/// How an axis maps data values to positions.
public enum AxisScale: Sendable, Equatable {
    /// Evenly spaced values.
    case linear
    /// Evenly spaced powers of ten; values `<= 0` cannot be shown and are skipped.
    case log10
}

/// One labelled tick on an axis.
public struct Tick: Sendable, Equatable, CustomStringConvertible {
    /// Position of the tick in data units.
    public let value: Double
    /// Text written next to the tick.
    public let label: String

    /// Creates a tick at `value` labelled `label`.
    public init(value: Double, label: String) {
        self.value = value
        self.label = label
    }

    /// `label@value`, handy in test failure messages.
    public var description: String { "\(label)@\(value)" }
}

/// The limits of an axis and its ticks, as chosen by `Axis.ticks(from:to:scale:)`.
public struct AxisTicks: Sendable, Equatable {
    /// Lower end of the axis (the first tick for linear axes, a power of ten for log axes).
    public let lo: Double
    /// Upper end of the axis.
    public let hi: Double
    /// The ticks, in increasing order, all within `lo...hi`.
    public let ticks: [Tick]
}

/// Nice tick selection for linear and logarithmic axes.
public enum Axis {
    /// The ticks and axis limits covering `lo...hi` on `scale`.
    ///
    /// Linear axes step by 1, 2 or 5 × 10^k, choosing the step that gives closest to
    /// six ticks (e.g. `0...1` → 0, 0.2, …, 1; `0...7` → 0, 2, 4, 6, 8); the limits are
    /// the outermost ticks. Log axes tick at powers of ten (every k-th power when the range
    /// spans more than ten decades, and also at 2 and 5 × 10^k when it spans at most two).
    /// Reversed bounds are swapped, a zero-width range is widened, and non-finite bounds
    /// (or, on a log axis, bounds `<= 0`) fall back to `0...1` (log: `1...10`).
    public static func ticks(from lo: Double, to hi: Double, scale: AxisScale) -> AxisTicks {
        switch scale {
        case .linear: return linearTicks(lo, hi)
        case .log10: return logTicks(lo, hi)
        }
    }

    /// The label `Axis` writes for a tick at `value` on a linear axis stepping by `step`.
    public static func linearLabel(_ value: Double, step: Double) -> String {
        if value == 0 || (step.isFinite && abs(value) < step * 1e-9) { return "0" }
        if !(step >= 1e-4 && step.isFinite) || abs(value) >= 1e6 {  // (NaN and infinity too: no decimals to count)
            return ChartFormat.compact(value, significantDigits: 6)
        }
        let decimals = max(0, -Int(floor(log10(step) + 1e-9)))
        return ChartFormat.trimZeros(ChartFormat.fixed(value, decimals: decimals))
    }

    /// The label `Axis` writes for the power of ten `10^exponent`:
    /// plain for exponents -3...3 (`0.001`, `1`, `1000`), otherwise `1e-26`, `1e6`.
    public static func logLabel(exponent: Int) -> String {
        if (-3...3).contains(exponent) {
            return ChartFormat.compact(pow(10, Double(exponent)))
        }
        return "1e" + String(exponent)
    }

    // MARK: - Linear

    static func linearTicks(_ a: Double, _ b: Double) -> AxisTicks {
        var (lo, hi) = a.isFinite && b.isFinite ? (min(a, b), max(a, b)) : (0, 1)
        if hi - lo <= abs(hi) * 1e-12 || hi == lo {
            let pad = lo == 0 ? 1 : abs(lo) * 0.1
            lo -= pad
            hi += pad
        }
        let step = niceStep(lo, hi)
        let first = (lo / step + 1e-9).rounded(.down)
        let last = (hi / step - 1e-9).rounded(.up)
        guard step > 0, step.isFinite, (last - first).isFinite, last - first < 1000 else {
            return AxisTicks(lo: lo, hi: hi, ticks: [Tick(value: lo, label: ChartFormat.compact(lo)),
                                                     Tick(value: hi, label: ChartFormat.compact(hi))])
        }
        let count = Int(last - first) + 1
        let ticks = (0..<max(count, 1)).map { i -> Tick in
            let value = (first + Double(i)) * step
            return Tick(value: value == 0 ? 0 : value, label: linearLabel(value, step: step))
        }
        let low = ticks.first?.value ?? lo
        let high = ticks.last?.value ?? hi
        return AxisTicks(lo: low, hi: high, ticks: ticks)
    }

    /// The 1/2/5 × 10^k step giving closest to six ticks over `lo...hi` (larger step on ties).
    static func niceStep(_ lo: Double, _ hi: Double) -> Double {
        let range = hi - lo
        guard range.isFinite, range > 0 else { return 0 }
        let base = floor(log10(range))
        var best = pow(10, base)
        var bestScore = Int.max
        for exponent in stride(from: base + 1, through: base - 2, by: -1) {
            for multiplier in [5.0, 2.0, 1.0] {
                let step = multiplier * pow(10, exponent)
                let first = (lo / step + 1e-9).rounded(.down)
                let last = (hi / step - 1e-9).rounded(.up)
                guard step > 0, (last - first).isFinite, last - first < 1e6 else { continue }
                let count = Int(last - first) + 1
                let score = abs(count - 6)
                if score < bestScore {
                    bestScore = score
                    best = step
                }
            }
        }
        return best
    }

    // MARK: - Log

    static func logTicks(_ a: Double, _ b: Double) -> AxisTicks {
        let valid = a.isFinite && b.isFinite && a > 0 && b > 0
        let (lo, hi) = valid ? (min(a, b), max(a, b)) : (1, 10)
        var expLo = max(Int(floor(log10(lo) + 1e-9)), -307)
        var expHi = min(Int(ceil(log10(hi) - 1e-9)), 308)
        if expHi <= expLo { expHi = expLo + 1 }
        if expHi > 308 { (expLo, expHi) = (307, 308) }
        let decades = expHi - expLo
        if decades <= 2 { return denseLogTicks(expLo, expHi) }
        let stride = Int((Double(decades) / 10).rounded(.up))
        // Rounded out to the stride, but within 10^-307...10^308: 10^310 is infinite.
        let start = max(Int(floor(Double(expLo) / Double(stride))) * stride, -307)
        let end = min(Int(ceil(Double(expHi) / Double(stride))) * stride, 308)
        let ticks = Swift.stride(from: start, through: end, by: stride).map {
            Tick(value: pow(10, Double($0)), label: logLabel(exponent: $0))
        }
        return AxisTicks(lo: pow(10, Double(start)), hi: pow(10, Double(end)), ticks: ticks)
    }

    static func denseLogTicks(_ expLo: Int, _ expHi: Int) -> AxisTicks {
        var ticks: [Tick] = []
        for exponent in expLo...expHi {
            let power = pow(10, Double(exponent))
            ticks.append(Tick(value: power, label: logLabel(exponent: exponent)))
            guard exponent < expHi else { break }
            for multiplier in [2.0, 5.0] {
                let value = multiplier * power
                let label = (-3...5).contains(exponent)
                    ? ChartFormat.compact(value)
                    : ChartFormat.trimZeros(ChartFormat.fixed(multiplier, decimals: 0)) + "e" + String(exponent)
                ticks.append(Tick(value: value, label: label))
            }
        }
        return AxisTicks(lo: pow(10, Double(expLo)), hi: pow(10, Double(expHi)), ticks: ticks)
    }
}

/// Maps data values on one axis to pixel positions.
struct AxisMapping: Sendable {
    let ticks: AxisTicks
    let scale: AxisScale
    /// Pixel position of `ticks.lo`.
    let start: Double
    /// Pixel position of `ticks.hi`.
    let end: Double

    /// The pixel position of `value`, or `nil` when it cannot be drawn
    /// (non-finite, or `<= 0` on a log axis).
    func position(_ value: Double) -> Double? {
        guard value.isFinite else { return nil }
        let fraction: Double
        switch scale {
        case .linear:
            // Halved first: the span of ±1.7e308 overflows, and every point would land on the bottom line.
            fraction = (value / 2 - ticks.lo / 2) / (ticks.hi / 2 - ticks.lo / 2)
        case .log10:
            guard value > 0 else { return nil }
            let low = Foundation.log10(ticks.lo)
            fraction = (Foundation.log10(value) - low) / (Foundation.log10(ticks.hi) - low)
        }
        return start + (end - start) * fraction
    }

    /// Whether `value` can be placed on this axis.
    func accepts(_ value: Double) -> Bool {
        value.isFinite && (scale == .linear || value > 0)
    }
}
