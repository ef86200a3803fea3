import Foundation

/// A training run's loss curve: the records `Trainer` keeps, as JSON lines (`M.loss.jsonl`) and
/// as a picture (`M.loss.svg`) in the manner of TensorBoard's scalars:
///
///     top      loss against steps: each batch's loss faint, its smoothing (exponential moving
///              average, weight w = 0.9, debiased: s_t = (w·m_{t-1} + (1-w)·x_t) / (1 - w^t))
///              solid, the held-out loss dashed where it was measured
///     bottom   the smoothed and held-out losses against seconds of training
///
/// Several runs overlay, one colour each (Okabe–Ito).
public enum LossCurve {
    /// The curve as JSON lines, one record per line (`{"loss":…,"lr":…,"seconds":…,"step":…}`).
    public static func jsonLines(_ curve: [TrainingRecord]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return try curve.map { String(decoding: try encoder.encode($0), as: UTF8.self) + "\n" }.joined()
    }

    /// Reads a curve written by `recurrent train` (`jsonLines`).
    /// Keys other than a record's own are not read (a line may carry more).
    /// - Throws: `RecurrentError` naming the file and line of a malformed record (a missing key,
    ///   a step below 1, a negative time or norm, a value that is not finite), a file with no
    ///   records, or steps that do not increase.
    public static func read(contentsOf url: URL) throws -> [TrainingRecord] {
        let data = try FileAccess.readMapped(url)
        let lines = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline)
        var curve: [TrainingRecord] = []
        for (index, line) in lines.enumerated() where !line.allSatisfy(\.isWhitespace) {
            let record: TrainingRecord
            do {
                record = try BoundedJSON.decode(TrainingRecord.self, from: String(line))
                if let problem = record.problem { throw RecurrentError.format(problem) }
            } catch {
                throw RecurrentError.format("\(url.path) line \(index + 1): \(recordProblem(error))")
            }
            if let last = curve.last, record.step <= last.step {
                throw RecurrentError.format("\(url.path) line \(index + 1): step \(record.step) does not follow step \(last.step)")
            }
            curve.append(record)
        }
        guard !curve.isEmpty else { throw RecurrentError.format("\(url.path): no training records (an empty loss curve)") }
        return curve
    }

    /// Why a line is not a training record, naming the key where one is at fault.
    private static func recordProblem(_ error: Error) -> String {
        let record = "a training record has step, loss, lr and seconds"
        switch error {
        case let error as RecurrentError: return error.message
        case DecodingError.keyNotFound(let key, _): return "no '\(key.stringValue)': \(record)"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
             DecodingError.dataCorrupted(let context):
            guard let key = context.codingPath.last?.stringValue else { return "not a training record (\(record))" }
            return "'\(key)' is not \(key == "step" ? "a whole number" : "a number")"
        default: return "not a training record (\(record))"
        }
    }

    /// TensorBoard's smoothing: a debiased exponential moving average with weight `weight`.
    public static func smoothed(_ values: [Double], weight: Double = 0.9) -> [Double] {
        var average = 0.0, out: [Double] = []
        out.reserveCapacity(values.count)
        for (t, value) in values.enumerated() {
            average = weight * average + (1 - weight) * value
            out.append(average / (1 - pow(weight, Double(t + 1))))
        }
        return out
    }

    /// The picture of one or more runs, two panels (against steps, against seconds).
    public static func svg(runs: [(name: String, curve: [TrainingRecord])], title: String) -> String {
        // Log only when every loss can be drawn on it, the held-out ones too.
        let logScale = runs.allSatisfy { $0.curve.allSatisfy { $0.loss > 0 && ($0.validationLoss ?? 1) > 0 } }
        var bySteps: [LineChart.Series] = [], bySeconds: [LineChart.Series] = []
        for (k, run) in runs.enumerated() {
            let colour = ChartPalette.categorical(k)
            let smooth = smoothed(run.curve.map(\.loss))
            let label = runs.count == 1 ? "" : "\(run.name): "
            bySteps.append(.init(name: label + "batch loss", points: run.curve.map { (Double($0.step), $0.loss) }, style: .faint, color: colour))
            bySteps.append(.init(name: label + "smoothed", points: zip(run.curve, smooth).map { (Double($0.step), $1) }, color: colour))
            bySeconds.append(.init(name: label + "smoothed", points: zip(run.curve, smooth).map { ($0.seconds, $1) }, color: colour))
            let held = run.curve.filter { $0.validationLoss != nil }
            if !held.isEmpty {
                bySteps.append(.init(name: label + "held-out", points: held.map { (Double($0.step), $0.validationLoss!) }, style: .dashed, color: colour))
                bySeconds.append(.init(name: label + "held-out", points: held.map { ($0.seconds, $0.validationLoss!) }, style: .dashed, color: colour))
            }
        }
        let scale: AxisScale = logScale ? .log10 : .linear
        let width: Double = runs.count == 1 ? 720 : 900  // room for the runs' names in the legend
        let subtitle = runs.map { "\($0.name): \($0.curve.count) steps" }.joined(separator: "; ")
        let top = LineChart(title: title, subtitle: subtitle, xLabel: "step", yLabel: "loss (mean per prediction)", yScale: scale,
                            series: bySteps, width: width, height: 380)
        let bottom = LineChart(title: "Against time", xLabel: "seconds of training", yLabel: "loss (mean per prediction)",
                               yScale: scale, series: bySeconds, width: width, height: 320)
        return ChartStack.svg([top, bottom], title: title)
    }

    /// Writes `svg(runs:title:)` to a file, atomically.
    public static func writeSVG(runs: [(name: String, curve: [TrainingRecord])], title: String, to url: URL) throws {
        try FileAccess.writeAtomically(Data(svg(runs: runs, title: title).utf8), to: url)
    }

    /// Writes `jsonLines` to a file, atomically.
    public static func writeJSONLines(_ curve: [TrainingRecord], to url: URL) throws {
        try FileAccess.writeAtomically(Data(try jsonLines(curve).utf8), to: url)
    }
}
