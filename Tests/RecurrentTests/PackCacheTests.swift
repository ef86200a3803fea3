import Testing
@testable import Recurrent

/// A network keeps its weights packed between inference calls; the packs must never outlive
/// the weights they were made from.
@Suite("Packed weights kept between calls")
struct PackCacheTests {
    static func input(_ T: Int, _ B: Int, _ X: Int, seed: UInt64) throws -> Tensor<Float> {
        var random = SeededGenerator(seed: seed)
        return try Tensor(shape: [T, B, X], scalars: (0..<(T * B * X)).map { _ in random.uniform(-1, 1) })
    }

    @Test("Calling again, changing a parameter, and copies that change: each equals a freshly built network",
          arguments: [(CellKind.lstm, 1), (.gru, 1), (.lstm, 32), (.rnn, 4)])
    func packsFollowTheWeights(_ cell: CellKind, _ batch: Int) throws {
        let cfg = RecurrentConfiguration(cell: cell, inputSize: 5, hiddenSize: 96, layers: 2)
        let x = try Self.input(9, batch, 5, seed: 1)
        var network = try RecurrentNetwork<Float>(cfg, seed: 2)
        let first = try network(x).output
        #expect(try network(x).output == first)  // the second call uses the kept packs

        let copy = network
        let name = RecurrentConfiguration.suffix(layer: 1, reverse: false)
        var w = try #require(network.parameters["weight_hh" + name])
        w = try Tensor(shape: w.shape, scalars: w.scalars.map { $0 * 0.5 + 0.01 })
        try network.setParameter("weight_hh" + name, w)
        let changed = try network(x).output
        let fresh = try RecurrentNetwork<Float>(cfg, parameters: network.parameters)
        #expect(changed == (try fresh(x).output))
        #expect(changed != first)
        // The copy kept the old weights, and so its old packs.
        #expect(try copy(x).output == first)
    }
}

/// A whole model keeps its recurrent packs between inference calls (a stream of steps repacked
/// them every step), and drops them when training changes the weights.
@Suite("Packed weights kept by a model")
struct ModelPackTests {
    @Test("A stream after a training step uses the new weights: it equals a model built afresh from them")
    func modelPacksFollowTraining() throws {
        let cfg = SequenceModelConfiguration(recurrent: .init(cell: .lstm, inputSize: 1, hiddenSize: 96), headSize: 3)
        let options = TrainingOptions(batchSize: 4, steps: 1, optimizer: .init(kind: .adam, learningRate: 0.05))
        var trainer = try Trainer(model: try SequenceModel<Float>(cfg, seed: 1), data: try ParityTask(length: 6), options: options)
        let x = try Tensor<Float>(shape: [1], scalars: [1])
        var before = try ModelStream(model: trainer.model)
        let first = try before.step(x)
        #expect(try before.step(x) != first)   // the state moved on; the kept packs served the second step
        _ = try trainer.trainStep()
        var after = try ModelStream(model: trainer.model)
        var fresh = try ModelStream(model: try SequenceModel<Float>(cfg, parameters: trainer.model.parameters))
        let y = try after.step(x)
        #expect(y == (try fresh.step(x)))
        #expect(y != first)
    }
}

extension PackCacheTests {
    @Test("Packs made under two threads are not used under one: the layouts share a width but order the gates otherwise (H = 128); the outputs are bit-identical and a worker ran",
          .enabled(if: KernelSettings.maximumThreadCount >= 2, "two threads need two usable cores"))
    func packsFollowTheThreadCount() throws {
        let cfg = RecurrentConfiguration(cell: .lstm, inputSize: 3, hiddenSize: 128)
        let x = try Self.input(6, 1, 3, seed: 3)
        let network = try RecurrentNetwork<Float>(cfg, seed: 4)
        let fresh = try RecurrentNetwork<Float>(cfg, parameters: network.parameters)
        let pool = KernelThreadPool()
        var two: [Tensor<Float>] = []
        try repeatUntilAWorkerRan(pool) { two.append(try withKernels(.best, threads: 2, pool: pool) { try network(x).output }) }
        #expect(pool.chunksRunByWorkers > 0, "no chunk of the two-thread pass ran on a worker thread")
        let one = try withKernels(.best, threads: 1) { try network(x).output }
        #expect(one == (try withKernels(.best, threads: 1) { try fresh(x).output }))
        // The products sum in a fixed order whatever the thread count (ThreadingTests).
        #expect(two.allSatisfy { $0.scalars.map(\.bitPattern) == one.scalars.map(\.bitPattern) })
    }
}
