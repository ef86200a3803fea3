import CRecurrentKernels

/// The steps of a batch of several sequences for one participant, which owns batch rows `rows`
/// for the whole pass (rows never depend on each other): per step one matrix product
/// h_{t-1} W_hhᵀ for its rows (into the gates, or into a buffer from b_hh for a cell that keeps
/// its recurrent part apart), the cell's kernel over the rows, and the LSTM's projection if any.
/// With several threads in `kernels`, the products and kernels of a step are shared between
/// them; a participant of a batch split runs on its own thread.
struct BatchedSteps<Scalar: RecurrentScalar>: ForwardSteps, @unchecked Sendable {
    // Invariant: the buffers and weights it points to outlive the scan; it writes only its rows.

    /// What every participant of one pass shares: the runner and the packed weights.
    struct Shared: @unchecked Sendable {
        // Invariant: as `BatchedSteps`; the packs are only read.
        let runner: CellRunner<Scalar>
        let tape: CellTape<Scalar>?
        /// W_hhᵀ and W_hrᵀ packed for `gemm`.
        let whh: PackedMatrix<Scalar>
        let whr: PackedMatrix<Scalar>?

        init(_ runner: CellRunner<Scalar>, tape: CellTape<Scalar>?) {
            let g = runner.geometry, w = runner.weights, kernels = runner.kernels, packs = runner.packs
            let packWhh = { PackedMatrix(MatrixView(w.weightHH, rows: g.gateRows, cols: g.stateSize).transposed, kernels: kernels) }
            whh = packs?.recurrent(packWhh) ?? packWhh()
            whr = w.weightHR.map { hr in
                let pack = { PackedMatrix(MatrixView(hr, rows: g.stateSize, cols: g.hiddenSize).transposed, kernels: kernels) }
                return packs?.projection(pack) ?? pack()
            }
            (self.runner, self.tape) = (runner, tape)
        }
    }

    let shared: Shared
    let rows: Range<Int>
    /// The input projection of every step, `(T·B, G·H)`; becomes the gate activations.
    let proj: UnsafeMutablePointer<Scalar>
    let kernels: Kernels
    /// The participant's packing scratch when it runs on a pool thread of its own.
    let scratch: KernelScratch?
    /// The recurrent part of the rows' step when the cell keeps it apart, `(R, G·H)`.
    let apart: Buffer<Scalar>?
    /// o ⊙ tanh(c_t) before the projection, when there is one and no tape keeps it, `(R, H)`.
    let hRaw: Buffer<Scalar>?

    init(_ shared: Shared, rows: Range<Int>, proj: UnsafeMutablePointer<Scalar>, scratch: KernelScratch? = nil) {
        let g = shared.runner.geometry
        (self.shared, self.rows, self.proj, self.scratch) = (shared, rows, proj, scratch)
        kernels = scratch == nil ? shared.runner.kernels : shared.runner.kernels.singleThreaded
        apart = g.traits.keepsRecurrentPartApart ? Buffer(count: rows.count * g.gateRows) : nil
        hRaw = shared.whr != nil && shared.tape == nil ? Buffer(count: rows.count * g.hiddenSize) : nil
    }

    var tape: CellTape<Scalar>? { shared.tape }

    @inline(__always)
    func region(_ p: Int, step s: Int) -> StepRegion {
        let g = shared.runner.geometry
        return StepRegion(rows: rows, units: 0..<g.hiddenSize, outputs: 0..<g.stateSize)
    }

    func compute(step s: Int, time t: Int, _ region: StepRegion, hPrev: UnsafePointer<Scalar>, cPrev: UnsafePointer<Scalar>,
                 hOut: UnsafeMutablePointer<Scalar>, cOut: UnsafeMutablePointer<Scalar>) {
        let runner = shared.runner, g = runner.geometry, B = runner.batch
        let H = g.hiddenSize, P = g.stateSize, GH = g.gateRows, R = rows.count, r0 = rows.lowerBound
        let first = t * B + r0, a = proj + first * GH
        // The recurrent product, into the gates or into the part kept apart (from b_hh).
        let target = apart?.base ?? a
        if let apart { apart.base.fillRows(R, cols: GH, with: runner.weights.biasHH) }
        gemm(MatrixView(hPrev + r0 * P, rows: R, cols: P), shared.whh, MutableMatrixView(target, rows: R, cols: GH),
             accumulate: true, kernels: kernels, scratch: scratch)
        // With a projection, the kernel's h is o ⊙ tanh(c) before it.
        let hCell = shared.whr == nil ? hOut + r0 * P : tape?.hRaw.map { $0.base + first * H } ?? hRaw?.base ?? hOut
        let aux = tape?.ghn.map { $0.base + first * H }
        let (table, kind, apartBase) = (runner.table, g.traits.kernel, apart?.base)
        let vectors = runner.weights.unitVectors, nonlinearity: Int32 = g.nonlinearity == .tanh ? 0 : 1
        runner.elementwise(R, columns: GH, kernels: kernels) { r in
            let o = r.lowerBound
            var step = rk_cell_step(
                gates: a + o * GH, recurrent: apartBase.map { UnsafeRawPointer($0 + o * GH) },
                h_prev: hPrev + (r0 + o) * P, h: hCell + o * H, c_prev: cPrev + (r0 + o) * H, c: cOut + (r0 + o) * H,
                aux: aux.map { $0 + o * H }, unit_vectors: vectors, unit_vector_stride: H, rows: r.count, units: H,
                gate_stride: H, gates_ld: GH, state_ld: H, nonlinearity: nonlinearity)
            table.pointee.cell_forward(kind, &step)
        }
        if let whr = shared.whr {
            gemm(MatrixView(hCell, rows: R, cols: H), whr, MutableMatrixView(hOut + r0 * P, rows: R, cols: P),
                 accumulate: false, kernels: kernels, scratch: scratch)
        }
    }

    func finish(_ p: Int, step s: Int) {}
}

extension CellRunner {
    /// Runs `body` over rows `0..<rows` of an element-wise step: shared between the threads of
    /// `kernels` when the step is large enough to pay for it, else in one call.
    @inline(__always)
    func elementwise(_ rows: Int, columns: Int, kernels: Kernels, _ body: (Range<Int>) -> Void) {
        if kernels.threads == 1 { body(0..<rows) } else { forEachRowBlock(rows, elementsPerRow: columns, kernels: kernels, body) }
    }
}

/// The backward steps of a batch of several sequences for one participant, which owns batch
/// rows `rows`: per step the projection's backward if any, the cell's kernel backward over the
/// rows, then one product ∂A_t · W_hh for them. No participant reads another's rows, so they
/// never meet.
struct BatchedBackSteps<Scalar: RecurrentScalar>: BackwardSteps, @unchecked Sendable {
    // Invariant: the buffers and weights it points to outlive the scan; it writes only its rows.
    let runner: CellRunner<Scalar>
    let tape: CellTape<Scalar>
    let states: BackwardStates<Scalar>
    let rows: Range<Int>
    /// W_hh and W_hr packed for `gemm` (not transposed).
    let whh: PackedMatrix<Scalar>, whr: PackedMatrix<Scalar>?
    let kernels: Kernels
    let scratch: KernelScratch?
    /// ∂L/∂(o ⊙ tanh c_t) for the rows, before the projection, when there is one `(R, H)`.
    let dhRaw: Buffer<Scalar>?

    init(_ runner: CellRunner<Scalar>, tape: CellTape<Scalar>, states: BackwardStates<Scalar>, rows: Range<Int>,
         whh: PackedMatrix<Scalar>, whr: PackedMatrix<Scalar>?, scratch: KernelScratch? = nil) {
        (self.runner, self.tape, self.states, self.rows, self.whh, self.whr, self.scratch) =
            (runner, tape, states, rows, whh, whr, scratch)
        kernels = scratch == nil ? runner.kernels : runner.kernels.singleThreaded
        dhRaw = whr != nil ? Buffer(count: rows.count * runner.geometry.hiddenSize) : nil
    }

    @inline(__always)
    func region(_ p: Int, step s: Int) -> StepRegion {
        StepRegion(rows: rows, units: 0..<runner.geometry.hiddenSize, outputs: 0..<runner.geometry.stateSize)
    }

    func gates(step s: Int, time t: Int, _ region: StepRegion, dh: UnsafeMutablePointer<Scalar>,
               dhPrev: UnsafeMutablePointer<Scalar>) {
        let g = runner.geometry, B = runner.batch, H = g.hiddenSize, P = g.stateSize, GH = g.gateRows
        let R = rows.count, r0 = rows.lowerBound, first = t * B + r0
        // ∂L/∂(the kernel's h): through the projection first, if any.
        var dhCell = dh + r0 * P
        if let whr, let dhRaw, let dHAll = states.dHAll {
            (dHAll.base + first * P).update(from: dh + r0 * P, count: R * P)
            gemm(MatrixView(dh + r0 * P, rows: R, cols: P), whr, MutableMatrixView(dhRaw.base, rows: R, cols: H),
                 accumulate: false, kernels: kernels, scratch: scratch)
            dhCell = dhRaw.base
        }
        let a = tape.gates.base + first * GH, hp = tape.hPrev.base + first * P
        let cPrev = tape.cPrev.map { $0.base + first * H }, cells = tape.cells.map { $0.base + first * H }
        let aux = tape.ghn.map { $0.base + first * H }, dc = states.dc.base + r0 * H
        let (da, dah) = (states.dA.base + first * GH, states.dAh.base + first * GH)
        let (table, kind, vectors) = (runner.table, g.traits.kernel, runner.weights.unitVectors)
        let nonlinearity: Int32 = g.nonlinearity == .tanh ? 0 : 1, dhIn = dhCell
        runner.elementwise(R, columns: GH, kernels: kernels) { r in
            let o = r.lowerBound
            var step = rk_cell_back(
                gates: a + o * GH, aux: aux.map { $0 + o * H }, h_prev: hp + o * P, c_prev: cPrev.map { $0 + o * H },
                c: cells.map { $0 + o * H }, dh: dhIn + o * H, dc: dc + o * H, d_gates: da + o * GH,
                d_recurrent: dah + o * GH, dh_prev: dhPrev + (r0 + o) * P, unit_vectors: vectors, unit_vector_stride: H,
                rows: r.count, units: H, gate_stride: H, gates_ld: GH, state_ld: H, nonlinearity: nonlinearity)
            table.pointee.cell_backward(kind, &step)
        }
    }

    func between(_ p: Int, step s: Int) {}

    func product(step s: Int, time t: Int, _ region: StepRegion, dhPrev: UnsafeMutablePointer<Scalar>) {
        let g = runner.geometry, P = g.stateSize, GH = g.gateRows, R = rows.count, r0 = rows.lowerBound
        // ∂L/∂h_{t-1} (+)= ∂A_t · W_hh, added to the direct term where the cell has one.
        gemm(MatrixView(states.dAh.base + (t * runner.batch + r0) * GH, rows: R, cols: GH), whh,
             MutableMatrixView(dhPrev + r0 * P, rows: R, cols: P), accumulate: g.traits.hasDirectStateGradient,
             kernels: kernels, scratch: scratch)
    }

    func finish(_ p: Int, step s: Int) {}
}
