/* slopeone.c — weighted Slope One (Lemire & Maclachlan 2005, "Slope One
 * Predictors for Online Rating-Based Collaborative Filtering", SDM):
 *
 *     dev_ij = Σ_{v∈U_ij} (r_vi − r_vj) / c_ij,    c_ij = |U_ij|
 *     r̂_ui  = Σ_{j∈R(u), j≠i, c_ij>0} (dev_ij + r_uj) c_ij / Σ_j c_ij
 *
 * with U_ij the training users who rated both i and j and R(u) the movies u
 * rated. No pair overlaps (Σ c_ij = 0): the baseline μ + b_u + b_i (the
 * fixed baseline of the families without factors, reg 15 / 10, kept in
 * user_bias / item_bias; Surprise answers μ_u there). Surprise's SlopeOne is
 * the unweighted form, μ_u + the mean of dev_ij over the same j.
 *
 * No deviation matrix is stored: since Σ_j c_ij dev_ij = Σ_j Σ_{v∈U_ij}
 * (r_vi − r_vj), the numerator regroups by the other user v,
 *
 *     num_i = Σ_{v∈U_i} Σ_{j∈R(v)∩R(u), j≠i} (r_vi − r_vj + r_uj),
 *     den_i = Σ_{v∈U_i} |R(v)∩R(u) \ {i}|,
 *
 * so one prediction walks the raters of i and their movies (the model's seen
 * lists and the by-movie view attach builds from them), and every movie of
 * one user at once costs one pass over the ratings: with n_v = |R(v)∩R(u)|
 * and s_v = Σ_{j∈R(v)∩R(u)} (r_uj − r_vj), num_i = Σ_{v∈U_i} (n_v r_vi + s_v)
 * and den_i = Σ_{v∈U_i} n_v, less the j = i terms (|U_i| r_ui and |U_i|)
 * when u rated i. The n_items² pair table (760 MB for ml-latest-small's 9,742
 * movies in floats and counts) is never built; memory is the ratings twice
 * (8 bytes each, by user and by movie) and the file holds only the common
 * sections. A user who is not in the model is answered the same way from
 * their ratings (rank_user; their stars are the fallback μ + b_i, as for the
 * other families without factors). Deterministic: no randomness at all. */
#include "baseline.h"

#include <math.h>
#include <string.h>

typedef struct slopeone_state {
    int64_t *iptr;   /* [n_items + 1] by-movie view of the seen lists */
    int32_t *iuser;  /* [nnz] raters, ascending */
    float *irat;     /* [nnz] their ratings */
} slopeone_state;

static void slopeone_defaults(mfr_train_params *p) {
    p->factors = 0;
    p->epochs = 0;
}

static void slopeone_release(mfr_model *m) {
    slopeone_state *s = m->algo_state;
    if (!s) return;
    mfr__free(s->iptr), mfr__free(s->iuser), mfr__free(s->irat);
    mfr__free(s);
    m->algo_state = NULL;
}

/* The by-movie view of the seen lists (a counting sort: raters ascending). */
static mfr_status slopeone_attach(mfr_model *m, mfr_error *err) {
    if (!m->seen_rating)
        return mfr__err(err, MFR_E_FORMAT, "slopeone: the model keeps no training ratings (SRAT)");
    if (m->k != 0) return mfr__err(err, MFR_E_FORMAT, "slopeone: k = %d, expected 0", (int)m->k);
    slopeone_release(m);
    int64_t nnz = m->seen_ptr[m->n_users];
    slopeone_state *s = mfr__calloc(1, sizeof *s);
    if (!s) return mfr__nomem(err, "slopeone state");
    s->iptr = mfr__calloc((size_t)m->n_items + 1, sizeof *s->iptr);
    s->iuser = mfr__malloc(sizeof *s->iuser * (size_t)(nnz > 0 ? nnz : 1));
    s->irat = mfr__malloc(sizeof *s->irat * (size_t)(nnz > 0 ? nnz : 1));
    m->algo_state = s;
    if (!s->iptr || !s->iuser || !s->irat) {
        slopeone_release(m);
        return mfr__nomem(err, "slopeone by-movie view");
    }
    for (int64_t e = 0; e < nnz; e++) s->iptr[m->seen_item[e] + 1]++;
    for (int32_t i = 0; i < m->n_items; i++) s->iptr[i + 1] += s->iptr[i];
    int64_t *fill = s->iptr; /* advanced per movie, then shifted back */
    for (int32_t u = 0; u < m->n_users; u++)
        for (int64_t e = m->seen_ptr[u]; e < m->seen_ptr[u + 1]; e++) {
            int32_t i = m->seen_item[e];
            int64_t q = fill[i]++;
            s->iuser[q] = u, s->irat[q] = m->seen_rating[e];
        }
    for (int32_t i = m->n_items; i > 0; i--) s->iptr[i] = s->iptr[i - 1];
    s->iptr[0] = 0;
    return MFR_OK;
}

/* x[j] = the rating u gave j, NaN where u did not rate j. */
static void user_row(const mfr_model *m, int32_t u, float *x) {
    for (int32_t j = 0; j < m->n_items; j++) x[j] = NAN;
    for (int64_t e = m->seen_ptr[u]; e < m->seen_ptr[u + 1]; e++) x[m->seen_item[e]] = m->seen_rating[e];
}

/* r̂_ui for the user whose ratings are x (NaN: not rated), i in range: the
 * raters of i and their movies; NaN when no pair overlaps. */
static double predict_row(const mfr_model *m, const slopeone_state *s, const float *x, int32_t i) {
    double num = 0.0, den = 0.0;
    for (int64_t p = s->iptr[i]; p < s->iptr[i + 1]; p++) {
        int32_t v = s->iuser[p];
        double rvi = s->irat[p];
        for (int64_t e = m->seen_ptr[v]; e < m->seen_ptr[v + 1]; e++) {
            int32_t j = m->seen_item[e];
            if (j == i || isnan(x[j])) continue;
            num += rvi - m->seen_rating[e] + x[j];
            den += 1.0;
        }
    }
    return den > 0 ? num / den : NAN;
}

static float slopeone_predict(const mfr_model *m, int32_t u, int32_t i) {
    const slopeone_state *s = m->algo_state;
    float base = mfr__predict_bias(m, u, i);
    if (!s || u < 0 || i < 0) return base;
    float *x = mfr__malloc(sizeof *x * (size_t)m->n_items);
    if (!x) return base; /* no memory: the baseline */
    user_row(m, u, x);
    double r = predict_row(m, s, x, i);
    mfr__free(x);
    return isnan(r) ? base : (float)r;
}

/* Every movie's r̂ for the user whose ratings are x into out (NaN where no
 * pair overlaps), by the regrouped sums of the header; nv, sv: n_users
 * doubles each. */
static void predict_all(const mfr_model *m, const slopeone_state *s, const float *x, double *nv,
                        double *sv, float *out) {
    memset(nv, 0, sizeof *nv * (size_t)m->n_users);
    memset(sv, 0, sizeof *sv * (size_t)m->n_users);
    for (int32_t j = 0; j < m->n_items; j++) {
        if (isnan(x[j])) continue;
        for (int64_t p = s->iptr[j]; p < s->iptr[j + 1]; p++) {
            int32_t v = s->iuser[p];
            nv[v] += 1.0;
            sv[v] += (double)x[j] - s->irat[p];
        }
    }
    for (int32_t i = 0; i < m->n_items; i++) {
        double num = 0.0, den = 0.0;
        for (int64_t p = s->iptr[i]; p < s->iptr[i + 1]; p++) {
            int32_t v = s->iuser[p];
            num += nv[v] * s->irat[p] + sv[v];
            den += nv[v];
        }
        if (!isnan(x[i])) { /* j = i is no pair: every rater of i had it */
            double c = (double)(s->iptr[i + 1] - s->iptr[i]);
            num -= c * x[i], den -= c;
        }
        out[i] = den > 0.5 ? (float)(num / den) : NAN;
    }
}

/* x, nv, sv for predict_all; 0 on no memory. */
static int scratch(const mfr_model *m, float **x, double **nv) {
    *x = mfr__malloc(sizeof **x * ((size_t)m->n_items + 1));
    *nv = mfr__malloc(sizeof **nv * 2 * ((size_t)m->n_users + 1));
    if (*x && *nv) return 1;
    mfr__free(*x), mfr__free(*nv);
    return 0;
}

static void slopeone_score_user(const mfr_model *m, int32_t u, float *scores) {
    const slopeone_state *s = m->algo_state;
    float *x;
    double *nv;
    if (!s || !scratch(m, &x, &nv)) { /* no memory: the baseline */
        for (int32_t i = 0; i < m->n_items; i++) scores[i] = mfr__predict_bias(m, u, i);
        return;
    }
    user_row(m, u, x);
    predict_all(m, s, x, nv, nv + m->n_users, scores);
    for (int32_t i = 0; i < m->n_items; i++)
        if (isnan(scores[i])) scores[i] = mfr__predict_bias(m, u, i);
    mfr__free(x), mfr__free(nv);
}

/* A user who is not in the model: Slope One from their ratings (unknown
 * movies and NaN ratings skipped), the baseline with their own bias where no
 * pair overlaps. A trained user's ranking is their predicted rating. */
static void slopeone_rank_user(const mfr_model *m, const mfr__who *w, const float *pred,
                               float *rank) {
    const slopeone_state *s = m->algo_state;
    float *x;
    double *nv;
    if (w->u >= 0 || !s || !scratch(m, &x, &nv)) {
        if (rank != pred) memcpy(rank, pred, sizeof *rank * (size_t)m->n_items);
        return;
    }
    for (int32_t j = 0; j < m->n_items; j++) x[j] = NAN;
    for (int32_t j = 0; j < w->n; j++) {
        float r = mfr__who_rating(m, w, j);
        if (!isnan(r)) x[w->items[j]] = r;
    }
    float bu = mfr__who_bias(m, w, m->item_bias, MFR__BASELINE_15.reg_user);
    predict_all(m, s, x, nv, nv + m->n_users, rank);
    for (int32_t i = 0; i < m->n_items; i++)
        if (isnan(rank[i])) rank[i] = m->mu + bu + m->item_bias[i];
    mfr__free(x), mfr__free(nv);
}

static mfr_status slopeone_fit(mfr_model *m, const mfr__fit_ctx *ctx, mfr_error *err) {
    if (ctx->train->n <= 0) return mfr__err(err, MFR_E_INVALID, "slopeone: no training ratings");
    mfr_status st = mfr__model_alloc_factors(m, 0, err);
    if (st) return st;
    mfr__csr bu, bi;
    if ((st = mfr__csr_pair(ctx->train, m->n_users, m->n_items, &bu, &bi, err))) return st;
    mfr__baseline_fit(&bu, &bi, m->mu, &MFR__BASELINE_15, m->user_bias, m->item_bias);
    mfr__csr_free(&bu), mfr__csr_free(&bi);
    m->epochs_run = 1;
    return slopeone_attach(m, err);
}

const mfr__algo mfr__algo_slopeone = {
    .id = MFR_ALGO_SLOPEONE,
    .fit = slopeone_fit,
    .predict = slopeone_predict,
    .score_user = slopeone_score_user,
    .rank_user = slopeone_rank_user,
    .attach = slopeone_attach,
    .release = slopeone_release,
    .defaults = slopeone_defaults,
};
