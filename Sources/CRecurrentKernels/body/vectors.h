// Element-wise work on whole arrays: sums, scaling, norms, finiteness.

/// y[0 ..< n] += x[0 ..< n].
static void add(long n, const void *xv, void *yv) {
    const T *x = xv;
    T *y = yv;
    FOR_CHUNKS16(n, j, cnt, { st16n(y + j, ld16n(y + j, cnt) + ld16n(x + j, cnt), cnt); })
}

/// out[j] += Σ_r m[r·ld + j], rows summed in order (and the same into `second`, from the same
/// pass over m): the bias gradients.
static void add_column_sums(const void *mv, long rows, long ld, long width, void *outv, void *secondv) {
    const T *m = mv;
    T *out = outv, *second = secondv;
    for (long r = 0; r < rows; r++) {
        const T *row = m + r * ld;
        FOR_CHUNKS16(width, j, cnt, {
            const v16 v = ld16n(row + j, cnt);
            st16n(out + j, ld16n(out + j, cnt) + v, cnt);
            if (second) st16n(second + j, ld16n(second + j, cnt) + v, cnt);
        })
    }
}

/// x *= factor, the factor rounded to T first (as PyTorch multiplies by a tensor of the dtype).
static void scale(long n, void *xv, double factor) {
    T *x = xv;
    const T f = (T)factor;
    FOR_CHUNKS16(n, j, cnt, { st16n(x + j, ld16n(x + j, cnt) * f, cnt); })
}

/// Σ x² in double: eight partial sums (lane i of every 8-element group), then summed in a fixed
/// order, so the result is the same on every instruction set.
static double sum_of_squares(long n, const void *xv) {
    const T *x = xv;
    d8 acc = (d8)0;
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        d8 v;
        for (int l = 0; l < 8; l++) v[l] = (double)x[i + l];
        acc = acc + v * v;
    }
    double total = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (; i < n; i++) total = total + (double)x[i] * (double)x[i];
    return total;
}

/// 1 when every element is finite: x · 0 is ±0 for a finite x and NaN for the others.
static int all_finite(long n, const void *xv) {
    const T *x = xv;
    v16 acc = (v16)0;
    long i = 0;
    for (; i + 16 <= n; i += 16) acc = acc + ld16(x + i) * (T)0;
    for (; i < n; i++) {
        if (!__builtin_isfinite(x[i])) return 0;
    }
    for (int l = 0; l < 16; l++) {
        if (acc[l] != 0) return 0;
    }
    return 1;
}
