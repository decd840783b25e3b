/* explain.c — what the web page shows beside a list: why a movie is
 * recommended ("because you liked Alien and Aliens": mfr_model_explain) and
 * how the training ratings of a movie are spread (mfr_model_item_histogram).
 *
 * The explanation uses the item-item co-occurrence signal of similar.c
 * (mfr_model_similar with MFR_SIM_COOC: the neighbours that best explain
 * who watches the movie), so it is the same for every model family, and
 * keeps the user's liked movies among those neighbours, strongest first.
 * One call is one co-occurrence query (about 1 ms on ml-latest-small). */
#include "model_impl.h"

#include <math.h>
#include <stdlib.h>

#define EXPLAIN_NEIGHBOURS 100

mfr_status mfr_model_explain(const mfr_model *m, int32_t item, const int32_t *liked,
                             int32_t n_liked, mfr_scored *out, int32_t cap, int32_t *n_out,
                             mfr_error *err) {
    int32_t dummy;
    if (!n_out) n_out = &dummy;
    *n_out = 0;
    if (!m || (n_liked > 0 && !liked) || n_liked < 0 || cap < 0 || (cap > 0 && !out))
        return mfr__err(err, MFR_E_INVALID, "explain: NULL model/list or a negative count");
    if (mfr__check_index(m, 1, item, "explain", err)) return MFR_E_NOT_FOUND;
    if (n_liked == 0 || cap == 0) return MFR_OK;
    int32_t *sorted = mfr__malloc(sizeof *sorted * (size_t)n_liked);
    mfr_scored *nb = mfr__malloc(sizeof *nb * EXPLAIN_NEIGHBOURS);
    if (!sorted || !nb) {
        mfr__free(sorted);
        mfr__free(nb);
        return mfr__nomem(err, "explain");
    }
    for (int32_t j = 0; j < n_liked; j++) sorted[j] = liked[j];
    qsort(sorted, (size_t)n_liked, sizeof *sorted, mfr__cmp_i32);
    int32_t got = 0;
    mfr_status st = mfr_model_similar(m, item, MFR_SIM_COOC, EXPLAIN_NEIGHBOURS, 0, nb, &got, err);
    for (int32_t j = 0; st == MFR_OK && j < got && *n_out < cap; j++) {
        if (!(nb[j].score > 0) || nb[j].item == item) continue;
        if (mfr__find_sorted(sorted, n_liked, nb[j].item) < 0) continue;
        out[(*n_out)++] = (mfr_scored){nb[j].item, nb[j].score, NAN};
    }
    mfr__free(sorted);
    mfr__free(nb);
    return st;
}

mfr_status mfr_model_item_histogram(const mfr_model *m, int32_t i, int32_t counts[10],
                                    mfr_error *err) {
    if (!m || !counts) return mfr__err(err, MFR_E_INVALID, "histogram: model or counts is NULL");
    for (int b = 0; b < 10; b++) counts[b] = 0;
    if (mfr__check_index(m, 1, i, "histogram", err)) return MFR_E_NOT_FOUND;
    if (!m->seen_ptr || !m->seen_rating)
        return mfr__err(err, MFR_E_UNSUPPORTED, "histogram: this model file keeps no ratings");
    int64_t n = m->seen_ptr[m->n_users];
    for (int64_t e = 0; e < n; e++) {
        if (m->seen_item[e] != i) continue;
        float r = m->seen_rating[e];
        if (isnan(r)) continue;
        long b = lroundf(r * 2.0f) - 1; /* 0.5 -> 0 ... 5.0 -> 9 */
        counts[b < 0 ? 0 : b > 9 ? 9 : b]++;
    }
    return MFR_OK;
}
