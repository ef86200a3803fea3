import ArgumentParser
import Foundation
import Recurrent

/// `recurrent bench`: forward and training-step speed on standard configurations.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure inference and training-step speed (median milliseconds, GFLOP/s) and training memory.",
        discussion: """
            Without --config, runs the four configurations (B, T, X, H, L) of the performance comparison: \
            stream (1, 1000, 64, 256, 1), small (1, 100, 1, 32, 1), batch (64, 100, 512, 512, 1), \
            charlm (32, 64, 65, 512, 2). Inference is the forward pass; a training step is the forward \
            pass and the backward pass of the sum of the outputs with respect to every parameter. FLOPs \
            count 2·G·H·(X+H)·B·T per layer forward (G = 4 for the LSTM) and three times that per \
            training step. Build with -Xswiftc -target-cpu -Xswiftc native.
            """)

    @Option(help: ArgumentHelp("A configuration B,T,X,H,L to measure (repeatable).", valueName: "B,T,X,H,L"))
    var config: [String] = []

    @Option(help: "The cell: lstm (default), gru, rnn, gated.")
    var cell: CellKind = .lstm

    @Option(help: "Threads for the matrix products (default: every core).")
    var threads: Int?

    @Option(help: "At least this many timed runs per measurement.")
    var repeats = 5

    @Flag(help: "Print one JSON object per configuration.")
    var json = false

    @Flag(help: "Measure inference only (for profiling).")
    var inferenceOnly = false

    @Flag(help: "Time the kernels instead: the matrix products the networks use, the micro-kernels, the activations and the thread pool.")
    var kernels = false

    func run() throws {
        if let threads {
            guard threads > 0 else { throw ValidationError("--threads must be at least 1") }
            KernelSettings.threadCount = threads
        }
        if kernels { return runKernels() }
        var configurations = Benchmark.Configuration.standard
        if !config.isEmpty {
            configurations = try config.map { text in
                let parts = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
                guard parts.count == 5, parts.allSatisfy({ ($0 ?? 0) > 0 }) else {
                    throw ValidationError("--config takes five positive whole numbers B,T,X,H,L, got '\(text)'")
                }
                return .init(name: "custom", batch: parts[0]!, steps: parts[1]!, input: parts[2]!, hidden: parts[3]!, layers: parts[4]!)
            }
        }
        configurations = configurations.map { var c = $0; c.cell = cell; return c }
        if !json {
            print("\(cell.rawValue), \(KernelSettings.threadCount) threads; median of at least \(repeats) runs")
            print("config      B     T     X     H  L    infer ms   GFLOP/s    train ms   GFLOP/s   train scratch")
        }
        for c in configurations {
            let r = try Benchmark.run(c, repeats: repeats, training: !inferenceOnly)
            if json {
                let object: [String: Any] = [
                    "name": c.name, "batch": c.batch, "steps": c.steps, "input": c.input, "hidden": c.hidden,
                    "layers": c.layers, "cell": c.cell.rawValue, "threads": KernelSettings.threadCount,
                    "infer_ms": r.inferMilliseconds, "train_ms": r.trainMilliseconds,
                    "infer_gflops": r.inferGFLOPs, "train_gflops": r.trainGFLOPs,
                    "train_scratch_bytes": r.trainScratchBytes, "parameter_bytes": r.parameterBytes,
                ]
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print(String(format: "%-8@ %4d %5d %5d %5d %2d  %10.3f %9.1f  %10.3f %9.1f   %9.1f MB",
                             c.name as NSString, c.batch, c.steps, c.input, c.hidden, c.layers, r.inferMilliseconds,
                             r.inferGFLOPs, r.trainMilliseconds, r.trainGFLOPs, Double(r.trainScratchBytes) / 1e6))
            }
            fflush(nil)
        }
    }

    /// `--kernels`: GFLOP/s of each product shape on one thread and on all, and the rest.
    func runKernels() {
        let all = KernelSettings.threadCount
        typealias K = _KernelBenchmark
        print("register tile: \(K.usesWideTile ? "wide (8 x 32, AVX-512)" : "narrow (6 x 16)")")
        print(String(format: "micro-kernel in L1: narrow %.1f GFLOP/s, wide %.1f GFLOP/s",
                     K.microKernelGFLOPS(wide: false), K.microKernelGFLOPS(wide: true)))
        print(String(format: "%-44@ %6@ %6@ %6@  %9@ %9@", "product" as NSString, "M" as NSString, "K" as NSString,
                     "N" as NSString, "1 thread" as NSString, "\(all) threads" as NSString))
        for shape in K.shapes {
            let one = K.gemmGFLOPS(shape, threads: 1), many = K.gemmGFLOPS(shape, threads: all)
            print(String(format: "%-44@ %6d %6d %6d  %9.1f %9.1f", shape.name as NSString, shape.m, shape.k, shape.n, one, many))
        }
        for (k, n) in [(256, 1024), (512, 2048), (32, 128)] {
            print(String(format: "batch-1 step in row blocks, K = %d, N = %d: %.2f µs on 1 thread, %.2f µs on %d",
                         k, n, K.rowBlockMicroseconds(k: k, n: n, threads: 1), K.rowBlockMicroseconds(k: k, n: n, threads: all), all))
        }
        for (k, n) in [(512, 2048), (256, 1024)] {
            print(String(format: "packing W (%d x %d) for the micro-kernels: %.0f µs", n, k,
                         K.packMicroseconds(k: k, n: n, transposed: true)))
        }
        let (tanh, sigmoid) = K.activationNanoseconds()
        print(String(format: "tanh %.2f ns, sigmoid %.2f ns per element", tanh, sigmoid))
        print(String(format: "thread pool: %.0f ns per empty job (%d threads)", K.poolOverheadNanoseconds(threads: all, chunks: all), all))
        print(String(format: "step barrier: %.0f ns per meeting (%d threads)", K.barrierNanoseconds(threads: all), all))
    }
}
