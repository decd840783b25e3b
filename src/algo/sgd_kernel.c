/* sgd_kernel.c — the SGD inner loops: a plain scalar reference, an
 * AVX2+FMA variant and its AVX-512F form (the same floats), picked at run
 * time (mfr__use_avx2, mfr__use_avx512, core/simd.h). Data layout
 * and the update are described in sgd_kernel.h. Both kernels walk a block's
 * packed ratings in order; the AVX2 one prefetches the factor rows of the
 * rating PF_DIST ahead, since rows of P and Q are visited in random order. */
#include "sgd_kernel.h"
#include "../model/topn.h"

#ifndef PF_DIST
#define PF_DIST 8 /* ratings ahead whose rows are prefetched */
#endif

#include <math.h>
#include <string.h>

float mfr__half_to_float(uint16_t h) {
    uint32_t s = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu, x;
    float f;
    if (e == 0x1f) {
        x = s | 0x7f800000u | m << 13; /* infinity, NaN */
    } else if (e) {
        x = s | (e + 112) << 23 | m << 13;
    } else {
        f = (float)m * 0x1p-24f; /* zero or subnormal: m 2^-24, exact */
        memcpy(&x, &f, sizeof x);
        x |= s;
    }
    memcpy(&f, &x, sizeof f);
    return f;
}

uint16_t mfr__float_to_half(float f) {
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint32_t s = (x >> 16) & 0x8000u, a = x & 0x7fffffffu;
    if (a > 0x7f800000u) return (uint16_t)(s | 0x7e00u | ((a >> 13) & 0x3ffu)); /* quiet NaN */
    if (a >= 0x477ff000u) return (uint16_t)(s | 0x7c00u); /* >= 65520: infinity */
    if (a < 0x38800000u) { /* below 2^-14: a multiple of 2^-24, by the FPU's rounding */
        float v;
        memcpy(&v, &a, sizeof v);
        return (uint16_t)(s | (uint32_t)lrintf(v * 0x1p24f));
    }
    uint32_t r = a - 0x38000000u; /* exponent 127 -> 15 */
    r += 0xfffu + ((r >> 13) & 1u);  /* nearest, ties to even */
    return (uint16_t)(s | r >> 13);
}

static inline float block_rating(const mfr__sgd_block *b, int64_t j, uint32_t w) {
    return b->rtab ? b->rtab[w >> b->rshift] : b->rf[j];
}

/* The one walk over a block's ratings every kernel makes: UPDATE on the rows
 * of P and Q (float or half precision), each squared error added to se;
 * PREFETCH(b, P, Q, w, row bytes) first for the rating PF_DIST ahead. */
#define SGD_BLOCK_WALK(se, b, h, P, Q, UPDATE, PREFETCH)                                         \
    for (int64_t j = 0; j < (b)->n; j++) {                                                      \
        const size_t k_ = (size_t)(h)->k;                                                       \
        if (j + PF_DIST < (b)->n) PREFETCH(b, P, Q, (b)->rec[j + PF_DIST], k_ * sizeof *(P));   \
        uint32_t w = (b)->rec[j], u = w & (b)->umask, i = (w >> (b)->ishift) & (b)->imask;     \
        float e = UPDATE((P) + u * k_, (Q) + i * k_, (b)->bu + u, (b)->bi + i,                 \
                         block_rating(b, j, w), h);                                            \
        (se) += (double)e * e;                                                                  \
    }
#define NO_PREFETCH(b, P, Q, w, bytes) ((void)0)

float mfr__sgd_update_scalar(float *p, float *q, float *bu, float *bi, float r,
                             const mfr__sgd_hyper *h) {
    float dot = 0.f;
    for (int32_t f = 0; f < h->k; f++) dot += p[f] * q[f];
    float e = r - (h->mu + *bu + *bi + dot);
    *bu += h->lr * (e - h->reg_bias * *bu);
    *bi += h->lr * (e - h->reg_bias * *bi);
    for (int32_t f = 0; f < h->k; f++) {
        float pf = p[f], qf = q[f];
        p[f] = pf + h->lr * (e * qf - h->reg * pf);
        q[f] = qf + h->lr * (e * pf - h->reg * qf);
    }
    return e;
}

/* The scalar update on half-precision rows: sgd_kernel.h's update with
 * every row element read into float and rounded once on the way back. */
static float update_half_scalar(uint16_t *p, uint16_t *q, float *bu, float *bi, float r,
                                const mfr__sgd_hyper *h) {
    float dot = 0.f;
    for (int32_t f = 0; f < h->k; f++) dot += mfr__half_to_float(p[f]) * mfr__half_to_float(q[f]);
    float e = r - (h->mu + *bu + *bi + dot);
    *bu += h->lr * (e - h->reg_bias * *bu);
    *bi += h->lr * (e - h->reg_bias * *bi);
    for (int32_t f = 0; f < h->k; f++) {
        float pf = mfr__half_to_float(p[f]), qf = mfr__half_to_float(q[f]);
        p[f] = mfr__float_to_half(pf + h->lr * (e * qf - h->reg * pf));
        q[f] = mfr__float_to_half(qf + h->lr * (e * pf - h->reg * qf));
    }
    return e;
}

double mfr__sgd_block_scalar(const mfr__sgd_block *b, const mfr__sgd_hyper *h) {
    double se = 0.0;
    if (b->Ph) SGD_BLOCK_WALK(se, b, h, b->Ph, b->Qh, update_half_scalar, NO_PREFETCH)
    else SGD_BLOCK_WALK(se, b, h, b->P, b->Q, mfr__sgd_update_scalar, NO_PREFETCH)
    return se;
}

#ifdef MFR_HAVE_AVX2
/* One rating: the update of sgd_kernel.h with 8-wide FMA, scalar tail. */
MFR_AVX2 static inline float update_avx2(
    float *restrict p, float *restrict q, float *bu, float *bi, float r, const mfr__sgd_hyper *h) {
    const int32_t k = h->k;
    /* four independent sums: short FMA dependency chains */
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    __m256 a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    int32_t f = 0;
    for (; f + 32 <= k; f += 32) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(p + f), _mm256_loadu_ps(q + f), a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(p + f + 8), _mm256_loadu_ps(q + f + 8), a1);
        a2 = _mm256_fmadd_ps(_mm256_loadu_ps(p + f + 16), _mm256_loadu_ps(q + f + 16), a2);
        a3 = _mm256_fmadd_ps(_mm256_loadu_ps(p + f + 24), _mm256_loadu_ps(q + f + 24), a3);
    }
    for (; f + 8 <= k; f += 8)
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(p + f), _mm256_loadu_ps(q + f), a0);
    float dot = mfr__hsum256(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
    for (int32_t t = f; t < k; t++) dot += p[t] * q[t];
    float e = r - (h->mu + *bu + *bi + dot);
    *bu += h->lr * (e - h->reg_bias * *bu);
    *bi += h->lr * (e - h->reg_bias * *bi);
    const float le = h->lr * e, decay = 1.f - h->lr * h->reg;
    const __m256 vle = _mm256_set1_ps(le), vdec = _mm256_set1_ps(decay);
    int32_t g = 0;
    for (; g + 8 <= k; g += 8) {
        __m256 pv = _mm256_loadu_ps(p + g), qv = _mm256_loadu_ps(q + g);
        _mm256_storeu_ps(p + g, _mm256_fmadd_ps(vle, qv, _mm256_mul_ps(vdec, pv)));
        _mm256_storeu_ps(q + g, _mm256_fmadd_ps(vle, pv, _mm256_mul_ps(vdec, qv)));
    }
    for (; g < k; g++) {
        float pf = p[g], qf = q[g];
        p[g] = pf + h->lr * (e * qf - h->reg * pf);
        q[g] = qf + h->lr * (e * pf - h->reg * qf);
    }
    return e;
}

/* One rating on half-precision rows (k % 8 == 0, k <= HALF_MAX_K): the
 * rows are widened once (F16C) into float scratch that stays in L1, the dot
 * product summed as in update_avx2, the new rows computed from the scratch
 * and rounded to nearest-even as they are stored. */
#define HALF_MAX_K 512
MFR_AVX2 static inline float update_half_avx2(uint16_t *restrict p, uint16_t *restrict q, float *bu,
                                              float *bi, float r, const mfr__sgd_hyper *h) {
    const int32_t k = h->k;
    float pw[HALF_MAX_K] __attribute__((aligned(32))), qw[HALF_MAX_K] __attribute__((aligned(32)));
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    __m256 a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    int32_t f = 0;
#define WIDEN(o, acc)                                                                  \
    do {                                                                               \
        __m256 pv_ = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p + f + (o)))); \
        __m256 qv_ = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(q + f + (o)))); \
        _mm256_store_ps(pw + f + (o), pv_);                                            \
        _mm256_store_ps(qw + f + (o), qv_);                                            \
        acc = _mm256_fmadd_ps(pv_, qv_, acc);                                          \
    } while (0)
    for (; f + 32 <= k; f += 32) {
        WIDEN(0, a0);
        WIDEN(8, a1);
        WIDEN(16, a2);
        WIDEN(24, a3);
    }
    for (; f < k; f += 8) WIDEN(0, a0);
#undef WIDEN
    float dot = mfr__hsum256(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
    float e = r - (h->mu + *bu + *bi + dot);
    *bu += h->lr * (e - h->reg_bias * *bu);
    *bi += h->lr * (e - h->reg_bias * *bi);
    const __m256 vle = _mm256_set1_ps(h->lr * e), vdec = _mm256_set1_ps(1.f - h->lr * h->reg);
    for (int32_t g = 0; g < k; g += 8) {
        __m256 pv = _mm256_load_ps(pw + g), qv = _mm256_load_ps(qw + g);
        __m256 np = _mm256_fmadd_ps(vle, qv, _mm256_mul_ps(vdec, pv));
        __m256 nq = _mm256_fmadd_ps(vle, pv, _mm256_mul_ps(vdec, qv));
        _mm_storeu_si128((__m128i *)(p + g), _mm256_cvtps_ph(np, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        _mm_storeu_si128((__m128i *)(q + g), _mm256_cvtps_ph(nq, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    }
    return e;
}

MFR_AVX2 float mfr__sgd_dot_avx2(const float *p, const float *q, int32_t k) {
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    int32_t f = 0;
    for (; f + 16 <= k; f += 16) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(p + f), _mm256_loadu_ps(q + f), a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(p + f + 8), _mm256_loadu_ps(q + f + 8), a1);
    }
    for (; f + 8 <= k; f += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(p + f), _mm256_loadu_ps(q + f), a0);
    float dot = mfr__hsum256(_mm256_add_ps(a0, a1));
    for (; f < k; f++) dot += p[f] * q[f];
    return dot;
}

/* The cache lines of rating w's rows of P and Q (bytes each). Always
 * inlined: without that GCC 12 at -O1/-O2 emitted no prefetch at all in
 * the block kernels (gone after its interprocedural passes; there at -O0),
 * so before 2026-12-02 no kernel prefetched anything (docs/perf/sgd.md). */
MFR_AVX2 __attribute__((always_inline)) static inline void
prefetch_rows(const mfr__sgd_block *b, const void *P, const void *Q, uint32_t w, size_t bytes) {
    const char *pp = (const char *)P + (w & b->umask) * bytes;
    const char *qp = (const char *)Q + ((w >> b->ishift) & b->imask) * bytes;
    for (size_t o = 0; o < bytes; o += 64) {
        _mm_prefetch(pp + o, _MM_HINT_T0);
        _mm_prefetch(qp + o, _MM_HINT_T0);
    }
}

/* update_avx2 in 16 lanes, for k % 32 == 0: lanes 0-7 and 8-15 of A are
 * update_avx2's a0 and a1, those of B its a2 and a3 (the same FMAs in the
 * same order), summed as it sums them, and the row updates are lane by
 * lane the same expressions, so the floats are update_avx2's bit for bit
 * (simd.h; test_sgd.c avx512_matches_avx2). Half the instructions. */
MFR_AVX512 static inline __m256 hi256(__m512 v) {
    return _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
}

MFR_AVX512 static inline float update_avx512(
    float *restrict p, float *restrict q, float *bu, float *bi, float r, const mfr__sgd_hyper *h) {
    const int32_t k = h->k;
    __m512 A = _mm512_setzero_ps(), B = _mm512_setzero_ps();
    for (int32_t f = 0; f < k; f += 32) {
        A = _mm512_fmadd_ps(_mm512_loadu_ps(p + f), _mm512_loadu_ps(q + f), A);
        B = _mm512_fmadd_ps(_mm512_loadu_ps(p + f + 16), _mm512_loadu_ps(q + f + 16), B);
    }
    __m256 s01 = _mm256_add_ps(_mm512_castps512_ps256(A), hi256(A));
    __m256 s23 = _mm256_add_ps(_mm512_castps512_ps256(B), hi256(B));
    float dot = mfr__hsum256(_mm256_add_ps(s01, s23));
    float e = r - (h->mu + *bu + *bi + dot);
    *bu += h->lr * (e - h->reg_bias * *bu);
    *bi += h->lr * (e - h->reg_bias * *bi);
    const __m512 vle = _mm512_set1_ps(h->lr * e), vdec = _mm512_set1_ps(1.f - h->lr * h->reg);
    for (int32_t g = 0; g < k; g += 16) {
        __m512 pv = _mm512_loadu_ps(p + g), qv = _mm512_loadu_ps(q + g);
        _mm512_storeu_ps(p + g, _mm512_fmadd_ps(vle, qv, _mm512_mul_ps(vdec, pv)));
        _mm512_storeu_ps(q + g, _mm512_fmadd_ps(vle, pv, _mm512_mul_ps(vdec, qv)));
    }
    return e;
}

MFR_AVX2 double mfr__sgd_block_avx2(const mfr__sgd_block *b, const mfr__sgd_hyper *h) {
    double se = 0.0;
    const size_t k = (size_t)h->k;
    if (b->Ph && (k % 8 || k > HALF_MAX_K)) return mfr__sgd_block_scalar(b, h);
    if (b->Ph) SGD_BLOCK_WALK(se, b, h, b->Ph, b->Qh, update_half_avx2, prefetch_rows)
    else SGD_BLOCK_WALK(se, b, h, b->P, b->Q, update_avx2, prefetch_rows)
    return se;
}
/* k = 64: the stored order interleaves 4 user runs, so rating j is mostly
 * run j % 4's. Slot s = j % 4 keeps its user's p_u in 4 zmm registers
 * across that user's consecutive ratings and stores it back when the slot
 * changes user (a user held by another slot is stored from there first),
 * so only q_i is loaded and stored per update. update_avx512's floats. */
#define K64_SLOT_VARS(s) __m512 s##0 = _mm512_setzero_ps(), s##1 = s##0, s##2 = s##0, s##3 = s##0
#define K64_FLUSH(s, su)                                                                     \
    do {                                                                                     \
        float *p_ = b->P + (size_t)(su) * 64;                                                \
        _mm512_storeu_ps(p_, s##0);                                                          \
        _mm512_storeu_ps(p_ + 16, s##1);                                                     \
        _mm512_storeu_ps(p_ + 32, s##2);                                                     \
        _mm512_storeu_ps(p_ + 48, s##3);                                                     \
    } while (0)
#define K64_DROP(s, su, u)                                                                   \
    do {                                                                                     \
        if ((su) == (int64_t)(u)) {                                                          \
            K64_FLUSH(s, su);                                                                \
            (su) = -1;                                                                       \
        }                                                                                    \
    } while (0)
#define K64_STEP(s, su, jj)                                                                  \
    do {                                                                                     \
        const int64_t j_ = (jj);                                                             \
        if (j_ + PF_DIST < n) prefetch_rows(b, b->P, b->Q, b->rec[j_ + PF_DIST], 256);       \
        uint32_t w = b->rec[j_], u = w & b->umask, i = (w >> b->ishift) & b->imask;          \
        if ((su) != (int64_t)u) {                                                            \
            if ((su) >= 0) K64_FLUSH(s, su);                                                 \
            K64_DROP(x0_, su0, u);                                                           \
            K64_DROP(x1_, su1, u);                                                           \
            K64_DROP(x2_, su2, u);                                                           \
            K64_DROP(x3_, su3, u);                                                           \
            const float *p_ = b->P + (size_t)u * 64;                                         \
            s##0 = _mm512_loadu_ps(p_);                                                      \
            s##1 = _mm512_loadu_ps(p_ + 16);                                                 \
            s##2 = _mm512_loadu_ps(p_ + 32);                                                 \
            s##3 = _mm512_loadu_ps(p_ + 48);                                                 \
            (su) = u;                                                                        \
        }                                                                                    \
        float *q_ = b->Q + (size_t)i * 64;                                                   \
        __m512 q0 = _mm512_loadu_ps(q_), q1 = _mm512_loadu_ps(q_ + 16);                     \
        __m512 q2 = _mm512_loadu_ps(q_ + 32), q3 = _mm512_loadu_ps(q_ + 48);                \
        __m512 A = _mm512_fmadd_ps(s##0, q0, _mm512_setzero_ps());                           \
        __m512 B = _mm512_fmadd_ps(s##1, q1, _mm512_setzero_ps());                           \
        A = _mm512_fmadd_ps(s##2, q2, A);                                                    \
        B = _mm512_fmadd_ps(s##3, q3, B);                                                    \
        __m256 s01 = _mm256_add_ps(_mm512_castps512_ps256(A), hi256(A));                     \
        __m256 s23 = _mm256_add_ps(_mm512_castps512_ps256(B), hi256(B));                     \
        float dot = mfr__hsum256(_mm256_add_ps(s01, s23));                                   \
        float *bu = b->bu + u, *bi = b->bi + i;                                              \
        float e = (rtab ? rtab[w >> rshift] : b->rf[j_]) - (mu + *bu + *bi + dot);           \
        *bu += lr * (e - rb * *bu);                                                          \
        *bi += lr * (e - rb * *bi);                                                          \
        const __m512 vle = _mm512_set1_ps(lr * e);                                           \
        _mm512_storeu_ps(q_, _mm512_fmadd_ps(vle, s##0, _mm512_mul_ps(vdec, q0)));           \
        _mm512_storeu_ps(q_ + 16, _mm512_fmadd_ps(vle, s##1, _mm512_mul_ps(vdec, q1)));      \
        _mm512_storeu_ps(q_ + 32, _mm512_fmadd_ps(vle, s##2, _mm512_mul_ps(vdec, q2)));      \
        _mm512_storeu_ps(q_ + 48, _mm512_fmadd_ps(vle, s##3, _mm512_mul_ps(vdec, q3)));      \
        s##0 = _mm512_fmadd_ps(vle, q0, _mm512_mul_ps(vdec, s##0));                          \
        s##1 = _mm512_fmadd_ps(vle, q1, _mm512_mul_ps(vdec, s##1));                          \
        s##2 = _mm512_fmadd_ps(vle, q2, _mm512_mul_ps(vdec, s##2));                          \
        s##3 = _mm512_fmadd_ps(vle, q3, _mm512_mul_ps(vdec, s##3));                          \
        se += (double)e * e;                                                                 \
    } while (0)

MFR_AVX512 static double block_avx512_k64(const mfr__sgd_block *b, const mfr__sgd_hyper *h) {
    double se = 0.0;
    const int64_t n = b->n;
    int64_t su0 = -1, su1 = -1, su2 = -1, su3 = -1, j = 0;
    /* locals, not h->: a bias store could alias *h, so each update would
     * reload them and recompute the decay */
    const float mu = h->mu, lr = h->lr, rb = h->reg_bias, *const rtab = b->rtab;
    const uint32_t rshift = b->rshift;
    const __m512 vdec = _mm512_set1_ps(1.f - h->lr * h->reg);
    K64_SLOT_VARS(x0_);
    K64_SLOT_VARS(x1_);
    K64_SLOT_VARS(x2_);
    K64_SLOT_VARS(x3_);
    for (; j + 4 <= n; j += 4) {
        K64_STEP(x0_, su0, j);
        K64_STEP(x1_, su1, j + 1);
        K64_STEP(x2_, su2, j + 2);
        K64_STEP(x3_, su3, j + 3);
    }
    if (j < n) K64_STEP(x0_, su0, j);
    if (j + 1 < n) K64_STEP(x1_, su1, j + 1);
    if (j + 2 < n) K64_STEP(x2_, su2, j + 2);
    if (su0 >= 0) K64_FLUSH(x0_, su0);
    if (su1 >= 0) K64_FLUSH(x1_, su1);
    if (su2 >= 0) K64_FLUSH(x2_, su2);
    if (su3 >= 0) K64_FLUSH(x3_, su3);
    return se;
}

/* Float rows with k % 32 == 0 on update_avx512; anything else as
 * mfr__sgd_block_avx2 (same results either way). */
MFR_AVX512 double mfr__sgd_block_avx512(const mfr__sgd_block *b, const mfr__sgd_hyper *h) {
    if (b->Ph || h->k % 32) return mfr__sgd_block_avx2(b, h);
    if (h->k == 64) return block_avx512_k64(b, h);
    double se = 0.0;
    SGD_BLOCK_WALK(se, b, h, b->P, b->Q, update_avx512, prefetch_rows)
    return se;
}
#else
float mfr__sgd_dot_avx2(const float *p, const float *q, int32_t k) {
    return mfr__dot_ref(p, q, k);
}
double mfr__sgd_block_avx2(const mfr__sgd_block *b, const mfr__sgd_hyper *h) {
    return mfr__sgd_block_scalar(b, h);
}
double mfr__sgd_block_avx512(const mfr__sgd_block *b, const mfr__sgd_hyper *h) {
    return mfr__sgd_block_scalar(b, h);
}
#endif

mfr__sgd_kernel_fn mfr__sgd_kernel(const mfr__kernels *ks) {
    return mfr__use_avx512(ks) ? mfr__sgd_block_avx512
           : mfr__use_avx2(ks) ? mfr__sgd_block_avx2
                               : mfr__sgd_block_scalar;
}

mfr__sgd_dot_fn mfr__sgd_dot(const mfr__kernels *ks) {
    return mfr__use_avx2(ks) ? mfr__sgd_dot_avx2 : mfr__dot_ref;
}
