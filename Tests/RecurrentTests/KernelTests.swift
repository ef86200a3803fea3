import Foundation
import Testing
@testable import Recurrent

/// The matrix-product kernels of every instruction set this CPU runs, against naive loops and
/// their contract (bit-identical results whatever the shape, blocking or tile), and the
/// activations. Thread counts are in `ThreadedKernelTests`.
@Suite("Kernels")
struct KernelTests {
    static let sizes = [1, 2, 3, 5, 7, 8, 13, 16, 17, 31, 33, 64, 100, 257]

    /// How A is laid out in memory.
    enum ALayout: CaseIterable { case rowMajor, strided, transposed }

    /// An `M × K` operand in the given layout, with random values. `view` points into
    /// `storage`: keep the operand alive while the view is used (`withExtendedLifetime`).
    struct Operand<S: RecurrentScalar> {
        let storage: Buffer<S>
        let view: MatrixView<S>

        init(rows m: Int, cols k: Int, layout: ALayout, seed: UInt64) {
            var random = SeededGenerator(seed: seed)
            switch layout {
            case .rowMajor:
                storage = Buffer(count: m * k)
                view = MatrixView(storage.base, rows: m, cols: k)
            case .strided:
                storage = Buffer(count: m * (k + 3))
                view = MatrixView(storage.base, rows: m, cols: k, rowStride: k + 3)
            case .transposed:
                storage = Buffer(count: k * m)
                view = MatrixView(storage.base, rows: k, cols: m).transposed
            }
            for i in 0..<storage.count { storage.base[i] = random.uniform(-1, 1) }
        }
    }

    /// The contract, element by element: c₀ + a₀b₀ + a₁b₁ + … in k order, one running sum, each
    /// step one fused multiply-add (`fused`) or a rounded product then a rounded sum.
    static func contractProduct<S: RecurrentScalar>(_ a: MatrixView<S>, _ b: MatrixView<S>, _ c: [S], ldc: Int,
                                                    accumulate: Bool, fused: Bool) -> [S] {
        var out = c
        for i in 0..<a.rows {
            for j in 0..<b.cols {
                var sum: S = accumulate ? c[i * ldc + j] : 0
                for k in 0..<a.cols { sum = fused ? sum.addingProduct(a[i, k], b[k, j]) : sum + a[i, k] * b[k, j] }
                out[i * ldc + j] = sum
            }
        }
        return out
    }

    /// Runs `gemm` with every instruction set and register tile on a C with rows `ldc` apart
    /// (sentinels in the padding) and checks it against the contract (bit for bit) and against
    /// a Double triple loop (to rounding).
    static func check<S: RecurrentScalar>(_ type: S.Type, m: Int, n: Int, k: Int, layout: ALayout, accumulate: Bool,
                                          packed: Bool = true) {
        for isa in InstructionSet.supported {
            for tile in GemmTile.allCases {
                check(type, m: m, n: n, k: k, layout: layout, accumulate: accumulate, packed: packed, isa: isa, tile: tile)
            }
        }
    }

    static func check<S: RecurrentScalar>(_: S.Type, m: Int, n: Int, k: Int, layout: ALayout, accumulate: Bool,
                                          packed: Bool, isa: InstructionSet, tile: GemmTile) {
        let a = Operand<S>(rows: m, cols: k, layout: layout, seed: UInt64(m * 10_000 + k * 100 + n))
        let b = Operand<S>(rows: k, cols: n, layout: .rowMajor, seed: UInt64(n * 10_000 + k))
        let ldc = n + 5, sentinel: S = 12345
        var random = SeededGenerator(seed: 7)
        var cStart = [S](repeating: sentinel, count: m * ldc)
        for i in 0..<m { for j in 0..<n { cStart[i * ldc + j] = random.uniform(-1, 1) } }
        let expected = contractProduct(a.view, b.view, cStart, ldc: ldc, accumulate: accumulate, fused: isa.fusesMultiplyAdd)
        var c = cStart
        let k1 = kernels(isa)
        c.withUnsafeMutableBufferPointer { cp in
            let cv = MutableMatrixView(cp.baseAddress!, rows: m, cols: n, rowStride: ldc)
            if packed {
                gemm(a.view, PackedMatrix(b.view, kernels: k1), cv, accumulate: accumulate, kernels: k1, tile: tile)
            } else {
                gemm(a.view, b.view, cv, accumulate: accumulate, kernels: k1, tile: tile)
            }
        }
        defer { withExtendedLifetime((a, b)) {} }
        let label = "\(S.self) M=\(m) N=\(n) K=\(k) \(layout) accumulate=\(accumulate) \(isa) \(tile) tile"
        #expect(mismatches(c, expected) == [], "\(label): not the contract's sum order")
        var worst = 0.0
        for i in 0..<m {
            for j in 0..<n {
                var exact = accumulate ? Double(cStart[i * ldc + j]) : 0, scale = abs(exact)
                for kk in 0..<k {
                    let term = Double(a.view[i, kk]) * Double(b.view[kk, j])
                    exact += term
                    scale += abs(term)
                }
                worst = max(worst, abs(Double(c[i * ldc + j]) - exact) / max(scale, 1))
            }
        }
        #expect(worst <= Double(2 * k + 1) * Double(S.ulpOfOne), "\(label): error \(worst)")
    }

    @Test("gemm gives the contract's sums bit for bit on every instruction set and tile (Float, awkward shapes)",
          arguments: sizes)
    func awkwardShapesFloat(_ m: Int) {
        for n in Self.sizes {
            // All the small products, and each large size against small ones.
            for k in Self.sizes where m * n * k <= 40_000 || [m, n, k].filter({ $0 > 17 }).count <= 1 {
                let layout = ALayout.allCases[(m + n + k) % 3]
                Self.check(Float.self, m: m, n: n, k: k, layout: layout, accumulate: (m + n + k) % 2 == 0)
            }
        }
    }

    @Test("gemm in every A layout, accumulating or not, packed B or not (Float and Double)")
    func layouts() {
        for layout in ALayout.allCases {
            for accumulate in [false, true] {
                for (m, n, k) in [(1, 17, 33), (7, 31, 5), (13, 33, 257), (100, 65, 64), (64, 100, 130), (257, 16, 31)] {
                    Self.check(Float.self, m: m, n: n, k: k, layout: layout, accumulate: accumulate, packed: accumulate)
                    Self.check(Double.self, m: m, n: n, k: k, layout: layout, accumulate: accumulate, packed: !accumulate)
                }
            }
        }
    }

    @Test("Packing B from a transposed view (Wᵀ) or a strided one gives the row-major packing, zeros past N")
    func packingLayouts() {
        let k1 = kernels(InstructionSet.best)
        for (k, n) in [(1, 1), (3, 17), (33, 16), (100, 65), (257, 31), (64, 48), (13, 7)] {
            let w = Operand<Float>(rows: n, cols: k, layout: .rowMajor, seed: UInt64(k * 1000 + n))
            let strided = Operand<Float>(rows: k, cols: n, layout: .strided, seed: 9)
            defer { withExtendedLifetime((w, strided)) {} }
            var copy = [Float](repeating: 0, count: k * n), stridedCopy = copy
            for i in 0..<k {
                for j in 0..<n {
                    copy[i * n + j] = w.view[j, i]
                    stridedCopy[i * n + j] = strided.view[i, j]
                }
            }
            for (view, rowMajor) in [(w.view.transposed, copy), (strided.view, stridedCopy)] {
                let packed = PackedMatrix(view, kernels: k1)
                // The layout itself: panel p, row kk, lane j.
                var expected = [Float](repeating: 0, count: packed.panelCount * k * 16)
                for p in 0..<packed.panelCount {
                    for kk in 0..<k {
                        for j in 0..<16 where 16 * p + j < n { expected[(p * k + kk) * 16 + j] = rowMajor[kk * n + 16 * p + j] }
                    }
                }
                #expect(packed.storage.array == expected, "K=\(k) N=\(n)")
            }
        }
    }

    @Test("Empty products: K = 0 gives C = 0 (or leaves it), M or N = 0 does nothing")
    func emptyProducts() {
        var c: [Float] = [1, 2, 3, 4]
        let a = [Float](repeating: 1, count: 4)
        c.withUnsafeMutableBufferPointer { cp in
            a.withUnsafeBufferPointer { ap in
                let cv = MutableMatrixView(cp.baseAddress!, rows: 2, cols: 2)
                gemm(MatrixView(ap.baseAddress!, rows: 2, cols: 0), MatrixView(ap.baseAddress!, rows: 0, cols: 2), cv,
                     accumulate: true, kernels: .current)
            }
        }
        #expect(c == [1, 2, 3, 4])
        Self.check(Float.self, m: 3, n: 5, k: 0, layout: .rowMajor, accumulate: false)
        Self.check(Float.self, m: 0, n: 5, k: 4, layout: .rowMajor, accumulate: false)
    }

    @Test("Each row of a large product equals the same row computed alone (M = 1), on every instruction set")
    func rowsAloneMatch() {
        let m = 40, n = 150, k = 300
        for isa in InstructionSet.supported {
            let k1 = kernels(isa)
            for layout in ALayout.allCases {
                let a = Operand<Float>(rows: m, cols: k, layout: layout, seed: 3)
                let bOperand = Operand<Float>(rows: k, cols: n, layout: .rowMajor, seed: 4)
                let b = PackedMatrix(bOperand.view, kernels: k1)
                defer { withExtendedLifetime((a, bOperand)) {} }
                var whole = [Float](repeating: 0.5, count: m * n)
                whole.withUnsafeMutableBufferPointer { cp in
                    gemm(a.view, b, MutableMatrixView(cp.baseAddress!, rows: m, cols: n), accumulate: true, kernels: k1)
                }
                for i in [0, 1, 5, 6, 33, 38, 39] {
                    var row = [Float](repeating: 0.5, count: n)
                    let aRow = MatrixView(a.view.base + i * a.view.rowStride, rows: 1, cols: k,
                                          rowStride: a.view.rowStride, colStride: a.view.colStride)
                    row.withUnsafeMutableBufferPointer { cp in
                        gemm(aRow, b, MutableMatrixView(cp.baseAddress!, rows: 1, cols: n), accumulate: true, kernels: k1)
                    }
                    #expect(Self.mismatches(row, Array(whole[i * n..<(i + 1) * n])) == [], "row \(i), \(layout), \(isa)")
                }
            }
        }
    }

    @Test("The instruction sets with FMA give the same products bit for bit; the baseline agrees to rounding")
    func instructionSetsAgree() {
        let (m, n, k) = (70, 130, 300)
        let a = Operand<Float>(rows: m, cols: k, layout: .rowMajor, seed: 11)
        let b = Operand<Float>(rows: k, cols: n, layout: .rowMajor, seed: 12)
        defer { withExtendedLifetime((a, b)) {} }
        var results: [InstructionSet: [Float]] = [:]
        for isa in InstructionSet.supported {
            var c = [Float](repeating: 0, count: m * n)
            c.withUnsafeMutableBufferPointer { cp in
                gemm(a.view, b.view, MutableMatrixView(cp.baseAddress!, rows: m, cols: n), accumulate: false,
                     kernels: kernels(isa))
            }
            results[isa] = c
        }
        let fused = InstructionSet.supported.filter(\.fusesMultiplyAdd)
        for isa in fused.dropFirst() { #expect(Self.mismatches(results[isa]!, results[fused[0]]!) == [], "\(isa) vs \(fused[0])") }
        if let baseline = results[.baseline], let other = fused.first.flatMap({ results[$0] }) {
            let worst = zip(baseline, other).map { abs($0 - $1) }.max() ?? 0
            #expect(worst > 0 && worst < 1e-4, "baseline vs \(fused[0]): \(worst)")
        }
    }

    /// The first few indices where two arrays differ bit for bit (all of them if the counts differ).
    static func mismatches<S: BinaryFloatingPoint>(_ x: [S], _ y: [S]) -> [Int] {
        guard x.count == y.count else { return [-1] }
        return Array(x.indices.filter { x[$0] != y[$0] && !(x[$0].isNaN && y[$0].isNaN) }.prefix(8))
    }

    /// A dense sweep of [-20, 20] and special values.
    static let activationInputs: [Float] = {
        var inputs: [Float] = []
        let steps = 400_000
        for i in 0...steps { inputs.append(-20 + 40 * Float(i) / Float(steps)) }
        inputs += [0, -0.0, 1e-3, -1e-3, 4e-4, -4e-4, 3.9e-4, 1e-8, -1e-8, .leastNormalMagnitude,
                   .leastNonzeroMagnitude, -.leastNonzeroMagnitude, 7.9, -7.9, 9, -9, 1e30, -1e30,
                   .greatestFiniteMagnitude, -.greatestFiniteMagnitude]
        return inputs
    }()

    @Test("Float tanh and sigmoid are within 1e-6 of the exact functions on every instruction set; special values")
    func floatActivations() {
        let x = Self.activationInputs
        var fusedResults: [[Float]] = []
        for isa in InstructionSet.supported {
            let k1 = kernels(isa)
            let t = Activation.tanh(x, kernels: k1), s = Activation.sigmoid(x, kernels: k1)
            let tanhError = zip(x, t).map { abs(Double($1) - Foundation.tanh(Double($0))) }.max() ?? .infinity
            let sigmoidError = zip(x, s).map { abs(Double($1) - 1 / (1 + Foundation.exp(-Double($0)))) }.max() ?? .infinity
            print("\(isa): max |tanh error| = \(tanhError), max |sigmoid error| = \(sigmoidError)")
            #expect(tanhError < 1e-6, "\(isa)")
            #expect(sigmoidError < 1e-6, "\(isa)")
            if isa.fusesMultiplyAdd { fusedResults.append(t + s) }
            let special: [Float] = [0, -0.0, .infinity, -.infinity, .nan, 1e-30, -1e-30, .leastNonzeroMagnitude, -3]
            let ts = Activation.tanh(special, kernels: k1), ss = Activation.sigmoid(special, kernels: k1)
            let rs = Activation.relu(special, kernels: k1)
            #expect(ts[0] == 0 && ts[0].sign == .plus && ts[1] == 0 && ts[1].sign == .minus, "\(isa)")
            #expect(ts[2] == 1 && ts[3] == -1 && ts[4].isNaN, "\(isa)")
            #expect(ts[5] == 1e-30 && ts[6] == -1e-30 && ts[7] == .leastNonzeroMagnitude, "\(isa)")
            #expect(ss[0] == 0.5 && ss[1] == 0.5 && ss[2] == 1 && ss[3] == 0 && ss[4].isNaN && ss[5] == 0.5, "\(isa)")
            #expect(rs[2] == .infinity && rs[3] == 0 && rs[4].isNaN && rs[8] == 0 && rs[5] == 1e-30, "\(isa)")
        }
        for other in fusedResults.dropFirst() { #expect(Self.mismatches(other, fusedResults[0]) == []) }
    }

    @Test("A large buffer reuses a freed block of its size, zeroed")
    func largeBuffersReuseFreedBlocks() {
        let count = BlockCache.minimumBytes / MemoryLayout<Float>.stride + 17
        var address: UInt = 0
        do {
            let first = Buffer<Float>(count: count)
            address = UInt(bitPattern: first.base)
            first.base.update(repeating: .nan, count: count)
        }
        let second = Buffer<Float>(count: count)
        #expect(UInt(bitPattern: second.base) == address)
        #expect((0..<count).allSatisfy { second.base[$0] == 0 })
        #expect(Int(bitPattern: second.base) % 64 == 0)
    }
}
