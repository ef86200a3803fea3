import Foundation

extension SequenceModelConfiguration {
    /// The model a file written by this library describes in its metadata
    /// (`recurrent.model`, JSON), checked as loading checks it: its sizes in range, the cell
    /// and nonlinearity entries beside it saying the same, and no tensor named as one of its
    /// own parameters that it has no place for. Nil when the file has no description.
    /// - Parameters:
    ///   - metadata: the file's metadata.
    ///   - tensorNames: the names of the file's tensors.
    ///   - source: the file's name, which starts every message.
    /// - Throws: `RecurrentError` (`.format`) saying why the description is refused.
    public static func described(metadata: [String: String], tensorNames: [String], source: String) throws -> SequenceModelConfiguration? {
        let key = TorchStateDict.MetadataKey.self
        guard let json = metadata[key.model] else { return nil }
        let configuration: SequenceModelConfiguration
        do {
            configuration = try BoundedJSON.decode(SequenceModelConfiguration.self, from: json)
            // Sizes from a file: checked before anything is sized by them.
            try configuration.validate()
        } catch let error as RecurrentError {
            throw RecurrentError.format("\(source): metadata '\(key.model)': \(error.message)")
        } catch {
            throw RecurrentError.format("\(source): metadata '\(key.model)' is not a valid model configuration")
        }
        // The cell and nonlinearity entries written beside it must say the same.
        let recurrent = configuration.recurrent
        for (entry, written) in [(key.cell, recurrent.cell.rawValue),
                                 (key.nonlinearity, recurrent.cell.usesNonlinearity ? recurrent.nonlinearity.rawValue : nil)] {
            if let declared = metadata[entry], declared != written {
                throw RecurrentError.format("\(source): metadata '\(entry)' is '\(declared)', but '\(key.model)' describes "
                    + recurrent.summary)
            }
        }
        if let stray = configuration.strayParameter(among: tensorNames) {
            throw RecurrentError.format("\(source): tensor '\(stray)' has no place in the model metadata '\(key.model)' describes "
                + "(\(configuration.summary))")
        }
        return configuration
    }

    /// Refuses a parameter's name among the tensors of a file this model was read from by the
    /// roles of its tensors that it has no place for (`bias_hh_l0` without `bias_ih_l0`): it
    /// would be kept aside unused. A bare network refuses it too.
    /// - Throws: `RecurrentError` (`.name`) naming the tensor, the file (`source`) and the model.
    public func checkNoStrayParameter(among names: [String], source: String) throws {
        if let stray = strayParameter(among: names) {
            throw RecurrentError.name("\(source): tensor '\(stray)' has no place in the model the other tensors make (\(summary))")
        }
    }

    /// The first of `names` that is named as one of this model's parameters but is not one: a
    /// recurrent parameter under its prefix (`rnn.bias_ih_l0` in a model without biases), its
    /// head's weight or bias, its embedding. A description edited to `"bias": false` left the
    /// biases out without a word. Other names under the prefix (`rnn.weight_hh_l0_mask`) are
    /// tensors kept beside the model, not claimed.
    func strayParameter(among names: [String]) -> String? {
        let own = Set(parameterShapes.map(\.name))
        func claimed(_ name: String) -> Bool {
            if vocabularySize != nil, name == embeddingName { return true }
            if headSize != nil, name.hasPrefix(headPrefix), ["weight", "bias"].contains(name.dropFirst(headPrefix.count)) {
                return true
            }
            return name.hasPrefix(recurrentPrefix) && TorchStateDict.parse(name.dropFirst(recurrentPrefix.count)) != nil
        }
        return names.first { !own.contains($0) && claimed($0) }
    }
}
