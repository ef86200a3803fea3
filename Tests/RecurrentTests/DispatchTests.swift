import Foundation
import Testing
@testable import Recurrent

/// Choosing the kernels at run time: the best instruction set the CPU reports, the
/// `RECURRENT_ISA` override, and whole networks under every variant.
@Suite("Kernel dispatch")
struct DispatchTests {
    /// The CPU's flags as Linux reports them (nil elsewhere): an account independent of cpuid.
    static var cpuFlags: Set<String>? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") || $0.hasPrefix("Features") }),
              let colon = line.firstIndex(of: ":") else { return nil }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }

    @Test("The best instruction set is the one the CPU's flags allow, and every lesser one is supported too")
    func bestMatchesTheCPU() throws {
        #if arch(x86_64)
        let flags = try #require(Self.cpuFlags)
        let avx512 = ["avx512f", "avx512bw", "avx512vl", "avx512dq"].allSatisfy(flags.contains)
        let avx2 = flags.contains("avx2") && flags.contains("fma")
        let expected: InstructionSet = avx512 && avx2 ? .avx512 : avx2 ? .avx2 : .baseline
        #expect(InstructionSet.best == expected)
        #expect(InstructionSet.baseline.isSupported)
        #expect(InstructionSet.avx2.isSupported == avx2)
        #expect(!InstructionSet.neon.isSupported)
        #elseif arch(arm64)
        #expect(InstructionSet.best == .neon)
        #endif
        #expect(InstructionSet.supported.last == InstructionSet.best)
        #expect(KernelTables(InstructionSet.best) != nil)
    }

    @Test("bench's batch-1 floor is given only when a thread's share of W_hh outgrows L1 (small LSTMs ran below it)")
    func floorOnlyBeyondL1() {
        let small = Benchmark.Configuration(name: "small", batch: 1, steps: 100, input: 1, hidden: 32, layers: 1)   // 16 KB
        #expect(Benchmark.batchOneFloorMilliseconds(small, streamingGBps: 50, threads: 1, l1DataBytes: 32 * 1024) == nil)
        let stream = Benchmark.Configuration(name: "stream", batch: 1, steps: 1000, input: 64, hidden: 256, layers: 1)  // 1 MB
        let floor = Benchmark.batchOneFloorMilliseconds(stream, streamingGBps: 50, threads: 1, l1DataBytes: 32 * 1024)
        #expect(floor == 1000 * 1_048_576 / 50e9 * 1e3)
    }

    /// The `isa` field of `recurrent bench --json` on a tiny configuration, with `environment`.
    static func benchISA(_ environment: [String: String]) throws -> CLI.Result {
        try CLI.run(["bench", "--config", "1,2,1,2,1", "--repeats", "1", "--inference-only", "--json", "--threads", "1"],
                    environment: environment)
    }

    @Test("RECURRENT_ISA forces a lower instruction set; an unknown or unsupported one is a one-line error")
    func environmentOverride() throws {
        let lower = InstructionSet.supported.first!
        let forced = try Self.benchISA(["RECURRENT_ISA": lower.rawValue])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(forced.stdout.contains("\"isa\":\"\(lower.rawValue)\""), "\(forced.stdout)")
        let unknown = try Self.benchISA(["RECURRENT_ISA": "sse9"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr == "Error: RECURRENT_ISA=sse9 is not one of baseline, avx2, avx512, neon\n")
        let twoLines = try Self.benchISA(["RECURRENT_ISA": "avx2\nx"])
        #expect(twoLines.status == 1)
        #expect(twoLines.stderr == "Error: RECURRENT_ISA=\"avx2\\nx\" is not one of baseline, avx2, avx512, neon\n")
        if let missing = InstructionSet.allCases.first(where: { !$0.isSupported }) {
            let refused = try Self.benchISA(["RECURRENT_ISA": missing.rawValue])
            #expect(refused.status == 1)
            let runs = InstructionSet.allCases.filter(\.isSupported).map(\.rawValue).joined(separator: ", ")
            #expect(refused.stderr == "Error: RECURRENT_ISA=\(missing.rawValue): this CPU cannot run \(missing.rawValue) (it runs \(runs))\n",
                    "\(refused.stderr)")
        }
        let missing = InstructionSet.allCases.first { !$0.isSupported } ?? .neon
        let runs = InstructionSet.allCases.filter(\.isSupported).map(\.rawValue).joined(separator: ", ")
        #expect(throws: RecurrentError(.unsupported, "instruction set: this CPU cannot run \(missing.rawValue) (it runs \(runs))")) {
            try KernelSettings.withInstructionSet(missing) {}
        }
    }

    /// Outputs, final states and every gradient of a forward and backward pass of `cell` under `isa`.
    static func pass(_ cell: CellKind, isa: InstructionSet) throws -> [Float] {
        let T = 9, B = 3, X = 5
        let network = try RecurrentNetwork<Float>(
            .init(cell: cell, inputSize: X, hiddenSize: 24, layers: 2, bidirectional: true), seed: 21)
        var random = SeededGenerator(seed: 4)
        let x = (0..<(T * B * X)).map { _ in random.uniform(Float(-2), 2) }
        let dy = (0..<(T * B * 48)).map { _ in random.uniform(Float(-1), 1) }
        let lengths = [9, 4, 1]
        return try KernelSettings.withInstructionSet(isa) {
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
            return forward.output.array + forward.hN.array + (forward.cN?.array ?? []) + grads + backward.dInput!.array
        }
    }

    @Test("Whole networks: the FMA instruction sets agree bit for bit, the baseline within 1e-5", arguments: CellKind.allCases)
    func networksAgreeAcrossInstructionSets(_ cell: CellKind) throws {
        let results = try InstructionSet.supported.map { ($0, try Self.pass(cell, isa: $0)) }
        let fused = results.filter { $0.0.fusesMultiplyAdd }
        for (isa, values) in fused.dropFirst() {
            #expect(KernelTests.mismatches(values, fused[0].1) == [], "\(cell): \(isa) vs \(fused[0].0)")
        }
        if let baseline = results.first(where: { $0.0 == .baseline })?.1, let reference = fused.first?.1 {
            let worst = zip(baseline, reference).map { abs(Double($0) - Double($1)) / max(1, abs(Double($1))) }.max() ?? 0
            #expect(worst < 1e-5, "\(cell): baseline differs by \(worst)")
        }
    }
}
