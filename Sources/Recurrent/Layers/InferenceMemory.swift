extension RecurrentConfiguration {
    /// About the bytes a forward pass without a tape needs (an upper estimate, for refusing
    /// what cannot fit before anything is allocated): `parameters` (the model's, which may
    /// hold an embedding and a head besides this stack) and the weights' packed copy; per step
    /// and sequence the input, the `outputSize` outputs, a layer's input projections and its
    /// outputs; per sequence each layer's gates and states. nil when it overflows. Counts B
    /// even when T is 0: the states are (B, H).
    func inferenceBytes(batch: Int, steps: Int, scalarSize: Int, parameters: Int, outputSize: Int) -> Int? {
        let H = hiddenSize, G = cell.definition.gateCount
        guard let gates = MemoryBudget.product([G + 3, H]), let tape = MemoryBudget.sum([gates, RowBlockLayout.maximumPadding]),
              let states = MemoryBudget.product([3, stateSize]), let perLayer = MemoryBudget.sum([tape, states]),
              let perSequence = MemoryBudget.product([layers, directions, perLayer]),
              let projection = MemoryBudget.product([G, H]), let outputs = MemoryBudget.product([2, stateSize]),
              let perDirection = MemoryBudget.sum([projection, outputs]),
              let layerStep = MemoryBudget.product([directions, perDirection]),
              let perStep = MemoryBudget.sum([inputSize, outputSize, layerStep]),
              let sequenceSteps = MemoryBudget.product([steps, perStep]),
              let sequence = MemoryBudget.sum([perSequence, sequenceSteps]),
              let activations = MemoryBudget.product([batch, sequence]),
              let total = MemoryBudget.sum([parameters, activations])
        else { return nil }
        return MemoryBudget.product([total, scalarSize])
    }

    /// `inferenceBytes` of this stack alone (a `RecurrentNetwork`'s call).
    func inferenceBytes(batch: Int, steps: Int, scalarSize: Int) -> Int? {
        parameterCount.flatMap { inferenceBytes(batch: batch, steps: steps, scalarSize: scalarSize, parameters: $0, outputSize: outputSize) }
    }
}
