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

const mfr__algo mfr__algo_auto = {
    .id = MFR_ALGO_AUTO,
    .name = "auto",
    .fit = auto_fit,
    .rank_user = auto_rank_user,
    .rank_without_pred = 1,
    .attach = mfr__ease_attach,
    .release = mfr__ease_release,
    .defaults = auto_defaults,
};
