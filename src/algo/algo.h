/* algo.h — what the model families (src/algo) share: the interface they
 * implement and their vtables (src/model/family.h), and the progress helper. */
#ifndef MFR_ALGO_H
#define MFR_ALGO_H

#include "../model/family.h"

/* Shared helper for iterative fits: reports progress (epoch, rmse) through
 * ctx->p->progress; returns non-zero when the host asked to cancel. */
int mfr__report_epoch(const mfr__fit_ctx *ctx, int32_t epoch, int32_t epochs,
                      double train_rmse, double valid_rmse, double t0);

#endif
