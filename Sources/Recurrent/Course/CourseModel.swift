import Foundation

/// A model written in the course's notation, as `recurrent trace --model FILE.json` reads it:
///
/// ```json
/// {"cell": "lstm", "W_fh": 0, "W_fx": 0, "b_f": -100, "W_ih": 0, "W_ix": 100, "b_i": 100,
///  "W_oh": 0, "W_ox": 100, "b_o": 0, "W_ch": -100, "W_cx": 50, "b_c": 0, "h0": 0, "c0": 0}
/// ```
///
/// `cell` is `lstm`, `gated` or `rnn`; the other keys are the course's parameter names (see
/// `CourseParameters`), optional initial states `h0` and `c0` (LSTM) or `s0` (also `h0`) for the
/// others, and, for `rnn`, an optional `nonlinearity` (`tanh` or `relu`). Each value is a number
/// (scalar model), a list (vector) or a list of lists (matrix, rows = outputs). A list may stand
/// for a one-row or one-column matrix. H is read from the first gate's W^{q,h} and X from its
/// W^{q,x}. Missing biases and states are zero.
public struct CourseModel: Equatable, Sendable {
    /// The cell's parameters.
    public var parameters: CourseParameters<Double>
    /// The simple RNN's nonlinearity.
    public var nonlinearity: Nonlinearity
    /// The initial visible state h_{-1} (s_{-1}), `(H)`.
    public var h0: Tensor<Double>
    /// The LSTM's initial memory cell c_{-1}, `(H)`.
    public var c0: Tensor<Double>

    /// A model from its parts; states default to zero.
    public init(parameters: CourseParameters<Double>, nonlinearity: Nonlinearity = .tanh,
                h0: Tensor<Double>? = nil, c0: Tensor<Double>? = nil) {
        self.parameters = parameters
        self.nonlinearity = nonlinearity
        // H values each: as many as the parameters already hold, so nothing here can fail.
        self.h0 = h0 ?? Tensor([Double](repeating: 0, count: parameters.hiddenSize))
        self.c0 = c0 ?? Tensor([Double](repeating: 0, count: parameters.hiddenSize))
    }

    /// The cell.
    public var cell: CellKind { parameters.cell }

    /// Reads a model from a JSON file.
    /// - Throws: `RecurrentError` naming the file and what is wrong (malformed JSON, a missing or
    ///   unknown key, a value of the wrong shape or kind).
    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw RecurrentError.io("\(url.path): cannot read the file")
        }
        try self.init(json: data, source: url.lastPathComponent)
    }

    /// Reads a model from JSON text; `source` names it in error messages.
    public init(json data: Data, source: String = "model") throws {
        do {
            try self.init(parsing: data, source: source)
        } catch var error as RecurrentError where !error.message.hasPrefix(source + ":") {
            error.message = source + ": " + error.message
            throw error
        }
    }

    private init(parsing data: Data, source: String) throws {
        guard let object = try JSONValue.parse(data, source: source).uniqueMembers(source: source) else {
            throw RecurrentError.format("\(source): expected a JSON object with \"cell\" and the parameters")
        }
        guard let cellValue = object["cell"] else {
            throw RecurrentError.name("\(source): missing key 'cell' (lstm, gated or rnn)")
        }
        // The course writes out three cells; the library's others (gru, peephole, cifg) have no keys here.
        guard case .string(let cellName) = cellValue, let cell = CellKind(rawValue: cellName),
              !CourseParameters<Double>.gates(for: cell).isEmpty else {
            let given = if case .string(let name) = cellValue { "'\(name)'" } else { cellValue.courseKindName }
            throw RecurrentError.name("\(source): unknown cell \(given) (expected lstm, gated or rnn)")
        }
        let stateKeys: Set<String> = cell == .lstm ? ["h0", "c0"] : ["s0", "h0"]
        let extraKeys: Set<String> = cell == .rnn ? ["cell", "nonlinearity"] : ["cell"]
        let parameterKeys = CourseParameters<Double>.keys(for: cell)
        let known = Set(parameterKeys).union(stateKeys).union(extraKeys)
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw RecurrentError.name(
                "\(source): unknown key '\(unknown)' for a \(cell.rawValue) cell (expected \(parameterKeys.joined(separator: ", ")))")
        }
        var nonlinearity = Nonlinearity.tanh
        if let value = object["nonlinearity"] {
            guard case .string(let name) = value, let parsed = Nonlinearity(rawValue: name) else {
                throw RecurrentError.value("\(source): nonlinearity must be \"tanh\" or \"relu\"")
            }
            nonlinearity = parsed
        }
        let gates = CourseParameters<Double>.gates(for: cell)
        for key in gates.flatMap({ [$0.recurrent, $0.input] }) where object[key] == nil {
            throw RecurrentError.name("\(source): missing key '\(key)' for a \(cell.rawValue) cell")
        }
        let (H, X) = try Self.sizes(recurrent: gates[0].recurrent, object[gates[0].recurrent]!,
                                    input: gates[0].input, object[gates[0].input]!)
        var values: [String: Tensor<Double>] = [:]
        for gate in gates {
            values[gate.recurrent] = try Self.tensor(object[gate.recurrent]!, key: gate.recurrent, shape: [H, H])
            values[gate.input] = try Self.tensor(object[gate.input]!, key: gate.input, shape: [H, X])
            if let b = object[gate.bias] { values[gate.bias] = try Self.tensor(b, key: gate.bias, shape: [H]) }
        }
        let parameters = try CourseParameters(cell: cell, values)
        if cell != .lstm, object["s0"] != nil, object["h0"] != nil {
            throw RecurrentError.name("\(source): 's0' and 'h0' are both the initial state; give one")
        }
        let hKey = cell == .lstm || object["s0"] == nil ? "h0" : "s0"
        let h0 = try object[hKey].map { try Self.tensor($0, key: hKey, shape: [H]) }
        let c0 = try object["c0"].map { try Self.tensor($0, key: "c0", shape: [H]) }
        self.init(parameters: parameters, nonlinearity: nonlinearity, h0: h0, c0: c0)
    }

    /// H from the first recurrent matrix, X from the first input matrix.
    private static func sizes(recurrent: String, _ w: JSONValue, input: String, _ u: JSONValue) throws -> (Int, Int) {
        let H: Int
        switch try RawValue(w, key: recurrent) {
        case .number: H = 1
        case .vector(let v) where v.count == 1: H = 1
        case .vector(let v):
            throw RecurrentError.shape("\(recurrent): a list of \(v.count) values cannot be an H×H matrix; write it as a list of rows")
        case .matrix(let rows, _, _): H = rows
        }
        switch try RawValue(u, key: input) {
        case .number: return (H, 1)
        case .vector(let v) where H == 1: return (H, v.count)
        case .vector(let v) where v.count == H: return (H, 1)
        case .vector(let v):
            throw RecurrentError.shape("\(input): expected \(H) rows (H = \(H) from \(recurrent)), got a list of \(v.count) values")
        case .matrix(_, let cols, _): return (H, cols)
        }
    }

    /// A number, a list or a list of equal-length lists.
    private enum RawValue {
        case number(Double)
        case vector([Double])
        case matrix(rows: Int, cols: Int, [Double])

        init(_ value: JSONValue, key: String) throws {
            func number(_ v: JSONValue) throws -> Double {
                guard let d = v.doubleValue else {
                    throw RecurrentError.value("\(key): expected numbers, found \(v.courseKindName)")
                }
                guard d.isFinite else { throw RecurrentError.value("\(key): values must be finite") }
                return d
            }
            switch value {
            case .number: self = .number(try number(value))
            case .array(let items) where items.isEmpty:
                throw RecurrentError.shape("\(key): empty list")
            case .array(let items):
                if case .array = items[0] {
                    var rows: [[Double]] = []
                    for item in items {
                        guard case .array(let row) = item else {
                            throw RecurrentError.value("\(key): expected a list of lists, found \(item.courseKindName) among the rows")
                        }
                        rows.append(try row.map(number))
                    }
                    let cols = rows[0].count
                    guard cols > 0, rows.allSatisfy({ $0.count == cols }) else {
                        throw RecurrentError.shape("\(key): rows must be non-empty and of equal length")
                    }
                    self = .matrix(rows: rows.count, cols: cols, rows.flatMap { $0 })
                } else {
                    self = .vector(try items.map(number))
                }
            default:
                throw RecurrentError.value("\(key): expected a number, a list or a list of lists, found \(value.courseKindName)")
            }
        }
    }

    /// The value as a tensor of `shape` (a matrix or a vector), or a shape error naming the key.
    private static func tensor(_ value: JSONValue, key: String, shape: [Int]) throws -> Tensor<Double> {
        let raw = try RawValue(value, key: key)
        let got: [Int], scalars: [Double]
        switch raw {
        case .number(let d): (got, scalars) = ([], [d])
        case .vector(let v): (got, scalars) = ([v.count], v)
        case .matrix(let r, let c, let m): (got, scalars) = ([r, c], m)
        }
        let count = shape.reduce(1, *)
        let fits: Bool
        if shape.count == 1 {
            fits = got == shape || (got.isEmpty && count == 1)
        } else {
            // A number is a 1×1 matrix; a list is a one-row or one-column matrix.
            fits = got == shape || (got.isEmpty && count == 1)
                || (got.count == 1 && scalars.count == count && (shape[0] == 1 || shape[1] == 1))
        }
        guard fits else {
            let description = got.isEmpty ? "a number" : got.count == 1 ? "a list of \(scalars.count) values" : describeShape(got)
            throw RecurrentError.shape("\(key): expected shape \(describeShape(shape)), got \(description)")
        }
        return try Tensor(shape: shape, scalars: scalars)
    }
}
