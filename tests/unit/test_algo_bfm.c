/* test_algo_bfm.c — the Bayesian factorization machine (src/algo/bfm.c):
 * every Gibbs conditional the sampler draws from equals the closed form
 * computed from a dense design matrix built here; the sampler recovers
 * known side-feature effects (genres for unrated movies, gender for users
 * without ratings); the chain is the same for any thread count and set by
 * the seed; save/load; a cancelled fit keeps the average of its samples;
 * bad parameters are refused; allocation failures. */
#include "factors_common.h"
#include "algo/bfm.h"

/* ---- Gibbs conditionals against the closed form ------------------------ */

enum { CU = 7, CI = 6 };

typedef struct cond_check {
    const mfr_dataset *ds;
    int64_t N;
    double *X;      /* [N * F], built on the first call */
    int32_t F;
    int64_t checked;
    double worst;   /* largest relative error seen */
} cond_check;

/* The design matrix from the definitions in bfm.c's header, independently
 * of the sampler's blocks: user id, the user's rated set at |N(u)|^-½,
 * movie id, the movie's raters at |R(i)|^-½, the date bin (a year). */
static void build_dense(cond_check *c, const mfr__bfm_view *v) {
    const mfr_dataset *ds = c->ds;
    c->F = v->F;
    c->X = calloc((size_t)c->N * (size_t)v->F, sizeof(double));
    int32_t nu[CU] = {0}, ni[CI] = {0};
    int64_t t0 = ds->time[0];
    for (int64_t r = 0; r < c->N; r++) {
        nu[ds->user[r]]++, ni[ds->item[r]]++;
        if (ds->time[r] < t0) t0 = ds->time[r];
    }
    for (int64_t r = 0; r < c->N; r++) {
        double *x = c->X + (size_t)r * v->F;
        int32_t u = ds->user[r], i = ds->item[r];
        x[v->glo[MFR__BFM_G_UID] + u] = 1;
        x[v->glo[MFR__BFM_G_IID] + i] = 1;
        for (int64_t q = 0; q < c->N; q++) {
            if (ds->user[q] == u) x[v->glo[MFR__BFM_G_IMPL] + ds->item[q]] = 1 / sqrt(nu[u]);
            if (ds->item[q] == i) x[v->glo[MFR__BFM_G_FLIP] + ds->user[q]] = 1 / sqrt(ni[i]);
        }
        int32_t bin = (int32_t)((double)(ds->time[r] - t0) / (365.25 * 86400));
        assert_int_equal(v->date_bin[r], bin);
        x[v->glo[MFR__BFM_G_DATE] + bin] = 1;
    }
}

static int32_t group_of(const mfr__bfm_view *v, int32_t j) {
    for (int g = 0; g < MFR__BFM_G_COUNT; g++)
        if (j >= v->glo[g] && j < v->ghi[g]) return g;
    fail_msg("feature %d in no group", j);
    return -1;
}

static void check_conditional(void *user, const mfr__bfm_view *v, int32_t j, int32_t f,
                              double prec, double num) {
    cond_check *c = user;
    if (!c->X) build_dense(c, v);
    assert_int_equal(v->F, c->F);
    const int32_t k = v->k;
    double h2 = 0, eh = 0, theta = j < 0 ? v->w0 : f < 0 ? v->w[j] : v->V[(size_t)j * k + f];
    for (int64_t r = 0; r < c->N; r++) {
        const double *x = c->X + (size_t)r * v->F;
        double y = v->w0, pair = 0;
        for (int32_t l = 0; l < v->F; l++) y += v->w[l] * x[l];
        for (int32_t g = 0; g < k; g++) {
            double q = 0, sq = 0;
            for (int32_t l = 0; l < v->F; l++) {
                double t = v->V[(size_t)l * k + g] * x[l];
                q += t, sq += t * t;
            }
            pair += q * q - sq;
        }
        y += 0.5 * pair;
        double h;
        if (j < 0) h = 1;
        else if (f < 0) h = x[j];
        else {
            double q = 0;
            for (int32_t l = 0; l < v->F; l++) q += v->V[(size_t)l * k + f] * x[l];
            h = x[j] * (q - v->V[(size_t)j * k + f] * x[j]);
        }
        double e = c->ds->rating[r] - y;
        h2 += h * h, eh += (e + theta * h) * h;
    }
    double lam, mu;
    if (j < 0) lam = 1e-6, mu = 0;
    else {
        int32_t g = group_of(v, j);
        lam = f < 0 ? v->lam_w[g] : v->lam_v[g * k + f];
        mu = f < 0 ? v->mu_w[g] : v->mu_v[g * k + f];
    }
    double want_prec = lam + v->alpha * h2, want_num = v->alpha * eh + lam * mu;
    double ep = fabs(prec - want_prec) / want_prec;
    double en = fabs(num - want_num) / (fabs(want_num) + v->alpha * (1 + h2));
    if (ep > 1e-4 || en > 1e-4)
        fail_msg("feature %d factor %d: precision %.8g (closed form %.8g), numerator %.8g (%.8g)", j,
                 f, prec, want_prec, num, want_num);
    c->worst = fmax(c->worst, fmax(ep, en));
    c->checked++;
}

/* Seven users, six movies, 27 ratings over three years. */
static mfr_dataset *tiny_timed(void) {
    int32_t u[64], i[64];
    float r[64];
    int64_t t[64];
    int n = 0;
    mfr__rng rng;
    mfr__rng_seed(&rng, 9);
    for (int a = 0; a < CU; a++)
        for (int b = 0; b < CI; b++)
            if ((a * 5 + b * 3) % 7 < 4 || a == b) {
                u[n] = a, i[n] = b, r[n] = (float)(1 + (a + 2 * b) % 5) + 0.5f * (float)(n % 2);
                t[n] = 946684800 + (int64_t)(mfr__rng_uniform(&rng) * 3.2 * 365.25 * 86400), n++;
            }
    mfr_dataset *ds = NULL;
    assert_int_equal(mfr__dataset_from_arrays(CU, CI, n, u, i, r, t, &ds, NULL), MFR_OK);
    ds->scale_min = 0.5f, ds->scale_max = 5.f;
    return ds;
}

static void bfm_conditionals_match_closed_form(void **state) {
    (void)state;
    mfr_dataset *ds = tiny_timed();
    cond_check c = {.ds = ds, .N = ds->n_ratings};
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_BFM);
    p.factors = 3, p.burnin = 2, p.samples = 2, p.threads = 2;
    p.features = MFR_FEAT_ID | MFR_FEAT_IMPLICIT | MFR_FEAT_FLIPPED | MFR_FEAT_TIME;
    mfr__bfm_set_probe(check_conditional, &c);
    mfr_model *m = NULL;
    mfr_error err;
    mfr_status st = mfr_model_train(ds, NULL, NULL, &p, &m, &err);
    mfr__bfm_set_probe(NULL, NULL);
    if (st) print_error("train: %s\n", err.message);
    assert_int_equal(st, MFR_OK);
    /* per sweep: w0, then w and 3 factors of each feature */
    int64_t per_sweep = 1 + 4 * (int64_t)c.F;
    print_message("%lld conditionals checked (%d features), worst relative error %.2g\n",
                  (long long)c.checked, c.F, c.worst);
    assert_int_equal(c.F, CU + CI + CI + CU + 4); /* ids, implicit, flipped, 4 year bins */
    assert_int_equal(c.checked, 4 * per_sweep);
    mfr_model_free(m);
    free(c.X);
    mfr_dataset_free(ds);
}

/* ---- recovery of side-feature effects --------------------------------- */

enum { RU = 80, RU_COLD = 4, RI = 60, RI_COLD = 4 };

/* r = 3 + (Action +0.8 | Drama −0.8) + (F +0.5 | M −0.5) + N(0, 0.3²);
 * the last RU_COLD users and RI_COLD movies have no ratings. */
static mfr_dataset *side_effects_data(void) {
    mfr__rng rng;
    mfr__rng_seed(&rng, 77);
    int32_t *u = malloc(sizeof(int32_t) * RU * RI), *it = malloc(sizeof(int32_t) * RU * RI);
    float *r = malloc(sizeof(float) * RU * RI);
    int64_t n = 0;
    for (int32_t a = 0; a < RU - RU_COLD; a++)
        for (int32_t b = 0; b < RI - RI_COLD; b++) {
            if (mfr__rng_uniform(&rng) >= 0.3) continue;
            double v = 3 + (b % 2 ? -0.8 : 0.8) + (a % 2 ? 0.5 : -0.5) + 0.3 * mfr__rng_normal(&rng);
            u[n] = a, it[n] = b, r[n] = (float)v, n++;
        }
    mfr_dataset *ds = NULL;
    assert_int_equal(mfr__dataset_from_arrays(RU, RI, n, u, it, r, NULL, &ds, NULL), MFR_OK);
    free(u), free(it), free(r);
    ds->scale_min = -10.f, ds->scale_max = 10.f;
    char *pool = mfr__malloc(64);
    memcpy(pool, "\0Action\0Drama", 14);
    mfr__free(ds->cat.strings);
    ds->cat.strings = pool, ds->cat.strings_len = 14;
    for (int32_t b = 0; b < RI; b++) ds->cat.genres_off[b] = b % 2 ? 8 : 1;
    ds->user_age = mfr__malloc(sizeof(int16_t) * RU);
    ds->user_gender = mfr__malloc(RU);
    ds->user_occ = mfr__malloc(sizeof(int16_t) * RU);
    for (int32_t a = 0; a < RU; a++)
        ds->user_age[a] = (int16_t)(20 + a % 30), ds->user_gender[a] = a % 2 ? 'F' : 'M',
        ds->user_occ[a] = (int16_t)(a % 5);
    return ds;
}

static void bfm_recovers_side_effects(void **state) {
    (void)state;
    mfr_dataset *ds = side_effects_data();
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_BFM);
    p.factors = 2, p.burnin = 200, p.samples = 30;
    p.features = MFR_FEAT_ID | MFR_FEAT_GENRES | MFR_FEAT_USER;
    mfr_model *m = NULL;
    mfr_error err;
    mfr_status st = mfr_model_train(ds, NULL, NULL, &p, &m, &err);
    if (st) print_error("train: %s\n", err.message);
    assert_int_equal(st, MFR_OK);
    /* unrated movies: Action - Drama, averaged over the users with ratings */
    double genre = 0, gender = 0;
    for (int32_t a = 0; a < RU - RU_COLD; a++)
        genre += mfr_model_predict(m, a, RI - 2) - mfr_model_predict(m, a, RI - 1);
    genre /= RU - RU_COLD;
    /* users without ratings: F - M, over the movies with ratings */
    for (int32_t b = 0; b < RI - RI_COLD; b++)
        gender += mfr_model_predict(m, RU - 1, b) - mfr_model_predict(m, RU - 2, b);
    gender /= RI - RI_COLD;
    print_message("cold movies Action - Drama %.3f (true 1.6), cold users F - M %.3f (true 1.0)\n",
                  genre, gender);
    assert_float_near(genre, 1.6, 0.25);
    assert_float_near(gender, 1.0, 0.25);
    /* without the side features the cold rows know nothing */
    p.features = MFR_FEAT_ID;
    mfr_model *ids = NULL;
    assert_int_equal(mfr_model_train(ds, NULL, NULL, &p, &ids, &err), MFR_OK);
    assert_float_near(mfr_model_predict(ids, 0, RI - 2) - mfr_model_predict(ids, 0, RI - 1), 0, 0.3);
    mfr_model_free(m), mfr_model_free(ids);
    mfr_dataset_free(ds);
}

/* r = 3 + (year 0: +0.6, year 2: −0.6) + N(0, 0.3²) over three years:
 * mfr_model_predict_at sees the year, also after save/load; at a user's
 * own latest year it is mfr_model_predict. */
static void bfm_predict_at_recovers_date_effect(void **state) {
    (void)state;
    enum { NU = 60, NI = 40 };
    mfr__rng rng;
    mfr__rng_seed(&rng, 31);
    int32_t *u = malloc(sizeof(int32_t) * NU * NI), *it = malloc(sizeof(int32_t) * NU * NI);
    float *r = malloc(sizeof(float) * NU * NI);
    int64_t *t = malloc(sizeof(int64_t) * NU * NI), n = 0;
    const int64_t t0 = 1000000000, year = (int64_t)(365.25 * 86400);
    for (int32_t a = 0; a < NU; a++)
        for (int32_t b = 0; b < NI; b++) {
            if (mfr__rng_uniform(&rng) >= 0.4) continue;
            int32_t y = (int32_t)mfr__rng_below(&rng, 3);
            u[n] = a, it[n] = b, t[n] = t0 + y * year + (int64_t)mfr__rng_below(&rng, (uint64_t)year);
            r[n] = (float)(3 + (y == 0 ? 0.6 : y == 2 ? -0.6 : 0) + 0.3 * mfr__rng_normal(&rng)), n++;
        }
    mfr_dataset *ds = NULL;
    assert_int_equal(mfr__dataset_from_arrays(NU, NI, n, u, it, r, t, &ds, NULL), MFR_OK);
    ds->scale_min = -10.f, ds->scale_max = 10.f;
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_BFM);
    p.factors = 2, p.burnin = 30, p.samples = 20, p.features = MFR_FEAT_ID | MFR_FEAT_TIME;
    mfr_model *m = NULL;
    mfr_error err;
    assert_int_equal(mfr_model_train(ds, NULL, NULL, &p, &m, &err), MFR_OK);
    double d = 0, se_at = 0, se = 0;
    for (int32_t a = 0; a < NU; a++)
        d += mfr_model_predict_at(m, a, a % NI, t0 + year / 2) - mfr_model_predict_at(m, a, a % NI, t0 + 2 * year + year / 2);
    d /= NU;
    for (int64_t j = 0; j < n; j++) {
        double e1 = mfr_model_predict_at(m, u[j], it[j], t[j]) - r[j], e0 = mfr_model_predict(m, u[j], it[j]) - r[j];
        se_at += e1 * e1, se += e0 * e0;
    }
    print_message("year 0 - year 2 %.3f (true 1.2); train RMSE at the rating's date %.3f, "
                  "at the user's latest %.3f\n", d, sqrt(se_at / n), sqrt(se / n));
    assert_float_near(d, 1.2, 0.25);
    assert_true(se_at < 0.5 * se);
    /* each user's latest rating is at their serving bin: predict_at = predict */
    for (int32_t a = 0; a < NU; a++) {
        int64_t last = 0;
        for (int64_t j = 0; j < n; j++)
            if (u[j] == a && t[j] > last) last = t[j];
        assert_float_near(mfr_model_predict_at(m, a, 3, last), mfr_model_predict(m, a, 3), 1e-6);
    }
    const char *dir = temp_dir();
    char path[512];
    snprintf(path, sizeof path, "%s/t.mfm", dir);
    assert_int_equal(mfr_model_save(m, path, &err), MFR_OK);
    mfr_model *l = NULL;
    assert_int_equal(mfr_model_load(path, &l, &err), MFR_OK);
    for (int64_t j = 0; j < n; j += 5)
        assert_true(mfr_model_predict_at(l, u[j], it[j], t[j]) == mfr_model_predict_at(m, u[j], it[j], t[j]));
    mfr_model_free(l), mfr_model_free(m);
    mfr_dataset_free(ds);
    free(u), free(it), free(r), free(t);
}

/* ---- determinism, save/load, cancel, bad input ------------------------- */

static void bfm_same_chain_any_threads(void **state) {
    (void)state;
    lowrank L;
    lowrank_make(&L, 100, 80, 3, 0.3, 0.2, 5);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_BFM);
    p.factors = 4, p.burnin = 3, p.samples = 3, p.threads = 1;
    mfr_model *a = train_ok(&L, &p);
    assert_int_equal(a->k, 4 * 3);
    p.threads = 2;
    mfr_model *b = train_ok(&L, &p);
    assert_models_identical(a, b);
    check_save_load(a, &L.test);
    p.seed = 1234;
    mfr_model *c = train_ok(&L, &p);
    assert_true(memcmp(a->P, c->P, sizeof(float) * (size_t)a->n_users * a->k) != 0);
    mfr_model_free(a), mfr_model_free(b), mfr_model_free(c);
    lowrank_free(&L);
}

static void bfm_recovers_lowrank(void **state) {
    (void)state;
    lowrank L;
    lowrank_make(&L, 200, 150, 3, 0.3, 0.1, 23);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_BFM);
    p.factors = 3, p.burnin = 30, p.samples = 30, p.features = MFR_FEAT_ID;
    mfr_model *m = train_ok(&L, &p);
    double te = rmse_on(m, &L.test);
    print_message("bfm (ids only) test RMSE %.4f (noise 0.1, signal ~0.7)\n", te);
    assert_true(te < 0.2);
    mfr_model_free(m);
    lowrank_free(&L);
}

static int cancel_at_6(const mfr_progress *pr, void *user) {
    (void)user;
    return pr->step >= 6;
}

/* Cancelled after 2 of 10 kept samples: the model is the average of those
 * two, the same as a fit asking for 2 (the chain does not depend on S). */
static void bfm_cancel_keeps_partial_average(void **state) {
    (void)state;
    lowrank L;
    lowrank_make(&L, 60, 50, 2, 0.4, 0.1, 8);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_BFM);
    p.factors = 2, p.burnin = 4, p.samples = 10, p.progress = cancel_at_6;
    mfr_model *m = NULL;
    mfr_error err;
    assert_int_equal(mfr_model_train(L.ds, &L.train, NULL, &p, &m, &err), MFR_E_CANCELLED);
    assert_non_null(m);
    p.samples = 2, p.progress = NULL;
    mfr_model *two = train_ok(&L, &p);
    for (int64_t j = 0; j < L.test.n; j++)
        assert_float_near(mfr_model_predict(m, L.test.user[j], L.test.item[j]),
                          mfr_model_predict(two, L.test.user[j], L.test.item[j]), 1e-4);
    mfr_model_free(m), mfr_model_free(two);
    lowrank_free(&L);
}

static void bfm_bad_params(void **state) {
    (void)state;
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_BFM);
    mfr_error err;
    assert_int_equal(mfr_train_params_set(&p, "features", "id,time", &err), MFR_OK);
    assert_int_equal(p.features, MFR_FEAT_ID | MFR_FEAT_TIME);
    char buf[2048];
    mfr_train_params_format(&p, buf, sizeof buf);
    assert_non_null(strstr(buf, "features=id,time\n"));
    assert_int_equal(mfr_train_params_set(&p, "features", "id,colour", &err), MFR_E_INVALID);
    assert_non_null(strstr(err.message, "unknown group \"colour\""));
    assert_int_equal(mfr_train_params_set(&p, "features", "", &err), MFR_E_INVALID);
    assert_int_equal(mfr_train_params_set(&p, "features", "id,,time", &err), MFR_E_INVALID);
    assert_int_equal(p.features, MFR_FEAT_ID | MFR_FEAT_TIME); /* unchanged by the failures */
    assert_int_equal(mfr_train_params_applies(MFR_ALGO_BFM, "features"), 1);
    assert_int_equal(mfr_train_params_applies(MFR_ALGO_SGD, "features"), 0);
    lowrank L;
    lowrank_make(&L, 20, 15, 2, 0.5, 0.1, 3);
    p = mfr_train_params_default(MFR_ALGO_BFM);
    p.features = 0;
    mfr_model *m = NULL;
    assert_int_equal(mfr_model_train(L.ds, &L.train, NULL, &p, &m, &err), MFR_E_INVALID);
    assert_null(m);
    p = mfr_train_params_default(MFR_ALGO_BFM);
    p.factors = 1000, p.samples = 100;
    assert_int_equal(mfr_model_train(L.ds, &L.train, NULL, &p, &m, &err), MFR_E_INVALID);
    assert_non_null(strstr(err.message, "factors*samples"));
    assert_null(m);
    lowrank_free(&L);
}

static void fault_bfm_alloc_failures(void **state) {
    (void)state;
    check_alloc_failures(MFR_ALGO_BFM, 2);
}

/* Defaults on real data (80/20 holdout, test ratings at their dates):
 * better than bmf's 0.836 class. One thread: a sweep is many short parallel
 * passes, which two threads on a busy machine make several times slower
 * (docs/models.md); about 10 s of CPU. */
static void bfm_movielens_rmse_slow(void **state) {
    (void)state;
    mfr_dataset *ds = NULL;
    mfr_ratings tr, te;
    if (!movielens_holdout(42, &ds, &tr, &te)) return;
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_BFM);
    p.threads = 1;
    mfr_model *m = NULL;
    mfr_error err;
    double t0 = mfr__now();
    assert_int_equal(mfr_model_train(ds, &tr, NULL, &p, &m, &err), MFR_OK);
    double fit = mfr__now() - t0;
    mfr_accuracy acc;
    mfr_eval_accuracy(m, &te, &acc);
    print_message("bfm defaults, ml-latest-small 80/20: test RMSE %.4f, fit %.2f s\n", acc.rmse, fit);
    assert_true(acc.rmse < 0.83);
    mfr_model_free(m);
    mfr_ratings_free(&tr), mfr_ratings_free(&te);
    mfr_dataset_free(ds);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bfm_conditionals_match_closed_form),
        cmocka_unit_test(bfm_recovers_side_effects),
        cmocka_unit_test(bfm_predict_at_recovers_date_effect),
        cmocka_unit_test(bfm_same_chain_any_threads),
        cmocka_unit_test(bfm_recovers_lowrank),
        cmocka_unit_test(bfm_cancel_keeps_partial_average),
        cmocka_unit_test(bfm_bad_params),
        cmocka_unit_test(fault_bfm_alloc_failures),
        cmocka_unit_test(bfm_movielens_rmse_slow),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
