/* dataset_impl.h — the body of mfr_dataset, shared by io/ and data/.
 *
 * Ratings are parallel arrays of length n_ratings. When the dataset was
 * loaded from a .mfd file the arrays point into the file's block (map_base) and
 * are not freed one by one; otherwise each is owned (mfr__free).
 * The catalogue is an mfr__catalog (catalog.h): one string pool with
 * per-movie offsets, shared in layout and accessors with the model.
 * Tags: tag_item/tag_user/tag_off arrays of length n_tags. */
#ifndef MFR_DATASET_IMPL_H
#define MFR_DATASET_IMPL_H

#include "../core/core.h"
#include "catalog.h"

struct mfr_dataset {
    int32_t n_users, n_items;
    int64_t n_ratings;
    int32_t *user;        /* [n_ratings] */
    int32_t *item;        /* [n_ratings] */
    float *rating;        /* [n_ratings] */
    int64_t *time;        /* [n_ratings] or NULL */

    int64_t *user_ids;    /* [n_users] external ids */
    int64_t *item_ids;    /* [n_items] */
    mfr__idmap user_map, item_map;

    mfr__catalog cat;  /* titles, genres, years, links; the pool holds the tags' text too */
    int32_t n_catalog; /* movies the catalogue file listed */

    /* tags */
    int64_t n_tags;
    int32_t *tag_item, *tag_user;
    uint32_t *tag_off; /* into cat.strings */

    /* user attributes (ml-100k u.user, ml-1m users.dat; src/io/catalog.c),
     * all three NULL when the data set has none */
    int16_t *user_age;    /* [n_users] years (ml-1m: the band's lower bound, 1 = under 18), 0 unknown */
    char *user_gender;    /* [n_users] 'M', 'F', 0 unknown */
    int16_t *user_occ;    /* [n_users] occupation code (ml-1m's 0-20; ml-100k's
                             place in u.occupation's list), -1 unknown */

    float scale_min, scale_max;
    mfr_import_report report;
    char **messages;      /* [report.n_messages] */
    char *source;

    void *map_base;       /* .mfd file contents (owned, one block), or NULL */
    size_t map_len;
};

/* What mfr__dataset_release drops. */
enum { MFR__DS_TIME = 1, MFR__DS_ITEM_RATING = 2, MFR__DS_USER = 4 };

/* Drops the rating arrays named by what (MFR__DS_* bits): freed when owned,
 * their pages handed back when they lie in a .mfd block (mfr__bin_discard);
 * the pointers become NULL, and once user, item and rating are all gone the
 * dataset has no ratings (n_ratings 0); ids, catalogue and tags stay. For
 * a trainer that holds its own copy (mfr_model_train_consume). */
void mfr__dataset_release(mfr_dataset *ds, unsigned what);

/* Allocate an empty dataset (all zero, strings pool "" ). NULL on no memory. */
mfr_dataset *mfr__dataset_new(void);

/* Build a dataset from arrays of dense indices (copied); external ids are
 * index + 1, no catalogue. time may be NULL. For synthetic data and tests. */
mfr_status mfr__dataset_from_arrays(int32_t n_users, int32_t n_items, int64_t n,
                                    const int32_t *user, const int32_t *item,
                                    const float *rating, const int64_t *time,
                                    mfr_dataset **out, mfr_error *err);

/* The holdout of mfr_ratings_holdout(all, frac, seed, ...) for any all of
 * n ratings, without the ratings: bit j of *bits (n/64 + 1 words, the
 * caller's, mfr__free) set when rating j is held out, *held of them. It
 * depends on n, frac and seed only, so a distributed run's ranks draw the
 * one-process split from their counts (src/dist). 4·n bytes while drawn. */
mfr_status mfr__holdout_bits(int64_t n, double frac, uint64_t seed, uint64_t **bits,
                             int64_t *held, mfr_error *err);

#endif
