/* registry.c — the table from mfr_algo to each family's vtable (the
 * families live in src/algo; the model holds the table and calls them through
 * it, so src/algo calls the model and never the other way), and the tests'
 * override hook. */
#include "family.h"
#include "model_impl.h"

/* Test hook: a vtable that replaces the built one for algorithm a (NULL
 * restores it). Lets tests drive mfr_model_train with a tiny test-only fit.
 * Not thread-safe; tests only. */
static const mfr__algo *overrides[MFR_ALGO__COUNT];

void mfr__algo_set_override(mfr_algo a, const mfr__algo *vt) {
    if ((int)a >= 0 && a < MFR_ALGO__COUNT) overrides[a] = vt;
}

/* Indexed by mfr_algo; every family is built (a new one adds its row). */
static const mfr__algo *const table[MFR_ALGO__COUNT] = {
    [MFR_ALGO_SGD] = &mfr__algo_sgd,         [MFR_ALGO_ADAM] = &mfr__algo_adam,
    [MFR_ALGO_ALS] = &mfr__algo_als,         [MFR_ALGO_SVD] = &mfr__algo_svd,
    [MFR_ALGO_SVDPP] = &mfr__algo_svdpp,     [MFR_ALGO_IALS] = &mfr__algo_ials,
    [MFR_ALGO_NMF] = &mfr__algo_nmf,         [MFR_ALGO_BMF] = &mfr__algo_bmf,
    [MFR_ALGO_BASELINE] = &mfr__algo_baseline,
    [MFR_ALGO_KNN_USER] = &mfr__algo_knn_user, [MFR_ALGO_KNN_ITEM] = &mfr__algo_knn_item,
    [MFR_ALGO_CONTENT] = &mfr__algo_content, [MFR_ALGO_HYBRID] = &mfr__algo_hybrid,
    [MFR_ALGO_EASE] = &mfr__algo_ease,       [MFR_ALGO_AUTO] = &mfr__algo_auto,
    [MFR_ALGO_BPR] = &mfr__algo_bpr,         [MFR_ALGO_BFM] = &mfr__algo_bfm,
    [MFR_ALGO_SLOPEONE] = &mfr__algo_slopeone, [MFR_ALGO_COCLUSTER] = &mfr__algo_cocluster,
    [MFR_ALGO_TIMESVDPP] = &mfr__algo_timesvdpp,
    [MFR_ALGO_AUTOREC] = &mfr__algo_autorec, [MFR_ALGO_VAE] = &mfr__algo_vae,
};

const mfr__algo *mfr__algo_get(mfr_algo a) {
    if ((int)a < 0 || a >= MFR_ALGO__COUNT) return NULL;
    return overrides[a] ? overrides[a] : table[a];
}
