/* sgd_kernel.c — the SGD inner loops: a plain scalar reference and an
 * AVX2+FMA variant picked at run time (mfr__use_avx2, core/simd.h). Data layout
 * and the update are described in sgd_kernel.h. Both kernels walk a block's
 * packed ratings in order; the AVX2 one prefetches the factor rows of the
 * rating PF_DIST ahead, since rows of P and Q are visited in random order. */
#include "sgd_kernel.h"

#ifndef PF_DIST
#define PF_DIST 8 /* ratings ahead whose rows are prefetched */
#endif

static inline float block_rating(const mfr__sgd_block *b, int64_t j, uint32_t w) {
    return b->rtab ? b->rtab[w >> b->rshift] : b->rf[j];
}

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

float mfr__sgd_dot_scalar(const float *p, const float *q, int32_t k) {
    float dot = 0.f;
    for (int32_t f = 0; f < k; f++) dot += p[f] * q[f];
    return dot;
}

double mfr__sgd_block_scalar(const mfr__sgd_block *b, const mfr__sgd_hyper *h) {
    double se = 0.0;
    const size_t k = (size_t)h->k;
    for (int64_t j = 0; j < b->n; j++) {
        uint32_t w = b->rec[j];
        uint32_t u = w & b->umask, i = (w >> b->ishift) & b->imask;
        float e = mfr__sgd_update_scalar(b->P + u * k, b->Q + i * k, b->bu + u, b->bi + i,
                                         block_rating(b, j, w), h);
        se += (double)e * e;
    }
    return se;
}

#ifdef MFR_HAVE_AVX2
MFR_AVX2 static inline float hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

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
    float dot = hsum256(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
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

MFR_AVX2 float mfr__sgd_dot_avx2(const float *p, const float *q, int32_t k) {
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    int32_t f = 0;
    for (; f + 16 <= k; f += 16) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(p + f), _mm256_loadu_ps(q + f), a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(p + f + 8), _mm256_loadu_ps(q + f + 8), a1);
    }
    for (; f + 8 <= k; f += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(p + f), _mm256_loadu_ps(q + f), a0);
    float dot = hsum256(_mm256_add_ps(a0, a1));
    for (; f < k; f++) dot += p[f] * q[f];
    return dot;
}

MFR_AVX2 static inline void prefetch_rows(const mfr__sgd_block *b, uint32_t w, size_t k) {
    const char *pp = (const char *)(b->P + (w & b->umask) * k);
    const char *qp = (const char *)(b->Q + ((w >> b->ishift) & b->imask) * k);
    for (size_t o = 0; o < k * sizeof(float); o += 64) {
        _mm_prefetch(pp + o, _MM_HINT_T0);
        _mm_prefetch(qp + o, _MM_HINT_T0);
    }
}

MFR_AVX2 double mfr__sgd_block_avx2(const mfr__sgd_block *b, const mfr__sgd_hyper *h) {
    double se = 0.0;
    const size_t k = (size_t)h->k;
    for (int64_t j = 0; j < b->n; j++) {
        if (j + PF_DIST < b->n) prefetch_rows(b, b->rec[j + PF_DIST], k);
        uint32_t w = b->rec[j];
        uint32_t u = w & b->umask, i = (w >> b->ishift) & b->imask;
        float e = update_avx2(b->P + u * k, b->Q + i * k, b->bu + u, b->bi + i,
                              block_rating(b, j, w), h);
        se += (double)e * e;
    }
    return se;
}
#else
float mfr__sgd_dot_avx2(const float *p, const float *q, int32_t k) {
    return mfr__sgd_dot_scalar(p, q, k);
}
double mfr__sgd_block_avx2(const mfr__sgd_block *b, const mfr__sgd_hyper *h) {
    return mfr__sgd_block_scalar(b, h);
}
#endif

mfr__sgd_kernel_fn mfr__sgd_kernel(const mfr__kernels *ks) {
    return mfr__use_avx2(ks) ? mfr__sgd_block_avx2 : mfr__sgd_block_scalar;
}

mfr__sgd_dot_fn mfr__sgd_dot(const mfr__kernels *ks) {
    return mfr__use_avx2(ks) ? mfr__sgd_dot_avx2 : mfr__sgd_dot_scalar;
}
