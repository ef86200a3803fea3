/// Gradients of a network's forward pass.
struct BackwardResult<Scalar: RecurrentScalar> {
    /// ∂L/∂input `(T·B, X)`, when asked for.
    let dInput: Buffer<Scalar>?
    /// ∂L/∂h0 `(L·D, B, Hout)`.
    let dh0: Buffer<Scalar>
    /// ∂L/∂c0 `(L·D, B, H)`, LSTM only.
    let dc0: Buffer<Scalar>?
}

extension RecurrentNetwork {
    /// Backpropagation through time with the network's own parameters (see `NetworkLayout`).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func backward(
        tape: NetworkTape<Scalar>, dOutput: UnsafePointer<Scalar>?, dhN: UnsafePointer<Scalar>?,
        dcN: UnsafePointer<Scalar>?, grads: UnsafeMutablePointer<Scalar>, wantInputGradient: Bool
    ) -> BackwardResult<Scalar> {
        parameters.storage.withUnsafeBufferPointer { params in
            layout.backward(weights: params.baseAddress!, tape: tape, dOutput: dOutput, dhN: dhN, dcN: dcN,
                            grads: grads, wantInputGradient: wantInputGradient, kernels: .current)
        }
    }
}
