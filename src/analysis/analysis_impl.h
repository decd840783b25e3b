/* analysis_impl.h — what kmeans.c and pca.c share: the movie factors of a
 * trained model as a matrix. Analysis reads models; it is not a model family
 * (src/algo), so it sees only the model's internals. Not public API. */
#ifndef MFR_ANALYSIS_IMPL_H
#define MFR_ANALYSIS_IMPL_H

#include "../model/model_impl.h"

/* Copy the factor rows of the movies with >= min_ratings training ratings:
 * *items[*n] (ascending) and *X[*n * m->k], both owned by the caller
 * (mfr__free). MFR_E_UNSUPPORTED without factors, MFR_E_NOMEM. */
mfr_status mfr__gather_item_factors(const mfr_model *m, int32_t min_ratings,
                                    int32_t **items, float **X, int32_t *n,
                                    mfr_error *err);

#endif
