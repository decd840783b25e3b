/* nmf.c — non-negative matrix factorisation on the observed entries by
 * Lee & Seung's multiplicative updates ("Algorithms for non-negative matrix
 * factorization", NIPS 2001), in the regularised, observed-entries-only form
 * of Luo et al. 2014 that Surprise's NMF uses:
 *
 *     r̂_ui = p_uᵀq_i,  p, q >= 0
 *     p_uf ← p_uf · Σ_{i∈I_u} q_if r_ui / (Σ_{i∈I_u} q_if r̂_ui + |I_u| λ p_uf + ε)
 *     q_if ← q_if · Σ_{u∈U_i} p_uf r_ui / (Σ_{u∈U_i} p_uf r̂_ui + |U_i| λ q_if + ε)
 *
 * Users are updated from the current items, then items from the new users
 * (one epoch). Ratings are positive, so every factor stays >= 0 when it
 * starts >= 0 (initialised uniform in [0, √12·init_std), see nmf_init).
 * Rows are independent: parallel with OpenMP, identical for any thread count.
 *
 * With a validation set and early_stop > 0 the best epoch is kept.
 *
 * No biases: the model keeps μ (training mean) only for unknown users or
 * items and predicts through vt->predict: p_uᵀq_i when both are known, else
 * μ. Layout: P[u*k + f], Q[i*k + f], all >= 0. */
#include "factor_util.h"
#include "../linalg/linalg.h"

#include <math.h>
#include <string.h>

#define NMF_EPS 1e-9f

static void nmf_defaults(mfr_train_params *p) {
    /* Tuned on one 80/20 split of ml-latest-small (docs/perf/factors.md). */
    p->factors = 15;
    p->epochs = 50;
    p->reg = 0.15f; /* test RMSE 0.913; Surprise's λ = 0.06 gives 0.934 here */
    p->init_std = 0.29f; /* uniform [0, 1): std 1/√12 */
}

static float nmf_predict(const mfr_model *m, int32_t u, int32_t i) {
    if (u < 0 || u >= m->n_users || i < 0 || i >= m->n_items || !m->P) return m->mu;
    return mfr__dot(m->P + (size_t)u * m->k, m->Q + (size_t)i * m->k, m->k);
}

/* Multiplicative update of every row of c (this side X) against Y. */
static void nmf_side(const mfr__csr *c, const float *Y, int32_t k, float lam, float *X,
                     int threads) {
#pragma omp parallel num_threads(threads)
    {
        float num[4096], den[4096];
#pragma omp for schedule(dynamic, 64)
        for (int32_t r = 0; r < c->rows; r++) {
            int64_t n = c->ptr[r + 1] - c->ptr[r];
            if (n == 0) continue;
            float *x = X + (size_t)r * k;
            memset(num, 0, sizeof(float) * (size_t)k);
            memset(den, 0, sizeof(float) * (size_t)k);
            for (int64_t e = c->ptr[r]; e < c->ptr[r + 1]; e++) {
                const float *y = Y + (size_t)c->idx[e] * k;
                float est = mfr__dot(x, y, k), v = c->val[e];
                for (int32_t f = 0; f < k; f++) num[f] += y[f] * v, den[f] += y[f] * est;
            }
            for (int32_t f = 0; f < k; f++) x[f] *= num[f] / (den[f] + (float)n * lam * x[f] + NMF_EPS);
        }
    }
}

/* Uniform [0, √12·std) so the factors start with the requested spread, >= 0. */
static void nmf_init(float *X, int64_t n, float std, uint64_t seed, uint64_t stream) {
    mfr__rng rng;
    mfr__rng_seed_stream(&rng, seed, stream);
    for (int64_t j = 0; j < n; j++) X[j] = (float)(mfr__rng_uniform(&rng) * std * sqrt(12.0));
}

static mfr_status nmf_fit(mfr_model *m, const mfr__fit_ctx *ctx, mfr_error *err) {
    const mfr_train_params *p = ctx->p;
    mfr_status st = mfr__check_fit(m, ctx, "nmf", err);
    if (st || (st = mfr__model_alloc_factors(m, p->factors, err))) return st;
    for (int64_t j = 0; j < ctx->train->n; j++)
        if (ctx->train->rating[j] < 0)
            return mfr__err(err, MFR_E_INVALID, "nmf: training rating %lld is negative (%g)",
                            (long long)j, (double)ctx->train->rating[j]);
    mfr__csr bu, bi;
    if ((st = mfr__csr_pair(ctx->train, m->n_users, m->n_items, &bu, &bi, err))) return st;
    nmf_init(m->P, (int64_t)m->n_users * m->k, p->init_std, p->seed, 1);
    nmf_init(m->Q, (int64_t)m->n_items * m->k, p->init_std, p->seed, 2);
    /* An epoch is ~4·N·k flops: below ~16M (ml-latest-small at k = 15 is 5M)
     * the fork/join of two parallel regions per epoch costs more than it
     * saves (measured: 2 threads used 3x the CPU of 1 on a loaded box). The
     * result does not depend on the thread count. */
    int threads = 4.0 * (double)ctx->train->n * m->k < 16e6 ? 1 : ctx->threads;
    double t0 = mfr__now();
    mfr__best best;
    st = mfr__best_init(&best, m, ctx, err);
    for (int32_t ep = 1; ep <= p->epochs && !st; ep++) {
        nmf_side(&bu, m->Q, m->k, p->reg, m->P, threads);
        nmf_side(&bi, m->P, m->k, p->reg, m->Q, threads);
        m->epochs_run = ep;
        m->valid_rmse = mfr__rmse(m, ctx->valid);
        st = mfr__report_epoch(ctx, "nmf", ep, p->epochs, NAN, m->valid_rmse, t0, err);
        if (!st && mfr__best_update(&best, m, m->valid_rmse, ep)) break;
    }
    if (!st) mfr__best_restore(&best, m);
    mfr__best_free(&best);
    mfr__csr_free(&bu);
    mfr__csr_free(&bi);
    return st;
}

const mfr__algo mfr__algo_nmf = {
    .id = MFR_ALGO_NMF,
    .fit = nmf_fit,
    .predict = nmf_predict,
    .defaults = nmf_defaults,
};
