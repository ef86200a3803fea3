// The register-blocked kernels of the matrix product and the loops right around them.
//
// Every kernel keeps one accumulator lane per element of C and runs k upwards, one MULADD per
// k, so every kernel (and any mix of them) gives bit-identical results: the contract in
// `RecurrentKernels.h`. The accumulators start from C (`load`) or from zero.
//
// Operand layouts (element counts):
//   packed B panel: 16 columns, row k at `b + 16k`; panels `panel_stride` (= 16 K) apart
//   packed A sliver: R rows, column k at `a + R·k`
//   the row kernels read A (one row, x) in place, `x[k]` at `x + k·xs`.
// Tiles: R × 16P with R accumulators per panel. The 6 × 16 tile holds 12 vectors of 8 floats
// (of AVX2's 16 registers), the 8 × 32 tile 16 vectors of 16 (of AVX-512's 32).

/// C[0 ..< R, 0 ..< 16P] (+)= Ã · B̃ over kc steps, for constant R (≤ 8) and P (≤ 2).
INL void tile_kernel(long kc, const T *a, const T *b, long panel_stride, T *c, long ldc, int load,
                     const int R, const int P) {
    v16 acc[8][2];
#pragma unroll
    for (int r = 0; r < 8; r++) {
#pragma unroll
        for (int p = 0; p < 2; p++) {
            if (r < R && p < P) acc[r][p] = load ? ld16(c + r * ldc + 16 * p) : (v16)0;
        }
    }
    const T *b1 = b + panel_stride;
    for (long k = 0; k < kc; k++) {
        const v16 b0v = ld16(b + 16 * k);
        const v16 b1v = P > 1 ? ld16(b1 + 16 * k) : (v16)0;
#pragma unroll
        for (int r = 0; r < 8; r++) {
            if (r < R) {
                const v16 x = (v16)a[R * k + r];
                acc[r][0] = MULADD(x, b0v, acc[r][0]);
                if (P > 1) acc[r][1] = MULADD(x, b1v, acc[r][1]);
            }
        }
    }
#pragma unroll
    for (int r = 0; r < 8; r++) {
#pragma unroll
        for (int p = 0; p < 2; p++) {
            if (r < R && p < P) st16(c + r * ldc + 16 * p, acc[r][p]);
        }
    }
}

__attribute__((noinline)) static void tile_8x32(long kc, const T *a, const T *b, long ps, T *c, long ldc, int load) {
    tile_kernel(kc, a, b, ps, c, ldc, load, 8, 2);
}
__attribute__((noinline)) static void tile_4x32(long kc, const T *a, const T *b, long ps, T *c, long ldc, int load) {
    tile_kernel(kc, a, b, ps, c, ldc, load, 4, 2);
}
__attribute__((noinline)) static void tile_8x16(long kc, const T *a, const T *b, long ps, T *c, long ldc, int load) {
    tile_kernel(kc, a, b, ps, c, ldc, load, 8, 1);
}
__attribute__((noinline)) static void tile_6x16(long kc, const T *a, const T *b, long ps, T *c, long ldc, int load) {
    tile_kernel(kc, a, b, ps, c, ldc, load, 6, 1);
}
__attribute__((noinline)) static void tile_4x16(long kc, const T *a, const T *b, long ps, T *c, long ldc, int load) {
    tile_kernel(kc, a, b, ps, c, ldc, load, 4, 1);
}

/// The tile of height h (8, 6 or 4) over `count` (1 or 2) panels.
INL void run_tile(long h, long count, long kc, const T *a, const T *b, long ps, T *c, long ldc, int load) {
    if (count == 2) {
        if (h == 8) tile_8x32(kc, a, b, ps, c, ldc, load);
        else tile_4x32(kc, a, b, ps, c, ldc, load);
    } else if (h == 8) {
        tile_8x16(kc, a, b, ps, c, ldc, load);
    } else if (h == 6) {
        tile_6x16(kc, a, b, ps, c, ldc, load);
    } else {
        tile_4x16(kc, a, b, ps, c, ldc, load);
    }
}

/// Every (sliver, panel) tile of one kc block, `nc_panels` panels at a time, each sliver along
/// them in turn (two panels per tile with the wide tile). Edge tiles (rows past M or columns
/// past N) go through `edge`, rows 32 apart, zeroed where C has no element so no stale
/// denormal or NaN slows the kernel.
static void gemm_block(const rk_gemm_block *g) {
    const T *b = g->b;
    T *c = g->c;
    T *edge = g->edge;
    const T *packed_a = g->packed_a;
    const long ps = g->panel_stride, tall = g->slivers.tall, count_tall = g->slivers.count_tall;
    const long kl = g->kl, k0 = g->k0, step = g->wide ? 2 : 1, nc = g->nc_panels > 0 ? g->nc_panels : 8;
    for (long p0 = g->p0; p0 < g->p1; p0 += nc) {
        const long p1 = min_l(p0 + nc, g->p1);
        long offset = 0;
        for (long s = g->s0; s < g->s1; s++) {
            const long h = s < count_tall ? tall : 4;
            const long i0 = s < count_tall ? tall * s : tall * count_tall + 4 * (s - count_tall);
            const long rows = min_l(h, g->m - i0);
            const T *pa = packed_a + offset;
            for (long p = p0; p < p1;) {
                const long count = min_l(step, p1 - p);
                const T *bp = b + p * ps + k0 * 16;
                const long j0 = p * 16, cols = min_l(count * 16, g->n - j0);
                T *cp = c + i0 * g->ldc + j0;
                if (rows == h && cols == count * 16) {
                    run_tile(h, count, kl, pa, bp, ps, cp, g->ldc, g->load);
                } else {
                    if (g->load) {
                        for (long i = 0; i < h * 32; i++) edge[i] = 0;
                        for (long r = 0; r < rows; r++) __builtin_memcpy(edge + r * 32, cp + r * g->ldc, cols * sizeof(T));
                    }
                    run_tile(h, count, kl, pa, bp, ps, edge, 32, g->load);
                    for (long r = 0; r < rows; r++) __builtin_memcpy(cp + r * g->ldc, edge + r * 32, cols * sizeof(T));
                }
                p += count;
            }
            offset += h * kl;
        }
    }
}

/// One row of C over P consecutive panels: c[0 ..< 16P] (+)= x · B̃; P accumulators, each k
/// reading one 16-lane row of every panel.
INL void row_kernel(long k, const T *x, long xs, const T *b, long ps, T *c, int load, const int P) {
    v16 acc[8];
#pragma unroll
    for (int p = 0; p < 8; p++) {
        if (p < P) acc[p] = load ? ld16(c + 16 * p) : (v16)0;
    }
    for (long i = 0; i < k; i++) {
        const v16 v = (v16)x[i * xs];
#pragma unroll
        for (int p = 0; p < 8; p++) {
            if (p < P) acc[p] = MULADD(v, ld16(b + p * ps + 16 * i), acc[p]);
        }
    }
#pragma unroll
    for (int p = 0; p < 8; p++) {
        if (p < P) st16(c + 16 * p, acc[p]);
    }
}

__attribute__((noinline)) static void row_8(long k, const T *x, long xs, const T *b, long ps, T *c, int load) {
    row_kernel(k, x, xs, b, ps, c, load, 8);
}
__attribute__((noinline)) static void row_4(long k, const T *x, long xs, const T *b, long ps, T *c, int load) {
    row_kernel(k, x, xs, b, ps, c, load, 4);
}
__attribute__((noinline)) static void row_1(long k, const T *x, long xs, const T *b, long ps, T *c, int load) {
    row_kernel(k, x, xs, b, ps, c, load, 1);
}

/// One row of C (M = 1) over panels `p0 ..< p1`: eight (wide) or four panels per call, then
/// one; the last, partial panel through a 16-lane buffer.
static void gemm_row(long k, const void *xv, long xs, const void *bv, long n, void *cv, long p0, long p1, int load,
                     int wide) {
    const T *x = xv, *b = bv;
    T *c = cv;
    const long ps = k * 16, full = min_l(p1, n / 16);
    long p = p0;
    if (wide) {
        for (; p + 8 <= full; p += 8) row_8(k, x, xs, b + p * ps, ps, c + p * 16, load);
    }
    for (; p + 4 <= full; p += 4) row_4(k, x, xs, b + p * ps, ps, c + p * 16, load);
    for (; p < full; p++) row_1(k, x, xs, b + p * ps, ps, c + p * 16, load);
    if (p < p1) {
        const long cols = n - p * 16;
        T tile[16] = {0};
        if (load) __builtin_memcpy(tile, c + p * 16, cols * sizeof(T));
        row_1(k, x, xs, b + p * ps, ps, tile, load);
        __builtin_memcpy(c + p * 16, tile, cols * sizeof(T));
    }
}

/// C (+)= A · B for a small K (a few features), row by row, 16 columns at a time: packing A
/// would cost more than the product. With `bias`, each row starts from it.
static void gemm_thin(const rk_matrix *a, const void *bv, long n, void *cv, long ldc, int load, const void *biasv) {
    const T *b = bv, *abase = a->base, *bias = biasv;
    T *c = cv;
    const long k = a->cols, panels = (n + 15) / 16;
    for (long i = 0; i < a->rows; i++) {
        T *row = c + i * ldc;
        const T *x = abase + i * a->row_stride;
        for (long p = 0; p < panels; p++) {
            const long j0 = p * 16, cols = min_l(16, n - j0);
            const T *panel = b + p * k * 16;
            v16 acc = bias ? ld16n(bias + j0, cols) : load ? ld16n(row + j0, cols) : (v16)0;
            for (long kk = 0; kk < k; kk++) acc = MULADD((v16)x[kk * a->col_stride], ld16(panel + 16 * kk), acc);
            st16n(row + j0, acc, cols);
        }
    }
}

/// c[0 ..< 16V] += Σ_k x[k] · b[16V·k ..< 16V·k + 16V] for constant V (1 to 8): a row block of
/// the batch-1 path, streamed in order. The k loop is kept rolled on purpose: measured on
/// Zen 5, streaming 512 KB from L2 this way ran at 254 GB/s, unrolled four times at 134.
INL void row_block_n(long k, const T *x, const T *b, T *c, const int V) {
    v16 acc[8];
#pragma unroll
    for (int v = 0; v < 8; v++) {
        if (v < V) acc[v] = ld16(c + 16 * v);
    }
#pragma clang loop unroll(disable)
    for (long i = 0; i < k; i++) {
        const v16 xv = (v16)x[i];
#pragma unroll
        for (int v = 0; v < 8; v++) {
            if (v < V) acc[v] = MULADD(xv, ld16(b + 16 * v), acc[v]);
        }
        b += 16 * V;
    }
#pragma unroll
    for (int v = 0; v < 8; v++) {
        if (v < V) st16(c + 16 * v, acc[v]);
    }
}

static void row_block(long k, const void *xv, const void *bv, long vectors, void *cv) {
    const T *x = xv, *b = bv;
    T *c = cv;
    switch (vectors) {
    case 1: row_block_n(k, x, b, c, 1); break;
    case 2: row_block_n(k, x, b, c, 2); break;
    case 3: row_block_n(k, x, b, c, 3); break;
    case 4: row_block_n(k, x, b, c, 4); break;
    case 5: row_block_n(k, x, b, c, 5); break;
    case 6: row_block_n(k, x, b, c, 6); break;
    case 7: row_block_n(k, x, b, c, 7); break;
    default: row_block_n(k, x, b, c, 8); break;
    }
}
