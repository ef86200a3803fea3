import Foundation

/// One-step-ahead forecasting of a multivariate time series read from a CSV file.
///
/// - File: comma-separated cells, one row per time step, oldest first; blank lines are
///   ignored, spaces around cells and double quotes around a cell are dropped. The first row
///   is a header when any of its cells is neither empty nor a number. `columns` picks columns by header name
///   or by 1-based number (for example "3"); by default every column is used, and only the
///   picked columns must be numeric (a date column can be left out). Every row must have as
///   many cells as the first.
/// - Split: the first `R - round(validationFraction · R)` rows train, the rest are held out.
/// - Scaling: each column is standardised with the mean and the (population) standard
///   deviation of its training rows, kept in `means` and `standardDeviations` so predictions
///   can be mapped back (`originalValue`); a column that is constant over the training rows
///   keeps a standard deviation of 1.
/// - Training batches: the training rows are cut into W = (R_train - 1) / L non-overlapping
///   windows of L = `sequenceLength` rows: window k's inputs are rows [kL, kL + L), its
///   targets the rows one further on, [kL + 1, kL + L + 1), values of size C (the number of
///   columns) at every step. Each epoch visits the windows in an order shuffled from
///   (seed, epoch), in batches of B (the last one smaller when B does not divide W). Each
///   window starts from zero state (`carriesState = false`).
/// - Held-out batches: the held-out rows, preceded by the last training row as context, cut in
///   order into windows of L targets (the last window shorter, with `lengths` set and zeros
///   past its end), in batches of B: every held-out row is a target exactly once.
/// - Spec: `input = .vectors(size: C)`, `output = .values(size: C)`, loss at every step.
///
/// Baseline: predicting the standardised value 0 (each column's training mean) costs about 1
/// per value; predicting that each row repeats the previous one is the usual naive forecast.
public struct TimeSeriesCSV: TrainingData {
    /// The names of the columns used, in order (from the header, or "column N" without one).
    public let columnNames: [String]
    /// Each column's mean over the training rows.
    public private(set) var means: [Double]
    /// Each column's standard deviation over the training rows (1 for a constant column).
    public private(set) var standardDeviations: [Double]
    /// L: the number of rows of a window.
    public let sequenceLength: Int
    /// The fraction of rows held out, at the end.
    public let validationFraction: Double
    /// Whether the file starts with a header row.
    public let hasHeader: Bool
    /// The number of data rows.
    public let rowCount: Int
    /// The number of rows that train (the first ones).
    public let trainingRowCount: Int
    /// The file's path, for messages and the summary.
    public let name: String
    /// The standardised values, row-major (`rowCount × columnCount`).
    public private(set) var standardizedValues: [Double]

    /// The summary and a hash of the column names, their scaling and the standardised values.
    public var identity: String {
        var hash = FNV1a()
        for name in columnNames { hash.mix(name) }
        hash.mix(bitsOf: means + standardDeviations)
        hash.mix(bitsOf: standardizedValues)
        return summary + "; content \(hash.hex)"
    }

    /// C: the number of columns used.
    public var columnCount: Int { columnNames.count }

    /// The columns and their scaling, for a model that forecasts from this series.
    /// - Throws: `RecurrentError` naming a column whose mean or deviation is not finite.
    public func scaling() throws -> SeriesScaling {
        try SeriesScaling(columns: columnNames, means: means, standardDeviations: standardDeviations)
    }
    /// The same rows standardised with a forecaster's own scaling, for training it further on
    /// new data: each value back to the file's scale, then through `scaling`.
    /// - Throws: `RecurrentError` when the scaling is for other columns, or a value leaves the
    ///   range of a Double under it.
    public func rescaled(with scaling: SeriesScaling) throws -> TimeSeriesCSV {
        guard scaling.columns == columnNames else {
            throw RecurrentError.name("\(name): the model forecasts the columns \(scaling.columns.joined(separator: ", ")), "
                + "but the data has \(columnNames.joined(separator: ", "))")
        }
        var copy = self
        let C = columnCount
        for (k, value) in standardizedValues.enumerated() {
            let c = k % C, original = value * standardDeviations[c] + means[c]
            copy.standardizedValues[k] = (original - scaling.means[c]) / scaling.standardDeviations[c]
            guard copy.standardizedValues[k].isFinite else {
                throw RecurrentError.value("\(name), column '\(columnNames[c])', row \(k / C + 1): \(original) is out of range "
                    + "under the model's scaling (mean \(scaling.means[c]), deviation \(scaling.standardDeviations[c]))")
            }
        }
        (copy.means, copy.standardDeviations) = (scaling.means, scaling.standardDeviations)
        return copy
    }

    /// W: the number of training windows.
    public var trainingWindowCount: Int { (trainingRowCount - 1) / sequenceLength }
    /// The number of held-out rows.
    public var heldOutRowCount: Int { rowCount - trainingRowCount }

    /// Reads a CSV file.
    /// - Throws: `RecurrentError`: (`.io`) naming the path when the file cannot be read;
    ///   (`.format`) naming the line and column of a cell that is not a finite number, of an
    ///   empty cell, or of a row with another number of cells than the first, or for a file
    ///   that is not UTF-8; (`.name`) for a column not in the header; (`.value`) for too few
    ///   rows for one window or a parameter out of range.
    /// - Parameters:
    ///   - columns: the columns to read, by header name or 1-based number; all when nil.
    ///   - byNameOnly: `columns` are names only (a model's own: a name that is a number is not
    ///     a column number).
    public init(contentsOf url: URL, sequenceLength: Int, validationFraction: Double = 0.1,
                columns: [String]? = nil, byNameOnly: Bool = false) throws {
        let data = try FileAccess.readMapped(url)
        let text = data.withUnsafeBytes { bytes in
            String(validating: bytes.bindMemory(to: UInt8.self), as: UTF8.self)
        }
        guard let text else { throw RecurrentError.format("\(url.path): not a UTF-8 text file") }
        try self.init(csv: text, name: url.path, sequenceLength: sequenceLength,
                      validationFraction: validationFraction, columns: columns, byNameOnly: byNameOnly)
    }

    /// The numbers of the picked columns of a CSV text, row after row, and the names.
    /// - Throws: `RecurrentError` as the initializer does for the file's content.
    static func table(csv text: String, name: String, columns: [String]?, byNameOnly: Bool = false) throws
        -> (names: [String], picked: [Int], hasHeader: Bool, values: [Double])
    {
        // Line by line, each turned into numbers at once: a file's cells kept as strings took
        // about 8 times its size. The numbers take at most 4 times it (8 bytes per cell of a
        // digit and a comma), checked first.
        try MemoryBudget.require(MemoryBudget.product([text.utf8.count, 4]), for: "reading \(name)")
        var first: (line: Int, cells: [String])?
        var names: [String] = [], picked: [Int] = [], header = false, values: [Double] = []
        // A byte-order mark (spreadsheets write one) is not part of the first column's name.
        var rest = text.hasPrefix("\u{FEFF}") ? text.dropFirst() : text[...], number = 0
        repeat {
            number += 1
            let end = rest.firstIndex(where: \.isNewline) ?? rest.endIndex
            let line = rest[..<end]
            rest = end == rest.endIndex ? rest[end...] : rest[rest.index(after: end)...]
            guard !line.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { continue }
            guard let cells = CSVLine.cells(line) else {
                throw RecurrentError.format("\(name) line \(number): a quoted cell is not closed on its line, or text follows its closing quote")
            }
            guard let (firstLine, firstCells) = first else {
                first = (number, cells)
                header = cells.contains { !$0.isEmpty && Self.number($0) == nil }
                names = header ? cells : (1...cells.count).map { "column \($0)" }
                picked = try Self.pickColumns(columns, names: names, header: header, name: name, byNameOnly: byNameOnly)
                if !header { try Self.append(cells, line: number, picked: picked, names: names, name: name, to: &values) }
                continue
            }
            guard cells.count == firstCells.count else {
                throw RecurrentError.format("\(name) line \(number): \(cells.count) cells, but line \(firstLine) has \(firstCells.count)")
            }
            try Self.append(cells, line: number, picked: picked, names: names, name: name, to: &values)
        } while !rest.isEmpty
        guard first != nil else { throw RecurrentError.value("\(name): no rows (the file is empty)") }
        return (names, picked, header, values)
    }

    /// Appends the picked cells of one line as numbers.
    /// - Throws: `RecurrentError` naming the line and column of a cell that is not a finite number.
    private static func append(_ cells: [String], line: Int, picked: [Int], names: [String], name: String,
                               to values: inout [Double]) throws {
        for column in picked {
            let cell = cells[column]
            guard let value = Self.number(cell), value.isFinite else {
                let what = cell.isEmpty ? "is empty" : "'\(shortQuote(cell))' is not a finite number"
                throw RecurrentError.format("\(name) line \(line), column '\(names[column])' (\(column + 1)): \(what)")
            }
            values.append(value)
        }
    }

    /// The rows of a CSV file's columns `columns` (by name, or all), as numbers: a forecast's
    /// history.
    /// - Throws: `RecurrentError` naming the line and column of a cell that is not a number, a
    ///   column not in the header, an unreadable file.
    public static func rows(contentsOf url: URL, columns: [String]?) throws -> (columns: [String], rows: [[Double]]) {
        let data = try FileAccess.readMapped(url)
        guard let text = data.withUnsafeBytes({ String(validating: $0.bindMemory(to: UInt8.self), as: UTF8.self) }) else {
            throw RecurrentError.format("\(url.path): not a UTF-8 text file")
        }
        // The model's own names: a name that is a number is not a column number here.
        let table = try Self.table(csv: text, name: url.path, columns: columns, byNameOnly: true)
        let width = table.picked.count
        return (table.picked.map { table.names[$0] },
                stride(from: 0, to: table.values.count, by: max(1, width)).map { Array(table.values[$0..<($0 + width)]) })
    }

    /// Rows of numbers under a header of column names as CSV text, each number with 9
    /// significant digits (enough to give back every `Float` exactly); names with a comma or a
    /// quote are quoted (`CSVLine.quoted`).
    /// - Throws: `RecurrentError` for a row of another width, a column name with a line break,
    ///   or names that are all numbers (the header would read as data).
    public static func text(columns: [String], rows: [[Double]]) throws -> String {
        if let problem = SeriesScaling.headerProblem(columns) { throw RecurrentError.value(problem) }
        var text = columns.map(CSVLine.quoted).joined(separator: ",") + "\n"
        for (r, row) in rows.enumerated() {
            guard row.count == columns.count else {
                throw RecurrentError.shape("row \(r) has \(row.count) values for \(columns.count) columns")
            }
            text += row.map { String(format: "%.9g", $0) }.joined(separator: ",") + "\n"
        }
        return text
    }

    /// Writes `text(columns:rows:)` to a file, atomically (a forecast, in the form
    /// `rows(contentsOf:columns:)` reads back).
    /// - Throws: `RecurrentError` as `text` does, or naming a file that cannot be written.
    public static func write(columns: [String], rows: [[Double]], to url: URL) throws {
        try FileAccess.writeAtomically(Data(try text(columns: columns, rows: rows).utf8), to: url)
    }

    /// Reads CSV text; `name` (a file name) starts every message. See `init(contentsOf:...)`.
    public init(csv text: String, name: String = "csv", sequenceLength: Int, validationFraction: Double = 0.1,
                columns: [String]? = nil, byNameOnly: Bool = false) throws {
        guard sequenceLength >= 1 else {
            throw RecurrentError.value("\(name): sequence length \(sequenceLength) must be at least 1")
        }
        guard validationFraction >= 0, validationFraction < 1 else {
            throw RecurrentError.value("\(name): validation fraction \(validationFraction) must be in [0, 1)")
        }
        let table = try Self.table(csv: text, name: name, columns: columns, byNameOnly: byNameOnly)
        let (names, picked, hasHeader) = (table.names, table.picked, table.hasHeader)
        var values = table.values
        let count = values.count / max(1, picked.count), training = count - heldOutItemCount(fraction: validationFraction, of: count)
        guard training > sequenceLength else {  // not `>= sequenceLength + 1`: the length may be Int.max
            let (rows, overflow) = sequenceLength.addingReportingOverflow(1)
            throw RecurrentError.value(
                "\(name): \(training) training rows (of \(count), validation fraction \(validationFraction)) are too few "
                    + "for one window: sequence length \(sequenceLength) needs \(overflow ? "one row more" : "\(rows) rows"); "
                    + "use a shorter sequence length or more data")
        }
        var means = [Double](repeating: 0, count: picked.count)
        var deviations = [Double](repeating: 1, count: picked.count)
        for c in 0..<picked.count {
            let column = (0..<training).map { values[$0 * picked.count + c] }
            let mean = column.reduce(0, +) / Double(training)
            let variance = column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(training)
            guard mean.isFinite, variance.isFinite else {
                throw RecurrentError.value("\(name), column '\(names[picked[c]])': the values are too large to standardise "
                    + "(their mean or variance overflows a Double); rescale the column")
            }
            means[c] = mean
            let deviation = variance.squareRoot()
            if deviation > 0, deviation.isFinite { deviations[c] = deviation }
        }
        for r in 0..<count {
            for c in 0..<picked.count {
                values[r * picked.count + c] = (values[r * picked.count + c] - means[c]) / deviations[c]
            }
        }
        self.columnNames = picked.map { names[$0] }
        self.means = means
        self.standardDeviations = deviations
        self.sequenceLength = sequenceLength
        self.validationFraction = validationFraction
        self.hasHeader = hasHeader
        self.rowCount = count
        self.trainingRowCount = training
        self.name = name
        self.standardizedValues = values
    }

    /// The number a cell holds (decimal, as `DecimalText` reads it), or nil.
    private static func number(_ cell: String) -> Double? {
        DecimalText.decimal(cell)
    }

    /// The indices of the requested columns (all when `requested` is nil). Columns are known
    /// by name afterwards (a forecaster reads its columns back by name), so a name must pick
    /// one column, and the picked columns must have distinct names.
    private static func pickColumns(_ requested: [String]?, names: [String], header: Bool, name: String,
                                    byNameOnly: Bool) throws -> [Int] {
        let picked = try requested.map {
            try pickRequested($0, names: names, header: header, name: name, byNameOnly: byNameOnly)
        } ?? Array(names.indices)
        if header, let index = picked.first(where: { names[$0].trimmingCharacters(in: .whitespaces).isEmpty }) {
            throw RecurrentError.name("\(name): column \(index + 1) has no name in the header (a forecaster reads its columns "
                + "back by name): name it, or leave it out")
        }
        // Sets, not a search of the columns before each: a file may have 100,000 columns.
        var seen = Set<Int>(), pickedByName: [String: Int] = [:]
        for index in picked {
            guard seen.insert(index).inserted else { throw RecurrentError.value("\(name): column '\(names[index])' is picked twice") }
            if let other = pickedByName.updateValue(index, forKey: names[index]) {
                throw RecurrentError.name("\(name): columns \(other + 1) and \(index + 1) are both named '\(names[index])'; "
                    + "rename one, or pick one")
            }
        }
        return picked
    }

    /// The indices of `requested`, each a header name (naming one column) or a 1-based number.
    private static func pickRequested(_ requested: [String], names: [String], header: Bool, name: String,
                                      byNameOnly: Bool) throws -> [Int] {
        guard !requested.isEmpty else { throw RecurrentError.value("\(name): the list of columns is empty") }
        // Each name's first two columns, found once.
        var columnsNamed: [String: [Int]] = [:]
        if header {
            for (index, columnName) in names.enumerated() where columnsNamed[columnName, default: []].count < 2 {
                columnsNamed[columnName, default: []].append(index)
            }
        }
        return try requested.map { wanted in
            guard !wanted.isEmpty else { throw RecurrentError.value("\(name): an empty column name in the list of columns") }
            let number = byNameOnly ? nil : Int(wanted).flatMap { (1...names.count).contains($0) ? $0 - 1 : nil }
            if let named = columnsNamed[wanted], let index = named.first {
                if named.count > 1 {
                    throw RecurrentError.name("\(name): the header names columns \(index + 1) and \(named[1] + 1) '\(wanted)'; "
                        + (byNameOnly ? "rename one (its columns are read by name)" : "pick one by number"))
                }
                // '1' naming column 2 while column 1 is another: either reading would be a guess.
                if let number, number != index {
                    throw RecurrentError.name("\(name): '\(wanted)' is the name of column \(index + 1) and the number of column "
                        + "\(number + 1) ('\(names[number])'); rename the column")
                }
                return index
            }
            if let number { return number }
            // A model trained on a file without a header knows its columns as "column N".
            if !header, wanted.hasPrefix("column "), let number = Int(wanted.dropFirst(7)), (1...names.count).contains(number) {
                return number - 1
            }
            let available = header
                ? "the header has " + shortList(names.map { "'\(shortQuote($0))'" }, limit: 8)
                : "the file has no header; use column numbers 1...\(names.count)"
            throw RecurrentError.name("\(name): no column '\(shortQuote(wanted))'; \(available)")
        }
    }

    /// A standardised value of a column mapped back to the file's scale: value · sd + mean.
    /// - Throws: `RecurrentError` (`.value`) for a column outside `0..<columnCount`.
    public func originalValue(_ standardized: Double, column: Int) throws -> Double {
        guard columnNames.indices.contains(column) else {
            throw RecurrentError.value("\(name): column \(column) is outside 0..<\(columnCount)")
        }
        return standardized * standardDeviations[column] + means[column]
    }

    /// One line saying what the data is, for the log.
    public var summary: String {
        "time series \(name): \(rowCount) rows of \(columnCount) column\(columnCount == 1 ? "" : "s") "
            + "(\(shortList(columnNames, limit: 8))); \(trainingRowCount) train in \(trainingWindowCount) windows "
            + "of \(sequenceLength), \(heldOutRowCount) held out; predict the next row"
    }
    /// What the model reads.
    public var input: InputSpec { .vectors(size: columnCount) }
    /// The window length.
    public var maximumSteps: Int { sequenceLength }
    /// What the model predicts.
    public var output: OutputSpec { .values(size: columnCount) }
    /// Whether consecutive training batches continue the same sequences.
    public var carriesState: Bool { false }
    /// The target at each step is the next row, the next step's input.
    public var targetIsNextInput: Bool { true }

    private var windows: EpochOrder { EpochOrder(count: trainingWindowCount, shuffle: true) }

    /// The number of batches in one pass over the training data (nil: an endless generator).
    public func batchesPerEpoch(batchSize: Int) -> Int? { windows.batchesPerEpoch(batchSize: batchSize) }

    /// No more than the training or held-out windows.
    public func largestBatch(batchSize: Int) -> Int {
        let heldOutWindows = heldOutRowCount / sequenceLength + (heldOutRowCount % sequenceLength == 0 ? 0 : 1)
        return min(batchSize, max(trainingWindowCount, heldOutWindows))
    }

    /// The training batch for `step`, a pure function of (step, batchSize, seed).
    public func trainingBatch<Scalar: RecurrentScalar>(step: Int, batchSize: Int, seed: UInt64) throws -> TrainingBatch<Scalar> {
        try checkTrainingRequest(step: step, batchSize: batchSize)
        let starts = windows.items(step: step, batchSize: batchSize, seed: seed).map { $0 * sequenceLength }
        return batch(starts: starts, lengths: Array(repeating: sequenceLength, count: starts.count))
    }

    /// The held-out batches (see the type's description).
    public func heldOutBatches<Scalar: RecurrentScalar>(batchSize: Int, seed: UInt64) throws -> [TrainingBatch<Scalar>] {
        try Self.requirePositive(batchSize: batchSize)
        let context = trainingRowCount - 1, predictions = heldOutRowCount
        let windows = stride(from: 0, to: predictions, by: sequenceLength).map {
            (start: context + $0, length: min(sequenceLength, predictions - $0))
        }
        return batchRanges(count: windows.count, batchSize: batchSize).map { range in
            batch(starts: range.map { windows[$0].start }, lengths: range.map { windows[$0].length })
        }
    }

    /// Windows starting at the given rows with the given numbers of steps, sequence-first.
    private func batch<Scalar: RecurrentScalar>(starts: [Int], lengths: [Int]) -> TrainingBatch<Scalar> {
        let batch = starts.count, width = columnCount
        let steps = lengths.max() ?? 0
        var inputs = [Double](repeating: 0, count: steps * batch * width)
        var targets = [Double](repeating: 0, count: steps * batch * width)
        for b in 0..<batch {
            for t in 0..<lengths[b] {
                let row = starts[b] + t, to = (t * batch + b) * width
                for c in 0..<width {
                    inputs[to + c] = standardizedValues[row * width + c]
                    targets[to + c] = standardizedValues[(row + 1) * width + c]
                }
            }
        }
        return TrainingBatch(steps: steps, batch: batch, inputs: .vectors(convertScalars(inputs)),
                             targets: .values(convertScalars(targets), positions: .everyStep),
                             lengths: lengths.allSatisfy { $0 == steps } ? nil : lengths)
    }
}
