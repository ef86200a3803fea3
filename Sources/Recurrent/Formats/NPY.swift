import Foundation

/// Reading and writing NumPy `.npy` files holding one float32 or float64 array (or, read only,
/// an int32 or int64 array of token ids).
///
/// Reads format versions 1.0, 2.0 and 3.0; writes 1.0, or 2.0 when the header would not fit
/// in 1.0's 16-bit length. Only little-endian `<f4`/`<f8` (and `<i4`/`<i8`) data in C order is
/// supported; every other file fails with a one-line `RecurrentError` that names the file and
/// the problem.
public enum NPY {
    /// The element types this library reads and writes, by their NumPy descriptor.
    public enum DType: String, Sendable, CaseIterable {
        /// Little-endian IEEE binary32 (`numpy.float32`).
        case float32 = "<f4"
        /// Little-endian IEEE binary64 (`numpy.float64`).
        case float64 = "<f8"

        /// Bytes per element.
        var byteWidth: Int { self == .float32 ? 4 : 8 }
        /// NumPy's name for the type, for messages.
        var numpyName: String { self == .float32 ? "float32" : "float64" }
        fileprivate var encoding: ElementEncoding { self == .float32 ? .float32 : .float64 }

        /// The descriptor `numpy.save` writes for arrays of `Scalar`.
        static func of<Scalar: RecurrentScalar>(_: Scalar.Type) -> DType {
            Scalar.self == Float.self ? .float32 : .float64
        }
    }

    /// The magic string every `.npy` file starts with.
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)
    /// Header texts longer than this are refused before parsing (NumPy's own headers stay far below).
    static let maxHeaderLength = 1 << 20
    /// Data starts at a multiple of this many bytes, as current NumPy writes.
    static let alignment = 64

    /// What a `.npy` file holds: floating-point values, or integers (token ids).
    public enum Contents<Scalar: RecurrentScalar>: Equatable, Sendable {
        /// float32 or float64 data, converted to `Scalar`.
        case values(Tensor<Scalar>)
        /// int32 or int64 data.
        case integers(shape: [Int], values: [Int64])

        public var shape: [Int] {
            switch self {
            case .values(let tensor): tensor.shape
            case .integers(let shape, _): shape
            }
        }
    }

    /// Reads a `.npy` file of floating-point values or of int32/int64 integers.
    /// - Throws: `RecurrentError` as `read(_:as:)` does, for other dtypes too.
    public static func readContents<Scalar: RecurrentScalar>(_ url: URL, as: Scalar.Type = Scalar.self) throws -> Contents<Scalar> {
        let data = try FileAccess.readMapped(url)
        let name = url.path
        return try data.withUnsafeBytes { bytes in
            let (header, dataStart) = try readHeader(bytes, name: name)
            guard let descr = header.descr, let width = ["<i4": 4, "<i8": 8][descr] else {
                guard header.descr.flatMap(DType.init(rawValue:)) != nil else {
                    throw RecurrentError.unsupported("\(name): dtype '\(header.descr ?? "structured")' is not supported "
                        + "(float32 or float64 vectors, int32 or int64 token ids, little-endian)")
                }
                return .values(try read(data: data, name: name, as: Scalar.self))
            }
            let count = try checkedByteCount(header, width: width, typeName: descr == "<i4" ? "int32" : "int64",
                                             available: bytes.count - dataStart, name: name) / width
            let values: [Int64] = (0..<count).map { i in
                width == 4 ? Int64(bytes.littleEndian(at: dataStart + 4 * i, as: Int32.self))
                    : bytes.littleEndian(at: dataStart + 8 * i, as: Int64.self)
            }
            return .integers(shape: header.shape, values: values)
        }
    }

    /// The data's byte count, checked against the shape and what the file holds.
    private static func checkedByteCount(_ header: NPYHeader, width: Int, typeName: String, available: Int,
                                         name: String) throws -> Int {
        guard !header.fortranOrder else {
            throw RecurrentError.unsupported("\(name): fortran_order True (column-major data) is not supported, save in C order")
        }
        guard let count = checkedElementCount(header.shape), case let (byteCount, overflow) = count.multipliedReportingOverflow(by: width),
              !overflow
        else {
            throw RecurrentError.format("\(name): shape \(describeShape(header.shape)) is too large")
        }
        guard available == byteCount else {
            let problem = available < byteCount ? "truncated data" : "extra data"
            throw RecurrentError.format("\(name): \(problem): shape \(describeShape(header.shape)) of \(typeName) needs "
                + "\(byteCount) bytes of data, the file has \(available)")
        }
        return byteCount
    }

    /// Reads an array from a `.npy` file, converting float32 or float64 data to `Scalar`
    /// (float64 to `Float` rounds to nearest).
    /// - Throws: `RecurrentError` (`.io`) when the file cannot be read, (`.format`) when it is
    ///   malformed, (`.unsupported`) for a valid file with another dtype or Fortran order.
    public static func read<Scalar: RecurrentScalar>(
        _ url: URL, as: Scalar.Type = Scalar.self
    ) throws -> Tensor<Scalar> {
        try read(data: FileAccess.readMapped(url), name: url.path)
    }

    /// Decodes an array from the bytes of a `.npy` file; `name` (a file name) starts every message.
    /// - Throws: `RecurrentError` (`.format`) for malformed bytes, (`.unsupported`) for a valid
    ///   array with another dtype or Fortran order.
    public static func read<Scalar: RecurrentScalar>(
        data: Data, name: String, as: Scalar.Type = Scalar.self
    ) throws -> Tensor<Scalar> {
        try data.withUnsafeBytes { bytes in
            let (header, dataStart) = try readHeader(bytes, name: name)
            guard let descr = header.descr else {
                throw RecurrentError.unsupported(
                    "\(name): structured dtypes are not supported (float32 or float64 little-endian only)")
            }
            guard let dtype = DType(rawValue: descr) else {
                throw RecurrentError.unsupported(
                    "\(name): dtype '\(descr)' is not supported (float32 or float64 little-endian only)")
            }
            let count = try checkedByteCount(header, width: dtype.byteWidth, typeName: dtype.numpyName,
                                             available: bytes.count - dataStart, name: name) / dtype.byteWidth
            let scalars: [Scalar] = dtype.encoding.decode(bytes, offset: dataStart, count: count)
            // A finite float64 beyond Float's range became ±inf: say so, not "is inf" later.
            if dtype.byteWidth > MemoryLayout<Scalar>.size, let bad = scalars.firstIndex(where: \.isInfinite) {
                let value = bytes.littleEndian(at: dataStart + 8 * bad, as: UInt64.self)
                if Double(bitPattern: value).isFinite {
                    throw RecurrentError.value("\(name): element \(multiIndex(bad, in: header.shape)) is "
                        + "\(Double(bitPattern: value)), beyond float32's range (±3.4e38)")
                }
            }
            return Tensor(uncheckedShape: header.shape, scalars: scalars)
        }
    }

    /// Parses the magic string, version, header length and header; returns the header and the
    /// offset where the data starts.
    private static func readHeader(
        _ bytes: UnsafeRawBufferPointer, name: String
    ) throws -> (NPYHeader, Int) {
        guard !bytes.isEmpty else { throw RecurrentError.format("\(name): file is empty, not a .npy file") }
        guard bytes.count >= magic.count, bytes.prefix(magic.count).elementsEqual(magic) else {
            throw RecurrentError.format("\(name): not a .npy file (bad magic string, expected \\x93NUMPY)")
        }
        guard bytes.count >= 8 else {
            throw RecurrentError.format("\(name): truncated file: \(bytes.count) bytes, ends inside the version")
        }
        let (major, minor) = (bytes[6], bytes[7])
        guard (1...3).contains(major), minor == 0 else {
            throw RecurrentError.unsupported(
                "\(name): .npy format version \(major).\(minor) is not supported (1.0, 2.0, 3.0 only)")
        }
        let lengthSize = major == 1 ? 2 : 4
        let headerStart = 8 + lengthSize
        guard bytes.count >= headerStart else {
            throw RecurrentError.format("\(name): truncated file: \(bytes.count) bytes, ends inside the header length")
        }
        let headerLength = major == 1
            ? Int(bytes.littleEndian(at: 8, as: UInt16.self))
            : Int(bytes.littleEndian(at: 8, as: UInt32.self))
        guard headerLength <= maxHeaderLength else {
            throw RecurrentError.format(
                "\(name): header length \(headerLength) is over the \(maxHeaderLength)-byte limit")
        }
        let dataStart = headerStart + headerLength
        guard dataStart <= bytes.count else {
            throw RecurrentError.format(
                "\(name): truncated file: the \(headerLength)-byte header runs past the end of the file "
                    + "(\(bytes.count) bytes)")
        }
        let headerBytes = UnsafeRawBufferPointer(rebasing: bytes[headerStart..<dataStart])
        let text: String
        if major == 3 {
            guard let utf8 = String(validating: headerBytes, as: UTF8.self) else {
                throw RecurrentError.format("\(name): header is not valid UTF-8")
            }
            text = utf8
        } else {
            text = String(String.UnicodeScalarView(headerBytes.map { Unicode.Scalar($0) }))  // latin1
        }
        do {
            return (try NPYHeader.parse(text), dataStart)
        } catch {
            throw RecurrentError.format("\(name): \(error.message)")
        }
    }

    /// The bytes of a `.npy` file holding `tensor`: version 1.0 (2.0 when the header needs
    /// it), dtype `<f4` for `Float` and `<f8` for `Double`, C order, data aligned to 64 bytes.
    public static func encode<Scalar: RecurrentScalar>(_ tensor: Tensor<Scalar>) -> Data {
        let dtype = DType.of(Scalar.self)
        let header = NPYHeader(descr: dtype.rawValue, fortranOrder: false, shape: tensor.shape)
        let text = Array(header.text.utf8)
        // Version 1.0 stores the header length in 16 bits; fall back to 2.0's 32 bits.
        var lengthSize = 2
        var padded = paddedLength(text.count, prefix: 8 + lengthSize)
        if padded > Int(UInt16.max) {
            lengthSize = 4
            padded = paddedLength(text.count, prefix: 8 + lengthSize)
        }
        var data = Data(magic + [lengthSize == 2 ? 1 : 2, 0])
        data.reserveCapacity(8 + lengthSize + padded + tensor.count * dtype.byteWidth)
        if lengthSize == 2 {
            withUnsafeBytes(of: UInt16(padded).littleEndian) { data.append(contentsOf: $0) }
        } else {
            withUnsafeBytes(of: UInt32(padded).littleEndian) { data.append(contentsOf: $0) }
        }
        data.append(contentsOf: text)
        data.append(contentsOf: repeatElement(UInt8(ascii: " "), count: padded - text.count - 1))
        data.append(UInt8(ascii: "\n"))
        dtype.encoding.append(tensor.scalars, to: &data)
        return data
    }

    /// The header length including spaces and the final newline, so that the data starts at a
    /// multiple of `alignment` (NumPy always adds at least one space).
    private static func paddedLength(_ textLength: Int, prefix: Int) -> Int {
        let unpadded = prefix + textLength + 1
        return textLength + 1 + alignment - unpadded % alignment
    }

    /// Writes `tensor` as a `.npy` file atomically: to a temporary file in the same directory,
    /// then renamed over `url`.
    /// - Throws: `RecurrentError` (`.io`) naming the path when the file cannot be written.
    public static func write<Scalar: RecurrentScalar>(_ tensor: Tensor<Scalar>, to url: URL) throws {
        try FileAccess.writeAtomically(encode(tensor), to: url)
    }
}
