/* eval_impl.h — what the files of src/eval share: a job (train on every fold
 * of data but one, measure on that one) and the pool of threads that runs a
 * list of jobs, used by cross-validation (cv.c) and the search (tune.c). */
#ifndef MFR_EVAL_IMPL_H
#define MFR_EVAL_IMPL_H

#include "../core/core.h"

typedef struct mfr__job {
    const mfr_dataset *ds;
    const mfr_ratings *data;     /* the ratings the fold array covers */
    const int32_t *fold;         /* [data->n] */
    int32_t test_fold;           /* fold[j] == test_fold is test, the rest train */
    const mfr_cv_params *params;
    mfr_fold_result *out;        /* written by this job only */
} mfr__job;

/* The fold array of *data by sp (*data NULL: all of ds, viewed through
 * *all): *fold (mfr__free; NULL on failure) and the number of test folds. */
mfr_status mfr__folds(const mfr_dataset *ds, const mfr_ratings **data, mfr_ratings *all,
                      const mfr_split_params *sp, int32_t **fold, int32_t *nf, mfr_error *err);

/* Run n jobs on `threads` threads (the caller's thread is one of them).
 * Progress (stage, step = jobs done, ETA) after each job, serialised; a
 * non-zero return from it stops the pool (MFR_E_CANCELLED). Returns the first
 * error any job met, with its message in err. */
mfr_status mfr__jobs_run(const mfr__job *jobs, int64_t n, int threads, const char *stage,
                         mfr_progress_fn progress, void *user, mfr_error *err);

/* The ten colours of every chart and the map (Tableau 10; svg.c). */
extern const char *const mfr__palette[10];
/* s XML-escaped to f (& < > "), at most max characters (max < 0: all), then
 * "…" when cut (svg.c; the report's HTML and charts, the map's labels). */
void mfr__xml_text(FILE *f, const char *s, int max);

/* x is in a[0..n-1]. */
static inline int mfr__contains(const int32_t *a, int32_t n, int32_t x) {
    for (int32_t j = 0; j < n; j++)
        if (a[j] == x) return 1;
    return 0;
}

/* Item a ranks before item b: higher score, ties by smaller index. */
static inline int mfr__rank_better(const float *s, int32_t a, int32_t b) {
    return s[a] > s[b] || (s[a] == s[b] && a < b);
}

#endif
