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
}

extension Trainer {
    /// The checkpoint file inside a checkpoint directory.
    public static var checkpointFileName: String { "checkpoint.safetensors" }
    static var trainingKey: String { "recurrent.training" }

    /// Writes the whole training state to `directory/checkpoint.safetensors`, atomically (a
    /// crash mid-write leaves the previous checkpoint intact): the model's tensors, the
    /// optimizer's buffers (`optimizer.<name>`), the carried stream state (`carried.h`,
    /// `carried.c`), and the step, options and loss curve in the metadata.
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
                                    options: options, data: data.summary, curve: curve, carriedBatch: carried?.batch)
        file.metadata[Self.trainingKey] = String(decoding: try JSONEncoder().encode(state), as: UTF8.self)
        try file.write(to: directory.appendingPathComponent(Self.checkpointFileName))
    }

    /// Resumes the run saved in `directory`, or returns nil when there is no checkpoint there.
    /// The options must match those of the saved run, except `steps`, `epochs` and `maxTime`.
    /// - Throws: `RecurrentError` for a malformed checkpoint or options that differ.
    public static func resume(from directory: URL, data: any TrainingData, options: TrainingOptions) throws -> Trainer? {
        let url = directory.appendingPathComponent(checkpointFileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let source = url.path
        let header = try SafetensorsHeader.read(url)
        guard let json = header.metadata[trainingKey],
              let state = try? JSONDecoder().decode(CheckpointState.self, from: Data(json.utf8)) else {
            throw RecurrentError.format("\(source): not a training checkpoint (no '\(trainingKey)' metadata)")
        }
        var saved = state.options, asked = options
        (saved.steps, saved.epochs, saved.maxTime) = (nil, nil, nil)
        (asked.steps, asked.epochs, asked.maxTime) = (nil, nil, nil)
        guard saved == asked else {
            throw RecurrentError.value(
                "\(source) was saved by a run with other options (batch size, optimizer, learning rate, schedule, clipping or seed); "
                    + "resume with the same options, or checkpoint into another directory")
        }
        let model = try SequenceModel<Scalar>.load(from: url)
        let file = try SafetensorsFile<Scalar>.read(url)
        var trainer = try Trainer(model: model, data: data, options: options)
        trainer.model.passthrough = model.passthrough.filter { !$0.name.hasPrefix("optimizer.") && !$0.name.hasPrefix("carried.") }
        var buffers: [String: [Scalar]] = [:]
        for (name, tensor) in file.tensors where name.hasPrefix("optimizer.") {
            buffers[String(name.dropFirst("optimizer.".count))] = tensor.scalars
        }
        trainer.optimizer = try Optimizer(options.optimizer, parameterCount: model.parameterCount,
                                          stepCount: state.optimizerSteps, state: buffers)
        if let batch = state.carriedBatch, let h = file["carried.h"] {
            trainer.carried = CarriedState(batch: batch, h: h.scalars, c: file["carried.c"]?.scalars)
        }
        trainer.step = state.step
        trainer.curve = state.curve
        trainer.secondsBefore = state.seconds
        return trainer
    }
}
