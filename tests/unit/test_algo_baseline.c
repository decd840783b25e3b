/* test_algo_baseline.c — the baseline family (src/algo/baseline.c): the
 * closed-form alternating update on a case computed by hand, the SGD path
 * lowering the error, same seed -> same model, save/load round trip, and the
 * Surprise-level RMSE on ml-latest-small when the data is present. */
#include "test.h"
#include "data/dataset_impl.h"
#include "model/model_impl.h"

/* u0: i0=5, i1=3; u1: i0=4. μ = 4. */
static mfr_dataset *tiny(void) {
    static const int32_t u[] = {0, 0, 1}, i[] = {0, 1, 0};
    static const float r[] = {5, 3, 4};
    mfr_dataset *ds = NULL;
    assert_int_equal(mfr__dataset_from_arrays(2, 2, 3, u, i, r, NULL, &ds, NULL), MFR_OK);
    ds->scale_min = 0.5f, ds->scale_max = 5.f;
    return ds;
}

static void als_one_round_by_hand(void **state) {
    (void)state;
    mfr_dataset *ds = tiny();
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_BASELINE);
    p.epochs = 1;
    p.reg_bias = 3.f; /* reg_u = 3, reg_i = 2 */
    mfr_model *m = NULL;
    mfr_error err = {0};
    assert_int_equal(mfr_model_train(ds, NULL, NULL, &p, &m, &err), MFR_OK);
    /* b_i0 = (1 + 0)/(2+2) = .25; b_i1 = -1/(2+1);
     * b_u0 = ((5-4-.25) + (3-4+1/3)) / (3+2); b_u1 = (4-4-.25)/(3+1) */
    double bi0 = 0.25, bi1 = -1.0 / 3, bu0 = (0.75 + (-1 + 1.0 / 3)) / 5, bu1 = -0.0625;
    assert_float_near(m->mu, 4.0, 1e-6);
    assert_float_near(m->item_bias[0], bi0, 1e-6);
    assert_float_near(m->item_bias[1], bi1, 1e-6);
    assert_float_near(m->user_bias[0], bu0, 1e-6);
    assert_float_near(m->user_bias[1], bu1, 1e-6);
    assert_float_near(mfr_model_predict(m, 1, 1), 4 + bu1 + bi1, 1e-5);
    assert_float_near(mfr_model_predict(m, -1, 0), 4 + bi0, 1e-5); /* unknown user */
    mfr_model_info info;
    mfr_model_info_get(m, &info);
    assert_int_equal(info.factors, 0);
    mfr_model_free(m);
    mfr_dataset_free(ds);
}

/* A 30 x 20 matrix r = 3 + a_u + c_i, rounded to half stars. */
static mfr_dataset *additive(void) {
    int32_t u[600], i[600];
    float r[600];
    int n = 0;
    for (int a = 0; a < 30; a++)
        for (int b = 0; b < 20; b++) {
            if ((a * 7 + b * 3) % 4 == 0) continue;
            float v = 3.f + 0.05f * (a - 15) + 0.08f * (b - 10);
            u[n] = a, i[n] = b, r[n] = roundf(v * 2) / 2, n++;
        }
    mfr_dataset *ds = NULL;
    assert_int_equal(mfr__dataset_from_arrays(30, 20, n, u, i, r, NULL, &ds, NULL), MFR_OK);
    ds->scale_min = 0.5f, ds->scale_max = 5.f;
    return ds;
}

static double rmse_all(const mfr_model *m, const mfr_dataset *ds) {
    mfr_ratings r;
    mfr_dataset_ratings(ds, &r);
    double se = 0;
    for (int64_t j = 0; j < r.n; j++) {
        double e = mfr_model_predict(m, r.user[j], r.item[j]) - r.rating[j];
        se += e * e;
    }
    return sqrt(se / r.n);
}

static void sgd_fits_additive_data(void **state) {
    (void)state;
    mfr_dataset *ds = additive();
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_BASELINE);
    p.reg_bias = 0.02f; /* selects SGD */
    p.epochs = 50;
    p.lr = 0.02f;
    mfr_model *m = NULL, *m2 = NULL;
    assert_int_equal(mfr_model_train(ds, NULL, NULL, &p, &m, NULL), MFR_OK);
    assert_int_equal(mfr_model_train(ds, NULL, NULL, &p, &m2, NULL), MFR_OK);
    double e = rmse_all(m, ds);
    /* the mean alone leaves the spread of a_u + c_i, about 0.6 */
    assert_true(e < 0.3);
    assert_memory_equal(m->user_bias, m2->user_bias, 30 * sizeof(float));
    assert_memory_equal(m->item_bias, m2->item_bias, 20 * sizeof(float));
    mfr_model_free(m);
    mfr_model_free(m2);
    mfr_dataset_free(ds);
}

static void save_load_round_trip(void **state) {
    (void)state;
    mfr_dataset *ds = additive();
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_BASELINE);
    mfr_model *m = NULL, *l = NULL;
    mfr_error err = {0};
    assert_int_equal(mfr_model_train(ds, NULL, NULL, &p, &m, &err), MFR_OK);
    char path[512];
    snprintf(path, sizeof path, "%s/b.mfm", temp_dir());
    assert_int_equal(mfr_model_save(m, path, &err), MFR_OK);
    assert_int_equal(mfr_model_load(path, &l, &err), MFR_OK);
    for (int a = 0; a < 30; a++)
        for (int b = 0; b < 20; b++)
            assert_float_near(mfr_model_predict(l, a, b), mfr_model_predict(m, a, b), 0);
    remove(path);
    mfr_model_free(m);
    mfr_model_free(l);
    mfr_dataset_free(ds);
}

static void movielens_rmse_slow(void **state) {
    (void)state;
    const char *dir = movielens_dir();
    if (!dir) {
        print_message("skipped: MovieLens ml-latest-small not found (MFR_DATA_DIR)\n");
        skip();
    }
    mfr_dataset *ds = NULL;
    mfr_error err = {0};
    assert_int_equal(mfr_dataset_import(dir, NULL, &ds, &err), MFR_OK);
    double rmse = holdout_rmse(ds, MFR_ALGO_BASELINE);
    print_message("baseline held-out RMSE %.4f\n", rmse);
    assert_true(rmse < 0.885 && rmse > 0.8);
    mfr_dataset_free(ds);
}

static void fault_baseline_alloc_failures(void **state) {
    (void)state;
    mfr_dataset *ds = additive();
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_BASELINE);
    check_train_alloc_failures(ds, &p);
    p.reg_bias = 0.02f; /* the SGD path */
    check_train_alloc_failures(ds, &p);
    mfr_dataset_free(ds);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(als_one_round_by_hand),
        cmocka_unit_test(sgd_fits_additive_data),
        cmocka_unit_test(save_load_round_trip),
        cmocka_unit_test(movielens_rmse_slow),
        cmocka_unit_test(fault_baseline_alloc_failures),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
