/* registry.c — the table from mfr_algo to each family's vtable.
 * CMake defines MFR_HAVE_ALGO_<FILE> for each src/algo/<file>.c present, so a
 * family not built yet resolves to NULL and training it reports
 * MFR_E_UNSUPPORTED instead of failing to link. */
#include "algo.h"

/* Test hook: a vtable that replaces the built one for algorithm a (NULL
 * restores it). Lets tests drive mfr_model_train with a tiny test-only fit.
 * Not thread-safe; tests only. */
static const mfr__algo *overrides[MFR_ALGO__COUNT];

void mfr__algo_set_override(mfr_algo a, const mfr__algo *vt) {
    if ((int)a >= 0 && a < MFR_ALGO__COUNT) overrides[a] = vt;
}

const mfr__algo *mfr__algo_get(mfr_algo a) {
    if ((int)a >= 0 && a < MFR_ALGO__COUNT && overrides[a]) return overrides[a];
    switch (a) {
#ifdef MFR_HAVE_ALGO_SGD
    case MFR_ALGO_SGD: return &mfr__algo_sgd;
#endif
#ifdef MFR_HAVE_ALGO_ADAM
    case MFR_ALGO_ADAM: return &mfr__algo_adam;
#endif
#ifdef MFR_HAVE_ALGO_ALS
    case MFR_ALGO_ALS: return &mfr__algo_als;
#endif
#ifdef MFR_HAVE_ALGO_SVD
    case MFR_ALGO_SVD: return &mfr__algo_svd;
#endif
#ifdef MFR_HAVE_ALGO_SVDPP
    case MFR_ALGO_SVDPP: return &mfr__algo_svdpp;
#endif
#ifdef MFR_HAVE_ALGO_IALS
    case MFR_ALGO_IALS: return &mfr__algo_ials;
#endif
#ifdef MFR_HAVE_ALGO_NMF
    case MFR_ALGO_NMF: return &mfr__algo_nmf;
#endif
#ifdef MFR_HAVE_ALGO_BMF
    case MFR_ALGO_BMF: return &mfr__algo_bmf;
#endif
#ifdef MFR_HAVE_ALGO_BASELINE
    case MFR_ALGO_BASELINE: return &mfr__algo_baseline;
#endif
#ifdef MFR_HAVE_ALGO_KNN
    case MFR_ALGO_KNN_USER: return &mfr__algo_knn_user;
    case MFR_ALGO_KNN_ITEM: return &mfr__algo_knn_item;
#endif
#ifdef MFR_HAVE_ALGO_CONTENT
    case MFR_ALGO_CONTENT: return &mfr__algo_content;
#endif
#ifdef MFR_HAVE_ALGO_HYBRID
    case MFR_ALGO_HYBRID: return &mfr__algo_hybrid;
#endif
#ifdef MFR_HAVE_ALGO_EASE
    case MFR_ALGO_EASE: return &mfr__algo_ease;
#endif
#ifdef MFR_HAVE_ALGO_AUTO
    case MFR_ALGO_AUTO: return &mfr__algo_auto;
#endif
#ifdef MFR_HAVE_ALGO_BPR
    case MFR_ALGO_BPR: return &mfr__algo_bpr;
#endif
    default: return NULL;
    }
}
