import Foundation
import Testing
@testable import Recurrent

/// The fifth cell, the LSTM with peephole connections (Gers & Schmidhuber 2000), added through
/// the cell definition and its kernel alone: against a float64 reference written from the
/// equations, finite differences, the LSTM it reduces to, and through files and commands.
@Suite("Peephole LSTM")
struct PeepholeTests {
    static let configurations: [RecurrentConfiguration] = [
        .init(cell: .peephole, inputSize: 3, hiddenSize: 5),
        .init(cell: .peephole, inputSize: 4, hiddenSize: 9, layers: 2, bidirectional: true),
        .init(cell: .peephole, inputSize: 2, hiddenSize: 40, bias: false),
    ]

    @Test("Double and Float networks agree with the float64 reference of the equations (1e-12, 1e-5), batch 1 and 3",
          arguments: 0..<configurations.count)
    func matchesReference(_ index: Int) throws {
        try CellChecks.expectMatchesReference(Self.configurations[index], parameterSeed: UInt64(index) + 40, dataSeed: 7)
    }

    @Test("∂L/∂(parameters, peephole vectors included, input, h0, c0) match finite differences (relative 1e-6)",
          arguments: [(Self.configurations[0], [Int]?.none, 3), (Self.configurations[1], [4, 1, 3], 3),
                      (RecurrentConfiguration(cell: .peephole, inputSize: 2, hiddenSize: 4), nil, 1)])
    func gradientCheck(_ c: (RecurrentConfiguration, [Int]?, Int)) throws {
        let (cfg, lengths, B) = c
        let (net, params) = try CellChecks.expectGradientsMatchFiniteDifferences(cfg, lengths: lengths, batch: B,
                                                                                 networkSeed: 77, lossSeed: 5)
        // The peephole vectors' own gradients are not zero: they are exercised, not just present.
        let offset = try #require(net.parameters.entry("weight_ci_l0")?.offset)
        #expect(params[offset..<(offset + 3 * cfg.hiddenSize)].contains { abs($0) > 1e-4 })
    }

    @Test("With its peephole vectors zero it is exactly the LSTM with the same weights, forward and backward")
    func zeroPeepholesAreTheLSTM() throws {
        let lstmCfg = RecurrentConfiguration(cell: .lstm, inputSize: 3, hiddenSize: 6, layers: 2)
        var peepholeCfg = lstmCfg
        peepholeCfg.cell = .peephole
        let lstm = try RecurrentNetwork<Float>(lstmCfg, seed: 3)
        var p = Reference.randomParameters(peepholeCfg, seed: 1)
        for (name, _) in lstmCfg.parameterShapes { p[name] = lstm.parameters[name]!.scalars.map(Double.init) }
        for name in p.keys where name.hasPrefix("weight_c") { p[name] = p[name]!.map { _ in 0 } }
        let peephole = try RecurrentNetwork<Float>.make(peepholeCfg, p)
        let x = try Tensor<Float>(shape: [5, 2, 3], scalars: Reference.randomArray(30, seed: 2).map { Float($0) })
        let (a, sa) = try lstm(x), (b, sb) = try peephole(x)
        #expect(a.scalars == b.scalars && sa.h.scalars == sb.h.scalars && sa.c!.scalars == sb.c!.scalars)
        // Backward, in Double: every LSTM parameter's gradient and the input's are the same.
        let lstm64 = try RecurrentNetwork<Double>.make(lstmCfg, p), peephole64 = try RecurrentNetwork<Double>.make(peepholeCfg, p)
        let loss = LinearProbeLoss(lstmCfg, T: 5, B: 2, seed: 12)
        let (gl, gp) = (loss.gradients(lstm64), loss.gradients(peephole64))
        for (name, shape) in lstmCfg.parameterShapes {
            let (ol, op) = (lstm64.parameters.entry(name)!.offset, peephole64.parameters.entry(name)!.offset)
            let n = shape.reduce(1, *)
            #expect(Array(gl.params[ol..<(ol + n)]) == Array(gp.params[op..<(op + n)]), "\(name)")
        }
        #expect(gl.x == gp.x && gl.h0 == gp.h0 && gl.c0 == gp.c0)
    }

    @Test("The cell's one step is the equations, every gate visible")
    func oneStep() throws {
        var cell = try PeepholeLSTMCell<Double>(inputSize: 2, hiddenSize: 3, seed: 4)
        try cell.setParameter("weight_co", Tensor([0.5, -1, 2]))
        let x = Tensor([0.3, -0.7]), h = Tensor([0.1, 0.2, -0.3]), c = Tensor([1.0, -2.0, 0.5])
        let step = try cell(x, state: .init(h: h, c: c))
        let p = Dictionary(uniqueKeysWithValues: cell.parameters.entries.map { ($0.name, cell.parameters[$0.name]!.scalars) })
        let reference = Reference.Cell(kind: .peephole, X: 2, H: 3, wih: p["weight_ih"]!, whh: p["weight_hh"]!, bih: p["bias_ih"],
                                       bhh: p["bias_hh"], pci: p["weight_ci"], pcf: p["weight_cf"], pco: p["weight_co"])
        let (hExpected, cExpected) = reference.step(x: x.scalars, h: h.scalars, c: c.scalars)
        #expect(maxAbsDiff(step.h.scalars, hExpected) < 1e-14 && maxAbsDiff(step.c.scalars, cExpected) < 1e-14)
        let o = step.o.scalars, i = step.i.scalars
        for j in 0..<3 {
            let aO = (0..<2).reduce(p["bias_ih"]![9 + j] + p["bias_hh"]![9 + j]) { $0 + p["weight_ih"]![(9 + j) * 2 + $1] * x.scalars[$1] }
                + (0..<3).reduce(0.0) { $0 + p["weight_hh"]![(9 + j) * 3 + $1] * h.scalars[$1] }
            #expect(abs(o[j] - Reference.sigmoid(aO + [0.5, -1, 2][j] * cExpected[j])) < 1e-14, "o sees c_t")
            #expect(i[j] > 0 && i[j] < 1)
        }
    }

    @Test("Saved and loaded under its own tensor names; the cell is read from them; inspect and train name it")
    func filesAndCommands() throws {
        let cfg = Self.configurations[1]
        let net = try RecurrentNetwork<Float>(cfg, seed: 9)
        let dir = try CLI.temporaryDirectory()
        let url = dir.appendingPathComponent("peephole.safetensors")
        try net.write(to: url)
        let names = try SafetensorsHeader.read(url).entries.map(\.name)
        #expect(Array(names.prefix(7)) == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_ci_l0",
                                           "weight_cf_l0", "weight_co_l0"])
        let (back, _) = try RecurrentNetwork<Float>.load(from: url)
        #expect(back == net && back.configuration.cell == .peephole)
        // Without the metadata the peephole vectors alone tell the cell apart from the LSTM.
        let file = try SafetensorsFile<Float>.read(url)
        let bare = dir.appendingPathComponent("bare.safetensors")
        try SafetensorsFile(tensors: file.tensors).write(to: bare)
        #expect(try RecurrentNetwork<Float>.load(from: bare).network.configuration.cell == .peephole)
        let inspected = try CLI.run(["inspect", url.path])
        #expect(inspected.stdout.contains("PeepholeLSTM(4, 9, num_layers=2, bidirectional=True): "), "\(inspected.stdout)")
        let trained = try CLI.run(["train", "--cell", "peephole", "--steps", "300", "--hidden", "8",
                                   "--output", dir.appendingPathComponent("m.safetensors").path], in: dir)
        #expect(trained.status == 0, "\(trained.stderr)")
        #expect(trained.stdout.contains("model: PeepholeLSTM(1, 8)"), "\(trained.stdout)")
        #expect(try #require(ReadmeTrainingTests.heldOut(trained.stdout).accuracy) > 90, "\(trained.stdout)")
    }
}
