import CRecurrentKernels

// Swift's entries to the element-wise array kernels (`body/vectors.h`).

/// `dst[0 ..< n] += src[0 ..< n]`.
@inline(__always)
func addLanes<S: RecurrentScalar>(_ dst: UnsafeMutablePointer<S>, _ src: UnsafePointer<S>, _ n: Int,
                                  table: UnsafePointer<rk_kernels>) {
    table.pointee.add(n, src, dst)
}

/// Whether every one of `values` is finite (no NaN, no infinity), by the kernels' vector check:
/// for inputs and parameters, where Swift's element-by-element check (`Tensor.isFinite`) costs a
/// pass of its own.
func allFinite<S: RecurrentScalar>(_ values: [S], kernels: Kernels) -> Bool {
    values.withUnsafeBufferPointer { p in
        guard let base = p.baseAddress else { return true }
        return kernels.table(S.self).pointee.all_finite(p.count, base) != 0
    }
}

/// `out[j] += Σ_r m[r, j]` for a row-major `rows × cols` matrix, summing rows in order (and
/// the same into `second`, from the same pass over m). Large sums are split by columns between
/// threads, which changes no result.
func addColumnSums<Scalar: RecurrentScalar>(
    _ m: UnsafePointer<Scalar>, rows: Int, cols: Int, into out: UnsafeMutablePointer<Scalar>,
    and second: UnsafeMutablePointer<Scalar>? = nil, kernels: Kernels
) {
    let table = kernels.table(Scalar.self)
    // Blocks of 16 columns, so every thread's part starts on a whole vector.
    let vectors = (cols + 15) / 16
    forEachRowBlock(vectors, elementsPerRow: 16 * rows, kernels: kernels) { block in
        let j0 = 16 * block.lowerBound, width = min(cols, 16 * block.upperBound) - j0
        table.pointee.add_column_sums(m + j0, rows, cols, width, out + j0, second.map { $0 + j0 })
    }
}
