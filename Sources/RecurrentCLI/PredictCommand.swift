import ArgumentParser
import Foundation
import Recurrent

/// `recurrent predict`: run a PyTorch (or saved) recurrent network on a .npy input.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Run a recurrent network from a safetensors state_dict on a .npy input, as y, state = module(x).",
        discussion: """
            The architecture (LSTM, GRU, RNN or gated RNN; sizes, layers, directions, proj_size, bias) \
            is inferred from the tensor names and shapes. X is (T, B, X), (B, T, X) with --batch-first, \
            or (T, X) unbatched; the output has the shape PyTorch gives. Inputs may be float32 or \
            float64; the network runs in float32 and writes float32.
            """)

    @Option(help: ArgumentHelp("The model: a safetensors file of a state_dict (safetensors.torch.save_file(module.state_dict(), path)).", valueName: "file.safetensors"))
    var model: String

    @Option(help: ArgumentHelp("The input sequences, a .npy file.", valueName: "file.npy"))
    var input: String

    @Option(help: ArgumentHelp("Where to write the output sequence (.npy).", valueName: "file.npy"))
    var output: String

    @Flag(help: "The input is (B, T, X) and the output (B, T, D*Hout), as batch_first=True.")
    var batchFirst = false

    @Option(help: ArgumentHelp("Initial states: a safetensors file with h0 (and c0 for an LSTM) in PyTorch's shapes (layers*directions, B, Hout).", valueName: "file.safetensors"))
    var initialState: String?

    @Option(help: ArgumentHelp("Where to write the final states h_n (and c_n) as safetensors.", valueName: "file.safetensors"))
    var stateOutput: String?

    @Option(help: ArgumentHelp("Each sequence's length, comma-separated (as packed sequences: padded steps keep the state and output zeros).", valueName: "n,n,..."))
    var lengths: String?

    @Option(help: "The recurrent module's name prefix inside a larger state_dict (e.g. encoder.rnn); needed only when the file holds several.")
    var prefix: String?

    @Option(help: "An nn.RNN's nonlinearity, which the weights do not record: tanh or relu (default: tanh, or what the file's metadata says).")
    var nonlinearity: Nonlinearity?

    func run() throws {
        let url = URL(fileURLWithPath: model)
        let names = try SafetensorsHeader.read(url).entries.map(\.name)
        let chosen = try TorchStateDict.resolvePrefix(prefix, in: names, source: url.lastPathComponent, advice: "choose one with --prefix")
        let outside = TorchStateDict.namesOutside(module: chosen, in: names)
        if !outside.isEmpty {
            let listing = Self.listing(outside)
            guard prefix != nil else {
                let file = url.lastPathComponent
                throw RecurrentError(.name, "\(file): predict runs a recurrent module alone, and this file also holds "
                    + "\(listing); to run the module alone, name it with --prefix '\(chosen)'")
            }
            FileHandle.standardError.write(Data("note: running the recurrent module '\(chosen)' alone; left out: \(listing)\n".utf8))
        }
        let (network, _) = try RecurrentNetwork<Float>.load(from: url, prefix: prefix, nonlinearity: nonlinearity)
        let x = try NPY.read(URL(fileURLWithPath: input), as: Float.self)
        let state = try initialState.map { try RecurrentState<Float>(contentsOf: URL(fileURLWithPath: $0)) }
        let (y, final) = try network(x, initialState: state, lengths: try lengths.map(parseLengths),
                                     layout: batchFirst ? .batchFirst : .sequenceFirst)
        try NPY.write(y, to: URL(fileURLWithPath: output))
        if let stateOutput { try final.write(to: URL(fileURLWithPath: stateOutput)) }
    }

    /// The first few names, then how many more.
    static func listing(_ names: [String], limit: Int = 6) -> String {
        let shown = names.prefix(limit).joined(separator: ", ")
        return names.count > limit ? shown + " and \(names.count - limit) more" : shown
    }

    private func parseLengths(_ text: String) throws -> [Int] {
        try text.split(separator: ",").map { word in
            guard let n = Int(word.trimmingCharacters(in: .whitespaces)) else {
                throw RecurrentError(.value, "--lengths: '\(word)' is not a whole number")
            }
            return n
        }
    }
}
