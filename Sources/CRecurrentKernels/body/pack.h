// Packing the operands of the matrix product: B into panels of 16 columns, A into slivers.

/// Panel p of B holds `B[k, 16p + j]` at `out[(p·K + k)·16 + j]`, zeros past column N.
static void pack_b(const rk_matrix *bm, void *outv) {
    const T *base = bm->base;
    T *out = outv;
    const long K = bm->rows, N = bm->cols, rs = bm->row_stride, cs = bm->col_stride;
    const long panels = (N + 15) / 16;
    for (long p = 0; p < panels; p++) {
        const long j0 = p * 16, jn = min_l(16, N - j0);
        T *dst = out + p * K * 16;
        if (cs == 1 && jn == 16) {
            for (long k = 0; k < K; k++) st16(dst + 16 * k, ld16(base + k * rs + j0));
        } else if (rs == 1 && jn == 16) {
            // Bᵀ stored row-major (a weight matrix W): 16 rows of W in, one stream out, eight
            // columns of each row at a time so every line of W is read once.
            const T *w = base + j0 * cs;
            long k = 0;
            for (; k + 8 <= K; k += 8) {
                for (long j = 0; j < 16; j++) {
                    const T *src = w + j * cs + k;
                    for (long kk = 0; kk < 8; kk++) dst[(k + kk) * 16 + j] = src[kk];
                }
            }
            for (; k < K; k++) {
                for (long j = 0; j < 16; j++) dst[k * 16 + j] = w[j * cs + k];
            }
        } else {
            for (long k = 0; k < K; k++) {
                for (long j = 0; j < 16; j++) dst[k * 16 + j] = j < jn ? base[k * rs + (j0 + j) * cs] : (T)0;
            }
        }
    }
}

INL long sliver_row(const rk_slivers *plan, long s) {
    return s < plan->count_tall ? plan->tall * s : plan->tall * plan->count_tall + 4 * (s - plan->count_tall);
}

INL long sliver_height(const rk_slivers *plan, long s) { return s < plan->count_tall ? plan->tall : 4; }

/// `pack_slivers` for A transposed (rows contiguous: dAᵀ in dW += dAᵀ · X): reads each column
/// of the block once and scatters it to the slivers (walking the slivers first would reread
/// lines a large power of 2 apart).
static void pack_transposed(const rk_matrix *am, const rk_slivers *plan, long s0, long s1, long k0, long kc, T *dst) {
    const T *base = am->base;
    const long cs = am->col_stride;
    const long row0 = sliver_row(plan, s0);
    const long rows = min_l(am->rows, sliver_row(plan, s1 - 1) + sliver_height(plan, s1 - 1)) - row0;
    long offset = 0;
    for (long s = s0; s < s1; s++) {
        const long h = sliver_height(plan, s), valid = min_l(h, am->rows - sliver_row(plan, s));
        if (valid < h) {
            for (long i = 0; i < h * kc; i++) dst[offset + i] = 0;
        }
        offset += h * kc;
    }
    for (long k = 0; k < kc; k++) {
        const T *src = base + (k0 + k) * cs + row0;
        // The column 8 ahead, from memory while this one is copied: columns are far apart,
        // too far for the hardware prefetcher.
        const char *ahead = (const char *)(src + 8 * cs);
        for (long byte = 0; byte < rows * (long)sizeof(T); byte += 64) __builtin_prefetch(ahead + byte, 0, 3);
        T *d = dst;
        long r = 0;
        for (long s = s0; s < s1; s++) {
            const long h = sliver_height(plan, s);
            T *out = d + h * k;
            const long copy = min_l(h, rows - r);
            if (copy == h) {
                __builtin_memcpy(out, src, h * sizeof(T));
            } else {
                for (long i = 0; i < copy; i++) out[i] = src[i];
            }
            src += h;
            d += h * kc;
            r += h;
        }
    }
}

/// Slivers `s0 ..< s1` of A, columns `k0 ..< k0 + kc`, one after the other into `dst`: sliver s
/// (h rows from its first row) as h · kc elements, column by column (`[h·k + r]`), zeros for
/// rows at or past A's.
static void pack_slivers(const rk_matrix *am, const rk_slivers *plan, long s0, long s1, long k0, long kc, void *dstv) {
    T *dst = dstv;
    const T *base = am->base;
    const long rs = am->row_stride, cs = am->col_stride;
    if (rs == 1 && cs != 1) {
        pack_transposed(am, plan, s0, s1, k0, kc, dst);
        return;
    }
    long offset = 0;
    for (long s = s0; s < s1; s++) {
        const long h = sliver_height(plan, s), row0 = sliver_row(plan, s), valid = min_l(h, am->rows - row0);
        T *out = dst + offset;
        offset += h * kc;
        if (cs == 1 && valid == h) {
            // Row-major A: h row streams in, one contiguous stream out.
            const T *r0 = base + row0 * rs + k0;
            if (h == 8) {
                for (long k = 0; k < kc; k++) {
                    for (long i = 0; i < 8; i++) out[8 * k + i] = r0[i * rs + k];
                }
            } else if (h == 6) {
                for (long k = 0; k < kc; k++) {
                    for (long i = 0; i < 6; i++) out[6 * k + i] = r0[i * rs + k];
                }
            } else {
                for (long k = 0; k < kc; k++) {
                    for (long i = 0; i < 4; i++) out[4 * k + i] = r0[i * rs + k];
                }
            }
            continue;
        }
        if (valid < h) {
            for (long i = 0; i < h * kc; i++) out[i] = 0;
        }
        for (long r = 0; r < valid; r++) {
            const T *src = base + (row0 + r) * rs + k0 * cs;
            for (long k = 0; k < kc; k++) out[h * k + r] = src[k * cs];
        }
    }
}

/// Blocks of chosen columns for the batch-1 row kernels: block q's row k, slot s holds
/// `B[k, columns[q·width + s]]` (0 for a negative index). With B's columns contiguous (Wᵀ of a
/// row-major W) each column is read in runs of 16 k and written 16 rows at a time.
static void pack_row_blocks(const rk_matrix *bm, const long *columns, long blocks, long width, void *outv) {
    const T *base = bm->base;
    T *out = outv;
    const long K = bm->rows, rs = bm->row_stride, cs = bm->col_stride;
    for (long q = 0; q < blocks; q++) {
        T *block = out + q * K * width;
        const long *cols = columns + q * width;
        for (long k0 = 0; k0 < K; k0 += 16) {
            const long kn = min_l(16, K - k0);
            for (long s = 0; s < width; s++) {
                T *dst = block + k0 * width + s;
                if (cols[s] < 0) {
                    for (long k = 0; k < kn; k++) dst[k * width] = 0;
                } else {
                    const T *src = base + k0 * rs + cols[s] * cs;
                    for (long k = 0; k < kn; k++) dst[k * width] = src[k * rs];
                }
            }
        }
    }
}
