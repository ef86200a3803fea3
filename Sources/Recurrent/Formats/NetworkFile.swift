import Foundation

extension RecurrentNetwork {
    /// Loads a recurrent network from a safetensors file written by
    /// `safetensors.torch.save_file(module.state_dict(), path)` (or by `write(to:)`), inferring
    /// the architecture from the tensor names and shapes (see `TorchStateDict`). F32, F64, F16
    /// and BF16 tensors load; only the chosen module's tensors are decoded.
    ///
    /// No tensor is ignored silently: without `prefix`, a file that holds anything besides one
    /// recurrent module (an embedding, a head, another module) is refused, naming what does not
    /// belong; naming the module's prefix loads it alone, on purpose
    /// (`TorchStateDict.namesOutside(module:in:)` lists what that leaves out).
    ///
    /// - Parameters:
    ///   - prefix: the module's name prefix inside a larger model (`"encoder.rnn."`, with or
    ///     without the final dot); nil finds the only recurrent module in the file.
    ///   - nonlinearity: for an `nn.RNN`, which the weights do not record; nil reads this
    ///     library's metadata, else tanh.
    /// - Returns: the network and the prefix it was found under.
    /// - Throws: `RecurrentError` naming the file and what is wrong.
    public static func load(
        from url: URL, prefix: String? = nil, nonlinearity: Nonlinearity? = nil
    ) throws -> (network: RecurrentNetwork, prefix: String) {
        let header = try SafetensorsHeader.read(url)
        let source = url.lastPathComponent
        let names = header.entries.map(\.name)
        let chosen = try TorchStateDict.resolvePrefix(prefix, in: names, source: source)
        let outside = TorchStateDict.namesOutside(module: chosen, in: names)
        if prefix == nil && !outside.isEmpty {
            throw RecurrentError.name(
                "\(source): holds more than a recurrent module: \(shortList(outside)) would be left out; "
                    + "name the module's prefix ('\(chosen)') to load it alone")
        }
        let file = try SafetensorsFile<Scalar>.read(url) { name in
            name.hasPrefix(chosen) && TorchStateDict.parse(name.dropFirst(chosen.count)) != nil
        }
        let store = try ParameterStore(safetensors: file)
        if let bad = store.entries.first(where: { entry in
            store.storage[entry.offset..<(entry.offset + entry.count)].contains { !$0.isFinite }
        }) {
            throw RecurrentError.value("\(source): tensor '\(bad.name)' contains NaN or infinity")
        }
        let network = try TorchStateDict.network(from: store, prefix: chosen, metadata: header.metadata,
                                                 nonlinearity: nonlinearity, source: source)
        return (network, chosen)
    }

    /// The metadata this library writes beside the tensors: the cell and nonlinearity, which a
    /// state_dict's shapes cannot tell apart (the gated RNN, ReLU).
    public var fileMetadata: [String: String] {
        var metadata = [TorchStateDict.MetadataKey.cell: configuration.cell.rawValue]
        if configuration.cell.usesNonlinearity { metadata[TorchStateDict.MetadataKey.nonlinearity] = configuration.nonlinearity.rawValue }
        return metadata
    }

    /// Writes the parameters as a safetensors file, atomically, under PyTorch's names in
    /// `state_dict` order (each with `prefix` before it), so that
    /// `module.load_state_dict(safetensors.torch.load_file(path), strict=True)` loads it.
    /// - Parameter dtype: F32 by default for `Float`, F64 for `Double`.
    public func write(to url: URL, prefix: String = "", dtype: SafetensorsDType? = nil) throws {
        let file = parameters.prefixed(prefix).safetensors(metadata: fileMetadata)
        try file.write(to: url, dtype: dtype)
    }
}

extension RecurrentState {
    /// Reads an initial state from a safetensors file holding `h0` (and `c0` for an LSTM), or
    /// `h_n` (and `c_n`) as `write(to:)` writes them. Shapes are checked when the state is used.
    /// - Throws: `RecurrentError` for a missing `h0`, an unknown tensor or a non-finite value.
    public init(contentsOf url: URL) throws {
        let file = try SafetensorsFile<Scalar>.read(url)
        let source = url.lastPathComponent
        let names = Set(file.names)
        let (hName, cName) = names.contains("h_n") && !names.contains("h0") ? ("h_n", "c_n") : ("h0", "c0")
        guard let h = file[hName] else {
            throw RecurrentError.name("\(source): missing tensor 'h0' (the initial state h0, and c0 for an LSTM)")
        }
        if let unknown = file.names.first(where: { $0 != hName && $0 != cName }) {
            throw RecurrentError.name("\(source): unexpected tensor '\(unknown)' (expected \(hName) and \(cName))")
        }
        let c = file[cName]
        for (name, tensor) in [(hName, h), (cName, c)] where tensor?.isFinite == false {
            throw RecurrentError.value("\(source): \(name) contains NaN or infinity")
        }
        self.init(h: h, c: c)
    }

    /// Writes the state as `h_n` (and `c_n`) in a safetensors file, atomically.
    public func write(to url: URL) throws {
        var tensors = [(name: "h_n", tensor: h)]
        if let c { tensors.append((name: "c_n", tensor: c)) }
        try SafetensorsFile(tensors: tensors).write(to: url)
    }
}
