import CRecurrentKernels

/// Timing of the CPU kernels on the shapes the networks use, for `recurrent bench --kernels`
/// and for tuning: GFLOP/s = 2·M·N·K / time, the median of several samples. Not a stable API;
/// no test asserts a speed. Every function runs the kernels of `KernelSettings.instructionSet`.
public enum _KernelBenchmark {
    /// One matrix product to time: `C (M × N) += A (M × K) · B (K × N)`, B packed once.
    public struct Shape: Sendable {
        public var name: String
        public var m: Int, k: Int, n: Int
        /// A read through a transposed view (`colStride = M`), as `dAᵀ` in `dW += dAᵀ · X`.
        public var transposedA: Bool

        public init(_ name: String, m: Int, k: Int, n: Int, transposedA: Bool = false) {
            (self.name, self.m, self.k, self.n, self.transposedA) = (name, m, k, n, transposedA)
        }
    }

    /// The LSTM's products (H = 512, X = 512, T·B = 6400 unless stated).
    public static let shapes: [Shape] = [
        Shape("input projection X·W_ihᵀ", m: 6400, k: 512, n: 2048),
        Shape("input projection, X = 65", m: 2048, k: 65, n: 2048),
        Shape("input projection, H = 256", m: 1000, k: 64, n: 1024),
        Shape("step h·W_hhᵀ, B = 64", m: 64, k: 512, n: 2048),
        Shape("step h·W_hhᵀ, B = 32", m: 32, k: 512, n: 2048),
        Shape("step h·W_hhᵀ, B = 1, H = 256", m: 1, k: 256, n: 1024),
        Shape("step h·W_hhᵀ, B = 1, H = 32", m: 1, k: 32, n: 128),
        Shape("backward dA_t·W_hh, B = 64", m: 64, k: 2048, n: 512),
        Shape("backward dW_ih += dAᵀ·X", m: 2048, k: 6400, n: 512, transposedA: true),
        Shape("backward dW_ih += dAᵀ·X, X = 65", m: 2048, k: 6400, n: 65, transposedA: true),
        Shape("backward dX = dA·W_ih", m: 6400, k: 2048, n: 512),
    ]

    /// The kernels of the process's instruction set on `threads` threads of the shared pool.
    static func kernels(threads: Int) -> Kernels {
        let isa = KernelSettings.instructionSet
        return Kernels(instructionSet: isa, tables: KernelTables.forSupported(isa), threads: max(1, threads), pool: .shared)
    }

    /// The name of the instruction set the kernels run on, and their register tile.
    public static var instructionSetDescription: String {
        let k = kernels(threads: 1)
        return "\(k.instructionSet.rawValue) (register tile \(k.tile(for: Float.self) == .wide ? "8 x 32" : "6 x 16"))"
    }

    /// Median GFLOP/s (2·M·N·K per call) of `gemm` in Float with `threads` threads, over
    /// `samples` samples of at least `minimumSeconds` each.
    public static func gemmGFLOPS(_ shape: Shape, threads: Int, samples: Int = 7, minimumSeconds: Double = 0.05) -> Double {
        let (m, k, n) = (shape.m, shape.k, shape.n)
        let aData = Buffer<Float>(count: m * k), bData = Buffer<Float>(count: k * n), cData = Buffer<Float>(count: m * n)
        var random = SeededGenerator(seed: 1)
        for i in 0..<m * k { aData.base[i] = random.uniform(-0.5, 0.5) }
        for i in 0..<k * n { bData.base[i] = random.uniform(-0.5, 0.5) }
        let a = shape.transposedA
            ? MatrixView(aData.base, rows: k, cols: m).transposed
            : MatrixView(aData.base, rows: m, cols: k)
        let kernels = kernels(threads: threads)
        let b = PackedMatrix(MatrixView(bData.base, rows: k, cols: n), kernels: kernels)
        let c = MutableMatrixView(cData.base, rows: m, cols: n)
        let seconds = medianSeconds(samples: samples, minimumSeconds: minimumSeconds) {
            gemm(a, b, c, accumulate: true, kernels: kernels)
        }
        withExtendedLifetime((aData, bData, cData)) {}
        return 2 * Double(m) * Double(n) * Double(k) / seconds / 1e9
    }

    /// Median GFLOP/s of one Float register tile (6 × 16 or 8 × 32) over `kc` steps on operands
    /// in L1: the ceiling of the packed path.
    public static func microKernelGFLOPS(wide: Bool, kc: Int = 256, samples: Int = 7) -> Double {
        let rows = wide ? 8 : 6, panels = wide ? 2 : 1
        let a = Buffer<Float>(count: rows * kc), b = Buffer<Float>(count: 16 * panels * kc)
        let c = Buffer<Float>(count: rows * 16 * panels), edge = Buffer<Float>(count: edgeTileElements)
        for i in 0..<rows * kc { a.base[i] = 1e-3 }
        for i in 0..<16 * panels * kc { b.base[i] = 1e-3 }
        let table = kernels(threads: 1).table(Float.self)
        var block = rk_gemm_block(
            b: b.base, panel_stride: 16 * kc, n: 16 * panels, c: c.base, m: rows, ldc: 16 * panels,
            slivers: rk_slivers(tall: rows, count_tall: 1, count4: 0), s0: 0, s1: 1, packed_a: a.base, k0: 0, kl: kc,
            p0: 0, p1: panels, nc_panels: 8, load: 1, wide: wide ? 1 : 0, edge: edge.base)
        let seconds = medianSeconds(samples: samples, minimumSeconds: 0.05) { table.pointee.gemm_block(&block) }
        withExtendedLifetime((a, b, c, edge)) {}
        return 2 * Double(rows * 16 * panels * kc) / seconds / 1e9
    }

    /// Median nanoseconds per element of the Float tanh and sigmoid kernels (4096 elements, in L1).
    public static func activationNanoseconds(samples: Int = 7) -> (tanh: Double, sigmoid: Double) {
        let count = 4096
        let x = (0..<count).map { Float($0 % 401) / 10 - 20 }
        var y = [Float](repeating: 0, count: count)
        let table = kernels(threads: 1).table(Float.self)
        func time(_ function: Activation) -> Double {
            x.withUnsafeBufferPointer { xp in
                y.withUnsafeMutableBufferPointer { yp in
                    medianSeconds(samples: samples, minimumSeconds: 0.02) {
                        table.pointee.activation(function.rawValue, count, xp.baseAddress!, yp.baseAddress!)
                    }
                }
            }
        }
        return (time(.tanh) / Double(count) * 1e9, time(.sigmoid) / Double(count) * 1e9)
    }

    /// Median microseconds to pack a `K × N` right operand (`PackedMatrix`), given as a weight
    /// matrix's transpose (`Wᵀ`, as the forward pass does at every call) or row-major.
    public static func packMicroseconds(k: Int, n: Int, transposed: Bool, samples: Int = 7) -> Double {
        let data = Buffer<Float>(count: k * n)
        defer { withExtendedLifetime(data) {} }
        let b = transposed ? MatrixView(data.base, rows: n, cols: k).transposed : MatrixView(data.base, rows: k, cols: n)
        let kernels = kernels(threads: 1)
        return medianSeconds(samples: samples, minimumSeconds: 0.05) { _ = PackedMatrix(b, kernels: kernels) } * 1e6
    }

    /// Median microseconds of one batch-1 step's product `x (1 × K) · B (K × N)` in row blocks of
    /// 128 columns, the blocks shared between `threads` threads as the row path of a cell does
    /// (each thread the same blocks every call, one pool job per call).
    public static func rowBlockMicroseconds(k: Int, n: Int, threads: Int, samples: Int = 7) -> Double {
        let w = Buffer<Float>(count: n * k), x = Buffer<Float>(count: k)
        for i in 0..<n * k { w.base[i] = 1e-3 }
        for i in 0..<k { x.base[i] = 1 }
        let blocks = (n + 127) / 128
        let matrix = RowBlockMatrix(MatrixView(w.base, rows: n, cols: k).transposed, blocks: blocks, width: 128, kernels: kernels(threads: 1)) { q, s in
            q * 128 + s < n ? q * 128 + s : nil
        }
        let out = Buffer<Float>(count: blocks * 128)
        let (xp, op) = (UnsafePointer(x.base), out.base)
        let t = max(1, min(threads, blocks))
        let table = kernels(threads: t).table(Float.self)
        defer { withExtendedLifetime((w, x, out)) {} }
        return medianSeconds(samples: samples, minimumSeconds: 0.05) {
            KernelThreadPool.shared.run(t, chunks: t) { chunk, _ in
                for q in (chunk * blocks / t)..<((chunk + 1) * blocks / t) {
                    matrix.accumulate(block: q, x: xp, into: op + q * 128, table: table)
                }
            }
        } * 1e6
    }

    /// GB/s at which one core streams a block of weights from its own L2 cache through the
    /// batch-1 row kernel, measured on `threads` threads at once (each its own `bytes`, default
    /// half the L2 cache), per thread: the bandwidth behind the batch-1 floor.
    public static func l2StreamingGBps(threads: Int, bytes: Int? = nil) -> Double {
        let size = bytes ?? max(64 * 1024, MachineProfile.current.l2Bytes / 2)
        let k = max(16, size / (128 * MemoryLayout<Float>.stride))
        let microseconds = rowBlockMicroseconds(k: k, n: 128 * max(1, threads), threads: threads)
        return Double(k * 128 * MemoryLayout<Float>.stride) / (microseconds * 1e-6) / 1e9
    }

    /// Median nanoseconds of one empty `KernelThreadPool` job of `chunks` chunks on `threads` threads.
    public static func poolOverheadNanoseconds(threads: Int = 2, chunks: Int = 2) -> Double {
        medianSeconds(samples: 7, minimumSeconds: 0.05) {
            KernelThreadPool.shared.run(threads, chunks: chunks) { _, _ in }
        } * 1e9
    }

    /// Median nanoseconds per meeting of `threads` participants at a `StepBarrier`.
    public static func barrierNanoseconds(threads: Int = 2, meetings: Int = 10_000) -> Double {
        medianSeconds(samples: 5, minimumSeconds: 0.05) {
            let barrier = StepBarrier(participants: threads)
            _ = KernelThreadPool.shared.runTogether(threads) { p, _ in
                for s in 0..<meetings { barrier.arrive(p, step: s) }
            }
        } / Double(meetings) * 1e9
    }

    /// Median over `samples` of the time of one call of `body`, each sample timing enough calls
    /// to last `minimumSeconds`.
    static func medianSeconds(samples: Int, minimumSeconds: Double, _ body: () -> Void) -> Double {
        body()
        let clock = ContinuousClock()
        var calls = 1
        while true {
            let t = clock.measure { for _ in 0..<calls { body() } }
            if seconds(t) >= minimumSeconds / 4 || calls >= 1 << 24 {
                calls = max(1, Int(Double(calls) * minimumSeconds / max(seconds(t), 1e-9)))
                break
            }
            calls *= 4
        }
        var times: [Double] = []
        for _ in 0..<samples {
            let t = clock.measure { for _ in 0..<calls { body() } }
            times.append(seconds(t) / Double(calls))
        }
        return times.sorted()[samples / 2]
    }

    private static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}
