/// The experiments as pictures: what `recurrent experiment ... --svg` draws.
extension Experiments {
    /// ‖∂L/∂h_{T−k}‖ against k on a log scale, one line per cell: the vanishing gradient as a slope.
    /// - Parameter norms: each line's name and its norms for k = 0, 1, ..., T − 1.
    public static func gradientChart(_ norms: [(name: String, values: [Double])], hiddenSize: Int, length: Int,
                                     sequences: Int) -> LineChart {
        LineChart(
            title: "How far back the gradient reaches: ‖∂L/∂h(T−k)‖",
            subtitle: "fresh networks, H = \(hiddenSize), T = \(length), geometric mean of \(sequences) random sequences",
            xLabel: "k, steps back from the loss", yLabel: "gradient norm (log scale)", yScale: .log10,
            series: norms.map { .init(name: $0.name, values: $0.values) })
    }

    /// Held-out MSE against sequences seen, one line per cell, with the paper's criterion and
    /// the trivial predictor's MSE as reference lines.
    public static func addingChart(_ results: [AddingResult], length: Int) -> LineChart {
        LineChart(
            title: "The adding problem, T = \(length): held-out MSE while training",
            subtitle: results.map { r in
                r.cell.rawValue + (r.sequencesToCriterion.map { ": criterion after \($0) sequences" } ?? ": criterion not reached")
            }.joined(separator: "; "),
            xLabel: "training sequences seen", yLabel: "held-out MSE (log scale)", yScale: .log10,
            series: results.map { r in .init(name: r.cell.definition.moduleName, points: r.curve.map { (Double($0.sequences), $0.mse) }) },
            referenceLines: [.init(value: 0.01, label: "criterion 0.01"),
                             .init(value: AddingTask.trivialMSE, label: "always 0.5: \(ChartFormat.compact(AddingTask.trivialMSE))")])
    }
}
