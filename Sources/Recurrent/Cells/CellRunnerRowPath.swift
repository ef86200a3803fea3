import CRecurrentKernels

/// The recurrence of a batch of one (a stream, online use), where a step is one row times W_hhᵀ
/// and the cell's element-wise step, so its cost is reading W_hh and the per-step overhead.
///
/// The gates are kept in row blocks (`RowBlockLayout`), each holding every gate of a few hidden
/// units: for the LSTM, block q is [i, f, g, o] of units j₀ ..< j₀ + n, each gate's n columns
/// side by side. W_hhᵀ is repacked that way (`RowBlockMatrix`), and so are W_ih and the biases,
/// so the input projection of all steps comes out in blocks too. A block's product, started in
/// place from the input projection of its columns, is all the cell needs to finish those
/// units, so each thread takes a fixed range of blocks (its part of W_hh stays in its core's
/// cache from step to step) and does the product and the element-wise step for its units;
/// the threads meet once per step. Every element is summed as `gemm` sums it, and the
/// element-wise step is the same code, so the numbers are bit-identical to the general path's.
/// Where the gates of a batch-1 step sit in row blocks: block q holds the G gates of units
/// q·u ..< q·u + n (n = u but for the last block), gate by gate, then zeros up to `width`.
struct RowBlockLayout: Sendable {
    let gates: Int
    let hidden: Int
    /// Units per block: as many as fill up to 8 (wide tile) or 4 (narrow) vectors of 16 lanes
    /// with all the gates, at least 16.
    let units: Int
    let blocks: Int
    /// Columns per block, a multiple of 16.
    let width: Int

    init(_ geometry: CellGeometry, tile: GemmTile) {
        gates = geometry.kind.gateCount
        hidden = geometry.hiddenSize
        units = 16 * max(1, (tile == .wide ? 8 : 4) / gates)
        blocks = (hidden + units - 1) / units
        width = (gates * units + 15) / 16 * 16
    }

    /// All the blocks' columns.
    var columns: Int { blocks * width }

    /// The units of block q.
    func unitCount(_ q: Int) -> Int { min(units, hidden - q * units) }

    /// The gate row (PyTorch's order, G blocks of H) in slot s of block q, or nil for padding.
    func row(block q: Int, slot s: Int) -> Int? {
        let n = unitCount(q)
        return s < gates * n ? (s / n) * hidden + q * units + s % n : nil
    }
}

extension CellRunner {
    /// Whether `forward` takes the row path: one sequence and no projection.
    var usesRowPath: Bool { batch == 1 && geometry.projectionSize == 0 }

    /// The forward pass of a batch of one: the input projection of every step in row blocks,
    /// then the recurrence (`recurRows`).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func forwardRows(
        input: CellInput<Scalar>, h0: UnsafePointer<Scalar>?, c0: UnsafePointer<Scalar>?,
        output: UnsafeMutablePointer<Scalar>, outputStride: Int,
        hN: UnsafeMutablePointer<Scalar>, cN: UnsafeMutablePointer<Scalar>?, tape: CellTape<Scalar>?
    ) {
        let g = geometry, T = steps, X = g.inputSize
        let layout = RowBlockLayout(g, tile: kernels.tile(for: Scalar.self))
        let W = layout.columns
        // b_ih + b_hh (the GRU keeps b_hh for its recurrent part), in blocks.
        let bias = Buffer<Scalar>(count: W)
        for q in 0..<layout.blocks {
            for s in 0..<layout.width {
                guard let r = layout.row(block: q, slot: s) else { continue }
                var value: Scalar = weights.biasIH?[r] ?? 0
                if !g.kind.keepsRecurrentPartApart, let b = weights.biasHH { value += b[r] }
                bias.base[q * layout.width + s] = value
            }
        }
        let packWih = {
            let rows = Buffer<Scalar>(count: W * X)
            for q in 0..<layout.blocks {
                for s in 0..<layout.width {
                    guard let r = layout.row(block: q, slot: s) else { continue }
                    (rows.base + (q * layout.width + s) * X).update(from: weights.weightIH + r * X, count: X)
                }
            }
            return PackedMatrix(MatrixView(rows.base, rows: W, cols: X).transposed, kernels: kernels)
        }
        let wih = packs?.inputRows(packWih) ?? packWih()
        let proj = Buffer<Scalar>(uninitializedCount: T * W)
        project(input, wih, bias: bias.base, columns: W, into: proj.base)
        recurRows(proj: proj.base, layout: layout, h0: h0, c0: c0, output: output, outputStride: outputStride,
                  hN: hN, cN: cN, tape: tape)
    }

    /// The time loop of `forwardRows`. `proj` (T, blocks·width) holds the input projection of
    /// every step in row blocks; each step's blocks become the gate activations in place (and
    /// are copied to the tape's gates, in PyTorch's order, when `tape` is given).
    ///
    /// With several threads, participant p owns a contiguous range of blocks (hidden units
    /// j₀ ..< j₁) for the whole sequence and writes only those units of every state, output and
    /// tape row; the participants meet at a `StepBarrier` after each step, h_t and c_t double
    /// buffered.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func recurRows(
        proj: UnsafeMutablePointer<Scalar>, layout: RowBlockLayout, h0: UnsafePointer<Scalar>?,
        c0: UnsafePointer<Scalar>?, output: UnsafeMutablePointer<Scalar>, outputStride: Int,
        hN: UnsafeMutablePointer<Scalar>, cN: UnsafeMutablePointer<Scalar>?, tape: CellTape<Scalar>?
    ) {
        let g = geometry, T = steps, H = g.hiddenSize, GH = g.gateRows
        let u = layout.units, blocks = layout.blocks, W = layout.columns
        let pack = {
            RowBlockMatrix(MatrixView(weights.weightHH, rows: GH, cols: H).transposed, blocks: blocks,
                           width: layout.width) { q, s in layout.row(block: q, slot: s) }
        }
        let whh = packs?.recurrentRows(pack) ?? pack()
        // The GRU's b_hh in blocks: where its recurrent part starts.
        let bhh = g.kind.keepsRecurrentPartApart ? Buffer<Scalar>(count: W) : nil
        if let bhh, let b = weights.biasHH {
            for q in 0..<blocks {
                for s in 0..<layout.width { if let r = layout.row(block: q, slot: s) { bhh.base[q * layout.width + s] = b[r] } }
            }
        }
        let hasC = g.hasCellState
        // h_{s} in hs[s % 2]; c_s in cs[s % 2], or in the tape's cells once written there.
        let hs = Buffer<Scalar>(count: 2 * H), cs = Buffer<Scalar>(count: hasC ? 2 * H : 0)
        if let h0 { hs.base.update(from: h0, count: H) }
        if hasC, let c0 { cs.base.update(from: c0, count: H) }
        @inline(__always)
        func cOut(_ s: Int) -> UnsafeMutablePointer<Scalar> {
            if let cells = tape?.cells { return cells.base + time(ofStep: s) * H }
            return cs.base + ((s + 1) & 1) * H
        }

        /// Every step for the units of `blockRange`, meeting the others at `barrier`.
        func run(_ blockRange: Range<Int>, participant: Int, barrier: StepBarrier?, tile: UnsafeMutablePointer<Scalar>) {
            let j0 = blockRange.lowerBound * u, units = min(H, blockRange.upperBound * u) - j0
            let firstColumn = blockRange.lowerBound * layout.width, columns = blockRange.count * layout.width
            for s in 0..<T {
                let t = time(ofStep: s)
                let h = hs.base + (s & 1) * H, hOut = hs.base + ((s + 1) & 1) * H
                let c = hasC ? (s == 0 ? cs.base : cOut(s - 1)) : cs.base
                if s + 1 < T {
                    // This thread's blocks of the next step's input projection, from memory now.
                    let next = proj + time(ofStep: s + 1) * W + firstColumn
                    for j in stride(from: 0, to: columns, by: 64 / MemoryLayout<Scalar>.stride) {
                        recurrent_prefetch(next + j)
                    }
                }
                if let tape {
                    (tape.hPrev.base + t * H + j0).update(from: h + j0, count: units)
                    if hasC { (tape.cPrev!.base + t * H + j0).update(from: c + j0, count: units) }
                }
                if mask.isActive(0, at: t) {
                    let step = RowStep(a: proj + t * W, h: h, c: c, hOut: hOut, cOut: hasC ? cOut(s) : hOut,
                                       ghn: tape?.ghn.map { $0.base + t * H }, gates: tape.map { $0.gates.base + t * GH },
                                       bhh: bhh?.base)
                    for q in blockRange { rowBlockStep(q, layout, step, whh, tile: tile) }
                    (output + t * outputStride + j0).update(from: hOut + j0, count: units)
                } else {
                    // Past the sequence's end: the state is carried, the output is zero (and the
                    // tape holds the carried c and finite gates, so nothing the backward pass
                    // reads is undefined).
                    (hOut + j0).update(from: h + j0, count: units)
                    if hasC { (cOut(s) + j0).update(from: c + j0, count: units) }
                    (output + t * outputStride + j0).update(repeating: 0, count: units)
                    if let tape {
                        for gate in 0..<g.kind.gateCount {
                            (tape.gates.base + t * GH + gate * H + j0).update(repeating: 0, count: units)
                        }
                    }
                }
                barrier?.arrive(participant, step: s)
            }
        }

        shareRowBlocks(blocks, tileElements: layout.width) { range, p, barrier, tile in
            run(range, participant: p, barrier: barrier, tile: tile)
        }
        hN.update(from: hs.base + (T & 1) * H, count: H)
        if hasC, let cN { cN.update(from: T == 0 ? cs.base : cOut(T - 1), count: H) }
    }

    /// Runs `body` over `blocks` row blocks: shared between threads that meet at a barrier after
    /// every step when the product is large enough (each participant a contiguous range of
    /// blocks and a tile of `tileElements`), else on the calling thread alone.
    func shareRowBlocks(
        _ blocks: Int, tileElements: Int,
        _ body: (_ blocks: Range<Int>, _ participant: Int, _ barrier: StepBarrier?, _ tile: UnsafeMutablePointer<Scalar>) -> Void
    ) {
        let work = geometry.hiddenSize * geometry.gateRows
        let threads = work >= GemmPlan.minRowWork ? max(1, min(kernels.threads, blocks)) : 1
        if threads > 1 {
            let barrier = StepBarrier(participants: threads)
            let done = kernels.pool.runTogether(threads) { p, scratch in
                body((p * blocks / threads)..<((p + 1) * blocks / threads), p, barrier,
                     scratch.elements(tileElements, of: Scalar.self))
            }
            if done { return }
        }
        let tile = Buffer<Scalar>(count: tileElements)
        body(0..<blocks, 0, nil, tile.base)
    }

    /// What every block of one step reads and writes.
    struct RowStep: @unchecked Sendable {
        /// (blocks·width) the step's input projection in row blocks (with the biases, b_hh
        /// excepted for the GRU); becomes the activations.
        let a: UnsafeMutablePointer<Scalar>
        /// (H) h_{t-1} and c_{t-1} (LSTM).
        let h: UnsafePointer<Scalar>, c: UnsafePointer<Scalar>
        /// (H) h_t and c_t (LSTM).
        let hOut: UnsafeMutablePointer<Scalar>, cOut: UnsafeMutablePointer<Scalar>
        /// (H) the GRU's W_hn h + b_hn, for the tape.
        let ghn: UnsafeMutablePointer<Scalar>?
        /// (G·H) the tape's gates of this step, in PyTorch's order, or nil without a tape.
        let gates: UnsafeMutablePointer<Scalar>?
        /// (blocks·width) the GRU's b_hh in row blocks.
        let bhh: UnsafePointer<Scalar>?

        init(a: UnsafeMutablePointer<Scalar>, h: UnsafeMutablePointer<Scalar>, c: UnsafeMutablePointer<Scalar>,
             hOut: UnsafeMutablePointer<Scalar>, cOut: UnsafeMutablePointer<Scalar>, ghn: UnsafeMutablePointer<Scalar>?,
             gates: UnsafeMutablePointer<Scalar>?, bhh: UnsafeMutablePointer<Scalar>?) {
            (self.a, self.h, self.c, self.hOut, self.cOut, self.ghn, self.gates, self.bhh) =
                (a, UnsafePointer(h), UnsafePointer(c), hOut, cOut, ghn, gates, bhh.map { UnsafePointer($0) })
        }
    }

    /// Block q of a step: units j₀ ..< j₀ + n, its gates at `step.a + q·width`. `tile` has room
    /// for one block (the recurrent part of a cell that keeps it apart).
    @inline(__always)
    func rowBlockStep(
        _ q: Int, _ layout: RowBlockLayout, _ step: RowStep, _ whh: RowBlockMatrix<Scalar>, tile: UnsafeMutablePointer<Scalar>
    ) {
        let g = geometry, H = g.hiddenSize, G = layout.gates
        let j0 = q * layout.units, n = layout.unitCount(q)
        let a = step.a + q * layout.width
        let table = self.table
        var recurrent: UnsafeRawPointer?
        if g.kind.keepsRecurrentPartApart {
            if let bhh = step.bhh {
                tile.update(from: bhh + q * layout.width, count: layout.width)
            } else {
                tile.update(repeating: 0, count: layout.width)
            }
            whh.accumulate(block: q, x: step.h, into: tile, table: table)
            recurrent = UnsafeRawPointer(tile)
        } else {
            whh.accumulate(block: q, x: step.h, into: a, table: table)
        }
        var cellStep = rk_cell_step(
            gates: a, recurrent: recurrent, h_prev: step.h + j0, h: step.hOut + j0, c_prev: step.c + j0,
            c: step.cOut + j0, aux: step.ghn.map { $0 + j0 }, rows: 1, units: n, gate_stride: n, gates_ld: G * n,
            state_ld: H, nonlinearity: g.nonlinearity == .tanh ? 0 : 1)
        table.pointee.cell_forward(g.kind.kernelID, &cellStep)
        if let gates = step.gates {
            // The activations to the tape, in PyTorch's order (G blocks of H).
            for gate in 0..<G { (gates + gate * H + j0).update(from: a + gate * n, count: n) }
        }
    }
}
