import Testing
@testable import Recurrent

/// Backpropagation through time against central finite differences, in Double.
@Suite("Gradients match finite differences")
struct GradientCheckTests {
    static let cases: [(String, RecurrentConfiguration, [Int]?)] = [
        ("rnn tanh", .init(cell: .rnn, inputSize: 3, hiddenSize: 4), nil),
        ("rnn relu bidirectional", .init(cell: .rnn, inputSize: 3, hiddenSize: 4, bidirectional: true, nonlinearity: .relu), nil),
        ("gated", .init(cell: .gated, inputSize: 3, hiddenSize: 4), nil),
        ("gated 2 layers no bias", .init(cell: .gated, inputSize: 2, hiddenSize: 3, layers: 2, bias: false), nil),
        ("lstm", .init(cell: .lstm, inputSize: 3, hiddenSize: 4), nil),
        ("lstm 2 layers bidirectional", .init(cell: .lstm, inputSize: 2, hiddenSize: 3, layers: 2, bidirectional: true), nil),
        ("lstm projection bidirectional", .init(cell: .lstm, inputSize: 2, hiddenSize: 4, bidirectional: true, projectionSize: 2), nil),
        ("lstm projection 2 layers", .init(cell: .lstm, inputSize: 2, hiddenSize: 4, layers: 2, projectionSize: 3), nil),
        ("gru", .init(cell: .gru, inputSize: 3, hiddenSize: 4), nil),
        ("gru 2 layers bidirectional", .init(cell: .gru, inputSize: 2, hiddenSize: 3, layers: 2, bidirectional: true), nil),
        ("lstm lengths bidirectional", .init(cell: .lstm, inputSize: 2, hiddenSize: 3, layers: 2, bidirectional: true), [4, 1, 3]),
        ("gru lengths", .init(cell: .gru, inputSize: 2, hiddenSize: 3), [2, 4, 0]),
        ("gated lengths bidirectional", .init(cell: .gated, inputSize: 2, hiddenSize: 3, bidirectional: true), [3, 4, 1]),
    ]

    @Test("∂L/∂parameters, ∂L/∂input, ∂L/∂h0, ∂L/∂c0: relative error below 1e-6", arguments: 0..<cases.count)
    func gradientCheck(_ index: Int) throws {
        let (_, cfg, lengths) = Self.cases[index]
        try CellChecks.expectGradientsMatchFiniteDifferences(cfg, lengths: lengths, batch: 3, networkSeed: UInt64(index) + 1,
                                                             lossSeed: UInt64(index) * 10)
    }
}
