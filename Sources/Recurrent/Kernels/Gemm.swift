import CRecurrentKernels

/// Width, in columns, of the panels `PackedMatrix` stores and the micro-kernels read.
let packedPanelWidth = 16

/// The right operand of a matrix product, `K × N`, repacked once into column panels of
/// `packedPanelWidth` so the micro-kernels read it sequentially: panel p holds
/// `B[k, 16p + j]` at `base[(p * K + k) * 16 + j]`, zero beyond column N; 64-byte aligned.
///
/// A network packs each weight matrix (transposed, `Wᵀ`) once per call, then uses it at every
/// time step.
struct PackedMatrix<Scalar: RecurrentScalar>: @unchecked Sendable {
    // Invariant: `storage` is written once, here, and only read afterwards.
    /// K, the shared dimension.
    let rows: Int
    /// N, the output columns.
    let cols: Int
    let storage: Buffer<Scalar>

    var panelCount: Int { (cols + packedPanelWidth - 1) / packedPanelWidth }

    /// The first element of panel `p`.
    @inline(__always)
    func panel(_ p: Int) -> UnsafeMutablePointer<Scalar> { storage.base + p * rows * packedPanelWidth }

    init(_ b: MatrixView<Scalar>, kernels: Kernels) {
        rows = b.rows
        cols = b.cols
        storage = Buffer(uninitializedCount: (b.cols + packedPanelWidth - 1) / packedPanelWidth * b.rows * packedPanelWidth)
        var source = b.cMatrix
        kernels.table(Scalar.self).pointee.pack_b(&source, storage.base)
    }
}

/// `C = A · B` (or `C += A · B` when `accumulate`), `A` `M × K`, `B` `K × N` packed, `C` `M × N`.
///
/// Contract (relied on for reproducibility): every element of C is computed as
/// `c₀ + a₀b₀ + a₁b₁ + … + a_{K-1}b_{K-1}`, left to right, one running sum per element (fused
/// multiply-adds on instruction sets with FMA), with `c₀` the old C (or 0). So the result does
/// not depend on M, on N, on the blocking, on how the work is split, or on the thread count.
///
/// M = 1 (a batch-1 time step) takes a row kernel that reads A in place. Larger M packs A into
/// slivers of 6 or 8 rows and 4 rows (see `SliverPlan`), in blocks of at most `GemmPlan.kcMax`
/// columns, and runs the micro-kernels of `tile` on every (sliver, panel) tile; partial sums go
/// through C from one block to the next. Products large enough are shared between up to
/// `kernels.threads` threads, by panels of N (small M) or by slivers of M (see `GemmPlan`).
/// Nothing is allocated per call (the packing scratch belongs to the thread pool), so a time
/// loop can call it at every step.
///
/// With `scratch`, the product runs on the calling thread alone, packing into that scratch:
/// for work the caller has already shared out between threads (a pool job's participant).
/// With `bias` (N values), C = bias + A · B row by row (`accumulate` then does not matter).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func gemm<Scalar: RecurrentScalar>(
    _ a: MatrixView<Scalar>, _ b: PackedMatrix<Scalar>, _ c: MutableMatrixView<Scalar>, accumulate: Bool,
    kernels: Kernels, tile chosen: GemmTile? = nil, scratch: KernelScratch? = nil, bias: UnsafePointer<Scalar>? = nil
) {
    precondition(a.cols == b.rows && a.rows == c.rows && b.cols == c.cols, "gemm shape mismatch")
    let m = a.rows, k = b.rows, n = b.cols
    if m == 0 || n == 0 { return }
    let table = kernels.table(Scalar.self)
    if k <= GemmPlan.thinK && m * n <= GemmPlan.thinElements && k > 0 {
        // A few features (a scalar input's projection): packing A would cost more than the product.
        var source = a.cMatrix
        table.pointee.gemm_thin(&source, b.storage.base, n, c.base, c.rowStride, accumulate ? 1 : 0, bias)
        return
    }
    // C = bias + A · B: every row from the bias, then accumulated into.
    if let bias { c.base.fillRows(m, cols: n, stride: c.rowStride, with: bias) }
    let accumulate = accumulate || bias != nil
    if k == 0 {
        if !accumulate { c.base.fillRows(m, cols: n, stride: c.rowStride, with: nil) }
        return
    }
    let tile = chosen ?? kernels.tile(for: Scalar.self)
    let load: Int32 = accumulate ? 1 : 0, wide: Int32 = tile == .wide ? 1 : 0
    let threads = scratch == nil ? kernels.threads : 1
    if m == 1 && (k * n < GemmPlan.minRowWork || threads == 1) {
        // The tiny per-step case: no plan, no pool, no scratch, no closure.
        table.pointee.gemm_row(k, a.base, a.colStride, b.storage.base, n, c.base, 0, b.panelCount, load, wide)
        return
    }
    let plan = GemmPlan(m: m, n: n, k: k, threads: threads, tile: tile)
    if m == 1 {
        // Chunks of one row-kernel call each; each thread's home range stays the same from call
        // to call, and so in its core's cache.
        let per = tile.panelsPerRow
        kernels.pool.run(plan.threads, chunks: plan.chunks) { chunk, _ in
            table.pointee.gemm_row(k, a.base, a.colStride, b.storage.base, n, c.base, per * chunk,
                                   min(per * chunk + per, b.panelCount), load, wide)
        }
        return
    }
    func run(_ chunk: Int, _ scratch: KernelScratch) {
        if plan.overRows {
            gemmRows(a, b, c, accumulate: accumulate, plan: plan, slivers: plan.range(chunk, of: plan.slivers.count),
                     scratch: scratch, table: table)
        } else {
            gemmPanels(a, b, c, accumulate: accumulate, plan: plan, panels: plan.panelRange(chunk, of: b.panelCount),
                       scratch: scratch, table: table)
        }
    }
    if let scratch {
        scratch.prepared = false
        for chunk in 0..<plan.chunks { run(chunk, scratch) }
    } else {
        kernels.pool.run(plan.threads, chunks: plan.chunks) { chunk, scratch in run(chunk, scratch) }
    }
}

/// `C = A · B` for an unpacked `B`; packs it first.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func gemm<Scalar: RecurrentScalar>(
    _ a: MatrixView<Scalar>, _ b: MatrixView<Scalar>, _ c: MutableMatrixView<Scalar>, accumulate: Bool,
    kernels: Kernels, tile: GemmTile? = nil, bias: UnsafePointer<Scalar>? = nil
) {
    gemm(a, PackedMatrix(b, kernels: kernels), c, accumulate: accumulate, kernels: kernels, tile: tile, bias: bias)
}

/// Elements of the edge-tile buffer at the start of a participant's scratch: the tallest
/// sliver (8 rows) by two panels.
let edgeTileElements = 8 * 2 * packedPanelWidth

/// Rows `slivers` of C, all columns (a chunk in rows mode): per kc block, packs those slivers
/// of A, then runs them against every panel.
func gemmRows<Scalar: RecurrentScalar>(
    _ a: MatrixView<Scalar>, _ b: PackedMatrix<Scalar>, _ c: MutableMatrixView<Scalar>, accumulate: Bool,
    plan: GemmPlan, slivers: Range<Int>, scratch: KernelScratch, table: UnsafePointer<rk_kernels>
) {
    let k = b.rows, kc = plan.kc
    let buffer = scratch.elements(edgeTileElements + plan.slivers.tall * slivers.count * kc, of: Scalar.self)
    let packedA = buffer + edgeTileElements
    var source = a.cMatrix, cut = plan.slivers.cValue
    var k0 = 0
    while k0 < k {
        let kl = min(kc, k - k0)
        table.pointee.pack_slivers(&source, &cut, slivers.lowerBound, slivers.upperBound, k0, kl, packedA)
        var block = plan.block(b, c, slivers: slivers, packedA: packedA, k0: k0, kl: kl, panels: 0..<b.panelCount,
                               load: accumulate || k0 > 0, edge: buffer)
        table.pointee.gemm_block(&block)
        k0 += kl
    }
}

/// Columns `panels` of C, all rows (a chunk in panels mode): packs all of A, kc block after kc
/// block, at the participant's first chunk (`scratch.prepared`), then runs each block against
/// the panels.
func gemmPanels<Scalar: RecurrentScalar>(
    _ a: MatrixView<Scalar>, _ b: PackedMatrix<Scalar>, _ c: MutableMatrixView<Scalar>, accumulate: Bool,
    plan: GemmPlan, panels: Range<Int>, scratch: KernelScratch, table: UnsafePointer<rk_kernels>
) {
    let k = b.rows, kc = plan.kc, rows = plan.slivers.paddedRows, count = plan.slivers.count
    let buffer = scratch.elements(edgeTileElements + rows * k, of: Scalar.self)
    let packedA = buffer + edgeTileElements
    if !scratch.prepared {
        var source = a.cMatrix, cut = plan.slivers.cValue
        var k0 = 0
        while k0 < k {
            let kl = min(kc, k - k0)
            table.pointee.pack_slivers(&source, &cut, 0, count, k0, kl, packedA + rows * k0)
            k0 += kl
        }
        scratch.prepared = true
    }
    var k0 = 0
    while k0 < k {
        let kl = min(kc, k - k0)
        var block = plan.block(b, c, slivers: 0..<count, packedA: packedA + rows * k0, k0: k0, kl: kl, panels: panels,
                               load: accumulate || k0 > 0, edge: buffer)
        table.pointee.gemm_block(&block)
        k0 += kl
    }
}

extension MatrixView {
    /// The view as the C kernels take it.
    var cMatrix: rk_matrix {
        rk_matrix(base: UnsafeRawPointer(base), rows: rows, cols: cols, row_stride: rowStride, col_stride: colStride)
    }
}
