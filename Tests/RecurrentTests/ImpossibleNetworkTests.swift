import Foundation
import Testing
@testable import Recurrent

/// Files that parse but describe networks that cannot exist (found by a structure-aware fuzzer):
/// every one a one-line error naming the file and the tensor or field at fault, from the
/// library and from each command that loads models, never a trap or a huge allocation.
@Suite("Impossible networks")
struct ImpossibleNetworkTests {
    /// A safetensors file of F32 tensors (all zero) with the given names and shapes.
    static func write(_ tensors: [(String, [Int])], metadata: [String: String] = [:], to url: URL) throws {
        var header: [String: Any] = [:]
        var offset = 0
        for (name, shape) in tensors {
            let bytes = 4 * shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? 0 : $0 * $1 }
            header[name] = ["dtype": "F32", "shape": shape, "data_offsets": [offset, offset + bytes]]
            offset += bytes
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        let json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        var data = Data(littleEndianBytes(UInt64(json.count)))
        data.append(json)
        data.append(Data(count: offset))
        try data.write(to: url)
    }

    static let lstm: [(String, [Int])] = [("weight_ih_l0", [8, 3]), ("weight_hh_l0", [8, 2]), ("bias_ih_l0", [8]), ("bias_hh_l0", [8])]

    /// (what, tensors, metadata, the message after the file's name)
    static let cases: [(String, [(String, [Int])], [String: String], String)] = [
        ("projection with no columns", [("weight_ih_l0", [8, 3]), ("weight_hh_l0", [8, 2]), ("weight_hr_l0", [2, 0])], [:],
         "weight_hr_l0 has shape (2, 0), expected (2, H) with H > 0"),
        ("layer index Int.max", lstm + [("weight_ih_l9223372036854775807", [8, 2])], [:],
         "missing tensor 'weight_ih_l1' (the file has tensors of layer 9223372036854775807)"),
        ("layer index 10^8", lstm + [("weight_ih_l100000000", [8, 2])], [:],
         "missing tensor 'weight_ih_l1' (the file has tensors of layer 100000000)"),
        ("weight_ih with no rows and 2^62 columns", [("weight_ih_l0", [0, 1 << 62]), ("weight_hh_l0", [8, 2])], [:],
         "weight_ih_l0 and weight_hh_l0 must be non-empty matrices, got (0, 4611686018427387904) and (8, 2)"),
        ("weight_ih with no rows and Int.max columns", [("weight_ih_l0", [0, Int.max]), ("weight_hh_l0", [4, 1])], [:],
         "weight_ih_l0 and weight_hh_l0 must be non-empty matrices, got (0, 9223372036854775807) and (4, 1)"),
    ]

    @Test("Each impossible file is refused by the library with a one-line error naming the tensor", arguments: 0..<cases.count)
    func libraryRefuses(_ index: Int) throws {
        let (what, tensors, metadata, message) = Self.cases[index]
        let dir = try CLI.temporaryDirectory()
        let url = dir.appendingPathComponent("bad.safetensors")
        try Self.write(tensors, metadata: metadata, to: url)
        let error = recurrentError { try RecurrentNetwork<Float>.load(from: url) }
        #expect(error?.message == "bad.safetensors: \(message)", "\(what)")
        let modelError = recurrentError { try SequenceModel<Float>.load(from: url) }
        #expect(modelError?.message == "bad.safetensors: \(message)", "\(what), as a model")
    }

    @Test("predict, inspect and train --model refuse each impossible file with one line and exit 1", arguments: [0, 1, 4])
    func commandsRefuse(_ index: Int) throws {
        let (what, tensors, metadata, message) = Self.cases[index]
        let dir = try CLI.temporaryDirectory()
        let url = dir.appendingPathComponent("bad.safetensors")
        try Self.write(tensors, metadata: metadata, to: url)
        try NPY.write(Tensor<Float>(zeros: [2, 1, 3]), to: dir.appendingPathComponent("x.npy"))
        for arguments in [["predict", "--model", url.path, "--input", dir.appendingPathComponent("x.npy").path,
                           "--output", dir.appendingPathComponent("y.npy").path],
                          ["inspect", url.path],
                          ["train", "--model", url.path, "--steps", "1"]] {
            let result = try CLI.run(arguments)
            #expect(result.status == 1, "\(what): \(arguments[0]) exited \(result.status): \(result.stderr)")
            #expect(result.stderr == "Error: bad.safetensors: \(message)\n", "\(what): \(arguments[0])")
        }
    }

    /// A model file's `recurrent.model` metadata with the given recurrent configuration fields.
    static func modelMetadata(layers: Int, hidden: Int, projection: Int = 0) -> [String: String] {
        let json = "{\"recurrent\":{\"cell\":\"lstm\",\"nonlinearity\":\"tanh\",\"inputSize\":3,\"hiddenSize\":\(hidden),"
            + "\"layers\":\(layers),\"bidirectional\":false,\"projectionSize\":\(projection),\"bias\":true},"
            + "\"outputSize\":2,\"recurrentPrefix\":\"rnn.\"}"
        return ["recurrent.model": json]
    }

    @Test("Model metadata with impossible sizes is refused before anything is sized by it",
          arguments: [(-3, 2, 0, "layer count must be positive, got -3"),
                      (1_000_000_000, 2, 0, "layer count 1000000000 is larger than the largest supported, 4096"),
                      (1, 1 << 62, 0, "hidden size 4611686018427387904 is larger than the largest supported, 16777216"),
                      (1, Int.max, 0, "hidden size 9223372036854775807 is larger than the largest supported, 16777216"),
                      (1, 8, Int.max, "proj_size (9223372036854775807) must be smaller than hidden_size (8)"),
                      // 4000 layers of 4 · 16e6 · 32e6 weights: past Int.max bytes, so "more than" 8 EB (2^63 bytes).
                      (4000, 16_000_000, 0, "the parameters of LSTM(3, 16000000, num_layers=4000) would need more than 8.0 EB of memory; ")])
    func impossibleMetadata(_ c: (Int, Int, Int, String)) throws {
        let dir = try CLI.temporaryDirectory()
        let url = dir.appendingPathComponent("model.safetensors")
        try Self.write(Self.lstm.map { ("rnn." + $0.0, $0.1) }, metadata: Self.modelMetadata(layers: c.0, hidden: c.1, projection: c.2),
                       to: url)
        let error = recurrentError { try SequenceModel<Float>.load(from: url) }
        let message = try #require(error?.message)
        if c.3.hasSuffix("of memory; ") {  // then this machine's memory or the process's limit
            expectMemoryRefusal(message, needing: "model.safetensors: metadata 'recurrent.model': \(c.3)")
        } else {
            #expect(message == "model.safetensors: metadata 'recurrent.model': \(c.3)")
        }
    }

    @Test("A configuration too large for this machine's memory is refused with the bytes it needs and the bytes there are")
    func memoryIsChecked() throws {
        let huge = RecurrentConfiguration(cell: .lstm, inputSize: 1_000_000, hiddenSize: 1_000_000)
        let error = recurrentError { try RecurrentNetwork<Float>(huge) }
        // 4H(X + H) weights and 8H biases: 8,000,008,000,000 floats of 4 bytes = 3.2e13 bytes = 29.1 × 2^40.
        expectMemoryRefusal(error?.message, needing: "the parameters of LSTM(1000000, 1000000) would need 29.1 TB of memory; ")
        #expect(MemoryBudget.product([1 << 40, 1 << 30]) == nil)
        #expect(MemoryBudget.sum([Int.max, 1]) == nil)
    }

    @Test("A batch of no steps but 4e12 sequences is refused before its states are allocated (in either layout)")
    func emptyHugeBatchRefused() throws {
        let model = try SequenceModel<Float>(.init(recurrent: .init(cell: .lstm, inputSize: 3, hiddenSize: 8), headSize: 2), seed: 1)
        // With no steps, each sequence still holds its tape row ((4 + 3) · 8 gate values and at most
        // 143 of row-block padding) and 3 · 8 states; 434 parameters beside: 4 bytes each, 4000 · 2^30
        // sequences × 892 bytes + 1736 bytes = 3.4 × 2^50.
        #expect(model.configuration.inferenceBytes(batch: 4_294_967_296_000, steps: 0, scalarSize: 4)
            == 4 * (434 + 4_294_967_296_000 * (7 * 8 + 143 + 3 * 8)))
        for (shape, layout) in [([0, 4_294_967_296_000, 3], SequenceLayout.sequenceFirst), ([4_294_967_296_000, 0, 3], .batchFirst)] {
            let error = recurrentError { try model(Tensor(shape: shape, scalars: []), layout: layout) }
            expectMemoryRefusal(error?.message, needing: "LSTM(3, 8) → Linear(8, 2) on 4294967296000 sequences of 0 steps would need 3.4 PB of memory; ")
        }
        // What fits runs: no steps, an empty output.
        #expect(try model(Tensor(shape: [0, 4, 3], scalars: [])).output.shape == [0, 4, 2])
    }

    @Test("No tensor is dropped silently: the network loader refuses what it would leave out; predict runs the whole model, or the chosen module with a notice")
    func nothingIsDroppedSilently() throws {
        let dir = try CLI.temporaryDirectory()
        let url = dir.appendingPathComponent("model.safetensors")
        try Self.write(Self.lstm.map { ("rnn." + $0.0, $0.1) } + [("fc.weight", [5, 2]), ("fc.bias", [5])], to: url)
        let error = recurrentError { try RecurrentNetwork<Float>.load(from: url) }
        #expect(error?.message == "model.safetensors: holds more than a recurrent module: fc.weight, fc.bias would be left out; "
            + "name the module's prefix ('rnn.') to load it alone")
        let (network, prefix) = try RecurrentNetwork<Float>.load(from: url, prefix: "rnn")
        #expect(prefix == "rnn." && network.configuration.hiddenSize == 2)
        try NPY.write(Tensor<Float>(zeros: [2, 1, 3]), to: dir.appendingPathComponent("x.npy"))
        let y = dir.appendingPathComponent("y.npy")
        let arguments = ["predict", "--model", url.path, "--input", dir.appendingPathComponent("x.npy").path, "--output", y.path]
        // The whole model: fc is the head.
        let whole = try CLI.run(arguments)
        #expect(whole.status == 0 && whole.stderr == "", "\(whole.stderr)")
        #expect(try NPY.read(y, as: Float.self).shape == [2, 1, 5])
        let chosen = try CLI.run(arguments + ["--prefix", "rnn"])
        #expect(chosen.status == 0, "\(chosen.stderr)")
        #expect(chosen.stderr == "note: running the model under 'rnn.'; left out: fc.weight, fc.bias\n")
        #expect(try NPY.read(y, as: Float.self).shape == [2, 1, 2])
        // A tensor that fits no role is an error naming it, and nothing is written.
        try Self.write(Self.lstm.map { ("rnn." + $0.0, $0.1) } + [("fc.weight", [5, 2]), ("norm.weight", [7])], to: url)
        try FileManager.default.removeItem(at: y)
        let refused = try CLI.run(arguments)
        #expect(refused.status == 1)
        #expect(refused.stderr == "Error: model.safetensors: cannot place norm.weight (7): a model here is an embedding, "
            + "one recurrent module and one linear head\n", "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: y.path))
    }
}
