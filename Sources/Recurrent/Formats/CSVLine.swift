import Foundation

/// One line of a CSV file, as RFC 4180 writes it: cells separated by commas; a cell in double
/// quotes may hold commas and quotes, a quote doubled (`"a,b"` is a,b; `"say ""hi"""` is
/// say "hi"). Spaces around a cell are not part of it. A quoted cell cannot span lines (a
/// series file has one row per line).
public enum CSVLine {
    /// The cells of `line`, quotes removed, or nil when a quote opened is not closed on the
    /// line or text follows a closing quote (`"a"b`).
    public static func cells(_ line: Substring) -> [String]? {
        let bytes = Array(line.utf8), quote = UInt8(ascii: "\""), comma = UInt8(ascii: ",")
        var cells: [String] = [], cell: [UInt8] = [], quoted = false, i = 0
        // Set once a quote found the unquoted cell not blank: it stays so (the quote ends any
        // unfinished UTF-8 sequence), and checking again at each quote would take time square
        // in the cell's length (a 40 KB cell of quotes ran for minutes).
        var notBlank = false
        // Space as the trim of an unquoted cell has it (a no-break space too), on both sides of quotes.
        func isSpace<C: Collection<UInt8>>(_ bytes: C) -> Bool {
            String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        }
        func finish() {
            let text = String(decoding: cell, as: UTF8.self)
            cells.append(quoted ? text : text.trimmingCharacters(in: .whitespacesAndNewlines))
            (cell, quoted, notBlank) = ([], false, false)
        }
        while i < bytes.count {
            let b = bytes[i]
            if b == comma {
                finish()
            } else if b == quote, !quoted, !notBlank, isSpace(cell) {
                // A quoted cell: up to the quote that is not doubled, then only spaces.
                (cell, quoted) = ([], true)
                i += 1
                while true {
                    guard i < bytes.count else { return nil }
                    if bytes[i] == quote {
                        guard i + 1 < bytes.count, bytes[i + 1] == quote else { break }
                        i += 1
                    }
                    cell.append(bytes[i])
                    i += 1
                }
                i += 1
                let end = bytes[i...].firstIndex(of: comma) ?? bytes.count
                guard isSpace(bytes[i..<end]) else { return nil }
                i = end
                continue
            } else {
                if b == quote, !quoted { notBlank = true }
                cell.append(b)
            }
            i += 1
        }
        finish()
        return cells
    }

    /// `cell` as a CSV cell that `cells(_:)` reads back: in quotes, quotes doubled, when it holds
    /// a comma or a quote, has spaces at its ends or starts with U+FEFF (a file's first cell would
    /// lose it as a byte-order mark); as it is otherwise. Bytes, not characters: a quote followed
    /// by a combining mark is one `Character`, which a search for `"` misses.
    public static func quoted(_ cell: String) -> String {
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ",")
        let needsQuotes = cell.utf8.contains { $0 == quote || $0 == comma } || cell.unicodeScalars.first == "\u{FEFF}"
            || cell.trimmingCharacters(in: .whitespacesAndNewlines) != cell
        guard needsQuotes else { return cell }
        var bytes: [UInt8] = [quote]
        for byte in cell.utf8 { bytes += byte == quote ? [quote, quote] : [byte] }
        return String(decoding: bytes + [quote], as: UTF8.self)
    }
}
