
/// Width, in columns, of the panels `PackedMatrix` stores and the micro-kernels read.
let packedPanelWidth = 16

/// The right operand of a matrix product, `K × N`, repacked once into column panels of
/// `packedPanelWidth` so the micro-kernels read it sequentially: panel p holds
/// `B[k, 16p + j]` at `base[(p * K + k) * 16 + j]`, zero beyond column N; 64-byte aligned.
///
/// A network packs each weight matrix (transposed, `Wᵀ`) once per call, then uses it at every
/// time step.
struct PackedMatrix<Scalar: RecurrentScalar>: @unchecked Sendable {
    /// K, the shared dimension.
    let rows: Int
    /// N, the output columns.
    let cols: Int
    let storage: Buffer<Scalar>

    var panelCount: Int { (cols + packedPanelWidth - 1) / packedPanelWidth }

    /// The first element of panel `p`.
    @inline(__always)
    func panel(_ p: Int) -> UnsafeMutablePointer<Scalar> { storage.base + p * rows * packedPanelWidth }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    init(_ b: MatrixView<Scalar>) {
        rows = b.rows
        cols = b.cols
        let width = packedPanelWidth
        let panels = (b.cols + width - 1) / width
        storage = Buffer(count: panels * b.rows * width)
        let out = storage.base
        for p in 0..<panels {
            let j0 = p * width, jn = min(width, b.cols - j0)
            if b.colStride == 1 && jn == width {
                for k in 0..<b.rows {
                    (out + (p * b.rows + k) * width).update(from: b.base + k * b.rowStride + j0, count: width)
                }
            } else if b.rowStride == 1 && jn == width {
                // Bᵀ stored row-major (a weight matrix W): 16 rows of W in, one stream out.
                let cs = b.colStride
                let w = b.base + j0 * cs
                var dst = out + p * b.rows * width
                for k in 0..<b.rows {
                    for j in 0..<16 { dst[j] = w[j * cs + k] }
                    dst += width
                }
            } else {
                for k in 0..<b.rows {
                    let dst = out + (p * b.rows + k) * width
                    for j in 0..<jn { dst[j] = b[k, j0 + j] }
                }
            }
        }
    }
}

/// `C = A · B` (or `C += A · B` when `accumulate`), `A` `M × K`, `B` `K × N` packed, `C` `M × N`.
///
/// Contract (relied on for reproducibility): every element of C is computed as
/// `c₀ + a₀b₀ + a₁b₁ + … + a_{K-1}b_{K-1}`, left to right, one running sum per element (fused
/// multiply-adds when the build targets FMA), with `c₀` the old C (or 0). So the result does
/// not depend on M, on N, on the blocking, on how the work is split, or on the thread count.
///
/// M = 1 (a batch-1 time step) takes a row kernel that reads A in place, four (narrow tile) or
/// eight (wide tile) panels of B at a time. Larger M packs A into slivers of 6 or 8 rows and 4
/// rows (see `SliverPlan`), in blocks of at most `GemmPlan.kcMax` columns, and runs the
/// micro-kernels of `tile` (see `GemmTile`) on every (sliver, panel) tile; partial sums go
/// through C, unchanged, from one block to the next. Products
/// large enough are shared between up to `KernelSettings.threadCount` threads, by panels of N
/// (small M) or by slivers of M (see `GemmPlan`). Nothing is allocated per call (the packing
/// scratch belongs to the thread pool), so a time loop can call it at every step.
///
/// With `scratch`, the product runs on the calling thread alone, packing into that scratch:
/// for work the caller has already shared out between threads (a pool job's participant).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func gemm<Scalar: RecurrentScalar>(
    _ a: MatrixView<Scalar>, _ b: PackedMatrix<Scalar>, _ c: MutableMatrixView<Scalar>, accumulate: Bool,
    tile: GemmTile = .preferred(for: Scalar.self), scratch: KernelScratch? = nil
) {
    precondition(a.cols == b.rows && a.rows == c.rows && b.cols == c.cols, "gemm shape mismatch")
    let m = a.rows, k = b.rows, n = b.cols
    if m == 0 || n == 0 { return }
    if k == 0 {
        if !accumulate { c.base.fillRows(m, cols: n, stride: c.rowStride, with: nil) }
        return
    }
    let threads = scratch == nil ? KernelSettings.threadCount : 1
    if m == 1 && (k * n < GemmPlan.minRowWork || threads == 1) {
        // The tiny per-step case: no plan, no pool, no scratch, no closure.
        gemmRow(a.base, a.colStride, b, c.base, panels: 0..<b.panelCount, accumulate: accumulate, tile: tile)
        return
    }
    if k <= GemmPlan.thinK && m * n <= GemmPlan.thinElements {
        // A few features (a scalar input's projection): packing A for the micro-kernels would
        // cost more than the product.
        gemmThin(a, b, c, accumulate: accumulate)
        return
    }
    let plan = GemmPlan(m: m, n: n, k: k, threads: threads, tile: tile)
    if m == 1 {
        if plan.threads == 1 {
            // The tiny per-step case: no pool, no scratch, no closure.
            gemmRow(a.base, a.colStride, b, c.base, panels: 0..<b.panelCount, accumulate: accumulate, tile: tile)
        } else {
            // Chunks of one row-kernel call each; each thread's home range stays the same from
            // call to call, and so in its core's cache.
            let per = tile.panelsPerRow
            KernelThreadPool.shared.run(plan.threads, chunks: plan.chunks) { chunk, _ in
                gemmRow(a.base, a.colStride, b, c.base, panels: per * chunk..<min(per * chunk + per, b.panelCount),
                        accumulate: accumulate, tile: tile)
            }
        }
        return
    }
    func run(_ chunk: Int, _ scratch: KernelScratch) {
        if plan.overRows {
            gemmRows(a, b, c, accumulate: accumulate, plan: plan, slivers: plan.range(chunk, of: plan.slivers.count),
                     scratch: scratch)
        } else {
            gemmPanels(a, b, c, accumulate: accumulate, plan: plan, panels: plan.panelRange(chunk, of: b.panelCount),
                       scratch: scratch)
        }
    }
    if let scratch {
        scratch.prepared = false
        for chunk in 0..<plan.chunks { run(chunk, scratch) }
    } else {
        KernelThreadPool.shared.run(plan.threads, chunks: plan.chunks) { chunk, scratch in run(chunk, scratch) }
    }
}

/// `C = A · B` for an unpacked `B`; packs it first.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func gemm<Scalar: RecurrentScalar>(
    _ a: MatrixView<Scalar>, _ b: MatrixView<Scalar>, _ c: MutableMatrixView<Scalar>, accumulate: Bool,
    tile: GemmTile = .preferred(for: Scalar.self)
) {
    gemm(a, PackedMatrix(b), c, accumulate: accumulate, tile: tile)
}

/// How one product is blocked and shared between threads.
///
/// The packed path works on one kc block of K at a time (in order, partial sums kept in C).
/// Within a block, a sliver of A (6 or 8 × kc, 12 or 16 KB in Float, in L1) runs along `ncPanels`
/// panels of B (8 × 16 × kc, 256 KB, in L2) and along its rows of C, then the next sliver runs along the
/// same panels. The work is shared out in `chunks`, each a contiguous range of
///  - panels of N ("panels" mode, small M: the per-step products), every participant packing all
///    of A once, or
///  - slivers of M ("rows" mode, large M or large A), each chunk packing its own rows.
struct GemmPlan {
    /// The most columns of A (rows of B) in one block.
    static let kcMax = 512
    /// Rows of A in one chunk of rows: every chunk reads all of B once per kc block, so larger
    /// chunks read B less often.
    static let rowsPerBlock = 288
    /// Panels mode only while every participant's copy of packed A stays this small (elements).
    static let maxPackedA = 192 * 1024
    /// Panels of B a sliver of A runs along before the next sliver.
    static let ncPanels = 8
    /// Below these sizes a second thread costs more than it saves (measured on 2 Zen 3 cores:
    /// a pool job costs about 0.3 µs plus 8 ns per chunk; M = 1 breaks even near K·N = 40 K,
    /// M ≥ 8 near 2·M·N·K = 400 K, and M < 8 near 1 M).
    static let minRowWork = 48 * 1024     // K·N for M = 1
    static let minFlops = 512 * 1024      // 2·M·N·K for M ≥ 8 (twice that below)
    /// Products with K at most `thinK` and M·N at most `thinElements` take `gemmThin`.
    static let thinK = 4
    static let thinElements = 1 << 18

    let tile: GemmTile
    let slivers: SliverPlan
    /// Columns of A per block: K split in near-equal blocks of at most `kcMax`.
    let kc: Int
    /// Threads to use: 1 for small products, never more than half the chunks' units.
    let threads: Int
    /// Rows mode (else panels mode, or the row kernel when M = 1).
    let overRows: Bool
    /// Chunks of work: panel groups of `tile.panelsPerRow` when M = 1, else ranges given by
    /// `range(_:of:)`.
    let chunks: Int

    init(m: Int, n: Int, k: Int, threads wanted: Int, tile: GemmTile) {
        self.tile = tile
        slivers = SliverPlan(rows: m, tile: tile)
        let blocks = (k + Self.kcMax - 1) / Self.kcMax
        kc = (k + blocks - 1) / blocks
        let panels = (n + packedPanelWidth - 1) / packedPanelWidth
        let big = m == 1 ? k * n >= Self.minRowWork : 2 * m * n * k >= (m < 8 ? 2 : 1) * Self.minFlops
        let t = big ? wanted : 1
        if m == 1 {
            overRows = false
            let per = tile.panelsPerRow
            threads = max(1, min(t, panels / per))
            chunks = threads == 1 ? 1 : (panels + per - 1) / per
        } else {
            // Sharing panels means every participant packs all of A: only while A is small.
            let sliversPerBlock = Self.rowsPerBlock / slivers.tall
            overRows = slivers.count > sliversPerBlock || slivers.paddedRows * k > Self.maxPackedA
            // Panels are shared out in whole tiles (pairs with the wide tile).
            let tileColumns = (panels + tile.panelsPerTile - 1) / tile.panelsPerTile
            let units = overRows ? slivers.count : tileColumns
            threads = max(1, min(t, units / 2))
            if overRows {
                // Blocks of at most `sliversPerBlock`, their count a multiple of the threads; when
                // B is small (cheap to read again), at least 4 per thread (of at least 8 slivers),
                // so a thread slowed down by others is helped out.
                let blockCount = (slivers.count + sliversPerBlock - 1) / sliversPerBlock
                let balanced = k * n <= 1 << 20 ? min(4 * threads, slivers.count / 8) : 0
                chunks = (max(blockCount, balanced) + threads - 1) / threads * threads
            } else {
                chunks = threads == 1 ? 1 : min(tileColumns, 8 * threads)
            }
        }
    }

    /// Chunk i's part of `0..<count`, split in `chunks` near-equal contiguous ranges.
    @inline(__always)
    func range(_ i: Int, of count: Int) -> Range<Int> {
        (i * count / chunks)..<((i + 1) * count / chunks)
    }

    /// Chunk i's panels in panels mode: its part of the tile columns (`tile.panelsPerTile`
    /// panels each), so no chunk splits a tile.
    @inline(__always)
    func panelRange(_ i: Int, of panels: Int) -> Range<Int> {
        let per = tile.panelsPerTile, columns = range(i, of: (panels + per - 1) / per)
        return min(panels, columns.lowerBound * per)..<min(panels, columns.upperBound * per)
    }
}
