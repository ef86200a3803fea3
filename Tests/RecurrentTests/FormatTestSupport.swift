import Foundation
import Testing
@testable import Recurrent

/// The reference files written by `scripts/make_format_fixtures.py`, and their expected values.
enum FormatFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/formats")

    static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    /// One tensor as NumPy/PyTorch stored it: values as float64 hex strings (exact).
    struct Tensor: Decodable {
        var dtype: String
        var shape: [Int]
        var values: [String]
        var doubles: [Double] { values.map { Double($0) ?? .signalingNaN } }
    }

    /// One safetensors file's expected contents.
    struct File: Decodable {
        var metadata: [String: String]
        var tensors: [String: Tensor]
    }

    struct Expected: Decodable {
        var npy: [String: Tensor]
        var safetensors: [String: File]
    }

    static func expected() throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: url("expected.json")))
    }
}

/// Equal as bits, except that any NaN equals any NaN (payloads do not survive conversions).
func sameBits(_ a: Double, _ b: Double) -> Bool {
    a.isNaN ? b.isNaN : a.bitPattern == b.bitPattern
}

func sameBits(_ a: [Double], _ b: [Double]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { sameBits($0, $1) }
}

/// Little-endian bytes of an integer.
func littleEndianBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value.littleEndian) { Array($0) }
}

/// Little-endian bytes of floats.
func bytes(of values: [Float]) -> [UInt8] { values.flatMap { littleEndianBytes($0.bitPattern) } }
func bytes(of values: [Double]) -> [UInt8] { values.flatMap { littleEndianBytes($0.bitPattern) } }

/// Runs `body` and returns the `RecurrentError` it throws, or records an issue.
func recurrentError<R>(_ body: () throws -> R, sourceLocation: SourceLocation = #_sourceLocation) -> RecurrentError? {
    do {
        _ = try body()
        Issue.record("expected a RecurrentError, got success", sourceLocation: sourceLocation)
    } catch let error as RecurrentError {
        return error
    } catch {
        Issue.record("expected a RecurrentError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// A fresh temporary directory, removed when `body` returns.
func withTemporaryDirectory<R>(_ body: (URL) throws -> R) throws -> R {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("recurrent-formats-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try body(directory)
}

/// A malformed input, the error kind it must produce and its whole message after the file's
/// name and ": ".
struct MalformedCase: Sendable, CustomTestStringConvertible {
    var label: String
    var bytes: [UInt8]
    var kind: RecurrentError.Kind
    var message: String
    var testDescription: String { label }
}
