/// Reads a PyTorch recurrent module (`nn.LSTM`, `nn.GRU`, `nn.RNN`, or this library's gated
/// RNN saved under the same names) out of a `state_dict` with no other information: the cell,
/// input size, hidden size, layer count, directions, `proj_size` and bias presence are inferred
/// from the tensor names (`weight_ih_l0`, `weight_hh_l1_reverse`, `bias_ih_l0`,
/// `weight_hr_l0`, ...) and shapes:
///
/// - layers: the `l{k}` suffixes; bidirectional: `_reverse` present; bias: `bias_ih_l0` present;
/// - with `weight_hr_l0` `(P, H)`: P and H from it; otherwise H = the columns of `weight_hh_l0`;
/// - G = rows of `weight_hh_l0` / H: 4 LSTM (the peephole LSTM when `weight_ci_l0` is there),
///   3 GRU, 2 gated RNN, 1 simple RNN;
/// - X = the columns of `weight_ih_l0`.
///
/// Whether an `nn.RNN` used tanh or ReLU is not in the weights: it is given by the caller (or
/// by the `recurrent.nonlinearity` metadata this library writes).
public enum TorchStateDict {
    /// The metadata keys this library writes beside the tensors.
    public enum MetadataKey {
        /// `lstm`, `gru`, `gated` or `rnn`.
        public static let cell = "recurrent.cell"
        /// `tanh` or `relu`, for the simple RNN.
        public static let nonlinearity = "recurrent.nonlinearity"
    }

    /// PyTorch's tensor kinds, then every cell's unit vectors (`weight_ci`, ...).
    private static let parameterKinds = ["weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr"]
        + CellKind.allCases.flatMap(\.definition.unitVectors)

    /// Splits `weight_hh_l1_reverse` into (`weight_hh`, 1, true); nil for other names.
    static func parse(_ name: Substring) -> (kind: String, layer: Int, reverse: Bool)? {
        for kind in parameterKinds where name.hasPrefix(kind + "_l") {
            var rest = name.dropFirst(kind.count + 2)
            let reverse = rest.hasSuffix("_reverse")
            if reverse { rest = rest.dropLast("_reverse".count) }
            guard !rest.isEmpty, rest.allSatisfy(\.isASCII), rest.allSatisfy(\.isNumber), let layer = Int(rest) else { return nil }
            guard rest == "0" || !rest.hasPrefix("0") else { return nil }
            return (kind, layer, reverse)
        }
        return nil
    }

    /// The prefixes under which a recurrent module's tensors are found (`""` for a bare module,
    /// `"encoder.rnn."` for one inside a larger model), sorted.
    public static func modulePrefixes(in names: [String]) -> [String] {
        var prefixes: [String] = []
        for name in names where name.hasSuffix("weight_ih_l0") {
            let prefix = String(name.dropLast("weight_ih_l0".count))
            if (prefix.isEmpty || prefix.hasSuffix(".")) && !prefixes.contains(prefix) { prefixes.append(prefix) }
        }
        return prefixes.sorted()
    }

    /// The names among `names` that are not tensors of the recurrent module under `prefix`:
    /// what loading that module alone leaves out.
    public static func namesOutside(module prefix: String, in names: [String]) -> [String] {
        names.filter { !($0.hasPrefix(prefix) && parse($0.dropFirst(prefix.count)) != nil) }
    }

    /// The module prefix to load: `requested` (with or without its trailing dot) or, when nil,
    /// the only recurrent module in the file.
    /// - Throws: `RecurrentError` when there is none, several and none was chosen, or the
    ///   requested one is absent.
    ///   `advice` ends the message for several modules (a command names its option there).
    public static func resolvePrefix(
        _ requested: String?, in names: [String], source: String, advice: String = "choose one by its prefix"
    ) throws -> String {
        let found = modulePrefixes(in: names)
        func listing() -> String { found.map { $0.isEmpty ? "(no prefix)" : $0 }.joined(separator: ", ") }
        if let requested {
            let candidates = requested.isEmpty || requested.hasSuffix(".") ? [requested] : [requested + ".", requested]
            if let match = candidates.first(where: found.contains) { return match }
            throw RecurrentError.name(
                "\(source): no recurrent module under prefix '\(requested)'"
                    + (found.isEmpty ? "" : " (found: \(listing()))"))
        }
        switch found.count {
        case 0:
            throw RecurrentError.name("\(source): no recurrent module found (no tensor named like weight_ih_l0)")
        case 1:
            return found[0]
        default:
            throw RecurrentError.name(
                "\(source): holds \(found.count) recurrent modules (\(listing())); \(advice)")
        }
    }

    /// The architecture of the module under `prefix`.
    /// - Parameters:
    ///   - shapes: every tensor's name and shape.
    ///   - metadata: the file's `__metadata__` (`recurrent.cell`, `recurrent.nonlinearity`).
    ///   - nonlinearity: for a simple RNN, when the metadata does not say (PyTorch's default: tanh).
    /// - Throws: `RecurrentError` naming the tensor that does not fit.
    public static func configuration(
        shapes: [(name: String, shape: [Int])], prefix: String, metadata: [String: String] = [:],
        nonlinearity: Nonlinearity? = nil, source: String
    ) throws -> RecurrentConfiguration {
        var byName: [String: [Int]] = [:]
        var layerIndices = Set<Int>(), reverse = false
        for (name, shape) in shapes where name.hasPrefix(prefix) {
            let local = name.dropFirst(prefix.count)
            guard let parsed = parse(local) else { continue }
            byName[String(local)] = shape
            layerIndices.insert(parsed.layer)
            reverse = reverse || parsed.reverse
        }
        // Layers 0 ..< L, every one present: a stray index (l9223372036854775807) names the gap.
        let layers = layerIndices.count
        if let top = layerIndices.max(), top >= layers {
            let missing = (0..<layers).first { !layerIndices.contains($0) } ?? layers
            throw RecurrentError.name("\(source): missing tensor '\(prefix)weight_ih_l\(missing)' (the file has tensors of layer \(top))")
        }
        func shape(_ name: String) throws -> [Int] {
            guard let s = byName[name] else { throw RecurrentError.name("\(source): missing tensor '\(prefix)\(name)'") }
            return s
        }
        let wih = try shape("weight_ih_l0"), whh = try shape("weight_hh_l0")
        guard wih.count == 2, whh.count == 2, whh[0] > 0, whh[1] > 0, wih[0] > 0, wih[1] > 0 else {
            throw RecurrentError.shape("\(source): \(prefix)weight_ih_l0 and weight_hh_l0 must be non-empty matrices, got \(describeShape(wih)) and \(describeShape(whh))")
        }
        var hidden = whh[1], projection = 0
        if let whr = byName["weight_hr_l0"] {
            guard whr.count == 2, whr[0] == whh[1], whr[1] > 0 else {
                throw RecurrentError.shape("\(source): \(prefix)weight_hr_l0 has shape \(describeShape(whr)), expected (\(whh[1]), H) with H > 0")
            }
            (hidden, projection) = (whr[1], whr[0])
        }
        let kind = try cell(rows: whh[0], hidden: hidden, vectors: Set(byName.keys.compactMap { parse(Substring($0))?.kind }),
                            declared: metadata[MetadataKey.cell], source: source, prefix: prefix)
        var resolved = nonlinearity ?? .tanh
        if nonlinearity == nil, let name = metadata[MetadataKey.nonlinearity] {
            guard let parsed = Nonlinearity(rawValue: name) else {
                throw RecurrentError.format("\(source): unknown nonlinearity '\(name)' in metadata")
            }
            resolved = parsed
        }
        guard resolved == .tanh || kind.definition.usesNonlinearity else {
            throw RecurrentError.format("\(source): nonlinearity '\(resolved.rawValue)' is only for the simple RNN; these weights are of cell '\(kind.rawValue)'")
        }
        let configuration = RecurrentConfiguration(
            cell: kind, inputSize: wih[1], hiddenSize: hidden, layers: layers, bidirectional: reverse,
            projectionSize: projection, bias: byName["bias_ih_l0"] != nil, nonlinearity: resolved)
        do {
            try configuration.validate()
        } catch var error as RecurrentError {
            error.message = "\(source): \(prefix.isEmpty ? "" : "under '\(prefix)': ")\(error.message)"
            throw error
        }
        return configuration
    }

    /// The cell of weights with `rows` rows in `weight_hh_l0` for hidden size `hidden` and these
    /// tensor kinds present: the cell the metadata declares when its gate blocks and vectors fit,
    /// else the one `CellKind.inferred` reads from the shapes.
    /// - Throws: `RecurrentError` when no cell fits, the declared one is unknown, or it does not fit.
    private static func cell(rows: Int, hidden: Int, vectors: Set<String>, declared: String?, source: String,
                             prefix: String) throws -> CellKind {
        let gates = rows % hidden == 0 ? rows / hidden : 0
        let counts = Set(CellKind.allCases.map(\.gateCount)).sorted().map(String.init).joined(separator: ", ")
        guard let inferred = CellKind.inferred(gates: gates, unitVectors: vectors) else {
            throw RecurrentError.shape(
                "\(source): \(prefix)weight_hh_l0 has \(rows) rows for hidden size \(hidden): not \(counts) gate blocks of a known cell")
        }
        guard let declared else { return inferred }
        guard let kind = CellKind(rawValue: declared) else {
            throw RecurrentError.format("\(source): metadata says cell '\(declared)', which is not one of \(CellKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard kind.gateCount == gates, Set(kind.unitVectorNames).isSubset(of: vectors) else {
            throw RecurrentError.format("\(source): metadata says cell '\(declared)' but the shapes are those of \(inferred.rawValue)")
        }
        return kind
    }

    /// The network under `prefix` in `store`; every tensor of the module must be present with
    /// the inferred shape, and no stray ones may be.
    public static func network<Scalar: RecurrentScalar>(
        from store: ParameterStore<Scalar>, prefix: String, metadata: [String: String] = [:],
        nonlinearity: Nonlinearity? = nil, source: String
    ) throws -> RecurrentNetwork<Scalar> {
        let shapes = store.entries.map { ($0.name, $0.shape) }
        let config = try configuration(shapes: shapes, prefix: prefix, metadata: metadata,
                                       nonlinearity: nonlinearity, source: source)
        var local = ParameterStore<Scalar>()
        for entry in store.entries where entry.name.hasPrefix(prefix) {
            let name = entry.name.dropFirst(prefix.count)
            if parse(name) != nil { try local.append(String(name), store[entry.name]!) }
        }
        do {
            return try RecurrentNetwork(config, parameters: local)
        } catch var error as RecurrentError {
            error.message = "\(source): \(prefix.isEmpty ? "" : "under '\(prefix)': ")\(error.message)"
            throw error
        }
    }
}
