import CRecurrentKernels

/// The activation functions of the kernels, over whole arrays (the cells apply them inside
/// their own kernels; this entry is for tests, benchmarks and one-off values).
///
/// `Float` uses a rational approximation of tanh (odd degree-13 numerator over even degree-6
/// denominator, Eigen's coefficients), within 1e-6 absolute of the exact function everywhere
/// (measured over [-20, 20]: 2.6e-7 with FMA, 3.7e-7 without), exactly ±1 past ±9; sigmoid is
/// 1/2 + tanh(x/2)/2 (exactly 0 and 1 past ∓18). `Double`, the reference, uses the exact library
/// functions. NaN goes in, NaN comes out.
enum Activation: Int32, CaseIterable, Sendable {
    case tanh = 0
    case sigmoid = 1
    case relu = 2

    /// f(x) for every element, with the kernels of `kernels`.
    func callAsFunction<Scalar: RecurrentScalar>(_ x: [Scalar], kernels: Kernels) -> [Scalar] {
        var y = [Scalar](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                guard let xb = xp.baseAddress, let yb = yp.baseAddress else { return }
                kernels.table(Scalar.self).pointee.activation(rawValue, x.count, xb, yb)
            }
        }
        return y
    }
}
