/* mfd_share.h — one rank's share of a .mfd's ratings, for distributed
 * training (src/dist, docs/distributed.md "Memory per rank"). The file is
 * never held whole: mfr__mfd_share_open makes one streaming pass over it in
 * fixed-size chunks (the header and section checks of mfr__mfd_load, the
 * data CRC, every rating index in range, the ratings per user and per item,
 * a CRC of each rating section) and keeps everything but the rating
 * sections (ids, catalogue, tags: small); mfr__mfd_share_take makes a
 * second pass over the three rating sections and keeps the ratings of the
 * given user and item ranges, in file order. mfr__mfd_share_each streams the
 * ratings again (rank 0's seen lists after the fit). Both later passes check
 * the sections' CRCs against the first pass's: a file changed in between is
 * an error, not a silently different share.
 *
 * A text input (CSV, MovieLens folder or zip: mfr__text_share_open) is the
 * same kind of share, its passes the importer's own (mfr__import_each, the
 * ratings streamed a chunk at a time, never held): the first keeps the
 * dataset without ratings (ids in the import's order, catalogue, tags) and
 * counts; every later pass parses the file again and checks it gives the
 * same ratings. The importer drops duplicate (user, movie) rows only once
 * it holds them all, so a text share holds them as read: the caller checks
 * its users' ratings for duplicates (its user rows, or
 * mfr__mark_duplicates) and reads the file whole when there are any
 * (src/dist). */
#ifndef MFR_IO_MFD_SHARE_H
#define MFR_IO_MFD_SHARE_H

#include "../core/core.h"
#include "../data/dataset_impl.h"

/* A chunk of ratings, in file order (the passes over a share; the
 * importer's streaming, mfr__import_each). */
typedef void (*mfr__mfd_chunk_fn)(void *ctx, const int32_t *user, const int32_t *item,
                                  const float *rating, int64_t n);

typedef struct mfr__mfd_share {
    int64_t n;                      /* ratings in the file */
    int32_t n_users, n_items;
    int64_t *user_count;            /* [n_users]: ratings per user, the whole file */
    int64_t *item_count;            /* [n_items] */
    uint32_t crc[3];                /* CRC-32 of the user, item and rating sections */
    /* private */
    char *path;
    int fd;
    uint64_t off[3];                /* the three sections' offsets */
    mfr_dataset *ds;                /* until take: ids, catalogue, tags; no ratings */
    uint64_t *held;                 /* bit j: rating j held out of every later pass
                                       (mfr__mfd_share_holdout), or NULL */
    int text;                       /* read by the importer (mfr__text_share_open) */
    mfr_import_params ip;           /* text: its parameters (their pointers the caller's) */
} mfr__mfd_share;

/* The first pass (above). On failure sh holds nothing (close is still safe). */
mfr_status mfr__mfd_share_open(const char *path, mfr__mfd_share *sh, mfr_error *err);
/* The first pass over a text input at path, imported with ip (NULL: the
 * defaults): the import's errors (a malformed row with ip->strict is its
 * file:line). n, the counts and crc are those of the ratings as read,
 * duplicates included. */
mfr_status mfr__text_share_open(const char *path, const mfr_import_params *ip, mfr__mfd_share *sh,
                                mfr_error *err);
/* A validation split (valid_frac): the holdout mfr_ratings_holdout(all,
 * frac, seed) draws from the file's n ratings (mfr__holdout_bits), the held
 * ratings into *va (every one, in file order: the validation set every rank
 * keeps whole), then the counts become those of the rest, which every later
 * pass hands on alone. One pass; after the cuts (they are the whole data's,
 * as in mfr_dist_train). */
mfr_status mfr__mfd_share_holdout(mfr__mfd_share *sh, double frac, uint64_t seed,
                                  mfr_ratings *va, mfr_error *err);
/* A chunk of ratings from position at of the file's: those not held out by
 * held (NULL: all), moved to the front of ou, oi, or (which may be the
 * chunk's own arrays); their count. */
int64_t mfr__share_unheld(const uint64_t *held, int64_t at, const int32_t *u, const int32_t *i,
                          const float *r, int64_t n, int32_t *ou, int32_t *oi, float *orr);
/* The dataset of the ratings whose user is in u0..u1-1 or whose item is in
 * i0..i1-1 (an empty range: none by that side), in file order, without
 * timestamps; ids, catalogue and tags whole. Once per share; *out is the
 * caller's (mfr_dataset_free). */
mfr_status mfr__mfd_share_take(mfr__mfd_share *sh, int32_t u0, int32_t u1, int32_t i0, int32_t i1,
                               mfr_dataset **out, mfr_error *err);
/* als, ials: the share's rows straight from the file, no ratings array in
 * between: bu the users u0..u1-1 (columns: items), bi the items i0..i1-1
 * (columns: users), each row's entries in file order (the rows
 * mfr__csr_rows_range builds from the ratings take keeps); both empty on
 * failure. Then take with empty ranges hands over the dataset (no pass). */
struct mfr__csr;
mfr_status mfr__mfd_share_rows(mfr__mfd_share *sh, int32_t u0, int32_t u1, int32_t i0, int32_t i1,
                               struct mfr__csr *bu, struct mfr__csr *bi, mfr_error *err);
/* Every rating again, in file order, a chunk at a time. */
mfr_status mfr__mfd_share_each(mfr__mfd_share *sh, mfr__mfd_chunk_fn fn, void *ctx,
                               mfr_error *err);
void mfr__mfd_share_close(mfr__mfd_share *sh);
/* The import's duplicate check (build.c) on ds's ratings: how many rows
 * repeat a (user, movie) pair, each losing row marked item -1; -1 on no
 * memory. */
int64_t mfr__mark_duplicates(mfr_dataset *ds);

#endif
