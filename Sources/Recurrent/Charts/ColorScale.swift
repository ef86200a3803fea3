import Foundation

/// How values are mapped to fill colours in heatmaps and shaded text.
public enum ColorScale: Sendable, Equatable {
    /// Symmetric blue–white–red map for signed values in `-limit...limit`.
    /// When `limit` is `nil` (or not a positive finite number) it is the largest
    /// finite `|v|` of the data, or 1 when there is none.
    case diverging(limit: Double? = nil)
    /// Viridis map from `lo` (dark) to `hi` (yellow). A `nil` bound is taken from
    /// the finite minimum / maximum of the data.
    case sequential(lo: Double? = nil, hi: Double? = nil)

    /// Fixes the scale's bounds against `values`, giving a concrete value → colour map.
    public func resolved(for values: [Double]) -> ResolvedColorScale {
        let finite = values.filter(\.isFinite)
        switch self {
        case .diverging(let limit):
            var bound = limit ?? 0
            if !(bound.isFinite && bound > 0) {
                bound = finite.map(abs).max() ?? 0
            }
            if !(bound.isFinite && bound > 0) { bound = 1 }
            return ResolvedColorScale(isDiverging: true, lo: -bound, hi: bound)
        case .sequential(let lo, let hi):
            var low = lo.flatMap { $0.isFinite ? $0 : nil } ?? finite.min() ?? 0
            var high = hi.flatMap { $0.isFinite ? $0 : nil } ?? finite.max() ?? 1
            if low > high { swap(&low, &high) }
            if low == high { high = low + 1 }
            return ResolvedColorScale(isDiverging: false, lo: low, hi: high)
        }
    }
}

/// A colour scale with fixed numeric bounds: maps any value to an `#RRGGBB` fill.
public struct ResolvedColorScale: Sendable, Equatable {
    /// `true` for the blue–white–red map, `false` for viridis.
    public let isDiverging: Bool
    /// Value drawn with the first colour of the map.
    public let lo: Double
    /// Value drawn with the last colour of the map.
    public let hi: Double

    /// Creates a scale from explicit bounds (`lo < hi` expected; equal bounds are widened).
    public init(isDiverging: Bool, lo: Double, hi: Double) {
        self.isDiverging = isDiverging
        self.lo = lo
        self.hi = hi > lo ? hi : lo + 1
    }

    /// The fill for `value`; values beyond the bounds are clamped, and non-finite
    /// values get `ChartPalette.missing`.
    public func color(for value: Double) -> String {
        guard value.isFinite else { return ChartPalette.missing }
        let t = (value - lo) / (hi - lo)
        return isDiverging ? ChartPalette.diverging(t * 2 - 1) : ChartPalette.viridis(t)
    }

    /// The value at fraction `t` (0...1) of the way from `lo` to `hi`.
    public func value(at t: Double) -> Double {
        lo + (hi - lo) * t
    }

    /// Ticks for a legend bar: the nice linear ticks that fall within `lo...hi`.
    public func legendTicks() -> [Tick] {
        let span = hi - lo
        let ticks = Axis.ticks(from: lo, to: hi, scale: .linear).ticks
        let inside = ticks.filter { $0.value >= lo - span * 1e-9 && $0.value <= hi + span * 1e-9 }
        if inside.count >= 2 { return inside }
        return [Tick(value: lo, label: ChartFormat.compact(lo)),
                Tick(value: hi, label: ChartFormat.compact(hi))]
    }
}
