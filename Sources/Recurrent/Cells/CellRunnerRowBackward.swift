import CRecurrentKernels

/// Backpropagation through time for a batch of one, the mirror of `recurRows`.
///
/// Participant p owns a contiguous range of hidden units for the whole sequence. Per step, in
/// two phases:
///   1. the cell's element-wise backward for its units: ∂L/∂A_t of their gates (and ∂L/∂c_{t-1}
///      of their cells), from ∂L/∂h_t of its own units only;
///   — the participants meet (∂A_t is complete) —
///   2. ∂L/∂h_{t-1} of its units = (direct part) + ∂A_t · W_hh[:, units], W_hh in row blocks
///      of hidden units, so each thread reads only its columns, from its own cache.
/// Phase 1 of the next step needs only what phase 2 of this one wrote for the same units, so
/// one meeting per step suffices. Sums and element-wise code are the general path's, so the
/// numbers are bit-identical to it.
extension CellRunner {
    /// Hidden units (columns of W_hh) per row block of the backward product: 64, or H rounded
    /// up to 16 when smaller (four vectors stream as fast as eight, and share out more evenly).
    static func backwardBlockWidth(hidden: Int) -> Int {
        min(64, (hidden + 15) / 16 * 16)
    }

    /// The time loop of `backward` for a batch of one: fills `dA` (and `dAh`, the GRU's
    /// recurrent part) for every step, turns `dh` (∂L/∂h_T in) into ∂L/∂h_0 and `dc` likewise.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func backRows(
        tape: CellTape<Scalar>, dOutput: UnsafePointer<Scalar>?, dOutputStride: Int,
        dA: UnsafeMutablePointer<Scalar>, dAh: UnsafeMutablePointer<Scalar>,
        dh: UnsafeMutablePointer<Scalar>, dc: UnsafeMutablePointer<Scalar>
    ) {
        let g = geometry, T = steps, H = g.hiddenSize, GH = g.gateRows
        let w = Self.backwardBlockWidth(hidden: H)
        let blocks = (H + w - 1) / w
        let table = self.table
        let whh = RowBlockMatrix(MatrixView(weights.weightHH, rows: GH, cols: H), blocks: blocks, width: w, kernels: kernels) { q, s in
            q * w + s < H ? q * w + s : nil
        }
        // ∂L/∂h of the step being processed in dhs[s % 2], of the one before in the other half.
        let dhs = Buffer<Scalar>(count: 2 * H, copying: dh)

        /// Phase 1 of step s for units j0 ..< j0 + units: ∂A_t of their gates.
        func gates(_ s: Int, j0: Int, units: Int) {
            let t = time(ofStep: T - 1 - s)
            let d = dhs.base + (s & 1) * H + j0, dPrev = dhs.base + ((s + 1) & 1) * H + j0
            if mask.isActive(0, at: t) {
                if let dOutput { addLanes(d, dOutput + t * dOutputStride + j0, units, table: table) }
                elementwiseBackward(tape, t: t, j0: j0, units: units, dh: d, dc: dc + j0, dA: dA + t * GH,
                                    dAh: dAh + t * GH, dhPrev: dPrev)
            } else {
                // Past the sequence's end: nothing flows into the step's parameters.
                for gate in 0..<g.kind.gateCount {
                    (dA + t * GH + gate * H + j0).update(repeating: 0, count: units)
                    if dAh != dA { (dAh + t * GH + gate * H + j0).update(repeating: 0, count: units) }
                }
            }
        }

        /// Phase 2 of step s for `blockRange`: ∂L/∂h_{t-1} of their units, (+)= ∂A_t · W_hh.
        func product(_ s: Int, _ blockRange: Range<Int>, j0: Int, units: Int, tile: UnsafeMutablePointer<Scalar>) {
            let t = time(ofStep: T - 1 - s)
            let d = dhs.base + (s & 1) * H + j0, dPrev = dhs.base + ((s + 1) & 1) * H + j0
            guard mask.isActive(0, at: t) else {
                dPrev.update(from: d, count: units)
                return
            }
            table.pointee.row_back_product(GH, dAh + t * GH, whh.storage.base, w, H, blockRange.lowerBound,
                                           blockRange.upperBound, dPrev, tile,
                                           g.kind.hasDirectStateGradient ? 1 : 0)
        }

        shareRowBlocks(blocks, tileElements: w) { p, meeting, tile in
            guard meeting.isShared else {
                let units = H
                for s in 0..<T {
                    gates(s, j0: 0, units: units)
                    product(s, 0..<blocks, j0: 0, units: units, tile: tile)
                }
                return
            }
            for s in 0..<T {
                let range = meeting.begin(p, step: s)
                let j0 = min(H, range.lowerBound * w), units = min(H, range.upperBound * w) - j0
                let start = recurrent_ticks()
                gates(s, j0: j0, units: units)
                let middle = recurrent_ticks()
                meeting.meet(p, 2 * s)
                let resumed = recurrent_ticks()
                product(s, range, j0: j0, units: units, tile: tile)
                meeting.addBusy(p, (middle &- start) &+ (recurrent_ticks() &- resumed))
                // Phase 1 of the next step reads what this phase 2 wrote for the same units:
                // when the units change hands, everyone must have finished first.
                if meeting.sharesMayChange(after: s) { meeting.meet(p, 2 * s + 1) }
            }
        }
        dh.update(from: dhs.base + (T & 1) * H, count: H)
    }

    /// The cell's element-wise backward at step t for units `j0 ..< j0 + units` (pointers `dh`,
    /// `dc`, `dhPrev` already at unit j0; `dA`, `dAh` at step t's row): ∂A of their gates, the
    /// direct part of ∂L/∂h_{t-1} where the cell has one, ∂L/∂c_{t-1} for the LSTM.
    @inline(__always)
    func elementwiseBackward(
        _ tape: CellTape<Scalar>, t: Int, j0: Int, units: Int, dh: UnsafeMutablePointer<Scalar>,
        dc: UnsafeMutablePointer<Scalar>, dA: UnsafeMutablePointer<Scalar>, dAh: UnsafeMutablePointer<Scalar>,
        dhPrev: UnsafeMutablePointer<Scalar>
    ) {
        let g = geometry, H = g.hiddenSize, GH = g.gateRows, state = t * H + j0
        var step = rk_cell_back(
            gates: tape.gates.base + t * GH + j0, aux: tape.ghn.map { $0.base + state },
            h_prev: tape.hPrev.base + state, c_prev: tape.cPrev.map { $0.base + state },
            c: tape.cells.map { $0.base + state }, dh: dh, dc: dc, d_gates: dA + j0, d_recurrent: dAh + j0,
            dh_prev: dhPrev, rows: 1, units: units, gate_stride: H, gates_ld: GH, state_ld: H,
            nonlinearity: g.nonlinearity == .tanh ? 0 : 1)
        table.pointee.cell_backward(g.kind.kernelID, &step)
    }
}
