/* hybrid.c — a factor model blended with the content model.
 *
 * Prediction, with f_mf the base factor model's (clipped) μ + b_u + b_i +
 * p_u·q_i, f_c the content model's b̃_ui + α·cos(p̃_u, v_i) (content.c; b̃
 * its own ALS baseline), n_i the movie's training ratings and
 * λ_i = n_i / (n_i + κ), κ = 5:
 *
 *   r̂_ui = λ_i (w0 + w1 f_mf + w2 f_c) + (1 − λ_i) f_c
 *
 * so a movie with no ratings is predicted by content alone and the blend
 * takes over as ratings accumulate. The weights w are fitted by least squares
 * (normal equations, tiny ridge) on a validation split of 10% of the training
 * ratings drawn from the seed, against a base model and a content model
 * trained on the other 90%; both are then retrained on all the training
 * ratings (stacking; Koren, "The BellKor solution to the Netflix Grand Prize",
 * 2009, blends predictors the same way on a probe set).
 *
 * Cold movies in factor space: a movie with no training ratings (whose base
 * factors are just the random start) gets
 *   q_i = Σ_j s_ij q_j / Σ_j s_ij,  b_i likewise,
 * over its 20 most content-similar movies with >= κ ratings (s = TF-IDF
 * cosine, found through an inverted term index), so factor-based similar
 * lists, recommendations, maps and clusters place a new movie among the
 * movies it resembles. (Pulling movies with 1..κ−1 ratings the same way was
 * measured: 0.0004 worse RMSE on ml-latest-small, so they keep their own.)
 *
 * The base family (params.hybrid_base, default sgd) must predict with the
 * biased-MF formula (its vtable has no predict hook); svdpp is refused.
 * Layout: P, Q, biases as for factor models (copied from the base); the CN*
 * sections of the content model; HYBU float[n_users] and HYBI float[n_items]
 * the content baseline; HYBW hybrid_weights. */
#include "content.h"
#include "baseline.h"
#include "../model/topn.h"

#include <math.h>
#include <string.h>

#define TAG_HU MFR_TAG('H', 'Y', 'B', 'U')
#define TAG_HI MFR_TAG('H', 'Y', 'B', 'I')
#define TAG_HW MFR_TAG('H', 'Y', 'B', 'W')
#define KAPPA 5.0f
#define COLD_NEIGHBOURS 20

typedef struct hybrid_weights {
    float w0, w1, w2, kappa;
    int32_t base_algo, reserved[3];
} hybrid_weights;

typedef struct hybrid_state {
    mfr__content_view cv;
    const float *cbu, *cbi;
    const hybrid_weights *w;
} hybrid_state;

/* ---- prediction --------------------------------------------------------- */

/* f_c with the given view and content baseline. */
static float content_part(const mfr_model *m, const mfr__content_view *v, const float *cbu,
                          const float *cbi, int32_t u, int32_t i) {
    float r = m->mu + (u >= 0 ? cbu[u] : 0.f) + (i >= 0 ? cbi[i] : 0.f);
    if (u >= 0 && i >= 0) r += v->h->alpha * mfr__content_cos(v, u, i);
    return r;
}

static float blend(const hybrid_weights *w, float fmf, float fc, int32_t n_i) {
    float lam = n_i > 0 ? (float)n_i / ((float)n_i + w->kappa) : 0.f;
    return lam * (w->w0 + w->w1 * fmf + w->w2 * fc) + (1.f - lam) * fc;
}

static float hybrid_predict(const mfr_model *m, int32_t u, int32_t i) {
    const hybrid_state *s = m->algo_state;
    float fmf = mfr__clip(m, mfr__predict_mf(m, u, i));
    if (!s) return fmf;
    float fc = content_part(m, &s->cv, s->cbu, s->cbi, u, i);
    return blend(s->w, fmf, fc, i >= 0 && m->item_count ? m->item_count[i] : 0);
}

/* A user who is not in the model (mfr__who u == -1): pred holds the base
 * model's prediction from the folded-in vector [b_u, p_u]; the content part
 * comes from the rated movies as for the content family (mfr__content_fold_cos
 * on the hybrid's own content baseline), with the cosine at one star as
 * there (content.c), and the two are blended as for a trained user:
 *   rank_i = blend(clip(pred_i), μ + b̃_new + b̃_i + cos(p, v_i), n_i)
 * On ml-latest-small three personas of five 5-star movies share 8..9 of 10
 * movies pairwise by the fold-in alone, 1..3 this way. Stars stay the
 * fold-in prediction; a trained user keeps the predicted order. */
static void hybrid_rank_user(const mfr_model *m, const mfr__who *w, const float *pred,
                             float *rank) {
    const hybrid_state *s = m->algo_state;
    int32_t n = m->n_items;
    if (w->u >= 0 || !s) {
        if (rank != pred) memcpy(rank, pred, sizeof(float) * (size_t)n);
        return;
    }
    float bu = mfr__who_bias(m, w, s->cbi, 15.f);
    int zero = mfr__content_fold_cos(m, &s->cv, w, bu, s->cbi, rank);
    for (int32_t i = 0; i < n; i++) {
        float fc = m->mu + bu + s->cbi[i] + (zero ? 0.f : rank[i]);
        rank[i] = blend(s->w, mfr__clip(m, pred[i]), fc, m->item_count ? m->item_count[i] : 0);
    }
}

/* ---- attach / release ------------------------------------------------------ */

static mfr_status hybrid_attach(mfr_model *m, mfr_error *err) {
    hybrid_state st;
    uint64_t su, si, sw;
    mfr_status s = mfr__content_view_get(m, &st.cv, err);
    if (s) return s;
    st.cbu = mfr__model_get_extra(m, TAG_HU, &su);
    st.cbi = mfr__model_get_extra(m, TAG_HI, &si);
    st.w = mfr__model_get_extra(m, TAG_HW, &sw);
    if (!st.cbu || !st.cbi || !st.w || su != sizeof(float) * (uint64_t)m->n_users ||
        si != sizeof(float) * (uint64_t)m->n_items || sw != sizeof(hybrid_weights))
        return mfr__err(err, MFR_E_FORMAT, "hybrid model: missing or bad HYBU/HYBI/HYBW section");
    return mfr__model_set_state(m, &st, sizeof st, "hybrid state", err);
}

/* ---- fit ---------------------------------------------------------------------- */

/* Content baseline (HYBU/HYBI sections: ALS biases around m->mu) and the
 * CN* sections, from ratings r. Replaces earlier sections of the same tags. */
static mfr_status build_content(mfr_model *m, const mfr__fit_ctx *ctx, const mfr_ratings *r,
                                mfr_error *err) {
    mfr__csr byu = {0}, byi = {0};
    float *cbu = mfr__aligned_alloc(sizeof(float) * (size_t)m->n_users + 1);
    float *cbi = mfr__aligned_alloc(sizeof(float) * (size_t)m->n_items + 1);
    mfr_status s = !cbu || !cbi ? mfr__nomem(err, "content baseline") : MFR_OK;
    if (!s) s = mfr__csr_build(r, 0, &byu, err);
    if (!s) s = mfr__csr_build(r, 1, &byi, err);
    if (!s) {
        mfr__baseline_fit(&byu, &byi, m->mu, &MFR__BASELINE_15, cbu, cbi);
        s = mfr__content_build(m, ctx, cbu, cbi, &byu, err);
    }
    if (s) mfr__free(cbu), mfr__free(cbi);
    else if ((s = mfr__model_add_extra(m, TAG_HU, cbu, sizeof(float) * (size_t)m->n_users, err)))
        mfr__free(cbi);
    else s = mfr__model_add_extra(m, TAG_HI, cbi, sizeof(float) * (size_t)m->n_items, err);
    mfr__csr_free(&byu);
    mfr__csr_free(&byi);
    return s;
}

/* Progress of the base trainings, passed on to the host: stage 1 (the
 * validation fit) reports as "hybrid: blend weights" and cannot be cancelled
 * (a half-built hybrid could not be saved); stage 2 reports as "train" and
 * may cancel, keeping the base model of the last completed epoch. */
typedef struct relay { const mfr__fit_ctx *ctx; int stage; } relay;

static int relay_progress(const mfr_progress *pr, void *user) {
    const relay *r = user;
    mfr_progress q = *pr;
    if (r->stage == 1) q.stage = "hybrid: blend weights";
    int stop = r->ctx->p->progress(&q, r->ctx->p->progress_user);
    return r->stage == 1 ? 0 : stop;
}

/* The base factor model on ratings r; MFR_E_CANCELLED (stage 2 only) still
 * leaves *out set. */
static mfr_status train_base(const mfr__fit_ctx *ctx, const mfr_ratings *r, int stage,
                             mfr_model **out, mfr_error *err) {
    mfr_train_params bp = *ctx->p;
    relay rl = {ctx, stage};
    bp.algo = ctx->p->hybrid_base;
    bp.progress = ctx->p->progress ? relay_progress : NULL, bp.progress_user = &rl;
    bp.valid_frac = 0.f, bp.early_stop = 0;
    bp.threads = ctx->threads;
    mfr_status s = mfr__model_train_with(ctx->ds, r, NULL, &bp, ctx->kern, out, err);
    if ((!s || s == MFR_E_CANCELLED) && (*out)->vt && (*out)->vt->predict) {
        mfr_model_free(*out);
        *out = NULL;
        return mfr__err(err, MFR_E_UNSUPPORTED,
                        "hybrid: hybrid_base = %s predicts with its own formula; use a plain "
                        "biased-MF family (sgd, adam, als, svd, nmf)", mfr_algo_name(bp.algo));
    }
    return s;
}

/* Solve the 3x3 system A w = b (Gaussian elimination, partial pivoting). */
static int solve3(double A[3][3], double b[3], double w[3]) {
    for (int c = 0; c < 3; c++) {
        int p = c;
        for (int r = c + 1; r < 3; r++)
            if (fabs(A[r][c]) > fabs(A[p][c])) p = r;
        if (fabs(A[p][c]) < 1e-12) return -1;
        for (int k = 0; k < 3; k++) {
            double t = A[c][k];
            A[c][k] = A[p][k], A[p][k] = t;
        }
        double t = b[c];
        b[c] = b[p], b[p] = t;
        for (int r = c + 1; r < 3; r++) {
            double f = A[r][c] / A[c][c];
            for (int k = c; k < 3; k++) A[r][k] -= f * A[c][k];
            b[r] -= f * b[c];
        }
    }
    for (int c = 2; c >= 0; c--) {
        double s = b[c];
        for (int k = c + 1; k < 3; k++) s -= A[c][k] * w[k];
        w[c] = s / A[c][c];
    }
    return 0;
}

/* Least squares for w on the validation ratings: the target r − (1−λ)f_c
 * is linear in w with features λ·(1, f_mf, f_c). */
static void fit_weights(const mfr_model *m, const mfr_model *base, const mfr_ratings *val,
                        const int32_t *count, hybrid_weights *w) {
    mfr__content_view v;
    mfr__content_view_get(m, &v, NULL);
    const float *cbu = mfr__model_get_extra(m, TAG_HU, NULL), *cbi = mfr__model_get_extra(m, TAG_HI, NULL);
    double A[3][3] = {{1e-6, 0, 0}, {0, 1e-6, 0}, {0, 0, 1e-6}}, b[3] = {0, 0, 0}, x[3];
    for (int64_t j = 0; j < val->n; j++) {
        int32_t u = val->user[j], i = val->item[j];
        float fmf = mfr_model_predict(base, u, i), fc = content_part(m, &v, cbu, cbi, u, i);
        double lam = count[i] > 0 ? count[i] / (count[i] + (double)KAPPA) : 0.0;
        double f[3] = {lam, lam * fmf, lam * fc}, y = val->rating[j] - (1.0 - lam) * fc;
        for (int a = 0; a < 3; a++) {
            b[a] += f[a] * y;
            for (int c = 0; c < 3; c++) A[a][c] += f[a] * f[c];
        }
    }
    *w = (hybrid_weights){0.f, 1.f, 0.f, KAPPA, (int32_t)base->algo, {0}};
    if (val->n >= 3 && solve3(A, b, x) == 0 && isfinite(x[0]) && isfinite(x[1]) && isfinite(x[2]))
        w->w0 = (float)x[0], w->w1 = (float)x[1], w->w2 = (float)x[2];
}

/* Inverted index of the movie vectors: term -> (movie, weight), restricted
 * to movies with >= KAPPA ratings (the ones worth copying factors from). */
typedef struct inverted { int64_t *ptr; int32_t *item; float *w; } inverted;

static int inverted_build(const mfr_model *m, const mfr__content_view *v, inverted *x) {
    int32_t nt = v->h->n_terms;
    int64_t nnz = v->iptr[m->n_items];
    x->ptr = mfr__calloc((size_t)nt + 2, sizeof *x->ptr);
    x->item = mfr__malloc(sizeof *x->item * (size_t)(nnz + 1));
    x->w = mfr__malloc(sizeof *x->w * (size_t)(nnz + 1));
    if (!x->ptr || !x->item || !x->w) return -1;
    for (int32_t i = 0; i < m->n_items; i++)
        if (m->item_count[i] >= KAPPA)
            for (int64_t p = v->iptr[i]; p < v->iptr[i + 1]; p++) x->ptr[v->iterm[p] + 2]++;
    for (int32_t t = 0; t < nt; t++) x->ptr[t + 2] += x->ptr[t + 1];
    for (int32_t i = 0; i < m->n_items; i++)
        if (m->item_count[i] >= KAPPA)
            for (int64_t p = v->iptr[i]; p < v->iptr[i + 1]; p++) {
                int64_t d = x->ptr[v->iterm[p] + 1]++;
                x->item[d] = i, x->w[d] = v->iw[p];
            }
    return 0;
}

/* Movie i (no ratings): q_i and b_i from its content neighbours, the
 * COLD_NEIGHBOURS best-scoring movies it shares a term with (topn.h's
 * order: higher score, then lower index). */
static void impute_one(mfr_model *m, const mfr__content_view *v, const inverted *x, int32_t i,
                       float *sc, int32_t *touched) {
    int32_t nt = 0, k = m->k;
    mfr_scored best[COLD_NEIGHBOURS];
    topn h = {best, COLD_NEIGHBOURS, 0};
    for (int64_t p = v->iptr[i]; p < v->iptr[i + 1]; p++) {
        int32_t t = v->iterm[p];
        for (int64_t q = x->ptr[t]; q < x->ptr[t + 1]; q++) {
            int32_t j = x->item[q];
            if (sc[j] == 0.f) touched[nt++] = j;
            sc[j] += v->iw[p] * x->w[q];
        }
    }
    for (int32_t t = 0; t < nt; t++) mfr__topn_push(&h, touched[t], sc[touched[t]]);
    int32_t nb = mfr__topn_finish(&h);
    double den = 0.0;
    for (int32_t t = 0; t < nb; t++) den += sc[best[t].item];
    if (nb && den > 0.0) {
        float *q = m->Q + (size_t)i * k;
        double b = 0.0;
        memset(q, 0, sizeof(float) * (size_t)k);
        for (int32_t t = 0; t < nb; t++) {
            float wgt = (float)(sc[best[t].item] / den);
            const float *qj = m->Q + (size_t)best[t].item * k;
            for (int32_t f = 0; f < k; f++) q[f] += wgt * qj[f];
            b += wgt * m->item_bias[best[t].item];
        }
        m->item_bias[i] = (float)b;
    }
    for (int32_t t = 0; t < nt; t++) sc[touched[t]] = 0.f;
}

/* Movies without training ratings: factors from their content neighbours. */
static mfr_status impute_cold(mfr_model *m, const mfr__content_view *v, int threads,
                              mfr_error *err) {
    inverted x = {0};
    int failed = inverted_build(m, v, &x);
    int32_t n = m->n_items;
#pragma omp parallel num_threads(threads) if (!failed)
    {
        float *sc = mfr__calloc((size_t)n, sizeof *sc);
        int32_t *touched = mfr__malloc(sizeof *touched * (size_t)n);
        int ok = sc && touched && !failed;
#pragma omp for schedule(dynamic, 16)
        for (int32_t i = 0; i < n; i++)
            if (ok && m->item_count[i] == 0) impute_one(m, v, &x, i, sc, touched);
        if (!ok) {
#pragma omp atomic write
            failed = 1;
        }
        mfr__free(sc), mfr__free(touched);
    }
    mfr__free(x.ptr), mfr__free(x.item), mfr__free(x.w);
    return failed ? mfr__nomem(err, "cold-movie imputation") : MFR_OK;
}

/* Copy the base model's factors and biases into m (an absent bias stays 0:
 * mfr__model_alloc_factors zeroes them). */
static mfr_status take_factors(mfr_model *m, const mfr_model *b, mfr_error *err) {
    mfr_status s = mfr__model_alloc_factors(m, b->k, err);
    if (s) return s;
    memcpy(m->P, b->P, sizeof(float) * (size_t)b->k * m->n_users);
    memcpy(m->Q, b->Q, sizeof(float) * (size_t)b->k * m->n_items);
    if (b->user_bias) memcpy(m->user_bias, b->user_bias, sizeof(float) * (size_t)m->n_users);
    if (b->item_bias) memcpy(m->item_bias, b->item_bias, sizeof(float) * (size_t)m->n_items);
    return MFR_OK;
}

/* Stage 1: weights from a holdout of 10% of the training ratings (src/data), into *w. */
static mfr_status stage_weights(mfr_model *m, const mfr__fit_ctx *ctx, hybrid_weights *w,
                                mfr_error *err) {
    mfr_ratings fit = {0}, val = {0};
    mfr_model *base = NULL;
    int32_t *count = mfr__calloc((size_t)m->n_items + 1, sizeof *count);
    mfr_status s = count ? mfr_ratings_holdout(ctx->train, 0.1, ctx->p->seed ^ 0x487962ull /* "Hyb" */,
                                               &fit, &val, err)
                         : mfr__nomem(err, "hybrid counts");
    if (!s) s = train_base(ctx, &fit, 1, &base, err);
    if (!s) s = build_content(m, ctx, &fit, err);
    if (!s) {
        for (int64_t j = 0; j < fit.n; j++) count[fit.item[j]]++;
        fit_weights(m, base, &val, count, w);
    }
    mfr_model_free(base);
    mfr__free(count);
    mfr_ratings_free(&fit);
    mfr_ratings_free(&val);
    return s;
}

static mfr_status hybrid_fit(mfr_model *m, const mfr__fit_ctx *ctx, mfr_error *err) {
    hybrid_weights w;
    mfr_model *base = NULL;
    mfr_status s = stage_weights(m, ctx, &w, err), cancel = MFR_OK;
    if (!s) s = train_base(ctx, ctx->train, 2, &base, err);
    if (s == MFR_E_CANCELLED && base) cancel = s, s = MFR_OK; /* finish around it */
    if (!s) s = build_content(m, ctx, ctx->train, err);
    if (!s) s = take_factors(m, base, err);
    hybrid_weights *pw;
    if (!s) s = mfr__model_new_extra(m, TAG_HW, sizeof *pw, (void **)&pw, "hybrid weights", err);
    if (!s) *pw = w;
    if (!s) s = hybrid_attach(m, err);
    if (!s && m->k > 0) s = impute_cold(m, &((hybrid_state *)m->algo_state)->cv, ctx->threads, err);
    if (base) m->epochs_run = base->epochs_run;
    mfr_model_free(base);
    return s ? s : cancel;
}

static void hybrid_defaults(mfr_train_params *p) {
    if (mfr__algo_sgd.defaults) mfr__algo_sgd.defaults(p); /* as auto's */
    p->hybrid_base = MFR_ALGO_SGD;
}

const mfr__algo mfr__algo_hybrid = {
    .id = MFR_ALGO_HYBRID,
    .fit = hybrid_fit,
    .predict = hybrid_predict,
    .rank_user = hybrid_rank_user,
    .attach = hybrid_attach,
    .release = mfr__model_release_state,
    .defaults = hybrid_defaults,
};
