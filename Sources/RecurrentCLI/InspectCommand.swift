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

    func run() throws {
        let url = URL(fileURLWithPath: file)
        let header = try SafetensorsHeader.read(url)
        let names = header.entries.map(\.name)
        let shapes = header.entries.map { (name: $0.name, shape: $0.shape) }
        let prefixes = prefix != nil
            ? [try TorchStateDict.resolvePrefix(prefix, in: names, source: url.lastPathComponent, advice: "choose one with --prefix")]
            : TorchStateDict.modulePrefixes(in: names)
        let values = MemoryBudget.sum(header.entries.map { MemoryBudget.product($0.shape) ?? 0 })
        print("\(url.lastPathComponent): \(header.entries.count) tensors, \(values.map(\.grouped) ?? "too many to count") values")
        if prefixes.isEmpty { print("no recurrent module (no tensor named like weight_ih_l0)") }
        for modulePrefix in prefixes {
            let config = try TorchStateDict.configuration(
                shapes: shapes, prefix: modulePrefix, metadata: header.metadata,
                nonlinearity: nonlinearity, source: url.lastPathComponent)
            let count = config.parameterCount ?? 0
            let place = modulePrefix.isEmpty ? "" : " at '\(modulePrefix)'"
            print("\(config.summary)\(place): \(count.grouped) parameters")
            if config.cell.usesNonlinearity && nonlinearity == nil && header.metadata[TorchStateDict.MetadataKey.nonlinearity] == nil {
                print("  (an nn.RNN's nonlinearity is not in its weights: tanh assumed; --nonlinearity relu for ReLU)")
            }
        }
        let width = (names.map(\.count).max() ?? 0)
        for entry in header.entries {
            let shape = "(" + entry.shape.map(String.init).joined(separator: ", ") + ")"
            print("  " + entry.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                  + entry.dtype.padding(toLength: 5, withPad: " ", startingAt: 0) + shape)
        }
        for (key, value) in header.metadata.sorted(by: { $0.key < $1.key }) {
            print("  metadata \(key) = \(value)")
        }
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
}
