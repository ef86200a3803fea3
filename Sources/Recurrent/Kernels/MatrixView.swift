/// A read-only strided view of a `rows × cols` matrix: element (i, j) is at
/// `base[i * rowStride + j * colStride]`. A transpose is a view with the strides swapped,
/// so the kernels never copy to transpose.
struct MatrixView<Scalar>: @unchecked Sendable {
    // Invariant (why `@unchecked Sendable`): a view only reads, and its creator keeps the memory alive while it is used.
    var base: UnsafePointer<Scalar>
    var rows: Int
    var cols: Int
    var rowStride: Int
    var colStride: Int

    /// A row-major matrix with rows `rowStride` elements apart (`rowStride >= cols`).
    init(_ base: UnsafePointer<Scalar>, rows: Int, cols: Int, rowStride: Int? = nil) {
        self.base = base
        self.rows = rows
        self.cols = cols
        self.rowStride = rowStride ?? cols
        self.colStride = 1
    }

    init(_ base: UnsafePointer<Scalar>, rows: Int, cols: Int, rowStride: Int, colStride: Int) {
        self.base = base
        self.rows = rows
        self.cols = cols
        self.rowStride = rowStride
        self.colStride = colStride
    }

    init(_ base: UnsafeMutablePointer<Scalar>, rows: Int, cols: Int, rowStride: Int? = nil) {
        self.init(UnsafePointer(base), rows: rows, cols: cols, rowStride: rowStride)
    }

    /// The transposed matrix (`cols × rows`), sharing the same elements.
    var transposed: MatrixView {
        MatrixView(base, rows: cols, cols: rows, rowStride: colStride, colStride: rowStride)
    }

    @inline(__always)
    subscript(i: Int, j: Int) -> Scalar { base[i * rowStride + j * colStride] }
}

/// A mutable row-major `rows × cols` matrix with rows `rowStride` elements apart.
struct MutableMatrixView<Scalar>: @unchecked Sendable {
    // Invariant (why `@unchecked Sendable`): its creator keeps the memory alive, and threads sharing a view write disjoint elements.
    var base: UnsafeMutablePointer<Scalar>
    var rows: Int
    var cols: Int
    var rowStride: Int

    init(_ base: UnsafeMutablePointer<Scalar>, rows: Int, cols: Int, rowStride: Int? = nil) {
        self.base = base
        self.rows = rows
        self.cols = cols
        self.rowStride = rowStride ?? cols
    }

    var readOnly: MatrixView<Scalar> { MatrixView(base, rows: rows, cols: cols, rowStride: rowStride) }
}
