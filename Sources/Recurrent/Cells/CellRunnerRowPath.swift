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
    /// Units per block: as many as fill up to 8 vectors of 16 lanes with all the gates (4 when
    /// threads share the blocks), at least 16. Four vectors stream from L2 as fast as eight
    /// (measured on Zen 4) and make blocks small enough for threads to share them out evenly
    /// (see `RowBlockSplit`); one thread alone gains from the longer independent chains of eight.
    let units: Int
    let blocks: Int
    /// Columns per block, a multiple of 16.
    let width: Int

    init(_ geometry: CellGeometry, shared: Bool) {
        gates = geometry.kind.gateCount
        hidden = geometry.hiddenSize
        units = 16 * max(1, (shared ? 4 : 8) / gates)
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
        let layout = RowBlockLayout(g, shared: rowThreads > 1)
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
        let wih = packs?.inputRows(width: layout.width, packWih) ?? packWih()
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
                           width: layout.width, kernels: kernels) { q, s in layout.row(block: q, slot: s) }
        }
        let whh = packs?.recurrentRows(width: layout.width, pack) ?? pack()
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
        let table = self.table

        /// Step s for the units of `blockRange`.
        func step(_ s: Int, _ blockRange: Range<Int>, tile: UnsafeMutablePointer<Scalar>) {
            let t = time(ofStep: s)
            let j0 = min(H, blockRange.lowerBound * u), units = min(H, blockRange.upperBound * u) - j0
            let h = hs.base + (s & 1) * H, hOut = hs.base + ((s + 1) & 1) * H
            let c = hasC ? (s == 0 ? cs.base : cOut(s - 1)) : cs.base
            if s + 1 < T {
                // This thread's blocks of the next step's input projection, from memory now.
                let next = proj + time(ofStep: s + 1) * W + blockRange.lowerBound * layout.width
                for j in stride(from: 0, to: blockRange.count * layout.width, by: 64 / MemoryLayout<Scalar>.stride) {
                    recurrent_prefetch(next + j)
                }
            }
            if let tape {
                (tape.hPrev.base + t * H + j0).update(from: h + j0, count: units)
                if hasC { (tape.cPrev!.base + t * H + j0).update(from: c + j0, count: units) }
            }
            if mask.isActive(0, at: t) {
                var args = rk_row_step(
                    w: whh.storage.base, k: H, width: layout.width, units: u, hidden: H, q0: blockRange.lowerBound,
                    q1: blockRange.upperBound, a: proj + t * W, bhh: bhh?.base, tile: tile, h_prev: h, h: hOut,
                    c_prev: hasC ? c : nil, c: hasC ? cOut(s) : nil, aux: tape?.ghn.map { $0.base + t * H },
                    tape_gates: tape.map { $0.gates.base + t * GH }, gates: Int32(layout.gates),
                    apart: g.kind.keepsRecurrentPartApart ? 1 : 0, nonlinearity: g.nonlinearity == .tanh ? 0 : 1,
                    cell: g.kind.kernelID)
                table.pointee.row_step(&args)
                (output + t * outputStride + j0).update(from: hOut + j0, count: units)
            } else {
                // Past the sequence's end: the state is carried, the output is zero (and the
                // tape holds the carried c and finite gates, so nothing the backward pass
                // reads is undefined).
                (hOut + j0).update(from: h + j0, count: units)
                if hasC { (cOut(s) + j0).update(from: c + j0, count: units) }
                (output + t * outputStride + j0).update(repeating: 0, count: units)
                if let tape {
                    for gate in 0..<layout.gates {
                        (tape.gates.base + t * GH + gate * H + j0).update(repeating: 0, count: units)
                    }
                }
            }
        }

        shareRowBlocks(blocks, tileElements: layout.width) { p, meeting, tile in
            for s in 0..<T { meeting.run(p, step: s) { range in step(s, range, tile: tile) } }
        }
        hN.update(from: hs.base + (T & 1) * H, count: H)
        if hasC, let cN { cN.update(from: T == 0 ? cs.base : cOut(T - 1), count: H) }
    }

    /// The threads that share a batch-1 pass: all of them when a step's product is large enough
    /// to pay for meeting after every step, else one.
    var rowThreads: Int {
        geometry.hiddenSize * geometry.gateRows >= GemmPlan.minRowWork ? kernels.threads : 1
    }

    /// Runs `body(participant, meeting, tile)` for the participants that share `blocks` row
    /// blocks step by step: several threads that meet after every step when the product is
    /// large enough (each with a tile of `tileElements`), else the calling thread alone.
    func shareRowBlocks(
        _ blocks: Int, tileElements: Int,
        _ body: (_ participant: Int, _ meeting: StepMeeting, _ tile: UnsafeMutablePointer<Scalar>) -> Void
    ) {
        let threads = min(rowThreads, blocks)
        if threads > 1 {
            let meeting = StepMeeting(participants: threads, blocks: blocks, policy: kernels.balancing)
            let done = kernels.pool.runTogether(threads) { p, scratch in
                body(p, meeting, scratch.elements(tileElements, of: Scalar.self))
            }
            if done { return }
        }
        let tile = Buffer<Scalar>(count: tileElements)
        body(0, StepMeeting(participants: 1, blocks: blocks), tile.base)
    }
}
