import ArgumentParser
import Foundation
import Recurrent

/// `recurrent forecast`: continue a time series with a forecaster trained by `recurrent train --csv`.
struct ForecastCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forecast",
        abstract: "Continue a time series with a model trained on it (recurrent train --csv).",
        discussion: """
            Reads the model's columns from the history (by header name, as at training time), runs the \
            rows through the model, then feeds each prediction back as the next input, --horizon times. \
            Values are read and written in the original units: the scaling learned at training time is \
            stored in the model file. Writes a CSV with the model's columns, one row per future step, \
            to --output (atomically), or to standard output.
            """)

    @Option(help: ArgumentHelp("The forecaster: a safetensors file written by recurrent train --csv.", valueName: "file.safetensors"))
    var model: String

    @Option(help: ArgumentHelp("The history: a CSV file with the model's columns, oldest row first.", valueName: "file.csv"))
    var csv: String

    @Option(parsing: .unconditional, help: "How many future steps to predict.")
    var horizon: Int

    @Option(help: ArgumentHelp("Where to write the forecast (CSV); standard output when left out.", valueName: "file.csv"))
    var output: String?

    func validate() throws {
        guard horizon >= 1 else { throw ValidationError("--horizon must be at least 1, got \(horizon)") }
    }

    func run() throws {
        try checkReadable(model, csv)
        if let output { try checkWritable([("--output", output)], inputs: [("--model", model), ("--csv", csv)]) }
        let loaded = try SequenceModel<Float>.load(from: fileURL(model))
        guard let series = loaded.series else {
            throw RecurrentError(.unsupported, "\(model): not a forecaster (it has no column scaling; train one with recurrent train --csv)")
        }
        // A model saved before empty names were refused: its history cannot be picked by name.
        if let k = series.columns.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            throw RecurrentError(.name, "\(model): the forecaster's column \(k + 1) has an empty name, so its history cannot be read by name")
        }
        let history = try TimeSeriesCSV.rows(contentsOf: fileURL(csv), columns: series.columns)
        let forecast = try loaded.forecast(history: history.rows, horizon: horizon, historyName: csv)
        if let output {
            try TimeSeriesCSV.write(columns: series.columns, rows: forecast, to: fileURL(output))
        } else {
            print(try TimeSeriesCSV.text(columns: series.columns, rows: forecast), terminator: "")
        }
    }
}
