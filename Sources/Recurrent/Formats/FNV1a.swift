/// A 64-bit FNV-1a hash: checkpoints' checksums and the content of training data, so that a
/// checkpoint knows its file was not damaged and that a resumed run reads the same data.
struct FNV1a {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    /// Mixes in one word.
    mutating func mix(_ word: UInt64) { value = (value ^ word) &* 0x0000_0100_0000_01b3 }

    /// Mixes in a text's UTF-8 bytes and an end marker (so that "ab", "c" differs from "a", "bc").
    mutating func mix(_ text: String) {
        for byte in text.utf8 { mix(UInt64(byte)) }
        mix(0xff)
    }

    /// Mixes in the bits of every value.
    mutating func mix<S: Sequence>(bitsOf values: S) where S.Element: BinaryFloatingPoint {
        for v in values { mix(Double(v).bitPattern) }
    }

    /// The hash as hexadecimal digits.
    var hex: String { String(value, radix: 16) }
}
