import Foundation
import Testing
@testable import Recurrent

/// A series' columns are known by name once picked (a forecaster saves their names and reads
/// them back by name), so a name must pick one column and no column may come twice; and a
/// forecaster trained further keeps its own columns and scaling.
@Suite("Series columns")
struct SeriesColumnTests {
    /// 9 rows of `a, a, b`: the two `a` columns differ, so reading the wrong one shows.
    static let twinHeader = "a,a,b\n" + (1...9).map { "\($0),\($0 * 100),\($0 % 4)" }.joined(separator: "\n") + "\n"

    @Test("A duplicated name, a column picked twice, an empty name: refused, naming the column", arguments: [
        (nil, "s.csv: columns 1 and 2 are both named 'a'; rename one, or pick one"),
        (["a"], "s.csv: the header names columns 1 and 2 'a'; pick one by number"),
        (["b", "b"], "s.csv: column 'b' is picked twice"),
        (["3", "b"], "s.csv: column 'b' is picked twice"),
        (["1", "2"], "s.csv: columns 1 and 2 are both named 'a'; rename one, or pick one"),
        (["b", ""], "s.csv: an empty column name in the list of columns"),
    ] as [([String]?, String)])
    func ambiguousColumnsRefused(_ columns: [String]?, _ message: String) {
        let error = recurrentError {
            try TimeSeriesCSV(csv: Self.twinHeader, name: "s.csv", sequenceLength: 2, validationFraction: 0, columns: columns)
        }
        #expect(error?.message == message)
    }

    @Test("A column asked for by a number that is also another column's name is refused; a forecast's history is read by name only")
    func numberOrNameAmbiguity() throws {
        let error = recurrentError { try TimeSeriesCSV.table(csv: "a,1,b\n1,2,3\n", name: "s.csv", columns: ["1", "3"]) }
        #expect(error?.message == "s.csv: '1' is the name of column 2 and the number of column 1 ('a'); rename the column")
        #expect(try TimeSeriesCSV.table(csv: "1,x\n5,6\n", name: "s.csv", columns: ["1"]).values == [5])   // the same column
        // The model's column '2' is not the history's second column (it read 'b' and forecast from it).
        let history = recurrentError { try TimeSeriesCSV.table(csv: "a,b,x\n1,2,3\n", name: "h.csv", columns: ["2", "x"], byNameOnly: true) }
        #expect(history?.message == "h.csv: no column '2'; the header has 'a', 'b', 'x'")
        // A forecast cannot pick by number, so it is not told to.
        let twin = recurrentError { try TimeSeriesCSV.table(csv: Self.twinHeader, name: "h.csv", columns: ["a", "b"], byNameOnly: true) }
        #expect(twin?.message == "h.csv: the header names columns 1 and 2 'a'; rename one (its columns are read by name)")
    }

    @Test("A file of 100,000 columns is picked whole, and by name, in one pass (each column searched the ones before it: minutes)")
    func wideFilePicked() throws {
        let width = 100_000
        let header = (0..<width).map { "c\($0)" }.joined(separator: ",")
        let rows = (1...3).map { r in (0..<width).map { String(r * ($0 % 7)) }.joined(separator: ",") }
        let csv = ([header] + rows).joined(separator: "\n")
        let all = try TimeSeriesCSV(csv: csv, sequenceLength: 1, validationFraction: 0)
        #expect(all.columnCount == width && all.means[6] == 12 && all.columnNames.last == "c99999")
        let named = try TimeSeriesCSV(csv: csv, sequenceLength: 1, validationFraction: 0, columns: (0..<width).reversed().map { "c\($0)" })
        #expect(named.columnNames.first == "c99999" && named.means[width - 7] == 12)
    }

    @Test("Lines are counted as a text editor counts them, blank and CRLF lines too, and the first problem in the file is the one named")
    func lineNumbersInMessages() {
        let csv = "a,b\r\n1,2\r\n\r\n3,x\r\n4\n"
        #expect(recurrentError { try TimeSeriesCSV.table(csv: csv, name: "s.csv", columns: nil) }?.message
            == "s.csv line 4, column 'b' (2): 'x' is not a finite number")
        #expect(recurrentError { try TimeSeriesCSV.table(csv: "\n\n1,2\n3\n", name: "s.csv", columns: nil) }?.message
            == "s.csv line 4: 1 cells, but line 3 has 2")
        #expect(recurrentError { try TimeSeriesCSV.table(csv: "\u{FEFF}\n \n", name: "s.csv", columns: nil) }?.message
            == "s.csv: no rows (the file is empty)")
    }

    @Test("One of two same-named columns can be picked by number, and is the one read")
    func twinPickedByNumber() throws {
        let series = try TimeSeriesCSV(csv: Self.twinHeader, sequenceLength: 2, validationFraction: 0, columns: ["2", "b"])
        #expect(series.columnNames == ["a", "b"])
        #expect(series.means == [500, Double((1...9).map { $0 % 4 }.reduce(0, +)) / 9])
    }

    @Test("A byte-order mark before the header is not part of the first column's name")
    func byteOrderMarkDropped() throws {
        let series = try TimeSeriesCSV(csv: "\u{FEFF}a,b\n1,2\n2,4\n3,5\n", sequenceLength: 1, validationFraction: 0, columns: ["a"])
        #expect(series.columnNames == ["a"] && series.means == [2])
    }

    @Test("A scaling with a repeated column name is refused (a forecast could not tell them apart)")
    func scalingNamesDistinct() {
        let error = recurrentError { try SeriesScaling(columns: ["a", "b", "a"], means: [0, 0, 0], standardDeviations: [1, 1, 1]) }
        #expect(error?.message == "series scaling: two columns are named 'a'")
    }

    @Test("Column names a forecast's CSV could not read back by name are refused before training: all numbers, an empty name, a line break")
    func namesAForecastCanWrite() throws {
        let csv = "t,2,3\n" + (0..<8).map { "\($0),\($0 * 2),\($0 % 3)" }.joined(separator: "\n")
        let series = try TimeSeriesCSV(csv: csv, sequenceLength: 2, validationFraction: 0, columns: ["3", "2"])
        #expect(series.columnNames == ["3", "2"])
        #expect(recurrentError { try series.scaling() }?.message
            == "series scaling: the column names 3, 2 are all numbers: a CSV header of them reads as data")
        #expect(try TimeSeriesCSV(csv: csv, sequenceLength: 2, validationFraction: 0, columns: ["t", "2"]).scaling().columns == ["t", "2"])
        // A header cell left empty is refused where the CSV is read, naming the file's column; it may be left out.
        let empty = "a,,b\n1,2,3\n2,3,4\n"
        #expect(recurrentError { try TimeSeriesCSV(csv: empty, name: "s.csv", sequenceLength: 1, validationFraction: 0) }?.message
            == "s.csv: column 2 has no name in the header (a forecaster reads its columns back by name): name it, or leave it out")
        #expect(try TimeSeriesCSV(csv: empty, sequenceLength: 1, validationFraction: 0, columns: ["a", "b"]).scaling().columns == ["a", "b"])
        #expect(recurrentError { try SeriesScaling(columns: ["a\nb"], means: [0], standardDeviations: [1]) }?.message
            == "series scaling: column name 'a\\nb' cannot be written in a CSV header (a line break)")
    }

    @Test("Rows rescaled with a forecaster's scaling: back to the file's units, then through the forecaster's mean and deviation")
    func rescaledWithForecasterScaling() throws {
        let csv = "x,y\n" + (0..<12).map { "\(Double($0) * 1.5),\(Double(($0 * 7) % 5) - 2)" }.joined(separator: "\n")
        let series = try TimeSeriesCSV(csv: csv, sequenceLength: 3, validationFraction: 0.25)
        let scaling = try SeriesScaling(columns: ["x", "y"], means: [4, -1], standardDeviations: [2, 0.5])
        let rescaled = try series.rescaled(with: scaling)
        #expect(rescaled.means == [4, -1] && rescaled.standardDeviations == [2, 0.5])
        for r in 0..<12 {
            let x = Double(r) * 1.5, y = Double((r * 7) % 5) - 2
            #expect(abs(rescaled.standardizedValues[2 * r] - (x - 4) / 2) < 1e-12)
            #expect(abs(rescaled.standardizedValues[2 * r + 1] - (y + 1) / 0.5) < 1e-12)
        }
        let other = try SeriesScaling(columns: ["x", "z"], means: [0, 0], standardDeviations: [1, 1])
        #expect(recurrentError { try series.rescaled(with: other) }?.message
            == "csv: the model forecasts the columns x, z, but the data has x, y")
    }

    @Test("A forecast whose history or result leaves a Double's range under the model's scaling is refused, naming the column")
    func forecastOutOfRange() throws {
        let recurrent = RecurrentConfiguration(cell: .lstm, inputSize: 2, hiddenSize: 3)
        var model = try SequenceModel<Float>(SequenceModelConfiguration(recurrent: recurrent, headSize: 2), seed: 4)
        model.series = try SeriesScaling(columns: ["a", "b"], means: [0, 0], standardDeviations: [1e-300, 1])
        #expect(recurrentError { try model.forecast(history: [[1e10, 0]], horizon: 1) }?.message
            == "history data row 1 of 1, column 'a': 10000000000.0 is too far from the model's scaling (mean 0.0, deviation 1e-300) to standardise")
        // Each column overflows for outputs of one sign: one of them does.
        model.series = try SeriesScaling(columns: ["a", "b"], means: [1.7e308, -1.7e308], standardDeviations: [1.7e308, 1.7e308])
        let message = recurrentError { try model.forecast(history: [[1.7e308, -1.7e308]], horizon: 1) }?.message ?? ""
        #expect(message.hasPrefix("the forecast's step 1, column '") && message.contains("inf"), "\(message)")
    }
}
