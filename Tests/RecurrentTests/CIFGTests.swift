import Foundation
import Testing
@testable import Recurrent

/// The sixth cell, the coupled input-forget gate LSTM (Greff et al. 2017), added as one C file
/// (`body/cells/cifg.h`) and its entry in `body/cells.h`, nothing in Swift: against the float64
/// reference of its equations, finite differences, and through files and commands by name.
@Suite("CIFG LSTM, a cell added as one file")
struct CIFGTests {
    static let cifg = CellKind(rawValue: "cifg")!
    static let configurations: [RecurrentConfiguration] = [
        .init(cell: cifg, inputSize: 3, hiddenSize: 5),
        .init(cell: cifg, inputSize: 4, hiddenSize: 9, layers: 2, bidirectional: true),
        .init(cell: cifg, inputSize: 2, hiddenSize: 40, bias: false),
    ]

    @Test("Its description: three blocks, a memory cell, the input gate where a forget bias goes")
    func description() {
        let kind = Self.cifg
        #expect(kind.gateCount == 3 && kind.hasCellState && !kind.usesNonlinearity && kind.torchModuleName == nil)
        #expect(kind.definition.moduleName == "CIFGLSTM" && kind.definition.inputGateBlock == 0)
        #expect(kind.definition.forgetGateBlock == nil && kind.unitVectorNames.isEmpty)
        #expect(RecurrentConfiguration(cell: kind, inputSize: 3, hiddenSize: 5).parameterShapes.map(\.shape)
            == [[15, 3], [15, 5], [15], [15]])
    }

    @Test("Double and Float networks agree with the float64 reference of the equations (1e-12, 1e-5), batch 1 and 3",
          arguments: 0..<configurations.count)
    func matchesReference(_ index: Int) throws {
        try CellChecks.expectMatchesReference(Self.configurations[index], parameterSeed: UInt64(index) + 60, dataSeed: 17)
    }

    @Test("∂L/∂(parameters, input, h0, c0) match finite differences (relative 1e-6)",
          arguments: [(Self.configurations[0], [Int]?.none, 3), (Self.configurations[1], [4, 1, 3], 3)])
    func gradientCheck(_ c: (RecurrentConfiguration, [Int]?, Int)) throws {
        try CellChecks.expectGradientsMatchFiniteDifferences(c.0, lengths: c.1, batch: c.2, networkSeed: 78, lossSeed: 6)
    }

    @Test("Saved and loaded by name from the metadata; inspect names it; train --cell cifg learns the temporal order")
    func filesAndCommands() throws {
        let cfg = Self.configurations[1]
        let net = try RecurrentNetwork<Float>(cfg, seed: 9)
        let dir = try CLI.temporaryDirectory()
        let url = dir.appendingPathComponent("cifg.safetensors")
        try net.write(to: url)
        let (back, _) = try RecurrentNetwork<Float>.load(from: url)
        #expect(back == net && back.configuration.cell == Self.cifg)
        // Without metadata three blocks are PyTorch's GRU, the only reading a PyTorch file can have.
        let file = try SafetensorsFile<Float>.read(url)
        let bare = dir.appendingPathComponent("bare.safetensors")
        try SafetensorsFile(tensors: file.tensors).write(to: bare)
        #expect(try RecurrentNetwork<Float>.load(from: bare).network.configuration.cell == .gru)
        let inspected = try CLI.run(["inspect", url.path])
        #expect(inspected.stdout.contains("CIFGLSTM(4, 9, num_layers=2, bidirectional=True): "), "\(inspected.stdout)")
        let trained = try CLI.run(["train", "--cell", "cifg", "--task", "temporal-order", "--length", "30", "--steps", "1000",
                                   "--output", dir.appendingPathComponent("m.safetensors").path], in: dir)
        #expect(trained.status == 0, "\(trained.stderr)")
        #expect(trained.stdout.contains("model: CIFGLSTM("), "\(trained.stdout)")
        #expect(try #require(ReadmeTrainingTests.heldOut(trained.stdout).accuracy) > 90, "\(trained.stdout)")
    }
}
