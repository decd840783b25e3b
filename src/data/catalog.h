/* catalog.h — the movie catalogue that a dataset reads and a model keeps:
 * titles, genres, years and IMDb/TMDB links of n_items movies, and the one
 * set of accessors both mfr_dataset_item_* and mfr_model_item_* answer with.
 *
 * Strings live in one pool: title_off[i] / genres_off[i] (and a dataset's tag
 * offsets, a model's top-tag offsets) are byte offsets of NUL-terminated
 * strings in `strings` (offset 0 is ""). The arrays are owned (mfr__free) or
 * point into a loaded file's block; the owner decides which. The number of
 * movies is the owner's n_items, passed to each accessor. Not public API. */
#ifndef MFR_CATALOG_H
#define MFR_CATALOG_H

#include "../core/core.h"

typedef struct mfr__catalog {
    char *strings; /* pool; strings[0] == '\0' */
    int64_t strings_len;
    uint32_t *title_off;  /* [n_items] */
    uint32_t *genres_off; /* [n_items] */
    int16_t *year;        /* [n_items] */
    int32_t *links;       /* [2 n_items]: imdbId, tmdbId (0 = none); NULL without links.csv */
} mfr__catalog;

/* The pool's string at off[i] (i in 0..n-1); "" when off or the pool is
 * NULL, i is out of range or the offset lies outside the pool. */
const char *mfr__catalog_str(const mfr__catalog *c, const uint32_t *off, int64_t n, int64_t i);
/* Movie i's genres ("" as mfr__catalog_str), and its IMDb (which 0) or TMDB
 * (which 1) id: 0 when unknown, absent or i out of 0..n-1. */
const char *mfr__catalog_genres(const mfr__catalog *c, int32_t n, int32_t i);
int32_t mfr__catalog_link(const mfr__catalog *c, int32_t n, int32_t i, int which);
/* The public movie getters of an owner type T (mfr_dataset, mfr_model: a
 * struct with fields `cat` and `n_items`), defined once for both:
 * T_item_title ("" as mfr__catalog_str), T_item_genres, T_item_year (0 when
 * unknown or i out of range), T_item_imdb, T_item_tmdb (mfr__catalog_link). */
#define MFR__CATALOG_GETTERS(T)                                                                    \
    const char *T##_item_title(const T *o, int32_t i) {                                            \
        return mfr__catalog_str(&o->cat, o->cat.title_off, o->n_items, i);                         \
    }                                                                                              \
    const char *T##_item_genres(const T *o, int32_t i) {                                           \
        return mfr__catalog_genres(&o->cat, o->n_items, i);                                        \
    }                                                                                              \
    int32_t T##_item_year(const T *o, int32_t i) {                                                 \
        return o->cat.year && i >= 0 && i < o->n_items ? o->cat.year[i] : 0;                       \
    }                                                                                              \
    int32_t T##_item_imdb(const T *o, int32_t i) {                                                 \
        return mfr__catalog_link(&o->cat, o->n_items, i, 0);                                       \
    }                                                                                              \
    int32_t T##_item_tmdb(const T *o, int32_t i) {                                                 \
        return mfr__catalog_link(&o->cat, o->n_items, i, 1);                                       \
    }

/* The one check of a loaded catalogue of n movies: NULL when the pool ends
 * in NUL and every movie's title and genres offset, and extra[i] (another
 * per-movie offset into the pool, a model's top tags; NULL for none), lies
 * inside it; else "string pool" (*item = -1) or "string offset" with *item
 * the first movie whose offset does not. */
const char *mfr__catalog_check(const mfr__catalog *c, int32_t n, const uint32_t *extra, int32_t *item);
/* Frees the arrays of an owned catalogue and zeroes it. */
void mfr__catalog_free(mfr__catalog *c);

#endif
