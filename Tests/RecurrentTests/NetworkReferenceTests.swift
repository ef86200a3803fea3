import Testing
@testable import Recurrent

/// Networks of every cell and configuration against the float64 reference.
@Suite("Networks match the float64 reference")
struct NetworkReferenceTests {
    static let configurations: [(String, RecurrentConfiguration)] = [
        ("rnn tanh X=3 H=5", .init(cell: .rnn, inputSize: 3, hiddenSize: 5)),
        ("rnn relu X=3 H=5", .init(cell: .rnn, inputSize: 3, hiddenSize: 5, nonlinearity: .relu)),
        ("gated X=3 H=5", .init(cell: .gated, inputSize: 3, hiddenSize: 5)),
        ("lstm X=3 H=5", .init(cell: .lstm, inputSize: 3, hiddenSize: 5)),
        ("gru X=3 H=5", .init(cell: .gru, inputSize: 3, hiddenSize: 5)),
        ("lstm 2 layers bidirectional H=9", .init(cell: .lstm, inputSize: 4, hiddenSize: 9, layers: 2, bidirectional: true)),
        ("gru 3 layers H=17", .init(cell: .gru, inputSize: 2, hiddenSize: 17, layers: 3)),
        ("gated bidirectional no bias", .init(cell: .gated, inputSize: 3, hiddenSize: 6, bidirectional: true, bias: false)),
        ("rnn 2 layers bidirectional", .init(cell: .rnn, inputSize: 5, hiddenSize: 4, layers: 2, bidirectional: true)),
        ("lstm projection 2 layers bidirectional", .init(cell: .lstm, inputSize: 3, hiddenSize: 7, layers: 2,
                                                         bidirectional: true, projectionSize: 3)),
    ]

    @Test("Double networks agree with the reference to 1e-12", arguments: 0..<configurations.count)
    func doubleMatchesReference(_ index: Int) throws {
        let (_, cfg) = Self.configurations[index]
        let T = 6, B = 3
        let p = Reference.randomParameters(cfg, seed: UInt64(index))
        let x = Reference.randomArray(T * B * cfg.inputSize, seed: 100 + UInt64(index))
        let rows = cfg.layers * cfg.directions
        let h0 = Reference.randomArray(rows * B * cfg.stateSize, seed: 200)
        let c0 = Reference.randomArray(rows * B * cfg.hiddenSize, seed: 300)
        let expected = Reference.network(cfg, p, x: x, T: T, B: B, h0: h0, c0: cfg.cell == .lstm ? c0 : nil)
        let net = try RecurrentNetwork<Double>.make(cfg, p)
        let state = RecurrentState<Double>(
            h: try Tensor(shape: [rows, B, cfg.stateSize], scalars: h0),
            c: cfg.cell == .lstm ? try Tensor(shape: [rows, B, cfg.hiddenSize], scalars: c0) : nil)
        let (y, final) = try net(try Tensor(shape: [T, B, cfg.inputSize], scalars: x), initialState: state)
        #expect(y.shape == [T, B, cfg.outputSize])
        #expect(maxAbsDiff(y.scalars, expected.output) < 1e-12)
        #expect(maxAbsDiff(final.h.scalars, expected.hN) < 1e-12)
        if cfg.cell == .lstm { #expect(maxAbsDiff(final.c!.scalars, expected.cN) < 1e-12) }
    }

    @Test("Float networks agree with the reference to 1e-5", arguments: 0..<configurations.count)
    func floatMatchesReference(_ index: Int) throws {
        let (_, cfg) = Self.configurations[index]
        let T = 20, B = 4
        let p = Reference.randomParameters(cfg, seed: UInt64(index))
        let x = Reference.randomArray(T * B * cfg.inputSize, seed: 100 + UInt64(index))
        let expected = Reference.network(cfg, p, x: x, T: T, B: B)
        let net = try RecurrentNetwork<Float>.make(cfg, p)
        let (y, final) = try net(try Tensor(shape: [T, B, cfg.inputSize], scalars: x.map { Float($0) }))
        #expect(maxAbsDiff(y.scalars, expected.output) < 1e-5)
        #expect(maxAbsDiff(final.h.scalars, expected.hN) < 1e-5)
    }

    @Test("Variable lengths: padded steps keep the state and output zeros, both directions")
    func variableLengths() throws {
        let cfg = RecurrentConfiguration(cell: .lstm, inputSize: 3, hiddenSize: 4, layers: 2, bidirectional: true)
        let T = 7, B = 4, lengths = [5, 2, 7, 0]
        let p = Reference.randomParameters(cfg, seed: 7)
        let x = Reference.randomArray(T * B * 3, seed: 8)
        let expected = Reference.network(cfg, p, x: x, T: T, B: B, lengths: lengths)
        let net = try RecurrentNetwork<Double>.make(cfg, p)
        let (y, final) = try net(try Tensor(shape: [T, B, 3], scalars: x), lengths: lengths)
        #expect(maxAbsDiff(y.scalars, expected.output) < 1e-12)
        #expect(maxAbsDiff(final.h.scalars, expected.hN) < 1e-12)
        #expect(maxAbsDiff(final.c!.scalars, expected.cN) < 1e-12)
        // Past its length a sequence outputs exact zeros.
        for t in 2..<T { for j in 0..<8 { #expect(y[t, 1, j] == 0) } }
    }

    @Test("Batch-first and unbatched inputs give the same numbers as sequence-first")
    func layouts() throws {
        let cfg = RecurrentConfiguration(cell: .gru, inputSize: 3, hiddenSize: 5, layers: 2)
        let net = try RecurrentNetwork<Float>(cfg, seed: 3)
        let T = 5, B = 3
        let x = try Tensor<Float>(shape: [T, B, 3], scalars: Reference.randomArray(T * B * 3, seed: 9).map { Float($0) })
        let (ySeq, sSeq) = try net(x)
        let (yBatch, sBatch) = try net(try x.swappingFirstTwoAxes(), layout: .batchFirst)
        #expect(try yBatch == ySeq.swappingFirstTwoAxes())
        #expect(sBatch == sSeq)
        // Sequence 1 alone, unbatched: (T, X) → (T, H), state (L, H).
        let x1 = try Tensor<Float>(shape: [T, 3], scalars: (0..<T).flatMap { t in (0..<3).map { x[t, 1, $0] } })
        let (y1, s1) = try net(x1)
        #expect(y1.shape == [T, 5] && s1.h.shape == [2, 5])
        for t in 0..<T { for j in 0..<5 { #expect(y1[t, j] == ySeq[t, 1, j]) } }
    }
}
