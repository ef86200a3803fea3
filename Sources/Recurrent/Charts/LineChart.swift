import Foundation

/// A line chart of one or more series, rendered as a standalone SVG document.
///
/// ```swift
/// let chart = LineChart(title: "Training loss", subtitle: "LSTM 2×64",
///                       xLabel: "step", yLabel: "loss (nats)", yScale: .log10,
///                       series: [.init(name: "raw", points: raw, style: .faint),
///                                .init(name: "smoothed", points: smooth)],
///                       referenceLines: [.init(value: 0.01, label: "criterion 0.01")])
/// try chart.svg().write(toFile: "loss.svg", atomically: true, encoding: .utf8)
/// ```
///
/// Points whose coordinates are not finite (or not positive on a log axis) are skipped.
/// Series with more than `LineChart.downsampleThreshold` drawable points are reduced
/// to the minimum and maximum per pixel column. The plot group carries
/// `data-x-range` / `data-y-range` and each series group `data-series` / `data-points`.
public struct LineChart: Sendable {
    /// How a series' line is drawn.
    public enum Style: Sendable, Equatable {
        /// Full-opacity line.
        case solid
        /// Thin, low-opacity line, e.g. raw values behind a smoothed series.
        case faint
        /// Dashed line.
        case dashed
    }

    /// One named line.
    public struct Series: Sendable {
        /// Name shown in the legend and in the `data-series` attribute.
        public var name: String
        /// The data points, in drawing order.
        public var points: [(x: Double, y: Double)]
        /// Line style.
        public var style: Style
        /// Explicit stroke colour (e.g. `#0072B2`); `nil` takes the next Okabe–Ito colour.
        public var color: String?

        /// Creates a series from `(x, y)` points.
        public init(name: String, points: [(x: Double, y: Double)],
                    style: Style = .solid, color: String? = nil) {
            self.name = name
            self.points = points
            self.style = style
            self.color = color
        }

        /// Creates a series whose x values are the indices `0, 1, 2, …` of `values`.
        public init(name: String, values: [Double], style: Style = .solid, color: String? = nil) {
            self.init(name: name, points: values.enumerated().map { (x: Double($0.offset), y: $0.element) },
                      style: style, color: color)
        }
    }

    /// A labelled horizontal line across the plot, e.g. a stopping criterion.
    public struct ReferenceLine: Sendable, Equatable {
        /// The y value of the line.
        public var value: Double
        /// Text written above the right end of the line.
        public var label: String

        /// Creates a reference line at `value` labelled `label`.
        public init(value: Double, label: String) {
            self.value = value
            self.label = label
        }
    }

    /// Series with more drawable points than this are downsampled.
    public static let downsampleThreshold = 2000

    /// Main title, also used as the SVG `<title>`.
    public var title: String
    /// Optional second line under the title, e.g. the model's name.
    public var subtitle: String?
    /// Label under the x axis.
    public var xLabel: String
    /// Label beside the y axis (include units).
    public var yLabel: String
    /// Scale of the x axis.
    public var xScale: AxisScale
    /// Scale of the y axis.
    public var yScale: AxisScale
    /// The lines to draw, in drawing order (later series on top).
    public var series: [Series]
    /// Horizontal reference lines.
    public var referenceLines: [ReferenceLine]
    /// Width of the SVG in pixels, kept in 200...10000 (720 for a value that is not finite).
    public var width: Double { didSet { width = Self.clamped(width, 200...10_000, otherwise: 720) } }
    /// Height of the SVG in pixels, kept in 150...10000 (420 for a value that is not finite).
    public var height: Double { didSet { height = Self.clamped(height, 150...10_000, otherwise: 420) } }

    /// `value` within `range`, or `otherwise` when it is not finite.
    static func clamped(_ value: Double, _ range: ClosedRange<Double>, otherwise: Double) -> Double {
        value.isFinite ? min(max(value, range.lowerBound), range.upperBound) : otherwise
    }

    /// Creates a line chart; sizes default to 720 × 420 pixels.
    public init(title: String, subtitle: String? = nil, xLabel: String = "", yLabel: String = "",
                xScale: AxisScale = .linear, yScale: AxisScale = .linear,
                series: [Series] = [], referenceLines: [ReferenceLine] = [],
                width: Double = 720, height: Double = 420) {
        self.title = title
        self.subtitle = subtitle
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.xScale = xScale
        self.yScale = yScale
        self.series = series
        self.referenceLines = referenceLines
        self.width = Self.clamped(width, 200...10_000, otherwise: 720)
        self.height = Self.clamped(height, 150...10_000, otherwise: 420)
    }

    /// Reduces `points` to at most two per column: the lowest and highest y in each of
    /// `columns` equal slices of the x range (log-spaced when `xScale` is `.log10`).
    ///
    /// Points that cannot be drawn (non-finite, or x `<= 0` on a log scale) are dropped
    /// first; when what remains has at most `2 × columns` points it is returned unchanged.
    /// Points keep their original order (the first of equal extremes wins), so the
    /// global minimum and maximum always survive.
    public static func downsample(_ points: [(x: Double, y: Double)], columns: Int,
                                  xScale: AxisScale = .linear) -> [(x: Double, y: Double)] {
        let valid = points.filter { $0.x.isFinite && $0.y.isFinite && (xScale == .linear || $0.x > 0) }
        let columns = max(columns, 1)
        guard valid.count / 2 >= columns, valid.count > 2 * columns else { return valid }  // (2 · columns may overflow)
        let keys = valid.map { xScale == .log10 ? Foundation.log10($0.x) : $0.x }
        let lo = keys.min() ?? 0, hi = keys.max() ?? 0
        let span = hi > lo ? hi - lo : 1
        var lowest = [Int](repeating: -1, count: columns)
        var highest = [Int](repeating: -1, count: columns)
        for (index, key) in keys.enumerated() {
            let fraction = (key - lo) / span
            let column = fraction.isFinite ? min(max(Int(fraction * Double(columns)), 0), columns - 1) : 0
            if lowest[column] < 0 || valid[index].y < valid[lowest[column]].y { lowest[column] = index }
            if highest[column] < 0 || valid[index].y > valid[highest[column]].y { highest[column] = index }
        }
        let kept = Set((lowest + highest).filter { $0 >= 0 }).sorted()
        return kept.map { valid[$0] }
    }
}
