import Foundation

/// Foundation's `JSONDecoder` on JSON text from a file (a loss-curve line, a model file's
/// metadata), after the text is parsed strictly (`StrictJSONParser`): it nests at most
/// `StrictJSONParser.maxDepth` deep, and no object repeats a key. The decoder recurses once
/// per level (a line of 100,000 brackets ended the process, SIGSEGV, under `ulimit -s 128`),
/// and of a repeated key it keeps one value without a word, where Python and jq keep another.
public enum BoundedJSON {
    /// The value of `type` the text holds.
    /// - Throws: `RecurrentError` (`.format`) "key 'loss' appears twice" for a repeated key, at
    ///   any depth; what `JSONDecoder` throws otherwise, and a `DecodingError` for text that is
    ///   not strict JSON or nests deeper than the limit (each caller says which file's JSON is
    ///   malformed).
    public static func decode<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
        // A byte-order mark before the text is not part of it (the decoder skipped one too).
        let data = Data((text.unicodeScalars.first == "\u{FEFF}" ? Substring(text.unicodeScalars.dropFirst()) : text[...]).utf8)
        let value: JSONValue
        do {
            value = try data.withUnsafeBytes { bytes throws(StrictJSONParser.Failure) in try StrictJSONParser.parse(bytes) }
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "not strict JSON: \(error)"))
        }
        if let key = firstRepeatedKey(in: value) { throw RecurrentError.format("key '\(key)' appears twice") }
        return try JSONDecoder().decode(type, from: data)
    }

    /// The first key an object repeats, searching depth first (at most `maxDepth` levels).
    static func firstRepeatedKey(in value: JSONValue) -> String? {
        switch value {
        case .object(let members):
            var keys = Set<String>()
            for (key, _) in members where !keys.insert(key).inserted { return key }
            for (_, member) in members { if let key = firstRepeatedKey(in: member) { return key } }
            return nil
        case .array(let elements):
            for element in elements { if let key = firstRepeatedKey(in: element) { return key } }
            return nil
        case .string, .number, .bool, .null:
            return nil
        }
    }
}
