/* test_algo_als.c — explicit ALS: recovery of a synthetic low-rank matrix,
 * determinism across runs and thread counts, the per-row solve against a
 * direct double-precision solve (short rows and the blocked BLAS path), and a
 * save/load round trip. */
#include "factors_common.h"

static void als_recovers_lowrank(void **state) {
    (void)state;
    lowrank L;
    lowrank_make(&L, 300, 200, 4, 0.25, 0.1, 11);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_ALS);
    p.factors = 4;
    p.reg = 0.02f;
    p.epochs = 15;
    mfr_model *m = train_ok(&L, &p);
    double te = rmse_on(m, &L.test);
    print_message("als test RMSE %.4f (noise 0.1)\n", te);
    assert_true(te < 0.2);
    mfr_model_free(m);
    lowrank_free(&L);
}

static void als_same_seed_identical(void **state) {
    (void)state;
    lowrank L;
    lowrank_make(&L, 120, 90, 3, 0.3, 0.2, 5);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_ALS);
    p.factors = 8;
    p.epochs = 4;
    p.threads = 1;
    mfr_model *a = train_ok(&L, &p);
    p.threads = 2;
    mfr_model *b = train_ok(&L, &p);
    assert_models_identical(a, b);
    p.seed = 99;
    mfr_model *c = train_ok(&L, &p);
    assert_true(memcmp(a->Q, c->Q, sizeof(float) * (size_t)a->n_items * a->k) != 0);
    mfr_model_free(a), mfr_model_free(b), mfr_model_free(c);
    lowrank_free(&L);
}

/* Solve (Σ x xᵀ + nΛ) w = Σ x t in double by Gaussian elimination. */
static void direct_row(int n, int k, const int32_t *idx, const float *val, const float *Y,
                       const float *yb, float mu, float lam, float lam_b, double *w) {
    int D = k + 1;
    double A[16 * 16] = {0}, b[16] = {0}, x[16];
    for (int e = 0; e < n; e++) {
        x[0] = 1;
        for (int f = 0; f < k; f++) x[f + 1] = Y[idx[e] * k + f];
        double t = val[e] - mu - yb[idx[e]];
        for (int i = 0; i < D; i++) {
            b[i] += x[i] * t;
            for (int j = 0; j < D; j++) A[i * D + j] += x[i] * x[j];
        }
    }
    A[0] += n * lam_b;
    for (int f = 1; f < D; f++) A[f * D + f] += n * lam;
    for (int c = 0; c < D; c++)
        for (int r = c + 1; r < D; r++) {
            double g = A[r * D + c] / A[c * D + c];
            for (int j = c; j < D; j++) A[r * D + j] -= g * A[c * D + j];
            b[r] -= g * b[c];
        }
    for (int r = D - 1; r >= 0; r--) {
        double s = b[r];
        for (int j = r + 1; j < D; j++) s -= A[r * D + j] * w[j];
        w[r] = s / A[r * D + r];
    }
}

static void check_row_solve(int n) {
    enum { K = 5, NI = 400 };
    mfr__rng rng;
    mfr__rng_seed(&rng, (uint64_t)n);
    float Y[NI * K], yb[NI];
    for (int j = 0; j < NI * K; j++) Y[j] = (float)mfr__rng_normal(&rng);
    for (int j = 0; j < NI; j++) yb[j] = (float)(0.3 * mfr__rng_normal(&rng));
    int32_t *idx = malloc(4 * n);
    float *val = malloc(4 * n);
    for (int e = 0; e < n; e++) idx[e] = e % NI, val[e] = (float)(1 + 4 * mfr__rng_uniform(&rng));
    int64_t ptr[2] = {0, n};
    mfr__csr c = {1, n, ptr, idx, val};
    float X[K], xb[1];
    mfr_error err;
    assert_int_equal(mfr__als_solve_side(&c, Y, yb, 3.5f, K, 0.1f, 0.05f, X, xb, 2, &err), MFR_OK);
    double w[K + 1];
    direct_row(n, K, idx, val, Y, yb, 3.5f, 0.1f, 0.05f, w);
    assert_float_near(xb[0], w[0], 1e-4);
    for (int f = 0; f < K; f++) assert_float_near(X[f], w[f + 1], 1e-4);
    /* without a bias (xb NULL): the limit of an infinitely penalised bias */
    assert_int_equal(mfr__als_solve_side(&c, Y, yb, 3.5f, K, 0.1f, 0.05f, X, NULL, 1, &err), MFR_OK);
    direct_row(n, K, idx, val, Y, yb, 3.5f, 0.1f, 1e7f, w);
    for (int f = 0; f < K; f++) assert_float_near(X[f], w[f + 1], 1e-4);
    free(idx), free(val);
}

static void als_row_solve_matches_direct(void **state) {
    (void)state;
    check_row_solve(7);   /* rank-one updates */
    check_row_solve(300); /* blocked ssyrk path, two blocks */
}

static void als_save_load_roundtrip(void **state) {
    (void)state;
    lowrank L;
    lowrank_make(&L, 80, 60, 2, 0.3, 0.1, 3);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_ALS);
    p.factors = 4;
    p.epochs = 3;
    mfr_model *m = train_ok(&L, &p);
    check_save_load(m, &L.test);
    mfr_model_free(m);
    lowrank_free(&L);
}

static void fault_als_alloc_failures(void **state) {
    (void)state;
    check_alloc_failures(MFR_ALGO_ALS, 3);
}

static void als_early_stop_keeps_best_epoch(void **state) {
    (void)state;
    check_early_stop(MFR_ALGO_ALS, 20, 0.001f, 30);
}

/* Defaults on real data: better than Surprise SVD 0.8726. */
static void als_movielens_rmse_slow(void **state) {
    (void)state;
    double r = movielens_rmse(MFR_ALGO_ALS);
    if (isnan(r)) return;
    assert_true(r < 0.872);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(als_recovers_lowrank),
        cmocka_unit_test(als_same_seed_identical),
        cmocka_unit_test(als_row_solve_matches_direct),
        cmocka_unit_test(als_save_load_roundtrip),
        cmocka_unit_test(fault_als_alloc_failures),
        cmocka_unit_test(als_early_stop_keeps_best_epoch),
        cmocka_unit_test(als_movielens_rmse_slow),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
