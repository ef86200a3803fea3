import Foundation

/// Pixel rectangle of a chart's plot area.
struct PlotFrame {
    let left: Double
    let top: Double
    let right: Double
    let bottom: Double
}

extension LineChart {
    /// Renders the chart as a standalone SVG document (deterministic for equal input).
    public func svg() -> String {
        let drawable = series.map { s in
            s.points.filter { LineChart.accepts($0.x, xScale) && LineChart.accepts($0.y, yScale) }
        }
        let xs = drawable.flatMap { $0.map(\.x) }
        let ys = drawable.flatMap { $0.map(\.y) }
            + referenceLines.map(\.value).filter { LineChart.accepts($0, yScale) }
        let xTicks = Axis.ticks(from: xs.min() ?? .nan, to: xs.max() ?? .nan, scale: xScale)
        let yTicks = Axis.ticks(from: ys.min() ?? .nan, to: ys.max() ?? .nan, scale: yScale)
        let frame = plotFrame(yTicks: yTicks)
        let xMap = AxisMapping(ticks: xTicks, scale: xScale, start: frame.left, end: frame.right)
        let yMap = AxisMapping(ticks: yTicks, scale: yScale, start: frame.bottom, end: frame.top)

        var w = SVGWriter()
        w.beginDocument(width: width, height: height, title: accessibleTitle)
        _ = w.heading(title: title, subtitle: subtitle)
        drawGrid(&w, frame, xMap, yMap)
        w.open("g", [("class", "plot"), ("data-x-range", LineChart.rangeText(xTicks)),
                     ("data-y-range", LineChart.rangeText(yTicks))])
        drawReferenceLines(&w, frame, yMap)
        for (index, points) in drawable.enumerated() {
            drawSeries(&w, index: index, points: points, frame: frame, xMap: xMap, yMap: yMap)
        }
        if drawable.allSatisfy(\.isEmpty) {
            w.label("no data", x: (frame.left + frame.right) / 2, y: (frame.top + frame.bottom) / 2,
                    size: 14, anchor: "middle", fill: "#777777", extra: [("class", "no-data")])
        }
        w.close("g")
        drawAxes(&w, frame, xMap, yMap)
        drawLegend(&w, frame)
        w.endDocument()
        return w.text
    }

    // MARK: - Layout

    var accessibleTitle: String {
        guard let subtitle, !subtitle.isEmpty else { return title }
        return title + " — " + subtitle
    }

    static func accepts(_ value: Double, _ scale: AxisScale) -> Bool {
        value.isFinite && (scale == .linear || value > 0)
    }

    static func rangeText(_ ticks: AxisTicks) -> String {
        ChartFormat.compact(ticks.lo, significantDigits: 6) + " " + ChartFormat.compact(ticks.hi, significantDigits: 6)
    }

    func legendNames() -> [String] {
        series.map { ChartFormat.truncated($0.name, limit: 40) }
    }

    func plotFrame(yTicks: AxisTicks) -> PlotFrame {
        let hasSubtitle = !(subtitle ?? "").isEmpty
        let top: Double = hasSubtitle ? 66 : 50
        let tickWidth = yTicks.ticks.map { ChartFormat.estimatedWidth($0.label, fontSize: 11) }.max() ?? 0
        let left = max(56, tickWidth + 40)
        let names = legendNames()
        let nameWidth = names.map { ChartFormat.estimatedWidth($0, fontSize: 12) }.max() ?? 0
        let legendWidth = names.isEmpty ? 0 : min(max(200, width * 0.35), nameWidth + 44)  // the plot keeps 65% or more
        let right = max(left + 40, width - 20 - legendWidth)
        let bottom = max(top + 40, height - 50)
        return PlotFrame(left: left, top: top, right: right, bottom: bottom)
    }

    // MARK: - Drawing

    func drawGrid(_ w: inout SVGWriter, _ frame: PlotFrame, _ xMap: AxisMapping, _ yMap: AxisMapping) {
        w.open("g", [("class", "grid")])
        for tick in xMap.ticks.ticks {
            guard let x = xMap.position(tick.value) else { continue }
            w.line(x, frame.top, x, frame.bottom, stroke: "#E6E6E6")
        }
        for tick in yMap.ticks.ticks {
            guard let y = yMap.position(tick.value) else { continue }
            w.line(frame.left, y, frame.right, y, stroke: "#E6E6E6")
        }
        w.close("g")
    }

    func drawAxes(_ w: inout SVGWriter, _ frame: PlotFrame, _ xMap: AxisMapping, _ yMap: AxisMapping) {
        w.open("g", [("class", "axes")])
        w.line(frame.left, frame.bottom, frame.right, frame.bottom, stroke: "#333333")
        w.line(frame.left, frame.top, frame.left, frame.bottom, stroke: "#333333")
        for tick in xMap.ticks.ticks {
            guard let x = xMap.position(tick.value) else { continue }
            w.line(x, frame.bottom, x, frame.bottom + 5, stroke: "#333333")
            w.label(tick.label, x: x, y: frame.bottom + 18, size: 11, anchor: "middle")
        }
        for tick in yMap.ticks.ticks {
            guard let y = yMap.position(tick.value) else { continue }
            w.line(frame.left - 5, y, frame.left, y, stroke: "#333333")
            w.label(tick.label, x: frame.left - 8, y: y + 4, size: 11, anchor: "end")
        }
        w.label(xLabel, x: (frame.left + frame.right) / 2, y: height - 10, size: 12,
                anchor: "middle", fill: "#111111", extra: [("class", "x-label")])
        let middle = SVGWriter.num((frame.top + frame.bottom) / 2)
        w.label(yLabel, x: 0, y: 0, size: 12, anchor: "middle", fill: "#111111",
                extra: [("class", "y-label"), ("transform", "translate(16 \(middle)) rotate(-90)")])
        w.close("g")
    }

    func drawReferenceLines(_ w: inout SVGWriter, _ frame: PlotFrame, _ yMap: AxisMapping) {
        for reference in referenceLines {
            guard let y = yMap.position(reference.value) else { continue }
            w.line(frame.left, y, frame.right, y, stroke: "#666666",
                   extra: [("stroke-dasharray", "4 3"), ("data-reference", reference.label)])
            w.label(reference.label, x: frame.right - 4, y: y - 4, size: 11, anchor: "end", fill: "#444444")
        }
    }

    func drawSeries(_ w: inout SVGWriter, index: Int, points: [(x: Double, y: Double)],
                    frame: PlotFrame, xMap: AxisMapping, yMap: AxisMapping) {
        let item = series[index]
        let columns = Int(max(frame.right - frame.left, 1))
        let kept = points.count > LineChart.downsampleThreshold
            ? LineChart.downsample(points, columns: columns, xScale: xScale) : points
        let color = item.color ?? ChartPalette.categorical(index)
        w.open("g", [("class", "series"), ("data-series", item.name), ("data-points", String(kept.count))])
        let coordinates = kept.compactMap { point -> (Double, Double)? in
            guard let x = xMap.position(point.x), let y = yMap.position(point.y) else { return nil }
            return (x, y)
        }
        if coordinates.count == 1, let only = coordinates.first {
            w.element("circle", [("cx", SVGWriter.num(only.0)), ("cy", SVGWriter.num(only.1)),
                                 ("r", "2.5"), ("fill", color)])
        } else if coordinates.count > 1 {
            let steps = coordinates.map { SVGWriter.num($0.0) + " " + SVGWriter.num($0.1) }
            let path = "M" + steps.joined(separator: "L")
            w.element("path", [("d", path), ("fill", "none"), ("stroke-linejoin", "round")]
                      + LineChart.strokeAttributes(item.style, color: color))
        }
        w.close("g")
    }

    static func strokeAttributes(_ style: Style, color: String) -> SVGWriter.Attributes {
        switch style {
        case .solid: return [("stroke", color), ("stroke-width", "1.8")]
        case .faint: return [("stroke", color), ("stroke-width", "1"), ("stroke-opacity", "0.3")]
        case .dashed: return [("stroke", color), ("stroke-width", "1.8"), ("stroke-dasharray", "6 4")]
        }
    }

    func drawLegend(_ w: inout SVGWriter, _ frame: PlotFrame) {
        let names = legendNames()
        guard !names.isEmpty else { return }
        let x = frame.right + 16
        let capacity = max(1, Int((frame.bottom - frame.top) / 18))
        let shown = names.count > capacity ? capacity - 1 : names.count
        w.open("g", [("class", "legend")])
        for (index, name) in names.prefix(shown).enumerated() {
            let y = frame.top + 10 + 18 * Double(index)
            let color = series[index].color ?? ChartPalette.categorical(index)
            var style = LineChart.strokeAttributes(series[index].style, color: color)
            if series[index].style == .faint { style = [("stroke", color), ("stroke-width", "3"), ("stroke-opacity", "0.3")] }
            w.element("line", [("x1", SVGWriter.num(x)), ("y1", SVGWriter.num(y)),
                               ("x2", SVGWriter.num(x + 22)), ("y2", SVGWriter.num(y))] + style)
            w.label(name, x: x + 28, y: y + 4, size: 12, fill: "#222222")
        }
        if shown < names.count {
            let y = frame.top + 10 + 18 * Double(shown)
            w.label("+\(names.count - shown) more", x: x + 28, y: y + 4, size: 12, fill: "#555555")
        }
        w.close("g")
    }
}
