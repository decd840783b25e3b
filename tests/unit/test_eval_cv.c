/* test_eval_cv.c — evaluation that trains models: accuracy with cold users
 * and items, ranking bookkeeping, cross-validation determinism across thread
 * counts, and the parameter search choosing the best point of a constructed
 * grid. Data: small synthetic MovieLens-shaped sets built in memory, and one
 * hand-built table for the cold-start case. */
#include "test.h"
#include "data/dataset_impl.h"
#include "core/core.h"

static mfr_dataset *synth(int64_t n) {
    mfr_synth_params sp = mfr_synth_params_default();
    sp.users = 150;
    sp.movies = 200;
    sp.ratings = n;
    sp.seed = 3;
    mfr_dataset *ds = NULL;
    mfr_error e;
    if (mfr_synth_dataset(&sp, &ds, &e)) print_error("synth: %s\n", e.message);
    return ds;
}

static void cv_kfold_deterministic_across_threads(void **state) {
    (void)state;
    mfr_dataset *ds = synth(6000);
    assert_non_null(ds);
    mfr_cv_params p = mfr_cv_params_default(MFR_ALGO_SGD);
    p.split.folds = 3;
    p.train.epochs = 10;
    p.ranking = 1;
    mfr_cv_result a, b;
    mfr_error e;
    p.threads = 1;
    assert_int_equal(mfr_cv_run(ds, NULL, &p, &a, &e), MFR_OK);
    p.threads = 3;
    assert_int_equal(mfr_cv_run(ds, NULL, &p, &b, &e), MFR_OK);
    assert_int_equal(a.n_folds, 3);
    int64_t n_test = 0;
    for (int f = 0; f < 3; f++) {
        n_test += a.folds[f].n_test;
        assert_int_equal(a.folds[f].n_train + a.folds[f].n_test, 6000);
        assert_float_near(a.folds[f].v[MFR_METRIC_RMSE], b.folds[f].v[MFR_METRIC_RMSE], 0);
        assert_float_near(a.folds[f].v[MFR_METRIC_NDCG], b.folds[f].v[MFR_METRIC_NDCG], 0);
        assert_true(a.folds[f].v[MFR_METRIC_RMSE] > 0.3 && a.folds[f].v[MFR_METRIC_RMSE] < 1.5);
        assert_true(a.folds[f].v[MFR_METRIC_PRECISION] >= 0 && a.folds[f].v[MFR_METRIC_PRECISION] <= 1);
        assert_true(a.folds[f].v[MFR_METRIC_COVERAGE] > 0 && a.folds[f].v[MFR_METRIC_COVERAGE] <= 1);
    }
    assert_int_equal(n_test, 6000);
    /* mean / std by hand */
    double m = 0, s = 0;
    for (int f = 0; f < 3; f++) m += a.folds[f].v[MFR_METRIC_MAE] / 3;
    for (int f = 0; f < 3; f++) s += pow(a.folds[f].v[MFR_METRIC_MAE] - m, 2) / 2;
    assert_float_near(a.mean[MFR_METRIC_MAE], m, 1e-12);
    assert_float_near(a.std[MFR_METRIC_MAE], sqrt(s), 1e-12);
    assert_float_near(a.mean[MFR_METRIC_MSE], a.mean[MFR_METRIC_MSE], 0); /* not NaN */
    mfr_cv_result_free(&a);
    mfr_cv_result_free(&b);
    mfr_dataset_free(ds);
}

/* Users 0..3 and items 0..5 are in training; user 4 and item 6 only in test. */
static void cold_users_and_items_counted(void **state) {
    (void)state;
    int32_t u[64], i[64];
    float r[64];
    int n = 0;
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 6; b++, n++) {
            u[n] = a;
            i[n] = b;
            r[n] = (float)(1 + (a + b) % 5);
        }
    int n_train = n;
    /* test: a known pair, the cold user twice, the cold item once, both cold */
    int32_t tu[] = {0, 4, 4, 1, 4}, ti[] = {1, 0, 2, 6, 6};
    float tr[] = {4, 5, 4, 3, 5};
    for (int q = 0; q < 5; q++, n++) {
        u[n] = tu[q];
        i[n] = ti[q];
        r[n] = tr[q];
    }
    mfr_dataset *ds = NULL;
    assert_int_equal(mfr__dataset_from_arrays(5, 7, n, u, i, r, NULL, &ds, NULL), MFR_OK);
    mfr_ratings all;
    mfr_dataset_ratings(ds, &all);
    int32_t fold[64];
    for (int q = 0; q < n; q++) fold[q] = q >= n_train;
    mfr_ratings train, test;
    assert_int_equal(mfr_ratings_select(&all, fold, 1, 0, &train, NULL), MFR_OK);
    assert_int_equal(mfr_ratings_select(&all, fold, 1, 1, &test, NULL), MFR_OK);
    mfr_cv_params p = mfr_cv_params_default(MFR_ALGO_SGD);
    p.train.factors = 2;
    p.train.epochs = 5;
    p.ranking = 1;
    p.rank.k = 3;
    mfr_fold_result fr;
    mfr_error e;
    assert_int_equal(mfr_eval_train_test(ds, &train, &test, &p, &fr, &e), MFR_OK);
    assert_int_equal(fr.n_test, 5);
    assert_int_equal(fr.unknown_users, 3);
    assert_int_equal(fr.unknown_items, 2);
    assert_true(isfinite(fr.v[MFR_METRIC_RMSE]));
    /* ranking: user 4 unknown; users 0 (rel: rating 4 >= 4) ranked; user 1's
     * only test item is rated 3: no relevant item */
    assert_int_equal(fr.users_unknown, 1);
    assert_int_equal(fr.users_ranked, 1);
    assert_int_equal(fr.users_no_relevant, 1);
    /* user 0 rated every known item in training: nothing left to rank, so
     * its relevant item 1 is seen and cannot be hit */
    assert_float_near(fr.v[MFR_METRIC_HIT], 0, 0);
    mfr_ratings_free(&train);
    mfr_ratings_free(&test);
    mfr_dataset_free(ds);
}

static void accuracy_empty_test_is_nan(void **state) {
    (void)state;
    mfr_dataset *ds = synth(2000);
    assert_non_null(ds);
    mfr_train_params tp = mfr_train_params_default(MFR_ALGO_SGD);
    tp.epochs = 2;
    mfr_model *m = NULL;
    assert_int_equal(mfr_model_train(ds, NULL, NULL, &tp, &m, NULL), MFR_OK);
    mfr_ratings empty = {0};
    mfr_accuracy a;
    mfr_eval_accuracy(m, &empty, &a);
    assert_int_equal(a.n, 0);
    assert_true(isnan(a.rmse) && isnan(a.mae));
    mfr_ranking rk;
    mfr_ranking_params rp = mfr_ranking_params_default();
    assert_int_equal(mfr_eval_ranking(m, &empty, &rp, &rk, NULL), MFR_OK);
    assert_int_equal(rk.users_ranked, 0);
    assert_true(isnan(rk.ndcg));
    rp.k = 0;
    assert_int_equal(mfr_eval_ranking(m, &empty, &rp, &rk, NULL), MFR_E_INVALID);
    mfr_model_free(m);
    mfr_dataset_free(ds);
}

/* A grid where one point is plainly best: heavy regularisation flattens the
 * model toward the mean; 1 epoch underfits. */
static void tune_picks_best_point(void **state) {
    (void)state;
    mfr_dataset *ds = synth(6000);
    assert_non_null(ds);
    mfr_tune_params p = mfr_tune_params_default(MFR_ALGO_SGD);
    p.inner.folds = 3;
    p.threads = 2;
    mfr_tune_space *sp = NULL;
    mfr_error e;
    assert_int_equal(mfr_tune_space_parse("reg=50,0.05 epochs=1,25", &p.base, &sp, &e), MFR_OK);
    assert_int_equal(mfr_tune_space_grid_size(sp), 4);
    mfr_tune_result r;
    assert_int_equal(mfr_tune_run(ds, NULL, sp, &p, &r, &e), MFR_OK);
    assert_int_equal(r.n_points, 4);
    assert_non_null(strstr(r.points[0].desc, "reg=0.05"));
    assert_non_null(strstr(r.points[0].desc, "epochs=25"));
    assert_float_near(r.points[0].params.reg, 0.05, 1e-6);
    assert_int_equal(r.points[0].params.epochs, 25);
    for (int q = 1; q < 4; q++)
        assert_true(r.points[q - 1].cv.mean[MFR_METRIC_RMSE] <= r.points[q].cv.mean[MFR_METRIC_RMSE]);
    mfr_tune_result_free(&r);
    mfr_tune_space_free(sp);
    mfr_dataset_free(ds);
}

static void tune_random_points_in_range(void **state) {
    (void)state;
    mfr_dataset *ds = synth(3000);
    assert_non_null(ds);
    mfr_tune_params p = mfr_tune_params_default(MFR_ALGO_SGD);
    p.inner.folds = 2;
    p.random_points = 3;
    p.base.epochs = 3;
    mfr_tune_space *sp = NULL;
    assert_int_equal(mfr_tune_space_parse("factors=4:12 lr=0.001:0.05", &p.base, &sp, NULL), MFR_OK);
    assert_int_equal(mfr_tune_space_grid_size(sp), -1);
    mfr_tune_result r;
    assert_int_equal(mfr_tune_run(ds, NULL, sp, &p, &r, NULL), MFR_OK);
    assert_int_equal(r.n_points, 3);
    for (int q = 0; q < 3; q++) {
        assert_true(r.points[q].params.factors >= 4 && r.points[q].params.factors <= 12);
        assert_true(r.points[q].params.lr >= 0.001f - 1e-7 && r.points[q].params.lr <= 0.05f + 1e-7);
    }
    mfr_tune_result_free(&r);
    p.random_points = 0; /* ranges without random points: refused */
    mfr_error e;
    assert_int_equal(mfr_tune_run(ds, NULL, sp, &p, &r, &e), MFR_E_INVALID);
    mfr_tune_space_free(sp);
    mfr_dataset_free(ds);
}

static void tune_space_errors(void **state) {
    (void)state;
    mfr_train_params base = mfr_train_params_default(MFR_ALGO_SGD);
    mfr_tune_space *sp = NULL;
    mfr_error e;
    assert_int_equal(mfr_tune_space_parse("colour=1,2", &base, &sp, &e), MFR_E_INVALID);
    assert_non_null(strstr(e.message, "colour"));
    assert_null(sp);
    assert_int_equal(mfr_tune_space_parse("factors=", &base, &sp, &e), MFR_E_INVALID);
    assert_int_equal(mfr_tune_space_parse("factors=8,x", &base, &sp, &e), MFR_E_INVALID);
    assert_int_equal(mfr_tune_space_parse("", &base, &sp, &e), MFR_E_INVALID);
    assert_int_equal(mfr_tune_space_parse("reg=1 reg=2", &base, &sp, &e), MFR_E_INVALID);
    assert_int_equal(mfr_tune_space_parse("lr=0.5:0.1", &base, &sp, &e), MFR_E_INVALID);
}

/* The page holds the four charts and the table, and nothing that fetches. */
static void report_html_self_contained(void **state) {
    (void)state;
    mfr_dataset *ds = synth(6000);
    assert_non_null(ds);
    mfr_ratings all, train, test;
    mfr_dataset_ratings(ds, &all);
    int32_t *fold = malloc(6000 * sizeof *fold), nf;
    mfr_split_params sp = mfr_split_params_default();
    assert_int_equal(mfr_split_assign(&all, &sp, fold, &nf, NULL), MFR_OK);
    assert_int_equal(mfr_ratings_select(&all, fold, 1, 0, &train, NULL), MFR_OK);
    assert_int_equal(mfr_ratings_select(&all, fold, 1, 1, &test, NULL), MFR_OK);
    mfr_train_params tp = mfr_train_params_default(MFR_ALGO_SGD);
    tp.epochs = 12;
    mfr_curve c;
    mfr_model *m = NULL;
    mfr_error e;
    assert_int_equal(mfr_eval_learning_curve(ds, &train, &test, &tp, &c, &m, &e), MFR_OK);
    assert_int_equal(c.n, 12); /* one point per epoch */
    for (int q = 0; q < c.n; q++) assert_true(isfinite(c.valid_rmse[q]) && c.valid_rmse[q] > 0);
    assert_true(c.valid_rmse[11] < c.valid_rmse[0]);
    mfr_report_row row = {.name = "sgd"};
    for (int q = 0; q < MFR_METRIC__COUNT; q++) row.r.v[q] = NAN;
    row.r.v[MFR_METRIC_RMSE] = 0.9;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    mfr_report_input in = {.title = "t <&> t", .ds = ds, .model = m, .curves = &c, .n_curves = 1,
                           .rows = &row, .n_rows = 1, .labels = 5};
    assert_int_equal(mfr_report_write_html(&in, f, &e), MFR_OK);
    fclose(f);
    const char *ids[] = {"id=\"curves\"", "id=\"map\"", "id=\"ratings\"", "id=\"longtail\""};
    for (int q = 0; q < 4; q++) assert_non_null(strstr(buf, ids[q]));
    assert_non_null(strstr(buf, "t &lt;&amp;&gt; t")); /* escaped */
    assert_null(strstr(buf, "src=\"http"));
    assert_null(strstr(buf, "href=\"http"));
    assert_null(strstr(buf, "<script"));
    assert_non_null(strstr(buf, "<td>0.9000</td>"));
    free(buf);
    mfr_curve_free(&c);
    mfr_model_free(m);
    mfr_ratings_free(&train);
    mfr_ratings_free(&test);
    free(fold);
    mfr_dataset_free(ds);
}

/* ml-latest-small, 5-fold CV of the default model: RMSE well under the
 * baseline's ~0.87 and every rating tested once. Skips without the data. */
static void cv_movielens_5fold_slow(void **state) {
    (void)state;
    const char *dir = movielens_dir();
    if (!dir) {
        print_message("skipped: ml-latest-small not found (set MFR_DATA_DIR)\n");
        skip();
    }
    mfr_dataset *ds = NULL;
    mfr_error e;
    assert_int_equal(mfr_dataset_import(dir, NULL, &ds, &e), MFR_OK);
    mfr_cv_params p = mfr_cv_params_default(MFR_ALGO_SGD);
    p.ranking = 1;
    mfr_cv_result r;
    assert_int_equal(mfr_cv_run(ds, NULL, &p, &r, &e), MFR_OK);
    int64_t nt = 0;
    for (int f = 0; f < r.n_folds; f++) nt += r.folds[f].n_test;
    assert_int_equal(nt, 100836);
    print_message("rmse %.4f mae %.4f ndcg@10 %.4f\n", r.mean[MFR_METRIC_RMSE],
                  r.mean[MFR_METRIC_MAE], r.mean[MFR_METRIC_NDCG]);
    assert_true(r.mean[MFR_METRIC_RMSE] < 0.87);
    assert_true(r.mean[MFR_METRIC_NDCG] > 0 && r.mean[MFR_METRIC_NDCG] < 1);
    mfr_cv_result_free(&r);
    mfr_dataset_free(ds);
}

/* Every allocation of a split, a subset and a ranking failing in turn ends
 * in MFR_E_NOMEM (or success once past the last one) and leaks nothing
 * (checked by the ASan build). */
static void fault_split_select_ranking(void **state) {
    (void)state;
    mfr_dataset *ds = synth(3000);
    assert_non_null(ds);
    mfr_train_params tp = mfr_train_params_default(MFR_ALGO_SGD);
    tp.epochs = 2;
    tp.threads = 1;
    mfr_model *m = NULL;
    assert_int_equal(mfr_model_train(ds, NULL, NULL, &tp, &m, NULL), MFR_OK);
    mfr_ratings all;
    mfr_dataset_ratings(ds, &all);
    int32_t *fold = malloc(3000 * sizeof *fold), nf;
    mfr_split_params sp = mfr_split_params_default();
    sp.kind = MFR_SPLIT_LEAVE_OUT;
    mfr_ranking_params rp = mfr_ranking_params_default();
    rp.threads = 1;
    int done = 0;
    for (long n = 0; n < 200 && !done; n++) {
        mfr_ratings test = {0};
        mfr_ranking rk;
        mfr__alloc_fail_after(n);
        mfr_status s = mfr_split_assign(&all, &sp, fold, &nf, NULL);
        if (!s) s = mfr_ratings_select(&all, fold, 1, 1, &test, NULL);
        if (!s) s = mfr_eval_ranking(m, &test, &rp, &rk, NULL);
        mfr__alloc_fail_after(-1);
        assert_true(s == MFR_OK || s == MFR_E_NOMEM);
        if (s == MFR_OK) {
            assert_true(rk.users_ranked > 0);
            done = 1;
        }
        mfr_ratings_free(&test);
    }
    assert_true(done);
    free(fold);
    mfr_model_free(m);
    mfr_dataset_free(ds);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cv_kfold_deterministic_across_threads),
        cmocka_unit_test(cold_users_and_items_counted),
        cmocka_unit_test(accuracy_empty_test_is_nan),
        cmocka_unit_test(tune_picks_best_point),
        cmocka_unit_test(tune_random_points_in_range),
        cmocka_unit_test(tune_space_errors),
        cmocka_unit_test(report_html_self_contained),
        cmocka_unit_test(fault_split_select_ranking),
        cmocka_unit_test(cv_movielens_5fold_slow),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
