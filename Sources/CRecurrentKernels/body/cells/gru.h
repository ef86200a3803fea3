// The GRU's element-wise step, PyTorch's equations (gate blocks r, z, n; the hidden bias of n
// inside the reset product). `gates` holds W_i x + b_i, `recurrent` holds W_h h + b_h:
//
//   r = σ(a_r + ah_r)   z = σ(a_z + ah_z)   n = tanh(a_n + r ⊙ ah_n)
//   h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}, computed as n + z ⊙ (h_{t-1} - n), as PyTorch does
//
// Backward, from dh = ∂L/∂h_t:
//   dn = dh ⊙ (1 - z) ⊙ (1 - n²)   dz = dh ⊙ (h_{t-1} - n) ⊙ z(1 - z)   dr = dn ⊙ ah_n ⊙ r(1 - r)
//   ∂L/∂a = (dr, dz, dn)   ∂L/∂ah = (dr, dz, dn ⊙ r)   direct ∂L/∂h_{t-1} = dh ⊙ z

#ifndef RK_T  // the description (dispatch.c)
static const rk_cell_info gru_info = {
    .name = "gru", .module_name = "GRU", .torch_module_name = "nn.GRU",
    .summary = "GRU, blocks (r, z, n) as PyTorch: h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}.",
    .gate_count = 3, .has_cell_state = 0, .keeps_recurrent_part_apart = 1,
    .has_direct_state_gradient = 1, .allows_projection = 0, .uses_nonlinearity = 0,
    .forget_gate_block = 1, .input_gate_block = -1, .unit_vectors = "",
};
#else  // the element-wise step, for the including table's instruction set and element type

static void gru_forward(const rk_cell_step *s) {
    const long gs = s->gate_stride;
    for (long r = 0; r < s->rows; r++) {
        T *a = (T *)s->gates + r * s->gates_ld;
        const T *ah = (const T *)s->recurrent + r * s->gates_ld;
        const T *hp = (const T *)s->h_prev + r * s->state_ld;
        T *hn = (T *)s->h + r * s->state_ld;
        T *aux = s->aux ? (T *)s->aux + r * s->state_ld : 0;
        FOR_CHUNKS16(s->units, j, n, {
            const v16 rv = sigmoid16(ld16n(a + j, n) + ld16n(ah + j, n));
            const v16 z = sigmoid16(ld16n(a + gs + j, n) + ld16n(ah + gs + j, n));
            const v16 hgate = ld16n(ah + 2 * gs + j, n);
            const v16 cand = tanh16(MULADD(rv, hgate, ld16n(a + 2 * gs + j, n)));
            st16n(a + j, rv, n);
            st16n(a + gs + j, z, n);
            st16n(a + 2 * gs + j, cand, n);
            if (aux) st16n(aux + j, hgate, n);
            st16n(hn + j, MULADD(z, ld16n(hp + j, n) - cand, cand), n);
        })
    }
}

static void gru_backward(const rk_cell_back *s) {
    const long gs = s->gate_stride;
    const v16 one = (v16)1;
    for (long r = 0; r < s->rows; r++) {
        const T *a = (const T *)s->gates + r * s->gates_ld;
        T *di = (T *)s->d_gates + r * s->gates_ld, *dhh = (T *)s->d_recurrent + r * s->gates_ld;
        const long o0 = r * s->state_ld;
        const T *ghn = (const T *)s->aux + o0, *hp = (const T *)s->h_prev + o0, *dh = (const T *)s->dh + o0;
        T *dp = (T *)s->dh_prev + o0;
        FOR_CHUNKS16(s->units, j, n, {
            const v16 rv = ld16n(a + j, n), z = ld16n(a + gs + j, n), cand = ld16n(a + 2 * gs + j, n);
            const v16 dhv = ld16n(dh + j, n);
            const v16 dn = dhv * (one - z) * (one - cand * cand);
            const v16 dz = dhv * (ld16n(hp + j, n) - cand) * z * (one - z);
            const v16 dr = dn * ld16n(ghn + j, n) * rv * (one - rv);
            st16n(di + j, dr, n);
            st16n(di + gs + j, dz, n);
            st16n(di + 2 * gs + j, dn, n);
            st16n(dhh + j, dr, n);
            st16n(dhh + gs + j, dz, n);
            st16n(dhh + 2 * gs + j, dn * rv, n);
            st16n(dp + j, dhv * z, n);
        })
    }
}

/// No per-unit vectors: nothing to add.
static void gru_vectors_backward(const rk_cell_vectors_back *s) { (void)s; }
#endif
