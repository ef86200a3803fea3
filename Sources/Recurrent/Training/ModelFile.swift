import Foundation

extension TorchStateDict.MetadataKey {
    /// The model's configuration as JSON (`SequenceModelConfiguration`).
    public static let model = "recurrent.model"
    /// A character model's vocabulary, a JSON array of strings.
    public static let vocabulary = "recurrent.vocabulary"
}

extension SequenceModel {
    /// Loads a model from a safetensors file: one written by `write(to:)` (its configuration is in
    /// the metadata), or a PyTorch `state_dict`, whose recurrent module is found as
    /// `RecurrentNetwork.load` finds it and whose `embedding.weight` `(V, X)` and `head.weight`
    /// `(O, D·Hout)` / `head.bias` `(O)`, when present, become the embedding and the head. Any
    /// other tensor is kept as `passthrough` and written back unchanged.
    /// - Throws: `RecurrentError` naming the file and what does not fit.
    public static func load(from url: URL, prefix: String? = nil, nonlinearity: Nonlinearity? = nil) throws -> SequenceModel {
        let source = url.lastPathComponent
        let header = try SafetensorsHeader.read(url)
        let configuration: SequenceModelConfiguration
        if let json = header.metadata[TorchStateDict.MetadataKey.model] {
            do {
                configuration = try JSONDecoder().decode(SequenceModelConfiguration.self, from: Data(json.utf8))
            } catch {
                throw RecurrentError.format("\(source): metadata '\(TorchStateDict.MetadataKey.model)' is not a valid model configuration")
            }
            // Sizes from a file: checked before anything is sized by them.
            do {
                try configuration.validate()
            } catch var error as RecurrentError {
                error.message = "\(source): metadata '\(TorchStateDict.MetadataKey.model)': \(error.message)"
                throw error
            }
        } else {
            let names = header.entries.map(\.name)
            let chosen = try TorchStateDict.resolvePrefix(prefix, in: names, source: source)
            let shapes = header.entries.map { (name: $0.name, shape: $0.shape) }
            let recurrent = try TorchStateDict.configuration(shapes: shapes, prefix: chosen, metadata: header.metadata,
                                                             nonlinearity: nonlinearity, source: source)
            let byName = Dictionary(shapes.map { ($0.name, $0.shape) }, uniquingKeysWith: { a, _ in a })
            var vocabularySize: Int?, outputSize: Int?
            if let e = byName["embedding.weight"] {
                guard e.count == 2, e[1] == recurrent.inputSize else {
                    throw RecurrentError.shape("\(source): embedding.weight has shape \(describeShape(e)), expected (V, \(recurrent.inputSize))")
                }
                vocabularySize = e[0]
            }
            if let w = byName["head.weight"] {
                guard w.count == 2, w[1] == recurrent.outputSize, byName["head.bias"] == [w[0]] else {
                    throw RecurrentError.shape("\(source): head.weight \(describeShape(w)) and head.bias must be (O, \(recurrent.outputSize)) and (O)")
                }
                outputSize = w[0]
            }
            configuration = SequenceModelConfiguration(recurrent: recurrent, vocabularySize: vocabularySize,
                                                       outputSize: outputSize, recurrentPrefix: chosen)
        }
        let own = Set(configuration.parameterShapes.map(\.name))
        let file = try SafetensorsFile<Scalar>.read(url)
        var store = ParameterStore<Scalar>()
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
        if let json = header.metadata[TorchStateDict.MetadataKey.vocabulary] {
            model.vocabulary = try? JSONDecoder().decode([String].self, from: Data(json.utf8))
            if model.vocabulary?.count != configuration.vocabularySize {
                throw RecurrentError.format("\(source): the vocabulary in the metadata does not match embedding.weight")
            }
        }
        return model
    }

    /// The metadata written with the model: its configuration, cell, nonlinearity and vocabulary.
    public var fileMetadata: [String: String] {
        var metadata = network.fileMetadata
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        metadata[TorchStateDict.MetadataKey.model] = String(decoding: try! encoder.encode(configuration), as: UTF8.self)
        if let vocabulary {
            metadata[TorchStateDict.MetadataKey.vocabulary] = String(decoding: try! encoder.encode(vocabulary), as: UTF8.self)
        }
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
