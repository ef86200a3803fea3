import CRecurrentKernels

/// The four recurrent cells.
///
/// Every cell stores its parameters in PyTorch's fused layout: `weight_ih` `(G·H, X)`,
/// `weight_hh` `(G·H, H)`, optional `bias_ih` and `bias_hh` `(G·H)`, with the G gate blocks
/// stacked in the order listed for each case (and, for the LSTM only, an optional projection
/// `weight_hr` `(P, H)`, in which case `weight_hh` is `(4H, P)`).
public enum CellKind: String, Sendable, CaseIterable, Codable {
    /// Simple RNN, one block: s_t = φ(W^{s,x} x_t + W^{s,s} s_{t-1} + b), φ = tanh or ReLU.
    case rnn
    /// The course's single-gate gated RNN, blocks (g, s̃); see `GatedRNNCell`.
    case gated
    /// LSTM, blocks (i, f, g, o) as PyTorch; see `LSTMCell`.
    case lstm
    /// GRU, blocks (r, z, n) as PyTorch; see `GRUCell`.
    case gru

    /// G, the number of stacked gate blocks in `weight_ih` and `weight_hh`.
    public var gateCount: Int {
        switch self {
        case .rnn: 1
        case .gated: 2
        case .lstm: 4
        case .gru: 3
        }
    }

    /// The C kernel of its element-wise step (`body/cells/`).
    var kernelID: rk_cell {
        switch self {
        case .rnn: RK_CELL_RNN
        case .gated: RK_CELL_GATED
        case .lstm: RK_CELL_LSTM
        case .gru: RK_CELL_GRU
        }
    }

    /// Whether the cell carries a memory cell c besides h.
    var hasCellState: Bool { self == .lstm }

    /// Whether the recurrent product W_hh h + b_hh is kept apart from the input projection
    /// (the GRU scales part of it by r), rather than added into the same gates.
    var keepsRecurrentPartApart: Bool { self == .gru }

    /// Whether ∂L/∂h_{t-1} has a direct term besides the product through W_hh (the GRU's z ⊙ dh,
    /// the gated RNN's (1 - g) ⊙ ds): the element-wise backward writes it, the product adds to it.
    var hasDirectStateGradient: Bool { self == .gru || self == .gated }

    /// The PyTorch module with this cell, or nil for the gated RNN, which PyTorch lacks.
    public var torchModuleName: String? {
        switch self {
        case .rnn: "nn.RNN"
        case .gated: nil
        case .lstm: "nn.LSTM"
        case .gru: "nn.GRU"
        }
    }
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
    var kind: CellKind
    var nonlinearity: Nonlinearity = .tanh
    /// X, the size of each input vector.
    var inputSize: Int
    /// H, the size of the hidden state (the LSTM's memory cell).
    var hiddenSize: Int
    /// P, the LSTM's projection size, or 0 for none.
    var projectionSize: Int = 0
    var hasBias: Bool = true

    /// G·H, the rows of `weight_ih` and `weight_hh`.
    var gateRows: Int { kind.gateCount * hiddenSize }
    /// The size of the visible state h: P with a projection, else H.
    var outputSize: Int { projectionSize > 0 ? projectionSize : hiddenSize }
    /// Whether the cell carries a memory cell c besides h.
    var hasCellState: Bool { kind.hasCellState }

    /// The tensors of one cell, in PyTorch's order, with their shapes; `suffix` is appended to
    /// each name (`_l0`, `_l1_reverse`).
    func parameterShapes(suffix: String = "") -> [(name: String, shape: [Int])] {
        var list: [(String, [Int])] = [
            ("weight_ih" + suffix, [gateRows, inputSize]),
            ("weight_hh" + suffix, [gateRows, outputSize]),
        ]
        if hasBias {
            list.append(("bias_ih" + suffix, [gateRows]))
            list.append(("bias_hh" + suffix, [gateRows]))
        }
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

    init<Scalar>(_ store: ParameterStore<Scalar>, suffix: String = "") {
        self.init(suffix: suffix) { store.entry($0)?.offset }
    }

    /// Slots from a lookup of each tensor's offset by name (nil when absent).
    init(suffix: String = "", offset: (String) -> Int?) {
        weightIH = offset("weight_ih" + suffix)!
        weightHH = offset("weight_hh" + suffix)!
        biasIH = offset("bias_ih" + suffix)
        biasHH = offset("bias_hh" + suffix)
        weightHR = offset("weight_hr" + suffix)
    }
}

/// Pointers to one cell's tensors inside a parameter (or gradient) buffer.
struct CellPointers<Scalar>: @unchecked Sendable {
    var weightIH: UnsafeMutablePointer<Scalar>
    var weightHH: UnsafeMutablePointer<Scalar>
    var biasIH: UnsafeMutablePointer<Scalar>?
    var biasHH: UnsafeMutablePointer<Scalar>?
    var weightHR: UnsafeMutablePointer<Scalar>?

    init(_ base: UnsafeMutablePointer<Scalar>, _ slots: CellSlots) {
        weightIH = base + slots.weightIH
        weightHH = base + slots.weightHH
        biasIH = slots.biasIH.map { base + $0 }
        biasHH = slots.biasHH.map { base + $0 }
        weightHR = slots.weightHR.map { base + $0 }
    }
}
