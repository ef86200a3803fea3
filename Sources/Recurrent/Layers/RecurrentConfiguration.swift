/// The architecture of a recurrent network, with PyTorch's meaning for every field
/// (`nn.LSTM(input_size, hidden_size, num_layers, bias, batch_first, dropout=0, bidirectional,
/// proj_size)`, `nn.GRU`, `nn.RNN(nonlinearity=...)`), plus the course's gated RNN.
public struct RecurrentConfiguration: Equatable, Sendable, Codable {
    /// The cell in every layer.
    public var cell: CellKind
    /// The simple RNN's nonlinearity; tanh for every other cell (which has none to choose).
    public var nonlinearity: Nonlinearity
    /// X, the size of each input vector of the first layer.
    public var inputSize: Int
    /// H, the size of the hidden state (the LSTM's memory cell).
    public var hiddenSize: Int
    /// L, the number of stacked layers; layer l + 1 reads layer l's output sequence.
    public var layers: Int
    /// Whether each layer also runs backwards in time (D = 2 directions), concatenating outputs.
    public var bidirectional: Bool
    /// P, the LSTM's projection size (`proj_size`), or 0 for none.
    public var projectionSize: Int
    /// Whether the cells have `bias_ih` and `bias_hh`.
    public var bias: Bool

    /// Makes a configuration; the defaults are PyTorch's.
    public init(
        cell: CellKind, inputSize: Int, hiddenSize: Int, layers: Int = 1, bidirectional: Bool = false,
        projectionSize: Int = 0, bias: Bool = true, nonlinearity: Nonlinearity = .tanh
    ) {
        self.cell = cell
        // Other cells have no choice of nonlinearity: kept as tanh so that equal networks compare equal.
        self.nonlinearity = cell.definition.usesNonlinearity ? nonlinearity : .tanh
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.layers = layers
        self.bidirectional = bidirectional
        self.projectionSize = projectionSize
        self.bias = bias
    }

    private enum CodingKeys: String, CodingKey {
        case cell, nonlinearity, inputSize, hiddenSize, layers, bidirectional, projectionSize, bias
    }

    /// Decodes through `init`, so that a configuration read from a file keeps tanh for the cells
    /// that have no choice of nonlinearity, as one made in code does; a file that gives such a
    /// cell another nonlinearity is refused (it would be ignored).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let cell = try c.decode(CellKind.self, forKey: .cell), nonlinearity = try c.decode(Nonlinearity.self, forKey: .nonlinearity)
        if !cell.definition.usesNonlinearity, nonlinearity != .tanh {
            throw RecurrentError.value("nonlinearity '\(nonlinearity.rawValue)' for the \(cell.rawValue) cell, which has no choice of one")
        }
        self.init(cell: cell, inputSize: try c.decode(Int.self, forKey: .inputSize),
                  hiddenSize: try c.decode(Int.self, forKey: .hiddenSize), layers: try c.decode(Int.self, forKey: .layers),
                  bidirectional: try c.decode(Bool.self, forKey: .bidirectional),
                  projectionSize: try c.decode(Int.self, forKey: .projectionSize), bias: try c.decode(Bool.self, forKey: .bias),
                  nonlinearity: nonlinearity)
    }

    /// D: 2 when bidirectional, else 1.
    public var directions: Int { bidirectional ? 2 : 1 }
    /// Hout, the size of the visible state h: P with a projection, else H.
    public var stateSize: Int { projectionSize > 0 ? projectionSize : hiddenSize }
    /// The size of each output vector: D · Hout (Int.max where that overflows: `validate`
    /// refuses such sizes).
    public var outputSize: Int {
        let (size, overflow) = directions.multipliedReportingOverflow(by: stateSize)
        return overflow ? .max : size
    }

    /// The largest size of any one dimension (input, hidden, projection): far beyond any real
    /// network, small enough that sizes multiply without overflow before the memory check.
    public static let maximumSize = CellGeometry.maximumSize
    /// The most layers a stack may have.
    public static let maximumLayers = 1 << 12

    /// Checks that the sizes make sense and that the parameters fit in this machine's memory.
    /// - Throws: `RecurrentError` (`.value`) naming the field at fault.
    public func validate() throws {
        for (name, value) in [("input size", inputSize), ("hidden size", hiddenSize)] {
            guard value > 0 else { throw RecurrentError.value("\(name) must be positive, got \(value)") }
            guard value <= Self.maximumSize else {
                throw RecurrentError.value("\(name) \(value) is larger than the largest supported, \(Self.maximumSize)")
            }
        }
        guard layers > 0 else { throw RecurrentError.value("layer count must be positive, got \(layers)") }
        guard layers <= Self.maximumLayers else {
            throw RecurrentError.value("layer count \(layers) is larger than the largest supported, \(Self.maximumLayers)")
        }
        guard projectionSize >= 0 else {
            throw RecurrentError.value("projection size must be 0 or positive, got \(projectionSize)")
        }
        if projectionSize > 0 {
            guard cell.definition.allowsProjection else {
                throw RecurrentError.value("projection (proj_size) is only defined for the LSTM, not \(cell.definition.moduleName)")
            }
            guard projectionSize < hiddenSize else {
                throw RecurrentError.value("proj_size (\(projectionSize)) must be smaller than hidden_size (\(hiddenSize))")
            }
        }
        try MemoryBudget.require(MemoryBudget.product([parameterCount, 4]),
                                 for: "the parameters of \(summary)")
    }

    /// The number of parameters, or nil when a size is out of range or the count too large to
    /// count (`validate` refuses both).
    public var parameterCount: Int? {
        guard let shapes = parameterShapesChecked else { return nil }
        var sizes: [Int] = []
        for (_, shape) in shapes {
            guard let size = MemoryBudget.product(shape) else { return nil }
            sizes.append(size)
        }
        return MemoryBudget.sum(sizes)
    }

    /// `parameterShapes` for sizes within the limits (nil otherwise).
    private var parameterShapesChecked: [(name: String, shape: [Int])]? {
        guard inputSize > 0, hiddenSize > 0, layers > 0, projectionSize >= 0, inputSize <= Self.maximumSize,
              hiddenSize <= Self.maximumSize, projectionSize <= Self.maximumSize, layers <= Self.maximumLayers
        else { return nil }
        return parameterShapes
    }

    /// The name suffix of a layer and direction: `_l0`, `_l1_reverse`.
    public static func suffix(layer: Int, reverse: Bool) -> String {
        "_l\(layer)" + (reverse ? "_reverse" : "")
    }

    /// The geometry of the cell at a layer (both directions share it).
    func geometry(layer: Int) -> CellGeometry {
        CellGeometry(kind: cell, nonlinearity: nonlinearity, inputSize: layer == 0 ? inputSize : outputSize,
                     hiddenSize: hiddenSize, projectionSize: projectionSize, hasBias: bias)
    }

    /// Every parameter's name and shape, in PyTorch's `state_dict` order (none for a layer
    /// count below 1, which `validate` refuses).
    public var parameterShapes: [(name: String, shape: [Int])] {
        var list: [(String, [Int])] = []
        for layer in 0..<max(layers, 0) {
            for direction in 0..<directions {
                list += geometry(layer: layer).parameterShapes(
                    suffix: Self.suffix(layer: layer, reverse: direction == 1))
            }
        }
        return list
    }

    /// The module as PyTorch prints it, for example `LSTM(64, 256, num_layers=2, bidirectional=True)`
    /// (the gated RNN prints as `GatedRNN`, and a simple RNN shows its nonlinearity when ReLU).
    public var summary: String {
        var parts = ["\(inputSize)", "\(hiddenSize)"]
        if projectionSize > 0 { parts.append("proj_size=\(projectionSize)") }
        if layers != 1 { parts.append("num_layers=\(layers)") }
        if cell.definition.usesNonlinearity && nonlinearity == .relu { parts.append("nonlinearity='relu'") }
        if !bias { parts.append("bias=False") }
        if bidirectional { parts.append("bidirectional=True") }
        return "\(cell.definition.moduleName)(" + parts.joined(separator: ", ") + ")"
    }
}

/// How a batch of sequences is laid out in a tensor.
public enum SequenceLayout: String, Sendable, Codable {
    /// `(T, B, X)`: PyTorch's default (`batch_first=False`).
    case sequenceFirst
    /// `(B, T, X)`: `batch_first=True`.
    case batchFirst
}

/// The states a network carries between steps, in PyTorch's shapes: `h` is `(L·D, B, Hout)`
/// and, for the LSTM, `c` is `(L·D, B, H)`, row `l·D + d` for layer l and direction d. For an
/// unbatched sequence the B dimension is absent.
public struct RecurrentState<Scalar: RecurrentScalar>: Equatable, Sendable {
    /// The visible state h.
    public var h: Tensor<Scalar>
    /// The LSTM's memory cell c; nil for other cells.
    public var c: Tensor<Scalar>?

    /// Makes a state from its tensors.
    public init(h: Tensor<Scalar>, c: Tensor<Scalar>? = nil) {
        self.h = h
        self.c = c
    }
}
