/* train.c — training dispatch: validates the parameters, resolves threads,
 * draws the validation split when asked (valid == NULL, valid_frac > 0),
 * builds the common part of the model and hands over to the family's
 * vt->fit, then records time, epochs and RMSE.
 *
 * The validation split is src/data's holdout split of the training ratings
 * (valid_frac of them, exactly) on a seed derived from p->seed, so the same
 * seed gives the same split. Both halves are owned copies freed before
 * return. */
#include "model_impl.h"
#include "family.h"
#include "../data/dataset_impl.h"

#include <math.h>
#include <omp.h>
#include <string.h>

/* After the fit: epochs and RMSE the family did not record itself. */
static void record_results(mfr_model *m, const mfr__fit_ctx *ctx, double t0) {
    m->fit_seconds = mfr__now() - t0;
    if (m->epochs_run <= 0) m->epochs_run = ctx->p->epochs;
    /* Train RMSE costs one prediction per training rating: cheap for the
     * biased-MF formula, a second pass over the data for families with their
     * own predictor (neighbourhood, content, hybrid), which set it
     * themselves when they want it reported. */
    if (isnan(m->train_rmse) && !m->vt->predict && !ctx->drop) m->train_rmse = mfr__rmse(m, ctx->train);
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
    return mfr__model_train_dist(ds, NULL, train, valid, p, kern, NULL, out, err);
}

void mfr__fit_drop_train(const mfr__fit_ctx *ctx) {
    if (!ctx->drop || !ctx->drop->user) return;
    mfr__log(MFR_LOG_INFO, "train: the share's %lld ratings (%.1f MB) dropped; the fit holds its rows",
             (long long)ctx->drop->n_ratings, (double)ctx->drop->n_ratings * 12 / 1e6);
    mfr__dataset_release(ctx->drop, MFR__DS_USER | MFR__DS_ITEM_RATING | MFR__DS_TIME);
}

/* Once the model's seen lists hold the training ratings, a dataset given
 * to mfr_model_train_consume lends the fit its user array and the model's
 * item and rating lists, and drops its own item and rating arrays: the
 * ratings are then held once. Only when the seen lists are the dataset's
 * ratings in the same order (sorted by user, then item: what import writes
 * for MovieLens files), so the fit sees exactly what mfr_model_train would
 * hand it and trains the same model. 1 when the view was switched. */
static int consume_ratings(mfr_dataset *ds, const mfr_model *m, mfr_ratings *all) {
    if (!ds || all->n != ds->n_ratings || all->user != ds->user || all->n <= 0) return 0;
    for (int64_t j = 0; j < all->n; j++)
        if ((j && ds->user[j] < ds->user[j - 1]) || ds->item[j] != m->seen_item[j] ||
            memcmp(&ds->rating[j], &m->seen_rating[j], sizeof(float)) != 0)
            return 0;
    all->item = m->seen_item;
    all->rating = m->seen_rating;
    mfr__dataset_release(ds, MFR__DS_ITEM_RATING);
    mfr__log(MFR_LOG_INFO, "train: the dataset's item and rating arrays (%.1f MB) dropped; the fit "
             "reads the model's seen lists", (double)all->n * 8 / 1e6);
    return 1;
}

static mfr_status train_impl(const mfr_dataset *ds, mfr_dataset *consume, const mfr_ratings *train,
                             const mfr_ratings *valid, const mfr_train_params *p,
                             const mfr__kernels *kern, const mfr__dist *dist, mfr_model **out,
                             mfr_error *err);

mfr_status mfr__model_train_dist(const mfr_dataset *ds, mfr_dataset *consume, const mfr_ratings *train,
                                 const mfr_ratings *valid, const mfr_train_params *p,
                                 const mfr__kernels *kern, const mfr__dist *dist, mfr_model **out,
                                 mfr_error *err) {
    return train_impl(ds, consume, train, valid, p, kern, dist, out, err);
}

mfr_status mfr_model_train_consume(mfr_dataset *ds, const mfr_train_params *p, mfr_model **out,
                                   mfr_error *err) {
    return train_impl(ds, ds, NULL, NULL, p, NULL, NULL, out, err);
}

static mfr_status train_impl(const mfr_dataset *ds, mfr_dataset *consume, const mfr_ratings *train,
                             const mfr_ratings *valid, const mfr_train_params *p,
                             const mfr__kernels *kern, const mfr__dist *dist, mfr_model **out,
                             mfr_error *err) {
    if (!out) return mfr__err(err, MFR_E_INVALID, "train: out is NULL");
    *out = NULL;
    if (!ds || !p) return mfr__err(err, MFR_E_INVALID, "train: dataset or params is NULL");
    mfr_status st = mfr_train_params_check(p, err);
    if (st) return st;
    const mfr__algo *vt = mfr__algo_get(p->algo);
    if (!vt || !vt->fit)
        return mfr__err(err, MFR_E_UNSUPPORTED, "train: algorithm %s is not built into this library",
                        mfr_algo_name(p->algo));
    if (dist && !vt->distributed)
        return mfr__err(err, MFR_E_UNSUPPORTED,
                        "train: %s has no distributed fit (als, ials and sgd have)", mfr_algo_name(p->algo));
    /* a family that never reads timestamps lets them go before anything else */
    if (consume && vt->ignores_time && consume->time) {
        mfr__log(MFR_LOG_INFO, "train: the dataset's timestamps (%.1f MB) dropped (%s reads none)",
                 (double)consume->n_ratings * 8 / 1e6, mfr_algo_name(p->algo));
        mfr__dataset_release(consume, MFR__DS_TIME);
    }
    mfr_ratings all;
    if (train) all = *train;
    else mfr_dataset_ratings(ds, &all);
    const int share = dist && dist->share; /* ds holds only this rank's share */
    if (share && !valid && p->valid_frac > 0.0f) /* the holdout draws from every rating */
        return mfr__err(err, MFR_E_UNSUPPORTED,
                        "train: a rank's share of the ratings cannot draw the validation split");
    mfr_ratings tr = {0}, va = {0};
    if (!valid && p->valid_frac > 0.0f) {
        if ((st = mfr_ratings_holdout(&all, p->valid_frac, MFR__VALID_SEED(p->seed),
                                       &tr, &va, err))) return st;
        all = tr;
        valid = va.n > 0 ? &va : NULL;
    }
    if (valid && valid->n == 0) valid = NULL; /* a share's empty holdout: none, as one process */
    mfr_model *m = mfr__model_new(p->algo);
    if (!m) {
        mfr_ratings_free(&tr), mfr_ratings_free(&va);
        return mfr__nomem(err, "model");
    }
    m->params = *p;
    m->params.progress = NULL;
    m->params.progress_user = NULL;
    mfr_train_params run = *p;
    run.threads = p->threads > 0 ? p->threads : mfr_cpu_count();
    mfr__fit_ctx ctx = {ds, &all, valid, &run, run.threads, kern, dist, share ? consume : NULL};
    st = mfr__model_fill_common(m, ds, &all, share ? dist : NULL, err);
    if (!st && consume && !tr.n && !share) consume_ratings(consume, m, &all);
    double t0 = mfr__now();
    /* OpenMP regions in the fit without their own num_threads clause follow
     * the caller's thread count (this ICV is per calling thread, so folds
     * trained on parallel threads each keep theirs). */
    int omp_before = omp_get_max_threads();
    omp_set_num_threads(run.threads);
    if (!st) st = vt->fit(m, &ctx, err);
    omp_set_num_threads(omp_before);
    if (share && (!st || st == MFR_E_CANCELLED)) { /* not held through a share's fit */
        mfr_status mst = mfr__model_build_maps(m, err);
        if (mst) st = mst;
    }
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
    mfr_ratings_free(&tr), mfr_ratings_free(&va);
    if (consume) mfr__dataset_release(consume, MFR__DS_TIME | MFR__DS_USER | MFR__DS_ITEM_RATING);
    return st;
}
