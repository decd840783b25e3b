/* dist.c — distributed training over MPI (include/mfrec/dist.h).
 *
 * Every rank holds all factors and, read as shares (mfr_dist_train_share:
 * a .mfd, or a text input through the importer), only the ratings of its
 * own rows (src/io/mfd_share.h), else the whole dataset (mfr_dist_train);
 * rank q solves users
 * user_lo[q]..user_lo[q+1]-1 and items item_lo[q]..item_lo[q+1]-1, ranges
 * cut so that each holds about nnz/P ratings, and keeps only those rows'
 * ratings for the fit (src/algo/part.h). After each half-step the rows are
 * exchanged by MPI_Allgatherv in place (a row is one MPI datatype of width
 * floats, so the counts stay small at any size); iALS's gramian a0·YᵀY is
 * each rank's rows' part summed by MPI_Allreduce. Rows are solved by the
 * same row solver as one process, so the model equals one process's to
 * float rounding (the gramian's summation order is the only difference).
 * sgd runs DSGD strata (src/algo/sgd.c): the item blocks pass round the
 * ranks by MPI_Isend/MPI_Irecv (shift_rows) between its P sub-epochs.
 *
 * No wait for another rank is left to Open MPI's own timeouts: every one is
 * a non-blocking operation polled by wait_bounded against d->timeout (the
 * CLI's --rank-timeout), past which it fails with MFR_E_TIMEOUT naming the
 * operation, the epoch and the ranks (and their hosts) it waited for. The
 * factor exchange is point-to-point (each rank's rows sent to every other,
 * MPI_Isend/MPI_Irecv) so that the ranks that did not answer can be named;
 * the sums and broadcasts are MPI_Iallreduce and MPI_Ibcast.
 *
 * Built without MPI (MFR_HAVE_MPI undefined) the same code runs with one
 * rank and no communication. */
#include "dist.h"
#include "../core/core.h"
#include "../io/mfd_share.h"

#include <stdio.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifdef MFR_HAVE_MPI
#include <mpi.h>
#endif

int mfr_dist_built_with_mpi(void) {
#ifdef MFR_HAVE_MPI
    return 1;
#else
    return 0;
#endif
}

int mfr_dist_launched(void) {
    const char *names[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "PMI_SIZE"};
    for (size_t j = 0; j < sizeof names / sizeof names[0]; j++) {
        const char *v = getenv(names[j]);
        if (v && *v) {
            int n = atoi(v);
            if (n > 0) return n;
        }
    }
    return 0;
}

#ifdef MFR_HAVE_MPI
/* ---- the bound on every wait for another rank -------------------------- */

/* "rank 2 (host b)": rank q and where it runs */
static int put_rank(const mfr_dist *d, int q, char *buf, size_t cap) {
    const char *h = d->hosts ? d->hosts + (size_t)q * MFR_DIST_HOST : "";
    return snprintf(buf, cap, h[0] ? "rank %d (host %s)" : "rank %d", q, h);
}

/* Waits until req[0..n-1] complete or d->timeout seconds pass. peer[j]: the
 * rank req[j] exchanges with, -1 for a collective (then all the others
 * are named, as any of them may be the one missing; overwritten). On
 * timeout: the message, kept in d for every later call, and MFR_E_TIMEOUT. */
static mfr_status wait_bounded(mfr_dist *d, int n, MPI_Request *req, int *peer, const char *op,
                               mfr_error *err) {
    double t0 = mfr__now();
    for (unsigned spin = 1;; spin++) {
        int done = 0;
        if (MPI_Testall(n, req, &done, MPI_STATUSES_IGNORE) != MPI_SUCCESS)
            return mfr__err(err, MFR_E_IO, "%s failed", op);
        if (done) return MFR_OK;
        if (spin % 16 == 0 && mfr__now() - t0 > d->timeout) break;
    }
    /* which of the ranks waited for have not answered: the peers of the
     * requests still open (a collective's: all the others) */
    const int coll = peer[0] < 0;
    char who[320] = "";
    size_t at = 0;
    int named = 0, more = 0;
    for (int j = 0; j < n; j++) {
        int flag = 0;
        if (peer[j] >= 0 && (MPI_Test(&req[j], &flag, MPI_STATUS_IGNORE) != MPI_SUCCESS || flag)) {
            peer[j] = -2; /* answered */
            continue;
        }
        for (int q = 0; q < d->size; q++) {
            int seen = q == d->rank || (peer[j] >= 0 && q != peer[j]);
            for (int i = 0; i < j && !seen; i++) seen = peer[i] == q; /* named already */
            if (seen) continue;
            if (named++ == 4) {
                more++, named--;
                continue;
            }
            if (at < sizeof who) at += (size_t)snprintf(who + at, sizeof who - at, "%s", named > 1 ? ", " : "");
            if (at < sizeof who) at += (size_t)put_rank(d, q, who + at, sizeof who - at);
        }
    }
    if (more && at < sizeof who) snprintf(who + at, sizeof who - at, " and %d more", more);
    char when[32] = "before training";
    if (d->in_fit) snprintf(when, sizeof when, "of epoch %d", (int)d->epoch + 1);
    const char *host = d->hosts ? d->hosts + (size_t)d->rank * MFR_DIST_HOST : "";
    snprintf(d->timeout_msg, sizeof d->timeout_msg,
             "%s%s%swaited %g s (--rank-timeout) for %s%s in %s %s: no answer (that rank stopped, or "
             "its host cannot be reached); the run ends",
             host[0] ? "on host " : "", host, host[0] ? ", " : "", d->timeout, coll ? "any of " : "",
             who, op, when);
    d->timed_out = 1;
    return mfr__err(err, MFR_E_TIMEOUT, "%s", d->timeout_msg);
}

/* After a wait ran past the bound the run is over: no further exchange. */
static mfr_status check_alive(const mfr_dist *d, mfr_error *err) {
    return d->timed_out ? mfr__err(err, MFR_E_TIMEOUT, "%s", d->timeout_msg) : MFR_OK;
}

/* A collective's one request: any other rank may be the one it waits for. */
static mfr_status wait_coll(mfr_dist *d, MPI_Request *rq, const char *op, mfr_error *err) {
    int all = -1;
    return wait_bounded(d, 1, rq, &all, op, err);
}
enum { MFR_DIST_TAG_SHIFT = 9, MFR_DIST_TAG_GATHER = 10 };
#endif

mfr_status mfr_dist_open(mfr_dist **out, double rank_timeout, mfr_error *err) {
    *out = NULL;
#ifndef MFR_HAVE_MPI
    int n = mfr_dist_launched();
    if (n > 1)
        return mfr__err(err, MFR_E_UNSUPPORTED,
                        "this mfrec was built without MPI (-DMFR_MPI=OFF or no Open MPI found): "
                        "it cannot train distributed, and mpirun started %d copies of it", n);
#endif
    mfr_dist *d = mfr__calloc(1, sizeof *d);
    if (!d) return mfr__nomem(err, "distributed run");
    d->size = d->local_size = 1;
    d->timeout = rank_timeout > 0 ? rank_timeout : MFR_DIST_RANK_TIMEOUT;
#ifdef MFR_HAVE_MPI
    /* Not started by mpirun: one process, MPI is not started at all (no
     * singleton runtime, nothing of Open MPI's in the process). */
    if (!mfr_dist_launched()) {
        *out = d;
        return MFR_OK;
    }
    d->mpi = 1;
    int inited = 0;
    MPI_Initialized(&inited);
    if (!inited && MPI_Init(NULL, NULL) != MPI_SUCCESS) {
        mfr__free(d);
        return mfr__err(err, MFR_E_IO, "MPI_Init failed");
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &d->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &d->size);
    MPI_Comm local;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &local);
    MPI_Comm_size(local, &d->local_size);
    MPI_Comm_free(&local);
    /* every rank's host name, for the messages of a wait past the bound */
    if (d->size > 1) {
        d->hosts = mfr__calloc((size_t)d->size, MFR_DIST_HOST);
        char name[MPI_MAX_PROCESSOR_NAME + 1] = "", mine[MFR_DIST_HOST] = "";
        int len = 0;
        MPI_Get_processor_name(name, &len);
        snprintf(mine, sizeof mine, "%.*s", MFR_DIST_HOST - 1, name);
        MPI_Request rq;
        mfr_status st = MFR_OK;
        if (!d->hosts)
            st = mfr__nomem(err, "host names");
        else if (MPI_Iallgather(mine, MFR_DIST_HOST, MPI_CHAR, d->hosts, MFR_DIST_HOST, MPI_CHAR,
                                MPI_COMM_WORLD, &rq) != MPI_SUCCESS)
            st = mfr__err(err, MFR_E_IO, "MPI_Iallgather failed");
        else
            st = wait_coll(d, &rq, "the exchange of host names (MPI_Iallgather)", err);
        if (st) { /* the others may wait for this rank: the caller aborts the run */
            d->failed_alone = 1;
            *out = d;
            return st;
        }
    }
#endif
    *out = d;
    return MFR_OK;
}

int mfr_dist_rank(const mfr_dist *d) { return d ? d->rank : 0; }
int mfr_dist_size(const mfr_dist *d) { return d ? d->size : 1; }
int mfr_dist_failed_alone(const mfr_dist *d) { return d && (d->failed_alone || d->timed_out); }
void mfr_dist_stats_get(const mfr_dist *d, mfr_dist_stats *s) {
    if (d) *s = d->stats;
    else memset(s, 0, sizeof *s);
}

mfr_status mfr_dist_agree(mfr_dist *d, mfr_status st, mfr_error *err, int *who) {
    *who = st ? d->rank : -1;
#ifdef MFR_HAVE_MPI
    if (d->size > 1) {
        mfr_status ws = check_alive(d, err);
        int mine = st ? d->rank : d->size, first = d->size;
        MPI_Request rq;
        if (!ws && MPI_Iallreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD, &rq) == MPI_SUCCESS)
            ws = wait_coll(d, &rq, "the agreement on errors (MPI_Iallreduce)", err);
        if (ws) { /* this rank alone, past the bound: its message */
            *who = d->rank;
            return ws;
        }
        if (first == d->size) {
            *who = -1;
            return MFR_OK;
        }
        mfr_error e = {0};
        if (d->rank == first) e = *err, e.code = st;
        if (MPI_Ibcast(&e, (int)sizeof e, MPI_BYTE, first, MPI_COMM_WORLD, &rq) == MPI_SUCCESS)
            ws = wait_coll(d, &rq, "the broadcast of an error (MPI_Ibcast)", err);
        if (ws) {
            *who = d->rank;
            return ws;
        }
        e.message[sizeof e.message - 1] = '\0';
        if (err) *err = e;
        *who = first;
        return e.code;
    }
#endif
    return st;
}

mfr_status mfr__dist_bcast(mfr_dist *d, void *buf, uint64_t n, mfr_error *err) {
#ifdef MFR_HAVE_MPI
    unsigned char *p = buf;
    mfr_status st = d->size > 1 ? check_alive(d, err) : MFR_OK;
    for (uint64_t at = 0; d->size > 1 && at < n && !st;) { /* counts are int */
        int c = n - at > (1u << 30) ? 1 << 30 : (int)(n - at);
        MPI_Request rq;
        if (MPI_Ibcast(p + at, c, MPI_BYTE, 0, MPI_COMM_WORLD, &rq) != MPI_SUCCESS)
            return mfr__err(err, MFR_E_IO, "MPI_Ibcast failed");
        st = wait_coll(d, &rq, "a broadcast from rank 0 (MPI_Ibcast)", err);
        at += (uint64_t)c;
    }
    if (st) return st;
#endif
    return MFR_OK;
}

void mfr_dist_abort(mfr_dist *d, int code) {
#ifdef MFR_HAVE_MPI
    if (d && d->size > 1) MPI_Abort(MPI_COMM_WORLD, code ? code : 1);
#endif
}

/* Rank 0's file kept for the model file's seen lists, closed. */
static void drop_share(mfr_dist *d) {
    if (!d->share) return;
    mfr__mfd_share_close(d->share);
    mfr__free(d->share);
    d->share = NULL;
}

void mfr_dist_close(mfr_dist *d) {
    if (!d) return;
#ifdef MFR_HAVE_MPI
    int fin = 0;
    if (d->mpi) MPI_Finalized(&fin);
    if (d->mpi && !fin) MPI_Finalize();
#endif
    mfr__free(d->hosts);
    drop_share(d);
    mfr__free(d);
}

/* ---- the collectives a fit calls (family.h's mfr__dist) ---------------- */

#ifdef MFR_HAVE_MPI
/* "the movie factors' exchange" */
static void exchange_name(const mfr__dist *fd, const int32_t *lo, int32_t width, char *buf, size_t n) {
    snprintf(buf, n, "the %s %s' exchange (MPI_Isend/MPI_Irecv)", lo == fd->item_lo ? "movie" : "user",
             width == 1 ? "biases" : "factors");
}

/* The one exchange of factor rows between ranks: for j = 1..n, the rows of
 * block recv (-1: block me + j, the sender's own) received from rank me + j
 * and the rows of block send sent to rank me - j (mod P), all posted before
 * any is waited for (so a ring cannot deadlock), the wait bounded by
 * --rank-timeout and named op; the bytes sent and the time counted. */
static mfr_status swap_rows(mfr_dist *d, float *X, int32_t width, const int32_t *lo, int n, int send,
                            int recv, int tag, const char *op, mfr_error *err) {
    mfr_status st = check_alive(d, err);
    if (st) return st;
    double t0 = mfr__now();
    const int P = d->size, me = d->rank;
    MPI_Request *rq = mfr__malloc((sizeof(MPI_Request) + sizeof(int)) * 2 * (size_t)n);
    if (!rq) return mfr__nomem(err, "factor exchange requests");
    int *peer = (int *)(rq + 2 * n), k = 0, rc = MPI_SUCCESS;
    MPI_Datatype row;
    MPI_Type_contiguous(width, MPI_FLOAT, &row);
    MPI_Type_commit(&row);
    for (int j = 1; j <= n && rc == MPI_SUCCESS; j++) { /* from me+1, me+2, ...; to me-1, me-2, ... */
        int from = (me + j) % P, to = (me + P - j) % P, blk = recv < 0 ? from : recv;
        rc = MPI_Irecv(X + (size_t)lo[blk] * (size_t)width, lo[blk + 1] - lo[blk], row, from, tag,
                       MPI_COMM_WORLD, &rq[k]);
        if (rc == MPI_SUCCESS) peer[k++] = from;
        if (rc == MPI_SUCCESS)
            rc = MPI_Isend(X + (size_t)lo[send] * (size_t)width, lo[send + 1] - lo[send], row, to, tag,
                           MPI_COMM_WORLD, &rq[k]);
        if (rc == MPI_SUCCESS) peer[k++] = to;
    }
    MPI_Type_free(&row);
    st = rc != MPI_SUCCESS ? mfr__err(err, MFR_E_IO, "MPI_Isend/MPI_Irecv failed")
                           : wait_bounded(d, k, rq, peer, op, err);
    mfr__free(rq);
    d->stats.bytes_sent += (uint64_t)(lo[send + 1] - lo[send]) * (uint64_t)width * 4u * (uint64_t)n;
    d->stats.comm_seconds += mfr__now() - t0;
    return st;
}
#endif

/* Rows lo[q]..lo[q+1]-1 of every rank q to all, in place: this rank's rows
 * sent to each other rank and each other rank's received (an allgather of
 * P - 1 sends and receives a rank, so the ranks that did not answer can be
 * named; the bytes are those of any allgather). */
static mfr_status gather_rows(const mfr__dist *fd, float *X, int32_t width, const int32_t *lo,
                              mfr_error *err) {
    mfr_dist *d = fd->impl;
#ifdef MFR_HAVE_MPI
    if (d->size <= 1) return MFR_OK;
    char op[64];
    exchange_name(fd, lo, width, op, sizeof op);
    return swap_rows(d, X, width, lo, d->size - 1, d->rank, -1, MFR_DIST_TAG_GATHER, op, err);
#else
    (void)d, (void)X, (void)width, (void)lo, (void)err;
#endif
    return MFR_OK;
}

static mfr_status sum_any(const mfr__dist *fd, void *x, int64_t n, int dbl, mfr_error *err) {
    mfr_dist *d = fd->impl;
#ifdef MFR_HAVE_MPI
    if (d->size <= 1 || n <= 0) return MFR_OK;
    mfr_status st = check_alive(d, err);
    if (st) return st;
    double t0 = mfr__now();
    size_t elem = dbl ? 8 : 4;
    char op[96];
    snprintf(op, sizeof op, "the sum over the ranks of %lld %s (MPI_Iallreduce)", (long long)n,
             n == 1 ? "value" : "values");
    for (int64_t at = 0; at < n && !st;) {
        int c = n - at > (1 << 28) ? 1 << 28 : (int)(n - at);
        MPI_Request rq;
        if (MPI_Iallreduce(MPI_IN_PLACE, (char *)x + (size_t)at * elem, c, dbl ? MPI_DOUBLE : MPI_FLOAT,
                           MPI_SUM, MPI_COMM_WORLD, &rq) != MPI_SUCCESS)
            st = mfr__err(err, MFR_E_IO, "MPI_Iallreduce failed");
        else
            st = wait_coll(d, &rq, op, err);
        at += c;
    }
    /* a reduce-scatter + allgather moves 2 (P - 1) / P of the array per rank */
    d->stats.bytes_sent += (uint64_t)n * elem * 2u * (uint64_t)(d->size - 1) / (uint64_t)d->size;
    d->stats.comm_seconds += mfr__now() - t0;
    if (st) return st;
#else
    (void)d, (void)x, (void)n, (void)dbl, (void)err;
#endif
    return MFR_OK;
}

static mfr_status sum_f(const mfr__dist *fd, float *x, int64_t n, mfr_error *err) {
    return sum_any(fd, x, n, 0, err);
}
static mfr_status sum_d(const mfr__dist *fd, double *x, int64_t n, mfr_error *err) {
    return sum_any(fd, x, n, 1, err);
}

/* DSGD's rotation: rows of block send to rank - 1, of block recv from
 * rank + 1 (both posted before either is waited for, so the ring cannot
 * deadlock). */
static mfr_status shift_rows(const mfr__dist *fd, float *X, int32_t width, const int32_t *lo,
                             int send, int recv, mfr_error *err) {
    mfr_dist *d = fd->impl;
#ifdef MFR_HAVE_MPI
    if (d->size <= 1) return MFR_OK;
    char op[80];
    snprintf(op, sizeof op, "the rotation of movie block %d's %s (MPI_Isend/MPI_Irecv)", recv,
             width == 1 ? "biases" : "factors");
    return swap_rows(d, X, width, lo, 1, send, recv, MFR_DIST_TAG_SHIFT, op, err);
#else
    (void)d, (void)X, (void)width, (void)lo, (void)send, (void)recv, (void)err;
#endif
    return MFR_OK;
}

/* After each epoch (every rank): the epoch the waits name, and the
 * checkpoint when one is due. */
static mfr_status epoch_done(const mfr__dist *fd, const mfr_model *m, int32_t epoch, mfr_error *err) {
    mfr_dist *d = fd->impl;
    d->epoch = epoch;
    return d->dp && d->dp->checkpoint_dir ? mfr__dist_checkpoint(fd, m, epoch, err) : MFR_OK;
}

/* lo[0..size]: cuts of 0..rows-1 with about total/size of the weights
 * (ratings per row) each; the same on every rank. */
static void cut_rows(const int64_t *count, int32_t rows, int size, int32_t *lo) {
    int64_t total = 0;
    for (int32_t r = 0; r < rows; r++) total += count[r];
    lo[0] = 0;
    int q = 1;
    int64_t run = 0;
    for (int32_t r = 0; r < rows && q < size; r++) {
        run += count[r];
        while (q < size && run * size >= total * q) lo[q++] = r + 1;
    }
    for (; q <= size; q++) lo[q] = rows;
}

/* The checks every rank makes alike, before any collective. */
static mfr_status check_run(mfr_dist *d, const mfr_train_params *p, mfr_error *err) {
    d->failed_alone = 0;
    if (!p) return mfr__err(err, MFR_E_INVALID, "dist train: params is NULL");
    mfr_status st = mfr_train_params_check(p, err);
    if (st) return st;
    if (p->algo != MFR_ALGO_ALS && p->algo != MFR_ALGO_IALS && p->algo != MFR_ALGO_SGD)
        return mfr__err(err, MFR_E_UNSUPPORTED,
                        "distributed training: %s has no distributed fit (als, ials and sgd have)",
                        mfr_algo_name(p->algo));
    return MFR_OK;
}

/* What every rank read: ratings, users, movies and one checksum of the
 * CRC-32s of the user, item and rating arrays (so a whole dataset and a
 * .mfd read as shares give the same value). */
static void data_id(uint64_t id[4], int64_t n, int32_t nu, int32_t ni, const uint32_t crc[3]) {
    id[0] = (uint64_t)n, id[1] = (uint64_t)nu, id[2] = (uint64_t)ni;
    id[3] = mfr__crc32(mfr__crc32(0, NULL, 0), crc, 3 * sizeof *crc);
}

/* Every rank must have read the same ratings (a skipped row on one host,
 * another file of the same name): rank 0's sizes and checksum against each
 * rank's, the first that differs named; then the checkpoint folder exists
 * before the first epoch (made when missing, one level), not found missing
 * after it. Collective; every rank gets the same status. */
static mfr_status agree_data(mfr_dist *d, const uint64_t mine[4], const mfr_dist_params *dp,
                             mfr_error *err) {
    uint64_t root[4];
    memcpy(root, mine, sizeof root);
    mfr_status st = mfr__dist_bcast(d, root, sizeof root, err);
    if (!st && memcmp(root, mine, sizeof root) != 0)
        st = mfr__err(err, MFR_E_INVALID,
                      "rank %d: its data differs from rank 0's (%llu ratings of %llu users and %llu "
                      "movies, checksum %08llx; rank 0: %llu, %llu, %llu, %08llx): every rank must "
                      "read the same data",
                      d->rank, (unsigned long long)mine[0], (unsigned long long)mine[1],
                      (unsigned long long)mine[2], (unsigned long long)mine[3],
                      (unsigned long long)root[0], (unsigned long long)root[1],
                      (unsigned long long)root[2], (unsigned long long)root[3]);
    int who;
    if ((st = mfr_dist_agree(d, st, err, &who))) return st;
    if (dp && dp->checkpoint_dir && d->rank == 0 && mkdir(dp->checkpoint_dir, 0755) != 0 &&
        errno != EEXIST)
        st = mfr__err(err, MFR_E_IO, "cannot create the checkpoint folder %s: %s",
                      dp->checkpoint_dir, strerror(errno));
    return mfr_dist_agree(d, st, err, &who);
}

/* lo[0..P] the users' cuts, lo[P+1..2P+1] the items' (NULL on no memory). */
static int32_t *cut_both(const mfr_dist *d, const int64_t *cu, int32_t nu, const int64_t *ci,
                         int32_t ni) {
    size_t P = (size_t)d->size;
    int32_t *lo = mfr__malloc(sizeof(int32_t) * 2 * (P + 1));
    if (!lo) return NULL;
    cut_rows(cu, nu, d->size, lo);
    cut_rows(ci, ni, d->size, lo + P + 1);
    return lo;
}

/* The fit on cuts lo (cut_both) of ds's ratings, all of them or (share)
 * only this rank's training ratings, the validation set then valid
 * (whole); ds's rating arrays are handed over. */
static mfr_status run_fit(mfr_dist *d, mfr_dataset *ds, int share, mfr__csr *rows,
                          const mfr_ratings *valid, const mfr_train_params *p,
                          const mfr_dist_params *dp, const int32_t *lo, const uint64_t mine[4],
                          mfr_model **out, mfr_error *err) {
    size_t P = (size_t)d->size;
    mfr_train_params run = *p;
    if (run.threads <= 0) { /* the cores of this host, shared by its ranks */
        int t = mfr_cpu_count() / (d->local_size > 0 ? d->local_size : 1);
        run.threads = t > 0 ? t : 1;
    }
    if (d->rank != 0) run.progress = NULL;
    /* What a checkpoint must match: the parameters that shape the factors
     * and the data's size (not threads or progress; sgd's learning rate and
     * its decay too). */
    const int sgd = p->algo == MFR_ALGO_SGD;
    const struct { const void *p; size_t n; } f[] = {
        {&p->algo, sizeof p->algo}, {&p->factors, sizeof p->factors}, {&p->seed, sizeof p->seed},
        {&p->reg, sizeof p->reg}, {&p->reg_bias, sizeof p->reg_bias},
        {&p->init_std, sizeof p->init_std}, {&p->alpha, sizeof p->alpha},
        {&p->unobserved, sizeof p->unobserved}, {&p->valid_frac, sizeof p->valid_frac},
        {mine, 4 * sizeof *mine}, /* data sizes and checksum */
        {&p->lr, sgd ? sizeof p->lr : 0}, {&p->lr_decay, sgd ? sizeof p->lr_decay : 0}};
    uint32_t h = mfr__crc32(0, NULL, 0);
    for (size_t j = 0; j < sizeof f / sizeof f[0]; j++)
        if (f[j].n) h = mfr__crc32(h, f[j].p, f[j].n);
    d->fingerprint = h;
    d->dp = dp;
    mfr__dist fd = {.rank = d->rank, .size = d->size, .user_lo = lo, .item_lo = lo + P + 1,
                    .share = share, .rows = rows, .impl = d, .gather_rows = gather_rows, .sum_f = sum_f,
                    .sum_d = sum_d, .resume = dp && dp->resume_dir ? mfr__dist_resume : NULL,
                    .epoch_done = epoch_done,
                    .checkpoint_due = dp && dp->checkpoint_dir ? mfr__dist_checkpoint_due : NULL,
                    .shift_rows = shift_rows};
    d->stats.share_ratings = rows ? rows[0].nnz + rows[1].nnz : 0;
    for (int64_t j = 0; j < ds->n_ratings; j++) {
        int32_t u = ds->user[j], i = ds->item[j];
        /* sgd keeps its users' ratings (all items); als and ials also
         * those of its items */
        d->stats.share_ratings += (u >= lo[d->rank] && u < lo[d->rank + 1]) +
                                  (!sgd && i >= lo[P + 1 + d->rank] && i < lo[P + 1 + d->rank + 1]);
    }
    double t0 = mfr__now();
    /* the ratings held once: the dataset's arrays go to the model (as
     * mfr_model_train_consume) */
    d->in_fit = 1, d->epoch = 0;
    mfr_status st = mfr__model_train_dist(ds, ds, NULL, valid, &run, NULL, &fd, out, err);
    d->in_fit = 0;
    d->stats.train_seconds = mfr__now() - t0;
    d->dp = NULL;
    /* A failure inside the fit that the others did not share (no memory on
     * this rank) leaves them waiting in a collective; Ctrl-C and a
     * checkpoint's error are agreed by every rank. */
    if (st && st != MFR_E_CANCELLED && !d->agreed && d->size > 1) d->failed_alone = 1;
    d->agreed = 0;
    return st;
}

mfr_status mfr_dist_train(mfr_dist *d, mfr_dataset *ds, const mfr_train_params *p,
                          const mfr_dist_params *dp, mfr_model **out, mfr_error *err) {
    *out = NULL;
    mfr_status st = check_run(d, p, err);
    if (st) return st;
    if (!ds) return mfr__err(err, MFR_E_INVALID, "dist train: dataset is NULL");
    mfr_ratings all;
    mfr_dataset_ratings(ds, &all);
    int32_t nu = all.n_users, ni = all.n_items;
    uint32_t crc[3] = {mfr__crc32(0, NULL, 0), 0, 0};
    crc[1] = crc[2] = crc[0];
    crc[0] = mfr__crc32(crc[0], all.user, sizeof(int32_t) * (size_t)all.n);
    crc[1] = mfr__crc32(crc[1], all.item, sizeof(int32_t) * (size_t)all.n);
    crc[2] = mfr__crc32(crc[2], all.rating, sizeof(float) * (size_t)all.n);
    uint64_t mine[4];
    data_id(mine, all.n, nu, ni, crc);
    if ((st = agree_data(d, mine, dp, err))) return st;
    int64_t *cu = mfr__calloc((size_t)nu + 1, sizeof *cu), *ci = mfr__calloc((size_t)ni + 1, sizeof *ci);
    for (int64_t j = 0; cu && ci && j < all.n; j++) {
        if (all.user[j] >= 0 && all.user[j] < nu) cu[all.user[j]]++;
        if (all.item[j] >= 0 && all.item[j] < ni) ci[all.item[j]]++;
    }
    int32_t *lo = cu && ci ? cut_both(d, cu, nu, ci, ni) : NULL;
    mfr__free(cu), mfr__free(ci);
    if (!lo) {
        d->failed_alone = d->size > 1;
        return mfr__nomem(err, "distributed row ranges");
    }
    st = run_fit(d, ds, 0, NULL, NULL, p, dp, lo, mine, out, err);
    mfr__free(lo);
    return st;
}

/* A .mfd by its magic, or by ip's format. */
static int is_mfd(const char *path, const mfr_import_params *ip) {
    FILE *f = fopen(path, "rb");
    char magic[4] = {0};
    int mfd = f && fread(magic, 1, 4, f) == 4 && memcmp(magic, "MFRD", 4) == 0;
    if (f) fclose(f);
    return mfd || (ip && ip->format == MFR_FMT_MFD);
}

int mfr_dist_reads_share(const char *path, const mfr_import_params *ip, const mfr_train_params *p) {
    if (!path || !p) return 0;
    return !(ip && ip->movies_path && is_mfd(path, ip));
}

/* A text share's duplicates (mfd_share.h): 1 when a user row of bu (users
 * u0.., columns the items 0..n_items-1) holds an item twice, -1 on no
 * memory. */
static int rows_repeat(const mfr__csr *bu, int32_t n_items) {
    int32_t *stamp = mfr__malloc(sizeof *stamp * ((size_t)n_items + 1));
    if (!stamp) return -1;
    memset(stamp, 0xff, sizeof *stamp * ((size_t)n_items + 1));
    int rep = 0;
    for (int32_t r = 0; r < bu->rows && !rep; r++)
        for (int64_t e = bu->ptr[r]; e < bu->ptr[r + 1] && !rep; e++) {
            rep = stamp[bu->idx[e]] == r;
            stamp[bu->idx[e]] = r;
        }
    mfr__free(stamp);
    return rep;
}

/* The model file's seen lists, a band of users at a time, each band from
 * one more pass over the share's file (mfr_dist_model_save). */
static void seen_chunk(void *ctx, const int32_t *u, const int32_t *i, const float *r, int64_t n) {
    mfr__seen_fill_add(ctx, u, i, r, n);
}

static mfr_status seen_feed(void *ctx, mfr__seen_fill *f, mfr_error *err) {
    return mfr__mfd_share_each(ctx, seen_chunk, f, err);
}

mfr_status mfr_dist_model_save(mfr_dist *d, const mfr_model *m, const char *path, mfr_error *err) {
    mfr__mfd_share *sh = d ? d->share : NULL;
    if (!m || !sh || m->seen_ptr) return mfr_model_save(m, path, err);
    int64_t *ptr = mfr__seen_ptr(sh->user_count, sh->n_users);
    if (!ptr) return mfr__nomem(err, "model seen lists");
    /* bands of about a share's ratings (8 bytes each): no more than the
     * fit's rows held, P passes over the file */
    int64_t band = (sh->n + d->size - 1) / d->size;
    mfr_status st = mfr__model_save_seen(m, path, ptr, band, seen_feed, sh, err);
    mfr__free(ptr);
    return st;
}

mfr_status mfr_dist_train_share(mfr_dist *d, const char *path, const mfr_import_params *ip,
                                const mfr_train_params *p, const mfr_dist_params *dp,
                                mfr_model **out, int *who, int *whole, mfr_error *err) {
    *out = NULL;
    *who = -1;
    *whole = 0;
    mfr_status st = check_run(d, p, err);
    if (st) return st;
    if (!path) return mfr__err(err, MFR_E_INVALID, "dist train: path is NULL");
    /* the first pass: counts and checksums; a failure on any rank stops all */
    mfr__mfd_share sh;
    st = is_mfd(path, ip) ? mfr__mfd_share_open(path, &sh, err)
                                  : mfr__text_share_open(path, ip, &sh, err);
    if ((st = mfr_dist_agree(d, st, err, who))) {
        mfr__mfd_share_close(&sh);
        return st;
    }
    uint64_t mine[4];
    data_id(mine, sh.n, sh.n_users, sh.n_items, sh.crc);
    if ((st = agree_data(d, mine, dp, err))) {
        mfr__mfd_share_close(&sh);
        return st;
    }
    int32_t *lo = cut_both(d, sh.user_count, sh.n_users, sh.item_count, sh.n_items);
    mfr_dataset *ds = NULL;
    st = lo ? MFR_OK : mfr__nomem(err, "distributed row ranges");
    /* a validation split: one process's holdout, drawn from the count; the
     * held ratings kept whole on every rank, the later passes without them */
    mfr_ratings va;
    memset(&va, 0, sizeof va);
    if (!st && p->valid_frac > 0.0f)
        st = mfr__mfd_share_holdout(&sh, p->valid_frac, MFR__VALID_SEED(p->seed), &va, err);
    /* the second pass: als and ials, the rows of this rank's users and
     * items straight from the file; sgd, its users' ratings (its grids are
     * built from them) */
    const size_t P = (size_t)d->size;
    const int sgd = p->algo == MFR_ALGO_SGD;
    mfr__csr rows[2];
    memset(rows, 0, sizeof rows);
    const int32_t u0 = lo ? lo[d->rank] : 0, u1 = lo ? lo[d->rank + 1] : 0;
    const int32_t i0 = lo ? lo[P + 1 + d->rank] : 0, i1 = lo ? lo[P + 2 + d->rank] : 0;
    if (!st && !sgd) st = mfr__mfd_share_rows(&sh, u0, u1, i0, i1, &rows[0], &rows[1], err);
    if (!st) st = mfr__mfd_share_take(&sh, u0, sgd ? u1 : u0, 0, 0, &ds, err);
    /* a text share holds duplicate rows as read: each user's are in its
     * owner's rows, so every rank looks at its users' */
    int dup = 0;
    if (!st && sh.text) {
        int64_t k = sgd ? mfr__mark_duplicates(ds) : rows_repeat(&rows[0], sh.n_items);
        dup = k > 0;
        if (k < 0) st = mfr__nomem(err, "duplicate check");
    }
    mfr_error dup_err = {0};
    if (!(st = mfr_dist_agree(d, st, err, who)) &&
        mfr_dist_agree(d, dup ? MFR_E_FORMAT : MFR_OK, &dup_err, who)) { /* on any rank */
        if (d->rank == 0)
            mfr__log(MFR_LOG_WARN, "%s repeats a (user, movie) pair: read whole, duplicates dropped",
                     path);
        *who = -1;
        *whole = !mfr_dist_failed_alone(d);
        st = *whole ? MFR_OK : mfr__err(err, dup_err.code, "%s", dup_err.message);
    }
    if (!st && !*whole) { /* the fit on this rank's share */
        *who = -1;
        if (d->rank != 0) mfr__mfd_share_close(&sh); /* rank 0 reads it again for the seen lists */
        /* the id maps checked the ids once (each id once); the model builds its
         * own from the ids, nothing asks ds for an index: 12 bytes a slot, two
         * slots an id or more (7 MB at 138 000 users), not held through the fit */
        mfr__idmap_free(&ds->user_map);
        mfr__idmap_free(&ds->item_map);
        const mfr_ratings *valid = p->valid_frac > 0.0f ? &va : NULL;
        st = run_fit(d, ds, 1, sgd ? NULL : rows, valid, p, dp, lo, mine, out, err);
    }
    mfr__csr_free(&rows[0]), mfr__csr_free(&rows[1]); /* when the fit did not take them */
    mfr_ratings_free(&va);
    mfr_dataset_free(ds);
    mfr__free(lo);
    if (d->rank == 0 && *out && (!st || st == MFR_E_CANCELLED)) {
        /* the file stays open for the model file's seen lists */
        drop_share(d);
        d->share = mfr__malloc(sizeof sh);
        if (d->share) {
            *d->share = sh;
            return st;
        }
        mfr_model_free(*out); /* after every collective: rank 0's failure alone */
        *out = NULL;
        st = mfr__nomem(err, "distributed run");
    }
    mfr__mfd_share_close(&sh);
    return st;
}
