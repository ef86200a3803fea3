// Activation functions on 16 lanes.
//
// float: tanh by a rational approximation (odd degree-13 numerator over even degree-6
// denominator, the coefficients Eigen uses), within 1e-6 absolute of the exact function
// everywhere (measured over [-20, 20]: 2.6e-7 with FMA, 3.7e-7 without), exactly ±1 past ±9,
// x itself below 4e-4 in magnitude; sigmoid as 1/2 + tanh(x/2)/2 (exactly 0 and 1 past ∓18).
// Written with vector selects, so it compiles to straight vector code. NaN stays NaN.
// double (the reference): the C library's exact functions, lane by lane.

#if RK_IS_DOUBLE

INL v16 tanh16(v16 x) {
    v16 r;
    for (int i = 0; i < 16; i++) r[i] = tanh(x[i]);
    return r;
}

INL v16 sigmoid16(v16 x) {
    v16 r;
    for (int i = 0; i < 16; i++) r[i] = 1.0 / (1.0 + exp(-x[i]));
    return r;
}

#else

INL v16 tanh16(v16 x) {
    const float bound = 7.90531110763549805f;
    v16 v = x > bound ? (v16)bound : x;
    v = v < -bound ? (v16)(-bound) : v;
    const v16 x2 = v * v;
    v16 p = (v16)-2.76076847742355e-16f;
    p = MULADD(p, x2, (v16)2.00018790482477e-13f);
    p = MULADD(p, x2, (v16)-8.60467152213735e-11f);
    p = MULADD(p, x2, (v16)5.12229709037114e-08f);
    p = MULADD(p, x2, (v16)1.48572235717979e-05f);
    p = MULADD(p, x2, (v16)6.37261928875436e-04f);
    p = MULADD(p, x2, (v16)4.89352455891786e-03f);
    p = p * v;
    v16 q = (v16)1.19825839466702e-06f;
    q = MULADD(q, x2, (v16)1.18534705686654e-04f);
    q = MULADD(q, x2, (v16)2.26843463243900e-03f);
    q = MULADD(q, x2, (v16)4.89352518554385e-03f);
    v16 r = p / q;
    r = ((x < 0.0004f) & (x > -0.0004f)) ? x : r;
    r = x > 9.0f ? (v16)1.0f : r;
    r = x < -9.0f ? (v16)-1.0f : r;
    return r;
}

INL v16 sigmoid16(v16 x) {
    const v16 half = (v16)0.5f;
    return MULADD(half, tanh16(half * x), half);
}

#endif

/// max(x, 0); NaN stays NaN.
INL v16 relu16(v16 x) { return x < (T)0 ? (v16)0 : x; }

static void activation(int function, long n, const void *xv, void *yv) {
    const T *x = xv;
    T *y = yv;
    FOR_CHUNKS16(n, j, cnt, {
        const v16 v = ld16n(x + j, cnt);
        st16n(y + j, function == 0 ? tanh16(v) : function == 1 ? sigmoid16(v) : relu16(v), cnt);
    })
}
