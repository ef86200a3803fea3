import Foundation

/// The element types `SafetensorsFile` loads (and writes), by their safetensors names.
public enum SafetensorsDType: String, Sendable, CaseIterable {
    /// IEEE binary16, converted exactly to `Float`/`Double` when read.
    case float16 = "F16"
    /// bfloat16 (the top half of a binary32), converted exactly when read.
    case bfloat16 = "BF16"
    /// IEEE binary32.
    case float32 = "F32"
    /// IEEE binary64.
    case float64 = "F64"

    /// The dtype written for tensors of `Scalar` unless another is asked for: F32 or F64.
    public static func native<Scalar: RecurrentScalar>(for _: Scalar.Type) -> SafetensorsDType {
        Scalar.self == Float.self ? .float32 : .float64
    }

    var encoding: ElementEncoding {
        switch self {
        case .float16: .float16
        case .bfloat16: .bfloat16
        case .float32: .float32
        case .float64: .float64
        }
    }
}

/// The validated header of a safetensors file: what each tensor is and where its bytes are,
/// plus the free-form `__metadata__`. Reading it does not convert any tensor, so it also
/// describes files whose dtypes `SafetensorsFile` cannot load (I64, U8, F8_E4M3, ...).
///
/// Validation follows the reference implementation (huggingface/safetensors): header length at
/// most 100 MB, UTF-8 JSON object, every entry with a known dtype, a shape of non-negative
/// integers and `data_offsets` `[begin, end]` whose span is exactly the shape's byte count, and
/// the tensors, sorted by offset, covering the data buffer exactly: no overlaps, no holes, no
/// trailing bytes. Stricter than the reference in two places: a tensor name that appears twice
/// is an error (serde keeps one silently), and an entry must be a JSON object (not an array).
/// A repeated key inside `__metadata__` keeps the last value, as the reference does.
public struct SafetensorsHeader: Sendable, Equatable {
    /// One tensor as the header describes it.
    public struct Entry: Sendable, Equatable {
        /// The tensor's name.
        public var name: String
        /// The dtype as written, e.g. `"F32"`, `"BF16"`, `"I64"`.
        public var dtype: String
        /// The shape, outermost first; empty for a scalar.
        public var shape: [Int]
        /// The tensor's bytes, relative to the start of the data buffer.
        public var dataOffsets: Range<Int>
    }

    /// The tensors, sorted by their offset in the data buffer.
    public var entries: [Entry]
    /// The `__metadata__` strings; empty when the file has none.
    public var metadata: [String: String]
    /// Where the data buffer starts in the file: 8 plus the header length.
    public var dataStart: Int

    /// Largest header length accepted, as in the reference implementation.
    public static let maxHeaderLength = 100_000_000

    /// Bits per element of every dtype the reference implementation knows.
    static let knownDTypeBits: [String: Int] = [
        "BOOL": 8, "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8,
        "F8_E8M0": 8, "F8_E4M3FNUZ": 8, "F8_E5M2FNUZ": 8, "I16": 16, "U16": 16, "F16": 16, "BF16": 16,
        "I32": 32, "U32": 32, "F32": 32, "C64": 64, "F64": 64, "I64": 64, "U64": 64,
    ]

    /// Reads and validates the header of a safetensors file (the file is memory-mapped, the
    /// tensors are not read).
    /// - Throws: `RecurrentError` (`.io`) when the file cannot be read, (`.format`) when the
    ///   header is malformed.
    public static func read(_ url: URL) throws -> SafetensorsHeader {
        try decode(FileAccess.readMapped(url), name: url.path)
    }

    /// Validates the header of the bytes of a whole safetensors file; `name` starts every message.
    /// - Throws: `RecurrentError` (`.format`) when the header is malformed.
    public static func decode(_ data: Data, name: String) throws -> SafetensorsHeader {
        try data.withUnsafeBytes { try parse($0, name: name) }
    }

    /// Validates the header of a whole file's bytes.
    static func parse(_ bytes: UnsafeRawBufferPointer, name: String) throws -> SafetensorsHeader {
        func fail(_ message: String) -> RecurrentError { .format("\(name): \(message)") }
        guard bytes.count >= 8 else {
            throw fail("file is \(bytes.count) bytes, too short for the 8-byte header length")
        }
        let length = bytes.littleEndian(at: 0, as: UInt64.self)
        // Past the end first: that is what any other kind of file (text, an .npy) shows.
        guard length <= UInt64(bytes.count - 8) else {
            throw fail("header length \(length) runs past the end of the file (\(bytes.count) bytes): not a safetensors file, or a cut-off one")
        }
        guard length <= UInt64(maxHeaderLength) else {
            throw fail("header length \(length) is over the \(maxHeaderLength)-byte limit")
        }
        let dataStart = 8 + Int(length)
        let headerBytes = UnsafeRawBufferPointer(rebasing: bytes[8..<dataStart])
        guard String(validating: headerBytes, as: UTF8.self) != nil else {
            throw fail("header is not valid UTF-8")
        }
        let json: JSONValue
        do {
            json = try StrictJSONParser.parse(headerBytes)
        } catch {
            throw fail("header is not valid JSON: \(error.reason) at byte \(error.offset) of the header")
        }
        guard case .object(let members) = json else {
            throw fail("header is not a JSON object (found \(json.typeName))")
        }
        let dataSize = bytes.count - dataStart
        var entries: [Entry] = []
        var metadata: [String: String]?
        var seen = Set<String>()
        for (key, value) in members {
            guard seen.insert(key).inserted else {
                throw fail(key == "__metadata__"
                    ? "'__metadata__' appears twice in the header"
                    : "tensor '\(key)' appears twice in the header")
            }
            if key == "__metadata__" {
                metadata = try parseMetadata(value, fail: fail)
            } else {
                entries.append(try parseEntry(key, value, dataSize: dataSize, fail: fail))
            }
        }
        // Stable sort: zero-size tensors sharing an offset keep their header order.
        let sorted = entries.enumerated().sorted {
            ($0.element.dataOffsets.lowerBound, $0.element.dataOffsets.upperBound, $0.offset)
                < ($1.element.dataOffsets.lowerBound, $1.element.dataOffsets.upperBound, $1.offset)
        }.map(\.element)
        try checkCoverage(sorted, dataSize: dataSize, fail: fail)
        return SafetensorsHeader(entries: sorted, metadata: metadata ?? [:], dataStart: dataStart)
    }

    private static func parseMetadata(
        _ value: JSONValue, fail: (String) -> RecurrentError
    ) throws -> [String: String]? {
        switch value {
        case .null:
            return nil
        case .object(let pairs):
            var metadata: [String: String] = [:]
            for (key, value) in pairs {
                guard case .string(let text) = value else {
                    throw fail("__metadata__ value for '\(key)' is not a string (found \(value.typeName))")
                }
                metadata[key] = text
            }
            return metadata
        default:
            throw fail("__metadata__ is not an object of strings (found \(value.typeName))")
        }
    }

    private static func parseEntry(
        _ name: String, _ value: JSONValue, dataSize: Int, fail: (String) -> RecurrentError
    ) throws -> Entry {
        let tensor = "tensor '\(name)'"
        guard case .object(let fields) = value else {
            throw fail("\(tensor): entry is not an object (found \(value.typeName))")
        }
        var byKey: [String: JSONValue] = [:]
        for (key, value) in fields {
            guard byKey.updateValue(value, forKey: key) == nil else {
                throw fail("\(tensor): field '\(key)' appears twice")
            }
        }
        // Other fields are ignored, as the reference implementation does.
        guard let dtypeValue = byKey["dtype"] else { throw fail("\(tensor): missing 'dtype'") }
        guard let shapeValue = byKey["shape"] else { throw fail("\(tensor): missing 'shape'") }
        guard let offsetsValue = byKey["data_offsets"] else { throw fail("\(tensor): missing 'data_offsets'") }
        guard case .string(let dtype) = dtypeValue else {
            throw fail("\(tensor): 'dtype' is not a string (found \(dtypeValue.typeName))")
        }
        guard let bits = knownDTypeBits[dtype] else { throw fail("\(tensor): unknown dtype '\(dtype)'") }
        guard case .array(let dimensions) = shapeValue else {
            throw fail("\(tensor): 'shape' is not an array (found \(shapeValue.typeName))")
        }
        var shape: [Int] = []
        for dimension in dimensions {
            guard let size = dimension.nonNegativeInteger else {
                throw fail("\(tensor): 'shape' holds \(dimension.typeName), not a non-negative integer")
            }
            shape.append(size)
        }
        guard case .array(let offsets) = offsetsValue, offsets.count == 2,
              let begin = offsets[0].nonNegativeInteger, let end = offsets[1].nonNegativeInteger
        else {
            throw fail("\(tensor): 'data_offsets' is not [begin, end] with two non-negative integers")
        }
        let written = "data_offsets [\(begin), \(end)]"
        guard begin <= end else { throw fail("\(tensor): \(written) have begin after end") }
        guard let count = checkedElementCount(shape),
              case let (totalBits, overflow) = count.multipliedReportingOverflow(by: bits), !overflow
        else { throw fail("\(tensor): shape \(describeShape(shape)) is too large") }
        guard totalBits % 8 == 0 else {
            throw fail("\(tensor): shape \(describeShape(shape)) of \(dtype) does not fill whole bytes")
        }
        guard end - begin == totalBits / 8 else {
            throw fail("\(tensor): shape \(describeShape(shape)) of \(dtype) needs \(totalBits / 8) bytes, "
                + "\(written) span \(end - begin)")
        }
        guard end <= dataSize else {
            throw fail("\(tensor): \(written) run past the end of the data buffer (\(dataSize) bytes)")
        }
        return Entry(name: name, dtype: dtype, shape: shape, dataOffsets: begin..<end)
    }

    /// The sorted tensors must tile the data buffer: each starts where the previous one ends,
    /// the first at 0, the last at the end of the file.
    private static func checkCoverage(
        _ entries: [Entry], dataSize: Int, fail: (String) -> RecurrentError
    ) throws {
        var covered = 0
        var previous: Entry?
        for entry in entries {
            let range = entry.dataOffsets
            if range.lowerBound < covered, let previous {
                throw fail("tensors '\(previous.name)' and '\(entry.name)' overlap (data_offsets "
                    + "[\(previous.dataOffsets.lowerBound), \(previous.dataOffsets.upperBound)] and "
                    + "[\(range.lowerBound), \(range.upperBound)])")
            }
            if range.lowerBound > covered {
                throw fail("bytes \(covered)..<\(range.lowerBound) of the data buffer belong to no tensor "
                    + "(a hole before tensor '\(entry.name)')")
            }
            covered = range.upperBound
            previous = entry
        }
        if covered < dataSize {
            throw fail("the last \(dataSize - covered) bytes of the file belong to no tensor "
                + "(data buffer is \(dataSize) bytes, tensors end at \(covered))")
        }
    }

    /// The header bytes the reference implementation writes for these entries: compact JSON,
    /// `__metadata__` first when non-empty (keys sorted), padded with spaces to a multiple of 8.
    static func encodedJSON(entries: [Entry], metadata: [String: String]) -> [UInt8] {
        var members: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.sorted { $0.key < $1.key }.map { jsonQuoted($0.key) + ":" + jsonQuoted($0.value) }
            members.append(jsonQuoted("__metadata__") + ":{" + pairs.joined(separator: ",") + "}")
        }
        for entry in entries {
            let shape = entry.shape.map(String.init).joined(separator: ",")
            members.append(jsonQuoted(entry.name) + ":{\"dtype\":" + jsonQuoted(entry.dtype)
                + ",\"shape\":[\(shape)],\"data_offsets\":[\(entry.dataOffsets.lowerBound),"
                + "\(entry.dataOffsets.upperBound)]}")
        }
        var bytes = Array(("{" + members.joined(separator: ",") + "}").utf8)
        bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - bytes.count % 8) % 8))
        return bytes
    }
}
