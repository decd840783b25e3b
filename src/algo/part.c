/* part.c — a factor fit's share of rows (part.h). */
#include "part.h"

#include <math.h>
#include <string.h>

void mfr__part_init(mfr__part *pt, const mfr__fit_ctx *ctx, int32_t n_users, int32_t n_items) {
    const mfr__dist *d = ctx->dist;
    pt->d = d;
    pt->u0 = d ? d->user_lo[d->rank] : 0;
    pt->u1 = d ? d->user_lo[d->rank + 1] : n_users;
    pt->i0 = d ? d->item_lo[d->rank] : 0;
    pt->i1 = d ? d->item_lo[d->rank + 1] : n_items;
}

mfr_status mfr__part_csr(const mfr__part *pt, const mfr_ratings *r, int32_t n_users,
                         int32_t n_items, mfr__csr *bu, mfr__csr *bi, mfr_error *err) {
    if (pt->d && pt->d->rows) { /* read straight from the file: taken, not copied */
        *bu = pt->d->rows[0], *bi = pt->d->rows[1];
        memset(pt->d->rows, 0, 2 * sizeof *pt->d->rows);
        return MFR_OK;
    }
    mfr_status st = mfr__csr_rows_range(r, n_users, n_items, 0, pt->u0, pt->u1, bu, err);
    if (!st && (st = mfr__csr_rows_range(r, n_users, n_items, 1, pt->i0, pt->i1, bi, err)))
        mfr__csr_free(bu);
    return st;
}

mfr_status mfr__part_share(const mfr__part *pt, int by_item, float *X, int32_t k, float *xb,
                           mfr_error *err) {
    const mfr__dist *d = pt->d;
    if (!d) return MFR_OK;
    const int32_t *lo = by_item ? d->item_lo : d->user_lo;
    mfr_status st = d->gather_rows(d, X, k, lo, err);
    if (!st && xb) st = d->gather_rows(d, xb, 1, lo, err);
    return st;
}

mfr_status mfr__part_sum_f(const mfr__part *pt, float *x, int64_t n, mfr_error *err) {
    return pt->d ? pt->d->sum_f(pt->d, x, n, err) : MFR_OK;
}

mfr_status mfr__part_sum_d(const mfr__part *pt, double *x, int64_t n, mfr_error *err) {
    return pt->d ? pt->d->sum_d(pt->d, x, n, err) : MFR_OK;
}

int32_t mfr__part_strata(const mfr__part *pt) { return pt->d ? pt->d->size : 1; }

void mfr__part_stratum(const mfr__part *pt, int32_t s, int32_t *i0, int32_t *i1) {
    const mfr__dist *d = pt->d;
    if (!d) {
        *i0 = pt->i0, *i1 = pt->i1;
        return;
    }
    int b = (d->rank + s) % d->size;
    *i0 = d->item_lo[b], *i1 = d->item_lo[b + 1];
}

mfr_status mfr__part_shift(const mfr__part *pt, int32_t s, float *X, int32_t k, float *xb,
                           mfr_error *err) {
    const mfr__dist *d = pt->d;
    if (!d || d->size <= 1) return MFR_OK;
    int send = (d->rank + s) % d->size, recv = (d->rank + s + 1) % d->size;
    mfr_status st = d->shift_rows(d, X, k, d->item_lo, send, recv, err);
    if (!st && xb) st = d->shift_rows(d, xb, 1, d->item_lo, send, recv, err);
    return st;
}

double mfr__part_rmse(const mfr__part *pt, const mfr_model *m, const mfr_ratings *train,
                      const mfr__csr *bu) {
    if (!pt->d) return mfr__rmse(m, train);
    double s[2] = {0.0, (double)bu->nnz};
    for (int32_t r = 0; r < bu->rows; r++)
        for (int64_t e = bu->ptr[r]; e < bu->ptr[r + 1]; e++) {
            double x = (double)mfr_model_predict(m, pt->u0 + r, bu->idx[e]) - bu->val[e];
            s[0] += x * x;
        }
    mfr_error ignored = {0};
    if (pt->d->sum_d(pt->d, s, 2, &ignored)) return NAN;
    return s[1] > 0 ? sqrt(s[0] / s[1]) : NAN;
}

mfr_status mfr__part_epoch(const mfr__part *pt, const mfr__fit_ctx *ctx, mfr_model *m,
                           const char *family, int32_t epoch, double train_rmse,
                           double valid_rmse, double t0, mfr_error *err) {
    const mfr__dist *d = pt->d;
    double stop = mfr__report_epoch(ctx, family, epoch, ctx->p->epochs, train_rmse, valid_rmse, t0,
                                    err) != MFR_OK;
    if (d) { /* rank 0 alone sees Ctrl-C: every rank stops after the same epoch */
        mfr_status st = d->sum_d(d, &stop, 1, err);
        if (st) return st;
    }
    if (stop > 0) return mfr__cancelled(err, family, epoch);
    return d && d->epoch_done ? d->epoch_done(d, m, epoch, err) : MFR_OK;
}

int mfr__part_whole_due(const mfr__part *pt, int32_t epoch, int32_t epochs) {
    const mfr__dist *d = pt->d;
    return d && (epoch == epochs || (d->checkpoint_due && d->checkpoint_due(d, epoch)));
}

mfr_status mfr__part_resume(const mfr__part *pt, mfr_model *m, int32_t *done, mfr_error *err) {
    *done = 0;
    return pt->d && pt->d->resume ? pt->d->resume(pt->d, m, done, err) : MFR_OK;
}

mfr_status mfr__part_baseline(const mfr__part *pt, const mfr__csr *bu, const mfr__csr *bi,
                              float mu, const mfr__baseline_settings *set, int32_t n_users,
                              int32_t n_items, float *ub, float *ib, mfr_error *err) {
    if (!pt->d) {
        mfr__baseline_fit(bu, bi, mu, set, ub, ib);
        return MFR_OK;
    }
    memset(ub, 0, sizeof(float) * (size_t)n_users);
    memset(ib, 0, sizeof(float) * (size_t)n_items);
    mfr_status st = MFR_OK;
    for (int p = 0; p < set->passes && !st; p++) {
        mfr__baseline_pass(bi, mu, set->reg_item, ub, ib + pt->i0);
        st = pt->d->gather_rows(pt->d, ib, 1, pt->d->item_lo, err);
        if (!st) mfr__baseline_pass(bu, mu, set->reg_user, ib, ub + pt->u0);
        if (!st) st = pt->d->gather_rows(pt->d, ub, 1, pt->d->user_lo, err);
    }
    mfr__baseline_finite(ub, n_users);
    mfr__baseline_finite(ib, n_items);
    return st;
}

mfr_status mfr__part_max_f(const mfr__part *pt, float *x, mfr_error *err) {
    if (!pt->d || pt->d->size <= 1) return MFR_OK;
    float *all = mfr__calloc((size_t)pt->d->size, sizeof *all);
    if (!all) return mfr__nomem(err, "maximum over the ranks");
    all[pt->d->rank] = *x; /* each rank its own slot: the sum is every rank's value */
    mfr_status st = pt->d->sum_f(pt->d, all, pt->d->size, err);
    for (int q = 0; !st && q < pt->d->size; q++)
        if (all[q] > *x) *x = all[q];
    mfr__free(all);
    return st;
}
