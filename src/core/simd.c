/* simd.c — the CPU feature check behind mfr__use_avx2 (simd.h). */
#include "simd.h"

#ifdef MFR_HAVE_AVX2
#include <cpuid.h>
#endif

int mfr__cpu_avx2(void) {
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

int mfr__use_avx2(const mfr__kernels *ks) { return !(ks && ks->scalar) && mfr__cpu_avx2(); }
