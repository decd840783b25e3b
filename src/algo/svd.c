/* svd.c — truncated SVD of the centred sparse rating matrix by randomized
 * range finding (Halko, Martinsson & Tropp 2011, "Finding structure with
 * randomness", Algorithms 4.4 and 5.1).
 *
 * Centring: a regularised baseline μ + b_u + b_i (closed form, alternating,
 * λ_i = 10, λ_u = 15 as Surprise's BaselineOnly) is subtracted from each
 * observed rating; unobserved entries are zero in the residual matrix R
 * (n_users x n_items), which is only ever touched as sparse rows (by user,
 * R·X) and sparse columns (by item, Rᵀ·X) — never densified.
 *
 *   Ω ~ N(0,1)^{n_items x l}, l = k + oversampling
 *   Y = R·Ω;  q times: Y = orth(Y); Z = orth(Rᵀ·Y); Y = R·Z   (power iterations)
 *   Q = orth(Y)                    (n_users x l, QR by LAPACKE_sgeqrf/sorgqr)
 *   Bᵀ = Rᵀ·Q = W·Σ·Xᵀ             (n_items x l, LAPACKE_sgesdd)
 *   R ≈ (Q·X)·Σ·Wᵀ,  U = Q·X (cblas_sgemm), V = W
 *
 * The model keeps P = U_k·√Σ_k, Q = V_k·√Σ_k and the baseline biases, so the
 * default predictor gives μ + b_u + b_i + Σ_f U_uf σ_f V_if. Deterministic in
 * the seed (Ω); the sparse products are parallel over rows with a fixed
 * summation order, so the thread count does not change the result. */
#include "factor_util.h"
#include "../linalg/linalg.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <string.h>

#define SVD_OVERSAMPLE 10
#define SVD_POWER 3

/* Y[r, :] = Σ_e val_e · X[idx_e, :] for every row r of c (Y: c->rows x l). */
static void spmm(const mfr__csr *c, const float *X, int32_t l, float *Y, int threads) {
#pragma omp parallel for num_threads(threads) schedule(dynamic, 64)
    for (int32_t r = 0; r < c->rows; r++) {
        float *y = Y + (size_t)r * l;
        memset(y, 0, sizeof(float) * (size_t)l);
        for (int64_t e = c->ptr[r]; e < c->ptr[r + 1]; e++) {
            const float *x = X + (size_t)c->idx[e] * l;
            float v = c->val[e];
            for (int32_t f = 0; f < l; f++) y[f] += v * x[f];
        }
    }
}

/* Orthonormalise the columns of A (m x l, row-major, m >= l) in place. */
static int orth(float *A, int32_t m, int32_t l, float *tau) {
    if (LAPACKE_sgeqrf(LAPACK_ROW_MAJOR, m, l, A, l, tau) != 0) return -1;
    return LAPACKE_sorgqr(LAPACK_ROW_MAJOR, m, l, l, A, l, tau) != 0 ? -1 : 0;
}

typedef struct rsvd_work {
    float *Om, *Y, *Z, *tau, *S, *W, *Xt, *sup;
} rsvd_work;

static void rsvd_work_free(rsvd_work *w) {
    mfr__free(w->Om), mfr__free(w->Y), mfr__free(w->Z), mfr__free(w->tau);
    mfr__free(w->S), mfr__free(w->W), mfr__free(w->Xt), mfr__free(w->sup);
}

mfr_status mfr__rsvd(const mfr__csr *rows, const mfr__csr *cols, int32_t k, int32_t power,
                     uint64_t seed, int threads, float *U, float *S, float *V, mfr_error *err) {
    int32_t m = rows->rows, n = cols->rows, mn = m < n ? m : n;
    int32_t l = k + SVD_OVERSAMPLE < mn ? k + SVD_OVERSAMPLE : mn;
    if (k > mn)
        return mfr__err(err, MFR_E_INVALID, "svd: factors = %d exceeds min(users, items) = %d", k, mn);
    rsvd_work w = {0};
    w.Om = mfr__aligned_alloc(sizeof(float) * (size_t)n * l);
    w.Y = mfr__aligned_alloc(sizeof(float) * (size_t)m * l);
    w.Z = mfr__aligned_alloc(sizeof(float) * (size_t)n * l);
    w.tau = mfr__aligned_alloc(sizeof(float) * (size_t)l);
    w.S = mfr__aligned_alloc(sizeof(float) * (size_t)l);
    w.W = mfr__aligned_alloc(sizeof(float) * (size_t)n * l);
    w.Xt = mfr__aligned_alloc(sizeof(float) * (size_t)l * l);
    w.sup = mfr__aligned_alloc(sizeof(float) * (size_t)l);
    if (!w.Om || !w.Y || !w.Z || !w.tau || !w.S || !w.W || !w.Xt || !w.sup) {
        rsvd_work_free(&w);
        return mfr__nomem(err, "svd work arrays");
    }
    mfr__fill_normal(w.Om, (int64_t)n * l, 1.f, seed, 3);
    spmm(rows, w.Om, l, w.Y, threads);
    int bad = 0;
    for (int32_t q = 0; q < power && !bad; q++) {
        bad |= orth(w.Y, m, l, w.tau);
        spmm(cols, w.Y, l, w.Z, threads);
        bad |= orth(w.Z, n, l, w.tau);
        spmm(rows, w.Z, l, w.Y, threads);
    }
    if (!bad) bad |= orth(w.Y, m, l, w.tau);           /* Q */
    if (!bad) spmm(cols, w.Y, l, w.Z, threads);        /* Bᵀ = Rᵀ Q */
    if (!bad)
        bad |= LAPACKE_sgesdd(LAPACK_ROW_MAJOR, 'S', n, l, w.Z, l, w.S, w.W, l, w.Xt, l) != 0;
    if (bad) {
        rsvd_work_free(&w);
        return mfr__err(err, MFR_E_INTERNAL, "svd: LAPACK failed (QR or SVD did not converge)");
    }
    /* U = Q·X = Q·(Xᵀ)ᵀ, first k columns; V = W's first k columns. */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, k, l, 1.f, w.Y, l, w.Xt, l, 0.f, U, k);
    for (int32_t i = 0; i < n; i++) memcpy(V + (size_t)i * k, w.W + (size_t)i * l, sizeof(float) * (size_t)k);
    memcpy(S, w.S, sizeof(float) * (size_t)k);
    rsvd_work_free(&w);
    return MFR_OK;
}

static void svd_defaults(mfr_train_params *p) {
    p->factors = 10;
}

/* Replace the ratings in both views by r − μ − b_u − b_i. */
static void centre(mfr__csr *c, float mu, const float *brow, const float *bcol) {
    for (int32_t r = 0; r < c->rows; r++)
        for (int64_t e = c->ptr[r]; e < c->ptr[r + 1]; e++) c->val[e] -= mu + brow[r] + bcol[c->idx[e]];
}

/* P = U·√Σ, Q = V·√Σ. */
static void split_sigma(float *X, int32_t rows, int32_t k, const float *S) {
    for (int32_t r = 0; r < rows; r++)
        for (int32_t f = 0; f < k; f++) X[(size_t)r * k + f] *= sqrtf(S[f]);
}

static mfr_status svd_fit(mfr_model *m, const mfr__fit_ctx *ctx, mfr_error *err) {
    const mfr_train_params *p = ctx->p;
    mfr_status st = mfr__check_fit(m, ctx, "svd", err);
    if (st || (st = mfr__model_alloc_factors(m, p->factors, err))) return st;
    mfr__csr bu, bi;
    if ((st = mfr__csr_pair(ctx->train, m->n_users, m->n_items, &bu, &bi, err))) return st;
    mfr__baseline_fit(&bu, &bi, m->mu, &MFR__BASELINE_15, m->user_bias,
                      m->item_bias);
    centre(&bu, m->mu, m->user_bias, m->item_bias);
    centre(&bi, m->mu, m->item_bias, m->user_bias);
    float S[4096];
    st = mfr__rsvd(&bu, &bi, m->k, SVD_POWER, p->seed, ctx->threads, m->P, S, m->Q, err);
    if (!st) {
        split_sigma(m->P, m->n_users, m->k, S);
        split_sigma(m->Q, m->n_items, m->k, S);
        m->epochs_run = 1;
        st = mfr__report_epoch(ctx, "svd", 1, 1, NAN, NAN, mfr__now(), err);
    }
    mfr__csr_free(&bu);
    mfr__csr_free(&bi);
    return st;
}

const mfr__algo mfr__algo_svd = {
    .id = MFR_ALGO_SVD,
    .fit = svd_fit,
    .defaults = svd_defaults,
};
