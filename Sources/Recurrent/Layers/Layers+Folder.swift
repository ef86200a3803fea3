// Layers: whole recurrent modules, as PyTorch's `nn.LSTM`/`nn.GRU`/`nn.RNN`:
// `RecurrentConfiguration`, `RecurrentNetwork` (stacked layers and directions over the cells'
// runner, with lengths and initial states), `RecurrentStream` (online, a step at a time),
// `SequenceBatch` (layouts and shapes of the input).
