/// One cell's parameters under PyTorch's cell names (`weight_ih`, `weight_hh`, `bias_ih`,
/// `bias_hh`, and `weight_hr` for a projection), and one batched step. The public cell types
/// wrap it; the step runs the same code as a whole sequence, so both give the same numbers.
struct CellCore<Scalar: RecurrentScalar>: Equatable, Sendable {
    let geometry: CellGeometry
    private(set) var parameters: ParameterStore<Scalar>
    let slots: CellSlots

    /// A cell with every parameter zero.
    init(_ geometry: CellGeometry) throws {
        guard geometry.inputSize > 0, geometry.hiddenSize > 0 else {
            throw RecurrentError.value(
                "cell sizes must be positive, got input \(geometry.inputSize), hidden \(geometry.hiddenSize)")
        }
        // Within the largest size, the gate rows and parameter shapes multiply without overflow.
        let limit = CellGeometry.maximumSize
        guard geometry.inputSize <= limit, geometry.hiddenSize <= limit else {
            throw RecurrentError.value("cell sizes must be at most \(limit), got input \(geometry.inputSize), hidden \(geometry.hiddenSize)")
        }
        guard geometry.projectionSize == 0
            || (geometry.kind.definition.allowsProjection && geometry.projectionSize > 0 && geometry.projectionSize < geometry.hiddenSize)
        else {
            throw RecurrentError.value("projection size \(geometry.projectionSize) needs an LSTM with a larger hidden size")
        }
        var store = ParameterStore<Scalar>()
        for (name, shape) in geometry.parameterShapes() { try store.append(name, shape: shape) }
        self.geometry = geometry
        self.parameters = store
        self.slots = CellSlots(store)
    }

    /// A cell initialised as PyTorch does: every parameter from U(-1/√H, 1/√H).
    init(_ geometry: CellGeometry, seed: UInt64) throws {
        try self.init(geometry)
        var generator = SeededGenerator(seed: seed)
        let bound = 1 / Scalar(geometry.hiddenSize).squareRoot()
        for i in parameters.storage.indices { parameters.storage[i] = generator.uniform(-bound, bound) }
    }

    /// Replaces a parameter's values (same name, same shape).
    mutating func set(_ name: String, _ tensor: Tensor<Scalar>) throws {
        try parameters.set(name, tensor)
    }

    /// The values of one step for a batch of B.
    struct StepRecord {
        /// (B, G·H) gate activations, blocks in PyTorch's order.
        var gates: [Scalar]
        /// (B, Hout)
        var h: [Scalar]
        /// (B, H), LSTM only.
        var c: [Scalar]?
    }

    /// One step: `x` (B, X), `h` (B, Hout), `c` (B, H), nil states for zeros.
    func step(x: [Scalar], batch: Int, h: [Scalar]?, c: [Scalar]?) -> StepRecord {
        let g = geometry
        let tape = CellTape<Scalar>(geometry: g, steps: 1, batch: batch)
        let hOut = Buffer<Scalar>(count: batch * g.stateSize)
        let cOut = g.hasCellState ? Buffer<Scalar>(count: batch * g.hiddenSize) : nil
        let out = Buffer<Scalar>(count: batch * g.stateSize)
        parameters.storage.withUnsafeBufferPointer { params in
            let runner = CellRunner(geometry: g, weights: CellWeights(params.baseAddress!, slots),
                                    steps: 1, batch: batch, reverse: false, mask: StepMask(lengths: nil),
                                    kernels: .current)
            x.withUnsafeBufferPointer { xp in
                (h ?? []).withUnsafeBufferPointer { hp in
                    (c ?? []).withUnsafeBufferPointer { cp in
                        runner.forward(
                            input: .rows(MatrixView(xp.baseAddress!, rows: batch, cols: g.inputSize)),
                            h0: h == nil ? nil : hp.baseAddress, c0: c == nil ? nil : cp.baseAddress,
                            output: out.base, outputStride: g.stateSize, hN: hOut.base, cN: cOut?.base, tape: tape)
                    }
                }
            }
        }
        return StepRecord(gates: tape.gates.array, h: hOut.array, c: cOut?.array)
    }
}

/// The shape bookkeeping of a cell step: x is `(X)` or `(B, X)`, states `(n)` or `(B, n)`.
struct CellStepShapes<Scalar: RecurrentScalar> {
    let batch: Int
    let isBatched: Bool

    init(input x: Tensor<Scalar>, inputSize: Int) throws {
        switch x.rank {
        case 1 where x.shape[0] == inputSize:
            batch = 1
            isBatched = false
        case 2 where x.shape[1] == inputSize:
            batch = x.shape[0]
            isBatched = true
        default:
            throw RecurrentError.shape(
                "cell input: expected (\(inputSize)) or (B, \(inputSize)), got \(describeShape(x.shape))")
        }
        guard x.isFinite else { throw RecurrentError.value("cell input contains NaN or infinity") }
    }

    func shape(_ size: Int) -> [Int] { isBatched ? [batch, size] : [size] }

    /// A state's elements after checking its shape, or nil for a nil state.
    func elements(of state: Tensor<Scalar>?, name: String, size: Int) throws -> [Scalar]? {
        guard let state else { return nil }
        guard state.shape == shape(size) else {
            throw RecurrentError.shape(
                "state \(name): expected \(describeShape(shape(size))), got \(describeShape(state.shape))")
        }
        guard state.isFinite else { throw RecurrentError.value("state \(name) contains NaN or infinity") }
        return state.scalars
    }

    /// Rows of `size` elements as a tensor.
    func tensor(_ flat: [Scalar], size: Int) -> Tensor<Scalar> {
        Tensor(uncheckedShape: shape(size), scalars: flat)
    }

    /// Gate block `block` (of `blocks`, each `size` wide) of every row of a `(B, blocks·size)` array.
    func gate(_ gates: [Scalar], block: Int, of blocks: Int, size: Int) -> Tensor<Scalar> {
        var out: [Scalar] = []
        out.reserveCapacity(batch * size)
        for b in 0..<batch {
            let start = (b * blocks + block) * size
            out.append(contentsOf: gates[start..<(start + size)])
        }
        return tensor(out, size: size)
    }
}
