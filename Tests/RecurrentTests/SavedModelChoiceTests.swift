import Foundation
import Testing
@testable import Recurrent

/// A model written by this library records its roles and nonlinearity; what a caller says of
/// them (a prefix, an embedding, a head, a nonlinearity, as `predict` and `train --model` pass
/// on) must agree, or the load is refused: it used to be ignored without a word.
@Suite("Choices on a saved model")
struct SavedModelChoiceTests {
    /// An RNN(2, 3) with a head of 2, written to `m.safetensors` in `directory`.
    static func savedModel(in directory: URL) throws -> URL {
        let recurrent = RecurrentConfiguration(cell: .rnn, inputSize: 2, hiddenSize: 3, nonlinearity: .tanh)
        let model = try SequenceModel<Float>(SequenceModelConfiguration(recurrent: recurrent, headSize: 2), seed: 1)
        let url = directory.appendingPathComponent("m.safetensors")
        try model.write(to: url)
        return url
    }

    @Test("Choices that name the model's own roles and nonlinearity load it", arguments: [
        ModelRoles.Choice(prefix: "rnn"), .init(prefix: "rnn."), .init(head: "head"), .init(head: "head."), .init(head: "head.weight"),
    ])
    func agreeingChoicesLoad(_ choice: ModelRoles.Choice) throws {
        try withTemporaryDirectory { directory in
            let url = try Self.savedModel(in: directory)
            let model = try SequenceModel<Float>.load(from: url, roles: choice, nonlinearity: .tanh)
            #expect(model.configuration.headSize == 2 && model.configuration.recurrentPrefix == "rnn.")
        }
    }

    @Test("A prefix, embedding, head or nonlinearity other than the model's is refused, naming both", arguments: [
        (ModelRoles.Choice(prefix: "nope."), nil, "m.safetensors: the model's recurrent module is 'rnn.', not 'nope.' (a model written here records its own)"),
        (.init(embedding: "embed"), nil, "m.safetensors: the model's embedding is absent, not 'embed' (a model written here records its own)"),
        (.init(head: "rnn.weight_ih_l0"), nil, "m.safetensors: the model's head is 'head.', not 'rnn.weight_ih_l0' (a model written here records its own)"),
        (.init(), .relu, "m.safetensors: the model's nonlinearity is 'tanh', not 'relu' (a model written here records its own)"),
    ] as [(ModelRoles.Choice, Nonlinearity?, String)])
    func disagreeingChoicesRefused(_ choice: ModelRoles.Choice, _ nonlinearity: Nonlinearity?, _ message: String) throws {
        try withTemporaryDirectory { directory in
            let url = try Self.savedModel(in: directory)
            #expect(recurrentError { try SequenceModel<Float>.load(from: url, roles: choice, nonlinearity: nonlinearity) }?.message == message)
        }
    }

    @Test("A cell or nonlinearity entry that contradicts the model's own description is refused", arguments: [
        ("recurrent.cell", "gru", "m.safetensors: metadata 'recurrent.cell' is 'gru', but 'recurrent.model' describes RNN(2, 3)"),
        ("recurrent.nonlinearity", "relu", "m.safetensors: metadata 'recurrent.nonlinearity' is 'relu', but 'recurrent.model' describes RNN(2, 3)"),
    ])
    func contradictingEntriesRefused(_ key: String, _ value: String, _ message: String) throws {
        try withTemporaryDirectory { directory in
            let url = try Self.savedModel(in: directory)
            var file = try SafetensorsFile<Float>.read(url)
            file.metadata[key] = value
            try file.write(to: url)
            #expect(recurrentError { try SequenceModel<Float>.load(from: url) }?.message == message)
        }
    }

    /// Writes `model` as m.safetensors in `directory`, edits its metadata entry `key`, and
    /// returns the file and why loading it fails ("" when it loads).
    static func loadError(of model: SequenceModel<Float>, in directory: URL, editing key: String,
                          _ edit: (String) -> String) throws -> (url: URL, message: String) {
        let url = directory.appendingPathComponent("m.safetensors")
        try model.write(to: url)
        var file = try SafetensorsFile<Float>.read(url)
        let json = try #require(file.metadata[key])
        file.metadata[key] = edit(json)
        try file.write(to: url)
        return (url, recurrentError { try SequenceModel<Float>.load(from: url) }?.message ?? "")
    }

    @Test("A model description giving a cell without the choice (an LSTM) another nonlinearity is refused, not ignored")
    func nonlinearityInDescriptionOfLSTMRefused() throws {
        try withTemporaryDirectory { directory in
            let model = try SequenceModel<Float>(.init(recurrent: .init(cell: .lstm, inputSize: 2, hiddenSize: 2), headSize: 1), seed: 1)
            let (url, message) = try Self.loadError(of: model, in: directory, editing: TorchStateDict.MetadataKey.model) {
                #expect($0.contains(#""nonlinearity":"tanh""#))
                return $0.replacingOccurrences(of: #""nonlinearity":"tanh""#, with: #""nonlinearity":"relu""#)
            }
            #expect(message == "m.safetensors: metadata 'recurrent.model': nonlinearity 'relu' for the lstm cell, which has no choice of one")
            // inspect shows the model the tensors make, and says the description was refused (it was silent).
            let inspected = try CLI.run(["inspect", url.path])
            #expect(inspected.status == 0 && inspected.stdout.contains("model description refused (predict and train refuse the file): "
                + "m.safetensors: metadata 'recurrent.model': nonlinearity 'relu' for the lstm cell, which has no choice of one\n"), "\(inspected.stdout)")
        }
    }

    @Test("A key repeated in the model description or the series scaling is refused by name (the decoder kept one value)")
    func repeatedMetadataKeyRefused() throws {
        try withTemporaryDirectory { directory in
            var model = try SequenceModel<Float>(.init(recurrent: .init(cell: .gru, inputSize: 2, hiddenSize: 2), headSize: 2), seed: 1)
            model.series = try SeriesScaling(columns: ["a", "b"], means: [1, 2], standardDeviations: [1, 1])
            for (key, extra, expected) in [
                (TorchStateDict.MetadataKey.model, #","headHasBias":false}"#, "m.safetensors: metadata 'recurrent.model': key 'headHasBias' appears twice"),
                (TorchStateDict.MetadataKey.series, #","means":[100,200]}"#, "m.safetensors: the metadata's key 'means' appears twice"),
            ] {
                #expect(try Self.loadError(of: model, in: directory, editing: key) { $0.dropLast() + extra }.message == expected)
            }
        }
    }

    @Test("A description edited to drop biases the file holds is refused, naming a tensor it has no place for (they were left out silently)")
    func descriptionWithoutPlaceForTensorRefused() throws {
        try withTemporaryDirectory { directory in
            let model = try SequenceModel<Float>(.init(recurrent: .init(cell: .lstm, inputSize: 2, hiddenSize: 2), headSize: 2), seed: 1)
            for (from, to, expected) in [
                (#""bias":true"#, #""bias":false"#, "m.safetensors: tensor 'rnn.bias_ih_l0' has no place in the model metadata 'recurrent.model' describes "
                 + "(LSTM(2, 2, bias=False) → Linear(2, 2))"),
                (#""headHasBias":true"#, #""headHasBias":false"#, "m.safetensors: tensor 'head.bias' has no place in the model metadata 'recurrent.model' describes "
                 + "(LSTM(2, 2) → Linear(2, 2))"),
            ] {
                let message = try Self.loadError(of: model, in: directory, editing: TorchStateDict.MetadataKey.model) {
                    #expect($0.contains(from))
                    return $0.replacingOccurrences(of: from, with: to)
                }.message
                #expect(message == expected)
            }
            // A tensor kept beside the model under its prefix, not named as a parameter, is not claimed.
            let names = ["rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0", "rnn.weight_hh_l0_mask", "head.weight",
                         "head.bias", "weight_ih_l0"]
            #expect(model.configuration.strayParameter(among: names) == nil)
            var noBias = model.configuration
            noBias.recurrent.bias = false
            #expect(noBias.strayParameter(among: names) == "rnn.bias_ih_l0")
        }
    }

    @Test("A PyTorch file's parameter the module has no place for (bias_hh without bias_ih) is refused, not kept aside unused")
    func inferredModuleStrayRefused() throws {
        try withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("p.safetensors")
            let tensors = try [("lstm.weight_ih_l0", [4, 1]), ("lstm.weight_hh_l0", [4, 1]), ("lstm.bias_hh_l0", [4])].map {
                (name: $0.0, tensor: try Tensor<Float>(shape: $0.1, repeating: 0.5))
            }
            try SafetensorsFile<Float>(tensors: tensors).write(to: url)
            // Found by the fileToNetwork fuzzer: loaded with the bias aside, saved, its reload was refused.
            #expect(recurrentError { try SequenceModel<Float>.load(from: url, roles: .init(prefix: "lstm")) }?.message
                == "p.safetensors: tensor 'lstm.bias_hh_l0' has no place in the model the other tensors make (LSTM(1, 1, bias=False))")
            // inspect says so too (it showed the model without the bias).
            let inspected = try CLI.run(["inspect", url.path])
            #expect(inspected.status == 0 && inspected.stdout.split(separator: "\n").contains("model: none (p.safetensors: tensor 'lstm.bias_hh_l0' "
                + "has no place in the model the other tensors make (LSTM(1, 1, bias=False)))"), "\(inspected.stdout)")
        }
    }

    @Test("A text model's vocabulary must be one distinct character per embedding row", arguments: [
        (#"["a","bc","d"]"#, #"m.safetensors: the vocabulary in the metadata holds "bc", not one character"#),
        (#"["a","a","d"]"#, "m.safetensors: the vocabulary in the metadata holds a character twice"),
        (#"["a","b"]"#, "m.safetensors: the vocabulary in the metadata has 2 characters; the embedding has 3 rows"),
        (#"{"a":1}"#, "m.safetensors: the vocabulary in the metadata is not a JSON list of characters"),
    ])
    func vocabularyChecked(_ json: String, _ message: String) throws {
        try withTemporaryDirectory { directory in
            let recurrent = RecurrentConfiguration(cell: .gru, inputSize: 2, hiddenSize: 2)
            var model = try SequenceModel<Float>(.init(recurrent: recurrent, vocabularySize: 3, headSize: 3))
            model.vocabulary = ["a", "b", "d"]
            let url = directory.appendingPathComponent("m.safetensors")
            try model.write(to: url)
            #expect(try SequenceModel<Float>.load(from: url).vocabulary == ["a", "b", "d"])
            var file = try SafetensorsFile<Float>.read(url)
            file.metadata[TorchStateDict.MetadataKey.vocabulary] = json
            try file.write(to: url)
            #expect(recurrentError { try SequenceModel<Float>.load(from: url) }?.message == message)
        }
    }

    @Test("A nonlinearity for a cell that has none is refused")
    func nonlinearityForLSTMRefused() throws {
        try withTemporaryDirectory { directory in
            let recurrent = RecurrentConfiguration(cell: .lstm, inputSize: 1, hiddenSize: 2)
            let url = directory.appendingPathComponent("l.safetensors")
            try SequenceModel<Float>(SequenceModelConfiguration(recurrent: recurrent), seed: 0).write(to: url)
            #expect(recurrentError { try SequenceModel<Float>.load(from: url, nonlinearity: .relu) }?.message
                == "l.safetensors: the model, LSTM(1, 2), has no choice of nonlinearity (relu given)")
        }
    }

    @Test("inspect refuses role options when no single recurrent module takes them (they were ignored); with one chosen, they apply")
    func inspectRolesNeedOneModule() throws {
        try withTemporaryDirectory { directory in
            let none = directory.appendingPathComponent("w.safetensors")
            try SafetensorsFile<Float>(tensors: [(name: "w", tensor: try Tensor(shape: [2], repeating: 1))]).write(to: none)
            let refused = try CLI.run(["inspect", none.path, "--head", "nope"])
            #expect(refused.status == 1 && refused.stdout.isEmpty && refused.errorMessage
                == "w.safetensors: no recurrent module (no tensor named like weight_ih_l0), so --head has nothing to apply to")
            // Two simple RNNs, under a. and b.
            let two = directory.appendingPathComponent("two.safetensors")
            try SafetensorsFile<Float>(tensors: try ["a.", "b."].flatMap { prefix in
                try ["weight_ih_l0", "weight_hh_l0"].map { (name: prefix + $0, tensor: try Tensor<Float>(shape: [1, 1], repeating: 0.5)) }
            }).write(to: two)
            let several = try CLI.run(["inspect", two.path, "--nonlinearity", "relu"])
            #expect(several.status == 1 && several.errorMessage
                == "two.safetensors: --nonlinearity is for one model, and the file holds 2 recurrent modules: choose one with --prefix")
            let chosen = try CLI.run(["inspect", two.path, "--prefix", "a", "--nonlinearity", "relu"])
            #expect(chosen.status == 0 && chosen.stdout.split(separator: "\n").contains("RNN(1, 1, nonlinearity='relu', bias=False) at 'a.': 2 parameters"),
                    "\(chosen.stdout)\(chosen.stderr)")
        }
    }

    @Test("inspect refuses a role option that disagrees with a saved model, and takes one that agrees")
    func inspectChecksRoles() throws {
        try withTemporaryDirectory { directory in
            let url = try Self.savedModel(in: directory)
            let wrong = try CLI.run(["inspect", url.path, "--head", "rnn.weight_ih_l0"])
            #expect(wrong.status == 1 && wrong.errorMessage
                == "m.safetensors: the model's head is 'head.', not 'rnn.weight_ih_l0' (a model written here records its own)", "\(wrong.stderr)")
            let relu = try CLI.run(["inspect", url.path, "--nonlinearity", "relu"])
            #expect(relu.status == 1 && relu.errorMessage == "m.safetensors: the model's nonlinearity is 'tanh', not 'relu' "
                + "(a model written here records its own)", "\(relu.stderr)")
            let right = try CLI.run(["inspect", url.path, "--head", "head", "--prefix", "rnn"])
            #expect(right.status == 0 && right.stdout.contains("model (saved here): recurrent 'rnn.' RNN(2, 3) → head 'head.' Linear(3, 2)"),
                    "\(right.stdout)\(right.stderr)")
        }
    }

    @Test("inspect: an --embedding or --head that fits no module of a PyTorch file is an error (it printed 'model: none' and exited 0)",
          arguments: [(["--embedding", "foo"], "model.safetensors: 'foo' is not a module that can be the embedding (expected weight (V, 3))"), (["--head", "weight_ih_l0"], "model.safetensors: 'weight_ih_l0' is not a module that can be the head (expected weight (O, 5) and (O))")])
    func inspectRefusesRoleThatFitsNothing(_ option: [String], _ expected: String) throws {
        let f = try TorchCase("lstm_basic")
        let result = try CLI.run(["inspect", f.url("model.safetensors").path] + option)
        #expect(result.status == 1 && result.stdout.isEmpty, "\(result.stdout)")
        #expect(result.errorMessage == expected)
    }
}
