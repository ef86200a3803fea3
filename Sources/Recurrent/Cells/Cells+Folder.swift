// Cells: `CellKind` and `CellDefinition`, read from the C registration list, where each cell is
// one file (`CRecurrentKernels/body/cells/<name>.h`: equations, description, element-wise step);
// the typed one-step cells of the shipped kinds (`LSTMCell`, `GRUCell`, `GatedRNNCell`,
// `SimpleRNNCell`, `PeepholeLSTMCell`, each a `RecurrentCell` with its equations). `CellRunner`
// runs any cell over a sequence: one forward scan and one backward scan (`CellScan`) over two
// kinds of steps, `BatchedSteps` (one matrix product per step for many sequences) and
// `RowBlockSteps` (one sequence, the gates of a few units side by side, threads sharing the units).
