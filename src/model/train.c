/* train.c — training dispatch: validates the parameters, resolves threads,
 * draws the validation split when asked (valid == NULL, valid_frac > 0),
 * builds the common part of the model and hands over to the family's
 * vt->fit, then records time, epochs and RMSE.
 *
 * The validation split is a Bernoulli(valid_frac) draw per training rating
 * from an RNG stream of p->seed, so the same seed gives the same split. Both
 * halves are owned copies (three parallel arrays each) freed before return. */
#include "model_impl.h"
#include "../algo/algo.h"

#include <math.h>
#include <omp.h>
#include <string.h>

/* Owned split of a ratings view: a train part and a validation part. */
typedef struct split {
    int32_t *user, *item;
    float *rating;
    int64_t *time;
    mfr_ratings tr, va;
} split;

static void split_free(split *s) {
    mfr_free(s->user);
    mfr_free(s->item);
    mfr_free(s->rating);
    mfr_free(s->time);
}

/* Rows of all going to validation are written from the end of the arrays,
 * training rows from the start, so one allocation per column serves both. */
static mfr_status draw_split(const mfr_ratings *all, float frac, uint64_t seed, split *s,
                             mfr_error *err) {
    size_t n = (size_t)all->n;
    memset(s, 0, sizeof *s);
    s->user = mfr_malloc(n * sizeof *s->user);
    s->item = mfr_malloc(n * sizeof *s->item);
    s->rating = mfr_malloc(n * sizeof *s->rating);
    s->time = all->time ? mfr_malloc(n * sizeof *s->time) : NULL;
    if (!s->user || !s->item || !s->rating || (all->time && !s->time)) {
        split_free(s);
        return mfr__nomem(err, "validation split");
    }
    mfr_rng rng;
    mfr_rng_seed_stream(&rng, seed, 0x76616c6964ull /* "valid" */);
    size_t lo = 0, hi = n;
    for (size_t j = 0; j < n; j++) {
        size_t d = mfr_rng_uniform(&rng) < frac ? --hi : lo++;
        s->user[d] = all->user[j];
        s->item[d] = all->item[j];
        s->rating[d] = all->rating[j];
        if (s->time) s->time[d] = all->time[j];
    }
    s->tr = (mfr_ratings){(int64_t)lo, all->n_users, all->n_items, s->user, s->item, s->rating, s->time};
    s->va = (mfr_ratings){(int64_t)(n - hi), all->n_users, all->n_items, s->user + hi, s->item + hi,
                          s->rating + hi, s->time ? s->time + hi : NULL};
    return MFR_OK;
}

/* After the fit: epochs and RMSE the family did not record itself. */
static void record_results(mfr_model *m, const mfr__fit_ctx *ctx, double t0) {
    m->fit_seconds = mfr_now() - t0;
    if (m->epochs_run <= 0) m->epochs_run = ctx->p->epochs;
    /* Train RMSE costs one prediction per training rating: cheap for the
     * biased-MF formula, a second pass over the data for families with their
     * own predictor (neighbourhood, content, hybrid), which set it
     * themselves when they want it reported. */
    if (isnan(m->train_rmse) && !m->vt->predict) m->train_rmse = mfr__rmse(m, ctx->train);
    if (isnan(m->valid_rmse) && ctx->valid) m->valid_rmse = mfr__rmse(m, ctx->valid);
}

mfr_status mfr_model_train(const mfr_dataset *ds, const mfr_ratings *train,
                           const mfr_ratings *valid, const mfr_train_params *p,
                           mfr_model **out, mfr_error *err) {
    return mfr__model_train_with(ds, train, valid, p, NULL, out, err);
}

mfr_status mfr__model_train_with(const mfr_dataset *ds, const mfr_ratings *train,
                                 const mfr_ratings *valid, const mfr_train_params *p,
                                 const mfr__kernels *kern, mfr_model **out, mfr_error *err) {
    if (!out) return mfr__err(err, MFR_E_INVALID, "train: out is NULL");
    *out = NULL;
    if (!ds || !p) return mfr__err(err, MFR_E_INVALID, "train: dataset or params is NULL");
    mfr_status st = mfr_train_params_check(p, err);
    if (st) return st;
    const mfr__algo *vt = mfr__algo_get(p->algo);
    if (!vt || !vt->fit)
        return mfr__err(err, MFR_E_UNSUPPORTED, "train: algorithm %s is not built into this library",
                        mfr_algo_name(p->algo));
    mfr_ratings all;
    if (train) all = *train;
    else mfr_dataset_ratings(ds, &all);
    split sp;
    memset(&sp, 0, sizeof sp);
    if (!valid && p->valid_frac > 0.0f) {
        if ((st = draw_split(&all, p->valid_frac, p->seed, &sp, err))) return st;
        all = sp.tr;
        valid = sp.va.n > 0 ? &sp.va : NULL;
    }
    mfr_model *m = mfr__model_new(p->algo);
    if (!m) {
        split_free(&sp);
        return mfr__nomem(err, "model");
    }
    m->params = *p;
    m->params.progress = NULL;
    m->params.progress_user = NULL;
    mfr_train_params run = *p;
    run.threads = p->threads > 0 ? p->threads : mfr_cpu_count();
    mfr__fit_ctx ctx = {ds, &all, valid, &run, run.threads, kern};
    st = mfr__model_fill_common(m, ds, &all, err);
    double t0 = mfr_now();
    /* OpenMP regions in the fit without their own num_threads clause follow
     * the caller's thread count (this ICV is per calling thread, so folds
     * trained on parallel threads each keep theirs). */
    int omp_before = omp_get_max_threads();
    omp_set_num_threads(run.threads);
    if (!st) st = vt->fit(m, &ctx, err);
    omp_set_num_threads(omp_before);
    if (!st || st == MFR_E_CANCELLED) {
        mfr_status pst = mfr__model_prepare(m, err);
        if (pst) st = pst;
    }
    if (!st || st == MFR_E_CANCELLED) {
        record_results(m, &ctx, t0);
        *out = m;
    } else {
        mfr_model_free(m);
    }
    split_free(&sp);
    return st;
}
