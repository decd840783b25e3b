/* cocluster.c — co-clustering (George & Merugu 2005, "A Scalable
 * Collaborative Filtering Framework Based on Co-clustering", ICDM), as
 * Surprise's CoClustering:
 *
 *     r̂_ui = C̄_gh + (μ_u − C̄ᵘ_g) + (μ_i − C̄ⁱ_h),   g = c(u), h = c(i)
 *
 * with μ_u, μ_i the user's and the movie's mean training rating, C̄ᵘ_g,
 * C̄ⁱ_h, C̄_gh the mean rating of user cluster g, movie cluster h and
 * co-cluster (g, h) (μ for an empty one). The same count of clusters on both
 * sides: `factors` (default 3, Surprise's n_cltr_u = n_cltr_i = 3).
 *
 * Fit: clusters drawn uniformly from the seed (users stream 1, movies
 * stream 2); then each of `epochs` rounds (default 20) computes the
 * averages, moves every user to the cluster g minimising
 * Σ_{i∈R(u)} (r_ui − r̂_ui)² with g in place of c(u) (ties: the lowest g),
 * then every movie likewise against the users' new clusters and the same
 * averages (Surprise's order); the averages are computed once more at the
 * end. Deterministic in the seed; O(epochs · nnz · factors) time.
 *
 * Stored: user_bias = μ_u − μ and item_bias = μ_i − μ (so the fallback for
 * an unknown movie is μ_u, for an unknown user μ_i), and sections
 * (classic.h) with the clusters of every user and movie and the table
 * T_gh = C̄_gh − C̄ᵘ_g − C̄ⁱ_h + μ, so r̂_ui = μ + b_u + b_i + T_{c(u)c(i)};
 * a user or movie without training ratings is unknown. Memory: 4 bytes a
 * user and a movie beside the biases, factors² floats.
 *
 * A user who is not in the model gets what a training user would after one
 * round: μ_u their mean rating, their cluster the one that fits their
 * ratings best (rank_user; their stars are the fallback μ_i). */
#include "baseline.h"
#include "classic.h"
#include "../core/binfile.h"

#include <math.h>
#include <string.h>

enum { CC_MAX_CLUSTERS = 1024 };

typedef struct cc_view {
    int32_t ku, ki;
    const int32_t *cu, *ci;
    const float *T;
} cc_view;

static void cocluster_defaults(mfr_train_params *p) {
    p->factors = 3;
    p->epochs = 20;
}

/* Averages of the clusters for assignments cu, ci into T (the table of the
 * header; scratch: sums and counts). */
static void averages(const mfr__csr *byu, float mu, int32_t nu, int32_t ku, int32_t ki,
                     const int32_t *cu, const int32_t *ci, double *acc, float *T) {
    double *su = acc, *nu_ = su + ku, *si = nu_ + ku, *ni = si + ki, *sc = ni + ki,
           *nc = sc + (size_t)ku * ki;
    memset(acc, 0, sizeof *acc * (2 * (size_t)ku + 2 * (size_t)ki + 2 * (size_t)ku * ki));
    for (int32_t u = 0; u < nu; u++)
        for (int64_t e = byu->ptr[u]; e < byu->ptr[u + 1]; e++) {
            int32_t g = cu[u], h = ci[byu->idx[e]];
            double r = byu->val[e];
            su[g] += r, nu_[g] += 1, si[h] += r, ni[h] += 1;
            sc[(size_t)g * ki + h] += r, nc[(size_t)g * ki + h] += 1;
        }
    for (int32_t g = 0; g < ku; g++)
        for (int32_t h = 0; h < ki; h++) {
            size_t c = (size_t)g * ki + h;
            double a = nc[c] > 0 ? sc[c] / nc[c] : mu, au = nu_[g] > 0 ? su[g] / nu_[g] : mu,
                   ai = ni[h] > 0 ? si[h] / ni[h] : mu;
            T[c] = (float)(a - au - ai + mu);
        }
}

/* The cluster of one row (a user over its movies, or a movie over its
 * users) that fits its ratings best: base = μ + own bias, other_bias the
 * other side's biases, T read as T[g][h] (by_item 0: rows of kother) or
 * T[h][g] (rows of kown). */
static int32_t best_cluster(const mfr__csr *c, int32_t row, float base, const float *other_bias,
                            const int32_t *other_cl, const float *T, int32_t kown, int32_t kother,
                            int by_item) {
    int32_t best = 0;
    double best_se = INFINITY;
    for (int32_t g = 0; g < kown; g++) {
        double se = 0.0;
        for (int64_t e = c->ptr[row]; e < c->ptr[row + 1]; e++) {
            int32_t j = c->idx[e], h = other_cl[j];
            float t = by_item ? T[(size_t)h * kown + g] : T[(size_t)g * kother + h];
            double d = (double)c->val[e] - (base + other_bias[j] + t);
            se += d * d;
        }
        if (se < best_se) best_se = se, best = g;
    }
    return best;
}

static void row_means(const mfr__csr *c, float mu, float *bias) {
    for (int32_t r = 0; r < c->rows; r++) {
        double s = 0.0;
        int64_t n = c->ptr[r + 1] - c->ptr[r];
        for (int64_t e = c->ptr[r]; e < c->ptr[r + 1]; e++) s += c->val[e];
        bias[r] = n > 0 ? (float)(s / (double)n - mu) : 0.f;
    }
}

static mfr_status view_of(const mfr_model *m, cc_view *v, mfr_error *err) {
    uint64_t sh = 0, su = 0, si = 0, st = 0;
    const int32_t *h = mfr__model_get_extra(m, MFR__TAG_CCLH, &sh);
    v->cu = mfr__model_get_extra(m, MFR__TAG_CCLU, &su);
    v->ci = mfr__model_get_extra(m, MFR__TAG_CCLI, &si);
    v->T = mfr__model_get_extra(m, MFR__TAG_CCLT, &st);
    if (!h || sh != 2 * sizeof(int32_t) || !v->cu || !v->ci || !v->T)
        return mfr__err(err, MFR_E_FORMAT, "cocluster: section CCLH, CCLU, CCLI or CCLT missing");
    v->ku = h[0], v->ki = h[1];
    if (v->ku < 1 || v->ku > CC_MAX_CLUSTERS || v->ki < 1 || v->ki > CC_MAX_CLUSTERS)
        return mfr__err(err, MFR_E_FORMAT, "cocluster: cluster counts %d x %d outside 1..%d",
                        (int)v->ku, (int)v->ki, CC_MAX_CLUSTERS);
    if (!mfr__bytes_are(su, m->n_users, 4) || !mfr__bytes_are(si, m->n_items, 4) ||
        !mfr__bytes_are(st, (int64_t)v->ku * v->ki, 4))
        return mfr__err(err, MFR_E_FORMAT,
                        "cocluster: sections CCLU/CCLI/CCLT (%llu/%llu/%llu bytes) do not match "
                        "%d users, %d movies, %d x %d clusters",
                        (unsigned long long)su, (unsigned long long)si, (unsigned long long)st,
                        (int)m->n_users, (int)m->n_items, (int)v->ku, (int)v->ki);
    int64_t bad = mfr__first_out_of_range(v->cu, m->n_users, 0, v->ku);
    if (bad >= 0)
        return mfr__err(err, MFR_E_FORMAT, "cocluster: user %lld in cluster %d of %d (CCLU)",
                        (long long)bad, (int)v->cu[bad], (int)v->ku);
    bad = mfr__first_out_of_range(v->ci, m->n_items, 0, v->ki);
    if (bad >= 0)
        return mfr__err(err, MFR_E_FORMAT, "cocluster: movie %lld in cluster %d of %d (CCLI)",
                        (long long)bad, (int)v->ci[bad], (int)v->ki);
    for (int64_t c = 0; c < (int64_t)v->ku * v->ki; c++)
        if (!isfinite(v->T[c]))
            return mfr__err(err, MFR_E_FORMAT, "cocluster: table entry %lld is not finite (CCLT)",
                            (long long)c);
    return MFR_OK;
}

static mfr_status cocluster_attach(mfr_model *m, mfr_error *err) {
    cc_view v;
    mfr_status st = view_of(m, &v, err);
    if (st) return st;
    return mfr__model_set_state(m, &v, sizeof v, "cocluster state", err);
}

static float cocluster_predict(const mfr_model *m, int32_t u, int32_t i) {
    if (u >= 0 && m->seen_ptr[u + 1] == m->seen_ptr[u]) u = -1;
    if (i >= 0 && m->item_count[i] == 0) i = -1;
    float r = mfr__predict_mf(m, u, i);
    const cc_view *s = m->algo_state;
    if (s && u >= 0 && i >= 0) r += s->T[(size_t)s->cu[u] * s->ki + s->ci[i]];
    return r;
}

/* A new user: μ_u their mean, the cluster that fits them best. */
static void cocluster_rank_user(const mfr_model *m, const mfr__who *w, const float *pred,
                                float *rank) {
    const cc_view *s = m->algo_state;
    if (w->u >= 0 || !s) {
        if (rank != pred) memcpy(rank, pred, sizeof *rank * (size_t)m->n_items);
        return;
    }
    double sum = 0.0;
    int32_t n = 0;
    for (int32_t j = 0; j < w->n; j++) {
        float r = mfr__who_rating(m, w, j);
        if (!isnan(r)) sum += r, n++;
    }
    float bu = n ? (float)(sum / n - m->mu) : 0.f;
    int32_t best = 0;
    double best_se = INFINITY;
    for (int32_t g = 0; g < s->ku; g++) {
        double se = 0.0;
        for (int32_t j = 0; j < w->n; j++) {
            float r = mfr__who_rating(m, w, j);
            int32_t i = w->items[j];
            if (isnan(r) || m->item_count[i] == 0) continue;
            double d = r - (m->mu + bu + m->item_bias[i] + s->T[(size_t)g * s->ki + s->ci[i]]);
            se += d * d;
        }
        if (se < best_se) best_se = se, best = g;
    }
    for (int32_t i = 0; i < m->n_items; i++)
        rank[i] = m->mu + bu +
                  (m->item_count[i] ? m->item_bias[i] + s->T[(size_t)best * s->ki + s->ci[i]] : 0.f);
}

static mfr_status cocluster_fit(mfr_model *m, const mfr__fit_ctx *ctx, mfr_error *err) {
    const mfr_train_params *p = ctx->p;
    const int32_t K = p->factors;
    if (K < 1 || K > CC_MAX_CLUSTERS)
        return mfr__err(err, MFR_E_INVALID, "cocluster: factors (the clusters) = %d outside 1..%d",
                        (int)K, CC_MAX_CLUSTERS);
    if (ctx->train->n <= 0) return mfr__err(err, MFR_E_INVALID, "cocluster: no training ratings");
    mfr_status st = mfr__model_alloc_factors(m, 0, err);
    if (st) return st;
    mfr__csr byu, byi;
    if ((st = mfr__csr_pair(ctx->train, m->n_users, m->n_items, &byu, &byi, err))) return st;
    int32_t *hdr = mfr__aligned_alloc(2 * sizeof *hdr);
    int32_t *cu = mfr__aligned_alloc(sizeof *cu * ((size_t)m->n_users + 1));
    int32_t *ci = mfr__aligned_alloc(sizeof *ci * ((size_t)m->n_items + 1));
    float *T = mfr__aligned_alloc(sizeof *T * (size_t)K * K);
    double *acc = mfr__malloc(sizeof *acc * (4 * (size_t)K + 2 * (size_t)K * K));
    if (!hdr || !cu || !ci || !T || !acc) {
        st = mfr__nomem(err, "cocluster clusters");
        goto done;
    }
    hdr[0] = hdr[1] = K;
    row_means(&byu, m->mu, m->user_bias);
    row_means(&byi, m->mu, m->item_bias);
    mfr__rng ru, ri;
    mfr__rng_seed_stream(&ru, p->seed, 1);
    mfr__rng_seed_stream(&ri, p->seed, 2);
    for (int32_t u = 0; u < m->n_users; u++) cu[u] = (int32_t)mfr__rng_below(&ru, (uint64_t)K);
    for (int32_t i = 0; i < m->n_items; i++) ci[i] = (int32_t)mfr__rng_below(&ri, (uint64_t)K);
    double t0 = mfr__now();
    for (int32_t ep = 1; ep <= p->epochs; ep++) {
        averages(&byu, m->mu, m->n_users, K, K, cu, ci, acc, T);
        for (int32_t u = 0; u < m->n_users; u++)
            cu[u] = best_cluster(&byu, u, m->mu + m->user_bias[u], m->item_bias, ci, T, K, K, 0);
        for (int32_t i = 0; i < m->n_items; i++)
            ci[i] = best_cluster(&byi, i, m->mu + m->item_bias[i], m->user_bias, cu, T, K, K, 1);
        m->epochs_run = ep;
        if ((st = mfr__report_epoch(ctx, "cocluster", ep, p->epochs, NAN, NAN, t0, err))) break;
    }
    averages(&byu, m->mu, m->n_users, K, K, cu, ci, acc, T);
    /* each array is the model's once added (mfr__model_add_extra frees it on failure) */
    mfr_status s2 = mfr__model_add_extra(m, MFR__TAG_CCLH, hdr, 2 * sizeof *hdr, err);
    hdr = NULL;
    if (!s2) s2 = mfr__model_add_extra(m, MFR__TAG_CCLU, cu, sizeof *cu * (size_t)m->n_users, err), cu = NULL;
    if (!s2) s2 = mfr__model_add_extra(m, MFR__TAG_CCLI, ci, sizeof *ci * (size_t)m->n_items, err), ci = NULL;
    if (!s2) s2 = mfr__model_add_extra(m, MFR__TAG_CCLT, T, sizeof *T * (size_t)K * K, err), T = NULL;
    if (!s2) s2 = cocluster_attach(m, err);
    if (s2) st = s2;
done:
    mfr__free(hdr), mfr__free(cu), mfr__free(ci), mfr__free(T), mfr__free(acc);
    mfr__csr_free(&byu), mfr__csr_free(&byi);
    return st;
}

const mfr__algo mfr__algo_cocluster = {
    .id = MFR_ALGO_COCLUSTER,
    .fit = cocluster_fit,
    .predict = cocluster_predict,
    .rank_user = cocluster_rank_user,
    .attach = cocluster_attach,
    .release = mfr__model_release_state,
    .defaults = cocluster_defaults,
};
