import CRecurrentSupport

// The register-blocked micro-kernels of `gemm` and the packing of the left operand.
//
// Every kernel keeps one accumulator lane per element of C and runs k upwards, one
// `multiplyAdd` per k, so all of them (and any mix of them) give bit-identical results: the
// contract stated on `gemm`. The accumulators start from C (`load`) or from zero.
//
// Operand layouts (element counts, not bytes):
//   packed B panel: 16 columns, row k at `b + 16k`           (see `PackedMatrix`)
//   packed A sliver: h (6 or 4) rows, column k at `a + h·k`  (see `packSlivers`)
//   the row kernels read A (one row, x) in place, `x[k]` at `x + k·xs`.
// The 6 × 16 kernel needs 12 accumulators + 2 B vectors + 1 broadcast: 15 of the 16 ymm
// registers of AVX2; per k it does 12 FMAs for 8 loads (2 of B, 6 broadcasts of A).

/// C[0..<6, 0..<16] (+)= Ã · B̃ over `kc` steps; 12 accumulators of 8 lanes.
@inline(never)
func kernel6x16<S: RecurrentScalar>(
    _ kc: Int, _ a: UnsafePointer<S>, _ b: UnsafePointer<S>,
    _ c: UnsafeMutablePointer<S>, _ ldc: Int, _ load: Bool
) {
    typealias V = SIMD8<S>
    var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V()
    var c30 = V(), c31 = V(), c40 = V(), c41 = V(), c50 = V(), c51 = V()
    if load {
        c00 = V(loading: c); c01 = V(loading: c + 8)
        c10 = V(loading: c + ldc); c11 = V(loading: c + ldc + 8)
        c20 = V(loading: c + 2 * ldc); c21 = V(loading: c + 2 * ldc + 8)
        c30 = V(loading: c + 3 * ldc); c31 = V(loading: c + 3 * ldc + 8)
        c40 = V(loading: c + 4 * ldc); c41 = V(loading: c + 4 * ldc + 8)
        c50 = V(loading: c + 5 * ldc); c51 = V(loading: c + 5 * ldc + 8)
    }
    var pa = a, pb = b
    for _ in 0..<kc {
        let b0 = V(loading: pb), b1 = V(loading: pb + 8)
        var x = V(repeating: pa[0])
        c00 = multiplyAdd(x, b0, c00); c01 = multiplyAdd(x, b1, c01)
        x = V(repeating: pa[1])
        c10 = multiplyAdd(x, b0, c10); c11 = multiplyAdd(x, b1, c11)
        x = V(repeating: pa[2])
        c20 = multiplyAdd(x, b0, c20); c21 = multiplyAdd(x, b1, c21)
        x = V(repeating: pa[3])
        c30 = multiplyAdd(x, b0, c30); c31 = multiplyAdd(x, b1, c31)
        x = V(repeating: pa[4])
        c40 = multiplyAdd(x, b0, c40); c41 = multiplyAdd(x, b1, c41)
        x = V(repeating: pa[5])
        c50 = multiplyAdd(x, b0, c50); c51 = multiplyAdd(x, b1, c51)
        pa += 6
        pb += 16
    }
    c00.store(to: c); c01.store(to: c + 8)
    c10.store(to: c + ldc); c11.store(to: c + ldc + 8)
    c20.store(to: c + 2 * ldc); c21.store(to: c + 2 * ldc + 8)
    c30.store(to: c + 3 * ldc); c31.store(to: c + 3 * ldc + 8)
    c40.store(to: c + 4 * ldc); c41.store(to: c + 4 * ldc + 8)
    c50.store(to: c + 5 * ldc); c51.store(to: c + 5 * ldc + 8)
}

/// C[0..<4, 0..<16] (+)= Ã · B̃ over `kc` steps; 8 accumulators.
@inline(never)
func kernel4x16<S: RecurrentScalar>(
    _ kc: Int, _ a: UnsafePointer<S>, _ b: UnsafePointer<S>,
    _ c: UnsafeMutablePointer<S>, _ ldc: Int, _ load: Bool
) {
    typealias V = SIMD8<S>
    var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V(), c30 = V(), c31 = V()
    if load {
        c00 = V(loading: c); c01 = V(loading: c + 8)
        c10 = V(loading: c + ldc); c11 = V(loading: c + ldc + 8)
        c20 = V(loading: c + 2 * ldc); c21 = V(loading: c + 2 * ldc + 8)
        c30 = V(loading: c + 3 * ldc); c31 = V(loading: c + 3 * ldc + 8)
    }
    var pa = a, pb = b
    for _ in 0..<kc {
        let b0 = V(loading: pb), b1 = V(loading: pb + 8)
        var x = V(repeating: pa[0])
        c00 = multiplyAdd(x, b0, c00); c01 = multiplyAdd(x, b1, c01)
        x = V(repeating: pa[1])
        c10 = multiplyAdd(x, b0, c10); c11 = multiplyAdd(x, b1, c11)
        x = V(repeating: pa[2])
        c20 = multiplyAdd(x, b0, c20); c21 = multiplyAdd(x, b1, c21)
        x = V(repeating: pa[3])
        c30 = multiplyAdd(x, b0, c30); c31 = multiplyAdd(x, b1, c31)
        pa += 4
        pb += 16
    }
    c00.store(to: c); c01.store(to: c + 8)
    c10.store(to: c + ldc); c11.store(to: c + ldc + 8)
    c20.store(to: c + 2 * ldc); c21.store(to: c + 2 * ldc + 8)
    c30.store(to: c + 3 * ldc); c31.store(to: c + 3 * ldc + 8)
}

/// One row of C over four consecutive panels (64 columns): c[0..<64] (+)= x · B̃, with
/// `x[k]` at `x + k·xs` and the panels `panelStride` apart; 8 accumulators.
@inline(never)
func kernel1x64<S: RecurrentScalar>(
    _ k: Int, _ x: UnsafePointer<S>, _ xs: Int, _ b: UnsafePointer<S>, _ panelStride: Int,
    _ c: UnsafeMutablePointer<S>, _ load: Bool
) {
    typealias V = SIMD8<S>
    var c0 = V(), c1 = V(), c2 = V(), c3 = V(), c4 = V(), c5 = V(), c6 = V(), c7 = V()
    if load {
        c0 = V(loading: c); c1 = V(loading: c + 8); c2 = V(loading: c + 16); c3 = V(loading: c + 24)
        c4 = V(loading: c + 32); c5 = V(loading: c + 40); c6 = V(loading: c + 48); c7 = V(loading: c + 56)
    }
    var px = x
    var p0 = b, p1 = b + panelStride, p2 = b + 2 * panelStride, p3 = b + 3 * panelStride
    for _ in 0..<k {
        let v = V(repeating: px[0])
        c0 = multiplyAdd(v, V(loading: p0), c0); c1 = multiplyAdd(v, V(loading: p0 + 8), c1)
        c2 = multiplyAdd(v, V(loading: p1), c2); c3 = multiplyAdd(v, V(loading: p1 + 8), c3)
        c4 = multiplyAdd(v, V(loading: p2), c4); c5 = multiplyAdd(v, V(loading: p2 + 8), c5)
        c6 = multiplyAdd(v, V(loading: p3), c6); c7 = multiplyAdd(v, V(loading: p3 + 8), c7)
        px += xs
        p0 += 16; p1 += 16; p2 += 16; p3 += 16
    }
    c0.store(to: c); c1.store(to: c + 8); c2.store(to: c + 16); c3.store(to: c + 24)
    c4.store(to: c + 32); c5.store(to: c + 40); c6.store(to: c + 48); c7.store(to: c + 56)
}

/// One row of C over one panel: c[0..<16] (+)= x · B̃; 2 accumulators.
@inline(never)
func kernel1x16<S: RecurrentScalar>(
    _ k: Int, _ x: UnsafePointer<S>, _ xs: Int, _ b: UnsafePointer<S>,
    _ c: UnsafeMutablePointer<S>, _ load: Bool
) {
    typealias V = SIMD8<S>
    var c0 = V(), c1 = V()
    if load { c0 = V(loading: c); c1 = V(loading: c + 8) }
    var px = x, pb = b
    for _ in 0..<k {
        let v = V(repeating: px[0])
        c0 = multiplyAdd(v, V(loading: pb), c0)
        c1 = multiplyAdd(v, V(loading: pb + 8), c1)
        px += xs
        pb += 16
    }
    c0.store(to: c); c1.store(to: c + 8)
}
