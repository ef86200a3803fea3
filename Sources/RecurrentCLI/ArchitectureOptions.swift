import ArgumentParser
import Foundation
import Recurrent

/// The model: loaded, or made new.
struct ArchitectureOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Start from this model (saved here, or a PyTorch state_dict) instead of a new one.", valueName: "file.safetensors"))
    var model: String?

    @Option(help: "With --model: the recurrent module's name prefix inside a larger state_dict.")
    var prefix: String?

    @Option(help: "The simple RNN's nonlinearity: tanh (default) or relu.")
    var nonlinearity: Nonlinearity?

    @Option(help: "The cell of a new model (default: lstm).")
    var cell: CellKind?

    @Option(parsing: .unconditional, help: "The hidden size of a new model (default: the task's; 128 for text, 32 otherwise).")
    var hidden: Int?

    @Option(parsing: .unconditional, help: "Stacked layers of a new model (default: 1).")
    var layers: Int?

    @Flag(help: "A new model reads each sequence in both directions.")
    var bidirectional = false

    @Option(parsing: .unconditional, help: "The embedding size of a new text model (default: the hidden size).")
    var embedding: Int?

    @Flag(help: "Orthogonal recurrent weights (each gate's block) instead of PyTorch's uniform initialisation.")
    var orthogonal = false

    @Option(parsing: .unconditional, help: "Set the forget-gate bias (the LSTMs', the GRU's update gate) to this value instead of drawing it (default: ln T for the long tasks; 1 is common elsewhere).")
    var forgetBias: Double?

    @Option(parsing: .unconditional, help: "Set the input-gate bias (the LSTMs', the CIFG's) to this value instead of drawing it (chrono initialisation: minus the forget bias).")
    var inputBias: Double?

    /// The cell of a new model.
    var newCell: CellKind { cell ?? .lstm }

    func validate() throws {
        if let model {
            // Options that shape a new model would be ignored by a loaded one: refuse them.
            let given = [("--cell", cell != nil), ("--hidden", hidden != nil), ("--layers", layers != nil),
                         ("--bidirectional", bidirectional), ("--embedding", embedding != nil), ("--orthogonal", orthogonal),
                         ("--forget-bias", forgetBias != nil), ("--input-bias", inputBias != nil)]
            if let (option, _) = given.first(where: \.1) {
                throw ValidationError("\(option) is for a new model; --model \(model) keeps its own architecture and weights")
            }
            return
        }
        if prefix != nil { throw ValidationError("--prefix is for --model (the module to train inside a larger file)") }
        let sizes = [("--hidden", hidden, RecurrentConfiguration.maximumSize), ("--layers", layers, RecurrentConfiguration.maximumLayers),
                     ("--embedding", embedding, RecurrentConfiguration.maximumSize)]
        for case let (option, value?, largest) in sizes where !(1...largest).contains(value) {
            throw ValidationError("\(option) must be in 1...\(largest), got \(value)")
        }
        for case let (option, value?) in [("--forget-bias", forgetBias), ("--input-bias", inputBias)] {
            guard value.isFinite else { throw ValidationError("\(option) must be a finite number, got \(value)") }
            try checkSinglePrecision(option, value)
        }
        let cell = newCell
        if let nonlinearity, !cell.usesNonlinearity {  // tanh too: it would be ignored
            throw ValidationError("--nonlinearity \(nonlinearity.rawValue) is for --cell rnn only; the \(cell.rawValue) cell has no choice of nonlinearity")
        }
        if forgetBias != nil, !cell.hasForgetGate {
            throw ValidationError("--forget-bias: the \(cell.rawValue) cell has no forget gate"
                + (cell.hasInputGate ? " (its input gate's bias is --input-bias)" : ""))
        }
        if inputBias != nil, !cell.hasInputGate {
            throw ValidationError("--input-bias: the \(cell.rawValue) cell has no input gate")
        }
    }

    func makeModel(for data: any TrainingData, recipe: BuiltInTask.Recipe?, seed: UInt64) throws -> SequenceModel<Float> {
        if let model {
            let loaded = try SequenceModel<Float>.load(from: fileURL(model), roles: .init(prefix: prefix),
                                                       nonlinearity: nonlinearity)
            if !loaded.passthrough.isEmpty {
                // Kept and written back unchanged, but not trained: say so.
                StandardError.write("note: training the model under '\(loaded.configuration.recurrentPrefix)' alone; "
                    + "kept unchanged: \(shortList(loaded.passthrough.map(\.name), limit: 6))\n")
            }
            return loaded
        }
        let hiddenSize: Int
        if let hidden { hiddenSize = hidden } else if let recipe { hiddenSize = recipe.hiddenSize } else {
            if case .tokens = data.input { hiddenSize = 128 } else { hiddenSize = 32 }
        }
        let inputSize: Int, vocabulary: Int?
        switch data.input {
        case .vectors(let size): (inputSize, vocabulary) = (size, nil)
        case .tokens(let v): (inputSize, vocabulary) = (embedding ?? hiddenSize, v)
        }
        let recurrent = RecurrentConfiguration(cell: newCell, inputSize: inputSize, hiddenSize: hiddenSize, layers: layers ?? 1,
                                               bidirectional: bidirectional, nonlinearity: nonlinearity ?? .tanh)
        let configuration = SequenceModelConfiguration(recurrent: recurrent, vocabularySize: vocabulary,
                                                       headSize: data.output.size)
        return try SequenceModel(configuration, initialization: initialization(recipe: recipe), seed: seed)
    }

    /// How the run's model begins: loaded (`--model`, whose parameters `loaded` are; nil when
    /// they are not known for good), or drawn as `initialization` says.
    func origin(recipe: BuiltInTask.Recipe?, loaded: SequenceModel<Float>?) -> ModelOrigin {
        model == nil ? .drawn(initialization(recipe: recipe)) : .loaded(content: loaded?.contentHash)
    }

    /// How a new model's weights are drawn: the options, else the recipe's gate biases for the
    /// cells with those gates.
    func initialization(recipe: BuiltInTask.Recipe?) -> Initialization {
        let cell = newCell
        return Initialization(orthogonalRecurrent: orthogonal,
                              forgetBias: forgetBias ?? (cell.hasForgetGate ? recipe?.forgetBias : nil),
                              inputBias: inputBias ?? (cell.hasInputGate ? recipe?.inputBias : nil))
    }
}
