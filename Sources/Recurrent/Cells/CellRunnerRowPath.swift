import CRecurrentSupport

/// The recurrence of a batch of one (a stream, online use), where a step is one row times W_hhᵀ
/// and the cell's element-wise step, so its cost is reading W_hh and the per-step overhead.
///
/// W_hhᵀ is repacked into row blocks (`RowBlockMatrix`) that each hold every gate of a few hidden
/// units: for the LSTM, block q is [i, f, g, o] of units j₀ ..< j₀ + n, each gate's n columns
/// side by side. A block's product, started from the input projection of those columns, is all
/// the cell needs to finish those units, so each thread takes a fixed range of blocks (its part
/// of W_hh stays in its core's cache from step to step) and does the product and the
/// element-wise step for its units; one pool job per step, nothing else shared. Every element
/// is summed as `gemm` sums it, and the element-wise step is the same code, so the numbers are
/// bit-identical to the general path's.
extension CellRunner {
    /// Hidden units per row block for `gates` gates: as many as fill up to 8 (wide tile) or 4
    /// (narrow) vectors of 16 lanes with all the gates, at least 16.
    static func unitsPerRowBlock(gates: Int, tile: GemmTile) -> Int {
        16 * max(1, (tile == .wide ? 8 : 4) / gates)
    }

    /// Whether `forward` takes the row path: one sequence and no projection.
    var usesRowPath: Bool { batch == 1 && geometry.projectionSize == 0 }

    /// The time loop of `forward` for a batch of one. `proj` (T, G·H) holds the input
    /// projection of every step (the tape's gates when `tape` is given: they become the
    /// activations, as in the general path).
    ///
    /// With several threads, participant p owns a contiguous range of blocks (hidden units
    /// j₀ ..< j₁) for the whole sequence and writes only those units of every state, output and
    /// tape row; the participants meet at a `StepBarrier` after each step, h_t and c_t double
    /// buffered.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func recurRows(
        proj: UnsafeMutablePointer<Scalar>, h0: UnsafePointer<Scalar>?, c0: UnsafePointer<Scalar>?,
        output: UnsafeMutablePointer<Scalar>, outputStride: Int,
        hN: UnsafeMutablePointer<Scalar>, cN: UnsafeMutablePointer<Scalar>?, tape: CellTape<Scalar>?
    ) {
        let g = geometry, T = steps, H = g.hiddenSize, GH = g.gateRows, G = g.kind.gateCount
        let u = Self.unitsPerRowBlock(gates: G, tile: .preferred(for: Scalar.self))
        let blocks = (H + u - 1) / u
        let pack = {
            RowBlockMatrix(MatrixView(weights.weightHH, rows: GH, cols: H).transposed, blocks: blocks,
                           width: (G * u + 15) / 16 * 16) { q, s in
                let j0 = q * u, n = min(u, H - j0)
                return s < G * n ? (s / n) * H + j0 + s % n : nil
            }
        }
        let whh = packs?.recurrentRows(pack) ?? pack()
        let hasC = g.kind == .lstm
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
        func run(_ blockRange: Range<Int>, participant: Int, barrier: StepBarrier?, tiles: UnsafeMutablePointer<Scalar>) {
            let j0 = blockRange.lowerBound * u, units = min(H, blockRange.upperBound * u) - j0
            for s in 0..<T {
                let t = time(ofStep: s)
                let h = hs.base + (s & 1) * H, hOut = hs.base + ((s + 1) & 1) * H
                let c = hasC ? (s == 0 ? cs.base : cOut(s - 1)) : cs.base
                if s + 1 < T {
                    // This thread's part of the next step's input projection, from memory now.
                    let next = proj + time(ofStep: s + 1) * GH + j0
                    for gate in 0..<G {
                        for j in stride(from: 0, to: units, by: 64 / MemoryLayout<Scalar>.stride) {
                            recurrent_prefetch(next + gate * H + j)
                        }
                    }
                }
                if let tape {
                    copyLanes(tape.hPrev.base + t * H + j0, h + j0, units)
                    if hasC { copyLanes(tape.cPrev!.base + t * H + j0, c + j0, units) }
                }
                if mask.isActive(0, at: t) {
                    let step = RowStep(a: proj + t * GH, h: h, c: c, hOut: hOut, cOut: hasC ? cOut(s) : hOut,
                                       ghn: tape?.ghn.map { $0.base + t * H }, keepGates: tape != nil)
                    for q in blockRange { rowBlockStep(q, units: u, step, whh, tiles: tiles) }
                    copyLanes(output + t * outputStride + j0, hOut + j0, units)
                } else {
                    // Past the sequence's end: the state is carried, the output is zero (and the
                    // tape's cells hold the carried c, so nothing the backward pass reads is undefined).
                    copyLanes(hOut + j0, h + j0, units)
                    if hasC { copyLanes(cOut(s) + j0, c + j0, units) }
                    (output + t * outputStride + j0).update(repeating: 0, count: units)
                }
                barrier?.arrive(participant, step: s)
            }
        }

        let width = whh.width
        let threads = H * GH >= GemmPlan.minRowWork ? max(1, min(KernelSettings.threadCount, blocks)) : 1
        var done = false
        if threads > 1 {
            let barrier = StepBarrier(participants: threads)
            done = KernelThreadPool.shared.runTogether(threads) { p, scratch in
                run((p * blocks / threads)..<((p + 1) * blocks / threads), participant: p, barrier: barrier,
                    tiles: scratch.elements(2 * width, of: Scalar.self))
            }
        }
        if !done {
            let tiles = Buffer<Scalar>(count: 2 * width)
            run(0..<blocks, participant: 0, barrier: nil, tiles: tiles.base)
        }
        hN.update(from: hs.base + (T & 1) * H, count: H)
        if hasC, let cN { cN.update(from: T == 0 ? cs.base : cOut(T - 1), count: H) }
    }

    /// What every block of one step reads and writes.
    struct RowStep: @unchecked Sendable {
        /// (G·H) the step's input projection (with the biases, b_hh excepted for the GRU);
        /// becomes the activations when `keepGates`.
        let a: UnsafeMutablePointer<Scalar>
        /// (H) h_{t-1} and c_{t-1} (LSTM).
        let h: UnsafePointer<Scalar>, c: UnsafePointer<Scalar>
        /// (H) h_t and c_t (LSTM).
        let hOut: UnsafeMutablePointer<Scalar>, cOut: UnsafeMutablePointer<Scalar>
        /// (H) the GRU's W_hn h + b_hn, for the tape.
        let ghn: UnsafeMutablePointer<Scalar>?
        let keepGates: Bool

        init(a: UnsafeMutablePointer<Scalar>, h: UnsafeMutablePointer<Scalar>, c: UnsafeMutablePointer<Scalar>,
             hOut: UnsafeMutablePointer<Scalar>, cOut: UnsafeMutablePointer<Scalar>, ghn: UnsafeMutablePointer<Scalar>?,
             keepGates: Bool) {
            (self.a, self.h, self.c, self.hOut, self.cOut, self.ghn, self.keepGates) =
                (a, UnsafePointer(h), UnsafePointer(c), hOut, cOut, ghn, keepGates)
        }
    }

    /// Block q of a step: units j₀ ..< j₀ + n. `tiles` has room for two blocks.
    @inline(__always)
    func rowBlockStep(
        _ q: Int, units u: Int, _ step: RowStep, _ whh: RowBlockMatrix<Scalar>, tiles: UnsafeMutablePointer<Scalar>
    ) {
        let H = geometry.hiddenSize, G = geometry.kind.gateCount
        let j0 = q * u, n = min(u, H - j0)
        let tile = tiles, gi = tiles + whh.width
        /// The gates' columns of these units from `src` (G blocks H apart) into `dst` (n apart).
        @inline(__always)
        func gather(_ src: UnsafePointer<Scalar>, _ dst: UnsafeMutablePointer<Scalar>) {
            for gate in 0..<G { copyLanes(dst + gate * n, src + gate * H + j0, n) }
        }
        @inline(__always)
        func scatter(_ src: UnsafePointer<Scalar>, _ dst: UnsafeMutablePointer<Scalar>) {
            for gate in 0..<G { copyLanes(dst + gate * H + j0, src + gate * n, n) }
        }
        if G * n < whh.width { (tile + G * n).update(repeating: 0, count: whh.width - G * n) }
        switch geometry.kind {
        case .gru:
            if let b = weights.biasHH { gather(b, tile) } else { tile.update(repeating: 0, count: G * n) }
            whh.accumulate(block: q, x: step.h, into: tile)
            gather(step.a, gi)
            GRUMath.forward(gi: gi, gh: tile, hPrev: step.h + j0, h: step.hOut + j0, ghn: step.ghn.map { $0 + j0 },
                            batch: 1, hidden: n)
            if step.keepGates { scatter(gi, step.a) }
            return
        case .lstm, .gated, .rnn:
            gather(step.a, tile)
            whh.accumulate(block: q, x: step.h, into: tile)
        }
        switch geometry.kind {
        case .lstm:
            LSTMMath.forward(gates: tile, cPrev: step.c + j0, c: step.cOut + j0, h: step.hOut + j0, batch: 1, hidden: n)
        case .gated:
            GatedRNNMath.forward(gates: tile, sPrev: step.h + j0, s: step.hOut + j0, batch: 1, hidden: n)
        case .rnn:
            SimpleRNNMath.forward(gates: tile, s: step.hOut + j0, batch: 1, hidden: n, nonlinearity: geometry.nonlinearity)
        case .gru:
            break
        }
        if step.keepGates { scatter(tile, step.a) }
    }
}

/// Copies `n` elements, 8 lanes at a time (a few dozen elements: cheaper than a `memmove` call).
@inline(__always)
func copyLanes<S: RecurrentScalar>(_ dst: UnsafeMutablePointer<S>, _ src: UnsafePointer<S>, _ n: Int) {
    forEachLaneChunk(n) { j, count in store8(load8(src + j, count), dst + j, count) }
}
