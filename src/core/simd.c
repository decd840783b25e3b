/* simd.c — the CPU feature checks behind mfr__use_avx2 and mfr__use_avx512
 * (simd.h). */
#include <stdatomic.h>

#include "simd.h"

#ifdef MFR_HAVE_AVX2
#include <cpuid.h>
#endif

/* The answer, asked once: CPUID traps to the hypervisor in a VM (measured
 * under perf: 5 % of the server's CPU on the 20 M model, ~12 µs a request,
 * when every list asked again). 0: not asked yet, 1: no, 2: yes; two
 * threads asking at once both store the same answer. */
static atomic_int cpu_avx2_answer, cpu_avx512_answer;

static int ask_cpu_avx2(void) {
#ifdef MFR_HAVE_AVX2
    __builtin_cpu_init();
    /* F16C by CPUID (leaf 1, ECX bit 29): clang 14's __builtin_cpu_supports
     * does not know the name "f16c", and the fuzz build uses clang. */
    unsigned a, b, c, d;
    int f16c = __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 29));
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && f16c;
#else
    return 0;
#endif
}

/* ask()'s answer, asked once and kept in *slot (0 not asked, 1 no, 2 yes). */
static int cpu_answer(atomic_int *slot, int (*ask)(void)) {
    int a = atomic_load_explicit(slot, memory_order_relaxed);
    if (!a) {
        a = ask() ? 2 : 1;
        atomic_store_explicit(slot, a, memory_order_relaxed);
    }
    return a == 2;
}

int mfr__cpu_avx2(void) { return cpu_answer(&cpu_avx2_answer, ask_cpu_avx2); }

int mfr__use_avx2(const mfr__kernels *ks) { return !(ks && ks->scalar) && mfr__cpu_avx2(); }

/* libgcc's check of "avx512f" also asks XGETBV whether the OS saves the
 * zmm registers. */
static int ask_cpu_avx512(void) {
#ifdef MFR_HAVE_AVX2
    __builtin_cpu_init();
    return mfr__cpu_avx2() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
#else
    return 0;
#endif
}

int mfr__cpu_avx512(void) { return cpu_answer(&cpu_avx512_answer, ask_cpu_avx512); }

int mfr__use_avx512(const mfr__kernels *ks) {
    return mfr__use_avx2(ks) && !(ks && ks->no_avx512) && mfr__cpu_avx512();
}
