/* query.c — the questions a model answers: top-n recommendations for a user
 * (one, a batch, or a user given by their ratings: fold.c); title search:
 * title.c; movies similar to a movie: similar.c.
 *
 * Recommend scores every item through mfr__model_score (score.c: the
 * predicted rating and the ranking score), then keeps the best n that pass
 * the filters in a bounded heap inside the caller's output array. Items are
 * visited in index order; an item whose score cannot enter the current top n
 * is dropped at once, and only the few candidates are checked against the
 * filters (the user's sorted seen list by binary search). Rows are ordered by
 * the ranking score (ties by item index); each carries the predicted rating
 * clipped to the scale.
 *
 * Similar movies: similar.c. */
#include "topn.h"
#include "ann.h"
#include "family.h"

#include <math.h>
#include <string.h>

mfr_recommend_params mfr_recommend_params_default(void) {
    mfr_recommend_params p = {10, NULL, MFR_RECOMMEND_MIN_RATINGS, 1, NULL};
    return p;
}

/* The stars of the rows kept: a few predictions, in blocks. */
static void fill_predictions(const mfr_model *m, const mfr__who *w, mfr_scored *out, int32_t n) {
    enum { BLK = 64 };
    for (int32_t j0 = 0; j0 < n; j0 += BLK) {
        int32_t nb = n - j0 < BLK ? n - j0 : BLK, idx[BLK];
        float pr[BLK];
        for (int32_t j = 0; j < nb; j++) idx[j] = out[j0 + j].item;
        mfr__model_predict_rows(m, w, idx, nb, pr);
        for (int32_t j = 0; j < nb; j++) out[j0 + j].prediction = mfr__clip(m, pr[j]);
    }
}

/* Keep the top n of rank[] that pass the filters. Items come in index
 * order, so once the heap is full a score equal to the worst kept one loses
 * the tie: the cheap test "score <= worst" rejects most items before any
 * filter runs; the filters (count, seen by binary search, genre) run only
 * for the few candidates. */
static int32_t select_top(const mfr_model *m, const float *rank, const mfr__filter *f,
                          mfr_scored *out) {
    topn h = {out, f->p->n, 0};
    if (f->p->n <= 0) return 0;
    for (int32_t i = 0; i < m->n_items; i++) {
        float v = rank[i];
        if (h.len == h.cap && !(v > h.row[0].score)) continue;
        if (isnan(v) || !mfr__filter_pass(f, i)) continue;
        mfr__topn_push(&h, i, v);
    }
    return mfr__topn_finish(&h);
}

/* Shared by recommend, the batch and recommend_vec: score w through
 * mfr__model_score, then select; seen sorted. */
mfr_status mfr__recommend_with(const mfr_model *m, const mfr__who *w, const int32_t *seen,
                               int64_t n_seen, const mfr_recommend_params *p, mfr_scored *out,
                               int32_t *n_out, mfr_error *err) {
    mfr_recommend_params dp = mfr_recommend_params_default();
    if (!p) p = &dp;
    *n_out = 0;
    if (p->n < 0) return mfr__err(err, MFR_E_INVALID, "recommend: n = %d must be >= 0", (int)p->n);
    if (p->n > 0 && !out) return mfr__err(err, MFR_E_INVALID, "recommend: out is NULL");
    mfr__filter f = {m, p, seen, p->exclude_seen ? n_seen : 0};
    const float *pu;
    float base;
    /* the count kept; -1: no memory, -2: from the full ranking below. Ordered
     * by the biased-MF score: the index's exact top-n (index.c). */
    int32_t n = -2;
    if (!p->scores && m->qindex && mfr__who_mf(m, w, &pu, &base))
        n = mfr__qindex_topn(m, pu, base, &f, p->n, out, NULL);
    else if (!p->scores && m->vt && m->vt->top_user && !(w->u < 0 && w->n == 0))
        n = m->vt->top_user(m, w, &f, p->n, out); /* the family's own top-n, or -2 */
    if (n == -2) {
        size_t ni = (size_t)m->n_items;
        float *buf = mfr__malloc((p->scores ? ni : 2 * ni) * sizeof *buf + 1);
        if (!buf) return mfr__nomem(err, "recommend scores");
        float *scratch = buf, *rank = p->scores ? p->scores : buf + ni;
        mfr_status st = mfr__model_score(m, w, rank, scratch, err);
        if (!st) n = select_top(m, rank, &f, out);
        mfr__free(buf);
        if (st) return st;
    }
    if (n < 0) return mfr__nomem(err, "recommend scores");
    fill_predictions(m, w, out, n);
    *n_out = n;
    return MFR_OK;
}

mfr_status mfr__check_index(const mfr_model *m, int by_item, int32_t idx, const char *what,
                            mfr_error *err) {
    if (!m) return mfr__err(err, MFR_E_INVALID, "%s: model is NULL", what);
    int32_t n = by_item ? m->n_items : m->n_users;
    if (idx >= 0 && idx < n) return MFR_OK;
    return mfr__err(err, MFR_E_NOT_FOUND, "%s: %s index %d not in the model (0..%d)", what,
                    by_item ? "item" : "user", (int)idx, (int)n - 1);
}

static mfr__who trained_user(const mfr_model *m, int32_t u) {
    int64_t lo = m->seen_ptr[u], hi = m->seen_ptr[u + 1];
    const float *r = m->seen_rating ? m->seen_rating + lo : NULL;
    return (mfr__who){u, m->seen_item + lo, r, (int32_t)(hi - lo), NULL};
}

mfr_status mfr_model_recommend(const mfr_model *m, int32_t u, const mfr_recommend_params *p,
                               mfr_scored *out, int32_t *n_out, mfr_error *err) {
    int32_t dummy;
    if (!n_out) n_out = &dummy;
    *n_out = 0;
    mfr_status st = mfr__check_index(m, 0, u, "recommend", err);
    if (st) return st;
    mfr__who w = trained_user(m, u);
    return mfr__recommend_with(m, &w, w.items, w.n, p, out, n_out, err);
}

mfr_status mfr_model_recommend_batch(const mfr_model *m, const int32_t *users, int32_t n_users,
                                     const mfr_recommend_params *p, int threads, mfr_scored *out,
                                     int32_t *n_out, mfr_error *err) {
    mfr_recommend_params dp = mfr_recommend_params_default();
    if (!p) p = &dp;
    if (!m || n_users < 0 || (n_users > 0 && (!out || !n_out)) || p->scores || p->n < 0)
        return mfr__err(err, MFR_E_INVALID, "recommend batch: NULL model/output, n < 0 or scores set");
    for (int32_t j = 0; users && j < n_users; j++)
        if (mfr__check_index(m, 0, users[j], "recommend batch", err)) return MFR_E_NOT_FOUND;
    if (!users && n_users > m->n_users)
        return mfr__err(err, MFR_E_INVALID, "recommend batch: %d users, the model has %d",
                        (int)n_users, (int)m->n_users);
    int nt = threads > 0 ? threads : mfr_cpu_count();
    mfr_status first = MFR_OK;
#pragma omp parallel for num_threads(nt) schedule(dynamic, 8)
    for (int32_t j = 0; j < n_users; j++) {
        int32_t u = users ? users[j] : j;
        mfr__who w = trained_user(m, u);
        mfr_status st = mfr__recommend_with(m, &w, w.items, w.n, p, out + (size_t)j * p->n,
                                            &n_out[j], NULL);
        if (st) {
#pragma omp critical(mfr_batch_status)
            if (!first) first = st;
        }
    }
    return first ? mfr__err(err, first, "recommend batch: %s", mfr_status_message(first)) : MFR_OK;
}
