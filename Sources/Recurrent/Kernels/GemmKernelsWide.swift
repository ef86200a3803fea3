// The micro-kernels of the wide tile (`GemmTile.wide`): 16-lane vectors, for AVX-512's 32
// registers of 16 floats. Same contract as the narrow ones in `GemmKernels.swift`: one
// accumulator lane per element of C, k upwards, one `multiplyAdd` per k, so any mix of wide
// and narrow kernels gives bit-identical results.
//
// Operands: packed A sliver, column k at `a + h·k`; two packed B panels at `b` and
// `b + panelStride` (32 columns of C), row k at `+ 16k`. The 8 × 32 kernel holds 16
// accumulators + 2 B vectors + 1 broadcast; per k it does 16 FMAs for 10 loads.

/// C[0..<8, 0..<32] (+)= Ã · B̃ over `kc` steps, two panels; 16 accumulators of 16 lanes.
@inline(never)
func kernel8x32<S: RecurrentScalar>(
    _ kc: Int, _ a: UnsafePointer<S>, _ b: UnsafePointer<S>, _ panelStride: Int,
    _ c: UnsafeMutablePointer<S>, _ ldc: Int, _ load: Bool
) {
    typealias V = SIMD16<S>
    var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V(), c30 = V(), c31 = V()
    var c40 = V(), c41 = V(), c50 = V(), c51 = V(), c60 = V(), c61 = V(), c70 = V(), c71 = V()
    if load {
        c00 = V(loading: c); c01 = V(loading: c + 16)
        c10 = V(loading: c + ldc); c11 = V(loading: c + ldc + 16)
        c20 = V(loading: c + 2 * ldc); c21 = V(loading: c + 2 * ldc + 16)
        c30 = V(loading: c + 3 * ldc); c31 = V(loading: c + 3 * ldc + 16)
        c40 = V(loading: c + 4 * ldc); c41 = V(loading: c + 4 * ldc + 16)
        c50 = V(loading: c + 5 * ldc); c51 = V(loading: c + 5 * ldc + 16)
        c60 = V(loading: c + 6 * ldc); c61 = V(loading: c + 6 * ldc + 16)
        c70 = V(loading: c + 7 * ldc); c71 = V(loading: c + 7 * ldc + 16)
    }
    var pa = a, p0 = b, p1 = b + panelStride
    for _ in 0..<kc {
        let b0 = V(loading: p0), b1 = V(loading: p1)
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
        x = V(repeating: pa[6])
        c60 = multiplyAdd(x, b0, c60); c61 = multiplyAdd(x, b1, c61)
        x = V(repeating: pa[7])
        c70 = multiplyAdd(x, b0, c70); c71 = multiplyAdd(x, b1, c71)
        pa += 8
        p0 += 16
        p1 += 16
    }
    c00.store(to: c); c01.store(to: c + 16)
    c10.store(to: c + ldc); c11.store(to: c + ldc + 16)
    c20.store(to: c + 2 * ldc); c21.store(to: c + 2 * ldc + 16)
    c30.store(to: c + 3 * ldc); c31.store(to: c + 3 * ldc + 16)
    c40.store(to: c + 4 * ldc); c41.store(to: c + 4 * ldc + 16)
    c50.store(to: c + 5 * ldc); c51.store(to: c + 5 * ldc + 16)
    c60.store(to: c + 6 * ldc); c61.store(to: c + 6 * ldc + 16)
    c70.store(to: c + 7 * ldc); c71.store(to: c + 7 * ldc + 16)
}

/// C[0..<4, 0..<32] (+)= Ã · B̃ over `kc` steps, two panels; 8 accumulators.
@inline(never)
func kernel4x32<S: RecurrentScalar>(
    _ kc: Int, _ a: UnsafePointer<S>, _ b: UnsafePointer<S>, _ panelStride: Int,
    _ c: UnsafeMutablePointer<S>, _ ldc: Int, _ load: Bool
) {
    typealias V = SIMD16<S>
    var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V(), c30 = V(), c31 = V()
    if load {
        c00 = V(loading: c); c01 = V(loading: c + 16)
        c10 = V(loading: c + ldc); c11 = V(loading: c + ldc + 16)
        c20 = V(loading: c + 2 * ldc); c21 = V(loading: c + 2 * ldc + 16)
        c30 = V(loading: c + 3 * ldc); c31 = V(loading: c + 3 * ldc + 16)
    }
    var pa = a, p0 = b, p1 = b + panelStride
    for _ in 0..<kc {
        let b0 = V(loading: p0), b1 = V(loading: p1)
        var x = V(repeating: pa[0])
        c00 = multiplyAdd(x, b0, c00); c01 = multiplyAdd(x, b1, c01)
        x = V(repeating: pa[1])
        c10 = multiplyAdd(x, b0, c10); c11 = multiplyAdd(x, b1, c11)
        x = V(repeating: pa[2])
        c20 = multiplyAdd(x, b0, c20); c21 = multiplyAdd(x, b1, c21)
        x = V(repeating: pa[3])
        c30 = multiplyAdd(x, b0, c30); c31 = multiplyAdd(x, b1, c31)
        pa += 4
        p0 += 16
        p1 += 16
    }
    c00.store(to: c); c01.store(to: c + 16)
    c10.store(to: c + ldc); c11.store(to: c + ldc + 16)
    c20.store(to: c + 2 * ldc); c21.store(to: c + 2 * ldc + 16)
    c30.store(to: c + 3 * ldc); c31.store(to: c + 3 * ldc + 16)
}

/// C[0..<8, 0..<16] (+)= Ã · B̃ over `kc` steps, one panel (the last of an odd count); 8
/// accumulators.
@inline(never)
func kernel8x16<S: RecurrentScalar>(
    _ kc: Int, _ a: UnsafePointer<S>, _ b: UnsafePointer<S>,
    _ c: UnsafeMutablePointer<S>, _ ldc: Int, _ load: Bool
) {
    typealias V = SIMD16<S>
    var c0 = V(), c1 = V(), c2 = V(), c3 = V(), c4 = V(), c5 = V(), c6 = V(), c7 = V()
    if load {
        c0 = V(loading: c); c1 = V(loading: c + ldc); c2 = V(loading: c + 2 * ldc); c3 = V(loading: c + 3 * ldc)
        c4 = V(loading: c + 4 * ldc); c5 = V(loading: c + 5 * ldc); c6 = V(loading: c + 6 * ldc)
        c7 = V(loading: c + 7 * ldc)
    }
    var pa = a, pb = b
    for _ in 0..<kc {
        let b0 = V(loading: pb)
        c0 = multiplyAdd(V(repeating: pa[0]), b0, c0)
        c1 = multiplyAdd(V(repeating: pa[1]), b0, c1)
        c2 = multiplyAdd(V(repeating: pa[2]), b0, c2)
        c3 = multiplyAdd(V(repeating: pa[3]), b0, c3)
        c4 = multiplyAdd(V(repeating: pa[4]), b0, c4)
        c5 = multiplyAdd(V(repeating: pa[5]), b0, c5)
        c6 = multiplyAdd(V(repeating: pa[6]), b0, c6)
        c7 = multiplyAdd(V(repeating: pa[7]), b0, c7)
        pa += 8
        pb += 16
    }
    c0.store(to: c); c1.store(to: c + ldc); c2.store(to: c + 2 * ldc); c3.store(to: c + 3 * ldc)
    c4.store(to: c + 4 * ldc); c5.store(to: c + 5 * ldc); c6.store(to: c + 6 * ldc); c7.store(to: c + 7 * ldc)
}

/// One row of C over eight consecutive panels (128 columns): c[0..<128] (+)= x · B̃, with
/// `x[k]` at `x + k·xs` and the panels `panelStride` apart; 8 accumulators of 16 lanes, each
/// k reading one cache line of every panel.
@inline(never)
func kernel1x128<S: RecurrentScalar>(
    _ k: Int, _ x: UnsafePointer<S>, _ xs: Int, _ b: UnsafePointer<S>, _ panelStride: Int,
    _ c: UnsafeMutablePointer<S>, _ load: Bool
) {
    typealias V = SIMD16<S>
    var c0 = V(), c1 = V(), c2 = V(), c3 = V(), c4 = V(), c5 = V(), c6 = V(), c7 = V()
    if load {
        c0 = V(loading: c); c1 = V(loading: c + 16); c2 = V(loading: c + 32); c3 = V(loading: c + 48)
        c4 = V(loading: c + 64); c5 = V(loading: c + 80); c6 = V(loading: c + 96); c7 = V(loading: c + 112)
    }
    var px = x, p = b
    let s = panelStride
    for _ in 0..<k {
        let v = V(repeating: px[0])
        c0 = multiplyAdd(v, V(loading: p), c0)
        c1 = multiplyAdd(v, V(loading: p + s), c1)
        c2 = multiplyAdd(v, V(loading: p + 2 * s), c2)
        c3 = multiplyAdd(v, V(loading: p + 3 * s), c3)
        c4 = multiplyAdd(v, V(loading: p + 4 * s), c4)
        c5 = multiplyAdd(v, V(loading: p + 5 * s), c5)
        c6 = multiplyAdd(v, V(loading: p + 6 * s), c6)
        c7 = multiplyAdd(v, V(loading: p + 7 * s), c7)
        px += xs
        p += 16
    }
    c0.store(to: c); c1.store(to: c + 16); c2.store(to: c + 32); c3.store(to: c + 48)
    c4.store(to: c + 64); c5.store(to: c + 80); c6.store(to: c + 96); c7.store(to: c + 112)
}
