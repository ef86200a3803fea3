// The LSTM's element-wise step (gate blocks i, f, g, o, as PyTorch):
//
//   i = σ(a_i)   f = σ(a_f)   g = tanh(a_g)   o = σ(a_o)
//   c_t = f ⊙ c_{t-1} + i ⊙ g
//   h_t = o ⊙ tanh(c_t)                (then W_hr h_t with a projection, outside this step)
//
// Backward, from dh = ∂L/∂h_t and dc = ∂L/∂c_t through the later steps:
//   dc_t = dc + dh ⊙ o ⊙ (1 - tanh²c_t)
//   da_i = dc_t ⊙ g ⊙ i(1 - i)     da_f = dc_t ⊙ c_{t-1} ⊙ f(1 - f)
//   da_g = dc_t ⊙ i ⊙ (1 - g²)     da_o = dh ⊙ tanh c_t ⊙ o(1 - o)
//   ∂L/∂c_{t-1} = dc_t ⊙ f

#ifndef RK_T  // the description (dispatch.c)
static const rk_cell_info lstm_info = {
    .name = "lstm", .module_name = "LSTM", .torch_module_name = "nn.LSTM",
    .summary = "LSTM, blocks (i, f, g, o) as PyTorch: c_t = f ⊙ c_{t-1} + i ⊙ g, h_t = o ⊙ tanh(c_t).",
    .gate_count = 4, .has_cell_state = 1, .keeps_recurrent_part_apart = 0,
    .has_direct_state_gradient = 0, .allows_projection = 1, .uses_nonlinearity = 0,
    .forget_gate_block = 1, .input_gate_block = 0, .unit_vectors = "",
};
#else  // the element-wise step, for the including table's instruction set and element type

static void lstm_forward(const rk_cell_step *s) {
    const long gs = s->gate_stride;
    for (long r = 0; r < s->rows; r++) {
        T *a = (T *)s->gates + r * s->gates_ld;
        const T *cp = (const T *)s->c_prev + r * s->state_ld;
        T *cn = (T *)s->c + r * s->state_ld, *hn = (T *)s->h + r * s->state_ld;
        FOR_CHUNKS16(s->units, j, n, {
            const v16 i = sigmoid16(ld16n(a + j, n));
            const v16 f = sigmoid16(ld16n(a + gs + j, n));
            const v16 g = tanh16(ld16n(a + 2 * gs + j, n));
            const v16 o = sigmoid16(ld16n(a + 3 * gs + j, n));
            const v16 c = MULADD(f, ld16n(cp + j, n), i * g);
            st16n(a + j, i, n);
            st16n(a + gs + j, f, n);
            st16n(a + 2 * gs + j, g, n);
            st16n(a + 3 * gs + j, o, n);
            st16n(cn + j, c, n);
            st16n(hn + j, o * tanh16(c), n);
        })
    }
}

static void lstm_backward(const rk_cell_back *s) {
    const long gs = s->gate_stride;
    const v16 one = (v16)1;
    for (long r = 0; r < s->rows; r++) {
        const T *a = (const T *)s->gates + r * s->gates_ld;
        T *da = (T *)s->d_gates + r * s->gates_ld;
        const long o0 = r * s->state_ld;
        const T *cp = (const T *)s->c_prev + o0, *cb = (const T *)s->c + o0, *dh = (const T *)s->dh + o0;
        T *dc = (T *)s->dc + o0;
        FOR_CHUNKS16(s->units, j, n, {
            const v16 i = ld16n(a + j, n), f = ld16n(a + gs + j, n);
            const v16 g = ld16n(a + 2 * gs + j, n), o = ld16n(a + 3 * gs + j, n);
            const v16 tc = tanh16(ld16n(cb + j, n));
            const v16 dhv = ld16n(dh + j, n);
            const v16 dct = ld16n(dc + j, n) + dhv * o * (one - tc * tc);
            st16n(da + j, dct * g * i * (one - i), n);
            st16n(da + gs + j, dct * ld16n(cp + j, n) * f * (one - f), n);
            st16n(da + 2 * gs + j, dct * i * (one - g * g), n);
            st16n(da + 3 * gs + j, dhv * tc * o * (one - o), n);
            st16n(dc + j, dct * f, n);
        })
    }
}

/// No per-unit vectors: nothing to add.
static void lstm_vectors_backward(const rk_cell_vectors_back *s) { (void)s; }
#endif
