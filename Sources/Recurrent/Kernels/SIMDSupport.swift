import CRecurrentSupport

/// Whether the build targets a CPU with fused multiply-add; a compile-time constant.
@inline(__always)
var targetHasFMA: Bool { RECURRENT_HAS_FMA != 0 }

/// `c + a * b` lane-wise: one fused instruction when the build targets FMA
/// (`-Xswiftc -target-cpu -Xswiftc native`), a multiply and an add otherwise. Never the
/// per-lane `fmaf` library call that `addingProduct` compiles to without FMA.
@inline(__always)
func multiplyAdd<V: SIMD>(_ a: V, _ b: V, _ c: V) -> V where V.Scalar: BinaryFloatingPoint {
    if targetHasFMA {
        return c.addingProduct(a, b)
    } else {
        return c + a * b
    }
}

/// Scalar `c + a * b`, rounded the same way as `multiplyAdd` on vectors.
@inline(__always)
func multiplyAdd<S: BinaryFloatingPoint>(_ a: S, _ b: S, _ c: S) -> S {
    if targetHasFMA {
        return c.addingProduct(a, b)
    } else {
        return c + a * b
    }
}

extension SIMD8 where Scalar: BinaryFloatingPoint {
    /// Loads 8 lanes from `pointer` (no alignment needed).
    @inline(__always)
    init(loading pointer: UnsafePointer<Scalar>) {
        self = UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Scalar>.self)
    }

    /// Loads the first `count` (< 8) lanes from `pointer`; the other lanes are zero.
    @inline(__always)
    init(loading pointer: UnsafePointer<Scalar>, count: Int) {
        self.init()
        for lane in 0..<count { self[lane] = pointer[lane] }
    }

    /// Stores all 8 lanes to `pointer`.
    @inline(__always)
    func store(to pointer: UnsafeMutablePointer<Scalar>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: self, as: SIMD8<Scalar>.self)
    }

    /// Stores the first `count` (< 8) lanes to `pointer`.
    @inline(__always)
    func store(to pointer: UnsafeMutablePointer<Scalar>, count: Int) {
        for lane in 0..<count { pointer[lane] = self[lane] }
    }
}

extension SIMD16 where Scalar: BinaryFloatingPoint {
    /// Loads 16 lanes from `pointer` (no alignment needed).
    @inline(__always)
    init(loading pointer: UnsafePointer<Scalar>) {
        self = UnsafeRawPointer(pointer).loadUnaligned(as: SIMD16<Scalar>.self)
    }

    /// Loads the first `count` (< 16) lanes from `pointer`; the other lanes are zero.
    @inline(__always)
    init(loading pointer: UnsafePointer<Scalar>, count: Int) {
        self.init()
        for lane in 0..<count { self[lane] = pointer[lane] }
    }

    /// Stores all 16 lanes to `pointer`.
    @inline(__always)
    func store(to pointer: UnsafeMutablePointer<Scalar>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: self, as: SIMD16<Scalar>.self)
    }

    /// Stores the first `count` (< 16) lanes to `pointer`.
    @inline(__always)
    func store(to pointer: UnsafeMutablePointer<Scalar>, count: Int) {
        for lane in 0..<count { pointer[lane] = self[lane] }
    }
}

/// Runs `body(offset, count)` over `0..<n` in chunks of 16 lanes; the last chunk may be
/// shorter (`count < 16`), and its body must then load and store partially. The cells'
/// element-wise steps use it: one AVX-512 register per chunk.
@inline(__always)
func forEachLaneChunk16(_ n: Int, _ body: (_ offset: Int, _ count: Int) -> Void) {
    var j = 0
    while j + 16 <= n {
        body(j, 16)
        j += 16
    }
    if j < n { body(j, n - j) }
}

/// Loads `count` (1...16) lanes; a full load when `count == 16`.
@inline(__always)
func load16<S: BinaryFloatingPoint & SIMDScalar>(_ p: UnsafePointer<S>, _ count: Int) -> SIMD16<S> {
    count == 16 ? SIMD16(loading: p) : SIMD16(loading: p, count: count)
}

@inline(__always)
func load16<S: BinaryFloatingPoint & SIMDScalar>(_ p: UnsafeMutablePointer<S>, _ count: Int) -> SIMD16<S> {
    load16(UnsafePointer(p), count)
}

/// Stores `count` (1...16) lanes; a full store when `count == 16`.
@inline(__always)
func store16<S: BinaryFloatingPoint & SIMDScalar>(_ v: SIMD16<S>, _ p: UnsafeMutablePointer<S>, _ count: Int) {
    if count == 16 { v.store(to: p) } else { v.store(to: p, count: count) }
}

/// Runs `body(offset, count)` over `0..<n` in chunks of 8 lanes; the last chunk may be
/// shorter (`count < 8`), and its body must then load and store partially.
@inline(__always)
func forEachLaneChunk(_ n: Int, _ body: (_ offset: Int, _ count: Int) -> Void) {
    var j = 0
    while j + 8 <= n {
        body(j, 8)
        j += 8
    }
    if j < n { body(j, n - j) }
}

/// Loads `count` (1...8) lanes; full loads when `count == 8`.
@inline(__always)
func load8<S: BinaryFloatingPoint & SIMDScalar>(_ p: UnsafePointer<S>, _ count: Int) -> SIMD8<S> {
    count == 8 ? SIMD8(loading: p) : SIMD8(loading: p, count: count)
}

/// Stores `count` (1...8) lanes; full stores when `count == 8`.
@inline(__always)
func store8<S: BinaryFloatingPoint & SIMDScalar>(_ v: SIMD8<S>, _ p: UnsafeMutablePointer<S>, _ count: Int) {
    if count == 8 { v.store(to: p) } else { v.store(to: p, count: count) }
}

@inline(__always)
func load8<S: BinaryFloatingPoint & SIMDScalar>(_ p: UnsafeMutablePointer<S>, _ count: Int) -> SIMD8<S> {
    load8(UnsafePointer(p), count)
}
