import ArgumentParser
import Foundation
import Recurrent

/// `recurrent predict`: run a whole model (embedding, recurrent module, head) from a safetensors
/// file on a .npy input.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Run a model from a safetensors file on a .npy input, as y, state = model(x).",
        discussion: """
            The model is what the file holds: a model trained here, a bare nn.LSTM, nn.GRU or nn.RNN \
            state_dict, or a PyTorch model written the usual way (an nn.Embedding, one recurrent module, \
            an nn.Linear head) under any names: the roles are found from the names and shapes (recurrent \
            inspect shows them). Vectors are (T, B, X), (B, T, X) with --batch-first, or (T, X); token ids \
            (int32 or int64) are (T, B), (B, T) or (T). The output has O values per step (the head's, or the \
            recurrent module's D*Hout), float32.
            """)

    @Option(help: ArgumentHelp("The model: a safetensors file (a model saved here, or a PyTorch state_dict).", valueName: "file.safetensors"))
    var model: String

    @Option(help: ArgumentHelp("The inputs, a .npy file: float vectors, or int32/int64 token ids for a model with an embedding.", valueName: "file.npy"))
    var input: String

    @Option(help: ArgumentHelp("Where to write the outputs (.npy).", valueName: "file.npy"))
    var output: String

    @Flag(help: "The input is (B, T, ...) and the output (B, T, O), as batch_first=True.")
    var batchFirst = false

    @Flag(help: "Write softmax(y) over the O outputs of each step (probabilities; needs a head).")
    var softmax = false

    @Option(help: ArgumentHelp("Initial states: a safetensors file with h0 (and c0 with a memory cell) in PyTorch's shapes (layers*directions, B, Hout).", valueName: "file.safetensors"))
    var initialState: String?

    @Option(help: ArgumentHelp("Where to write the final states h_n (and c_n) as safetensors.", valueName: "file.safetensors"))
    var stateOutput: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Each sequence's length, comma-separated (as packed sequences: padded steps keep the state and the recurrent output there is zero, so a head gives its bias there, as in PyTorch).", valueName: "n,n,..."))
    var lengths: String?

    @Option(help: "The recurrent module's name prefix (e.g. encoder.rnn): runs it, with --embedding and --head if given, and leaves the rest of the file out.")
    var prefix: String?

    @Option(help: "The embedding's tensor or module name, when the file does not make it clear.")
    var embedding: String?

    @Option(help: "The head's module name (an nn.Linear), when the file does not make it clear.")
    var head: String?

    @Option(help: "An nn.RNN's nonlinearity, which the weights do not record: tanh or relu (default: tanh, or what the file's metadata says).")
    var nonlinearity: Nonlinearity?

    /// `--lengths` is a list of whole numbers, none below 0 (a usage error before any file is
    /// read; the bound above is the input's steps, checked when it is read).
    func validate() throws {
        guard let lengths else { return }
        do {
            for n in try parseLengths(lengths) where n < 0 {
                throw ValidationError("--lengths: \(n) is below 0; a sequence has 0 or more steps")
            }
        } catch let error as RecurrentError {
            throw ValidationError(error.message)
        }
    }

    func run() throws {
        // Every path is checked before the work starts.
        try checkReadable(model, input)
        try checkWritable([("--output", output)] + (stateOutput.map { [("--state-output", $0)] } ?? []),
                          inputs: [("--model", model), ("--input", input), ("--initial-state", initialState)])
        let url = fileURL(model)
        let loaded = try SequenceModel<Float>.load(
            from: url, roles: .init(prefix: prefix, embedding: embedding, head: head), nonlinearity: nonlinearity,
            advice: (modules: "choose one with --prefix", roles: "name them with --embedding and --head, and give --prefix to leave the rest out"))
        if !loaded.passthrough.isEmpty {
            StandardError.write("note: running the model under '\(loaded.configuration.recurrentPrefix)'; left out: "
                + shortList(loaded.passthrough.map(\.name), limit: 6) + "\n")
        }
        if softmax && loaded.configuration.headSize == nil {
            throw RecurrentError(.value, "--softmax needs a model with a head; this one outputs its recurrent states")
        }
        let layout: SequenceLayout = batchFirst ? .batchFirst : .sequenceFirst
        let state = try initialState.map { try RecurrentState<Float>(contentsOf: fileURL($0)) }
        let sequenceLengths = try lengths.map(parseLengths)
        var (y, final): (Tensor<Float>, RecurrentState<Float>)
        switch try NPY.readContents(fileURL(input), as: Float.self) {
        case .values(let x):
            guard loaded.configuration.vocabularySize == nil else {
                throw RecurrentError(.value, "\(input): the model reads token ids (it has an embedding), the input holds floats")
            }
            // The library names the element; the file is the command's to name.
            if let bad = x.firstNonFiniteIndex, let value = x.scalars.first(where: { !$0.isFinite }) {
                throw RecurrentError(.value, "\(input): input\(bad) is \(value); the model reads finite numbers")
            }
            (y, final) = try loaded(x, initialState: state, lengths: sequenceLengths, layout: layout)
        case .integers(let shape, let values):
            guard loaded.configuration.vocabularySize != nil else {
                throw RecurrentError(.value, "\(input): the model reads vectors (it has no embedding), the input holds integers")
            }
            let tokens = try TokenSequences(shape: shape, ids: try Self.ids(values, shape: shape, source: input))
            if let vocabulary = loaded.configuration.vocabularySize, let problem = tokens.outOfRange(vocabulary: vocabulary) {
                throw RecurrentError(.value, "\(input): \(problem)")
            }
            (y, final) = try loaded(tokens, initialState: state, lengths: sequenceLengths, layout: layout)
        }
        if softmax { y = Self.softmax(y) }
        // The outputs and the final states land together, or neither does.
        let result = y
        var writes: [(destination: URL, write: (URL) throws -> Void)] = [(fileURL(output), { try NPY.write(result, to: $0) })]
        if let stateOutput { writes.append((fileURL(stateOutput), { try final.write(to: $0) })) }
        try FileAccess.writeTogether(writes)
    }

    /// Integers as token ids; an id beyond Int32 is out of any vocabulary.
    static func ids(_ values: [Int64], shape: [Int], source: String) throws -> [Int32] {
        try values.enumerated().map { i, v in
            guard let id = Int32(exactly: v) else {
                throw RecurrentError(.value, "\(source): token \(v) at \(multiIndex(i, in: shape)) is outside any vocabulary")
            }
            return id
        }
    }

    /// softmax over the last dimension, computed in Double.
    static func softmax(_ y: Tensor<Float>) -> Tensor<Float> {
        let O = y.shape.last ?? 1
        var out = y.scalars
        for start in stride(from: 0, to: out.count, by: O) {
            let row = out[start..<(start + O)].map(Double.init)
            let top = row.max() ?? 0
            let weights = row.map { Foundation.exp($0 - top) }
            let total = weights.reduce(0, +)
            for k in 0..<O { out[start + k] = Float(weights[k] / total) }
        }
        return (try? Tensor(shape: y.shape, scalars: out)) ?? y
    }

    private func parseLengths(_ text: String) throws -> [Int] {
        try text.split(separator: ",", omittingEmptySubsequences: false).map { word in
            guard let n = Int(word.trimmingCharacters(in: .whitespaces)) else {
                throw RecurrentError(.value, "--lengths: '\(word)' is not a whole number")
            }
            return n
        }
    }
}
