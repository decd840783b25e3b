/* fold.c — fold-in of a new user's ratings against the fixed item side of a
 * factor model, and answers for the resulting user vector.
 *
 * With x = [b_u, p_u] (k + 1 values), a_j = [1, q_{i_j}] and the residual
 * target y_j = r_j − μ − b_{i_j}, fold-in minimises over the n ratings
 *     Σ_j (y_j − a_j·x)² + n·reg ‖p_u‖² + n·reg_bias b_u²
 * whose normal equations are the (k+1)×(k+1) ridge system
 *     (Σ_j a_j a_jᵀ + D) x = Σ_j a_j y_j,   D = n·diag(reg_bias, reg, ..., reg),
 * symmetric positive definite when reg, reg_bias > 0; it is accumulated in
 * double precision and solved in float by the library's one Cholesky
 * (mfr__chol, A = L Lᵀ, then L z = b and Lᵀ x = z).
 * This is the user half-step of ALS with biases (Koren, Bell & Volinsky,
 * "Matrix factorization techniques for recommender systems", IEEE Computer
 * 2009). The penalty grows with n ("weighted-λ", Zhou et al., "Large-scale
 * parallel collaborative filtering for the Netflix Prize", AAIM 2008)
 * because that is the per-user objective SGD training minimises: every
 * rating's step applies reg once. On ml-latest-small (sgd, k = 64) the top-10
 * of a folded-in trained user shares ~7 of 10 movies with that user's own
 * top-10 this way, ~2 of 10 with a penalty not scaled by n (measured,
 * tests/unit/test_model_movielens.c). reg and reg_bias are the model's
 * training parameters; unknown item indices and NaN ratings are ignored
 * (n counts the ratings used, at least 1). */
#include "topn.h"
#include "family.h"
#include "../linalg/linalg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A = Σ a aᵀ + D, b = Σ a y over the known items (lower triangle of A),
 * summed in double and rounded once into L and x for the float solve. */
static void normal_equations(const mfr_model *m, const int32_t *items, const float *ratings,
                             int32_t n, double ridge, double *A, double *b, float *L, float *x) {
    int d = m->k + 1;
    int32_t used = 0;
    memset(A, 0, (size_t)d * d * sizeof *A);
    memset(b, 0, (size_t)d * sizeof *b);
    double a[4097];
    for (int32_t j = 0; j < n; j++) {
        int32_t i = items[j];
        if (i < 0 || i >= m->n_items || isnan(ratings[j])) continue;
        a[0] = 1.0;
        for (int f = 0; f < m->k; f++) a[f + 1] = m->Q[(size_t)i * m->k + f];
        double y = (double)ratings[j] - m->mu - (m->item_bias ? m->item_bias[i] : 0.f);
        used++;
        for (int r = 0; r < d; r++) {
            b[r] += a[r] * y;
            for (int c = 0; c <= r; c++) A[r * d + c] += a[r] * a[c];
        }
    }
    double w = used > 0 ? (double)used : 1.0;
    A[0] += w * m->params.reg_bias + ridge;
    for (int f = 1; f < d; f++) A[f * d + f] += w * m->params.reg + ridge;
    for (size_t t = 0; t < (size_t)d * d; t++) L[t] = (float)A[t];
    for (int f = 0; f < d; f++) x[f] = (float)b[f];
}

mfr_status mfr_model_fold_in(const mfr_model *m, const int32_t *items, const float *ratings,
                             int32_t n, float *vec, mfr_error *err) {
    if (!m || !vec || n < 0 || (n > 0 && (!items || !ratings)))
        return mfr__err(err, MFR_E_INVALID, "fold-in: NULL model, vector or ratings");
    if (m->k <= 0 || !m->Q)
        return mfr__err(err, MFR_E_UNSUPPORTED, "fold-in: %s models have no item factors",
                        mfr_algo_name(m->algo));
    if (m->k > 4096) return mfr__err(err, MFR_E_UNSUPPORTED, "fold-in: k = %d > 4096", (int)m->k);
    int d = m->k + 1;
    double *A = mfr__malloc(((size_t)d * d + (size_t)d) * sizeof *A);
    float *L = mfr__malloc(((size_t)d * d + (size_t)d) * sizeof *L);
    if (!A || !L) {
        mfr__free(A), mfr__free(L);
        return mfr__nomem(err, "fold-in system");
    }
    double *b = A + (size_t)d * d;
    float *x = L + (size_t)d * d;
    /* With reg or reg_bias 0 and too few ratings the system is singular: a
     * tiny ridge then picks the minimum-norm-like solution. */
    double ridge = 0.0;
    int bad = 1;
    for (int tries = 0; tries < 3 && bad; tries++, ridge = ridge == 0.0 ? 1e-6 : ridge * 1e3) {
        normal_equations(m, items, ratings, n, ridge, A, b, L, x);
        bad = mfr__chol(L, d, d) != 0;
    }
    if (!bad) {
        mfr__chol_solve(L, d, d, x);
        memcpy(vec, x, (size_t)d * sizeof *vec);
    }
    mfr__free(A), mfr__free(L);
    return bad ? mfr__err(err, MFR_E_RANGE, "fold-in: system not positive definite") : MFR_OK;
}

int32_t mfr_model_fold_dim(const mfr_model *m) {
    if (!m || m->k <= 0 || !m->Q || (m->vt && m->vt->no_fold_in)) return 0;
    return m->k + 1;
}

float mfr_model_predict_vec(const mfr_model *m, const float *vec, int32_t i) {
    if (!vec || m->k <= 0 || !m->Q) return mfr_model_predict(m, -1, i);
    float r = m->mu + vec[0];
    if (i >= 0 && i < m->n_items) {
        if (m->item_bias) r += m->item_bias[i];
        if (m->k > 0 && m->Q) r += mfr__dot_ref(vec + 1, m->Q + (size_t)i * m->k, m->k);
    }
    return mfr__clip(m, r);
}

/* (item, rating) pairs ordered by item. */
typedef struct rated {
    int32_t item, pos;
    float rating;
} rated;

static int cmp_rated(const void *a, const void *b) {
    const rated *x = a, *y = b;
    if (x->item != y->item) return (x->item > y->item) - (x->item < y->item);
    return (x->pos > y->pos) - (x->pos < y->pos);
}

mfr_status mfr_model_recommend_vec(const mfr_model *m, const float *vec, const int32_t *seen,
                                   const float *ratings, int32_t n_seen,
                                   const mfr_recommend_params *p, mfr_scored *out,
                                   int32_t *n_out, mfr_error *err) {
    int32_t dummy;
    if (!n_out) n_out = &dummy;
    *n_out = 0;
    if (!m || n_seen < 0 || (n_seen > 0 && !seen))
        return mfr__err(err, MFR_E_INVALID, "recommend: NULL model or seen list");
    if (!vec && mfr_model_fold_dim(m) > 0 && n_seen > 0)
        return mfr__err(err, MFR_E_INVALID, "recommend: %s models need the folded-in vector",
                        mfr_algo_name(m->algo));
    /* sorted, without duplicates (the last rating of a movie counts) or
     * indices the model does not know */
    size_t cap = (size_t)n_seen + 1;
    rated *rt = mfr__malloc(cap * sizeof *rt);
    int32_t *sorted = mfr__malloc(cap * sizeof *sorted);
    float *rs = mfr__malloc(cap * sizeof *rs);
    if (!rt || !sorted || !rs) {
        mfr__free(rt);
        mfr__free(sorted);
        mfr__free(rs);
        return mfr__nomem(err, "seen list");
    }
    int32_t ns = 0;
    for (int32_t j = 0; j < n_seen; j++)
        if (seen[j] >= 0 && seen[j] < m->n_items)
            rt[ns++] = (rated){seen[j], j, ratings ? ratings[j] : m->rmax};
    qsort(rt, (size_t)ns, sizeof *rt, cmp_rated);
    int32_t nd = 0;
    for (int32_t j = 0; j < ns; j++) {
        if (nd > 0 && sorted[nd - 1] == rt[j].item) {
            rs[nd - 1] = rt[j].rating;
            continue;
        }
        sorted[nd] = rt[j].item;
        rs[nd++] = rt[j].rating;
    }
    mfr__who w = {-1, sorted, rs, nd, mfr_model_fold_dim(m) > 0 ? vec : NULL};
    mfr_status st = mfr__recommend_with(m, &w, sorted, nd, p, out, n_out, err);
    mfr__free(rt);
    mfr__free(rs);
    mfr__free(sorted);
    return st;
}
