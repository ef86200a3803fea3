#ifndef RECURRENT_SUPPORT_H
#define RECURRENT_SUPPORT_H

/// 1 when the build targets a CPU with fused multiply-add (for example with
/// `-Xswiftc -target-cpu -Xswiftc native` on a recent x86_64 or on arm64), else 0.
/// Swift's `SIMD.addingProduct` becomes one instruction with it and a per-lane
/// library call without it, so kernels choose between the two at compile time.
#if defined(__FMA__) || defined(__aarch64__) || defined(__ARM_FEATURE_FMA)
#define RECURRENT_HAS_FMA 1
#else
#define RECURRENT_HAS_FMA 0
#endif

/// 1 when the build targets AVX-512 (32 vector registers of 16 floats).
#if defined(__AVX512F__)
#define RECURRENT_HAS_AVX512 1
#else
#define RECURRENT_HAS_AVX512 0
#endif

// The vector helpers below are always inlined, so passing 256-bit vectors by value without AVX
// (a build without -target-cpu native) changes no ABI that matters.
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wpsabi"

/// Vectors of 8 lanes; Swift sees them as `SIMD8<Float>` and `SIMD8<Double>`.
typedef float recurrent_float8 __attribute__((ext_vector_type(8)));
typedef double recurrent_double8 __attribute__((ext_vector_type(8)));

/// The correctly rounded square root of every lane, as vector instructions. Swift's
/// `squareRoot()` calls the C library per lane on Linux (for `errno`), which no loop vectorizes.
#if __has_builtin(__builtin_elementwise_sqrt)
static inline __attribute__((always_inline)) recurrent_float8 recurrent_sqrt_float8(recurrent_float8 x) {
    return __builtin_elementwise_sqrt(x);
}
static inline __attribute__((always_inline)) recurrent_double8 recurrent_sqrt_double8(recurrent_double8 x) {
    return __builtin_elementwise_sqrt(x);
}
#else
static inline recurrent_float8 recurrent_sqrt_float8(recurrent_float8 x) {
    for (int i = 0; i < 8; i++) x[i] = __builtin_sqrtf(x[i]);
    return x;
}
static inline recurrent_double8 recurrent_sqrt_double8(recurrent_double8 x) {
    for (int i = 0; i < 8; i++) x[i] = __builtin_sqrt(x[i]);
    return x;
}
#endif

/// Atomics and a spin-wait hint for the kernels' thread pool (Swift's own atomics need
/// macOS 15 or the swift-atomics package). All operations are sequentially consistent.
static inline long recurrent_atomic_load(const long *p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }
static inline void recurrent_atomic_store(long *p, long v) { __atomic_store_n(p, v, __ATOMIC_SEQ_CST); }
static inline long recurrent_atomic_add(long *p, long v) { return __atomic_add_fetch(p, v, __ATOMIC_SEQ_CST); }
/// Sets `*p` to `desired` if it holds `expected`; returns whether it did.
static inline int recurrent_atomic_cas(long *p, long expected, long desired) {
    return __atomic_compare_exchange_n(p, &expected, desired, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}
/// Asks for the cache line holding `p` to be loaded (a hint; never faults).
static inline void recurrent_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }
/// Tells the CPU this is a spin-wait loop (x86 `pause`, arm64 `yield`).
static inline void recurrent_spin_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}


/// c + a * b for vectors of any width, fused when the target has FMA (as Swift's `multiplyAdd`),
/// else multiply then add.
#if RECURRENT_HAS_FMA
#define RECURRENT_MULADD(a, b, c) __builtin_elementwise_fma((a), (b), (c))
#else
#define RECURRENT_MULADD(a, b, c) ((a) * (b) + (c))
#endif

/// Vectors of 16 lanes (one AVX-512 register of floats, two AVX2 ones).
typedef float recurrent_float16 __attribute__((ext_vector_type(16)));

/// tanh of every lane: the rational approximation documented in `Activations.swift` (Eigen's
/// coefficients), written with vector selects (compare and blend) so it compiles to straight
/// vector code; Swift's generic `SIMD.replacing(with:where:)` does not always. NaN stays NaN.
/// One body for both widths, so 8 and 16 lanes give the same result lane by lane.
#define RECURRENT_DEFINE_TANH_SIGMOID(V, NAME)                                                         \
static inline __attribute__((always_inline)) V recurrent_tanh_##NAME(V x) {                           \
    const float bound = 7.90531110763549805f;                                                         \
    V v = x > bound ? (V)bound : x;                                                                   \
    v = v < -bound ? (V)(-bound) : v;                                                                 \
    V x2 = v * v;                                                                                     \
    V p = (V)-2.76076847742355e-16f;                                                                  \
    p = RECURRENT_MULADD(p, x2, (V)2.00018790482477e-13f);                                           \
    p = RECURRENT_MULADD(p, x2, (V)-8.60467152213735e-11f);                                          \
    p = RECURRENT_MULADD(p, x2, (V)5.12229709037114e-08f);                                           \
    p = RECURRENT_MULADD(p, x2, (V)1.48572235717979e-05f);                                           \
    p = RECURRENT_MULADD(p, x2, (V)6.37261928875436e-04f);                                           \
    p = RECURRENT_MULADD(p, x2, (V)4.89352455891786e-03f);                                           \
    p = p * v;                                                                                        \
    V q = (V)1.19825839466702e-06f;                                                                   \
    q = RECURRENT_MULADD(q, x2, (V)1.18534705686654e-04f);                                           \
    q = RECURRENT_MULADD(q, x2, (V)2.26843463243900e-03f);                                           \
    q = RECURRENT_MULADD(q, x2, (V)4.89352518554385e-03f);                                           \
    V r = p / q;                                                                                      \
    r = ((x < 0.0004f) & (x > -0.0004f)) ? x : r;                                                    \
    r = x > 9.0f ? (V)1.0f : r;                                                                       \
    r = x < -9.0f ? (V)-1.0f : r;                                                                     \
    return r;                                                                                         \
}                                                                                                     \
/** The logistic sigmoid of every lane, as 1/2 + tanh(x/2)/2. */                                     \
static inline __attribute__((always_inline)) V recurrent_sigmoid_##NAME(V x) {                        \
    const V half = (V)0.5f;                                                                           \
    return RECURRENT_MULADD(half, recurrent_tanh_##NAME(half * x), half);                            \
}

RECURRENT_DEFINE_TANH_SIGMOID(recurrent_float8, float8)
RECURRENT_DEFINE_TANH_SIGMOID(recurrent_float16, float16)

/// max(x, 0) of every lane; NaN stays NaN.
static inline __attribute__((always_inline)) recurrent_float8 recurrent_relu_float8(recurrent_float8 x) {
    return x < 0.0f ? (recurrent_float8)0.0f : x;
}
static inline __attribute__((always_inline)) recurrent_float16 recurrent_relu_float16(recurrent_float16 x) {
    return x < 0.0f ? (recurrent_float16)0.0f : x;
}


/// `c[0 ..< 16·V] += Σ_k x[k] · b[16V·k ..< 16V·k + 16V]` for `V` (1 to 8, a constant after
/// inlining) vectors of 16 lanes: one running sum per element, k upwards, one multiply-add per k
/// (fused with FMA), as the contract on `gemm` requires. `b` holds the rows of a `K × 16V` block
/// one after the other, so the whole block streams in order.
///
/// The k loop is kept rolled on purpose: measured on Zen 5, streaming 512 KB from L2 this way
/// runs at 254 GB/s, unrolled four times (what LLVM does to the same loop in Swift) at 134 GB/s.
static inline __attribute__((always_inline)) void recurrent_row_block_f32_n(
    long k, const float *x, const float *b, const int V, float *c) {
    recurrent_float16 acc[8];
#pragma unroll
    for (int v = 0; v < 8; v++) if (v < V) __builtin_memcpy(&acc[v], c + 16 * v, sizeof(recurrent_float16));
#pragma clang loop unroll(disable)
    for (long i = 0; i < k; i++) {
        const recurrent_float16 xv = (recurrent_float16)x[i];
#pragma unroll
        for (int v = 0; v < 8; v++) {
            if (v < V) {
                recurrent_float16 bv;
                __builtin_memcpy(&bv, b + 16 * v, sizeof(bv));
                acc[v] = RECURRENT_MULADD(xv, bv, acc[v]);
            }
        }
        b += 16 * V;
    }
#pragma unroll
    for (int v = 0; v < 8; v++) if (v < V) __builtin_memcpy(c + 16 * v, &acc[v], sizeof(recurrent_float16));
}

/// `recurrent_row_block_f32_n` for a `vectors` known only at run time (1 to 8).
static inline void recurrent_row_block_f32(long k, const float *x, const float *b, long vectors, float *c) {
    switch (vectors) {
    case 1: recurrent_row_block_f32_n(k, x, b, 1, c); break;
    case 2: recurrent_row_block_f32_n(k, x, b, 2, c); break;
    case 3: recurrent_row_block_f32_n(k, x, b, 3, c); break;
    case 4: recurrent_row_block_f32_n(k, x, b, 4, c); break;
    case 5: recurrent_row_block_f32_n(k, x, b, 5, c); break;
    case 6: recurrent_row_block_f32_n(k, x, b, 6, c); break;
    case 7: recurrent_row_block_f32_n(k, x, b, 7, c); break;
    default: recurrent_row_block_f32_n(k, x, b, 8, c); break;
    }
}

#pragma clang diagnostic pop

#endif
