/* test_algo_adam.c — biased MF by Adam: one step on one rating against the
 * Adam update computed by hand; recovery of a low-rank matrix; same seed ->
 * same model; bad batch/beta rejected; save/load. */
#include "factors_common.h"

static void adam_one_step_matches_hand_computation(void **state) {
    (void)state;
    enum { K = 3 };
    int32_t u[1] = {0}, it[1] = {0};
    float r[1] = {4.5f};
    mfr_dataset *ds;
    mfr_error err;
    assert_int_equal(mfr__dataset_from_arrays(1, 1, 1, u, it, r, NULL, &ds, &err), MFR_OK);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_ADAM);
    p.factors = K, p.epochs = 1, p.batch = 4, p.lr = 0.01f, p.reg = 0.2f, p.reg_bias = 0.1f;
    p.init_std = 0.5f, p.seed = 8, p.beta1 = 0.8f, p.beta2 = 0.9f;
    mfr_model *m = NULL;
    assert_int_equal(mfr_model_train(ds, NULL, NULL, &p, &m, &err), MFR_OK);
    float P0[K], Q0[K];
    mfr__fill_normal(P0, K, p.init_std, p.seed, 1);
    mfr__fill_normal(Q0, K, p.init_std, p.seed, 2);
    /* μ = 4.5 (one rating), biases 0: e = −p·q. One step with t = 1:
     * m̂ = g, v̂ = g², so θ -= lr · g / (|g| + ε). */
    double dot = 0;
    for (int f = 0; f < K; f++) dot += P0[f] * Q0[f];
    double e = -dot;
    for (int f = 0; f < K; f++) {
        double gp = -e * Q0[f] + p.reg * P0[f], gq = -e * P0[f] + p.reg * Q0[f];
        assert_float_near(m->P[f], P0[f] - p.lr * gp / (fabs(gp) + 1e-8), 1e-6);
        assert_float_near(m->Q[f], Q0[f] - p.lr * gq / (fabs(gq) + 1e-8), 1e-6);
    }
    double gb = -e; /* bias 0: no reg term */
    assert_float_near(m->user_bias[0], -p.lr * gb / (fabs(gb) + 1e-8), 1e-6);
    assert_float_near(m->item_bias[0], -p.lr * gb / (fabs(gb) + 1e-8), 1e-6);
    mfr_model_free(m);
    mfr_dataset_free(ds);
}

static void adam_recovers_lowrank(void **state) {
    (void)state;
    lowrank L;
    lowrank_make(&L, 300, 200, 3, 0.25, 0.1, 17);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_ADAM);
    p.factors = 6, p.epochs = 60, p.lr = 0.01f, p.reg = 0.01f, p.batch = 64, p.lr_decay = 0.97f;
    mfr_model *m = train_ok(&L, &p);
    double te = rmse_on(m, &L.test);
    print_message("adam test RMSE %.4f (noise 0.1, signal ~0.7)\n", te);
    assert_true(te < 0.25);
    mfr_model_free(m);
    lowrank_free(&L);
}

static void adam_same_seed_identical_and_checks(void **state) {
    (void)state;
    lowrank L;
    lowrank_make(&L, 100, 80, 3, 0.3, 0.2, 5);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_ADAM);
    p.factors = 8, p.epochs = 3;
    mfr_model *a = train_ok(&L, &p), *b = train_ok(&L, &p);
    assert_models_identical(a, b);
    check_save_load(a, &L.test);
    mfr_model_free(a), mfr_model_free(b);
    mfr_model *m = NULL;
    mfr_error err;
    p.beta1 = 1.0f; /* outside [0, 1): rejected by the params check or the fit */
    assert_int_equal(mfr_model_train(L.ds, &L.train, NULL, &p, &m, &err), MFR_E_INVALID);
    assert_null(m);
    lowrank_free(&L);
}

static void fault_adam_alloc_failures(void **state) {
    (void)state;
    check_alloc_failures(MFR_ALGO_ADAM, 3);
}

static void adam_early_stop_keeps_best_epoch(void **state) {
    (void)state;
    check_early_stop(MFR_ALGO_ADAM, 20, 0.0f, 40);
}

/* Defaults on real data: better than sgd-level. */
static void adam_movielens_rmse_slow(void **state) {
    (void)state;
    double r = movielens_rmse(MFR_ALGO_ADAM);
    if (isnan(r)) return;
    assert_true(r < 0.860);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(adam_one_step_matches_hand_computation),
        cmocka_unit_test(adam_recovers_lowrank),
        cmocka_unit_test(adam_same_seed_identical_and_checks),
        cmocka_unit_test(fault_adam_alloc_failures),
        cmocka_unit_test(adam_early_stop_keeps_best_epoch),
        cmocka_unit_test(adam_movielens_rmse_slow),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
