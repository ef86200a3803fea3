import Testing
@testable import Recurrent

/// Results never depend on the thread count: the products sum in a fixed order and the cells'
/// element-wise steps are split by batch rows.
@Suite("Threads")
struct ThreadingTests {
    /// Outputs, final states, parameter and input gradients of a forward and backward pass with
    /// `threads` threads, as bit patterns.
    static func pass(_ cell: CellKind, threads: Int, pool: KernelThreadPool = KernelThreadPool()) throws -> [UInt32] {
        // B · G·H ≥ `minParallelElements` for every cell, so the element-wise steps are split.
        let T = 2, B = 64, X = 4
        let network = try RecurrentNetwork<Float>(
            .init(cell: cell, inputSize: X, hiddenSize: 256, layers: 2, bidirectional: true), seed: 5)
        var random = SeededGenerator(seed: 9)
        let x = (0..<(T * B * X)).map { _ in random.uniform(Float(-1), 1) }
        let dy = (0..<(T * B * 2 * 256)).map { _ in random.uniform(Float(-1), 1) }
        let lengths = (0..<B).map { 1 + $0 % T }  // padded steps too
        return withKernels(.best, threads: threads, pool: pool) {
            run(network, x: x, dy: dy, lengths: lengths, steps: T, batch: B)
        }
    }

    static func run(_ network: RecurrentNetwork<Float>, x: [Float], dy: [Float], lengths: [Int], steps T: Int, batch B: Int)
        -> [UInt32]
    {
        var grads = [Float](repeating: 0, count: network.parameterCount)
        let forward = x.withUnsafeBufferPointer {
            network.forward(input: $0.baseAddress!, steps: T, batch: B, lengths: lengths, h0: nil, c0: nil, recordTape: true)
        }
        let backward = dy.withUnsafeBufferPointer { d in
            grads.withUnsafeMutableBufferPointer { g in
                network.backward(tape: forward.tape!, dOutput: d.baseAddress, dhN: nil, dcN: nil,
                                 grads: g.baseAddress!, wantInputGradient: true)
            }
        }
        let values = forward.output.array + forward.hN.array + (forward.cN?.array ?? []) + grads
            + backward.dInput!.array + backward.dh0.array + (backward.dc0?.array ?? [])
        return values.map(\.bitPattern)
    }

    @Test("Forward and backward passes are bit-identical with 1, 2 and 3 threads, for every cell; the workers ran",
          arguments: CellKind.allCases)
    func threadCountDoesNotMatter(_ cell: CellKind) throws {
        let single = try Self.pass(cell, threads: 1)
        for threads in [2, 3] {
            let pool = KernelThreadPool()
            try repeatUntilAWorkerRan(pool) { () throws in
                #expect(try Self.pass(cell, threads: threads, pool: pool).elementsEqual(single), "\(cell), \(threads) threads")
            }
            #expect(pool.chunksRunByWorkers > 0, "\(cell), \(threads) threads: no chunk ran on a worker thread")
        }
    }
}
