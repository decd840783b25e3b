/* mfrec/eval.h — splits and metrics.
 *
 * A split assigns every rating of a dataset to a fold: fold[j] in 0..k-1 for
 * k-fold, or 0 = train / 1 = test for a holdout. Splits are deterministic in
 * their seed. mfr_ratings_select builds the subset views training and
 * evaluation take. */
#ifndef MFREC_EVAL_H
#define MFREC_EVAL_H

#include <stdint.h>
#include "error.h"
#include "dataset.h"
#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

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
    int32_t min_user_ratings; /* leave-out / user-last: users with fewer stay in train */
    uint64_t seed;
} mfr_split_params;

mfr_split_params mfr_split_params_default(void);

/* fold[j] for each of the r->n ratings (caller allocates r->n bytes... as
 * int32). Holdout-like kinds write 0 (train) or 1 (test). *n_folds is set to
 * the number of test folds (1 for holdout kinds, k for kfold). */
mfr_status mfr_split_assign(const mfr_ratings *r, const mfr_split_params *p,
                            int32_t *fold, int32_t *n_folds, mfr_error *err);

/* A subset of r as owned arrays: the ratings whose fold[j] == f (want == 1) or
 * != f (want == 0). Free with mfr_ratings_free. */
mfr_status mfr_ratings_select(const mfr_ratings *r, const int32_t *fold, int32_t f,
                              int want, mfr_ratings *out, mfr_error *err);
void mfr_ratings_free(mfr_ratings *r);

typedef struct mfr_accuracy {
    double rmse, mae, mse;
    int64_t n;                /* ratings scored */
    int64_t unknown_users;    /* test ratings whose user had no training ratings */
    int64_t unknown_items;    /* ... whose item had none */
} mfr_accuracy;

/* Rating accuracy of m's predictions on test. */
void mfr_eval_accuracy(const mfr_model *m, const mfr_ratings *test,
                       mfr_accuracy *out);

#ifdef __cplusplus
}
#endif
#endif
