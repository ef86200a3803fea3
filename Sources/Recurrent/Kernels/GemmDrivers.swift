// The loops of `gemm` around the micro-kernels: the row path (M = 1) and the packed path,
// shared out by rows or by panels (see `GemmPlan`).

/// Elements of the edge-tile buffer at the start of a participant's scratch: the tallest
/// sliver (8 rows) by two panels.
let edgeTileElements = 8 * 2 * packedPanelWidth

/// One row of C (M = 1) over `panels`: c (+)= x · B, with `x[k]` at `x + k·xs`; `tile.panelsPerRow`
/// panels per kernel call.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func gemmRow<Scalar: RecurrentScalar>(
    _ x: UnsafePointer<Scalar>, _ xs: Int, _ b: PackedMatrix<Scalar>, _ c: UnsafeMutablePointer<Scalar>,
    panels: Range<Int>, accumulate: Bool, tile: GemmTile
) {
    let k = b.rows, n = b.cols, w = packedPanelWidth
    let fullPanels = min(panels.upperBound, n / w)
    var p = panels.lowerBound
    if tile == .wide {
        while p + 8 <= fullPanels {
            kernel1x128(k, x, xs, b.panel(p), k * w, c + p * w, accumulate)
            p += 8
        }
    }
    while p + 4 <= fullPanels {
        kernel1x64(k, x, xs, b.panel(p), k * w, c + p * w, accumulate)
        p += 4
    }
    while p < fullPanels {
        kernel1x16(k, x, xs, b.panel(p), c + p * w, accumulate)
        p += 1
    }
    if p < panels.upperBound {
        // The last, partial panel goes through a 16-wide tile.
        let cols = n - p * w
        var tile = SIMD16<Scalar>()
        withUnsafeMutableBytes(of: &tile) { raw in
            let t = raw.baseAddress!.assumingMemoryBound(to: Scalar.self)
            if accumulate { t.update(from: c + p * w, count: cols) }
            kernel1x16(k, x, xs, b.panel(p), t, accumulate)
            (c + p * w).update(from: t, count: cols)
        }
    }
}

/// C (+)= A · B for a small K, row by row, 16 columns at a time, on one thread: each element
/// `c₀ + a₀b₀ + … + a_{K-1}b_{K-1}` in k order, as the contract on `gemm` requires.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func gemmThin<Scalar: RecurrentScalar>(
    _ a: MatrixView<Scalar>, _ b: PackedMatrix<Scalar>, _ c: MutableMatrixView<Scalar>, accumulate: Bool
) {
    typealias V = SIMD8<Scalar>
    let m = a.rows, k = b.rows, n = b.cols, w = packedPanelWidth
    var tile = SIMD16<Scalar>()
    for i in 0..<m {
        let row = c.base + i * c.rowStride
        let x = a.base + i * a.rowStride
        for p in 0..<b.panelCount {
            let j0 = p * w, cols = min(w, n - j0)
            let panel = UnsafePointer(b.panel(p))
            withUnsafeMutableBytes(of: &tile) { raw in
                let t = raw.baseAddress!.assumingMemoryBound(to: Scalar.self)
                let out = cols == w ? row + j0 : t
                var c0 = V(), c1 = V()
                if cols < w && accumulate {
                    t.update(repeating: 0, count: w)
                    t.update(from: row + j0, count: cols)
                }
                if accumulate { c0 = V(loading: out); c1 = V(loading: out + 8) }
                for kk in 0..<k {
                    let v = V(repeating: x[kk * a.colStride])
                    c0 = multiplyAdd(v, V(loading: panel + kk * w), c0)
                    c1 = multiplyAdd(v, V(loading: panel + kk * w + 8), c1)
                }
                c0.store(to: out)
                c1.store(to: out + 8)
                if cols < w { (row + j0).update(from: t, count: cols) }
            }
        }
    }
}

/// Rows `slivers` of C, all columns (a chunk in rows mode): per kc block, packs those slivers
/// of A, then runs them against every panel.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func gemmRows<Scalar: RecurrentScalar>(
    _ a: MatrixView<Scalar>, _ b: PackedMatrix<Scalar>, _ c: MutableMatrixView<Scalar>, accumulate: Bool,
    plan: GemmPlan, slivers: Range<Int>, scratch: KernelScratch
) {
    let k = b.rows, kc = plan.kc
    let buffer = scratch.elements(edgeTileElements + plan.slivers.tall * slivers.count * kc, of: Scalar.self)
    let packedA = buffer + edgeTileElements
    var k0 = 0
    while k0 < k {
        let kl = min(kc, k - k0)
        packSlivers(a, plan.slivers, slivers, k0: k0, kc: kl, into: packedA)
        gemmTiles(b, c, plan.slivers, slivers, packedA, k0: k0, kl: kl, panels: 0..<b.panelCount,
                  load: accumulate || k0 > 0, tile: buffer, kind: plan.tile)
        k0 += kl
    }
}

/// Columns `panels` of C, all rows (a chunk in panels mode): packs all of A, kc block after kc
/// block, at the participant's first chunk (`scratch.prepared`), then runs each block against
/// the panels.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func gemmPanels<Scalar: RecurrentScalar>(
    _ a: MatrixView<Scalar>, _ b: PackedMatrix<Scalar>, _ c: MutableMatrixView<Scalar>, accumulate: Bool,
    plan: GemmPlan, panels: Range<Int>, scratch: KernelScratch
) {
    let k = b.rows, kc = plan.kc, rows = plan.slivers.paddedRows
    let buffer = scratch.elements(edgeTileElements + rows * k, of: Scalar.self)
    let packedA = buffer + edgeTileElements
    if !scratch.prepared {
        var k0 = 0
        while k0 < k {
            let kl = min(kc, k - k0)
            packSlivers(a, plan.slivers, 0..<plan.slivers.count, k0: k0, kc: kl, into: packedA + rows * k0)
            k0 += kl
        }
        scratch.prepared = true
    }
    var k0 = 0
    while k0 < k {
        let kl = min(kc, k - k0)
        gemmTiles(b, c, plan.slivers, 0..<plan.slivers.count, packedA + rows * k0, k0: k0, kl: kl,
                  panels: panels, load: accumulate || k0 > 0, tile: buffer, kind: plan.tile)
        k0 += kl
    }
}

/// Every (sliver, panel) tile of one kc block, `ncPanels` panels at a time, each sliver along
/// them in turn (two panels per kernel call with the wide tile): `packedA` holds the slivers'
/// columns `k0 ..< k0 + kl` one after the other; `tile` is a buffer of `tallHeight × 32` for
/// edge tiles (rows past M or columns past N).
@inline(__always)
func gemmTiles<Scalar: RecurrentScalar>(
    _ b: PackedMatrix<Scalar>, _ c: MutableMatrixView<Scalar>, _ plan: SliverPlan, _ slivers: Range<Int>,
    _ packedA: UnsafeMutablePointer<Scalar>, k0: Int, kl: Int, panels: Range<Int>, load: Bool,
    tile: UnsafeMutablePointer<Scalar>, kind: GemmTile
) {
    let m = c.rows, n = b.cols, w = packedPanelWidth, ldc = c.rowStride
    let panelStride = b.rows * w
    /// Sliver s against `count` (1 or 2) panels from p.
    @inline(__always)
    func run(_ s: Int, _ pa: UnsafePointer<Scalar>, _ p: Int, _ count: Int) {
        let bp = UnsafePointer(b.panel(p) + k0 * w)
        let j0 = p * w, cols = min(count * w, n - j0)
        let h = plan.height(s), i0 = plan.row(s), rows = min(h, m - i0)
        @inline(__always)
        func kernel(_ out: UnsafeMutablePointer<Scalar>, _ ld: Int) {
            switch (h, count) {
            case (8, 2): kernel8x32(kl, pa, bp, panelStride, out, ld, load)
            case (4, 2): kernel4x32(kl, pa, bp, panelStride, out, ld, load)
            case (8, _): kernel8x16(kl, pa, bp, out, ld, load)
            case (6, _): kernel6x16(kl, pa, bp, out, ld, load)
            default: kernel4x16(kl, pa, bp, out, ld, load)
            }
        }
        if rows == h && cols == count * w {
            kernel(c.base + i0 * ldc + j0, ldc)
        } else {
            // An edge tile, through the buffer (rows 32 apart); zeros outside C's part, so no
            // stale denormal or NaN slows the kernel.
            let cp = c.base + i0 * ldc + j0
            if load {
                tile.update(repeating: 0, count: h * 2 * w)
                for r in 0..<rows { (tile + r * 2 * w).update(from: cp + r * ldc, count: cols) }
            }
            kernel(tile, 2 * w)
            for r in 0..<rows { (cp + r * ldc).update(from: tile + r * 2 * w, count: cols) }
        }
    }
    let step = kind.panelsPerTile
    var p0 = panels.lowerBound
    while p0 < panels.upperBound {
        let p1 = min(p0 + GemmPlan.ncPanels, panels.upperBound)
        var offset = 0
        for s in slivers {
            var p = p0
            while p < p1 {
                let count = min(step, p1 - p)
                run(s, packedA + offset, p, count)
                p += count
            }
            offset += plan.height(s) * kl
        }
        p0 = p1
    }
}
