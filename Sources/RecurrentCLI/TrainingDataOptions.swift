import ArgumentParser
import Foundation
import Recurrent

extension TextSampling: ExpressibleByArgument {}

extension BuiltInTask: ExpressibleByArgument {}

/// Where the training data comes from.
struct TrainingDataOptions: ParsableArguments {
    /// The step count standing for "until the time limit": above every count a run may be given.
    static let unbounded = 1 << 40

    enum Kind { case task(BuiltInTask), text, csv, arrays }

    @Option(help: "A built-in task: parity (default), adding, copy, temporal-order.")
    var task: BuiltInTask?

    @Option(parsing: .unconditional, help: "The task's length: sequence length T (parity, adding, temporal-order) or the copy delay.")
    var length: Int?

    @Option(help: ArgumentHelp("Train a character-level language model on this text file.", valueName: "file"))
    var text: String?

    @Option(help: ArgumentHelp("Train one-step-ahead forecasting on the numeric columns of this CSV file.", valueName: "file"))
    var csv: String?

    @Option(help: ArgumentHelp("With --csv: the columns to use, by header name or 1-based number (default: all).", valueName: "a,b,..."))
    var columns: String?

    @Option(help: ArgumentHelp("Input sequences (.npy): (T, N, X), or (N, T, X) with --batch-first.", valueName: "X.npy"))
    var input: String?

    @Option(help: ArgumentHelp("Targets (.npy): (T, N, O) for every step or (N, O) for the last step.", valueName: "Y.npy"))
    var target: String?

    @Flag(help: "The .npy arrays are batch-first: (N, T, ·).")
    var batchFirst = false

    @Option(help: "Loss for .npy targets: mse (default) or ce (targets are class indices).")
    var loss: String?

    @Option(parsing: .unconditional, help: "The number of classes for --loss ce (default: the largest target + 1).")
    var classes: Int?

    @Flag(help: "Shuffle the .npy sequences every epoch (default: in order, as PyTorch's DataLoader).")
    var shuffle = false

    @Option(parsing: .unconditional, help: "Steps per training chunk for --text and --csv (default: 64 for --text, 32 for --csv).")
    var seqLen: Int?

    @Option(help: "With --text: windows (the default: the text cut into windows at a random phase each epoch, every window once per epoch in a shuffled order, each from a zero state) or streams (contiguous chunks, the state carried between them: truncated backpropagation through time).")
    var sampling: TextSampling?

    @Option(parsing: .unconditional, help: "The fraction of the data held out for validation, at its end (default: 0.1 for --text and --csv, 0 for .npy).")
    var validationSplit: Double?

    var kind: Kind {
        if text != nil { return .text }
        if csv != nil { return .csv }
        if input != nil || target != nil { return .arrays }
        return .task(task ?? .parity)
    }

    var recipe: BuiltInTask.Recipe? {
        if case .task(let t) = kind { return t.recipe(length: length) }
        return nil
    }

    func validate() throws {
        let sources = [task != nil, text != nil, csv != nil, input != nil || target != nil].filter { $0 }.count
        if sources > 1 { throw ValidationError("give one source of data: --task, --text, --csv or --input/--target") }
        if (input == nil) != (target == nil) { throw ValidationError("--input and --target go together") }
        if let loss, !["mse", "ce"].contains(loss) { throw ValidationError("--loss must be mse or ce, got '\(loss)'") }
        if sampling != nil && text == nil { throw ValidationError("--sampling is for --text only") }
        if classes != nil && loss != "ce" { throw ValidationError("--classes is for --loss ce (class-index targets)") }
        if let classes, !(1...RecurrentConfiguration.maximumSize).contains(classes) {
            throw ValidationError("--classes must be in 1...\(RecurrentConfiguration.maximumSize) (the largest head a network has), got \(classes)")
        }
        if let validationSplit, !(validationSplit >= 0 && validationSplit < 1) {
            throw ValidationError("--validation-split must be in [0, 1), got \(validationSplit)")
        }
        if let seqLen, seqLen < 1 { throw ValidationError("--seq-len must be at least 1, got \(seqLen)") }
        try refuseUnused()
        // Each task's own range of lengths (the adding task's X1 needs 20 steps; at most 2^40).
        if case .task(let t) = kind, length != nil {
            do { _ = try t.data(length: length) } catch let error as RecurrentError { throw ValidationError("--length: \(error.message)") }
        }
    }

    /// Refuses options for another kind of data, which this one would ignore.
    func refuseUnused() throws {
        let isTask: Bool
        if case .task = kind { isTask = true } else { isTask = false }
        if input == nil, let (option, _) = [("--loss", loss != nil), ("--batch-first", batchFirst), ("--shuffle", shuffle)].first(where: \.1) {
            throw ValidationError("\(option) is for --input/--target arrays")
        }
        if csv == nil, columns != nil { throw ValidationError("--columns is for --csv") }
        if columns != nil, columnList == nil {
            throw ValidationError("--columns: a quote is not closed, or text follows a closing quote (a name with a comma is written \"a,b\")")
        }
        if columnList?.contains("") == true { throw ValidationError("--columns: an empty name in the list '\(shortQuote(columns ?? ""))'") }
        // The same word twice (a name and its number, the same column, is found in the file).
        if let list = columnList, let repeated = list.enumerated().first(where: { list[..<$0.offset].contains($0.element) })?.element {
            throw ValidationError("--columns names '\(shortQuote(repeated))' twice")
        }
        if text == nil, csv == nil, seqLen != nil { throw ValidationError("--seq-len is for --text and --csv") }
        if !isTask, length != nil { throw ValidationError("--length is for --task") }
        if isTask, validationSplit != nil {
            throw ValidationError("--validation-split is for --text, --csv and arrays; a task draws its own held-out sequences")
        }
    }

    /// `--columns` as a list, split as a CSV line is (a name holding a comma in quotes), or nil.
    var columnList: [String]? {
        columns.flatMap { CSVLine.cells($0[...]) }
    }

    /// Whether any data is held out for validation.
    var holdsOut: Bool {
        if case .task = kind { return true }
        return (validationSplit ?? (input != nil ? 0 : 0.1)) > 0
    }

    /// The data; a series reads `modelColumns` (a forecaster's own, by name) unless
    /// `--columns` says which.
    func makeData(modelColumns: [String]? = nil) throws -> any TrainingData {
        switch kind {
        case .task(let t):
            return try t.data(length: length)
        case .text:
            var corpus = try TextCorpus(contentsOf: fileURL(text!), sequenceLength: seqLen ?? 64,
                                        validationFraction: validationSplit ?? 0.1)
            corpus.sampling = sampling ?? corpus.sampling
            return corpus
        case .csv:
            return try TimeSeriesCSV(contentsOf: fileURL(csv!), sequenceLength: seqLen ?? 32,
                                     validationFraction: validationSplit ?? 0.1,
                                     columns: columnList ?? modelColumns, byNameOnly: columnList == nil && modelColumns != nil)
        case .arrays:
            var classCount: Int? = nil
            if loss == "ce" {
                let y = try ArrayDataset.targets(fileURL(target!), classIndices: true)
                // The largest class index + 1, over the values that can be one; any other value
                // (NaN, negative, fractional, huge) is then named by the dataset's own check.
                let indices = y.scalars.filter { $0 >= 0 && $0 < 16_777_216 && $0 == $0.rounded() }
                classCount = classes ?? ((indices.max().map { Int($0) } ?? 0) + 1)
            }
            return try ArrayDataset(inputURL: fileURL(input!), targetURL: fileURL(target!),
                                    batchFirst: batchFirst, validationFraction: validationSplit ?? 0,
                                    shuffle: shuffle, classes: classCount)
        }
    }
}
