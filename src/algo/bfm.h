/* bfm.h — what the tests drive in the Bayesian factorization machine
 * (bfm.c): a probe called before every Gibbs draw with the conditional the
 * sampler is about to draw from, so a test can compare it with the closed
 * form computed from a dense design matrix. Not public API. */
#ifndef MFR_BFM_H
#define MFR_BFM_H

#include "algo.h"

/* Feature groups, in the order their global feature ranges are laid out
 * (glo[g]..ghi[g]-1): user block, movie block, context block. */
enum {
    MFR__BFM_G_UID, MFR__BFM_G_IMPL, MFR__BFM_G_AGE, MFR__BFM_G_GENDER, MFR__BFM_G_OCC,
    MFR__BFM_G_IID, MFR__BFM_G_FLIP, MFR__BFM_G_GENRE, MFR__BFM_G_TAG, MFR__BFM_G_YEAR,
    MFR__BFM_G_DATE, MFR__BFM_G_COUNT
};

/* The sampler's state as the probe sees it (valid during the call). */
typedef struct mfr__bfm_view {
    int64_t N;
    int32_t F, k;
    const float *w, *V;          /* [F], [F * k] feature-major */
    double w0, alpha;
    const int32_t *glo, *ghi;    /* [MFR__BFM_G_COUNT] */
    const float *mu_w, *lam_w;   /* [MFR__BFM_G_COUNT] */
    const float *mu_v, *lam_v;   /* [MFR__BFM_G_COUNT * k] */
    const int32_t *date_bin;     /* [N] each training rating's date bin */
} mfr__bfm_view;

/* Called before the draw of w0 (j = -1, f = -1), w_j (f = -1) or v_jf,
 * with the conditional N(num / prec, 1 / prec). */
typedef void (*mfr__bfm_probe_fn)(void *user, const mfr__bfm_view *v, int32_t j, int32_t f,
                                  double prec, double num);
/* Tests only, not thread-safe: every later bfm fit calls fn (NULL: none). */
void mfr__bfm_set_probe(mfr__bfm_probe_fn fn, void *user);

#endif
