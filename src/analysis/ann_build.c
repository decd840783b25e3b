/* ann_build.c — mfr_model_set_index (mfrec/analysis.h): the approximate
 * top-n index's clustering, k-means (kmeans.c) of the movie rows [x_i, b_i],
 * handed to the model (src/model/ann.c), which lays the lists out and
 * answers the queries. x_i = q_i; or, when the exact index is in Q's
 * principal axes (index.h), q_i's coordinates on the prefix's axes, each
 * weighted by the users' root mean square there, so a distance between two
 * movies is about the mean over the users of (p·q_i + b_i − p·q_j − b_j)²,
 * as far as the axes are uncorrelated over the users: on the 20 M-rating
 * synth model recall@10 0.956 at 16 of 245 lists probed against 0.909 for
 * [q_i, b_i] (docs/perf/serve.md), and a k-means of 9 dimensions, not 65.
 * It lives here, beside k-means, because the model layer does not call
 * into analysis. */
#include "analysis_impl.h"
#include "../model/ann.h"

#include <math.h>
#include <string.h>

mfr_index_params mfr_index_params_default(void) {
    return (mfr_index_params){.kind = MFR_INDEX_EXACT, .lists = 0, .nprobe = 0, .seed = 42,
                              .max_iter = 10};
}

/* nprobe 0: m->ann's nprobe, the smallest of these (then every list) whose
 * recall@10 (the approximate lists' share of the exact lists' movies, the
 * default recommendation parameters) over up to MFR_INDEX_TUNE_USERS model
 * users drawn with seed reaches MFR_INDEX_RECALL; a->recall that share. */
static mfr_status tune_nprobe(mfr_model *m, uint64_t seed, mfr_error *err) {
    static const int32_t steps[] = {1,  2,  3,  4,  6,  8,   10,  12,  14,  16,  18,  20,
                                    24, 28, 32, 40, 48, 64,  96,  128, 192, 256, 384, 512};
    enum { N = 10 };
    mfr__ann *a = m->ann;
    int32_t nu = m->n_users < MFR_INDEX_TUNE_USERS ? m->n_users : MFR_INDEX_TUNE_USERS;
    if (nu < 1) {
        a->nprobe = a->lists < MFR_INDEX_NPROBE ? a->lists : MFR_INDEX_NPROBE;
        return MFR_OK;
    }
    int32_t *user = mfr__malloc((size_t)nu * sizeof *user), *got = mfr__malloc((size_t)nu * sizeof *got);
    mfr_scored *exact = mfr__malloc((size_t)nu * N * sizeof *exact), row[N];
    mfr_status st = MFR_OK;
    if (!user || !got || !exact) {
        st = mfr__nomem(err, "index tuning");
        goto done;
    }
    mfr__rng r;
    mfr__rng_seed(&r, seed);
    mfr_recommend_params rp = mfr_recommend_params_default();
    rp.n = N;
    m->ann = NULL; /* the exact lists */
    for (int32_t j = 0; j < nu && !st; j++) {
        user[j] = (int32_t)mfr__rng_below(&r, (uint64_t)m->n_users);
        st = mfr_model_recommend(m, user[j], &rp, exact + (size_t)j * N, &got[j], err);
    }
    m->ann = a;
    for (size_t s = 0; !st && s <= sizeof steps / sizeof *steps; s++) {
        a->nprobe = s < sizeof steps / sizeof *steps && steps[s] < a->lists ? steps[s] : a->lists;
        int64_t hit = 0, want = 0;
        for (int32_t j = 0; j < nu && !st; j++) {
            int32_t n = 0;
            st = mfr_model_recommend(m, user[j], &rp, row, &n, err);
            for (int32_t x = 0; x < got[j]; x++)
                for (int32_t y = 0; y < n; y++) hit += row[y].item == exact[(size_t)j * N + x].item;
            want += got[j];
        }
        a->recall = want ? (double)hit / (double)want : 1.0;
        if (a->recall >= MFR_INDEX_RECALL || a->nprobe == a->lists) break;
    }
done:
    mfr__free(user);
    mfr__free(got);
    mfr__free(exact);
    return st;
}

int mfr_model_index_info(const mfr_model *m, int32_t *lists, int32_t *nprobe, double *recall) {
    const mfr__ann *a = m ? m->ann : NULL;
    *lists = a ? a->lists : 0, *nprobe = a ? a->nprobe : 0, *recall = a ? a->recall : -1.0;
    return 0;
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
    if (p->lists < 0 || p->nprobe < 0 || p->max_iter < 0)
        return mfr__err(err, MFR_E_INVALID,
                        "index: lists %d, nprobe %d, max_iter %d (need lists >= 0, nprobe >= 0, "
                        "max_iter >= 0)", (int)p->lists, (int)p->nprobe, (int)p->max_iter);
    if (!mfr__ann_supported(m)) return mfr__ann_set(m, 1, NULL, NULL, 1, 1, err); /* its message */
    const mfr__qindex *x = m->qindex;
    int32_t n = m->n_items, k = m->k, cd = x->rot ? 2 * x->pre : k, d = cd + 1;
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
    double *w = mfr__calloc((size_t)d, sizeof *w);
    mfr_status st;
    if (!X || !C || !assign || !w) {
        st = mfr__nomem(err, "index clustering");
    } else {
        float t[512];
        for (int32_t u = 0; cd < k && m->P && u < m->n_users; u++) { /* the users' mean squares */
            mfr__qindex_rotate(x, m->P + (size_t)u * k, t);
            for (int32_t c = 0; c < cd; c++) w[c] += (double)t[c] * t[c] / m->n_users;
        }
        for (int32_t c = 0; c < cd; c++) w[c] = cd < k && w[c] > 0.0 ? sqrt(w[c]) : 1.0;
        for (int32_t i = 0; i < n; i++) {
            float *row = X + (size_t)i * d;
            if (cd < k) {
                mfr__qindex_rotate(x, m->Q + (size_t)i * k, t);
                memcpy(row, t, (size_t)cd * sizeof *X);
            } else {
                memcpy(row, m->Q + (size_t)i * k, (size_t)k * sizeof *X);
            }
            for (int32_t c = 0; c < cd; c++) row[c] = (float)(row[c] * w[c]);
            row[cd] = m->item_bias ? m->item_bias[i] : 0.f;
        }
        st = mfr_kmeans(X, n, d, lists, p->seed, p->max_iter ? p->max_iter : 10, assign, C, NULL,
                        err);
        for (int32_t c = 0; !st && c < lists; c++) /* back to the unweighted coordinates */
            for (int32_t f = 0; f < cd; f++) C[(size_t)c * d + f] = (float)(C[(size_t)c * d + f] / w[f]);
        mfr__ann *old = m->ann; /* kept until the new one is whole */
        m->ann = NULL;
        if (!st) st = mfr__ann_set(m, lists, assign, C, cd, p->nprobe ? p->nprobe : 1, err);
        if (!st && !p->nprobe) st = tune_nprobe(m, p->seed, err);
        if (st) {
            mfr__ann_free(m->ann);
            m->ann = old;
        } else {
            mfr__ann_free(old);
            if (!p->nprobe && m->ann->recall >= 0.0)
                mfr__log(MFR_LOG_INFO, "approximate index: %d lists, nprobe %d: recall@10 %.3f "
                         "against the exact lists of %d model users", (int)m->ann->lists,
                         (int)m->ann->nprobe, m->ann->recall,
                         (int)(m->n_users < MFR_INDEX_TUNE_USERS ? m->n_users : MFR_INDEX_TUNE_USERS));
        }
    }
    mfr__free(w);
    mfr__free(X);
    mfr__free(C);
    mfr__free(assign);
    return st;
}
