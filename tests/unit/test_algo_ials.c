/* test_algo_ials.c — implicit ALS: the CG row solve against a direct
 * Cholesky solve of the full normal equations; held-out positives of a
 * clustered implicit data set rank above unseen items (AUC); same seed ->
 * same model for any thread count; save/load; the AVX2 kernels agree with
 * the scalar reference. */
#include "factors_common.h"
#include "linalg/linalg.h"

static void ials_cg_matches_cholesky(void **state) {
    (void)state;
    enum { K = 6, NO = 50, NR = 12 };
    mfr_rng rng;
    mfr_rng_seed(&rng, 4);
    float Y[NO * K];
    for (int j = 0; j < NO * K; j++) Y[j] = (float)(0.5 * mfr_rng_normal(&rng));
    int32_t idx[NR];
    float val[NR];
    for (int e = 0; e < NR; e++) idx[e] = 3 * e + 1, val[e] = (float)(1 + (e % 5));
    int64_t ptr[2] = {0, NR};
    mfr__rmat c = {1, NR, ptr, idx, val};
    const float lam = 0.3f, alpha = 0.7f;
    float X[K] = {0};
    mfr_error err;
    assert_int_equal(mfr__ials_solve_side(&c, Y, NO, K, lam, alpha, 50, X, 1, &err), MFR_OK);
    /* direct: A = YᵀY + λI + Σ α r y yᵀ, b = Σ (1 + α r) y */
    float A[K * K] = {0}, b[K] = {0};
    for (int j = 0; j < NO; j++) mfr__syr_lower(A, K, K, Y + j * K, 1.f);
    for (int f = 0; f < K; f++) A[f * K + f] += lam;
    for (int e = 0; e < NR; e++) {
        mfr__syr_lower(A, K, K, Y + idx[e] * K, alpha * val[e]);
        for (int f = 0; f < K; f++) b[f] += (1 + alpha * val[e]) * Y[idx[e] * K + f];
    }
    assert_int_equal(mfr__chol(A, K, K), 0);
    mfr__chol_solve(A, K, K, b);
    for (int f = 0; f < K; f++) assert_float_near(X[f], b[f], 1e-4);
    /* three steps from zero are not yet the solution, but closer than zero */
    float X3[K] = {0};
    assert_int_equal(mfr__ials_solve_side(&c, Y, NO, K, lam, alpha, 1, X3, 1, &err), MFR_OK);
    double d3 = 0, d0 = 0;
    for (int f = 0; f < K; f++) d3 += (X3[f] - b[f]) * (X3[f] - b[f]), d0 += b[f] * b[f];
    assert_true(d3 < d0);
}

extern int mfr__ials_kernel; /* ials.c: 0 = scalar reference, < 0 = auto */

/* The AVX2+FMA row kernels (used when k % 8 == 0 and the CPU has them) give
 * the scalar reference's result up to rounding: k = 8, 24 (a k % 16 and
 * k % 32 tail), 64; rows of 0, 1, 7, 300 and 4100 items (longer than the
 * 4096 that are copied contiguously). On a CPU without AVX2 both runs are
 * the reference and agree exactly. */
static void ials_simd_matches_scalar(void **state) {
    (void)state;
    enum { NO = 4200, NR = 5 };
    static const int32_t len[NR] = {0, 1, 7, 300, 4100};
    static const int32_t ks[3] = {8, 24, 64};
    int64_t ptr[NR + 1] = {0};
    for (int r = 0; r < NR; r++) ptr[r + 1] = ptr[r] + len[r];
    int32_t *idx = malloc(sizeof(int32_t) * (size_t)ptr[NR]);
    float *val = malloc(sizeof(float) * (size_t)ptr[NR]);
    mfr_rng rng;
    mfr_rng_seed(&rng, 11);
    for (int r = 0; r < NR; r++)
        for (int64_t e = ptr[r]; e < ptr[r + 1]; e++)
            idx[e] = (int32_t)((e - ptr[r]) * 7 % NO), val[e] = (float)(1 + mfr_rng_uniform(&rng) * 4);
    mfr__rmat c = {NR, ptr[NR], ptr, idx, val};
    for (int t = 0; t < 3; t++) {
        const int32_t K = ks[t];
        float *Y = malloc(sizeof(float) * NO * K), *Xs = malloc(sizeof(float) * NR * K),
              *Xv = malloc(sizeof(float) * NR * K);
        for (int j = 0; j < NO * K; j++) Y[j] = (float)(0.1 * mfr_rng_normal(&rng));
        for (int j = 0; j < NR * K; j++) Xs[j] = Xv[j] = (float)(0.1 * mfr_rng_normal(&rng));
        mfr_error err;
        mfr__ials_kernel = 0;
        assert_int_equal(mfr__ials_solve_side(&c, Y, NO, K, 0.1f, 2.f, 3, Xs, 1, &err), MFR_OK);
        mfr__ials_kernel = -1;
        assert_int_equal(mfr__ials_solve_side(&c, Y, NO, K, 0.1f, 2.f, 3, Xv, 2, &err), MFR_OK);
        for (int r = 0; r < NR; r++) {
            double nrm = 0;
            for (int f = 0; f < K; f++) nrm += (double)Xs[r * K + f] * Xs[r * K + f];
            for (int f = 0; f < K; f++)
                assert_float_near(Xv[r * K + f], Xs[r * K + f], 1e-4 * (1 + sqrt(nrm)));
        }
        free(Y), free(Xs), free(Xv);
    }
    free(idx), free(val);
}

/* 4 user groups x 4 item groups; a user rates ~40% of its group's items. */
static void clustered(mfr_dataset **ds, mfr_ratings *train, int32_t *hu, int32_t *hi, int *nh) {
    enum { NU = 200, NI = 120 };
    mfr_rng rng;
    mfr_rng_seed(&rng, 9);
    int32_t *u = malloc(4 * NU * NI), *it = malloc(4 * NU * NI);
    float *r = malloc(4 * NU * NI);
    int64_t n = 0;
    *nh = 0;
    for (int a = 0; a < NU; a++)
        for (int b = 0; b < NI; b++) {
            if (a % 4 != b % 4 || mfr_rng_uniform(&rng) > 0.4) continue;
            if (mfr_rng_uniform(&rng) < 0.1 && *nh < 1000) {
                hu[*nh] = a, hi[*nh] = b, (*nh)++;
                continue;
            }
            u[n] = a, it[n] = b, r[n] = (float)(3 + mfr_rng_below(&rng, 3)), n++;
        }
    mfr_error err;
    assert_int_equal(mfr__dataset_from_arrays(NU, NI, n, u, it, r, NULL, ds, &err), MFR_OK);
    mfr_dataset_ratings(*ds, train);
    free(u), free(it), free(r);
}

static void ials_ranks_heldout_positives_high(void **state) {
    (void)state;
    mfr_dataset *ds;
    mfr_ratings tr;
    int32_t hu[1000], hi[1000];
    int nh;
    clustered(&ds, &tr, hu, hi, &nh);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_IALS);
    p.factors = 8, p.epochs = 10;
    mfr_model *m = NULL;
    mfr_error err;
    assert_int_equal(mfr_model_train(ds, NULL, NULL, &p, &m, &err), MFR_OK);
    /* AUC: held-out positive vs every item of another group */
    long wins = 0, total = 0;
    for (int h = 0; h < nh; h++) {
        const float *pu = m->P + (size_t)hu[h] * m->k;
        float s = mfr__dot(pu, m->Q + (size_t)hi[h] * m->k, m->k);
        for (int32_t j = 0; j < m->n_items; j++) {
            if (j % 4 == hu[h] % 4) continue;
            wins += s > mfr__dot(pu, m->Q + (size_t)j * m->k, m->k);
            total++;
        }
    }
    double auc = (double)wins / (double)total;
    print_message("ials held-out AUC %.4f over %d positives\n", auc, nh);
    assert_true(nh > 50);
    assert_true(auc > 0.95);
    mfr_model_free(m);
    mfr_dataset_free(ds);
}

static void ials_same_seed_identical(void **state) {
    (void)state;
    lowrank L;
    lowrank_make(&L, 100, 80, 3, 0.3, 0.2, 5);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_IALS);
    p.factors = 8, p.epochs = 3, p.threads = 1;
    mfr_model *a = train_ok(&L, &p);
    p.threads = 2;
    mfr_model *b = train_ok(&L, &p);
    assert_models_identical(a, b);
    check_save_load(a, &L.test);
    mfr_model_free(a), mfr_model_free(b);
    lowrank_free(&L);
}

static void fault_ials_alloc_failures(void **state) {
    (void)state;
    check_alloc_failures(MFR_ALGO_IALS, 3);
}

/* ml-latest-small, 5 held-out ratings per user (>= 10 ratings), every
 * held-out movie relevant: defaults give P@10 well above most-popular's
 * 0.043 on this split (docs/perf/factors.md: 0.096). */
static void ials_movielens_precision_slow(void **state) {
    (void)state;
    const char *dir = movielens_dir();
    if (!dir) {
        print_message("ml-latest-small not found (MFR_DATA_DIR): skipped\n");
        return;
    }
    mfr_dataset *ds = NULL;
    mfr_error err;
    mfr_import_params ip = mfr_import_params_default();
    assert_int_equal(mfr_dataset_import(dir, &ip, &ds, &err), MFR_OK);
    mfr_ratings all, tr, te;
    mfr_dataset_ratings(ds, &all);
    int32_t *fold = malloc(sizeof(int32_t) * (size_t)all.n), nf;
    mfr_split_params sp = mfr_split_params_default();
    sp.kind = MFR_SPLIT_LEAVE_OUT, sp.leave_out = 5, sp.min_user_ratings = 10, sp.seed = 42;
    assert_int_equal(mfr_split_assign(&all, &sp, fold, &nf, &err), MFR_OK);
    assert_int_equal(mfr_ratings_select(&all, fold, 1, 0, &tr, &err), MFR_OK);
    assert_int_equal(mfr_ratings_select(&all, fold, 1, 1, &te, &err), MFR_OK);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_IALS);
    mfr_model *m = NULL;
    assert_int_equal(mfr_model_train(ds, &tr, NULL, &p, &m, &err), MFR_OK);
    mfr_ranking_params rp = mfr_ranking_params_default();
    rp.k = 10, rp.threshold = 0.f;
    mfr_ranking rk;
    assert_int_equal(mfr_eval_ranking(m, &te, &rp, &rk, &err), MFR_OK);
    print_message("ials P@10 %.4f NDCG@10 %.4f over %lld users\n", rk.precision, rk.ndcg,
                  (long long)rk.users_ranked);
    assert_true(rk.users_ranked > 500);
    assert_true(rk.precision > 0.07);
    mfr_model_free(m);
    mfr_ratings_free(&tr), mfr_ratings_free(&te);
    free(fold);
    mfr_dataset_free(ds);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ials_cg_matches_cholesky),
        cmocka_unit_test(ials_simd_matches_scalar),
        cmocka_unit_test(ials_ranks_heldout_positives_high),
        cmocka_unit_test(ials_same_seed_identical),
        cmocka_unit_test(fault_ials_alloc_failures),
        cmocka_unit_test(ials_movielens_precision_slow),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
