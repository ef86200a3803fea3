import Foundation

/// Fixed, locale-independent number formatting and text escaping shared by every chart.
///
/// All output goes through these routines so that the same input always yields the
/// same bytes: decimal separators are always `.`, trailing zeros are trimmed in the
/// compact forms, `-0` prints as `0`, and non-finite values print as `NaN`, `Inf`
/// or `-Inf` (never the C library's `nan` / `inf`).
public enum ChartFormat {
    /// Formats `value` with exactly `decimals` digits after the point (clamped to 0...12).
    ///
    /// The exact binary value is rounded half to even, as C's `printf("%.*f")` does:
    /// `fixed(0.125, decimals: 2)` gives `"0.12"`, `fixed(0.375, decimals: 2)` gives `"0.38"`,
    /// `fixed(-0.001, decimals: 2)` gives `"0.00"`, and a non-finite value gives `"NaN"`,
    /// `"Inf"` or `"-Inf"`.
    public static func fixed(_ value: Double, decimals: Int) -> String {
        if let special = nonFinite(value) { return special }
        let places = min(max(decimals, 0), 12)
        if let text = exactFixed(value, places: places) { return text }
        return normalizedNegativeZero(String(format: "%.*f", Int32(places), value))
    }

    /// `fixed` in integer arithmetic, for a finite value with |value| · 10^places below 10^19
    /// (every coordinate and cell value of a chart); nil otherwise. Charts print one number per
    /// attribute, and Foundation's `String(format:)` took 2 µs for each.
    ///
    /// value = m · 2^e exactly (m < 2^53); the digits are the integer m · 10^places / 2^-e,
    /// rounded half to even, so the result is the C library's, byte for byte.
    static func exactFixed(_ value: Double, places: Int) -> String? {
        let scale = powersOfTen[places]
        guard value.magnitude * Double(scale) < 1e19 else { return nil }
        let subnormal = value.exponentBitPattern == 0
        let m = subnormal ? value.significandBitPattern : value.significandBitPattern | (1 << 52)
        let e = (subnormal ? 1 : Int(value.exponentBitPattern)) - 1075
        // units = round(|value| · 10^places); fits in 64 bits by the guard above.
        var units: UInt64 = 0
        if e >= 0 {
            units = (m << UInt64(e)) * scale
        } else if -e < 128 {
            // p = m · scale < 2^93 as (hi, lo); units = p >> k, rounded on the bits shifted out.
            // Swift's shifts are smart: a shift by 64 or more gives 0, a negative one shifts back.
            let k = -e, (hi, lo) = m.multipliedFullWidth(by: scale)
            func shifted(_ n: Int) -> UInt64 { (lo >> n) | (hi << (64 - n)) }
            let j = k - 1   // the rounding bit; any bit below it makes the rest more than half
            let roundBit = shifted(j) & 1 == 1
            let sticky = j <= 64 ? lo << (64 - j) != 0 : lo != 0 || hi << (128 - j) != 0
            units = shifted(k)
            if roundBit && (sticky || units & 1 == 1) { units += 1 }
        }
        var text = String(units / scale)
        if places > 0 {
            let fraction = String(units % scale)
            text += "." + String(repeating: "0", count: places - fraction.count) + fraction
        }
        return value.sign == .minus && units != 0 ? "-" + text : text
    }

    private static let powersOfTen: [UInt64] = (0...12).map { (0..<$0).reduce(1) { power, _ in power * 10 } }

    /// Formats `value` compactly, rounded to `significantDigits` significant digits
    /// (digits before the point are never dropped: `123456.7` gives `"123457"`).
    ///
    /// Plain notation is used for magnitudes in `1e-4 ..< 1e6`, scientific notation
    /// (`1e-6`, `2.5e7`) outside it; trailing zeros are trimmed. Examples:
    /// `0`, `0.5`, `1.5`, `1000`, `0.0001`, `1e-6`, `1.23e8`.
    public static func compact(_ value: Double, significantDigits: Int = 4) -> String {
        if let special = nonFinite(value) { return special }
        if value == 0 { return "0" }
        let digits = min(max(significantDigits, 1), 15)
        let magnitude = abs(value)
        if magnitude >= 1e6 || magnitude < 1e-4 {
            return scientific(value, significantDigits: digits)
        }
        let exponent = Int(floor(log10(magnitude)))
        let decimals = max(0, digits - 1 - exponent)
        return trimZeros(fixed(value, decimals: decimals))
    }

    /// Formats `value` in scientific notation without padding: `1e-6`, `-2.5e7`, `1e0`.
    public static func scientific(_ value: Double, significantDigits: Int = 4) -> String {
        if let special = nonFinite(value) { return special }
        if value == 0 { return "0" }
        let places = Int32(min(max(significantDigits, 1), 15) - 1)
        let text = String(format: "%.*e", places, value)
        let parts = text.split(separator: "e", maxSplits: 1).map(String.init)
        guard parts.count == 2, let exponent = Int(parts[1]) else { return text }
        return trimZeros(parts[0]) + "e" + String(exponent)
    }

    /// Formats an SVG coordinate or length: two decimals at most, trailing zeros trimmed.
    public static func coordinate(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        return trimZeros(fixed(value, decimals: 2))
    }

    /// Removes trailing zeros after a decimal point, and the point itself if nothing follows.
    ///
    /// `"1.500"` → `"1.5"`, `"2.000"` → `"2"`, `"100"` → `"100"`.
    public static func trimZeros(_ text: String) -> String {
        let bytes = Array(text.utf8)
        guard bytes.contains(UInt8(ascii: ".")) else { return text }
        var end = bytes.count
        while end > 0, bytes[end - 1] == UInt8(ascii: "0") { end -= 1 }
        if end > 0, bytes[end - 1] == UInt8(ascii: ".") { end -= 1 }
        return normalizedNegativeZero(String(decoding: bytes[..<end], as: UTF8.self))
    }

    /// Escapes text for XML and HTML content and attribute values.
    ///
    /// Replaces `&`, `<`, `>`, `"` and `'` with entities, and control characters that
    /// XML 1.0 forbids (all below U+0020 except tab, newline and carriage return) with U+FFFD.
    public static func escape(_ text: String) -> String {
        // Most text (numbers, colours, labels) has nothing to escape: return it as it is.
        // 0xEF leads the UTF-8 of U+FFFE and U+FFFF.
        let special: (UInt8) -> Bool = {
            ($0 < 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D) || $0 == 0xEF
                || $0 == UInt8(ascii: "&") || $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">")
                || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "'")
        }
        guard text.utf8.contains(where: special) else { return text }
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            case "\t", "\n", "\r": result.unicodeScalars.append(scalar)
            default:
                let forbidden = scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF
                result.unicodeScalars.append(forbidden ? "\u{FFFD}" : scalar)
            }
        }
        return result
    }

    /// Encodes `text` as a JSON string literal that is also safe inside an HTML `<script>`.
    ///
    /// Besides the JSON escapes, `<`, `>`, `&`, `'`, U+2028 and U+2029 are written as `\uXXXX`.
    public static func jsonString(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "<", ">", "&", "'", "\u{2028}", "\u{2029}":
                result += unicodeEscape(scalar.value)
            default:
                if scalar.value < 0x20 {
                    result += unicodeEscape(scalar.value)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }

    // MARK: - Helpers

    static func nonFinite(_ value: Double) -> String? {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "Inf" : "-Inf" }
        return nil
    }

    static func normalizedNegativeZero(_ text: String) -> String {
        guard text.utf8.first == UInt8(ascii: "-") else { return text }
        let isZero = text.utf8.dropFirst().allSatisfy { $0 == UInt8(ascii: "0") || $0 == UInt8(ascii: ".") }
        return isZero ? String(text.dropFirst()) : text
    }

    static func unicodeEscape(_ value: UInt32) -> String {
        let hex = String(value, radix: 16, uppercase: false)
        return "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }

    /// Rough width in pixels of `text` set in a sans-serif font of `fontSize` pixels.
    static func estimatedWidth(_ text: String, fontSize: Double) -> Double {
        Double(text.count) * fontSize * 0.6
    }

    /// Shortens `text` to at most `limit` characters, ending with an ellipsis when cut.
    static func truncated(_ text: String, limit: Int) -> String {
        guard text.count > limit, limit > 1 else { return text }
        return String(text.prefix(limit - 1)) + "…"
    }
}
