/* io_internal.h — what the readers in src/io/ share.
 *
 * Three pieces:
 *   - a source (mfr__src): where the files of one dataset come from — a
 *     folder, a .zip archive (read through libarchive, possibly with all files
 *     inside one top folder), or one single file. A stream (mfr__stream)
 *     reads one named file of the source sequentially in large chunks with
 *     read() (or archive_read_data), so file pages never count in RSS.
 *   - a builder (mfr__build): the dataset being filled. Ratings are appended
 *     as parallel arrays straight into the mfr_dataset (dense indices, mapped
 *     on the fly through the dataset's id maps), catalogue strings go into the
 *     dataset's pool, and every bad row goes through mfr__bad, which counts it
 *     and keeps its "file:line: reason" message. On failure the caller frees
 *     the half-built dataset with mfr_dataset_free: every array is always
 *     either NULL or owned.
 *   - the parsers: numbers (hand-written, no strtod), delimited records
 *     (RFC 4180 quotes when asked), the ratings stream reader with a fast path
 *     for the plain "user,item,rating[,time]" row, and the catalogue / tags
 *     readers of each MovieLens layout.
 *
 * Dense indices: users in order of first appearance in the ratings file;
 * items in catalogue order, then rated movies without a catalogue entry (only
 * possible when no catalogue was loaded) in order of first appearance. */
#ifndef MFR_IO_INTERNAL_H
#define MFR_IO_INTERNAL_H

#include "../core/core.h"
#include "../data/dataset_impl.h"
#include "mfd_share.h"

#include <stdio.h>

/* ---- sources and streams ------------------------------------------------ */
enum { MFR__SRC_DIR = 1, MFR__SRC_ZIP, MFR__SRC_FILE };

/* The last component of path p (after its last '/'; source.c). */
const char *mfr__base_name(const char *p);

typedef struct mfr__src {
    int kind;
    const char *path; /* folder, zip file, or the single file */
    char prefix[256]; /* inside a zip: "ml-latest-small/" or "" */
} mfr__src;

typedef struct mfr__stream {
    int fd;             /* -1 when reading from an archive */
    struct archive *ar; /* NULL when reading a plain file */
    void *gz;           /* a gzip-compressed plain file: zlib's gzFile over fd */
    char name[256];     /* shown in messages: file name, no folder */
    char path[1024];    /* shown in I/O errors: full path */
    /* zip entry or gzip file: bytes decompressed so far, and the most it may
     * give (MFR__UNPACK_RATIO x the compressed file, at least
     * MFR__UNPACK_FLOOR): a small archive cannot make the import take
     * gigabytes. 0: no limit (a plain file). */
    uint64_t unpacked, unpack_limit, packed;
} mfr__stream;

#define MFR__UNPACK_RATIO 32u
#define MFR__UNPACK_FLOOR ((uint64_t)16 << 20)

/* 1 when the source holds a file called name (for a single-file source: when
 * name is NULL or the file itself). */
int mfr__src_has(const mfr__src *s, const char *name);
/* Open name inside the source (NULL: the single file). MFR_E_IO naming the
 * path when missing or unreadable. */
mfr_status mfr__stream_open(const mfr__src *s, const char *name, mfr__stream *st, mfr_error *err);
/* Bytes read (0 at end), or -1 on a read error (errno / archive error) or
 * when a compressed stream passes its unpack_limit. */
long mfr__stream_read(mfr__stream *st, void *buf, size_t n);
/* The error for a -1 from mfr__stream_read: MFR_E_LIMIT naming the limit
 * when it was passed, else MFR_E_IO "read error". */
mfr_status mfr__stream_error(const mfr__stream *st, mfr_error *err);
void mfr__stream_close(mfr__stream *st);
/* Whole file into a new NUL-terminated buffer (caller frees with mfr__free),
 * converted to UTF-8 when it is not valid UTF-8 (taken as Latin-1). */
mfr_status mfr__slurp_text(const mfr__src *s, const char *name, char **buf, size_t *len,
                           char *shown, size_t shown_cap, mfr_error *err);
/* Find the layout of a zip: sets s->prefix; returns the first of the names
 * present (in order), or NULL. */
const char *mfr__zip_find(mfr__src *s, const char *const *names, mfr_error *err);

/* ---- builder ------------------------------------------------------------- */
typedef struct mfr__build {
    const mfr_import_params *p;
    mfr_dataset *ds;
    int64_t cap;        /* capacity of the rating arrays */
    int32_t ucap, icap; /* capacity of user / item arrays */
    int64_t pool_cap;   /* capacity of ds->strings */
    int64_t tag_cap;
    int32_t msg_cap;
    int want_time;    /* ratings carry timestamps */
    int have_catalog; /* items are closed: unknown movies are bad rows */
    float rmin, rmax; /* validation range; rmax < rmin: none */
    double t0;
    int64_t next_progress;
    /* bytes of the ratings file read so far and its size (0: unknown, e.g.
     * compressed): the import's progress reports carry an ETA from them */
    uint64_t bytes_done, bytes_total;
    /* Direct tables for small ids (0 <= id < MFR__DENSE_MAX), id -> index or
     * -1, in front of the hash maps: MovieLens ids are small, and a flat
     * array lookup is several times faster than hashing. */
    int32_t *dense_user, *dense_item;
    int64_t dense_user_len, dense_item_len;
    int64_t last_uid; /* ratings come grouped by user: cache the last */
    int32_t last_u;
    /* Streaming (mfr__import_each): each gets the ratings a chunk of
     * MFR__EACH_CHUNK at a time, the rating arrays' first slots reused for
     * every chunk, so the ratings are never held; streamed counts them and
     * lo, hi, whole describe them (the scale), duplicates are not looked for. */
    mfr__mfd_chunk_fn each;
    void *each_ctx;
    int64_t streamed;
    float lo, hi;
    int whole;
} mfr__build;

#define MFR__EACH_CHUNK ((int64_t)1 << 16)

#define MFR__DENSE_MAX ((int64_t)1 << 24)

mfr_status mfr__build_init(mfr__build *b, const mfr_import_params *p, const char *source,
                           mfr_error *err);
/* Count a bad row in *counter and keep its message "file:line: reason".
 * Returns MFR_OK, MFR_E_PARSE (strict: err holds the message) or MFR_E_NOMEM. */
mfr_status mfr__bad(mfr__build *b, int64_t *counter, mfr_error *err, const char *file, int64_t line,
                    const char *fmt, ...) MFR_PRINTF(6, 7);
/* Append a string to the pool; returns its offset or -1 on no memory. */
int64_t mfr__pool_add(mfr__build *b, const char *s, size_t n);
/* Index of user / item id, adding it when new; -2 on no memory. */
int32_t mfr__user_index(mfr__build *b, int64_t id);
int32_t mfr__item_add(mfr__build *b, int64_t id);
/* Index of an item id, -1 when absent. */
int32_t mfr__item_find(const mfr__build *b, int64_t id);
/* Free the builder's own scratch (not the dataset). */
void mfr__build_release(mfr__build *b);
/* Append one rating (indices already mapped). MFR_E_NOMEM. */
mfr_status mfr__rating_add(mfr__build *b, int32_t u, int32_t i, float r, int64_t t);
mfr_status mfr__tag_add(mfr__build *b, int32_t item, int32_t user, const char *text, size_t n);
/* Progress every 2^20 rows; MFR_E_CANCELLED when the callback asks. */
mfr_status mfr__progress(mfr__build *b, mfr_error *err);
/* Streaming: the ratings held so far to b->each, the arrays emptied. */
void mfr__build_flush(mfr__build *b);
/* Drop duplicates, fix the scale, shrink: the dataset is complete
 * (streaming: the last chunk to b->each, no duplicates looked for). */
mfr_status mfr__build_finish(mfr__build *b, mfr_error *err);
/* The scale from the data: the smallest and largest rating present (for
 * generic files and arrays without a given range; n_ratings > 0). */
void mfr__scale_from_ratings(mfr_dataset *ds);

/* ---- parsing --------------------------------------------------------------- */
/* Strict decimal parsers over [s, e): 1 on success, 0 when not a number. */
int mfr__parse_i64(const char *s, const char *e, int64_t *out);
int mfr__parse_rating(const char *s, const char *e, float *out);
/* Year of the last "(YYYY)" in title[0..n), or 0. */
int32_t mfr__title_year(const char *t, size_t n);

/* One delimited record out of a text buffer. Fields are copied, unquoted
 * (RFC 4180: "a ""b"", c" when quotes is set) and NUL-terminated into
 * scratch. Returns the number of fields (a record may span lines inside
 * quotes), or -1 at the end of the buffer; *pos advances past the record and
 * *lines by the newlines consumed. */
typedef struct mfr__rec {
    const char *f[64];
    size_t len[64];
    int n;         /* fields found (may exceed 64: only 64 kept) */
    char *scratch; /* grows as needed (mfr__realloc) */
    size_t scratch_cap;
} mfr__rec;
/* 1: a record, 0: end of buffer, -1: no memory. */
int mfr__rec_next(const char *buf, size_t len, size_t *pos, const char *delim, int quotes,
                  mfr__rec *r, int64_t *lines);

/* Layout of a ratings file. */
typedef struct mfr__rcols {
    char delim[3];      /* "," "\t" ";" "::" ... */
    int header;         /* -1 detect, 0, 1 */
    int nfields;        /* expected fields per row; 0: from the first row */
    int cu, ci, cr, ct; /* column indices; ct -1: no time */
} mfr__rcols;

/* Stream a ratings file into the builder. */
mfr_status mfr__read_ratings(mfr__build *b, const mfr__src *s, const char *name, mfr__rcols cols,
                             mfr_error *err);

/* Catalogue and tags readers (catalog.c). Each returns MFR_OK, MFR_E_IO,
 * MFR_E_PARSE (strict) or MFR_E_NOMEM. The catalogue of a layout:
 * MFR_FMT_ML_CSV (movies.csv), MFR_FMT_ML_100K (u.item), MFR_FMT_ML_DAT
 * (movies.dat). */
mfr_status mfr__read_movies(mfr__build *b, const mfr__src *s, const char *name, int layout,
                            mfr_error *err);
/* links.csv (movieId,imdbId,tmdbId) into ds->links; after the ratings. */
mfr_status mfr__read_links(mfr__build *b, const mfr__src *s, const char *name, mfr_error *err);
/* u.user (MFR_FMT_ML_100K) or users.dat (MFR_FMT_ML_DAT): ds->user_age /
 * _gender / _occ. */
mfr_status mfr__read_users(mfr__build *b, const mfr__src *s, const char *name, int layout,
                           mfr_error *err);
/* tags.csv (MFR_FMT_ML_CSV) or tags.dat (MFR_FMT_ML_DAT). */
mfr_status mfr__read_tags(mfr__build *b, const mfr__src *s, const char *name, int layout,
                          mfr_error *err);

/* mfr_dataset_import with the ratings streamed to fn in file order, a chunk
 * at a time, as the import would store them before dropping duplicates
 * (indices mapped, bad rows skipped or, strict, the import's file:line
 * error): *out gets everything else (ids in the import's order, catalogue,
 * tags, report, scale), no ratings (n_ratings 0, rating arrays NULL);
 * report.rows_kept counts the ratings streamed. Not for a .mfd. */
mfr_status mfr__import_each(const char *path, const mfr_import_params *p, mfr__mfd_chunk_fn fn,
                            void *ctx, mfr_dataset **out, mfr_error *err);

/* mfr__mfd_share_each of a text share (share_text.c). */
mfr_status mfr__text_share_each(mfr__mfd_share *sh, mfr__mfd_chunk_fn fn, void *ctx,
                                mfr_error *err);

/* ---- binary dataset file (mfd.c) ----------------------------------------- */
mfr_status mfr__mfd_load(const char *path, mfr_dataset **out, mfr_error *err);

#endif
