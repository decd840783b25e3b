/* knn_common.h — internals shared by the neighbourhood, baseline, content,
 * hybrid and analysis files (src/algo/{baseline,knn,content,hybrid,kmeans,
 * pca}.c). Not public API.
 *
 * mfr__csr: compressed rows of a ratings subset, either by user (row = user,
 * col = item) or by item (row = item, col = user); ptr[n_rows+1] int64,
 * col[] int32 sorted ascending within a row, val[] float ratings. */
#ifndef MFR_KNN_COMMON_H
#define MFR_KNN_COMMON_H

#include "algo.h"
#include "factor_util.h"

typedef struct mfr__csr {
    int32_t n_rows, n_cols;
    int64_t *ptr;
    int32_t *col;
    float *val;
} mfr__csr;

/* Build the CSR of r by user (by_item = 0) or by item (1). MFR_E_NOMEM. */
mfr_status mfr__csr_build(const mfr_ratings *r, int by_item, mfr__csr *out,
                          mfr_error *err);
void mfr__csr_free(mfr__csr *c);

/* Baseline biases by alternating closed-form updates (Koren 2010, §2.1;
 * Surprise BaselineOnly 'als'):
 *   b_i = Σ_{u∈R(i)} (r_ui − μ − b_u) / (reg_i + |R(i)|)
 *   b_u = Σ_{i∈R(u)} (r_ui − μ − b_i) / (reg_u + |R(u)|)
 * epochs rounds, starting from zero. bu[n_users], bi[n_items] caller-owned. */
void mfr__baseline_als(const mfr__csr *by_user, const mfr__csr *by_item, float mu,
                       const mfr__baseline_settings *s, float *bu, float *bi);

/* ---- a user who is not in the model (mfr__who u == -1) ----------------- */

/* The rating of w's j-th movie (rmax when w has no ratings: each counts as
 * liked), or NaN when it is unusable (unknown movie, NaN rating). */
float mfr__who_rating(const mfr_model *m, const mfr__who *w, int32_t j);
/* b_u of w against the fixed item biases bi (NULL: 0): one ALS user step of
 * mfr__baseline_als, Σ_j (r_j − μ − b_j) / (reg_u + n) (the families here
 * fit with reg_u 15). */
float mfr__who_bias(const mfr_model *m, const mfr__who *w, const float *bi, float reg_u);

/* Copy the factor rows of the movies with >= min_ratings training ratings:
 * *items[*n] (ascending) and *X[*n * m->k], both owned by the caller
 * (mfr_free). MFR_E_UNSUPPORTED without factors, MFR_E_NOMEM. */
mfr_status mfr__gather_item_factors(const mfr_model *m, int32_t min_ratings,
                                    int32_t **items, float **X, int32_t *n,
                                    mfr_error *err);

/* Reference similarity of rows a and b of `rows` (cols sorted) by merging
 * the two rows; formulas in knn.c. 0 below min_support. */
float mfr__knn_pair_sim(const mfr__csr *rows, int32_t a, int32_t b, mfr_sim s,
                        int32_t min_support, float shrinkage);

/* ---- content model pieces (content.c), shared with hybrid.c ------------- */

typedef struct mfr__content_header {
    int32_t n_items, n_users, n_terms, reserved;
    int64_t nnz_items, nnz_users;
    float alpha;           /* r̂ = b_ui + alpha · cos(p_u, v_i) */
    float reserved2[3];
} mfr__content_header;

/* Pointers into the CN* sections of a model (valid while it lives). */
typedef struct mfr__content_view {
    const mfr__content_header *h;
    const int64_t *iptr, *uptr;
    const int32_t *iterm, *uterm;
    const float *iw, *uw;
} mfr__content_view;

/* Build the CN* sections of m: movie TF-IDF vectors from m's catalogue and
 * ctx->ds's tags, user profiles from the residuals against μ + bu + bi over
 * byu (the training ratings by user), and α. */
mfr_status mfr__content_build(mfr_model *m, const mfr__fit_ctx *ctx, const float *bu,
                              const float *bi, const mfr__csr *byu, mfr_error *err);
/* Check the CN* sections and fill v. MFR_E_FORMAT naming what is wrong. */
mfr_status mfr__content_view_get(const mfr_model *m, mfr__content_view *v, mfr_error *err);
/* cos(p_u, v_i) (both unit or zero). */
float mfr__content_cos(const mfr__content_view *v, int32_t u, int32_t i);
/* cos(v_i, v_j) for every j into scores[n_items]; NaN where <= 0. */
void mfr__content_similar(const mfr__content_view *v, int32_t i, float *scores);
/* A user who is not in the model: the profile p = Σ_j (r_j − μ − bu − bi_j) v_j
 * of w's rated movies (the training profile's formula, bu from
 * mfr__who_bias), and cos(p, v_i) for every movie into cos[n_items].
 * Returns 1 when the profile is zero (no usable rating, no terms, or every
 * residual 0: cos untouched), -1 on no memory, 0 otherwise. */
int mfr__content_fold_cos(const mfr_model *m, const mfr__content_view *v, const mfr__who *w,
                          float bu, const float *bi, float *cos);

#endif
