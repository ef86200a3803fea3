// The simple RNN's element-wise step: s_t = φ(a), φ = tanh (the course, PyTorch's default) or
// ReLU (nn.RNN(nonlinearity="relu")); the activation is kept as the step's one gate.
// Backward: ∂L/∂a = ds ⊙ (1 - s²) for tanh, ds where s > 0 (else 0) for ReLU.

#ifndef RK_T  // the description (dispatch.c)
static const rk_cell_info rnn_info = {
    .name = "rnn", .module_name = "RNN", .torch_module_name = "nn.RNN",
    .summary = "Simple RNN, one block: s_t = φ(W x_t + U s_{t-1} + b), φ = tanh or ReLU.",
    .gate_count = 1, .has_cell_state = 0, .keeps_recurrent_part_apart = 0,
    .has_direct_state_gradient = 0, .allows_projection = 0, .uses_nonlinearity = 1,
    .forget_gate_block = -1, .input_gate_block = -1, .unit_vectors = "",
};
#else  // the element-wise step, for the including table's instruction set and element type

static void rnn_forward(const rk_cell_step *s) {
    for (long r = 0; r < s->rows; r++) {
        T *a = (T *)s->gates + r * s->gates_ld;
        T *sn = (T *)s->h + r * s->state_ld;
        FOR_CHUNKS16(s->units, j, n, {
            const v16 x = ld16n(a + j, n);
            const v16 v = s->nonlinearity == 0 ? tanh16(x) : relu16(x);
            st16n(a + j, v, n);
            st16n(sn + j, v, n);
        })
    }
}

static void rnn_backward(const rk_cell_back *s) {
    const v16 one = (v16)1;
    for (long r = 0; r < s->rows; r++) {
        const T *a = (const T *)s->gates + r * s->gates_ld;
        T *da = (T *)s->d_gates + r * s->gates_ld;
        const T *ds = (const T *)s->dh + r * s->state_ld;
        FOR_CHUNKS16(s->units, j, n, {
            const v16 sv = ld16n(a + j, n), d = ld16n(ds + j, n);
            st16n(da + j, s->nonlinearity == 0 ? d * (one - sv * sv) : (sv <= (T)0 ? (v16)0 : d), n);
        })
    }
}

/// No per-unit vectors: nothing to add.
static void rnn_vectors_backward(const rk_cell_vectors_back *s) { (void)s; }
#endif
