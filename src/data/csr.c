/* csr.c — compressed-row views of a ratings subset (layout in csr.h): a
 * stable counting sort by row, then, for mfr__csr_build, each row sorted by
 * column (insertion sort: rows are short, and the dataset order is usually
 * sorted already). */
#include "csr.h"

#include <string.h>

void mfr__csr_free(mfr__csr *c) {
    if (!c) return;
    mfr__free(c->ptr), mfr__free(c->idx), mfr__free(c->val);
    memset(c, 0, sizeof *c);
}

static mfr_status check_ratings(const mfr_ratings *r, int32_t nu, int32_t ni, mfr_error *err) {
    for (int64_t j = 0; j < r->n; j++) {
        if (r->user[j] < 0 || r->user[j] >= nu || r->item[j] < 0 || r->item[j] >= ni)
            return mfr__err(err, MFR_E_INVALID,
                            "training rating %lld: user %d / item %d outside 0..%d / 0..%d",
                            (long long)j, r->user[j], r->item[j], nu - 1, ni - 1);
        if (!(r->rating[j] == r->rating[j]))
            return mfr__err(err, MFR_E_INVALID, "training rating %lld is NaN", (long long)j);
    }
    return MFR_OK;
}

mfr_status mfr__csr_rows(const mfr_ratings *r, int32_t n_users, int32_t n_items, int by_item,
                         mfr__csr *out, mfr_error *err) {
    return mfr__csr_rows_range(r, n_users, n_items, by_item, 0, by_item ? n_items : n_users, out,
                               err);
}

mfr_status mfr__csr_pair(const mfr_ratings *r, int32_t n_users, int32_t n_items, mfr__csr *bu,
                         mfr__csr *bi, mfr_error *err) {
    memset(bi, 0, sizeof *bi);
    mfr_status st = mfr__csr_rows(r, n_users, n_items, 0, bu, err);
    if (!st && (st = mfr__csr_rows(r, n_users, n_items, 1, bi, err))) mfr__csr_free(bu);
    return st;
}

mfr_status mfr__csr_rows_range(const mfr_ratings *r, int32_t n_users, int32_t n_items,
                               int by_item, int32_t lo, int32_t hi, mfr__csr *out,
                               mfr_error *err) {
    memset(out, 0, sizeof *out);
    mfr_status st = check_ratings(r, n_users, n_items, err);
    if (st) return st;
    int32_t all = by_item ? n_items : n_users;
    if (lo < 0 || hi < lo || hi > all)
        return mfr__err(err, MFR_E_INVALID, "rating rows %d..%d outside 0..%d", lo, hi, all);
    int32_t rows = hi - lo;
    const int32_t *row = by_item ? r->item : r->user, *col = by_item ? r->user : r->item;
    int64_t nnz = 0;
    for (int64_t j = 0; j < r->n; j++) nnz += row[j] >= lo && row[j] < hi;
    out->rows = rows;
    out->nnz = nnz;
    out->ptr = mfr__calloc((size_t)rows + 1, sizeof(int64_t));
    out->idx = mfr__malloc(sizeof(int32_t) * (size_t)(nnz > 0 ? nnz : 1));
    out->val = mfr__malloc(sizeof(float) * (size_t)(nnz > 0 ? nnz : 1));
    int64_t *fill = mfr__malloc(sizeof(int64_t) * ((size_t)rows + 1));
    if (!out->ptr || !out->idx || !out->val || !fill) {
        mfr__free(fill);
        mfr__csr_free(out);
        return mfr__nomem(err, "rating matrix view");
    }
    for (int64_t j = 0; j < r->n; j++)
        if (row[j] >= lo && row[j] < hi) out->ptr[row[j] - lo + 1]++;
    for (int32_t i = 0; i < rows; i++) out->ptr[i + 1] += out->ptr[i];
    memcpy(fill, out->ptr, sizeof(int64_t) * ((size_t)rows + 1));
    for (int64_t j = 0; j < r->n; j++) {
        if (row[j] < lo || row[j] >= hi) continue;
        int64_t at = fill[row[j] - lo]++;
        out->idx[at] = col[j];
        out->val[at] = r->rating[j];
    }
    mfr__free(fill);
    return MFR_OK;
}

mfr_status mfr__csr_build(const mfr_ratings *r, int by_item, mfr__csr *out, mfr_error *err) {
    mfr_status st = mfr__csr_rows(r, r->n_users, r->n_items, by_item, out, err);
    if (st) return st;
    for (int32_t x = 0; x < out->rows; x++) {
        for (int64_t a = out->ptr[x] + 1; a < out->ptr[x + 1]; a++) {
            int32_t c = out->idx[a];
            float v = out->val[a];
            int64_t b = a;
            while (b > out->ptr[x] && out->idx[b - 1] > c) {
                out->idx[b] = out->idx[b - 1], out->val[b] = out->val[b - 1];
                b--;
            }
            out->idx[b] = c, out->val[b] = v;
        }
    }
    return MFR_OK;
}
