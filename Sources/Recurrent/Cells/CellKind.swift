import CRecurrentKernels

/// A recurrent cell, by name: one of those registered in the C kernels (`allCases`).
///
/// A cell is one file, `CRecurrentKernels/body/cells/<name>.h`: its equations, its description
/// (`rk_cell_info`: gate count, memory cell, extra per-unit vectors, ...) and its element-wise
/// step forward and backward, registered by one entry in `body/cells.h`. Nothing in Swift lists
/// the cells: `allCases` reads the registered descriptions at start-up, so a new cell is at once
/// a `--cell` value, a kind for `RecurrentConfiguration`, and a tensor layout that model files
/// save and load. The constants below name the cells this library ships.
///
/// Every cell stores its parameters in PyTorch's fused layout: `weight_ih` `(G·H, X)`,
/// `weight_hh` `(G·H, H)`, optional `bias_ih` and `bias_hh` `(G·H)`, with the G gate blocks
/// stacked in the order given for each cell (and, for the LSTM only, an optional projection
/// `weight_hr` `(P, H)`, in which case `weight_hh` is `(4H, P)`), then the cell's own per-unit
/// vectors of H values each (`unitVectorNames`).
public struct CellKind: RawRepresentable, Hashable, Sendable, CaseIterable, Codable, CustomStringConvertible {
    /// Its id in the C registration list (the only stored value: a kind is as cheap to copy as
    /// an enum, which matters inside the time loops' geometry).
    let id: rk_cell

    /// The cell's name (`"lstm"`), as `--cell` and model files write it.
    public var rawValue: String { definition.name }

    /// The registered cell named `rawValue`, or nil when there is none.
    public init?(rawValue: String) {
        let id = rk_cell_named(rawValue)
        guard id >= 0 else { return nil }
        self.id = id
    }

    /// Every registered cell, in the order of the C list.
    public static let allCases: [CellKind] = CellDefinition.registered.map { CellKind(id: $0.kernel) }

    private init(id: rk_cell) { self.id = id }

    public var description: String { rawValue }

    /// The cell's definition, read from its C description.
    var definition: CellDefinition { CellDefinition.registered[Int(id)] }

    /// One line on what the cell computes.
    public var summary: String { definition.summary }

    /// A cell this library ships. Invariant: `shipped` is only given the names below, each
    /// registered in `body/cells.h` (CellRegistrationTests): input cannot reach the `!`.
    private static func shipped(_ name: String) -> CellKind { CellKind(rawValue: name)! }

    /// Simple RNN, one block: s_t = φ(W^{s,x} x_t + W^{s,s} s_{t-1} + b), φ = tanh or ReLU; see
    /// `SimpleRNNCell`.
    public static let rnn = shipped("rnn")
    /// The course's single-gate gated RNN, blocks (g, s̃); see `GatedRNNCell`.
    public static let gated = shipped("gated")
    /// LSTM, blocks (i, f, g, o) as PyTorch; see `LSTMCell`.
    public static let lstm = shipped("lstm")
    /// GRU, blocks (r, z, n) as PyTorch; see `GRUCell`.
    public static let gru = shipped("gru")
    /// LSTM with peephole connections (Gers & Schmidhuber 2000): i and f also see c_{t-1}, o
    /// sees c_t; see `PeepholeLSTMCell`.
    public static let peephole = shipped("peephole")
}

/// The nonlinearity of a simple RNN, as PyTorch's `nn.RNN(nonlinearity=...)`.
public enum Nonlinearity: String, Sendable, CaseIterable, Codable {
    /// s = tanh(a)
    case tanh
    /// s = max(a, 0)
    case relu
}

/// The sizes of one cell (one layer, one direction) and what it has.
struct CellGeometry: Equatable, Sendable {
    /// The largest input, hidden or projection size (`RecurrentConfiguration.maximumSize`).
    static let maximumSize = 1 << 24

    let kind: CellKind
    let nonlinearity: Nonlinearity
    /// X, the size of each input vector.
    let inputSize: Int
    /// H, the size of the hidden state (the LSTM's memory cell).
    let hiddenSize: Int
    /// P, the LSTM's projection size, or 0 for none.
    let projectionSize: Int
    let hasBias: Bool
    /// What the time loops ask of the cell at every step, read once here.
    let traits: CellTraits

    init(kind: CellKind, nonlinearity: Nonlinearity = .tanh, inputSize: Int, hiddenSize: Int, projectionSize: Int = 0,
         hasBias: Bool = true) {
        (self.kind, self.nonlinearity, self.inputSize, self.hiddenSize) = (kind, nonlinearity, inputSize, hiddenSize)
        (self.projectionSize, self.hasBias) = (projectionSize, hasBias)
        traits = kind.definition.traits
    }

    /// G·H, the rows of `weight_ih` and `weight_hh`.
    var gateRows: Int { traits.gateCount * hiddenSize }
    /// Hout, the size of the visible state h: P with a projection, else H.
    var stateSize: Int { projectionSize > 0 ? projectionSize : hiddenSize }
    /// Whether the cell carries a memory cell c besides h.
    var hasCellState: Bool { traits.hasCellState }

    /// The tensors of one cell, in PyTorch's order, with their shapes; `suffix` is appended to
    /// each name (`_l0`, `_l1_reverse`).
    func parameterShapes(suffix: String = "") -> [(name: String, shape: [Int])] {
        var list: [(String, [Int])] = [
            ("weight_ih" + suffix, [gateRows, inputSize]),
            ("weight_hh" + suffix, [gateRows, stateSize]),
        ]
        if hasBias {
            list.append(("bias_ih" + suffix, [gateRows]))
            list.append(("bias_hh" + suffix, [gateRows]))
        }
        for name in kind.definition.unitVectors { list.append((name + suffix, [hiddenSize])) }
        if projectionSize > 0 {
            list.append(("weight_hr" + suffix, [projectionSize, hiddenSize]))
        }
        return list
    }
}

/// Where one cell's tensors start in a parameter buffer.
struct CellSlots: Equatable, Sendable {
    var weightIH: Int
    var weightHH: Int
    var biasIH: Int?
    var biasHH: Int?
    var weightHR: Int?
    /// The first of the cell's unit vectors (they follow one another), if it has any.
    var unitVectors: Int?

    init<Scalar>(_ store: ParameterStore<Scalar>, suffix: String = "") {
        self.init(suffix: suffix) { store.entry($0)?.offset }
    }

    /// Slots from a lookup of each tensor's offset by name (nil when absent).
    init(suffix: String = "", offset: (String) -> Int?) {
        // Invariant: both callers (CellCore, NetworkLayout) look names up in offsets made from
        // `parameterShapes`, which always lists weight_ih and weight_hh: input cannot reach the `!`.
        weightIH = offset("weight_ih" + suffix)!
        weightHH = offset("weight_hh" + suffix)!
        biasIH = offset("bias_ih" + suffix)
        biasHH = offset("bias_hh" + suffix)
        weightHR = offset("weight_hr" + suffix)
        unitVectors = CellKind.allCases.flatMap(\.definition.unitVectors).compactMap { offset($0 + suffix) }.min()
    }
}

/// One cell's tensors inside a parameter buffer, read-only (`CellWeights`), or inside a
/// gradient buffer, to add into (`CellGradients`): two types, so that weights are never written
/// through a pointer meant for gradients.
struct CellTensors<Pointer>: @unchecked Sendable {
    // Invariant: the pointers point into a buffer that outlives this value, at the offsets of
    // `CellSlots`; whoever makes the value keeps the buffer alive (`withUnsafeBufferPointer`).
    var weightIH: Pointer
    var weightHH: Pointer
    var biasIH: Pointer?
    var biasHH: Pointer?
    var weightHR: Pointer?
    /// The cell's unit vectors, one after another (H values each), if it has any.
    var unitVectors: Pointer?

    init(_ slots: CellSlots, _ at: (Int) -> Pointer) {
        weightIH = at(slots.weightIH)
        weightHH = at(slots.weightHH)
        biasIH = slots.biasIH.map(at)
        biasHH = slots.biasHH.map(at)
        weightHR = slots.weightHR.map(at)
        unitVectors = slots.unitVectors.map(at)
    }
}

typealias CellWeights<Scalar> = CellTensors<UnsafePointer<Scalar>>
typealias CellGradients<Scalar> = CellTensors<UnsafeMutablePointer<Scalar>>

extension CellTensors {
    /// The tensors at `slots` of the parameters at `base`.
    init<Scalar>(_ base: UnsafePointer<Scalar>, _ slots: CellSlots) where Pointer == UnsafePointer<Scalar> {
        self.init(slots) { base + $0 }
    }

    /// The tensors at `slots` of the gradients at `base`.
    init<Scalar>(_ base: UnsafeMutablePointer<Scalar>, _ slots: CellSlots) where Pointer == UnsafeMutablePointer<Scalar> {
        self.init(slots) { base + $0 }
    }
}
