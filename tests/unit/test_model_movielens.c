/* test_model_movielens.c — the model on real data: ml-latest-small trained
 * with the SGD family (skips when the data or the family is absent), saved
 * and loaded, and the answers checked for sense and speed: recommend
 * throughput, fold-in of a trained user's own ratings against that user's
 * recommendations, title lookup and similar movies on real titles. */
#include "test.h"

#include <time.h>

#include "core/core.h" /* mfr__now */
#include <unistd.h>

static double cpu_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static mfr_dataset *g_ds;
static mfr_model *g_m;

static int setup(void **state) {
    (void)state;
    const char *dir = movielens_dir();
    if (!dir) return 0;
    mfr_error err;
    if (mfr_dataset_import(dir, NULL, &g_ds, &err)) {
        print_error("import: %s\n", err.message);
        return -1;
    }
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_SGD);
    p.factors = 64;
    p.epochs = 20;
    p.seed = 1;
    mfr_status st = mfr_model_train(g_ds, NULL, NULL, &p, &g_m, &err);
    if (st == MFR_E_UNSUPPORTED) return 0;
    if (st) print_error("train: %s\n", err.message);
    return st ? -1 : 0;
}

static int teardown(void **state) {
    (void)state;
    mfr_model_free(g_m);
    mfr_dataset_free(g_ds);
    return 0;
}

#define NEED_MODEL()                                                               \
    do {                                                                           \
        if (!g_m) {                                                                \
            print_message("skipped: no MovieLens data (MFR_DATA_DIR) or no sgd\n"); \
            skip();                                                                \
        }                                                                          \
    } while (0)

/* Recommendations for every user, then throughput on repeated calls. */
static void movielens_recommend_slow(void **state) {
    (void)state;
    NEED_MODEL();
    mfr_recommend_params rp = mfr_recommend_params_default();
    mfr_scored out[10];
    int32_t n, nu = mfr_model_n_users(g_m);
    for (int32_t u = 0; u < nu; u++) {
        assert_int_equal(mfr_model_recommend(g_m, u, &rp, out, &n, NULL), MFR_OK);
        assert_int_equal(n, 10);
        int32_t ns;
        const int32_t *seen = mfr_model_user_items(g_m, u, &ns);
        for (int j = 0; j < n; j++) {
            for (int32_t s = 0; s < ns; s++) assert_int_not_equal(out[j].item, seen[s]);
            assert_float_near(out[j].prediction, mfr_model_predict(g_m, u, out[j].item), 1e-4);
            if (j > 0) assert_true(out[j - 1].score >= out[j].score); /* ordered by the ranking score */
        }
    }
    int reps = 3000;
    double t0 = mfr__now(), c0 = cpu_now();
    for (int r = 0; r < reps; r++)
        assert_int_equal(mfr_model_recommend(g_m, r % nu, &rp, out, &n, NULL), MFR_OK);
    double dt = mfr__now() - t0, dc = cpu_now() - c0;
    mfr_model_info info;
    mfr_model_info_get(g_m, &info);
    print_message("recommend: %d items, k=%d, one thread: %.1f us/call wall, %.1f us/call CPU "
                  "(%.0f calls/s per busy core)\n",
                  (int)info.n_items, (int)info.factors, 1e6 * dt / reps, 1e6 * dc / reps, reps / dc);
    rp.genre = "Comedy";
    assert_int_equal(mfr_model_recommend(g_m, 0, &rp, out, &n, NULL), MFR_OK);
    for (int j = 0; j < n; j++) assert_non_null(strstr(mfr_model_item_genres(g_m, out[j].item), "Comedy"));
}

/* Folding in a trained user's own ratings gives a top-10 close to the
 * trained user's (measured ~7 of 10 in common on average over users). */
static void movielens_fold_in(void **state) {
    (void)state;
    NEED_MODEL();
    mfr_ratings r;
    mfr_dataset_ratings(g_ds, &r);
    int32_t users[] = {0, 41, 99, 210, 413, 598};
    int total = 0;
    for (size_t t = 0; t < sizeof users / sizeof users[0]; t++) {
        int32_t u = users[t], n = 0;
        int32_t *items = malloc(sizeof *items * (size_t)r.n);
        float *ratings = malloc(sizeof *ratings * (size_t)r.n);
        for (int64_t j = 0; j < r.n; j++)
            if (r.user[j] == u) items[n] = r.item[j], ratings[n] = r.rating[j], n++;
        float vec[65];
        assert_int_equal(mfr_model_fold_in(g_m, items, ratings, n, vec, NULL), MFR_OK);
        mfr_recommend_params rp = mfr_recommend_params_default();
        rp.min_ratings = 20;
        mfr_scored a[10], b[10];
        int32_t na, nb, common = 0;
        assert_int_equal(mfr_model_recommend(g_m, u, &rp, a, &na, NULL), MFR_OK);
        assert_int_equal(mfr_model_recommend_vec(g_m, vec, items, ratings, n, &rp, b, &nb, NULL), MFR_OK);
        for (int i = 0; i < na; i++)
            for (int j = 0; j < nb; j++) common += a[i].item == b[j].item;
        /* the fold-in fits the user's ratings about as well as training did */
        double se_f = 0, se_t = 0;
        for (int32_t j = 0; j < n; j++) {
            double ef = mfr_model_predict_vec(g_m, vec, items[j]) - ratings[j];
            double et = mfr_model_predict(g_m, u, items[j]) - ratings[j];
            se_f += ef * ef, se_t += et * et;
        }
        print_message("user %d (%d ratings): top-10 overlap %d, rmse fold-in %.3f, trained %.3f\n", (int)u,
                      (int)n, (int)common, sqrt(se_f / n), sqrt(se_t / n));
        assert_true(sqrt(se_f / n) <= sqrt(se_t / n) + 0.1);
        total += common;
        free(items);
        free(ratings);
    }
    assert_true(total >= 30); /* of 60 */
}

static void movielens_title_and_similar(void **state) {
    (void)state;
    NEED_MODEL();
    int32_t found[8], n;
    mfr_model_find_title(g_m, "Toy Story (1995)", found, 8, &n);
    assert_int_equal(n, 1);
    mfr_model_find_title(g_m, "toy story", found, 8, &n);
    assert_true(n >= 3);
    mfr_model_find_title(g_m, "amelie", found, 8, &n);
    assert_true(n >= 1);
    assert_non_null(strstr(mfr_model_item_title(g_m, found[0]), "lie"));
    mfr_model_find_title(g_m, "Toy Story (1995)", found, 8, &n);
    mfr_scored out[10];
    int32_t ns;
    assert_int_equal(mfr_model_similar(g_m, found[0], MFR_SIM_PEARSON, 10, 50, out, &ns, NULL), MFR_OK);
    assert_int_equal(ns, 10);
    for (int j = 0; j < ns; j++) {
        assert_int_not_equal(out[j].item, found[0]);
        assert_true(mfr_model_item_count(g_m, out[j].item) >= 50);
        assert_true(out[j].score <= 1.0001f && out[j].score >= -1.0001f);
        if (j) assert_true(out[j - 1].score >= out[j].score);
    }
}

static void movielens_save_load(void **state) {
    (void)state;
    NEED_MODEL();
    char path[512];
    snprintf(path, sizeof path, "%s/ml.mfm", temp_dir());
    mfr_error err;
    double t0 = mfr__now();
    assert_int_equal(mfr_model_save(g_m, path, &err), MFR_OK);
    double t1 = mfr__now();
    mfr_model *l = NULL;
    assert_int_equal(mfr_model_load(path, &l, &err), MFR_OK);
    double t2 = mfr__now();
    print_message("save %.1f ms, load %.1f ms\n", 1e3 * (t1 - t0), 1e3 * (t2 - t1));
    mfr_recommend_params rp = mfr_recommend_params_default();
    for (int32_t u = 0; u < mfr_model_n_users(g_m); u += 37) {
        mfr_scored a[10], b[10];
        int32_t na, nb;
        assert_int_equal(mfr_model_recommend(g_m, u, &rp, a, &na, NULL), MFR_OK);
        assert_int_equal(mfr_model_recommend(l, u, &rp, b, &nb, NULL), MFR_OK);
        assert_int_equal(na, nb);
        assert_memory_equal(a, b, sizeof a[0] * (size_t)na);
    }
    mfr_model_free(l);
    unlink(path);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(movielens_recommend_slow),
        cmocka_unit_test(movielens_fold_in),
        cmocka_unit_test(movielens_title_and_similar),
        cmocka_unit_test(movielens_save_load),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, setup, teardown);
}
