// Kernels: the Swift side of the C kernels (`CRecurrentKernels`). `Kernels` is the table of one
// instruction set, a thread count and a pool, read once per operation; `InstructionSet` and
// `MachineProfile` say what this CPU runs and has; `gemm` and `GemmPlan` block and share the
// matrix product; `RowBlockMatrix` and `RowBlockSplit` serve the batch-1 path;
// `KernelThreadPool` and `StepBarrier` run and meet the threads. Knows nothing of cells.
