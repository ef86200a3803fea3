import Foundation

/// The one error type of the library: a category and a one-line message that names the thing
/// at fault (a file, a key, an option, a tensor) and, for shapes, the expected and actual shape.
///
/// Every failure that bad input can cause (malformed files, wrong shapes, non-finite values,
/// unknown names) is reported as a `RecurrentError`, never as a trap.
public struct RecurrentError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    /// What went wrong, coarsely; tests and callers can branch on it.
    public enum Kind: String, Sendable, Equatable {
        /// A tensor or matrix has the wrong shape.
        case shape
        /// A value is out of range, not finite, or not a number.
        case value
        /// A file is malformed (header, offsets, JSON, dtype, ...).
        case format
        /// A file could not be read or written.
        case io
        /// A name (key, preset, tensor, option value) is unknown or missing.
        case name
        /// A valid request that this library does not support.
        case unsupported
    }

    /// The category of the error.
    public var kind: Kind
    /// The one-line message shown to the user.
    public var message: String

    /// Makes an error of the given kind with a one-line message.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
    public var errorDescription: String? { message }

    static func shape(_ message: String) -> RecurrentError { RecurrentError(.shape, message) }
    static func value(_ message: String) -> RecurrentError { RecurrentError(.value, message) }
    static func format(_ message: String) -> RecurrentError { RecurrentError(.format, message) }
    static func io(_ message: String) -> RecurrentError { RecurrentError(.io, message) }
    static func name(_ message: String) -> RecurrentError { RecurrentError(.name, message) }
    static func unsupported(_ message: String) -> RecurrentError { RecurrentError(.unsupported, message) }
}

/// A list of names short enough for a one-line message: the first `limit`, then how many more.
public func shortList(_ names: [String], limit: Int = 4) -> String {
    let limit = max(limit, 0)
    return names.prefix(limit).joined(separator: ", ") + (names.count > limit ? " and \(names.count - limit) more" : "")
}

/// A value from a file as a message quotes it: up to `limit` characters, then "…" (a cell of
/// 5 MB was echoed whole).
public func shortQuote(_ text: String, limit: Int = 40) -> String {
    let limit = max(limit, 0)
    return text.count > limit ? text.prefix(limit) + "…" : text
}

/// Formats a shape the way messages show it: `(4, 3)`, `()` for a scalar.
func describeShape(_ shape: [Int]) -> String {
    "(" + shape.map(String.init).joined(separator: ", ") + ")"
}
