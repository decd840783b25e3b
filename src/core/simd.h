/* simd.h — the one way the library picks vector code, and the one set of
 * kernel switches.
 *
 * Two kinds of vector code, each with one spelling:
 *   - MFR_HOT on a plain C loop (with `omp simd` where a float sum must
 *     vectorise): GCC emits an x86-64-v3 clone (AVX2, FMA, BMI...) beside the
 *     generic one and the loader picks by the CPU's feature level, not its
 *     model name. Needs GCC >= 12 (the first that knows arch=x86-64-v3 in
 *     target_clones); off under the sanitizers, whose runtime does not
 *     resolve ifuncs before it starts.
 *   - hand-written AVX2+FMA kernels (intrinsics, prefetching) carry MFR_AVX2
 *     and exist only where MFR_HAVE_AVX2 is defined; each has a scalar
 *     reference beside it, and the caller picks one per call through
 *     mfr__use_avx2(ks): the CPU has AVX2, FMA and F16C and ks does not ask for
 *     the reference. The tests run both and compare. A kernel may also have
 *     an AVX-512F form (MFR_AVX512, picked by mfr__use_avx512(ks)) only when
 *     it gives the AVX2 form's results bit for bit (the same sums in the
 *     same order, 16 lanes being two of the AVX2 form's 8-lane
 *     accumulators), so the model does not depend on which the CPU has; its
 *     test compares the two with memcmp.
 *
 * Kernel switches travel as a mfr__kernels the caller passes down (fit
 * context, solver arguments); the library reads no environment variable and
 * keeps no global knob. NULL means MFR__KERNELS_DEFAULT. None of them changes
 * the model beyond rounding (scalar: float order; sgd_half_rows: sgd's
 * factor rows kept in half precision during the epochs) or at all
 * (sgd_min_round_work, no_avx512). */
#ifndef MFR_SIMD_H
#define MFR_SIMD_H

#include <stdint.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12 && \
    !defined(MFR_SANITIZE)
#define MFR_HOT __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define MFR_HOT
#endif

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define MFR_HAVE_AVX2 1
#define MFR_AVX2 __attribute__((target("avx2,fma,f16c")))
/* The sum of v's 8 lanes (the dot products' last step). */
MFR_AVX2 static inline float mfr__hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
/* AVX-512VL too: without it the 128/256-bit steps of a zmm kernel are VEX
 * encoded, can use only registers 0-15, and GCC spills through the stack
 * (docs/perf/sgd.md, "On the Zen 4 again"). */
#define MFR_AVX512 __attribute__((target("avx512f,avx512vl,avx2,fma,f16c")))
#endif

typedef struct mfr__kernels {
    int scalar;                 /* 1: the scalar reference of every hand-written kernel */
    int64_t sgd_min_round_work; /* sgd: fewest updates per thread per round before
                                   another thread is used (0: always all threads) */
    int sgd_half_rows;          /* sgd: 1 = factor rows in half precision during the
                                   epochs (0, the default: float; docs/perf/sgd.md) */
    int no_avx512;              /* 1: the AVX2 form where a kernel also has an AVX-512
                                   one (same results bit for bit; for A/B runs) */
} mfr__kernels;

#define MFR__KERNELS_DEFAULT ((mfr__kernels){.scalar = 0, .sgd_min_round_work = 20000, .sgd_half_rows = 0})

/* 1 when this CPU runs AVX2, FMA and F16C (every AVX2 CPU has F16C;
 * asked once; 0 off x86-64). */
int mfr__cpu_avx2(void);

/* 1: use the MFR_AVX2 kernels under switches ks (NULL: the defaults). */
int mfr__use_avx2(const mfr__kernels *ks);

/* 1 when this CPU (and the OS, for the zmm state) also runs AVX-512F and VL; asked
 * once; 0 off x86-64. */
int mfr__cpu_avx512(void);

/* 1: use the MFR_AVX512 form of a kernel under ks: mfr__use_avx2(ks), the
 * CPU has AVX-512F and ks does not set no_avx512. */
int mfr__use_avx512(const mfr__kernels *ks);

#endif
