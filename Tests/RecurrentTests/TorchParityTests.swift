import Foundation
import Testing
@testable import Recurrent

/// PyTorch's nn.LSTM, nn.GRU, nn.RNN (and the gated RNN written in PyTorch), loaded from their
/// state_dicts with nothing else, give the same outputs and final states.
@Suite("PyTorch parity")
struct TorchParityTests {
    /// The cases `scripts/make_torch_fixtures.py` writes: a parameterised test over
    /// `TorchCase.all` would pass with none of them there.
    static let expectedCases = [
        "gated_basic", "gated_stacked", "gru_basic", "gru_float16", "gru_lengths_batch_first", "gru_long",
        "gru_stacked_bidirectional", "lstm_basic", "lstm_batch_first", "lstm_float64", "lstm_lengths_bidirectional",
        "lstm_long", "lstm_no_bias", "lstm_projection", "lstm_projection_bidirectional", "lstm_stacked_bidirectional",
        "lstm_unbatched", "prefixed_model", "rnn_bfloat16", "rnn_relu_bidirectional", "rnn_tanh_stacked", "two_recurrent_modules",
    ]

    @Test("Every PyTorch fixture is present, and the gradient tests have cases")
    func fixturesPresent() {
        #expect(TorchCase.all == Self.expectedCases)
        #expect(TorchGradientTests.cases.count == 17, "\(TorchGradientTests.cases)")  // has_grads in 17 case.json files
    }

    @Test("Every fixture: output, h_n and c_n within 1e-5 in Float", arguments: TorchCase.all)
    func floatParity(_ name: String) throws {
        let fixture = try TorchCase(name)
        let net: RecurrentNetwork<Float> = try fixture.network()
        let (y, state) = try net(try fixture.npy("input.npy"), initialState: try fixture.initialState(),
                                 lengths: fixture.lengths, layout: fixture.batchFirst ? .batchFirst : .sequenceFirst)
        let expected: Tensor<Float> = try fixture.npy("output.npy")
        #expect(y.shape == expected.shape)
        #expect(y.maxAbsoluteDifference(expected) <= 1e-5)
        #expect(state.h.maxAbsoluteDifference(try fixture.npy("h_n.npy")) <= 1e-5)
        if fixture.exists("c_n.npy") {
            #expect(try #require(state.c).maxAbsoluteDifference(try fixture.npy("c_n.npy")) <= 1e-5)
        }
    }

    @Test("The float64 fixture matches to 1e-12 in Double")
    func doubleParity() throws {
        let fixture = try TorchCase("lstm_float64")
        let net: RecurrentNetwork<Double> = try fixture.network()
        let (y, state) = try net(try fixture.npy("input.npy"), initialState: try fixture.initialState())
        #expect(y.maxAbsoluteDifference(try fixture.npy("output.npy")) <= 1e-12)
        #expect(state.c!.maxAbsoluteDifference(try fixture.npy("c_n.npy")) <= 1e-12)
    }

    @Test("The architecture is inferred from names and shapes alone")
    func inferredArchitecture() throws {
        let cases: [(String, RecurrentConfiguration)] = [
            ("lstm_stacked_bidirectional", .init(cell: .lstm, inputSize: 4, hiddenSize: 6, layers: 2, bidirectional: true)),
            ("lstm_projection", .init(cell: .lstm, inputSize: 5, hiddenSize: 8, layers: 2, projectionSize: 3)),
            ("lstm_no_bias", .init(cell: .lstm, inputSize: 3, hiddenSize: 4, bias: false)),
            ("gru_stacked_bidirectional", .init(cell: .gru, inputSize: 4, hiddenSize: 3, layers: 2, bidirectional: true)),
            ("rnn_relu_bidirectional", .init(cell: .rnn, inputSize: 3, hiddenSize: 5, bidirectional: true, nonlinearity: .relu)),
            ("gated_stacked", .init(cell: .gated, inputSize: 2, hiddenSize: 4, layers: 2)),
            ("prefixed_model", .init(cell: .gru, inputSize: 3, hiddenSize: 5)),
        ]
        for (name, expected) in cases {
            let net: RecurrentNetwork<Float> = try TorchCase(name).network()
            #expect(net.configuration == expected, "\(name)")
        }
    }

    @Test("A file with two recurrent modules needs a prefix, and the error lists them")
    func ambiguousModules() throws {
        let url = try TorchCase("two_recurrent_modules").url("model.safetensors")
        #expect(throws: RecurrentError(.name, "model.safetensors: holds 2 recurrent modules (decoder., encoder.); choose one by its prefix")) {
            try RecurrentNetwork<Float>.load(from: url)
        }
        let (decoder, prefix) = try RecurrentNetwork<Float>.load(from: url, prefix: "decoder")
        #expect(prefix == "decoder." && decoder.configuration.cell == .gru)
        #expect(throws: RecurrentError(.name, "model.safetensors: no recurrent module under prefix 'head' (found: decoder., encoder.)")) {
            try RecurrentNetwork<Float>.load(from: url, prefix: "head")
        }
    }

    @Test("Saving writes PyTorch's names, shapes and order, and loads back bit-exact", arguments: TorchCase.all)
    func roundTrip(_ name: String) throws {
        let fixture = try TorchCase(name)
        let net: RecurrentNetwork<Float> = try fixture.network()
        let dir = try CLI.temporaryDirectory()
        let url = dir.appendingPathComponent("saved.safetensors")
        try net.write(to: url, prefix: fixture.prefix)
        let (back, prefix) = try RecurrentNetwork<Float>.load(from: url, prefix: fixture.requestedPrefix)
        #expect(prefix == fixture.prefix)
        #expect(back == net)
        #expect(back.parameters.storage.map(\.bitPattern) == net.parameters.storage.map(\.bitPattern))
        // Same names, in the same order, with the same shapes as the state_dict PyTorch wrote.
        let torch = try SafetensorsHeader.read(fixture.url("model.safetensors")).entries
            .filter { $0.name.hasPrefix(fixture.prefix) && TorchStateDict.parse($0.name.dropFirst(fixture.prefix.count)) != nil }
            .map { "\($0.name) \($0.shape)" }
        let ours = try SafetensorsHeader.read(url).entries.map { "\($0.name) \($0.shape)" }
        #expect(Set(ours) == Set(torch))
        #expect(try SafetensorsHeader.read(url).entries.map(\.name) == net.configuration.parameterShapes.map { fixture.prefix + $0.name })
    }

    @Test("Loading rejects a state_dict whose shapes do not fit together, naming the tensor")
    func inconsistentShapes() throws {
        let net = try RecurrentNetwork<Float>(.init(cell: .lstm, inputSize: 3, hiddenSize: 4, layers: 2), seed: 1)
        var tensors = net.parameters.safetensors().tensors
        let i = tensors.firstIndex { $0.name == "weight_ih_l1" }!
        tensors[i].tensor = try Tensor(zeros: [16, 5])
        let url = try CLI.temporaryDirectory().appendingPathComponent("bad.safetensors")
        try SafetensorsFile(tensors: tensors).write(to: url)
        #expect(throws: RecurrentError(.shape, "bad.safetensors: weight_ih_l1: expected shape (16, 4), got (16, 5)")) {
            try RecurrentNetwork<Float>.load(from: url)
        }
        tensors[i].tensor = try Tensor(zeros: [16, 4])
        tensors.removeAll { $0.name == "weight_hh_l1" }
        try SafetensorsFile(tensors: tensors).write(to: url)
        #expect(throws: RecurrentError(.name, "bad.safetensors: missing tensor 'weight_hh_l1' for LSTM(3, 4, num_layers=2)")) {
            try RecurrentNetwork<Float>.load(from: url)
        }
    }
}
