/// A stack of recurrent layers, the equivalent of PyTorch's `nn.LSTM`, `nn.GRU` and `nn.RNN`
/// (and of the same module built from the course's gated RNN cell).
///
/// Layer l (0-based) runs its cell over the sequence: layer 0 reads the input x_t (size X),
/// layer l > 0 reads layer l-1's output (size D·Hout). A bidirectional layer also runs a second
/// cell from t = T-1 down to 0 and concatenates the two outputs, forward first.
///
/// Parameters are kept under PyTorch's names and shapes, in `state_dict` order:
/// `weight_ih_l{l}` `(G·H, In_l)`, `weight_hh_l{l}` `(G·H, Hout)`, `bias_ih_l{l}`,
/// `bias_hh_l{l}` `(G·H)`, `weight_hr_l{l}` `(P, H)`, with `_reverse` for the backward
/// direction; G = 4 (LSTM: i, f, g, o), 3 (GRU: r, z, n), 2 (gated: g, s̃), 1 (RNN).
///
/// ```swift
/// let lstm = try RecurrentNetwork<Float>(.init(cell: .lstm, inputSize: 3, hiddenSize: 5), seed: 0)
/// let (y, state) = try lstm(x)           // x (T, B, 3) → y (T, B, 5), state.h (1, B, 5)
/// ```
public struct RecurrentNetwork<Scalar: RecurrentScalar>: Equatable, Sendable {
    /// The architecture.
    public let configuration: RecurrentConfiguration
    /// The parameters under PyTorch's names.
    public internal(set) var parameters: ParameterStore<Scalar> {
        didSet { packs = NetworkPacks(layers: configuration.layers, directions: configuration.directions) }
    }
    /// Where each tensor sits in `parameters.storage`, and the passes over it.
    let layout: NetworkLayout
    /// The weights packed for inference, made on first use; replaced (empty) whenever the
    /// parameters change, so a copy of the network with other parameters never sees them.
    private(set) var packs: NetworkPacks<Scalar>

    /// Networks are equal when their configurations and parameters are (packed weights are a
    /// cache, not part of the value).
    public static func == (a: RecurrentNetwork, b: RecurrentNetwork) -> Bool {
        a.configuration == b.configuration && a.parameters == b.parameters
    }

    /// A network with every parameter zero.
    /// - Throws: `RecurrentError` for an invalid configuration.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public init(_ configuration: RecurrentConfiguration) throws {
        try configuration.validate()
        // In this scalar type (`validate` counts float32).
        try MemoryBudget.require(MemoryBudget.product([configuration.parameterCount, MemoryLayout<Scalar>.stride]),
                                 for: "the parameters of \(configuration.summary)")
        var store = ParameterStore<Scalar>()
        store.reserveCapacity(configuration.parameterCount ?? 0)  // counted: validated
        for (name, shape) in configuration.parameterShapes { try store.append(name, shape: shape) }
        try self.init(configuration, parameters: store)
    }

    /// A network initialised as PyTorch does by default: every parameter drawn from
    /// U(-1/√H, 1/√H), from a generator seeded with `seed`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public init(_ configuration: RecurrentConfiguration, seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed)
        try self.init(configuration, generator: &generator)
    }

    /// A network initialised as PyTorch does by default, U(-1/√H, 1/√H), drawing from `generator`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public init(_ configuration: RecurrentConfiguration, generator: inout SeededGenerator) throws {
        try self.init(configuration)
        let bound = 1 / Scalar(configuration.hiddenSize).squareRoot()
        // In place (no copy of a large network's parameters; `parameters`' observer runs once).
        parameters.storage.withUnsafeMutableBufferPointer { values in
            for i in values.indices { values[i] = generator.uniform(-bound, bound) }
        }
    }

    /// A network with the given parameters, which must have exactly the configuration's names
    /// and shapes (in any order).
    /// - Throws: `RecurrentError` naming a missing, unexpected or misshapen tensor.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public init(_ configuration: RecurrentConfiguration, parameters: ParameterStore<Scalar>) throws {
        try configuration.validate()
        let expected = configuration.parameterShapes
        for (name, shape) in expected {
            guard let entry = parameters.entry(name) else {
                throw RecurrentError.name("missing tensor '\(name)' for \(configuration.summary)")
            }
            guard entry.shape == shape else {
                throw RecurrentError.shape(
                    "\(name): expected shape \(describeShape(shape)), got \(describeShape(entry.shape))")
            }
        }
        let names = Set(expected.map(\.name))
        if let extra = parameters.names.first(where: { !names.contains($0) }) {
            throw RecurrentError.name("unexpected tensor '\(extra)' for \(configuration.summary)")
        }
        // Reorder into state_dict order so every network's storage has the same layout.
        var ordered = ParameterStore<Scalar>()
        for (name, _) in expected { try ordered.append(name, parameters[name]!) }
        self.init(validated: configuration, ordered: ordered)
    }

    /// A network from parameters known to match a configuration known to be valid (those of
    /// another network, in its order): nothing is checked again. (Checking again could fail:
    /// the memory check counts what the process holds at the time.)
    init(validated configuration: RecurrentConfiguration, ordered parameters: ParameterStore<Scalar>) {
        self.configuration = configuration
        self.parameters = parameters
        self.layout = NetworkLayout(configuration)
        self.packs = NetworkPacks(layers: configuration.layers, directions: configuration.directions)
    }

    /// Replaces the values of one parameter.
    /// - Throws: `RecurrentError` for an unknown name or a different shape.
    public mutating func setParameter(_ name: String, _ tensor: Tensor<Scalar>) throws {
        try parameters.set(name, tensor)
    }

    /// The total number of parameters.
    public var parameterCount: Int { parameters.scalarCount }

    /// The network with its parameters converted to another scalar type.
    public func converted<Other: RecurrentScalar>(to: Other.Type = Other.self) -> RecurrentNetwork<Other> {
        RecurrentNetwork<Other>(validated: configuration, ordered: parameters.converted())  // same names, shapes and order
    }
}
