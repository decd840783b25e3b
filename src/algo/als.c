/* als.c — explicit alternating least squares with biases and weighted-λ
 * regularisation (Zhou, Wilkinson, Schreiber & Pan 2008, "Large-scale parallel
 * collaborative filtering for the Netflix Prize").
 *
 * Model: r̂_ui = μ + b_u + b_i + p_uᵀq_i. With the items fixed, each user's
 * unknowns w_u = [b_u, p_u] (k+1 floats) solve the normal equations
 *
 *     (Σ_{i∈I_u} x_i x_iᵀ + n_u·Λ) w_u = Σ_{i∈I_u} x_i (r_ui − μ − b_i),
 *     x_i = [1, q_i],  Λ = diag(λ_b, λ, …, λ),  n_u = |I_u|,
 *
 * and symmetrically for items with x_u = [1, p_u]. Each row is independent,
 * so rows are solved in parallel (OpenMP) and the result does not depend on
 * the thread count. The (k+1)² Gram matrix is accumulated on the lower
 * triangle — by rank-one updates for short rows, by cblas_ssyrk over gathered
 * blocks of 256 ratings for long ones — and solved by the library's one
 * Cholesky (mfr__chol: the owned kernel below 64 unknowns, LAPACK's spotrf
 * from there; bench/bench_chol.c).
 *
 * With a validation set and early_stop > 0 it keeps the best epoch.
 * Layout: P[u*k + f], Q[i*k + f] (model_impl.h); scratch per thread: the
 * (k+1)² system, a 256 x (k+1) gather block and its targets. */
#include "part.h"
#include "../linalg/linalg.h"

#include <cblas.h>
#include <omp.h>
#include <math.h>
#include <string.h>

#define ALS_BLOCK 256
#define ALS_SHORT 24 /* rows with fewer ratings use rank-one updates */

/* Accumulate the row's Gram matrix A (lower) and right-hand side b. */
static void als_gram(const mfr__csr *c, int32_t r, const float *Y, const float *yb,
                     float mu, int32_t k, float *A, float *b, float *G, float *t) {
    const int D = k + 1;
    int64_t lo = c->ptr[r], hi = c->ptr[r + 1];
    if (hi - lo < ALS_SHORT) {
        for (int64_t e = lo; e < hi; e++) {
            int32_t j = c->idx[e];
            G[0] = 1.f;
            memcpy(G + 1, Y + (size_t)j * k, sizeof(float) * (size_t)k);
            float res = c->val[e] - mu - yb[j];
            mfr__syr_lower(A, D, D, G, 1.f);
            for (int f = 0; f < D; f++) b[f] += res * G[f];
        }
        return;
    }
    for (int64_t e0 = lo; e0 < hi; e0 += ALS_BLOCK) {
        int n = (int)(hi - e0 < ALS_BLOCK ? hi - e0 : ALS_BLOCK);
        for (int q = 0; q < n; q++) {
            int32_t j = c->idx[e0 + q];
            float *g = G + (size_t)q * D;
            g[0] = 1.f;
            memcpy(g + 1, Y + (size_t)j * k, sizeof(float) * (size_t)k);
            t[q] = c->val[e0 + q] - mu - yb[j];
        }
        cblas_ssyrk(CblasRowMajor, CblasLower, CblasTrans, D, n, 1.f, G, D, 1.f, A, D);
        cblas_sgemv(CblasRowMajor, CblasTrans, n, D, 1.f, G, D, t, 1, 1.f, b, 1);
    }
}

/* Solve one row; A/b scratch are overwritten. Empty rows get zeros. */
static void als_row(const mfr__csr *c, int32_t r, const float *Y, const float *yb,
                    float mu, int32_t k, float lam, float lam_b, float *X, float *xb,
                    float *A, float *b, float *G, float *t) {
    const int D = k + 1;
    int64_t n = c->ptr[r + 1] - c->ptr[r];
    float *x = X + (size_t)r * k;
    if (n > 0) {
        memset(A, 0, sizeof(float) * (size_t)D * D);
        memset(b, 0, sizeof(float) * (size_t)D);
        als_gram(c, r, Y, yb, mu, k, A, b, G, t);
        A[0] += (float)n * lam_b;
        for (int f = 1; f < D; f++) A[(size_t)f * D + f] += (float)n * lam;
        if (!xb) { /* no bias: drop the first row/column by pinning b to 0 */
            for (int f = 1; f < D; f++) A[(size_t)f * D] = 0.f;
            A[0] = 1.f;
            b[0] = 0.f;
        }
    }
    if (n == 0 || mfr__chol(A, D, D) != 0) { /* empty, or λ = 0 and rank-deficient */
        memset(x, 0, sizeof(float) * (size_t)k);
        if (xb) xb[r] = 0.f;
        return;
    }
    mfr__chol_solve(A, D, D, b);
    if (xb) xb[r] = b[0];
    memcpy(x, b + 1, sizeof(float) * (size_t)k);
}

mfr_status mfr__als_solve_side(const mfr__csr *c, const float *Y, const float *yb, float mu,
                               int32_t k, float lam, float lam_b, float *X, float *xb,
                               int threads, mfr_error *err) {
    const int D = k + 1;
    size_t per = (size_t)D * D + D + (size_t)ALS_BLOCK * D + ALS_BLOCK;
    float *scratch = mfr__aligned_alloc(sizeof(float) * per * (size_t)threads);
    if (!scratch) return mfr__nomem(err, "als scratch");
    int old = mfr__blas_threads_set(1);
#pragma omp parallel num_threads(threads)
    {
        int tid = omp_get_thread_num();
        float *A = scratch + per * (size_t)tid, *b = A + (size_t)D * D, *G = b + D,
              *t = G + (size_t)ALS_BLOCK * D;
#pragma omp for schedule(dynamic, 16)
        for (int32_t r = 0; r < c->rows; r++)
            als_row(c, r, Y, yb, mu, k, lam, lam_b, X, xb, A, b, G, t);
    }
    mfr__blas_threads_set(old);
    mfr__free(scratch);
    return MFR_OK;
}

static void als_defaults(mfr_train_params *p) {
    p->factors = 32;
    p->epochs = 12;
    p->reg = 0.1f;
    p->reg_bias = 0.02f;
    p->init_std = 0.1f;
}

/* Each epoch solves the part's users against the items, shares them, then
 * its items against the users (part.h: all rows in one process, the rank's
 * share in a distributed run, with the same row solver). */
static mfr_status als_epochs(mfr_model *m, const mfr__fit_ctx *ctx, const mfr__part *pt,
                             const mfr__csr *bu, const mfr__csr *bi, mfr__best *best,
                             int32_t done, mfr_error *err) {
    const mfr_train_params *p = ctx->p;
    const int32_t k = m->k;
    double t0 = mfr__now();
    for (int32_t ep = done + 1; ep <= p->epochs; ep++) {
        mfr_status st = mfr__als_solve_side(bu, m->Q, m->item_bias, m->mu, k, p->reg,
                                            p->reg_bias, m->P + (size_t)pt->u0 * k,
                                            m->user_bias + pt->u0, ctx->threads, err);
        if (!st) st = mfr__part_share(pt, 0, m->P, k, m->user_bias, err);
        if (!st)
            st = mfr__als_solve_side(bi, m->P, m->user_bias, m->mu, k, p->reg, p->reg_bias,
                                     m->Q + (size_t)pt->i0 * k, m->item_bias + pt->i0,
                                     ctx->threads, err);
        if (!st) st = mfr__part_share(pt, 1, m->Q, k, m->item_bias, err);
        if (st) return st;
        m->epochs_run = ep;
        m->train_rmse = mfr__part_rmse(pt, m, ctx->train, bu);
        m->valid_rmse = mfr__rmse(m, ctx->valid);
        if ((st = mfr__part_epoch(pt, ctx, m, "als", ep, m->train_rmse, m->valid_rmse, t0, err)))
            return st;
        if (mfr__best_update(best, m, m->valid_rmse, ep)) break;
    }
    mfr__best_restore(best, m);
    return MFR_OK;
}

static mfr_status als_fit(mfr_model *m, const mfr__fit_ctx *ctx, mfr_error *err) {
    const mfr_train_params *p = ctx->p;
    mfr_status st = mfr__check_fit(m, ctx, "als", err);
    if (st) return st;
    if ((st = mfr__model_alloc_factors(m, p->factors, err))) return st;
    mfr__part pt;
    mfr__part_init(&pt, ctx, m->n_users, m->n_items);
    mfr__csr bu, bi;
    if ((st = mfr__part_csr(&pt, ctx->train, m->n_users, m->n_items, &bu, &bi, err))) return st;
    mfr__fit_drop_train(ctx); /* a rank's share: its rows are all the fit reads */
    /* Items start random, users are solved first, so P needs no init. */
    mfr__fill_normal(m->Q, (int64_t)m->n_items * m->k, p->init_std, p->seed, 2);
    int32_t done = 0;
    mfr__best best;
    st = mfr__part_resume(&pt, m, &done, err);
    if (!st && !(st = mfr__best_init(&best, m, ctx, err))) {
        st = als_epochs(m, ctx, &pt, &bu, &bi, &best, done, err);
        mfr__best_free(&best);
    }
    mfr__csr_free(&bu);
    mfr__csr_free(&bi);
    return st;
}

const mfr__algo mfr__algo_als = {
    .id = MFR_ALGO_ALS,
    .fit = als_fit,
    .defaults = als_defaults,
    .distributed = 1,
};
