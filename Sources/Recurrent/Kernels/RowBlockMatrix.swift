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
    init(_ b: MatrixView<Scalar>, blocks: Int, width: Int, kernels: Kernels,
         column: (_ block: Int, _ slot: Int) -> Int?) {
        var columns = [Int](repeating: -1, count: blocks * width)
        for q in 0..<blocks {
            for s in 0..<width { if let j = column(q, s) { columns[q * width + s] = j } }
        }
        self.init(b, blocks: blocks, width: width, kernels: kernels, columns: columns)
    }

    /// Packs `b`; slot s of block q holds column `columns[q · width + s]`, or zeros where that is
    /// negative (`columns` has `blocks · width` entries).
    init(_ b: MatrixView<Scalar>, blocks: Int, width: Int, kernels: Kernels, columns: [Int]) {
        precondition(width % 16 == 0 && width <= 128 && columns.count == blocks * width, "row block width \(width)")
        rows = b.rows
        self.width = width
        blockCount = blocks
        storage = Buffer(uninitializedCount: blocks * b.rows * width)
        var source = b.cMatrix
        columns.withUnsafeBufferPointer { cols in
            kernels.table(Scalar.self).pointee.pack_row_blocks(&source, cols.baseAddress!, blocks, width, storage.base)
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
