/* mfrec/dist.h — distributed training over MPI (Open MPI): one model trained
 * by the P processes `mpirun -n P` starts, each solving its share of the
 * users and items (als, ials; sgd: DSGD strata) and exchanging factors
 * with MPI collectives;
 * rank 0 gets the model to save. Lives in its own library (libmfrec_dist,
 * linked into the mfrec tool; MPI only there, never in libmfrec) and is NOT
 * included from mfrec.h. A build without MPI (-DMFR_MPI=OFF or no Open MPI)
 * has the same functions: one process only (checkpoints work), and
 * mfr_dist_open refuses a run mpirun started with more than one process.
 * docs/distributed.md describes the design, the memory per rank and the
 * checkpoint file. */
#ifndef MFREC_DIST_H
#define MFREC_DIST_H

#include <stdint.h>
#include "dataset.h"
#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mfr_dist mfr_dist;

typedef struct mfr_dist_params {
    const char *checkpoint_dir; /* NULL: no checkpoints; else DIR/checkpoint.mfc, written by rank 0 */
    int32_t checkpoint_every;   /* epochs between checkpoints (>= 1; 0 counts as 1) */
    const char *resume_dir;     /* NULL: start afresh; else continue from DIR/checkpoint.mfc */
} mfr_dist_params;

#define MFR_DIST_RANK_TIMEOUT 60.0 /* rank_timeout's default, seconds */

typedef struct mfr_dist_stats {
    uint64_t bytes_sent;        /* factor payload this rank sent (see docs/distributed.md) */
    double comm_seconds;        /* wall time inside collectives */
    double train_seconds;       /* wall time of the fit */
    int64_t share_ratings;      /* ratings this rank kept for its rows (users + items) */
} mfr_dist_stats;

/* 1 when this library was built with MPI. */
int mfr_dist_built_with_mpi(void);
/* The process count mpirun announced in the environment (Open MPI, PMIx or
 * PMI), or 0 when this process was not started by mpirun. */
int mfr_dist_launched(void);
/* Joins the run (MPI_Init) on every rank, with rank_timeout seconds (<= 0:
 * MFR_DIST_RANK_TIMEOUT) as the bound on every wait for another rank from
 * then on (the collectives below and those of mfr_dist_train; the host names
 * are exchanged under it). A wait past it fails with MFR_E_TIMEOUT naming
 * the operation, the epoch and the ranks and hosts it waited for; every
 * later collective then fails at once the same way and
 * mfr_dist_failed_alone(d) is true: print it and mfr_dist_abort. Without
 * MPI: MFR_E_UNSUPPORTED when mpirun started more than one process. */
mfr_status mfr_dist_open(mfr_dist **out, double rank_timeout, mfr_error *err);
int mfr_dist_rank(const mfr_dist *d);
int mfr_dist_size(const mfr_dist *d);
/* Collective: every rank passes its own status and error; all get the
 * status and message of the lowest rank that failed (*who = that rank, -1
 * when none did). */
mfr_status mfr_dist_agree(mfr_dist *d, mfr_status st, mfr_error *err, int *who);
/* Collective: trains p->algo (als, ials or sgd) on ds, every rank holding the
 * same ds; *out gets the whole model on every rank. Like
 * mfr_model_train_consume, ds's rating arrays are handed over: after the
 * call ds holds no ratings (ids and catalogue stay); free it as usual. A failure that only
 * this rank met (the others wait in a collective) leaves
 * mfr_dist_failed_alone(d) true: print it and mfr_dist_abort. */
mfr_status mfr_dist_train(mfr_dist *d, mfr_dataset *ds, const mfr_train_params *p,
                          const mfr_dist_params *dp, mfr_model **out, mfr_error *err);
/* 1 when mfr_dist_train_share can train p on DATA at path imported with
 * ip (NULL: the defaults): not a .mfd (by its magic) with ip->movies_path
 * (refused by the import). */
int mfr_dist_reads_share(const char *path, const mfr_import_params *ip, const mfr_train_params *p);
/* Collective: as mfr_dist_train, but each rank reads only its share of the
 * DATA at path (two streaming passes, never the whole file: the ratings of
 * its users and, als and ials, of its items): a .mfd directly, any
 * other input (CSV, MovieLens folder or zip) through the importer with ip,
 * its ratings streamed past; the model's common part comes from counts
 * summed over the ranks, so the memory per rank falls with P
 * (docs/distributed.md). No rank's *out holds the seen lists (their
 * factors are whole): rank 0 keeps the file open, and mfr_dist_model_save
 * writes the lists into the model file from it, a band of users at a time,
 * never holding them whole. A validation split (p->valid_frac) is one
 * process's holdout, drawn by every rank from the ratings' count; the held
 * ratings are kept whole on every rank. An error reading the file on any rank stops
 * all: *who is then the rank whose message err holds (print it there), -1
 * otherwise. A text input whose rows repeat a (user, movie) pair (which
 * the import drops once it holds every rating) is not trained: every rank
 * returns MFR_OK with *out NULL and *whole 1 — read it whole
 * (mfr_dataset_import, mfr_dist_train). */
mfr_status mfr_dist_train_share(mfr_dist *d, const char *path, const mfr_import_params *ip,
                                const mfr_train_params *p, const mfr_dist_params *dp,
                                mfr_model **out, int *who, int *whole, mfr_error *err);
/* Saves m to path as mfr_model_save does, byte for byte the same file; on
 * rank 0 after mfr_dist_train_share (m without seen lists) the seen lists are
 * streamed into it from DATA, in P bands of about N/P ratings (8 bytes
 * each), one more pass over the file's ratings a band. Not collective. */
mfr_status mfr_dist_model_save(mfr_dist *d, const mfr_model *m, const char *path, mfr_error *err);
int mfr_dist_failed_alone(const mfr_dist *d);
void mfr_dist_stats_get(const mfr_dist *d, mfr_dist_stats *s);
/* Ends every rank of the run with exit status code (MPI_Abort); without MPI
 * it does nothing (one process: the caller returns code itself). */
void mfr_dist_abort(mfr_dist *d, int code);
/* Leaves the run (MPI_Finalize) and frees d (NULL: nothing). */
void mfr_dist_close(mfr_dist *d);

#ifdef __cplusplus
}
#endif
#endif
