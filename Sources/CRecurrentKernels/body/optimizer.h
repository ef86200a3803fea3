// Optimizer updates with PyTorch's exact semantics (torch.optim.SGD and Adam/AdamW, the
// single-tensor path): the same operations in the same order, never fused, so every
// instruction set gives the same bits.

static void sgd_step(const rk_sgd *a) {
    T *p = a->p;
    const T *g = a->g;
    const long n = a->n;
    const T neg_lr = (T)a->neg_lr, wd = (T)a->weight_decay;
    if (!a->has_momentum) {
        if (a->use_decay) {
            FOR_CHUNKS16(n, j, c, {
                const v16 pv = ld16n(p + j, c);
                st16n(p + j, pv + neg_lr * (ld16n(g + j, c) + wd * pv), c);
            })
        } else {
            FOR_CHUNKS16(n, j, c, { st16n(p + j, ld16n(p + j, c) + neg_lr * ld16n(g + j, c), c); })
        }
        return;
    }
    T *b = a->momentum_buffer;
    const T mu = (T)a->momentum, keep = (T)a->keep;
    FOR_CHUNKS16(n, j, c, {
        const v16 pv = ld16n(p + j, c), gv = ld16n(g + j, c);
        const v16 d = a->use_decay ? gv + wd * pv : gv;
        const v16 bv = a->first ? d : ld16n(b + j, c) * mu + keep * d;
        st16n(b + j, bv, c);
        st16n(p + j, pv + neg_lr * (a->nesterov ? d + mu * bv : bv), c);
    })
}

static void adam_step(const rk_adam *a) {
    T *p = a->p, *m = a->m, *v = a->v;
    const T *g = a->g;
    const T neg_step = (T)a->neg_step, bc2 = (T)a->bias_correction2_sqrt, eps = (T)a->eps;
    const T wd = (T)a->weight_decay, decay = (T)a->decay, w = (T)a->w, one_minus_w = (T)a->one_minus_w;
    const T b2 = (T)a->beta2, one_minus_b2 = (T)a->one_minus_beta2;
    FOR_CHUNKS16(a->n, j, c, {
        v16 param = ld16n(p + j, c), grad = ld16n(g + j, c);
        if (a->l2) grad = grad + wd * param;
        if (a->decoupled) param = param * decay;
        v16 mv = ld16n(m + j, c);
        // torch.lerp(m, g, w): m + w·(g − m) for |w| < 0.5, else g − (g − m)·(1 − w).
        mv = a->lerp_from_start ? mv + w * (grad - mv) : grad - (grad - mv) * one_minus_w;
        const v16 vv = ld16n(v + j, c) * b2 + one_minus_b2 * grad * grad;
        st16n(m + j, mv, c);
        st16n(v + j, vv, c);
        const v16 denom = __builtin_elementwise_sqrt(vv) / bc2 + eps;
        st16n(p + j, param + neg_step * mv / denom, c);
    })
}
