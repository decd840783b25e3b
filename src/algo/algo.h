/* algo.h — what the model families (src/algo) share: the interface they
 * implement (src/model/family.h), the progress helper, and each family's
 * vtable for registry.c. */
#ifndef MFR_ALGO_H
#define MFR_ALGO_H

#include "../model/family.h"

/* Shared helper for iterative fits: reports progress (epoch, rmse) through
 * ctx->p->progress; returns non-zero when the host asked to cancel. */
int mfr__report_epoch(const mfr__fit_ctx *ctx, int32_t epoch, int32_t epochs,
                      double train_rmse, double valid_rmse, double t0);

/* Each family's vtable (src/algo/<family>.c). */
extern const mfr__algo mfr__algo_sgd, mfr__algo_adam, mfr__algo_als,
    mfr__algo_svd, mfr__algo_svdpp, mfr__algo_ials, mfr__algo_nmf,
    mfr__algo_bmf, mfr__algo_baseline, mfr__algo_knn_user, mfr__algo_knn_item,
    mfr__algo_content, mfr__algo_hybrid, mfr__algo_ease, mfr__algo_auto,
    mfr__algo_bpr, mfr__algo_bfm,
    mfr__algo_slopeone, mfr__algo_cocluster, mfr__algo_timesvdpp,
    mfr__algo_autorec, mfr__algo_vae;

#endif
