import Foundation

/// The training state kept in a checkpoint's metadata.
struct CheckpointState: Codable {
    var step: Int
    var optimizerSteps: Int
    var seconds: Double
    var options: TrainingOptions
    var data: String
    var curve: [TrainingRecord]
    var carriedBatch: Int?
    /// How the run's model began (absent from older checkpoints).
    var origin: ModelOrigin?

    /// Throws unless every field is in range: counts not negative, the optimizer's steps at
    /// most the steps taken, the time under 10^9 s (32 years), the curve no longer than the steps.
    func validate(source: String) throws {
        guard step >= 0, (0...step).contains(optimizerSteps), seconds >= 0, seconds < 1e9, curve.count <= step,
              curve.allSatisfy({ $0.step >= 1 && $0.step <= step }), carriedBatch.map({ $0 >= 1 }) ?? true
        else {
            throw RecurrentError.format("\(source): the training record is out of range (step \(step), optimizer steps "
                + "\(optimizerSteps), \(seconds) s, \(curve.count) curve records, carried batch \(carriedBatch.map(String.init) ?? "none"))")
        }
    }
}

extension Trainer {
    /// The checkpoint file inside a checkpoint directory.
    public static var checkpointFileName: String { "checkpoint.safetensors" }
    static var trainingKey: String { "recurrent.training" }
    static var checksumKey: String { "recurrent.checksum" }

    /// Writes the whole training state to `directory/checkpoint.safetensors`, atomically (a
    /// crash mid-write leaves the previous checkpoint intact): the model's tensors, the
    /// optimizer's buffers (`optimizer.<name>`), the carried stream state (`carried.h`,
    /// `carried.c`), the step, options and loss curve in the metadata, and a checksum of all of it.
    public func writeCheckpoint(to directory: URL) throws {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw RecurrentError.io("\(directory.path): cannot create the checkpoint directory")
        }
        var file = model.parameters.safetensors(metadata: model.fileMetadata)
        file.tensors += model.passthrough
        for (name, buffer) in optimizer.state.sorted(by: { $0.key < $1.key }) {
            file.tensors.append(("optimizer.\(name)", Tensor(uncheckedShape: [buffer.count], scalars: buffer)))
        }
        if let carried {
            file.tensors.append(("carried.h", Tensor(uncheckedShape: [carried.h.count], scalars: carried.h)))
            if let c = carried.c { file.tensors.append(("carried.c", Tensor(uncheckedShape: [c.count], scalars: c))) }
        }
        let state = CheckpointState(step: step, optimizerSteps: optimizer.stepCount, seconds: secondsBefore,
                                    options: options, data: data.identity, curve: curve, carriedBatch: carried?.batch,
                                    origin: origin)
        file.metadata[Self.trainingKey] = String(decoding: try JSONEncoder().encode(state), as: UTF8.self)
        file.metadata[Self.checksumKey] = Self.checksum(file)
        try file.write(to: directory.appendingPathComponent(Self.checkpointFileName))
    }

    /// Resumes the run saved in `directory`, or returns nil when there is no checkpoint there;
    /// first removes what interrupted checkpoint writes left behind. The checkpoint is read once
    /// and checked whole: its checksum, every field of its training record, its model against
    /// `model` (the configuration this run would train, when given), its data and options
    /// against this run's (all but `steps`, `epochs` and `maxTime` must match), and how this
    /// run's model would begin, `origin`, against the checkpoint's (when both are known). A
    /// checkpoint that fails a check is left in place.
    /// - Throws: `RecurrentError` naming the file and what does not match.
    public static func resume(
        from directory: URL, data: any TrainingData, options: TrainingOptions, model expected: SequenceModelConfiguration? = nil,
        origin: ModelOrigin? = nil
    ) throws -> Trainer? {
        let url = directory.appendingPathComponent(checkpointFileName)
        FileAccess.removeInterruptedWrites(of: url)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let source = url.path
        let file = try SafetensorsFile<Scalar>.read(url)
        let state = try checkedState(file, source: source)
        try checkSameRun(state, data: data, options: options, source: source)
        // A run asked for fewer steps than the checkpoint holds would train none and pass the
        // checkpoint's model off as its own.
        let total = try options.totalSteps(for: data)
        guard state.step <= total else {
            throw RecurrentError.value("\(source) is at step \(state.step), past this run's \(total) steps: ask for at least "
                + "\(state.step) steps, or checkpoint into another directory")
        }
        if let saved = state.origin, let origin, !saved.admits(origin) {
            throw RecurrentError.value("\(source) was saved by a run whose model was \(saved.summary), but this run's would be "
                + "\(origin.summary); resume the same way, or checkpoint into another directory")
        }
        let model = try SequenceModel<Scalar>.load(file: file, source: source)
        if let expected, expected != model.configuration {
            throw RecurrentError.value("\(source) holds \(model.configuration.summary), this run asks for \(expected.summary); "
                + "resume with the same model, or checkpoint into another directory")
        }
        var trainer = try Trainer(model: model, data: data, options: options)
        trainer.model.passthrough = model.passthrough.filter { !$0.name.hasPrefix("optimizer.") && !$0.name.hasPrefix("carried.") }
        var buffers: [String: [Scalar]] = [:]
        for (name, tensor) in file.tensors where name.hasPrefix("optimizer.") {
            buffers[String(name.dropFirst("optimizer.".count))] = tensor.scalars
        }
        do {
            trainer.optimizer = try Optimizer(options.optimizer, parameterCount: model.parameterCount,
                                              stepCount: state.optimizerSteps, state: buffers)
        } catch var error as RecurrentError {
            error.message = "\(source): \(error.message)"
            throw error
        }
        guard (state.carriedBatch == nil) == (file["carried.h"] == nil) else {
            throw RecurrentError.format("\(source): the carried state and its batch size come together; one is missing")
        }
        if let batch = state.carriedBatch, let h = file["carried.h"] {
            let cfg = model.configuration.recurrent
            let c = file["carried.c"]
            guard h.scalars.count == MemoryBudget.product([cfg.layers, cfg.directions, batch, cfg.stateSize]),
                  (c == nil) == !cfg.cell.hasCellState,
                  c.map({ $0.scalars.count == MemoryBudget.product([cfg.layers, cfg.directions, batch, cfg.hiddenSize]) }) ?? true
            else { throw RecurrentError.format("\(source): the carried state does not fit the model and a batch of \(batch)") }
            guard h.scalars.allSatisfy(\.isFinite), c?.scalars.allSatisfy(\.isFinite) ?? true else {
                throw RecurrentError.value("\(source): the carried state holds NaN or infinite values")
            }
            trainer.carried = CarriedState(batch: batch, h: h.scalars, c: c?.scalars)
        }
        (trainer.step, trainer.curve, trainer.secondsBefore) = (state.step, state.curve, state.seconds)
        trainer.origin = state.origin
        return trainer
    }

    /// The training record of a checkpoint, after its checksum and ranges are checked.
    static func checkedState(_ file: SafetensorsFile<Scalar>, source: String) throws -> CheckpointState {
        guard let json = file.metadata[trainingKey] else {
            throw RecurrentError.format("\(source): not a training checkpoint (no '\(trainingKey)' metadata)")
        }
        guard let saved = file.metadata[checksumKey], saved == checksum(file) else {
            throw RecurrentError.format("\(source): the checksum does not match: the checkpoint is damaged "
                + "(it is left in place; move it away to start afresh)")
        }
        let state: CheckpointState
        do {
            state = try BoundedJSON.decode(CheckpointState.self, from: json)
        } catch let error as RecurrentError {
            throw RecurrentError.format("\(source): the training record ('\(trainingKey)' metadata): \(error.message)")
        } catch {
            throw RecurrentError.format("\(source): the training record ('\(trainingKey)' metadata) is malformed")
        }
        try state.validate(source: source)
        return state
    }

    /// Throws unless the checkpoint was saved by a run on the same data with the same options.
    static func checkSameRun(_ state: CheckpointState, data: any TrainingData, options: TrainingOptions, source: String) throws {
        // The data first: other data (a task's length) also brings its own default options.
        guard state.data == data.identity else {
            throw RecurrentError.value("\(source) was saved by a run on other data (\(state.data)); this run is on \(data.summary)")
        }
        var saved = state.options, asked = options
        (saved.steps, saved.epochs, saved.maxTime) = (nil, nil, nil)
        (asked.steps, asked.epochs, asked.maxTime) = (nil, nil, nil)
        // Data read in order does not use the seed, and the weights are the checkpoint's.
        if !data.drawsFromSeed { (saved.seed, asked.seed) = (0, 0) }
        guard saved == asked else {
            throw RecurrentError.value("\(source) was saved by a run with other options (\(differences(saved, asked))); "
                + "resume with the same options, or checkpoint into another directory")
        }
    }

    /// What differs between two runs' options, as "learning rate 0.001, now 0.01".
    static func differences(_ saved: TrainingOptions, _ asked: TrainingOptions) -> String {
        let a = saved.optimizer, b = asked.optimizer
        let pairs: [(String, String, String)] = [
            ("batch size", "\(saved.batchSize)", "\(asked.batchSize)"), ("optimizer", a.kind.rawValue, b.kind.rawValue),
            ("learning rate", "\(a.learningRate)", "\(b.learningRate)"), ("momentum", "\(a.momentum)", "\(b.momentum)"),
            ("Nesterov", "\(a.nesterov)", "\(b.nesterov)"), ("weight decay", "\(a.weightDecay)", "\(b.weightDecay)"),
            ("schedule", "\(saved.schedule)", "\(asked.schedule)"),
            ("clipping", saved.clipNorm.map { "\($0)" } ?? "none", asked.clipNorm.map { "\($0)" } ?? "none"),
            ("seed", "\(saved.seed)", "\(asked.seed)"),
        ]
        let named = pairs.filter { $0.1 != $0.2 }.map { "\($0.0) \($0.1), now \($0.2)" }
        return named.isEmpty ? "the optimizer's other settings" : named.joined(separator: "; ")
    }

    /// A 64-bit FNV-1a checksum of every tensor (name, shape, the bits of each value) and of the
    /// metadata but the checksum itself, as 16 hex digits.
    static func checksum(_ file: SafetensorsFile<Scalar>) -> String {
        var hash = FNV1a()
        for (name, tensor) in file.tensors {
            hash.mix(name)
            for d in tensor.shape { hash.mix(UInt64(truncatingIfNeeded: d)) }
            for value in tensor.scalars { hash.mix(value.checksumBits) }
        }
        for (key, value) in file.metadata.sorted(by: { $0.key < $1.key }) where key != checksumKey {
            hash.mix(key)
            hash.mix(value)
        }
        return hash.hex
    }
}

extension RecurrentScalar {
    /// The value's sign, exponent and significand bits in one word, for checksums.
    fileprivate var checksumBits: UInt64 {
        UInt64(truncatingIfNeeded: significandBitPattern) ^ (UInt64(truncatingIfNeeded: exponentBitPattern) << 52)
            ^ (sign == .minus ? 1 << 63 : 0)
    }
}
