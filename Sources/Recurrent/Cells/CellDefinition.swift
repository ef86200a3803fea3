import CRecurrentKernels

/// Everything the library needs to know of a cell besides its element-wise kernel: what the
/// time loops, the file readers and writers, the initialisation and the commands ask of it,
/// read once from the cell's C description (`rk_cell_info`, in `body/cells/<name>.h`).
///
/// In the manner of PyTorch's `RNN.cpp`, the generic scans (`CellRunner`) take any cell: the
/// recurrent product goes into the gates (or beside them, `keepsRecurrentPartApart`), the
/// kernel turns pre-activations into activations and new states, and the backward pass adds the
/// product through W_hh to the cell's direct ∂h term when it has one.
struct CellDefinition: Sendable {
    /// The cell's name (`lstm`), its `CellKind`'s raw value.
    let name: String
    /// One line on what it computes.
    let summary: String
    /// The module's name as this library prints it: `LSTM`, `GRU`, `RNN`, `GatedRNN`, ...
    let moduleName: String
    /// The PyTorch module with this cell (`nn.LSTM`), or nil when PyTorch has none.
    let torchModuleName: String?
    /// G, the stacked gate blocks of `weight_ih` and `weight_hh`.
    let gateCount: Int
    /// The C kernel of its element-wise step: its id.
    let kernel: rk_cell
    /// Whether it carries a memory cell c besides h (the tape then keeps c_{t-1} and c_t).
    let hasCellState: Bool
    /// Whether the recurrent product W_hh h + b_hh is kept apart from the input projection
    /// (the GRU scales part of it by r; its tape keeps W_hn h + b_hn) rather than added into
    /// the same gates.
    let keepsRecurrentPartApart: Bool
    /// Whether ∂L/∂h_{t-1} has a direct term besides the product through W_hh (the GRU's z ⊙ dh,
    /// the gated RNN's (1 - g) ⊙ ds): the kernel writes it, the product adds to it.
    let hasDirectStateGradient: Bool
    /// Whether `proj_size` applies (PyTorch's LSTM only).
    let allowsProjection: Bool
    /// The gate block whose opening keeps the state (the LSTM's forget gate f; the GRU's update
    /// gate z, h' = (1 - z) ⊙ n + z ⊙ h), whose bias the forget-bias option sets (nil: none).
    let forgetGateBlock: Int?
    /// The gate block of an input gate (chrono initialisation sets its bias), or nil.
    let inputGateBlock: Int?
    /// Whether the simple RNN's nonlinearity (tanh or ReLU) applies.
    let usesNonlinearity: Bool
    /// Vectors of H values each, beside PyTorch's four tensors and in this order, with the
    /// kernel reading them one after another (the peephole LSTM's `weight_ci`, `weight_cf`,
    /// `weight_co`).
    let unitVectors: [String]
}

/// The part of a `CellDefinition` the time loops read at every step, as plain values (a
/// definition holds strings and arrays, whose copies cost reference counting).
struct CellTraits: Equatable, Sendable {
    let gateCount: Int
    let kernel: rk_cell
    let hasCellState: Bool
    let keepsRecurrentPartApart: Bool
    let hasDirectStateGradient: Bool
    let nonlinearityMatters: Bool

    static func == (a: CellTraits, b: CellTraits) -> Bool {
        (a.gateCount, a.kernel, a.hasCellState, a.keepsRecurrentPartApart, a.hasDirectStateGradient)
            == (b.gateCount, b.kernel, b.hasCellState, b.keepsRecurrentPartApart, b.hasDirectStateGradient)
    }
}

extension CellDefinition {
    /// Every registered cell's definition, in the order of their ids.
    static let registered: [CellDefinition] = (0..<rk_cell_count()).map { id in
        // Invariant: every id below `rk_cell_count()` has a description (dispatch.c).
        CellDefinition(rk_cell_info_of(id)!.pointee, kernel: id)
    }

    /// The definition a C description gives.
    init(_ info: rk_cell_info, kernel: rk_cell) {
        func block(_ b: Int32) -> Int? { b >= 0 ? Int(b) : nil }
        name = String(cString: info.name)
        summary = String(cString: info.summary)
        moduleName = String(cString: info.module_name)
        torchModuleName = info.torch_module_name.map { String(cString: $0) }
        gateCount = Int(info.gate_count)
        self.kernel = kernel
        hasCellState = info.has_cell_state != 0
        keepsRecurrentPartApart = info.keeps_recurrent_part_apart != 0
        hasDirectStateGradient = info.has_direct_state_gradient != 0
        allowsProjection = info.allows_projection != 0
        forgetGateBlock = block(info.forget_gate_block)
        inputGateBlock = block(info.input_gate_block)
        usesNonlinearity = info.uses_nonlinearity != 0
        let vectors = String(cString: info.unit_vectors)
        unitVectors = vectors.isEmpty ? [] : vectors.split(separator: ",").map(String.init)
    }

    var traits: CellTraits {
        CellTraits(gateCount: gateCount, kernel: kernel, hasCellState: hasCellState, keepsRecurrentPartApart: keepsRecurrentPartApart,
                   hasDirectStateGradient: hasDirectStateGradient, nonlinearityMatters: usesNonlinearity)
    }
}

extension CellKind {
    /// G, the number of stacked gate blocks in `weight_ih` and `weight_hh`.
    public var gateCount: Int { definition.gateCount }

    /// Whether the cell carries a memory cell c besides h (the LSTMs): its state then has c too.
    public var hasCellState: Bool { definition.hasCellState }

    /// Whether the cell has a forget gate (and an input gate) whose biases initialisation sets.
    public var hasForgetGate: Bool { definition.forgetGateBlock != nil }

    /// Whether the cell has an input gate whose bias initialisation can set (the LSTMs, the CIFG).
    public var hasInputGate: Bool { definition.inputGateBlock != nil }

    /// The names of the cell's own vectors of H values each, stored after PyTorch's four tensors
    /// (the peephole LSTM's `weight_ci`, `weight_cf`, `weight_co`); empty for most cells.
    public var unitVectorNames: [String] { definition.unitVectors }

    /// Whether the simple RNN's choice of nonlinearity (tanh or ReLU) applies.
    public var usesNonlinearity: Bool { definition.usesNonlinearity }

    /// The PyTorch module with this cell, or nil when PyTorch has none (the gated RNN, the
    /// peephole LSTM).
    public var torchModuleName: String? { definition.torchModuleName }

    /// The cell that reads a state_dict with G gate blocks and these unit-vector tensor kinds
    /// present (`weight_ci`, ...) when nothing names it: among those needing no vector that is
    /// absent, the one needing the most, and PyTorch's module before a cell PyTorch lacks (a file
    /// without metadata comes from PyTorch: 3 blocks are the GRU, not the CIFG); nil when none fits.
    static func inferred(gates: Int, unitVectors present: Set<String>) -> CellKind? {
        allCases.filter { $0.gateCount == gates && Set($0.definition.unitVectors).isSubset(of: present) }
            .min { a, b in
                (-a.definition.unitVectors.count, a.torchModuleName == nil ? 1 : 0, a.id)
                    < (-b.definition.unitVectors.count, b.torchModuleName == nil ? 1 : 0, b.id)
            }
    }
}
