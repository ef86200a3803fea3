import ArgumentParser
import Foundation
import Recurrent

/// `recurrent plot`: loss curves of one or more runs, overlaid in one picture.
struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Draw the loss curves of training runs (NAME.loss.jsonl files) in one SVG, to compare them.",
        discussion: """
            Each run gets one colour: its batch losses faint, their smoothing (TensorBoard's, weight 0.9) solid, \
            held-out losses dashed; a second panel shows the smoothed losses against seconds of training.
            """)

    @Argument(help: ArgumentHelp("Loss curves written by recurrent train --output (NAME.loss.jsonl).", valueName: "file.loss.jsonl"))
    var curves: [String]

    @Option(help: ArgumentHelp("Where to write the picture.", valueName: "file.svg"))
    var output: String

    @Option(help: "The picture's title.")
    var title = "Training loss"

    func validate() throws {
        guard !curves.isEmpty else { throw ValidationError("give at least one loss curve (NAME.loss.jsonl)") }
        // A ninth run would take the first one's colour, and the two could not be told apart.
        guard curves.count <= ChartPalette.categoricalCount else {
            throw ValidationError("give at most \(ChartPalette.categoricalCount) loss curves (one colour each), got \(curves.count); "
                + "compare them in groups")
        }
    }

    func run() throws {
        for path in curves { try checkReadable(path) }
        for (index, path) in curves.enumerated() {
            if let earlier = curves[..<index].first(where: { sameFile($0, path) }) {
                throw RecurrentError(.value, "\(earlier) and \(path) are the same loss curve; give each run once")
            }
        }
        try checkWritable([("--output", output)], inputs: curves.map { (what: "curve", path: $0) })
        // Each run by its file's name, or by its path as given when two names are the same (a/run, b/run).
        let names = curves.map { fileURL($0).lastPathComponent.replacingOccurrences(of: ".loss.jsonl", with: "") }
        let unique = Set(names).count == names.count
        let runs = try zip(curves, names).map { path, name in
            (name: unique ? name : path.replacingOccurrences(of: ".loss.jsonl", with: ""), curve: try LossCurve.read(contentsOf: fileURL(path)))
        }
        try LossCurve.writeSVG(runs: runs, title: title, to: fileURL(output))
    }
}
