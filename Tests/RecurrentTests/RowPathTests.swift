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
        isa: InstructionSet = .best, pool: KernelThreadPool = KernelThreadPool(), steps T: Int = 7,
        balancing: RowBlockSplit.Policy = .measured
    ) throws -> [S] {
        let X = cfg.inputSize, rows = cfg.layers * cfg.directions
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
        let override = Kernels.Override(instructionSet: isa, threads: threads, pool: pool, balancing: balancing)
        return Kernels.$override.withValue(override) {
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

    @Test("Work that changes hands between threads every 32 steps gives the same bits (forward and backward)",
          arguments: [CellKind.lstm, .gru, .gated, .rnn])
    func sharesThatMoveGiveTheSameNumbers(_ cell: CellKind) throws {
        let cfg = RecurrentConfiguration(cell: cell, inputSize: 3, hiddenSize: cell == .rnn ? 300 : cell == .gated ? 170 : 150)
        #expect(cfg.hiddenSize * cfg.hiddenSize * cell.gateCount >= GemmPlan.minRowWork, "shared between threads")
        let batched = try Self.pass(Float.self, cfg, batch: 2, length: 90, threads: 1, steps: 100)
        for threads in [2, 3] {
            let pool = KernelThreadPool()
            let alone = try Self.pass(Float.self, cfg, batch: 1, length: 90, threads: threads, pool: pool, steps: 100,
                                      balancing: .alternating)
            #expect(KernelTests.mismatches(alone, batched) == [], "\(cell), \(threads) threads")
            // The pool's own threads took part: the blocks (moved at steps 32, 64 and 96 by
            // the alternating policy, `alternatingSplitMoves`) were really shared.
            #expect(pool.chunksRunByWorkers > 0, "\(cell), \(threads) threads: no worker thread ran")
        }
    }

    @Test("The alternating split moves every boundary one block left, then right, every 32 steps, whatever was measured")
    func alternatingSplitMoves() {
        let split = RowBlockSplit(participants: 3, blocks: 12, policy: .alternating)
        func bounds(_ step: Int) -> [Int] { (0..<3).map { split.range($0, step: step).lowerBound } + [split.range(2, step: step).upperBound] }
        #expect(bounds(0) == [0, 4, 8, 12])
        split.addBusy(0, 1_000_000)  // ignored by this policy
        for s in 0...32 { split.prepare(step: s) }
        #expect(bounds(32) == [0, 4, 8, 12] && bounds(33) == [0, 3, 7, 12])
        for s in 33...64 { split.prepare(step: s) }
        #expect(bounds(64) == [0, 3, 7, 12] && bounds(65) == [0, 4, 8, 12])
    }

    @Test("The split moves a block away from the busier participant, never empties one, and keeps still when balanced")
    func splitPolicy() {
        let split = RowBlockSplit(participants: 2, blocks: 16)
        #expect(split.range(0, step: 0) == 0..<8 && split.range(1, step: 0) == 8..<16)
        for s in 0..<32 { split.prepare(step: s) }
        split.addBusy(0, 320_000)
        split.addBusy(1, 200_000)
        split.prepare(step: 32)
        #expect(split.range(0, step: 32) == 0..<8, "the current step keeps its shares")
        #expect(split.range(0, step: 33) == 0..<7 && split.range(1, step: 33) == 7..<16)
        // Balanced since: no move.
        for s in 33..<64 { split.prepare(step: s) }
        split.addBusy(0, 200_000)
        split.addBusy(1, 201_000)
        split.prepare(step: 64)
        #expect(split.range(0, step: 65) == 0..<7)
        // Participant 1 far slower, many times over: participant 0 takes blocks, 1 keeps one.
        for round in 2..<40 {
            for s in (32 * round + 1)..<(32 * round + 32) { split.prepare(step: s) }
            split.addBusy(1, 10_000_000)
            split.prepare(step: 32 * round + 32)
        }
        #expect(split.range(1, step: 32 * 40 + 1) == 15..<16 && split.range(0, step: 32 * 40 + 1) == 0..<15)
        let three = RowBlockSplit(participants: 3, blocks: 3)
        three.addBusy(1, 1_000_000)
        three.prepare(step: 32)
        #expect((0..<3).map { three.range($0, step: 33).count } == [1, 1, 1])
    }
}
