// The kernels for x86-64 with AVX-512, double elements, compiled with target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma").
#if defined(__x86_64__)
#include <math.h>
#include "RecurrentKernels.h"
#define RK_T double
#define RK_IS_DOUBLE 1
#define RK_FMA 1
#define RK_WIDE 0
#define RK_ISA_ID RK_ISA_AVX512
#define RK_ISA_NAME "avx512"
#define RK_TABLE rk_kernels_avx512_f64
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma"))), apply_to = function)
#include "../body/all.h"
#pragma clang attribute pop
#endif
