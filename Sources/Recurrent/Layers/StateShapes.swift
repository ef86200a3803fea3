extension RecurrentConfiguration {
    /// A state in PyTorch's shapes, `h` `(L·D, B, Hout)` and `c` `(L·D, B, H)` (without B when
    /// unbatched), checked and flattened; empty arrays for a nil state (zeros).
    /// - Throws: `RecurrentError` naming the state at fault: a wrong shape, a non-finite value, a
    ///   c for a cell without a memory cell, or none for one with it.
    func flatState<Scalar: RecurrentScalar>(_ state: RecurrentState<Scalar>?, batch: Int, isBatched: Bool) throws
        -> (h: [Scalar], c: [Scalar])
    {
        guard let state else { return ([], []) }
        let rows = layers * directions
        let hShape = isBatched ? [rows, batch, stateSize] : [rows, stateSize]
        guard state.h.shape == hShape else {
            throw RecurrentError.shape("initial state h: expected shape \(describeShape(hShape)), got \(describeShape(state.h.shape))")
        }
        guard state.h.isFinite else { throw RecurrentError.value("initial state h contains NaN or infinity") }
        guard let c = state.c else {
            // As nn.LSTM: h and c together, or neither.
            guard !cell.hasCellState else {
                throw RecurrentError.value("initial state: \(summary) takes h and c together; c is missing")
            }
            return (state.h.scalars, [])
        }
        guard cell.hasCellState else {
            throw RecurrentError.value("initial state c is only for a cell with a memory cell (an LSTM), this is \(summary)")
        }
        let cShape = isBatched ? [rows, batch, hiddenSize] : [rows, hiddenSize]
        guard c.shape == cShape else {
            throw RecurrentError.shape("initial state c: expected shape \(describeShape(cShape)), got \(describeShape(c.shape))")
        }
        guard c.isFinite else { throw RecurrentError.value("initial state c contains NaN or infinity") }
        return (state.h.scalars, c.scalars)
    }

    /// Final states `(L·D, B, ·)` flat, in PyTorch's shapes.
    func state<Scalar: RecurrentScalar>(h: Buffer<Scalar>, c: Buffer<Scalar>?, batch: Int, isBatched: Bool) -> RecurrentState<Scalar> {
        let rows = layers * directions
        func shape(_ size: Int) -> [Int] { isBatched ? [rows, batch, size] : [rows, size] }
        return RecurrentState(h: Tensor(uncheckedShape: shape(stateSize), scalars: h.array),
                              c: c.map { Tensor(uncheckedShape: shape(hiddenSize), scalars: $0.array) })
    }
}
