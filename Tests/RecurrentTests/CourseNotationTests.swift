import Foundation
import Testing
@testable import Recurrent

/// The course's notation: JSON models, named parameters and their fused view.
@Suite("Course notation")
struct CourseNotationTests {
    static func random(_ shape: [Int], _ g: inout SeededGenerator) -> Tensor<Double> {
        try! Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in g.uniform(-0.8, 0.8) })
    }

    static func randomCourse(_ cell: CellKind, X: Int, H: Int, seed: UInt64) throws -> CourseParameters<Double> {
        var g = SeededGenerator(seed: seed)
        var values: [String: Tensor<Double>] = [:]
        for gate in CourseParameters<Double>.gates(for: cell) {
            values[gate.recurrent] = random([H, H], &g)
            values[gate.input] = random([H, X], &g)
            values[gate.bias] = random([H], &g)
        }
        return try CourseParameters(cell: cell, values)
    }

    /// One step of each course cell written with the named matrices, independent of the fused layout.
    static func courseStep(_ p: CourseParameters<Double>, x: [Double], h: [Double], c: [Double]) -> (h: [Double], c: [Double]) {
        let H = p.hiddenSize, X = p.inputSize
        func affine(_ q: String, _ state: String) -> [Double] {
            let wh = Reference.matvec(p["W_\(q)\(state)"]!.scalars, h, rows: H, cols: H)
            let wx = Reference.matvec(p["W_\(q)x"]!.scalars, x, rows: H, cols: X)
            return (0..<H).map { wh[$0] + wx[$0] + p["b_\(q)"]!.scalars[$0] }
        }
        switch p.cell {
        case .lstm:
            let f = affine("f", "h").map(Reference.sigmoid), i = affine("i", "h").map(Reference.sigmoid)
            let o = affine("o", "h").map(Reference.sigmoid), cand = affine("c", "h").map(tanh)
            let cNew = (0..<H).map { f[$0] * c[$0] + i[$0] * cand[$0] }
            return ((0..<H).map { o[$0] * tanh(cNew[$0]) }, cNew)
        case .gated:
            let g = affine("g", "s").map(Reference.sigmoid), cand = affine("s", "s").map(tanh)
            return ((0..<H).map { (1 - g[$0]) * h[$0] + g[$0] * cand[$0] }, [])
        default:
            return (affine("s", "s").map(tanh), [])
        }
    }

    @Test("Vector models (X = 3, H = 5) of each course cell match the named-matrix equations in float64",
          arguments: [CellKind.lstm, .gated, .rnn])
    func vectorModels(_ cell: CellKind) throws {
        let params = try Self.randomCourse(cell, X: 3, H: 5, seed: 11)
        var g = SeededGenerator(seed: 12)
        let inputs = (0..<8).map { _ in (0..<3).map { _ in g.uniform(-2.0, 2.0) } }
        let trace = try Trace(model: CourseModel(parameters: params), inputs: inputs)
        var h = [Double](repeating: 0, count: 5), c = h
        for (t, x) in inputs.enumerated() {
            (h, c) = Self.courseStep(params, x: x, h: h, c: c)
            #expect(maxAbsDiff(trace.visibleStates[t], h) < 1e-12)
            if cell == .lstm { #expect(maxAbsDiff(trace.steps[t].values["c"]!, c) < 1e-12) }
        }
    }

    @Test("Course → fused → course is bit-exact; fused b_q is bias_ih + bias_hh", arguments: [CellKind.lstm, .gated, .rnn])
    func losslessConversion(_ cell: CellKind) throws {
        let params = try Self.randomCourse(cell, X: 3, H: 5, seed: 21)
        let core = try CellCore(course: params)
        #expect(try core.courseParameters() == params)
        #expect(core.parameters["bias_hh"]!.scalars.allSatisfy { $0 == 0 })
        // The LSTM's block order: W^{c,x} is PyTorch's g block (rows 2H..<3H of weight_ih).
        if cell == .lstm {
            #expect(Array(core.parameters["weight_ih"]!.scalars[30..<45]) == params["W_cx"]!.scalars)
            #expect(Array(core.parameters["weight_hh"]!.scalars[0..<25]) == params["W_ih"]!.scalars)
        }
    }

    @Test("PyTorch-style parameters with both biases convert to the course's view with b = bias_ih + bias_hh")
    func fusedToCourse() throws {
        let lstm = try LSTMCell<Double>(inputSize: 2, hiddenSize: 3, seed: 4)
        let course = try lstm.courseParameters()
        let bih = lstm.parameters["bias_ih"]!.scalars, bhh = lstm.parameters["bias_hh"]!.scalars
        #expect(course["b_f"]!.scalars == (3..<6).map { bih[$0] + bhh[$0] })
        let back = try LSTMCell(course: course)
        let x = Tensor<Double>([0.3, -0.4])
        #expect(maxAbsDiff(try back(x).h.scalars, try lstm(x).h.scalars) < 1e-15)
    }

    @Test("A JSON scalar model equals the homework preset")
    func jsonScalarModel() throws {
        let json = """
            {"cell": "lstm", "W_fh": 0, "W_fx": 0, "b_f": -100, "W_ih": 0, "W_ix": 100, "b_i": 100,
             "W_oh": 0, "W_ox": 100, "b_o": 0, "W_ch": -100, "W_cx": 50, "b_c": 0}
            """
        let model = try CourseModel(json: Data(json.utf8))
        #expect(model == CoursePreset.homeworkLSTM.model)
    }

    @Test("A JSON vector model reads matrices as rows = outputs, lists as one-row or one-column matrices")
    func jsonVectorModel() throws {
        let json = """
            {"cell": "gated", "W_gs": [[1, 2], [3, 4]], "W_gx": [5, 6], "W_ss": [[0, 0], [0, 0]],
             "W_sx": [[7], [8]], "b_s": [0.5, -0.5], "s0": [1, 2]}
            """
        let model = try CourseModel(json: Data(json.utf8))
        #expect(model.parameters.hiddenSize == 2 && model.parameters.inputSize == 1)
        #expect(model.parameters["W_gx"]!.shape == [2, 1] && model.parameters["W_gx"]!.scalars == [5, 6])
        #expect(model.parameters["W_gs"]![1, 0] == 3)
        #expect(model.parameters["b_g"]!.scalars == [0, 0])
        #expect(model.h0.scalars == [1, 2])
    }

    static let errorCases: [(json: String, kind: RecurrentError.Kind, message: String)] = [
        ("{\"cell\": \"lstm\", ", .format, "m.json: malformed JSON at byte 17: expected a string key, found end of input"),
        ("{\"cell\": \"rnn\", \"W_ss\": 1, \"W_ss\": 2, \"W_sx\": 1}", .format, "m.json: key 'W_ss' appears twice"),
        ("[1, 2]", .format, "m.json: expected a JSON object with \"cell\" and the parameters"),
        ("{\"W_ss\": 1, \"W_sx\": 1}", .name, "m.json: missing key 'cell' (lstm, gated or rnn)"),
        ("{\"cell\": \"transformer\", \"W_ss\": 1}", .name, "m.json: unknown cell 'transformer' (expected lstm, gated or rnn)"),
        ("{\"cell\": 3, \"W_ss\": 1}", .name, "m.json: unknown cell a number (expected lstm, gated or rnn)"),
        ("{\"cell\": \"rnn\", \"W_ss\": 0.5, \"W_sx\": 1, \"h0\": 5, \"s0\": -5}", .name,
         "m.json: 's0' and 'h0' are both the initial state; give one"),
        ("{\"cell\": \"rnn\", \"W_ss\": 1}", .name, "m.json: missing key 'W_sx' for a rnn cell"),
        ("{\"cell\": \"rnn\", \"W_ss\": 1, \"W_sx\": 1, \"W_fx\": 2}", .name, "m.json: unknown key 'W_fx' for a rnn cell (expected W_ss, W_sx, b_s)"),
        ("{\"cell\": \"rnn\", \"W_ss\": [[1, 0], [0, 1]], \"W_sx\": [[1, 2, 3], [4, 5]]}", .shape, "m.json: W_sx: rows must be non-empty and of equal length"),
        ("{\"cell\": \"rnn\", \"W_ss\": [[1, 0], [0, 1]], \"W_sx\": [[1, 2, 3], [4, 5, 6]], \"b_s\": [1, 2, 3]}",
         .shape, "m.json: b_s: expected shape (2), got a list of 3 values"),
        ("{\"cell\": \"gated\", \"W_gs\": [[1, 0], [0, 1]], \"W_gx\": [[1, 2, 3], [4, 5, 6]], \"W_ss\": [[1, 0], [0, 1]], \"W_sx\": [[1, 2], [4, 5]]}",
         .shape, "m.json: W_sx: expected shape (2, 3), got (2, 2)"),
        ("{\"cell\": \"rnn\", \"W_ss\": \"one\", \"W_sx\": 1}", .value, "m.json: W_ss: expected a number, a list or a list of lists, found the string 'one'"),
        ("{\"cell\": \"rnn\", \"W_ss\": 1, \"W_sx\": [1, true]}", .value, "m.json: W_sx: expected numbers, found a boolean"),
        ("{\"cell\": \"lstm\", \"W_fh\": 0, \"W_fx\": 0, \"W_ih\": 0, \"W_ix\": 0, \"W_oh\": 0, \"W_ox\": 0, \"W_ch\": 0, \"W_cx\": 0, \"s0\": 1}",
         .name, "m.json: unknown key 's0' for a lstm cell (expected W_fh, W_fx, b_f, W_ih, W_ix, b_i, W_oh, W_ox, b_o, W_ch, W_cx, b_c)"),
    ]

    @Test("A pre-activation that overflows double precision is refused, not shown as a saturated gate")
    func overflowingPreActivationRefused() throws {
        let model = try CourseModel(json: Data(#"{"cell": "rnn", "W_ss": [[0]], "W_sx": [[1e300, 1e300]]}"#.utf8), source: "m.json")
        // 1e300·1e300 - 1e300·1e300 is 0 in exact arithmetic; in double precision inf - inf (or inf with a fused multiply-add).
        let error = recurrentError { try Trace(model: model, inputs: [[1, 1], [1e300, -1e300]]) }
        #expect(error?.message == "step 1: the pre-activation of s overflows double precision (the weights and inputs are too large to trace)")
        // Large but finite: traced (tanh(2e300) = 1).
        #expect(try Trace(model: model, inputs: [[1, 1]]).visibleStates == [[1]])
    }

    @Test("Every library cell the course does not write out (gru, peephole, cifg, ...) is refused by name, not a trap",
          arguments: CellKind.allCases.filter { ![CellKind.lstm, .gated, .rnn].contains($0) })
    func cellsOutsideTheCourseRefused(_ cell: CellKind) {
        let error = recurrentError { try CourseModel(json: Data("{\"cell\": \"\(cell.rawValue)\"}".utf8), source: "m.json") }
        #expect(error?.message == "m.json: unknown cell '\(cell.rawValue)' (expected lstm, gated or rnn)")
    }

    @Test("Bad JSON models give one clear error naming the file and the key (and the shapes)", arguments: 0..<errorCases.count)
    func jsonErrors(_ index: Int) {
        let (json, kind, message) = Self.errorCases[index]
        do {
            _ = try CourseModel(json: Data(json.utf8), source: "m.json")
            Issue.record("expected the error \(message)")
        } catch let error as RecurrentError {
            #expect(error == RecurrentError(kind, message))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test("Inputs: scalars by ',', vectors by ';', negative values, errors naming the bad value")
    func inputParsing() throws {
        #expect(try parseInputSequence("0,0,1,1", inputSize: 1) == [[0], [0], [1], [1]])
        #expect(try parseInputSequence("-1,0.5", inputSize: 1) == [[-1], [0.5]])
        #expect(try parseInputSequence("1,0;0,-1", inputSize: 2) == [[1, 0], [0, -1]])
        #expect(try parseInputSequence("1,2,3", inputSize: 3) == [[1, 2, 3]])
        #expect(try parseInputSequence(" 1 ; 2 ", inputSize: 1) == [[1], [2]])
        #expect(throws: RecurrentError(.value, "inputs: 'x' is not a number (step 1)")) {
            try parseInputSequence("1,x", inputSize: 1)
        }
        #expect(throws: RecurrentError(.value, "inputs: 'nan' is not a number (step 0)")) {
            try parseInputSequence("nan", inputSize: 1)
        }
        #expect(throws: RecurrentError(.shape, "inputs: step 1 has 1 values, the model takes 2")) {
            try parseInputSequence("1,0;1", inputSize: 2)
        }
        #expect(throws: RecurrentError(.value, "inputs: empty sequence")) { try parseInputSequence(" ", inputSize: 1) }
    }

    @Test("Unknown presets are an error listing the presets")
    func unknownPreset() {
        #expect(throws: RecurrentError(.name, "unknown preset 'nope' (presets: homework-lstm, lecture-lstm, gated-latch)")) {
            try CoursePreset.named("nope")
        }
    }
}
