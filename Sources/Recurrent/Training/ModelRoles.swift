/// Which tensors of a PyTorch `state_dict` are a sequence model's embedding, recurrent module and
/// head, found from the names and shapes of a module written the usual way
/// (`self.embed = nn.Embedding(V, X)`, `self.lstm = nn.LSTM(X, H, ...)`, `self.fc = nn.Linear(D·H, O)`),
/// whatever the names.
///
/// - the recurrent module: its tensors `weight_ih_l0`, ... under one prefix (`lstm.`), as
///   `TorchStateDict` finds it;
/// - the embedding: a module with one 2-D tensor `weight` `(V, X)`, X the module's input size;
/// - the head: a module with `weight` `(O, D·Hout)` (D·Hout the module's output size) and
///   optionally `bias` `(O)`: one `nn.Linear` (anything deeper is not a head this library runs).
///
/// Without choices, the file must hold the recurrent module and at most one of each other role,
/// with exactly one reading placing every tensor; otherwise the error names what cannot be
/// placed, or the readings that compete. Choosing the module by its prefix runs it (with any
/// embedding and head chosen too) and leaves the rest out: `leftOut` names it.
public struct ModelRoles: Equatable, Sendable {
    /// The recurrent module's prefix (`""` for a bare module).
    public var recurrentPrefix: String
    /// The embedding's tensor name, if any.
    public var embedding: String?
    /// The head's module prefix (`fc.`), if any.
    public var head: String?
    /// Whether the head has a bias.
    public var headHasBias: Bool
    /// The tensors that are in none of the roles (only when the module was chosen by its prefix).
    public var leftOut: [String]

    /// What the caller says of the roles: names that override the search.
    public struct Choice: Equatable, Sendable {
        /// The recurrent module's prefix; nil to find the only one.
        public var prefix: String?
        /// The embedding's tensor name (`embed.weight`) or module (`embed`).
        public var embedding: String?
        /// The head's module (`fc`, `fc.`) or weight name (`fc.weight`).
        public var head: String?

        public init(prefix: String? = nil, embedding: String? = nil, head: String? = nil) {
            (self.prefix, self.embedding, self.head) = (prefix, embedding, head)
        }
    }

    /// The roles in a file of `shapes` whose recurrent module is `recurrent` under `prefix`.
    /// - Parameter advice: ends the message when readings compete (a command names its options).
    /// - Throws: `RecurrentError` naming the tensors that cannot be placed, or the competing readings.
    public static func find(
        shapes: [(name: String, shape: [Int])], recurrent: RecurrentConfiguration, prefix: String, choice: Choice,
        source: String, advice: String = "say which tensor is the embedding and which module the head, and choose the recurrent module by its prefix to leave the rest out"
    ) throws -> ModelRoles {
        let outside = shapes.filter { TorchStateDict.namesOutside(module: prefix, in: [$0.name]) == [$0.name] }
        let modules = Dictionary(grouping: outside) { modulePrefix($0.name) }
        let X = recurrent.inputSize, width = recurrent.outputSize
        func embeddingFits(_ module: String) -> Bool {
            guard let tensors = modules[module], tensors.count == 1, tensors[0].name == module + "weight" else { return false }
            return tensors[0].shape.count == 2 && tensors[0].shape[1] == X && tensors[0].shape[0] > 0
        }
        func headFits(_ module: String) -> Bool {
            guard let tensors = modules[module], let w = tensors.first(where: { $0.name == module + "weight" }),
                  w.shape.count == 2, w.shape[1] == width, w.shape[0] > 0 else { return false }
            let rest = tensors.filter { $0.name != module + "weight" }
            return rest.isEmpty || (rest.count == 1 && rest[0].name == module + "bias" && rest[0].shape == [w.shape[0]])
        }
        var embedding = try choice.embedding.map { try chosen($0, fits: embeddingFits, role: "embedding", expected: "(V, \(X))", source) }
        var head = try choice.head.map { try chosen($0, fits: headFits, role: "head", expected: "(O, \(width)) and (O)", source) }
        var leftOut: [String] = []
        if choice.prefix == nil {
            let readings = readings(modules: Array(modules.keys), embedding: embedding, head: head, embeddingFits, headFits)
            guard readings.count == 1 else {
                let fits = { (m: String) in (embedding == nil && embeddingFits(m)) || (head == nil && headFits(m)) }
                throw readings.isEmpty
                    ? unplaceable(modules.filter { $0.key != embedding && $0.key != head }, fits: fits, source, advice)
                    : RecurrentError.name("\(source): the roles are ambiguous: " + readings.prefix(3).map(describe).joined(separator: "; or ")
                        + "; \(advice)")
            }
            (embedding, head) = readings[0]
        } else {
            leftOut = outside.map(\.name).filter { name in ![embedding, head].contains(modulePrefix(name)) }
        }
        let hasBias = head.map { h in outside.contains { $0.name == h + "bias" } } ?? true
        return ModelRoles(recurrentPrefix: prefix, embedding: embedding.map { $0 + "weight" }, head: head,
                          headHasBias: hasBias, leftOut: leftOut)
    }

    /// The module of a tensor name: everything up to and with its last dot (`""` for none).
    static func modulePrefix(_ name: String) -> String {
        name.lastIndex(of: ".").map { String(name[...$0]) } ?? ""
    }

    /// The module a choice names (`embed`, `embed.`, `embed.weight`), checked against `fits`.
    private static func chosen(_ name: String, fits: (String) -> Bool, role: String, expected: String, _ source: String) throws
        -> String
    {
        let candidates = [name.hasSuffix(".weight") ? String(name.dropLast("weight".count)) : nil,
                          name.hasSuffix(".") ? name : name + "."].compactMap { $0 }
        guard let module = candidates.first(where: fits) else {
            throw RecurrentError.name("\(source): '\(name)' is not a module that can be the \(role) (expected weight \(expected))")
        }
        return module
    }

    /// Every (embedding, head) assignment that places every module, the given ones fixed.
    private static func readings(
        modules: [String], embedding: String?, head: String?, _ embeddingFits: (String) -> Bool, _ headFits: (String) -> Bool
    ) -> [(String?, String?)] {
        let embeddings: [String?] = embedding.map { [$0] } ?? [nil] + modules.filter(embeddingFits).sorted()
        let heads: [String?] = head.map { [$0] } ?? [nil] + modules.filter(headFits).sorted()
        var out: [(String?, String?)] = []
        for e in embeddings {
            for h in heads where e == nil || e != h {
                if Set(modules) == Set([e, h].compactMap { $0 }) { out.append((e, h)) }
            }
        }
        return out
    }

    /// Refuses choices that disagree with a model this library wrote, whose roles and
    /// nonlinearity its metadata records (they would otherwise be ignored): a prefix, embedding
    /// or head other than the model's, or one it does not have, or another nonlinearity.
    /// - Throws: `RecurrentError` naming the file, the role, and both names.
    public static func checkAgreement(_ choice: Choice, nonlinearity: Nonlinearity?, with model: SequenceModelConfiguration,
                               source: String) throws {
        func mismatch(_ what: String, _ given: String, _ stored: String?) -> RecurrentError {
            RecurrentError.name("\(source): the model's \(what) is \(stored.map { "'\($0)'" } ?? "absent"), not '\(given)' "
                + "(a model written here records its own)")
        }
        if let prefix = choice.prefix, ![prefix, prefix + "."].contains(model.recurrentPrefix) {
            throw mismatch("recurrent module", prefix, model.recurrentPrefix)
        }
        let embedding = model.vocabularySize == nil ? nil : model.embeddingName
        if let given = choice.embedding, !(embedding.map { [given, given + ".weight"].contains($0) } ?? false) {
            throw mismatch("embedding", given, embedding)
        }
        let head = model.headSize == nil ? nil : model.headPrefix
        let headNames = { (given: String) in [given, given + ".", given.hasSuffix("weight") ? String(given.dropLast(6)) : given] }
        if let given = choice.head, !(head.map { headNames(given).contains($0) } ?? false) {
            throw mismatch("head", given, head)
        }
        if let nonlinearity {
            guard model.recurrent.cell.usesNonlinearity else {
                throw RecurrentError.value("\(source): the model, \(model.recurrent.summary), has no choice of nonlinearity "
                    + "(\(nonlinearity.rawValue) given)")
            }
            if nonlinearity != model.recurrent.nonlinearity {
                throw mismatch("nonlinearity", nonlinearity.rawValue, model.recurrent.nonlinearity.rawValue)
            }
        }
    }

    private static func describe(_ reading: (String?, String?)) -> String {
        "embedding \(reading.0.map { $0 + "weight" } ?? "none"), head \(reading.1.map { "'\($0)'" } ?? "none")"
    }

    /// The error for modules that no reading places: the tensors that fit no free role, or,
    /// when each could fill one, the modules that compete for too few roles.
    private static func unplaceable(_ modules: [String: [(name: String, shape: [Int])]], fits: (String) -> Bool,
                                    _ source: String, _ advice: String) -> RecurrentError {
        let stray = modules.keys.sorted().filter { !fits($0) }.flatMap { m in modules[m]!.map { "\($0.name) \(describeShape($0.shape))" } }
        guard stray.isEmpty else {
            return RecurrentError.name("\(source): cannot place \(shortList(stray)): a model here is an embedding, "
                + "one recurrent module and one linear head")
        }
        return RecurrentError.name("\(source): more modules than roles: "
            + modules.keys.sorted().map { "'\($0)'" }.joined(separator: ", ") + " (one embedding and one head are run); \(advice)")
    }
}
