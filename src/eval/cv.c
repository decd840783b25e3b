/* cv.c — one train/test evaluation, and cross-validation over a split.
 *
 * mfr_eval_train_test trains one model and measures it: accuracy always,
 * ranking when asked, and the seconds spent fitting and predicting.
 * mfr_cv_run assigns folds (src/data/split.c), then hands the folds to a
 * small pool of pthreads (mfr__jobs_run, shared with the parameter search):
 * each job builds its train/test subsets, trains with its own thread count,
 * and writes only its own result slot. Each fold's model depends only on the
 * fold's data and the seed, so results are the same whatever the thread
 * count. Mean and sample standard deviation per metric are computed after. */
#include "eval_impl.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

mfr_cv_params mfr_cv_params_default(mfr_algo algo) {
    mfr_cv_params p;
    memset(&p, 0, sizeof p);
    p.split = mfr_split_params_default();
    p.split.kind = MFR_SPLIT_KFOLD;
    p.train = mfr_train_params_default(algo);
    p.rank = mfr_ranking_params_default();
    p.threads = 0;
    return p;
}

static void fold_result_init(mfr_fold_result *r) {
    memset(r, 0, sizeof *r);
    for (int m = 0; m < MFR_METRIC__COUNT; m++) r->v[m] = NAN;
}

static void put_ranking(mfr_fold_result *out, const mfr_ranking *rk) {
    out->v[MFR_METRIC_PRECISION] = rk->precision;
    out->v[MFR_METRIC_RECALL] = rk->recall;
    out->v[MFR_METRIC_NDCG] = rk->ndcg;
    out->v[MFR_METRIC_MAP] = rk->map;
    out->v[MFR_METRIC_HIT] = rk->hit;
    out->v[MFR_METRIC_MRR] = rk->mrr;
    out->v[MFR_METRIC_COVERAGE] = rk->coverage;
    out->v[MFR_METRIC_NOVELTY] = rk->novelty;
    out->users_ranked = rk->users_ranked;
    out->users_no_relevant = rk->users_no_relevant;
    out->users_unknown = rk->users_unknown;
}

mfr_status mfr_eval_model(const mfr_model *m, const mfr_ratings *test,
                          const mfr_ranking_params *rank, mfr_fold_result *out, mfr_error *err) {
    fold_result_init(out);
    mfr_status s = MFR_OK;
    double t1 = mfr__now();
    mfr_accuracy a;
    mfr_eval_accuracy(m, test, &a);
    out->v[MFR_METRIC_RMSE] = a.rmse;
    out->v[MFR_METRIC_MAE] = a.mae;
    out->v[MFR_METRIC_MSE] = a.mse;
    out->n_test = a.n;
    out->unknown_users = a.unknown_users;
    out->unknown_items = a.unknown_items;
    double t2 = mfr__now();
    mfr_model_info info;
    mfr_model_info_get(m, &info);
    out->n_train = info.n_train;
    out->epochs_run = info.epochs_run;
    if (rank) {
        mfr_ranking rk;
        s = mfr_eval_ranking(m, test, rank, &rk, err);
        if (!s) put_ranking(out, &rk);
    }
    out->v[MFR_METRIC_FIT_S] = info.fit_seconds;
    out->v[MFR_METRIC_PREDICT_S] = t2 - t1;
    if (rank) out->v[MFR_METRIC_RANK_S] = mfr__now() - t2;
    return s;
}

mfr_status mfr_eval_train_test(const mfr_dataset *ds, const mfr_ratings *train,
                               const mfr_ratings *test, const mfr_cv_params *p,
                               mfr_fold_result *out, mfr_error *err) {
    fold_result_init(out);
    mfr_model *m = NULL;
    double t0 = mfr__now();
    mfr_status s = mfr_model_train(ds, train, NULL, &p->train, &m, err);
    double t1 = mfr__now();
    if (!s) {
        mfr_ranking_params rp = p->rank;
        if (rp.threads <= 0) rp.threads = p->train.threads > 0 ? p->train.threads : mfr_cpu_count();
        s = mfr_eval_model(m, test, p->ranking ? &rp : NULL, out, err);
        out->v[MFR_METRIC_FIT_S] = t1 - t0;
    }
    mfr_model_free(m);
    return s;
}

void mfr_cv_result_summarize(mfr_cv_result *r) {
    for (int m = 0; m < MFR_METRIC__COUNT; m++) {
        double sum = 0.0, ss = 0.0;
        int n = 0;
        for (int32_t f = 0; f < r->n_folds; f++)
            if (!isnan(r->folds[f].v[m])) {
                sum += r->folds[f].v[m];
                n++;
            }
        r->mean[m] = n ? sum / n : NAN;
        for (int32_t f = 0; f < r->n_folds; f++)
            if (!isnan(r->folds[f].v[m])) ss += pow(r->folds[f].v[m] - r->mean[m], 2);
        r->std[m] = n > 1 ? sqrt(ss / (n - 1)) : n == 1 ? 0.0 : NAN;
    }
}

void mfr_cv_result_free(mfr_cv_result *r) {
    if (!r) return;
    mfr__free(r->folds);
    memset(r, 0, sizeof *r);
}

/* ---- the job pool --------------------------------------------------------- */

typedef struct pool {
    const mfr__job *jobs;
    int64_t n, next, done;
    mfr_status status;
    mfr_error err;
    double t0;
    pthread_mutex_t mu;
    const char *stage;
    mfr_progress_fn progress;
    void *progress_user;
} pool;

/* After a job: count it, report progress with an ETA, record the first error. */
static void job_finished(pool *pl, mfr_status s, const mfr_error *e) {
    pthread_mutex_lock(&pl->mu);
    pl->done++;
    if (s && !pl->status) {
        pl->status = s;
        pl->err = *e;
    }
    if (pl->progress && !pl->status) {
        double el = mfr__now() - pl->t0;
        mfr_progress pr = {
            .stage = pl->stage, .step = (int32_t)pl->done, .steps = (int32_t)pl->n,
            .train_rmse = NAN, .valid_rmse = NAN, .loss = NAN, .elapsed_s = el,
            .eta_s = el / (double)pl->done * (double)(pl->n - pl->done),
        };
        if (pl->progress(&pr, pl->progress_user) && !pl->status) {
            pl->status = MFR_E_CANCELLED;
            mfr__err(&pl->err, MFR_E_CANCELLED, "%s cancelled after %lld of %lld jobs",
                     pl->stage, (long long)pl->done, (long long)pl->n);
        }
    }
    pthread_mutex_unlock(&pl->mu);
}

/* Build the job's subsets, train, measure into jb->out. */
static mfr_status job_run(const mfr__job *jb, mfr_error *err) {
    mfr_ratings train, test;
    mfr_status s = mfr_ratings_select(jb->data, jb->fold, jb->test_fold, 0, &train, err);
    if (s) return s;
    s = mfr_ratings_select(jb->data, jb->fold, jb->test_fold, 1, &test, err);
    if (!s) s = mfr_eval_train_test(jb->ds, &train, &test, jb->params, jb->out, err);
    mfr_ratings_free(&train);
    mfr_ratings_free(&test);
    return s;
}

static void *worker(void *arg) {
    pool *pl = arg;
    for (;;) {
        pthread_mutex_lock(&pl->mu);
        int64_t j = pl->status ? pl->n : pl->next++;
        pthread_mutex_unlock(&pl->mu);
        if (j >= pl->n) return NULL;
        const mfr__job *jb = &pl->jobs[j];
        mfr_error e = {0};
        mfr_status s = job_run(jb, &e);
        job_finished(pl, s, &e);
    }
}

mfr_status mfr__jobs_run(const mfr__job *jobs, int64_t n, int threads, const char *stage,
                         mfr_progress_fn progress, void *user, mfr_error *err) {
    pool pl = {.jobs = jobs, .n = n, .t0 = mfr__now(), .stage = stage,
               .progress = progress, .progress_user = user};
    pthread_mutex_init(&pl.mu, NULL);
    if (threads < 1) threads = 1;
    if (threads > n) threads = (int)n;
    pthread_t th[64];
    if (threads > 64) threads = 64;
    int started = 0;
    for (int t = 1; t < threads; t++)
        if (!pthread_create(&th[started], NULL, worker, &pl)) started++;
    worker(&pl);
    for (int t = 0; t < started; t++) pthread_join(th[t], NULL);
    pthread_mutex_destroy(&pl.mu);
    if (pl.status && err) *err = pl.err;
    return pl.status;
}

/* ---- cross-validation ----------------------------------------------------- */

mfr_status mfr__folds(const mfr_dataset *ds, const mfr_ratings **data, mfr_ratings *all,
                      const mfr_split_params *sp, int32_t **fold, int32_t *nf, mfr_error *err) {
    if (!*data) mfr_dataset_ratings(ds, all), *data = all;
    *nf = 0;
    *fold = mfr__malloc((size_t)((*data)->n > 0 ? (*data)->n : 1) * sizeof **fold);
    if (!*fold) return mfr__nomem(err, "fold assignment");
    mfr_status s = mfr_split_assign(*data, sp, *fold, nf, err);
    if (s) mfr__free(*fold), *fold = NULL;
    return s;
}

mfr_status mfr_cv_run(const mfr_dataset *ds, const mfr_ratings *data,
                      const mfr_cv_params *p, mfr_cv_result *out, mfr_error *err) {
    memset(out, 0, sizeof *out);
    mfr_ratings all;
    int32_t nf, *fold;
    mfr_status s = mfr__folds(ds, &data, &all, &p->split, &fold, &nf, err);
    mfr__job *jobs = NULL;
    if (!s) {
        out->folds = mfr__calloc((size_t)nf, sizeof *out->folds);
        jobs = mfr__calloc((size_t)nf, sizeof *jobs);
        if (!out->folds || !jobs) s = mfr__nomem(err, "cross-validation folds");
    }
    int threads = p->threads > 0 ? p->threads : mfr_cpu_count();
    mfr_cv_params fp = *p;
    if (threads > 1 && nf > 1 && fp.train.threads == 0)
        fp.train.threads = threads > nf ? threads / nf : 1;
    fp.train.progress = NULL;
    for (int32_t f = 0; !s && f < nf; f++)
        jobs[f] = (mfr__job){.ds = ds, .data = data, .fold = fold,
                             .test_fold = mfr_split_test_fold(&p->split, f),
                             .params = &fp, .out = &out->folds[f]};
    if (!s) s = mfr__jobs_run(jobs, nf, threads, "cv", p->progress, p->progress_user, err);
    mfr__free(jobs);
    mfr__free(fold);
    if (s) {
        mfr_cv_result_free(out);
        return s;
    }
    out->n_folds = nf;
    mfr_cv_result_summarize(out);
    return MFR_OK;
}
