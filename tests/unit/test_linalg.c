/* test_linalg.c — the owned dense kernels: Cholesky and its solves against
 * LAPACK (spotrf/sposv) and against a direct double-precision factor on both
 * sides of mfr__chol's size classes (owned kernel / LAPACK, with lda > n),
 * rejection of an indefinite matrix, the rank-one
 * update, the vectorised dot against a double reference, and CG against the
 * Cholesky solution. */
#include "test.h"
#include "core/core.h"
#include "linalg/linalg.h"

#include <lapacke.h>

/* SPD matrix A = BᵀB + nI (lower and upper filled). */
static void spd(float *A, int n, uint64_t seed) {
    mfr__rng r;
    mfr__rng_seed(&r, seed);
    float *B = malloc(sizeof(float) * n * n);
    for (int j = 0; j < n * n; j++) B[j] = (float)mfr__rng_normal(&r);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double s = i == j ? n : 0;
            for (int p = 0; p < n; p++) s += B[p * n + i] * B[p * n + j];
            A[i * n + j] = (float)s;
        }
    free(B);
}

static void chol_solve_matches_lapack(void **state) {
    (void)state;
    for (int n = 1; n <= 65; n += 16) {
        float *A = malloc(sizeof(float) * n * n), *L = malloc(sizeof(float) * n * n);
        float *b = malloc(sizeof(float) * n), *x = malloc(sizeof(float) * n);
        spd(A, n, (uint64_t)n);
        for (int i = 0; i < n; i++) b[i] = x[i] = (float)(i % 7) - 3.f;
        memcpy(L, A, sizeof(float) * n * n);
        assert_int_equal(mfr__chol(L, n, n), 0);
        mfr__chol_solve(L, n, n, x);
        assert_int_equal(LAPACKE_sposv(LAPACK_ROW_MAJOR, 'L', n, 1, A, n, b, 1), 0);
        for (int i = 0; i < n; i++) assert_float_near(x[i], b[i], 1e-4 * (1 + fabs(b[i])));
        /* the factor itself matches spotrf's (A now holds it, lower) */
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++) assert_float_near(L[i * n + j], A[i * n + j], 1e-3);
        free(A), free(L), free(b), free(x);
    }
}

/* Direct reference: Cholesky–Banachiewicz in double on the lower triangle. */
static void dchol_ref(const float *A, int n, int lda, double *L) {
    for (int i = 0; i < n; i++)
        for (int j = 0; j <= i; j++) {
            double s = A[(size_t)i * lda + j];
            for (int p = 0; p < j; p++) s -= L[(size_t)i * n + p] * L[(size_t)j * n + p];
            L[(size_t)i * n + j] = i == j ? sqrt(s) : s / L[(size_t)j * n + j];
        }
}

/* mfr__chol (both size classes) and mfr__chol_owned give the double factor
 * to float rounding, leave the strict upper triangle and the padding past n
 * alone, and solve to a small residual. */
static void chol_matches_double_reference(void **state) {
    (void)state;
    static const int ns[] = {1, 8, 33, MFR__CHOL_LAPACK_MIN - 1, MFR__CHOL_LAPACK_MIN,
                             MFR__CHOL_LAPACK_MIN + 1, 130, 257};
    for (size_t c = 0; c < sizeof ns / sizeof *ns; c++)
        for (int which = 0; which < 2; which++) {
            const int n = ns[c], lda = n + 3;
            float *A = malloc(sizeof(float) * n * n), *L = malloc(sizeof(float) * n * lda);
            float *x = malloc(sizeof(float) * n);
            double *R = malloc(sizeof(double) * n * n);
            spd(A, n, 100 + (uint64_t)n);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < lda; j++) L[(size_t)i * lda + j] = j <= i ? A[i * n + j] : -7.f;
            dchol_ref(L, n, lda, R);
            assert_int_equal(which ? mfr__chol_owned(L, n, lda) : mfr__chol(L, n, lda), 0);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < lda; j++) {
                    float v = L[(size_t)i * lda + j];
                    if (j > i) assert_true(v == -7.f);
                    else assert_float_near(v, R[(size_t)i * n + j], 2e-5 * sqrt(R[(size_t)j * n + j] * R[(size_t)j * n + j] + n));
                }
            for (int i = 0; i < n; i++) x[i] = (float)(i % 5) - 2.f;
            mfr__chol_solve(L, n, lda, x);
            double rn = 0, bn = 0;
            for (int i = 0; i < n; i++) {
                double r = -((double)(i % 5) - 2.0);
                for (int j = 0; j < n; j++) r += (double)A[i * n + j] * x[j];
                rn += r * r, bn += ((double)(i % 5) - 2.0) * ((double)(i % 5) - 2.0);
            }
            assert_true(sqrt(rn) <= 1e-5 * sqrt(bn) * n);
            free(A), free(L), free(x), free(R);
        }
}

static void chol_rejects_indefinite(void **state) {
    (void)state;
    float A[4] = {1, 0, 2, 1}; /* lower [[1],[2,1]]: eigenvalues 3, -1 */
    assert_int_equal(mfr__chol(A, 2, 2), -1);
    float Z[1] = {0};
    assert_int_equal(mfr__chol(Z, 1, 1), -1);
    /* the LAPACK size class too: a negative pivot deep inside */
    const int n = MFR__CHOL_LAPACK_MIN + 6;
    float *B = malloc(sizeof(float) * n * n);
    spd(B, n, 5);
    B[(size_t)(n - 3) * n + (n - 3)] = -1.f;
    assert_int_equal(mfr__chol(B, n, n), -1);
    free(B);
}

static void syr_and_dot_match_reference(void **state) {
    (void)state;
    enum { N = 37 };
    float x[N], y[N], A[N * N] = {0};
    double ref = 0;
    for (int i = 0; i < N; i++) x[i] = 0.1f * (float)i - 1.f, y[i] = 1.f / (1 + i), ref += (double)x[i] * y[i];
    assert_float_near(mfr__dot(x, y, N), ref, 1e-5);
    assert_float_near(mfr__dot(x, y, 0), 0.0, 0);
    mfr__syr_lower(A, N, N, x, 2.f);
    mfr__sym_fill_upper(A, N, N);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) assert_float_near(A[i * N + j], 2.0 * x[i] * x[j], 1e-6);
}

static void dense_matvec(const void *ctx, const float *x, float *y) {
    const float *A = ctx;
    for (int i = 0; i < 20; i++) y[i] = mfr__dot(A + (size_t)i * 20, x, 20);
}

/* mfr__cg_residual from x: the start residual b − A·x by one product. */
static int cg(const float *A, const float *b, float *x, int n, int steps, float tol2, float *scratch) {
    dense_matvec(A, x, scratch + 2 * n);
    for (int i = 0; i < n; i++) scratch[i] = b[i] - scratch[2 * n + i];
    return mfr__cg_residual(dense_matvec, A, x, n, steps, tol2, scratch);
}

static void cg_converges_to_cholesky_solution(void **state) {
    (void)state;
    enum { N = 20 };
    float A[N * N], L[N * N], b[N], x[N] = {0}, ref[N], scratch[3 * N];
    spd(A, N, 77);
    for (int i = 0; i < N; i++) b[i] = ref[i] = (float)sin(i);
    memcpy(L, A, sizeof L);
    assert_int_equal(mfr__chol(L, N, N), 0);
    mfr__chol_solve(L, N, N, ref);
    int it = cg(A, b, x, N, 100, 1e-12f, scratch);
    assert_true(it <= N + 5);
    for (int i = 0; i < N; i++) assert_float_near(x[i], ref[i], 1e-4);
    /* warm start at the solution: no step needed beyond the tolerance */
    assert_true(cg(A, b, x, N, 100, 1e-6f, scratch) <= 1);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chol_solve_matches_lapack),
        cmocka_unit_test(chol_matches_double_reference),
        cmocka_unit_test(chol_rejects_indefinite),
        cmocka_unit_test(syr_and_dot_match_reference),
        cmocka_unit_test(cg_converges_to_cholesky_solution),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
