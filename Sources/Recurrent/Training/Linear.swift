/// A fully connected layer, PyTorch's `nn.Linear`: y = x Wᵀ + b, W `(O, I)`, b `(O)` (or none),
/// with its forward and backward pass over N rows at once (as llm.c's `matmul_forward` and
/// `matmul_backward`):
///
///     forward:   y (N, O) = x (N, I) · Wᵀ + b
///     backward:  ∂W (O, I) += ∂yᵀ · x     ∂b (O) += Σ_rows ∂y     ∂x (N, I) = ∂y · W
///
/// W and b live in the model's parameter buffer at `weight` and `bias`; their gradients at the
/// same offsets of a gradient buffer.
struct Linear<Scalar: RecurrentScalar>: Sendable {
    /// I
    let inputSize: Int
    /// O
    let outputSize: Int
    /// Offsets of W and b in the parameter (and gradient) buffer.
    let weight: Int
    let bias: Int?

    /// y = x Wᵀ + b for `rows` rows of x.
    func forward(_ x: UnsafePointer<Scalar>, rows: Int, parameters: UnsafePointer<Scalar>, into y: UnsafeMutablePointer<Scalar>,
                 kernels: Kernels) {
        gemm(MatrixView(x, rows: rows, cols: inputSize), MatrixView(parameters + weight, rows: outputSize, cols: inputSize).transposed,
             MutableMatrixView(y, rows: rows, cols: outputSize), accumulate: false, kernels: kernels,
             bias: bias.map { parameters + $0 })
    }

    /// Adds ∂W and ∂b into `gradients`; writes ∂x when asked.
    func backward(_ dy: UnsafePointer<Scalar>, x: UnsafePointer<Scalar>, rows: Int, parameters: UnsafePointer<Scalar>,
                  gradients: UnsafeMutablePointer<Scalar>, dx: UnsafeMutablePointer<Scalar>?, kernels: Kernels) {
        let dyView = MatrixView(dy, rows: rows, cols: outputSize)
        gemm(dyView.transposed, MatrixView(x, rows: rows, cols: inputSize),
             MutableMatrixView(gradients + weight, rows: outputSize, cols: inputSize), accumulate: true, kernels: kernels)
        if let bias { addColumnSums(dy, rows: rows, cols: outputSize, into: gradients + bias, kernels: kernels) }
        if let dx {
            gemm(dyView, MatrixView(parameters + weight, rows: outputSize, cols: inputSize),
                 MutableMatrixView(dx, rows: rows, cols: inputSize), accumulate: false, kernels: kernels)
        }
    }
}

/// A table of vectors, PyTorch's `nn.Embedding`: x_t = E[token_t], E `(V, X)`.
///
///     forward:   the first recurrent layer reads the tokens through E: it projects every row of
///                E once (V rows of work) and looks the projections up (`TokenInput`), instead
///                of copying T·B rows of E and projecting each
///     backward:  ∂E (V, X) += what that layer returns for its input, ∂L/∂E summed by token
struct Embedding<Scalar: RecurrentScalar>: Sendable {
    /// V
    let vocabulary: Int
    /// X
    let width: Int
    /// The offset of E in the parameter (and gradient) buffer.
    let weight: Int

    /// Checks the ids: each in 0..<V.
    /// - Throws: `RecurrentError` naming the first id out of range and its position.
    func check(_ ids: [Int32]) throws {
        if let bad = ids.firstIndex(where: { $0 < 0 || Int($0) >= vocabulary }) {
            throw RecurrentError.value("token \(ids[bad]) (at position \(bad)) is outside the vocabulary 0..<\(vocabulary)")
        }
    }

    /// The first layer's input: the ids and the table they index.
    func input(_ ids: UnsafePointer<Int32>, parameters: UnsafePointer<Scalar>) -> TokenInput<Scalar> {
        TokenInput(ids: ids, embedding: parameters + weight, vocabulary: vocabulary)
    }

    /// ∂E += `dTable` `(V, X)`, what the first layer's backward pass summed by token.
    func backward(_ dTable: UnsafePointer<Scalar>, gradients: UnsafeMutablePointer<Scalar>, kernels: Kernels) {
        addLanes(gradients + weight, dTable, vocabulary * width, table: kernels.table(Scalar.self))
    }
}
