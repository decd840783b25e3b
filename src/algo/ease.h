/* ease.h — the EASE^R item-item model (Steck 2019, "Embarrassingly Shallow
 * Autoencoders for Sparse Data"), shared by the `ease` family and the
 * default `auto` family, which orders its lists by it.
 *
 * B (n × n, float, row-major) over the n items the ranker covers; a user
 * with weighted rating row x scores s = x·B. Sections in the model file:
 * EASB (B), EASI (the covered items' model indices, ascending). */
#ifndef MFR_EASE_H
#define MFR_EASE_H

#include "algo.h"

/* Covered items and B built from ctx->train into m's extra sections, within
 * p->max_memory_mb. shrink != 0: when the items with >= rank_min_ratings
 * training ratings do not fit, keep the most rated that do; shrink == 0:
 * MFR_E_LIMIT before allocating, saying what it needs. */
mfr_status mfr__ease_build(mfr_model *m, const mfr__fit_ctx *ctx, int shrink, mfr_error *err);
/* After a fit or a load: check the sections and build the item -> row map
 * (m->algo_state). MFR_E_FORMAT for sections that do not fit together. */
mfr_status mfr__ease_attach(mfr_model *m, mfr_error *err);
void mfr__ease_release(mfr_model *m);
/* rank[i] = Σ_j w(r_j) B[j, i] over w's rated covered items, w the input
 * weight except −w(r_max) for a rating at the bottom of the scale ("not
 * interested": it counts against); for the items
 * not covered NaN, or with_tail: μ + b_i − 10⁴ (after every covered one). */
void mfr__ease_rank(const mfr_model *m, const mfr__who *w, float *rank, int with_tail);
/* The same in the covered items' order: acc[c] (n floats, n from
 * mfr__ease_items) for the c-th covered item, NaN for those in skip[0..n_skip)
 * (model indices, any order). The one accumulation behind mfr__ease_rank. */
void mfr__ease_scores(const mfr_model *m, const mfr__who *w, const int32_t *skip, int64_t n_skip,
                      float *acc);
/* For the covered items in their order: the item biases b_i and upper
 * bounds ‖q_i‖·(1 + 10⁻⁵) of the factor norms, when the model has both
 * (auto's rank bounds): 1, else 0 with both NULL. */
int mfr__ease_item_terms(const mfr_model *m, const float **bias, const float **norm);
/* The covered items (model indices, ascending), *n set; NULL before attach. */
const int32_t *mfr__ease_items(const mfr_model *m, int32_t *n);
/* Input weight of rating r: (r / rmax)^power, 1 when power is 0. */
float mfr__ease_weight(const mfr_model *m, float r);

#endif
