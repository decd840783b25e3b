/* factor_util.c — Gaussian initialisation,
 * the fit preconditions, and the closed-form regularised baseline shared by
 * the factor families (see factor_util.h for the layouts). */
#include "factor_util.h"

#include <math.h>
#include <string.h>

void mfr__fill_normal(float *x, int64_t n, float std, uint64_t seed, uint64_t stream) {
    mfr__rng rng;
    mfr__rng_seed_stream(&rng, seed, stream);
    for (int64_t j = 0; j < n; j++) x[j] = (float)(std * mfr__rng_normal(&rng));
}

mfr_status mfr__check_fit(const mfr_model *m, const mfr__fit_ctx *ctx, const char *family,
                          mfr_error *err) {
    const mfr__csr *rows = ctx->dist ? ctx->dist->rows : NULL; /* a share read as rows */
    if ((!ctx->train || ctx->train->n <= 0) && !(rows && rows[0].nnz + rows[1].nnz > 0))
        return mfr__err(err, MFR_E_INVALID, "%s: no training ratings", family);
    if (m->n_users <= 0 || m->n_items <= 0)
        return mfr__err(err, MFR_E_INVALID, "%s: model has no users or items", family);
    return MFR_OK;
}

void mfr__baseline_pass(const mfr__csr *c, float mu, float reg, const float *other, float *b) {
    for (int32_t r = 0; r < c->rows; r++) {
        double s = 0.0;
        for (int64_t e = c->ptr[r]; e < c->ptr[r + 1]; e++)
            s += (double)c->val[e] - mu - other[c->idx[e]];
        b[r] = (float)(s / (reg + (double)(c->ptr[r + 1] - c->ptr[r])));
    }
}

void mfr__baseline_fit(const mfr__csr *by_user, const mfr__csr *by_item, float mu,
                       const mfr__baseline_settings *set, float *bu, float *bi) {
    memset(bu, 0, sizeof(float) * (size_t)by_user->rows);
    memset(bi, 0, sizeof(float) * (size_t)by_item->rows);
    for (int p = 0; p < set->passes; p++) {
        mfr__baseline_pass(by_item, mu, set->reg_item, bu, bi);
        mfr__baseline_pass(by_user, mu, set->reg_user, bi, bu);
    }
    mfr__baseline_finite(bu, by_user->rows);
    mfr__baseline_finite(bi, by_item->rows);
}

void mfr__baseline_finite(float *b, int32_t n) {
    for (int32_t r = 0; r < n; r++) /* 0/0 when λ = 0 and the row is empty */
        if (!isfinite(b[r])) b[r] = 0.f;
}

mfr_status mfr__best_init(mfr__best *b, const mfr_model *m, const mfr__fit_ctx *ctx,
                          mfr_error *err) {
    memset(b, 0, sizeof *b);
    b->rmse = INFINITY;
    if (!ctx->valid || ctx->valid->n <= 0 || ctx->p->early_stop <= 0) return MFR_OK;
    b->active = 1;
    b->patience = ctx->p->early_stop;
    b->P = mfr__aligned_alloc(sizeof(float) * (size_t)m->n_users * m->k);
    b->Q = mfr__aligned_alloc(sizeof(float) * (size_t)m->n_items * m->k);
    b->bu = mfr__aligned_alloc(sizeof(float) * (size_t)m->n_users);
    b->bi = mfr__aligned_alloc(sizeof(float) * (size_t)m->n_items);
    if (!b->P || !b->Q || !b->bu || !b->bi) {
        mfr__best_free(b);
        return mfr__nomem(err, "early-stopping snapshot");
    }
    return MFR_OK;
}

int mfr__best_update(mfr__best *b, const mfr_model *m, double valid_rmse, int32_t epoch) {
    if (!b->active) return 0;
    if (valid_rmse < b->rmse) {
        b->rmse = valid_rmse;
        b->epoch = epoch;
        memcpy(b->P, m->P, sizeof(float) * (size_t)m->n_users * m->k);
        memcpy(b->Q, m->Q, sizeof(float) * (size_t)m->n_items * m->k);
        memcpy(b->bu, m->user_bias, sizeof(float) * (size_t)m->n_users);
        memcpy(b->bi, m->item_bias, sizeof(float) * (size_t)m->n_items);
        return 0;
    }
    return epoch - b->epoch >= b->patience;
}

void mfr__best_restore(mfr__best *b, mfr_model *m) {
    if (!b->active || b->epoch == 0) return;
    memcpy(m->P, b->P, sizeof(float) * (size_t)m->n_users * m->k);
    memcpy(m->Q, b->Q, sizeof(float) * (size_t)m->n_items * m->k);
    memcpy(m->user_bias, b->bu, sizeof(float) * (size_t)m->n_users);
    memcpy(m->item_bias, b->bi, sizeof(float) * (size_t)m->n_items);
    m->valid_rmse = b->rmse;
    m->epochs_run = b->epoch;
    m->train_rmse = NAN; /* re-measured by the caller for the restored epoch */
}

void mfr__best_free(mfr__best *b) {
    mfr__free(b->P), mfr__free(b->Q), mfr__free(b->bu), mfr__free(b->bi);
    b->P = b->Q = b->bu = b->bi = NULL;
    b->active = 0;
}
