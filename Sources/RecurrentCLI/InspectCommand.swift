import ArgumentParser
import Foundation
import Recurrent

/// `recurrent inspect`: what a safetensors file holds and the architecture inferred from it.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show the tensors of a safetensors file and the recurrent architecture inferred from them.")

    @Argument(help: ArgumentHelp("A safetensors file.", valueName: "file.safetensors"))
    var file: String

    @Option(help: "Only the recurrent module under this name prefix.")
    var prefix: String?

    @Option(help: "An nn.RNN's nonlinearity (not recorded in the weights): tanh or relu.")
    var nonlinearity: Nonlinearity?

    @Option(help: "The embedding's tensor or module name, when the file does not make it clear.")
    var embedding: String?

    @Option(help: "The head's module name (an nn.Linear), when the file does not make it clear.")
    var head: String?

    func run() throws {
        let url = fileURL(file)
        let header = try SafetensorsHeader.read(url)
        let names = header.entries.map(\.name)
        if let saved = try? Self.savedModel(header, source: url.lastPathComponent) {
            // A model written here records its roles: options that say otherwise are refused, not ignored.
            try ModelRoles.checkAgreement(.init(prefix: prefix, embedding: embedding, head: head), nonlinearity: nonlinearity,
                                          with: saved, source: url.lastPathComponent)
        }
        let shapes = header.entries.map { (name: $0.name, shape: $0.shape) }
        let prefixes = prefix != nil
            ? [try TorchStateDict.resolvePrefix(prefix, in: names, source: url.lastPathComponent, advice: "choose one with --prefix")]
            : TorchStateDict.modulePrefixes(in: names)
        // Role options apply to the one recurrent module's model: without one they would be ignored.
        let roles = [("--nonlinearity", nonlinearity != nil), ("--embedding", embedding != nil), ("--head", head != nil)]
        if prefixes.count != 1, let (option, _) = roles.first(where: \.1) {
            throw RecurrentError(.value, "\(url.lastPathComponent): " + (prefixes.isEmpty
                ? "no recurrent module (no tensor named like weight_ih_l0), so \(option) has nothing to apply to"
                : "\(option) is for one model, and the file holds \(prefixes.count) recurrent modules: choose one with --prefix"))
        }
        // What the tensors make, worked out first: a role the user chose that fits nothing is an error.
        let modelLines = prefixes.count == 1 ? try roleLines(header: header, prefix: prefixes[0], shapes: shapes, source: url.lastPathComponent) : []
        let values = MemoryBudget.sum(header.entries.map { MemoryBudget.product($0.shape) ?? 0 })
        print("\(url.lastPathComponent): \(header.entries.count.counted("tensor")), \(values.map(\.grouped) ?? "too many to count") values")
        if prefixes.isEmpty { print("no recurrent module (no tensor named like weight_ih_l0)") }
        for modulePrefix in prefixes {
            let config = try TorchStateDict.configuration(
                shapes: shapes, prefix: modulePrefix, metadata: header.metadata,
                nonlinearity: nonlinearity, source: url.lastPathComponent)
            let count = config.parameterCount ?? 0
            let place = modulePrefix.isEmpty ? "" : " at '\(modulePrefix)'"
            print(RecurrentCommand.escapingControlCharacters("\(config.summary)\(place): \(count.grouped) parameters"))
            if config.cell.usesNonlinearity && nonlinearity == nil && header.metadata[TorchStateDict.MetadataKey.nonlinearity] == nil {
                print("  (an nn.RNN's nonlinearity is not in its weights: tanh assumed; --nonlinearity relu for ReLU)")
            }
        }
        for line in modelLines { print(line) }
        let width = (names.map { Self.printable($0).count }.max() ?? 0)
        for entry in header.entries {
            let shape = "(" + entry.shape.map(String.init).joined(separator: ", ") + ")"
            print("  " + Self.printable(entry.name).padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                  + Self.printable(entry.dtype).padding(toLength: 5, withPad: " ", startingAt: 0) + shape)
        }
        for (key, value) in header.metadata.sorted(by: { $0.key < $1.key }) {
            print("  metadata \(Self.printable(key)) = \(Self.printable(value))")
        }
    }

    /// A name from the file as one line: quoted with escapes when it holds a control character
    /// (a line break would split the listing).
    static func printable(_ text: String) -> String {
        text.unicodeScalars.contains { $0.properties.generalCategory == .control || $0.properties.isWhitespace && $0 != " " }
            ? String(reflecting: text) : text
    }
}

extension InspectCommand {
    /// The lines that say what model the file makes: its embedding, recurrent module and head,
    /// or why it makes none.
    /// - Throws: why, when the user chose the embedding or the head (`--embedding`, `--head`).
    func roleLines(header: SafetensorsHeader, prefix: String, shapes: [(name: String, shape: [Int])], source: String) throws -> [String] {
        var lines: [String] = []
        do {
            if let saved = try Self.savedModel(header, source: source) {
                return ["model (saved here): " + RecurrentCommand.escapingControlCharacters(Self.describe(saved))]
            }
        } catch {
            // predict and train refuse such a file; what the tensors make is shown, and why.
            lines.append("model description refused (predict and train refuse the file): "
                + RecurrentCommand.escapingControlCharacters((error as? RecurrentError)?.message ?? "\(error)"))
        }
        do {
            let recurrent = try TorchStateDict.configuration(shapes: shapes, prefix: prefix, metadata: header.metadata,
                                                             nonlinearity: nonlinearity, source: source)
            let roles = try ModelRoles.find(shapes: shapes, recurrent: recurrent, prefix: prefix,
                                            choice: .init(prefix: self.prefix, embedding: embedding, head: head), source: source,
                                            advice: "name them with --embedding and --head, and give --prefix to leave the rest out")
            let byName = Dictionary(shapes.map { ($0.name, $0.shape) }, uniquingKeysWith: { a, _ in a })
            let config = SequenceModelConfiguration(
                recurrent: recurrent, vocabularySize: roles.embedding.flatMap { byName[$0]?.first },
                headSize: roles.head.flatMap { byName[$0 + "weight"]?.first }, recurrentPrefix: prefix,
                embeddingName: roles.embedding ?? "", headPrefix: roles.head ?? "", headHasBias: roles.headHasBias)
            try config.checkNoStrayParameter(among: shapes.map(\.name), source: source)
            lines.append("model: " + RecurrentCommand.escapingControlCharacters(Self.describe(config)))
            if !roles.leftOut.isEmpty {
                lines.append("  left out (not part of the model): " + RecurrentCommand.escapingControlCharacters(shortList(roles.leftOut, limit: 6)))
            }
        } catch {
            if embedding != nil || head != nil { throw error }
            // Names from the file (a tensor named with a terminal escape) are shown escaped, as in the list above.
            lines.append("model: none (" + RecurrentCommand.escapingControlCharacters("\(error)") + ")")
        }
        return lines
    }

    /// The model a file written here describes in its metadata; nil when it has none.
    /// - Throws: `RecurrentError` saying why the description is refused, as loading says it.
    static func savedModel(_ header: SafetensorsHeader, source: String) throws -> SequenceModelConfiguration? {
        try SequenceModelConfiguration.described(metadata: header.metadata, tensorNames: header.entries.map(\.name), source: source)
    }

    /// `embedding embed.weight (V, X) → recurrent 'lstm.' LSTM(...) → head 'fc.' Linear(I, O)`.
    static func describe(_ c: SequenceModelConfiguration) -> String {
        var parts: [String] = []
        if let v = c.vocabularySize { parts.append("embedding \(c.embeddingName) Embedding(\(v), \(c.recurrent.inputSize))") }
        parts.append("recurrent '\(c.recurrentPrefix)' \(c.recurrent.summary)")
        if let o = c.headSize {
            parts.append("head '\(c.headPrefix)' Linear(\(c.recurrent.outputSize), \(o)\(c.headHasBias ? "" : ", bias=False"))")
        }
        return parts.joined(separator: " → ")
    }
}

extension Int {
    /// The number with thousands separated by commas, whatever the locale: `1,234,567`.
    var grouped: String {
        let digits = String(magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (self < 0 ? "-" : "") + out
    }

    /// The count with its noun, singular for 1: `1 step`, `3 steps` (the noun takes an s).
    func counted(_ noun: String) -> String { "\(self) \(noun)\(self == 1 ? "" : "s")" }
}
