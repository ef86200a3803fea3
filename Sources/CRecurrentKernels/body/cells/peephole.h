// The peephole LSTM's element-wise step (Gers & Schmidhuber 2000): the LSTM's gate blocks
// i, f, g, o, and the peephole vectors p_i, p_f, p_o (unit vectors 0, 1, 2):
//
//   i = σ(a_i + p_i ⊙ c_{t-1})   f = σ(a_f + p_f ⊙ c_{t-1})   g = tanh(a_g)
//   c_t = f ⊙ c_{t-1} + i ⊙ g
//   o = σ(a_o + p_o ⊙ c_t)       h_t = o ⊙ tanh(c_t)
//
// Backward, from dh = ∂L/∂h_t and dc = ∂L/∂c_t through the later steps:
//   da_o = dh ⊙ tanh c_t ⊙ o(1 - o)
//   dc_t = dc + dh ⊙ o ⊙ (1 - tanh²c_t) + da_o ⊙ p_o
//   da_i = dc_t ⊙ g ⊙ i(1 - i)     da_f = dc_t ⊙ c_{t-1} ⊙ f(1 - f)     da_g = dc_t ⊙ i ⊙ (1 - g²)
//   ∂L/∂c_{t-1} = dc_t ⊙ f + da_i ⊙ p_i + da_f ⊙ p_f
//   ∂L/∂p_i += da_i ⊙ c_{t-1}   ∂L/∂p_f += da_f ⊙ c_{t-1}   ∂L/∂p_o += da_o ⊙ c_t   (over all steps)

#ifndef RK_T  // the description (dispatch.c)
static const rk_cell_info peephole_info = {
    .name = "peephole", .module_name = "PeepholeLSTM", .torch_module_name = NULL,
    .summary = "LSTM with peephole connections (Gers & Schmidhuber 2000): i and f also see c_{t-1}, o sees c_t.",
    .gate_count = 4, .has_cell_state = 1, .keeps_recurrent_part_apart = 0,
    .has_direct_state_gradient = 0, .allows_projection = 0, .uses_nonlinearity = 0,
    .forget_gate_block = 1, .input_gate_block = 0, .unit_vectors = "weight_ci,weight_cf,weight_co",
};
#else  // the element-wise step, for the including table's instruction set and element type

static void peephole_forward(const rk_cell_step *s) {
    const long gs = s->gate_stride, ps = s->unit_vector_stride;
    const T *p = s->unit_vectors;
    for (long r = 0; r < s->rows; r++) {
        T *a = (T *)s->gates + r * s->gates_ld;
        const T *cp = (const T *)s->c_prev + r * s->state_ld;
        T *cn = (T *)s->c + r * s->state_ld, *hn = (T *)s->h + r * s->state_ld;
        FOR_CHUNKS16(s->units, j, n, {
            const v16 cprev = ld16n(cp + j, n);
            const v16 i = sigmoid16(MULADD(ld16n(p + j, n), cprev, ld16n(a + j, n)));
            const v16 f = sigmoid16(MULADD(ld16n(p + ps + j, n), cprev, ld16n(a + gs + j, n)));
            const v16 g = tanh16(ld16n(a + 2 * gs + j, n));
            const v16 c = MULADD(f, cprev, i * g);
            const v16 o = sigmoid16(MULADD(ld16n(p + 2 * ps + j, n), c, ld16n(a + 3 * gs + j, n)));
            st16n(a + j, i, n);
            st16n(a + gs + j, f, n);
            st16n(a + 2 * gs + j, g, n);
            st16n(a + 3 * gs + j, o, n);
            st16n(cn + j, c, n);
            st16n(hn + j, o * tanh16(c), n);
        })
    }
}

static void peephole_backward(const rk_cell_back *s) {
    const long gs = s->gate_stride, ps = s->unit_vector_stride;
    const T *p = s->unit_vectors;
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
            const v16 dao = dhv * tc * o * (one - o);
            const v16 dct = ld16n(dc + j, n) + dhv * o * (one - tc * tc) + dao * ld16n(p + 2 * ps + j, n);
            const v16 cprev = ld16n(cp + j, n);
            const v16 dai = dct * g * i * (one - i);
            const v16 daf = dct * cprev * f * (one - f);
            st16n(da + j, dai, n);
            st16n(da + gs + j, daf, n);
            st16n(da + 2 * gs + j, dct * i * (one - g * g), n);
            st16n(da + 3 * gs + j, dao, n);
            st16n(dc + j, dct * f + dai * ld16n(p + j, n) + daf * ld16n(p + ps + j, n), n);
        })
    }
}

/// ∂L/∂p_i, ∂L/∂p_f, ∂L/∂p_o over every row of the pass, rows summed in order.
static void peephole_vectors_backward(const rk_cell_vectors_back *s) {
    const long H = s->hidden, GH = 4 * H;
    const T *da = s->d_gates, *cp = s->c_prev, *c = s->c;
    T *out = s->out;
    for (long r = 0; r < s->rows; r++) {
        const T *row = da + r * GH, *cpr = cp + r * H, *cr = c + r * H;
        FOR_CHUNKS16(H, j, n, {
            st16n(out + j, ld16n(out + j, n) + ld16n(row + j, n) * ld16n(cpr + j, n), n);
            st16n(out + H + j, ld16n(out + H + j, n) + ld16n(row + H + j, n) * ld16n(cpr + j, n), n);
            st16n(out + 2 * H + j, ld16n(out + 2 * H + j, n) + ld16n(row + 3 * H + j, n) * ld16n(cr + j, n), n);
        })
    }
}
#endif
