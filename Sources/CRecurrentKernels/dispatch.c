// Which kernel tables this binary holds and which this CPU can run. Compiled for the build's
// plain target: nothing here may use an instruction the oldest supported CPU lacks.

#if defined(__linux__)
#ifndef _GNU_SOURCE  // a build may define it already (-D_GNU_SOURCE); defining it twice warns
#define _GNU_SOURCE  // sched_getaffinity and CPU_COUNT; before any header
#endif
#include <sched.h>
#endif
#include <string.h>
#include <unistd.h>
#include "RecurrentKernels.h"

#if defined(__x86_64__)
#include <cpuid.h>
extern const rk_kernels rk_kernels_baseline_f32, rk_kernels_baseline_f64;
extern const rk_kernels rk_kernels_avx2_f32, rk_kernels_avx2_f64;
extern const rk_kernels rk_kernels_avx512_f32, rk_kernels_avx512_f64;
#elif defined(__aarch64__)
extern const rk_kernels rk_kernels_neon_f32, rk_kernels_neon_f64;
#else
extern const rk_kernels rk_kernels_baseline_f32, rk_kernels_baseline_f64;
#endif

/// The table compiled for `isa`, or NULL.
static const rk_kernels *compiled_table(rk_isa isa, rk_dtype dtype) {
    const int f64 = dtype == RK_F64;
    switch (isa) {
#if defined(__x86_64__)
    case RK_ISA_BASELINE: return f64 ? &rk_kernels_baseline_f64 : &rk_kernels_baseline_f32;
    case RK_ISA_AVX2: return f64 ? &rk_kernels_avx2_f64 : &rk_kernels_avx2_f32;
    case RK_ISA_AVX512: return f64 ? &rk_kernels_avx512_f64 : &rk_kernels_avx512_f32;
#elif defined(__aarch64__)
    case RK_ISA_NEON: return f64 ? &rk_kernels_neon_f64 : &rk_kernels_neon_f32;
#else
    case RK_ISA_BASELINE: return f64 ? &rk_kernels_baseline_f64 : &rk_kernels_baseline_f32;
#endif
    default: return 0;
    }
}

int rk_isa_compiled(rk_isa isa) { return compiled_table(isa, RK_F32) != 0; }

#if defined(__x86_64__)
/// The state components the operating system saves on a context switch (XCR0), or 0 when it
/// does not say (no OSXSAVE): SSE and AVX need bits 1-2, AVX-512 bits 5-7 too.
static unsigned long long os_saved_state(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) return 0;
    unsigned lo, hi;
    __asm__ __volatile__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}

static int x86_supports(rk_isa isa) {
    unsigned a, b, c, d;
    if (isa == RK_ISA_BASELINE) return 1;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    const int fma = (c >> 12) & 1, avx = (c >> 28) & 1;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    const int avx2 = (b >> 5) & 1;
    const int avx512 = ((b >> 16) & 1) && ((b >> 17) & 1) && ((b >> 30) & 1) && ((b >> 31) & 1);  // F, DQ, BW, VL
    const unsigned long long xcr0 = os_saved_state();
    const int ymm = (xcr0 & 0x6) == 0x6, zmm = (xcr0 & 0xE6) == 0xE6;
    if (isa == RK_ISA_AVX2) return fma && avx && avx2 && ymm;
    if (isa == RK_ISA_AVX512) return fma && avx && avx2 && avx512 && zmm;
    return 0;
}
#endif

int rk_isa_supported(rk_isa isa) {
    if (!rk_isa_compiled(isa)) return 0;
#if defined(__x86_64__)
    return x86_supports(isa);
#else
    return 1;
#endif
}

rk_isa rk_best_isa(void) {
    const rk_isa order[] = {RK_ISA_AVX512, RK_ISA_AVX2, RK_ISA_NEON, RK_ISA_BASELINE};
    for (unsigned i = 0; i < sizeof order / sizeof order[0]; i++) {
        if (rk_isa_supported(order[i])) return order[i];
    }
    return RK_ISA_BASELINE;
}

const rk_kernels *rk_kernels_for(rk_isa isa, rk_dtype dtype) {
    return rk_isa_supported(isa) ? compiled_table(isa, dtype) : 0;
}

void rk_cpu_brand(char *out, long size) {
    if (size <= 0) return;
    out[0] = 0;
#if defined(__x86_64__)
    unsigned regs[12];
    unsigned a, b, c, d;
    if (!__get_cpuid(0x80000000u, &a, &b, &c, &d) || a < 0x80000004u) return;
    for (unsigned i = 0; i < 3; i++) __get_cpuid(0x80000002u + i, &regs[4 * i], &regs[4 * i + 1], &regs[4 * i + 2], &regs[4 * i + 3]);
    char brand[49];
    memcpy(brand, regs, 48);
    brand[48] = 0;
    const char *start = brand;
    while (*start == ' ') start++;
    long n = (long)strlen(start);
    while (n > 0 && start[n - 1] == ' ') n--;
    if (n > size - 1) n = size - 1;
    memcpy(out, start, (size_t)n);
    out[n] = 0;
#endif
}

long rk_usable_cpu_count(void) {
#if defined(__linux__)
    // The affinity mask (taskset, a container's cpuset); a machine of more than 1024 CPUs makes
    // the fixed-size set fail with EINVAL, and the online count stands in.
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        const int n = CPU_COUNT(&set);
        if (n > 0) return n;
    }
#endif
    const long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? n : 1;
}

void rk_cpu_family_model(int *family, int *model) {
    *family = -1;
    *model = -1;
#if defined(__x86_64__)
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return;
    const unsigned base_family = (a >> 8) & 0xF, base_model = (a >> 4) & 0xF;
    const unsigned ext_family = (a >> 20) & 0xFF, ext_model = (a >> 16) & 0xF;
    *family = (int)(base_family == 0xF ? base_family + ext_family : base_family);
    *model = (int)(base_family == 0x6 || base_family == 0xF ? (ext_model << 4) + base_model : base_model);
#endif
}

#include "body/cells.h"

int rk_cell_count(void) { return (int)(sizeof cell_infos / sizeof cell_infos[0]); }

const rk_cell_info *rk_cell_info_of(rk_cell cell) {
    return cell >= 0 && cell < rk_cell_count() ? cell_infos[cell] : 0;
}

int rk_cell_named(const char *name) {
    for (rk_cell id = 0; id < rk_cell_count(); id++) {
        if (strcmp(cell_infos[id]->name, name) == 0) return id;
    }
    return -1;
}
