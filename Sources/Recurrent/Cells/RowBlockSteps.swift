import CRecurrentKernels

// The steps of a batch of one (a stream, online use), where a step is one row times W_hhᵀ and
// the cell's kernel, so its cost is reading W_hh and the per-step overhead.
//
// The gates are kept in row blocks (`RowBlockLayout`), each holding every gate of a few hidden
// units: for the LSTM, block q is [i, f, g, o] of units j₀ ..< j₀ + n, each gate's n columns side
// by side. W_hhᵀ is repacked that way (`RowBlockMatrix`), and so are W_ih and the biases, so the
// input projection of all steps comes out in blocks too. A block's product, started in place
// from the input projection of its columns, is all the cell needs to finish those units, so each
// thread takes a range of blocks (its part of W_hh stays in its core's cache from step to step)
// and does the product and the kernel for its units; the threads meet once per step. Every
// element is summed as `gemm` sums it, and the kernel is the same, so the numbers are
// bit-identical to the batched steps'.

/// Where the gates of a batch-1 step sit in row blocks: block q holds the G gates of units
/// q·u ..< q·u + n (n = u but for the last block), gate by gate, then zeros up to `width`.
struct RowBlockLayout: Sendable {
    let gates: Int
    let hidden: Int
    /// Units per block: as many as fill up to 8 vectors of 16 lanes with all the gates (4 when
    /// threads share the blocks), at least 16. Four vectors stream from L2 as fast as eight
    /// (measured on Zen 4) and make blocks small enough for threads to share them out evenly
    /// (see `RowBlockSplit`); one thread alone gains from the longer independent chains of eight.
    let units: Int
    let blocks: Int
    /// Columns per block, a multiple of 16.
    let width: Int

    init(_ geometry: CellGeometry, shared: Bool) {
        gates = geometry.traits.gateCount
        hidden = geometry.hiddenSize
        units = 16 * max(1, (shared ? 4 : 8) / gates)
        blocks = (hidden + units - 1) / units
        width = (gates * units + 15) / 16 * 16
    }

    /// All the blocks' columns.
    var columns: Int { blocks * width }

    /// The most columns a layout adds to the G·H gate rows (what memory estimates allow per
    /// step): the last block's missing units, at most G·u ≤ 128 columns for G ≤ 8 (u = 16·8/G),
    /// and the rounding of its width to 16.
    static let maximumPadding = 128 + 15

    /// The units of block q.
    func unitCount(_ q: Int) -> Int { min(units, hidden - q * units) }

    /// The gate row (PyTorch's order, G blocks of H) of every column of the whole layout, -1 for
    /// padding: slot `gate · n + u` of block q holds gate row `gate · H + q · units + u`.
    func columnRows() -> [Int] {
        var rows = [Int](repeating: -1, count: columns)
        for q in 0..<blocks {
            let n = unitCount(q)
            for gate in 0..<gates {
                for u in 0..<n { rows[q * width + gate * n + u] = gate * hidden + q * units + u }
            }
        }
        return rows
    }

    /// The hidden units of blocks `range`.
    func units(of range: Range<Int>) -> Range<Int> { min(hidden, range.lowerBound * units)..<min(hidden, range.upperBound * units) }
}

/// The forward steps of a batch of one for one participant of the `meeting` (see above).
struct RowBlockSteps<Scalar: RecurrentScalar>: ForwardSteps, @unchecked Sendable {
    // Invariant: the buffers it points to outlive the scan; it writes only its blocks' units.

    /// What every participant of one pass shares, made once per pass: the layout, W_hhᵀ and
    /// (for a cell that keeps its recurrent part apart) b_hh in row blocks.
    struct Shared: @unchecked Sendable {
        // Invariant: the packs are written here and only read by the participants.
        let runner: CellRunner<Scalar>
        let layout: RowBlockLayout
        let whh: RowBlockMatrix<Scalar>
        let bhh: Buffer<Scalar>?

        /// `columnRows`: the layout's gate row of every column (`RowBlockLayout.columnRows()`).
        init(_ runner: CellRunner<Scalar>, layout: RowBlockLayout, columnRows: [Int]) {
            let g = runner.geometry
            let pack = {
                RowBlockMatrix(MatrixView(runner.weights.weightHH, rows: g.gateRows, cols: g.hiddenSize).transposed,
                               blocks: layout.blocks, width: layout.width, kernels: runner.kernels, columns: columnRows)
            }
            whh = runner.packs?.recurrentRows(layout: columnRows, pack) ?? pack()
            if g.traits.keepsRecurrentPartApart, let b = runner.weights.biasHH {
                let blocks = Buffer<Scalar>(count: layout.columns)
                for (k, r) in columnRows.enumerated() where r >= 0 { blocks.base[k] = b[r] }
                bhh = blocks
            } else {
                bhh = nil
            }
            (self.runner, self.layout) = (runner, layout)
        }
    }

    /// Kept for the scan's length: the kernel's arguments point into its packs.
    let shared: Shared
    /// The input projection of every step in row blocks, `(T, blocks·width)`; becomes the gates.
    let proj: UnsafeMutablePointer<Scalar>
    let tape: CellTape<Scalar>?
    let meeting: StepMeeting
    /// The kernel's arguments, set once; each step sets only what changes.
    let arguments: RowStepArguments
    /// Where the tape's buffers start, when there is a tape (taken once, not per step).
    let tapeBases: CellTape<Scalar>.Bases?

    /// `tile`: room for one block (the recurrent part of a cell that keeps it apart).
    init(_ shared: Shared, proj: UnsafeMutablePointer<Scalar>, tape: CellTape<Scalar>?, meeting: StepMeeting,
         tile: UnsafeMutablePointer<Scalar>) {
        let runner = shared.runner, layout = shared.layout, g = runner.geometry, traits = g.traits
        (self.shared, self.proj, self.tape, self.meeting) = (shared, proj, tape, meeting)
        tapeBases = tape?.bases
        arguments = RowStepArguments(rk_row_step(
            w: shared.whh.storage.base, k: g.hiddenSize, width: layout.width, units: layout.units, hidden: g.hiddenSize,
            q0: 0, q1: 0, a: proj, bhh: shared.bhh?.base, tile: tile, h_prev: proj, h: proj, c_prev: nil, c: nil, aux: nil,
            unit_vectors: runner.weights.unitVectors, tape_gates: nil, gates: Int32(layout.gates),
            apart: traits.keepsRecurrentPartApart ? 1 : 0, nonlinearity: g.nonlinearity == .tanh ? 0 : 1, cell: traits.kernel))
    }

    var runner: CellRunner<Scalar> { shared.runner }
    var layout: RowBlockLayout { shared.layout }

    @inline(__always)
    func region(_ p: Int, step s: Int) -> StepRegion {
        let blocks = meeting.begin(p, step: s)
        meeting.startWork(p)
        let units = layout.units(of: blocks)
        return StepRegion(rows: 0..<1, units: units, outputs: units, blocks: blocks)
    }

    func compute(step s: Int, time t: Int, _ region: StepRegion, hPrev: UnsafePointer<Scalar>, cPrev: UnsafePointer<Scalar>,
                 hOut: UnsafeMutablePointer<Scalar>, cOut: UnsafeMutablePointer<Scalar>) {
        let g = runner.geometry, H = g.hiddenSize, W = layout.columns, hasC = g.traits.hasCellState
        if s + 1 < runner.steps {
            // This participant's blocks of the next step's input projection, from memory now.
            let next = proj + runner.time(ofStep: s + 1) * W + region.blocks.lowerBound * layout.width
            for j in stride(from: 0, to: region.blocks.count * layout.width, by: 64 / MemoryLayout<Scalar>.stride) {
                recurrent_prefetch(next + j)
            }
        }
        let args = arguments.pointer
        (args.pointee.q0, args.pointee.q1) = (region.blocks.lowerBound, region.blocks.upperBound)
        args.pointee.a = UnsafeMutableRawPointer(proj + t * W)
        (args.pointee.h_prev, args.pointee.h) = (UnsafeRawPointer(hPrev), UnsafeMutableRawPointer(hOut))
        if hasC { (args.pointee.c_prev, args.pointee.c) = (UnsafeRawPointer(cPrev), UnsafeMutableRawPointer(cOut)) }
        if let tapeBases {
            args.pointee.aux = tapeBases.ghn.map { UnsafeMutableRawPointer($0 + t * H) }
            args.pointee.tape_gates = UnsafeMutableRawPointer(tapeBases.gates + t * g.gateRows)
        }
        runner.table.pointee.row_step(args)
    }

    func finish(_ p: Int, step s: Int) {
        meeting.stopWork(p)
        meeting.meet(p, s)
    }
}

/// The row kernel's arguments of one participant, kept between its steps so that a step sets
/// only the fields that change (copying the whole struct each step cost a memcpy per step).
final class RowStepArguments: @unchecked Sendable {
    // Invariant: one participant's steps use it, one after another; freed with the object.
    let pointer: UnsafeMutablePointer<rk_row_step>

    init(_ initial: rk_row_step) {
        pointer = .allocate(capacity: 1)
        pointer.initialize(to: initial)
    }

    deinit { pointer.deallocate() }
}

/// The backward steps of a batch of one for one participant of the `meeting`: phase 1 the
/// cell's kernel backward for its units; the participants meet (∂A_t is complete); phase 2
/// ∂L/∂h_{t-1} of its units = (direct part) + ∂A_t · W_hh[:, units], W_hh in row blocks of
/// hidden units, so each thread reads only its columns, from its own cache. Phase 1 of the next
/// step needs only what phase 2 of this one wrote for the same units: one meeting per step, and
/// one more when the units change hands.
struct RowBlockBackSteps<Scalar: RecurrentScalar>: BackwardSteps, @unchecked Sendable {
    // Invariant: the buffers and weights it points to outlive the scan; it writes only its units.
    let runner: CellRunner<Scalar>
    /// Kept for the scan's length: the pointers below point into them.
    let tape: CellTape<Scalar>, states: BackwardStates<Scalar>
    let meeting: StepMeeting
    let tile: UnsafeMutablePointer<Scalar>
    /// W_hh in row blocks of `width` hidden units.
    let whh: RowBlockMatrix<Scalar>
    let width: Int
    /// The tape's and the states' buffers, taken once rather than through references per step.
    private let tapeBases: CellTape<Scalar>.Bases
    private let dc: UnsafeMutablePointer<Scalar>, dA: UnsafeMutablePointer<Scalar>, dAh: UnsafeMutablePointer<Scalar>

    /// Hidden units (columns of W_hh) per row block of the backward product: 64, or H rounded
    /// up to 16 when smaller (four vectors stream as fast as eight, and share out more evenly).
    static func blockWidth(hidden: Int) -> Int { min(64, (hidden + 15) / 16 * 16) }

    static func packed(_ runner: CellRunner<Scalar>) -> RowBlockMatrix<Scalar> {
        let g = runner.geometry, H = g.hiddenSize, w = blockWidth(hidden: H)
        return RowBlockMatrix(MatrixView(runner.weights.weightHH, rows: g.gateRows, cols: H), blocks: (H + w - 1) / w,
                              width: w, kernels: runner.kernels) { q, s in q * w + s < H ? q * w + s : nil }
    }

    init(_ runner: CellRunner<Scalar>, tape: CellTape<Scalar>, states: BackwardStates<Scalar>, meeting: StepMeeting,
         tile: UnsafeMutablePointer<Scalar>, whh: RowBlockMatrix<Scalar>) {
        (self.runner, self.tape, self.states, self.meeting, self.tile, self.whh) = (runner, tape, states, meeting, tile, whh)
        width = whh.width
        tapeBases = tape.bases
        (dc, dA, dAh) = (states.dc.base, states.dA.base, states.dAh.base)
    }

    @inline(__always)
    func region(_ p: Int, step s: Int) -> StepRegion {
        let blocks = meeting.begin(p, step: s), H = runner.geometry.hiddenSize
        meeting.startWork(p)
        let units = min(H, blocks.lowerBound * width)..<min(H, blocks.upperBound * width)
        return StepRegion(rows: 0..<1, units: units, outputs: units, blocks: blocks)
    }

    func gates(step s: Int, time t: Int, _ region: StepRegion, dh: UnsafeMutablePointer<Scalar>,
               dhPrev: UnsafeMutablePointer<Scalar>) {
        let g = runner.geometry, H = g.hiddenSize, GH = g.gateRows, j0 = region.units.lowerBound, state = t * H + j0
        var step = rk_cell_back(
            gates: tapeBases.gates + t * GH + j0, aux: tapeBases.ghn.map { $0 + state }, h_prev: tapeBases.hPrev + state,
            c_prev: tapeBases.cPrev.map { $0 + state }, c: tapeBases.cells.map { $0 + state }, dh: dh + j0, dc: dc + j0,
            d_gates: dA + t * GH + j0, d_recurrent: dAh + t * GH + j0, dh_prev: dhPrev + j0,
            unit_vectors: runner.weights.unitVectors.map { UnsafeRawPointer($0 + j0) }, unit_vector_stride: H,
            rows: 1, units: region.units.count, gate_stride: H, gates_ld: GH, state_ld: H,
            nonlinearity: g.nonlinearity == .tanh ? 0 : 1)
        runner.table.pointee.cell_backward(g.traits.kernel, &step)
    }

    func between(_ p: Int, step s: Int) {
        meeting.stopWork(p)
        meeting.meet(p, 2 * s)
        meeting.startWork(p)
    }

    func product(step s: Int, time t: Int, _ region: StepRegion, dhPrev: UnsafeMutablePointer<Scalar>) {
        let g = runner.geometry, GH = g.gateRows
        runner.table.pointee.row_back_product(
            GH, dAh + t * GH, whh.storage.base, width, g.hiddenSize, region.blocks.lowerBound,
            region.blocks.upperBound, dhPrev + region.units.lowerBound, tile, g.traits.hasDirectStateGradient ? 1 : 0)
    }

    func finish(_ p: Int, step s: Int) {
        meeting.stopWork(p)
        // Phase 1 of the next step reads what this phase 2 wrote for the same units: when the
        // units change hands, everyone must have finished first.
        if meeting.sharesMayChange(after: s) { meeting.meet(p, 2 * s + 1) }
    }
}
