import Foundation
import Testing
@testable import Recurrent

/// A case written by `scripts/make_model_fixtures.py`: a PyTorch module under its user's names.
struct ModelCase {
    static let root = TorchCase.root.deletingLastPathComponent().appendingPathComponent("models")
    static let runnable = ["embed_lstm_batch_first", "gru_encoder_decoder", "bilstm_linear", "embed_gru_int32_lengths"]

    let directory: URL
    let info: [String: Any]

    init(_ name: String) throws {
        directory = Self.root.appendingPathComponent(name)
        info = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("case.json"))) as! [String: Any]
    }

    func url(_ file: String) -> URL { directory.appendingPathComponent(file) }
    var layout: SequenceLayout { info["batch_first"] as? Bool == true ? .batchFirst : .sequenceFirst }
    var lengths: [Int]? { info["lengths"] as? [Int] }
    var roles: [String: String?] { (info["roles"] as? [String: Any] ?? [:]).mapValues { $0 as? String } }
    func model() throws -> SequenceModel<Float> { try SequenceModel<Float>.load(from: url("model.safetensors")) }

    /// y, state = model(x) on the case's input (tokens or vectors).
    func run(_ model: SequenceModel<Float>) throws -> (output: Tensor<Float>, state: RecurrentState<Float>) {
        switch try NPY.readContents(url("input.npy"), as: Float.self) {
        case .values(let x): return try model(x, lengths: lengths, layout: layout)
        case .integers(let shape, let values):
            return try model(TokenSequences(shape: shape, ids: values.map { Int32($0) }), lengths: lengths, layout: layout)
        }
    }

    /// ∂L/∂y of the fixtures' loss L = Σ w·sin(y) + ½ Σ y².
    func lossGradient(_ y: Tensor<Float>) throws -> Tensor<Float> {
        let w: Tensor<Float> = try NPY.read(url("loss_weights.npy"))
        return try Tensor(shape: y.shape, scalars: zip(w.scalars, y.scalars).map { $0 * cos($1) + $1 })
    }
}

@Suite("Whole PyTorch models under their own names")
struct WholeModelTests {
    @Test("Roles are found from names and shapes, and the output and final states match PyTorch to 1e-5",
          arguments: ModelCase.runnable)
    func matchesPyTorch(name: String) throws {
        let c = try ModelCase(name)
        let model = try c.model()
        let cfg = model.configuration
        #expect(cfg.recurrentPrefix == c.roles["prefix"]!)
        #expect(cfg.vocabularySize == nil ? c.roles["embedding"]! == nil : cfg.embeddingName == c.roles["embedding"]!)
        #expect(cfg.headPrefix == c.roles["head"]!)
        let (y, state) = try c.run(model)
        let expected: Tensor<Float> = try NPY.read(c.url("output.npy"))
        #expect(y.shape == expected.shape)
        #expect(maxAbsDiff(y.scalars, expected.scalars) < 1e-5)
        let h: Tensor<Float> = try NPY.read(c.url("h_n.npy"))
        #expect(state.h.shape == h.shape && maxAbsDiff(state.h.scalars, h.scalars) < 1e-5)
        if FileManager.default.fileExists(atPath: c.url("c_n.npy").path) {
            let cN: Tensor<Float> = try NPY.read(c.url("c_n.npy"))
            #expect(maxAbsDiff(try #require(state.c).scalars, cN.scalars) < 1e-5)
        }
    }

    @Test("A loss of the caller's own: gradients from its ∂L/∂y equal PyTorch autograd's",
          arguments: ["embed_lstm_batch_first", "gru_encoder_decoder"])
    func customLossGradients(name: String) throws {
        let c = try ModelCase(name)
        let model = try c.model()
        let (y, _) = try c.run(model)
        let dy = try c.lossGradient(y)
        let grads: ModelGradients<Float>
        switch try NPY.readContents(c.url("input.npy"), as: Float.self) {
        case .values(let x):
            grads = try model.gradients(of: x, outputGradient: dy, layout: c.layout)
            let expected: Tensor<Float> = try NPY.read(c.url("input_grad.npy"))
            #expect(maxAbsDiff(try #require(grads.input).scalars, expected.scalars) < 1e-4)
        case .integers(let shape, let values):
            grads = try model.gradients(of: TokenSequences(shape: shape, ids: values.map { Int32($0) }), outputGradient: dy,
                                        layout: c.layout)
            #expect(grads.input == nil)
        }
        let torch = try SafetensorsFile<Float>.read(c.url("grads.safetensors"))
        #expect(Set(torch.tensors.map(\.name)) == Set(grads.parameters.entries.map(\.name)))
        for (tensorName, expected) in torch.tensors {
            let ours = try #require(grads.parameters[tensorName])
            let scale = max(1, expected.scalars.map { abs(Double($0)) }.max() ?? 0)
            #expect(maxAbsDiff(ours.scalars, expected.scalars) < 1e-4 * scale, "\(tensorName)")
        }
    }

    @Test("Saving writes back the module's state_dict: the same tensor names, shapes and values (what load_state_dict(strict=True) checks)",
          arguments: ModelCase.runnable)
    func savingKeepsSourceNames(name: String) throws {
        let c = try ModelCase(name)
        let dir = try CLI.temporaryDirectory()
        let saved = dir.appendingPathComponent("saved.safetensors")
        try c.model().write(to: saved)
        let original = try SafetensorsFile<Float>.read(c.url("model.safetensors"))
        let written = try SafetensorsFile<Float>.read(saved)
        #expect(written.tensors.map(\.name).sorted() == original.tensors.map(\.name).sorted())
        for (tensorName, tensor) in original.tensors {
            #expect(written.tensors.first { $0.name == tensorName }?.tensor == tensor, "\(tensorName)")
        }
        // And it loads back (now from its metadata) with the same outputs.
        #expect(try ModelCase(name).run(SequenceModel<Float>.load(from: saved)).output == c.run(c.model()).output)
    }

    @Test("Streaming a whole model step by step gives its whole-sequence call: tokens through the embedding and vectors")
    func streamEqualsWholeCall() throws {
        let tagger = try ModelCase("embed_lstm_batch_first").model()
        let tokens = try TokenSequences(shape: [5, 2], ids: [3, 7, 19, 0, 4, 4, 11, 2, 8, 15])
        let whole = try tagger(tokens).output
        var stream = try ModelStream(model: tagger, batch: 2)
        var steps: [Float] = []
        for t in 0..<5 { steps += try stream.step(tokens: Array(tokens.ids[(2 * t)..<(2 * t + 2)])).scalars }
        #expect(steps == whole.scalars)
        #expect(stream.state.h == (try tagger(tokens).state.h))
        // 40 ids (at least the vocabulary's 20) are projected through the table of every token's
        // row; one step's 2 ids are looked up and projected: the same numbers.
        let long = try TokenSequences(shape: [20, 2], ids: (0..<40).map { Int32(($0 * 7 + 3) % 20) })
        var steps20 = try ModelStream(model: tagger, batch: 2)
        var streamed: [Float] = []
        for t in 0..<20 { streamed += try steps20.step(tokens: Array(long.ids[(2 * t)..<(2 * t + 2)])).scalars }
        #expect(streamed == (try tagger(long).output.scalars))

        let encoder = try ModelCase("gru_encoder_decoder").model()
        let x: Tensor<Float> = try NPY.read(ModelCase("gru_encoder_decoder").url("input.npy"))  // (7, 4, 4)
        var vectors = try ModelStream(model: encoder, batch: 4)
        let first = try vectors.steps(Tensor(shape: [3, 4, 4], scalars: Array(x.scalars[..<48])))
        var rest: [Float] = []
        for t in 3..<7 { rest += try vectors.step(Tensor(shape: [4, 4], scalars: Array(x.scalars[(16 * t)..<(16 * t + 16)]))).scalars }
        #expect(first.scalars + rest == (try encoder(x).output.scalars))
    }

    @Test("predict runs a PyTorch module from its file: int64 token ids batch-first, int32 with lengths, vectors through a head")
    func predictCommand() throws {
        let dir = try CLI.temporaryDirectory()
        for (name, extra) in [("embed_lstm_batch_first", ["--batch-first"]), ("embed_gru_int32_lengths", ["--lengths", "6,3,5"]),
                              ("gru_encoder_decoder", []), ("bilstm_linear", ["--batch-first"])] {
            let c = try ModelCase(name)
            let out = dir.appendingPathComponent("\(name).npy")
            let result = try CLI.run(["predict", "--model", c.url("model.safetensors").path, "--input", c.url("input.npy").path,
                                      "--output", out.path] + extra)
            #expect(result.status == 0 && result.stderr.isEmpty, "\(name): \(result.stderr)")
            let y: Tensor<Float> = try NPY.read(out)
            let expected: Tensor<Float> = try NPY.read(c.url("output.npy"))
            #expect(y.shape == expected.shape && maxAbsDiff(y.scalars, expected.scalars) < 1e-5, "\(name)")
        }
    }

    @Test("--softmax writes each step's probabilities over the head's outputs")
    func predictSoftmax() throws {
        let c = try ModelCase("embed_gru_int32_lengths")
        let out = try CLI.temporaryDirectory().appendingPathComponent("p.npy")
        let result = try CLI.run(["predict", "--model", c.url("model.safetensors").path, "--input", c.url("input.npy").path,
                                  "--output", out.path, "--softmax", "--lengths", "6,3,5"])
        #expect(result.status == 0, "\(result.stderr)")
        let p: Tensor<Float> = try NPY.read(out), logits: Tensor<Float> = try NPY.read(c.url("output.npy"))
        #expect(p.shape == logits.shape && logits.shape.last == 11 && !p.scalars.isEmpty, "\(p.shape) \(logits.shape)")
        for row in 0..<(p.scalars.count / 11) {
            let z = logits.scalars[(row * 11)..<(row * 11 + 11)].map(Double.init), top = z.max()!
            let e = z.map { exp($0 - top) }, total = e.reduce(0, +)
            #expect(maxAbsDiff(Array(p.scalars[(row * 11)..<(row * 11 + 11)]), e.map { $0 / total }) < 1e-6)
        }
    }
}
