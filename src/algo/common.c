/* common.c — progress reporting with an ETA, shared by the iterative fits.
 * (Prediction and RMSE belong to the model: src/model/score.c.) */
#include "algo.h"

#include <math.h>

mfr_status mfr__cancelled(mfr_error *err, const char *family, int32_t epoch) {
    return mfr__err(err, MFR_E_CANCELLED, "%s: training cancelled after epoch %d",
                    family, epoch);
}

mfr_status mfr__report_epoch(const mfr__fit_ctx *ctx, const char *family, int32_t epoch,
                             int32_t epochs, double train_rmse, double valid_rmse, double t0,
                             mfr_error *err) {
    if (!ctx->p->progress) return MFR_OK;
    double el = mfr__now() - t0;
    mfr_progress pr = {
        .stage = "train", .step = epoch, .steps = epochs,
        .train_rmse = train_rmse, .valid_rmse = valid_rmse, .loss = NAN,
        .elapsed_s = el,
        .eta_s = epoch > 0 && epochs > 0 ? el / epoch * (epochs - epoch) : NAN,
    };
    return ctx->p->progress(&pr, ctx->p->progress_user) ? mfr__cancelled(err, family, epoch)
                                                        : MFR_OK;
}
