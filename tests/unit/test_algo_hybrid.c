/* test_algo_hybrid.c — the hybrid family (src/algo/hybrid.c): a movie with
 * zero ratings still gets content-similar movies and can be recommended,
 * predictions for it come from content, save/load keeps the blend, the same
 * seed gives the same model, and on ml-latest-small (when present) the blend
 * beats its base model. */
#include "catalog_fixture.h"
#include "model/model_impl.h"

static mfr_model *train_hybrid(mfr_dataset *ds, const mfr_ratings *tr) {
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_HYBRID);
    p.threads = 1;
    p.factors = 4;
    mfr_model *m = NULL;
    mfr_error err = {0};
    mfr_status s = mfr_model_train(ds, tr, NULL, &p, &m, &err);
    if (s) print_error("train: %s\n", err.message);
    assert_int_equal(s, MFR_OK);
    return m;
}

static void zero_rating_movie_has_similar(void **state) {
    (void)state;
    mfr_dataset *ds = catalog_fixture();
    mfr_model *m = train_hybrid(ds, NULL);
    assert_int_equal(mfr_model_item_count(m, 5), 0);
    mfr_scored s[5];
    int32_t n = 0;
    mfr_error err = {0};
    assert_int_equal(mfr_model_similar(m, 5, MFR_SIM_COSINE, 5, 0, s, &n, &err), MFR_OK);
    assert_true(n >= 2);
    /* Solaris sits with the Alien films, not with the romances */
    assert_true(s[0].item == 0 || s[0].item == 1);
    assert_true(s[1].item == 0 || s[1].item == 1);
    mfr_model_free(m);
    mfr_dataset_free(ds);
}

static void zero_rating_movie_is_recommended(void **state) {
    (void)state;
    mfr_dataset *ds = catalog_fixture();
    mfr_model *m = train_hybrid(ds, NULL);
    mfr_recommend_params rp = mfr_recommend_params_default();
    rp.min_ratings = 0;
    rp.n = 3;
    mfr_scored s[3];
    int32_t n = 0;
    mfr_error err = {0};
    /* user 0 (Sci-Fi fan) has not seen 1, 3, 5 */
    assert_int_equal(mfr_model_recommend(m, 0, &rp, s, &n, &err), MFR_OK);
    assert_int_equal(n, 3);
    int pos5 = -1, pos3 = -1;
    for (int j = 0; j < n; j++) {
        if (s[j].item == 5) pos5 = j;
        if (s[j].item == 3) pos3 = j;
    }
    assert_true(pos5 >= 0);
    assert_true(pos5 < pos3);
    /* the prediction for the unrated movie is the content one: fan > romance fan */
    assert_true(mfr_model_predict(m, 0, 5) > mfr_model_predict(m, 6, 5));
    mfr_model_free(m);
    mfr_dataset_free(ds);
}

static void save_load_round_trip(void **state) {
    (void)state;
    mfr_dataset *ds = catalog_fixture();
    mfr_model *m = train_hybrid(ds, NULL), *l = NULL;
    mfr_error err = {0};
    char path[512];
    snprintf(path, sizeof path, "%s/h.mfm", temp_dir());
    assert_int_equal(mfr_model_save(m, path, &err), MFR_OK);
    assert_int_equal(mfr_model_load(path, &l, &err), MFR_OK);
    for (int u = 0; u < 12; u++)
        for (int i = 0; i < 6; i++)
            assert_float_near(mfr_model_predict(l, u, i), mfr_model_predict(m, u, i), 0);
    remove(path);
    mfr_model_free(m);
    mfr_model_free(l);
    mfr_dataset_free(ds);
}

static void same_seed_same_model(void **state) {
    (void)state;
    mfr_dataset *ds = catalog_fixture();
    mfr_model *a = train_hybrid(ds, NULL), *b = train_hybrid(ds, NULL);
    assert_memory_equal(a->Q, b->Q, sizeof(float) * 6 * a->k);
    for (int u = 0; u < 12; u++)
        for (int i = 0; i < 6; i++)
            assert_float_near(mfr_model_predict(a, u, i), mfr_model_predict(b, u, i), 0);
    mfr_model_free(a);
    mfr_model_free(b);
    mfr_dataset_free(ds);
}

static void movielens_beats_base_slow(void **state) {
    (void)state;
    const char *dir = movielens_dir();
    if (!dir) {
        print_message("skipped: MovieLens ml-latest-small not found (MFR_DATA_DIR)\n");
        skip();
    }
    mfr_dataset *ds = NULL;
    mfr_error err = {0};
    assert_int_equal(mfr_dataset_import(dir, NULL, &ds, &err), MFR_OK);
    double h = holdout_rmse(ds, MFR_ALGO_HYBRID), b = holdout_rmse(ds, MFR_ALGO_SGD);
    print_message("held-out RMSE: hybrid %.4f, sgd %.4f\n", h, b);
    assert_true(h < b);
    mfr_dataset_free(ds);
}

static void fault_hybrid_alloc_failures(void **state) {
    (void)state;
    mfr_dataset *ds = catalog_fixture();
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_HYBRID);
    p.threads = 1, p.factors = 2, p.epochs = 2;
    check_train_alloc_failures(ds, &p);
    mfr_dataset_free(ds);
}

typedef struct seen { int blend, train; } seen;

/* Asks to stop at every report: stage 1 must ignore it, stage 2 obey. */
static int always_stop(const mfr_progress *pr, void *user) {
    seen *s = user;
    if (!strcmp(pr->stage, "hybrid: blend weights")) s->blend++;
    else s->train++;
    return 1;
}

static void cancel_keeps_usable_model(void **state) {
    (void)state;
    mfr_dataset *ds = catalog_fixture();
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_HYBRID);
    seen s = {0, 0};
    p.threads = 1, p.factors = 4, p.epochs = 10;
    p.progress = always_stop, p.progress_user = &s;
    mfr_model *m = NULL, *l = NULL;
    mfr_error err = {0};
    assert_int_equal(mfr_model_train(ds, NULL, NULL, &p, &m, &err), MFR_E_CANCELLED);
    assert_non_null(m);
    assert_true(s.blend >= 2);       /* stage 1 went on past a "stop" */
    assert_int_equal(s.train, 1);    /* stage 2 stopped after its first */
    char path[512];
    snprintf(path, sizeof path, "%s/hc.mfm", temp_dir());
    assert_int_equal(mfr_model_save(m, path, &err), MFR_OK);
    assert_int_equal(mfr_model_load(path, &l, &err), MFR_OK);
    assert_float_near(mfr_model_predict(l, 0, 5), mfr_model_predict(m, 0, 5), 0);
    remove(path);
    mfr_model_free(m);
    mfr_model_free(l);
    mfr_dataset_free(ds);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(zero_rating_movie_has_similar),
        cmocka_unit_test(zero_rating_movie_is_recommended),
        cmocka_unit_test(save_load_round_trip),
        cmocka_unit_test(same_seed_same_model),
        cmocka_unit_test(movielens_beats_base_slow),
        cmocka_unit_test(fault_hybrid_alloc_failures),
        cmocka_unit_test(cancel_keeps_usable_model),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
