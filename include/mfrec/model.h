/* mfrec/model.h — training, the model file, and the questions a model answers.
 *
 * A model predicts r̂(u,i). Factor models use r̂ = μ + b_u + b_i + p_u·q_i with
 * factors stored row-major as float, 64-byte aligned: P[u*k + f], Q[i*k + f].
 * The model carries the id maps, the catalogue (titles, genres, years), per-item
 * rating counts and means, and each user's rated items (so recommendations can
 * exclude seen movies), so it answers on its own without the dataset.
 *
 * Model file (.mfm): versioned, sectioned, checksummed, loaded with mmap;
 * layout byte by byte in src/model/mfm.h. */
#ifndef MFREC_MODEL_H
#define MFREC_MODEL_H

#include <stdint.h>
#include "error.h"
#include "core.h"
#include "dataset.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Append-only: the number is stored in model files. */
typedef enum mfr_algo {
    MFR_ALGO_SGD = 0,      /* biased MF, SGD (the default) */
    MFR_ALGO_ADAM = 1,     /* biased MF, Adam on mini-batches */
    MFR_ALGO_ALS = 2,      /* explicit ALS with biases */
    MFR_ALGO_SVD = 3,      /* truncated SVD of the centred sparse matrix */
    MFR_ALGO_SVDPP = 4,    /* SVD++ */
    MFR_ALGO_IALS = 5,     /* implicit-feedback ALS (Hu, Koren, Volinsky) */
    MFR_ALGO_NMF = 6,      /* non-negative MF */
    MFR_ALGO_BMF = 7,      /* Bayesian MF by Gibbs sampling */
    MFR_ALGO_BASELINE = 8, /* μ + b_u + b_i */
    MFR_ALGO_KNN_USER = 9,
    MFR_ALGO_KNN_ITEM = 10,
    MFR_ALGO_CONTENT = 11, /* TF-IDF on genres and tags */
    MFR_ALGO_HYBRID = 12,  /* factor model blended with content */
    MFR_ALGO_EASE = 13,    /* EASE^R item-item closed form (Steck 2019), ranking */
    MFR_ALGO_AUTO = 14,    /* the default: EASE orders the list, SGD gives the stars */
    MFR_ALGO_BPR = 15,     /* pairwise ranking MF (BPR / WARP sampling) */
    MFR_ALGO_BFM = 16,     /* Bayesian factorization machine by Gibbs sampling */
    MFR_ALGO_SLOPEONE = 17, /* weighted Slope One (Lemire & Maclachlan 2005) */
    MFR_ALGO_COCLUSTER = 18, /* co-clustering (George & Merugu 2005) */
    MFR_ALGO_TIMESVDPP = 19, /* timeSVD++ by SGD (Koren 2009) */
    MFR_ALGO_AUTOREC = 20, /* I-AutoRec item autoencoder for ratings (Sedhain et al. 2015) */
    MFR_ALGO_VAE = 21,     /* Mult-VAE for top-N lists (Liang et al. 2018) */
    MFR_ALGO__COUNT
} mfr_algo;

/* What `mfrec train DATA` trains when no family is named. */
#define MFR_ALGO_DEFAULT MFR_ALGO_AUTO

/* "sgd", "knn-item", ...; NULL for an unknown number. */
const char *mfr_algo_name(mfr_algo a);
/* MFR_E_INVALID (listing the known names) for an unknown name. */
mfr_status mfr_algo_from_name(const char *name, mfr_algo *out, mfr_error *err);

typedef enum mfr_sim {
    MFR_SIM_PEARSON = 0,
    MFR_SIM_COSINE = 1,
    MFR_SIM_PEARSON_BASELINE = 2,
    MFR_SIM_MSD = 3,
    /* For mfr_model_similar only (not a knn training similarity): who
     * watched both movies, and how much more they liked them than their
     * usual; works for every family. */
    MFR_SIM_COOC = 4
} mfr_sim;

/* Training parameters. Start from mfr_train_params_default(algo) and change
 * fields; every algorithm reads only the fields that apply to it. */
typedef struct mfr_train_params {
    mfr_algo algo;
    int32_t factors;       /* k */
    int32_t epochs;        /* epochs / iterations / Gibbs sweeps */
    float lr;              /* learning rate (sgd, adam, svdpp, nmf) */
    float lr_decay;        /* lr multiplied by this after each epoch */
    float reg;             /* L2 on factors */
    float reg_bias;        /* L2 on biases */
    float init_std;        /* std of the initial factors */
    uint64_t seed;
    int32_t threads;       /* 0: all cores */
    float valid_frac;      /* >0: hold out this fraction for validation RMSE */
    int32_t early_stop;    /* >0: stop after this many epochs without a better
                              validation RMSE, keeping the best epoch */
    /* adam */
    int32_t batch;         /* mini-batch size */
    float beta1, beta2;
    /* ials */
    float alpha;           /* confidence 1 + alpha * r */
    int32_t cg_steps;
    /* bmf */
    int32_t burnin, samples;
    /* knn */
    int32_t knn_k;
    int32_t min_support;   /* common raters needed for a similarity */
    float shrinkage;
    mfr_sim sim;
    /* hybrid */
    mfr_algo hybrid_base;  /* factor model blended with content */
    /* ranking models (ease, auto; rating_power also ials) */
    float ease_lambda;     /* L2 on the item-item weights B */
    int32_t max_memory_mb; /* budget for B and its Gram matrix, MiB (0: no limit) */
    int32_t rank_min_ratings; /* items the ranker covers: at least this many
                                 training ratings (others are never ranked) */
    float rating_power;    /* input weight of a rating r: (r / max)^power;
                              0 = every rating counts 1 */
    float blend;           /* auto: rank score = ranker + blend * predicted rating */
    int32_t ease_keep;     /* weights kept per row of B, largest first
                              (0: the dense B) */
    /* ials (Rendle et al. 2021) */
    float unobserved;      /* weight of the unobserved entries (1 = Hu et al.) */
    float reg_exp;         /* reg scaled by (n_rated + unobserved * n_other)^reg_exp */
    /* bfm: the feature groups (MFR_FEAT_* bits; text "id,implicit,...") */
    int32_t features;
    /* autorec: 1 = its layers as dense batched products through cblas_sgemm
       (0: the sparse layers; the same model up to float rounding) */
    int32_t dense;
    /* timesvdpp: 1 = Koren's scale of the movie bias, (b_i + b_{i,Bin(t)})·(c_u + c_{u,t}) */
    int32_t item_scale;
    /* host callbacks */
    mfr_progress_fn progress; void *progress_user;
} mfr_train_params;

/* bfm's feature groups (mfr_train_params.features; docs/models.md). */
#define MFR_FEAT_ID 1        /* user id, movie id */
#define MFR_FEAT_IMPLICIT 2  /* the user's rated movies, |N(u)|^-1/2 each */
#define MFR_FEAT_FLIPPED 4   /* the movie's raters, |R(i)|^-1/2 each */
#define MFR_FEAT_GENRES 8    /* the movie's genres */
#define MFR_FEAT_TAGS 16     /* the movie's top tags (tags.csv) */
#define MFR_FEAT_USER 32     /* age band, gender, occupation (ml-100k, ml-1m) */
#define MFR_FEAT_TIME 64     /* the rating's year bin, the movie's release years */
#define MFR_FEAT_ALL 127

mfr_train_params mfr_train_params_default(mfr_algo algo);
/* MFR_E_INVALID naming the first bad field and its allowed range. */
mfr_status mfr_train_params_check(const mfr_train_params *p, mfr_error *err);
/* Set one field by name from text ("factors", "64"); names are the field
 * names above plus "algo". MFR_E_INVALID for an unknown name or bad value. */
mfr_status mfr_train_params_set(mfr_train_params *p, const char *name,
                                const char *value, mfr_error *err);
/* Write "name=value\n" lines for every field that applies to p->algo into buf
 * (NUL-terminated, truncated to cap). Returns the length needed. */
int mfr_train_params_format(const mfr_train_params *p, char *buf, int cap);
/* Whether the field called name is read by algo: 1 yes, 0 a field that algo
 * does not use, -1 no such field. */
int mfr_train_params_applies(mfr_algo algo, const char *name);
/* The name of field j (0 = "algo", in struct order), NULL past the last. */
const char *mfr_train_params_field(int j);

typedef struct mfr_model mfr_model;

/* Train on the ratings of ds (train == NULL) or on the subset train, whose
 * indices refer to ds's id maps. valid (may be NULL) is used for validation
 * RMSE and early stopping; when NULL and p->valid_frac > 0 a split is drawn
 * from the training ratings with p->seed. *out owns the new model.
 * MFR_E_CANCELLED when the progress callback asked to stop: *out then holds
 * the model after the last completed epoch (the caller may save it). */
mfr_status mfr_model_train(const mfr_dataset *ds, const mfr_ratings *train,
                           const mfr_ratings *valid, const mfr_train_params *p,
                           mfr_model **out, mfr_error *err);
/* mfr_model_train(ds, NULL, NULL, p, out, err) for a caller that needs ds's
 * ratings no more (the same model): ds gives them up during training, so
 * the ratings are held once — the model's seen lists — instead of twice
 * (timestamps go first when the family reads none; the item and rating
 * arrays once the model has its lists, when ds is sorted by user then movie,
 * as imported MovieLens files are). Afterwards ds has no ratings
 * (mfr_dataset_ratings gives n 0); its ids, catalogue and tags stay. */
mfr_status mfr_model_train_consume(mfr_dataset *ds, const mfr_train_params *p, mfr_model **out,
                                   mfr_error *err);

/* Save to path (temporary file + rename). MFR_E_IO naming the path. */
mfr_status mfr_model_save(const mfr_model *m, const char *path, mfr_error *err);
/* Load with mmap; checks magic, version, sizes and checksum: MFR_E_FORMAT
 * saying what is wrong (truncated, corrupted, wrong version), MFR_E_IO. */
mfr_status mfr_model_load(const char *path, mfr_model **out, mfr_error *err);
void mfr_model_free(mfr_model *m); /* NULL is fine */

typedef struct mfr_model_info {
    mfr_algo algo;
    mfr_train_params params;   /* callbacks NULL */
    int32_t n_users, n_items, factors;
    int64_t n_train;           /* ratings trained on */
    float mu;
    float rating_min, rating_max;
    double train_rmse;         /* NaN when not measured */
    double valid_rmse;         /* NaN when no validation */
    int32_t epochs_run;
    double fit_seconds;
    uint32_t file_version;     /* 0 for a model not loaded from a file */
    int32_t ranked_items;      /* movies the ranking stage covers (ease,
                                  auto: those that fit max_memory_mb; the
                                  others are never recommended); n_items for
                                  models that rank by predicted rating */
} mfr_model_info;

void mfr_model_info_get(const mfr_model *m, mfr_model_info *out);

/* Ids and catalogue, as for the dataset. */
int32_t mfr_model_n_users(const mfr_model *m);
int32_t mfr_model_n_items(const mfr_model *m);
int64_t mfr_model_user_id(const mfr_model *m, int32_t u);
int64_t mfr_model_item_id(const mfr_model *m, int32_t i);
int32_t mfr_model_user_index(const mfr_model *m, int64_t id); /* -1 unknown */
int32_t mfr_model_item_index(const mfr_model *m, int64_t id); /* -1 unknown */
const char *mfr_model_item_title(const mfr_model *m, int32_t i);
const char *mfr_model_item_genres(const mfr_model *m, int32_t i);
int32_t mfr_model_item_year(const mfr_model *m, int32_t i);
int32_t mfr_model_item_imdb(const mfr_model *m, int32_t i);  /* links.csv ids, 0 unknown */
/* The movie's most-used tags (tags.csv, folded, up to 8, most used first),
 * '|'-separated; "" when none or the model keeps no tags (src/model/tags.c). */
const char *mfr_model_item_tags(const mfr_model *m, int32_t i);
int32_t mfr_model_item_tmdb(const mfr_model *m, int32_t i);
int32_t mfr_model_item_count(const mfr_model *m, int32_t i);  /* ratings in training */
float mfr_model_item_mean(const mfr_model *m, int32_t i);     /* NaN if none */
/* User u's rated items in training (sorted), *n set; pointer valid while m lives. */
const int32_t *mfr_model_user_items(const mfr_model *m, int32_t u, int32_t *n);

/* Factors (NULL for models without them); k via info. Row-major. */
const float *mfr_model_user_factors(const mfr_model *m);
const float *mfr_model_item_factors(const mfr_model *m);

/* Predicted rating, clipped to the scale. u or i may be -1 (unknown): the
 * prediction falls back to μ + the known bias. */
float mfr_model_predict(const mfr_model *m, int32_t u, int32_t i);
/* mfr_model_predict for n pairs (users[j], items[j]) into out[n]. */
void mfr_model_predict_many(const mfr_model *m, int64_t n, const int32_t *users,
                            const int32_t *items, float *out);
/* mfr_model_predict at time t (seconds since 1970, as mfr_ratings.time):
 * the rating a model with temporal terms (timesvdpp: day and time-bin
 * biases) predicts for that day; any other model answers mfr_model_predict.
 * mfr_model_predict itself is the prediction as of the user's last training
 * day. Evaluation predicts test ratings that carry timestamps this way. */
float mfr_model_predict_at(const mfr_model *m, int32_t u, int32_t i, int64_t t);

/* Whole arrays, valid while m lives: external ids in index order ([n_users]
 * / [n_items]), and the biases b_u / b_i of r̂ = μ + b_u + b_i + p_u·q_i
 * (NULL for models without them; μ is in mfr_model_info). */
const int64_t *mfr_model_user_ids(const mfr_model *m);
const int64_t *mfr_model_item_ids(const mfr_model *m);
const float *mfr_model_user_bias(const mfr_model *m);
const float *mfr_model_item_bias(const mfr_model *m);

/* One answer row. */
typedef struct mfr_scored {
    int32_t item;
    float score;       /* the ranking score the list is ordered by */
    float prediction;  /* predicted rating, clipped to the scale (NaN in similar()) */
} mfr_scored;

typedef struct mfr_recommend_params {
    int32_t n;              /* how many (default 10) */
    const char *genre;      /* only movies of this genre (case-insensitive); NULL all */
    int32_t min_ratings;    /* skip movies with fewer training ratings
                               (default MFR_RECOMMEND_MIN_RATINGS) */
    int exclude_seen;       /* default 1 */
    float *scores;          /* optional [n_items]: receives every item's ranking
                               score (NaN where the model ranks nothing) */
} mfr_recommend_params;

/* Movies with fewer training ratings stay out of default lists: a movie one
 * person rated is a guess, not a recommendation. --min-ratings 1 asks for them. */
#define MFR_RECOMMEND_MIN_RATINGS 3

mfr_recommend_params mfr_recommend_params_default(void);

/* Top-n for user u, best first, into out (capacity p->n); *n_out rows. Rows
 * are ordered by the model's ranking score (for ranking models not a rating)
 * and carry the predicted rating. Every list, the CLI's, eval's, the batch's
 * and the server's, comes from this one scoring path.
 * MFR_E_NOT_FOUND for u out of range. */
mfr_status mfr_model_recommend(const mfr_model *m, int32_t u,
                               const mfr_recommend_params *p, mfr_scored *out,
                               int32_t *n_out, mfr_error *err);

/* Top-n for each of users[0..n_users) (all users when users == NULL and
 * n_users == mfr_model_n_users(m)) into out[j * p->n ...], n_out[j] rows each,
 * on `threads` threads (0: all cores); identical to mfr_model_recommend per
 * user. p->scores must be NULL. */
mfr_status mfr_model_recommend_batch(const mfr_model *m, const int32_t *users,
                                     int32_t n_users, const mfr_recommend_params *p,
                                     int threads, mfr_scored *out, int32_t *n_out,
                                     mfr_error *err);

/* Movies most similar to item i, best first, i itself excluded, movies with
 * fewer than min_ratings training ratings skipped (MFR_SIMILAR_MIN_RATINGS is
 * the CLI's and the server's default). metric:
 *  - MFR_SIM_COOC (the default everywhere; any family): from the training
 *    ratings the model carries: the movies most often rated by the same users
 *    (cosine over users, each rating weighted by how much the user liked it
 *    against their own mean), re-scored by a ridge regression of "rated i" on
 *    those 100 neighbours (max(n, 100), at most 1000: no longer lists), so
 *    the rows are the movies that best explain who watches i: sequels and
 *    prequels first. score: the regression weight (not bounded to [-1, 1]).
 *    A movie no one else co-rated falls back to the model's own similarity
 *    when it has one (else 0 rows).
 *  - MFR_SIM_PEARSON / MFR_SIM_COSINE: factor models: the correlation /
 *    cosine of the latent factor vectors; models without factors use their
 *    own item similarity (knn-item, content), others MFR_E_UNSUPPORTED.
 * MFR_E_INVALID for another metric on a factor model. */
#define MFR_SIMILAR_MIN_RATINGS 5
mfr_status mfr_model_similar(const mfr_model *m, int32_t i, mfr_sim metric,
                             int32_t n, int32_t min_ratings, mfr_scored *out,
                             int32_t *n_out, mfr_error *err);

/* Title search, the one matcher (src/model/title.c) behind the server's
 * search and the CLI's `similar MOVIE`: titles as people type them. Accents,
 * case and punctuation are folded; a MovieLens trailing article is moved back
 * and a leading one ignored ("The Matrix" = "matrix" = "Matrix, The (1999)";
 * A, An, Le, La, Les, L', El, Il, Die, Der, Das ...); the year is optional
 * ("godfather 1972", "Toy Story (1995)": then only titles of that year);
 * "(a.k.a. ...)" alternative titles match too. Levels, best first: */
typedef enum mfr_title_quality {
    MFR_TITLE_TYPO = 1,     /* only when nothing matches better: each word
                               within 1 typo (4-7 letters) or 2 (8+) */
    MFR_TITLE_CONTAINS = 2, /* the query inside the title */
    MFR_TITLE_WORDS = 3,    /* every query word starts a title word */
    MFR_TITLE_PREFIX = 4,   /* the title starts with the query */
    MFR_TITLE_EXACT = 5     /* the same title once folded */
} mfr_title_quality;
typedef struct mfr_title_hit {
    int32_t item;
    mfr_title_quality quality;
    int32_t typos;          /* edit distance, for MFR_TITLE_TYPO; else 0 */
} mfr_title_hit;
/* Hits ordered by quality, then a matching year, then fewer typos, then more
 * training ratings (popularity), then index; up to cap into out, *n_found the
 * total. An empty query finds nothing. MFR_E_NOMEM, MFR_E_INVALID (NULL). */
mfr_status mfr_model_search_titles(const mfr_model *m, const char *query, mfr_title_hit *out,
                                   int32_t cap, int32_t *n_found, mfr_error *err);
/* "exact", "prefix", "words", "contains", "typo". */
const char *mfr_title_quality_name(mfr_title_quality q);
/* The same search, item indices only (none on an error). */
void mfr_model_find_title(const mfr_model *m, const char *query, int32_t *out,
                          int32_t cap, int32_t *n_found);

/* Why a movie is in a user's list (src/model/explain.c): of the user's liked
 * movies liked[0..n_liked) (item indices), those among the co-occurrence
 * neighbours of item (mfr_model_similar, MFR_SIM_COOC: any family), the
 * strongest first; score: the neighbour weight (> 0), prediction NaN. Up to
 * cap rows, *n_out set (0 when none of them is a neighbour). */
mfr_status mfr_model_explain(const mfr_model *m, int32_t item, const int32_t *liked,
                             int32_t n_liked, mfr_scored *out, int32_t cap, int32_t *n_out,
                             mfr_error *err);
/* Movie i's training ratings by half star: counts[0] for 0.5 ... counts[9]
 * for 5.0 (rounded to the nearest half, clipped). MFR_E_UNSUPPORTED for a
 * model file that keeps no ratings. */
mfr_status mfr_model_item_histogram(const mfr_model *m, int32_t i, int32_t counts[10],
                                    mfr_error *err);

/* Floats in a folded-in user vector: k + 1 for models whose item factors
 * predict ratings, 0 for models that answer a new user from the rated movies
 * alone (ease, knn, content; ials and bpr, whose factors score preferences,
 * solve their own user step): those take vec == NULL below. */
int32_t mfr_model_fold_dim(const mfr_model *m);

/* Fold-in: a user vector for ratings (items[j], ratings[j]) against the fixed
 * item factors and biases, solving the regularised least-squares problem for
 * [b_u, p_u]. vec has 1 + k floats: vec[0] = b_u, vec[1..k] = p_u.
 * MFR_E_UNSUPPORTED for models without factors. */
mfr_status mfr_model_fold_in(const mfr_model *m, const int32_t *items,
                             const float *ratings, int32_t n, float *vec,
                             mfr_error *err);

/* Top-n for a user who is not in the model, given by the movies they rated
 * (seen, n_seen, any order; excluded from the list and read by ranking
 * models: EASE scores x·B), their ratings of those movies (ratings, may be
 * NULL: each counts as a liked movie) and, for factor models, their folded-in vector
 * (vec; NULL for models with mfr_model_fold_dim 0). n_seen == 0: the list is
 * by popularity (training rating count). */
mfr_status mfr_model_recommend_vec(const mfr_model *m, const float *vec,
                                   const int32_t *seen, const float *ratings, int32_t n_seen,
                                   const mfr_recommend_params *p, mfr_scored *out,
                                   int32_t *n_out, mfr_error *err);
/* Prediction for a folded-in user vector (vec NULL: the model's fallback,
 * μ + b_i). */
float mfr_model_predict_vec(const mfr_model *m, const float *vec, int32_t i);

#ifdef __cplusplus
}
#endif
#endif
