/* knn_common.c — helpers shared by the baseline, neighbourhood, content and
 * hybrid families: CSR views of a ratings subset and the closed-form
 * alternating baseline fit. Layouts in knn_common.h. */
#include "knn_common.h"

#include <string.h>

void mfr__csr_free(mfr__csr *c) {
    if (!c) return;
    mfr_free(c->ptr), mfr_free(c->col), mfr_free(c->val);
    memset(c, 0, sizeof *c);
}

/* Counting sort by row; ratings keep their input order within a row, then
 * each row is sorted by column (insertion sort: rows are short, and the
 * dataset order is usually sorted already). */
mfr_status mfr__csr_build(const mfr_ratings *r, int by_item, mfr__csr *out, mfr_error *err) {
    memset(out, 0, sizeof *out);
    out->n_rows = by_item ? r->n_items : r->n_users;
    out->n_cols = by_item ? r->n_users : r->n_items;
    const int32_t *row = by_item ? r->item : r->user, *col = by_item ? r->user : r->item;
    out->ptr = mfr_calloc((size_t)out->n_rows + 1, sizeof *out->ptr);
    out->col = mfr_malloc(sizeof *out->col * (size_t)(r->n ? r->n : 1));
    out->val = mfr_malloc(sizeof *out->val * (size_t)(r->n ? r->n : 1));
    int64_t *fill = mfr_malloc(sizeof *fill * ((size_t)out->n_rows + 1));
    if (!out->ptr || !out->col || !out->val || !fill) {
        mfr_free(fill);
        mfr__csr_free(out);
        return mfr__nomem(err, "rating matrix (CSR)");
    }
    for (int64_t j = 0; j < r->n; j++) out->ptr[row[j] + 1]++;
    for (int32_t x = 0; x < out->n_rows; x++) out->ptr[x + 1] += out->ptr[x];
    memcpy(fill, out->ptr, sizeof *fill * ((size_t)out->n_rows + 1));
    for (int64_t j = 0; j < r->n; j++) {
        int64_t d = fill[row[j]]++;
        out->col[d] = col[j];
        out->val[d] = r->rating[j];
    }
    mfr_free(fill);
    for (int32_t x = 0; x < out->n_rows; x++) {
        for (int64_t a = out->ptr[x] + 1; a < out->ptr[x + 1]; a++) {
            int32_t c = out->col[a];
            float v = out->val[a];
            int64_t b = a;
            while (b > out->ptr[x] && out->col[b - 1] > c) {
                out->col[b] = out->col[b - 1], out->val[b] = out->val[b - 1];
                b--;
            }
            out->col[b] = c, out->val[b] = v;
        }
    }
    return MFR_OK;
}

/* One half-step: bias of each row from the residuals against the other side. */
static void bias_step(const mfr__csr *c, float mu, const float *other, float reg,
                      float *out) {
#pragma omp parallel for schedule(static)
    for (int32_t x = 0; x < c->n_rows; x++) {
        double dev = 0.0;
        for (int64_t a = c->ptr[x]; a < c->ptr[x + 1]; a++)
            dev += (double)c->val[a] - mu - other[c->col[a]];
        out[x] = (float)(dev / (reg + (double)(c->ptr[x + 1] - c->ptr[x])));
    }
}

void mfr__baseline_als(const mfr__csr *by_user, const mfr__csr *by_item, float mu,
                       int32_t epochs, float reg_u, float reg_i, float *bu, float *bi) {
    memset(bu, 0, sizeof(float) * (size_t)by_user->n_rows);
    memset(bi, 0, sizeof(float) * (size_t)by_item->n_rows);
    for (int32_t e = 0; e < epochs; e++) {
        bias_step(by_item, mu, bu, reg_i, bi);
        bias_step(by_user, mu, bi, reg_u, bu);
    }
}
