/* knn.h — the neighbourhood model's pieces its tests reach (knn.c). Not
 * public API. */
#ifndef MFR_KNN_H
#define MFR_KNN_H

#include "algo.h"
#include "../data/csr.h"

/* Reference similarity of rows a and b of `rows` (cols sorted) by merging
 * the two rows; formulas in knn.c. 0 below min_support. */
float mfr__knn_pair_sim(const mfr__csr *rows, int32_t a, int32_t b, mfr_sim s,
                        int32_t min_support, float shrinkage);

#endif
