/* svdpp.h — what SVD++ (svdpp.c) shares with timeSVD++ (timesvdpp.c): the
 * tuned defaults, the implicit sum and the per-epoch user order. Not public
 * API. */
#ifndef MFR_SVDPP_H
#define MFR_SVDPP_H

#include "factor_util.h"

/* svdpp's defaults (k 128, 40 epochs, lr 0.015 decaying 0.97, reg 0.06,
 * reg_bias 0.01, init_std 0.05). */
void mfr__svdpp_defaults(mfr_train_params *p);
/* z = |N(u)|^-½ Σ_{j∈N(u)} y_j over row u of c (by user), Y k floats a row. */
void mfr__svdpp_implicit(const mfr__csr *c, const float *Y, int32_t u, int32_t k, float *z);
/* The step's last part for user u (row u of c not empty), g = Σ e·q_i over
 * its ratings: y_j += γ|N(u)|^-½ g − min(γλ|N(u)|, ½) y_j for each j ∈ N(u). */
void mfr__svdpp_push_y(const mfr__csr *c, float *Y, int32_t u, int32_t k, const float *g,
                       float lr, float reg);

#endif
