import Dispatch

/// Speed of a network's forward pass (inference) and training step, measured.
public enum Benchmark {
    /// A network shape to measure: B sequences of T steps of X inputs, H hidden, L layers.
    public struct Configuration: Sendable, Equatable, Codable {
        /// A name for tables.
        public var name: String
        /// B
        public var batch: Int
        /// T
        public var steps: Int
        /// X
        public var input: Int
        /// H
        public var hidden: Int
        /// L
        public var layers: Int
        /// The cell (LSTM by default).
        public var cell: CellKind

        /// Makes a configuration.
        public init(name: String, batch: Int, steps: Int, input: Int, hidden: Int, layers: Int, cell: CellKind = .lstm) {
            (self.name, self.batch, self.steps, self.input, self.hidden, self.layers, self.cell) =
                (name, batch, steps, input, hidden, layers, cell)
        }

        /// The four configurations of the performance issue: streaming, small, batched, char-LM.
        public static let standard: [Configuration] = [
            .init(name: "stream", batch: 1, steps: 1000, input: 64, hidden: 256, layers: 1),
            .init(name: "small", batch: 1, steps: 100, input: 1, hidden: 32, layers: 1),
            .init(name: "batch", batch: 64, steps: 100, input: 512, hidden: 512, layers: 1),
            .init(name: "charlm", batch: 32, steps: 64, input: 65, hidden: 512, layers: 2),
        ]

        /// The recurrent network measured.
        public var recurrent: RecurrentConfiguration {
            RecurrentConfiguration(cell: cell, inputSize: input, hiddenSize: hidden, layers: layers)
        }

        /// The forward products' FLOPs: 2 · G·H · (X_l + H) · B · T per layer (G = 4 for the LSTM).
        public var forwardFLOPs: Double {
            let G = Double(cell.gateCount), H = Double(hidden), BT = Double(batch) * Double(steps)
            // In Double throughout: a configuration is checked (`Benchmark.check`) only when run.
            return (0..<max(layers, 0)).map { (l: Int) -> Double in
                let X = Double(l == 0 ? input : hidden)
                return 2 * G * H * (X + H) * BT
            }.reduce(0, +)
        }
    }

    /// The measurements of one configuration.
    public struct Result: Sendable, Codable {
        /// What was measured.
        public var configuration: Configuration
        /// The median milliseconds of a forward pass (the public call, `network(x)`).
        public var inferMilliseconds: Double
        /// The median milliseconds of a training step: forward with the record kept, then the
        /// backward pass of the sum of the outputs with respect to every parameter (no
        /// optimizer step).
        public var trainMilliseconds: Double
        /// The most scratch memory a training step held (activations kept for the backward
        /// pass, gradients of activations, packed weights), in bytes.
        public var trainScratchBytes: Int
        /// The parameters' bytes (the gradients take as many again).
        public var parameterBytes: Int
        /// Forward GFLOP/s.
        public var inferGFLOPs: Double { configuration.forwardFLOPs / inferMilliseconds / 1e6 }
        /// Training GFLOP/s, counting three times the forward FLOPs.
        public var trainGFLOPs: Double { 3 * configuration.forwardFLOPs / trainMilliseconds / 1e6 }
    }

    /// Measures a configuration: `repeats` timed runs (at least, and until about half a second
    /// has passed, at most 1000) after one warm-up, median of each. Without `training`, only
    /// inference (the training fields are then 0), for profiling.
    public static func run(_ c: Configuration, repeats: Int = 5, seed: UInt64 = 0, training: Bool = true) throws -> Result {
        try check(c)
        let network = try RecurrentNetwork<Float>(c.recurrent, seed: seed)
        var g = SeededGenerator(seed: seed &+ 1)
        let x = try Tensor<Float>(shape: [c.steps, c.batch, c.input],
                                  scalars: (0..<(c.steps * c.batch * c.input)).map { _ in g.uniform(-1, 1) })
        let infer = try median(repeats: repeats) { _ = try network(x) }
        guard training else {
            return Result(configuration: c, inferMilliseconds: infer, trainMilliseconds: 0, trainScratchBytes: 0,
                          parameterBytes: network.parameterCount * MemoryLayout<Float>.stride)
        }
        let ones = [Float](repeating: 1, count: c.steps * c.batch * c.recurrent.outputSize)
        var grads = [Float](repeating: 0, count: network.parameterCount)
        var peak = 0
        let train = try median(repeats: repeats) {
            grads.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
            ScratchMemory.resetPeak()
            let baseline = ScratchMemory.bytes
            x.withUnsafeBufferPointer { xp in
                let forward = network.forward(input: xp.baseAddress!, steps: c.steps, batch: c.batch, lengths: nil,
                                              h0: nil, c0: nil, recordTape: true)
                _ = grads.withUnsafeMutableBufferPointer { gp in
                    ones.withUnsafeBufferPointer { op in
                        network.backward(tape: forward.tape!, dOutput: op.baseAddress, dhN: nil, dcN: nil,
                                         grads: gp.baseAddress!, wantInputGradient: false)
                    }
                }
            }
            peak = max(peak, ScratchMemory.peak - baseline)
        }
        return Result(configuration: c, inferMilliseconds: infer, trainMilliseconds: train, trainScratchBytes: peak,
                      parameterBytes: network.parameterCount * MemoryLayout<Float>.stride)
    }

    /// Checks that `c` is a valid network that fits in memory, as `run` does first: a caller
    /// checks every configuration before measuring anything.
    /// - Throws: `RecurrentError` naming the size at fault, or the memory it would need.
    public static func check(_ c: Configuration) throws {
        try c.recurrent.validate()
        try MemoryBudget.require(SequenceModelConfiguration(recurrent: c.recurrent).trainingBytes(batch: c.batch, steps: c.steps, scalarSize: 4),
                                 for: "benchmarking \(c.recurrent.summary) on \(c.batch) sequences of \(c.steps) steps")
    }

    /// For a batch of one, the least time a forward pass can take: at every step and layer each
    /// thread streams its share of W_hh (`G·H × H` floats) from its L2 cache once, at
    /// `streamingGBps` per thread (`_KernelBenchmark.l2StreamingGBps`). Nil for larger batches,
    /// whose time is in the matrix products instead, and for a share that fits in L1.
    public static func batchOneFloorMilliseconds(_ c: Configuration, streamingGBps: Double, threads: Int,
                                                 l1DataBytes: Int = MachineProfile.current.l1DataBytes) -> Double? {
        guard c.batch == 1, streamingGBps > 0 else { return nil }
        let geometry = CellGeometry(kind: c.cell, inputSize: c.input, hiddenSize: c.hidden)
        let blocks = RowBlockLayout(geometry, shared: threads > 1).blocks
        let used = c.hidden * geometry.gateRows >= GemmPlan.minRowWork ? max(1, min(threads, blocks)) : 1
        let bytes = Double(geometry.gateRows * c.hidden * MemoryLayout<Float>.stride) / Double(used)
        // A slice that stays in L1 is read faster than L2 streams it: no floor then.
        guard bytes > Double(l1DataBytes) else { return nil }
        return Double(c.steps * c.layers) * bytes / (streamingGBps * 1e9) * 1e3
    }

    /// The median milliseconds of `body` over at least `repeats` runs after one warm-up.
    static func median(repeats: Int, _ body: () throws -> Void) throws -> Double {
        try body()
        var times: [Double] = []
        let start = DispatchTime.now().uptimeNanoseconds
        while times.count < max(1, repeats)
            || (Double(DispatchTime.now().uptimeNanoseconds - start) < 5e8 && times.count < 1000) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        times.sort()
        return times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
    }
}
