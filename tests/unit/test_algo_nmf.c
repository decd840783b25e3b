/* test_algo_nmf.c — NMF by multiplicative updates: one epoch against the
 * update rule computed by hand; factors stay >= 0; recovery of a
 * non-negative low-rank matrix; unknown users fall back to μ; same seed ->
 * same model for any thread count; save/load. */
#include "factors_common.h"

/* Non-negative rank-3 truth: r = p·q + noise, p, q uniform [0, 1). */
static void nonneg(mfr_dataset **ds, mfr_ratings *tr, mfr_ratings *te, int32_t **bufs,
                   float **rbufs) {
    enum { NU = 150, NI = 100, R = 3 };
    mfr__rng rng;
    mfr__rng_seed(&rng, 31);
    float P[NU * R], Q[NI * R];
    for (int j = 0; j < NU * R; j++) P[j] = (float)mfr__rng_uniform(&rng);
    for (int j = 0; j < NI * R; j++) Q[j] = (float)mfr__rng_uniform(&rng);
    int32_t *u = bufs[0] = malloc(4 * NU * NI), *it = bufs[1] = malloc(4 * NU * NI);
    int32_t *vu = bufs[2] = malloc(4 * NU * NI), *vi = bufs[3] = malloc(4 * NU * NI);
    float *r = rbufs[0] = malloc(4 * NU * NI), *vr = rbufs[1] = malloc(4 * NU * NI);
    int64_t n = 0, nv = 0;
    for (int a = 0; a < NU; a++)
        for (int b = 0; b < NI; b++) {
            if (mfr__rng_uniform(&rng) > 0.4) continue;
            float v = (float)(0.05 * mfr__rng_normal(&rng));
            for (int f = 0; f < R; f++) v += P[a * R + f] * Q[b * R + f];
            if (v < 0) v = 0;
            if (mfr__rng_uniform(&rng) < 0.2) vu[nv] = a, vi[nv] = b, vr[nv++] = v;
            else u[n] = a, it[n] = b, r[n++] = v;
        }
    mfr_error err;
    assert_int_equal(mfr__dataset_from_arrays(NU, NI, n, u, it, r, NULL, ds, &err), MFR_OK);
    (*ds)->scale_min = -20, (*ds)->scale_max = 20;
    *tr = (mfr_ratings){n, NU, NI, u, it, r, NULL};
    *te = (mfr_ratings){nv, NU, NI, vu, vi, vr, NULL};
}

static void nmf_factors_nonnegative_and_recover(void **state) {
    (void)state;
    mfr_dataset *ds;
    mfr_ratings tr, te;
    int32_t *b[4];
    float *rb[2];
    nonneg(&ds, &tr, &te, b, rb);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_NMF);
    p.factors = 3, p.reg = 0.001f, p.epochs = 300;
    mfr_model *m = NULL;
    mfr_error err;
    assert_int_equal(mfr_model_train(ds, &tr, NULL, &p, &m, &err), MFR_OK);
    for (size_t j = 0; j < (size_t)m->n_users * m->k; j++) assert_true(m->P[j] >= 0.f);
    for (size_t j = 0; j < (size_t)m->n_items * m->k; j++) assert_true(m->Q[j] >= 0.f);
    double rm = rmse_on(m, &te);
    print_message("nmf test RMSE %.4f (noise 0.05, signal ~0.4)\n", rm);
    assert_true(rm < 0.12);
    assert_float_near(mfr_model_predict(m, -1, 0), m->mu, 1e-6); /* unknown user */
    p.threads = 1, p.epochs = 5;
    mfr_model *a = NULL, *c = NULL;
    assert_int_equal(mfr_model_train(ds, &tr, NULL, &p, &a, &err), MFR_OK);
    p.threads = 2;
    assert_int_equal(mfr_model_train(ds, &tr, NULL, &p, &c, &err), MFR_OK);
    assert_models_identical(a, c);
    check_save_load(a, &te);
    mfr_model_free(m), mfr_model_free(a), mfr_model_free(c);
    mfr_dataset_free(ds);
    for (int j = 0; j < 4; j++) free(b[j]);
    free(rb[0]), free(rb[1]);
}

/* 1 user x 2 items, k = 2, one epoch by hand. */
static void nmf_one_epoch_matches_hand_computation(void **state) {
    (void)state;
    int32_t u[2] = {0, 0}, it[2] = {0, 1};
    float r[2] = {4.f, 2.f};
    mfr_dataset *ds;
    mfr_error err;
    assert_int_equal(mfr__dataset_from_arrays(1, 2, 2, u, it, r, NULL, &ds, &err), MFR_OK);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_NMF);
    p.factors = 2, p.epochs = 1, p.reg = 0.1f, p.seed = 5, p.init_std = 0.5f;
    mfr_model *m = NULL;
    assert_int_equal(mfr_model_train(ds, NULL, NULL, &p, &m, &err), MFR_OK);
    mfr__rng g;
    double P[2], Q[2][2], sc = 0.5 * sqrt(12.0);
    mfr__rng_seed_stream(&g, 5, 1);
    for (int f = 0; f < 2; f++) P[f] = (float)(mfr__rng_uniform(&g) * sc);
    mfr__rng_seed_stream(&g, 5, 2);
    for (int i = 0; i < 2; i++)
        for (int f = 0; f < 2; f++) Q[i][f] = (float)(mfr__rng_uniform(&g) * sc);
    double num[2] = {0}, den[2] = {0};
    for (int i = 0; i < 2; i++) {
        double est = P[0] * Q[i][0] + P[1] * Q[i][1];
        for (int f = 0; f < 2; f++) num[f] += Q[i][f] * r[i], den[f] += Q[i][f] * est;
    }
    for (int f = 0; f < 2; f++) P[f] *= num[f] / (den[f] + 2 * 0.1 * P[f]);
    for (int i = 0; i < 2; i++) {
        double est = P[0] * Q[i][0] + P[1] * Q[i][1];
        for (int f = 0; f < 2; f++) Q[i][f] *= P[f] * r[i] / (P[f] * est + 0.1 * Q[i][f]);
    }
    for (int f = 0; f < 2; f++) {
        assert_float_near(m->P[f], P[f], 1e-4);
        for (int i = 0; i < 2; i++) assert_float_near(m->Q[i * 2 + f], Q[i][f], 1e-4);
    }
    mfr_model_free(m);
    mfr_dataset_free(ds);
}

static void fault_nmf_alloc_failures(void **state) {
    (void)state;
    check_alloc_failures(MFR_ALGO_NMF, 3);
}

static void nmf_early_stop_keeps_best_epoch(void **state) {
    (void)state;
    check_early_stop(MFR_ALGO_NMF, 20, 0.0f, 200);
}

/* Defaults on real data: better than Surprise NMF 0.9213. */
static void nmf_movielens_rmse_slow(void **state) {
    (void)state;
    double r = movielens_rmse(MFR_ALGO_NMF);
    if (isnan(r)) return;
    assert_true(r < 0.9213);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nmf_factors_nonnegative_and_recover),
        cmocka_unit_test(nmf_one_epoch_matches_hand_computation),
        cmocka_unit_test(fault_nmf_alloc_failures),
        cmocka_unit_test(nmf_early_stop_keeps_best_epoch),
        cmocka_unit_test(nmf_movielens_rmse_slow),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
