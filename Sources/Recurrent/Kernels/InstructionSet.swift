import CRecurrentKernels
import Foundation

/// The instruction sets the kernels are compiled for, all in the same binary; the best one this
/// CPU runs is chosen once per process (overridable with `RECURRENT_ISA` or
/// `KernelSettings.withInstructionSet`). Nothing is chosen at build time: a plain
/// `swift build -c release` holds them all.
///
/// `avx2`, `avx512` and `neon` fuse every multiply-add and compute the same operations on every
/// lane, so they give bit-identical results; `baseline` (x86-64 with SSE2 only) rounds each
/// product separately and agrees with them to rounding (within 1e-5 on whole networks).
public enum InstructionSet: String, Sendable, CaseIterable, Codable {
    /// x86-64 with SSE2 only (any x86-64 CPU), or the plain target of another architecture.
    case baseline
    /// x86-64 with AVX2 and FMA: 16 registers of 8 floats.
    case avx2
    /// x86-64 with AVX-512 F, BW, VL and DQ: 32 registers of 16 floats.
    case avx512
    /// arm64: NEON with FMA.
    case neon

    var cValue: rk_isa {
        switch self {
        case .baseline: RK_ISA_BASELINE
        case .avx2: RK_ISA_AVX2
        case .avx512: RK_ISA_AVX512
        case .neon: RK_ISA_NEON
        }
    }

    init(_ value: rk_isa) {
        switch value {
        case RK_ISA_AVX2: self = .avx2
        case RK_ISA_AVX512: self = .avx512
        case RK_ISA_NEON: self = .neon
        default: self = .baseline
        }
    }

    /// Whether this binary holds kernels for it and this CPU (and its OS) can run them.
    public var isSupported: Bool { rk_isa_supported(cValue) != 0 }

    /// The instruction sets this CPU runs, best last.
    public static var supported: [InstructionSet] {
        [.baseline, .neon, .avx2, .avx512].filter(\.isSupported)
    }

    /// The best instruction set this CPU runs.
    public static var best: InstructionSet { InstructionSet(rk_best_isa()) }

    /// The environment variable that forces an instruction set (for tests and comparisons).
    public static let environmentVariable = "RECURRENT_ISA"

    /// The instruction set `RECURRENT_ISA` asks for, nil when it is unset or empty.
    /// - Throws: `RecurrentError` naming the variable when its value is not an instruction set
    ///   or this CPU cannot run it.
    public static func fromEnvironment() throws -> InstructionSet? {
        guard let text = ProcessInfo.processInfo.environment[environmentVariable], !text.isEmpty else { return nil }
        // A value holding a control character (a line break) is shown escaped, on one line.
        let shown = text.unicodeScalars.contains { $0.properties.generalCategory == .control } ? String(reflecting: text) : text
        guard let isa = InstructionSet(rawValue: text.lowercased()) else {
            throw RecurrentError(.name, "\(environmentVariable)=\(shown) is not one of "
                + allCases.map(\.rawValue).joined(separator: ", "))
        }
        try isa.requireSupported(source: "\(environmentVariable)=\(shown)")
        return isa
    }

    /// Throws unless this CPU runs this instruction set.
    func requireSupported(source: String) throws {
        guard isSupported else {
            throw RecurrentError(.unsupported, "\(source): this CPU cannot run \(rawValue) (it runs "
                + InstructionSet.supported.map(\.rawValue).joined(separator: ", ") + ")")
        }
    }
}

/// The kernel tables of one instruction set, for `Float` and `Double`.
struct KernelTables: @unchecked Sendable {
    // Invariant: both point to constant tables in the C target, alive for the whole process.
    let f32: UnsafePointer<rk_kernels>
    let f64: UnsafePointer<rk_kernels>

    /// The tables of `isa`, or nil when this CPU cannot run it.
    init?(_ isa: InstructionSet) {
        guard let f32 = rk_kernels_for(isa.cValue, RK_F32), let f64 = rk_kernels_for(isa.cValue, RK_F64) else { return nil }
        self.f32 = f32
        self.f64 = f64
    }

    /// The tables of every supported instruction set, made once.
    static let all: [InstructionSet: KernelTables] = {
        var tables: [InstructionSet: KernelTables] = [:]
        for isa in InstructionSet.allCases { tables[isa] = KernelTables(isa) }
        return tables
    }()
}
