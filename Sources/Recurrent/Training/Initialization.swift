extension SequenceModel {
    /// Draws every parameter, in storage order, from `generator`: PyTorch's defaults (recurrent
    /// tensors U(-1/√H, 1/√H), embedding N(0, 1), head U(-1/√fan_in, 1/√fan_in)), then the
    /// options of `initialization`.
    mutating func initialize(_ initialization: Initialization, generator g: inout SeededGenerator) {
        // Drawn into a copy and stored once: every write to `parameters` itself renews the
        // packs (its didSet), which for 16.8M parameters took seconds.
        var parameters = self.parameters
        defer { self.parameters = parameters }
        let cfg = configuration.recurrent
        let H = cfg.hiddenSize
        let recurrentBound = 1 / Scalar(H).squareRoot()
        let headBound = 1 / Scalar(cfg.outputSize).squareRoot()
        for entry in parameters.entries {
            for i in entry.offset..<(entry.offset + entry.count) {
                switch entry.name {
                case configuration.embeddingName: parameters.storage[i] = Scalar(g.normal())
                case configuration.headWeightName, configuration.headBiasName: parameters.storage[i] = g.uniform(-headBound, headBound)
                default: parameters.storage[i] = g.uniform(-recurrentBound, recurrentBound)
                }
            }
        }
        for entry in parameters.entries {
            let local = entry.name.dropFirst(configuration.recurrentPrefix.count)
            guard entry.name.hasPrefix(configuration.recurrentPrefix),
                  let parsed = TorchStateDict.parse(local) else { continue }
            if initialization.orthogonalRecurrent && parsed.kind == "weight_hh" {
                let cols = entry.shape[1]
                for block in 0..<cfg.cell.gateCount {
                    let q = orthogonalMatrix(rows: H, cols: cols, generator: &g)
                    for (k, v) in q.enumerated() { parameters.storage[entry.offset + block * H * cols + k] = Scalar(v) }
                }
            }
            // The cell's input and forget gate blocks (the LSTM's: 0 and 1), if it has them.
            let definition = cfg.cell.definition
            for (bias, gate) in [(initialization.inputBias, definition.inputGateBlock), (initialization.forgetBias, definition.forgetGateBlock)] {
                guard let bias, let block = gate, parsed.kind == "bias_ih" || parsed.kind == "bias_hh" else { continue }
                let value = parsed.kind == "bias_ih" ? Scalar(bias) : 0
                for j in (block * H)..<((block + 1) * H) { parameters.storage[entry.offset + j] = value }
            }
        }
    }
}

/// A random `rows × cols` matrix with orthonormal rows (rows ≤ cols) or columns (rows > cols),
/// by Gram–Schmidt on Gaussian vectors, as `torch.nn.init.orthogonal_` (up to the random draw).
func orthogonalMatrix(rows: Int, cols: Int, generator g: inout SeededGenerator) -> [Double] {
    let n = min(rows, cols), m = max(rows, cols)
    var vectors: [[Double]] = []
    while vectors.count < n {
        var v = (0..<m).map { _ in g.normal() }
        for u in vectors {
            let dot = zip(u, v).reduce(0) { $0 + $1.0 * $1.1 }
            for k in 0..<m { v[k] -= dot * u[k] }
        }
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard norm > 1e-6 else { continue }
        vectors.append(v.map { $0 / norm })
    }
    var out = [Double](repeating: 0, count: rows * cols)
    for r in 0..<rows {
        for c in 0..<cols {
            out[r * cols + c] = rows <= cols ? vectors[r][c] : vectors[c][r]
        }
    }
    return out
}

/// How a training run's model began: drawn afresh (and how), or loaded from a file. A
/// checkpoint keeps it, so that a resume that would begin otherwise is refused.
public enum ModelOrigin: Equatable, Sendable, Codable {
    case drawn(Initialization)
    /// Loaded from a file whose parameters hash to `content` (`SequenceModel.contentHash`;
    /// nil in checkpoints written before it was recorded).
    case loaded(content: String? = nil)

    /// In words, for messages: "drawn with PyTorch's initialisation", "loaded from a model file".
    public var summary: String {
        switch self {
        case .drawn(let initialization): "drawn with " + initialization.summary
        case .loaded(let content): "loaded from a model file" + (content.map { " (parameters \($0))" } ?? "")
        }
    }

    /// Whether a run beginning as `other` continues one that began as this: the same origin,
    /// or a model file whose content one of them did not record.
    public func admits(_ other: ModelOrigin) -> Bool {
        if case .loaded(let mine) = self, case .loaded(let theirs) = other, mine == nil || theirs == nil { return true }
        return self == other
    }
}

extension Initialization {
    /// In words, for messages: "PyTorch's initialisation", or what differs from it.
    public var summary: String {
        var parts: [String] = []
        if orthogonalRecurrent { parts.append("orthogonal recurrent weights") }
        if let forgetBias { parts.append("forget-gate bias \(forgetBias)") }
        if let inputBias { parts.append("input-gate bias \(inputBias)") }
        return parts.isEmpty ? "PyTorch's initialisation" : parts.joined(separator: ", ")
    }
}
