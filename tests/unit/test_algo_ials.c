/* test_algo_ials.c — implicit ALS: the CG and Cholesky row solves against
 * a direct solve of the Rendle et al. (2021) normal equations; held-out positives of a
 * clustered implicit data set rank above unseen items (AUC); same seed ->
 * same model for any thread count; save/load; the AVX2 kernels agree with
 * the scalar reference. */
#include "factors_common.h"
#include "linalg/linalg.h"


/* Direct solve, in double, of row r's normal equations
 *     (a0·YᵀY + λ·(n_r + a0·NO)^ν I + Σ c_i y_i y_iᵀ) x = Σ c_i y_i,  c_i = 1 + α·w_i. */
static void ials_direct(const mfr__csr *c, int r, const float *Y, int NO, int K, double lam,
                        double alpha, double a0, double nu, double *x) {
    double A[16 * 16] = {0};
    int64_t n = c->ptr[r + 1] - c->ptr[r];
    for (int j = 0; j < NO; j++)
        for (int f = 0; f < K; f++)
            for (int g = 0; g < K; g++) A[f * K + g] += a0 * Y[j * K + f] * Y[j * K + g];
    double lr = lam * pow((double)n + a0 * NO, nu);
    for (int f = 0; f < K; f++) A[f * K + f] += lr, x[f] = 0;
    for (int64_t e = c->ptr[r]; e < c->ptr[r + 1]; e++) {
        const float *y = Y + (size_t)c->idx[e] * K;
        double cw = 1 + alpha * c->val[e];
        for (int f = 0; f < K; f++) {
            x[f] += cw * y[f];
            for (int g = 0; g < K; g++) A[f * K + g] += cw * y[f] * y[g];
        }
    }
    for (int p = 0; p < K; p++) /* Gauss-Jordan, A is SPD: no pivoting */
        for (int q = 0; q < K; q++) {
            if (q == p) continue;
            double m = A[q * K + p] / A[p * K + p];
            for (int g = 0; g < K; g++) A[q * K + g] -= m * A[p * K + g];
            x[q] -= m * x[p];
        }
    for (int f = 0; f < K; f++) x[f] /= A[f * K + f];
}

/* Known answer for the normal equations: three rows (12, 3 and 0 rated
 * items, so λ_r differs per row) against 300 items at k = 6; the solution
 * of CG run to convergence (30 steps: the full-gramian products; 60 steps:
 * the eigenbasis path, chosen when it is cheaper) and of the exact Cholesky
 * solve (cg_steps = 0) equals a direct double-precision solve, for
 * Rendle et al.'s weights (α0 = 0.25, ν = 0.5) and for factor_util.h's
 * entry point (α0 = 1, ν = 0). A single CG step from zero is not yet the
 * solution but is closer than zero. */
static void ials_normal_equations_known_answer(void **state) {
    (void)state;
    enum { K = 6, NO = 300, NR = 15, ROWS = 3 };
    mfr__rng rng;
    mfr__rng_seed(&rng, 4);
    static float Y[NO * K];
    for (int j = 0; j < NO * K; j++) Y[j] = (float)(0.5 * mfr__rng_normal(&rng));
    int32_t idx[NR];
    float val[NR];
    for (int e = 0; e < NR; e++) idx[e] = 7 * e + 1, val[e] = (float)(0.2 * (1 + (e % 5)));
    int64_t ptr[ROWS + 1] = {0, 12, NR, NR};
    mfr__csr c = {ROWS, NR, ptr, idx, val};
    const float lam = 0.03f, alpha = 0.7f;
    const float a0s[2] = {0.25f, 1.f}, nus[2] = {0.5f, 0.f};
    const int steps[3] = {30, 60, 0};
    mfr_error err;
    for (int v = 0; v < 2; v++)
        for (int s = 0; s < 3; s++) {
            float X[ROWS * K];
            for (int j = 0; j < ROWS * K; j++) X[j] = 0.1f;
            if (v == 1 && s == 0)
                assert_int_equal(mfr__ials_solve_side(&c, Y, NO, K, lam, alpha, 1.f, 0.f, steps[s],
                                                      X, 1, NULL, &err),
                                 MFR_OK);
            else
                assert_int_equal(mfr__ials_solve_side(&c, Y, NO, K, lam, alpha, a0s[v], nus[v],
                                                      steps[s], X, 2, NULL, &err),
                                 MFR_OK);
            for (int r = 0; r < ROWS; r++) {
                double x[K], nrm = 0;
                ials_direct(&c, r, Y, NO, K, lam, alpha, a0s[v], nus[v], x);
                for (int f = 0; f < K; f++) nrm += x[f] * x[f];
                if (r < 2) assert_true(nrm > 1e-4); /* a non-trivial answer */
                for (int f = 0; f < K; f++) assert_float_near(X[r * K + f], x[f], 1e-4);
            }
        }
    /* one step from zero is not yet the solution, but closer than zero */
    float X1[ROWS * K] = {0};
    assert_int_equal(
        mfr__ials_solve_side(&c, Y, NO, K, lam, alpha, 0.25f, 0.5f, 1, X1, 1, NULL, &err), MFR_OK);
    double x[K], d1 = 0, d0 = 0;
    ials_direct(&c, 0, Y, NO, K, lam, alpha, 0.25, 0.5, x);
    for (int f = 0; f < K; f++) d1 += (X1[f] - x[f]) * (X1[f] - x[f]), d0 += x[f] * x[f];
    assert_true(d1 < d0 && d1 > 1e-8);
}

/* The AVX2+FMA row kernels and rotation GEMM (used when k % 8 == 0 and the
 * CPU has them) give the scalar reference's result up to rounding: k = 8,
 * 24 (a k % 16 and k % 32 tail), 64 and 256 (the unrolled copies); rows of
 * 0, 1, 7 (fewer than a block of 8), 300 (blocks and a tail of 4) and 4100
 * items (longer than the 4096 that are copied contiguously); against 4200
 * other-side rows (the full-gramian products) and against 40 (the eigenbasis
 * path: GEMMs of 5 and 40 rows, a tile of 6 and its tail; repeated items),
 * each with the Hu et al. weights (α0 = 1, ν = 0) and Rendle et al.'s
 * (α0 = 0.3, ν = 1). On a CPU without AVX2 both runs are the reference and
 * agree exactly. */
static void ials_simd_matches_scalar(void **state) {
    (void)state;
    enum { NR = 5 };
    static const int32_t len[NR] = {0, 1, 7, 300, 4100};
    static const int32_t ks[4] = {8, 24, 64, 256}, nos[2] = {4200, 40};
    int64_t ptr[NR + 1] = {0};
    for (int r = 0; r < NR; r++) ptr[r + 1] = ptr[r] + len[r];
    int32_t *idx = malloc(sizeof(int32_t) * (size_t)ptr[NR]);
    float *val = malloc(sizeof(float) * (size_t)ptr[NR]);
    mfr__rng rng;
    mfr__rng_seed(&rng, 11);
    for (int o = 0; o < 2; o++) {
        const int32_t NO = nos[o];
        for (int r = 0; r < NR; r++)
            for (int64_t e = ptr[r]; e < ptr[r + 1]; e++)
                idx[e] = (int32_t)((e - ptr[r]) * 7 % NO), val[e] = (float)(mfr__rng_uniform(&rng));
        mfr__csr c = {NR, ptr[NR], ptr, idx, val};
        for (int t = 0; t < 4; t++)
            for (int v = 0; v < 2; v++) {
                const int32_t K = ks[t];
                const float a0 = v ? 0.3f : 1.f, nu = v ? 1.f : 0.f, lam = v ? 0.01f : 0.1f;
                float *Y = malloc(sizeof(float) * NO * K), *Xs = malloc(sizeof(float) * NR * K),
                      *Xv = malloc(sizeof(float) * NR * K);
                for (int j = 0; j < NO * K; j++) Y[j] = (float)(0.1 * mfr__rng_normal(&rng));
                for (int j = 0; j < NR * K; j++) Xs[j] = Xv[j] = (float)(0.1 * mfr__rng_normal(&rng));
                mfr_error err;
                const mfr__kernels ref = {.scalar = 1};
                assert_int_equal(
                    mfr__ials_solve_side(&c, Y, NO, K, lam, 2.f, a0, nu, 3, Xs, 1, &ref, &err),
                    MFR_OK);
                assert_int_equal(
                    mfr__ials_solve_side(&c, Y, NO, K, lam, 2.f, a0, nu, 3, Xv, 2, NULL, &err),
                    MFR_OK);
                for (int r = 0; r < NR; r++) {
                    double nrm = 0;
                    for (int f = 0; f < K; f++) nrm += (double)Xs[r * K + f] * Xs[r * K + f];
                    for (int f = 0; f < K; f++)
                        assert_float_near(Xv[r * K + f], Xs[r * K + f], 1e-4 * (1 + sqrt(nrm)));
                }
                free(Y), free(Xs), free(Xv);
            }
    }
    free(idx), free(val);
}

/* The AVX-512F forms (k % 16 == 0, a CPU with AVX-512F) give the AVX2
 * forms' floats bit for bit (core/simd.h's rule: the model does not depend
 * on which the CPU has) and the scalar reference's up to rounding: k = 16
 * (one 16-column GEMM panel, the G·x tail of 16), 64 and 256 (the unrolled
 * copies, 32-column panels, G·x in 64s) and 80 (a panel of 32 and one of
 * 16, G·x 64 + 16); rows of 0, 1, 7, 300 and 4100 items, against 4200
 * other-side rows (the full gramian) and 40 (the eigenbasis: the GEMMs and
 * the gramian's tiles). The gramian alone is compared too, and a whole
 * fit at k = 16 gives the same model byte for byte. */
static void ials_avx512_matches_avx2_and_scalar(void **state) {
    (void)state;
    if (!mfr__cpu_avx512()) {
        print_message("skipped: this CPU has no AVX-512F\n");
        skip();
    }
    enum { NR = 5 };
    static const int32_t len[NR] = {0, 1, 7, 300, 4100};
    static const int32_t ks[4] = {16, 64, 80, 256}, nos[2] = {4200, 40};
    int64_t ptr[NR + 1] = {0};
    for (int r = 0; r < NR; r++) ptr[r + 1] = ptr[r] + len[r];
    int32_t *idx = malloc(sizeof(int32_t) * (size_t)ptr[NR]);
    float *val = malloc(sizeof(float) * (size_t)ptr[NR]);
    mfr__rng rng;
    mfr__rng_seed(&rng, 12);
    const mfr__kernels ref = {.scalar = 1}, no512 = {.no_avx512 = 1};
    for (int o = 0; o < 2; o++) {
        const int32_t NO = nos[o];
        for (int r = 0; r < NR; r++)
            for (int64_t e = ptr[r]; e < ptr[r + 1]; e++)
                idx[e] = (int32_t)((e - ptr[r]) * 5 % NO), val[e] = (float)(mfr__rng_uniform(&rng));
        mfr__csr c = {NR, ptr[NR], ptr, idx, val};
        for (int t = 0; t < 4; t++) {
            const int32_t K = ks[t];
            const float a0 = o ? 0.3f : 1.f, nu = o ? 1.f : 0.f, lam = o ? 0.01f : 0.1f;
            float *Y = malloc(sizeof(float) * NO * K), *Xs = malloc(sizeof(float) * NR * K),
                  *Xa = malloc(sizeof(float) * NR * K), *Xv = malloc(sizeof(float) * NR * K),
                  *Ga = malloc(sizeof(float) * K * K), *Gv = malloc(sizeof(float) * K * K);
            for (int j = 0; j < NO * K; j++) Y[j] = (float)(0.1 * mfr__rng_normal(&rng));
            for (int j = 0; j < NR * K; j++) Xs[j] = Xa[j] = Xv[j] = (float)(0.1 * mfr__rng_normal(&rng));
            mfr_error err;
            assert_int_equal(mfr__ials_solve_side(&c, Y, NO, K, lam, 2.f, a0, nu, 3, Xs, 1, &ref, &err), MFR_OK);
            assert_int_equal(mfr__ials_solve_side(&c, Y, NO, K, lam, 2.f, a0, nu, 3, Xa, 2, &no512, &err), MFR_OK);
            assert_int_equal(mfr__ials_solve_side(&c, Y, NO, K, lam, 2.f, a0, nu, 3, Xv, 1, NULL, &err), MFR_OK);
            assert_memory_equal(Xa, Xv, sizeof(float) * NR * K);
            for (int r = 0; r < NR; r++) {
                double nrm = 0;
                for (int f = 0; f < K; f++) nrm += (double)Xs[r * K + f] * Xs[r * K + f];
                if (len[r]) assert_true(nrm > 1e-6); /* a row that was solved */
                for (int f = 0; f < K; f++)
                    assert_float_near(Xv[r * K + f], Xs[r * K + f], 1e-4 * (1 + sqrt(nrm)));
            }
            assert_int_equal(mfr__ials_gram(Y, NO, K, a0, Ga, 2, &no512, &err), MFR_OK);
            assert_int_equal(mfr__ials_gram(Y, NO, K, a0, Gv, 1, NULL, &err), MFR_OK);
            for (int i = 0; i < K; i++) /* the lower triangle is the gramian */
                assert_memory_equal(Ga + (size_t)i * K, Gv + (size_t)i * K, sizeof(float) * (size_t)(i + 1));
            free(Y), free(Xs), free(Xa), free(Xv), free(Ga), free(Gv);
        }
    }
    free(idx), free(val);
    /* a whole fit (both halves, the baseline, 3 epochs, 2 threads) at k = 16:
     * the same model byte for byte */
    lowrank L;
    lowrank_make(&L, 100, 80, 3, 0.3, 0.2, 6);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_IALS);
    p.factors = 16, p.epochs = 3, p.threads = 2;
    mfr_model *a = train_ok(&L, &p), *b = NULL;
    mfr_error err;
    assert_int_equal(mfr__model_train_with(L.ds, &L.train, NULL, &p, &no512, &b, &err), MFR_OK);
    assert_models_identical(a, b);
    mfr_model_free(a), mfr_model_free(b);
    lowrank_free(&L);
}

/* 4 user groups x 4 item groups; a user rates ~40% of its group's items. */
static void clustered(mfr_dataset **ds, mfr_ratings *train, int32_t *hu, int32_t *hi, int *nh) {
    enum { NU = 200, NI = 120 };
    mfr__rng rng;
    mfr__rng_seed(&rng, 9);
    int32_t *u = malloc(4 * NU * NI), *it = malloc(4 * NU * NI);
    float *r = malloc(4 * NU * NI);
    int64_t n = 0;
    *nh = 0;
    for (int a = 0; a < NU; a++)
        for (int b = 0; b < NI; b++) {
            if (a % 4 != b % 4 || mfr__rng_uniform(&rng) > 0.4) continue;
            if (mfr__rng_uniform(&rng) < 0.1 && *nh < 1000) {
                hu[*nh] = a, hi[*nh] = b, (*nh)++;
                continue;
            }
            u[n] = a, it[n] = b, r[n] = (float)(3 + mfr__rng_below(&rng, 3)), n++;
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
 * 0.043 on this split (docs/perf/factors.md: 0.106; Hu et al.'s form with
 * the previous defaults gave 0.096). */
static void ials_movielens_precision_slow(void **state) {
    (void)state;
    mfr_split_params sp = mfr_split_params_default();
    sp.kind = MFR_SPLIT_LEAVE_OUT, sp.leave_out = 5, sp.min_user_ratings = 10, sp.seed = 42;
    mfr_dataset *ds = NULL;
    mfr_ratings tr, te;
    if (!movielens_split(&sp, &ds, &tr, &te)) return;
    mfr_error err;
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
    assert_true(rk.precision > 0.09);
    mfr_model_free(m);
    mfr_ratings_free(&tr), mfr_ratings_free(&te);
    mfr_dataset_free(ds);
}

/* A user not in the model: the list's scores are x·q_i with x the exact
 * solve of the user half-step (checked against the direct double solve),
 * the stars the baseline's; a save/load keeps both. */
static void ials_new_user_closed_form(void **state) {
    (void)state;
    enum { NU = 40, NI = 30, K = 6 };
    int32_t u[NU * NI], it[NU * NI];
    float r[NU * NI];
    int64_t n = 0;
    for (int a = 0; a < NU; a++)
        for (int b = 0; b < NI; b++)
            if ((a * 7 + b * 11) % 4 == 0) u[n] = a, it[n] = b, r[n++] = (float)(1 + (a * 3 + b) % 5);
    mfr_dataset *ds;
    mfr_error err;
    assert_int_equal(mfr__dataset_from_arrays(NU, NI, n, u, it, r, NULL, &ds, &err), MFR_OK);
    ds->scale_min = 0.5f, ds->scale_max = 5.0f;
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_IALS);
    p.factors = K, p.epochs = 4, p.threads = 1;
    mfr_model *m = NULL;
    assert_int_equal(mfr_model_train(ds, NULL, NULL, &p, &m, &err), MFR_OK);
    int32_t items[4] = {2, 9, 17, 25};
    float rat[4] = {5.f, 4.f, 1.5f, 3.f};
    /* the reference: the direct solve with the model's parameters */
    float val[4];
    for (int j = 0; j < 4; j++) val[j] = powf(rat[j] / 5.f, p.rating_power);
    int64_t ptr[2] = {0, 4};
    mfr__csr c = {1, 4, ptr, items, val};
    double x[K];
    ials_direct(&c, 0, m->Q, NI, K, p.reg, p.alpha, p.unobserved, p.reg_exp, x);
    float scores[NI];
    mfr_recommend_params rp = mfr_recommend_params_default();
    rp.n = 5, rp.min_ratings = 1, rp.scores = scores;
    mfr_scored out[5];
    int32_t got = 0;
    float *vec = calloc(K + 1, sizeof *vec);
    assert_int_equal(mfr_model_fold_in(m, items, rat, 4, vec, &err), MFR_OK);
    assert_int_equal(mfr_model_recommend_vec(m, vec, items, rat, 4, &rp, out, &got, &err), MFR_OK);
    assert_int_equal(got, 5);
    for (int i = 0; i < NI; i++) {
        double want = 0;
        for (int f = 0; f < K; f++) want += x[f] * m->Q[i * K + f];
        assert_float_near(scores[i], want, 1e-3 * (1 + fabs(want)));
    }
    for (int j = 0; j < got; j++) {
        for (int q = 0; q < 4; q++) assert_int_not_equal(out[j].item, items[q]);
        float base = m->mu + m->item_bias[out[j].item];
        assert_float_near(out[j].prediction, base < 0.5f ? 0.5f : base > 5.f ? 5.f : base, 1e-5);
    }
    /* a trained user: ranked by p_u·q_i, stars μ + b_u + b_i */
    rp.scores = scores;
    assert_int_equal(mfr_model_recommend(m, 3, &rp, out, &got, &err), MFR_OK);
    for (int i = 0; i < NI; i++) {
        double want = 0;
        for (int f = 0; f < K; f++) want += (double)m->P[3 * K + f] * m->Q[i * K + f];
        assert_float_near(scores[i], want, 1e-4 * (1 + fabs(want)));
    }
    float pr = mfr_model_predict(m, 3, out[0].item);
    assert_float_near(pr, m->mu + m->user_bias[3] + m->item_bias[out[0].item], 1e-5);
    char path[512];
    snprintf(path, sizeof path, "%s/i.mfm", temp_dir());
    mfr_model *l = NULL;
    assert_int_equal(mfr_model_save(m, path, &err), MFR_OK);
    assert_int_equal(mfr_model_load(path, &l, &err), MFR_OK);
    float s2[NI];
    rp.scores = s2;
    assert_int_equal(mfr_model_recommend_vec(l, vec, items, rat, 4, &rp, out, &got, &err), MFR_OK);
    rp.scores = scores;
    assert_int_equal(mfr_model_recommend_vec(m, vec, items, rat, 4, &rp, out, &got, &err), MFR_OK);
    assert_memory_equal(scores, s2, sizeof s2);
    free(vec);
    mfr_model_free(l);
    mfr_model_free(m);
    mfr_dataset_free(ds);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ials_normal_equations_known_answer),
        cmocka_unit_test(ials_new_user_closed_form),
        cmocka_unit_test(ials_simd_matches_scalar),
        cmocka_unit_test(ials_avx512_matches_avx2_and_scalar),
        cmocka_unit_test(ials_ranks_heldout_positives_high),
        cmocka_unit_test(ials_same_seed_identical),
        cmocka_unit_test(fault_ials_alloc_failures),
        cmocka_unit_test(ials_movielens_precision_slow),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
