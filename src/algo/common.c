/* common.c — pieces every fit shares: the biased-MF prediction, RMSE on a
 * ratings view, and progress reporting with an ETA. */
#include "algo.h"

#include <math.h>

float mfr__predict_mf(const mfr_model *m, int32_t u, int32_t i) {
    float r = m->mu;
    int ku = u >= 0 && u < m->n_users, ki = i >= 0 && i < m->n_items;
    if (ku && m->user_bias) r += m->user_bias[u];
    if (ki && m->item_bias) r += m->item_bias[i];
    if (ku && ki && m->k > 0 && m->P && m->Q) {
        const float *p = m->P + (size_t)u * m->k, *q = m->Q + (size_t)i * m->k;
        float dot = 0.f;
        for (int32_t f = 0; f < m->k; f++) dot += p[f] * q[f];
        r += dot;
    }
    return r;
}

double mfr__rmse(const mfr_model *m, const mfr_ratings *r) {
    if (!r || r->n <= 0) return NAN;
    double se = 0.0;
    for (int64_t j = 0; j < r->n; j++) {
        double e = (double)mfr_model_predict(m, r->user[j], r->item[j]) - r->rating[j];
        se += e * e;
    }
    return sqrt(se / (double)r->n);
}

int mfr__report_epoch(const mfr__fit_ctx *ctx, int32_t epoch, int32_t epochs,
                      double train_rmse, double valid_rmse, double t0) {
    if (!ctx->p->progress) return 0;
    double el = mfr_now() - t0;
    mfr_progress pr = {
        .stage = "train", .step = epoch, .steps = epochs,
        .train_rmse = train_rmse, .valid_rmse = valid_rmse, .loss = NAN,
        .elapsed_s = el,
        .eta_s = epoch > 0 && epochs > 0 ? el / epoch * (epochs - epoch) : NAN,
    };
    return ctx->p->progress(&pr, ctx->p->progress_user);
}
