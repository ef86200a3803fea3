import Foundation
import Testing
@testable import Recurrent

@Suite("Safetensors validation")
struct SafetensorsValidationTests {
    static let two = bytes(of: [Float]([1, 2]))
    static let a8 = entry("a", "F32", [2], 0, 8)

    static let malformed: [MalformedCase] = [
        MalformedCase(label: "shorter than 8 bytes", bytes: [1, 0, 0, 0, 0],
                      kind: .format, message: "file is 5 bytes, too short for the 8-byte header length"),
        MalformedCase(label: "header length past the end", bytes: safetensorsFile("{}", headerLength: 1000),
                      kind: .format, message: "header length 1000 runs past the end of the file (10 bytes): not a safetensors file, or a cut-off one"),
        MalformedCase(label: "huge header length (another kind of file)", bytes: Array("hello, world\n".utf8),
                      kind: .format, message: "header length 8583909746840200552 runs past the end of the file (13 bytes): not a safetensors file, or a cut-off one"),
        MalformedCase(label: "header not UTF-8", bytes: littleEndianBytes(UInt64(4)) + [0x7B, 0xFF, 0xFE, 0x7D],
                      kind: .format, message: "header is not valid UTF-8"),
        MalformedCase(label: "bad JSON", bytes: safetensorsFile("{\"a\":{\"dtype\":\"F32\",}}"),
                      kind: .format, message: "header is not valid JSON: expected a string key, found character '}' at byte 20 of the header"),
        MalformedCase(label: "trailing garbage", bytes: safetensorsFile("{}x"),
                      kind: .format, message: "header is not valid JSON: unexpected character 'x' after the end of the value at byte 2 of the header"),
        MalformedCase(label: "not an object", bytes: safetensorsFile("[1]"),
                      kind: .format, message: "header is not a JSON object (found an array)"),
        MalformedCase(label: "deep nesting", bytes: safetensorsFile(String(repeating: "[", count: 200)),
                      kind: .format, message: "header is not valid JSON: nesting deeper than 128 levels at byte 128 of the header"),
        MalformedCase(label: "entry not an object", bytes: safetensorsFile("{\"a\":[\"F32\",[2],[0,8]]}", two),
                      kind: .format, message: "tensor 'a': entry is not an object (found an array)"),
        MalformedCase(label: "missing dtype", bytes: safetensorsFile("{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", two),
                      kind: .format, message: "tensor 'a': missing 'dtype'"),
        MalformedCase(label: "missing data_offsets", bytes: safetensorsFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", two),
                      kind: .format, message: "tensor 'a': missing 'data_offsets'"),
        MalformedCase(label: "dtype not a string",
                      bytes: safetensorsFile("{\"a\":{\"dtype\":4,\"shape\":[2],\"data_offsets\":[0,8]}}", two),
                      kind: .format, message: "tensor 'a': 'dtype' is not a string (found the number 4)"),
        MalformedCase(label: "shape not an array",
                      bytes: safetensorsFile("{\"a\":{\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]}}", two),
                      kind: .format, message: "tensor 'a': 'shape' is not an array (found the number 2)"),
        MalformedCase(label: "negative shape", bytes: safetensorsFile("{" + entry("a", "F32", [-2], 0, 8) + "}", two),
                      kind: .format, message: "tensor 'a': 'shape' holds the number -2, not a non-negative integer"),
        MalformedCase(label: "fractional shape",
                      bytes: safetensorsFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", two),
                      kind: .format, message: "tensor 'a': 'shape' holds the number 2.0, not a non-negative integer"),
        MalformedCase(label: "three offsets",
                      bytes: safetensorsFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,8]}}", two),
                      kind: .format, message: "tensor 'a': 'data_offsets' is not [begin, end] with two non-negative integers"),
        MalformedCase(label: "begin after end", bytes: safetensorsFile("{" + entry("a", "F32", [0], 8, 0) + "}", two),
                      kind: .format, message: "tensor 'a': data_offsets [8, 0] have begin after end"),
        MalformedCase(label: "wrong byte count", bytes: safetensorsFile("{" + entry("a", "F32", [3], 0, 8) + "}", two),
                      kind: .format, message: "tensor 'a': shape (3) of F32 needs 12 bytes, data_offsets [0, 8] span 8"),
        MalformedCase(label: "overflowing shape",
                      bytes: safetensorsFile("{" + entry("a", "F32", [1 << 40, 1 << 40], 0, 8) + "}", two),
                      kind: .format, message: "tensor 'a': shape (1099511627776, 1099511627776) is too large"),
        MalformedCase(label: "offsets past the data end", bytes: safetensorsFile("{" + entry("a", "F32", [4], 0, 16) + "}", two),
                      kind: .format, message: "tensor 'a': data_offsets [0, 16] run past the end of the data buffer (8 bytes)"),
        MalformedCase(label: "overlapping offsets",
                      bytes: safetensorsFile("{" + entry("a", "F32", [2], 0, 8) + "," + entry("b", "F32", [1], 4, 8) + "}", two),
                      kind: .format, message: "tensors 'a' and 'b' overlap (data_offsets [0, 8] and [4, 8])"),
        MalformedCase(label: "hole between tensors",
                      bytes: safetensorsFile("{" + entry("a", "F32", [1], 0, 4) + "," + entry("b", "F32", [0], 8, 8) + "}", two),
                      kind: .format, message: "bytes 4..<8 of the data buffer belong to no tensor (a hole before tensor 'b')"),
        MalformedCase(label: "bytes after the last tensor", bytes: safetensorsFile("{" + entry("a", "F32", [1], 0, 4) + "}", two),
                      kind: .format, message: "the last 4 bytes of the file belong to no tensor (data buffer is 8 bytes, tensors end at 4)"),
        MalformedCase(label: "unknown dtype", bytes: safetensorsFile("{" + entry("a", "XX", [2], 0, 8) + "}", two),
                      kind: .format, message: "tensor 'a': unknown dtype 'XX'"),
        MalformedCase(label: "I64 dtype", bytes: safetensorsFile("{" + entry("a", "I64", [1], 0, 8) + "}", two),
                      kind: .unsupported, message: "tensor 'a' has dtype I64, which is not supported (F16, BF16, F32, F64 only)"),
        MalformedCase(label: "F8_E4M3 dtype", bytes: safetensorsFile("{" + entry("q", "F8_E4M3", [8], 0, 8) + "}", two),
                      kind: .unsupported, message: "tensor 'q' has dtype F8_E4M3, which is not supported (F16, BF16, F32, F64 only)"),
        MalformedCase(label: "F4 dtype, odd count", bytes: safetensorsFile("{" + entry("a", "F4", [3], 0, 2) + "}", [0, 0]),
                      kind: .format, message: "tensor 'a': shape (3) of F4 does not fill whole bytes"),
        MalformedCase(label: "duplicate tensor name",
                      bytes: safetensorsFile("{" + entry("a", "F32", [1], 0, 4) + "," + entry("a", "F32", [1], 4, 8) + "}", two),
                      kind: .format, message: "tensor 'a' appears twice in the header"),
        MalformedCase(label: "duplicate metadata",
                      bytes: safetensorsFile("{\"__metadata__\":{},\"__metadata__\":{}," + a8 + "}", two),
                      kind: .format, message: "'__metadata__' appears twice in the header"),
        MalformedCase(label: "duplicate field",
                      bytes: safetensorsFile("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", two),
                      kind: .format, message: "tensor 'a': field 'dtype' appears twice"),
        MalformedCase(label: "non-string metadata value",
                      bytes: safetensorsFile("{\"__metadata__\":{\"epoch\":3}," + a8 + "}", two),
                      kind: .format, message: "__metadata__ value for 'epoch' is not a string (found the number 3)"),
        MalformedCase(label: "metadata not an object", bytes: safetensorsFile("{\"__metadata__\":\"x\"," + a8 + "}", two),
                      kind: .format, message: "__metadata__ is not an object of strings (found a string)"),
    ]

    @Test("each malformed file gives its own one-line error naming the file", arguments: malformed)
    func malformedFiles(testCase: MalformedCase) throws {
        let error = try #require(recurrentError {
            try SafetensorsFile<Float>.decode(Data(testCase.bytes), name: "m.safetensors")
        })
        #expect(error.kind == testCase.kind)
        #expect(error.message == "m.safetensors: " + testCase.message)
    }

    @Test("A header length over the 100 MB cap is refused even when the file holds that much")
    func headerLengthOverTheCap() throws {
        var bytes = safetensorsFile("{}", headerLength: 100_000_001)
        bytes += [UInt8](repeating: 0x20, count: 100_000_001 - 2)
        let error = try #require(recurrentError { try SafetensorsFile<Float>.decode(Data(bytes), name: "m.safetensors") })
        #expect(error.message == "m.safetensors: header length 100000001 is over the 100000000-byte limit")
    }

    @Test("the malformed cases all give different messages")
    func distinctMessages() {
        let messages = Self.malformed.compactMap { testCase in
            recurrentError { try SafetensorsFile<Float>.decode(Data(testCase.bytes), name: "m") }?.message
        }
        #expect(messages.count == Self.malformed.count)
        #expect(Set(messages).count == messages.count)
    }

    @Test("a data buffer that is a slice of larger Data reads from the right place")
    func slicedData() throws {
        let file = safetensorsFile("{" + Self.a8 + "}", Self.two)
        let padded = Data([9, 9, 9] + file + [9])
        let slice = padded[3..<(3 + file.count)]
        #expect(try SafetensorsFile<Float>.decode(slice, name: "s")["a"]?.scalars == [1, 2])
    }
}

@Suite("Strict JSON")
struct StrictJSONTests {
    private func parse(_ text: String) throws -> JSONValue {
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBytes { buffer in try StrictJSONParser.parse(buffer) }
    }

    @Test("escapes, surrogate pairs and raw UTF-8 decode to the right strings")
    func strings() throws {
        guard case .string(let text) = try parse(#""a\"b\\c\/\n\t\u00e9\ud83d\ude00 ü""#) else {
            Issue.record("not a string")
            return
        }
        #expect(text == "a\"b\\c/\n\té😀 ü")
    }

    @Test("object members keep their order and duplicates; numbers keep their text")
    func members() throws {
        guard case .object(let members) = try parse(#"{"b": 1, "a": -2.5e3, "b": [true, false, null]}"#) else {
            Issue.record("not an object")
            return
        }
        #expect(members.map(\.key) == ["b", "a", "b"])
        guard case .number(let text) = members[1].value else { Issue.record("not a number"); return }
        #expect(text == "-2.5e3")
        #expect(JSONValue.number("18446744073709551616").nonNegativeInteger == nil)
        #expect(JSONValue.number("9007199254740993").nonNegativeInteger == 9_007_199_254_740_993)
    }

    /// Each case: the text, the whole reason, and the offset of the byte at fault (the text's
    /// length when it ends too early).
    static let invalidTexts: [(String, String, Int)] = [
        ("{\"a\":01}", "number with a leading zero", 6),
        ("[1,]", "expected a value, found character ']'", 3),
        ("\"\\ud800\"", "lone surrogate in a \\u escape", 7),
        ("\"a\u{01}\"", "unescaped control character in a string", 2),
        ("\"\\x\"", "invalid escape sequence in a string", 2),
        ("{\"a\" 1}", "expected ':' after an object key, found character '1'", 5),
        ("[1 2]", "expected ',' or ']' in an array, found character '2'", 3),
        ("nul", "expected a value, found character 'n'", 0),
        ("\"abc", "unterminated string", 4),
        ("1.", "expected a digit after '.' in a number, found end of input", 2),
        ("", "expected a value, found end of input", 0),
    ]

    @Test("invalid JSON is refused with a reason and the offset of the byte at fault", arguments: Self.invalidTexts)
    func invalid(text: String, reason: String, offset: Int) throws {
        do {
            _ = try parse(text)
            Issue.record("parsed invalid JSON \(text)")
        } catch {
            let failure = try #require(error as? StrictJSONParser.Failure)
            #expect(failure.reason == reason)
            #expect(failure.offset == offset)
        }
    }
}
