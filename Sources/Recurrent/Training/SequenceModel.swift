import Foundation

/// The architecture of a trainable sequence model: an optional embedding for token inputs, a
/// recurrent stack, and an optional linear head.
///
///     x_t = E[token_t]              (V, E)   when the inputs are tokens, else x_t is the input vector
///     h_t = recurrent stack(x_t)             (D·Hout per step)
///     y_t = W_head h_t + b_head     (O, D·Hout), (O)   when there is a head, else y_t = h_t
public struct SequenceModelConfiguration: Equatable, Sendable, Codable {
    /// The recurrent stack.
    public var recurrent: RecurrentConfiguration
    /// The vocabulary size V of an embedding (whose width is the stack's input size), or nil
    /// when the inputs are vectors.
    public var vocabularySize: Int?
    /// O, the head's output features, or nil for no head (then each output step is the
    /// stack's, `recurrent.outputSize` = D·Hout wide; `modelOutputSize` is either).
    public var headSize: Int?
    /// The prefix of the recurrent tensors' names: `rnn.` for models made here, and whatever
    /// the source file used when fine-tuning a PyTorch module (`""` for a bare `nn.LSTM`).
    public var recurrentPrefix: String
    /// The embedding's tensor name: `embedding.weight` for models made here, the source's own
    /// (`embed.weight`) for a PyTorch model, so the file loads back into it.
    public var embeddingName: String
    /// The head's name prefix (`head.`, or the source's: `fc.`), before `weight` and `bias`.
    public var headPrefix: String
    /// Whether the head has a bias (`nn.Linear(bias=False)` has none).
    public var headHasBias: Bool

    /// Makes a configuration.
    public init(recurrent: RecurrentConfiguration, vocabularySize: Int? = nil, headSize: Int? = nil,
                recurrentPrefix: String = "rnn.", embeddingName: String = "embedding.weight", headPrefix: String = "head.",
                headHasBias: Bool = true) {
        self.recurrent = recurrent
        self.vocabularySize = vocabularySize
        self.headSize = headSize
        self.recurrentPrefix = recurrentPrefix
        self.embeddingName = embeddingName
        self.headPrefix = headPrefix
        self.headHasBias = headHasBias
    }

    /// Makes a configuration (the head's size under its former name).
    @available(*, deprecated, renamed: "init(recurrent:vocabularySize:headSize:recurrentPrefix:embeddingName:headPrefix:headHasBias:)")
    public init(recurrent: RecurrentConfiguration, vocabularySize: Int? = nil, outputSize: Int?,
                recurrentPrefix: String = "rnn.", embeddingName: String = "embedding.weight", headPrefix: String = "head.",
                headHasBias: Bool = true) {
        self.init(recurrent: recurrent, vocabularySize: vocabularySize, headSize: outputSize, recurrentPrefix: recurrentPrefix,
                  embeddingName: embeddingName, headPrefix: headPrefix, headHasBias: headHasBias)
    }

    /// The head's size under its former name, which other types use for the width of what they return.
    @available(*, deprecated, renamed: "headSize")
    public var outputSize: Int? {
        get { headSize }
        set { headSize = newValue }
    }

    /// The file keys: the head's size is written as `outputSize`, as before its rename.
    private enum CodingKeys: String, CodingKey {
        case recurrent, vocabularySize, headSize = "outputSize", recurrentPrefix, embeddingName, headPrefix, headHasBias
    }

    /// Decodes a configuration; files written before the names were recorded have the defaults.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(recurrent: try c.decode(RecurrentConfiguration.self, forKey: .recurrent),
                  vocabularySize: try c.decodeIfPresent(Int.self, forKey: .vocabularySize),
                  headSize: try c.decodeIfPresent(Int.self, forKey: .headSize),
                  recurrentPrefix: try c.decode(String.self, forKey: .recurrentPrefix),
                  embeddingName: try c.decodeIfPresent(String.self, forKey: .embeddingName) ?? "embedding.weight",
                  headPrefix: try c.decodeIfPresent(String.self, forKey: .headPrefix) ?? "head.",
                  headHasBias: try c.decodeIfPresent(Bool.self, forKey: .headHasBias) ?? true)
    }

    /// The head's weight and bias names.
    public var headWeightName: String { headPrefix + "weight" }
    public var headBiasName: String { headPrefix + "bias" }

    /// The size of the model's output vector: O with a head, else D·Hout.
    public var modelOutputSize: Int { headSize ?? recurrent.outputSize }

    /// Every tensor's name and shape, in storage order: the embedding, the recurrent tensors
    /// (with the prefix), the head's weight and bias.
    public var parameterShapes: [(name: String, shape: [Int])] {
        var list: [(String, [Int])] = []
        if let v = vocabularySize { list.append((embeddingName, [v, recurrent.inputSize])) }
        list += recurrent.parameterShapes.map { (recurrentPrefix + $0.name, $0.shape) }
        if let o = headSize {
            list.append((headWeightName, [o, recurrent.outputSize]))
            if headHasBias { list.append((headBiasName, [o])) }
        }
        return list
    }

    /// Checks the sizes, and that the parameters fit in this machine's memory.
    public func validate() throws {
        try recurrent.validate()
        let limit = RecurrentConfiguration.maximumSize
        if let v = vocabularySize, v <= 0 || v > limit {
            throw RecurrentError.value("vocabulary size must be in 1...\(limit), got \(v)")
        }
        if let o = headSize, o <= 0 || o > limit { throw RecurrentError.value("head size must be in 1...\(limit), got \(o)") }
        try MemoryBudget.require(MemoryBudget.product([parameterCount, 4]), for: "the parameters of this model")
    }

    /// The number of parameters, or nil when it is too large to count (`validate` refuses it).
    /// The recurrent part through its own count, which lists no layers of a stack whose sizes
    /// are out of range (a negative layer count trapped here; 10^9 layers would list for minutes).
    public var parameterCount: Int? {
        var sizes: [Int?] = [recurrent.parameterCount]
        if let v = vocabularySize { sizes.append(MemoryBudget.product([v, recurrent.inputSize])) }
        if let o = headSize {
            sizes.append(MemoryBudget.product([o, recurrent.outputSize]))
            if headHasBias { sizes.append(MemoryBudget.product([o])) }
        }
        return sizes.contains { $0 == nil } ? nil : MemoryBudget.sum(sizes.compactMap { $0 })
    }
}

/// How a new model's parameters are drawn.
public struct Initialization: Equatable, Sendable, Codable {
    /// Each gate's block of `weight_hh` a random orthogonal matrix (instead of PyTorch's uniform).
    public var orthogonalRecurrent: Bool
    /// The LSTM's forget-gate bias: `bias_ih` of the f block set to this, `bias_hh` to 0
    /// (nil keeps PyTorch's uniform draw). 1 is the common choice (Jozefowicz et al. 2015).
    public var forgetBias: Double?
    /// The LSTM's input-gate bias, set the same way (nil keeps the draw). Chrono
    /// initialisation (Tallec & Ollivier 2018) pairs a forget bias b with an input bias -b, so
    /// the memory cell starts open to the past and closed to new input.
    public var inputBias: Double?

    /// PyTorch's defaults: recurrent tensors U(-1/√H, 1/√H); embedding N(0, 1); head weight and
    /// bias U(-1/√fan_in, 1/√fan_in).
    public static let pytorch = Initialization()

    /// Makes an initialization.
    public init(orthogonalRecurrent: Bool = false, forgetBias: Double? = nil, inputBias: Double? = nil) {
        self.orthogonalRecurrent = orthogonalRecurrent
        self.forgetBias = forgetBias
        self.inputBias = inputBias
    }
}

/// A trainable model: embedding, recurrent stack and head in one flat parameter buffer under
/// PyTorch's names (`embedding.weight`, `rnn.weight_ih_l0`, ..., `head.weight`, `head.bias`),
/// so it saves as a safetensors file that loads here and into the same PyTorch module.
public struct SequenceModel<Scalar: RecurrentScalar>: Sendable {
    /// The architecture.
    public let configuration: SequenceModelConfiguration
    /// Every parameter, in storage order.
    public internal(set) var parameters: ParameterStore<Scalar> {
        // Packs made from the old weights must not serve the new ones (training changes them
        // every step; it never uses packs).
        didSet { packs = NetworkPacks(layers: configuration.recurrent.layers, directions: configuration.recurrent.directions) }
    }
    /// The recurrent weights packed for inference, made on first use and kept between calls
    /// (a stream of single steps repacked them at every step: 100 times the work).
    var packs: NetworkPacks<Scalar>
    /// The characters of a character-level model's vocabulary, token i being `vocabulary[i]`.
    public var vocabulary: [String]?
    /// Tensors of the file the model was loaded from that are not part of it (other layers of
    /// a larger PyTorch model), written back unchanged so the file still loads into that model.
    public var passthrough: [(name: String, tensor: Tensor<Scalar>)] = []
    /// A forecaster's columns and their scaling (set when it trains on a series).
    public var series: SeriesScaling?
    let layout: NetworkLayout
    let recurrentOffset: Int
    let embeddingOffset: Int?
    let headOffset: Int?

    /// A hash of every parameter's bits, in storage order (FNV-1a, hexadecimal): what a
    /// checkpoint records of a model file a run began from.
    public var contentHash: String {
        var hash = FNV1a()
        // Eight bytes at a time, whatever the scalar (a per-value generic loop took seconds for 16M).
        parameters.storage.withUnsafeBytes { bytes in
            let words = bytes.count / 8
            for w in 0..<words { hash.mix(bytes.loadUnaligned(fromByteOffset: w * 8, as: UInt64.self)) }
            for b in (words * 8)..<bytes.count { hash.mix(UInt64(bytes[b])) }
        }
        return hash.hex
    }

    /// A model with zero parameters.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public init(_ configuration: SequenceModelConfiguration) throws {
        try configuration.validate()
        var store = ParameterStore<Scalar>()
        store.reserveCapacity(configuration.parameterCount ?? 0)  // validated: counted
        for (name, shape) in configuration.parameterShapes { try store.append(name, shape: shape) }
        try self.init(configuration, parameters: store)
    }

    /// A model with the given parameters (exactly the configuration's names and shapes).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public init(_ configuration: SequenceModelConfiguration, parameters: ParameterStore<Scalar>) throws {
        try configuration.validate()
        var ordered = ParameterStore<Scalar>()
        // At most what was given: parameters short of the configuration are refused below, before
        // the configuration's full count is ever reserved.
        ordered.reserveCapacity(min(parameters.scalarCount, configuration.parameterCount ?? 0))
        for (name, shape) in configuration.parameterShapes {
            guard let tensor = parameters[name] else { throw RecurrentError.name("missing tensor '\(name)'") }
            guard tensor.shape == shape else {
                throw RecurrentError.shape("\(name): expected shape \(describeShape(shape)), got \(describeShape(tensor.shape))")
            }
            try ordered.append(name, tensor)
        }
        let names = Set(configuration.parameterShapes.map(\.name))
        if let extra = parameters.names.first(where: { !names.contains($0) }) {
            throw RecurrentError.name("unexpected tensor '\(extra)'")
        }
        self.configuration = configuration
        self.parameters = ordered
        self.packs = NetworkPacks(layers: configuration.recurrent.layers, directions: configuration.recurrent.directions)
        self.layout = NetworkLayout(configuration.recurrent)
        self.recurrentOffset = ordered.offset(of: configuration.recurrentPrefix + "weight_ih_l0")
        self.embeddingOffset = ordered.entry(configuration.embeddingName)?.offset
        self.headOffset = ordered.entry(configuration.headWeightName)?.offset
    }

    /// A new model initialised from `seed` (PyTorch's defaults unless `initialization` says otherwise).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    /// - Throws: `RecurrentError` also for a forget or input bias the cell has no gate for.
    public init(_ configuration: SequenceModelConfiguration, initialization: Initialization = .pytorch, seed: UInt64) throws {
        let cell = configuration.recurrent.cell
        if initialization.forgetBias != nil && !cell.hasForgetGate {
            throw RecurrentError.unsupported("a forget-gate bias for the \(cell) cell, which has no forget gate")
        }
        if initialization.inputBias != nil && !cell.hasInputGate {
            throw RecurrentError.unsupported("an input-gate bias for the \(cell) cell, which has no input gate")
        }
        // The sizes first (the count below assumes them), then the zero store and the ordered copy
        // that init(_:parameters:) makes, with room to spare.
        try configuration.validate()
        try MemoryBudget.require(MemoryBudget.product([configuration.parameterCount, 4, MemoryLayout<Scalar>.size]),
                                 for: "drawing the parameters of \(configuration.summary)")
        try self.init(configuration)
        var g = SeededGenerator(seed: seed)
        initialize(initialization, generator: &g)
    }

    /// A model around a recurrent network (no embedding, no head), with its tensors named
    /// `prefix` + PyTorch's names, as when fine-tuning a PyTorch module.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public init(network: RecurrentNetwork<Scalar>, prefix: String = "") throws {
        try self.init(SequenceModelConfiguration(recurrent: network.configuration, recurrentPrefix: prefix),
                      parameters: network.parameters.prefixed(prefix))
    }

    /// The recurrent stack alone, as a network.
    public var network: RecurrentNetwork<Scalar> {
        var store = ParameterStore<Scalar>()
        for (name, _) in configuration.recurrent.parameterShapes {
            // The names and shapes come from the same configuration, so neither step can fail.
            try! store.append(name, parameters[configuration.recurrentPrefix + name]!)
        }
        // A valid configuration (this model's), the parameters in its order.
        return RecurrentNetwork(validated: configuration.recurrent, ordered: store)
    }

    /// The number of parameters.
    public var parameterCount: Int { parameters.scalarCount }
}

extension SequenceModel: Equatable {
    public static func == (a: SequenceModel, b: SequenceModel) -> Bool {
        a.configuration == b.configuration && a.parameters == b.parameters && a.vocabulary == b.vocabulary
            && a.series == b.series
            && a.passthrough.map(\.name) == b.passthrough.map(\.name)
            && a.passthrough.map(\.tensor) == b.passthrough.map(\.tensor)
    }
}

extension SequenceModelConfiguration {
    /// About the bytes a training step needs (an upper estimate, for refusing what cannot fit
    /// before anything is allocated): eight copies of the parameters (the parameters, their
    /// gradients, two optimizer moments, the kernels' packed copies, the checkpoint's; the peak
    /// resident memory of a step of LSTM(1, 2048) is 8.2 times its parameters' bytes), and per
    /// step and sequence the inputs, targets, outputs and their gradients, and each
    /// layer's tape (gates, with the row-block padding of a batch of one, cell and hidden
    /// states, their gradients). nil when it overflows.
    public func trainingBytes(batch: Int, steps: Int, scalarSize: Int) -> Int? {
        let cfg = recurrent, H = cfg.hiddenSize, G = cfg.cell.definition.gateCount
        guard let parameters = parameterCount,
              let gates = MemoryBudget.product([G + 3, H]), let tape = MemoryBudget.sum([gates, RowBlockLayout.maximumPadding]),
              let states = MemoryBudget.product([3, cfg.stateSize]),
              let perLayer = MemoryBudget.sum([tape, states]),
              let layers = MemoryBudget.product([cfg.layers, cfg.directions, perLayer]),
              let outputs = MemoryBudget.product([3, modelOutputSize]),
              let perStep = MemoryBudget.sum([cfg.inputSize, outputs, layers]),
              let activations = MemoryBudget.product([batch, steps, perStep]),
              let weights = MemoryBudget.product([8, parameters]),
              let total = MemoryBudget.sum([weights, activations])
        else { return nil }
        return MemoryBudget.product([total, scalarSize])
    }
}

extension SequenceModelConfiguration {
    /// About the bytes a forward pass without a tape needs beyond the model itself (an upper
    /// estimate, as `trainingBytes`): the weights' packed copy; per step and sequence the input,
    /// the output, a layer's input projections and its outputs; per sequence each layer's gates
    /// and states. nil when it overflows. Counts B even when T is 0: the states are (B, H).
    public func inferenceBytes(batch: Int, steps: Int, scalarSize: Int) -> Int? {
        parameterCount.flatMap {
            recurrent.inferenceBytes(batch: batch, steps: steps, scalarSize: scalarSize, parameters: $0, outputSize: modelOutputSize)
        }
    }

    /// The model in PyTorch's notation: `Embedding(V, X) → LSTM(X, H) → Linear(H, O)`.
    public var summary: String {
        var parts: [String] = []
        if let v = vocabularySize { parts.append("Embedding(\(v), \(recurrent.inputSize))") }
        parts.append(recurrent.summary)
        if let o = headSize { parts.append("Linear(\(recurrent.outputSize), \(o))") }
        return parts.joined(separator: " → ")
    }
}
