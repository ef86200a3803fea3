// Tensor: the lowest layer. Values and memory: `Tensor` (shaped arrays, PyTorch's shapes),
// `ParameterStore` (named tensors in one flat buffer, PyTorch's `state_dict` order), `Buffer`
// (aligned scratch, reused when large), `MemoryBudget` (what fits in this machine's memory),
// `SeededGenerator`, and `RecurrentScalar` (Float and Double). Uses nothing else of the library.
