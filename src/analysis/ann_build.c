/* ann_build.c — mfr_model_set_index (mfrec/analysis.h): the approximate
 * top-n index's clustering, k-means (kmeans.c) of the movie rows [q_i, b_i],
 * handed to the model (src/model/ann.c), which lays the lists out and
 * answers the queries. It lives here, beside k-means, because the model
 * layer does not call into analysis. */
#include "analysis_impl.h"
#include "../model/ann.h"

#include <math.h>
#include <string.h>

mfr_index_params mfr_index_params_default(void) {
    return (mfr_index_params){.kind = MFR_INDEX_EXACT, .lists = 0, .nprobe = MFR_INDEX_NPROBE,
                              .seed = 42, .max_iter = 10};
}

mfr_status mfr_model_set_index(mfr_model *m, const mfr_index_params *p, mfr_error *err) {
    mfr_index_params dp = mfr_index_params_default();
    if (!p) p = &dp;
    if (!m) return mfr__err(err, MFR_E_INVALID, "index: model is NULL");
    if (p->kind == MFR_INDEX_EXACT) {
        mfr__ann_free(m->ann);
        m->ann = NULL;
        return MFR_OK;
    }
    if (p->kind != MFR_INDEX_APPROX)
        return mfr__err(err, MFR_E_INVALID, "index: unknown kind %d", (int)p->kind);
    if (p->lists < 0 || p->nprobe < 1 || p->max_iter < 0)
        return mfr__err(err, MFR_E_INVALID,
                        "index: lists %d, nprobe %d, max_iter %d (need lists >= 0, nprobe >= 1, "
                        "max_iter >= 0)", (int)p->lists, (int)p->nprobe, (int)p->max_iter);
    if (!mfr__ann_supported(m)) return mfr__ann_set(m, 1, NULL, NULL, 1, err); /* its message */
    int32_t n = m->n_items, k = m->k, d = k + 1;
    int32_t lists = p->lists ? p->lists : (int32_t)lround(sqrt((double)n));
    if (lists < 1) lists = 1;
    if (lists > n)
        return mfr__err(err, MFR_E_INVALID, "index: %d lists for %d movies", (int)lists, (int)n);
    for (int32_t i = 0; m->item_bias && i < n; i++) /* Q is finite (the exact index's rule) */
        if (!isfinite(m->item_bias[i]))
            return mfr__err(err, MFR_E_INVALID, "index: the bias of movie %d is not finite", (int)i);
    float *X = mfr__malloc((size_t)n * d * sizeof *X);
    float *C = mfr__malloc((size_t)lists * d * sizeof *C);
    int32_t *assign = mfr__malloc((size_t)n * sizeof *assign);
    mfr_status st;
    if (!X || !C || !assign) {
        st = mfr__nomem(err, "index clustering");
    } else {
        for (int32_t i = 0; i < n; i++) {
            memcpy(X + (size_t)i * d, m->Q + (size_t)i * k, (size_t)k * sizeof *X);
            X[(size_t)i * d + k] = m->item_bias ? m->item_bias[i] : 0.f;
        }
        st = mfr_kmeans(X, n, d, lists, p->seed, p->max_iter ? p->max_iter : 10, assign, C, NULL,
                        err);
        if (!st) st = mfr__ann_set(m, lists, assign, C, p->nprobe, err);
    }
    mfr__free(X);
    mfr__free(C);
    mfr__free(assign);
    return st;
}
