/// Several charts one above the other in one standalone SVG document: each chart's own
/// document nested at its offset, so each keeps its axes, legend and `data-` attributes.
public enum ChartStack {
    /// The charts stacked top to bottom, as wide as the widest; `title` is the document's
    /// accessible title.
    public static func svg(_ charts: [LineChart], title: String) -> String {
        let width = charts.map(\.width).max() ?? 200
        let height = charts.reduce(0) { $0 + $1.height }
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(ChartFormat.coordinate(width))\" "
            + "height=\"\(ChartFormat.coordinate(height))\" viewBox=\"0 0 \(ChartFormat.coordinate(width)) "
            + "\(ChartFormat.coordinate(height))\" role=\"img\">\n<title>\(ChartFormat.escape(title))</title>\n"
        var y = 0.0
        for chart in charts {
            let document = chart.svg()
            // Each document starts with "<svg " (the writer's first element): place it at y.
            out += document.hasPrefix("<svg ") ? "<svg x=\"0\" y=\"\(ChartFormat.coordinate(y))\" " + document.dropFirst(5) : document
            if !out.hasSuffix("\n") { out += "\n" }
            y += chart.height
        }
        return out + "</svg>\n"
    }
}
