import Foundation

/// Numbers and cells as data files write them. Swift's `Double(_:)` also reads hexadecimal
/// (`0x10` is 16.0) and `Double("0x1p3")` is 8.0, which no CSV writer means and no CSV reader
/// (pandas, NumPy) accepts: a data cell or an input value is read by `decimal(_:)` instead.
public enum DecimalText {
    /// The value of a decimal number `[+-]digits[.digits][(e|E)[+-]digits]` (digits on at least
    /// one side of the point), or of `nan`, `inf`, `infinity` in any case (so that a caller can
    /// refuse them as not finite, by name); nil for anything else, hexadecimal included.
    public static func decimal<S: StringProtocol>(_ text: S) -> Double? {
        guard isDecimal(text.utf8) || ["nan", "inf", "infinity"].contains(text.lowercased().trimmingSign) else { return nil }
        return Double(String(text))
    }

    /// Whether `bytes` spell a decimal number, sign and exponent optional.
    static func isDecimal<C: Collection<UInt8>>(_ bytes: C) -> Bool {
        var i = bytes.startIndex
        func digits() -> Int {
            var n = 0
            while i != bytes.endIndex, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[i]) { n += 1; i = bytes.index(after: i) }
            return n
        }
        func skip(_ allowed: String) {
            if i != bytes.endIndex, allowed.utf8.contains(bytes[i]) { i = bytes.index(after: i) }
        }
        skip("+-")
        var mantissa = digits()
        if i != bytes.endIndex, bytes[i] == UInt8(ascii: ".") {
            i = bytes.index(after: i)
            mantissa += digits()
        }
        guard mantissa > 0 else { return false }
        if i != bytes.endIndex, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i = bytes.index(after: i)
            skip("+-")
            guard digits() > 0 else { return false }
        }
        return i == bytes.endIndex
    }
}

private extension String {
    /// The text without one leading sign.
    var trimmingSign: Substring { first == "+" || first == "-" ? dropFirst() : self[...] }
}
