import RealModule

/// A floating-point type the networks compute in: `Float` (the fast path) or `Double`
/// (the reference used by tests and gradient checks).
///
/// Both run the same generic code, specialized for each type; only the activation functions
/// differ. `Float` uses SIMD rational approximations of tanh and sigmoid (within 1e-6 absolute
/// of the exact functions); `Double` uses the exact library functions.
public protocol RecurrentScalar: BinaryFloatingPoint, Real, SIMDScalar, Sendable, Codable,
    LosslessStringConvertible
where RawSignificand: FixedWidthInteger, RawExponent: FixedWidthInteger {
    /// NumPy's name for the type: `"float32"` or `"float64"`.
    static var numpyName: String { get }
    /// tanh of every lane.
    static func tanh(_ x: SIMD8<Self>) -> SIMD8<Self>
    /// The logistic sigmoid 1 / (1 + e^-x) of every lane.
    static func sigmoid(_ x: SIMD8<Self>) -> SIMD8<Self>
    /// tanh of every lane, lane by lane the same as on 8 lanes.
    static func tanh(_ x: SIMD16<Self>) -> SIMD16<Self>
    /// The logistic sigmoid of every lane, lane by lane the same as on 8 lanes.
    static func sigmoid(_ x: SIMD16<Self>) -> SIMD16<Self>
}

extension Float: RecurrentScalar {
    public static var numpyName: String { "float32" }
}

extension Double: RecurrentScalar {
    public static var numpyName: String { "float64" }
}
