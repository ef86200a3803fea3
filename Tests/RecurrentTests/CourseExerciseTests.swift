import Foundation
import Testing
@testable import Recurrent

/// The course's exercises, with the answers the course gives.
@Suite("Course exercises")
struct CourseExerciseTests {
    let homework = CoursePreset.homeworkLSTM.model

    @Test("Homework, rounded: [0,0,1,1,1,0] gives h = [0,0,1,-1,1,0]")
    func homeworkFirstSequence() throws {
        let trace = try Trace(model: homework, inputs: [0, 0, 1, 1, 1, 0].map { [$0] }, round: true)
        #expect(trace.visibleStates == [[0], [0], [1], [-1], [1], [0]])
    }

    @Test("Homework, rounded: [1,1,0,1,1] gives h = [1,-1,0,1,-1]")
    func homeworkSecondSequence() throws {
        let trace = try Trace(model: homework, inputs: [1, 1, 0, 1, 1].map { [$0] }, round: true)
        #expect(trace.visibleStates == [[1], [-1], [0], [1], [-1]])
    }

    /// The homework's LSTM written out by hand in float64, for the unrounded comparison.
    @Test("Homework without rounding matches float64 to 1e-6 in Double and in Float; h_5 ≈ -0.3808")
    func homeworkExact() throws {
        let xs: [Double] = [0, 0, 1, 1, 1, 0]
        let expected = homeworkReference(xs)
        let trace = try Trace(model: homework, inputs: xs.map { [$0] }, round: false)
        #expect(maxAbsDiff(trace.visibleStates.flatMap { $0 }, expected) < 1e-12)
        #expect(abs(expected[5] - -0.3808) < 1e-4)
        // The Float fast path (rational tanh and sigmoid) on the same model.
        let lstm = try LSTMCell<Float>(course: CourseParameters(
            cell: .lstm, homework.parameters.values.mapValues { $0.converted(to: Float.self) }))
        var state: LSTMCell<Float>.State?
        var floats: [Float] = []
        for x in xs {
            let step = try lstm(Tensor([Float(x)]), state: state)
            state = step.state
            floats.append(step.h.scalars[0])
        }
        #expect(maxAbsDiff(floats, expected) < 1e-6)
    }

    @Test("Lecture: every weight 1, biases 0, h = c = 1, x = 5: the new h rounds to 1")
    func lectureStep() throws {
        let preset = CoursePreset.lectureLSTM
        let trace = try Trace(model: preset.model, inputs: [[5]], round: false)
        let step = trace.steps[0]
        let s6 = 1 / (1 + exp(-6.0))
        #expect(abs(step.values["f"]![0] - s6) < 1e-12)
        #expect(abs(step.values["c"]![0] - (s6 * 1 + s6 * tanh(6))) < 1e-12)
        #expect(step.values["h"]![0].rounded() == 1)
        #expect(try Trace(model: preset.model, inputs: [[5]], round: true).visibleStates == [[1]])
    }

    @Test("Homework claim: rounded h_t is 0 where x_t = 0, +1 after an odd run of ones, -1 after an even run (every binary sequence up to length 12)")
    func homeworkCarriesRunParity() throws {
        let lstm = try LSTMCell(course: homework.parameters)
        var checked = 0
        for length in 1...12 {
            for bits in 0..<(1 << length) {
                var state = LSTMCell<Double>.State(h: Tensor([0]), c: Tensor([0]))
                var run = 0
                for t in 0..<length {
                    let x = Double((bits >> t) & 1)
                    let step = try lstm(Tensor([x]), state: state)
                    let h = step.h.scalars[0].rounded()
                    state = LSTMCell.State(h: Tensor([h]), c: step.c)
                    run = x == 1 ? run + 1 : 0
                    let expected: Double = x == 0 ? 0 : (run % 2 == 1 ? 1 : -1)
                    if h != expected {
                        Issue.record("bits \(String(bits, radix: 2)) length \(length) step \(t): h = \(h), expected \(expected)")
                        return
                    }
                    checked += 1
                }
            }
        }
        #expect(checked == (1...12).reduce(0) { $0 + $1 << $1 })
    }

    /// A gated cell whose gate is pinned to exactly 0 (elements 0, 2) or exactly 1 (elements 1, 3).
    func pinnedGateCell() throws -> GatedRNNCell<Double> {
        var g = SeededGenerator(seed: 5)
        func random(_ shape: [Int]) throws -> Tensor<Double> {
            try Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in g.uniform(-1.0, 1.0) })
        }
        return try GatedRNNCell(course: CourseParameters(cell: .gated, [
            "W_gs": Tensor(zeros: [4, 4]), "W_gx": Tensor(zeros: [4, 2]), "b_g": Tensor([-1000, 1000, -1000, 1000]),
            "W_ss": random([4, 4]), "W_sx": random([4, 2]), "b_s": random([4]),
        ]))
    }

    @Test("Gating: where g_t is 0 the state is carried unchanged, where it is 1 it is overwritten (exactly, Double and Float)")
    func gatingClaims() throws {
        let cell = try pinnedGateCell()
        let floatCell = try GatedRNNCell<Float>(course: CourseParameters(
            cell: .gated, try cell.courseParameters().values.mapValues { $0.converted(to: Float.self) }))
        let sPrev = Tensor<Double>([0.3, -0.7, 0.9, 0.2])
        let x = Tensor<Double>([0.5, -1.5])
        let step = try cell(x, state: sPrev)
        #expect(step.g.scalars == [0, 1, 0, 1])
        #expect(step.s.scalars[0] == sPrev.scalars[0] && step.s.scalars[2] == sPrev.scalars[2])
        #expect(step.s.scalars[1] == step.candidate.scalars[1] && step.s.scalars[3] == step.candidate.scalars[3])
        #expect(step.s.scalars[1] != sPrev.scalars[1])
        let f = try floatCell(x.converted(), state: sPrev.converted())
        #expect(f.g.scalars == [0, 1, 0, 1])
        #expect(f.s.scalars[0] == Float(sPrev.scalars[0]) && f.s.scalars[2] == Float(sPrev.scalars[2]))
        #expect(f.s.scalars[1] == f.candidate.scalars[1] && f.s.scalars[3] == f.candidate.scalars[3])
    }

    @Test("Gating: an all-zero gate carries the whole state; an all-one gate makes it the candidate")
    func wholeVectorGating() throws {
        let params = try pinnedGateCell().courseParameters()
        var values = params.values
        values["b_g"] = Tensor([-1000, -1000, -1000, -1000])
        let closed = try GatedRNNCell(course: CourseParameters(cell: .gated, values))
        let sPrev = Tensor<Double>([0.3, -0.7, 0.9, 0.2])
        #expect(try closed(Tensor([1, 2]), state: sPrev).s == sPrev)
        values["b_g"] = Tensor([1000, 1000, 1000, 1000])
        let open = try GatedRNNCell(course: CourseParameters(cell: .gated, values))
        let step = try open(Tensor([1, 2]), state: sPrev)
        #expect(step.s == step.candidate && step.s != sPrev)
    }
}
