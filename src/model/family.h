/* family.h — the one small interface every model family implements (the
 * families live in src/algo, one vtable each; src/model/registry.c answers
 * mfr__algo_get). The model owns this interface: src/model includes it, and
 * never src/algo.
 *
 * mfr_model_train builds the common part of the model (ids, catalogue, seen
 * lists, μ, scale), then calls vt->fit, which fills factors, biases and any
 * extra sections. Predictions go through vt->predict when set, otherwise the
 * biased-MF formula μ + b_u + b_i + p_u·q_i. Models that keep extra state
 * (neighbour lists, content profiles) rebuild their pointers in vt->attach
 * after a load and free them in vt->release. No fit parses files or prints;
 * progress goes through ctx->p->progress. */
#ifndef MFR_FAMILY_H
#define MFR_FAMILY_H

#include "model_impl.h"
#include "../core/simd.h"
#include "../data/csr.h"

/* Distributed training (src/dist; NULL in one process): which rows this
 * rank solves and the collectives a family calls between half-steps. Every
 * rank holds all factors; a half-step solves the rank's rows and
 * gather_rows hands every rank's rows to all. A family that supports it
 * (als, ials) trains the same model as one process, to float rounding;
 * sgd trains DSGD strata (its users against one item block at a time,
 * the blocks passed round the ranks by shift_rows). */
typedef struct mfr__dist {
    int rank, size;
    const int32_t *user_lo;  /* [size + 1]: rank r solves users user_lo[r]..user_lo[r+1]-1 */
    const int32_t *item_lo;  /* [size + 1]: and items item_lo[r]..item_lo[r+1]-1 */
    int share;               /* 1: the dataset and train hold only this rank's share of the
                                ratings (its users' and, als/ials, its items'), not all */
    mfr__csr *rows;          /* share, als/ials: [2] the share's rows by user and by item,
                                read straight from the file (train then holds none); the
                                fit takes them (mfr__part_csr). NULL: none */
    void *impl;
    /* rows lo[q]..lo[q+1]-1 of X (width floats a row) of every rank q to all, in place */
    mfr_status (*gather_rows)(const struct mfr__dist *d, float *X, int32_t width,
                              const int32_t *lo, mfr_error *err);
    /* element-wise sum over the ranks, in place */
    mfr_status (*sum_f)(const struct mfr__dist *d, float *x, int64_t n, mfr_error *err);
    mfr_status (*sum_d)(const struct mfr__dist *d, double *x, int64_t n, mfr_error *err);
    /* before the first epoch: puts a checkpoint's factors into m and answers
     * the epochs it had completed (0: none); after each epoch: writes one
     * when due. Either may be NULL. */
    mfr_status (*resume)(const struct mfr__dist *d, mfr_model *m, int32_t *done, mfr_error *err);
    mfr_status (*epoch_done)(const struct mfr__dist *d, const mfr_model *m, int32_t epoch,
                             mfr_error *err);
    /* 1 when epoch_done after `epoch` writes a checkpoint (reads every
     * factor row); NULL: never */
    int (*checkpoint_due)(const struct mfr__dist *d, int32_t epoch);
    /* DSGD's rotation (sgd): rows lo[send]..lo[send+1]-1 of X to rank - 1
     * and rows lo[recv]..lo[recv+1]-1 from rank + 1 (a ring), in place */
    mfr_status (*shift_rows)(const struct mfr__dist *d, float *X, int32_t width,
                             const int32_t *lo, int send, int recv, mfr_error *err);
} mfr__dist;

typedef struct mfr__fit_ctx {
    const mfr_dataset *ds;        /* ids, catalogue, tags */
    const mfr_ratings *train;     /* never NULL inside fit */
    const mfr_ratings *valid;     /* may be NULL */
    const mfr_train_params *p;
    int threads;                  /* resolved (>= 1) */
    const mfr__kernels *kern;     /* kernel switches (core/simd.h); NULL: the defaults */
    const mfr__dist *dist;        /* NULL: one process */
    mfr_dataset *drop;            /* whose rating arrays train is and nothing else reads (a
                                     rank's share): the fit drops them once it holds its own
                                     rows (mfr__fit_drop_train); NULL: they stay */
} mfr__fit_ctx;

/* A fit that has built its own rows from ctx->train and reads it no more:
 * ctx->drop's rating arrays are handed back (nothing when drop is NULL). */
void mfr__fit_drop_train(const mfr__fit_ctx *ctx);

/* mfr_model_train with kernel switches (NULL: the defaults, as
 * mfr_model_train): how the tests and benchmarks run the scalar reference
 * kernels and the small-problem rules; a family that trains another model
 * (hybrid's base) passes its ctx->kern on. */
mfr_status mfr__model_train_with(const mfr_dataset *ds, const mfr_ratings *train,
                                 const mfr_ratings *valid, const mfr_train_params *p,
                                 const mfr__kernels *kern, mfr_model **out, mfr_error *err);

/* The seed of the validation split (valid_frac) drawn from p->seed: by the
 * trainer from its ratings, by a distributed run's shares from their count. */
#define MFR__VALID_SEED(seed) ((seed) ^ 0x76616c6964ull /* "valid" */)

/* mfr__model_train_with as one rank of a distributed run (dist NULL: the
 * same call); every rank gets the whole model. MFR_E_UNSUPPORTED for a
 * family without a distributed fit. consume (NULL, or ds itself): its
 * rating arrays are handed over as by mfr_model_train_consume. */
mfr_status mfr__model_train_dist(const mfr_dataset *ds, mfr_dataset *consume, const mfr_ratings *train,
                                 const mfr_ratings *valid, const mfr_train_params *p,
                                 const mfr__kernels *kern, const mfr__dist *dist, mfr_model **out,
                                 mfr_error *err);

struct mfr__filter; /* index.h: what a list keeps */

typedef struct mfr__algo {
    mfr_algo id;
    mfr_status (*fit)(mfr_model *m, const mfr__fit_ctx *ctx, mfr_error *err);
    /* NULL: default biased-MF formula. u or i may be -1. Unclipped. */
    float (*predict)(const mfr_model *m, int32_t u, int32_t i);
    /* Optional: the prediction at time t (seconds since 1970, as
     * mfr_ratings.time) for families with temporal terms (timesvdpp);
     * mfr_model_predict_at. NULL: predict's answer at any time. */
    float (*predict_at)(const mfr_model *m, int32_t u, int32_t i, int64_t t);
    /* Optional: scores for all items of user u into scores[n_items] (unclipped),
     * faster than n_items predict calls. NULL: default. */
    void (*score_user)(const mfr_model *m, int32_t u, float *scores);
    /* Optional: ranking scores for w into rank[n_items] (higher first, NaN:
     * never recommended) given the predicted ratings pred[n_items]
     * (unclipped) of the same user (two distinct arrays). NULL: the list is
     * ordered by pred. Ranking families (ease, auto) set this. */
    void (*rank_user)(const mfr_model *m, const mfr__who *w, const float *pred, float *rank);
    /* 1: rank_user is called with pred == NULL and computes the few
     * predictions it needs itself (mfr__model_predict_rows): ease, auto. */
    int rank_without_pred;
    /* Optional: the top n for w (not a user without ratings) that pass f,
     * straight into out, best first: the rows, order and scores rank_user's
     * full ranking would give (predictions not set). Returns the count, -1
     * on no memory, -2 when this user needs the full ranking. auto. */
    int32_t (*top_user)(const mfr_model *m, const mfr__who *w, const struct mfr__filter *f,
                        int32_t n, mfr_scored *out);
    /* 1: the item factors are not a rating model's (ials, bpr: preference
     * scores), so a new user gets no rating fold-in (mfr_model_fold_dim 0):
     * rank_user ranks them from their ratings, the stars are predict(-1, i). */
    int no_fold_in;
    /* Optional: item-item similarity for models without factors. */
    mfr_status (*similar)(const mfr_model *m, int32_t i, mfr_sim metric,
                          float *scores /* [n_items], NaN = skip */);
    mfr_status (*attach)(mfr_model *m, mfr_error *err);
    void (*release)(mfr_model *m);
    /* Optional: this family's default parameters, applied by
     * mfr_train_params_default(algo) over the generic defaults. Each family
     * owns its defaults here, not in src/model/. */
    void (*defaults)(mfr_train_params *p);
    /* 1: fit honours ctx->dist (distributed training) */
    int distributed;
    /* 1: fit never reads ctx->train->time (mfr_model_train_consume drops
     * the dataset's timestamps first) */
    int ignores_time;
} mfr__algo;

/* The family of a, or NULL for a number outside mfr_algo (mfr_model_train
 * then answers MFR_E_UNSUPPORTED). */
const mfr__algo *mfr__algo_get(mfr_algo a);

/* Each family's vtable, defined in src/algo/<family>.c; registry.c (this
 * folder) lists them by mfr_algo. The model only reads these tables and calls
 * through their pointers: no function of src/model calls one of src/algo. */
extern const mfr__algo mfr__algo_sgd, mfr__algo_adam, mfr__algo_als,
    mfr__algo_svd, mfr__algo_svdpp, mfr__algo_ials, mfr__algo_nmf,
    mfr__algo_bmf, mfr__algo_baseline, mfr__algo_knn_user, mfr__algo_knn_item,
    mfr__algo_content, mfr__algo_hybrid, mfr__algo_ease, mfr__algo_auto,
    mfr__algo_bpr, mfr__algo_bfm,
    mfr__algo_slopeone, mfr__algo_cocluster, mfr__algo_timesvdpp,
    mfr__algo_autorec, mfr__algo_vae;


#endif
