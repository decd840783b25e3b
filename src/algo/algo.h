/* algo.h — what the model families (src/algo) share: the interface they
 * implement and their vtables (src/model/family.h), and the progress helper. */
#ifndef MFR_ALGO_H
#define MFR_ALGO_H

#include "../model/family.h"

/* Shared helper for iterative fits: reports progress (epoch, rmse) through
 * ctx->p->progress; MFR_E_CANCELLED (mfr__cancelled's) when the host asked
 * to cancel, else MFR_OK. */
mfr_status mfr__report_epoch(const mfr__fit_ctx *ctx, const char *family, int32_t epoch,
                             int32_t epochs, double train_rmse, double valid_rmse, double t0,
                             mfr_error *err);

/* Cancellation during a fit: the status to return (MFR_E_CANCELLED, message
 * naming the family and epoch). The model keeps the last completed epoch. */
mfr_status mfr__cancelled(mfr_error *err, const char *family, int32_t epoch);

#endif
