import Foundation

/// A grid of coloured cells (rows × columns), rendered as SVG or as an HTML page.
///
/// Typical use is a weight or activation matrix: rows are units (optionally grouped,
/// e.g. the LSTM gates "i", "f", "g", "o"), columns are inputs or time steps.
/// Each cell is a `<rect>` with `data-row`, `data-col` and `data-value` attributes and
/// a `<title>` child, so hovering it in a browser shows the row, column and value.
/// Non-finite values are drawn as hatched grey cells labelled `NaN` / `Inf` / `-Inf`.
public struct Heatmap: Sendable {
    /// A named, contiguous block of rows, separated from its neighbours by a line.
    public struct RowGroup: Sendable, Equatable {
        /// Name written at the left of the block.
        public var name: String
        /// Row indices in the block (clamped to the rows that exist).
        public var rows: Range<Int>

        /// Creates a group called `name` covering `rows`.
        public init(name: String, rows: Range<Int>) {
            self.name = name
            self.rows = rows
        }
    }

    /// Main title, also used as the SVG `<title>`.
    public var title: String
    /// Optional second line under the title.
    public var subtitle: String?
    /// One label per row, written left of the grid (missing labels show the row index).
    public var rowLabels: [String]
    /// One label per column, written above the grid (missing labels show the column index).
    public var columnLabels: [String]
    /// The values, `values[row][column]`; short rows are padded with NaN.
    public var values: [[Double]]
    /// Optional row groups.
    public var rowGroups: [RowGroup]
    /// Value → colour mapping.
    public var colorScale: ColorScale
    /// Whether to write each value inside its cell.
    public var showValues: Bool
    /// Digits after the point for values written in cells, kept in 0...6.
    public var decimals: Int { didSet { decimals = min(max(decimals, 0), 6) } }
    /// Cell width in pixels; `nil` picks one wide enough for the written values (at least 44).
    public var cellWidth: Double?
    /// Cell height in pixels, kept in 8...200 (24 for a value that is not finite).
    public var cellHeight: Double { didSet { cellHeight = LineChart.clamped(cellHeight, 8...200, otherwise: 24) } }

    /// Creates a heatmap. The diverging scale defaults to a limit of `max |v|`.
    public init(title: String, subtitle: String? = nil, rowLabels: [String] = [],
                columnLabels: [String] = [], values: [[Double]], rowGroups: [RowGroup] = [],
                colorScale: ColorScale = .diverging(), showValues: Bool = true, decimals: Int = 2,
                cellWidth: Double? = nil, cellHeight: Double = 24) {
        self.title = title
        self.subtitle = subtitle
        self.rowLabels = rowLabels
        self.columnLabels = columnLabels
        self.values = values
        self.rowGroups = rowGroups
        self.colorScale = colorScale
        self.showValues = showValues
        self.decimals = min(max(decimals, 0), 6)
        self.cellWidth = cellWidth
        self.cellHeight = LineChart.clamped(cellHeight, 8...200, otherwise: 24)
    }

    /// Number of rows drawn.
    public var rowCount: Int { values.count }

    /// Number of columns drawn (the longest row).
    public var columnCount: Int { values.map(\.count).max() ?? 0 }

    /// The value drawn at (`row`, `column`), NaN where a row is short.
    public func value(row: Int, column: Int) -> Double {
        guard values.indices.contains(row), values[row].indices.contains(column) else { return .nan }
        return values[row][column]
    }

    /// The colour scale with its bounds fixed from the data.
    public var resolvedScale: ResolvedColorScale {
        colorScale.resolved(for: values.flatMap { $0 })
    }

    /// The text written in a cell holding `value` (fixed decimals; `NaN`, `Inf`, `-Inf`).
    public func cellText(_ value: Double) -> String {
        ChartFormat.fixed(value, decimals: decimals)
    }

    func rowLabel(_ row: Int) -> String {
        rowLabels.indices.contains(row) ? rowLabels[row] : String(row)
    }

    func columnLabel(_ column: Int) -> String {
        columnLabels.indices.contains(column) ? columnLabels[column] : String(column)
    }
}

/// Pixel positions of the parts of a heatmap.
struct HeatmapLayout {
    let cellWidth: Double
    let cellHeight: Double
    let gridLeft: Double
    let gridTop: Double
    let rows: Int
    let columns: Int
    let rotateColumnLabels: Bool
    let barLeft: Double
    let barHeight: Double
    let width: Double
    let height: Double

    var gridWidth: Double { Double(columns) * cellWidth }
    var gridHeight: Double { Double(rows) * cellHeight }

    init(_ map: Heatmap, headingBottom: Double) {
        rows = map.rowCount
        columns = map.columnCount
        let flat = map.values.flatMap { $0 } + [Double.nan]
        let widest = map.showValues
            ? flat.map { ChartFormat.estimatedWidth(map.cellText($0), fontSize: 11) }.max() ?? 0 : 0
        let automatic = max(44, (widest + 8).rounded(.up))
        cellWidth = map.cellWidth.flatMap { $0.isFinite ? min(max($0, 8), 400) : nil } ?? automatic
        cellHeight = map.cellHeight
        let labels = (0..<columns).map { ChartFormat.estimatedWidth(map.columnLabel($0), fontSize: 11) }
        let longest = labels.max() ?? 0
        rotateColumnLabels = longest > cellWidth - 4
        let header = rotateColumnLabels ? min(160, longest * 0.72 + 14) : 20
        let groupNames = map.rowGroups.map { ChartFormat.estimatedWidth($0.name, fontSize: 12) }
        let groupWidth = groupNames.isEmpty ? 0 : (groupNames.max() ?? 0) + 16
        let rowNames = (0..<rows).map { ChartFormat.estimatedWidth(map.rowLabel($0), fontSize: 11) }
        gridLeft = 12 + groupWidth + max(20, (rowNames.max() ?? 0) + 12)
        gridTop = headingBottom + 8 + header
        let gridRight = gridLeft + Double(columns) * cellWidth
        barLeft = gridRight + 24
        barHeight = max(120, min(Double(rows) * cellHeight, 240))
        let titleWidth = max(ChartFormat.estimatedWidth(map.title, fontSize: 16),
                             ChartFormat.estimatedWidth(map.subtitle ?? "", fontSize: 12)) + 24
        let labelOverflow = rotateColumnLabels ? gridRight - cellWidth / 2 + longest * 0.72 + 12 : 0
        width = max(barLeft + 90, labelOverflow, titleWidth, 240).rounded(.up)
        height = (gridTop + max(Double(rows) * cellHeight, barHeight) + 20).rounded(.up)
    }
}
