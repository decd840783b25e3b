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
    if (!G || !scratch) {
        mfr_free(G), mfr_free(scratch);
        return mfr__nomem(err, "ials scratch");
    }
    gram(Y, n_other, k, lam, G);
#pragma omp parallel num_threads(threads)
    {
        float *cg = scratch + per * (size_t)omp_get_thread_num();
#pragma omp for schedule(dynamic, 64)
        for (int32_t r = 0; r < c->rows; r++) {
            ials_row row = {G, Y, c->idx + c->ptr[r], c->val + c->ptr[r], c->ptr[r + 1] - c->ptr[r], k, alpha};
            float *x = X + (size_t)r * k;
            ials_residual(&row, x, cg);
            mfr__cg_residual(ials_matvec, &row, x, k, cg_steps, 1e-12f, cg);
        }
    }
    mfr_free(G), mfr_free(scratch);
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
