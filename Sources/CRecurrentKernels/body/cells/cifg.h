// The coupled input-forget gate LSTM, CIFG (Greff et al. 2017, "LSTM: A Search Space Odyssey"):
// the LSTM with its forget gate tied to the input gate, f = 1 - i, so a unit writes exactly as
// much as it forgets. Gate blocks i, g, o:
//
//   i = σ(a_i)   g = tanh(a_g)   o = σ(a_o)
//   c_t = (1 - i) ⊙ c_{t-1} + i ⊙ g
//   h_t = o ⊙ tanh(c_t)
//
// Backward, from dh = ∂L/∂h_t and dc = ∂L/∂c_t through the later steps:
//   dc_t = dc + dh ⊙ o ⊙ (1 - tanh²c_t)
//   da_i = dc_t ⊙ (g - c_{t-1}) ⊙ i(1 - i)   da_g = dc_t ⊙ i ⊙ (1 - g²)   da_o = dh ⊙ tanh c_t ⊙ o(1 - o)
//   ∂L/∂c_{t-1} = dc_t ⊙ (1 - i)
// The input gate's bias is where initialisation puts a forget bias b (b_i = -b keeps f = σ(b)).

#ifndef RK_T  // the description (dispatch.c)
static const rk_cell_info cifg_info = {
    .name = "cifg", .module_name = "CIFGLSTM", .torch_module_name = NULL,
    .summary = "LSTM with coupled input and forget gates (Greff et al. 2017), blocks (i, g, o): f = 1 - i.",
    .gate_count = 3, .has_cell_state = 1, .keeps_recurrent_part_apart = 0,
    .has_direct_state_gradient = 0, .allows_projection = 0, .uses_nonlinearity = 0,
    .forget_gate_block = -1, .input_gate_block = 0, .unit_vectors = "",
};
#else  // the element-wise step, for the including table's instruction set and element type

static void cifg_forward(const rk_cell_step *s) {
    const long gs = s->gate_stride;
    const v16 one = (v16)1;
    for (long r = 0; r < s->rows; r++) {
        T *a = (T *)s->gates + r * s->gates_ld;
        const T *cp = (const T *)s->c_prev + r * s->state_ld;
        T *cn = (T *)s->c + r * s->state_ld, *hn = (T *)s->h + r * s->state_ld;
        FOR_CHUNKS16(s->units, j, n, {
            const v16 i = sigmoid16(ld16n(a + j, n));
            const v16 g = tanh16(ld16n(a + gs + j, n));
            const v16 o = sigmoid16(ld16n(a + 2 * gs + j, n));
            const v16 c = MULADD(one - i, ld16n(cp + j, n), i * g);
            st16n(a + j, i, n);
            st16n(a + gs + j, g, n);
            st16n(a + 2 * gs + j, o, n);
            st16n(cn + j, c, n);
            st16n(hn + j, o * tanh16(c), n);
        })
    }
}

static void cifg_backward(const rk_cell_back *s) {
    const long gs = s->gate_stride;
    const v16 one = (v16)1;
    for (long r = 0; r < s->rows; r++) {
        const T *a = (const T *)s->gates + r * s->gates_ld;
        T *da = (T *)s->d_gates + r * s->gates_ld;
        const long o0 = r * s->state_ld;
        const T *cp = (const T *)s->c_prev + o0, *cb = (const T *)s->c + o0, *dh = (const T *)s->dh + o0;
        T *dc = (T *)s->dc + o0;
        FOR_CHUNKS16(s->units, j, n, {
            const v16 i = ld16n(a + j, n), g = ld16n(a + gs + j, n), o = ld16n(a + 2 * gs + j, n);
            const v16 tc = tanh16(ld16n(cb + j, n));
            const v16 dhv = ld16n(dh + j, n);
            const v16 dct = ld16n(dc + j, n) + dhv * o * (one - tc * tc);
            st16n(da + j, dct * (g - ld16n(cp + j, n)) * i * (one - i), n);
            st16n(da + gs + j, dct * i * (one - g * g), n);
            st16n(da + 2 * gs + j, dhv * tc * o * (one - o), n);
            st16n(dc + j, dct * (one - i), n);
        })
    }
}

/// No per-unit vectors: nothing to add.
static void cifg_vectors_backward(const rk_cell_vectors_back *s) { (void)s; }
#endif
