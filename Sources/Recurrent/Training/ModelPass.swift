/// The recurrent state a model ends a batch in: `h` `(L·D, B, Hout)` and `c` `(L·D, B, H)`
/// flat. Carried into the next batch of the same streams (truncated backpropagation through
/// time: the values carry over, the gradient does not).
public struct CarriedState<Scalar: RecurrentScalar>: Equatable, Sendable {
    /// B
    public var batch: Int
    /// h, flat.
    public var h: [Scalar]
    /// c, flat (LSTM only).
    public var c: [Scalar]?
}

extension SequenceModel {
    /// The model's outputs for inputs `(T·B, X)` vectors or `(T·B)` tokens: `(T·B, O)` rows
    /// (head outputs, or the recurrent outputs without a head), and the forward record.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func outputs(
        _ inputs: BatchInputs<Scalar>, steps T: Int, batch B: Int, lengths: [Int]?,
        state: CarriedState<Scalar>?, recordTape: Bool
    ) throws -> (y: Buffer<Scalar>, forward: ForwardResult<Scalar>) {
        let cfg = configuration, X = cfg.recurrent.inputSize, TB = T * B
        if let state, state.batch != B {
            throw RecurrentError.shape("carried state is for \(state.batch) sequences, the batch has \(B)")
        }
        let forward: ForwardResult<Scalar>
        switch inputs {
        case .vectors(let values):
            guard cfg.vocabularySize == nil else { throw RecurrentError.value("this model reads tokens, the batch holds vectors") }
            guard values.count == TB * X else {
                throw RecurrentError.shape("batch inputs: expected \(T)×\(B)×\(X) values, got \(values.count)")
            }
            forward = values.withUnsafeBufferPointer { x in
                runRecurrent(input: x.baseAddress!, tokens: nil, steps: T, batch: B, lengths: lengths, state: state,
                             recordTape: recordTape)
            }
        case .tokens(let tokens):
            guard let V = cfg.vocabularySize, let e = embeddingOffset else {
                throw RecurrentError.value("this model reads vectors (it has no embedding), the batch holds tokens")
            }
            guard tokens.count == TB else { throw RecurrentError.shape("batch tokens: expected \(T)×\(B), got \(tokens.count)") }
            if let bad = tokens.first(where: { $0 < 0 || Int($0) >= V }) {
                throw RecurrentError.value("token \(bad) is outside the vocabulary 0..<\(V)")
            }
            forward = tokens.withUnsafeBufferPointer { ids in
                parameters.storage.withUnsafeBufferPointer { p in
                    runRecurrent(input: nil, tokens: TokenInput(ids: ids.baseAddress!, embedding: p.baseAddress! + e, vocabulary: V),
                                 steps: T, batch: B, lengths: lengths, state: state, recordTape: recordTape)
                }
            }
        }
        guard let head = headOffset, let O = cfg.outputSize else { return (forward.output, forward) }
        let width = cfg.recurrent.outputSize
        let y = Buffer<Scalar>(count: TB * O)
        parameters.storage.withUnsafeBufferPointer { p in
            let w = p.baseAddress! + head, bias = w + O * width
            y.base.fillRows(TB, cols: O, with: bias)
            gemm(MatrixView(forward.output.base, rows: TB, cols: width), MatrixView(w, rows: O, cols: width).transposed,
                 MutableMatrixView(y.base, rows: TB, cols: O), accumulate: true, kernels: .current)
        }
        return (y, forward)
    }

    /// The recurrent stack's forward pass from the carried state.
    private func runRecurrent(
        input: UnsafePointer<Scalar>?, tokens: TokenInput<Scalar>?, steps T: Int, batch B: Int, lengths: [Int]?,
        state: CarriedState<Scalar>?, recordTape: Bool
    ) -> ForwardResult<Scalar> {
        parameters.storage.withUnsafeBufferPointer { p in
            (state?.h ?? []).withUnsafeBufferPointer { h in
                (state?.c ?? []).withUnsafeBufferPointer { c in
                    layout.forward(weights: p.baseAddress! + recurrentOffset, input: input, tokens: tokens, steps: T,
                                   batch: B, lengths: lengths, h0: state == nil ? nil : h.baseAddress,
                                   c0: state?.c == nil ? nil : c.baseAddress, recordTape: recordTape, kernels: .current)
                }
            }
        }
    }

    /// Runs the model on a batch and returns its loss and final state; with `gradients` (a
    /// buffer laid out like `parameters.storage`), also adds ∂(mean loss)/∂parameters into it.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func pass(
        _ batch: TrainingBatch<Scalar>, state: CarriedState<Scalar>?, gradients: UnsafeMutablePointer<Scalar>?
    ) throws -> (loss: LossValue, state: CarriedState<Scalar>) {
        let T = batch.steps, B = batch.batch, TB = T * B, O = configuration.modelOutputSize
        if let lengths = batch.lengths, lengths.count != B || lengths.contains(where: { $0 < 0 || $0 > T }) {
            throw RecurrentError.value("batch lengths must be \(B) values in 0...\(T)")
        }
        let (y, forward) = try outputs(batch.inputs, steps: T, batch: B, lengths: batch.lengths,
                                          state: state, recordTape: gradients != nil)
        let rows = lossRows(positions: batch.targets.positions, steps: T, batch: B, lengths: batch.lengths)
        let dy = gradients != nil ? Buffer<Scalar>(count: TB * O) : nil
        let loss: LossValue
        switch batch.targets {
        case .values(let targets, let positions):
            let expected = (positions == .everyStep ? TB : B) * O
            guard targets.count == expected else {
                throw RecurrentError.shape("batch targets: expected \(expected) values (\(positions.rawValue), O = \(O)), got \(targets.count)")
            }
            loss = meanSquaredError(y.base, width: O, targets: targets, rows: rows, dy: dy?.base)
        case .classes(let targets, let positions):
            let expected = positions == .everyStep ? TB : B
            guard targets.count == expected else {
                throw RecurrentError.shape("batch targets: expected \(expected) class indices, got \(targets.count)")
            }
            if let bad = targets.first(where: { Int($0) >= O }) {
                throw RecurrentError.value("target class \(bad) is outside 0..<\(O)")
            }
            loss = crossEntropy(y.base, classes: O, targets: targets, rows: rows, dy: dy?.base)
        }
        let final = CarriedState(batch: B, h: forward.hN.array, c: forward.cN?.array)
        if let gradients, let dy, let tape = forward.tape {
            backward(dy: dy, forward: forward, tape: tape, batch: batch, gradients: gradients)
        }
        return (loss, final)
    }

    /// Adds the gradients of a pass into `gradients`, from ∂L/∂y `dy` `(T·B, O)`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private func backward(
        dy: Buffer<Scalar>, forward: ForwardResult<Scalar>, tape: NetworkTape<Scalar>, batch: TrainingBatch<Scalar>,
        gradients: UnsafeMutablePointer<Scalar>
    ) {
        let cfg = configuration, TB = batch.steps * batch.batch, width = cfg.recurrent.outputSize
        let kernels = Kernels.current
        parameters.storage.withUnsafeBufferPointer { p in
            let base = p.baseAddress!
            var dOutput = dy
            if let head = headOffset, let O = cfg.outputSize {
                let w = base + head
                gemm(MatrixView(dy.base, rows: TB, cols: O).transposed, MatrixView(forward.output.base, rows: TB, cols: width),
                     MutableMatrixView(gradients + head, rows: O, cols: width), accumulate: true, kernels: kernels)
                addColumnSums(dy.base, rows: TB, cols: O, into: gradients + head + O * width, kernels: kernels)
                dOutput = Buffer<Scalar>(count: TB * width)
                gemm(MatrixView(dy.base, rows: TB, cols: O), MatrixView(w, rows: O, cols: width),
                     MutableMatrixView(dOutput.base, rows: TB, cols: width), accumulate: false, kernels: kernels)
            }
            var tokens: [Int32] = []
            if case .tokens(let ids) = batch.inputs { tokens = ids }
            let back = tokens.withUnsafeBufferPointer { ids in
                layout.backward(
                    weights: base + recurrentOffset, tape: tape,
                    tokens: embeddingOffset.map { TokenInput(ids: ids.baseAddress!, embedding: base + $0, vocabulary: cfg.vocabularySize!) },
                    dOutput: dOutput.base, dhN: nil, dcN: nil, grads: gradients + recurrentOffset,
                    wantInputGradient: embeddingOffset != nil, kernels: kernels)
            }
            if let e = embeddingOffset, let dE = back.dInput {
                // ∂L/∂embedding, (V, X), summed by token in the first layer's backward pass.
                addLanes(gradients + e, dE.base, dE.count, table: kernels.table(Scalar.self))
            }
        }
    }
}
