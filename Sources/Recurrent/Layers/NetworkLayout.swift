/// Where a network's tensors sit in a flat buffer (PyTorch's `state_dict` order, from offset 0),
/// and the forward and backward passes over any buffer with that layout. `RecurrentNetwork`
/// runs it on its own parameters; a training model runs it on a slice of its single buffer.
struct NetworkLayout: Equatable, Sendable {
    let configuration: RecurrentConfiguration
    /// Each cell's tensors, by layer then direction.
    let slots: [[CellSlots]]
    /// The number of parameters.
    let parameterCount: Int

    init(_ configuration: RecurrentConfiguration) {
        var offsets: [String: Int] = [:]
        var next = 0
        for (name, shape) in configuration.parameterShapes {
            offsets[name] = next
            next += shape.reduce(1, *)
        }
        self.configuration = configuration
        self.parameterCount = next
        self.slots = (0..<configuration.layers).map { layer in
            (0..<configuration.directions).map { d in
                CellSlots(suffix: RecurrentConfiguration.suffix(layer: layer, reverse: d == 1)) { offsets[$0] }
            }
        }
    }

    /// Runs the network on a sequence-first batch `(T·B, X)`, or on `T·B` tokens looked up in
    /// an embedding `(V, X)` (see `CellInput.tokens`; `input` is then nil).
    /// `h0` `(L·D, B, Hout)`, `c0` `(L·D, B, H)` or nil for zeros.
    func forward<Scalar: RecurrentScalar>(
        weights: UnsafePointer<Scalar>, input: UnsafePointer<Scalar>?, tokens: TokenInput<Scalar>? = nil,
        steps T: Int, batch B: Int, lengths: [Int]?,
        h0: UnsafePointer<Scalar>?, c0: UnsafePointer<Scalar>?, recordTape: Bool,
        finalOutput: UnsafeMutablePointer<Scalar>? = nil, packs: NetworkPacks<Scalar>? = nil, kernels: Kernels
    ) -> ForwardResult<Scalar> {
        let cfg = configuration, D = cfg.directions, P = cfg.stateSize, H = cfg.hiddenSize
        let hasC = cfg.cell.definition.hasCellState
        let hN = Buffer<Scalar>(count: cfg.layers * D * B * P)
        let cN = hasC ? Buffer<Scalar>(count: cfg.layers * D * B * H) : nil
        let tape = recordTape ? NetworkTape<Scalar>(steps: T, batch: B, lengths: lengths) : nil
        let mask = StepMask(lengths: lengths)
        // With tokens, layer 0's input is never materialised (nor kept for the backward pass);
        // without a tape, it is read where it is.
        let copied = tokens == nil && recordTape ? Buffer<Scalar>(count: T * B * cfg.inputSize, copying: input) : nil
        if let tape { tape.sequences.append(copied ?? Buffer<Scalar>(count: 0)) }
        var layerInput = copied.map { UnsafePointer($0.base) } ?? input
        var lastOutput: Buffer<Scalar>?
        for layer in 0..<cfg.layers {
            let geometry = cfg.geometry(layer: layer)
            // The last layer writes to `finalOutput` when given (the caller's memory).
            let output = layer == cfg.layers - 1 && finalOutput != nil
                ? nil : Buffer<Scalar>(uninitializedCount: T * B * D * P)
            let outputBase = output?.base ?? finalOutput!
            let inputView = layer == 0 && tokens != nil ? cellInput(tokens!, rows: T * B, cols: geometry.inputSize)
                : .rows(MatrixView(layerInput!, rows: T * B, cols: geometry.inputSize))
            var layerTapes: [CellTape<Scalar>] = []
            for d in 0..<D {
                let runner = CellRunner(geometry: geometry, weights: CellWeights(weights, slots[layer][d]),
                                        steps: T, batch: B, reverse: d == 1, mask: mask, kernels: kernels,
                                        packs: packs?.cells[layer][d])
                let cellTape = recordTape ? CellTape<Scalar>(geometry: geometry, steps: T, batch: B) : nil
                let row = layer * D + d
                runner.forward(
                    input: inputView, h0: h0.map { $0 + row * B * P }, c0: c0.map { $0 + row * B * H },
                    output: outputBase + d * P, outputStride: D * P,
                    hN: hN.base + row * B * P, cN: cN.map { $0.base + row * B * H }, tape: cellTape)
                if let cellTape { layerTapes.append(cellTape) }
            }
            tape?.cells.append(layerTapes)
            if let output { tape?.sequences.append(output) }
            layerInput = UnsafePointer(outputBase)
            lastOutput = output
        }
        return ForwardResult(output: lastOutput ?? Buffer(count: 0), hN: hN, cN: cN, tape: tape)
    }

    /// Backpropagation through time through every layer and direction of a forward pass
    /// recorded in `tape`, from the top layer down.
    ///
    /// `dOutput` `(T·B, D·Hout)` is ∂L/∂output, `dhN` `(L·D, B, Hout)` and `dcN` `(L·D, B, H)` are
    /// ∂L/∂ the final states (nil for zero). Adds ∂L/∂parameters into `grads`, a buffer with the
    /// layout of `weights`.
    ///
    /// With `tokens` (the same as in the forward pass), `dInput` is ∂L/∂embedding `(V, X)`.
    func backward<Scalar: RecurrentScalar>(
        weights: UnsafePointer<Scalar>, tape: NetworkTape<Scalar>, tokens: TokenInput<Scalar>? = nil, dOutput: UnsafePointer<Scalar>?, dhN: UnsafePointer<Scalar>?,
        dcN: UnsafePointer<Scalar>?, grads: UnsafeMutablePointer<Scalar>, wantInputGradient: Bool, kernels: Kernels
    ) -> BackwardResult<Scalar> {
        let cfg = configuration, D = cfg.directions, P = cfg.stateSize, H = cfg.hiddenSize
        let T = tape.steps, B = tape.batch
        let dh0 = Buffer<Scalar>(count: cfg.layers * D * B * P)
        let dc0 = cfg.cell.definition.hasCellState ? Buffer<Scalar>(count: cfg.layers * D * B * H) : nil
        let mask = StepMask(lengths: tape.lengths)
        var dLayerOutput: UnsafePointer<Scalar>? = dOutput
        var keepAlive: Buffer<Scalar>?
        var dInput: Buffer<Scalar>?
        for layer in stride(from: cfg.layers - 1, through: 0, by: -1) {
            let geometry = cfg.geometry(layer: layer)
            let needInput = layer > 0 || wantInputGradient
            let inputRows = layer == 0 && tokens != nil ? tokens!.vocabulary : T * B
            let dLayerInput = needInput ? Buffer<Scalar>(count: inputRows * geometry.inputSize) : nil
            let inputView = layer == 0 && tokens != nil ? cellInput(tokens!, rows: T * B, cols: geometry.inputSize)
                : .rows(MatrixView(tape.sequences[layer].base, rows: T * B, cols: geometry.inputSize))
            for d in 0..<D {
                let row = layer * D + d
                let runner = CellRunner(geometry: geometry, weights: CellWeights(weights, slots[layer][d]),
                                        steps: T, batch: B, reverse: d == 1, mask: mask, kernels: kernels)
                runner.backward(
                    tape: tape.cells[layer][d], input: inputView,
                    dOutput: dLayerOutput.map { $0 + d * P }, dOutputStride: D * P,
                    dhN: dhN.map { $0 + row * B * P }, dcN: dcN.map { $0 + row * B * H },
                    grads: CellGradients(grads, slots[layer][d]),
                    dInput: dLayerInput?.base, dInputStride: geometry.inputSize,
                    dh0: dh0.base + row * B * P, dc0: dc0.map { $0.base + row * B * H })
            }
            keepAlive = dLayerInput
            dLayerOutput = dLayerInput.map { UnsafePointer($0.base) }
            if layer == 0 { dInput = dLayerInput }
        }
        _ = keepAlive
        return BackwardResult(dInput: wantInputGradient ? dInput : nil, dh0: dh0, dc0: dc0)
    }

    /// Layer 0's input: the token lookup, or the rows of `buffer`.
    private func cellInput<Scalar: RecurrentScalar>(_ tokens: TokenInput<Scalar>, rows: Int, cols: Int) -> CellInput<Scalar> {
        .tokens(ids: tokens.ids, embedding: MatrixView(tokens.embedding, rows: tokens.vocabulary, cols: cols))
    }
}

/// Token ids `(T·B)` and the embedding `(V, X)` they index, as a network's input.
struct TokenInput<Scalar>: @unchecked Sendable {
    // Invariant (why `@unchecked Sendable`): the pointers are valid for the call that receives the value, and only read.
    var ids: UnsafePointer<Int32>
    var embedding: UnsafePointer<Scalar>
    var vocabulary: Int
}
