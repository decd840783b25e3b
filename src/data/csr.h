/* csr.h — compressed rows of a ratings view, by user (row = user, col =
 * item) or by item (row = item, col = user): ptr[n_rows+1] int64, col[]
 * int32 (sorted ascending within a row by mfr__csr_build), val[] float ratings. Not public API. */
#ifndef MFR_CSR_H
#define MFR_CSR_H

#include "../core/core.h"

typedef struct mfr__csr {
    int32_t n_rows, n_cols;
    int64_t *ptr;
    int32_t *col;
    float *val;
} mfr__csr;

/* The rows of r by user (by_item = 0, n_users rows) or by item (n_items
 * rows), each row's entries in the view's order (a stable counting sort, so
 * deterministic); the indices must lie in 0..n_users-1 / 0..n_items-1.
 * Errors as mfr__csr_build. */
mfr_status mfr__csr_rows(const mfr_ratings *r, int32_t n_users, int32_t n_items, int by_item,
                         mfr__csr *out, mfr_error *err);
/* Build the CSR of r by user (by_item = 0) or by item (1). MFR_E_INVALID
 * naming the first rating out of range, MFR_E_NOMEM; *out owns its arrays
 * (mfr__csr_free), and is left empty on failure. */
mfr_status mfr__csr_build(const mfr_ratings *r, int by_item, mfr__csr *out,
                          mfr_error *err);
void mfr__csr_free(mfr__csr *c);

#endif
