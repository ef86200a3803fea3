/// Small helpers shared by the data sources.

extension InputSpec {
    /// The width of one step's input vector (1 for a token id).
    var vectorSize: Int {
        switch self {
        case .vectors(let size): size
        case .tokens: 1
        }
    }
}

/// `0..<count` cut into consecutive ranges of `batchSize`, the last one possibly smaller.
func batchRanges(count: Int, batchSize: Int) -> [Range<Int>] {
    stride(from: 0, to: count, by: batchSize).map { $0..<min($0 + batchSize, count) }
}

/// The longest sequence a built-in task accepts (2^40 steps): every length arithmetic on a
/// task (T + T/10, 2S + T) stays far from overflow, and a batch of that length is refused by
/// its memory check, not by an allocation.
let maximumTaskLength = 1 << 40

/// Checks a task parameter, with an error naming it and what it must be.
func requireTaskParameter(_ condition: Bool, _ message: @autoclosure () -> String) throws {
    if !condition { throw RecurrentError.value(message()) }
}

/// The values as `Scalar`, with concrete loops for `Float` and `Double` (the generic
/// conversion runs unspecialised when reached through an existential and is many times slower).
func convertScalars<Scalar: RecurrentScalar>(_ values: [Double]) -> [Scalar] {
    if Scalar.self == Double.self { return unsafeBitCast(values, to: [Scalar].self) }
    if Scalar.self == Float.self { return unsafeBitCast(values.map { Float($0) }, to: [Scalar].self) }
    return values.map { Scalar($0) }
}

/// The values as `Scalar`; see `convertScalars(_: [Double])`.
func convertScalars<Scalar: RecurrentScalar>(_ values: [Float]) -> [Scalar] {
    if Scalar.self == Float.self { return unsafeBitCast(values, to: [Scalar].self) }
    if Scalar.self == Double.self { return unsafeBitCast(values.map { Double($0) }, to: [Scalar].self) }
    return values.map { Scalar($0) }
}
