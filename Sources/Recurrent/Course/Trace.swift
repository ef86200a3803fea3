/// Every value of one step of a traced model.
public struct TraceStep: Equatable, Sendable {
    /// The time step, from 0.
    public var t: Int
    /// The input x_t.
    public var x: [Double]
    /// Each gate and state by name (`f`, `i`, `o`, `c`, `h`; `g`, `s`; `s`), each of length H.
    public var values: [String: [Double]]
}

/// A model run step by step on an input sequence, keeping every gate and state. Read-only:
/// the formats and pictures rely on every step holding every column.
public struct Trace: Equatable, Sendable {
    /// The cell traced.
    public private(set) var cell: CellKind
    /// The names of the values of each step, in display order: `f i o c h` (LSTM), `g s`
    /// (gated RNN), `s` (simple RNN).
    public private(set) var columns: [String]
    /// Whether the visible state was rounded at every step.
    public private(set) var rounded: Bool
    /// The steps, in order.
    public private(set) var steps: [TraceStep]

    /// Runs `model` on `inputs` (each of length X), in float64.
    ///
    /// With `round`, the visible state (h_t, or s_t) is rounded to the nearest integer at every
    /// step before it feeds the next step, as the course's exercises instruct; the trace shows
    /// the rounded state. The memory cell is not rounded.
    /// - Throws: `RecurrentError` when an input or an initial state (`h0`, `c0`: public vars) has
    ///   the wrong length or is not finite.
    public init(model: CourseModel, inputs: [[Double]], round: Bool = false) throws {
        let X = model.parameters.inputSize, H = model.parameters.hiddenSize
        for (name, state) in [("h0", model.h0), ("c0", model.c0)] where name == "h0" || model.cell == .lstm {
            guard state.shape == [H] else {
                throw RecurrentError.shape("\(name): expected (\(H)), got \(describeShape(state.shape))")
            }
            guard state.isFinite else { throw RecurrentError.value("\(name) must be finite numbers") }
        }
        if let bad = inputs.firstIndex(where: { $0.count != X }) {
            throw RecurrentError.shape("inputs: step \(bad) has \(inputs[bad].count) values, the model takes \(X)")
        }
        guard inputs.allSatisfy({ $0.allSatisfy(\.isFinite) }) else {
            throw RecurrentError.value("inputs must be finite numbers")
        }
        cell = model.cell
        rounded = round
        steps = []
        func visible(_ h: Tensor<Double>) -> Tensor<Double> {
            // Adding 0 turns -0.0 into 0.0, so rounded states print as 0.
            round ? Tensor(uncheckedShape: h.shape, scalars: h.scalars.map { $0.rounded() + 0 }) : h
        }
        switch model.cell {
        case .lstm:
            columns = ["f", "i", "o", "c", "h"]
            let lstm = try LSTMCell(course: model.parameters)
            var state = LSTMCell<Double>.State(h: model.h0, c: model.c0)
            for (t, x) in inputs.enumerated() {
                try Self.checkPreActivations(model.parameters, x: x, h: state.h.scalars, step: t)
                let step = try lstm(Tensor(x), state: state)
                state = LSTMCell.State(h: visible(step.h), c: step.c)
                steps.append(TraceStep(t: t, x: x, values: [
                    "f": step.f.scalars, "i": step.i.scalars, "o": step.o.scalars,
                    "c": step.c.scalars, "h": state.h.scalars]))
            }
        case .gated:
            columns = ["g", "s"]
            let gated = try GatedRNNCell(course: model.parameters)
            var s = model.h0
            for (t, x) in inputs.enumerated() {
                try Self.checkPreActivations(model.parameters, x: x, h: s.scalars, step: t)
                let step = try gated(Tensor(x), state: s)
                s = visible(step.s)
                steps.append(TraceStep(t: t, x: x, values: ["g": step.g.scalars, "s": s.scalars]))
            }
        case .rnn:
            columns = ["s"]
            let rnn = try SimpleRNNCell(course: model.parameters, nonlinearity: model.nonlinearity)
            var s = model.h0
            for (t, x) in inputs.enumerated() {
                try Self.checkPreActivations(model.parameters, x: x, h: s.scalars, step: t)
                s = visible(try rnn(Tensor(x), state: s))
                steps.append(TraceStep(t: t, x: x, values: ["s": s.scalars]))
            }
        default:
            throw RecurrentError.unsupported("the course's notation has no \(model.cell.definition.moduleName)")
        }
    }

    /// Throws unless every gate's pre-activation W^{q,x} x + W^{q,h} h + b_q at step t is
    /// finite: a sum that overflowed double precision would show as a saturated gate (±1, 0 or
    /// 1), a confident value for a meaningless sum. Summed plainly, term by term, so that any
    /// product or partial sum that overflows is seen.
    static func checkPreActivations(_ p: CourseParameters<Double>, x: [Double], h: [Double], step t: Int) throws {
        let H = p.hiddenSize, X = p.inputSize
        for gate in CourseParameters<Double>.gates(for: p.cell) {
            guard let wx = p[gate.input]?.scalars, let wh = p[gate.recurrent]?.scalars, let b = p[gate.bias]?.scalars else { continue }
            for i in 0..<H {
                var a = b[i]
                for j in 0..<X { a += wx[i * X + j] * x[j] }
                for j in 0..<H { a += wh[i * H + j] * h[j] }
                guard a.isFinite else {
                    throw RecurrentError.value("step \(t): the pre-activation of \(gate.letter) overflows double precision "
                        + "(the weights and inputs are too large to trace)")
                }
            }
        }
    }

    /// The visible state (h or s) of every step.
    public var visibleStates: [[Double]] {
        steps.map { $0.values[cell == .lstm ? "h" : "s"]! }
    }
}

/// Parses an input sequence written as `recurrent trace --inputs` takes it: steps separated by
/// `;` and the components of a step by `,` (`"1,0;0,1"`); for a scalar model (X = 1) `,` also
/// separates steps (`"0,0,1,1"`). Values may be negative.
/// - Throws: `RecurrentError` naming the value that is not a finite number, or the step of the
///   wrong length.
public func parseInputSequence(_ text: String, inputSize: Int) throws -> [[Double]] {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    guard !trimmed.isEmpty else { throw RecurrentError.value("inputs: empty sequence") }
    let separatedSteps = trimmed.utf8.contains(UInt8(ascii: ";")) || inputSize > 1
    let stepTexts: [Substring] = separatedSteps
        ? trimmed.split(separator: ";", omittingEmptySubsequences: false)
        : trimmed.split(separator: ",", omittingEmptySubsequences: false)
    return try stepTexts.enumerated().map { index, stepText in
        let parts = separatedSteps ? stepText.split(separator: ",", omittingEmptySubsequences: false) : [stepText]
        let values = try parts.map { part -> Double in
            let word = part.trimmingCharacters(in: .whitespaces)
            guard let value = DecimalText.decimal(word), value.isFinite else {
                throw RecurrentError.value("inputs: '\(word)' is not a number (step \(index))")
            }
            return value
        }
        guard values.count == inputSize else {
            throw RecurrentError.shape("inputs: step \(index) has \(values.count) values, the model takes \(inputSize)")
        }
        return values
    }
}

import Foundation
