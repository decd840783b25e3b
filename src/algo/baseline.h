/* baseline.h — the baseline pieces the families without factors share
 * (baseline, knn, content, hybrid; defined in baseline.c): a new user's
 * ratings and bias (the fit itself is factor_util.h's mfr__baseline_fit).
 * Not public API. */
#ifndef MFR_BASELINE_H
#define MFR_BASELINE_H

#include "algo.h"
#include "factor_util.h"
#include "../data/csr.h"

/* ---- a user who is not in the model (mfr__who u == -1) ----------------- */

/* The rating of w's j-th movie (rmax when w has no ratings: each counts as
 * liked), or NaN when it is unusable (unknown movie, NaN rating). */
float mfr__who_rating(const mfr_model *m, const mfr__who *w, int32_t j);
/* b_u of w against the fixed item biases bi (NULL: 0): one ALS user step of
 * mfr__baseline_fit, Σ_j (r_j − μ − b_j) / (reg_u + n) (the families here
 * fit with reg_u 15). */
float mfr__who_bias(const mfr_model *m, const mfr__who *w, const float *bi, float reg_u);

#endif
