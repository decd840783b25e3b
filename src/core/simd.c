/* simd.c — the CPU feature check behind mfr__use_avx2 (simd.h). */
#include "simd.h"

int mfr__cpu_avx2(void) {
#ifdef MFR_HAVE_AVX2
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
           __builtin_cpu_supports("f16c");
#else
    return 0;
#endif
}

int mfr__use_avx2(const mfr__kernels *ks) { return !(ks && ks->scalar) && mfr__cpu_avx2(); }
