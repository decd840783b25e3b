/* knn_common.c — helpers shared by the baseline, neighbourhood, content and
 * hybrid families: CSR views of a ratings subset and the closed-form
 * alternating baseline fit. Layouts in knn_common.h. */
#include "knn_common.h"

#include <math.h>
#include <string.h>

void mfr__csr_free(mfr__csr *c) {
    if (!c) return;
    mfr_free(c->ptr), mfr_free(c->col), mfr_free(c->val);
    memset(c, 0, sizeof *c);
}

/* The rows come from mfr__rmat_build (counting sort, input order within a
 * row); each row is then sorted by column (insertion sort: rows are short,
 * and the dataset order is usually sorted already). */
mfr_status mfr__csr_build(const mfr_ratings *r, int by_item, mfr__csr *out, mfr_error *err) {
    memset(out, 0, sizeof *out);
    mfr__rmat m;
    mfr_status st = mfr__rmat_build(r, r->n_users, r->n_items, by_item, &m, err);
    if (st) return st;
    out->n_rows = m.rows;
    out->n_cols = by_item ? r->n_users : r->n_items;
    out->ptr = m.ptr;
    out->col = m.idx;
    out->val = m.val;
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

/* The same alternating fit the factor models use (mfr__baseline_fit), on
 * views of these CSR arrays. */
static mfr__rmat rmat_view(const mfr__csr *c) {
    mfr__rmat v = {c->n_rows, c->ptr[c->n_rows], c->ptr, c->col, c->val};
    return v;
}

void mfr__baseline_als(const mfr__csr *by_user, const mfr__csr *by_item, float mu,
                       const mfr__baseline_settings *s, float *bu, float *bi) {
    mfr__rmat u = rmat_view(by_user), i = rmat_view(by_item);
    mfr__baseline_fit(&u, &i, mu, s, bu, bi);
}

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
