import Testing
@testable import Recurrent

/// A batch of one takes its own path (`CellRunner.recurRows`: W_hh in row blocks, threads
/// meeting at a barrier after every step). It must give exactly the numbers of the general
/// batched path: the same sequence as row 0 of a batch of two, the other row's upstream
/// gradient zero, gives bit-identical outputs, states and gradients.
@Suite("Batch-1 row path")
struct RowPathTests {
    /// Outputs, final states, parameter gradients and the gradients of the input and initial
    /// states of sequence 0 (of `batch`), as bit patterns.
    static func pass<S: RecurrentScalar>(
        _: S.Type, _ cfg: RecurrentConfiguration, batch B: Int, length: Int, threads: Int,
        isa: InstructionSet = .best, pool: KernelThreadPool = KernelThreadPool()
    ) throws -> [S] {
        let T = 7, X = cfg.inputSize, rows = cfg.layers * cfg.directions
        let network = try RecurrentNetwork<S>(cfg, seed: 3)
        var random = SeededGenerator(seed: 11)
        // Sequence 0 is the same whatever the batch; the others are random.
        var x = [S](repeating: 0, count: T * B * X), dy = [S](repeating: 0, count: T * B * cfg.outputSize)
        var h0 = [S](repeating: 0, count: rows * B * cfg.stateSize), c0 = [S](repeating: 0, count: rows * B * cfg.hiddenSize)
        let width = cfg.outputSize
        for t in 0..<T {
            for j in 0..<X { x[t * B * X + j] = random.uniform(-1, 1) }
            for j in 0..<width { dy[t * B * width + j] = random.uniform(-1, 1) }
        }
        for r in 0..<rows {
            for j in 0..<cfg.stateSize { h0[r * B * cfg.stateSize + j] = random.uniform(-1, 1) }
            for j in 0..<cfg.hiddenSize { c0[r * B * cfg.hiddenSize + j] = random.uniform(-1, 1) }
        }
        for b in 1..<max(B, 1) {
            for t in 0..<T { for j in 0..<X { x[(t * B + b) * X + j] = random.uniform(-1, 1) } }
        }
        let lengths = (0..<B).map { $0 == 0 ? length : T }
        return withKernels(isa, threads: threads, pool: pool) {
            run(network, cfg, x: x, dy: dy, h0: h0, c0: c0, lengths: lengths, steps: T, batch: B)
        }
    }

    static func run<S: RecurrentScalar>(
        _ network: RecurrentNetwork<S>, _ cfg: RecurrentConfiguration, x: [S], dy: [S], h0: [S], c0: [S],
        lengths: [Int], steps T: Int, batch B: Int
    ) -> [S] {
        let X = cfg.inputSize, width = cfg.outputSize
        var grads = [S](repeating: 0, count: network.parameterCount)
        let hasC = cfg.cell == .lstm
        let forward = x.withUnsafeBufferPointer { xp in
            h0.withUnsafeBufferPointer { hp in
                c0.withUnsafeBufferPointer { cp in
                    network.forward(input: xp.baseAddress!, steps: T, batch: B, lengths: lengths, h0: hp.baseAddress!,
                                    c0: hasC ? cp.baseAddress! : nil, recordTape: true)
                }
            }
        }
        let backward = dy.withUnsafeBufferPointer { d in
            grads.withUnsafeMutableBufferPointer { g in
                network.backward(tape: forward.tape!, dOutput: d.baseAddress, dhN: nil, dcN: nil,
                                 grads: g.baseAddress!, wantInputGradient: true)
            }
        }
        /// Row 0 of every (leading, B, n) array.
        func row0(_ values: [S], n: Int) -> [S] {
            stride(from: 0, to: values.count, by: B * n).flatMap { values[$0..<($0 + n)] }
        }
        return row0(forward.output.array, n: width) + row0(forward.hN.array, n: cfg.stateSize)
            + (forward.cN.map { row0($0.array, n: cfg.hiddenSize) } ?? []) + grads
            + row0(backward.dInput!.array, n: X) + row0(backward.dh0.array, n: cfg.stateSize)
            + (backward.dc0.map { row0($0.array, n: cfg.hiddenSize) } ?? [])
    }

    static let configurations: [RecurrentConfiguration] = CellKind.allCases.flatMap { cell in
        [5, 40, 130].map { H in
            RecurrentConfiguration(cell: cell, inputSize: 3, hiddenSize: H, layers: 2, bidirectional: H != 40)
        }
    } + [RecurrentConfiguration(cell: .rnn, inputSize: 2, hiddenSize: 300, nonlinearity: .relu),
         RecurrentConfiguration(cell: .gated, inputSize: 2, hiddenSize: 160)]

    @Test("Float: a batch of one gives bit for bit the batched path's outputs and gradients, with 1 to 3 threads, on every instruction set",
          arguments: 0..<configurations.count)
    func floatRowPathMatchesBatchedPath(_ index: Int) throws {
        let cfg = Self.configurations[index]
        // Shared between threads only when a step's product is large enough to pay for it.
        let shared = cfg.hiddenSize * cfg.hiddenSize * cfg.cell.gateCount >= GemmPlan.minRowWork
        for isa in InstructionSet.supported {
            for length in [7, 4] {
                let batched = try Self.pass(Float.self, cfg, batch: 2, length: length, threads: 1, isa: isa)
                for threads in 1...3 {
                    let pool = KernelThreadPool()
                    let alone = try Self.pass(Float.self, cfg, batch: 1, length: length, threads: threads, isa: isa, pool: pool)
                    #expect(KernelTests.mismatches(alone, batched) == [],
                            "\(cfg.cell) H=\(cfg.hiddenSize), length \(length), \(threads) threads, \(isa)")
                    // The threads really shared the steps: workers ran their blocks.
                    if threads > 1 && shared {
                        #expect(pool.chunksRunByWorkers > 0, "\(cfg.cell) H=\(cfg.hiddenSize), \(threads) threads: no worker ran")
                    }
                }
            }
        }
    }

    @Test("Double: a batch of one gives bit for bit the batched path's outputs and gradients",
          arguments: [1, 4, 8])
    func doubleRowPathMatchesBatchedPath(_ index: Int) throws {
        let cfg = Self.configurations[index]
        let batched = try Self.pass(Double.self, cfg, batch: 2, length: 5, threads: 1)
        let alone = try Self.pass(Double.self, cfg, batch: 1, length: 5, threads: 2)
        #expect(KernelTests.mismatches(alone, batched) == [], "\(cfg.cell) H=\(cfg.hiddenSize)")
    }
}
