/* part.h — the rows a factor fit solves: all of them in one process, or one
 * rank's share in a distributed run (ctx->dist, src/model/family.h; the MPI
 * side is src/dist). A family solves its share's rows with its one row
 * solver (als: mfr__als_solve_side, ials: mfr__ials_solve_gram) and calls
 * mfr__part_share after each half-step, so one process and P ranks run the
 * same code; in one process every call here is the plain single-process
 * step (no copy, no communication). */
#ifndef MFR_PART_H
#define MFR_PART_H

#include "factor_util.h"

typedef struct mfr__part {
    const mfr__dist *d;       /* NULL: one process */
    int32_t u0, u1, i0, i1;   /* users u0..u1-1 and items i0..i1-1 are this fit's */
} mfr__part;

void mfr__part_init(mfr__part *pt, const mfr__fit_ctx *ctx, int32_t n_users, int32_t n_items);
/* The share's rows of r: by user (rows u0..u1-1) and by item (i0..i1-1);
 * those the run read straight from the file (mfr__dist's rows) when it did. */
mfr_status mfr__part_csr(const mfr__part *pt, const mfr_ratings *r, int32_t n_users,
                         int32_t n_items, mfr__csr *bu, mfr__csr *bi, mfr_error *err);
/* After a half-step: every rank's rows of X (k wide) and of xb (NULL: none)
 * to all (by_item: the item side). */
mfr_status mfr__part_share(const mfr__part *pt, int by_item, float *X, int32_t k, float *xb,
                           mfr_error *err);
/* Element-wise sum over the ranks (one process: nothing to do). */
mfr_status mfr__part_sum_f(const mfr__part *pt, float *x, int64_t n, mfr_error *err);
mfr_status mfr__part_sum_d(const mfr__part *pt, double *x, int64_t n, mfr_error *err);
/* The regularised baseline (mfr__baseline_fit) from the share's rows bu
 * (users u0..) and bi (items i0..): each half-pass solves the share's rows
 * and hands them to all, so every rank gets the biases one process fits
 * (the same rows, in the same order). One process: mfr__baseline_fit. */
mfr_status mfr__part_baseline(const mfr__part *pt, const mfr__csr *bu, const mfr__csr *bi,
                              float mu, const mfr__baseline_settings *set, int32_t n_users,
                              int32_t n_items, float *ub, float *ib, mfr_error *err);
/* *x becomes the largest of every rank's *x (one process: unchanged). */
mfr_status mfr__part_max_f(const mfr__part *pt, float *x, mfr_error *err);
/* DSGD strata (sgd; Gemulla et al., KDD 2011): the item blocks are the
 * ranks' item ranges, and in sub-epoch s = 0..strata-1 this part updates its
 * users against item block (rank + s) mod P, items *i0..*i1-1 (one process:
 * one stratum, all items). mfr__part_shift after sub-epoch s hands that
 * block's rows of X (k wide) and of xb to rank - 1 and takes block
 * (rank + s + 1) mod P from rank + 1, so after the last sub-epoch every rank
 * holds its own block again, updated (then mfr__part_share). */
int32_t mfr__part_strata(const mfr__part *pt);
void mfr__part_stratum(const mfr__part *pt, int32_t s, int32_t *i0, int32_t *i1);
mfr_status mfr__part_shift(const mfr__part *pt, int32_t s, float *X, int32_t k, float *xb,
                           mfr_error *err);
/* Training RMSE: one process mfr__rmse(m, train); distributed, the squared
 * errors of the share's users (bu) summed over the ranks. */
double mfr__part_rmse(const mfr__part *pt, const mfr_model *m, const mfr_ratings *train,
                      const mfr__csr *bu);
/* mfr__report_epoch (rank 0 reports) and the checkpoint after the epoch;
 * cancellation is agreed by all ranks. MFR_E_CANCELLED (message naming
 * family and epoch) or the checkpoint's error. */
mfr_status mfr__part_epoch(const mfr__part *pt, const mfr__fit_ctx *ctx, mfr_model *m,
                           const char *family, int32_t epoch, double train_rmse,
                           double valid_rmse, double t0, mfr_error *err);
/* 1 when, after epoch `epoch` of `epochs`, the whole of the factors is read
 * (distributed: the last epoch, or a checkpoint due; one process: 0): a fit
 * that left the other ranks' rows stale (ials) gathers them first. */
int mfr__part_whole_due(const mfr__part *pt, int32_t epoch, int32_t epochs);
/* A checkpoint's factors into m: the epochs it had completed, 0 for none. */
mfr_status mfr__part_resume(const mfr__part *pt, mfr_model *m, int32_t *done, mfr_error *err);

#endif
