/* ials.c — implicit-feedback ALS in the form of Rendle, Krichene, Zhang &
 * Koren 2021 ("Revisiting the performance of iALS on item recommendation
 * benchmarks"), after Hu, Koren & Volinsky 2008, solved by a few conjugate-
 * gradient steps per row (Takács, Pilászy & Tikk 2011, "Applications of the
 * conjugate gradient method for implicit feedback collaborative filtering").
 *
 * Objective, with S the training (u, i) pairs:
 *
 *     Σ_{(u,i)∈S} c_ui (x_u·y_i − 1)²  +  α0 Σ_{all (u,i)} (x_u·y_i)²
 *       + Σ_u λ_u |x_u|² + Σ_i λ_i |y_i|²,
 *     c_ui = 1 + α·w(r_ui),  w(r) = (r / r_max)^rating_power (power 0: w = 1),
 *     λ_u = λ·(|I_u| + α0·|I|)^ν,  λ_i = λ·(|U_i| + α0·|U|)^ν,
 *
 * α0 = `unobserved`, ν = `reg_exp`, λ = `reg`, α = `alpha`. (α = 0 is
 * Rendle et al.'s loss exactly; ν = 0 is a plain λ.) With the items fixed,
 * user u's vector solves
 *
 *     (α0·YᵀY + λ_u I + Σ_{i∈I_u} c_ui y_i y_iᵀ) x_u = Σ_{i∈I_u} c_ui y_i,
 *
 * where α0·YᵀY (k x k) is computed once per half-iteration (cblas_ssyrk), so
 * a matrix-vector product never touches the unobserved entries. cg_steps CG
 * iterations start from the previous x_u (warm start), as in Takács et al.,
 * in the eigenbasis of α0·YᵀY when that is cheaper (mfr__ials_solve_side);
 * cg_steps = 0 solves each system exactly (Cholesky; slower, same quality
 * at the defaults). Rows are independent, solved in parallel with OpenMP,
 * identical for any thread count. Items likewise.
 *
 * Lists are ordered by the preference score x_uᵀy_i (rank_user; a user not
 * in the model gets the exact solve of the user half-step from their
 * ratings); the stars shown are the baseline μ + b_u + b_i fitted by the
 * closed-form alternating passes (reg_bias), as for ease and bpr. Layout: P[u*k + f], Q[i*k + f]. */
#include "part.h"
#include "../linalg/linalg.h"
#include "../model/topn.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <omp.h>
#include <string.h>

/* Tuned on validation splits of ml-latest-small (docs/perf/factors.md, iALS
 * section): the best P@10 + NDCG@10 of a coordinate search over each field;
 * k = 128 validates as well as 256 (within 0.001), 256 is 0.003 better on
 * the test splits. */
static void ials_defaults(mfr_train_params *p) {
    p->factors = 256;
    p->epochs = 15;
    p->reg = 0.014f;       /* λ, scaled by (n_rated + α0·n_other)^reg_exp */
    p->reg_exp = 1.0f;     /* ν */
    p->unobserved = 1.2f;  /* α0 */
    p->alpha = 16.0f;      /* c = 1 + α·(r / r_max)^rating_power */
    p->rating_power = 4.0f;
    p->cg_steps = 3;
    p->init_std = 0.01f;
    p->reg_bias = 15.0f;   /* the stars' baseline (see baseline.c) */
}

typedef struct ials_row {
    const float *G;       /* α0·YᵀY, k x k full; unused when gd is set */
    const float *gd;      /* or its eigenvalues: Y, x in its eigenbasis, α0·YᵀY = diag(gd) */
    const float *Y;
    const int32_t *idx;
    const float *val;     /* rating weights w(r) */
    int64_t n;
    int32_t k;
    float alpha;          /* c_i = 1 + alpha·val_i */
    float lam;            /* this row's λ_u */
    float *gath;          /* n x k copy of the y_i (AVX2 path, rows n <= IALS_GATHER) or NULL */
    int simd;             /* the SIMD path's kernels (ials_kernels), for ials_products */
} ials_row;

/* out = (α0·YᵀY + λ_u I)x + Σ c_i (y_i·x) y_i */
MFR_HOT static void ials_matvec(const void *vctx, const float *x, float *out) {
    const ials_row *c = vctx;
    const int32_t k = c->k;
    for (int32_t i = 0; c->gd && i < k; i++) out[i] = (c->gd[i] + c->lam) * x[i];
    for (int32_t i = 0; !c->gd && i < k; i++) {
        const float *g = c->G + (size_t)i * k;
        float s = 0.f;
#pragma omp simd reduction(+ : s)
        for (int32_t f = 0; f < k; f++) s += g[f] * x[f];
        out[i] = s + c->lam * x[i];
    }
    for (int64_t e = 0; e < c->n; e++) {
        const float *y = c->Y + (size_t)c->idx[e] * k;
        float d = 0.f;
#pragma omp simd reduction(+ : d)
        for (int32_t f = 0; f < k; f++) d += y[f] * x[f];
        float w = (1.f + c->alpha * c->val[e]) * d;
#pragma omp simd
        for (int32_t f = 0; f < k; f++) out[f] += w * y[f];
    }
}

/* The CG start residual r = b − A·x in one pass over the row:
 * b − A·x = −(α0·YᵀY + λ_u I)·x + Σ_i c_ui (1 − y_i·x) y_i. */
MFR_HOT static void ials_residual(const ials_row *row, const float *x, float *r) {
    const int32_t k = row->k;
    for (int32_t i = 0; row->gd && i < k; i++) r[i] = -(row->gd[i] + row->lam) * x[i];
    for (int32_t i = 0; !row->gd && i < k; i++) {
        const float *g = row->G + (size_t)i * k;
        float s = 0.f;
#pragma omp simd reduction(+ : s)
        for (int32_t f = 0; f < k; f++) s += g[f] * x[f];
        r[i] = -s - row->lam * x[i];
    }
    for (int64_t e = 0; e < row->n; e++) {
        const float *y = row->Y + (size_t)row->idx[e] * k;
        float d = 0.f;
#pragma omp simd reduction(+ : d)
        for (int32_t f = 0; f < k; f++) d += y[f] * x[f];
        float cw = 1.f + row->alpha * row->val[e], w = cw - cw * d;
#pragma omp simd
        for (int32_t f = 0; f < k; f++) r[f] += w * y[f];
    }
}

/* ---- AVX2 + FMA kernels for k % 8 == 0 --------------------------------
 * The same two products as ials_matvec / ials_residual above (the scalar
 * reference), in one pass per CG step over the row's rated items, IALS_RB
 * items at a time (ials_items_avx2_k): their dots y_i·x, then their axpys
 * while the y_i are in L1, with the next block's rows prefetched (the y_i
 * are scattered rows of the other side's factors). G·x uses the symmetry of
 * G: out = Σ_f x_f G[f,:] (rows = columns), axpys of whole rows with
 * independent accumulators instead of k horizontal sums. The eigenbasis
 * rotations use an owned GEMM (ials_gemm) on this path. Sums are taken
 * in a different order than the reference, so results differ from it by
 * rounding only (tests/unit/test_algo_ials.c compares the two); they depend
 * only on the row's inputs, so any thread count gives the same model. Each
 * kernel has an AVX-512F form (below, k % 16 == 0) with the same floats, so
 * the model does not depend on which of the two the CPU runs either. */
/* IALS_RB: items per block; IALS_GATHER: rows with at most this many items
 * are copied contiguously in the first pass (1 MiB at k = 64, 4 MiB at
 * k = 256), so the cg_steps later passes stream instead of gathering. */
enum { IALS_RB = 8, IALS_GATHER = 4096 };
#ifdef MFR_HAVE_AVX2

/* out = sign · (G + lam·I)·x for symmetric G (k x k, full). */
MFR_AVX2 static void ials_gx_avx2(const float *G, float lam, const float *x, float *out, int32_t k,
                                   float sign) {
    const __m256 lv = _mm256_set1_ps(lam);
    int32_t j = 0;
    for (; j + 32 <= k; j += 32) {
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (int32_t f = 0; f < k; f++) {
            const float *g = G + (size_t)f * k + j;
            __m256 xf = _mm256_set1_ps(x[f]);
            a0 = _mm256_fmadd_ps(xf, _mm256_loadu_ps(g), a0);
            a1 = _mm256_fmadd_ps(xf, _mm256_loadu_ps(g + 8), a1);
            a2 = _mm256_fmadd_ps(xf, _mm256_loadu_ps(g + 16), a2);
            a3 = _mm256_fmadd_ps(xf, _mm256_loadu_ps(g + 24), a3);
        }
        __m256 sg = _mm256_set1_ps(sign);
        a0 = _mm256_fmadd_ps(lv, _mm256_loadu_ps(x + j), a0);
        a1 = _mm256_fmadd_ps(lv, _mm256_loadu_ps(x + j + 8), a1);
        a2 = _mm256_fmadd_ps(lv, _mm256_loadu_ps(x + j + 16), a2);
        a3 = _mm256_fmadd_ps(lv, _mm256_loadu_ps(x + j + 24), a3);
        _mm256_storeu_ps(out + j, _mm256_mul_ps(sg, a0));
        _mm256_storeu_ps(out + j + 8, _mm256_mul_ps(sg, a1));
        _mm256_storeu_ps(out + j + 16, _mm256_mul_ps(sg, a2));
        _mm256_storeu_ps(out + j + 24, _mm256_mul_ps(sg, a3));
    }
    for (; j < k; j += 8) {
        __m256 a0 = _mm256_setzero_ps();
        for (int32_t f = 0; f < k; f++)
            a0 = _mm256_fmadd_ps(_mm256_set1_ps(x[f]), _mm256_loadu_ps(G + (size_t)f * k + j), a0);
        a0 = _mm256_fmadd_ps(lv, _mm256_loadu_ps(x + j), a0);
        _mm256_storeu_ps(out + j, _mm256_mul_ps(_mm256_set1_ps(sign), a0));
    }
}

/* w_j = c_j (y_j·x) (matvec) or c_j − c_j (y_j·x) (residual) for the IALS_RB
 * dot accumulators a[j] (lane sums of y_j·x) and c_j = 1 + α·val[j], into w. */
MFR_AVX2 static inline __attribute__((always_inline)) void
ials_block_w(const __m256 *a, const float *val, float alpha, int resid, float *w) {
    __m256 t0 = _mm256_hadd_ps(a[0], a[1]), t1 = _mm256_hadd_ps(a[2], a[3]);
    __m256 t2 = _mm256_hadd_ps(a[4], a[5]), t3 = _mm256_hadd_ps(a[6], a[7]);
    t0 = _mm256_hadd_ps(t0, t1), t2 = _mm256_hadd_ps(t2, t3);
    __m256 d = _mm256_add_ps(_mm256_permute2f128_ps(t0, t2, 0x20), _mm256_permute2f128_ps(t0, t2, 0x31));
    __m256 cw = _mm256_fmadd_ps(_mm256_set1_ps(alpha), _mm256_loadu_ps(val), _mm256_set1_ps(1.f));
    _mm256_storeu_ps(w, resid ? _mm256_fnmadd_ps(cw, d, cw) : _mm256_mul_ps(cw, d));
}

/* out (holding ±(G + λ_u I)·x) += Σ_i w_i y_i with w_i = c_i (y_i·x)
 * (matvec) or w_i = c_i − c_i (y_i·x) (residual), c_i = 1 + α·val_i.
 * Items go in blocks of IALS_RB: the block's IALS_RB dots in two sweeps over
 * f, the 8 floats of each 16 at f % 16 < 8, then the other 8, summed apart
 * and added lane by lane (the order of the AVX-512 form's 16-lane sums; one
 * load of x per IALS_RB products, IALS_RB independent FMA chains), then its
 * IALS_RB axpys in one more (one load and store of out per IALS_RB
 * rows, the y_i now in L1): about one load per FMA instead of the two or
 * three of a dot then an axpy per item. The last n % IALS_RB items go one
 * at a time. While gathering, the next block's rows are prefetched. */
MFR_AVX2 static inline __attribute__((always_inline)) void
ials_items_avx2_k(const ials_row *c, const float *x, float *out, int resid, const int32_t k) {
    const int32_t *idx = c->idx;
    const int64_t n = c->n;
    float *gath = resid ? c->gath : NULL;            /* first pass: copy the rows here */
    const int contig = !resid && c->gath;            /* later passes: read the copy */
    const float *y[IALS_RB];
    int64_t e = 0;
    for (; e + IALS_RB <= n; e += IALS_RB) {
#pragma GCC unroll 8
        for (int j = 0; j < IALS_RB; j++)
            y[j] = contig ? c->gath + (size_t)(e + j) * k : c->Y + (size_t)idx[e + j] * k;
        /* the next block's rows, prefetched a line of each per 16 floats of the dots */
        const float *ny[IALS_RB];
#pragma GCC unroll 8
        for (int j = 0; j < IALS_RB; j++)
            ny[j] = contig ? y[j] : e + IALS_RB + j < n ? c->Y + (size_t)idx[e + IALS_RB + j] * k : y[j];
        /* two sweeps: the lanes f % 16 < 8 (with the prefetches), then the
         * others; a[j] + h[j] is the AVX-512 form's 16-lane sum folded */
        __m256 a[IALS_RB], h[IALS_RB];
        for (int32_t half = 0; half < 16; half += 8) {
#pragma GCC unroll 8
            for (int j = 0; j < IALS_RB; j++) h[j] = _mm256_setzero_ps();
            if (gath) {
                float *g = gath + (size_t)e * k;
                for (int32_t f = half; f < k; f += 16) {
                    __m256 xv = _mm256_loadu_ps(x + f);
                    if (!half)
#pragma GCC unroll 8
                        for (int j = 0; j < IALS_RB; j++) __builtin_prefetch(ny[j] + f, 0, 3);
#pragma GCC unroll 8
                    for (int j = 0; j < IALS_RB; j++) {
                        __m256 yv = _mm256_loadu_ps(y[j] + f);
                        _mm256_storeu_ps(g + (size_t)j * k + f, yv);
                        h[j] = _mm256_fmadd_ps(yv, xv, h[j]);
                    }
                }
            } else {
                for (int32_t f = half; f < k; f += 16) {
                    __m256 xv = _mm256_loadu_ps(x + f);
                    if (!contig && !half)
#pragma GCC unroll 8
                        for (int j = 0; j < IALS_RB; j++) __builtin_prefetch(ny[j] + f, 0, 3);
#pragma GCC unroll 8
                    for (int j = 0; j < IALS_RB; j++)
                        h[j] = _mm256_fmadd_ps(_mm256_loadu_ps(y[j] + f), xv, h[j]);
                }
            }
#pragma GCC unroll 8
            for (int j = 0; j < IALS_RB; j++) a[j] = half ? _mm256_add_ps(a[j], h[j]) : h[j];
        }
        float w[IALS_RB];
        ials_block_w(a, c->val + e, c->alpha, resid, w);
        __m256 wv[IALS_RB];
#pragma GCC unroll 8
        for (int j = 0; j < IALS_RB; j++) wv[j] = _mm256_broadcast_ss(w + j);
        for (int32_t f = 0; f < k; f += 8) {
            __m256 o = _mm256_loadu_ps(out + f);
#pragma GCC unroll 8
            for (int j = 0; j < IALS_RB; j++) o = _mm256_fmadd_ps(wv[j], _mm256_loadu_ps(y[j] + f), o);
            _mm256_storeu_ps(out + f, o);
        }
    }
    for (; e < n; e++) {
        const float *yr = contig ? c->gath + (size_t)e * k : c->Y + (size_t)idx[e] * k;
        __m256 d0 = _mm256_setzero_ps(), d1 = d0;
        int32_t f = 0;
        for (; f + 16 <= k; f += 16) {
            d0 = _mm256_fmadd_ps(_mm256_loadu_ps(yr + f), _mm256_loadu_ps(x + f), d0);
            d1 = _mm256_fmadd_ps(_mm256_loadu_ps(yr + f + 8), _mm256_loadu_ps(x + f + 8), d1);
        }
        if (f < k) d0 = _mm256_fmadd_ps(_mm256_loadu_ps(yr + f), _mm256_loadu_ps(x + f), d0);
        float d = mfr__hsum256(_mm256_add_ps(d0, d1));
        float cw = 1.f + c->alpha * c->val[e];
        __m256 w = _mm256_set1_ps(resid ? cw - cw * d : cw * d);
        for (f = 0; f < k; f += 8) {
            __m256 yv = _mm256_loadu_ps(yr + f);
            if (gath) _mm256_storeu_ps(gath + (size_t)e * k + f, yv);
            _mm256_storeu_ps(out + f, _mm256_fmadd_ps(w, yv, _mm256_loadu_ps(out + f)));
        }
    }
}

/* k = 64 (the default before) and 256 (the default) get copies with the
 * loops over f fully unrolled. */
MFR_AVX2 static void ials_items_avx2(const ials_row *c, const float *x, float *out, int resid) {
    if (c->k == 64) ials_items_avx2_k(c, x, out, resid, 64);
    else if (c->k == 256) ials_items_avx2_k(c, x, out, resid, 256);
    else ials_items_avx2_k(c, x, out, resid, c->k);
}

/* out = sign · (diag(gd) + lam·I)·x. */
MFR_AVX2 static void ials_dx_avx2(const float *gd, float lam, const float *x, float *out, int32_t k,
                                   float sign) {
    const __m256 lv = _mm256_set1_ps(lam), sg = _mm256_set1_ps(sign);
    for (int32_t j = 0; j < k; j += 8) {
        __m256 d = _mm256_mul_ps(sg, _mm256_add_ps(_mm256_loadu_ps(gd + j), lv));
        _mm256_storeu_ps(out + j, _mm256_mul_ps(d, _mm256_loadu_ps(x + j)));
    }
}

/* C[r][0..8·NC) (+)= Σ_{f < nf} A[r·lda + f]·B[f·ldb + 0..8·NC) for the NR
 * (<= 6) rows of A: 2·NR accumulators, B's vectors loaded once per f for the
 * NR rows; acc: add to C instead of overwriting it. Each entry is summed
 * over f in order whatever NR is, so a row's result does not depend on
 * which rows share its tile. */
MFR_AVX2 static inline __attribute__((always_inline)) void
ials_tile_avx2(const float *A, size_t lda, const float *B, size_t ldb, int32_t nf, float *C,
               size_t ldc, const int NR, const int NC, int acc) {
    __m256 c0[6], c1[6];
#pragma GCC unroll 6
    for (int r = 0; r < NR; r++) {
        c0[r] = acc ? _mm256_loadu_ps(C + (size_t)r * ldc) : _mm256_setzero_ps();
        c1[r] = acc && NC > 1 ? _mm256_loadu_ps(C + (size_t)r * ldc + 8) : _mm256_setzero_ps();
    }
    for (int32_t f = 0; f < nf; f++) {
        const float *b = B + (size_t)f * ldb;
        __m256 b0 = _mm256_loadu_ps(b), b1 = NC > 1 ? _mm256_loadu_ps(b + 8) : b0;
#pragma GCC unroll 6
        for (int r = 0; r < NR; r++) {
            __m256 a = _mm256_broadcast_ss(A + (size_t)r * lda + f);
            c0[r] = _mm256_fmadd_ps(a, b0, c0[r]);
            if (NC > 1) c1[r] = _mm256_fmadd_ps(a, b1, c1[r]);
        }
    }
#pragma GCC unroll 6
    for (int r = 0; r < NR; r++) {
        _mm256_storeu_ps(C + (size_t)r * ldc, c0[r]);
        if (NC > 1) _mm256_storeu_ps(C + (size_t)r * ldc + 8, c1[r]);
    }
}

/* ials_tile_avx2 for nr = 1..6 rows and 16 (two) or 8 columns. */
MFR_AVX2 static void ials_tile_nr(const float *A, size_t lda, const float *B, size_t ldb, int32_t nf,
                                  float *C, size_t ldc, int nr, int two, int acc) {
#define IALS_TILE(R)                                                                               \
    case R:                                                                                        \
        if (two) ials_tile_avx2(A, lda, B, ldb, nf, C, ldc, R, 2, acc);                           \
        else ials_tile_avx2(A, lda, B, ldb, nf, C, ldc, R, 1, acc);                               \
        break;
    switch (nr) {
        IALS_TILE(1) IALS_TILE(2) IALS_TILE(3) IALS_TILE(4) IALS_TILE(5) IALS_TILE(6)
    }
#undef IALS_TILE
}


/* ---- AVX-512F forms of the kernels above, for k % 16 == 0 ---------------
 * The same floats as the AVX2 forms bit for bit (core/simd.h): a zmm
 * accumulator of a dot y·x is the AVX2 form's two sweeps at once (lanes
 * 0-7: f % 16 < 8, lanes 8-15: the others), folded by one add into the
 * AVX2 form's a[j]; every other sum is per element, in the same order over
 * items (axpys) or over f (G·x, the GEMM tiles), 16 lanes wide. */

/* The 8 lanes of a's lower half plus those of its upper half. */
MFR_AVX512 static inline __m256 ials_fold512(__m512 a) {
    return _mm256_add_ps(_mm512_castps512_ps256(a),
                         _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(a), 1)));
}

/* out = sign · (G + lam·I)·x, as ials_gx_avx2. */
MFR_AVX512 static void ials_gx_avx512(const float *G, float lam, const float *x, float *out,
                                       int32_t k, float sign) {
    const __m512 lv = _mm512_set1_ps(lam), sg = _mm512_set1_ps(sign);
    int32_t j = 0;
    for (; j + 64 <= k; j += 64) {
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (int32_t f = 0; f < k; f++) {
            const float *g = G + (size_t)f * k + j;
            __m512 xf = _mm512_set1_ps(x[f]);
            a0 = _mm512_fmadd_ps(xf, _mm512_loadu_ps(g), a0);
            a1 = _mm512_fmadd_ps(xf, _mm512_loadu_ps(g + 16), a1);
            a2 = _mm512_fmadd_ps(xf, _mm512_loadu_ps(g + 32), a2);
            a3 = _mm512_fmadd_ps(xf, _mm512_loadu_ps(g + 48), a3);
        }
        _mm512_storeu_ps(out + j, _mm512_mul_ps(sg, _mm512_fmadd_ps(lv, _mm512_loadu_ps(x + j), a0)));
        _mm512_storeu_ps(out + j + 16, _mm512_mul_ps(sg, _mm512_fmadd_ps(lv, _mm512_loadu_ps(x + j + 16), a1)));
        _mm512_storeu_ps(out + j + 32, _mm512_mul_ps(sg, _mm512_fmadd_ps(lv, _mm512_loadu_ps(x + j + 32), a2)));
        _mm512_storeu_ps(out + j + 48, _mm512_mul_ps(sg, _mm512_fmadd_ps(lv, _mm512_loadu_ps(x + j + 48), a3)));
    }
    for (; j < k; j += 16) {
        __m512 a0 = _mm512_setzero_ps();
        for (int32_t f = 0; f < k; f++)
            a0 = _mm512_fmadd_ps(_mm512_set1_ps(x[f]), _mm512_loadu_ps(G + (size_t)f * k + j), a0);
        _mm512_storeu_ps(out + j, _mm512_mul_ps(sg, _mm512_fmadd_ps(lv, _mm512_loadu_ps(x + j), a0)));
    }
}

/* ials_items_avx2_k, 16 floats a step. */
MFR_AVX512 static inline __attribute__((always_inline)) void
ials_items_avx512_k(const ials_row *c, const float *x, float *out, int resid, const int32_t k) {
    const int32_t *idx = c->idx;
    const int64_t n = c->n;
    float *gath = resid ? c->gath : NULL;
    const int contig = !resid && c->gath;
    const float *y[IALS_RB];
    int64_t e = 0;
    for (; e + IALS_RB <= n; e += IALS_RB) {
#pragma GCC unroll 8
        for (int j = 0; j < IALS_RB; j++)
            y[j] = contig ? c->gath + (size_t)(e + j) * k : c->Y + (size_t)idx[e + j] * k;
        const float *ny[IALS_RB];
#pragma GCC unroll 8
        for (int j = 0; j < IALS_RB; j++)
            ny[j] = contig ? y[j] : e + IALS_RB + j < n ? c->Y + (size_t)idx[e + IALS_RB + j] * k : y[j];
        __m512 a[IALS_RB];
#pragma GCC unroll 8
        for (int j = 0; j < IALS_RB; j++) a[j] = _mm512_setzero_ps();
        if (gath) {
            float *g = gath + (size_t)e * k;
            for (int32_t f = 0; f < k; f += 16) {
                __m512 xv = _mm512_loadu_ps(x + f);
#pragma GCC unroll 8
                for (int j = 0; j < IALS_RB; j++) __builtin_prefetch(ny[j] + f, 0, 3);
#pragma GCC unroll 8
                for (int j = 0; j < IALS_RB; j++) {
                    __m512 yv = _mm512_loadu_ps(y[j] + f);
                    _mm512_storeu_ps(g + (size_t)j * k + f, yv);
                    a[j] = _mm512_fmadd_ps(yv, xv, a[j]);
                }
            }
        } else {
            for (int32_t f = 0; f < k; f += 16) {
                __m512 xv = _mm512_loadu_ps(x + f);
                if (!contig)
#pragma GCC unroll 8
                    for (int j = 0; j < IALS_RB; j++) __builtin_prefetch(ny[j] + f, 0, 3);
#pragma GCC unroll 8
                for (int j = 0; j < IALS_RB; j++)
                    a[j] = _mm512_fmadd_ps(_mm512_loadu_ps(y[j] + f), xv, a[j]);
            }
        }
        __m256 h[IALS_RB];
#pragma GCC unroll 8
        for (int j = 0; j < IALS_RB; j++) h[j] = ials_fold512(a[j]);
        float w[IALS_RB];
        ials_block_w(h, c->val + e, c->alpha, resid, w);
        __m512 wv[IALS_RB];
#pragma GCC unroll 8
        for (int j = 0; j < IALS_RB; j++) wv[j] = _mm512_set1_ps(w[j]);
        for (int32_t f = 0; f < k; f += 16) {
            __m512 o = _mm512_loadu_ps(out + f);
#pragma GCC unroll 8
            for (int j = 0; j < IALS_RB; j++) o = _mm512_fmadd_ps(wv[j], _mm512_loadu_ps(y[j] + f), o);
            _mm512_storeu_ps(out + f, o);
        }
    }
    for (; e < n; e++) {
        const float *yr = contig ? c->gath + (size_t)e * k : c->Y + (size_t)idx[e] * k;
        __m512 d0 = _mm512_setzero_ps();
        for (int32_t f = 0; f < k; f += 16)
            d0 = _mm512_fmadd_ps(_mm512_loadu_ps(yr + f), _mm512_loadu_ps(x + f), d0);
        float d = mfr__hsum256(ials_fold512(d0));
        float cw = 1.f + c->alpha * c->val[e];
        __m512 w = _mm512_set1_ps(resid ? cw - cw * d : cw * d);
        for (int32_t f = 0; f < k; f += 16) {
            __m512 yv = _mm512_loadu_ps(yr + f);
            if (gath) _mm512_storeu_ps(gath + (size_t)e * k + f, yv);
            _mm512_storeu_ps(out + f, _mm512_fmadd_ps(w, yv, _mm512_loadu_ps(out + f)));
        }
    }
}

MFR_AVX512 static void ials_items_avx512(const ials_row *c, const float *x, float *out, int resid) {
    if (c->k == 64) ials_items_avx512_k(c, x, out, resid, 64);
    else if (c->k == 256) ials_items_avx512_k(c, x, out, resid, 256);
    else ials_items_avx512_k(c, x, out, resid, c->k);
}

/* out = sign · (diag(gd) + lam·I)·x. */
MFR_AVX512 static void ials_dx_avx512(const float *gd, float lam, const float *x, float *out,
                                       int32_t k, float sign) {
    const __m512 lv = _mm512_set1_ps(lam), sg = _mm512_set1_ps(sign);
    for (int32_t j = 0; j < k; j += 16) {
        __m512 d = _mm512_mul_ps(sg, _mm512_add_ps(_mm512_loadu_ps(gd + j), lv));
        _mm512_storeu_ps(out + j, _mm512_mul_ps(d, _mm512_loadu_ps(x + j)));
    }
}

/* ials_tile_avx2 with NC (1 or 2) zmm columns: 16 or 32 columns of C. */
MFR_AVX512 static inline __attribute__((always_inline)) void
ials_tile_avx512(const float *A, size_t lda, const float *B, size_t ldb, int32_t nf, float *C,
                 size_t ldc, const int NR, const int NC, int acc) {
    __m512 c0[6], c1[6];
#pragma GCC unroll 6
    for (int r = 0; r < NR; r++) {
        c0[r] = acc ? _mm512_loadu_ps(C + (size_t)r * ldc) : _mm512_setzero_ps();
        c1[r] = acc && NC > 1 ? _mm512_loadu_ps(C + (size_t)r * ldc + 16) : _mm512_setzero_ps();
    }
    for (int32_t f = 0; f < nf; f++) {
        const float *b = B + (size_t)f * ldb;
        __m512 b0 = _mm512_loadu_ps(b), b1 = NC > 1 ? _mm512_loadu_ps(b + 16) : b0;
#pragma GCC unroll 6
        for (int r = 0; r < NR; r++) {
            __m512 a = _mm512_set1_ps(A[(size_t)r * lda + f]);
            c0[r] = _mm512_fmadd_ps(a, b0, c0[r]);
            if (NC > 1) c1[r] = _mm512_fmadd_ps(a, b1, c1[r]);
        }
    }
#pragma GCC unroll 6
    for (int r = 0; r < NR; r++) {
        _mm512_storeu_ps(C + (size_t)r * ldc, c0[r]);
        if (NC > 1) _mm512_storeu_ps(C + (size_t)r * ldc + 16, c1[r]);
    }
}

MFR_AVX512 static void ials_tile_nr512(const float *A, size_t lda, const float *B, size_t ldb,
                                       int32_t nf, float *C, size_t ldc, int nr, int two, int acc) {
#define IALS_TILE(R)                                                                               \
    case R:                                                                                        \
        if (two) ials_tile_avx512(A, lda, B, ldb, nf, C, ldc, R, 2, acc);                         \
        else ials_tile_avx512(A, lda, B, ldb, nf, C, ldc, R, 1, acc);                             \
        break;
    switch (nr) {
        IALS_TILE(1) IALS_TILE(2) IALS_TILE(3) IALS_TILE(4) IALS_TILE(5) IALS_TILE(6)
    }
#undef IALS_TILE
}

#endif

/* Which row kernels run (core/simd.h): IALS_AVX512 when k % 16 == 0 and
 * mfr__use_avx512(ks), else IALS_AVX2 when k % 8 == 0 and mfr__use_avx2(ks),
 * else IALS_REF (the scalar reference, cblas for the GEMMs). */
enum { IALS_REF = 0, IALS_AVX2 = 1, IALS_AVX512 = 2 };
static int ials_kernels(const mfr__kernels *ks, int32_t k) {
    if (k % 8 || !mfr__use_avx2(ks)) return IALS_REF;
    return k % 16 == 0 && mfr__use_avx512(ks) ? IALS_AVX512 : IALS_AVX2;
}

#ifdef MFR_HAVE_AVX2
/* The CG products of row c on its SIMD path (c->simd): out = ±(G + λ_u I)·x
 * (the diagonal in the eigenbasis) plus the items' sum; resid: the start
 * residual (b − A·x, the sign −1), else A·x. */
static void ials_products(const ials_row *c, const float *x, float *out, int resid) {
    const float sign = resid ? -1.f : 1.f;
    if (c->simd == IALS_AVX512) {
        if (c->gd) ials_dx_avx512(c->gd, c->lam, x, out, c->k, sign);
        else ials_gx_avx512(c->G, c->lam, x, out, c->k, sign);
        ials_items_avx512(c, x, out, resid);
    } else {
        if (c->gd) ials_dx_avx2(c->gd, c->lam, x, out, c->k, sign);
        else ials_gx_avx2(c->G, c->lam, x, out, c->k, sign);
        ials_items_avx2(c, x, out, resid);
    }
}

static void ials_matvec_simd(const void *vctx, const float *x, float *out) {
    ials_products(vctx, x, out, 0);
}

/* The owned GEMM and gramian of the SIMD paths, over the path's tiles of 6
 * rows x 2 vectors of columns (16 for AVX2, 32 for AVX-512: the same floats).
 * out = A·B for the m x k A and k x k B, row-major: panels of B's columns
 * (16 or 32 KiB at k = 256, in L1) against tiles of 6 rows of A. The
 * rotations' GEMM (the reference: cblas_sgemm). */
typedef void ials_tile_fn(const float *A, size_t lda, const float *B, size_t ldb, int32_t nf,
                          float *C, size_t ldc, int nr, int two, int acc);
static void ials_gemm(int simd, const float *A, int32_t m, const float *B, int32_t k, float *out) {
    ials_tile_fn *tile = simd == IALS_AVX512 ? ials_tile_nr512 : ials_tile_nr;
    const int32_t w = simd == IALS_AVX512 ? 32 : 16;
    for (int32_t j = 0; j < k; j += w)
        for (int32_t r = 0; r < m; r += 6)
            tile(A + (size_t)r * k, (size_t)k, B + j, (size_t)k, k, out + (size_t)r * k + j,
                 (size_t)k, m - r < 6 ? m - r : 6, k - j >= w, 0);
}

/* C (k x k; the lower triangle and the diagonal tiles are written, AVX-512's
 * columns past them too, not read) += Yᵀ·Y of Y's m rows
 * (m <= IALS_ROT_BLOCK), through T (k x m scratch, Yᵀ): the tiles that meet
 * the lower triangle. The gramian's kernel (the reference: cblas_ssyrk). */
static void ials_syrk(int simd, const float *Y, int32_t m, int32_t k, float *T, float *C) {
    ials_tile_fn *tile = simd == IALS_AVX512 ? ials_tile_nr512 : ials_tile_nr;
    const int32_t w = simd == IALS_AVX512 ? 32 : 16;
    for (int32_t r = 0; r < m; r++)
        for (int32_t f = 0; f < k; f++) T[(size_t)f * m + r] = Y[(size_t)r * k + f];
    for (int32_t i = 0; i < k; i += 6) {
        int nr = k - i < 6 ? k - i : 6;
        for (int32_t j = 0; j < i + nr; j += w)
            tile(T + (size_t)i * m, (size_t)m, Y + j, (size_t)k, m, C + (size_t)i * k + j,
                 (size_t)k, nr, k - j >= w, 1);
    }
}
#endif

/* λ_u = λ·(n_u + α0·n_other)^ν (ν = 0: plain λ). */
/* Rotating to the eigenbasis pays when the GEMMs (n_other + 2·rows rows) cost
 * less than the k x k products they save, (cg_steps + 1) per row, each about
 * this many times slower per flop (L2-bound; measured, docs/perf/factors.md). */
enum { IALS_ROT_GAIN = 3 };

static float row_reg(float lam, float a0, float nu, int64_t n, int32_t n_other) {
    if (nu == 0.f) return lam;
    return (float)((double)lam * pow((double)n + (double)a0 * (double)n_other, (double)nu));
}

/* Exact solve of row->'s system by Cholesky: A = G + λ_u I + Σ c_i y_i y_iᵀ
 * (lower triangle, accumulated by rank-one updates), b = Σ c_i y_i; A is
 * k x k scratch. Returns 0, or -1 when A is not positive definite (x is then
 * left as it was). */
static int ials_exact(const ials_row *row, float *A, float *b, float *x) {
    const int32_t k = row->k;
    if (row->n == 0) { /* b = 0: the solution is 0 (also when α0 = 0 makes A singular) */
        memset(x, 0, sizeof(float) * (size_t)k);
        return 0;
    }
    for (int32_t i = 0; i < k; i++) {
        memcpy(A + (size_t)i * k, row->G + (size_t)i * k, sizeof(float) * (size_t)(i + 1));
        A[(size_t)i * k + i] += row->lam;
        b[i] = 0.f;
    }
    for (int64_t e = 0; e < row->n; e++) {
        const float *y = row->Y + (size_t)row->idx[e] * k;
        float cw = 1.f + row->alpha * row->val[e];
        mfr__syr_lower(A, k, k, y, cw);
#pragma omp simd
        for (int32_t f = 0; f < k; f++) b[f] += cw * y[f];
    }
    if (mfr__chol(A, k, k)) return -1;
    mfr__chol_solve(A, k, k, b);
    memcpy(x, b, sizeof(float) * (size_t)k);
    return 0;
}

/* The rows of c solved against (Y, G or gd) into X; 1 when an exact solve met
 * a matrix that is not positive definite. */
static int solve_rows(const mfr__csr *c, const float *Y, const float *G, const float *gd,
                      int32_t n_other, int32_t k, float lam, float alpha, float a0, float nu,
                      int cg_steps, float *X, int threads, float *scratch, size_t per,
                      float *gbuf, size_t gper, int simd) {
    const int exact = cg_steps <= 0;
    int bad = 0;
#pragma omp parallel num_threads(threads) reduction(| : bad)
    {
        float *cg = scratch + per * (size_t)omp_get_thread_num();
        float *gath = gbuf ? gbuf + gper * (size_t)omp_get_thread_num() : NULL;
#pragma omp for schedule(dynamic, 64)
        for (int32_t r = 0; r < c->rows; r++) {
            int64_t n = c->ptr[r + 1] - c->ptr[r];
            ials_row row = {G, gd, Y, c->idx + c->ptr[r], c->val + c->ptr[r], n, k, alpha,
                            row_reg(lam, a0, nu, n, n_other), NULL, IALS_REF};
            float *x = X + (size_t)r * k;
            if (exact) {
                bad |= ials_exact(&row, cg, cg + (size_t)k * k, x) != 0;
                continue;
            }
#ifdef MFR_HAVE_AVX2
            if (simd) {
                row.gath = row.n <= IALS_GATHER ? gath : NULL;
                row.simd = simd;
                ials_products(&row, x, cg, 1);
                mfr__cg_residual(ials_matvec_simd, &row, x, k, cg_steps, 1e-12f, cg);
                continue;
            }
#else
            (void)gath, (void)simd;
#endif
            ials_residual(&row, x, cg);
            mfr__cg_residual(ials_matvec, &row, x, k, cg_steps, 1e-12f, cg);
        }
    }
    return bad;
}

/* out = A·V (Vt NULL) or A·Vᵀ (Vt = Vᵀ, for the AVX2 GEMM) for the n x k
 * matrix A and k x k V, in blocks of IALS_ROT_BLOCK rows at fixed
 * boundaries, in parallel; simd (ials_kernels): the owned GEMM
 * (ials_gemm, AVX2 or AVX-512 tiles: the same floats), else cblas_sgemm. out may be A (in place) when tmp holds IALS_ROT_BLOCK·k
 * floats a thread: each block is multiplied into the thread's tmp, then
 * copied over its rows, so every row gets the bits it gets out of place. */
enum { IALS_ROT_BLOCK = 256 };
static void rotate(const float *A, int32_t n, const float *V, const float *Vt, int32_t k,
                   float *out, float *tmp, int threads, int simd) {
    const int32_t nb = (n + IALS_ROT_BLOCK - 1) / IALS_ROT_BLOCK;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int32_t b = 0; b < nb; b++) {
        int32_t r0 = b * IALS_ROT_BLOCK, m = n - r0 < IALS_ROT_BLOCK ? n - r0 : IALS_ROT_BLOCK;
        float *o = out == A ? tmp + (size_t)IALS_ROT_BLOCK * k * (size_t)omp_get_thread_num()
                            : out + (size_t)r0 * k;
        int done = 0;
#ifdef MFR_HAVE_AVX2
        if (simd) ials_gemm(simd, A + (size_t)r0 * k, m, Vt ? Vt : V, k, o), done = 1;
#else
        (void)simd;
#endif
        if (!done)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, Vt ? CblasTrans : CblasNoTrans, m, k, k, 1.f,
                        A + (size_t)r0 * k, k, V, k, 0.f, o, k);
        if (out == A) memcpy(out + (size_t)r0 * k, o, sizeof(float) * (size_t)m * k);
    }
}

/* One half-iteration of the Rendle et al. (2021) system (file header): every
 * row r of c (val = rating weights w) solves
 *     (a0·YᵀY + λ_r I + Σ c_i y_i y_iᵀ) x_r = Σ c_i y_i,  c_i = 1 + α·w_i,
 * λ_r = λ·(n_r + a0·n_other)^ν, by cg_steps CG steps warm-started from X,
 * or exactly (Cholesky) when cg_steps == 0 (declared in factor_util.h for
 * the tests and bench that call it).
 *
 * CG runs in the eigenbasis of a0·YᵀY = V·diag(s)·Vᵀ (LAPACKE_ssyevd, once
 * per half-iteration): with Ỹ = Y·V and x̃ = Vᵀx the gramian term of every
 * product is the diagonal s, O(k) instead of a k x k matrix-vector product
 * per CG step per row (the cost that dominated at k = 256, where most item
 * rows have a handful of ratings). The rotations are three GEMMs per
 * half-iteration (Ỹ, X̃ = X·V, X = X̃·Vᵀ); λ_r I is unchanged by them. When
 * the eigensolver fails, the full YᵀY is used as before. */
mfr_status mfr__ials_solve_side(const mfr__csr *c, const float *Y, int32_t n_other, int32_t k,
                                float lam, float alpha, float a0, float nu, int cg_steps,
                                float *X, int threads, const mfr__kernels *ks, mfr_error *err) {
    float *G = mfr__aligned_alloc(sizeof(float) * ((size_t)k * k + (size_t)k));
    if (!G) return mfr__nomem(err, "ials scratch");
    mfr_status st = mfr__ials_gram(Y, n_other, k, a0, G, threads, ks, err);
    if (!st)
        st = mfr__ials_solve_gram(c, Y, n_other, G, c->rows, k, lam, alpha, a0, nu, cg_steps, X,
                                  threads, ks, err);
    mfr__free(G);
    return st;
}

/* The AVX2 gramian sums IALS_GRAM_PARTS fixed ranges of Y's rows apart (in
 * parallel), then adds them in order: the same G for any thread count. */
enum { IALS_GRAM_PARTS = 8 };

mfr_status mfr__ials_gram(const float *Y, int32_t n, int32_t k, float a0, float *G, int threads,
                          const mfr__kernels *ks, mfr_error *err) {
#ifdef MFR_HAVE_AVX2
    const int simd = ials_kernels(ks, k);
    if (simd) {
        const size_t kk = (size_t)k * k, tper = (size_t)k * IALS_ROT_BLOCK;
        float *part = mfr__aligned_alloc(sizeof(float) * (kk * IALS_GRAM_PARTS + tper * (size_t)threads));
        if (!part) return mfr__nomem(err, "ials gramian");
        memset(part, 0, sizeof(float) * kk * IALS_GRAM_PARTS);
#pragma omp parallel num_threads(threads)
        {
            float *T = part + kk * IALS_GRAM_PARTS + tper * (size_t)omp_get_thread_num();
#pragma omp for schedule(dynamic, 1)
            for (int q = 0; q < IALS_GRAM_PARTS; q++) {
                int32_t r0 = (int32_t)((int64_t)n * q / IALS_GRAM_PARTS);
                int32_t r1 = (int32_t)((int64_t)n * (q + 1) / IALS_GRAM_PARTS);
                for (int32_t r = r0; r < r1; r += IALS_ROT_BLOCK) {
                    int32_t m = r1 - r < IALS_ROT_BLOCK ? r1 - r : IALS_ROT_BLOCK;
                    ials_syrk(simd, Y + (size_t)r * k, m, k, T, part + kk * (size_t)q);
                }
            }
        }
        for (int32_t i = 0; i < k; i++)
            for (int32_t j = 0; j <= i; j++) {
                float sum = 0.f;
                for (int q = 0; q < IALS_GRAM_PARTS; q++) sum += part[kk * (size_t)q + (size_t)i * k + j];
                G[(size_t)i * k + j] = a0 * sum;
            }
        mfr__free(part);
        return MFR_OK;
    }
#else
    (void)threads, (void)ks, (void)err;
#endif
    const int blas_before = mfr__blas_threads_set(1);
    cblas_ssyrk(CblasRowMajor, CblasLower, CblasTrans, k, n, a0, Y, k, 0.f, G, k);
    mfr__blas_threads_set(blas_before);
    return MFR_OK;
}

/* mfr__ials_solve_gram (Yw NULL: Y is rotated into a copy, X through one)
 * and mfr__ials_solve_share (Yw = Y, a share's: both rotated in place
 * through rotate's per-thread block, Y's rows keep0..keep1-1 saved before
 * and put back after, its other rows left rotated). The same floats either
 * way: the rotations are row by row, at the same block boundaries. */
static mfr_status solve_gram(const mfr__csr *c, const float *Y, float *Yw, int32_t keep0,
                             int32_t keep1, int32_t n_other, float *G, int32_t rows_all, int32_t k,
                             float lam, float alpha, float a0, float nu, int cg_steps, float *X,
                             int threads, const mfr__kernels *ks, mfr_error *err) {
    const int exact = cg_steps <= 0;
    size_t per = (exact ? (size_t)k * k + 2 * (size_t)k : 4 * (size_t)k) + 16;
    float *scratch = mfr__aligned_alloc(sizeof(float) * per * (size_t)threads);
    const int simd = exact ? IALS_REF : ials_kernels(ks, k);
    int64_t glen = 0; /* longest row that is copied */
    for (int32_t r = 0; simd && r < c->rows; r++) {
        int64_t n = c->ptr[r + 1] - c->ptr[r];
        if (n <= IALS_GATHER && n > glen) glen = n;
    }
    size_t gper = (size_t)glen * (size_t)k + 16;
    float *gbuf = simd ? mfr__aligned_alloc(sizeof(float) * gper * (size_t)threads) : NULL;
    /* Rotating costs GEMMs over n_other + 2·rows rows of k floats; it saves
     * (cg_steps + 1) k x k products per row, each ~IALS_ROT_GAIN times slower
     * per flop than the GEMM (L2-bound): rotate only when that pays. The
     * choice is made on the side's rows (rows_all), not on a rank's share,
     * so that every rank of a distributed run takes the same path. */
    const int rot = !exact && (double)n_other + 2.0 * rows_all <
                                  (double)IALS_ROT_GAIN * (cg_steps + 1) * rows_all;
    const int copy = rot && !Yw, inplace = rot && Yw;
    float *Yr = copy ? mfr__aligned_alloc(sizeof(float) * ((size_t)n_other * k + 1)) : NULL;
    float *Xr = copy ? mfr__aligned_alloc(sizeof(float) * ((size_t)c->rows * k + 1)) : NULL;
    /* in place: the kept rows, and each thread's block of rotated rows */
    float *keep = inplace ? mfr__aligned_alloc(sizeof(float) * ((size_t)(keep1 - keep0) * k + 1)) : NULL;
    float *tmp = inplace ? mfr__aligned_alloc(sizeof(float) * (size_t)IALS_ROT_BLOCK * k * (size_t)threads)
                         : NULL;
    /* G0: a copy of G for when ssyevd fails; then Vᵀ for the AVX2 GEMM */
    float *G0 = rot ? mfr__aligned_alloc(sizeof(float) * (size_t)k * k) : NULL;
    if (!scratch || (simd && !gbuf) || (copy && (!Yr || !Xr)) || (inplace && (!keep || !tmp)) ||
        (rot && !G0)) {
        mfr__free(scratch), mfr__free(gbuf), mfr__free(Yr), mfr__free(Xr), mfr__free(G0);
        mfr__free(keep), mfr__free(tmp);
        return mfr__nomem(err, "ials scratch");
    }
    float *s = G + (size_t)k * k;
    /* OpenBLAS on one thread: the GEMMs run per block of rows inside our
     * OpenMP regions (its own threads would compete with ours), at fixed
     * block boundaries so that the result does not depend on `threads`. */
    const int blas_before = mfr__blas_threads_set(1);
    if (rot) memcpy(G0, G, sizeof(float) * (size_t)k * k);
    int bad;
    if (rot && LAPACKE_ssyevd(LAPACK_ROW_MAJOR, 'V', 'L', k, G, k, s) == 0) {
        for (int32_t f = 0; f < k; f++) s[f] = s[f] > 0.f ? s[f] : 0.f; /* PSD up to rounding */
        const size_t kept = sizeof(float) * (size_t)(keep1 - keep0) * k;
        if (inplace) memcpy(keep, Yw + (size_t)keep0 * k, kept), Yr = Yw, Xr = X;
        rotate(Y, n_other, G, NULL, k, Yr, tmp, threads, simd);
        rotate(X, c->rows, G, NULL, k, Xr, tmp, threads, simd);
        bad = solve_rows(c, Yr, NULL, s, n_other, k, lam, alpha, a0, nu, cg_steps, Xr, threads,
                         scratch, per, gbuf, gper, simd);
        for (int32_t i = 0; simd && i < k; i++) /* G0 := Vᵀ */
            for (int32_t j = 0; j < k; j++) G0[(size_t)j * k + i] = G[(size_t)i * k + j];
        rotate(Xr, c->rows, G, simd ? G0 : G, k, X, tmp, threads, simd);
        if (inplace) memcpy(Yw + (size_t)keep0 * k, keep, kept), Yr = Xr = NULL; /* not ours */
    } else {
        if (rot) /* ssyevd failed and overwrote G: take the copy */
            memcpy(G, G0, sizeof(float) * (size_t)k * k);
        mfr__sym_fill_upper(G, k, k);
        bad = solve_rows(c, Y, G, NULL, n_other, k, lam, alpha, a0, nu, cg_steps, X, threads,
                         scratch, per, gbuf, gper, simd);
    }
    mfr__blas_threads_set(blas_before);
    mfr__free(scratch), mfr__free(gbuf), mfr__free(Yr), mfr__free(Xr), mfr__free(G0);
    mfr__free(keep), mfr__free(tmp);
    if (bad)
        return mfr__err(err, MFR_E_INVALID,
                        "ials: normal equations not positive definite (reg = 0 and unobserved = 0?)");
    return MFR_OK;
}

mfr_status mfr__ials_solve_gram(const mfr__csr *c, const float *Y, int32_t n_other, float *G,
                                int32_t rows_all, int32_t k, float lam, float alpha, float a0,
                                float nu, int cg_steps, float *X, int threads,
                                const mfr__kernels *ks, mfr_error *err) {
    return solve_gram(c, Y, NULL, 0, 0, n_other, G, rows_all, k, lam, alpha, a0, nu, cg_steps, X,
                      threads, ks, err);
}

mfr_status mfr__ials_solve_share(const mfr__csr *c, float *Y, int32_t n_other, int32_t keep0,
                                 int32_t keep1, float *G, int32_t rows_all, int32_t k, float lam,
                                 float alpha, float a0, float nu, int cg_steps, float *X,
                                 int threads, const mfr__kernels *ks, mfr_error *err) {
    return solve_gram(c, Y, Y, keep0, keep1, n_other, G, rows_all, k, lam, alpha, a0, nu, cg_steps,
                      X, threads, ks, err);
}

/* One half-step of the part (part.h): a0·YᵀY from every rank's rows of Y
 * (y0..y1-1 here; summed over the ranks), the part's rows of X solved
 * against it, then shared. Distributed, Y is rotated in place
 * (mfr__ials_solve_share): its rows y0..y1-1 come back as they were, the
 * other ranks' rows are left rotated (the other side's half-step gathers
 * them again; ials_fit, after the items' half-step). One process: Y is
 * untouched (mfr__ials_solve_gram). */
static mfr_status ials_half(const mfr__part *pt, int by_item, const mfr__csr *c, float *Y,
                            int32_t n_other, int32_t y0, int32_t y1, int32_t rows_all,
                            const mfr_train_params *p, int32_t k, float *X, int threads,
                            const mfr__kernels *ks, mfr_error *err) {
    float *G = mfr__aligned_alloc(sizeof(float) * ((size_t)k * k + (size_t)k));
    if (!G) return mfr__nomem(err, "ials scratch");
    mfr_status st = mfr__ials_gram(Y + (size_t)y0 * k, y1 - y0, k, p->unobserved, G, threads, ks, err);
    if (!st) st = mfr__part_sum_f(pt, G, (int64_t)k * k, err);
    float *Xs = X + (size_t)(by_item ? pt->i0 : pt->u0) * k;
    if (!st && pt->d)
        st = mfr__ials_solve_share(c, Y, n_other, y0, y1, G, rows_all, k, p->reg, p->alpha,
                                   p->unobserved, p->reg_exp, p->cg_steps, Xs, threads, ks, err);
    else if (!st)
        st = mfr__ials_solve_gram(c, Y, n_other, G, rows_all, k, p->reg, p->alpha, p->unobserved,
                                  p->reg_exp, p->cg_steps, Xs, threads, ks, err);
    mfr__free(G);
    if (!st) st = mfr__part_share(pt, by_item, X, k, NULL, err);
    return st;
}

/* val[e] := w(r) = (r / rmax)^power in place (power 0: 1 for every rating). */
static void rating_weights(mfr__csr *c, float rmax, float power) {
    for (int64_t e = 0; e < c->nnz; e++) {
        float r = c->val[e];
        c->val[e] = power == 0.f ? 1.f : r > 0.f && rmax > 0.f ? powf(r / rmax, power) : 0.f;
    }
}

static mfr_status ials_attach(mfr_model *m, mfr_error *err);

static mfr_status ials_fit(mfr_model *m, const mfr__fit_ctx *ctx, mfr_error *err) {
    const mfr_train_params *p = ctx->p;
    mfr_status st = mfr__check_fit(m, ctx, "ials", err);
    if (st || (st = mfr__model_alloc_factors(m, p->factors, err))) return st;
    /* (the params check holds every setting in its range, none negative) */
    if (!(p->reg > 0 || p->unobserved > 0))
        return mfr__err(err, MFR_E_INVALID, "ials: need reg or unobserved > 0 (both are 0)");
    /* One process: every row; distributed, only the share's rows (its
     * users' and its items'), the baseline's passes exchanged as the
     * factors are (the same biases as one process). */
    mfr__part pt;
    mfr__part_init(&pt, ctx, m->n_users, m->n_items);
    mfr__csr bu, bi;
    st = pt.d ? mfr__part_csr(&pt, ctx->train, m->n_users, m->n_items, &bu, &bi, err)
              : mfr__csr_pair(ctx->train, m->n_users, m->n_items, &bu, &bi, err);
    if (st) return st;
    mfr__fit_drop_train(ctx); /* a rank's share: its rows are all the fit reads */
    /* The stars a list shows: the baseline μ + b_u + b_i (the ranking is
     * x_u·y_i, a preference score, not a rating). */
    float rb = p->reg_bias;
    mfr__baseline_settings bset = mfr__baseline_default(rb);
    st = mfr__part_baseline(&pt, &bu, &bi, m->mu, &bset, m->n_users, m->n_items, m->user_bias,
                            m->item_bias, err);
    float rmax = m->rmax;
    if (!st && !(rmax > 0.f)) {
        for (int64_t e = 0; e < bu.nnz; e++) rmax = bu.val[e] > rmax ? bu.val[e] : rmax;
        st = mfr__part_max_f(&pt, &rmax, err);
    }
    if (st) {
        mfr__csr_free(&bu);
        mfr__csr_free(&bi);
        return st;
    }
    rating_weights(&bu, rmax, p->rating_power);
    rating_weights(&bi, rmax, p->rating_power);
    mfr__fill_normal(m->P, (int64_t)m->n_users * m->k, p->init_std, p->seed, 1);
    mfr__fill_normal(m->Q, (int64_t)m->n_items * m->k, p->init_std, p->seed, 2);
    int32_t done = 0;
    st = mfr__part_resume(&pt, m, &done, err);
    double t0 = mfr__now();
    /* Distributed, the items' half-step leaves the other ranks' user rows
     * rotated (ials_half) until the next users' half-step gathers them:
     * where the whole is read (the end, a checkpoint, a stop) they are
     * gathered again first. */
    int stale = 0;
    for (int32_t ep = done + 1; ep <= p->epochs && !st; ep++) {
        st = ials_half(&pt, 0, &bu, m->Q, m->n_items, pt.i0, pt.i1, m->n_users, p, m->k, m->P,
                       ctx->threads, ctx->kern, err);
        if (!st)
            st = ials_half(&pt, 1, &bi, m->P, m->n_users, pt.u0, pt.u1, m->n_items, p, m->k,
                           m->Q, ctx->threads, ctx->kern, err);
        stale = pt.d != NULL;
        if (!st && mfr__part_whole_due(&pt, ep, p->epochs) &&
            !(st = mfr__part_share(&pt, 0, m->P, m->k, NULL, err)))
            stale = 0;
        if (!st) m->epochs_run = ep;
        if (!st) st = mfr__part_epoch(&pt, ctx, m, "ials", ep, NAN, NAN, t0, err);
    }
    if (st == MFR_E_CANCELLED && stale) { /* every rank stopped after the same epoch */
        mfr_status gs = mfr__part_share(&pt, 0, m->P, m->k, NULL, err);
        if (gs) st = gs;
    }
    mfr__csr_free(&bu);
    mfr__csr_free(&bi);
    if (!st || st == MFR_E_CANCELLED) {
        mfr_status ast = ials_attach(m, err);
        if (ast) st = ast;
    }
    return st;
}

/* ---- answers ------------------------------------------------------------- */

/* A user not in the model: the closed-form solve of the user half-step of
 * training (the system above, exact, against the fixed Y = Q and its
 * α0·QᵀQ prepared at load), then x·y_i. Trained users: p_u·q_i. */
static void ials_rank_user(const mfr_model *m, const mfr__who *w, const float *pred, float *rank) {
    (void)pred;
    const int32_t k = m->k;
    const float *G = m->algo_state;
    const float *x = w->u >= 0 ? m->P + (size_t)w->u * k : NULL;
    float *buf = NULL;
    if (!x && G) {
        size_t kk = (size_t)k * k;
        buf = mfr__malloc((kk + 2 * (size_t)k + 2 * (size_t)w->n + 1) * sizeof *buf);
        int32_t *idx = buf ? (int32_t *)(buf + kk + 2 * (size_t)k) : NULL;
        float *val = buf ? buf + kk + 2 * (size_t)k + w->n : NULL;
        const mfr_train_params *p = &m->params;
        if (buf) {
            int64_t n = 0;
            for (int32_t j = 0; j < w->n; j++) {
                float r = w->ratings ? w->ratings[j] : m->rmax;
                if (!(r > 0.f)) continue;
                idx[n] = w->items[j];
                val[n++] = p->rating_power == 0.f ? 1.f : powf(r / m->rmax, p->rating_power);
            }
            ials_row row = {.G = G, .Y = m->Q, .idx = idx, .val = val, .n = n, .k = k,
                            .alpha = p->alpha,
                            .lam = row_reg(p->reg, p->unobserved, p->reg_exp, n, m->n_items)};
            float *xv = buf + kk + k;
            if (ials_exact(&row, buf, buf + kk, xv) == 0) x = xv;
        }
    }
    if (x) mfr__dot_rows(m->Q, k, x, 0, m->n_items, rank);
    else for (int32_t i = 0; i < m->n_items; i++) rank[i] = (float)m->item_count[i]; /* no memory */
    mfr__free(buf);
}

/* α0·QᵀQ (full k x k) for the new-user solve, after a fit or a load. */
static mfr_status ials_attach(mfr_model *m, mfr_error *err) {
    if (m->k <= 0 || !m->Q) return MFR_OK;
    mfr__model_release_state(m);
    float *G = mfr__malloc((size_t)m->k * m->k * sizeof *G);
    if (!G) return mfr__nomem(err, "ials: item gramian");
    int before = mfr__blas_threads_set(1);
    cblas_ssyrk(CblasRowMajor, CblasLower, CblasTrans, m->k, m->n_items, m->params.unobserved, m->Q,
                m->k, 0.f, G, m->k);
    mfr__blas_threads_set(before);
    for (int32_t i = 0; i < m->k; i++)
        for (int32_t j = i + 1; j < m->k; j++) G[(size_t)i * m->k + j] = G[(size_t)j * m->k + i];
    m->algo_state = G;
    return MFR_OK;
}

const mfr__algo mfr__algo_ials = {
    .id = MFR_ALGO_IALS,
    .fit = ials_fit,
    .predict = mfr__predict_bias, /* the stars are the baseline's */
    .rank_user = ials_rank_user,
    .no_fold_in = 1,
    .rank_without_pred = 1,
    .attach = ials_attach,
    .release = mfr__model_release_state,
    .defaults = ials_defaults,
    .distributed = 1,
};
