import Testing
@testable import Recurrent

/// The single-step cells and the streaming API give the numbers of the whole-sequence call.
@Suite("Cells and streams")
struct CellAndStreamTests {
    @Test("GRU and simple RNN cells, batched, match the float64 reference")
    func cellsMatchReference() throws {
        let gru = try GRUCell<Double>(inputSize: 3, hiddenSize: 5, seed: 1)
        let rnn = try SimpleRNNCell<Double>(inputSize: 3, hiddenSize: 5, nonlinearity: .relu, seed: 2)
        let x = try Tensor<Double>(shape: [2, 3], scalars: Reference.randomArray(6, seed: 3))
        let h = try Tensor<Double>(shape: [2, 5], scalars: Reference.randomArray(10, seed: 4))
        for (cellKind, params, out) in [(CellKind.gru, gru.parameters, try gru(x, state: h).h),
                                        (.rnn, rnn.parameters, try rnn(x, state: h))] {
            let ref = Reference.Cell(kind: cellKind, nonlinearity: cellKind == .rnn ? .relu : .tanh, X: 3, H: 5,
                                     wih: params["weight_ih"]!.scalars, whh: params["weight_hh"]!.scalars,
                                     bih: params["bias_ih"]!.scalars, bhh: params["bias_hh"]!.scalars)
            for b in 0..<2 {
                let expected = ref.step(x: Array(x.scalars[b * 3..<(b + 1) * 3]), h: Array(h.scalars[b * 5..<(b + 1) * 5]), c: [])
                #expect(maxAbsDiff(Array(out.scalars[b * 5..<(b + 1) * 5]), expected.h) < 1e-12)
            }
        }
    }

    @Test("An LSTM cell with projection: h has P values, c has H")
    func projectionShapes() throws {
        let cell = try LSTMCell<Float>(inputSize: 3, hiddenSize: 6, projectionSize: 2, seed: 9)
        let step = try cell(Tensor([0.1, 0.2, 0.3]))
        #expect(step.h.shape == [2] && step.c.shape == [6] && step.i.shape == [6])
        #expect(throws: RecurrentError(.shape, "cell input: expected (3) or (B, 3), got (2)")) { try cell(Tensor([0.1, 0.2])) }
    }

    @Test("Streaming step by step and in chunks gives bit-identical numbers to the whole sequence",
          arguments: [CellKind.rnn, .gated, .lstm, .gru])
    func streamingMatchesSequence(_ cell: CellKind) throws {
        let cfg = RecurrentConfiguration(cell: cell, inputSize: 3, hiddenSize: 7, layers: 2,
                                         projectionSize: cell == .lstm ? 4 : 0)
        let net = try RecurrentNetwork<Float>(cfg, seed: 5)
        let T = 9, B = 2
        let x = try Tensor<Float>(shape: [T, B, 3], scalars: Reference.randomArray(T * B * 3, seed: 6).map { Float($0) })
        let (y, final) = try net(x)
        var stream = try RecurrentStream(network: net, batch: B)
        var streamed: [Float] = []
        for t in 0..<T {
            let xt = try Tensor(shape: [B, 3], scalars: Array(x.scalars[(t * B * 3)..<((t + 1) * B * 3)]))
            streamed += try stream.step(xt).scalars
        }
        #expect(streamed == y.scalars)
        #expect(stream.state == final && stream.stepCount == T)
        stream.reset()
        let first = try stream.steps(try Tensor(shape: [4, B, 3], scalars: Array(x.scalars[0..<(4 * B * 3)])))
        let rest = try stream.steps(try Tensor(shape: [5, B, 3], scalars: Array(x.scalars[(4 * B * 3)...])))
        #expect(first.scalars + rest.scalars == y.scalars)
    }

    @Test("A bidirectional network cannot stream; a wrong-shaped step is a shape error")
    func streamingErrors() throws {
        let bi = try RecurrentNetwork<Float>(.init(cell: .gru, inputSize: 2, hiddenSize: 3, bidirectional: true))
        #expect(throws: RecurrentError(.unsupported, "a bidirectional network cannot stream: its reverse direction needs the whole sequence")) {
            try RecurrentStream(network: bi)
        }
        var stream = try RecurrentStream(network: try RecurrentNetwork<Float>(.init(cell: .gru, inputSize: 2, hiddenSize: 3)))
        #expect(throws: RecurrentError(.shape, "stream input: expected (1, 2) or (2), got (3)")) {
            try stream.step(Tensor([1, 2, 3]))
        }
    }

    @Test("Network input errors name the problem", arguments: [
        ([5, 2, 4], nil as [Int]?, "input: expected (T, B, 3), got (5, 2, 4)"),
        ([5, 2, 3], [5, 9], "lengths[1] = 9 is outside 0...5"),
        ([5, 2, 3], [5], "lengths: expected 2 values (one per sequence), got 1"),
        ([2, 3, 2, 3], nil, "input: expected rank 3 (T, B, X) or rank 2 (T, X), got shape (2, 3, 2, 3)"),
    ])
    func networkErrors(_ shape: [Int], _ lengths: [Int]?, _ message: String) throws {
        let net = try RecurrentNetwork<Float>(.init(cell: .lstm, inputSize: 3, hiddenSize: 4))
        let x = try Tensor<Float>(zeros: shape)
        #expect { try net(x, lengths: lengths) } throws: { ($0 as? RecurrentError)?.message == message }
    }

    @Test("NaN inputs and wrong initial states are errors, not silent NaN outputs")
    func nanAndStateErrors() throws {
        let net = try RecurrentNetwork<Float>(.init(cell: .lstm, inputSize: 1, hiddenSize: 2, layers: 2))
        #expect(throws: RecurrentError(.value, "input[1, 0, 0] is nan; the model reads finite numbers")) {
            try net(Tensor(shape: [2, 1, 1], scalars: [0, .nan]))
        }
        // The index is the caller's own: batch-first input (B, T, X) = (2, 3, 1), element (1, 2, 0).
        #expect(throws: RecurrentError(.value, "input[1, 2, 0] is -inf; the model reads finite numbers")) {
            try net(Tensor(shape: [2, 3, 1], scalars: [0, 0, 0, 0, 0, -.infinity]), layout: .batchFirst)
        }
        let badState = RecurrentState<Float>(h: try Tensor(zeros: [1, 1, 2]))
        #expect(throws: RecurrentError(.shape, "initial state h: expected shape (2, 1, 2), got (1, 1, 2)")) {
            try net(Tensor(zeros: [2, 1, 1]), initialState: badState)
        }
        // As nn.LSTM: h and c together (c alone was taken as zeros without a word).
        let hOnly = RecurrentState<Float>(h: try Tensor(zeros: [2, 1, 2]))
        #expect(throws: RecurrentError(.value, "initial state: LSTM(1, 2, num_layers=2) takes h and c together; c is missing")) {
            try net(Tensor(zeros: [2, 1, 1]), initialState: hOnly)
        }
    }
}
