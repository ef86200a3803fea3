// Tasks: data to train on (the built-in synthetic tasks of the LSTM papers, text, CSV series,
// arrays), the experiments that measure what gating buys, and the benchmarks.
