/// The dictionary at the start of a `.npy` file, e.g.
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`, parsed from the small subset
/// of Python literal syntax NumPy writes (strings, True/False/None, integers, tuples, lists,
/// dicts), in any key order and spacing.
struct NPYHeader: Equatable {
    /// The dtype descriptor, e.g. `<f4`; nil when it is not a string (a structured dtype).
    var descr: String?
    /// Whether the data is stored column-major.
    var fortranOrder: Bool
    /// The array's shape; empty for a 0-d array.
    var shape: [Int]

    /// Parses the header text; a thrown message says what is wrong, without the file name.
    static func parse(_ text: String) throws(NPYHeaderError) -> NPYHeader {
        var parser = PythonLiteralParser(text)
        let value = try parser.parseDocument()
        guard case .dict(let entries) = value else {
            throw NPYHeaderError("header is not a dictionary")
        }
        var dict: [String: PythonLiteral] = [:]
        for (key, value) in entries { dict[key] = value }  // Later duplicates win, as in Python.
        for key in dict.keys.sorted() where !["descr", "fortran_order", "shape"].contains(key) {
            throw NPYHeaderError("header has an unexpected key '\(key)'")
        }
        guard let descr = dict["descr"] else { throw NPYHeaderError("header has no 'descr' key") }
        guard let order = dict["fortran_order"] else { throw NPYHeaderError("header has no 'fortran_order' key") }
        guard let shape = dict["shape"] else { throw NPYHeaderError("header has no 'shape' key") }
        guard case .bool(let fortranOrder) = order else {
            throw NPYHeaderError("header 'fortran_order' is not True or False")
        }
        guard case .sequence(isTuple: true, let dimensions) = shape else {
            throw NPYHeaderError("header 'shape' is not a tuple")
        }
        var sizes: [Int] = []
        for dimension in dimensions {
            guard case .integer(let size) = dimension, size >= 0 else {
                throw NPYHeaderError("header 'shape' holds something other than non-negative integers")
            }
            sizes.append(size)
        }
        if case .string(let text) = descr {
            return NPYHeader(descr: text, fortranOrder: fortranOrder, shape: sizes)
        }
        return NPYHeader(descr: nil, fortranOrder: fortranOrder, shape: sizes)
    }

    /// The header text NumPy writes for this header, before alignment padding: keys sorted,
    /// then spare spaces so the first dimension can grow in place (as `numpy.save` does).
    var text: String {
        let dims = shape.map(String.init)
        let tuple = "(" + dims.joined(separator: ", ") + (dims.count == 1 ? ",)" : ")")
        let body = "{'descr': '\(descr ?? "")', 'fortran_order': \(fortranOrder ? "True" : "False"), "
            + "'shape': \(tuple), }"
        let growthDigits = 21  // numpy.lib.format.GROWTH_AXIS_MAX_DIGITS
        let spare = dims.first.map { max(0, growthDigits - $0.count) } ?? 0
        return body + String(repeating: " ", count: spare)
    }
}

/// Why a `.npy` header did not parse.
struct NPYHeaderError: Error, Equatable {
    /// What is wrong, e.g. "header 'shape' is not a tuple".
    var message: String
    init(_ message: String) { self.message = message }
}

/// A Python literal value.
enum PythonLiteral {
    case string(String)
    case integer(Int)
    case bool(Bool)
    case none
    case sequence(isTuple: Bool, [PythonLiteral])
    case dict([(String, PythonLiteral)])
}

/// Parses the Python literal subset used in `.npy` headers, with a nesting limit.
struct PythonLiteralParser {
    private let characters: [Character]
    private var position = 0
    private var depth = 0
    private static let maxDepth = 32

    init(_ text: String) {
        characters = Array(text)
    }

    /// One literal, surrounded only by whitespace.
    mutating func parseDocument() throws(NPYHeaderError) -> PythonLiteral {
        let value = try parseValue()
        skipWhitespace()
        guard position == characters.count else {
            throw error("unexpected '\(characters[position])' after the dictionary")
        }
        return value
    }

    private func error(_ reason: String) -> NPYHeaderError {
        NPYHeaderError("header does not parse: \(reason) at character \(position)")
    }

    private var current: Character? { position < characters.count ? characters[position] : nil }

    private mutating func skipWhitespace() {
        while let c = current, c.isWhitespace { position += 1 }
    }

    private mutating func parseValue() throws(NPYHeaderError) -> PythonLiteral {
        skipWhitespace()
        guard let c = current else { throw error("unexpected end of header") }
        switch c {
        case "'", "\"": return .string(try parseString())
        case "{", "(", "[":
            guard depth < Self.maxDepth else { throw error("nesting too deep") }
            depth += 1
            defer { depth -= 1 }
            return c == "{" ? try parseDict() : try parseSequence()
        case "-", "0"..."9": return .integer(try parseInteger())
        default:
            var word = ""
            while let c = current, c.isLetter || c == "_" {
                word.append(c)
                position += 1
            }
            switch word {
            case "True": return .bool(true)
            case "False": return .bool(false)
            case "None": return .none
            default:
                position -= word.count
                throw error(word.isEmpty ? "unexpected '\(c)'" : "unknown name '\(word)'")
            }
        }
    }

    private mutating func parseString() throws(NPYHeaderError) -> String {
        let quote = characters[position]
        position += 1
        var out = ""
        while let c = current {
            position += 1
            if c == quote { return out }
            if c == "\\" {
                guard let escaped = current else { break }
                position += 1
                out.append(escaped == "n" ? "\n" : escaped == "t" ? "\t" : escaped)
            } else if c == "\n" {
                break
            } else {
                out.append(c)
            }
        }
        throw error("unterminated string")
    }

    private mutating func parseInteger() throws(NPYHeaderError) -> Int {
        var digits = ""
        if current == "-" {
            digits = "-"
            position += 1
        }
        while let c = current, c.isASCII, c.isNumber {
            digits.append(c)
            position += 1
        }
        if current == "L" || current == "l" { position += 1 }  // Python 2 long literal
        guard let value = Int(digits) else {
            throw error(digits.count > 1 ? "integer \(digits) out of range" : "expected digits")
        }
        return value
    }

    private mutating func parseSequence() throws(NPYHeaderError) -> PythonLiteral {
        let isTuple = characters[position] == "("
        let close: Character = isTuple ? ")" : "]"
        position += 1
        var elements: [PythonLiteral] = []
        var sawComma = false
        while true {
            skipWhitespace()
            if current == close {
                position += 1
                // `(3)` is just 3 in Python; `(3,)` and `()` are tuples.
                if isTuple, elements.count == 1, !sawComma { return elements[0] }
                return .sequence(isTuple: isTuple, elements)
            }
            elements.append(try parseValue())
            skipWhitespace()
            if current == "," {
                position += 1
                sawComma = true
            } else if current != close {
                throw error("expected ',' or '\(close)'")
            }
        }
    }

    private mutating func parseDict() throws(NPYHeaderError) -> PythonLiteral {
        position += 1
        var entries: [(String, PythonLiteral)] = []
        while true {
            skipWhitespace()
            if current == "}" {
                position += 1
                return .dict(entries)
            }
            guard current == "'" || current == "\"" else { throw error("expected a string key") }
            let key = try parseString()
            skipWhitespace()
            guard current == ":" else { throw error("expected ':' after key '\(key)'") }
            position += 1
            entries.append((key, try parseValue()))
            skipWhitespace()
            if current == "," {
                position += 1
            } else if current != "}" {
                throw error("expected ',' or '}'")
            }
        }
    }
}
