import Foundation

/// The course's claim, measured: gated networks learn long-range dependencies that the simple
/// RNN's vanishing gradients put out of its reach.
public enum Experiments {
    /// One cell's run on the adding problem.
    public struct AddingResult: Sendable {
        /// The cell trained.
        public var cell: CellKind
        /// Training sequences seen when the held-out MSE first fell below the criterion, or nil.
        public var sequencesToCriterion: Int?
        /// The held-out MSE at the end.
        public var finalMSE: Double
        /// (training sequences seen, held-out MSE) at each evaluation.
        public var curve: [(sequences: Int, mse: Double)]
        /// Seconds of training and evaluation.
        public var seconds: Double
    }

    /// Trains `cell` on Hochreiter & Schmidhuber's adding problem of length `length` with the
    /// LSTM's recipe (`BuiltInTask.adding.recipe`: the same hidden size, optimizer, learning
    /// rate, batch and clipping for every cell; the chrono initialisation of the forget and input
    /// gates applies to the LSTM only),
    /// evaluating the held-out MSE every `evaluateEvery` steps and stopping at the criterion
    /// (MSE < 0.01) or after `steps` steps.
    public static func adding(
        cell: CellKind, length: Int, steps: Int? = nil, evaluateEvery: Int = 250, seed: UInt64 = 0,
        progress: (Int, Double) -> Void = { _, _ in }
    ) throws -> AddingResult {
        guard evaluateEvery > 0 else { throw RecurrentError.value("evaluation interval must be at least 1 step, got \(evaluateEvery)") }
        if let steps, steps <= 0 { throw RecurrentError.value("step budget must be at least 1, got \(steps)") }
        let recipe = BuiltInTask.adding.recipe(length: length)
        let data = try AddingTask(length: length)
        let model = try SequenceModel<Float>(
            .init(recurrent: .init(cell: cell, inputSize: 2, hiddenSize: recipe.hiddenSize), headSize: 1),
            initialization: Initialization(forgetBias: cell == .lstm ? recipe.forgetBias : nil,
                                           inputBias: cell == .lstm ? recipe.inputBias : nil), seed: seed)
        let options = TrainingOptions(batchSize: recipe.batchSize, steps: steps ?? recipe.steps,
                                      optimizer: .init(kind: .adam, learningRate: recipe.learningRate),
                                      clipNorm: recipe.clipNorm, seed: seed)
        var trainer = try Trainer(model: model, data: data, options: options)
        let heldOut: [TrainingBatch<Float>] = try data.heldOutBatches(batchSize: 256, seed: options.heldOutSeed)
        let start = Date()
        var curve: [(Int, Double)] = []
        var reached: Int?
        var mse = try trainer.evaluate(heldOut).mean
        curve.append((0, mse))
        let budget = options.steps!
        while trainer.step < budget && reached == nil {
            // Up to the next evaluation or the end of the budget, whichever comes first.
            for _ in 0..<min(evaluateEvery, budget - trainer.step) { _ = try trainer.trainStep() }
            mse = try trainer.evaluate(heldOut).mean
            let sequences = trainer.step * options.batchSize
            curve.append((sequences, mse))
            progress(sequences, mse)
            if mse < AddingTask.criterionMSE { reached = sequences }
        }
        return AddingResult(cell: cell, sequencesToCriterion: reached, finalMSE: mse, curve: curve,
                            seconds: Date().timeIntervalSince(start))
    }

    /// ‖∂L/∂h_{T-1-k}‖ for k = 0..<T: how much the loss at the end of a sequence still depends
    /// on the state k steps earlier, for a freshly initialised network (PyTorch's default
    /// initialisation) of the given cell, hidden size H and input size 1, on random inputs
    /// x_t ~ N(0, 1), with L = r · h_{T-1} (r a random unit vector). The geometric mean over
    /// `sequences` random sequences. Computed in float64; a value below about 1e-308 loses
    /// precision or becomes 0 here, so `gradientLog10Norms` gives the same means as logarithms.
    /// With `forgetBias`, the LSTM's forget gate bias is set to it after the default draw (an
    /// open memory cell).
    /// - Throws: `RecurrentError` for a length, count or size below 1, or a length whose states
    ///   (2·T·H doubles) would not fit in memory.
    public static func gradientNorms(
        cell: CellKind, hiddenSize: Int = 32, length T: Int = 100, sequences: Int = 8, forgetBias: Double? = nil,
        seed: UInt64 = 0
    ) throws -> [Double] {
        try gradientLog10Norms(cell: cell, hiddenSize: hiddenSize, length: T, sequences: sequences, forgetBias: forgetBias,
                               seed: seed).map { Foundation.pow(10, $0) }
    }

    /// log₁₀ of `gradientNorms`, exact however small the norms get (the backward sweep rescales
    /// the gradient as it shrinks): -inf where the gradient is exactly 0 in some sequence (a
    /// gate saturated to 0 or 1 passed none of it back).
    /// - Throws: as `gradientNorms`.
    public static func gradientLog10Norms(
        cell: CellKind, hiddenSize: Int = 32, length T: Int = 100, sequences: Int = 8, forgetBias: Double? = nil,
        seed: UInt64 = 0
    ) throws -> [Double] {
        guard T >= 1 else { throw RecurrentError.value("sequence length must be at least 1, got \(T)") }
        guard sequences >= 1 else { throw RecurrentError.value("sequence count must be at least 1, got \(sequences)") }
        guard hiddenSize >= 1 else { throw RecurrentError.value("hidden size must be at least 1, got \(hiddenSize)") }
        // Per step: h_t and c_t as arrays of their own (about 48 bytes each besides their H
        // values: measured over 150 bytes a step at H = 1), x_t, the sums and the norms.
        // Besides: the network, its gradients and the kernels' packed copies for the forward and
        // backward products, in float64 (a ulimit of 4 GB held four copies of an LSTM of H = 5000, not five).
        let perStep = MemoryBudget.sum([256, MemoryBudget.product([3, hiddenSize, MemoryLayout<Double>.size])])
        let parameters = RecurrentConfiguration(cell: cell, inputSize: 1, hiddenSize: hiddenSize).parameterCount
        let network = MemoryBudget.product([6, parameters, MemoryLayout<Double>.size])
        try MemoryBudget.require(MemoryBudget.sum([MemoryBudget.product([T, perStep]), network]),
                                 for: "the gradient norms over \(T) steps of \(hiddenSize) units")
        var logSums = [Double](repeating: 0, count: T)
        for s in 0..<sequences {
            var g = SeededGenerator(seed: seed &+ UInt64(s) &* 0x9E37_79B9_7F4A_7C15)
            var net = try RecurrentNetwork<Double>(.init(cell: cell, inputSize: 1, hiddenSize: hiddenSize), generator: &g)
            if let forgetBias, cell == .lstm {
                for name in ["bias_ih_l0", "bias_hh_l0"] {
                    var b = net.parameters[name]!
                    for j in hiddenSize..<(2 * hiddenSize) { b[j] = name == "bias_ih_l0" ? forgetBias : 0 }
                    try net.setParameter(name, b)
                }
            }
            let x = (0..<T).map { _ in g.normal() }
            var r = (0..<hiddenSize).map { _ in g.normal() }
            let norm = euclideanLength(r)
            r = r.map { $0 / norm }
            for (k, logNorm) in stateGradientLogNorms(net, x: x, r: r).enumerated() { logSums[k] += logNorm }
        }
        return logSums.map { $0 / Double(sequences) / M_LN10 }
    }

    /// ln ‖∂L/∂h_{T-1-k}‖ for k = 0..<T on one sequence x, L = r · h_{T-1}, in O(T): a forward
    /// sweep keeps every step's state (h_t, c_t); a backward sweep re-runs step t from the state
    /// before it with a tape, and its backward turns (∂L/∂h_t, ∂L/∂c_t) into the gradients at
    /// that state (∂L/∂c_{T-1} = 0: L reads h only). The backward is linear in them, so when
    /// both shrink below 2^-332 they are scaled up by 2^332 (exactly) and the logarithm keeps
    /// the count: in plain float64 they sank into subnormals, where rounding held a GRU's norm
    /// at 4.9e-324 for thousands of steps.
    static func stateGradientLogNorms(_ net: RecurrentNetwork<Double>, x: [Double], r: [Double], rescaling: Bool = true) -> [Double] {
        let T = x.count, H = r.count
        var h: [[Double]] = [], c: [[Double]?] = []   // h_t, c_t after step t
        h.reserveCapacity(T)
        c.reserveCapacity(T)
        var grads = [Double](repeating: 0, count: net.parameterCount)   // parameter gradients, not used
        // One step from the state after step t - 1 (zero before step 0).
        func step(_ t: Int, tape: Bool) -> ForwardResult<Double> {
            x.withUnsafeBufferPointer { xp in
                let hPrev = t > 0 ? h[t - 1] : [Double](repeating: 0, count: H), cPrev = t > 0 ? c[t - 1] : nil
                return hPrev.withUnsafeBufferPointer { hp in
                    (cPrev ?? []).withUnsafeBufferPointer { cp in
                        net.forward(input: xp.baseAddress! + t, steps: 1, batch: 1, lengths: nil, h0: hp.baseAddress,
                                    c0: cPrev == nil ? nil : cp.baseAddress, recordTape: tape)
                    }
                }
            }
        }
        for t in 0..<T {
            let result = step(t, tape: false)
            h.append(result.hN.array)
            c.append(result.cN?.array)
        }
        let boost = 0x1p332, lnBoost = 332 * M_LN2
        var logNorms = [log(euclideanLength(r))], dh = r, dc: [Double]? = nil, lnScale = 0.0   // dh is the gradient × e^lnScale
        for t in stride(from: T - 1, to: 0, by: -1) {
            let tape = step(t, tape: true).tape!
            let back = dh.withUnsafeBufferPointer { dhp in
                (dc ?? []).withUnsafeBufferPointer { dcp in
                    grads.withUnsafeMutableBufferPointer { gp in
                        net.backward(tape: tape, dOutput: nil, dhN: dhp.baseAddress, dcN: dc == nil ? nil : dcp.baseAddress,
                                     grads: gp.baseAddress!, wantInputGradient: false)
                    }
                }
            }
            dh = back.dh0.array
            dc = back.dc0?.array
            var norm = euclideanLength(dh)
            // Both shrink together or not at all (dc alone could grow past the range).
            let size = max(norm, dc.map(euclideanLength) ?? 0)
            if rescaling, size > 0, size < 1 / boost {
                dh = dh.map { $0 * boost }
                dc = dc?.map { $0 * boost }
                (norm, lnScale) = (norm * boost, lnScale + lnBoost)
            }
            logNorms.append(log(norm) - lnScale)
        }
        return logNorms
    }

    /// ‖v‖, scaled by the largest |v_i| first (as BLAS's `dnrm2`): the plain Σ v_i² of a
    /// gradient of 1e-160 underflows to 0 (its squares are below 1e-320), and norms that were
    /// 1e-160 came out as 0.
    static func euclideanLength(_ v: [Double]) -> Double {
        if v.contains(where: \.isNaN) { return .nan }   // `max` would pass over a NaN
        let scale = v.reduce(0) { max($0, abs($1)) }
        guard scale > 0, scale.isFinite else { return scale }
        return scale * v.reduce(0) { $0 + ($1 / scale) * ($1 / scale) }.squareRoot()
    }
}
