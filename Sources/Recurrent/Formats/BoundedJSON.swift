import Foundation

/// Foundation's `JSONDecoder` on JSON text from a file (a loss-curve line, a model file's
/// metadata), after a check that it nests at most `StrictJSONParser.maxDepth` deep. The
/// decoder recurses once per level: a line of 100,000 brackets ended the process (SIGSEGV)
/// under a small stack (`ulimit -s 128`) before the decoder could fail.
public enum BoundedJSON {
    /// The value of `type` the text holds.
    /// - Throws: what `JSONDecoder` throws, and the same `DecodingError` for nesting deeper than
    ///   the limit (each caller already says which file's JSON is malformed).
    public static func decode<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
        guard depth(of: text) <= StrictJSONParser.maxDepth else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "nested deeper than \(StrictJSONParser.maxDepth) levels"))
        }
        return try JSONDecoder().decode(type, from: Data(text.utf8))
    }

    /// The deepest nesting of arrays and objects in `text`, brackets inside strings not counted
    /// (a scan, not a parse: malformed text is left to the decoder).
    static func depth(of text: String) -> Int {
        var depth = 0, deepest = 0, inString = false, escaped = false
        for byte in text.utf8 {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                deepest = max(deepest, depth)
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return deepest
    }
}
