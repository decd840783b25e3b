/* mfrec/eval.h — metrics, cross-validation, parameter search and the HTML
 * report. The splits and the subsets they take are rating views, in
 * dataset.h.
 *
 * Metrics are identified by mfr_metric so that cross-validation can keep
 * mean / standard deviation per metric and a search can choose by name.
 * Ranking metrics rank the full catalogue (every item with at least one
 * training rating that the user did not rate in training; not sampled
 * negatives); relevant items are the
 * user's test items rated >= a threshold (default 4.0). Definitions (K = cutoff,
 * rel(r) = 1 if the item at rank r is relevant, R = number of relevant items):
 *   precision@K = hits@K / K              recall@K = hits@K / R
 *   NDCG@K = DCG/IDCG, DCG = sum_{r<=K} rel(r)/log2(r+1), IDCG over min(R,K) hits
 *   AP@K = (1/min(R,K)) sum_{r<=K} rel(r) * precision@r;  MAP@K = mean AP@K
 *   hit rate@K = 1 if hits@K > 0;  MRR = 1 / rank of the first relevant item in
 *   the full ranking (not cut at K)
 * (Järvelin & Kekäläinen 2002 for NDCG; Manning et al., Introduction to
 * Information Retrieval, ch. 8 for MAP/MRR.) Users with no relevant test item
 * are left out of the ranking averages and counted. Scores that tie are
 * ordered by item index (smaller first), so rankings are deterministic.
 * Beyond accuracy: catalogue coverage = distinct items in any user's top K /
 * items with at least one training rating; novelty = mean popularity rank
 * (1 = most rated in training) of the recommended items. */
#ifndef MFREC_EVAL_H
#define MFREC_EVAL_H

#include <stdint.h>
#include <stdio.h>
#include "error.h"
#include "dataset.h"
#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- metrics ----------------------------------------------------------- */

typedef enum mfr_metric {
    MFR_METRIC_RMSE = 0,
    MFR_METRIC_MAE,
    MFR_METRIC_MSE,
    MFR_METRIC_PRECISION,
    MFR_METRIC_RECALL,
    MFR_METRIC_NDCG,
    MFR_METRIC_MAP,
    MFR_METRIC_HIT,
    MFR_METRIC_MRR,
    MFR_METRIC_COVERAGE,
    MFR_METRIC_NOVELTY,
    MFR_METRIC_FIT_S,      /* seconds to train */
    MFR_METRIC_PREDICT_S,  /* seconds to predict the test ratings */
    MFR_METRIC_RANK_S,     /* seconds to rank the catalogue for the test users */
    MFR_METRIC__COUNT
} mfr_metric;

/* "rmse", "precision", "ndcg", ...; NULL for an unknown number. */
const char *mfr_metric_name(mfr_metric m);
/* The metric named name (as mfr_metric_name writes it, case-insensitive);
 * MFR_E_INVALID listing the known names otherwise. */
mfr_status mfr_metric_from_name(const char *name, mfr_metric *out, mfr_error *err);
/* 1 when larger is better (precision, ndcg, ...), 0 for errors and times. */
int mfr_metric_higher_better(mfr_metric m);
/* 1 for the metrics that need rankings (precision..novelty). */
int mfr_metric_is_ranking(mfr_metric m);

typedef struct mfr_accuracy {
    double rmse, mae, mse;
    int64_t n;                /* ratings scored */
    int64_t unknown_users;    /* test ratings whose user had no training ratings */
    int64_t unknown_items;    /* ... whose item had none */
} mfr_accuracy;

/* Rating accuracy of m's predictions on test. A user or item with no training
 * ratings in m (or index -1) is predicted by the model's fallback (μ plus the
 * known bias) and counted in unknown_users / unknown_items. Empty test: all
 * metrics NaN, n = 0. */
void mfr_eval_accuracy(const mfr_model *m, const mfr_ratings *test,
                       mfr_accuracy *out);

/* One user's ranking metrics, from a ranked list and the relevant set. */
typedef struct mfr_rank_user {
    double precision, recall, ndcg, ap, hit, rr;
} mfr_rank_user;

/* Metrics of the ranked list ranked[0..n_ranked-1] (best first) against the
 * relevant items rel[0..n_rel-1] (any order, no duplicates), cut at k. If the
 * first relevant item is not within the list, rr uses first_rel_rank when > 0
 * (the 1-based rank of the first relevant item in the full ranking), else 0.
 * n_rel == 0 gives all zeros (callers leave such users out). k > n_ranked is
 * fine: the list is what there is, precision still divides by k. */
void mfr_rank_user_metrics(const int32_t *ranked, int32_t n_ranked,
                           const int32_t *rel, int32_t n_rel, int32_t k,
                           int64_t first_rel_rank, mfr_rank_user *out);

/* The k best of scores[0..n-1] into out (best first; ties by smaller index),
 * skipping indices where skip != NULL && skip[i]. Returns how many were
 * written (min(k, candidates)). NaN scores are skipped. */
int32_t mfr_rank_top_k(const float *scores, int32_t n, const uint8_t *skip,
                       int32_t k, int32_t *out);

typedef struct mfr_ranking_params {
    int32_t k;               /* cutoff (default 10) */
    float threshold;         /* relevant: test rating >= threshold (default 4.0) */
    int32_t threads;         /* users scored in parallel (0: all cores) */
    int32_t min_ratings;     /* candidates: movies with at least this many
                                training ratings (default 1: every movie the
                                model has seen; the user's training movies
                                are never candidates) */
} mfr_ranking_params;

mfr_ranking_params mfr_ranking_params_default(void);

typedef struct mfr_ranking {
    double precision, recall, ndcg, map, hit, mrr; /* means over users_ranked */
    double coverage, novelty;
    int64_t users_ranked;       /* test users with >= 1 relevant test item */
    int64_t users_no_relevant;  /* test users with none (left out, counted) */
    int64_t users_unknown;      /* test users with no training ratings (left out) */
} mfr_ranking;

/* Ranking metrics of m on test over the full catalogue (see the top of this
 * file). Every user with a test rating is counted in exactly one of
 * users_ranked / users_no_relevant / users_unknown. MFR_E_NOMEM, or
 * MFR_E_INVALID for p->k < 1. Metrics are NaN when no user was ranked. */
mfr_status mfr_eval_ranking(const mfr_model *m, const mfr_ratings *test,
                            const mfr_ranking_params *p, mfr_ranking *out,
                            mfr_error *err);

/* ---- one train/test evaluation and cross-validation -------------------- */

typedef struct mfr_fold_result {
    double v[MFR_METRIC__COUNT];   /* NaN where not measured */
    int64_t n_train, n_test;
    int64_t unknown_users, unknown_items;        /* test ratings, see mfr_accuracy */
    int64_t users_ranked, users_no_relevant, users_unknown;
    int32_t epochs_run;
} mfr_fold_result;

typedef struct mfr_cv_params {
    mfr_split_params split;
    mfr_train_params train;       /* train.threads is per fold */
    int ranking;                  /* 1: also ranking metrics */
    mfr_ranking_params rank;
    int32_t threads;              /* folds trained in parallel (0: all cores) */
    mfr_progress_fn progress; void *progress_user; /* stage "cv", one call a fold */
} mfr_cv_params;

mfr_cv_params mfr_cv_params_default(mfr_algo algo);

typedef struct mfr_cv_result {
    int32_t n_folds;
    mfr_fold_result *folds;        /* [n_folds], owned */
    double mean[MFR_METRIC__COUNT];
    double std[MFR_METRIC__COUNT]; /* sample std (n-1); 0 for one fold */
} mfr_cv_result;

/* Train on train (a subset of ds; NULL = all of ds) with p->train and measure
 * on test. out->v holds accuracy (and ranking when p->ranking) metrics and
 * the fit / predict seconds. Errors from training pass through. */
mfr_status mfr_eval_train_test(const mfr_dataset *ds, const mfr_ratings *train,
                               const mfr_ratings *test, const mfr_cv_params *p,
                               mfr_fold_result *out, mfr_error *err);

/* Measure a trained m on test as mfr_eval_train_test does after its fit:
 * accuracy, ranking when rank is non-NULL (rank->threads as given), the
 * predict / rank seconds, n_train and epochs_run from m, and v[FIT_S] m's own
 * fit seconds. Errors from the ranking pass through. */
mfr_status mfr_eval_model(const mfr_model *m, const mfr_ratings *test,
                          const mfr_ranking_params *rank, mfr_fold_result *out, mfr_error *err);

/* Split data (NULL = all of ds) by p->split and evaluate every test fold,
 * folds in parallel (each fold's model depends only on its seed and data, so
 * results do not depend on the thread count). *out owns its folds
 * (mfr_cv_result_free); on failure *out is empty. */
mfr_status mfr_cv_run(const mfr_dataset *ds, const mfr_ratings *data,
                      const mfr_cv_params *p, mfr_cv_result *out, mfr_error *err);
void mfr_cv_result_free(mfr_cv_result *r);
/* Fill mean/std from folds. */
void mfr_cv_result_summarize(mfr_cv_result *r);

/* ---- parameter search -------------------------------------------------- */

/* A search space parsed from "factors=32,64,128 reg=0.02,0.05 lr=0.001:0.05":
 * each field gets a list of values or a range lo:hi (random search only; an
 * integer range when both ends are integers). */
typedef struct mfr_tune_space mfr_tune_space;

/* MFR_E_INVALID naming the bad token or field (checked against
 * mfr_train_params_set on a copy of base). *out owns the space. */
mfr_status mfr_tune_space_parse(const char *spec, const mfr_train_params *base,
                                mfr_tune_space **out, mfr_error *err);
void mfr_tune_space_free(mfr_tune_space *s);
/* Points of the full grid (product of list lengths); -1 if it has ranges. */
int64_t mfr_tune_space_grid_size(const mfr_tune_space *s);

typedef struct mfr_tune_params {
    mfr_train_params base;     /* fields not in the space */
    int32_t random_points;     /* 0: full grid; > 0: this many random points */
    mfr_metric metric;         /* choose by this (default rmse) */
    mfr_split_params inner;    /* CV on the training data (default 5-fold) */
    mfr_ranking_params rank;
    int32_t threads;           /* (point, fold) jobs in parallel (0: all cores) */
    mfr_progress_fn progress; void *progress_user; /* stage "tune", per job */
} mfr_tune_params;

mfr_tune_params mfr_tune_params_default(mfr_algo algo);

typedef struct mfr_tune_point {
    mfr_train_params params;   /* callbacks NULL */
    char desc[256];            /* "factors=64 reg=0.05" */
    mfr_cv_result cv;
} mfr_tune_point;

typedef struct mfr_tune_result {
    int32_t n_points;
    mfr_tune_point *points;    /* ranked best first by the metric's mean */
    mfr_metric metric;
} mfr_tune_result;

/* Evaluate each point of the space by CV (p->inner) on train (a subset of ds,
 * NULL = all of ds; callers hold their test data out of it so it never leaks)
 * and rank the points. *out owns the points (mfr_tune_result_free).
 * MFR_E_INVALID for an empty space or a space with ranges but no
 * random_points; training errors pass through. */
mfr_status mfr_tune_run(const mfr_dataset *ds, const mfr_ratings *train,
                        const mfr_tune_space *space, const mfr_tune_params *p,
                        mfr_tune_result *out, mfr_error *err);
void mfr_tune_result_free(mfr_tune_result *r);

/* ---- report ------------------------------------------------------------ */

/* Learning curve of one model: train / validation RMSE per epoch. */
typedef struct mfr_curve {
    char name[64];
    int32_t n;
    double *train_rmse, *valid_rmse;   /* [n], owned; NaN where not measured */
} mfr_curve;

typedef struct mfr_report_row {
    char name[64];
    mfr_fold_result r;
} mfr_report_row;

/* What a report shows; any part may be absent (NULL / 0). */
typedef struct mfr_report_input {
    const char *title;
    const mfr_dataset *ds;          /* rating distribution, long tail, stats */
    const mfr_model *model;         /* movie map (PCA of item factors) */
    const mfr_curve *curves; int32_t n_curves;
    const mfr_report_row *rows; int32_t n_rows;
    int32_t clusters;               /* > 0: colour the map by k-means clusters */
    int32_t labels;                 /* movies labelled on the map (default 15) */
} mfr_report_input;

/* Write one self-contained HTML page (inline CSS and SVG, no scripts or links
 * to the network) to f. MFR_E_IO on a write error, MFR_E_NOMEM. */
mfr_status mfr_report_write_html(const mfr_report_input *in, FILE *f, mfr_error *err);
/* The metrics table alone, as Markdown or JSON, to f. */
mfr_status mfr_report_write_table(const mfr_report_row *rows, int32_t n, int json,
                                  FILE *f, mfr_error *err);

/* The SVG charts, each a complete <svg> element written to f. */
mfr_status mfr_svg_learning_curves(const mfr_curve *c, int32_t n, FILE *f, mfr_error *err);
mfr_status mfr_svg_rating_hist(const mfr_dataset *ds, FILE *f, mfr_error *err);
mfr_status mfr_svg_long_tail(const mfr_dataset *ds, FILE *f, mfr_error *err);
mfr_status mfr_svg_movie_map(const mfr_model *m, int32_t clusters, int32_t labels,
                             FILE *f, mfr_error *err);

void mfr_curve_free(mfr_curve *c); /* frees the arrays; NULL is fine */

/* Train on train (NULL = all of ds) with validation on valid, recording the
 * training and validation RMSE of every epoch through the progress callback
 * (p->progress is chained: it is still called). out->name is set from the
 * algorithm's name; *model (when non-NULL) receives the trained model (caller
 * frees), else it is freed. Non-iterative families give 0 or 1 point. */
mfr_status mfr_eval_learning_curve(const mfr_dataset *ds, const mfr_ratings *train,
                                   const mfr_ratings *valid, const mfr_train_params *p,
                                   mfr_curve *out, mfr_model **model, mfr_error *err);

#ifdef __cplusplus
}
#endif
#endif
