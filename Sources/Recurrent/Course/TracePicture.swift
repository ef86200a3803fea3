/// A trace as a picture: every gate and state at every step, one heatmap.
///
///     rows     the trace's columns (f, i, o, c, h for the LSTM; g, s; s), each with H units,
///              grouped under their name (units labelled `[0]`, `[1]`, ... when H > 1)
///     columns  the steps, labelled with their input x_t
///     cells    the value, written in the cell, coloured on a blue–white–red scale symmetric
///              about 0 (at least −1…1, so gates in 0…1 read as white to red)
extension Trace {
    /// The heatmap of the trace; `title` says which model and which inputs.
    public func heatmap(title: String) -> Heatmap {
        var rows: [String] = [], values: [[Double]] = [], groups: [Heatmap.RowGroup] = []
        for name in columns {
            let width = steps.first?.values[name]?.count ?? 0
            groups.append(.init(name: name, rows: rows.count..<(rows.count + width)))
            for unit in 0..<width {
                rows.append(width == 1 ? "" : "[\(unit)]")  // the group names the value
                values.append(steps.map { $0.values[name]?[unit] ?? .nan })
            }
        }
        let limit = max(1, values.joined().filter(\.isFinite).map(abs).max() ?? 1)
        let inputs = steps.map { "x=" + $0.x.map(compactNumber).joined(separator: ",") }
        let state = cell == .lstm ? "h" : "s"
        let subtitle = "\(cell.definition.moduleName) cell, one column per step t = 0…\(max(0, steps.count - 1))"
            + (rounded ? "; \(state) rounded at every step" : "")
        return Heatmap(title: title, subtitle: subtitle, rowLabels: rows, columnLabels: inputs, values: values,
                       rowGroups: groups, colorScale: .diverging(limit: limit), showValues: true, decimals: 2)
    }
}
