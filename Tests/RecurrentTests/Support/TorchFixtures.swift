import Foundation
@testable import Recurrent

/// A case written by `scripts/make_torch_fixtures.py` (see its docstring for every file).
struct TorchCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/torch")

    /// Every case directory with a `case.json`.
    static var all: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return names.filter { FileManager.default.fileExists(atPath: root.appendingPathComponent("\($0)/case.json").path) }.sorted()
    }

    let name: String
    let directory: URL
    let info: [String: Any]

    init(_ name: String) throws {
        self.name = name
        directory = Self.root.appendingPathComponent(name)
        let data = try Data(contentsOf: directory.appendingPathComponent("case.json"))
        info = try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    func url(_ file: String) -> URL { directory.appendingPathComponent(file) }
    func exists(_ file: String) -> Bool { FileManager.default.fileExists(atPath: url(file).path) }
    func npy<S: RecurrentScalar>(_ file: String, as: S.Type = S.self) throws -> Tensor<S> { try NPY.read(url(file)) }

    var batchFirst: Bool { info["batch_first"] as? Bool ?? false }
    var lengths: [Int]? { info["lengths"] as? [Int] }
    var prefix: String { info["prefix"] as? String ?? "" }
    var nonlinearity: Nonlinearity { Nonlinearity(rawValue: info["nonlinearity"] as? String ?? "tanh") ?? .tanh }
    var hasInitialState: Bool { info["has_initial_state"] as? Bool ?? false }
    var hasGrads: Bool { info["has_grads"] as? Bool ?? false }
    var module: String { info["module"] as? String ?? "" }
    /// The prefix to ask for: needed when the recurrent module is part of a larger model (a
    /// file with other tensors is refused without it, so that none is left out unnoticed).
    var requestedPrefix: String? { prefix.isEmpty ? nil : prefix }

    func network<S: RecurrentScalar>(as: S.Type = S.self) throws -> RecurrentNetwork<S> {
        try RecurrentNetwork<S>.load(from: url("model.safetensors"), prefix: requestedPrefix, nonlinearity: nonlinearity).network
    }

    func initialState<S: RecurrentScalar>(as: S.Type = S.self) throws -> RecurrentState<S>? {
        guard hasInitialState else { return nil }
        return RecurrentState(h: try npy("h0.npy"), c: exists("c0.npy") ? try npy("c0.npy") : nil)
    }
}
