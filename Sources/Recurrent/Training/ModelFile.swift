import Foundation

extension TorchStateDict.MetadataKey {
    /// The model's configuration as JSON (`SequenceModelConfiguration`).
    public static let model = "recurrent.model"
    /// A character model's vocabulary, a JSON array of strings.
    public static let vocabulary = "recurrent.vocabulary"
    /// A forecaster's columns and their scaling (`SeriesScaling`), as JSON.
    public static let series = "recurrent.series"
}

extension SequenceModel {
    /// Loads a model from a safetensors file: one written by `write(to:)` (its configuration is
    /// in the metadata), or a PyTorch `state_dict` of a model written the usual way (an
    /// `nn.Embedding`, one recurrent module, an `nn.Linear` head, under any names), whose roles
    /// `ModelRoles` finds. No tensor is ignored silently: without a chosen prefix, a tensor that
    /// fits no role is an error naming it; with one, the tensors outside the chosen roles are
    /// kept as `passthrough` (written back unchanged on save) and listed there.
    /// - Parameters:
    ///   - roles: what the caller says of the roles (the prefix, the embedding, the head).
    ///   - advice: ends the message when the roles, or the recurrent modules, are ambiguous (a
    ///     command names its options there).
    /// - Throws: `RecurrentError` naming the file and what does not fit.
    public static func load(
        from url: URL, roles choice: ModelRoles.Choice = .init(), nonlinearity: Nonlinearity? = nil,
        advice: (modules: String, roles: String)? = nil
    ) throws -> SequenceModel {
        try load(file: SafetensorsFile<Scalar>.read(url), source: url.lastPathComponent, roles: choice, nonlinearity: nonlinearity,
                 advice: advice)
    }

    /// Loads a model from a safetensors file already read; `source` (its name) starts every
    /// message. See `load(from:roles:nonlinearity:advice:)`.
    public static func load(
        file: SafetensorsFile<Scalar>, source: String, roles choice: ModelRoles.Choice = .init(), nonlinearity: Nonlinearity? = nil,
        advice: (modules: String, roles: String)? = nil
    ) throws -> SequenceModel {
        let configuration = try Self.configuration(of: file, choice: choice, nonlinearity: nonlinearity, source: source,
                                                   advice: advice)
        // The parameters' store, the model's ordered copy, the kernels' packed copy, with room to spare.
        try MemoryBudget.require(MemoryBudget.product([configuration.parameterCount, 4, MemoryLayout<Scalar>.size]),
                                 for: "loading \(configuration.summary) from \(source)")
        let own = Set(configuration.parameterShapes.map(\.name))
        var store = ParameterStore<Scalar>()
        // Room for the tensors the file holds, not for the count its metadata claims: a small file
        // that claims a large model is refused below without reserving that model's memory.
        let held = file.tensors.reduce(0) { own.contains($1.name) ? $0 + $1.tensor.count : $0 }
        store.reserveCapacity(min(held, configuration.parameterCount ?? 0))
        var passthrough: [(name: String, tensor: Tensor<Scalar>)] = []
        for (name, tensor) in file.tensors {
            if own.contains(name) {
                guard tensor.isFinite else { throw RecurrentError.value("\(source): tensor '\(name)' contains NaN or infinity") }
                try store.append(name, tensor)
            } else {
                passthrough.append((name, tensor))
            }
        }
        var model: SequenceModel
        do {
            model = try SequenceModel(configuration, parameters: store)
        } catch var error as RecurrentError {
            error.message = "\(source): \(error.message)"
            throw error
        }
        model.passthrough = passthrough
        if let json = file.metadata[TorchStateDict.MetadataKey.vocabulary] {
            model.vocabulary = try vocabulary(json, size: configuration.vocabularySize, source: source)
        }
        if let json = file.metadata[TorchStateDict.MetadataKey.series] {
            let series: SeriesScaling
            do { series = try BoundedJSON.decode(SeriesScaling.self, from: json) } catch let error as RecurrentError {
                throw RecurrentError.format("\(source): the metadata's \(error.message)")
            } catch {
                throw RecurrentError.format("\(source): the series scaling in the metadata is not valid JSON of columns, means and deviations")
            }
            guard series.columns.count == configuration.modelOutputSize, series.columns.count == configuration.recurrent.inputSize else {
                throw RecurrentError.format("\(source): the series scaling in the metadata does not fit the model")
            }
            model.series = series
        }
        return model
    }

    /// The vocabulary in a file's metadata: a JSON list of `size` distinct characters (one
    /// Unicode scalar each, as `TextCorpus` makes it), or an error naming what is wrong.
    static func vocabulary(_ json: String, size: Int?, source: String) throws -> [String] {
        guard let vocabulary = try? BoundedJSON.decode([String].self, from: json) else {
            throw RecurrentError.format("\(source): the vocabulary in the metadata is not a JSON list of characters")
        }
        guard vocabulary.count == size else {
            throw RecurrentError.format("\(source): the vocabulary in the metadata has \(vocabulary.count) characters; "
                + "the embedding has \(size.map { "\($0)" } ?? "no") rows")
        }
        if let entry = vocabulary.first(where: { $0.unicodeScalars.count != 1 }) {
            throw RecurrentError.format("\(source): the vocabulary in the metadata holds \(String(reflecting: entry)), not one character")
        }
        if Set(vocabulary).count != vocabulary.count {
            throw RecurrentError.format("\(source): the vocabulary in the metadata holds a character twice")
        }
        return vocabulary
    }

    /// The configuration of a file: from its metadata when this library wrote it, else from the
    /// roles of its tensors.
    static func configuration(
        of file: SafetensorsFile<Scalar>, choice: ModelRoles.Choice, nonlinearity: Nonlinearity?, source: String,
        advice: (modules: String, roles: String)?
    ) throws -> SequenceModelConfiguration {
        if let configuration = try SequenceModelConfiguration.described(metadata: file.metadata, tensorNames: file.tensors.map(\.name),
                                                                        source: source) {
            try ModelRoles.checkAgreement(choice, nonlinearity: nonlinearity, with: configuration, source: source)
            return configuration
        }
        let shapes = file.tensors.map { (name: $0.name, shape: $0.tensor.shape) }
        let chosen = try advice.map { try TorchStateDict.resolvePrefix(choice.prefix, in: shapes.map(\.name), source: source,
                                                                        advice: $0.modules) }
            ?? TorchStateDict.resolvePrefix(choice.prefix, in: shapes.map(\.name), source: source)
        let recurrent = try TorchStateDict.configuration(shapes: shapes, prefix: chosen, metadata: file.metadata,
                                                         nonlinearity: nonlinearity, source: source)
        let roles = try advice.map {
            try ModelRoles.find(shapes: shapes, recurrent: recurrent, prefix: chosen, choice: choice, source: source, advice: $0.roles)
        } ?? ModelRoles.find(shapes: shapes, recurrent: recurrent, prefix: chosen, choice: choice, source: source)
        let byName = Dictionary(shapes.map { ($0.name, $0.shape) }, uniquingKeysWith: { a, _ in a })
        let configuration = SequenceModelConfiguration(
            recurrent: recurrent, vocabularySize: roles.embedding.flatMap { byName[$0]?.first },
            headSize: roles.head.flatMap { byName[$0 + "weight"]?.first }, recurrentPrefix: chosen,
            embeddingName: roles.embedding ?? "embedding.weight", headPrefix: roles.head ?? "head.", headHasBias: roles.headHasBias)
        try configuration.checkNoStrayParameter(among: shapes.map(\.name), source: source)
        return configuration
    }

    /// The metadata written with the model: its configuration, cell, nonlinearity and vocabulary.
    public var fileMetadata: [String: String] {
        var metadata = network.fileMetadata
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        // Sizes, names and finite numbers only (the series' are checked when made): encoding
        // cannot fail, and an entry that did would be left out rather than written wrong.
        metadata[TorchStateDict.MetadataKey.model] = (try? encoder.encode(configuration)).map { String(decoding: $0, as: UTF8.self) }
        metadata[TorchStateDict.MetadataKey.vocabulary] = vocabulary.flatMap { try? encoder.encode($0) }
            .map { String(decoding: $0, as: UTF8.self) }
        metadata[TorchStateDict.MetadataKey.series] = series.flatMap { try? encoder.encode($0) }.map { String(decoding: $0, as: UTF8.self) }
        return metadata
    }

    /// Writes the model as a safetensors file, atomically: its tensors under PyTorch's names
    /// (then any passthrough tensors), with `fileMetadata`. F32 by default for `Float`.
    public func write(to url: URL, dtype: SafetensorsDType? = nil) throws {
        var file = parameters.safetensors(metadata: fileMetadata)
        file.tensors += passthrough
        try file.write(to: url, dtype: dtype)
    }
}
