/* test_algo_svd.c — randomized truncated SVD: singular values and the rank-k
 * reconstruction against LAPACK's full SVD (sgesdd) of a small dense matrix
 * given in sparse form; recovery of a low-rank rating matrix through the
 * model; same seed -> same model; save/load. */
#include "factors_common.h"

#include <lapacke.h>

/* Dense m x n matrix with singular values 10, 8, 6, 4, 2 then noise, as a
 * fully observed sparse matrix in both views. */
static float *dense_case(int m, int n, mfr__csr *rows, mfr__csr *cols) {
    mfr__rng rng;
    mfr__rng_seed(&rng, 7);
    float *A = calloc((size_t)m * n, sizeof(float));
    for (int r = 0; r < 5; r++) {
        double u[64], v[64];
        for (int i = 0; i < m; i++) u[i] = mfr__rng_normal(&rng) / sqrt(m);
        for (int j = 0; j < n; j++) v[j] = mfr__rng_normal(&rng) / sqrt(n);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) A[i * n + j] += (float)((10 - 2 * r) * u[i] * v[j]);
    }
    for (int i = 0; i < m * n; i++) A[i] += (float)(0.01 * mfr__rng_normal(&rng));
    int32_t *uu = malloc(4 * m * n), *ii = malloc(4 * m * n);
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) uu[i * n + j] = i, ii[i * n + j] = j;
    mfr_ratings R = {(int64_t)m * n, m, n, uu, ii, A, NULL};
    mfr_error err;
    assert_int_equal(mfr__csr_rows(&R, m, n, 0, rows, &err), MFR_OK);
    assert_int_equal(mfr__csr_rows(&R, m, n, 1, cols, &err), MFR_OK);
    free(uu), free(ii);
    return A;
}

static void svd_matches_lapack_full_svd(void **state) {
    (void)state;
    enum { M = 40, N = 30, K = 5 };
    mfr__csr rows, cols;
    float *A = dense_case(M, N, &rows, &cols);
    float U[M * K], S[K], V[N * K];
    mfr_error err;
    assert_int_equal(mfr__rsvd(&rows, &cols, K, 3, 1, 2, U, S, V, &err), MFR_OK);
    float *B = malloc(sizeof(float) * M * N), Sf[N], Uf[M * N], Vt[N * N];
    memcpy(B, A, sizeof(float) * M * N);
    assert_int_equal(LAPACKE_sgesdd(LAPACK_ROW_MAJOR, 'S', M, N, B, N, Sf, Uf, N, Vt, N), 0);
    for (int f = 0; f < K; f++) assert_float_near(S[f], Sf[f], 1e-3 * Sf[0]);
    double maxd = 0;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double a = 0, b = 0;
            for (int f = 0; f < K; f++) {
                a += U[i * K + f] * S[f] * V[j * K + f];
                b += Uf[i * N + f] * Sf[f] * Vt[f * N + j];
            }
            if (fabs(a - b) > maxd) maxd = fabs(a - b);
        }
    print_message("max |rank-5 reconstruction diff| = %.2e\n", maxd);
    assert_true(maxd < 1e-3);
    /* orthonormal columns */
    for (int f = 0; f < K; f++) {
        double uu = 0, vv = 0;
        for (int i = 0; i < M; i++) uu += U[i * K + f] * U[i * K + f];
        for (int j = 0; j < N; j++) vv += V[j * K + f] * V[j * K + f];
        assert_float_near(uu, 1.0, 1e-4);
        assert_float_near(vv, 1.0, 1e-4);
    }
    mfr__csr_free(&rows), mfr__csr_free(&cols), free(A), free(B);
}

static void svd_k_too_large_is_invalid(void **state) {
    (void)state;
    mfr__csr rows, cols;
    float *A = dense_case(12, 8, &rows, &cols);
    float U[12 * 9], S[9], V[8 * 9];
    mfr_error err;
    assert_int_equal(mfr__rsvd(&rows, &cols, 9, 2, 1, 1, U, S, V, &err), MFR_E_INVALID);
    assert_non_null(strstr(err.message, "factors"));
    mfr__csr_free(&rows), mfr__csr_free(&cols), free(A);
}

/* A dense-ish low-rank matrix: the zero-filled residual is close to the
 * truth, so the SVD recovers it to well under the signal level. */
static void svd_recovers_lowrank(void **state) {
    (void)state;
    lowrank L;
    lowrank_make(&L, 200, 150, 3, 0.9, 0.1, 21);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_SVD);
    p.factors = 3;
    mfr_model *m = train_ok(&L, &p);
    double te = rmse_on(m, &L.test);
    p.factors = 1;
    mfr_model *m1 = train_ok(&L, &p);
    double te1 = rmse_on(m1, &L.test);
    print_message("svd test RMSE k=3 %.4f, k=1 %.4f (noise 0.1, signal ~0.7)\n", te, te1);
    assert_true(te < 0.25);
    assert_true(te < te1);
    mfr_model_free(m), mfr_model_free(m1);
    lowrank_free(&L);
}

static void svd_same_seed_identical(void **state) {
    (void)state;
    lowrank L;
    lowrank_make(&L, 100, 80, 3, 0.3, 0.2, 5);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_SVD);
    p.threads = 1;
    mfr_model *a = train_ok(&L, &p);
    p.threads = 2;
    mfr_model *b = train_ok(&L, &p);
    assert_models_identical(a, b);
    check_save_load(a, &L.test);
    mfr_model_free(a), mfr_model_free(b);
    lowrank_free(&L);
}

static void fault_svd_alloc_failures(void **state) {
    (void)state;
    check_alloc_failures(MFR_ALGO_SVD, 3);
}

/* Defaults on real data: better than Surprise SVD 0.8726. */
static void svd_movielens_rmse_slow(void **state) {
    (void)state;
    double r = movielens_rmse(MFR_ALGO_SVD);
    if (isnan(r)) return;
    assert_true(r < 0.872);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(svd_matches_lapack_full_svd),
        cmocka_unit_test(svd_k_too_large_is_invalid),
        cmocka_unit_test(svd_recovers_lowrank),
        cmocka_unit_test(svd_same_seed_identical),
        cmocka_unit_test(fault_svd_alloc_failures),
        cmocka_unit_test(svd_movielens_rmse_slow),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
