/* auto.c — the default model: two stages in one file. A biased-MF model
 * trained by SGD (sgd.c) predicts the ratings, the stars a list shows; EASE
 * (ease.c) on the rating-weighted training matrix orders the list:
 *
 *     rank(u, i) = (x_u·B)_i + blend · r̂(u, i)
 *
 * The EASE term says what this user is likely to watch and like next; the
 * small rating term breaks its near-ties towards the movies the user would
 * rate higher. Both weights were measured on random 80/20 splits of
 * ml-latest-small (docs/benchmarks.md). EASE covers the movies with at least
 * rank_min_ratings training ratings, and no more than max_memory_mb holds:
 * on a catalogue that does not fit, the most rated ones (mfrec info says
 * how many); the others follow them in the list by μ + b_i (on data too
 * small for any movie to be covered, the list is the SGD model's). A new
 * user is served from their ratings at once: fold-in for r̂, x·B for the
 * order. */
#include "ease.h"
#include "../model/index.h"
#include "../model/topn.h"
#include "../core/simd.h"

#include <math.h>


static void auto_defaults(mfr_train_params *p) {
    if (mfr__algo_sgd.defaults) mfr__algo_sgd.defaults(p);
    p->ease_lambda = 120.0f;
    p->rating_power = 1.0f;
    p->blend = 0.03f;
    /* 400 weights a row: lists within 1 % NDCG@10 of the dense B on
     * ml-latest-small, a quarter of its scoring time, a model file of 16 MB
     * instead of 99 MB (docs/models-ranking.md). */
    p->ease_keep = 400;
    /* EASE over the movies with >= 5 training ratings: on ml-latest-small's
     * 80/20 splits NDCG@10 0.3265 (3: 0.3252, 10: 0.3277) with 3,650 movies
     * to score instead of 4,980 (docs/models-ranking.md). */
    p->rank_min_ratings = 5;
}

static mfr_status auto_fit(mfr_model *m, const mfr__fit_ctx *ctx, mfr_error *err) {
    mfr_status st = mfr__algo_sgd.fit(m, ctx, err);
    if (st && st != MFR_E_CANCELLED) return st;
    /* Interrupted SGD still gets its ranker (seconds): the saved model of
     * the last completed epoch then lists like a finished one. */
    mfr_status est = mfr__ease_build(m, ctx, 1, err);
    if (!est) est = mfr__ease_attach(m, err);
    return est ? est : st;
}

/* Covered movies by x·B + blend·r̂ (r̂ computed for those rows only); the
 * others after all of them, by μ + b_i (the offset is far below any x·B, and
 * float keeps those differences at that magnitude: ulp(10⁴) ≈ 0.001). With
 * no movie covered (data too small), the order is the SGD model's. */
static void auto_rank_user(const mfr_model *m, const mfr__who *w, const float *pred, float *rank) {
    (void)pred;
    int32_t n;
    const int32_t *item = mfr__ease_items(m, &n);
    if (n == 0) {
        mfr__model_predict_rows(m, w, NULL, m->n_items, rank);
        return;
    }
    float *r = mfr__malloc((size_t)n * sizeof *r);
    mfr__ease_rank(m, w, rank, 1);
    if (!r) return; /* out of memory: the EASE order alone */
    mfr__model_predict_rows(m, w, item, n, r);
    float blend = m->params.blend;
    for (int32_t c = 0; c < n; c++) rank[item[c]] += blend * r[c];
    mfr__free(r);
}

/* lo[c], up[c]: an interval that holds covered row c's rank
 * acc[c] + blend·r̂, from |p·q_i| ≤ ‖p‖‖q_i‖ ≤ pnorm·norm[c] (bias[c], norm[c]:
 * mfr__ease_item_terms),
 * widened by rel for float rounding (see auto_top_user). */
MFR_HOT
static void rank_bounds(const float *restrict acc, int32_t nc, const float *restrict bias,
                        const float *restrict norm, float blend, float base, float pnorm, float rel,
                        float *restrict lo, float *restrict up) {
    float ab = fabsf(blend);
#pragma omp simd
    for (int32_t c = 0; c < nc; c++) {
        float e = acc[c], bi = bias[c], qn = norm[c];
        float mid = e + blend * (base + bi), rad = ab * pnorm * qn;
        rad += rel * (fabsf(e) + ab * (fabsf(base) + fabsf(bi) + pnorm * qn)) + 1e-30f;
        lo[c] = mid - rad;
        up[c] = mid + rad;
    }
}

/* The top n of auto_rank_user's order without r̂ for every covered movie:
 * x·B for all of them (mfr__ease_scores, in the covered movies' order, the
 * seen ones NaN), then for each covered movie an interval that holds its
 * rank e_i + blend·r̂_i, from |p·q_i| ≤ ‖p‖‖q_i‖ (Cauchy–Schwarz; the index's
 * per-movie norm bound when there is one, widened for float rounding). The n
 * covered movies with the largest lower bounds that the filters keep are
 * scored exactly first (r̂ by the same row kernel as every list,
 * mfr__model_predict_rows); their n-th exact rank is a threshold T, and r̂
 * is computed only for the other covered movies whose upper bound reaches T.
 * The heap orders by rank, ties by the lower movie (covered rows are in
 * movie order), so the order the movies enter it does not matter: the same
 * rows, order and scores as auto_rank_user + select_top
 * (tests/unit/test_model_index.c). The uncovered movies rank 10⁴ below every
 * covered one, so they matter only when fewer than n covered movies pass the
 * filters: then, as without a covered movie or a factor vector, -2 (the full
 * ranking). */
static int32_t auto_top_user(const mfr_model *m, const mfr__who *w, const mfr__filter *f,
                             int32_t n, mfr_scored *out) {
    int32_t nc;
    const int32_t *item = mfr__ease_items(m, &nc);
    const float *pu;
    float base;
    const float *cbias, *cnorm;
    if (nc == 0 || !mfr__who_vector(m, w, &pu, &base) || !mfr__ease_item_terms(m, &cbias, &cnorm))
        return -2;
    if (n <= 0) return 0;
    float *acc = mfr__malloc((4 * (size_t)nc + 1) * sizeof *acc);
    mfr_scored *low = mfr__malloc((size_t)n * (sizeof *low + sizeof(float)));
    if (!acc || !low) {
        mfr__free(acc);
        mfr__free(low);
        return -1;
    }
    float *up = acc + nc;                  /* [nc] upper bounds, then r̂ of the candidates */
    int32_t *cand = (int32_t *)(up + nc);  /* [nc] candidates' movies (int32 and float: one size) */
    int32_t *crow = cand + nc;             /* [nc] and their covered rows */
    float *rhat = (float *)(low + n);      /* [n] r̂ of the first n scored */
    mfr__ease_scores(m, w, f->seen, f->n_seen, acc);
    mfr__filter g = *f;
    g.n_seen = 0; /* the seen movies are NaN in acc */
    double pn = 0.0;
    for (int32_t fct = 0; fct < m->k; fct++) pn += (double)pu[fct] * pu[fct];
    float blend = m->params.blend, pnorm = (float)(sqrt(pn) * (1.0 + 1e-5));
    /* float rounding of r̂ (γ_k), blend·r̂ and the sum, with room */
    float rel = 1e-5f + (float)(2 * m->k + 8) * 5.97e-8f;
    float *lo = (float *)cand; /* [nc] lower bounds until the candidates are chosen */
    rank_bounds(acc, nc, cbias, cnorm, blend, base, pnorm, rel, lo, up);
    topn lh = {low, n, 0};
    for (int32_t c = 0; c < nc; c++) {
        if (lh.len == lh.cap && !(lo[c] > lh.row[0].score)) continue;
        if (isnan(lo[c]) || !mfr__filter_pass(&g, item[c])) continue;
        mfr__topn_push(&lh, c, lo[c]);
    }
    int32_t got = -2;
    if (lh.len == lh.cap) {
        topn h = {out, n, 0};
        /* the n best lower bounds first: their n-th exact rank is T */
        for (int32_t j = 0; j < n; j++) cand[j] = item[low[j].item], crow[j] = low[j].item;
        mfr__model_predict_rows(m, w, cand, n, rhat);
        for (int32_t j = 0; j < n; j++) {
            float v = acc[crow[j]] + blend * rhat[j];
            if (!isnan(v)) mfr__topn_push(&h, crow[j], v);
            up[crow[j]] = -INFINITY; /* scored */
        }
        float T = h.len == h.cap ? h.row[0].score : -INFINITY;
        int32_t ncand = 0;
        for (int32_t c = 0; c < nc; c++)
            if (up[c] >= T && mfr__filter_pass(&g, item[c])) cand[ncand] = item[c], crow[ncand++] = c;
        mfr__model_predict_rows(m, w, cand, ncand, up); /* r̂ of cand[j] into up[j] */
        for (int32_t j = 0; j < ncand; j++) {
            float v = acc[crow[j]] + blend * up[j];
            if (!isnan(v)) mfr__topn_push(&h, crow[j], v);
        }
        got = mfr__topn_finish(&h);
        for (int32_t j = 0; j < got; j++) out[j].item = item[out[j].item];
    }
    mfr__free(acc);
    mfr__free(low);
    return got;
}

const mfr__algo mfr__algo_auto = {
    .id = MFR_ALGO_AUTO,
    .fit = auto_fit,
    .rank_user = auto_rank_user,
    .rank_without_pred = 1,
    .top_user = auto_top_user,
    .attach = mfr__ease_attach,
    .release = mfr__ease_release,
    .defaults = auto_defaults,
};
