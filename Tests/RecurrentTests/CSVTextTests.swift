import Foundation
import Testing
@testable import Recurrent

/// Data cells are read as CSV writers write them (RFC 4180 quoting) and as decimal numbers
/// only: Swift's `Double("0x10")` is 16, which no CSV writer means.
@Suite("CSV text")
struct CSVTextTests {
    @Test("Cells split at commas outside quotes; quotes removed, doubled quotes kept once, spaces outside quotes dropped",
          arguments: [
              ("a,\"b,c\", d", ["a", "b,c", "d"]),
              ("\"say \"\"hi\"\"\",1", ["say \"hi\"", "1"]),
              (" \" x \" ,2", [" x ", "2"]),
              (",", ["", ""]),
              ("\"\"", [""]),
              ("5\"", ["5\""]),
              // Space around quotes is what the trim of a plain cell removes, a no-break space too.
              ("\u{A0}\"a,b\"\u{A0},x", ["a,b", "x"]),
          ] as [(String, [String])])
    func cellsSplit(_ line: String, _ cells: [String]) {
        #expect(CSVLine.cells(line[...]) == cells)
    }

    @Test("Quotes inside a plain cell are kept; a cell of 200,000 of them reads in one pass (each quote re-read the whole cell: a 40 KB cell ran for minutes)")
    func quotesInsidePlainCell() {
        let quotes = String(repeating: "\"", count: 200_000)
        #expect(CSVLine.cells(Substring("x" + quotes + ",\u{A0}\"a\"")) == ["x" + quotes, "a"])
        #expect(CSVLine.cells(Substring("1,\u{A0}x\"\u{A0}\"")) == ["1", "x\"\u{A0}\""])
    }

    @Test("A quote left open on its line, or text after a closing quote, is not a line of cells",
          arguments: ["\"open,1", "a,\"b", "\"a\"b,1", "\"a\"\""])
    func malformedQuotes(_ line: String) {
        #expect(CSVLine.cells(line[...]) == nil)
    }

    @Test("A quoted cell reads back as itself; plain names stay unquoted")
    func quotedRoundTrip() {
        // A quote with a combining mark after it is one Character: found by the csv fuzzer.
        for name in ["price, usd", "say \"hi\"", " padded", "plain", "", "7\"\u{32D}\"\u{11}51"] {
            #expect(CSVLine.cells(Substring(CSVLine.quoted(name) + ",x")) == [name, "x"])
        }
        #expect(CSVLine.quoted("plain") == "plain" && CSVLine.quoted("a,b") == "\"a,b\"")
    }

    @Test("A forecast header whose first name starts with U+FEFF reads back whole (not taken for a byte-order mark)")
    func leadingByteOrderMarkQuoted() throws {
        let columns = ["\u{FEFF}a", "b"]
        let text = try TimeSeriesCSV.text(columns: columns, rows: [[1, 2]])
        #expect(try TimeSeriesCSV.table(csv: text, name: "f.csv", columns: columns).values == [1, 2])
    }

    @Test("Decimal numbers only: hexadecimal, underscores, bare points and spaces are not numbers", arguments: [
        ("1e3", 1000), ("-.5", -0.5), ("5.", 5), ("+1", 1), ("2.5E-1", 0.25), ("007", 7),
        ("0x10", nil), ("0x1p3", nil), ("1_000", nil), (".", nil), ("1e", nil), ("e5", nil), ("", nil), (" 1", nil),
        ("--1", nil), ("1e+-2", nil),
    ] as [(String, Double?)])
    func decimals(_ text: String, _ value: Double?) {
        #expect(DecimalText.decimal(text) == value)
    }

    @Test("nan and inf (any case, signed) are read, so that callers refuse them as not finite by name")
    func nonFiniteWordsRead() {
        #expect(DecimalText.decimal("-Infinity") == -.infinity && DecimalText.decimal("INF") == .infinity)
        #expect(DecimalText.decimal("nan")?.isNaN == true && DecimalText.decimal("nanx") == nil)
    }

    @Test("A hexadecimal cell in a series is refused, naming line and column (it read as 16)")
    func hexCellRefused() {
        let error = recurrentError { try TimeSeriesCSV.table(csv: "x\n1\n0x10\n", name: "s.csv", columns: nil) }
        #expect(error?.message == "s.csv line 3, column 'x' (1): '0x10' is not a finite number")
    }

    @Test("A long bad cell is quoted in part; a wide file's summary and errors list a few columns and a count")
    func longValuesShortened() throws {
        let cell = String(repeating: "z", count: 5000)
        let error = recurrentError { try TimeSeriesCSV.table(csv: "x\n1\n\(cell)\n", name: "s.csv", columns: nil) }
        #expect(error?.message == "s.csv line 3, column 'x' (1): '\(String(repeating: "z", count: 40))…' is not a finite number")
        let header = (1...20).map { "c\($0)" }.joined(separator: ","), row = (1...20).map(String.init).joined(separator: ",")
        let wide = try TimeSeriesCSV(csv: ([header] + Array(repeating: row, count: 4)).joined(separator: "\n"), name: "w.csv",
                                     sequenceLength: 1, validationFraction: 0)
        #expect(wide.summary.contains("(c1, c2, c3, c4, c5, c6, c7, c8 and 12 more)"), "\(wide.summary)")
        let missing = recurrentError { try TimeSeriesCSV.table(csv: header + "\n" + row, name: "w.csv", columns: ["q"]) }
        #expect(missing?.message == "w.csv: no column 'q'; the header has 'c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8' and 12 more")
    }

    @Test("A quoted header cell holding a comma is one column; an unclosed quote is refused by line")
    func quotedHeader() throws {
        let table = try TimeSeriesCSV.table(csv: "\"price, usd\",n\n1.5,2\n2.5,3\n", name: "s.csv", columns: ["price, usd"])
        #expect(table.names == ["price, usd", "n"] && table.values == [1.5, 2.5])
        let error = recurrentError { try TimeSeriesCSV.table(csv: "a,b\n1,\"2\n", name: "s.csv", columns: nil) }
        #expect(error?.message == "s.csv line 2: a quoted cell is not closed on its line, or text follows its closing quote")
    }

    @Test("A forecast's CSV of columns named with commas and quotes reads back by those names")
    func forecastHeaderRoundTrip() throws {
        let columns = ["price, usd", "say \"hi\""]
        let text = try TimeSeriesCSV.text(columns: columns, rows: [[1, 2], [3, 4]])
        #expect(text.hasPrefix("\"price, usd\",\"say \"\"hi\"\"\"\n"))
        let table = try TimeSeriesCSV.table(csv: text, name: "f.csv", columns: columns)
        #expect(table.values == [1, 2, 3, 4])
    }

    @Test("trace --inputs takes decimal numbers only")
    func traceInputsDecimal() throws {
        #expect(try parseInputSequence("1e-1,-2", inputSize: 1) == [[0.1], [-2]])
        #expect(recurrentError { try parseInputSequence("1,0x10", inputSize: 1) }?.message == "inputs: '0x10' is not a number (step 1)")
    }
}
