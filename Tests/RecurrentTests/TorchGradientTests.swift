import Foundation
import Testing
@testable import Recurrent

/// Backpropagation through time against PyTorch autograd: every fixture with gradients.
@Suite("PyTorch gradient parity")
struct TorchGradientTests {
    static var cases: [String] { TorchCase.all.filter { (try? TorchCase($0).hasGrads) == true } }

    /// A tensor in the case's layout as sequence-first `(T, B, ·)` elements.
    func sequenceFirst(_ t: Tensor<Float>, _ f: TorchCase) throws -> [Float] {
        try f.batchFirst && t.rank == 3 ? t.swappingFirstTwoAxes().scalars : t.scalars
    }

    /// 1e-5, scaled by the gradient's size when it exceeds 1: float32 itself cannot do better on
    /// large gradients (PyTorch's own float32 gradients for lstm_long, up to 20 in size, differ
    /// from float64 by 9.7e-6).
    func tolerance(_ expected: [Float]) -> Double { 1e-5 * max(1, Double(expected.map(abs).max() ?? 0)) }

    @Test("∂L/∂(every parameter, input, h0, c0) match PyTorch autograd to 1e-5 (relative to the gradient's size above 1) in Float",
          arguments: cases)
    func gradientsMatchTorch(_ name: String) throws {
        let f = try TorchCase(name)
        let net: RecurrentNetwork<Float> = try f.network()
        let x: Tensor<Float> = try f.npy("input.npy")
        let unbatched = x.rank == 2
        let (T, B) = unbatched ? (x.shape[0], 1) : f.batchFirst ? (x.shape[1], x.shape[0]) : (x.shape[0], x.shape[1])
        let state = try f.initialState(as: Float.self)
        let r = try sequenceFirst(f.npy("r_output.npy"), f)
        let rh: [Float] = try f.npy("r_h_n.npy").scalars
        let rc: [Float]? = f.exists("r_c_n.npy") ? try f.npy("r_c_n.npy").scalars : nil
        let xs = try sequenceFirst(x, f)
        let h0 = state?.h.scalars, c0 = state?.c?.scalars
        let result = xs.withUnsafeBufferPointer { xp in
            (h0 ?? []).withUnsafeBufferPointer { hp in
                (c0 ?? []).withUnsafeBufferPointer { cp in
                    net.forward(input: xp.baseAddress!, steps: T, batch: B, lengths: f.lengths,
                                h0: h0 == nil ? nil : hp.baseAddress, c0: c0 == nil ? nil : cp.baseAddress, recordTape: true)
                }
            }
        }
        var grads = [Float](repeating: 0, count: net.parameterCount)
        let back = grads.withUnsafeMutableBufferPointer { g in
            r.withUnsafeBufferPointer { rp in
                rh.withUnsafeBufferPointer { rhp in
                    (rc ?? []).withUnsafeBufferPointer { rcp in
                        net.backward(tape: result.tape!, dOutput: rp.baseAddress, dhN: rhp.baseAddress,
                                     dcN: rc == nil ? nil : rcp.baseAddress, grads: g.baseAddress!, wantInputGradient: true)
                    }
                }
            }
        }
        let expected = try SafetensorsFile<Float>.read(f.url("grads.safetensors"))
        for entry in net.parameters.entries {
            let theirs = try #require(expected[f.prefix + entry.name], "\(entry.name)")
            #expect(maxAbsDiff(Array(grads[entry.offset..<(entry.offset + entry.count)]), theirs.scalars) <= tolerance(theirs.scalars),
                    "\(entry.name)")
        }
        let dx = try #require(expected["input"])
        #expect(try maxAbsDiff(back.dInput!.array, sequenceFirst(dx, f)) <= tolerance(dx.scalars), "input")
        if let dh0 = expected["h0"] { #expect(maxAbsDiff(back.dh0.array, dh0.scalars) <= tolerance(dh0.scalars), "h0") }
        if let dc0 = expected["c0"] { #expect(maxAbsDiff(try #require(back.dc0).array, dc0.scalars) <= tolerance(dc0.scalars), "c0") }
    }

    @Test("The character model after one Adam step (lr 0.01) matches torch.optim.Adam to 1e-5")
    func charModelAdamStep() throws {
        let dir = TorchCase.root.appendingPathComponent("charmodel")
        var model = try SequenceModel<Float>.load(from: dir.appendingPathComponent("model.safetensors"))
        let tokens = try NPY.read(dir.appendingPathComponent("tokens.npy"), as: Float.self)
        let targets = try NPY.read(dir.appendingPathComponent("targets.npy"), as: Float.self)
        let batch = TrainingBatch<Float>(steps: tokens.shape[0], batch: tokens.shape[1], inputs: .tokens(tokens.scalars.map { Int32($0) }),
                                         targets: .classes(targets.scalars.map { Int32($0) }, positions: .everyStep))
        var g = [Float](repeating: 0, count: model.parameterCount)
        _ = try g.withUnsafeMutableBufferPointer { try model.pass(batch, state: nil, gradients: $0.baseAddress!) }
        var adam = try Optimizer<Float>(.init(kind: .adam, learningRate: 0.01), parameterCount: model.parameterCount)
        try adam.step(parameters: &model.parameters.storage, gradients: g, learningRate: 0.01)
        let expected = try SafetensorsFile<Float>.read(dir.appendingPathComponent("after_adam.safetensors"))
        for entry in model.parameters.entries {
            let ours = Array(model.parameters.storage[entry.offset..<(entry.offset + entry.count)])
            #expect(maxAbsDiff(ours, try #require(expected[entry.name]).scalars) <= 1e-5, "\(entry.name)")
        }
    }
}
