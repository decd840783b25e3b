/* dist.h — what the files of src/dist share: the run (struct mfr_dist) and
 * the checkpoint file (checkpoint.c). */
#ifndef MFR_DIST_INTERNAL_H
#define MFR_DIST_INTERNAL_H

#include "../model/family.h"
#include "mfrec/dist.h"

struct mfr_dist {
    int rank, size, local_size;
    int mpi;                     /* MPI_Init was called (started by mpirun) */
    int failed_alone;
    int agreed;                  /* the fit's error was agreed by every rank (checkpoint.c) */
    mfr_dist_stats stats;
    const mfr_dist_params *dp;   /* during mfr_dist_train */
    uint64_t fingerprint;        /* of the run's parameters and data, in checkpoints */
    /* mfrec's bound on waits for other ranks (dist.c's wait_bounded) */
    double timeout;              /* seconds */
    int in_fit;                  /* 1 inside the fit: waits name the epoch */
    int32_t epoch;               /* epochs completed (the fit's, or the checkpoint's) */
    int timed_out;               /* a wait ran past the bound: every later one fails at once */
    char timeout_msg[MFR_ERROR_MSG_MAX];
    char *hosts;                 /* [size][MFR_DIST_HOST]: each rank's host name */
    struct mfr__mfd_share *share; /* rank 0 after a run from shares: the file, for the
                                   * model file's seen lists (mfr_dist_model_save) */
};

enum { MFR_DIST_HOST = 64 };

/* Collective broadcast of n bytes from rank 0 (nothing in one process). */
mfr_status mfr__dist_bcast(mfr_dist *d, void *buf, uint64_t n, mfr_error *err);

/* checkpoint.c: rank 0 writes DIR/checkpoint.mfc (atomically) after every
 * dp->checkpoint_every-th epoch; resume reads it on rank 0 and hands its
 * factors to every rank. Both collective, all ranks get the same status. */
mfr_status mfr__dist_checkpoint(const mfr__dist *fd, const mfr_model *m, int32_t epoch,
                                mfr_error *err);
/* 1 when a checkpoint is due after `epoch` (every dp->checkpoint_every-th;
 * mfr__dist_checkpoint writes after the last epoch too). */
int mfr__dist_checkpoint_due(const mfr__dist *fd, int32_t epoch);
mfr_status mfr__dist_resume(const mfr__dist *fd, mfr_model *m, int32_t *done, mfr_error *err);

#endif
