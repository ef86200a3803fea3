import CRecurrentKernels

/// The right operand of row-times-matrix products (M = 1, a batch-1 time step), `K × N`,
/// repacked into column blocks that each stream in order: block q holds its `width` columns
/// row after row, `B[k, column(q, s)]` at `base[(q · K + k) · width + s]`, zero where a slot has
/// no column. `width` is a multiple of 16, at most 128.
///
/// The columns of a block are chosen by the caller, so a block can hold every gate of a few
/// hidden units (i, f, g, o of units j₀ ..< j₀ + n): one product then gives all a cell needs to
/// finish those units, and threads can share out the blocks with no step between them.
struct RowBlockMatrix<Scalar: RecurrentScalar>: @unchecked Sendable {
    // Invariant: `storage` is written once, in `init`, and only read afterwards.
    /// K, the shared dimension.
    let rows: Int
    /// Columns per block (a multiple of 16).
    let width: Int
    let blockCount: Int
    let storage: Buffer<Scalar>

    /// Packs `b` (`K × N`, any strides); slot s of block q holds column `column(q, s)`, or zeros
    /// for nil.
    init(_ b: MatrixView<Scalar>, blocks: Int, width: Int, column: (_ block: Int, _ slot: Int) -> Int?) {
        precondition(width % 16 == 0 && width <= 128, "row block width \(width)")
        rows = b.rows
        self.width = width
        blockCount = blocks
        storage = Buffer(count: blocks * b.rows * width)
        let k = b.rows
        if b.rowStride == 1 {
            // Columns contiguous (Wᵀ of a row-major W): k outer, slots inner, so the block's
            // columns are read 16 k at a time from L1 and each row of the block written once.
            let zeros = Buffer<Scalar>(count: k)
            var sources = [UnsafePointer<Scalar>](repeating: UnsafePointer(zeros.base), count: width)
            for q in 0..<blocks {
                for s in 0..<width { sources[s] = column(q, s).map { b.base + $0 * b.colStride } ?? UnsafePointer(zeros.base) }
                var dst = storage.base + q * k * width
                sources.withUnsafeBufferPointer { src in
                    for kk in 0..<k {
                        for s in 0..<width { dst[s] = src[s][kk] }
                        dst += width
                    }
                }
            }
            withExtendedLifetime(zeros) {}
            return
        }
        if b.colStride == 1 {
            // Rows contiguous (a row-major W as B): each row of the block from one row of B.
            for q in 0..<blocks {
                let slots = (0..<width).compactMap { s in column(q, s).map { (s, $0) } }
                var dst = storage.base + q * k * width
                for kk in 0..<k {
                    let row = b.base + kk * b.rowStride
                    for (s, j) in slots { dst[s] = row[j] }
                    dst += width
                }
            }
            return
        }
        for q in 0..<blocks {
            let block = storage.base + q * k * width
            for s in 0..<width {
                guard let j = column(q, s) else { continue }
                var src = b.base + j * b.colStride, dst = block + s
                for _ in 0..<k {
                    dst.pointee = src.pointee
                    src += b.rowStride
                    dst += width
                }
            }
        }
    }

    /// `tile[0 ..< width] += x · B[:, block q]`: every element `c₀ + x₀b₀ + … + x_{K-1}b_{K-1}` in
    /// k order, as the contract on `gemm` requires, so the result is bit-identical to `gemm`'s.
    @inline(__always)
    func accumulate(block q: Int, x: UnsafePointer<Scalar>, into tile: UnsafeMutablePointer<Scalar>,
                    table: UnsafePointer<rk_kernels>) {
        table.pointee.row_block(rows, x, storage.base + q * rows * width, width / 16, tile)
    }
}
