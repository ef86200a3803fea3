import Foundation
import Testing
@testable import Recurrent

/// The matrix-product kernels against naive loops, their contract (bit-identical results
/// whatever the shape, blocking or thread count), the thread pool, and the Float activations.
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

    /// The contract, element by element: c₀ + a₀b₀ + a₁b₁ + … in k order, one running sum.
    static func contractProduct<S: RecurrentScalar>(_ a: MatrixView<S>, _ b: MatrixView<S>, _ c: [S], ldc: Int,
                                                    accumulate: Bool) -> [S] {
        var out = c
        for i in 0..<a.rows {
            for j in 0..<b.cols {
                var sum: S = accumulate ? c[i * ldc + j] : 0
                for k in 0..<a.cols { sum = multiplyAdd(a[i, k], b[k, j], sum) }
                out[i * ldc + j] = sum
            }
        }
        return out
    }

    /// Runs `gemm` with every register tile on a C with rows `ldc` apart (sentinels in the
    /// padding) and checks it against the contract (bit for bit) and against a Double triple
    /// loop (to rounding).
    static func check<S: RecurrentScalar>(_ type: S.Type, m: Int, n: Int, k: Int, layout: ALayout, accumulate: Bool,
                                          packed: Bool = true) {
        for tile in GemmTile.allCases {
            check(type, m: m, n: n, k: k, layout: layout, accumulate: accumulate, packed: packed, tile: tile)
        }
    }

    static func check<S: RecurrentScalar>(_: S.Type, m: Int, n: Int, k: Int, layout: ALayout, accumulate: Bool,
                                          packed: Bool, tile: GemmTile) {
        let a = Operand<S>(rows: m, cols: k, layout: layout, seed: UInt64(m * 10_000 + k * 100 + n))
        let b = Operand<S>(rows: k, cols: n, layout: .rowMajor, seed: UInt64(n * 10_000 + k))
        let ldc = n + 5, sentinel: S = 12345
        var random = SeededGenerator(seed: 7)
        var cStart = [S](repeating: sentinel, count: m * ldc)
        for i in 0..<m { for j in 0..<n { cStart[i * ldc + j] = random.uniform(-1, 1) } }
        let expected = contractProduct(a.view, b.view, cStart, ldc: ldc, accumulate: accumulate)
        var c = cStart
        c.withUnsafeMutableBufferPointer { cp in
            let cv = MutableMatrixView(cp.baseAddress!, rows: m, cols: n, rowStride: ldc)
            if packed {
                gemm(a.view, PackedMatrix(b.view), cv, accumulate: accumulate, tile: tile)
            } else {
                gemm(a.view, b.view, cv, accumulate: accumulate, tile: tile)
            }
        }
        defer { withExtendedLifetime((a, b)) {} }
        let label = "\(S.self) M=\(m) N=\(n) K=\(k) \(layout) accumulate=\(accumulate) \(tile) tile"
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
        let eps = Double(S.ulpOfOne)
        #expect(worst <= Double(k + 1) * eps, "\(label): error \(worst)")
    }

    @Test("gemm matches the contract and a Double triple loop for awkward shapes (Float)",
          arguments: sizes)
    func awkwardShapesFloat(_ m: Int) {
        for n in Self.sizes {
            // All the small products, and each large size against small ones (debug builds are slow).
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

    @Test("Packing B from a transposed view (Wᵀ) or a strided one gives the row-major packing")
    func packingLayouts() {
        for (k, n) in [(1, 1), (3, 17), (33, 16), (100, 65), (257, 31), (64, 48)] {
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
                let packed = PackedMatrix(view)
                let reference = rowMajor.withUnsafeBufferPointer { PackedMatrix(MatrixView($0.baseAddress!, rows: k, cols: n)) }
                #expect(packed.storage.array == reference.storage.array, "K=\(k) N=\(n)")
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
                     accumulate: true)
            }
        }
        #expect(c == [1, 2, 3, 4])
        Self.check(Float.self, m: 3, n: 5, k: 0, layout: .rowMajor, accumulate: false)
        Self.check(Float.self, m: 0, n: 5, k: 4, layout: .rowMajor, accumulate: false)
    }

    /// `gemm` of a fixed large product with `threads` threads, C starting from fixed values.
    static func product(m: Int, n: Int, k: Int, layout: ALayout, threads: Int,
                        tile: GemmTile = .preferred(for: Float.self)) -> [Float] {
        let a = Operand<Float>(rows: m, cols: k, layout: layout, seed: 1)
        let bOperand = Operand<Float>(rows: k, cols: n, layout: .rowMajor, seed: 2)
        let b = PackedMatrix(bOperand.view)
        var c = [Float](repeating: 0.25, count: m * n)
        let saved = KernelSettings.threadCount
        KernelSettings.threadCount = threads
        defer { KernelSettings.threadCount = saved }
        c.withUnsafeMutableBufferPointer { cp in
            gemm(a.view, b, MutableMatrixView(cp.baseAddress!, rows: m, cols: n), accumulate: true, tile: tile)
        }
        withExtendedLifetime((a, bOperand)) {}
        return c
    }

    @Test("Bit-identical results with 1, 2, 3 and 4 threads (split over N and over M), either tile",
          arguments: [(64, 520, 40), (150, 100, 130), (1, 1024, 64), (1, 130, 300), (37, 2048, 600)])
    func threadCountDoesNotMatter(_ shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        for layout in [ALayout.rowMajor, .transposed] {
            let single = Self.product(m: m, n: n, k: k, layout: layout, threads: 1, tile: .narrow)
            for tile in GemmTile.allCases {
                for threads in 1...4 {
                    // Repeated: another test may hold the pool, and then gemm runs on its own thread.
                    for _ in 0..<(threads == 1 ? 1 : 3) {
                        let product = Self.product(m: m, n: n, k: k, layout: layout, threads: threads, tile: tile)
                        #expect(Self.mismatches(product, single) == [],
                                "M=\(m) N=\(n) K=\(k) \(layout), \(threads) threads, \(tile) tile")
                    }
                }
            }
        }
    }

    @Test("Products from several threads at once (one gets the pool, the others compute alone) are bit-identical")
    func concurrentCallers() {
        let expected = Self.product(m: 150, n: 100, k: 130, layout: .rowMajor, threads: 1)
        final class Results: @unchecked Sendable {
            let lock = NSLock()
            var products = [[Float]](repeating: [], count: 8)
        }
        let results = Results()
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            let product = Self.product(m: 150, n: 100, k: 130, layout: .rowMajor, threads: 1 + i % 3)
            results.lock.withLock { results.products[i] = product }
        }
        for i in 0..<8 { #expect(Self.mismatches(results.products[i], expected) == [], "caller \(i)") }
    }

    @Test("Each row of a large product equals the same row computed alone (M = 1)")
    func rowsAloneMatch() {
        let m = 40, n = 150, k = 300
        for layout in ALayout.allCases {
            let a = Operand<Float>(rows: m, cols: k, layout: layout, seed: 3)
            let bOperand = Operand<Float>(rows: k, cols: n, layout: .rowMajor, seed: 4)
            let b = PackedMatrix(bOperand.view)
            defer { withExtendedLifetime((a, bOperand)) {} }
            var whole = [Float](repeating: 0.5, count: m * n)
            whole.withUnsafeMutableBufferPointer { cp in
                gemm(a.view, b, MutableMatrixView(cp.baseAddress!, rows: m, cols: n), accumulate: true)
            }
            for i in [0, 1, 5, 6, 33, 38, 39] {
                var row = [Float](repeating: 0.5, count: n)
                let aRow = MatrixView(a.view.base + i * a.view.rowStride, rows: 1, cols: k,
                                      rowStride: a.view.rowStride, colStride: a.view.colStride)
                row.withUnsafeMutableBufferPointer { cp in
                    gemm(aRow, b, MutableMatrixView(cp.baseAddress!, rows: 1, cols: n), accumulate: true)
                }
                #expect(Self.mismatches(row, Array(whole[i * n..<(i + 1) * n])) == [], "row \(i), \(layout)")
            }
        }
    }

    @Test("The thread pool runs every chunk exactly once, for any participant count")
    func poolRunsEveryChunkOnce() {
        let saved = KernelSettings.threadCount
        KernelSettings.threadCount = 0
        #expect(KernelSettings.threadCount == 1)
        KernelSettings.threadCount = saved
        for (participants, chunks) in [(1, 5), (2, 1), (2, 2), (2, 37), (3, 10), (4, 64)] {
            let counts = UnsafeMutablePointer<Int>.allocate(capacity: chunks)
            defer { counts.deallocate() }
            for _ in 0..<20 {
                counts.initialize(repeating: 0, count: chunks)
                KernelThreadPool.shared.run(participants, chunks: chunks) { chunk, _ in
                    counts[chunk] += 1  // each chunk is claimed once: no race
                }
                #expect((0..<chunks).allSatisfy { counts[$0] == 1 }, "\(participants) participants, \(chunks) chunks")
            }
        }
    }

    /// The first few indices where two arrays differ bit for bit (all of them if the counts differ).
    static func mismatches<S: BinaryFloatingPoint>(_ x: [S], _ y: [S]) -> [Int] {
        guard x.count == y.count else { return [-1] }
        return Array(x.indices.filter { x[$0] != y[$0] && !(x[$0].isNaN && y[$0].isNaN) }.prefix(8))
    }

    /// Max |approximation - exact| over a dense sweep of [-20, 20] and special values.
    static func activationError(_ f: (SIMD8<Float>) -> SIMD8<Float>, exact: (Double) -> Double) -> Double {
        var inputs: [Float] = []
        let steps = 400_000
        for i in 0...steps { inputs.append(-20 + 40 * Float(i) / Float(steps)) }
        inputs += [0, -0.0, 1e-3, -1e-3, 4e-4, -4e-4, 3.9e-4, 1e-8, -1e-8, .leastNormalMagnitude,
                   .leastNonzeroMagnitude, -.leastNonzeroMagnitude, 7.9, -7.9, 9, -9, 1e30, -1e30,
                   .greatestFiniteMagnitude, -.greatestFiniteMagnitude]
        var worst = 0.0
        var i = 0
        while i < inputs.count {
            var v = SIMD8<Float>(repeating: 0)
            let lanes = min(8, inputs.count - i)
            for l in 0..<lanes { v[l] = inputs[i + l] }
            let y = f(v)
            for l in 0..<lanes { worst = max(worst, abs(Double(y[l]) - exact(Double(inputs[i + l])))) }
            i += 8
        }
        return worst
    }

    @Test("Float tanh and sigmoid are within 1e-6 of the exact functions; special values")
    func floatActivations() {
        let tanhError = Self.activationError(Float.tanh) { Foundation.tanh($0) }
        let sigmoidError = Self.activationError(Float.sigmoid) { 1 / (1 + Foundation.exp(-$0)) }
        print("Float activations: max |tanh error| = \(tanhError), max |sigmoid error| = \(sigmoidError)")
        #expect(tanhError < 1e-6)
        #expect(sigmoidError < 1e-6)
        let special: [Float] = [0, -0.0, .infinity, -.infinity, .nan, 1e-30, -1e-30, .leastNonzeroMagnitude]
        var v = SIMD8<Float>()
        for l in 0..<8 { v[l] = special[l] }
        let t = Float.tanh(v), s = Float.sigmoid(v)
        #expect(t[0] == 0 && t[0].sign == .plus && t[1] == 0 && t[1].sign == .minus)
        #expect(t[2] == 1 && t[3] == -1 && t[4].isNaN)
        #expect(t[5] == 1e-30 && t[6] == -1e-30 && t[7] == .leastNonzeroMagnitude)
        #expect(s[0] == 0.5 && s[1] == 0.5 && s[2] == 1 && s[3] == 0 && s[4].isNaN)
        #expect(s[5] == 0.5 && s[6] == 0.5)
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
