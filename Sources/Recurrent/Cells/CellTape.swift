/// What one direction of one layer keeps from a forward pass so the backward pass can run.
/// Every buffer is indexed by time step t (not by processing order), shape `(T, B, ·)`.
final class CellTape<Scalar: RecurrentScalar>: @unchecked Sendable {
    // Invariant (why `@unchecked Sendable`): each buffer is written by the forward pass (every participant its own region) and only read by the backward pass after it.
    let geometry: CellGeometry
    let steps: Int
    let batch: Int
    /// (T, B, G·H): the gate activations of each step (the simple RNN's: s_t itself).
    let gates: Buffer<Scalar>
    /// (T, B, Hout): the visible state entering each step.
    let hPrev: Buffer<Scalar>
    /// With a memory cell (T, B, H): c_{t-1} entering each step, and c_t leaving it.
    let cPrev: Buffer<Scalar>?
    let cells: Buffer<Scalar>?
    /// LSTM with projection (T, B, H): o ⊙ tanh(c_t), before the projection.
    let hRaw: Buffer<Scalar>?
    /// A cell that keeps its recurrent part apart (the GRU), (T, B, H): W_hn h_{t-1} + b_hn.
    let ghn: Buffer<Scalar>?

    init(geometry g: CellGeometry, steps: Int, batch: Int) {
        geometry = g
        self.steps = steps
        self.batch = batch
        let tb = steps * batch
        gates = Buffer(uninitializedCount: tb * g.gateRows)
        hPrev = Buffer(uninitializedCount: tb * g.stateSize)
        cPrev = g.hasCellState ? Buffer(uninitializedCount: tb * g.hiddenSize) : nil
        cells = g.hasCellState ? Buffer(uninitializedCount: tb * g.hiddenSize) : nil
        hRaw = g.projectionSize > 0 ? Buffer(uninitializedCount: tb * g.hiddenSize) : nil
        ghn = g.traits.keepsRecurrentPartApart ? Buffer(uninitializedCount: tb * g.hiddenSize) : nil
    }

    /// Where each buffer starts, for time loops that take them once rather than following the
    /// tape's references at every step.
    struct Bases {
        let gates: UnsafeMutablePointer<Scalar>, hPrev: UnsafeMutablePointer<Scalar>
        let cPrev: UnsafeMutablePointer<Scalar>?, cells: UnsafeMutablePointer<Scalar>?, ghn: UnsafeMutablePointer<Scalar>?
    }

    var bases: Bases { Bases(gates: gates.base, hPrev: hPrev.base, cPrev: cPrev?.base, cells: cells?.base, ghn: ghn?.base) }

    /// Bytes held, for memory reports.
    var byteCount: Int {
        [gates, hPrev, cPrev, cells, hRaw, ghn].compactMap { $0?.count }.reduce(0, +)
            * MemoryLayout<Scalar>.stride
    }
}

/// Which batch rows are still inside their sequence at each time step, from per-sequence
/// lengths. A row past its length keeps its state and outputs zeros, as PyTorch's packed
/// sequences do; the reverse direction starts each row at its own last valid step.
struct StepMask: Sendable {
    let lengths: [Int]?

    /// Whether row b takes part in step t.
    @inline(__always)
    func isActive(_ b: Int, at t: Int) -> Bool {
        guard let lengths else { return true }
        return t < lengths[b]
    }

    /// Whether every row takes part in step t (the common, fast case).
    @inline(__always)
    func allActive(at t: Int) -> Bool {
        guard let lengths else { return true }
        return lengths.allSatisfy { t < $0 }
    }
}
