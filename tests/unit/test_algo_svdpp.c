/* test_algo_svdpp.c — SVD++: one epoch on a tiny problem against the update
 * rules computed by hand in double (including the batched y update and the
 * final fold of the implicit term into P), the AVX2 step against the plain
 * one, recovery of a low-rank matrix, same seed -> same model, save/load. */
#include "factors_common.h"

#include <math.h>
#include <stdlib.h>

/* One user, three items, k = K <= 16, one epoch, no shuffle effect (one
 * user). K = 2 runs only the scalar tails of the AVX2 step; K = 11 its 8-wide
 * body and a tail. */
static void check_one_epoch(const int K) {
    enum { MAXK = 16, NI = 3 };
    assert_true(K <= MAXK);
    int32_t u[NI] = {0, 0, 0}, it[NI] = {0, 1, 2};
    float r[NI] = {4.f, 2.f, 5.f};
    mfr_dataset *ds;
    mfr_error err;
    assert_int_equal(mfr__dataset_from_arrays(1, NI, NI, u, it, r, NULL, &ds, &err), MFR_OK);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_SVDPP);
    p.factors = K, p.epochs = 1, p.lr = 0.05f, p.reg = 0.1f, p.reg_bias = 0.2f;
    p.init_std = 0.3f, p.seed = 17, p.lr_decay = 1.f;
    mfr_model *m = NULL;
    assert_int_equal(mfr_model_train(ds, NULL, NULL, &p, &m, &err), MFR_OK);
    /* reference: same initial factors (streams 1 and 2 of the seed), y = 0 */
    float P0[MAXK], Q0[NI * MAXK];
    mfr__fill_normal(P0, K, p.init_std, p.seed, 1);
    mfr__fill_normal(Q0, NI * K, p.init_std, p.seed, 2);
    double mu = (4 + 2 + 5) / 3.0, bu = 0, bi[NI] = {0}, pu[MAXK], q[NI][MAXK], y[NI][MAXK] = {{0}};
    double g[MAXK] = {0};
    for (int f = 0; f < K; f++) pu[f] = P0[f];
    for (int i = 0; i < NI; i++)
        for (int f = 0; f < K; f++) q[i][f] = Q0[i * K + f];
    double lr = p.lr, z[MAXK] = {0}, nrm = 1 / sqrt(3.0);
    for (int i = 0; i < NI; i++) {
        double pred = mu + bu + bi[i], e;
        for (int f = 0; f < K; f++) pred += q[i][f] * (pu[f] + z[f]);
        e = r[i] - pred;
        bu += lr * (e - p.reg_bias * bu);
        bi[i] += lr * (e - p.reg_bias * bi[i]);
        for (int f = 0; f < K; f++) {
            double qf = q[i][f], pf = pu[f];
            q[i][f] += lr * (e * (pf + z[f]) - p.reg * qf);
            pu[f] += lr * (e * qf - p.reg * pf);
            g[f] += e * qf;
        }
    }
    for (int j = 0; j < NI; j++)
        for (int f = 0; f < K; f++) y[j][f] += lr * nrm * g[f] - lr * p.reg * 3 * y[j][f];
    for (int f = 0; f < K; f++) {
        double zf = nrm * (y[0][f] + y[1][f] + y[2][f]);
        assert_float_near(m->P[f], pu[f] + zf, 1e-5);
        for (int i = 0; i < NI; i++) assert_float_near(m->Q[i * K + f], q[i][f], 1e-5);
    }
    assert_float_near(m->user_bias[0], bu, 1e-5);
    for (int i = 0; i < NI; i++) assert_float_near(m->item_bias[i], bi[i], 1e-5);
    mfr_model_free(m);
    mfr_dataset_free(ds);
}

static void svdpp_one_epoch_matches_hand_computation(void **state) {
    (void)state;
    check_one_epoch(2);
    check_one_epoch(11);
}

/* The AVX2 step (picked when the CPU has AVX2+FMA) against the plain one
 * (kernel switch scalar): same updates, the dot product summed in another order,
 * so after 5 epochs the models agree to float rounding. k = 20 covers the
 * 8-wide body and a scalar tail. */
static void svdpp_avx2_matches_scalar(void **state) {
    (void)state;
    if (!mfr__cpu_avx2()) {
        print_message("no AVX2+FMA: skipped\n");
        return;
    }
    lowrank L;
    lowrank_make(&L, 120, 90, 3, 0.3, 0.2, 7);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_SVDPP);
    p.factors = 20, p.epochs = 5;
    const mfr__kernels ref = {.scalar = 1};
    mfr_model *a = NULL, *b = NULL;
    mfr_error err;
    assert_int_equal(mfr__model_train_with(L.ds, &L.train, NULL, &p, &ref, &a, &err), MFR_OK);
    assert_int_equal(mfr__model_train_with(L.ds, &L.train, NULL, &p, NULL, &b, &err), MFR_OK);
    double worst = 0;
    for (int64_t j = 0; j < (int64_t)a->n_users * a->k; j++)
        worst = fmax(worst, fabs(a->P[j] - b->P[j]) / (1e-3 + fabs(a->P[j])));
    for (int64_t j = 0; j < (int64_t)a->n_items * a->k; j++)
        worst = fmax(worst, fabs(a->Q[j] - b->Q[j]) / (1e-3 + fabs(a->Q[j])));
    for (int32_t u = 0; u < a->n_users; u++)
        worst = fmax(worst, fabs(a->user_bias[u] - b->user_bias[u]) / (1e-3 + fabs(a->user_bias[u])));
    for (int32_t i = 0; i < a->n_items; i++)
        worst = fmax(worst, fabs(a->item_bias[i] - b->item_bias[i]) / (1e-3 + fabs(a->item_bias[i])));
    print_message("svdpp avx2 vs scalar: largest relative difference %.3g\n", worst);
    assert_true(worst < 1e-3);
    assert_float_near(rmse_on(a, &L.test), rmse_on(b, &L.test), 1e-5);
    mfr_model_free(a), mfr_model_free(b);
    lowrank_free(&L);
}

static void svdpp_recovers_lowrank(void **state) {
    (void)state;
    lowrank L;
    lowrank_make(&L, 300, 200, 3, 0.25, 0.1, 13);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_SVDPP);
    p.factors = 8, p.epochs = 60, p.lr = 0.02f, p.reg = 0.02f, p.lr_decay = 0.98f;
    mfr_model *m = train_ok(&L, &p);
    double te = rmse_on(m, &L.test);
    print_message("svdpp test RMSE %.4f (noise 0.1, signal ~0.7)\n", te);
    assert_true(te < 0.25);
    mfr_model_free(m);
    lowrank_free(&L);
}

static void svdpp_same_seed_identical(void **state) {
    (void)state;
    lowrank L;
    lowrank_make(&L, 100, 80, 3, 0.3, 0.2, 5);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_SVDPP);
    p.factors = 8, p.epochs = 5;
    mfr_model *a = train_ok(&L, &p), *b = train_ok(&L, &p);
    assert_models_identical(a, b);
    check_save_load(a, &L.test);
    mfr_model_free(a), mfr_model_free(b);
    lowrank_free(&L);
}

static void fault_svdpp_alloc_failures(void **state) {
    (void)state;
    check_alloc_failures(MFR_ALGO_SVDPP, 3);
}

/* Defaults on real data: better than Surprise SVD++ 0.8642. */
static void svdpp_movielens_rmse_slow(void **state) {
    (void)state;
    double r = movielens_rmse(MFR_ALGO_SVDPP);
    if (isnan(r)) return;
    assert_true(r < 0.860);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(svdpp_one_epoch_matches_hand_computation),
        cmocka_unit_test(svdpp_avx2_matches_scalar),
        cmocka_unit_test(svdpp_recovers_lowrank),
        cmocka_unit_test(svdpp_same_seed_identical),
        cmocka_unit_test(fault_svdpp_alloc_failures),
        cmocka_unit_test(svdpp_movielens_rmse_slow),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
