/* score.c — the one scoring function behind every list: recommend, the
 * batch, eval's ranking metrics and the server all come through
 * mfr__model_score (see model_impl.h).
 *
 * mfr_model_predict (one rating, clipped) lives here too.
 *
 * Predicted ratings: the family's score_user for a trained user when it has
 * one, else the biased-MF formula μ + b_u + b_i + p_u·q_i through the
 * vectorised row kernel over Q (contiguous, row-major; topn.c), else one
 * vt->predict call per item. A user who is not in the model is scored from
 * their folded-in vector [b_u, p_u] with the same kernel, or, without one,
 * by the model's fallback μ + b_i.
 *
 * Ranking scores: the family's rank_user hook (ranking families: ease,
 * auto) given the predictions (or without them, for a family that computes
 * the few it needs itself: rank_without_pred), else the predictions
 * themselves. A user with no ratings at all is ranked by popularity
 * (training rating count): there is nothing else to go on. The predicted
 * rating a list shows is computed for its rows only
 * (mfr__model_predict_rows). */
#include "topn.h"
#include "index.h"
#include "family.h"

#include <math.h>
#include <string.h>

float mfr__predict_bias(const mfr_model *m, int32_t u, int32_t i) {
    float r = m->mu;
    if (u >= 0 && u < m->n_users && m->user_bias) r += m->user_bias[u];
    if (i >= 0 && i < m->n_items && m->item_bias) r += m->item_bias[i];
    return r;
}

void mfr__score_bias(const mfr_model *m, int32_t u, float *scores) {
    float b = m->mu + (m->user_bias ? m->user_bias[u] : 0.f);
    for (int32_t i = 0; i < m->n_items; i++) scores[i] = b + (m->item_bias ? m->item_bias[i] : 0.f);
}

float mfr__predict_mf(const mfr_model *m, int32_t u, int32_t i) {
    float r = mfr__predict_bias(m, u, i);
    if (u >= 0 && u < m->n_users && i >= 0 && i < m->n_items && m->k > 0 && m->P && m->Q)
        r += mfr__dot_ref(m->P + (size_t)u * m->k, m->Q + (size_t)i * m->k, m->k);
    return r;
}

float mfr__clip(const mfr_model *m, float r) {
    if (isnan(r)) r = m->mu;
    return r < m->rmin ? m->rmin : r > m->rmax ? m->rmax : r;
}

float mfr_model_predict(const mfr_model *m, int32_t u, int32_t i) {
    if (u < 0 || u >= m->n_users) u = -1;
    if (i < 0 || i >= m->n_items) i = -1;
    float r = m->vt && m->vt->predict ? m->vt->predict(m, u, i) : mfr__predict_mf(m, u, i);
    return mfr__clip(m, r);
}

float mfr_model_predict_at(const mfr_model *m, int32_t u, int32_t i, int64_t t) {
    if (!m->vt || !m->vt->predict_at) return mfr_model_predict(m, u, i);
    if (u < 0 || u >= m->n_users) u = -1;
    if (i < 0 || i >= m->n_items) i = -1;
    return mfr__clip(m, m->vt->predict_at(m, u, i, t));
}

/* With timestamps each rating is predicted at its own time. */
double mfr__rmse(const mfr_model *m, const mfr_ratings *r) {
    if (!r || r->n <= 0) return NAN;
    double se = 0.0;
    for (int64_t j = 0; j < r->n; j++) {
        float p = r->time ? mfr_model_predict_at(m, r->user[j], r->item[j], r->time[j])
                          : mfr_model_predict(m, r->user[j], r->item[j]);
        double e = (double)p - r->rating[j];
        se += e * e;
    }
    return sqrt(se / (double)r->n);
}

int mfr__who_vector(const mfr_model *m, const mfr__who *w, const float **pu, float *base) {
    *base = m->mu;
    *pu = NULL;
    if (w->u >= 0) {
        *base += m->user_bias ? m->user_bias[w->u] : 0.f;
        *pu = m->k > 0 && m->P && m->Q ? m->P + (size_t)w->u * m->k : NULL;
    } else if (w->vec) {
        *base += w->vec[0];
        *pu = m->k > 0 && m->Q ? w->vec + 1 : NULL;
    }
    return *pu != NULL;
}

/* The cases mfr__model_score orders by predict_all's biased-MF rows. */
int mfr__who_mf(const mfr_model *m, const mfr__who *w, const float **p, float *base) {
    const mfr__algo *vt = m->vt;
    if ((w->u < 0 && w->n == 0) || (vt && vt->rank_user)) return 0;
    if (w->u >= 0 && vt && (vt->score_user || vt->predict)) return 0;
    return mfr__who_vector(m, w, p, base);
}

void mfr__model_predict_rows(const mfr_model *m, const mfr__who *w, const int32_t *idx, int32_t n,
                             float *out) {
    const mfr__algo *vt = m->vt;
#define ITEM(j) (idx ? idx[j] : (j))
    if (w->u >= 0 && vt && vt->predict) {
        for (int32_t j = 0; j < n; j++) out[j] = vt->predict(m, w->u, ITEM(j));
        return;
    }
    const float *pu = NULL;
    float base = m->mu;
    if (mfr__who_vector(m, w, &pu, &base)) {
        if (idx) mfr__score_rows_idx(m->Q, m->k, pu, idx, n, base, m->item_bias, out);
        else mfr__score_rows(m->Q, m->k, pu, 0, n, base, m->item_bias, out);
        return;
    }
    if (w->u < 0 && vt && vt->predict) { /* fallback of a family with its own predictor */
        for (int32_t j = 0; j < n; j++) out[j] = vt->predict(m, -1, ITEM(j));
        return;
    }
    for (int32_t j = 0; j < n; j++) out[j] = base + (m->item_bias ? m->item_bias[ITEM(j)] : 0.f);
#undef ITEM
}

/* Predicted ratings (unclipped) of every item for w into pred. */
static void predict_all(const mfr_model *m, const mfr__who *w, float *pred) {
    if (w->u >= 0 && m->vt && m->vt->score_user) m->vt->score_user(m, w->u, pred);
    else mfr__model_predict_rows(m, w, NULL, m->n_items, pred);
}

mfr_status mfr__model_score(const mfr_model *m, const mfr__who *w, float *rank, float *scratch,
                            mfr_error *err) {
    (void)err;
    const mfr__algo *vt = m->vt;
    if (w->u < 0 && w->n == 0) { /* nobody to personalise for: most rated first */
        for (int32_t i = 0; i < m->n_items; i++) rank[i] = (float)m->item_count[i];
        return MFR_OK;
    }
    if (vt && vt->rank_user && vt->rank_without_pred) {
        vt->rank_user(m, w, NULL, rank);
        return MFR_OK;
    }
    predict_all(m, w, scratch);
    if (vt && vt->rank_user) vt->rank_user(m, w, scratch, rank);
    else memcpy(rank, scratch, (size_t)m->n_items * sizeof *rank);
    return MFR_OK;
}
