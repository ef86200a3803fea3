/// Named tensors kept in one contiguous buffer, in a fixed order.
///
/// A network's parameters live in one `ParameterStore` under PyTorch's names
/// (`weight_ih_l0`, `bias_hh_l1_reverse`, ...), and its gradients in a second store with the
/// same entries. Optimizers, gradient clipping and checkpoints then work on one flat buffer.
public struct ParameterStore<Scalar: RecurrentScalar>: Equatable, Sendable {
    /// One named tensor: where it starts in `storage` and its shape.
    public struct Entry: Equatable, Sendable {
        /// The tensor's name, for example `weight_ih_l0`.
        public let name: String
        /// Its shape, for example `(4H, X)`.
        public let shape: [Int]
        /// Index of its first element in `storage`.
        public let offset: Int
        /// Its element count.
        public var count: Int { shape.reduce(1, *) }
    }

    /// The tensors, in order.
    public private(set) var entries: [Entry] = []
    /// All elements, each tensor's row-major elements at its entry's offset.
    public internal(set) var storage: [Scalar] = []
    private var indexByName: [String: Int] = [:]

    /// An empty store.
    public init() {}

    /// A store with the same names and shapes as `other`, every element zero (a gradient store).
    public init(zerosLike other: ParameterStore) {
        entries = other.entries
        indexByName = other.indexByName
        storage = Array(repeating: 0, count: other.storage.count)
    }

    /// Makes room for `count` elements at once, so that appending a large model's tensors one
    /// by one does not copy its storage into buffers twice its size on the way.
    public mutating func reserveCapacity(_ count: Int) { storage.reserveCapacity(count) }

    /// The names of the tensors, in order.
    public var names: [String] { entries.map(\.name) }

    /// The total number of elements (the parameter count).
    public var scalarCount: Int { storage.count }

    /// Appends a tensor of zeros.
    /// - Throws: `RecurrentError`: `.name` when the name is already present, `.shape` for a
    ///   negative dimension or a count that overflows, `.memory` when the store would not fit.
    public mutating func append(_ name: String, shape: [Int]) throws {
        let count = try Tensor<Scalar>.elementCount(shape)
        // Only when the storage must grow: a new buffer for all of it while the old one is still
        // held (a caller that knows the total reserves it first, so that nothing grows).
        if storage.capacity - storage.count < count {
            try MemoryBudget.require(MemoryBudget.product([MemoryBudget.sum([storage.count, count]), MemoryLayout<Scalar>.stride]),
                                     for: "the parameters with '\(name)' of shape \(describeShape(shape))")
        }
        try register(name, shape: shape)
        storage.append(contentsOf: repeatElement(0, count: count))
    }

    /// Appends a tensor with its values (copied whole: zeros then a replacement took a
    /// quarter of loading a 1M-parameter model).
    public mutating func append(_ name: String, _ tensor: Tensor<Scalar>) throws {
        try register(name, shape: tensor.shape)
        storage.append(contentsOf: tensor.scalars)
    }

    /// Enters `name` at the end of the storage.
    /// - Throws: `RecurrentError` (`.name`) when the name is already present.
    private mutating func register(_ name: String, shape: [Int]) throws {
        guard indexByName[name] == nil else {
            throw RecurrentError.name("tensor '\(name)' appears twice")
        }
        indexByName[name] = entries.count
        entries.append(Entry(name: name, shape: shape, offset: storage.count))
    }

    /// The entry with the given name, if any.
    public func entry(_ name: String) -> Entry? {
        indexByName[name].map { entries[$0] }
    }

    /// Whether a tensor of that name is present.
    public func contains(_ name: String) -> Bool { indexByName[name] != nil }

    /// The offset of a tensor known to be present.
    func offset(of name: String) -> Int {
        guard let i = indexByName[name] else { preconditionFailure("no tensor named \(name)") }
        return entries[i].offset
    }

    /// A copy of the named tensor, or nil.
    public subscript(name: String) -> Tensor<Scalar>? {
        guard let entry = entry(name) else { return nil }
        return Tensor(uncheckedShape: entry.shape,
                      scalars: Array(storage[entry.offset..<(entry.offset + entry.count)]))
    }

    /// Replaces the values of a tensor already present.
    /// - Throws: `RecurrentError` (`.name`) for an unknown name, (`.shape`) for a shape that differs.
    public mutating func set(_ name: String, _ tensor: Tensor<Scalar>) throws {
        guard let entry = entry(name) else {
            throw RecurrentError.name("no tensor named '\(name)'")
        }
        guard entry.shape == tensor.shape else {
            throw RecurrentError.shape(
                "\(name): expected shape \(describeShape(entry.shape)), got \(describeShape(tensor.shape))")
        }
        storage.replaceSubrange(entry.offset..<(entry.offset + entry.count), with: tensor.scalars)
    }

    /// Sets every element to zero.
    public mutating func zero() {
        storage.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }

    /// The elements converted to another scalar type, same names and shapes.
    public func converted<Other: RecurrentScalar>(to: Other.Type = Other.self) -> ParameterStore<Other> {
        var out = ParameterStore<Other>()
        out.entries = entries.map { ParameterStore<Other>.Entry(name: $0.name, shape: $0.shape, offset: $0.offset) }
        out.indexByName = indexByName
        out.storage = storage.map { Other($0) }
        return out
    }

    /// The same tensors with `prefix` put before every name (`rnn.` + `weight_ih_l0`).
    public func prefixed(_ prefix: String) -> ParameterStore {
        var out = self
        out.entries = entries.map { Entry(name: prefix + $0.name, shape: $0.shape, offset: $0.offset) }
        out.indexByName = Dictionary(uniqueKeysWithValues: out.entries.enumerated().map { ($1.name, $0) })
        return out
    }
}
