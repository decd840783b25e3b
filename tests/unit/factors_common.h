/* factors_common.h — fixtures shared by the factor-model tests
 * (tests/unit/test_algo_*.c): a synthetic low-rank rating matrix with a
 * held-out part, training through the public API, RMSE on a ratings view and
 * a bit-for-bit model comparison. Static functions only (one copy per test). */
#ifndef MFR_FACTORS_COMMON_H
#define MFR_FACTORS_COMMON_H

#include "test.h"
#include <unistd.h>
#include "core/core.h"
#include "data/dataset_impl.h"
#include "model/model_impl.h"
#include "algo/algo.h"
#include "algo/factor_util.h"

/* r_ui = 3 + b_u + b_i + p_u·q_i + N(0, noise²), true factors N(0, 0.7²/√rank)
 * so the signal std is about 0.7; each (u, i) observed with probability
 * density; about 20% of the observed ones go to the test view. Scale wide
 * enough (-20..20) that clipping never bites. */
typedef struct lowrank {
    mfr_dataset *ds;
    int32_t *tu, *ti, *vu, *vi;
    float *tr, *vr;
    mfr_ratings train, test;
} lowrank;

static inline void lowrank_make(lowrank *L, int32_t nu, int32_t ni, int rank, double density,
                                double noise, uint64_t seed) {
    mfr__rng rng;
    mfr__rng_seed(&rng, seed);
    float *P = malloc(sizeof(float) * nu * rank), *Q = malloc(sizeof(float) * ni * rank);
    float *bu = malloc(sizeof(float) * nu), *bi = malloc(sizeof(float) * ni);
    double s = 0.7 / sqrt(sqrt((double)rank));
    for (int j = 0; j < nu * rank; j++) P[j] = (float)(s * mfr__rng_normal(&rng));
    for (int j = 0; j < ni * rank; j++) Q[j] = (float)(s * mfr__rng_normal(&rng));
    for (int j = 0; j < nu; j++) bu[j] = (float)(0.3 * mfr__rng_normal(&rng));
    for (int j = 0; j < ni; j++) bi[j] = (float)(0.3 * mfr__rng_normal(&rng));
    size_t cap = (size_t)nu * ni;
    int32_t *u = malloc(4 * cap), *it = malloc(4 * cap);
    float *r = malloc(4 * cap);
    int64_t n = 0;
    for (int32_t a = 0; a < nu; a++)
        for (int32_t b = 0; b < ni; b++) {
            if (mfr__rng_uniform(&rng) >= density) continue;
            double v = 3.0 + bu[a] + bi[b] + noise * mfr__rng_normal(&rng);
            for (int f = 0; f < rank; f++) v += P[a * rank + f] * Q[b * rank + f];
            u[n] = a, it[n] = b, r[n] = (float)v, n++;
        }
    mfr_error err;
    assert_int_equal(mfr__dataset_from_arrays(nu, ni, n, u, it, r, NULL, &L->ds, &err), MFR_OK);
    L->ds->scale_min = -20.f;
    L->ds->scale_max = 20.f;
    L->tu = malloc(4 * n), L->ti = malloc(4 * n), L->vu = malloc(4 * n), L->vi = malloc(4 * n);
    L->tr = malloc(4 * n), L->vr = malloc(4 * n);
    int64_t nt = 0, nv = 0;
    for (int64_t j = 0; j < n; j++) {
        if (mfr__rng_uniform(&rng) < 0.2) L->vu[nv] = u[j], L->vi[nv] = it[j], L->vr[nv++] = r[j];
        else L->tu[nt] = u[j], L->ti[nt] = it[j], L->tr[nt++] = r[j];
    }
    L->train = (mfr_ratings){nt, nu, ni, L->tu, L->ti, L->tr, NULL};
    L->test = (mfr_ratings){nv, nu, ni, L->vu, L->vi, L->vr, NULL};
    free(P), free(Q), free(bu), free(bi), free(u), free(it), free(r);
}

static inline void lowrank_free(lowrank *L) {
    mfr_dataset_free(L->ds);
    free(L->tu), free(L->ti), free(L->vu), free(L->vi), free(L->tr), free(L->vr);
}

static inline mfr_model *train_ok(const lowrank *L, const mfr_train_params *p) {
    mfr_model *m = NULL;
    mfr_error err;
    mfr_status st = mfr_model_train(L->ds, &L->train, NULL, p, &m, &err);
    if (st) print_error("train: %s\n", err.message);
    assert_int_equal(st, MFR_OK);
    assert_non_null(m);
    return m;
}

static inline double rmse_on(const mfr_model *m, const mfr_ratings *r) {
    double se = 0;
    for (int64_t j = 0; j < r->n; j++) {
        double e = mfr_model_predict(m, r->user[j], r->item[j]) - r->rating[j];
        se += e * e;
    }
    return sqrt(se / (double)r->n);
}

/* Both models' factors and biases equal byte for byte. */
static inline void assert_models_identical(const mfr_model *a, const mfr_model *b) {
    assert_int_equal(a->k, b->k);
    assert_int_equal(a->n_users, b->n_users);
    assert_int_equal(a->n_items, b->n_items);
    assert_memory_equal(a->P, b->P, sizeof(float) * (size_t)a->n_users * a->k);
    assert_memory_equal(a->Q, b->Q, sizeof(float) * (size_t)a->n_items * a->k);
    assert_memory_equal(a->user_bias, b->user_bias, sizeof(float) * (size_t)a->n_users);
    assert_memory_equal(a->item_bias, b->item_bias, sizeof(float) * (size_t)a->n_items);
}

/* Save then load: predictions for a sample of pairs identical. Skips (passes
 * with a message) while mfr_model_save/_load answer MFR_E_UNSUPPORTED. */
static inline void check_save_load(const mfr_model *m, const mfr_ratings *r) {
    const char *dir = temp_dir();
    assert_non_null(dir);
    char path[512];
    snprintf(path, sizeof path, "%s/m.mfm", dir);
    mfr_error err;
    mfr_status st = mfr_model_save(m, path, &err);
    if (st == MFR_E_UNSUPPORTED) {
        print_message("save/load not available: %s\n", err.message);
        rmdir(dir);
        return;
    }
    assert_int_equal(st, MFR_OK);
    mfr_model *l = NULL;
    st = mfr_model_load(path, &l, &err);
    if (st) print_error("load: %s\n", err.message);
    assert_int_equal(st, MFR_OK);
    for (int64_t j = 0; j < r->n; j += 7)
        assert_true(mfr_model_predict(m, r->user[j], r->item[j]) ==
                    mfr_model_predict(l, r->user[j], r->item[j]));
    mfr_model_free(l);
    unlink(path);
    rmdir(dir);
}

/* Fail the n-th allocation for n = 0, 1, ... until training succeeds: every
 * failing run must answer MFR_E_NOMEM with no model (leaks show under ASan). */
static inline void check_alloc_failures(mfr_algo algo, int32_t k) {
    lowrank L;
    lowrank_make(&L, 30, 20, 2, 0.4, 0.1, 2);
    mfr_train_params p = mfr_train_params_default(algo);
    p.factors = k, p.epochs = 2, p.burnin = 1, p.samples = 2;
    check_train_alloc_failures_on(L.ds, &L.train, &p);
    lowrank_free(&L);
}

/* Validation RMSE of every epoch, from the progress callback. */
typedef struct epoch_log {
    double valid[1024];
    int32_t n;
} epoch_log;

static inline int log_epoch(const mfr_progress *pr, void *user) {
    epoch_log *l = user;
    if (pr->step >= 1 && pr->step <= 1024) l->valid[pr->step - 1] = pr->valid_rmse, l->n = pr->step;
    return 0;
}

/* Early stopping on a noisy matrix with weak regularisation (ratings clamped
 * at 0 for nmf): the fit stops before `epochs`, and the model it keeps is the
 * epoch with the lowest validation RMSE of those it reported, which is also
 * what the kept model measures now. */
static inline void check_early_stop(mfr_algo algo, int32_t k, float reg, int32_t epochs) {
    lowrank L;
    lowrank_make(&L, 150, 100, 2, 0.3, 1.0, 4);
    for (int64_t j = 0; j < L.train.n; j++) L.tr[j] = L.tr[j] < 0 ? 0 : L.tr[j];
    for (int64_t j = 0; j < L.test.n; j++) L.vr[j] = L.vr[j] < 0 ? 0 : L.vr[j];
    mfr_train_params p = mfr_train_params_default(algo);
    p.factors = k, p.reg = reg, p.epochs = epochs, p.early_stop = 2;
    epoch_log log = {.n = 0};
    p.progress = log_epoch, p.progress_user = &log;
    mfr_model *es = NULL;
    mfr_error err;
    mfr_status st = mfr_model_train(L.ds, &L.train, &L.test, &p, &es, &err);
    if (st) print_error("train: %s\n", err.message);
    assert_int_equal(st, MFR_OK);
    mfr_model_info ei;
    mfr_model_info_get(es, &ei);
    int32_t best = 0;
    for (int32_t e = 1; e < log.n; e++)
        if (log.valid[e] < log.valid[best]) best = e;
    double now = rmse_on(es, &L.test);
    print_message("%s: ran %d of %d epochs, kept epoch %d, valid %.4f (now %.4f)\n",
                  mfr_algo_name(algo), log.n, epochs, ei.epochs_run, ei.valid_rmse, now);
    assert_true(log.n < epochs);
    assert_int_equal(ei.epochs_run, best + 1);
    assert_float_near(ei.valid_rmse, log.valid[best], 1e-12);
    assert_float_near(now, ei.valid_rmse, 1e-6);
    mfr_model_free(es);
    lowrank_free(&L);
}

/* ml-latest-small split by sp into *tr / *te (owned: mfr_ratings_free) and
 * *ds (mfr_dataset_free); 0 when the data set is absent (the caller then
 * skips; a message is printed). */
static inline int movielens_split(const mfr_split_params *sp, mfr_dataset **ds, mfr_ratings *tr,
                                  mfr_ratings *te) {
    const char *dir = movielens_dir();
    if (!dir) {
        print_message("ml-latest-small not found (MFR_DATA_DIR): skipped\n");
        return 0;
    }
    mfr_error err;
    mfr_import_params ip = mfr_import_params_default();
    assert_int_equal(mfr_dataset_import(dir, &ip, ds, &err), MFR_OK);
    mfr_ratings all;
    mfr_dataset_ratings(*ds, &all);
    int32_t *fold = malloc(sizeof(int32_t) * (size_t)all.n), nf;
    assert_non_null(fold);
    assert_int_equal(mfr_split_assign(&all, sp, fold, &nf, &err), MFR_OK);
    assert_int_equal(mfr_ratings_select(&all, fold, 1, 0, tr, &err), MFR_OK);
    assert_int_equal(mfr_ratings_select(&all, fold, 1, 1, te, &err), MFR_OK);
    free(fold);
    return 1;
}

/* The random 80/20 holdout of ml-latest-small with this seed. */
static inline int movielens_holdout(uint64_t seed, mfr_dataset **ds, mfr_ratings *tr,
                                    mfr_ratings *te) {
    mfr_split_params sp = mfr_split_params_default();
    sp.kind = MFR_SPLIT_HOLDOUT, sp.test_frac = 0.2, sp.seed = seed;
    return movielens_split(&sp, ds, tr, te);
}

/* ml-latest-small, random 80/20 holdout (seed 42), the family's defaults:
 * test RMSE, or NaN when the data set is absent (the test then skips with a
 * message). */
static inline double movielens_rmse(mfr_algo algo) {
    mfr_dataset *ds = NULL;
    mfr_ratings tr, te;
    if (!movielens_holdout(42, &ds, &tr, &te)) return NAN;
    mfr_error err;
    mfr_train_params p = mfr_train_params_default(algo);
    mfr_model *m = NULL;
    double t0 = mfr__now();
    assert_int_equal(mfr_model_train(ds, &tr, NULL, &p, &m, &err), MFR_OK);
    double fit = mfr__now() - t0;
    mfr_accuracy acc;
    mfr_eval_accuracy(m, &te, &acc);
    print_message("%s on ml-latest-small 80/20: test RMSE %.4f, fit %.2f s\n", mfr_algo_name(algo),
                  acc.rmse, fit);
    mfr_model_free(m);
    mfr_ratings_free(&tr), mfr_ratings_free(&te);
    mfr_dataset_free(ds);
    return acc.rmse;
}

#endif
