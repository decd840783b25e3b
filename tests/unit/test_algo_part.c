/* test_algo_part.c — the pieces a distributed fit is made of (src/algo/
 * part.h, issue 9), in one process: the compressed rows of a row range are
 * those rows of the whole view; a range's rows solved by the ALS and iALS
 * row solvers equal the same rows of a whole-side solve bit for bit (what
 * makes P ranks train the one-process model), iALS's in-place share solve
 * too; the iALS gramian of a split
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

/* A share's solve rotating Y and X in place (mfr__ials_solve_share) gives
 * the rows mfr__ials_solve_gram gives through copies, bit for bit, and
 * gives back the share's own rows of Y bit for bit, the others rotated
 * (changed): with and without the rotation (CG, exact), the AVX2 and the
 * reference kernels (k = 16) and BLAS's GEMM (k = 12), Y longer than one
 * rotation block (256 rows), on one and two threads. */
static void share_solve_in_place_equals_copy(void **state) {
    (void)state;
    enum { NY = 700, NX = 90, PER = 12 };
    const int32_t keeps[][2] = {{0, 0}, {0, 300}, {250, 520}, {600, NY}, {0, NY}};
    const int32_t ks[] = {16, 12}, steps[] = {3, 0};
    const mfr__kernels ref = {.scalar = 1};
    int64_t ptr[NX + 1];
    int32_t idx[NX * PER];
    float val[NX * PER];
    for (int32_t r = 0; r <= NX; r++) ptr[r] = (int64_t)r * PER;
    for (int e = 0; e < NX * PER; e++) idx[e] = (int32_t)((e * 37 + e / PER) % NY), val[e] = 0.25f * (float)(e % 5);
    mfr__csr c = {NX, NX * PER, ptr, idx, val};
    float *Y = malloc(sizeof(float) * NY * 16), *Yw = malloc(sizeof(float) * NY * 16);
    float *Xc = malloc(sizeof(float) * NX * 16), *Xi = malloc(sizeof(float) * NX * 16);
    float G[16 * 16 + 16], Gi[16 * 16 + 16];
    mfr_error err;
    for (int t = 0; t < 2; t++)
        for (int s = 0; s < 2; s++)
            for (int kern = 0; kern < 2; kern++)
                for (size_t q = 0; q < sizeof keeps / sizeof keeps[0]; q++) {
                    const int32_t K = ks[t], k0 = keeps[q][0], k1 = keeps[q][1];
                    const int threads = 1 + (int)(q % 2);
                    const size_t ny = sizeof(float) * NY * (size_t)K, nx = sizeof(float) * NX * (size_t)K;
                    mfr__fill_normal(Y, (int64_t)NY * K, 0.3f, 21, 1);
                    mfr__fill_normal(Xc, (int64_t)NX * K, 0.1f, 22, 2);
                    memcpy(Yw, Y, ny), memcpy(Xi, Xc, nx);
                    assert_int_equal(mfr__ials_gram(Y, NY, K, 0.5f, G, 1, NULL, &err), MFR_OK);
                    memcpy(Gi, G, sizeof G);
                    /* rows_all = NX rotates (700 + 180 < 12·90) unless exact */
                    assert_int_equal(mfr__ials_solve_gram(&c, Y, NY, G, NX, K, 0.05f, 2.f, 0.5f, 1.f,
                                                          steps[s], Xc, threads, kern ? &ref : NULL, &err),
                                     MFR_OK);
                    assert_int_equal(mfr__ials_solve_share(&c, Yw, NY, k0, k1, Gi, NX, K, 0.05f, 2.f,
                                                           0.5f, 1.f, steps[s], Xi, threads,
                                                           kern ? &ref : NULL, &err),
                                     MFR_OK);
                    assert_memory_equal(Xi, Xc, nx);
                    assert_memory_equal(Yw + (size_t)k0 * K, Y + (size_t)k0 * K,
                                        sizeof(float) * (size_t)(k1 - k0) * K);
                    /* the other rows: rotated when the solve rotated, else untouched */
                    int changed = k0 > 0 && memcmp(Yw, Y, sizeof(float) * (size_t)k0 * K) != 0;
                    if (k1 < NY)
                        changed |= memcmp(Yw + (size_t)k1 * K, Y + (size_t)k1 * K,
                                          sizeof(float) * (size_t)(NY - k1) * K) != 0;
                    assert_int_equal(changed, steps[s] > 0 && (k0 > 0 || k1 < NY));
                }
    free(Y), free(Yw), free(Xc), free(Xi);
}

/* Each allocation of the in-place share solve failing in turn: MFR_E_NOMEM,
 * Y and X as they were (nothing is rotated before every buffer is held),
 * no leak (ASan); then it succeeds. */
static void fault_share_solve_alloc_failures(void **state) {
    (void)state;
    enum { NY = 300, NX = 40, PER = 6, K = 8 };
    int64_t ptr[NX + 1];
    int32_t idx[NX * PER];
    float val[NX * PER], Y[NY * K], Y0[NY * K], X[NX * K], X0[NX * K], G[K * K + K];
    for (int32_t r = 0; r <= NX; r++) ptr[r] = (int64_t)r * PER;
    for (int e = 0; e < NX * PER; e++) idx[e] = (int32_t)(e * 13 % NY), val[e] = 1.f;
    mfr__csr c = {NX, NX * PER, ptr, idx, val};
    mfr__fill_normal(Y0, NY * K, 0.3f, 5, 1);
    mfr__fill_normal(X0, NX * K, 0.1f, 6, 2);
    mfr_error err;
    mfr_status st = MFR_E_NOMEM;
    long n = 0;
    for (; st == MFR_E_NOMEM && n < 100; n++) {
        memcpy(Y, Y0, sizeof Y), memcpy(X, X0, sizeof X);
        assert_int_equal(mfr__ials_gram(Y, NY, K, 0.5f, G, 1, NULL, &err), MFR_OK);
        mfr__alloc_fail_after(n);
        st = mfr__ials_solve_share(&c, Y, NY, 100, 200, G, NX, K, 0.05f, 2.f, 0.5f, 1.f, 3, X, 2,
                                   NULL, &err);
        mfr__alloc_fail_after(-1);
        if (st == MFR_E_NOMEM) {
            assert_memory_equal(Y, Y0, sizeof Y);
            assert_memory_equal(X, X0, sizeof X);
        }
    }
    assert_int_equal(st, MFR_OK);
    assert_true(n > 4); /* scratch, gather copies, kept rows, blocks, G0 */
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
        cmocka_unit_test(share_solve_in_place_equals_copy),
        cmocka_unit_test(fault_share_solve_alloc_failures),
        cmocka_unit_test(split_gramian_sums_to_whole),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
