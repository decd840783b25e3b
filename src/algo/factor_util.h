/* factor_util.h — pieces the factor-model families share: Gaussian factor
 * initialisation from a seeded stream, the check every fit starts with, the
 * baseline fit and the solvers over compressed-row views of the ratings
 * (src/data/csr.h, mfr__csr_rows: each row in the view's order). */
#ifndef MFR_FACTOR_UTIL_H
#define MFR_FACTOR_UTIL_H

#include "algo.h"
#include "../data/csr.h"

/* x[0..n) ~ N(0, std²) from the stream (seed, stream). */
void mfr__fill_normal(float *x, int64_t n, float std, uint64_t seed, uint64_t stream);

/* MFR_E_INVALID when the training set is empty or the model has no users or
 * items (the params check holds a factor family's factors in 1..4096). */
mfr_status mfr__check_fit(const mfr_model *m, const mfr__fit_ctx *ctx, const char *family,
                          mfr_error *err);

/* How a baseline μ + b_u + b_i is fitted: alternating passes and the two
 * penalties. */
typedef struct mfr__baseline_settings {
    int32_t passes;
    float reg_user, reg_item;
} mfr__baseline_settings;

/* The baseline every family that needs one beside its own model uses (the
 * stars of ease, ials, bpr; the base of svd, knn, content, hybrid): 10 passes,
 * λ_u = reg, λ_i = ⅔·reg (Surprise's BaselineOnly 15 / 10 at reg 15). */
static inline mfr__baseline_settings mfr__baseline_default(float reg) {
    return (mfr__baseline_settings){10, reg, reg * (2.f / 3.f)};
}

/* The fixed baseline of the families whose base is not tuned (svd, knn,
 * content, hybrid): mfr__baseline_default(15). */
static const mfr__baseline_settings MFR__BASELINE_15 = {10, 15.f, 10.f};

/* Regularised baseline μ + b_u + b_i by alternating closed-form passes
 * (Koren 2010, §2.1): b_i = Σ(r − μ − b_u)/(λ_i + n_i), b_u likewise.
 * bu/bi are overwritten; a row with no ratings and λ = 0 gets 0. */
void mfr__baseline_fit(const mfr__csr *by_user, const mfr__csr *by_item, float mu,
                       const mfr__baseline_settings *s, float *bu, float *bi);
/* One half-pass of it: b[r] for each row r of c against the other side's
 * biases (indexed by c's columns); a distributed fit passes its share's rows
 * and b at its first row (src/algo/part.c). */
void mfr__baseline_pass(const mfr__csr *c, float mu, float reg, const float *other, float *b);
/* Its last step: a bias that is not finite (0/0) becomes 0. */
void mfr__baseline_finite(float *b, int32_t n);

/* ---- early stopping ---------------------------------------------------
 * With a validation set and p->early_stop > 0, a fit calls mfr__best_update
 * after every epoch; it snapshots P, Q and the biases whenever the validation
 * RMSE improves and answers 1 once early_stop epochs passed without a better
 * one. mfr__best_restore then puts the best epoch back (and its RMSE and
 * epoch count in m). Without validation or patience everything is a no-op. */
typedef struct mfr__best {
    float *P, *Q, *bu, *bi;
    double rmse;
    int32_t epoch, patience, active;
} mfr__best;

mfr_status mfr__best_init(mfr__best *b, const mfr_model *m, const mfr__fit_ctx *ctx,
                          mfr_error *err);
int mfr__best_update(mfr__best *b, const mfr_model *m, double valid_rmse, int32_t epoch);
void mfr__best_restore(mfr__best *b, mfr_model *m);
void mfr__best_free(mfr__best *b);

/* ---- entry points the tests and benchmarks drive directly ------------- */

/* als.c: solve every row of c for [b, x] against the fixed other side (Y, yb)
 * — the weighted-λ normal equations in als.c's header; xb NULL solves without
 * a bias. MFR_E_NOMEM for the per-thread scratch. */
mfr_status mfr__als_solve_side(const mfr__csr *c, const float *Y, const float *yb, float mu,
                               int32_t k, float lam, float lam_b, float *X, float *xb,
                               int threads, mfr_error *err);

/* svd.c: rank-k truncated SVD R ≈ U·diag(S)·Vᵀ of the sparse matrix given as
 * its row view and column view (same entries), by randomized range finding
 * with `power` power iterations; U: rows x k, V: cols x k (row-major), S
 * descending. MFR_E_INVALID when k > min(rows, cols), MFR_E_INTERNAL when
 * LAPACK fails, MFR_E_NOMEM. */
mfr_status mfr__rsvd(const mfr__csr *rows, const mfr__csr *cols, int32_t k, int32_t power,
                     uint64_t seed, int threads, float *U, float *S, float *V, mfr_error *err);

/* bmf.c: one draw of (μ, Λ) from the Normal-Wishart posterior given the n
 * rows of X (n x D), into Lam (D x D, full) and mean (D). Returns 0, or -1
 * on allocation failure or a matrix that is not positive definite. */
int mfr__bmf_sample_hyper(const float *X, int32_t n, int D, uint64_t seed, float *Lam,
                          float *mean);

/* ials.c: one half-iteration of implicit ALS (Rendle et al. 2021) — every
 * row r of c solves (a0·YᵀY + λ·(n_r + a0·n_other)^nu I + Σ c_i y_i y_iᵀ) x
 * = Σ c_i y_i, c_i = 1 + alpha·val_i, by cg_steps conjugate-gradient steps
 * warm-started from X (0: an exact Cholesky solve), with Y the other side's
 * n_other x k factors. a0 = 1, nu = 0: Hu et al.'s weights. ks: kernel
 * switches (NULL: defaults; scalar = the reference row kernels). MFR_E_NOMEM. */
mfr_status mfr__ials_solve_side(const mfr__csr *c, const float *Y, int32_t n_other, int32_t k,
                                float lam, float alpha, float a0, float nu, int cg_steps,
                                float *X, int threads, const mfr__kernels *ks, mfr_error *err);
/* Its two steps, for a distributed fit (part.h) that sums the gramian over
 * the ranks: G (k x k + k floats) := a0·YᵀY of Y's n rows (lower triangle;
 * on `threads` threads, the same G for any count; MFR_E_NOMEM for its
 * scratch); then c's rows solved against that G (overwritten), rows_all
 * being the side's whole row count (it picks the same solve path on every
 * rank). */
mfr_status mfr__ials_gram(const float *Y, int32_t n, int32_t k, float a0, float *G, int threads,
                          const mfr__kernels *ks, mfr_error *err);
mfr_status mfr__ials_solve_gram(const mfr__csr *c, const float *Y, int32_t n_other, float *G,
                                int32_t rows_all, int32_t k, float lam, float alpha, float a0,
                                float nu, int cg_steps, float *X, int threads,
                                const mfr__kernels *ks, mfr_error *err);
/* The same solve for a rank's share (part.h), the same floats into X, with
 * less memory: where the solve rotates to the eigenbasis, Y (n_other x k)
 * and X are rotated in place instead of into copies; Y's rows
 * keep0..keep1-1 (the rank's own) come back bit for bit, its other rows are
 * left rotated (the caller gathers them again before they are read). */
mfr_status mfr__ials_solve_share(const mfr__csr *c, float *Y, int32_t n_other, int32_t keep0,
                                 int32_t keep1, float *G, int32_t rows_all, int32_t k, float lam,
                                 float alpha, float a0, float nu, int cg_steps, float *X,
                                 int threads, const mfr__kernels *ks, mfr_error *err);

#endif
