/* sgd_kernel.h — the inner loops of the biased-MF SGD trainer (sgd.c), kept
 * apart so the tests can drive them directly.
 *
 * One call processes one block of the rating grid: ratings packed one 32-bit
 * word each, w = u_local | i_local << ishift | code << rshift, where u_local
 * and i_local index the block's first user/item (P, Q, bu, bi below already
 * point at them), and the rating is rtab[code] when rtab is set, otherwise
 * rf[j] (the parallel float array used when the data has > 256 distinct
 * rating values). Factor rows are k floats, row-major (P[u*k + f]), any
 * alignment (rows are only 64-byte aligned when k % 16 == 0).
 *
 * For each rating, in the stored order (Koren, Bell & Volinsky, "Matrix
 * Factorization Techniques for Recommender Systems", IEEE Computer 2009):
 *     e   = r − (μ + b_u + b_i + p_u·q_i)
 *     b_u += lr (e − λ_b b_u)          b_i += lr (e − λ_b b_i)
 *     p_u += lr (e q_i − λ p_u)        q_i += lr (e p_u − λ q_i)   (old p_u)
 * i.e. one step of −lr ∇ of ½e² + ½λ(|p_u|² + |q_i|²) + ½λ_b(b_u² + b_i²).
 *
 * Half-precision rows (Ph, Qh set; P and Q then unused): the rows are
 * IEEE binary16, read into float, updated in float (every sum and product
 * as above) and rounded to nearest-even once when stored back — half the
 * bytes a row, so twice the rows fit each cache level.
 *
 * The scalar kernel is the reference; the AVX2+FMA kernel computes the same
 * update (the dot product summed in 8 lanes, p and q updated as
 * p(1 − lr λ) + lr e q), so the two agree to float rounding (tests:
 * test_sgd.c simd_matches_scalar, relative 1e-4 after several passes). */
#ifndef MFR_SGD_KERNEL_H
#define MFR_SGD_KERNEL_H

#include "../core/simd.h"

#include <stdint.h>

typedef struct mfr__sgd_block {
    const uint32_t *rec;     /* [n] packed ratings */
    const float *rf;         /* [n] ratings, or NULL when rtab is used */
    const float *rtab;       /* rating by code, or NULL */
    int64_t n;
    uint32_t umask, ishift, imask, rshift;
    float *P, *Q;            /* rows of the block's first user / item */
    float *bu, *bi;          /* biases of the block's first user / item */
    uint16_t *Ph, *Qh;       /* or half-precision rows (then P, Q unused) */
} mfr__sgd_block;

typedef struct mfr__sgd_hyper {
    float mu, lr, reg, reg_bias;
    int32_t k;
} mfr__sgd_hyper;

/* Process every rating of b once (updating P, Q, bu, bi in place) and return
 * the sum of the squared errors seen before each update (a cheap estimate of
 * the epoch's training loss). */
typedef double (*mfr__sgd_kernel_fn)(const mfr__sgd_block *b, const mfr__sgd_hyper *h);

double mfr__sgd_block_scalar(const mfr__sgd_block *b, const mfr__sgd_hyper *h);
/* Only call when mfr__cpu_avx2() is true (off x86-64: the scalar one). */
double mfr__sgd_block_avx2(const mfr__sgd_block *b, const mfr__sgd_hyper *h);
/* mfr__sgd_block_avx2 in 16 lanes where k % 32 == 0 and the rows are float
 * (otherwise it is that kernel): the same floats bit for bit, half the
 * vector instructions; at k = 64 each of the 4 interleaved user runs keeps
 * its p_u in registers across its user's ratings. Only call when
 * mfr__cpu_avx512() is true. */
double mfr__sgd_block_avx512(const mfr__sgd_block *b, const mfr__sgd_hyper *h);

/* The kernel to use under switches ks (NULL: defaults): the AVX-512 form
 * when mfr__use_avx512(ks), else AVX2+FMA when mfr__use_avx2(ks), else the
 * scalar reference. */
mfr__sgd_kernel_fn mfr__sgd_kernel(const mfr__kernels *ks);

/* One update of the scalar reference on one rating r; returns e (before the
 * update). For the gradient check. */
float mfr__sgd_update_scalar(float *p, float *q, float *bu, float *bi, float r,
                             const mfr__sgd_hyper *h);

/* IEEE binary16 <-> float, round to nearest-even (what F16C's vcvtps2ph
 * does with _MM_FROUND_TO_NEAREST_INT): portable C, the reference. */
float mfr__half_to_float(uint16_t h);
uint16_t mfr__float_to_half(float f);

/* p·q over k floats: the scalar sum in order (the model's mfr__dot_ref,
 * src/model/topn.h), or the AVX2 one (8 lanes); mfr__sgd_dot(ks) picks like
 * mfr__sgd_kernel(ks). */
typedef float (*mfr__sgd_dot_fn)(const float *p, const float *q, int32_t k);
float mfr__sgd_dot_avx2(const float *p, const float *q, int32_t k);
mfr__sgd_dot_fn mfr__sgd_dot(const mfr__kernels *ks);

#endif
