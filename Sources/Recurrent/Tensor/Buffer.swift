import Synchronization

/// The bytes held by scratch buffers (`Buffer`) now and at most since the last reset: the
/// working memory of forward and backward passes, beyond the parameters and gradients.
public enum ScratchMemory {
    private static let current = Atomic<Int>(0)
    private static let peakBytes = Atomic<Int>(0)

    /// Bytes held now.
    public static var bytes: Int { current.load(ordering: .relaxed) }
    /// The most bytes held at once since the last `resetPeak()`.
    public static var peak: Int { peakBytes.load(ordering: .relaxed) }
    /// Starts a new peak measurement from the bytes held now.
    public static func resetPeak() { peakBytes.store(current.load(ordering: .relaxed), ordering: .relaxed) }

    static func allocate(_ n: Int) {
        let now = current.wrappingAdd(n, ordering: .relaxed).newValue
        var seen = peakBytes.load(ordering: .relaxed)
        while now > seen {
            let (exchanged, original) = peakBytes.compareExchange(expected: seen, desired: now, ordering: .relaxed)
            if exchanged { break }
            seen = original
        }
    }

    static func free(_ n: Int) { current.wrappingSubtract(n, ordering: .relaxed) }
}

/// Large freed blocks kept for the next buffer of the same size, so a network called again and
/// again (a training loop, a benchmark, a server) reuses memory the OS has already mapped
/// instead of taking a page fault on every 4 KB of a fresh block: for a 50 MB input projection
/// that is 12,000 faults per call. Blocks of at least `minimumBytes` only; at most
/// `capacityBytes` kept, the oldest released first. Not counted by `ScratchMemory`.
enum BlockCache {
    static let minimumBytes = 256 * 1024
    static let capacityBytes = 512 * 1024 * 1024
    /// (bytes, address) of the kept blocks, oldest first.
    private static let blocks = Mutex<[(bytes: Int, address: UInt)]>([])

    /// A 64-byte-aligned block of `byteCount` bytes: a cached one of that size, or a new one.
    static func take(byteCount: Int) -> UnsafeMutableRawPointer {
        if byteCount >= minimumBytes {
            let cached = blocks.withLock { blocks -> UInt? in
                guard let i = blocks.lastIndex(where: { $0.bytes == byteCount }) else { return nil }
                return blocks.remove(at: i).address
            }
            if let cached, let pointer = UnsafeMutableRawPointer(bitPattern: cached) { return pointer }
        }
        return UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: 64)
    }

    /// Returns a block from `take(byteCount:)`: kept when large, else freed.
    static func give(_ pointer: UnsafeMutableRawPointer, byteCount: Int) {
        guard byteCount >= minimumBytes, byteCount <= capacityBytes else {
            pointer.deallocate()
            return
        }
        let released = blocks.withLock { blocks -> [UInt] in
            blocks.append((byteCount, UInt(bitPattern: pointer)))
            var total = blocks.reduce(0) { $0 + $1.bytes }
            var released: [UInt] = []
            while total > capacityBytes {
                let oldest = blocks.removeFirst()
                total -= oldest.bytes
                released.append(oldest.address)
            }
            return released
        }
        for address in released { UnsafeMutableRawPointer(bitPattern: address)?.deallocate() }
    }
}

/// A fixed-size, 64-byte-aligned scratch array of `Scalar`, zero-initialised, freed with the
/// object. The runners allocate all their buffers before a time loop, never inside it.
final class Buffer<Scalar: BinaryFloatingPoint>: @unchecked Sendable {
    // Invariant (why `@unchecked Sendable`): the memory is owned for the object's life; threads sharing a buffer write disjoint elements, and readers wait for writers at a pool job's end or a meeting.
    let base: UnsafeMutablePointer<Scalar>
    let count: Int

    convenience init(count: Int) {
        self.init(uninitializedCount: count)
        base.initialize(repeating: 0, count: count)
    }

    /// A buffer whose elements the caller writes, every one, before any is read (a tape, a
    /// projection filled from the biases): no zeroing pass over memory about to be overwritten.
    /// An empty buffer takes no memory (a pass makes several, for states a cell does not have).
    init(uninitializedCount count: Int) {
        self.count = count
        guard count > 0 else {
            base = Buffer.emptyBase
            return
        }
        ScratchMemory.allocate(count * MemoryLayout<Scalar>.stride)
        let raw = BlockCache.take(byteCount: count * MemoryLayout<Scalar>.stride)
        base = raw.bindMemory(to: Scalar.self, capacity: count)
    }

    /// The base of every empty buffer: an aligned address never read or written (count 0), so
    /// pointer arithmetic by zero on it stays valid.
    private static var emptyBase: UnsafeMutablePointer<Scalar> {
        UnsafeMutablePointer(bitPattern: 64)!
    }

    /// A buffer holding a copy of `source`'s `count` elements, or zeros when `source` is nil.
    convenience init(count: Int, copying source: UnsafePointer<Scalar>?) {
        if let source {
            self.init(uninitializedCount: count)
            base.initialize(from: source, count: count)
        } else {
            self.init(count: count)
        }
    }

    deinit {
        guard count > 0 else { return }
        ScratchMemory.free(count * MemoryLayout<Scalar>.stride)
        BlockCache.give(UnsafeMutableRawPointer(base), byteCount: count * MemoryLayout<Scalar>.stride)
    }

    var array: [Scalar] { Array(UnsafeBufferPointer(start: base, count: count)) }

    func zero() { base.update(repeating: 0, count: count) }
}

extension UnsafeMutablePointer where Pointee: BinaryFloatingPoint {
    /// Fills `rows` rows of `cols` elements (rows `stride` apart) with `vector`, or zeros if nil.
    func fillRows(_ rows: Int, cols: Int, stride: Int? = nil, with vector: UnsafePointer<Pointee>?) {
        let stride = stride ?? cols
        for r in 0..<rows {
            let row = self + r * stride
            if let vector { row.update(from: vector, count: cols) } else { row.update(repeating: 0, count: cols) }
        }
    }
}
