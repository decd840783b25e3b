/* model_impl.h — the body of mfr_model, shared by algo/ and model/.
 *
 * Arrays either come from mfr__malloc / mfr__aligned_alloc (owned, freed by
 * mfr_model_free) or point into the model file's contents, read into one
 * owned block (map_base != NULL, freed whole). Factor models fill P, Q (row-major, k floats a row,
 * 64-byte aligned) and the biases; other models may leave P/Q NULL (k = 0)
 * and keep what they need in `extra` sections, which the file format stores
 * and restores as opaque bytes, after which vt->attach rebuilds pointers.
 *
 * seen_ptr/seen_item: CSR of each user's training items, sorted. */
#ifndef MFR_MODEL_IMPL_H
#define MFR_MODEL_IMPL_H

#include "../core/core.h"
#include "../data/catalog.h"
#include "../data/csr.h"

struct mfr__algo;

#define MFR_MODEL_MAX_EXTRA 16

typedef struct mfr__section {
    uint32_t tag;         /* four characters, e.g. MFR_TAG('K','N','N','I') */
    uint64_t size;        /* bytes */
    void *data;           /* 64-byte aligned */
    int owned;            /* 1: mfr__free on model free */
} mfr__section;

#define MFR_TAG(a, b, c, d) \
    ((uint32_t)(a) | ((uint32_t)(b) << 8) | ((uint32_t)(c) << 16) | ((uint32_t)(d) << 24))

struct mfr_model {
    mfr_algo algo;
    const struct mfr__algo *vt;
    mfr_train_params params;
    int32_t n_users, n_items, k;
    int64_t n_train;
    float mu, rmin, rmax;
    double train_rmse, valid_rmse, fit_seconds;
    int32_t epochs_run;
    uint32_t file_version;

    float *user_bias;     /* [n_users] (may be NULL: zero) */
    float *item_bias;     /* [n_items] */
    float *P;             /* [n_users * k] */
    float *Q;             /* [n_items * k] */

    int64_t *user_ids;    /* [n_users] */
    int64_t *item_ids;    /* [n_items] */
    mfr__idmap user_map, item_map;  /* built on load, always owned */

    mfr__catalog cat;     /* the dataset's catalogue (../data/catalog.h), copied */
    uint32_t *tags_off;   /* [n_items] into cat.strings: top tags '|'-joined (tags.c), or NULL */
    int32_t *item_count;  /* [n_items] training ratings */
    float *item_mean;     /* [n_items] NaN when none */

    int64_t *seen_ptr;    /* [n_users + 1] */
    int32_t *seen_item;   /* [seen_ptr[n_users]] */
    float *seen_rating;   /* [seen_ptr[n_users]]: the rating of each seen item
                             (NULL in files from before it was stored) */

    mfr__section extra[MFR_MODEL_MAX_EXTRA];
    int n_extra;
    void *algo_state;     /* built by vt->attach, freed by vt->release */
    int32_t ranked_items; /* items a ranking family's ranker covers (its attach) */

    void *map_base;
    size_t map_len;

    /* Per-item Σ_f q_if² and Σ_f q_if for similar(); always owned, built by
     * mfr__model_prepare after the fit and after a load (NULL without Q). */
    double *item_sq, *item_sum;
    /* Q as bytes in blocks of 8 movies for the exact top-n (index.h), built by
     * mfr__model_prepare; NULL without Q. */
    struct mfr__qindex *qindex;
    /* The approximate top-n index (ann.h), NULL unless asked for
     * (mfr_model_set_index); lists then come from it. */
    struct mfr__ann *ann;
};

/* One user as a model scores them: a trained user (u >= 0; items are the
 * training items), or a user who is not in the model (u == -1) given by the
 * movies they rated and, for factor models, their folded-in vector. */
typedef struct mfr__who {
    int32_t u;               /* trained user index, or -1 */
    const int32_t *items;    /* rated items, sorted ascending, no duplicates */
    const float *ratings;    /* their ratings (NULL: not known) */
    int32_t n;
    const float *vec;        /* u == -1: [b_u, p_u] from fold-in, or NULL */
} mfr__who;

/* The one scoring function behind every list (src/model/score.c): rank[i]
 * (n_items) receives the ranking score the lists are ordered by (higher
 * first, NaN: never recommended): vt->rank_user's when the family has one,
 * else the predicted rating; scratch is n_items floats of working space
 * (the predictions, when they are needed). MFR_E_NOMEM. */
mfr_status mfr__model_score(const mfr_model *m, const mfr__who *w, float *rank, float *scratch,
                            mfr_error *err);
/* Predicted ratings (unclipped) of items idx[0..n) for w into out (idx NULL:
 * items 0..n-1), the same values mfr__model_score's predictions take. */
void mfr__model_predict_rows(const mfr_model *m, const mfr__who *w, const int32_t *idx, int32_t n,
                             float *out);

/* Default biased-MF prediction μ + b_u + b_i + p_u·q_i (unclipped); u or i
 * may be -1 (unknown): the known terms only. */
float mfr__predict_mf(const mfr_model *m, int32_t u, int32_t i);
/* r on the model's scale rmin..rmax (NaN: μ), as every rating the API returns. */
float mfr__clip(const mfr_model *m, float r);
/* mu + b_u + b_i (an absent bias, or an id out of range, adds 0): the rating
 * of a ranking family whose factors give no rating (bpr, vae); and the same
 * for every movie of a user in the model, into scores[n_items]. */
float mfr__predict_bias(const mfr_model *m, int32_t u, int32_t i);
void mfr__score_bias(const mfr_model *m, int32_t u, float *scores);
/* Every per-user (by_item 0) / per-movie query's check: MFR_E_INVALID "WHAT: model is
 * NULL", MFR_E_NOT_FOUND "WHAT: user|item index IDX not in the model (0..n-1)". */
mfr_status mfr__check_index(const mfr_model *m, int by_item, int32_t idx, const char *what,
                            mfr_error *err);
/* RMSE of the model's (clipped) predictions on r; NaN when r is NULL/empty. */
double mfr__rmse(const mfr_model *m, const mfr_ratings *r);

/* Empty model with algo set and vt resolved; NULL on no memory. */
mfr_model *mfr__model_new(mfr_algo algo);
struct mfr__dist;
/* Fill ids, catalogue, seen lists, item counts/means, mu and scale from ds
 * and the training subset. share (NULL: none): train is only this rank's
 * share of a distributed run's ratings (family.h); the item counts, means
 * and mu are then summed over the ranks (collective), no seen lists are
 * built (rank 0's model file gets them from mfr__model_save_seen) and the id
 * maps are left to the caller, after the fit (mfr__model_build_maps). */
mfr_status mfr__model_fill_common(mfr_model *m, const mfr_dataset *ds,
                                  const mfr_ratings *train, const struct mfr__dist *share,
                                  mfr_error *err);
/* Seen lists, the one way they are built: rows u0..u1-1 of the lists whose
 * row u starts at ptr[u] (ptr[0..n_users], mfr__seen_ptr), into item[] and
 * rating[] (ptr[u1] - ptr[u0] each, the caller's; row u at ptr[u] - ptr[u0]).
 * begin: the fill set up; add: ratings in any order, a chunk at a time,
 * each placed straight into its row (a user of 0..n_users-1 outside
 * u0..u1-1 skipped; one outside 0..n_users-1, or beyond its row's count, an
 * error at end, never a write); end: each row sorted by item, then rating
 * (only a row not in that order already, through a scratch the size of the
 * longest row), or an error when the ratings did not match the counts. end
 * (or a failed begin) frees what f holds. A whole model's lists are one fill
 * of 0..n_users-1 (model.c's seen_begin); a model file's writer fills them
 * a band of users at a time (mfr__model_save_seen). */
typedef struct mfr__seen_fill {
    const int64_t *ptr;
    int32_t n_users, u0, u1;
    int32_t *item;
    float *rating;
    int64_t *next;    /* [u1 - u0]: where user u's next rating goes, from ptr[u0] */
    int64_t longest;  /* the longest row */
    int overflow;
} mfr__seen_fill;
/* ptr[0..n_users] from the ratings per user (NULL on no memory; mfr__free). */
int64_t *mfr__seen_ptr(const int64_t *user_count, int32_t n_users);
mfr_status mfr__seen_fill_begin(mfr__seen_fill *f, const int64_t *ptr, int32_t n_users, int32_t u0,
                                int32_t u1, int32_t *item, float *rating, mfr_error *err);
void mfr__seen_fill_add(mfr__seen_fill *f, const int32_t *user, const int32_t *item,
                        const float *rating, int64_t n);
mfr_status mfr__seen_fill_end(mfr__seen_fill *f, mfr_error *err);
/* mfr_model_save for a model without seen lists (m->seen_ptr NULL) whose
 * lists come from elsewhere, never held whole: ptr[0..n_users] their row
 * starts (mfr__seen_ptr); the lists are written a band of users at a time,
 * each band at most band ratings (or one user's row, when longer): feed
 * adds every rating (mfr__seen_fill_add; it may add them all, the fill
 * keeps the band's), the rows are sorted and written at their place in
 * sections SITM and SRAT. The file is byte for byte what mfr_model_save
 * writes for m with those lists (the payload CRC combined from the pieces),
 * through the same atomic save. feed's failure is the save's. */
typedef mfr_status (*mfr__seen_feed_fn)(void *ctx, mfr__seen_fill *f, mfr_error *err);
mfr_status mfr__model_save_seen(const mfr_model *m, const char *path, const int64_t *ptr,
                                int64_t band, mfr__seen_feed_fn feed, void *ctx, mfr_error *err);
/* Allocate P, Q (aligned, zeroed) and biases for k factors. */
mfr_status mfr__model_alloc_factors(mfr_model *m, int32_t k, mfr_error *err);
/* Add an owned extra section: takes ownership of data (allocated with
 * mfr__aligned_alloc) from the call, freeing it on failure (MFR_E_LIMIT when
 * full). A section with the same tag is replaced (the old one freed). */
mfr_status mfr__model_add_extra(mfr_model *m, uint32_t tag, void *data,
                                uint64_t size, mfr_error *err);
/* A new section of `bytes` (zeroed) added as mfr__model_add_extra does;
 * *out the data, or NULL on failure (MFR_E_NOMEM naming what). */
mfr_status mfr__model_new_extra(mfr_model *m, uint32_t tag, size_t bytes, void **out,
                                const char *what, mfr_error *err);
/* Extra section by tag, or NULL; *size set when non-NULL. */
void *mfr__model_get_extra(const mfr_model *m, uint32_t tag, uint64_t *size);
/* The family state of the families whose state is one block (vt->attach,
 * vt->release): _set keeps a copy of the n bytes at v as m->algo_state, the
 * old one freed (MFR_E_NOMEM naming what, the old one kept); _release frees
 * it, the vt->release of those families. */
mfr_status mfr__model_set_state(mfr_model *m, const void *v, size_t n, const char *what,
                                mfr_error *err);
void mfr__model_release_state(mfr_model *m);
/* Test hook (src/model/registry.c): make mfr__algo_get(a) return vt instead
 * of the built family; NULL restores it. Not thread-safe; tests only. */
void mfr__algo_set_override(mfr_algo a, const struct mfr__algo *vt);
/* Derived per-item data the queries use (item_sq, item_sum), rebuilt from Q.
 * Called by mfr_model_train after the fit and by mfr_model_load. NOMEM. */
mfr_status mfr__model_prepare(mfr_model *m, mfr_error *err);
/* (Re)build user_map / item_map from user_ids / item_ids. MFR_E_NOMEM. */
mfr_status mfr__model_build_maps(mfr_model *m, mfr_error *err);
/* tags.c: each movie's most-used tags of ds into the pool and m->tags_off. */
mfr_status mfr__model_top_tags(mfr_model *m, const mfr_dataset *ds, mfr_error *err);

#endif
