import Foundation

/// The tensors and metadata of a safetensors file (huggingface/safetensors), as `Scalar`.
///
/// Reading memory-maps the file and converts each tensor straight from the mapped bytes:
/// F32, F64, F16 and BF16 are supported (F16 and BF16 exactly, F64 to `Float` rounded to
/// nearest); any other dtype is a `.unsupported` error naming the tensor. The header is fully
/// validated first (see `SafetensorsHeader`). Writing produces one dtype for all tensors (F32
/// for `Float`, F64 for `Double` unless asked otherwise), in the order of `tensors`, atomically.
public struct SafetensorsFile<Scalar: RecurrentScalar>: Sendable {
    /// The tensors with their names; in file order (sorted by offset) after reading.
    public var tensors: [(name: String, tensor: Tensor<Scalar>)]
    /// The free-form `__metadata__` strings.
    public var metadata: [String: String]
    /// The dtype each tensor had in the file it was read from, by name; empty for tensors
    /// made in Swift. Writing does not consult it.
    public var dtypes: [String: SafetensorsDType]

    /// Makes a file's contents from named tensors and metadata.
    public init(tensors: [(name: String, tensor: Tensor<Scalar>)] = [], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
        self.dtypes = [:]
    }

    /// The tensor names, in order.
    public var names: [String] { tensors.map(\.name) }

    /// The first tensor with the given name, or nil.
    public subscript(name: String) -> Tensor<Scalar>? {
        tensors.first { $0.name == name }?.tensor
    }

    /// Reads a safetensors file (memory-mapped, so large files are not copied twice).
    /// - Throws: `RecurrentError` (`.io`) when the file cannot be read, (`.format`) when it is
    ///   malformed, (`.unsupported`) when a tensor has a dtype other than F32, F64, F16, BF16.
    public static func read(_ url: URL) throws -> SafetensorsFile {
        try decode(FileAccess.readMapped(url), name: url.path)
    }

    /// Reads only the tensors whose names pass `isIncluded` (the whole header is still
    /// validated); other tensors may have any dtype.
    public static func read(_ url: URL, including isIncluded: (String) -> Bool) throws -> SafetensorsFile {
        try decode(FileAccess.readMapped(url), name: url.path, including: isIncluded)
    }

    /// Decodes the bytes of a whole safetensors file; `name` (a file name) starts every message.
    /// - Throws: `RecurrentError` (`.format`) when the bytes are malformed, (`.unsupported`)
    ///   when a tensor has a dtype other than F32, F64, F16, BF16.
    public static func decode(
        _ data: Data, name: String, including isIncluded: (String) -> Bool = { _ in true }
    ) throws -> SafetensorsFile {
        try data.withUnsafeBytes { bytes in
            let header = try SafetensorsHeader.parse(bytes, name: name)
            // Shapes are validated against the data: the counts cannot overflow.
            let elements = header.entries.filter { isIncluded($0.name) }.reduce(0) { $0 + $1.shape.reduce(1, *) }
            try MemoryBudget.require(MemoryBudget.product([elements, MemoryLayout<Scalar>.size]),
                                     for: "reading the \(elements) values of \(name)")
            var file = SafetensorsFile(metadata: header.metadata)
            file.tensors.reserveCapacity(header.entries.count)
            for entry in header.entries where isIncluded(entry.name) {
                guard let dtype = SafetensorsDType(rawValue: entry.dtype) else {
                    let supported = SafetensorsDType.allCases.map(\.rawValue).joined(separator: ", ")
                    throw RecurrentError.unsupported(
                        "\(name): tensor '\(entry.name)' has dtype \(entry.dtype), which is not supported "
                            + "(\(supported) only)")
                }
                let count = entry.shape.reduce(1, *)  // Validated: no overflow.
                let scalars: [Scalar] = dtype.encoding.decode(
                    bytes, offset: header.dataStart + entry.dataOffsets.lowerBound, count: count)
                file.tensors.append((entry.name, Tensor(uncheckedShape: entry.shape, scalars: scalars)))
                file.dtypes[entry.name] = dtype
            }
            return file
        }
    }

    /// The bytes of a safetensors file holding these tensors (in order) and the metadata
    /// (`__metadata__` only when non-empty), every tensor stored as `dtype`: by default F32 for
    /// `Float` and F64 for `Double`; narrower dtypes round to nearest, ties to even.
    /// - Throws: `RecurrentError` (`.name`) when a name appears twice or is `__metadata__`.
    public func encode(dtype: SafetensorsDType? = nil) throws -> Data {
        let dtype = dtype ?? .native(for: Scalar.self)
        var seen = Set<String>()
        var entries: [SafetensorsHeader.Entry] = []
        var offset = 0
        for (name, tensor) in tensors {
            guard name != "__metadata__" else {
                throw RecurrentError.name("a tensor cannot be named '__metadata__' in a safetensors file")
            }
            guard seen.insert(name).inserted else {
                throw RecurrentError.name("tensor '\(name)' appears twice")
            }
            let size = tensor.count * dtype.encoding.byteWidth
            entries.append(.init(name: name, dtype: dtype.rawValue, shape: tensor.shape,
                                 dataOffsets: offset..<(offset + size)))
            offset += size
        }
        let header = SafetensorsHeader.encodedJSON(entries: entries, metadata: metadata)
        var data = Data(capacity: 8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: header)
        for (_, tensor) in tensors {
            dtype.encoding.append(tensor.scalars, to: &data)
        }
        return data
    }

    /// Writes the file atomically: to a temporary file in the same directory, then renamed
    /// over `url`. Tensors are stored as `dtype` (see `encode(dtype:)`).
    /// - Throws: `RecurrentError` (`.name`) for a repeated or reserved tensor name, (`.io`)
    ///   naming the path when the file cannot be written.
    public func write(to url: URL, dtype: SafetensorsDType? = nil) throws {
        try FileAccess.writeAtomically(encode(dtype: dtype), to: url)
    }
}

extension ParameterStore {
    /// Makes a store holding a safetensors file's tensors, in file order.
    /// - Throws: `RecurrentError` (`.name`) when a name appears twice.
    public init(safetensors file: SafetensorsFile<Scalar>) throws {
        self.init()
        for (name, tensor) in file.tensors {
            try append(name, tensor)
        }
    }

    /// The store's tensors, in store order, as the contents of a safetensors file.
    public func safetensors(metadata: [String: String] = [:]) -> SafetensorsFile<Scalar> {
        let tensors = entries.map { entry in
            (entry.name, Tensor(uncheckedShape: entry.shape,
                                scalars: Array(storage[entry.offset..<(entry.offset + entry.count)])))
        }
        return SafetensorsFile(tensors: tensors, metadata: metadata)
    }
}
