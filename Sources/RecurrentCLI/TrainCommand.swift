import ArgumentParser
import Foundation
import Recurrent

/// `recurrent train`: train a model on a built-in task, a text, a time series or arrays.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a recurrent model by backpropagation through time.",
        discussion: """
            With no arguments, trains an LSTM on the parity task (the course homework's: is the current run \
            of ones odd?) and reports its accuracy on fresh sequences. Data: --task, --text FILE \
            (character-level language model), --csv FILE (one-step-ahead forecasting), or --input X.npy \
            --target Y.npy. Start from a saved or PyTorch model with --model.
            """)

    @OptionGroup var data: TrainingDataOptions
    @OptionGroup var architecture: ArchitectureOptions
    @OptionGroup var optimization: OptimizationOptions

    @Option(help: ArgumentHelp("Write the trained model here (safetensors), and beside it its loss curve as JSON lines (NAME.loss.jsonl) and as a picture (NAME.loss.svg).", valueName: "file.safetensors"))
    var output: String?

    @Option(help: ArgumentHelp("Keep a checkpoint in this directory and resume from it if one is there.", valueName: "dir"))
    var checkpoint: String?

    @Option(parsing: .unconditional, help: "Steps between checkpoints (default: 200).")
    var checkpointEvery: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Measure and print the held-out loss every N steps (not counted as training time).", valueName: "N"))
    var validateEvery: Int?

    @Flag(help: "No progress lines: the summary alone (and the held-out losses that --validate-every asks for).")
    var quiet = false

    func validate() throws {
        if let validateEvery, validateEvery < 1 {
            throw ValidationError("--validate-every must be at least 1, got \(validateEvery)")
        }
        if validateEvery != nil, !data.holdsOut { throw ValidationError("--validate-every needs held-out data; the validation split is 0") }
        let isText: Bool, predictsNext: Bool
        switch data.kind {
        case .text: (isText, predictsNext) = (true, true)
        case .csv: (isText, predictsNext) = (false, true)
        default: (isText, predictsNext) = (false, false)
        }
        if case .task = data.kind, optimization.epochs != nil {
            throw ValidationError("--epochs is for data that runs out (--text, --csv, --input/--target); a task draws new "
                + "sequences at every step: give --steps")
        }
        if architecture.embedding != nil, !isText { throw ValidationError("--embedding is for --text (a model of token ids)") }
        if architecture.bidirectional, predictsNext {
            throw ValidationError("--bidirectional: a model that reads the sequence backwards sees the next character or row it is to predict")
        }
        if let checkpointEvery {
            guard checkpointEvery >= 1 else { throw ValidationError("--checkpoint-every must be at least 1, got \(checkpointEvery)") }
            guard checkpoint != nil else { throw ValidationError("--checkpoint-every is for --checkpoint DIR") }
        }
    }

    func run() throws {
        // Where the results go is checked before any work, so that no run is lost at its end.
        try checkWritable(outputs, inputs: inputs)
        if let checkpoint {
            // The checkpoint's directory would take the place of the output written at the end.
            if let clash = outputs.first(where: { sameFile($0.path, checkpoint) }) {
                throw RecurrentError(.io, "--checkpoint and \(clash.what) name the same path, \(checkpoint): the checkpoint is a directory")
            }
            try prepareDirectory(checkpoint)
        }
        optimization.applyThreads()
        let recipe = self.data.recipe
        let (data, model) = try dataAndModel(recipe: recipe)
        let options = try optimization.options(for: data, recipe: recipe, kind: self.data.kind)
        if validateEvery != nil, (try data.heldOutBatches(batchSize: options.batchSize, seed: 0) as [TrainingBatch<Float>]).isEmpty {
            throw RecurrentError(.value, "--validate-every: no data is held out (\(data.summary))")
        }
        var trainer: Trainer<Float>
        let checkpointURL = checkpoint.map { fileURL($0) }
        // Fine-tuned in place (--output is --model), the file changes as the run saves: its
        // content cannot tell the run's start on resume, so none is recorded.
        let inPlace = architecture.model.map { loaded in output.map { sameFile($0, loaded) } == true } ?? false
        // (Only a checkpoint keeps it: no hash of a large model otherwise.)
        let origin = architecture.origin(recipe: recipe, loaded: inPlace || checkpoint == nil ? nil : model)
        if let checkpointURL, let resumed = try Trainer<Float>.resume(
            from: checkpointURL, data: data, options: options, model: model.configuration, origin: origin) {
            trainer = resumed
            print("resuming from \(checkpointURL.path) at step \(trainer.step)")
        } else {
            trainer = try Trainer(model: model, data: data, options: options)
            trainer.origin = origin
        }
        let total = try options.totalSteps(for: data)
        print("data: \(data.summary)")
        print("model: \(describe(trainer.model)); \(describe(options, total: total, data: data))")
        let reporter = ProgressReporter(quiet: quiet)
        // Ctrl-C ends the run after its step, skips the final held-out measurement and saves what
        // was trained, as at the end; the signals stay caught until the files are written.
        try Interruption.catching {
            let stoppedEarly = try trainer.run(
                checkpointEvery: checkpointURL == nil ? nil : checkpointEvery ?? 200,
                checkpoint: checkpointURL.map { url in { try $0.writeCheckpoint(to: url) } },
                validateEvery: validateEvery, validated: reporter.validated,
                progress: reporter.report, stop: { Interruption.requested })
            reporter.finish()
            try finish(trainer, data: data, stoppedEarly: stoppedEarly)
        }
        if let status = Interruption.exitCode { throw ExitCode(status) }
    }

    /// The data, and the model (new or loaded) made ready for it: a character model keeps its
    /// own token ids and a forecaster its columns and scaling; a new model takes the series'
    /// scaling or the text's vocabulary.
    func dataAndModel(recipe: BuiltInTask.Recipe?) throws -> (any TrainingData, SequenceModel<Float>) {
        // A forecaster trained further reads its own columns by name, as a forecast does.
        let modelColumns = self.data.csv == nil ? nil : architecture.model.flatMap { try? Self.seriesColumns(of: fileURL($0)) }
        var data = try self.data.makeData(modelColumns: modelColumns)
        // The seed draws a new model and some data: given for neither, it would change nothing.
        if optimization.seed != nil, architecture.model != nil, !data.drawsFromSeed {
            throw ValidationError("--seed changes nothing here: the model is loaded (--model) and the data are read in order "
                + "(--shuffle, or --sampling windows for a text, draws from the seed)")
        }
        var model = try architecture.makeModel(for: data, recipe: recipe, seed: optimization.seed ?? 0)
        if let corpus = data as? TextCorpus, let vocabulary = model.vocabulary, vocabulary != corpus.vocabulary.map({ String($0) }) {
            // A character model goes on with its own token ids: the text is encoded with them.
            let scalars = try vocabulary.map { text in
                guard let scalar = text.unicodeScalars.first, text.unicodeScalars.count == 1 else {
                    throw RecurrentError(.format, "the model's vocabulary holds '\(text)', not one character")
                }
                return scalar
            }
            data = try corpus.encoded(with: scalars)
        }
        if let series = data as? TimeSeriesCSV {
            // A forecaster goes on with its own columns and scaling: the rows are standardised with them.
            if let scaling = model.series { data = try series.rescaled(with: scaling) } else { model.series = try series.scaling() }
        } else if let scaling = model.series {
            throw RecurrentError(.value, "the model is a forecaster of the columns \(scaling.columns.joined(separator: ", ")), "
                + "scaled as it learned them: train it further with --csv")
        }
        if model.vocabulary == nil, let corpus = data as? TextCorpus {
            model.vocabulary = corpus.vocabulary.map { String($0) }
        }
        return (data, model)
    }

    /// The columns a forecaster's file records (its series scaling), or nil; a file it cannot
    /// read is refused where the model is loaded.
    static func seriesColumns(of url: URL) throws -> [String]? {
        try SafetensorsHeader.read(url).metadata[TorchStateDict.MetadataKey.series].map {
            try BoundedJSON.decode(SeriesScaling.self, from: $0).columns
        }
    }

    /// The files the run writes: the model, its loss curve and the curve's picture (none
    /// beside a device or pipe, `--output /dev/null`).
    var outputs: [(what: String, path: String)] {
        guard let output else { return [] }
        guard !FileAccess.isSpecialFile(output) else { return [("--output", output)] }
        return [("--output", output), ("--output's loss curve", Self.curvePath(output)),
                ("--output's loss picture", Self.curvePath(output, picture: true))]
    }

    /// The files the run reads or keeps, which no output may replace; but `--output` may
    /// replace `--model` (fine-tuning in place).
    var inputs: [(what: String, path: String?)] {
        let model = architecture.model.flatMap { model in output.map { sameFile($0, model) } == true ? nil : model }
        let kept = checkpoint.map { fileURL($0).appendingPathComponent(Trainer<Float>.checkpointFileName).path }
        return [("--text", data.text), ("--csv", data.csv), ("--input", data.input), ("--target", data.target), ("--model", model),
                ("--checkpoint's file", kept)]
    }

    /// Prints the summary and the held-out result (not after an interruption), and saves.
    func finish(_ trainer: Trainer<Float>, data: any TrainingData, stoppedEarly: Bool) throws {
        let last = trainer.curve.last
        var summary = "trained \(trainer.step.counted("step"))" + String(format: " in %.1f s", trainer.secondsBefore)
        if stoppedEarly { summary += Interruption.requested ? " (interrupted)" : " (time limit)" }
        if let last { summary += String(format: "; last batch loss %.4f", last.loss) }
        print(summary)
        var curve = trainer.curve
        if let heldOut = try trainer.evaluateHeldOut(stop: { Interruption.requested }) {
            print(describe(heldOut, data: data))
            print(String(format: "validation loss: %.4f", heldOut.mean))
            if !curve.isEmpty { curve[curve.count - 1].validationLoss = heldOut.mean }
        }
        if let output { try save(trainer.model, curve: curve, to: output) }
    }

    /// Writes the model, its loss curve (JSON lines) and the curve's picture beside it.
    func save(_ model: SequenceModel<Float>, curve: [TrainingRecord], to output: String) throws {
        let url = fileURL(output)
        guard outputs.count > 1 else {
            try model.write(to: url)
            print("saved the model to \(url.path), a device or pipe: no loss curve written beside it")
            return
        }
        let curveURL = fileURL(Self.curvePath(output))
        let pictureURL = fileURL(Self.curvePath(output, picture: true))
        let title = "Training loss of \(describe(model))"
        // The three files land together, or none of them does (a full disk leaves the old ones).
        try FileAccess.writeTogether([
            (url, { try model.write(to: $0) }),
            (curveURL, { try LossCurve.writeJSONLines(curve, to: $0) }),
            (pictureURL, { try LossCurve.writeSVG(runs: [(url.lastPathComponent, curve)], title: title, to: $0) }),
        ])
        print("saved \(url.path), \(curveURL.lastPathComponent) and \(pictureURL.lastPathComponent)")
    }

    /// The loss curve's path beside a model's: `m.safetensors` → `m.loss.jsonl` (or its
    /// picture, `m.loss.svg`).
    static func curvePath(_ output: String, picture: Bool = false) -> String {
        fileURL(output).deletingPathExtension().appendingPathExtension(picture ? "loss.svg" : "loss.jsonl").path
    }

    private func describe(_ model: SequenceModel<Float>) -> String {
        model.configuration.summary + ", \(model.parameterCount) parameters"
    }

    private func describe(_ options: TrainingOptions, total: Int, data: any TrainingData) -> String {
        var text = "\(options.optimizer.kind.rawValue) lr \(options.optimizer.learningRate), batch \(options.batchSize)"
        let largest = data.largestBatch(batchSize: options.batchSize)
        if largest < options.batchSize { text += " (\(largest) sequences: all the data has)" }
        text += total >= TrainingDataOptions.unbounded ? ", until the time limit" : ", \(total.counted("step"))"
        if let clip = options.clipNorm { text += ", clip \(clip)" }
        if let limit = options.maxTime { text += ", at most \(limit) s" }
        return text
    }

    private func describe(_ loss: LossValue, data: any TrainingData) -> String {
        var text = String(format: "held-out: loss %.4f", loss.mean)
        if case .tokens = data.input { text += " nats per character" }
        if let accuracy = loss.accuracy, let correct = loss.correct {
            text += String(format: ", accuracy %.2f%% (%ld of %ld predictions)", accuracy * 100, correct, loss.positions)
        }
        return text
    }
}
