import Testing
@testable import Recurrent

/// How new models are initialised.
@Suite("Initialisation")
struct InitializationTests {
    let configuration = SequenceModelConfiguration(
        recurrent: .init(cell: .lstm, inputSize: 5, hiddenSize: 8, layers: 2), vocabularySize: 11, headSize: 3)

    @Test("PyTorch's defaults: recurrent tensors in ±1/√H, head in ±1/√fan_in, embedding N(0, 1)")
    func pytorchDefaults() throws {
        let model = try SequenceModel<Double>(configuration, seed: 1)
        for entry in model.parameters.entries {
            let values = model.parameters[entry.name]!.scalars
            switch entry.name {
            case "embedding.weight":
                let mean = values.reduce(0, +) / Double(values.count)
                let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)
                #expect(abs(mean) < 0.3 && variance > 0.5 && variance < 1.6)
            case "head.weight", "head.bias":
                #expect(values.allSatisfy { abs($0) <= 1 / 8.0.squareRoot() })
            default:
                #expect(values.allSatisfy { abs($0) <= 1 / 8.0.squareRoot() }, "\(entry.name)")
                #expect(values.contains { abs($0) > 0.2 }, "\(entry.name)")
            }
        }
    }

    @Test("Orthogonal recurrent weights: every gate's H×H block of weight_hh has orthonormal rows")
    func orthogonal() throws {
        let model = try SequenceModel<Double>(configuration, initialization: .init(orthogonalRecurrent: true), seed: 2)
        let w = model.parameters["rnn.weight_hh_l1"]!.scalars
        for block in 0..<4 {
            for i in 0..<8 {
                for j in 0..<8 {
                    let dot = (0..<8).reduce(0.0) { $0 + w[(block * 8 + i) * 8 + $1] * w[(block * 8 + j) * 8 + $1] }
                    #expect(abs(dot - (i == j ? 1 : 0)) < 1e-12)
                }
            }
        }
    }

    @Test("Forget and input biases land in their gate blocks (i, f, g, o), in bias_ih, with bias_hh zero there")
    func gateBiases() throws {
        let model = try SequenceModel<Double>(configuration, initialization: .init(forgetBias: 4.5, inputBias: -4.5), seed: 3)
        for layer in 0..<2 {
            let ih = model.parameters["rnn.bias_ih_l\(layer)"]!.scalars, hh = model.parameters["rnn.bias_hh_l\(layer)"]!.scalars
            #expect(Array(ih[0..<8]) == Array(repeating: -4.5, count: 8))
            #expect(Array(ih[8..<16]) == Array(repeating: 4.5, count: 8))
            #expect(hh[0..<16].allSatisfy { $0 == 0 })
            #expect(ih[16..<32].allSatisfy { abs($0) <= 1 / 8.0.squareRoot() })
        }
    }
}
