// The course's single-gate gated RNN, element-wise step (gate blocks g, s̃):
//
//   g_t = σ(a_g)   s̃_t = tanh(a_s)   s_t = (1 - g_t) ⊙ s_{t-1} + g_t ⊙ s̃_t
//
// written exactly in that form, so g = 0 carries s_{t-1} unchanged and g = 1 overwrites it
// with s̃_t, bit for bit. Backward, from ds = ∂L/∂s_t:
//   da_g = ds ⊙ (s̃ - s_{t-1}) ⊙ g(1 - g)   da_s = ds ⊙ g ⊙ (1 - s̃²)   direct ∂L/∂s_{t-1} = ds ⊙ (1 - g)

#ifndef RK_T  // the description (dispatch.c)
static const rk_cell_info gated_info = {
    .name = "gated", .module_name = "GatedRNN", .torch_module_name = NULL,
    .summary = "The course's single-gate gated RNN, blocks (g, s̃): s_t = (1 - g_t) ⊙ s_{t-1} + g_t ⊙ s̃_t.",
    .gate_count = 2, .has_cell_state = 0, .keeps_recurrent_part_apart = 0,
    .has_direct_state_gradient = 1, .allows_projection = 0, .uses_nonlinearity = 0,
    .forget_gate_block = -1, .input_gate_block = -1, .unit_vectors = "",
};
#else  // the element-wise step, for the including table's instruction set and element type

static void gated_forward(const rk_cell_step *s) {
    const long gs = s->gate_stride;
    const v16 one = (v16)1;
    for (long r = 0; r < s->rows; r++) {
        T *a = (T *)s->gates + r * s->gates_ld;
        const T *sp = (const T *)s->h_prev + r * s->state_ld;
        T *sn = (T *)s->h + r * s->state_ld;
        FOR_CHUNKS16(s->units, j, n, {
            const v16 g = sigmoid16(ld16n(a + j, n));
            const v16 cand = tanh16(ld16n(a + gs + j, n));
            st16n(a + j, g, n);
            st16n(a + gs + j, cand, n);
            st16n(sn + j, MULADD(g, cand, (one - g) * ld16n(sp + j, n)), n);
        })
    }
}

static void gated_backward(const rk_cell_back *s) {
    const long gs = s->gate_stride;
    const v16 one = (v16)1;
    for (long r = 0; r < s->rows; r++) {
        const T *a = (const T *)s->gates + r * s->gates_ld;
        T *da = (T *)s->d_gates + r * s->gates_ld;
        const long o0 = r * s->state_ld;
        const T *sp = (const T *)s->h_prev + o0, *ds = (const T *)s->dh + o0;
        T *dp = (T *)s->dh_prev + o0;
        FOR_CHUNKS16(s->units, j, n, {
            const v16 g = ld16n(a + j, n), cand = ld16n(a + gs + j, n), dsv = ld16n(ds + j, n);
            st16n(da + j, dsv * (cand - ld16n(sp + j, n)) * g * (one - g), n);
            st16n(da + gs + j, dsv * g * (one - cand * cand), n);
            st16n(dp + j, dsv * (one - g), n);
        })
    }
}

/// No per-unit vectors: nothing to add.
static void gated_vectors_backward(const rk_cell_vectors_back *s) { (void)s; }
#endif
