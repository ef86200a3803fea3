import Foundation

/// One cell's weights repacked for the forward pass's kernels, made on first use and kept:
/// a network called again and again with the same weights (inference, a stream of steps) packs
/// them once, as ONNX Runtime pre-packs at load time. Only for weights that do not change:
/// `RecurrentNetwork` drops its packs whenever its parameters change; training never uses them.
final class CellPacks<Scalar: RecurrentScalar>: @unchecked Sendable {
    // Invariant (why `@unchecked Sendable`): every stored pack is made under `lock` and only read after.
    private let lock = NSLock()
    private var inputWeights: PackedMatrix<Scalar>?
    private var recurrentWeights: PackedMatrix<Scalar>?
    private var projectionWeights: PackedMatrix<Scalar>?
    private var recurrentRowBlocks: RowBlockMatrix<Scalar>?
    private var inputRowBlocks: PackedMatrix<Scalar>?
    /// The layout both row packs were made for: the gate row of every column
    /// (`RowBlockLayout.columnRows()`). It depends on the thread count, and two layouts of one
    /// width can order the gates differently (8 blocks of 64 columns, 4 of 128).
    private var rowLayout: [Int] = []

    /// W_ihᵀ packed for `gemm`.
    func input(_ make: () -> PackedMatrix<Scalar>) -> PackedMatrix<Scalar> { get(\.inputWeights, make) }
    /// W_hhᵀ packed for `gemm`.
    func recurrent(_ make: () -> PackedMatrix<Scalar>) -> PackedMatrix<Scalar> { get(\.recurrentWeights, make) }
    /// W_hrᵀ packed for `gemm`.
    func projection(_ make: () -> PackedMatrix<Scalar>) -> PackedMatrix<Scalar> { get(\.projectionWeights, make) }
    /// W_ihᵀ packed for `gemm` with its columns in the row blocks of the batch-1 path, laid out
    /// as `columnRows` says.
    func inputRows(layout columnRows: [Int], _ make: () -> PackedMatrix<Scalar>) -> PackedMatrix<Scalar> {
        get(\.inputRowBlocks, make, layout: columnRows)
    }
    /// W_hhᵀ in the row blocks of the batch-1 path, laid out as `columnRows` says.
    func recurrentRows(layout columnRows: [Int], _ make: () -> RowBlockMatrix<Scalar>) -> RowBlockMatrix<Scalar> {
        get(\.recurrentRowBlocks, make, layout: columnRows)
    }

    /// The pack in `slot`, made first if missing; a row pack (`layout` given) made for another
    /// layout is dropped with its sibling first, under the same lock.
    private func get<T>(_ slot: ReferenceWritableKeyPath<CellPacks, T?>, _ make: () -> T, layout: [Int]? = nil) -> T {
        lock.lock()
        defer { lock.unlock() }
        if let layout, layout != rowLayout {
            (inputRowBlocks, recurrentRowBlocks, rowLayout) = (nil, nil, layout)
        }
        if let made = self[keyPath: slot] { return made }
        let made = make()
        self[keyPath: slot] = made
        return made
    }
}

/// The packs of every cell of a network, by layer then direction.
final class NetworkPacks<Scalar: RecurrentScalar>: @unchecked Sendable {
    // Invariant (why `@unchecked Sendable`): `cells` is set once; each `CellPacks` guards itself.
    let cells: [[CellPacks<Scalar>]]

    init(layers: Int, directions: Int) {
        cells = (0..<layers).map { _ in (0..<directions).map { _ in CellPacks() } }
    }
}
