/// The part of a step one participant computes: batch rows `rows`, hidden units `units` (of c
/// and of every gate block), elements `outputs` of h (the same units, or all of h when a
/// projection mixes them), row blocks `blocks` where the steps run in row blocks.
struct StepRegion {
    var rows: Range<Int>
    var units: Range<Int>
    var outputs: Range<Int>
    var blocks: Range<Int> = 0..<0
}

/// How the steps of a forward scan are computed for one participant: its region at each step,
/// and h_t (and c_t) of that region from h_{t-1} (and c_{t-1}): the recurrent product and the
/// cell's kernel. `BatchedSteps` and `RowBlockSteps` are the two.
protocol ForwardSteps {
    associatedtype Scalar: RecurrentScalar
    /// The tape the pass records into, if any (the scan records the states each step starts from).
    var tape: CellTape<Scalar>? { get }
    /// The participant's region at step s (processing order).
    func region(_ p: Int, step s: Int) -> StepRegion
    /// Step s at time t for `region`: states `(B, ·)` rows, h `Hout` and c `H` wide.
    func compute(step s: Int, time t: Int, _ region: StepRegion, hPrev: UnsafePointer<Scalar>, cPrev: UnsafePointer<Scalar>,
                 hOut: UnsafeMutablePointer<Scalar>, cOut: UnsafeMutablePointer<Scalar>)
    /// After step s (the participants meet here if they must).
    func finish(_ p: Int, step s: Int)
}

/// Where a forward scan keeps its states: h_t in the output rows of step t when they are
/// contiguous and no sequence ends early, else in two buffers in turn; c_t in the tape's cells
/// when there is a tape, else in two buffers in turn. Shared by every participant of a scan,
/// each writing only its region.
final class ForwardStates<Scalar: RecurrentScalar>: @unchecked Sendable {
    // Invariant: the buffers live as long as this object; participants write disjoint regions,
    // and read other participants' regions only after a meeting (or never, for batch rows).
    let batch: Int, stateSize: Int, hidden: Int, steps: Int
    let hs: Buffer<Scalar>, cs: Buffer<Scalar>
    let output: UnsafeMutablePointer<Scalar>, outputStride: Int
    let direct: Bool
    let cells: UnsafeMutablePointer<Scalar>?
    let reverse: Bool

    init(_ runner: CellRunner<Scalar>, h0: UnsafePointer<Scalar>?, c0: UnsafePointer<Scalar>?,
         output: UnsafeMutablePointer<Scalar>, outputStride: Int, tape: CellTape<Scalar>?) {
        let g = runner.geometry, B = runner.batch
        (batch, stateSize, hidden, steps) = (B, g.stateSize, g.hiddenSize, runner.steps)
        direct = outputStride == g.stateSize && runner.mask.lengths == nil
        hs = Buffer(count: 2 * B * g.stateSize)
        if let h0 { hs.base.update(from: h0, count: B * g.stateSize) }
        cs = Buffer(count: g.hasCellState ? 2 * B * g.hiddenSize : 0)
        if g.hasCellState, let c0 { cs.base.update(from: c0, count: B * g.hiddenSize) }
        (self.output, self.outputStride) = (output, outputStride)
        cells = tape?.cells?.base
        reverse = runner.reverse
    }

    /// The time index of the s-th step processed.
    @inline(__always)
    func time(_ s: Int) -> Int { reverse ? steps - 1 - s : s }

    /// h_t of the s-th step processed (`(B, Hout)`).
    func h(after s: Int) -> UnsafeMutablePointer<Scalar> {
        direct ? output + time(s) * batch * stateSize : hs.base + ((s + 1) & 1) * batch * stateSize
    }

    /// h_{t-1} of the s-th step processed.
    func h(before s: Int) -> UnsafeMutablePointer<Scalar> { s == 0 ? hs.base : h(after: s - 1) }

    /// c_t of the s-th step processed (`(B, H)`).
    func c(after s: Int) -> UnsafeMutablePointer<Scalar> {
        if let cells { return cells + time(s) * batch * hidden }
        return cs.base + ((s + 1) & 1) * batch * hidden
    }

    func c(before s: Int) -> UnsafeMutablePointer<Scalar> { s == 0 ? cs.base : c(after: s - 1) }

    /// Copies the final states out.
    func finish(hN: UnsafeMutablePointer<Scalar>, cN: UnsafeMutablePointer<Scalar>?) {
        hN.update(from: h(before: steps), count: batch * stateSize)
        if let cN, cs.count > 0 { cN.update(from: c(before: steps), count: batch * hidden) }
    }
}

extension CellRunner {
    /// The forward time loop, for any cell and either kind of steps. Per step: the states it
    /// starts from go to the tape, the steps compute the region's new states, rows past their
    /// sequence's end carry their state and output zeros (as PyTorch's packed sequences), and
    /// the new h goes to the output.
    func scanForward<Steps: ForwardSteps>(_ steps: Steps, participant p: Int, states: ForwardStates<Scalar>)
    where Steps.Scalar == Scalar {
        let P = geometry.stateSize, H = geometry.hiddenSize, hasC = geometry.hasCellState
        // The tape's states, taken once (no reference to the tape per step).
        let bases = steps.tape?.bases, hTape = bases?.hPrev, cTape = bases?.cPrev
        for s in 0..<self.steps {
            let t = time(ofStep: s), region = steps.region(p, step: s)
            let (hPrev, cPrev, hOut, cOut) = (states.h(before: s), states.c(before: s), states.h(after: s), states.c(after: s))
            let (units, outputs) = (region.units, region.outputs)
            if let hTape {
                for r in region.rows {
                    copy(hPrev, into: hTape, row: r, at: t, width: P, outputs)
                    if hasC, let cTape { copy(cPrev, into: cTape, row: r, at: t, width: H, units) }
                }
            }
            steps.compute(step: s, time: t, region, hPrev: hPrev, cPrev: cPrev, hOut: hOut, cOut: cOut)
            for r in region.rows where !states.direct {
                let out = output(states, t, r) + outputs.lowerBound
                if mask.isActive(r, at: t) {
                    out.update(from: hOut + r * P + outputs.lowerBound, count: outputs.count)
                } else {
                    // Past this sequence's end: the state is carried, the output is zero.
                    (hOut + r * P + outputs.lowerBound).update(from: hPrev + r * P + outputs.lowerBound, count: outputs.count)
                    if hasC { (cOut + r * H + units.lowerBound).update(from: cPrev + r * H + units.lowerBound, count: units.count) }
                    out.update(repeating: 0, count: outputs.count)
                }
            }
            steps.finish(p, step: s)
        }
    }

    private func output(_ states: ForwardStates<Scalar>, _ t: Int, _ r: Int) -> UnsafeMutablePointer<Scalar> {
        states.output + (t * batch + r) * states.outputStride
    }

    /// Elements `range` of row r of a `(B, width)` state into the tape's `(T, B, width)` at time t.
    private func copy(_ state: UnsafePointer<Scalar>, into tape: UnsafeMutablePointer<Scalar>, row r: Int, at t: Int,
                      width: Int, _ range: Range<Int>) {
        (tape + (t * batch + r) * width + range.lowerBound).update(from: state + r * width + range.lowerBound, count: range.count)
    }
}

/// How the steps of a backward scan are computed for one participant, in two phases: the
/// cell's kernel backward (∂A_t of the region's gates, the direct ∂h_{t-1} term, ∂c_{t-1}),
/// then ∂L/∂h_{t-1} of the region (+)= ∂A_t · W_hh, which may read ∂A_t of other participants'
/// regions (they meet in between when so).
protocol BackwardSteps {
    associatedtype Scalar: RecurrentScalar
    func region(_ p: Int, step s: Int) -> StepRegion
    func gates(step s: Int, time t: Int, _ region: StepRegion, dh: UnsafeMutablePointer<Scalar>,
               dhPrev: UnsafeMutablePointer<Scalar>)
    func between(_ p: Int, step s: Int)
    func product(step s: Int, time t: Int, _ region: StepRegion, dhPrev: UnsafeMutablePointer<Scalar>)
    func finish(_ p: Int, step s: Int)
}

/// What a backward scan reads and fills, shared by its participants (each writing its region):
/// ∂L/∂h in two buffers in turn, ∂L/∂c in place, ∂A (and the recurrent part's, and ∂L/∂h before
/// a projection) for every step.
final class BackwardStates<Scalar: RecurrentScalar>: @unchecked Sendable {
    // Invariant: the buffers live as long as this object; participants write disjoint regions.
    /// ∂L/∂h of the step being processed in half s % 2, of the one before in the other half.
    let dhs: Buffer<Scalar>
    /// ∂L/∂c: of c_T in, of c_0 out (`(B, H)`), and a place to keep the rows a step must not change
    /// (rows past their sequence's end; empty without lengths).
    let dc: Buffer<Scalar>, dcSaved: Buffer<Scalar>
    /// `(T·B, G·H)` each; the same buffer unless the cell keeps its recurrent part apart.
    let dA: Buffer<Scalar>, dAh: Buffer<Scalar>
    /// `(T·B, Hout)`: ∂L/∂h_t before the projection, when there is one.
    let dHAll: Buffer<Scalar>?
    let dOutput: UnsafePointer<Scalar>?, dOutputStride: Int
    let rowSize: Int

    init(_ runner: CellRunner<Scalar>, dOutput: UnsafePointer<Scalar>?, dOutputStride: Int,
         dhN: UnsafePointer<Scalar>?, dcN: UnsafePointer<Scalar>?) {
        let g = runner.geometry, B = runner.batch, TB = runner.steps * B, hasC = g.hasCellState
        rowSize = B * g.stateSize
        dhs = Buffer(count: 2 * rowSize)
        if let dhN { dhs.base.update(from: dhN, count: rowSize) }
        dc = Buffer(count: hasC ? B * g.hiddenSize : 0, copying: hasC ? dcN : nil)
        dcSaved = Buffer(count: hasC && runner.mask.lengths != nil ? B * g.hiddenSize : 0)
        // Every row of these is written at its step: no zeroing pass.
        dA = Buffer(uninitializedCount: TB * g.gateRows)
        dAh = g.traits.keepsRecurrentPartApart ? Buffer(uninitializedCount: TB * g.gateRows) : dA
        dHAll = g.projectionSize > 0 ? Buffer(uninitializedCount: TB * g.stateSize) : nil
        (self.dOutput, self.dOutputStride) = (dOutput, dOutputStride)
    }

    /// ∂L/∂h_t of the s-th step processed backwards, and ∂L/∂h_{t-1} it produces.
    func dh(_ s: Int) -> UnsafeMutablePointer<Scalar> { dhs.base + (s & 1) * rowSize }
    func dhPrev(_ s: Int) -> UnsafeMutablePointer<Scalar> { dhs.base + ((s + 1) & 1) * rowSize }
}

extension CellRunner {
    /// The backward time loop, for any cell and either kind of steps: per step (latest first)
    /// ∂L/∂output joins ∂L/∂h_t, the steps' two phases give ∂A_t and ∂L/∂h_{t-1}, and rows past
    /// their sequence's end pass the state gradient through unchanged and contribute nothing.
    func scanBackward<Steps: BackwardSteps>(_ steps: Steps, participant p: Int, states: BackwardStates<Scalar>)
    where Steps.Scalar == Scalar {
        let B = batch, P = geometry.stateSize, H = geometry.hiddenSize, GH = geometry.gateRows
        let hasC = geometry.hasCellState, table = self.table
        // Whether some row may end before the last step (never without lengths: then the loops
        // over such rows below are skipped, nothing built per step).
        let masked = mask.lengths != nil
        for s in 0..<self.steps {
            let t = time(ofStep: self.steps - 1 - s), region = steps.region(p, step: s)
            let (d, dPrev, units, outputs) = (states.dh(s), states.dhPrev(s), region.units, region.outputs)
            if let dOutput = states.dOutput {
                for r in region.rows where mask.isActive(r, at: t) {
                    addLanes(d + r * P + outputs.lowerBound, dOutput + (t * B + r) * states.dOutputStride + outputs.lowerBound,
                             outputs.count, table: table)
                }
            }
            if masked && hasC {
                for r in region.rows where !mask.isActive(r, at: t) {
                    (states.dcSaved.base + r * H + units.lowerBound).update(from: states.dc.base + r * H + units.lowerBound,
                                                                           count: units.count)
                }
            }
            steps.gates(step: s, time: t, region, dh: d, dhPrev: dPrev)
            if masked {
                for r in region.rows where !mask.isActive(r, at: t) {
                    // Past the sequence's end: nothing flows into the step's parameters.
                    for gate in 0..<geometry.traits.gateCount {
                        let offset = (t * B + r) * GH + gate * H + units.lowerBound
                        (states.dA.base + offset).update(repeating: 0, count: units.count)
                        if states.dAh !== states.dA { (states.dAh.base + offset).update(repeating: 0, count: units.count) }
                    }
                    if let dHAll = states.dHAll { (dHAll.base + (t * B + r) * P).update(repeating: 0, count: P) }
                }
            }
            steps.between(p, step: s)
            steps.product(step: s, time: t, region, dhPrev: dPrev)
            if masked {
                for r in region.rows where !mask.isActive(r, at: t) {
                    // ... and the state gradient passes through.
                    (dPrev + r * P + outputs.lowerBound).update(from: d + r * P + outputs.lowerBound, count: outputs.count)
                    if hasC {
                        (states.dc.base + r * H + units.lowerBound).update(from: states.dcSaved.base + r * H + units.lowerBound,
                                                                           count: units.count)
                    }
                }
            }
            steps.finish(p, step: s)
        }
    }
}
