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
            training step. The header names the CPU, the kernels' instruction set (the best this CPU \
            runs, or RECURRENT_ISA), the threads, and the L2 streaming bandwidth and thread-meeting cost \
            measured; for a batch of one, the floor column is the time to stream W_hh from L2 once per \
            step and layer at that bandwidth, the least a forward pass can take (none when W_hh's share fits in L1).
            """)

    @Option(parsing: .unconditionalSingleValue, help: ArgumentHelp("A configuration B,T,X,H,L to measure (repeatable).", valueName: "B,T,X,H,L"))
    var config: [String] = []

    @Option(name: .customLong("cell"), help: "The cell (default: lstm).")
    var cellChoice: CellKind?

    var cell: CellKind { cellChoice ?? .lstm }

    @Option(parsing: .unconditional, help: "Threads for the matrix products (default: every core).")
    var threads: Int?

    @Option(name: .customLong("repeats"), parsing: .unconditional, help: "At least this many timed runs per measurement, 1 to 10000 (default: 5).")
    var repeatsChoice: Int?

    var repeats: Int { repeatsChoice ?? 5 }

    @Flag(help: "Print one JSON object per configuration.")
    var json = false

    @Flag(help: "Measure inference only (for profiling).")
    var inferenceOnly = false

    @Flag(help: "Time the kernels instead: the matrix products the networks use, the micro-kernels, the activations and the thread pool.")
    var kernels = false

    func validate() throws {
        if let threads { try validateThreadCount(threads) }
        guard (1...10_000).contains(repeats) else { throw ValidationError("--repeats must be in 1...10000, got \(repeats)") }
        // --kernels times the kernels alone: the networks' options would be ignored.
        let forNetworks = [("--config", !config.isEmpty), ("--cell", cellChoice != nil), ("--repeats", repeatsChoice != nil),
                           ("--json", json), ("--inference-only", inferenceOnly)]
        if kernels, let (option, _) = forNetworks.first(where: \.1) { throw ValidationError("\(option) is for the networks' benchmark, not --kernels") }
    }

    func run() throws {
        if let threads { KernelSettings.threadCount = threads }
        if kernels { return runKernels() }
        var configurations = Benchmark.Configuration.standard
        if !config.isEmpty {
            configurations = try config.map { text in
                let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
                guard parts.count == 5, parts.allSatisfy({ ($0 ?? 0) > 0 }) else {
                    throw ValidationError("--config takes five positive whole numbers B,T,X,H,L, got '\(text)'")
                }
                let (size, layers) = (RecurrentConfiguration.maximumSize, RecurrentConfiguration.maximumLayers)
                guard parts[2]! <= size, parts[3]! <= size, parts[4]! <= layers else {
                    throw ValidationError("--config '\(text)': X and H must be at most \(size), L at most \(layers)")
                }
                return .init(name: "custom", batch: parts[0]!, steps: parts[1]!, input: parts[2]!, hidden: parts[3]!, layers: parts[4]!)
            }
        }
        configurations = configurations.map { var c = $0; c.cell = cell; return c }
        // Every size and the memory first: a refusal comes before seconds of measuring.
        for c in configurations { try Benchmark.check(c) }
        let machine = MachineProfile.current, threadCount = KernelSettings.threadCount
        let streaming = _KernelBenchmark.l2StreamingGBps(threads: threadCount)
        let barrier = threadCount > 1 ? _KernelBenchmark.barrierNanoseconds(threads: threadCount) : 0
        if !json {
            print(machineHeader(machine))
            print("kernels: \(_KernelBenchmark.instructionSetDescription); \(threadCount) threads; " +
                  String(format: "L2 streaming %.1f GB/s per core (%d at once); thread meeting %.0f ns",
                         streaming, threadCount, barrier))
            print("\(cell.rawValue); median of at least \(repeats) runs")
            print("config      B     T     X     H  L    infer ms  floor ms   GFLOP/s    train ms   GFLOP/s   train scratch")
        }
        for c in configurations {
            let r = try Benchmark.run(c, repeats: repeats, training: !inferenceOnly)
            let floor = Benchmark.batchOneFloorMilliseconds(c, streamingGBps: streaming, threads: threadCount)
            if json {
                var object: [String: Any] = [
                    "name": c.name, "batch": c.batch, "steps": c.steps, "input": c.input, "hidden": c.hidden,
                    "layers": c.layers, "cell": c.cell.rawValue, "threads": threadCount,
                    "infer_ms": r.inferMilliseconds, "infer_gflops": r.inferGFLOPs, "parameter_bytes": r.parameterBytes,
                    "cpu": machine.cpuName, "isa": KernelSettings.instructionSet.rawValue,
                    "l2_streaming_gbps": streaming, "barrier_ns": barrier,
                ]
                if let floor { object["floor_ms"] = floor }
                if !inferenceOnly {
                    object["train_ms"] = r.trainMilliseconds
                    object["train_gflops"] = r.trainGFLOPs
                    object["train_scratch_bytes"] = r.trainScratchBytes
                }
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                let floorText = floor.map { String(format: "%9.3f", $0) } ?? "        -"
                let trainText = inferenceOnly ? "         -         -           -"
                    : String(format: "%10.3f %9.1f   %9.1f MB", r.trainMilliseconds, r.trainGFLOPs, Double(r.trainScratchBytes) / 1e6)
                print(String(format: "%-8@ %4d %5d %5d %5d %2d  %10.3f %@ %9.1f  %@",
                             c.name as NSString, c.batch, c.steps, c.input, c.hidden, c.layers, r.inferMilliseconds,
                             floorText as NSString, r.inferGFLOPs, trainText as NSString))
            }
            StandardOutput.flush()
        }
    }

    /// The CPU and its caches, one line.
    func machineHeader(_ m: MachineProfile) -> String {
        "CPU: \(m.cpuName), \(m.processors) processors; L1d \(m.l1DataBytes / 1024) KB and L2 \(m.l2Bytes / 1024) KB per core"
            + (m.l3Bytes > 0 ? ", L3 \(m.l3Bytes / 1024 / 1024) MB" : "")
    }

    /// `--kernels`: GFLOP/s of each product shape on one thread and on all, and the rest.
    func runKernels() {
        let all = KernelSettings.threadCount
        typealias K = _KernelBenchmark
        print(machineHeader(MachineProfile.current))
        print("kernels: \(K.instructionSetDescription)")
        print(String(format: "L2 streaming: %.1f GB/s on 1 core, %.1f GB/s per core on %d", K.l2StreamingGBps(threads: 1),
                     K.l2StreamingGBps(threads: all), all))
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
