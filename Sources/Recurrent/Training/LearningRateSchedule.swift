import Foundation

/// How the learning rate changes from one optimizer step to the next, as PyTorch's schedulers
/// stepped once after every optimizer step (`opt.step(); scheduler.step()`).
public enum LearningRateSchedule: Equatable, Sendable, Codable {
    /// The base rate at every step.
    case constant
    /// StepLR, advanced once per optimizer step: `base · gamma^⌊k / stepSize⌋` at step k.
    case step(stepSize: Int, gamma: Double)
    /// CosineAnnealingLR(T_max: totalSteps, eta_min: minimum):
    /// `minimum + (base − minimum) · (1 + cos(π k / totalSteps)) / 2` at step k. As in PyTorch,
    /// the curve continues past `totalSteps` (it rises again, with period 2 · totalSteps).
    case cosine(totalSteps: Int, minimum: Double)

    /// The rate for the optimizer step after `step` steps have been taken (0 for the first step).
    ///
    /// PyTorch computes the cosine schedule recursively; this closed form agrees with it to
    /// about 1e-18 at the step counts tested.
    /// - Throws: `RecurrentError` (`.value`) for a schedule `validate` refuses or a negative step.
    public func learningRate(base: Double, step: Int) throws -> Double {
        try validate()
        guard step >= 0 else { throw RecurrentError.value("learning rate schedule: step \(step) is negative") }
        switch self {
        case .constant:
            return base
        case let .step(stepSize, gamma):
            return base * pow(gamma, Double(step / stepSize))
        case let .cosine(totalSteps, minimum):
            return minimum + (base - minimum) * (1 + cos(Double.pi * Double(step) / Double(totalSteps))) / 2
        }
    }

    /// Throws for stepSize <= 0, totalSteps <= 0, negative gamma/minimum.
    ///
    /// `RecurrentError` (`.value`) naming the parameter; gamma and minimum must also be finite.
    public func validate() throws {
        switch self {
        case .constant:
            return
        case let .step(stepSize, gamma):
            guard stepSize > 0 else {
                throw RecurrentError.value("step schedule: step size must be > 0, got \(stepSize)")
            }
            guard gamma.isFinite, gamma >= 0 else {
                throw RecurrentError.value("step schedule: gamma must be a finite number >= 0, got \(gamma)")
            }
        case let .cosine(totalSteps, minimum):
            guard totalSteps > 0 else {
                throw RecurrentError.value("cosine schedule: total steps must be > 0, got \(totalSteps)")
            }
            guard minimum.isFinite, minimum >= 0 else {
                throw RecurrentError.value("cosine schedule: minimum learning rate must be a finite number >= 0, got \(minimum)")
            }
        }
    }
}

/// PyTorch's `clip_grad_norm_`: scales `gradients` in place so their global L2 norm is at most `maxNorm`
/// (factor min(1, maxNorm / (norm + 1e-6))); returns the norm before clipping. Accumulate the sum of squares in Double.
///
/// The factor is converted to `Scalar` before the multiplication, as PyTorch multiplies by a
/// tensor of the gradients' dtype. A non-finite norm is returned with the gradients unchanged,
/// and so is every norm when `maxNorm` is infinite (no clipping, as in PyTorch).
/// - Throws: `RecurrentError` (`.value`) when `maxNorm` is negative or NaN.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func clipGradientNorm<Scalar: RecurrentScalar>(_ gradients: inout [Scalar], maxNorm: Double) throws -> Double {
    guard maxNorm >= 0 else { throw RecurrentError.value("clip norm must be at least 0, got \(maxNorm)") }
    let norm = gradients.withUnsafeBufferPointer { sumOfSquares($0) }.squareRoot()
    let coefficient = maxNorm / (norm + 1e-6)
    guard norm.isFinite, coefficient < 1 else { return norm }
    let factor = Scalar(coefficient)
    gradients.withUnsafeMutableBufferPointer { g in
        for i in g.indices { g[i] *= factor }
    }
    return norm
}

/// Σ x² in Double, over eight independent partial sums (so the loop vectorizes).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func sumOfSquares<Scalar: RecurrentScalar>(_ x: UnsafeBufferPointer<Scalar>) -> Double {
    var partial = SIMD8<Double>()
    var i = 0
    let n = x.count
    while i + 8 <= n {
        for lane in 0..<8 {
            let value = Double(x[i + lane])
            partial[lane] += value * value
        }
        i += 8
    }
    var total = partial.sum()
    while i < n {
        let value = Double(x[i])
        total += value * value
        i += 1
    }
    return total
}
