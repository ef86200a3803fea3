import ArgumentParser
import Foundation
import Recurrent

/// `recurrent visualize`: a character model reads a text; the page shades each character by a
/// unit's memory cell (or a gate), with a control to pick the unit.
struct VisualizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "visualize",
        abstract: "Shade a text by what the units of a character model (a one-way LSTM or GRU) do as it reads it (an HTML page).",
        discussion: """
            The model reads the text one character at a time; each character is shaded by the chosen \
            value of one unit at that step (blue negative, red positive), and a menu switches units. The \
            units that follow something visible (quotes, brackets, the position in the line, words, upper \
            case) are found by correlation, listed at the top and offered first.
            """)

    @Option(help: ArgumentHelp("A character model (recurrent train --text).", valueName: "file.safetensors"))
    var model: String

    @Option(help: ArgumentHelp("The text to read (UTF-8).", valueName: "file.txt"))
    var text: String

    @Option(help: ArgumentHelp("Where to write the page.", valueName: "page.html"))
    var output: String

    @Option(help: "The value to show: c (memory cell, the LSTM's default), h (the GRU's default), or a gate (i, f, o, g; r, z, n).")
    var value: String?

    @Option(parsing: .unconditional, help: "The layer, from 0 (default: the last).")
    var layer: Int?

    @Option(parsing: .unconditional, help: "A unit to show first, from 0.")
    var unit: Int?

    @Option(parsing: .unconditional, help: "Read at most this many characters of the text.")
    var length = 2000

    @Option(parsing: .unconditional, help: "Offer at most this many units in the menu.")
    var units = 64

    /// The values a model may have: the LSTM's c, h and gates i, f, o, g; the GRU's h and r, z, n.
    static let values = ["c", "h", "i", "f", "o", "g", "r", "z", "n"]

    func validate() throws {
        guard length >= 1 else { throw ValidationError("--length must be at least 1, got \(length)") }
        guard units >= 1 else { throw ValidationError("--units must be at least 1, got \(units)") }
        // Which of these the model has is known once it is read.
        if let value, !Self.values.contains(value) {
            throw ValidationError("--value must be one of \(Self.values.joined(separator: ", ")), got '\(shortQuote(value))'")
        }
        // Their upper bounds are the model's, checked once it is read.
        for (option, value) in [("--layer", layer), ("--unit", unit)] {
            if let value, value < 0 { throw ValidationError("\(option) must be at least 0, got \(value)") }
        }
    }

    func run() throws {
        try checkReadable(model, text)
        try checkWritable([("--output", output)], inputs: [("--model", model), ("--text", text)])
        let loaded = try SequenceModel<Float>.load(from: fileURL(model))
        let content = try TextCorpus.readText(fileURL(text))
        let excerpt = String(String.UnicodeScalarView(content.unicodeScalars.prefix(length)))
        let rec = loaded.configuration.recurrent
        let activity = try TextActivity(model: loaded, text: excerpt, layer: layer ?? rec.layers - 1, textName: text)
        let name = value ?? activity.names[0]
        guard activity.names.contains(name) else {
            throw RecurrentError(.value, "--value \(name): this \(rec.cell.rawValue) model has \(activity.names.joined(separator: ", "))")
        }
        if let unit, !(0..<rec.hiddenSize).contains(unit) {
            throw RecurrentError(.value, "--unit \(unit) is out of range: the layer has units 0...\(rec.hiddenSize - 1)")
        }
        let tracking = activity.trackingUnits(name)
        var order = [unit].compactMap { $0 } + tracking.map(\.unit)
        order += (0..<rec.hiddenSize).filter { !order.contains($0) }
        order = Array(NSOrderedSet(array: order).array as? [Int] ?? order).prefix(units).map { $0 }
        let labels = Dictionary(tracking.map { ($0.unit, "\($0.feature.rawValue), r = \(String(format: "%.2f", $0.correlation))") },
                                uniquingKeysWith: { a, _ in a })
        let tracks = order.map { u in
            ShadedText.Track(name: "\(name)[\(u)]" + (labels[u].map { " — \($0)" } ?? ""), values: activity.track(name, unit: u))
        }
        let notes = tracking.isEmpty ? ["No unit correlates with quotes, brackets, line position, words or upper case (|r| < 0.3)."]
            : tracking.map { "unit \($0.unit) follows \($0.feature.rawValue) (r = \(String(format: "%.2f", $0.correlation)))" }
        let title = "\(fileURL(model).lastPathComponent), layer \(activity.layer), \(name), reading "
            + "\(fileURL(text).lastPathComponent) (\(activity.characters.count) characters)"
        let page = ShadedText(characters: activity.characters, title: title).html(title: title, tracks: tracks, notes: notes)
        try PictureFile.write(page, to: fileURL(output))
    }
}
