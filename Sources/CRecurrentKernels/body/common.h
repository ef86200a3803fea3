// Shared by every kernel body: the element type, the vectors, loads and stores, and the
// multiply-add. Included once per translation unit (`isa/*.c`), which defines before it:
//   RK_T       the element type, float or double
//   RK_FMA     1 when the instruction set has fused multiply-add
//   RK_WIDE    1 when the packed product prefers the 8 × 32 register tile
// and has opened a `#pragma clang attribute` region with the instruction set's target, so
// every function below is compiled for it.

// No implicit contraction of a * b + c: only MULADD fuses, so the sum order of the contract in
// `RecurrentKernels.h` is exactly what the code says, whatever the compiler's default.
#pragma clang fp contract(off)

// Vectors of 16 lanes pass between the helpers below by value; every such helper is inlined,
// so no call crosses an ABI boundary with them and the warning about it does not apply.
#pragma clang diagnostic ignored "-Wpsabi"

typedef RK_T T;
/// Sixteen lanes: one AVX-512 register of floats, two AVX2 ones, four of SSE2 or NEON.
typedef T v16 __attribute__((ext_vector_type(16)));
/// Eight lanes of double, for sums accumulated in double.
typedef double d8 __attribute__((ext_vector_type(8)));

#define INL static inline __attribute__((always_inline))

/// c + a * b, fused where the instruction set has FMA.
#if RK_FMA
#define MULADD(a, b, c) __builtin_elementwise_fma((a), (b), (c))
#else
#define MULADD(a, b, c) ((a) * (b) + (c))
#endif

INL long min_l(long a, long b) { return a < b ? a : b; }

/// 16 lanes from p (no alignment needed).
INL v16 ld16(const T *p) {
    v16 v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}

INL void st16(T *p, v16 v) { __builtin_memcpy(p, &v, sizeof v); }

/// The first n (1 ... 16) lanes from p; the others zero.
INL v16 ld16n(const T *p, long n) {
    if (n == 16) return ld16(p);
    v16 v = (v16)0;
    for (long i = 0; i < n; i++) v[i] = p[i];
    return v;
}

/// The first n (1 ... 16) lanes to p.
INL void st16n(T *p, v16 v, long n) {
    if (n == 16) {
        st16(p, v);
        return;
    }
    for (long i = 0; i < n; i++) p[i] = v[i];
}

/// Runs the block (the variadic argument, so it may hold commas) for j = 0, 16, 32, ... below
/// n, with `cnt` = 16 lanes but for the last chunk.
#define FOR_CHUNKS16(n, j, cnt, ...)                                                           \
    for (long j = 0; j < (n); j += 16) {                                                       \
        const long cnt = min_l(16, (n) - j);                                                   \
        __VA_ARGS__                                                                            \
    }
