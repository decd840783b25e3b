/* csr.h — the one compressed-row view of a ratings subset, by user (row =
 * user, column = item) or by item (row = item, column = user): row r's
 * entries are idx/val[ptr[r] .. ptr[r+1]-1]. Every family builds its rows
 * here. Not public API. */
#ifndef MFR_CSR_H
#define MFR_CSR_H

#include "../core/core.h"

typedef struct mfr__csr {
    int32_t rows;
    int64_t nnz;
    int64_t *ptr;   /* [rows + 1] */
    int32_t *idx;   /* [nnz] column (item by user, user by item) */
    float *val;     /* [nnz] rating */
} mfr__csr;

/* The rows of r by user (by_item = 0, n_users rows) or by item (n_items
 * rows), each row's entries in the view's order (a stable counting sort, so
 * deterministic); the indices must lie in 0..n_users-1 / 0..n_items-1.
 * Errors as mfr__csr_build. */
mfr_status mfr__csr_rows(const mfr_ratings *r, int32_t n_users, int32_t n_items, int by_item,
                         mfr__csr *out, mfr_error *err);
/* Both views a fit takes: mfr__csr_rows by user into bu and by item into
 * bi; both empty on failure. */
mfr_status mfr__csr_pair(const mfr_ratings *r, int32_t n_users, int32_t n_items, mfr__csr *bu,
                         mfr__csr *bi, mfr_error *err);
/* mfr__csr_rows of rows lo..hi-1 only (row r of out is row lo + r; a
 * distributed fit's share, src/dist): the same entries in the same order as
 * those rows of mfr__csr_rows. MFR_E_INVALID for a range outside the rows. */
mfr_status mfr__csr_rows_range(const mfr_ratings *r, int32_t n_users, int32_t n_items,
                               int by_item, int32_t lo, int32_t hi, mfr__csr *out,
                               mfr_error *err);
/* mfr__csr_rows with r's own index ranges and each row sorted by column
 * (ascending; the neighbourhood and content families merge rows). MFR_E_INVALID
 * naming the first rating out of range, MFR_E_NOMEM; *out owns its arrays
 * (mfr__csr_free), and is left empty on failure. */
mfr_status mfr__csr_build(const mfr_ratings *r, int by_item, mfr__csr *out,
                          mfr_error *err);
void mfr__csr_free(mfr__csr *c);

#endif
