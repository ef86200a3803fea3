import CRecurrentKernels

/// How the row blocks of one batch-1 pass are shared between the participants that meet at
/// every step: participant p takes a contiguous range of blocks, and every `interval` steps
/// participant 0 moves a boundary by one block away from a participant that was busier than
/// its neighbour by more than a block's work. The cores of a machine are not always equally
/// fast (another tenant of the host, a busy sibling thread), and with a fixed split the faster
/// core waits at every step. Moving a boundary changes no result: every unit is computed the
/// same way whichever thread computes it.
///
/// Protocol: at step s every participant reads its range from slot s % 2; participant 0, during
/// step s and before it arrives at the barrier, writes the ranges of step s + 1 into the other
/// slot, which nobody reads until after that barrier. Each participant adds its busy time
/// (cycles spent computing, not waiting) to its own counter before it arrives.
///
/// Invariant (why `@unchecked Sendable`): `words` is allocated once and freed in `deinit`;
/// the bounds are written by participant 0 only, into the slot no one reads during that step,
/// and busy counter p by participant p only; every access is atomic.
final class RowBlockSplit: @unchecked Sendable {
    let participants: Int
    let blocks: Int
    let policy: Policy
    /// Steps between two decisions.
    static let interval = 32

    /// How boundaries move.
    enum Policy: Sendable {
        /// Toward the balance of the busy time measured (the library's way).
        case measured
        /// Every boundary one block left, then right, at alternate decisions, whatever was
        /// measured: for tests that must see work change hands.
        case alternating
    }
    /// A boundary moves only when that shortens the busier participant's time by this fraction.
    static let margin = 0.03

    /// Line 0 and 1: the bounds of slot 0 and 1 (participants + 1 each, at most 7 participants
    /// per line pair: larger counts use more lines); then one line per busy counter.
    private let words: UnsafeMutablePointer<CLong>
    private let boundsStride: Int
    /// Participant 0's own: the busy counters at the last decision.
    private var seen: [Int]

    init(participants: Int, blocks: Int, policy: Policy = .measured) {
        self.participants = participants
        self.blocks = blocks
        self.policy = policy
        boundsStride = (participants + 1 + 7) / 8 * 8
        let count = 2 * boundsStride + 8 * participants
        let raw = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<CLong>.stride, alignment: 64)
        words = raw.bindMemory(to: CLong.self, capacity: count)
        words.initialize(repeating: 0, count: count)
        for slot in 0..<2 {
            for p in 0...participants { words[slot * boundsStride + p] = p * blocks / participants }
        }
        seen = [Int](repeating: 0, count: participants)
    }

    deinit { words.deallocate() }

    private func busy(_ p: Int) -> UnsafeMutablePointer<CLong> { words + 2 * boundsStride + 8 * p }

    /// Participant p's blocks at step s.
    @inline(__always)
    func range(_ p: Int, step s: Int) -> Range<Int> {
        let slot = words + (s & 1) * boundsStride
        return recurrent_atomic_load_acquire(slot + p)..<recurrent_atomic_load_acquire(slot + p + 1)
    }

    /// Participant p spent `ticks` computing its part of a step.
    @inline(__always)
    func addBusy(_ p: Int, _ ticks: UInt64) {
        let counter = busy(p)
        recurrent_atomic_store_release(counter, recurrent_atomic_load_acquire(counter) &+ CLong(truncatingIfNeeded: ticks))
    }

    /// Participant 0, during step s: writes the ranges of step s + 1 (moved on decision steps).
    func prepare(step s: Int) {
        let current = words + (s & 1) * boundsStride, next = words + ((s + 1) & 1) * boundsStride
        var bounds = (0...participants).map { recurrent_atomic_load_acquire(current + $0) }
        if s > 0 && s % Self.interval == 0 {
            // Busy time since the last decision, complete through step s - 1 for everyone.
            let totals = (0..<participants).map { recurrent_atomic_load_acquire(busy($0)) }
            let delta = (0..<participants).map { Double(totals[$0] &- seen[$0]) }
            seen = totals
            if policy == .alternating {
                let shift = (s / Self.interval) % 2 == 1 ? -1 : 1
                for p in 1..<participants where bounds[p] + shift > bounds[p - 1] && bounds[p] + shift < bounds[p + 1] {
                    bounds[p] += shift
                }
                for p in 0...participants { recurrent_atomic_store_release(next + p, bounds[p]) }
                return
            }
            let initial = (0..<participants).map { bounds[$0 + 1] - bounds[$0] }
            for p in 0..<(participants - 1) {
                let (left, right) = (delta[p], delta[p + 1])
                let perLeft = left / Double(max(1, initial[p])), perRight = right / Double(max(1, initial[p + 1]))
                // Counts as moved so far this round: nobody is left without a block.
                let (countLeft, countRight) = (bounds[p + 1] - bounds[p], bounds[p + 2] - bounds[p + 1])
                if countLeft > 1 && right + perRight < left * (1 - Self.margin) {
                    bounds[p + 1] -= 1  // the left participant gives its last block
                } else if countRight > 1 && left + perLeft < right * (1 - Self.margin) {
                    bounds[p + 1] += 1  // the right participant gives its first block
                }
            }
        }
        for p in 0...participants { recurrent_atomic_store_release(next + p, bounds[p]) }
    }
}

/// The participants of a batch-1 pass, step by step: each one's share of the row blocks at
/// every step (`RowBlockSplit`), the time it spends computing, and the meetings between steps
/// (`StepBarrier`). One participant alone has every block and meets no one.
///
/// Invariant (why `@unchecked Sendable`): the split and the barrier are thread-safe on their
/// own terms (see them); `starts` is allocated once, and participant p touches only slot p.
final class StepMeeting: @unchecked Sendable {
    let participants: Int
    let blocks: Int
    private let split: RowBlockSplit?
    private let barrier: StepBarrier?
    /// Whether the participants are several (and so time their work and meet). Tested before
    /// `split` or `barrier` is touched, so one participant's steps take no reference to them.
    let isShared: Bool

    /// When each participant began its current work (own cache line each).
    private let starts: UnsafeMutablePointer<UInt64>

    init(participants: Int, blocks: Int, policy: RowBlockSplit.Policy = .measured) {
        self.participants = participants
        self.blocks = blocks
        isShared = participants > 1
        split = isShared ? RowBlockSplit(participants: participants, blocks: blocks, policy: policy) : nil
        barrier = isShared ? StepBarrier(participants: participants) : nil
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, participants) * 64, alignment: 64)
        starts = raw.bindMemory(to: UInt64.self, capacity: max(1, participants) * 8)
        starts.initialize(repeating: 0, count: max(1, participants) * 8)
    }

    deinit { starts.deallocate() }

    /// Participant p starts work it will account for with `stopWork(_:)`.
    @inline(__always)
    func startWork(_ p: Int) { if isShared { starts[8 * p] = recurrent_ticks() } }

    /// Participant p stops the work it started: its time counts as busy.
    @inline(__always)
    func stopWork(_ p: Int) { if isShared { addBusy(p, recurrent_ticks() &- starts[8 * p]) } }

    /// Participant p's blocks at step s; participant 0 also fixes everyone's for step s + 1.
    @inline(__always)
    func begin(_ p: Int, step s: Int) -> Range<Int> {
        guard isShared, let split else { return 0..<blocks }
        let range = split.range(p, step: s)
        if p == 0 { split.prepare(step: s) }
        return range
    }

    /// Whether the shares may change after step s: then work that carries a participant's own
    /// units from step s into step s + 1 must meet once more (`meet(_:_:)` with `2s + 1`).
    @inline(__always)
    func sharesMayChange(after s: Int) -> Bool { isShared && s > 0 && s % RowBlockSplit.interval == 0 }

    /// Participant p has computed for `ticks` cycles.
    @inline(__always)
    func addBusy(_ p: Int, _ ticks: UInt64) { if isShared { split?.addBusy(p, ticks) } }

    /// Meeting number n (increasing, the same sequence for every participant).
    @inline(__always)
    func meet(_ p: Int, _ n: Int) { if isShared { barrier?.arrive(p, step: n) } }

    /// Step s of the forward pass: `work` on participant p's blocks, timed, then the meeting.
    @inline(__always)
    func run(_ p: Int, step s: Int, _ work: (Range<Int>) -> Void) {
        guard isShared else { return work(0..<blocks) }
        let range = begin(p, step: s)
        let start = recurrent_ticks()
        work(range)
        addBusy(p, recurrent_ticks() &- start)
        meet(p, s)
    }
}
