/// An n-dimensional array of `Scalar`, stored contiguously in row-major (C) order.
///
/// Shapes follow PyTorch: a sequence batch is `(T, B, X)`, a weight matrix `(rows, cols)` with
/// rows = outputs, a bias `(n)`, a scalar `()`. A tensor is a value: copies are cheap until
/// one of them is mutated.
public struct Tensor<Scalar: RecurrentScalar>: Equatable, Sendable {
    /// The size of each dimension, outermost first.
    public private(set) var shape: [Int]
    /// The elements in row-major order; `scalars.count` is the product of `shape`.
    public private(set) var scalars: [Scalar]

    /// Makes a tensor from a shape and its elements in row-major order.
    /// - Throws: `RecurrentError` (`.shape`) when the element count does not match the shape.
    public init(shape: [Int], scalars: [Scalar]) throws {
        let count = try Self.elementCount(shape)
        guard count == scalars.count else {
            throw RecurrentError.shape(
                "tensor of shape \(describeShape(shape)) needs \(count) values, got \(scalars.count)")
        }
        self.shape = shape
        self.scalars = scalars
    }

    /// Makes a tensor of the given shape with every element equal to `value`.
    /// - Throws: `RecurrentError` for a negative dimension, or a shape too large to count or to
    ///   fit in this machine's memory.
    public init(shape: [Int], repeating value: Scalar) throws {
        let count = try Self.elementCount(shape)
        try MemoryBudget.require(MemoryBudget.product([count, MemoryLayout<Scalar>.stride]),
                                 for: "a tensor of shape \(describeShape(shape))")
        self.shape = shape
        self.scalars = Array(repeating: value, count: count)
    }

    /// Makes a tensor of zeros (see `init(shape:repeating:)`).
    public init(zeros shape: [Int]) throws {
        try self.init(shape: shape, repeating: 0)
    }

    /// The number of elements of `shape`.
    /// - Throws: `RecurrentError` (`.shape`) for a negative dimension or a count that overflows.
    static func elementCount(_ shape: [Int]) throws -> Int {
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw RecurrentError.shape("tensor shape \(describeShape(shape)) has a negative dimension")
        }
        guard let count = MemoryBudget.product(shape) else {
            throw RecurrentError.shape("tensor shape \(describeShape(shape)) has too many elements to count")
        }
        return count
    }

    /// Makes a rank-0 tensor holding one value.
    public init(_ value: Scalar) {
        self.shape = []
        self.scalars = [value]
    }

    /// Makes a vector, shape `(n)`.
    public init(_ vector: [Scalar]) {
        self.shape = [vector.count]
        self.scalars = vector
    }

    /// Makes a matrix from its rows, shape `(rows, cols)`.
    /// - Throws: `RecurrentError` (`.shape`) when the rows differ in length.
    public init(_ rows: [[Scalar]]) throws {
        let cols = rows.first?.count ?? 0
        if let bad = rows.firstIndex(where: { $0.count != cols }) {
            throw RecurrentError.shape("matrix row \(bad) has \(rows[bad].count) values, row 0 has \(cols)")
        }
        self.shape = [rows.count, cols]
        self.scalars = rows.flatMap { $0 }
    }

    /// Internal: wraps elements whose count is known to match.
    init(uncheckedShape shape: [Int], scalars: [Scalar]) {
        assert(shape.reduce(1, *) == scalars.count)
        self.shape = shape
        self.scalars = scalars
    }

    /// The number of dimensions.
    public var rank: Int { shape.count }
    /// The number of elements.
    public var count: Int { scalars.count }

    /// The element at the given indices, one per dimension.
    public subscript(indices: Int...) -> Scalar {
        get { scalars[flatIndex(indices)] }
        set { scalars[flatIndex(indices)] = newValue }
    }

    /// As `Array`'s subscript, an index out of range is the calling code's error (a trap), not
    /// the input's: no reader of files or arguments indexes a tensor with values it read.
    private func flatIndex(_ indices: [Int]) -> Int {
        precondition(indices.count == shape.count, "expected \(shape.count) indices, got \(indices.count)")
        var flat = 0
        for (index, size) in zip(indices, shape) {
            precondition(index >= 0 && index < size, "index \(index) out of range 0..<\(size)")
            flat = flat * size + index
        }
        return flat
    }

    /// The same elements viewed with another shape of equal element count.
    /// - Throws: `RecurrentError` (`.shape`) when the counts differ.
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        try Tensor(shape: newShape, scalars: scalars)
    }

    /// The elements converted to another scalar type (rounding to nearest).
    public func converted<Other: RecurrentScalar>(to: Other.Type = Other.self) -> Tensor<Other> {
        Tensor<Other>(uncheckedShape: shape, scalars: scalars.map { Other($0) })
    }

    /// The tensor with its first two dimensions swapped: `(A, B, ...)` becomes `(B, A, ...)`.
    /// Converts between sequence-first `(T, B, X)` and batch-first `(B, T, X)` layouts.
    /// - Throws: `RecurrentError` (`.shape`) for a tensor of fewer than two dimensions.
    public func swappingFirstTwoAxes() throws -> Tensor {
        guard rank >= 2 else { throw RecurrentError.shape("swapping the first two axes needs two dimensions, got \(describeShape(shape))") }
        try MemoryBudget.require(MemoryBudget.product([count, MemoryLayout<Scalar>.stride]),
                                 for: "a copy of a tensor of shape \(describeShape(shape)) with its first two axes swapped")
        return swappedFirstTwoAxes()
    }

    /// `swappingFirstTwoAxes` for the library's own tensors of rank 2 or more (made just
    /// before, with a shape it chose).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func swappedFirstTwoAxes() -> Tensor {
        var newShape = shape
        newShape.swapAt(0, 1)
        // No elements, nothing to move (and a (4e12, 0, 3) tensor must not loop 4e12 times).
        if scalars.isEmpty { return Tensor(uncheckedShape: newShape, scalars: []) }
        let a = shape[0], b = shape[1]
        let inner = shape.dropFirst(2).reduce(1, *)
        var out = [Scalar](repeating: 0, count: scalars.count)
        scalars.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<a {
                    for j in 0..<b {
                        let from = (i * b + j) * inner, to = (j * a + i) * inner
                        for k in 0..<inner { dst[to + k] = src[from + k] }
                    }
                }
            }
        }
        return Tensor(uncheckedShape: newShape, scalars: out)
    }

    /// Whether every element is finite (no NaN, no infinity).
    public var isFinite: Bool { allFinite(scalars) }

    /// The largest absolute difference between corresponding elements; infinity when the
    /// shapes differ or either holds a NaN.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func maxAbsoluteDifference(_ other: Tensor) -> Scalar {
        guard shape == other.shape else { return .infinity }
        var worst: Scalar = 0
        for (a, b) in zip(scalars, other.scalars) {
            let d = abs(a - b)
            if d.isNaN { return .infinity }
            worst = max(worst, d)
        }
        return worst
    }

    /// Calls `body` with a pointer to the contiguous elements.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Scalar>) throws -> R) rethrows -> R {
        try scalars.withUnsafeBufferPointer(body)
    }

    /// Calls `body` with a mutable pointer to the contiguous elements; the shape is unchanged.
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (inout UnsafeMutableBufferPointer<Scalar>) throws -> R
    ) rethrows -> R {
        try scalars.withUnsafeMutableBufferPointer(body)
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let preview = scalars.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor\(describeShape(shape))[\(preview)\(scalars.count > 8 ? ", ..." : "")]"
    }
}

/// Whether every element is finite (no NaN, no infinity): for small checks (states, single
/// steps); network inputs and parameters use the kernels' `allFinite(_:kernels:)`.
func allFinite<S: RecurrentScalar>(_ values: [S]) -> Bool {
    values.allSatisfy(\.isFinite)
}

extension Tensor {
    /// The index, one entry per axis, of the first element that is NaN or infinite; nil when
    /// all are finite. A message can then point into the file or array as its reader sees it.
    public var firstNonFiniteIndex: [Int]? {
        scalars.firstIndex(where: { !$0.isFinite }).map { multiIndex($0, in: shape) }
    }
}

/// The index, one entry per axis, of element `flat` of a row-major array of `shape` (which
/// holds it: every axis is then at least 1).
public func multiIndex(_ flat: Int, in shape: [Int]) -> [Int] {
    var (flat, index) = (flat, [Int](repeating: 0, count: shape.count))
    for axis in shape.indices.reversed() where shape[axis] > 0 {
        (flat, index[axis]) = flat.quotientAndRemainder(dividingBy: shape[axis])
    }
    return index
}
