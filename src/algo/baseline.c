/* baseline.c — the baseline predictor r̂_ui = μ + b_u + b_i (no factors, k = 0).
 *
 * Two fits, chosen by the scale of the bias regularisation, which differs by
 * orders of magnitude between them:
 *   - reg_bias >= 1 (default 15): alternating closed-form updates (Koren,
 *     "Factor in the neighbors", TKDD 2010, §2.1; Surprise BaselineOnly 'als'):
 *       b_i = Σ_{u∈R(i)} (r_ui − μ − b_u) / (reg_i + |R(i)|)
 *       b_u = Σ_{i∈R(u)} (r_ui − μ − b_i) / (reg_u + |R(u)|)
 *     with reg_u = reg_bias and reg_i = ⅔·reg_bias (Surprise's 15 and 10),
 *     `epochs` rounds (default 10) starting from zero.
 *   - reg_bias < 1: SGD over the ratings in a seeded shuffled order,
 *       e = r_ui − (μ + b_u + b_i);  b_u += lr (e − reg_bias b_u);
 *       b_i += lr (e − reg_bias b_i),
 *     lr multiplied by lr_decay after each epoch (Surprise 'sgd': lr 0.005,
 *     reg 0.02, 20 epochs).
 * Layout: the biases live in the model's user_bias[n_users] / item_bias[n_items];
 * prediction is the default biased-MF formula with k = 0. The pieces the
 * other families without factors share (baseline.h) follow the family. */
#include "baseline.h"

#include <math.h>
#include <string.h>

static void baseline_defaults(mfr_train_params *p) {
    p->factors = 0;
    p->epochs = 10;
    p->reg_bias = 15.0f;
    p->lr = 0.005f;
}

/* Seeded Fisher-Yates permutation of 0..n-1. */
static int64_t *shuffled(int64_t n, uint64_t seed) {
    int64_t *o = mfr__malloc(sizeof *o * (size_t)(n ? n : 1));
    if (!o) return NULL;
    for (int64_t j = 0; j < n; j++) o[j] = j;
    mfr__rng rng;
    mfr__rng_seed_stream(&rng, seed, 0xba5e);
    mfr__shuffle_i64(&rng, o, n);
    return o;
}

static mfr_status fit_sgd(mfr_model *m, const mfr__fit_ctx *ctx, mfr_error *err) {
    const mfr_ratings *r = ctx->train;
    int64_t *order = shuffled(r->n, ctx->p->seed);
    if (!order) return mfr__nomem(err, "baseline SGD order");
    float lr = ctx->p->lr, reg = ctx->p->reg_bias;
    float *bu = m->user_bias, *bi = m->item_bias;
    double t0 = mfr__now();
    mfr_status st = MFR_OK;
    for (int32_t e = 0; e < ctx->p->epochs; e++) {
        double se = 0.0;
        for (int64_t j = 0; j < r->n; j++) {
            int64_t x = order[j];
            int32_t u = r->user[x], i = r->item[x];
            float d = r->rating[x] - (m->mu + bu[u] + bi[i]);
            se += (double)d * d;
            bu[u] += lr * (d - reg * bu[u]);
            bi[i] += lr * (d - reg * bi[i]);
        }
        lr *= ctx->p->lr_decay;
        m->epochs_run = e + 1;
        if ((st = mfr__report_epoch(ctx, "baseline", e + 1, ctx->p->epochs,
                                    sqrt(se / (r->n ? r->n : 1)), NAN, t0, err)))
            break;
    }
    mfr__free(order);
    return st;
}

static mfr_status fit_als(mfr_model *m, const mfr__fit_ctx *ctx, mfr_error *err) {
    mfr__csr bu, bi;
    mfr_status st = mfr__csr_build(ctx->train, 0, &bu, err);
    if (st) return st;
    if ((st = mfr__csr_build(ctx->train, 1, &bi, err))) {
        mfr__csr_free(&bu);
        return st;
    }
    mfr__baseline_settings set = mfr__baseline_default(ctx->p->reg_bias);
    set.passes = ctx->p->epochs;
    mfr__baseline_fit(&bu, &bi, m->mu, &set, m->user_bias, m->item_bias);
    m->epochs_run = ctx->p->epochs;
    mfr__csr_free(&bu);
    mfr__csr_free(&bi);
    return MFR_OK;
}

static mfr_status baseline_fit(mfr_model *m, const mfr__fit_ctx *ctx, mfr_error *err) {
    mfr_status st = mfr__model_alloc_factors(m, 0, err);
    if (st) return st;
    return ctx->p->reg_bias >= 1.0f ? fit_als(m, ctx, err) : fit_sgd(m, ctx, err);
}

const mfr__algo mfr__algo_baseline = {
    .id = MFR_ALGO_BASELINE,
    .fit = baseline_fit,
    .defaults = baseline_defaults,
};

/* ---- shared with knn, content, hybrid (baseline.h) ---------------------- */

float mfr__who_rating(const mfr_model *m, const mfr__who *w, int32_t j) {
    int32_t i = w->items[j];
    if (i < 0 || i >= m->n_items) return NAN;
    return w->ratings ? w->ratings[j] : m->rmax;
}

float mfr__who_bias(const mfr_model *m, const mfr__who *w, const float *bi, float reg_u) {
    double s = 0.0;
    int32_t n = 0;
    for (int32_t j = 0; j < w->n; j++) {
        float r = mfr__who_rating(m, w, j);
        if (isnan(r)) continue;
        s += (double)r - m->mu - (bi ? bi[w->items[j]] : 0.f);
        n++;
    }
    return n ? (float)(s / (reg_u + n)) : 0.f;
}
