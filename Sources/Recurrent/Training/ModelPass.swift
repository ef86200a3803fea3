/// The recurrent state a model ends a batch in: `h` `(L·D, B, Hout)` and `c` `(L·D, B, H)`
/// flat. Carried into the next batch of the same streams (truncated backpropagation through
/// time: the values carry over, the gradient does not).
public struct CarriedState<Scalar: RecurrentScalar>: Equatable, Sendable {
    /// B
    public var batch: Int
    /// h, flat.
    public var h: [Scalar]
    /// c, flat (cells with a memory cell only).
    public var c: [Scalar]?
}

/// A model's forward pass over a batch: the outputs `(T·B, O)` and the stack's record.
struct ModelForward<Scalar: RecurrentScalar> {
    let y: Buffer<Scalar>
    let recurrent: ForwardResult<Scalar>
    let steps: Int, batch: Int
    let inputs: BatchInputs<Scalar>
}

/// The gradients of a model's backward pass besides the parameters': ∂L/∂input `(T·B, X)` for
/// vector inputs, ∂L/∂h0 and ∂L/∂c0 `(L·D, B, ·)`.
struct ModelBackward<Scalar: RecurrentScalar> {
    let input: Buffer<Scalar>?
    let h0: Buffer<Scalar>
    let c0: Buffer<Scalar>?
}

extension SequenceModel {
    /// The embedding, when the model reads tokens.
    var embedding: Embedding<Scalar>? {
        guard let e = embeddingOffset, let v = configuration.vocabularySize else { return nil }
        return Embedding(vocabulary: v, width: configuration.recurrent.inputSize, weight: e)
    }

    /// The head, when the model has one.
    var head: Linear<Scalar>? {
        guard let w = headOffset, let o = configuration.headSize else { return nil }
        return Linear(inputSize: configuration.recurrent.outputSize, outputSize: o, weight: w,
                      bias: configuration.headHasBias ? w + o * configuration.recurrent.outputSize : nil)
    }

    /// The model's forward pass over inputs `(T·B, X)` vectors or `(T·B)` tokens, sequence-first:
    /// embedding, stack, head.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func forward(
        _ inputs: BatchInputs<Scalar>, steps T: Int, batch B: Int, lengths: [Int]?,
        state: CarriedState<Scalar>?, recordTape: Bool, kernels: Kernels
    ) throws -> ModelForward<Scalar> {
        let cfg = configuration, X = cfg.recurrent.inputSize, TB = T * B
        if let state, state.batch != B {
            throw RecurrentError.shape("carried state is for \(state.batch) sequences, the batch has \(B)")
        }
        let recurrent: ForwardResult<Scalar>
        switch inputs {
        case .vectors(let values):
            guard embedding == nil else { throw RecurrentError.value("this model reads tokens, the batch holds vectors") }
            guard values.count == TB * X else {
                throw RecurrentError.shape("batch inputs: expected \(T)×\(B)×\(X) values, got \(values.count)")
            }
            recurrent = values.withUnsafeBufferPointer { x in
                runRecurrent(input: x.baseAddress!, tokens: nil, steps: T, batch: B, lengths: lengths, state: state,
                             recordTape: recordTape, kernels: kernels)
            }
        case .tokens(let ids):
            guard let embedding else {
                throw RecurrentError.value("this model reads vectors (it has no embedding), the batch holds tokens")
            }
            guard ids.count == TB else { throw RecurrentError.shape("batch tokens: expected \(T)×\(B), got \(ids.count)") }
            try embedding.check(ids)
            recurrent = ids.withUnsafeBufferPointer { idp in
                parameters.storage.withUnsafeBufferPointer { p in
                    runRecurrent(input: nil, tokens: embedding.input(idp.baseAddress!, parameters: p.baseAddress!), steps: T,
                                 batch: B, lengths: lengths, state: state, recordTape: recordTape, kernels: kernels)
                }
            }
        }
        guard let head else {
            return ModelForward(y: recurrent.output, recurrent: recurrent, steps: T, batch: B, inputs: inputs)
        }
        let y = Buffer<Scalar>(uninitializedCount: TB * head.outputSize)
        parameters.storage.withUnsafeBufferPointer { p in
            head.forward(recurrent.output.base, rows: TB, parameters: p.baseAddress!, into: y.base, kernels: kernels)
        }
        return ModelForward(y: y, recurrent: recurrent, steps: T, batch: B, inputs: inputs)
    }

    /// The recurrent stack's forward pass from the carried state.
    private func runRecurrent(
        input: UnsafePointer<Scalar>?, tokens: TokenInput<Scalar>?, steps T: Int, batch B: Int, lengths: [Int]?,
        state: CarriedState<Scalar>?, recordTape: Bool, kernels: Kernels
    ) -> ForwardResult<Scalar> {
        parameters.storage.withUnsafeBufferPointer { p in
            (state?.h ?? []).withUnsafeBufferPointer { h in
                (state?.c ?? []).withUnsafeBufferPointer { c in
                    layout.forward(weights: p.baseAddress! + recurrentOffset, input: input, tokens: tokens, steps: T,
                                   batch: B, lengths: lengths, h0: state == nil ? nil : h.baseAddress,
                                   c0: state?.c == nil ? nil : c.baseAddress, recordTape: recordTape,
                                   packs: recordTape ? nil : packs, kernels: kernels)
                }
            }
        }
    }

    /// Adds ∂L/∂parameters into `gradients` (laid out like `parameters.storage`) from ∂L/∂y `dy`
    /// `(T·B, O)`: the head's backward, the stack's, the embedding's. Returns ∂L/∂input (for
    /// vectors) and ∂L/∂ of the initial states.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func backward(
        _ dy: UnsafePointer<Scalar>, forward: ModelForward<Scalar>, gradients: UnsafeMutablePointer<Scalar>,
        wantInputGradient: Bool, kernels: Kernels
    ) -> ModelBackward<Scalar> {
        let TB = forward.steps * forward.batch
        guard let tape = forward.recurrent.tape else { preconditionFailure("backward needs a forward pass with its tape") }
        return parameters.storage.withUnsafeBufferPointer { p in
            let base = p.baseAddress!
            var dOutput = dy
            let dStack = head.map { _ in Buffer<Scalar>(uninitializedCount: TB * configuration.recurrent.outputSize) }
            if let head, let dStack {
                head.backward(dy, x: forward.recurrent.output.base, rows: TB, parameters: base, gradients: gradients,
                              dx: dStack.base, kernels: kernels)
                dOutput = UnsafePointer(dStack.base)
            }
            var ids: [Int32] = []
            if case .tokens(let tokens) = forward.inputs { ids = tokens }
            let back = ids.withUnsafeBufferPointer { idp in
                layout.backward(
                    weights: base + recurrentOffset, tape: tape,
                    tokens: embedding.map { $0.input(idp.baseAddress!, parameters: base) }, dOutput: dOutput,
                    dhN: nil, dcN: nil, grads: gradients + recurrentOffset,
                    wantInputGradient: embedding != nil || wantInputGradient, kernels: kernels)
            }
            withExtendedLifetime(dStack) {}
            if let embedding, let dTable = back.dInput {
                embedding.backward(dTable.base, gradients: gradients, kernels: kernels)
                return ModelBackward(input: nil, h0: back.dh0, c0: back.dc0)
            }
            return ModelBackward(input: back.dInput, h0: back.dh0, c0: back.dc0)
        }
    }

    /// Runs the model on a batch and returns its loss and final state; with `gradients` (a
    /// buffer laid out like `parameters.storage`), also adds ∂(mean loss)/∂parameters into it.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func pass(
        _ batch: TrainingBatch<Scalar>, state: CarriedState<Scalar>?, gradients: UnsafeMutablePointer<Scalar>?
    ) throws -> (loss: LossValue, state: CarriedState<Scalar>) {
        let T = batch.steps, B = batch.batch, O = configuration.modelOutputSize
        guard T >= 1, B >= 1 else { throw RecurrentError.shape("a batch needs at least one step and one sequence, got \(T) steps of \(B)") }
        // Every step and held-out batch: only past the machine's memory, which refuses a
        // hand-made batch of impossible size. Not against a ulimit: the estimate counts
        // buffers the trainer already holds (gradients, moments, packs), so it would refuse
        // runs that fit; the trainer checked its batches against any ulimit when it started.
        let size = MemoryLayout<Scalar>.size
        let bytes = gradients != nil ? configuration.trainingBytes(batch: B, steps: T, scalarSize: size)
                                     : configuration.inferenceBytes(batch: B, steps: T, scalarSize: size)
        try MemoryBudget.requireWithinMachine(bytes, for: "\(configuration.summary) on a batch of \(B) sequences of \(T) steps")
        let TB = T * B  // within the memory checked above
        if let lengths = batch.lengths { try validateLengths(lengths, batch: B, steps: T, name: "batch lengths") }
        let kernels = Kernels.current
        let forward = try self.forward(batch.inputs, steps: T, batch: B, lengths: batch.lengths, state: state,
                                       recordTape: gradients != nil, kernels: kernels)
        let rows = lossRows(positions: batch.targets.positions, steps: T, batch: B, lengths: batch.lengths)
        let dy = gradients != nil ? Buffer<Scalar>(count: TB * O) : nil
        let loss: LossValue
        switch batch.targets {
        case .values(let targets, let positions):
            let expected = (positions == .everyStep ? TB : B) * O
            guard targets.count == expected else {
                throw RecurrentError.shape("batch targets: expected \(expected) values (\(positions.rawValue), O = \(O)), got \(targets.count)")
            }
            loss = meanSquaredError(forward.y.base, width: O, targets: targets, rows: rows, dy: dy?.base)
        case .classes(let targets, let positions):
            let expected = positions == .everyStep ? TB : B
            guard targets.count == expected else {
                throw RecurrentError.shape("batch targets: expected \(expected) class indices, got \(targets.count)")
            }
            if let bad = targets.first(where: { Int($0) >= O }) {
                throw RecurrentError.value("target class \(bad) is outside 0..<\(O)")
            }
            loss = crossEntropy(forward.y.base, classes: O, targets: targets, rows: rows, dy: dy?.base)
        }
        let final = CarriedState(batch: B, h: forward.recurrent.hN.array, c: forward.recurrent.cN?.array)
        if let gradients, let dy {
            _ = backward(dy.base, forward: forward, gradients: gradients, wantInputGradient: false, kernels: kernels)
        }
        return (loss, final)
    }
}
