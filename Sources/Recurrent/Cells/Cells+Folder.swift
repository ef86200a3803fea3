// Cells: one file per cell (`LSTMCell`, `GRUCell`, `GatedRNNCell`, `SimpleRNNCell`,
// `PeepholeLSTMCell`): its equations, its public one-step type (`RecurrentCell`) and its
// `CellDefinition`, which is all the rest of the library asks of it. `CellRunner` runs any cell
// over a sequence: one forward scan and one backward scan (`CellScan`) over two kinds of steps,
// `BatchedSteps` (one matrix product per step for many sequences) and `RowBlockSteps` (one
// sequence, the gates of a few units side by side, threads sharing the units).
