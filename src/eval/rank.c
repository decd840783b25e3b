/* rank.c — metric names, and the ranking metrics of one user's list.
 *
 * Pure functions over arrays (no model): mfr_rank_user_metrics applies the
 * definitions at the top of include/mfrec/eval.h to one ranked list and one
 * relevant set; mfr_rank_top_k keeps the K best scores by insertion into a
 * sorted array of K (K is small: O(n K) worst case, O(n) typical), ties broken
 * by the smaller index so rankings are deterministic. */
#include "eval_impl.h"

#include <math.h>
#include <string.h>
#include <strings.h>

static const char *metric_names[MFR_METRIC__COUNT] = {
    "rmse", "mae", "mse", "precision", "recall", "ndcg", "map",
    "hit", "mrr", "coverage", "novelty", "fit_s", "predict_s", "rank_s",
};

const char *mfr_metric_name(mfr_metric m) {
    return (unsigned)m < MFR_METRIC__COUNT ? metric_names[m] : NULL;
}

mfr_status mfr_metric_from_name(const char *name, mfr_metric *out, mfr_error *err) {
    for (int m = 0; m < MFR_METRIC__COUNT; m++)
        if (name && !strcasecmp(name, metric_names[m])) {
            *out = (mfr_metric)m;
            return MFR_OK;
        }
    return mfr__err(err, MFR_E_INVALID,
                    "unknown metric \"%s\" (known: rmse mae mse precision recall ndcg map "
                    "hit mrr coverage novelty fit_s predict_s rank_s)", name ? name : "");
}

int mfr_metric_higher_better(mfr_metric m) {
    return m >= MFR_METRIC_PRECISION && m <= MFR_METRIC_NOVELTY;
}

int mfr_metric_is_ranking(mfr_metric m) {
    return m >= MFR_METRIC_PRECISION && m <= MFR_METRIC_NOVELTY;
}

/* ---- one user's list ---------------------------------------------------- */

void mfr_rank_user_metrics(const int32_t *ranked, int32_t n_ranked, const int32_t *rel,
                           int32_t n_rel, int32_t k, int64_t first_rel_rank,
                           mfr_rank_user *out) {
    memset(out, 0, sizeof *out);
    if (n_rel <= 0 || k <= 0) return;
    int32_t lim = n_ranked < k ? n_ranked : k, hits = 0;
    double dcg = 0.0, ap = 0.0, idcg = 0.0;
    int64_t first = 0;
    for (int32_t r = 0; r < n_ranked; r++) {
        if (!mfr__contains(rel, n_rel, ranked[r])) continue;
        if (!first) first = r + 1;
        if (r >= lim) break;
        hits++;
        dcg += 1.0 / log2((double)r + 2.0);
        ap += (double)hits / (double)(r + 1);
    }
    int32_t ideal = n_rel < k ? n_rel : k;
    for (int32_t r = 0; r < ideal; r++) idcg += 1.0 / log2((double)r + 2.0);
    out->precision = (double)hits / (double)k;
    out->recall = (double)hits / (double)n_rel;
    out->ndcg = idcg > 0 ? dcg / idcg : 0.0;
    out->ap = ap / (double)ideal;
    out->hit = hits > 0;
    if (!first && first_rel_rank > 0) first = first_rel_rank;
    out->rr = first ? 1.0 / (double)first : 0.0;
}

int32_t mfr_rank_top_k(const float *scores, int32_t n, const uint8_t *skip, int32_t k,
                       int32_t *out) {
    int32_t len = 0;
    if (k <= 0) return 0;
    for (int32_t i = 0; i < n; i++) {
        if ((skip && skip[i]) || isnan(scores[i])) continue;
        if (len == k && !mfr__rank_better(scores, i, out[len - 1])) continue;
        int32_t p = len < k ? len++ : k - 1;
        while (p > 0 && mfr__rank_better(scores, i, out[p - 1])) {
            out[p] = out[p - 1];
            p--;
        }
        out[p] = i;
    }
    return len;
}

