/* bmf.c — Bayesian probabilistic matrix factorisation by Gibbs sampling
 * (Salakhutdinov & Mnih 2008, "Bayesian probabilistic matrix factorization
 * using Markov chain Monte Carlo"), with biases.
 *
 * Each user carries w_u = [b_u, p_u] and each item v_i = [b_i, q_i]
 * (D = k+1 floats), so r̂_ui = μ + w_uᵀ[1, q_i] + b_i = μ + b_u + b_i + p_uᵀq_i:
 *
 *   r_ui ~ N(μ + b_u + b_i + p_uᵀq_i, α⁻¹),     α ~ Gamma(1, 1)
 *   w_u ~ N(μ_U, Λ_U⁻¹),  (μ_U, Λ_U) ~ NW(μ0 = 0, β0 = 2, W0 = I, ν0 = D)
 *   and the same for the items.
 *
 * One sweep: draw α from Gamma(1 + N/2, 1 + SSE/2); draw (μ_U, Λ_U) from the
 * Normal-Wishart posterior (paper eq. 14: β0* = β0+n, ν0* = ν0+n,
 * μ0* = (β0μ0 + n ū)/(β0+n), W0*⁻¹ = W0⁻¹ + nS̄ + β0n/(β0+n)(μ0−ū)(μ0−ū)ᵀ;
 * Wishart by Bartlett's decomposition); then every user from its
 * conditional Gaussian (eq. 12-13)
 *
 *   Λ* = Λ_U + α Σ_{i∈I_u} x_i x_iᵀ,  x_i = [1, q_i]
 *   w_u ~ N(Λ*⁻¹(Λ_U μ_U + α Σ x_i (r_ui − μ − b_i)), Λ*⁻¹)
 *
 * drawn as mean + L⁻ᵀz with Λ* = LLᵀ (owned Cholesky) and z ~ N(0, I) from
 * the row's own RNG stream (seed, sweep, side, row), so rows run in parallel
 * (OpenMP) and the chain is the same for any thread count. Then the items.
 *
 * After `burnin` sweeps, `samples` sweeps are kept. The predictive mean
 * (1/S) Σ_s (μ + b_u^s + b_i^s + p_u^sᵀq_i^s) equals one dot product of the
 * concatenated vectors, so the model stores k_eff = k·S factors
 * P[u] = [p_u^1 … p_u^S]/√S, Q likewise, and the averaged biases, and uses
 * the default predictor. Memory: (n_users + n_items)·k·S floats. */
#include "factor_util.h"
#include "../linalg/linalg.h"

#include <math.h>
#include <omp.h>
#include <string.h>

#define BMF_MAXD 257

static void bmf_defaults(mfr_train_params *p) {
    p->factors = 10;
    p->burnin = 20;
    p->samples = 100;
    p->init_std = 0.1f;
}

/* L := A rounded to float (lower triangle, n x n), then its Cholesky factor
 * by the library's one kernel; -1 when A is not positive definite. */
static int chol_rounded(const double *A, int n, float *L) {
    for (size_t t = 0; t < (size_t)n * n; t++) L[t] = (float)A[t];
    return mfr__chol(L, n, n);
}

typedef struct bmf_hyper {
    float Lam[BMF_MAXD * BMF_MAXD]; /* Λ (full) */
    float h0[BMF_MAXD];             /* Λμ */
} bmf_hyper;

/* Draw (μ, Λ) from the Normal-Wishart posterior given the n x D rows of X.
 * work: 3D² + 2D doubles. Sums are taken in double; the two factors are
 * rounded to float once for mfr__chol (h->Lam and h->h0, then the spent B,
 * serve as their scratch). Returns 0, or -1 when a matrix is not positive
 * definite (h then unspecified). */
static int sample_hyper(const float *X, int32_t n, int D, mfr__rng *r, bmf_hyper *h, double *work) {
    double *mean = work, *Wi = mean + D, *A = Wi + D * D, *B = A + D * D, *z = B + D * D;
    const double beta0 = 2.0, nu = D + (double)n;
    memset(mean, 0, sizeof(double) * D);
    for (int32_t u = 0; u < n; u++)
        for (int f = 0; f < D; f++) mean[f] += X[(size_t)u * D + f];
    for (int f = 0; f < D; f++) mean[f] /= n > 0 ? n : 1;
    for (int i = 0; i < D * D; i++) Wi[i] = (i % (D + 1) == 0) ? 1.0 : 0.0; /* W0⁻¹ = I */
    for (int32_t u = 0; u < n; u++) {
        const float *x = X + (size_t)u * D;
        for (int i = 0; i < D; i++)
            for (int j = 0; j <= i; j++) Wi[i * D + j] += (x[i] - mean[i]) * (x[j] - mean[j]);
    }
    double c = beta0 * n / (beta0 + n);
    for (int i = 0; i < D; i++)
        for (int j = 0; j <= i; j++) Wi[i * D + j] += c * mean[i] * mean[j]; /* μ0 = 0 */
    float *C = h->Lam, *zf = h->h0;
    if (chol_rounded(Wi, D, C)) return -1;                                   /* Wi = C Cᵀ */
    memset(A, 0, sizeof(double) * D * D);                                     /* Bartlett */
    for (int i = 0; i < D; i++) {
        A[i * D + i] = sqrt(2.0 * mfr__rng_gamma(r, (nu - i) / 2.0));
        for (int j = 0; j < i; j++) A[i * D + j] = mfr__rng_normal(r);
    }
    for (int col = 0; col < D; col++) { /* B = C⁻ᵀ A, so B Bᵀ ~ W((C Cᵀ)⁻¹, ν) */
        for (int i = 0; i < D; i++) zf[i] = (float)A[i * D + col];
        mfr__chol_solve_lt(C, D, D, zf);
        for (int i = 0; i < D; i++) B[i * D + col] = zf[i];
    }
    for (int i = 0; i < D; i++)
        for (int j = 0; j < D; j++) {
            double s = 0;
            for (int p = 0; p < D; p++) s += B[i * D + p] * B[j * D + p];
            h->Lam[i * D + j] = (float)s;
            A[i * D + j] = (beta0 + n) * s; /* (β0* Λ) for μ's draw */
        }
    float *C2 = (float *)B, *zf2 = C2 + (size_t)D * D; /* B is spent: 2D² floats */
    if (chol_rounded(A, D, C2)) return -1;
    double bn = beta0 + n;
    for (int i = 0; i < D; i++) zf2[i] = (float)mfr__rng_normal(r);
    mfr__chol_solve_lt(C2, D, D, zf2); /* z ~ N(0, (β0*Λ)⁻¹) */
    for (int i = 0; i < D; i++) z[i] = zf2[i] + n * mean[i] / bn;
    for (int i = 0; i < D; i++) {
        double s = 0;
        for (int j = 0; j < D; j++) s += h->Lam[i * D + j] * z[j];
        h->h0[i] = (float)s;
    }
    return 0;
}

typedef struct bmf_side {
    const mfr__csr *c;  /* rows of this side */
    float *X;            /* [rows * D] this side, [b, factors] */
    const float *Y;      /* [other rows * D] the other side */
} bmf_side;

/* Draw one row: Λ* = Λ + α Σ x xᵀ, x = [1, y_f..], target r − μ − b_other. */
static void sample_row(const bmf_side *s, int32_t r, int D, float mu, float alpha,
                       const bmf_hyper *h, mfr__rng *rng, float *A, float *b, float *x) {
    memcpy(A, h->Lam, sizeof(float) * (size_t)D * D);
    memcpy(b, h->h0, sizeof(float) * (size_t)D);
    for (int64_t e = s->c->ptr[r]; e < s->c->ptr[r + 1]; e++) {
        const float *y = s->Y + (size_t)s->c->idx[e] * D;
        x[0] = 1.f;
        memcpy(x + 1, y + 1, sizeof(float) * (size_t)(D - 1));
        float t = s->c->val[e] - mu - y[0];
        mfr__syr_lower(A, D, D, x, alpha);
        for (int f = 0; f < D; f++) b[f] += alpha * t * x[f];
    }
    float *w = s->X + (size_t)r * D;
    if (mfr__chol(A, D, D)) return; /* cannot happen with Λ ≻ 0; keep the old draw */
    mfr__chol_solve(A, D, D, b);
    for (int f = 0; f < D; f++) x[f] = (float)mfr__rng_normal(rng);
    mfr__chol_solve_lt(A, D, D, x);
    for (int f = 0; f < D; f++) w[f] = b[f] + x[f];
}

static void sample_side(const bmf_side *s, int D, float mu, float alpha, const bmf_hyper *h,
                        uint64_t seed, uint64_t stream_hi, int threads, float *scratch) {
    /* OpenBLAS on one thread inside our rows (mfr__chol uses LAPACK for
     * D >= MFR__CHOL_LAPACK_MIN), as als.c and ials.c do. */
    const int blas_before = mfr__blas_threads_set(1);
#pragma omp parallel num_threads(threads)
    {
        size_t per = (size_t)D * D + 2 * (size_t)D;
        float *A = scratch + per * (size_t)omp_get_thread_num(), *b = A + (size_t)D * D, *x = b + D;
#pragma omp for schedule(dynamic, 32)
        for (int32_t r = 0; r < s->c->rows; r++) {
            mfr__rng rng;
            mfr__rng_seed_stream(&rng, seed, stream_hi | (uint64_t)r);
            sample_row(s, r, D, mu, alpha, h, &rng, A, b, x);
        }
    }
    mfr__blas_threads_set(blas_before);
}

typedef struct bmf_run {
    mfr__csr bu, bi;
    float *U, *V, *scratch;
    double *work;
    bmf_hyper *hyper;
} bmf_run;

static double bmf_sse(const bmf_run *w, int D, float mu) {
    double se = 0;
    for (int32_t u = 0; u < w->bu.rows; u++) {
        const float *a = w->U + (size_t)u * D;
        for (int64_t e = w->bu.ptr[u]; e < w->bu.ptr[u + 1]; e++) {
            const float *b = w->V + (size_t)w->bu.idx[e] * D;
            double d = w->bu.val[e] - mu - a[0] - b[0] - mfr__dot(a + 1, b + 1, D - 1);
            se += d * d;
        }
    }
    return se;
}

/* Append sample s (0-based of S) into the model's concatenated factors. */
static void collect(mfr_model *m, const bmf_run *w, int D, int32_t s, int32_t S) {
    const int32_t k = D - 1;
    float sc = 1.f / sqrtf((float)S);
    for (int32_t u = 0; u < m->n_users; u++) {
        const float *a = w->U + (size_t)u * D;
        m->user_bias[u] += a[0] / (float)S;
        for (int32_t f = 0; f < k; f++) m->P[(size_t)u * m->k + (size_t)s * k + f] = a[f + 1] * sc;
    }
    for (int32_t i = 0; i < m->n_items; i++) {
        const float *a = w->V + (size_t)i * D;
        m->item_bias[i] += a[0] / (float)S;
        for (int32_t f = 0; f < k; f++) m->Q[(size_t)i * m->k + (size_t)s * k + f] = a[f + 1] * sc;
    }
}

/* After a cancel with only `got` of S samples kept: rescale so the model is
 * the average of those (factors by √(S/got), biases by S/got); the unused
 * factor columns are zero. With got <= 0 the model is the plain μ. */
static void rescale_partial(mfr_model *m, int32_t got, int32_t S) {
    if (got <= 0 || got >= S) return;
    float fs = sqrtf((float)S / (float)got), bs = (float)S / (float)got;
    for (size_t j = 0; j < (size_t)m->n_users * m->k; j++) m->P[j] *= fs;
    for (size_t j = 0; j < (size_t)m->n_items * m->k; j++) m->Q[j] *= fs;
    for (int32_t u = 0; u < m->n_users; u++) m->user_bias[u] *= bs;
    for (int32_t i = 0; i < m->n_items; i++) m->item_bias[i] *= bs;
}

int mfr__bmf_sample_hyper(const float *X, int32_t n, int D, uint64_t seed, float *Lam,
                          float *mean) {
    bmf_hyper *h = mfr__aligned_alloc(sizeof *h);
    double *work = mfr__malloc(sizeof(double) * (4 * (size_t)D * D + 2 * (size_t)D));
    float *L = mfr__malloc(sizeof(float) * (size_t)D * D);
    int rc = -1;
    mfr__rng r;
    mfr__rng_seed(&r, seed);
    if (h && work && L && D <= BMF_MAXD && !(rc = sample_hyper(X, n, D, &r, h, work))) {
        memcpy(Lam, h->Lam, sizeof(float) * (size_t)D * D);
        memcpy(L, h->Lam, sizeof(float) * (size_t)D * D);
        memcpy(mean, h->h0, sizeof(float) * (size_t)D); /* Λμ -> μ */
        if (mfr__chol(L, D, D)) rc = -1;
        else mfr__chol_solve(L, D, D, mean);
    }
    mfr__free(h), mfr__free(work), mfr__free(L);
    return rc;
}

/* One Gibbs sweep (number `sweep`, 1-based). */
static mfr_status bmf_sweep(mfr_model *m, const mfr__fit_ctx *ctx, bmf_run *w, int D,
                            int32_t sweep, mfr_error *err) {
    const uint64_t seed = ctx->p->seed;
    mfr__rng rng;
    mfr__rng_seed_stream(&rng, seed, ((uint64_t)sweep << 34) | (3ull << 32));
    double sse = bmf_sse(w, D, m->mu);
    float alpha = (float)(mfr__rng_gamma(&rng, 1.0 + 0.5 * (double)w->bu.nnz) / (1.0 + 0.5 * sse));
    bmf_side su = {&w->bu, w->U, w->V}, si = {&w->bi, w->V, w->U};
    if (sample_hyper(w->U, m->n_users, D, &rng, w->hyper, w->work))
        return mfr__err(err, MFR_E_INTERNAL, "bmf: user hyperparameter draw not positive definite");
    sample_side(&su, D, m->mu, alpha, w->hyper, seed, ((uint64_t)sweep << 34) | (1ull << 32),
                ctx->threads, w->scratch);
    if (sample_hyper(w->V, m->n_items, D, &rng, w->hyper, w->work))
        return mfr__err(err, MFR_E_INTERNAL, "bmf: item hyperparameter draw not positive definite");
    sample_side(&si, D, m->mu, alpha, w->hyper, seed, ((uint64_t)sweep << 34) | (2ull << 32),
                ctx->threads, w->scratch);
    return MFR_OK;
}

static mfr_status bmf_chain(mfr_model *m, const mfr__fit_ctx *ctx, bmf_run *w, int D,
                            mfr_error *err) {
    const mfr_train_params *p = ctx->p;
    int32_t total = p->burnin + p->samples;
    double t0 = mfr__now();
    for (int32_t sw = 1; sw <= total; sw++) {
        mfr_status st = bmf_sweep(m, ctx, w, D, sw, err);
        if (st) return st;
        if (sw > p->burnin) collect(m, w, D, sw - p->burnin - 1, p->samples);
        m->epochs_run = sw;
        double tr = sqrt(bmf_sse(w, D, m->mu) / (double)w->bu.nnz); /* last draw */
        if ((st = mfr__report_epoch(ctx, "bmf", sw, total, tr, NAN, t0, err))) {
            rescale_partial(m, sw - p->burnin, p->samples);
            return st;
        }
    }
    return MFR_OK;
}

static void bmf_run_free(bmf_run *w) {
    mfr__csr_free(&w->bu), mfr__csr_free(&w->bi);
    mfr__free(w->U), mfr__free(w->V), mfr__free(w->scratch), mfr__free(w->work), mfr__free(w->hyper);
}

static mfr_status bmf_alloc(mfr_model *m, const mfr__fit_ctx *ctx, bmf_run *w, int D,
                            mfr_error *err) {
    mfr_status st;
    if ((st = mfr__csr_pair(ctx->train, m->n_users, m->n_items, &w->bu, &w->bi, err))) return st;
    w->U = mfr__aligned_alloc(sizeof(float) * (size_t)m->n_users * D);
    w->V = mfr__aligned_alloc(sizeof(float) * (size_t)m->n_items * D);
    w->scratch = mfr__aligned_alloc(sizeof(float) * ((size_t)D * D + 2 * (size_t)D) * (size_t)ctx->threads);
    w->work = mfr__aligned_alloc(sizeof(double) * (4 * (size_t)D * D + 2 * (size_t)D));
    w->hyper = mfr__aligned_alloc(sizeof(bmf_hyper));
    if (!w->U || !w->V || !w->scratch || !w->work || !w->hyper) return mfr__nomem(err, "bmf state");
    return MFR_OK;
}

static mfr_status bmf_fit(mfr_model *m, const mfr__fit_ctx *ctx, mfr_error *err) {
    const mfr_train_params *p = ctx->p;
    mfr_status st = mfr__check_fit(m, ctx, "bmf", err);
    if (st) return st;
    if (p->factors + 1 > BMF_MAXD || (int64_t)p->factors * p->samples > 65536)
        return mfr__err(err, MFR_E_INVALID, "bmf: need factors <= %d and factors*samples <= 65536 "
                        "(got %d, %d)", BMF_MAXD - 1, p->factors, p->samples);
    const int D = p->factors + 1;
    if ((st = mfr__model_alloc_factors(m, p->factors * p->samples, err))) return st;
    bmf_run w = {0};
    if (!(st = bmf_alloc(m, ctx, &w, D, err))) {
        mfr__fill_normal(w.U, (int64_t)m->n_users * D, p->init_std, p->seed, 1);
        mfr__fill_normal(w.V, (int64_t)m->n_items * D, p->init_std, p->seed, 2);
        st = bmf_chain(m, ctx, &w, D, err);
    }
    bmf_run_free(&w);
    return st;
}

const mfr__algo mfr__algo_bmf = {
    .id = MFR_ALGO_BMF,
    .fit = bmf_fit,
    .defaults = bmf_defaults,
};
