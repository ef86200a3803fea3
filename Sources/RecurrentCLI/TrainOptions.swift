import ArgumentParser
import Foundation
import Recurrent

extension TextSampling: ExpressibleByArgument {}

extension BuiltInTask: ExpressibleByArgument {}
extension OptimizerKind: ExpressibleByArgument {}

/// Where the training data comes from.
struct TrainingDataOptions: ParsableArguments {
    /// The step count standing for "until the time limit": above every count a run may be given.
    static let unbounded = 1 << 40

    enum Kind { case task(BuiltInTask), text, csv, arrays }

    @Option(help: "A built-in task: parity (default), adding, copy, temporal-order.")
    var task: BuiltInTask?

    @Option(parsing: .unconditional, help: "The task's length: sequence length T (parity, adding, temporal-order) or the copy delay.")
    var length: Int?

    @Option(help: ArgumentHelp("Train a character-level language model on this text file.", valueName: "file"))
    var text: String?

    @Option(help: ArgumentHelp("Train one-step-ahead forecasting on the numeric columns of this CSV file.", valueName: "file"))
    var csv: String?

    @Option(help: ArgumentHelp("With --csv: the columns to use, by header name or 1-based number (default: all).", valueName: "a,b,..."))
    var columns: String?

    @Option(help: ArgumentHelp("Input sequences (.npy): (T, N, X), or (N, T, X) with --batch-first.", valueName: "X.npy"))
    var input: String?

    @Option(help: ArgumentHelp("Targets (.npy): (T, N, O) for every step or (N, O) for the last step.", valueName: "Y.npy"))
    var target: String?

    @Flag(help: "The .npy arrays are batch-first: (N, T, ·).")
    var batchFirst = false

    @Option(help: "Loss for .npy targets: mse (default) or ce (targets are class indices).")
    var loss: String?

    @Option(parsing: .unconditional, help: "The number of classes for --loss ce (default: the largest target + 1).")
    var classes: Int?

    @Flag(help: "Shuffle the .npy sequences every epoch (default: in order, as PyTorch's DataLoader).")
    var shuffle = false

    @Option(parsing: .unconditional, help: "Steps per training chunk for --text and --csv (default 64 and 32).")
    var seqLen: Int?

    @Option(help: "With --text: windows (the default: the text cut into windows at a random phase each epoch, every window once per epoch in a shuffled order, each from a zero state) or streams (contiguous chunks, the state carried between them: truncated backpropagation through time).")
    var sampling: TextSampling?

    @Option(parsing: .unconditional, help: "The fraction of the data held out for validation, at its end (default 0.1 for --text and --csv, 0 for .npy).")
    var validationSplit: Double?

    var kind: Kind {
        if text != nil { return .text }
        if csv != nil { return .csv }
        if input != nil || target != nil { return .arrays }
        return .task(task ?? .parity)
    }

    var recipe: BuiltInTask.Recipe? {
        if case .task(let t) = kind { return t.recipe(length: length) }
        return nil
    }

    func validate() throws {
        let sources = [task != nil, text != nil, csv != nil, input != nil || target != nil].filter { $0 }.count
        if sources > 1 { throw ValidationError("give one source of data: --task, --text, --csv or --input/--target") }
        if (input == nil) != (target == nil) { throw ValidationError("--input and --target go together") }
        if let loss, !["mse", "ce"].contains(loss) { throw ValidationError("--loss must be mse or ce, got '\(loss)'") }
        if sampling != nil && text == nil { throw ValidationError("--sampling is for --text only") }
        if classes != nil && loss != "ce" { throw ValidationError("--classes is for --loss ce (class-index targets)") }
        if let classes, !(1...RecurrentConfiguration.maximumSize).contains(classes) {
            throw ValidationError("--classes must be in 1...\(RecurrentConfiguration.maximumSize) (the largest head a network has), got \(classes)")
        }
        if let validationSplit, !(validationSplit >= 0 && validationSplit < 1) {
            throw ValidationError("--validation-split must be in [0, 1), got \(validationSplit)")
        }
        if let seqLen, seqLen < 1 { throw ValidationError("--seq-len must be at least 1, got \(seqLen)") }
        try refuseUnused()
        // Each task's own range of lengths (the adding task's X1 needs 20 steps; at most 2^40).
        if case .task(let t) = kind, length != nil {
            do { _ = try t.data(length: length) } catch let error as RecurrentError { throw ValidationError("--length: \(error.message)") }
        }
    }

    /// Refuses options for another kind of data, which this one would ignore.
    func refuseUnused() throws {
        let isTask: Bool
        if case .task = kind { isTask = true } else { isTask = false }
        if input == nil, let (option, _) = [("--loss", loss != nil), ("--batch-first", batchFirst), ("--shuffle", shuffle)].first(where: \.1) {
            throw ValidationError("\(option) is for --input/--target arrays")
        }
        if csv == nil, columns != nil { throw ValidationError("--columns is for --csv") }
        if columns != nil, columnList == nil {
            throw ValidationError("--columns: a quote is not closed, or text follows a closing quote (a name with a comma is written \"a,b\")")
        }
        if columnList?.contains("") == true { throw ValidationError("--columns: an empty name in the list '\(shortQuote(columns ?? ""))'") }
        // The same word twice (a name and its number, the same column, is found in the file).
        if let list = columnList, let repeated = list.enumerated().first(where: { list[..<$0.offset].contains($0.element) })?.element {
            throw ValidationError("--columns names '\(shortQuote(repeated))' twice")
        }
        if text == nil, csv == nil, seqLen != nil { throw ValidationError("--seq-len is for --text and --csv") }
        if !isTask, length != nil { throw ValidationError("--length is for --task") }
        if isTask, validationSplit != nil {
            throw ValidationError("--validation-split is for --text, --csv and arrays; a task draws its own held-out sequences")
        }
    }

    /// `--columns` as a list, split as a CSV line is (a name holding a comma in quotes), or nil.
    var columnList: [String]? {
        columns.flatMap { CSVLine.cells($0[...]) }
    }

    /// Whether any data is held out for validation.
    var holdsOut: Bool {
        if case .task = kind { return true }
        return (validationSplit ?? (input != nil ? 0 : 0.1)) > 0
    }

    /// The data; a series reads `modelColumns` (a forecaster's own, by name) unless
    /// `--columns` says which.
    func makeData(modelColumns: [String]? = nil) throws -> any TrainingData {
        switch kind {
        case .task(let t):
            return try t.data(length: length)
        case .text:
            var corpus = try TextCorpus(contentsOf: fileURL(text!), sequenceLength: seqLen ?? 64,
                                        validationFraction: validationSplit ?? 0.1)
            corpus.sampling = sampling ?? corpus.sampling
            return corpus
        case .csv:
            return try TimeSeriesCSV(contentsOf: fileURL(csv!), sequenceLength: seqLen ?? 32,
                                     validationFraction: validationSplit ?? 0.1,
                                     columns: columnList ?? modelColumns, byNameOnly: columnList == nil && modelColumns != nil)
        case .arrays:
            var classCount: Int? = nil
            if loss == "ce" {
                let y = try ArrayDataset.targets(fileURL(target!), classIndices: true)
                // The largest class index + 1, over the values that can be one; any other value
                // (NaN, negative, fractional, huge) is then named by the dataset's own check.
                let indices = y.scalars.filter { $0 >= 0 && $0 < 16_777_216 && $0 == $0.rounded() }
                classCount = classes ?? ((indices.max().map { Int($0) } ?? 0) + 1)
            }
            return try ArrayDataset(inputURL: fileURL(input!), targetURL: fileURL(target!),
                                    batchFirst: batchFirst, validationFraction: validationSplit ?? 0,
                                    shuffle: shuffle, classes: classCount)
        }
    }
}

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
        if nonlinearity == .relu, !cell.usesNonlinearity {
            throw ValidationError("--nonlinearity relu is for --cell rnn only; a \(cell.rawValue) has no choice of nonlinearity")
        }
        if forgetBias != nil, !cell.hasForgetGate {
            throw ValidationError("--forget-bias: a \(cell.rawValue) cell has no forget gate"
                + (cell.hasInputGate ? " (its input gate's bias is --input-bias)" : ""))
        }
        if inputBias != nil, !cell.hasInputGate {
            throw ValidationError("--input-bias: a \(cell.rawValue) cell has no input gate")
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

/// The optimizer and the loop.
struct OptimizationOptions: ParsableArguments {
    enum Schedule: String, ExpressibleByArgument, CaseIterable { case constant, step, cosine }

    @Option(help: "sgd, adam (default) or adamw.")
    var optimizer: OptimizerKind = .adam

    @Option(parsing: .unconditional, help: "The learning rate (default: the task's; 0.002 for text; 0.001 otherwise).")
    var lr: Double?

    @Option(parsing: .unconditional, help: "SGD momentum (default 0).")
    var momentum: Double?

    @Flag(help: "SGD with Nesterov momentum.")
    var nesterov = false

    @Option(parsing: .unconditional, help: "Weight decay (L2 for SGD and Adam, decoupled for AdamW; default 0, AdamW 0.01).")
    var weightDecay: Double?

    @Option(parsing: .unconditional, help: "Clip the gradients' global norm to this (default: the task's; 5 for text; none otherwise); inf turns a task's clipping off.")
    var clip: Double?

    @Option(help: "Learning-rate schedule: constant (default), step (--step-size, --gamma) or cosine (to --min-lr).")
    var schedule: Schedule = .constant

    @Option(parsing: .unconditional, help: "Steps between decays of the step schedule (default 1000).")
    var stepSize: Int?

    @Option(parsing: .unconditional, help: "The step schedule's decay factor (default 0.5).")
    var gamma: Double?

    @Option(parsing: .unconditional, help: "The cosine schedule's final learning rate (default 0).")
    var minLr: Double?

    @Option(parsing: .unconditional, help: "Sequences per batch (default: the task's, else 32).")
    var batchSize: Int?

    @Option(parsing: .unconditional, help: "Optimizer steps (default: the task's; one epoch of finite data).")
    var steps: Int?

    @Option(parsing: .unconditional, help: "Passes over finite data.")
    var epochs: Int?

    @Option(parsing: .unconditional, help: "Seed of the data and of a new model's initialisation (default 0).")
    var seed: UInt64?

    @Option(parsing: .unconditional, help: "Stop training after this many seconds.")
    var maxTime: Double?

    @Option(parsing: .unconditional, help: "Threads for the matrix products (default: every core). Results do not depend on it.")
    var threads: Int?

    func validate() throws {
        if let threads { try validateThreadCount(threads) }
        // Options the chosen optimizer or schedule would not use: refused, not ignored.
        if optimizer != .sgd, let (option, _) = [("--momentum", momentum != nil), ("--nesterov", nesterov)].first(where: \.1) {
            throw ValidationError("\(option) is for --optimizer sgd; \(optimizer.rawValue) has no such setting")
        }
        if schedule != .step, let (option, _) = [("--step-size", stepSize != nil), ("--gamma", gamma != nil)].first(where: \.1) {
            throw ValidationError("\(option) is for --schedule step")
        }
        if schedule != .cosine, minLr != nil { throw ValidationError("--min-lr is for --schedule cosine") }
        if nesterov, (momentum ?? 0) <= 0 { throw ValidationError("--nesterov needs --momentum above 0") }
        if steps != nil, epochs != nil { throw ValidationError("give --steps or --epochs, not both") }
        try checkRanges()
        for (option, value) in [("--lr", lr), ("--momentum", momentum), ("--weight-decay", weightDecay), ("--clip", clip),
                                ("--gamma", gamma), ("--min-lr", minLr)] {
            try checkSinglePrecision(option, value)
        }
    }

    /// The ranges the library checks once the data is read (a learning rate of NaN, a batch of
    /// 0), checked first as usage errors naming the option.
    private func checkRanges() throws {
        for (option, value) in [("--lr", lr), ("--momentum", momentum), ("--weight-decay", weightDecay), ("--gamma", gamma),
                                ("--min-lr", minLr)] {
            if let value, !(value.isFinite && value >= 0) { throw ValidationError("\(option) must be a finite number >= 0, got \(value)") }
        }
        if let clip, !(clip > 0) { throw ValidationError("--clip must be above 0, got \(clip)") }
        if let maxTime, !(maxTime > 0 && maxTime.isFinite) {
            throw ValidationError("--max-time must be a finite number of seconds above 0, got \(maxTime)")
        }
        for (option, value, least) in [("--batch-size", batchSize, 1), ("--step-size", stepSize, 1), ("--steps", steps, 0),
                                       ("--epochs", epochs, 1)] {
            if let value, value < least { throw ValidationError("\(option) must be at least \(least), got \(value)") }
        }
        if let steps, steps >= TrainingDataOptions.unbounded {
            throw ValidationError("--steps must be below \(TrainingDataOptions.unbounded), got \(steps) (for a run that ends at its "
                + "time limit, give --max-time alone)")
        }
    }

    /// Sets the kernels' thread count from `--threads` (checked in `validate()`).
    func applyThreads() {
        if let threads { KernelSettings.threadCount = threads }
    }

    func options(for data: any TrainingData, recipe: BuiltInTask.Recipe?, kind: TrainingDataOptions.Kind) throws -> TrainingOptions {
        var isText = false
        if case .text = kind { isText = true }
        let rate = lr ?? recipe?.learningRate ?? (isText ? 0.002 : 0.001)
        let optimizerConfiguration = OptimizerConfiguration(
            kind: optimizer, learningRate: rate, momentum: momentum ?? 0, nesterov: nesterov, weightDecay: weightDecay)
        var stepCount = steps ?? (epochs == nil ? recipe?.steps : nil)
        if stepCount == nil, epochs == nil, maxTime != nil { stepCount = TrainingDataOptions.unbounded }
        let total = try stepCount ?? TrainingOptions(batchSize: batchSize ?? recipe?.batchSize ?? 32, epochs: epochs)
            .totalSteps(for: data)
        if stepCount == nil, total >= TrainingDataOptions.unbounded {
            throw RecurrentError(.value, "--epochs \(epochs ?? 1): \(total) steps are more than a run may take "
                + "(below \(TrainingDataOptions.unbounded)); give --max-time alone for a run that ends at its time limit")
        }
        if schedule == .cosine, total == TrainingDataOptions.unbounded {
            throw RecurrentError(.value, "--schedule cosine anneals over the run's length: give --steps or --epochs")
        }
        let scheduleValue: LearningRateSchedule = switch schedule {
        case .constant: .constant
        case .step: .step(stepSize: stepSize ?? 1000, gamma: gamma ?? 0.5)
        case .cosine: .cosine(totalSteps: max(1, total), minimum: minLr ?? 0)
        }
        return TrainingOptions(batchSize: batchSize ?? recipe?.batchSize ?? 32, steps: stepCount, epochs: epochs,
                               optimizer: optimizerConfiguration, schedule: scheduleValue,
                               clipNorm: clip.map { $0.isInfinite ? nil : $0 } ?? recipe?.clipNorm ?? (isText ? 5 : nil),
                               seed: seed ?? 0, maxTime: maxTime)
    }
}

/// Refuses a finite value that single precision, the weights' precision, cannot hold: beyond
/// its range (it would become infinite) or so small it becomes 0 (non-finite values are left
/// to the checks that name their own range).
func checkSinglePrecision(_ option: String, _ value: Double?) throws {
    guard let value, value.isFinite else { return }
    if value.magnitude > Double(Float.greatestFiniteMagnitude) {
        let off = option == "--clip" ? " (--clip inf turns clipping off)" : ""
        throw ValidationError("\(option) \(value) is beyond single precision's range (±3.4e38), the weights' precision\(off)")
    }
    if value != 0, Float(value) == 0 {
        throw ValidationError("\(option) \(value) is 0 in single precision, the weights' precision (the smallest is 1.4e-45)")
    }
}

/// Refuses a `--threads` count outside 1...`KernelSettings.maximumThreadCount` (the setting
/// would clamp it without a word).
func validateThreadCount(_ threads: Int) throws {
    guard (1...KernelSettings.maximumThreadCount).contains(threads) else {
        throw ValidationError("--threads must be in 1...\(KernelSettings.maximumThreadCount) (the cores this process may use), got \(threads)")
    }
}
