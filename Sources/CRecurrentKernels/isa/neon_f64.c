// The kernels for arm64 (NEON and FMA are in every arm64 CPU), double elements.
#if defined(__aarch64__)
#include <math.h>
#include "RecurrentKernels.h"
#define RK_T double
#define RK_IS_DOUBLE 1
#define RK_FMA 1
#define RK_WIDE 0
#define RK_ISA_ID RK_ISA_NEON
#define RK_ISA_NAME "neon"
#define RK_TABLE rk_kernels_neon_f64
#include "../body/all.h"
#endif
