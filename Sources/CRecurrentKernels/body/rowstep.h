// The batch-1 path's per-step work for one participant's row blocks, forward and backward:
// one call per step instead of one per block and kernel.

static void row_step(const rk_row_step *r) {
    const T *w = r->w, *h_prev = r->h_prev, *c_prev = r->c_prev, *bhh = r->bhh;
    T *a_all = r->a, *h = r->h, *c = r->c, *aux = r->aux, *tape = r->tape_gates, *tile = r->tile;
    const long G = r->gates, vectors = r->width / 16;
    for (long q = r->q0; q < r->q1; q++) {
        const long j0 = q * r->units, n = min_l(r->units, r->hidden - j0);
        T *a = a_all + q * r->width;
        const T *block = w + q * r->k * r->width;
        const void *recurrent = 0;
        if (r->apart) {
            for (long s = 0; s < r->width; s++) tile[s] = bhh ? bhh[q * r->width + s] : (T)0;
            row_block(r->k, h_prev, block, vectors, tile);
            recurrent = tile;
        } else {
            row_block(r->k, h_prev, block, vectors, a);
        }
        const rk_cell_step step = {
            .gates = a, .recurrent = recurrent, .h_prev = h_prev + j0, .h = h + j0,
            .c_prev = c_prev ? c_prev + j0 : 0, .c = c ? c + j0 : 0, .aux = aux ? aux + j0 : 0,
            .unit_vectors = r->unit_vectors ? (const T *)r->unit_vectors + j0 : 0, .unit_vector_stride = r->hidden,
            .rows = 1, .units = n, .gate_stride = n, .gates_ld = G * n, .state_ld = r->hidden,
            .nonlinearity = r->nonlinearity,
        };
        cell_forward(r->cell, &step);
        if (tape) {
            for (long g = 0; g < G; g++) __builtin_memcpy(tape + g * r->hidden + j0, a + g * n, n * sizeof(T));
        }
    }
}

static void row_back_product(long k, const void *xv, const void *wv, long width, long hidden, long q0, long q1,
                             void *outv, void *tilev, int accumulate) {
    const T *x = xv, *w = wv;
    T *out = outv, *tile = tilev;
    for (long q = q0; q < q1; q++) {
        const long n = min_l(width, hidden - q * width);
        T *o = out + (q - q0) * width;
        T *target = n == width ? o : tile;
        if (!accumulate) {
            for (long s = 0; s < width; s++) target[s] = 0;
        } else if (n < width) {
            for (long s = 0; s < width; s++) tile[s] = s < n ? o[s] : (T)0;
        }
        row_block(k, x, w + q * k * width, width / 16, target);
        if (n < width) __builtin_memcpy(o, tile, n * sizeof(T));
    }
}
