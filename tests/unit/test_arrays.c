/* test_arrays.c — datasets from arrays of ids (mfr_dataset_build: order,
 * duplicates, scale, implicit ratings, errors naming the position, merging
 * into an imported dataset's catalogue) and a model's whole arrays (ids,
 * biases, predict_many), the API the Python package stands on. */
#include "test.h"

static mfr_dataset *import_ok(const char *path) {
    mfr_dataset *ds = NULL;
    mfr_error err = {0};
    mfr_status s = mfr_dataset_import(path, NULL, &ds, &err);
    if (s) print_error("%s\n", err.message);
    assert_int_equal(s, MFR_OK);
    return ds;
}

static void build_order_duplicates_scale(void **state) {
    (void)state;
    /* users 7, 3 (first appearance), movies 100, 5, 42; (7, 5) twice: the
     * larger timestamp wins though its row comes first */
    const int64_t u[] = {7, 3, 7};
    const int64_t i[] = {100, 5, 5};
    mfr_dataset_arrays a;
    mfr_dataset *ds = NULL;
    mfr_error err = {0};
    const int64_t uu[] = {7, 3, 7, 7, 3, 7};
    const int64_t ii[] = {100, 5, 5, 42, 100, 5};
    const float rr[] = {4.f, 2.f, 1.f, 3.f, 5.f, 4.5f};
    const int64_t tt[] = {10, 11, 30, 13, 14, 20};
    a = (mfr_dataset_arrays){.n = 6, .user = uu, .item = ii, .rating = rr, .time = tt};
    assert_int_equal(mfr_dataset_build(&a, &ds, &err), MFR_OK);
    mfr_dataset_stats st;
    mfr_dataset_stats_get(ds, &st);
    assert_int_equal(st.n_users, 2);
    assert_int_equal(st.n_items, 3);
    assert_int_equal(st.n_ratings, 5);
    assert_int_equal(mfr_dataset_report(ds)->duplicates, 1);
    assert_int_equal(mfr_dataset_report(ds)->rows_read, 6);
    const int64_t *uid = mfr_dataset_user_ids(ds), *iid = mfr_dataset_item_ids(ds);
    assert_int_equal(uid[0], 7);
    assert_int_equal(uid[1], 3);
    assert_int_equal(iid[0], 100);
    assert_int_equal(iid[1], 5);
    assert_int_equal(iid[2], 42);
    for (int32_t k = 0; k < 3; k++) assert_int_equal(mfr_dataset_item_index(ds, iid[k]), k);
    mfr_ratings v;
    mfr_dataset_ratings(ds, &v);
    assert_non_null(v.time);
    int found = 0;
    for (int64_t j = 0; j < v.n; j++)
        if (v.user[j] == 0 && v.item[j] == 1) {
            assert_float_near(v.rating[j], 1.0, 0);
            assert_int_equal(v.time[j], 30);
            found++;
        }
    assert_int_equal(found, 1);
    float lo, hi;
    mfr_dataset_scale(ds, &lo, &hi); /* the data's own min..max */
    assert_float_near(lo, 1.0, 0);
    assert_float_near(hi, 5.0, 0);
    mfr_dataset_free(ds);

    /* implicit: no ratings, no times; the scale given */
    a = (mfr_dataset_arrays){.n = 3, .user = u, .item = i, .rating_min = 0.5f, .rating_max = 5.f};
    assert_int_equal(mfr_dataset_build(&a, &ds, &err), MFR_OK);
    mfr_dataset_ratings(ds, &v);
    assert_null(v.time);
    for (int64_t j = 0; j < v.n; j++) assert_float_near(v.rating[j], 1.0, 0);
    mfr_dataset_scale(ds, &lo, &hi);
    assert_float_near(lo, 0.5, 0);
    assert_float_near(hi, 5.0, 0);
    assert_string_equal(mfr_dataset_item_title(ds, 0), "");
    mfr_dataset_free(ds);
}

static void build_errors_name_the_position(void **state) {
    (void)state;
    const int64_t u[] = {1, 2, 3};
    const int64_t i[] = {10, 20, 30};
    float r[] = {4.f, 3.f, 2.f};
    mfr_dataset *ds = (mfr_dataset *)&ds; /* must come back NULL */
    mfr_error err = {0};
    mfr_dataset_arrays a = {.n = 0, .user = u, .item = i, .rating = r};
    assert_int_equal(mfr_dataset_build(&a, &ds, &err), MFR_E_INVALID);
    assert_null(ds);
    assert_non_null(strstr(err.message, "no ratings"));
    a.n = 3;
    a.item = NULL;
    assert_int_equal(mfr_dataset_build(&a, &ds, &err), MFR_E_INVALID);
    assert_int_equal(mfr_dataset_build(NULL, &ds, &err), MFR_E_INVALID);
    assert_int_equal(mfr_dataset_build(&a, NULL, &err), MFR_E_INVALID);
    a.item = i;
    r[1] = NAN;
    assert_int_equal(mfr_dataset_build(&a, &ds, &err), MFR_E_INVALID);
    assert_non_null(strstr(err.message, "rating[1]"));
    r[1] = 3.f;
    r[2] = 7.5f;
    a.rating_min = 0.5f;
    a.rating_max = 5.f;
    assert_int_equal(mfr_dataset_build(&a, &ds, &err), MFR_E_RANGE);
    assert_non_null(strstr(err.message, "rating[2] = 7.5 outside 0.5..5"));
    a.rating_min = 5.f;
    a.rating_max = 1.f;
    assert_int_equal(mfr_dataset_build(&a, &ds, &err), MFR_E_INVALID);
    assert_null(ds);

    /* a movie outside a real catalogue */
    mfr_dataset *cat = import_ok(fixture("io/csv"));
    const int64_t ci[] = {10, 99, 20};
    r[2] = 2.f;
    a = (mfr_dataset_arrays){.n = 3, .user = u, .item = ci, .rating = r, .catalog = cat};
    assert_int_equal(mfr_dataset_build(&a, &ds, &err), MFR_E_INVALID);
    assert_non_null(strstr(err.message, "item[1] = movie 99 is not in the catalogue"));
    assert_null(ds);
    mfr_dataset_free(cat);
}

/* The imported dataset's ratings plus a new user's, with it as the
 * catalogue: the same movies in the same order with their titles, genres,
 * years and tags, the old ratings unchanged, the new user last. */
static void build_merge_into_import(void **state) {
    (void)state;
    mfr_dataset *base = import_ok(fixture("io/csv"));
    mfr_ratings v;
    mfr_dataset_ratings(base, &v);
    int64_t n = v.n + 2;
    int64_t *u = calloc((size_t)n, sizeof *u), *i = calloc((size_t)n, sizeof *i);
    int64_t *t = calloc((size_t)n, sizeof *t);
    float *r = calloc((size_t)n, sizeof *r);
    assert_true(u && i && t && r);
    for (int64_t j = 0; j < v.n; j++) {
        u[j] = mfr_dataset_user_id(base, v.user[j]);
        i[j] = mfr_dataset_item_id(base, v.item[j]);
        r[j] = v.rating[j];
        t[j] = v.time[j];
    }
    u[v.n] = u[v.n + 1] = 1000;
    i[v.n] = 50;
    i[v.n + 1] = 60;
    r[v.n] = 4.5f;
    r[v.n + 1] = 1.f;
    mfr_dataset_arrays a = {.n = n, .user = u, .item = i, .rating = r, .time = t, .catalog = base};
    mfr_dataset *ds = NULL;
    mfr_error err = {0};
    assert_int_equal(mfr_dataset_build(&a, &ds, &err), MFR_OK);
    mfr_dataset_stats sb, sm;
    mfr_dataset_stats_get(base, &sb);
    mfr_dataset_stats_get(ds, &sm);
    assert_int_equal(sm.n_users, sb.n_users + 1);
    assert_int_equal(sm.n_items, sb.n_items);
    assert_int_equal(sm.n_catalog, sb.n_catalog);
    assert_int_equal(sm.n_ratings, sb.n_ratings + 2);
    assert_int_equal(sm.n_tags, sb.n_tags);
    for (int32_t k = 0; k < sb.n_items; k++) {
        assert_int_equal(mfr_dataset_item_id(ds, k), mfr_dataset_item_id(base, k));
        assert_string_equal(mfr_dataset_item_title(ds, k), mfr_dataset_item_title(base, k));
        assert_string_equal(mfr_dataset_item_genres(ds, k), mfr_dataset_item_genres(base, k));
        assert_int_equal(mfr_dataset_item_year(ds, k), mfr_dataset_item_year(base, k));
    }
    for (int64_t k = 0; k < sb.n_tags; k++) {
        int32_t bi, bu, mi, mu;
        const char *bt, *mt;
        mfr_dataset_tag(base, k, &bi, &bu, &bt);
        mfr_dataset_tag(ds, k, &mi, &mu, &mt);
        assert_int_equal(mi, bi);
        assert_string_equal(mt, bt);
        if (bu < 0) assert_int_equal(mu, -1);
        else assert_int_equal(mfr_dataset_user_id(ds, mu), mfr_dataset_user_id(base, bu));
    }
    float blo, bhi, lo, hi;
    mfr_dataset_scale(base, &blo, &bhi);
    mfr_dataset_scale(ds, &lo, &hi);
    assert_float_near(lo, blo, 0);
    assert_float_near(hi, bhi, 0);
    assert_int_equal(mfr_dataset_user_index(ds, 1000), sb.n_users);
    mfr_dataset_free(ds);
    mfr_dataset_free(base);
    free(u);
    free(i);
    free(t);
    free(r);
}

static void fault_dataset_build(void **state) {
    (void)state;
    mfr_dataset *cat = import_ok(fixture("io/csv"));
    const int64_t u[] = {1, 2, 1, 5};
    const int64_t i[] = {10, 20, 30, 10};
    const float r[] = {4.f, 3.f, 2.f, 1.f};
    mfr_dataset_arrays a = {.n = 4, .user = u, .item = i, .rating = r, .catalog = cat};
    for (long n = 0;; n++) {
        mfr_dataset *ds = NULL;
        mfr_error err = {0};
        mfr__alloc_fail_after(n);
        mfr_status s = mfr_dataset_build(&a, &ds, &err);
        mfr__alloc_fail_after(-1);
        if (s == MFR_OK) {
            assert_non_null(ds);
            mfr_dataset_free(ds);
            break;
        }
        assert_int_equal(s, MFR_E_NOMEM);
        assert_null(ds);
        assert_true(n < 10000);
    }
    mfr_dataset_free(cat);
}

/* A small trained model's whole arrays agree with the one-element getters
 * and with its predictions (sgd: r̂ = μ + b_u + b_i + p_u·q_i, clipped). */
static void model_arrays_and_predict_many(void **state) {
    (void)state;
    mfr_synth_params sp = mfr_synth_params_default();
    sp.users = 60;
    sp.movies = 80;
    sp.ratings = 2000;
    sp.seed = 3;
    mfr_dataset *ds = NULL;
    mfr_error err = {0};
    assert_int_equal(mfr_synth_dataset(&sp, &ds, &err), MFR_OK);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_SGD);
    p.factors = 8;
    p.epochs = 5;
    p.threads = 1;
    mfr_model *m = NULL;
    assert_int_equal(mfr_model_train(ds, NULL, NULL, &p, &m, &err), MFR_OK);
    mfr_model_info info;
    mfr_model_info_get(m, &info);
    int32_t nu = mfr_model_n_users(m), ni = mfr_model_n_items(m), k = info.factors;
    const int64_t *uid = mfr_model_user_ids(m), *iid = mfr_model_item_ids(m);
    const float *bu = mfr_model_user_bias(m), *bi = mfr_model_item_bias(m);
    const float *P = mfr_model_user_factors(m), *Q = mfr_model_item_factors(m);
    assert_true(uid && iid && bu && bi && P && Q);
    for (int32_t u = 0; u < nu; u++) assert_int_equal(uid[u], mfr_model_user_id(m, u));
    for (int32_t i = 0; i < ni; i++) assert_int_equal(iid[i], mfr_model_item_id(m, i));
    int64_t n = (int64_t)nu * ni + 2;
    int32_t *us = malloc((size_t)n * sizeof *us), *is = malloc((size_t)n * sizeof *is);
    float *out = malloc((size_t)n * sizeof *out);
    assert_true(us && is && out);
    int64_t j = 0;
    for (int32_t u = 0; u < nu; u++)
        for (int32_t i = 0; i < ni; i++, j++) us[j] = u, is[j] = i;
    us[j] = -1, is[j++] = 0;  /* unknown user: the fallback */
    us[j] = nu, is[j++] = ni; /* out of range: the fallback too */
    mfr_model_predict_many(m, n, us, is, out);
    for (j = 0; j < n; j++) assert_float_near(out[j], mfr_model_predict(m, us[j], is[j]), 0);
    for (int32_t u = 0; u < nu; u++)
        for (int32_t i = 0; i < ni; i++) {
            double d = info.mu + bu[u] + bi[i];
            for (int32_t f = 0; f < k; f++) d += (double)P[(size_t)u * k + f] * Q[(size_t)i * k + f];
            d = d < info.rating_min ? info.rating_min : d > info.rating_max ? info.rating_max : d;
            assert_float_near(out[(int64_t)u * ni + i], d, 1e-4);
        }
    free(us);
    free(is);
    free(out);
    mfr_model_free(m);

    /* a model without biases or factors answers NULL, never garbage */
    p = mfr_train_params_default(MFR_ALGO_EASE);
    assert_int_equal(mfr_model_train(ds, NULL, NULL, &p, &m, &err), MFR_OK);
    assert_null(mfr_model_user_factors(m));
    assert_non_null(mfr_model_item_ids(m));
    mfr_model_free(m);
    mfr_dataset_free(ds);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(build_order_duplicates_scale),
        cmocka_unit_test(build_errors_name_the_position),
        cmocka_unit_test(build_merge_into_import),
        cmocka_unit_test(fault_dataset_build),
        cmocka_unit_test(model_arrays_and_predict_many),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
