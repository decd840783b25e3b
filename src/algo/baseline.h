/* baseline.h — the baseline pieces the families without factors share
 * (baseline, knn, content, hybrid; defined in baseline.c): the alternating
 * fit over CSR views, and a new user's ratings and bias. Not public API. */
#ifndef MFR_BASELINE_H
#define MFR_BASELINE_H

#include "algo.h"
#include "factor_util.h"
#include "../data/csr.h"

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

#endif
