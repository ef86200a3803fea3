import CRecurrentKernels

// How the packed path of `gemm` cuts the operands and shares the work: the register tile, the
// slivers of A, the kc blocks and the split between threads. The loops over tiles and the
// packing itself are C kernels (`body/gemm.h`, `body/pack.h`).

/// The register tile of the packed path. The instruction set's kernel table says which it
/// prefers (`Kernels.tile(for:)`); every table has both, and they give bit-identical results
/// (one accumulator lane per element of C, k upwards, one multiply-add per k); only the speed
/// differs.
enum GemmTile: Sendable, CaseIterable {
    /// Slivers of 6 (and 4) rows against one panel of 16 columns: 12 accumulators of 8 floats,
    /// for 16 vector registers of 256 bits (AVX2) or 32 of 128 (NEON).
    case narrow
    /// Slivers of 8 (and 4) rows against two panels (32 columns): 16 accumulators of 16 floats,
    /// for AVX-512's 32 registers.
    case wide

    /// The height of a full sliver (the other sliver height is 4).
    var tallHeight: Int { self == .wide ? 8 : 6 }
    /// Panels of B one kernel call covers.
    var panelsPerTile: Int { self == .wide ? 2 : 1 }
    /// Panels of B one call of the M = 1 row kernel covers.
    var panelsPerRow: Int { self == .wide ? 8 : 4 }
}

/// How M rows split into slivers of `tall` (6 or 8) and 4 rows with the least padding:
/// `countTall` slivers of `tall` rows, then `count4` of 4; rows past M are zero in the packed A
/// and never stored.
struct SliverPlan {
    let tall: Int
    let countTall: Int
    let count4: Int

    init(rows m: Int, tile: GemmTile) {
        tall = tile.tallHeight
        let q = m / tall, r = m % tall
        if tall == 8 {
            // 1 to 4 rows left: one sliver of 4; 5 to 7: one more of 8.
            (countTall, count4) = r == 0 ? (q, 0) : r <= 4 ? (q, 1) : (q + 1, 0)
        } else {
            switch r {
            case 0: (countTall, count4) = (q, 0)
            case 3, 4: (countTall, count4) = (q, 1)
            case 5: (countTall, count4) = (q + 1, 0)
            default: (countTall, count4) = q >= 1 ? (q - 1, 2) : (0, 1)  // 1, 2 rows left
            }
        }
    }

    var count: Int { countTall + count4 }

    /// The rows of all slivers, M plus the padding.
    var paddedRows: Int { tall * countTall + 4 * count4 }

    /// The first row of sliver s.
    @inline(__always)
    func row(_ s: Int) -> Int { s < countTall ? tall * s : tall * countTall + 4 * (s - countTall) }

    @inline(__always)
    func height(_ s: Int) -> Int { s < countTall ? tall : 4 }

    var cValue: rk_slivers { rk_slivers(tall: tall, count_tall: countTall, count4: count4) }
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
    /// Panels of B a sliver of A runs along before the next sliver: as many as fill a quarter
    /// of a core's L2 cache at kc = `kcMax` (8 for 1 MB).
    static let ncPanels = max(2, min(32, MachineProfile.current.l2Bytes / 4 / (packedPanelWidth * kcMax * 4)))
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

extension GemmPlan {
    /// The arguments of one kc block of the packed product (see `rk_gemm_block`).
    func block<Scalar>(
        _ b: PackedMatrix<Scalar>, _ c: MutableMatrixView<Scalar>, slivers range: Range<Int>,
        packedA: UnsafeMutablePointer<Scalar>, k0: Int, kl: Int, panels: Range<Int>, load: Bool,
        edge: UnsafeMutablePointer<Scalar>
    ) -> rk_gemm_block {
        rk_gemm_block(
            b: UnsafeRawPointer(b.storage.base), panel_stride: b.rows * packedPanelWidth, n: b.cols,
            c: UnsafeMutableRawPointer(c.base), m: c.rows, ldc: c.rowStride, slivers: slivers.cValue,
            s0: range.lowerBound, s1: range.upperBound, packed_a: UnsafeRawPointer(packedA), k0: k0, kl: kl,
            p0: panels.lowerBound, p1: panels.upperBound, nc_panels: Self.ncPanels, load: load ? 1 : 0,
            wide: tile == .wide ? 1 : 0, edge: UnsafeMutableRawPointer(edge))
    }
}
