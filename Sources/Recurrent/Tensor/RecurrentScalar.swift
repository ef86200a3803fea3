import RealModule

/// A floating-point type the networks compute in: `Float` (the fast path) or `Double` (the
/// reference used by tests and gradient checks). No other type conforms.
///
/// Both run the same kernels, compiled for each type; only the activation functions differ.
/// `Float` uses rational approximations of tanh and sigmoid (within 1e-6 absolute of the exact
/// functions); `Double` uses the exact library functions.
public protocol RecurrentScalar: BinaryFloatingPoint, Real, SIMDScalar, Sendable, Codable,
    LosslessStringConvertible
where RawSignificand: FixedWidthInteger, RawExponent: FixedWidthInteger {
    /// NumPy's name for the type: `"float32"` or `"float64"`.
    static var numpyName: String { get }
}

extension Float: RecurrentScalar {
    public static var numpyName: String { "float32" }
}

extension Double: RecurrentScalar {
    public static var numpyName: String { "float64" }
}
