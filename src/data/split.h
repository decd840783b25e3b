/* split.h — the library's own use of the splits (split.c): a holdout of a
 * ratings view as two owned subsets, for the validation splits families and
 * the trainer draw from their training ratings (train.c's valid_frac,
 * hybrid's weight fit). The public split API is in include/mfrec/dataset.h. */
#ifndef MFR_DATA_SPLIT_H
#define MFR_DATA_SPLIT_H

#include "mfrec/dataset.h"
#include "mfrec/error.h"

/* The holdout split of all (exactly round(n * frac) ratings to va, chosen by
 * a shuffle seeded with seed; the others to tr, both in their original
 * order). tr and va are owned copies (mfr_ratings_free), both empty on
 * failure. Callers give each use its own seed (p->seed mixed with a tag), so
 * it never repeats an evaluation split drawn with the same seed. */
mfr_status mfr__ratings_holdout(const mfr_ratings *all, double frac, uint64_t seed,
                                mfr_ratings *tr, mfr_ratings *va, mfr_error *err);

#endif
