/* test_algo_bmf.c — Bayesian MF by Gibbs sampling: the Normal-Wishart
 * hyperparameter draw concentrates on the sample precision and mean of many
 * rows; recovery of a low-rank matrix; the chain is the same for any thread
 * count and seed-determined; the model stores k·samples factors; a cancelled
 * fit leaves a usable model; save/load. */
#include "factors_common.h"

/* 20000 rows from N(m, Σ) with Σ = diag(0.25, 1, 4) + 0.3 off (0,1): the
 * posterior draw of Λ must be close to Σ⁻¹ and μ close to m. */
static void bmf_hyper_draw_matches_sample_moments(void **state) {
    (void)state;
    enum { N = 20000, D = 3 };
    double Sig[D][D] = {{0.25, 0.3, 0}, {0.3, 1, 0}, {0, 0, 4}}, m[D] = {1, -2, 0.5};
    double L[D][D] = {{0}}; /* Cholesky of Σ by hand */
    L[0][0] = sqrt(Sig[0][0]);
    L[1][0] = Sig[1][0] / L[0][0];
    L[1][1] = sqrt(Sig[1][1] - L[1][0] * L[1][0]);
    L[2][2] = 2;
    float *X = malloc(sizeof(float) * N * D);
    mfr__rng r;
    mfr__rng_seed(&r, 1);
    for (int n = 0; n < N; n++) {
        double z[D] = {mfr__rng_normal(&r), mfr__rng_normal(&r), mfr__rng_normal(&r)};
        for (int i = 0; i < D; i++) {
            double s = m[i];
            for (int j = 0; j <= i; j++) s += L[i][j] * z[j];
            X[n * D + i] = (float)s;
        }
    }
    float Lam[D * D], mu[D];
    assert_int_equal(mfr__bmf_sample_hyper(X, N, D, 3, Lam, mu), 0);
    /* Σ⁻¹: block [[0.25,0.3],[0.3,1]]⁻¹ = [[1,-0.3],[-0.3,0.25]]/0.16, and 1/4 */
    double inv[D][D] = {{6.25, -1.875, 0}, {-1.875, 1.5625, 0}, {0, 0, 0.25}};
    for (int i = 0; i < D; i++) {
        assert_float_near(mu[i], m[i], 0.05);
        for (int j = 0; j < D; j++) assert_float_near(Lam[i * D + j], inv[i][j], 0.05 * 6.25);
    }
    free(X);
}

static void bmf_recovers_lowrank(void **state) {
    (void)state;
    lowrank L;
    lowrank_make(&L, 200, 150, 3, 0.3, 0.1, 23);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_BMF);
    p.factors = 3, p.burnin = 20, p.samples = 20;
    mfr_model *m = train_ok(&L, &p);
    assert_int_equal(m->k, 3 * 20);
    double te = rmse_on(m, &L.test);
    print_message("bmf test RMSE %.4f (noise 0.1, signal ~0.7)\n", te);
    assert_true(te < 0.2);
    mfr_model_free(m);
    lowrank_free(&L);
}

static void bmf_same_chain_any_threads(void **state) {
    (void)state;
    lowrank L;
    lowrank_make(&L, 100, 80, 3, 0.3, 0.2, 5);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_BMF);
    p.factors = 4, p.burnin = 3, p.samples = 3, p.threads = 1;
    mfr_model *a = train_ok(&L, &p);
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

static int cancel_at_6(const mfr_progress *pr, void *user) {
    (void)user;
    return pr->step >= 6;
}

/* Cancelled after 2 of 10 kept samples: the model is their average — the
 * same as a fit asking for 2 samples (the chain does not depend on how many
 * samples are kept), not shrunk by 2/10 towards μ. */
static void bmf_cancel_keeps_partial_average(void **state) {
    (void)state;
    lowrank L;
    lowrank_make(&L, 100, 80, 2, 0.4, 0.1, 8);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_BMF);
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

static void fault_bmf_alloc_failures(void **state) {
    (void)state;
    check_alloc_failures(MFR_ALGO_BMF, 3);
}

/* Defaults on real data: better than the BPMF target. */
static void bmf_movielens_rmse_slow(void **state) {
    (void)state;
    double r = movielens_rmse(MFR_ALGO_BMF);
    if (isnan(r)) return;
    assert_true(r < 0.845);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bmf_hyper_draw_matches_sample_moments),
        cmocka_unit_test(bmf_recovers_lowrank),
        cmocka_unit_test(bmf_same_chain_any_threads),
        cmocka_unit_test(bmf_cancel_keeps_partial_average),
        cmocka_unit_test(fault_bmf_alloc_failures),
        cmocka_unit_test(bmf_movielens_rmse_slow),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
