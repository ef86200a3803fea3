// The kernels for x86-64 with AVX2 and FMA, float elements, compiled with target("avx2,fma").
#if defined(__x86_64__)
#include <math.h>
#include "RecurrentKernels.h"
#define RK_T float
#define RK_IS_DOUBLE 0
#define RK_FMA 1
#define RK_WIDE 0
#define RK_ISA_ID RK_ISA_AVX2
#define RK_ISA_NAME "avx2"
#define RK_TABLE rk_kernels_avx2_f32
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#include "../body/all.h"
#pragma clang attribute pop
#endif
