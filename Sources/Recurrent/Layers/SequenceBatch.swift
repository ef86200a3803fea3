/// A batch of input sequences in any of PyTorch's layouts, normalised to sequence-first.
struct SequenceBatch<Scalar: RecurrentScalar> {
    /// T
    let steps: Int
    /// B (1 when unbatched)
    let batch: Int
    let isBatched: Bool
    let layout: SequenceLayout
    /// `(T, B, X)` elements.
    let sequenceFirst: [Scalar]

    /// Checks `input`'s shape and values and converts it to sequence-first.
    init(_ input: Tensor<Scalar>, layout: SequenceLayout, inputSize: Int) throws {
        self.layout = layout
        switch input.rank {
        case 2:
            guard input.shape[1] == inputSize else {
                throw RecurrentError.shape(
                    "input: expected (T, \(inputSize)) for an unbatched sequence, got \(describeShape(input.shape))")
            }
            steps = input.shape[0]
            batch = 1
            isBatched = false
            sequenceFirst = input.scalars
        case 3:
            let expected = layout == .sequenceFirst ? "(T, B, \(inputSize))" : "(B, T, \(inputSize))"
            guard input.shape[2] == inputSize else {
                throw RecurrentError.shape("input: expected \(expected), got \(describeShape(input.shape))")
            }
            isBatched = true
            if layout == .sequenceFirst {
                steps = input.shape[0]
                batch = input.shape[1]
                sequenceFirst = input.scalars
            } else {
                steps = input.shape[1]
                batch = input.shape[0]
                sequenceFirst = try input.swappingFirstTwoAxes().scalars
            }
        default:
            throw RecurrentError.shape(
                "input: expected rank 3 (T, B, X) or rank 2 (T, X), got shape \(describeShape(input.shape))")
        }
        if !allFinite(sequenceFirst, kernels: .current), let bad = input.firstNonFiniteIndex,
           let value = input.scalars.first(where: { !$0.isFinite }) {
            throw RecurrentError.value("input\(bad) is \(value); the model reads finite numbers")
        }
    }

    /// Checks per-sequence lengths: one per sequence, each in 0...T.
    func validate(lengths: [Int]?) throws {
        if let lengths { try validateLengths(lengths, batch: batch, steps: steps) }
    }

    /// Sequence-first `(T·B, size)` elements as a tensor in this batch's layout.
    func output(_ flat: [Scalar], size: Int) -> Tensor<Scalar> {
        guard isBatched else { return Tensor(uncheckedShape: [steps, size], scalars: flat) }
        let seqFirst = Tensor(uncheckedShape: [steps, batch, size], scalars: flat)
        return layout == .sequenceFirst ? seqFirst : seqFirst.swappedFirstTwoAxes()
    }
}

/// The one check of per-sequence lengths, wherever they come from: `batch` values, each in
/// `0...steps`; the error names them `name` ("lengths[2] = 9 is outside 0...5").
func validateLengths(_ lengths: [Int], batch: Int, steps: Int, name: String = "lengths") throws {
    guard lengths.count == batch else {
        throw RecurrentError.shape("\(name): expected \(batch) values (one per sequence), got \(lengths.count)")
    }
    if let bad = lengths.firstIndex(where: { $0 < 0 || $0 > steps }) {
        throw RecurrentError.value("\(name)[\(bad)] = \(lengths[bad]) is outside 0...\(steps)")
    }
}
