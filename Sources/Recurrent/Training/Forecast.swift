import Foundation

/// The columns a forecaster reads and predicts, and how each was standardised from its
/// training rows: value = (original - mean) / standard deviation. Saved with the model, so a
/// forecast reads and writes original units.
public struct SeriesScaling: Codable, Equatable, Sendable {
    /// The column names, in order.
    public private(set) var columns: [String]
    /// Each column's mean over the training rows.
    public private(set) var means: [Double]
    /// Each column's standard deviation over the training rows (1 for a constant column).
    public private(set) var standardDeviations: [Double]

    /// A scaling; the column names distinct (a forecast finds its columns by name), every
    /// number finite and every deviation positive.
    /// - Throws: `RecurrentError` naming the column at fault.
    public init(columns: [String], means: [Double], standardDeviations: [Double]) throws {
        guard means.count == columns.count, standardDeviations.count == columns.count else {
            throw RecurrentError.shape("series scaling: \(columns.count) columns, \(means.count) means, \(standardDeviations.count) deviations")
        }
        var seen = Set<String>()
        for name in columns where !seen.insert(name).inserted {
            throw RecurrentError.name("series scaling: two columns are named '\(name)'")
        }
        if let problem = Self.headerProblem(columns) { throw RecurrentError.name("series scaling: \(problem)") }
        for (k, name) in columns.enumerated() where !(means[k].isFinite && standardDeviations[k].isFinite && standardDeviations[k] > 0) {
            throw RecurrentError.value("series scaling: column '\(name)' has mean \(means[k]) and deviation \(standardDeviations[k])")
        }
        (self.columns, self.means, self.standardDeviations) = (columns, means, standardDeviations)
    }

    /// Why these names cannot head a forecast's CSV, which reads back by name, or nil: a line
    /// break would end the header (commas and quotes are quoted, `CSVLine.quoted`), and a
    /// header of numbers reads as data. (An empty name is refused where a CSV is read.)
    static func headerProblem(_ columns: [String]) -> String? {
        if let name = columns.first(where: { $0.contains { $0.isNewline } }) {
            return "column name '\(name.debugDescription.dropFirst().dropLast())' cannot be written in a CSV header (a line break)"
        }
        if !columns.isEmpty, columns.allSatisfy({ DecimalText.decimal($0.trimmingCharacters(in: .whitespaces)) != nil }) {
            return "the column names \(columns.joined(separator: ", ")) are all numbers: a CSV header of them reads as data"
        }
        return nil
    }

    private enum CodingKeys: String, CodingKey { case columns, means, standardDeviations }

    /// Decodes through `init(columns:means:standardDeviations:)`, so a scaling read from a file
    /// is checked like one made in code (a forecast indexes the three lists together).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(columns: c.decode([String].self, forKey: .columns), means: c.decode([Double].self, forKey: .means),
                      standardDeviations: c.decode([Double].self, forKey: .standardDeviations))
    }
}

extension SequenceModel {
    /// Continues a series: reads `history` (rows of the model's columns in original units, oldest
    /// first) through the model, then feeds each prediction back as the next input, `horizon`
    /// times. Returns the predicted rows, original units, one per future step.
    /// - Throws: `RecurrentError` for a model that is not a forecaster (no series scaling, or
    ///   not predicting its own input), an empty or ragged history, a non-finite value, or a
    ///   horizon below 1 or too long for memory.
    public func forecast(history: [[Double]], horizon: Int, historyName: String = "history") throws -> [[Double]] {
        guard let series else {
            throw RecurrentError.unsupported("this model was not trained on a series: it has no column scaling to forecast with")
        }
        let C = series.columns.count
        guard configuration.vocabularySize == nil, configuration.recurrent.inputSize == C, configuration.modelOutputSize == C else {
            throw RecurrentError.unsupported("this model does not predict its own input, so it cannot forecast")
        }
        guard !history.isEmpty else { throw RecurrentError.value("\(historyName): no rows; a forecast needs at least one") }
        guard horizon >= 1 else { throw RecurrentError.value("the horizon must be at least 1 step, got \(horizon)") }
        // Per step: the row as an array of its own and its line of CSV text as the caller
        // writes it (a string that grows by doubling): measured about 680 bytes a step at C = 2.
        let perStep = MemoryBudget.sum([512, MemoryBudget.product([128, C])])
        try MemoryBudget.require(MemoryBudget.product([horizon, perStep]), for: "a forecast of \(horizon) steps")
        var scaled: [Scalar] = []
        for (r, row) in history.enumerated() {
            // Rows of data counted from 1, as a reader of the file counts them (the header not among them).
            let place = "\(historyName) data row \(r + 1) of \(history.count)"
            guard row.count == C else { throw RecurrentError.shape("\(place) has \(row.count) values, the model reads \(C)") }
            for (k, v) in row.enumerated() {
                guard v.isFinite else { throw RecurrentError.value("\(place), column '\(series.columns[k])' is \(v)") }
                let value = Scalar((v - series.means[k]) / series.standardDeviations[k])
                guard value.isFinite else {
                    throw RecurrentError.value("\(place), column '\(series.columns[k])': \(v) is too far from the model's "
                        + "scaling (mean \(series.means[k]), deviation \(series.standardDeviations[k])) to standardise")
                }
                scaled.append(value)
            }
        }
        var stream = try ModelStream(model: self)
        let read = try stream.steps(Tensor(uncheckedShape: [history.count, 1, C], scalars: scaled)).scalars
        var next = Array(read[((history.count - 1) * C)...])
        var out: [[Double]] = []
        out.reserveCapacity(horizon)
        for step in 0..<horizon {
            let row = (0..<C).map { Double(next[$0]) * series.standardDeviations[$0] + series.means[$0] }
            if let k = row.firstIndex(where: { !$0.isFinite }) {
                throw RecurrentError.value("the forecast's step \(step + 1), column '\(series.columns[k])', is \(row[k]) "
                    + "(the model's scaling: mean \(series.means[k]), deviation \(series.standardDeviations[k]))")
            }
            out.append(row)
            if step + 1 < horizon { next = try stream.step(Tensor(uncheckedShape: [1, C], scalars: next)).scalars }
        }
        return out
    }
}
