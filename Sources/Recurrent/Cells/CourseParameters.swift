/// A cell's parameters in the course's notation: for each gate (or candidate) q, a matrix
/// W^{q,h} `(H, H)` on the previous state, a matrix W^{q,x} `(H, X)` on the input (rows are
/// outputs), and a bias b_q `(H)`. Keys are written `W_qh`, `W_qx`, `b_q`:
///
/// | cell    | keys (in order) | fused block |
/// |---------|-----------------|-------------|
/// | `lstm`  | `W_fh W_fx b_f`, `W_ih W_ix b_i`, `W_oh W_ox b_o`, `W_ch W_cx b_c` | f: 1, i: 0, o: 3, c: 2 |
/// | `gated` | `W_gs W_gx b_g`, `W_ss W_sx b_s` | g: 0, s: 1 |
/// | `rnn`   | `W_ss W_sx b_s` | s: 0 |
///
/// This is a lossless view of the fused layout: W^{q,x} is block q of `weight_ih` (rows
/// `q·H ..< (q+1)·H`), W^{q,h} block q of `weight_hh`, and b_q is `bias_ih + bias_hh` of that
/// block. Converting to the fused layout puts b_q in `bias_ih` and zero in `bias_hh`, so
/// course → fused → course is bit-exact.
public struct CourseParameters<Scalar: RecurrentScalar>: Equatable, Sendable {
    /// The cell: `.lstm`, `.gated` or `.rnn` (the GRU is not in the course).
    public let cell: CellKind
    /// X
    public let inputSize: Int
    /// H
    public let hiddenSize: Int
    /// Every key of the cell with its value (biases present, zero if not given).
    public private(set) var values: [String: Tensor<Scalar>]

    /// One gate's keys and its block in the fused layout.
    struct Gate: Sendable {
        let letter: String
        let stateLetter: String
        let block: Int
        var recurrent: String { "W_\(letter)\(stateLetter)" }
        var input: String { "W_\(letter)x" }
        var bias: String { "b_\(letter)" }
    }

    static func gates(for cell: CellKind) -> [Gate] {
        switch cell {
        case .lstm: [Gate(letter: "f", stateLetter: "h", block: 1), Gate(letter: "i", stateLetter: "h", block: 0),
                     Gate(letter: "o", stateLetter: "h", block: 3), Gate(letter: "c", stateLetter: "h", block: 2)]
        case .gated: [Gate(letter: "g", stateLetter: "s", block: 0), Gate(letter: "s", stateLetter: "s", block: 1)]
        case .rnn: [Gate(letter: "s", stateLetter: "s", block: 0)]
        default: []  // the cells the course does not write out
        }
    }

    /// The course's keys for a cell, in the course's order.
    public static func keys(for cell: CellKind) -> [String] {
        gates(for: cell).flatMap { [$0.recurrent, $0.input, $0.bias] }
    }

    /// Makes the parameters from named tensors. H is read from the first gate's W^{q,h} and X
    /// from its W^{q,x}; every other value must agree. Missing biases are zero.
    /// - Throws: `RecurrentError` for the GRU, an unknown or missing key, or a wrong shape
    ///   (naming the key, the expected and the actual shape).
    public init(cell: CellKind, _ values: [String: Tensor<Scalar>]) throws {
        let gates = Self.gates(for: cell)
        guard let first = gates.first else {
            throw RecurrentError.unsupported("the course's notation has no \(cell.rawValue) cell (use lstm, gated or rnn)")
        }
        let known = Set(Self.keys(for: cell))
        if let unknown = values.keys.sorted().first(where: { !known.contains($0) }) {
            throw RecurrentError.name(
                "unknown key '\(unknown)' for a \(cell.rawValue) cell (expected \(Self.keys(for: cell).joined(separator: ", ")))")
        }
        for gate in gates {
            for key in [gate.recurrent, gate.input] where values[key] == nil {
                throw RecurrentError.name("missing key '\(key)' for a \(cell.rawValue) cell")
            }
        }
        let recurrent = values[first.recurrent]!, input = values[first.input]!
        guard recurrent.rank == 2, input.rank == 2 else {
            throw RecurrentError.shape("\(first.recurrent) and \(first.input) must be matrices")
        }
        let H = recurrent.shape[0], X = input.shape[1]
        guard H > 0, X > 0 else { throw RecurrentError.shape("\(first.recurrent) and \(first.input) must not be empty") }
        var complete: [String: Tensor<Scalar>] = [:]
        for gate in gates {
            for (key, shape) in [(gate.recurrent, [H, H]), (gate.input, [H, X]), (gate.bias, [H])] {
                let value = try values[key] ?? Tensor(zeros: shape)
                guard value.shape == shape else {
                    throw RecurrentError.shape(
                        "\(key): expected shape \(describeShape(shape)), got \(describeShape(value.shape))")
                }
                guard value.isFinite else { throw RecurrentError.value("\(key) contains NaN or infinity") }
                complete[key] = value
            }
        }
        self.cell = cell
        self.inputSize = X
        self.hiddenSize = H
        self.values = complete
    }

    /// The value of one key, or nil.
    public subscript(key: String) -> Tensor<Scalar>? { values[key] }
}

extension CellCore {
    /// A cell whose fused parameters hold the course's matrices (`bias_hh` zero).
    init(course: CourseParameters<Scalar>, nonlinearity: Nonlinearity = .tanh) throws {
        let H = course.hiddenSize, X = course.inputSize
        try self.init(CellGeometry(kind: course.cell, nonlinearity: nonlinearity, inputSize: X, hiddenSize: H))
        let G = course.cell.gateCount
        var wih = [Scalar](repeating: 0, count: G * H * X)
        var whh = [Scalar](repeating: 0, count: G * H * H)
        var bih = [Scalar](repeating: 0, count: G * H)
        for gate in CourseParameters<Scalar>.gates(for: course.cell) {
            let q = gate.block
            wih.replaceSubrange(q * H * X..<(q + 1) * H * X, with: course[gate.input]!.scalars)
            whh.replaceSubrange(q * H * H..<(q + 1) * H * H, with: course[gate.recurrent]!.scalars)
            bih.replaceSubrange(q * H..<(q + 1) * H, with: course[gate.bias]!.scalars)
        }
        try set("weight_ih", Tensor(uncheckedShape: [G * H, X], scalars: wih))
        try set("weight_hh", Tensor(uncheckedShape: [G * H, H], scalars: whh))
        try set("bias_ih", Tensor(uncheckedShape: [G * H], scalars: bih))
    }

    /// The course's view of the fused parameters: b_q = `bias_ih` + `bias_hh` of block q.
    func courseParameters() throws -> CourseParameters<Scalar> {
        let H = geometry.hiddenSize, X = geometry.inputSize
        guard geometry.projectionSize == 0 else {
            throw RecurrentError.unsupported("the course's notation has no projection (weight_hr)")
        }
        let wih = parameters["weight_ih"]!.scalars, whh = parameters["weight_hh"]!.scalars
        let bih = parameters["bias_ih"]?.scalars, bhh = parameters["bias_hh"]?.scalars
        var values: [String: Tensor<Scalar>] = [:]
        for gate in CourseParameters<Scalar>.gates(for: geometry.kind) {
            let q = gate.block
            values[gate.input] = Tensor(uncheckedShape: [H, X], scalars: Array(wih[q * H * X..<(q + 1) * H * X]))
            values[gate.recurrent] = Tensor(uncheckedShape: [H, H], scalars: Array(whh[q * H * H..<(q + 1) * H * H]))
            values[gate.bias] = Tensor(uncheckedShape: [H], scalars: (0..<H).map { j in
                (bih?[q * H + j] ?? 0) + (bhh?[q * H + j] ?? 0)
            })
        }
        return try CourseParameters(cell: geometry.kind, values)
    }
}
