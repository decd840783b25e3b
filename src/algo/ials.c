/* ials.c — implicit-feedback ALS (Hu, Koren & Volinsky 2008, "Collaborative
 * filtering for implicit feedback datasets") solved by a few conjugate-
 * gradient steps per row (Takács, Pilászy & Tikk 2011, "Applications of the
 * conjugate gradient method for implicit feedback collaborative filtering").
 *
 * Every (u, i) has preference p_ui = 1 if u rated i in training, else 0, and
 * confidence c_ui = 1 + α·r_ui on the observed entries, 1 elsewhere. With the
 * items fixed, user u's vector solves
 *
 *     (YᵀY + λI + Σ_{i∈I_u} (c_ui − 1) y_i y_iᵀ) x_u = Σ_{i∈I_u} c_ui y_i,
 *
 * where YᵀY (k x k) is computed once per half-iteration (cblas_ssyrk), so a
 * matrix-vector product costs O(k² + |I_u|·k) and never touches the
 * unobserved entries. cg_steps CG iterations start from the previous x_u
 * (warm start), as in Takács et al.; rows are independent, solved in parallel
 * with OpenMP, identical for any thread count. Items likewise.
 *
 * The model predicts preference scores x_uᵀy_i (μ = 0, zero biases), not
 * ratings: rating metrics are not meaningful for it; recommend() ranks by
 * the score. Layout: P[u*k + f], Q[i*k + f]. */
#include "factor_util.h"
#include "../linalg/linalg.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <string.h>

static void ials_defaults(mfr_train_params *p) {
    p->factors = 64;
    p->epochs = 15;
    p->reg = 0.1f;
    p->alpha = 1.0f; /* best P@10 of 1, 2, 5, 10, 40 on ml-latest-small (docs/perf/factors.md) */
    p->cg_steps = 3;
    p->init_std = 0.01f;
}

typedef struct ials_row {
    const float *G;       /* YᵀY + λI, k x k full */
    const float *Y;
    const int32_t *idx;
    const float *val;     /* ratings */
    int64_t n;
    int32_t k;
    float alpha;
    float *gath;          /* n x k copy of the y_i (AVX2 path, rows n <= IALS_GATHER) or NULL */
} ials_row;

/* out = (YᵀY + λI)x + Σ α r_i (y_i·x) y_i */
MFR_HOT static void ials_matvec(const void *vctx, const float *x, float *out) {
    const ials_row *c = vctx;
    const int32_t k = c->k;
    for (int32_t i = 0; i < k; i++) {
        const float *g = c->G + (size_t)i * k;
        float s = 0.f;
#pragma omp simd reduction(+ : s)
        for (int32_t f = 0; f < k; f++) s += g[f] * x[f];
        out[i] = s;
    }
    for (int64_t e = 0; e < c->n; e++) {
        const float *y = c->Y + (size_t)c->idx[e] * k;
        float d = 0.f;
#pragma omp simd reduction(+ : d)
        for (int32_t f = 0; f < k; f++) d += y[f] * x[f];
        float w = c->alpha * c->val[e] * d;
#pragma omp simd
        for (int32_t f = 0; f < k; f++) out[f] += w * y[f];
    }
}

/* The CG start residual r = b − A·x in one pass over the row:
 * b − A·x = −(YᵀY + λI)·x + Σ_i y_i (c_ui − (c_ui − 1)(y_i·x)). */
MFR_HOT static void ials_residual(const ials_row *row, const float *x, float *r) {
    const int32_t k = row->k;
    for (int32_t i = 0; i < k; i++) {
        const float *g = row->G + (size_t)i * k;
        float s = 0.f;
#pragma omp simd reduction(+ : s)
        for (int32_t f = 0; f < k; f++) s += g[f] * x[f];
        r[i] = -s;
    }
    for (int64_t e = 0; e < row->n; e++) {
        const float *y = row->Y + (size_t)row->idx[e] * k;
        float d = 0.f;
#pragma omp simd reduction(+ : d)
        for (int32_t f = 0; f < k; f++) d += y[f] * x[f];
        float cm1 = row->alpha * row->val[e], w = 1.f + cm1 - cm1 * d;
#pragma omp simd
        for (int32_t f = 0; f < k; f++) r[f] += w * y[f];
    }
}

/* ---- AVX2 + FMA kernels for k % 8 == 0 --------------------------------
 * The same two products as ials_matvec / ials_residual above (the scalar
 * reference), in one pass per CG step over the row's rated items: for each
 * y_i the dot y_i·x is taken and y_i (still in L1) is added to out at once,
 * while the rows PF items ahead are prefetched (the y_i are scattered rows of
 * the other side's factors, so each pass is bound by their latency). G·x uses
 * the symmetry of G: out = Σ_f x_f G[f,:] (rows = columns), axpys of whole
 * rows with independent accumulators instead of k horizontal sums. Sums are
 * taken in a different order than the reference, so results differ from it
 * by rounding only (tests/unit/test_algo_ials.c compares the two); they
 * depend only on the row's inputs, so any thread count gives the same
 * model. */
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define IALS_HAVE_AVX2 1
#define IALS_AVX2 __attribute__((target("avx2,fma")))
/* IALS_PF: prefetch distance in items; IALS_GATHER: rows with at most this
 * many items are copied contiguously in the first pass (1 MiB at k = 64, the
 * L2 size), so the cg_steps later passes stream instead of gathering. */
enum { IALS_PF = 6, IALS_GATHER = 4096 };

IALS_AVX2 static inline float ials_hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* out = sign · G·x for symmetric G (k x k, full). */
IALS_AVX2 static void ials_gx_avx2(const float *G, const float *x, float *out, int32_t k, float sign) {
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
        _mm256_storeu_ps(out + j, _mm256_mul_ps(sg, a0));
        _mm256_storeu_ps(out + j + 8, _mm256_mul_ps(sg, a1));
        _mm256_storeu_ps(out + j + 16, _mm256_mul_ps(sg, a2));
        _mm256_storeu_ps(out + j + 24, _mm256_mul_ps(sg, a3));
    }
    for (; j < k; j += 8) {
        __m256 a0 = _mm256_setzero_ps();
        for (int32_t f = 0; f < k; f++)
            a0 = _mm256_fmadd_ps(_mm256_set1_ps(x[f]), _mm256_loadu_ps(G + (size_t)f * k + j), a0);
        _mm256_storeu_ps(out + j, _mm256_mul_ps(_mm256_set1_ps(sign), a0));
    }
}

/* out (holding ±G·x) += Σ_i w_i y_i with w_i = α r_i (y_i·x) (matvec) or
 * w_i = 1 + α r_i − α r_i (y_i·x) (residual). */
IALS_AVX2 static inline __attribute__((always_inline)) void
ials_items_avx2_k(const ials_row *c, const float *x, float *out, int resid, const int32_t k) {
    const int32_t *idx = c->idx;
    const int64_t n = c->n;
    float *gath = resid ? c->gath : NULL;            /* first pass: copy the rows here */
    const int contig = !resid && c->gath;            /* later passes: read the copy */
    for (int64_t e = 0; e < n; e++) {
        const float *y;
        if (contig) {
            y = c->gath + (size_t)e * k;
        } else {
            if (e + IALS_PF < n) {
                const char *q = (const char *)(c->Y + (size_t)idx[e + IALS_PF] * k);
                for (int32_t b = 0; b < k * 4; b += 64) __builtin_prefetch(q + b, 0, 3);
            }
            y = c->Y + (size_t)idx[e] * k;
        }
        __m256 d0 = _mm256_setzero_ps(), d1 = d0;
        int32_t f = 0;
        for (; f + 16 <= k; f += 16) {
            d0 = _mm256_fmadd_ps(_mm256_loadu_ps(y + f), _mm256_loadu_ps(x + f), d0);
            d1 = _mm256_fmadd_ps(_mm256_loadu_ps(y + f + 8), _mm256_loadu_ps(x + f + 8), d1);
        }
        if (f < k) d0 = _mm256_fmadd_ps(_mm256_loadu_ps(y + f), _mm256_loadu_ps(x + f), d0);
        float d = ials_hsum8(_mm256_add_ps(d0, d1));
        float cm1 = c->alpha * c->val[e];
        __m256 w = _mm256_set1_ps(resid ? 1.f + cm1 - cm1 * d : cm1 * d);
        if (gath) {
            float *g = gath + (size_t)e * k;
            for (f = 0; f < k; f += 8) {
                __m256 yv = _mm256_loadu_ps(y + f);
                _mm256_storeu_ps(g + f, yv);
                _mm256_storeu_ps(out + f, _mm256_fmadd_ps(w, yv, _mm256_loadu_ps(out + f)));
            }
        } else {
            for (f = 0; f < k; f += 8)
                _mm256_storeu_ps(out + f, _mm256_fmadd_ps(w, _mm256_loadu_ps(y + f), _mm256_loadu_ps(out + f)));
        }
    }
}

/* k = 64 (the default) gets a copy with the loops over f fully unrolled. */
IALS_AVX2 static void ials_items_avx2(const ials_row *c, const float *x, float *out, int resid) {
    if (c->k == 64) ials_items_avx2_k(c, x, out, resid, 64);
    else ials_items_avx2_k(c, x, out, resid, c->k);
}

IALS_AVX2 static void ials_matvec_avx2(const void *vctx, const float *x, float *out) {
    const ials_row *c = vctx;
    ials_gx_avx2(c->G, x, out, c->k, 1.f);
    ials_items_avx2(c, x, out, 0);
}

IALS_AVX2 static void ials_residual_avx2(const ials_row *c, const float *x, float *r) {
    ials_gx_avx2(c->G, x, r, c->k, -1.f);
    ials_items_avx2(c, x, r, 1);
}
#endif

/* Which kernels mfr__ials_solve_side uses: < 0 the fastest this CPU and k
 * allow, 0 the scalar reference. Not API: tests set it to compare the two. */
int mfr__ials_kernel = -1;

static int ials_use_avx2(int32_t k) {
#ifdef IALS_HAVE_AVX2
    return mfr__ials_kernel != 0 && k % 8 == 0 && __builtin_cpu_supports("avx2") &&
           __builtin_cpu_supports("fma");
#else
    (void)k;
    return 0;
#endif
}

/* G = YᵀY + λI for the n x k matrix Y. */
static void gram(const float *Y, int32_t n, int32_t k, float lam, float *G) {
    cblas_ssyrk(CblasRowMajor, CblasLower, CblasTrans, k, n, 1.f, Y, k, 0.f, G, k);
    mfr__sym_fill_upper(G, k, k);
    for (int32_t f = 0; f < k; f++) G[(size_t)f * k + f] += lam;
}

mfr_status mfr__ials_solve_side(const mfr__rmat *c, const float *Y, int32_t n_other, int32_t k,
                                float lam, float alpha, int cg_steps, float *X, int threads,
                                mfr_error *err) {
    float *G = mfr_aligned_alloc(sizeof(float) * (size_t)k * k);
    size_t per = 4 * (size_t)k + 16;
    float *scratch = mfr_aligned_alloc(sizeof(float) * per * (size_t)threads);
    const int simd = ials_use_avx2(k);
    int64_t glen = 0; /* longest row that is copied */
    for (int32_t r = 0; simd && r < c->rows; r++) {
        int64_t n = c->ptr[r + 1] - c->ptr[r];
        if (n <= IALS_GATHER && n > glen) glen = n;
    }
    size_t gper = (size_t)glen * (size_t)k + 16;
    float *gbuf = simd ? mfr_aligned_alloc(sizeof(float) * gper * (size_t)threads) : NULL;
    if (!G || !scratch || (simd && !gbuf)) {
        mfr_free(G), mfr_free(scratch), mfr_free(gbuf);
        return mfr__nomem(err, "ials scratch");
    }
    gram(Y, n_other, k, lam, G);
#pragma omp parallel num_threads(threads)
    {
        float *cg = scratch + per * (size_t)omp_get_thread_num();
        float *gath = gbuf ? gbuf + gper * (size_t)omp_get_thread_num() : NULL;
#pragma omp for schedule(dynamic, 64)
        for (int32_t r = 0; r < c->rows; r++) {
            ials_row row = {G, Y, c->idx + c->ptr[r], c->val + c->ptr[r], c->ptr[r + 1] - c->ptr[r], k, alpha, NULL};
            float *x = X + (size_t)r * k;
#ifdef IALS_HAVE_AVX2
            if (simd) {
                row.gath = row.n <= IALS_GATHER ? gath : NULL;
                ials_residual_avx2(&row, x, cg);
                mfr__cg_residual(ials_matvec_avx2, &row, x, k, cg_steps, 1e-12f, cg);
                continue;
            }
#endif
            ials_residual(&row, x, cg);
            mfr__cg_residual(ials_matvec, &row, x, k, cg_steps, 1e-12f, cg);
        }
    }
    mfr_free(G), mfr_free(scratch), mfr_free(gbuf);
    return MFR_OK;
}

static mfr_status ials_fit(mfr_model *m, const mfr__fit_ctx *ctx, mfr_error *err) {
    const mfr_train_params *p = ctx->p;
    mfr_status st = mfr__check_fit(m, ctx, p->factors, "ials", err);
    if (st || (st = mfr__model_alloc_factors(m, p->factors, err))) return st;
    if (!(p->alpha >= 0) || p->cg_steps < 1)
        return mfr__err(err, MFR_E_INVALID, "ials: need alpha >= 0 and cg_steps >= 1 (got %g, %d)",
                        (double)p->alpha, p->cg_steps);
    mfr__rmat bu, bi;
    if ((st = mfr__rmat_build(ctx->train, m->n_users, m->n_items, 0, &bu, err))) return st;
    if ((st = mfr__rmat_build(ctx->train, m->n_users, m->n_items, 1, &bi, err))) {
        mfr__rmat_free(&bu);
        return st;
    }
    m->mu = 0.f; /* scores, not ratings: biases stay zero */
    mfr__fill_normal(m->P, (int64_t)m->n_users * m->k, p->init_std, p->seed, 1);
    mfr__fill_normal(m->Q, (int64_t)m->n_items * m->k, p->init_std, p->seed, 2);
    double t0 = mfr_now();
    for (int32_t ep = 1; ep <= p->epochs && !st; ep++) {
        st = mfr__ials_solve_side(&bu, m->Q, m->n_items, m->k, p->reg, p->alpha, p->cg_steps,
                                  m->P, ctx->threads, err);
        if (!st)
            st = mfr__ials_solve_side(&bi, m->P, m->n_users, m->k, p->reg, p->alpha, p->cg_steps,
                                      m->Q, ctx->threads, err);
        m->epochs_run = ep;
        if (!st && mfr__report_epoch(ctx, ep, p->epochs, NAN, NAN, t0))
            st = mfr__cancelled(err, "ials", ep);
    }
    mfr__rmat_free(&bu);
    mfr__rmat_free(&bi);
    return st;
}

const mfr__algo mfr__algo_ials = {
    .id = MFR_ALGO_IALS,
    .name = "ials",
    .fit = ials_fit,
    .defaults = ials_defaults,
};
