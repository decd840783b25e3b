/* test_algo_part.c — the pieces a distributed fit is made of (src/algo/
 * part.h, issue 9), in one process: the compressed rows of a row range are
 * those rows of the whole view; a range's rows solved by the ALS and iALS
 * row solvers equal the same rows of a whole-side solve bit for bit (what
 * makes P ranks train the one-process model); the iALS gramian of a split
 * side, summed, is the whole side's to rounding. */
#include "factors_common.h"

enum { NU = 57, NI = 41, NNZ = 900 };

static mfr_ratings random_ratings(int32_t *u, int32_t *i, float *r, uint64_t seed) {
    mfr__rng rng;
    mfr__rng_seed(&rng, seed);
    for (int j = 0; j < NNZ; j++) {
        u[j] = (int32_t)(mfr__rng_next(&rng) % NU);
        i[j] = (int32_t)(mfr__rng_next(&rng) % NI);
        r[j] = 0.5f + (float)(mfr__rng_next(&rng) % 10) * 0.5f;
    }
    return (mfr_ratings){NNZ, NU, NI, u, i, r, NULL};
}

static void csr_range_is_rows_of_whole(void **state) {
    (void)state;
    int32_t u[NNZ], i[NNZ];
    float r[NNZ];
    mfr_ratings R = random_ratings(u, i, r, 3);
    mfr_error err;
    for (int by_item = 0; by_item < 2; by_item++) {
        mfr__csr all, part;
        int32_t rows = by_item ? NI : NU;
        assert_int_equal(mfr__csr_rows(&R, NU, NI, by_item, &all, &err), MFR_OK);
        const int32_t cuts[][2] = {{0, rows}, {0, 0}, {5, 19}, {rows - 1, rows}, {rows, rows}};
        for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
            int32_t lo = cuts[c][0], hi = cuts[c][1];
            assert_int_equal(mfr__csr_rows_range(&R, NU, NI, by_item, lo, hi, &part, &err), MFR_OK);
            assert_int_equal(part.rows, hi - lo);
            assert_int_equal(part.nnz, all.ptr[hi] - all.ptr[lo]);
            for (int32_t x = 0; x < part.rows; x++) {
                int64_t n = part.ptr[x + 1] - part.ptr[x];
                assert_int_equal(n, all.ptr[lo + x + 1] - all.ptr[lo + x]);
                assert_memory_equal(part.idx + part.ptr[x], all.idx + all.ptr[lo + x], 4 * (size_t)n);
                assert_memory_equal(part.val + part.ptr[x], all.val + all.ptr[lo + x], 4 * (size_t)n);
            }
            mfr__csr_free(&part);
        }
        mfr__csr_free(&all);
    }
}

static void csr_range_outside_is_invalid(void **state) {
    (void)state;
    int32_t u[NNZ], i[NNZ];
    float r[NNZ];
    mfr_ratings R = random_ratings(u, i, r, 4);
    mfr_error err;
    mfr__csr c;
    assert_int_equal(mfr__csr_rows_range(&R, NU, NI, 0, -1, 3, &c, &err), MFR_E_INVALID);
    assert_int_equal(mfr__csr_rows_range(&R, NU, NI, 0, 4, 3, &c, &err), MFR_E_INVALID);
    assert_int_equal(mfr__csr_rows_range(&R, NU, NI, 1, 0, NI + 1, &c, &err), MFR_E_INVALID);
    assert_non_null(strstr(err.message, "outside"));
}

/* Rows lo..hi-1 solved alone (as rank q solves its share) = those rows of
 * the whole solve: ALS, and iALS with the whole side's gramian (exact and
 * CG, with and without the eigenbasis rotation the row count picks). */
static void share_solve_equals_whole(void **state) {
    (void)state;
    enum { K = 8 };
    int32_t u[NNZ], i[NNZ];
    float r[NNZ];
    mfr_ratings R = random_ratings(u, i, r, 5);
    mfr_error err;
    float Y[NI * K], yb[NI], Xw[NU * K], xbw[NU], Xs[NU * K], xbs[NU];
    mfr__fill_normal(Y, NI * K, 0.3f, 9, 1);
    for (int j = 0; j < NI; j++) yb[j] = 0.01f * (float)j;
    mfr__csr all;
    assert_int_equal(mfr__csr_rows(&R, NU, NI, 0, &all, &err), MFR_OK);
    const int32_t cuts[] = {0, 13, 14, 40, NU};
    assert_int_equal(mfr__als_solve_side(&all, Y, yb, 3.f, K, 0.1f, 0.02f, Xw, xbw, 2, &err), MFR_OK);
    for (int q = 0; q < 4; q++) {
        mfr__csr part;
        assert_int_equal(mfr__csr_rows_range(&R, NU, NI, 0, cuts[q], cuts[q + 1], &part, &err), MFR_OK);
        assert_int_equal(mfr__als_solve_side(&part, Y, yb, 3.f, K, 0.1f, 0.02f, Xs + cuts[q] * K,
                                             xbs + cuts[q], 1, &err), MFR_OK);
        mfr__csr_free(&part);
    }
    assert_memory_equal(Xs, Xw, sizeof Xw);
    assert_memory_equal(xbs, xbw, sizeof xbw);
    const int steps[] = {0, 3};
    for (int s = 0; s < 2; s++) {
        mfr__fill_normal(Xw, NU * K, 0.1f, 11, 2);
        memcpy(Xs, Xw, sizeof Xw);
        assert_int_equal(mfr__ials_solve_side(&all, Y, NI, K, 0.05f, 2.f, 0.5f, 1.f, steps[s], Xw, 2,
                                              NULL, &err), MFR_OK);
        for (int q = 0; q < 4; q++) {
            float G[K * K + K];
            assert_int_equal(mfr__ials_gram(Y, NI, K, 0.5f, G, 1, NULL, &err), MFR_OK);
            mfr__csr part;
            assert_int_equal(mfr__csr_rows_range(&R, NU, NI, 0, cuts[q], cuts[q + 1], &part, &err), MFR_OK);
            assert_int_equal(mfr__ials_solve_gram(&part, Y, NI, G, NU, K, 0.05f, 2.f, 0.5f, 1.f, steps[s],
                                                  Xs + cuts[q] * K, 1, NULL, &err), MFR_OK);
            mfr__csr_free(&part);
        }
        assert_memory_equal(Xs, Xw, sizeof Xw);
    }
    mfr__csr_free(&all);
}

/* a0·YᵀY of Y's rows in three blocks, summed, is the whole gramian to rounding. */
static void split_gramian_sums_to_whole(void **state) {
    (void)state;
    enum { K = 16, N = 301 };
    float Y[N * K], G[K * K + K], S[K * K + K] = {0}, part[K * K + K];
    mfr__fill_normal(Y, N * K, 1.f, 13, 1);
    mfr_error err;
    assert_int_equal(mfr__ials_gram(Y, N, K, 1.5f, G, 2, NULL, &err), MFR_OK);
    const int cuts[] = {0, 100, 101, N};
    for (int q = 0; q < 3; q++) {
        assert_int_equal(mfr__ials_gram(Y + cuts[q] * K, cuts[q + 1] - cuts[q], K, 1.5f, part, 1,
                                        NULL, &err), MFR_OK);
        for (int j = 0; j < K * K; j++) S[j] += part[j];
    }
    for (int a = 0; a < K; a++)
        for (int b = 0; b <= a; b++) /* the lower triangle is the result */
            assert_float_equal(S[a * K + b], G[a * K + b], 1e-4 * (1 + fabsf(G[a * K + b])));
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(csr_range_is_rows_of_whole),
        cmocka_unit_test(csr_range_outside_is_invalid),
        cmocka_unit_test(share_solve_equals_whole),
        cmocka_unit_test(split_gramian_sums_to_whole),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
