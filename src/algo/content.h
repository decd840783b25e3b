/* content.h — the content model's file sections and pieces (content.c),
 * shared with hybrid.c. Not public API. */
#ifndef MFR_CONTENT_H
#define MFR_CONTENT_H

#include "algo.h"
#include "../data/csr.h"

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
/* A user who is not in the model: the profile p = Σ_j (r_j − μ − bu − bi_j) v_j
 * of w's rated movies (the training profile's formula, bu from
 * mfr__who_bias), and cos(p, v_i) for every movie into cos[n_items].
 * Returns 1 when the profile is zero (no usable rating, no terms, or every
 * residual 0: cos untouched), -1 on no memory, 0 otherwise. */
int mfr__content_fold_cos(const mfr_model *m, const mfr__content_view *v, const mfr__who *w,
                          float bu, const float *bi, float *cos);

#endif
