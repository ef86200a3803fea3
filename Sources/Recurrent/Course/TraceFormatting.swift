import Foundation

/// How `recurrent trace` prints a trace.
public enum TraceFormat: String, Sendable, CaseIterable {
    /// Aligned columns for a terminal, 4 decimals (rounded states as integers).
    case table
    /// Comma-separated, one row per step, full precision; vectors spread over `name0, name1, ...`.
    case csv
    /// `{"steps": [{"t": 0, "x": [..], "f": [..], ...}, ...]}`, every value an array of length H
    /// (X for x), full precision.
    case json
    /// A heatmap of every gate and state at every step (`heatmap(title:)`), standalone SVG.
    case svg
    /// The same heatmap in an HTML page; hovering a cell shows its step, row and value.
    case html
}

extension Trace {
    /// The trace in the given format, ending with a newline; `title` heads the pictures.
    public func formatted(_ format: TraceFormat, title: String = "Trace") -> String {
        switch format {
        case .table: tableText()
        case .csv: csvText()
        case .json: jsonText()
        case .svg: heatmap(title: title).svg()
        case .html: heatmap(title: title).html()
        }
    }

    private var visibleColumn: String { cell == .lstm ? "h" : "s" }

    private func tableCell(_ values: [Double], column: String) -> String {
        let parts = values.map { v -> String in
            if column == "x" || (rounded && column == visibleColumn) { return compactNumber(v) }
            return String(format: "%.4f", v)
        }
        return parts.count == 1 ? parts[0] : "[" + parts.joined(separator: " ") + "]"
    }

    private func tableText() -> String {
        let header = ["t", "x"] + columns
        let rows = steps.map { step in
            ["\(step.t)", tableCell(step.x, column: "x")] + columns.map { tableCell(step.values[$0]!, column: $0) }
        }
        let widths = header.indices.map { i in ([header[i]] + rows.map { $0[i] }).map(\.count).max()! }
        func line(_ cells: [String]) -> String {
            zip(cells, widths).map { String(repeating: " ", count: $1 - $0.count) + $0 }.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n") + "\n"
    }

    private func csvText() -> String {
        func names(_ name: String, _ count: Int) -> [String] {
            count == 1 ? [name] : (0..<count).map { "\(name)\($0)" }
        }
        guard let first = steps.first else { return (["t", "x"] + columns).joined(separator: ",") + "\n" }
        let header = ["t"] + names("x", first.x.count) + columns.flatMap { names($0, first.values[$0]!.count) }
        let rows = steps.map { step in
            (["\(step.t)"] + step.x.map(jsonNumber) + columns.flatMap { step.values[$0]!.map(jsonNumber) })
                .joined(separator: ",")
        }
        return ([header.joined(separator: ",")] + rows).joined(separator: "\n") + "\n"
    }

    private func jsonText() -> String {
        func array(_ values: [Double]) -> String { "[" + values.map(jsonNumber).joined(separator: ", ") + "]" }
        let items = steps.map { step in
            let fields = ["\"t\": \(step.t)", "\"x\": \(array(step.x))"]
                + columns.map { "\"\($0)\": \(array(step.values[$0]!))" }
            return "    {" + fields.joined(separator: ", ") + "}"
        }
        return "{\"steps\": [\n" + items.joined(separator: ",\n") + "\n]}\n"
    }
}

/// A number in JSON form with every digit needed to read it back exactly (`0.5`, `-100.0`, `1e-44`).
func jsonNumber(_ value: Double) -> String {
    value.isFinite ? "\(value == 0 ? 0 : value)" : "null"
}

/// A number as short as it can be written: `1`, `-1`, `0.5`.
func compactNumber(_ value: Double) -> String {
    if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
    return "\(value)"
}
