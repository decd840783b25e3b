/* query.c — the questions a model answers: top-n recommendations for a user,
 * movies similar to a movie, and title lookup.
 *
 * Recommend scores items in blocks of SCORE_BLOCK on the stack: for factor
 * models μ + b_u + b_i + p_u·q_i with the vectorised row kernel over Q
 * (contiguous, row-major), for other models vt->score_user (one scratch array
 * of n_items floats) or vt->predict. Items are visited in index order; an
 * item whose score cannot enter the current top n is dropped at once, and
 * only the few candidates are checked against the filters (the user's sorted
 * seen list by binary search). Selection
 * keeps the best n in a bounded heap inside the caller's output array: no
 * allocation per call for factor models. Items are ranked by the unclipped
 * prediction (ties by item index); the reported score is clipped to the scale.
 *
 * Similar: for factor models, Pearson is the correlation of the factor
 * vectors, cosine after centring each vector on its own mean over the k
 * factors:  s(i,j) = Σ_f (q_if − q̄_i)(q_jf − q̄_j) / (‖q_i − q̄_i‖ ‖q_j − q̄_j‖).
 * Since Σ_f (q_if − q̄_i) = 0 the numerator is c_i·q_j with c_i the centred
 * q_i, and ‖q_j − q̄_j‖² = ‖q_j‖² − k q̄_j²: one pass of the row kernel over
 * Q, with ‖q_j‖² and Σ_f q_jf prepared once per model (mfr__model_prepare). */
#include "topn.h"
#include "../algo/algo.h"

#include <math.h>
#include <string.h>
#include <strings.h>

#define SCORE_BLOCK 256

mfr_recommend_params mfr_recommend_params_default(void) {
    mfr_recommend_params p = {10, NULL, 1, 1};
    return p;
}

/* 1 when the '|'-separated list genres holds want (case-insensitive). */
static int has_genre(const char *genres, const char *want) {
    size_t wl = strlen(want);
    for (const char *g = genres; *g;) {
        const char *e = strchr(g, '|');
        size_t len = e ? (size_t)(e - g) : strlen(g);
        if (len == wl && strncasecmp(g, want, wl) == 0) return 1;
        if (!e) break;
        g = e + 1;
    }
    return 0;
}

/* The scoring source for one recommend call. */
typedef struct scorer {
    const mfr_model *m;
    float base;          /* μ + b_u */
    const float *pu;     /* user factors, or NULL */
    const float *all;    /* vt->score_user output, or NULL */
    int32_t u;           /* for vt->predict; -1 for a folded-in vector */
    int mf;              /* 1: biased-MF formula with base and pu */
} scorer;

/* Scores of items [i0, i0 + n) into out; returns their maximum (NaN-free
 * maximum; +INFINITY when not cheaply known, so the block is never skipped). */
static float score_block(const scorer *s, int32_t i0, int32_t n, float *out) {
    const mfr_model *m = s->m;
    if (s->all) {
        memcpy(out, s->all + i0, (size_t)n * sizeof *out);
        return INFINITY;
    }
    if (!s->mf) {
        for (int32_t j = 0; j < n; j++) out[j] = m->vt->predict(m, s->u, i0 + j);
        return INFINITY;
    }
    if (s->pu && m->k > 0) return mfr__score_rows(m->Q, m->k, s->pu, i0, n, s->base, m->item_bias, out);
    float best = -INFINITY;
    for (int32_t j = 0; j < n; j++) {
        out[j] = s->base + (m->item_bias ? m->item_bias[i0 + j] : 0.f);
        if (out[j] > best) best = out[j];
    }
    return best;
}

/* 1 when item i is in the sorted list seen[0..n). */
static int in_sorted(const int32_t *seen, int64_t n, int32_t i) {
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (seen[mid] < i) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && seen[lo] == i;
}

/* Score every item, keep the top n that pass the filters. Items come in
 * index order, so once the heap is full a score equal to the worst kept one
 * loses the tie: the cheap test "score <= worst" rejects most items before
 * any filter runs; the filters (count, seen by binary search, genre) run
 * only for the few candidates. */
static int32_t rank_items(const scorer *s, const int32_t *seen, int64_t n_seen,
                          const mfr_recommend_params *p, mfr_scored *out) {
    const mfr_model *m = s->m;
    topn h = {out, p->n, 0};
    float buf[SCORE_BLOCK];
    if (p->n <= 0) return 0;
    for (int32_t i0 = 0; i0 < m->n_items; i0 += SCORE_BLOCK) {
        int32_t n = m->n_items - i0 < SCORE_BLOCK ? m->n_items - i0 : SCORE_BLOCK;
        float best = score_block(s, i0, n, buf);
        if (h.len == h.cap && !(best > h.row[0].score)) continue; /* nothing here can enter */
        for (int32_t j = 0; j < n; j++) {
            int32_t i = i0 + j;
            if (h.len == h.cap && !(buf[j] > h.row[0].score)) continue;
            if (isnan(buf[j]) || m->item_count[i] < p->min_ratings) continue;
            if (n_seen && in_sorted(seen, n_seen, i)) continue;
            if (p->genre && !has_genre(mfr_model_item_genres(m, i), p->genre)) continue;
            mfr__topn_push(&h, i, buf[j]);
        }
    }
    int32_t n = mfr__topn_finish(&h);
    for (int32_t j = 0; j < n; j++)
        out[j].score = out[j].score < m->rmin ? m->rmin : out[j].score > m->rmax ? m->rmax : out[j].score;
    return n;
}

/* Shared by recommend and recommend_vec: scorer set up, seen sorted. */
mfr_status mfr__recommend_with(const mfr_model *m, float base, const float *pu, int32_t u,
                               const int32_t *seen, int64_t n_seen,
                               const mfr_recommend_params *p, mfr_scored *out,
                               int32_t *n_out, mfr_error *err) {
    mfr_recommend_params dp = mfr_recommend_params_default();
    if (!p) p = &dp;
    *n_out = 0;
    if (p->n < 0) return mfr__err(err, MFR_E_INVALID, "recommend: n = %d must be >= 0", (int)p->n);
    if (p->n > 0 && !out) return mfr__err(err, MFR_E_INVALID, "recommend: out is NULL");
    scorer s = {m, base, pu, NULL, u, 1};
    float *all = NULL;
    if (u >= 0 && m->vt && m->vt->score_user) {
        all = mfr_malloc((size_t)m->n_items * sizeof *all + 1);
        if (!all) return mfr__nomem(err, "recommend scores");
        m->vt->score_user(m, u, all);
        s.all = all;
    } else if (u >= 0 && m->vt && m->vt->predict) {
        s.mf = 0;
    }
    if (!p->exclude_seen) n_seen = 0;
    *n_out = rank_items(&s, seen, n_seen, p, out);
    mfr_free(all);
    return MFR_OK;
}

mfr_status mfr_model_recommend(const mfr_model *m, int32_t u, const mfr_recommend_params *p,
                               mfr_scored *out, int32_t *n_out, mfr_error *err) {
    int32_t dummy;
    if (!n_out) n_out = &dummy;
    *n_out = 0;
    if (!m) return mfr__err(err, MFR_E_INVALID, "recommend: model is NULL");
    if (u < 0 || u >= m->n_users)
        return mfr__err(err, MFR_E_NOT_FOUND, "recommend: user index %d not in the model (0..%d)",
                        (int)u, (int)m->n_users - 1);
    float base = m->mu + (m->user_bias ? m->user_bias[u] : 0.f);
    const float *pu = m->k > 0 && m->P ? m->P + (size_t)u * m->k : NULL;
    int64_t lo = m->seen_ptr[u], hi = m->seen_ptr[u + 1];
    return mfr__recommend_with(m, base, pu, u, m->seen_item + lo, hi - lo, p, out, n_out, err);
}

/* ---- similar ------------------------------------------------------------ */

/* Factor similarity of every item to item i into scores (NaN = skip); c is
 * scratch for k floats. The dot products c·q_j come from the row kernel; the
 * norms from the per-item sums prepared at train/load time. */
static void factor_similar(const mfr_model *m, int32_t i, mfr_sim metric, float *c, float *scores) {
    int32_t k = m->k;
    const float *qi = m->Q + (size_t)i * k;
    int pearson = metric == MFR_SIM_PEARSON;
    double mean = pearson ? m->item_sum[i] / k : 0.0, nc = 0.0;
    for (int32_t f = 0; f < k; f++) {
        c[f] = (float)(qi[f] - mean);
        nc += (double)c[f] * c[f];
    }
    mfr__score_rows(m->Q, k, c, 0, m->n_items, 0.f, NULL, scores);
    for (int32_t j = 0; j < m->n_items; j++) {
        double sq = m->item_sq[j];
        double nj = pearson ? sq - m->item_sum[j] * m->item_sum[j] / k : sq;
        scores[j] = nc > 0.0 && nj > 1e-9 * sq && nj > 0.0 ? (float)(scores[j] / sqrt(nc * nj)) : NAN;
    }
}

mfr_status mfr_model_similar(const mfr_model *m, int32_t i, mfr_sim metric, int32_t n,
                             int32_t min_ratings, mfr_scored *out, int32_t *n_out, mfr_error *err) {
    int32_t dummy;
    if (!n_out) n_out = &dummy;
    *n_out = 0;
    if (!m) return mfr__err(err, MFR_E_INVALID, "similar: model is NULL");
    if (i < 0 || i >= m->n_items)
        return mfr__err(err, MFR_E_NOT_FOUND, "similar: item index %d not in the model (0..%d)", (int)i,
                        (int)m->n_items - 1);
    if (n < 0 || (n > 0 && !out)) return mfr__err(err, MFR_E_INVALID, "similar: n = %d / out NULL", (int)n);
    int factors = m->k > 0 && m->Q && m->item_sq && m->item_sum;
    if (factors && metric != MFR_SIM_PEARSON && metric != MFR_SIM_COSINE)
        return mfr__err(err, MFR_E_INVALID, "similar: factor models support pearson and cosine only");
    if (!factors && !(m->vt && m->vt->similar))
        return mfr__err(err, MFR_E_UNSUPPORTED, "similar: %s models have no item similarity",
                        mfr_algo_name(m->algo));
    float *scores = mfr_malloc(((size_t)m->n_items + (size_t)m->k + 1) * sizeof *scores);
    if (!scores) return mfr__nomem(err, "similarity scores");
    mfr_status st = MFR_OK;
    if (factors) factor_similar(m, i, metric, scores + m->n_items, scores);
    else st = m->vt->similar(m, i, metric, scores);
    if (st) {
        mfr_free(scores);
        return mfr__err(err, st, "similar: %s", mfr_status_message(st));
    }
    topn h = {out, n, 0};
    for (int32_t j = 0; j < m->n_items; j++) {
        if (j == i || isnan(scores[j]) || m->item_count[j] < min_ratings) continue;
        mfr__topn_push(&h, j, scores[j]);
    }
    *n_out = mfr__topn_finish(&h);
    mfr_free(scores);
    return MFR_OK;
}

/* ---- title lookup -------------------------------------------------------- */

void mfr_model_find_title(const mfr_model *m, const char *query, int32_t *out, int32_t cap,
                          int32_t *n_found) {
    int32_t found = 0;
    if (n_found) *n_found = 0;
    if (!m || !query || !*query) return;
    for (int32_t i = 0; i < m->n_items; i++) {
        if (strcmp(mfr_model_item_title(m, i), query) != 0) continue;
        if (found < cap && out) out[found] = i;
        found++;
    }
    if (!found) {
        char q[256], t[1024];
        mfr_text_fold(query, q, sizeof q);
        for (int32_t i = 0; i < m->n_items; i++) {
            mfr_text_fold(mfr_model_item_title(m, i), t, sizeof t);
            if (!strstr(t, q)) continue;
            if (found < cap && out) out[found] = i;
            found++;
        }
    }
    if (n_found) *n_found = found;
}
