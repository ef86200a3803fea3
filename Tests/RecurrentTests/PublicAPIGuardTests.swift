import Foundation
import Testing
@testable import Recurrent

/// A developer's bad value given to a public function or initializer is a thrown
/// `RecurrentError` naming it, never a trap, an overflow or an allocation that fails (found by
/// a review of every public entry point, stop 24; each of these trapped or crashed before).
@Suite("Public API guards")
struct PublicAPIGuardTests {
    /// An LSTM(1, 4) → Linear(4, 3) character model over the vocabulary a, b, c.
    static func charModel() throws -> SequenceModel<Float> {
        var model = try SequenceModel<Float>(
            .init(recurrent: .init(cell: .lstm, inputSize: 2, hiddenSize: 4), vocabularySize: 3, headSize: 3), seed: 1)
        model.vocabulary = ["a", "b", "c"]
        return model
    }

    @Test("Class targets beyond Int32 are refused by count, not converted with a trap")
    func classesBeyondInt32() throws {
        let error = recurrentError {
            try ArrayDataset(inputs: Tensor(zeros: [1, 1, 1]), targets: Tensor<Float>([3e9]), classes: 10_000_000_000)
        }
        #expect(error?.message == "the number of classes 10000000000 must be in 1...2147483647 (a class is stored as an Int32)")
    }

    @Test("A batch size of Int.max over finite data is one batch per epoch (the ceiling overflowed)")
    func epochOfHugeBatch() throws {
        let data = try ArrayDataset(inputs: Tensor(zeros: [2, 5, 1]), targets: Tensor(zeros: [2, 5, 1]))
        #expect(data.batchesPerEpoch(batchSize: .max) == 1)
        #expect(data.batchesPerEpoch(batchSize: 2) == 3)
        #expect(data.batchesPerEpoch(batchSize: 0) == 0)
        let batch: TrainingBatch<Float> = try data.trainingBatch(step: 0, batchSize: .max, seed: 0)
        #expect(batch.batch == 5)
    }

    @Test("A text's held-out batches for more streams than predictions are those of one stream per prediction")
    func heldOutStreamsBeyondPredictions() throws {
        let text = String(repeating: "the quick brown fox jumps over the lazy dog. ", count: 4)
        let corpus = try TextCorpus(text: text, sequenceLength: 8)
        let predictions = corpus.heldOutCount
        #expect(predictions > 1)
        let huge: [TrainingBatch<Float>] = try corpus.heldOutBatches(batchSize: 1 << 40, seed: 0)
        let exact: [TrainingBatch<Float>] = try corpus.heldOutBatches(batchSize: predictions, seed: 0)
        #expect(huge == exact)
        #expect(huge.first?.batch == predictions)
        #expect(corpus.streamLength(batchSize: 0) == 0 && corpus.batchesPerEpoch(batchSize: 0) == 0)
    }

    @Test("Batches are asked for with a step from 0 and a batch size of at least 1")
    func batchRequests() throws {
        let task = try ParityTask(length: 4)
        let negative = recurrentError { try task.trainingBatch(step: -1, batchSize: 2, seed: 0) as TrainingBatch<Float> }
        #expect(negative?.message == "training step -1 is negative")
        let empty = recurrentError { try task.heldOutBatches(batchSize: 0, seed: 0) as [TrainingBatch<Float>] }
        #expect(empty?.message == "batch size 0 must be at least 1")
        let text = try TextCorpus(text: String(repeating: "abcdefgh", count: 8), sequenceLength: 4)
        let tooMany = recurrentError { try text.trainingBatch(step: 0, batchSize: 1000, seed: 0) as TrainingBatch<Float> }
        #expect(tooMany?.message.contains("too few for 1000 windows") == true, "\(tooMany?.message ?? "")")
    }

    @Test("A hand-made batch with no steps, no sequences or an impossible size is refused by the model")
    func handMadeBatches() throws {
        let model = try SequenceModel<Float>(.init(recurrent: .init(cell: .gru, inputSize: 1, hiddenSize: 2), headSize: 1), seed: 0)
        let trainer = try Trainer(model: model, data: try ArrayDataset(inputs: Tensor(zeros: [2, 2, 1]), targets: Tensor(zeros: [2, 2, 1])),
                                  options: .init(batchSize: 1, steps: 1))
        let none = TrainingBatch<Float>(steps: -1, batch: 0, inputs: .vectors([]), targets: .values([], positions: .everyStep))
        #expect(recurrentError { try trainer.evaluate([none]) }?.message == "a batch needs at least one step and one sequence, got -1 steps of 0")
        let huge = TrainingBatch<Float>(steps: .max, batch: 2, inputs: .vectors([]), targets: .values([], positions: .everyStep))
        let error = recurrentError { try trainer.evaluate([huge]) }
        expectMemoryRefusal(error?.message, needing: "GRU(1, 2) → Linear(2, 1) on a batch of 2 sequences of 9223372036854775807 steps "
            + "would need more than 8.0 EB of memory; ")
    }

    @Test("Cells larger than the largest size, or than memory, are refused before any allocation")
    func hugeCells() throws {
        let wide = recurrentError { try LSTMCell<Float>(inputSize: 1, hiddenSize: Int.max / 2) }
        #expect(wide?.message == "cell sizes must be at most 16777216, got input 1, hidden 4611686018427387903")
        let big = recurrentError { try SimpleRNNCell<Float>(inputSize: 1 << 20, hiddenSize: 1 << 20) }
        // 2^40 weights of 4 bytes (the biases and the recurrent weights are below 0.1 TB).
        expectMemoryRefusal(big?.message, needing: "the parameters with 'weight_ih' of shape (1048576, 1048576) would need 4.0 TB of memory; ")
        let negative = recurrentError { try LSTMCell<Float>(inputSize: 2, hiddenSize: 4, projectionSize: -1) }
        #expect(negative?.message == "projection size -1 needs an LSTM with a larger hidden size")
    }

    @Test("A parameter store refuses a negative, uncountable or unaffordable shape")
    func parameterShapes() throws {
        var store = ParameterStore<Float>()
        #expect(recurrentError { try store.append("w", shape: [-1]) }?.message == "tensor shape (-1) has a negative dimension")
        #expect(recurrentError { try store.append("w", shape: [Int.max, 2]) }?.message
            == "tensor shape (9223372036854775807, 2) has too many elements to count")
        // 2^40 floats of 4 bytes.
        expectMemoryRefusal(recurrentError { try store.append("w", shape: [1 << 40]) }?.message,
                            needing: "the parameters with 'w' of shape (1099511627776) would need 4.0 TB of memory; ")
        #expect(store.entries.isEmpty, "nothing is registered by a refused append")
        try store.append("w", shape: [2, 3])
        #expect(store.scalarCount == 6)
    }

    @Test("A network call and a stream whose outputs or states cannot fit are refused by size")
    func callsBeyondMemory() throws {
        let network = try RecurrentNetwork<Float>(.init(cell: .lstm, inputSize: 3, hiddenSize: 4), seed: 0)
        let error = recurrentError { try network(Tensor(zeros: [0, 1 << 40, 3])) }
        // Per sequence, with no steps: its tape row ((4 + 3) · 4 gate values and at most 143 of
        // row-block padding) and 3 · 4 states, 183 floats: 2^40 · 732 bytes (the 144 parameters aside).
        expectMemoryRefusal(error?.message, needing: "LSTM(3, 4) on 1099511627776 sequences of 0 steps would need 732.0 TB of memory; ")
        let stream = recurrentError { try ModelStream(model: Self.charModel(), batch: 1 << 40) }
        // A step adds its input (2), output (3), the gates' projection (4 · 4) and 2 · 4 outputs: 212 floats.
        expectMemoryRefusal(stream?.message, needing: "streaming Embedding(3, 2) → LSTM(2, 4) → Linear(4, 3) on 1099511627776 sequences "
            + "of 1 steps would need 848.0 TB of memory; ")
        // Within memory, the same calls run.
        #expect(try network(Tensor(zeros: [0, 2, 3])).state.h.shape == [1, 2, 4])
    }

    @Test("A vocabulary set to another length than the embedding's rows is refused where it is read")
    func vocabularyOfOtherLength() throws {
        var model = try Self.charModel()
        model.vocabulary = ["a"]
        let error = recurrentError { try model.generateText(prime: "a", count: 5, temperature: 0, seed: 0) }
        #expect(error?.message == "the model's vocabulary has 1 characters; its embedding has 3 rows")
        model.vocabulary = ["a", "b", "c", "d"]
        #expect(recurrentError { try model.generateText(prime: "a", count: 5, temperature: 0, seed: 0) }?.message
            == "the model's vocabulary has 4 characters; its embedding has 3 rows")
    }

    @Test("A trace refuses an initial state of the wrong length or not finite")
    func traceInitialState() throws {
        var model = CoursePreset.homeworkLSTM.model
        let H = model.parameters.hiddenSize
        model.h0 = Tensor([Double]())
        #expect(recurrentError { try Trace(model: model, inputs: [[1]]) }?.message == "h0: expected (\(H)), got (0)")
        model.h0 = Tensor([Double](repeating: 0, count: H))
        model.c0 = Tensor([Double](repeating: .nan, count: H))
        #expect(recurrentError { try Trace(model: model, inputs: [[1]]) }?.message == "c0 must be finite numbers")
    }

    @Test("A schedule's rate refuses a schedule validate refuses and a negative step")
    func scheduleRates() throws {
        #expect(recurrentError { try LearningRateSchedule.step(stepSize: 0, gamma: 0.5).learningRate(base: 0.1, step: 3) }?.message
            == "step schedule: step size must be > 0, got 0")
        #expect(recurrentError { try LearningRateSchedule.constant.learningRate(base: 0.1, step: -1) }?.message
            == "learning rate schedule: step -1 is negative")
    }

    @Test("An optimizer refuses mismatched buffers, a bad rate, an uncountable step and an unaffordable state")
    func optimizerGuards() throws {
        var sgd = try Optimizer<Float>(.init(kind: .sgd, learningRate: 0.1), parameterCount: 2)
        var p: [Float] = [1, 2]
        #expect(recurrentError { try sgd.step(parameters: &p, gradients: [1], learningRate: 0.1) }?.message
            == "optimizer step: expected 2 parameters and gradients, got 2 and 1")
        #expect(recurrentError { try sgd.step(parameters: &p, gradients: [1, 1], learningRate: .nan) }?.message
            == "optimizer step: the learning rate must be a finite number >= 0, got nan")
        #expect(p == [1, 2] && sgd.stepCount == 0, "a refused step changes nothing")
        let late = recurrentError { try Optimizer<Float>(.init(kind: .sgd, learningRate: 0.1), parameterCount: 1, stepCount: .max, state: [:]) }
        #expect(late?.message == "optimizer step count must be in 0...9007199254740992, got 9223372036854775807")
        let huge = recurrentError { try Optimizer<Float>(.init(kind: .adam, learningRate: 0.1), parameterCount: 1 << 60) }
        // Two moments of 2^60 floats: 2^63 bytes, one more than an Int counts.
        expectMemoryRefusal(huge?.message, needing: "the adam optimizer's state for 1152921504606846976 parameters would need more than 8.0 EB of memory; ")
    }

    @Test("A series maps back only its own columns")
    func seriesColumns() throws {
        let series = try TimeSeriesCSV(csv: "a,b\n1,2\n3,4\n5,6\n7,8\n", sequenceLength: 1, validationFraction: 0)
        #expect(try series.originalValue(0, column: 1) == series.means[1])
        #expect(recurrentError { try series.originalValue(0, column: 99) }?.message == "csv: column 99 is outside 0..<2")
    }

    @Test("Sizes past every limit count as nil or Int.max, never an overflow")
    func configurationArithmetic() throws {
        let projected = RecurrentConfiguration(cell: .lstm, inputSize: 1, hiddenSize: 2, layers: 2, bidirectional: true,
                                               projectionSize: .max)
        #expect(projected.parameterCount == nil)
        #expect(projected.outputSize == .max)
        #expect(recurrentError { try projected.validate() }?.message == "proj_size (9223372036854775807) must be smaller than hidden_size (2)")
        let head = SequenceModelConfiguration(recurrent: .init(cell: .rnn, inputSize: 1, hiddenSize: 1), headSize: Int.max / 2)
        #expect(head.trainingBytes(batch: 1, steps: 1, scalarSize: 4) == nil)
        let bench = Benchmark.Configuration(name: "n", batch: 1, steps: 1, input: 2, hidden: 2, layers: -1)
        #expect(bench.forwardFLOPs == 0)
    }

    @Test("Charts and helpers clamp or refuse what they cannot draw")
    func chartsAndHelpers() throws {
        #expect(Axis.linearLabel(1, step: .nan) == ChartFormat.compact(1, significantDigits: 6))
        #expect(Axis.linearLabel(1, step: .infinity) == ChartFormat.compact(1, significantDigits: 6))
        let points = (0..<10).map { (x: Double($0), y: Double($0)) }
        #expect(LineChart.downsample(points, columns: .max).count == 10)
        var chart = LineChart(title: "t")
        chart.width = 1e300
        chart.height = .nan
        #expect(chart.width == 10_000 && chart.height == 420)
        var map = Heatmap(title: "h", values: [[1]])
        map.decimals = 100
        map.cellHeight = -.infinity
        #expect(map.decimals == 6 && map.cellHeight == 24)
        #expect(shortList(["a", "b"], limit: -1) == " and 2 more")
        #expect(shortQuote("abc", limit: -1) == "…")
        #expect(recurrentError { try Tensor<Float>([1, 2]).swappingFirstTwoAxes() }?.message
            == "swapping the first two axes needs two dimensions, got (2)")
    }
}
