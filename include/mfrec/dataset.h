/* mfrec/dataset.h — ratings, ids and the movie catalogue.
 *
 * A dataset holds every kept rating as parallel arrays (SoA): user index,
 * item index, rating, timestamp. External ids (MovieLens userId / movieId) map
 * to dense 0-based indices at import; the maps travel with the dataset and into
 * every model trained from it. The item index covers every movie of the
 * catalogue (movies.csv / u.item / movies.dat), rated or not, plus any rated
 * movie that has no catalogue entry (only when no catalogue was given).
 *
 * Readers (auto-detected by mfr_dataset_import):
 *   - MovieLens CSV folder or .zip (ml-latest-small, ml-25m): ratings.csv,
 *     movies.csv, tags.csv, links.csv; RFC 4180 quotes; CRLF or LF; UTF-8.
 *   - ml-100k folder or zip: u.data (tab), u.item (pipe, Latin-1 -> UTF-8),
 *     u.user (age, gender, occupation: kept for bfm's user features).
 *   - ml-1m / ml-10m folder or zip: ratings.dat, movies.dat ("::"), users.dat.
 *   - a single ratings file: ratings.csv, u.data, ratings.dat, or a generic
 *     delimited file described by mfr_import_params.
 *   - a binary dataset file (.mfd) written by mfr_dataset_save (mmap-ed).
 *
 * Bad rows are never dropped silently: each is counted by reason in the import
 * report and the first few are kept as "file:line: reason" messages. With
 * params.strict the first bad row fails the import with MFR_E_PARSE.
 * Duplicate (user, movie) pairs keep the latest rating (largest timestamp; the
 * later line on ties) and are counted. */
#ifndef MFREC_DATASET_H
#define MFREC_DATASET_H

#include <stdint.h>
#include "error.h"
#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mfr_dataset mfr_dataset;

typedef enum mfr_format {
    MFR_FMT_AUTO = 0,
    MFR_FMT_ML_CSV,    /* ml-latest-small / ml-25m layout */
    MFR_FMT_ML_100K,   /* u.data + u.item */
    MFR_FMT_ML_DAT,    /* ml-1m / ml-10m "::" files */
    MFR_FMT_GENERIC,   /* one delimited ratings file, columns from params */
    MFR_FMT_MFD        /* mfrec binary dataset */
} mfr_format;

typedef struct mfr_import_params {
    mfr_format format;     /* MFR_FMT_AUTO: detect from path and contents */
    int strict;            /* 1: first bad row is an error (MFR_E_PARSE) */
    /* Generic files (and overrides for single ratings files): */
    char delimiter;        /* 0: detect (',', '\t', ';', "::") */
    int header;            /* -1 detect, 0 none, 1 first line is a header */
    int col_user, col_item, col_rating, col_time; /* 0-based; col_time -1 = none;
                              col_rating -1 = implicit data: every row a rating of 1 */
    float rating_min, rating_max; /* both 0: from the format (0.5..5 or 1..5) */
    int load_catalog;      /* 1: read movies/u.item/movies.dat when present */
    int load_tags;         /* 1: read tags.csv / tags.dat when present */
    int max_messages;      /* bad-row messages kept in the report (default 20) */
    mfr_progress_fn progress; void *progress_user;
    const char *movies_path; /* a catalogue file (movies.csv, u.item, movies.dat)
                                for a single ratings file; NULL: none */
} mfr_import_params;

mfr_import_params mfr_import_params_default(void);

/* Parse "user,item,rating[,timestamp]" into the col_* fields (names are
 * user/item/rating/timestamp or skip, in file column order; without a rating
 * column every row is a rating of 1, for ranking models). MFR_E_INVALID. */
mfr_status mfr_import_params_set_columns(mfr_import_params *p, const char *spec,
                                         mfr_error *err);

/* Counts by reason; every bad row lands in exactly one of the bad_* counters. */
typedef struct mfr_import_report {
    int64_t rows_read;        /* data rows seen in the ratings file(s) */
    int64_t rows_kept;        /* ratings in the dataset */
    int64_t bad_field_count;  /* wrong number of fields */
    int64_t bad_number;       /* non-numeric or empty id / rating / timestamp */
    int64_t bad_rating;       /* rating outside the scale */
    int64_t unknown_movie;    /* movie id absent from a loaded catalogue */
    int64_t duplicates;       /* (user, movie) pairs seen again; latest kept */
    int64_t catalog_rows;     /* movies read from the catalogue */
    int64_t catalog_bad;      /* catalogue rows skipped */
    int64_t tags_rows;        /* tags kept */
    int64_t tags_bad;         /* tag rows skipped */
    int32_t n_messages;       /* messages kept (see mfr_dataset_message) */
} mfr_import_report;

/* Import from a folder, zip, ratings file or .mfd. On success *out owns a new
 * dataset (free with mfr_dataset_free). On failure *out is NULL and err says
 * which file/line and why: MFR_E_IO (missing/unreadable, naming the path),
 * MFR_E_PARSE (strict mode, or nothing usable), MFR_E_FORMAT (unrecognised
 * layout, bad .mfd), MFR_E_NOMEM. p may be NULL for defaults. */
mfr_status mfr_dataset_import(const char *path, const mfr_import_params *p,
                              mfr_dataset **out, mfr_error *err);

/* Write the binary dataset file (.mfd; layout in src/io/mfd.h). Written to a
 * temporary file and renamed, so an existing file is never left half-written. */
mfr_status mfr_dataset_save(const mfr_dataset *ds, const char *path, mfr_error *err);

void mfr_dataset_free(mfr_dataset *ds); /* NULL is fine */

const mfr_import_report *mfr_dataset_report(const mfr_dataset *ds);
/* Bad-row message i (0 <= i < report.n_messages), "file:line: reason". */
const char *mfr_dataset_message(const mfr_dataset *ds, int32_t i);
/* Source path given at import ("" for synthetic). */
const char *mfr_dataset_source(const mfr_dataset *ds);

typedef struct mfr_dataset_stats {
    int32_t n_users;
    int32_t n_items;          /* index size: catalogue + rated-only movies */
    int32_t n_items_rated;    /* items with at least one rating */
    int32_t n_catalog;        /* movies with a catalogue entry */
    int64_t n_ratings;
    double density;           /* n_ratings / (n_users * n_items_rated) */
    float rating_min, rating_max; /* the scale */
    float rating_lo, rating_hi;   /* smallest / largest rating present */
    double rating_mean;
    int32_t user_min, user_max;   /* ratings per user */
    int32_t item_min, item_max;   /* ratings per rated item */
    int has_time;
    int64_t n_tags;
} mfr_dataset_stats;

void mfr_dataset_stats_get(const mfr_dataset *ds, mfr_dataset_stats *out);

/* Read-only view of ratings as parallel arrays; valid while ds lives. Also the
 * type training and evaluation take for a subset (arrays owned by the caller). */
typedef struct mfr_ratings {
    int64_t n;
    int32_t n_users, n_items;   /* index ranges the arrays refer to */
    const int32_t *user;
    const int32_t *item;
    const float *rating;
    const int64_t *time;        /* NULL when the data has no timestamps */
} mfr_ratings;

void mfr_dataset_ratings(const mfr_dataset *ds, mfr_ratings *out);

/* ---- splits and subsets of a ratings view (src/data/split.c) ------------
 * A split assigns every rating to a fold: fold[j] in 0..k-1 for k-fold, or
 * 0 = train / 1 = test for a holdout; splits are deterministic in their seed.
 * mfr_ratings_select builds the subset views training and evaluation take. */

typedef enum mfr_split_kind {
    MFR_SPLIT_HOLDOUT = 0,    /* random test fraction */
    MFR_SPLIT_KFOLD = 1,      /* every rating in exactly one of k folds */
    MFR_SPLIT_LEAVE_OUT = 2,  /* per user: k random ratings to test */
    MFR_SPLIT_TIME = 3,       /* global cut: the latest test_frac by timestamp */
    MFR_SPLIT_USER_LAST = 4   /* per user: the last k ratings by timestamp */
} mfr_split_kind;

typedef struct mfr_split_params {
    mfr_split_kind kind;
    double test_frac;         /* holdout / time (default 0.2) */
    int32_t folds;            /* kfold (default 5) */
    int32_t leave_out;        /* leave-out / user-last: ratings per user (default 1) */
    int32_t min_user_ratings; /* leave-out / user-last: users with fewer stay in
                                 train (default leave_out + 1) */
    uint64_t seed;
} mfr_split_params;

mfr_split_params mfr_split_params_default(void);
/* "holdout", "kfold", ...; NULL for an unknown kind. */
const char *mfr_split_kind_name(mfr_split_kind k);

/* fold[j] (int32) for each of the r->n ratings, caller-allocated. Holdout-like
 * kinds write 0 (train) or 1 (test); k-fold writes 0..k-1. *n_folds is the
 * number of test folds: 1 for holdout kinds (test fold = 1), k for k-fold.
 * MFR_E_INVALID naming the bad field (test_frac outside (0,1), folds < 2 or
 * more than ratings, leave_out < 1, time split without timestamps). */
mfr_status mfr_split_assign(const mfr_ratings *r, const mfr_split_params *p,
                            int32_t *fold, int32_t *n_folds, mfr_error *err);

/* For split fold arrays: the test fold index of test fold t (0..n_folds-1):
 * t for k-fold, 1 for holdout kinds. */
int32_t mfr_split_test_fold(const mfr_split_params *p, int32_t t);

/* A subset of r as owned arrays: the ratings whose fold[j] == f (want == 1) or
 * != f (want == 0), in their original order. Free with mfr_ratings_free.
 * MFR_E_NOMEM leaves *out empty. */
mfr_status mfr_ratings_select(const mfr_ratings *r, const int32_t *fold, int32_t f,
                              int want, mfr_ratings *out, mfr_error *err);
void mfr_ratings_free(mfr_ratings *r); /* frees the arrays, zeroes *r */

/* The holdout split of all (mfr_split_params_default with test_frac frac and
 * seed: exactly round(n * frac) ratings to test, chosen by a seeded shuffle;
 * the others to train, both in their original order) as two owned subsets
 * (mfr_ratings_free), both empty on failure. The library draws its own
 * validation ratings with it (valid_frac, hybrid's weight fit), each use with
 * its own seed (the caller's mixed with a tag). */
mfr_status mfr_ratings_holdout(const mfr_ratings *all, double frac, uint64_t seed,
                               mfr_ratings *train, mfr_ratings *test, mfr_error *err);

/* The ratings of src re-indexed into dst's id maps (for a predefined test file
 * read as its own dataset). A user or movie of src unknown to dst gets index
 * -1 (scored by the model's fallback and counted as unknown, never dropped).
 * *out owns its arrays (mfr_ratings_free). */
mfr_status mfr_ratings_map(const mfr_dataset *src, const mfr_dataset *dst,
                           mfr_ratings *out, mfr_error *err);

/* Rating scale of the dataset (from the format or the params). */
void mfr_dataset_scale(const mfr_dataset *ds, float *min, float *max);

/* Ids: index -> external id, and external id -> index (-1 when unknown). */
int64_t mfr_dataset_user_id(const mfr_dataset *ds, int32_t u);
int64_t mfr_dataset_item_id(const mfr_dataset *ds, int32_t i);
int32_t mfr_dataset_user_index(const mfr_dataset *ds, int64_t id);
int32_t mfr_dataset_item_index(const mfr_dataset *ds, int64_t id);
/* Every external id at once, in index order: [n_users] / [n_items] (see
 * mfr_dataset_stats_get); valid while ds lives. */
const int64_t *mfr_dataset_user_ids(const mfr_dataset *ds);
const int64_t *mfr_dataset_item_ids(const mfr_dataset *ds);

/* Ratings held in memory, as parallel arrays of external ids (the arrays are
 * copied; the caller keeps them). */
typedef struct mfr_dataset_arrays {
    int64_t n;                  /* ratings (>= 1) */
    const int64_t *user;        /* [n] user ids */
    const int64_t *item;        /* [n] movie ids */
    const float *rating;        /* [n], or NULL: every rating is 1 (implicit data) */
    const int64_t *time;        /* [n] timestamps, or NULL: none */
    /* NULL, or a dataset whose movies (ids, titles, genres, years, in its
     * index order) and tags are copied first; when it has a catalogue, a
     * movie outside it is an error. To merge new ratings into an imported
     * dataset, pass its ratings plus the new ones with it as the catalogue. */
    const mfr_dataset *catalog;
    float rating_min, rating_max; /* both 0: the catalogue dataset's scale,
                                     else the data's own min..max */
} mfr_dataset_arrays;

/* A dataset from arrays, built as an import builds one: users indexed in
 * order of first appearance, movies in the catalogue's order then in order
 * of first appearance, duplicate (user, movie) pairs keep the latest
 * (larger timestamp, else the later row; counted in the report). *out owns
 * the new dataset. The first bad value fails the call, naming its position:
 * MFR_E_INVALID (no ratings, a NULL array, a rating that is NaN or
 * infinite, a movie outside the catalogue), MFR_E_RANGE (a rating outside
 * rating_min..rating_max), MFR_E_LIMIT, MFR_E_NOMEM. */
mfr_status mfr_dataset_build(const mfr_dataset_arrays *a, mfr_dataset **out, mfr_error *err);

/* Catalogue: "" when unknown. Genres are '|'-separated, "" for none.
 * Year 0 when the title carries none. Strings live as long as ds. */
const char *mfr_dataset_item_title(const mfr_dataset *ds, int32_t i);
const char *mfr_dataset_item_genres(const mfr_dataset *ds, int32_t i);
int32_t mfr_dataset_item_year(const mfr_dataset *ds, int32_t i);
/* IMDb and TMDB ids from links.csv (ml-latest layouts), 0 when unknown. */
int32_t mfr_dataset_item_imdb(const mfr_dataset *ds, int32_t i);
int32_t mfr_dataset_item_tmdb(const mfr_dataset *ds, int32_t i);

/* Tags (tags.csv): count, and tag t's item index, user index (-1 if the user
 * has no ratings) and text. */
int64_t mfr_dataset_n_tags(const mfr_dataset *ds);
void mfr_dataset_tag(const mfr_dataset *ds, int64_t t, int32_t *item,
                     int32_t *user, const char **text);

/* Synthetic MovieLens-shaped data (src/io/synth.c). Ratings are
 * mu + b_u + b_i + p_u.q_i + noise, rounded to half stars and clipped to
 * 0.5..5; movie popularity is Zipf-like, user activity heavy-tailed. */
typedef struct mfr_synth_params {
    int32_t users, movies;
    int64_t ratings;       /* target count (exact unless users*movies is smaller) */
    int32_t rank;          /* rank of the true factors */
    float noise;           /* std of the Gaussian noise */
    float zipf;            /* popularity exponent, default 0.9 */
    uint64_t seed;
    int with_tags;         /* also write tags.csv */
} mfr_synth_params;

mfr_synth_params mfr_synth_params_default(void);
/* Write ratings.csv and movies.csv (and tags.csv, links.csv) in the
 * ml-latest-small layout into folder dir (created if absent). Deterministic in
 * the params. MFR_E_IO naming the path on failure. */
mfr_status mfr_synth_write(const mfr_synth_params *p, const char *dir, mfr_error *err);
/* The same data built in memory, without files. */
mfr_status mfr_synth_dataset(const mfr_synth_params *p, mfr_dataset **out, mfr_error *err);

#ifdef __cplusplus
}
#endif
#endif
