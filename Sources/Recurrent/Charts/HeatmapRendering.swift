import Foundation

extension Heatmap {
    /// Renders the heatmap as a standalone SVG document (deterministic for equal input).
    public func svg() -> String {
        var w = SVGWriter()
        let layout = HeatmapLayout(self, headingBottom: hasSubtitle ? 54 : 36)
        w.beginDocument(width: layout.width, height: layout.height, title: accessibleTitle)
        _ = w.heading(title: title, subtitle: subtitle)
        guard layout.rows > 0, layout.columns > 0 else {
            w.label("no data", x: 12, y: layout.gridTop + 20, size: 14, fill: "#777777",
                    extra: [("class", "no-data")])
            w.endDocument()
            return w.text
        }
        let scale = resolvedScale
        let ragged = values.contains { $0.count < layout.columns }
        if ragged || values.contains(where: { $0.contains { !$0.isFinite } }) {
            w.raw(Heatmap.hatchPattern)
        }
        drawColumnLabels(&w, layout)
        drawCells(&w, layout, scale)
        drawRowLabels(&w, layout)
        w.element("rect", [("x", SVGWriter.num(layout.gridLeft)), ("y", SVGWriter.num(layout.gridTop)),
                           ("width", SVGWriter.num(layout.gridWidth)), ("height", SVGWriter.num(layout.gridHeight)),
                           ("fill", "none"), ("stroke", "#999999")])
        drawGroups(&w, layout)
        drawColorBar(&w, layout, scale)
        w.endDocument()
        return w.text
    }

    /// A standalone HTML page showing the heatmap; hovering a cell shows its row,
    /// column and value (through the SVG `<title>` of each cell, no script needed).
    public func html() -> String {
        let style = "body{font-family:sans-serif;margin:16px;background:#FFFFFF;color:#111111}"
            + "rect[data-row]:hover{stroke:#000000;stroke-width:2}"
        return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>"
            + ChartFormat.escape(accessibleTitle) + "</title>\n<style>" + style
            + "</style>\n</head>\n<body>\n" + svg() + "</body>\n</html>\n"
    }

    // MARK: - Parts

    static let hatchPattern = "<defs><pattern id=\"missing-hatch\" width=\"6\" height=\"6\" "
        + "patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">"
        + "<rect width=\"6\" height=\"6\" fill=\"#D9D9D9\"/>"
        + "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#8C8C8C\" stroke-width=\"2\"/></pattern></defs>"

    var hasSubtitle: Bool { !(subtitle ?? "").isEmpty }

    var accessibleTitle: String {
        guard let subtitle, !subtitle.isEmpty else { return title }
        return title + " — " + subtitle
    }

    func drawColumnLabels(_ w: inout SVGWriter, _ layout: HeatmapLayout) {
        w.open("g", [("class", "column-labels")])
        let y = layout.gridTop - 6
        for column in 0..<layout.columns {
            let x = layout.gridLeft + (Double(column) + 0.5) * layout.cellWidth
            if layout.rotateColumnLabels {
                let transform = "rotate(-45 \(SVGWriter.num(x)) \(SVGWriter.num(y)))"
                w.label(columnLabel(column), x: x, y: y, size: 11, extra: [("transform", transform)])
            } else {
                w.label(columnLabel(column), x: x, y: y, size: 11, anchor: "middle")
            }
        }
        w.close("g")
    }

    func drawRowLabels(_ w: inout SVGWriter, _ layout: HeatmapLayout) {
        w.open("g", [("class", "row-labels")])
        for row in 0..<layout.rows {
            let y = layout.gridTop + (Double(row) + 0.5) * layout.cellHeight + 4
            w.label(rowLabel(row), x: layout.gridLeft - 6, y: y, size: 11, anchor: "end")
        }
        w.close("g")
    }

    func drawCells(_ w: inout SVGWriter, _ layout: HeatmapLayout, _ scale: ResolvedColorScale) {
        w.open("g", [("class", "cells")])
        for row in 0..<layout.rows {
            for column in 0..<layout.columns {
                drawCell(&w, layout, scale, row: row, column: column)
            }
        }
        w.close("g")
    }

    func drawCell(_ w: inout SVGWriter, _ layout: HeatmapLayout, _ scale: ResolvedColorScale,
                  row: Int, column: Int) {
        let v = value(row: row, column: column)
        let x = layout.gridLeft + Double(column) * layout.cellWidth
        let y = layout.gridTop + Double(row) * layout.cellHeight
        let fill = v.isFinite ? scale.color(for: v) : "url(#missing-hatch)"
        let exact = ChartFormat.compact(v, significantDigits: 6)
        w.open("rect", [("x", SVGWriter.num(x)), ("y", SVGWriter.num(y)),
                        ("width", SVGWriter.num(layout.cellWidth)), ("height", SVGWriter.num(layout.cellHeight)),
                        ("fill", fill), ("data-row", String(row)), ("data-col", String(column)),
                        ("data-value", exact)])
        w.element("title", [], content: "\(rowLabel(row)) · \(columnLabel(column)): \(exact)")
        w.close("rect")
        guard showValues || !v.isFinite else { return }
        let ink = v.isFinite ? ChartPalette.textColor(on: fill) : "#222222"
        w.label(cellText(v), x: x + layout.cellWidth / 2, y: y + layout.cellHeight / 2 + 4, size: 11,
                anchor: "middle", fill: ink, extra: [("pointer-events", "none")])
    }

    func drawGroups(_ w: inout SVGWriter, _ layout: HeatmapLayout) {
        guard !rowGroups.isEmpty else { return }
        w.open("g", [("class", "row-groups")])
        for group in rowGroups {
            let lower = min(max(group.rows.lowerBound, 0), layout.rows)
            let upper = min(max(group.rows.upperBound, lower), layout.rows)
            guard upper > lower else { continue }
            let top = layout.gridTop + Double(lower) * layout.cellHeight
            if lower > 0 {
                w.line(12, top, layout.gridLeft + layout.gridWidth, top, stroke: "#222222", width: 1.5,
                       extra: [("class", "group-separator")])
            }
            let middle = top + Double(upper - lower) * layout.cellHeight / 2 + 4
            w.label(group.name, x: 12, y: middle, size: 12, fill: "#111111",
                    extra: [("font-weight", "bold"), ("data-group", group.name)])
        }
        w.close("g")
    }

    func drawColorBar(_ w: inout SVGWriter, _ layout: HeatmapLayout, _ scale: ResolvedColorScale) {
        let steps = 48
        let top = layout.gridTop, x = layout.barLeft, height = layout.barHeight
        let stepHeight = height / Double(steps)
        w.open("g", [("class", "color-bar"), ("data-lo", ChartFormat.compact(scale.lo, significantDigits: 6)),
                     ("data-hi", ChartFormat.compact(scale.hi, significantDigits: 6))])
        for step in 0..<steps {
            let fill = scale.color(for: scale.value(at: 1 - (Double(step) + 0.5) / Double(steps)))
            w.element("rect", [("x", SVGWriter.num(x)), ("y", SVGWriter.num(top + Double(step) * stepHeight)),
                               ("width", "14"), ("height", SVGWriter.num(stepHeight + 0.5)), ("fill", fill)])
        }
        w.element("rect", [("x", SVGWriter.num(x)), ("y", SVGWriter.num(top)), ("width", "14"),
                           ("height", SVGWriter.num(height)), ("fill", "none"), ("stroke", "#666666")])
        for tick in scale.legendTicks() {
            let y = top + (1 - (tick.value - scale.lo) / (scale.hi - scale.lo)) * height
            w.line(x + 14, y, x + 18, y, stroke: "#666666")
            w.label(tick.label, x: x + 21, y: y + 4, size: 10)
        }
        w.close("g")
    }
}
