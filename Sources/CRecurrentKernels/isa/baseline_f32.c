// The kernels for the portable baseline (x86-64: SSE2, no FMA), float elements.
#if !defined(__aarch64__)
#include <math.h>
#include "RecurrentKernels.h"
#define RK_T float
#define RK_IS_DOUBLE 0
#define RK_FMA 0
#define RK_WIDE 0
#define RK_ISA_ID RK_ISA_BASELINE
#define RK_ISA_NAME "baseline"
#define RK_TABLE rk_kernels_baseline_f32
#include "../body/all.h"
#endif
