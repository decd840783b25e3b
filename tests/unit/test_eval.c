/* test_eval.c — splits and ranking metrics against hand-computed values.
 *
 * Metric cases are worked by hand (log2(3) = 1.5849625, 1/log2(3) = 0.6309298,
 * 1/log2(4) = 0.5). Split cases check the properties each kind promises on a
 * small deterministic ratings table (20 users, 30 items, timestamps). Tests
 * that train models live in test_eval_cv.c. */
#include "test.h"
#include "data/dataset_impl.h"

#define L3 0.63092975357 /* 1 / log2(3) */

static void rank_metrics_basic(void **state) {
    (void)state;
    int32_t ranked[] = {5, 3, 8, 1, 2}, rel[] = {3, 2, 9};
    mfr_rank_user r;
    mfr_rank_user_metrics(ranked, 5, rel, 3, 3, 0, &r);
    assert_float_near(r.precision, 1.0 / 3, 1e-12);
    assert_float_near(r.recall, 1.0 / 3, 1e-12);
    assert_float_near(r.ndcg, L3 / (1 + L3 + 0.5), 1e-9);
    assert_float_near(r.ap, (1.0 / 2) / 3, 1e-12); /* P@2 = 1/2, over min(R,K)=3 */
    assert_float_near(r.hit, 1, 0);
    assert_float_near(r.rr, 0.5, 1e-12);
}

static void rank_metrics_k_longer_than_list(void **state) {
    (void)state;
    int32_t ranked[] = {1, 2}, rel[] = {2};
    mfr_rank_user r;
    mfr_rank_user_metrics(ranked, 2, rel, 1, 5, 0, &r);
    assert_float_near(r.precision, 1.0 / 5, 1e-12); /* still divides by K */
    assert_float_near(r.recall, 1.0, 1e-12);
    assert_float_near(r.ndcg, L3, 1e-9);             /* IDCG over min(R,K)=1 */
    assert_float_near(r.ap, 0.5, 1e-12);
    assert_float_near(r.rr, 0.5, 1e-12);
}

static void rank_metrics_perfect(void **state) {
    (void)state;
    int32_t ranked[] = {7, 4, 9}, rel[] = {4, 7};
    mfr_rank_user r;
    mfr_rank_user_metrics(ranked, 3, rel, 2, 2, 0, &r);
    assert_float_near(r.precision, 1, 1e-12);
    assert_float_near(r.recall, 1, 1e-12);
    assert_float_near(r.ndcg, 1, 1e-12);
    assert_float_near(r.ap, 1, 1e-12);
    assert_float_near(r.rr, 1, 1e-12);
}

static void rank_metrics_no_relevant(void **state) {
    (void)state;
    int32_t ranked[] = {1, 2, 3};
    mfr_rank_user r;
    mfr_rank_user_metrics(ranked, 3, NULL, 0, 2, 0, &r);
    assert_float_near(r.precision + r.recall + r.ndcg + r.ap + r.hit + r.rr, 0, 0);
}

static void rank_metrics_empty_list(void **state) {
    (void)state;
    int32_t rel[] = {4};
    mfr_rank_user r;
    mfr_rank_user_metrics(NULL, 0, rel, 1, 3, 0, &r);
    assert_float_near(r.precision + r.recall + r.ndcg + r.ap + r.hit + r.rr, 0, 0);
    mfr_rank_user_metrics(NULL, 0, rel, 1, 3, 7, &r); /* first relevant at rank 7 */
    assert_float_near(r.rr, 1.0 / 7, 1e-12);
    assert_float_near(r.hit, 0, 0);
}

/* A relevant item below the cutoff counts for MRR (full ranking), not @K. */
static void rank_metrics_relevant_below_cutoff(void **state) {
    (void)state;
    int32_t ranked[] = {4, 5, 6, 7}, rel[] = {7, 11};
    mfr_rank_user r;
    mfr_rank_user_metrics(ranked, 4, rel, 2, 2, 0, &r);
    assert_float_near(r.precision, 0, 0);
    assert_float_near(r.ndcg, 0, 0);
    assert_float_near(r.rr, 0.25, 1e-12);
}

/* Two hits at ranks 1 and 3, R = 4, K = 3: AP = (1/1 + 2/3) / 3. */
static void rank_metrics_map_two_hits(void **state) {
    (void)state;
    int32_t ranked[] = {1, 2, 3, 4}, rel[] = {3, 1, 10, 11};
    mfr_rank_user r;
    mfr_rank_user_metrics(ranked, 4, rel, 4, 3, 0, &r);
    assert_float_near(r.ap, (1.0 + 2.0 / 3) / 3, 1e-12);
    assert_float_near(r.ndcg, (1 + 0.5) / (1 + L3 + 0.5), 1e-9);
    assert_float_near(r.recall, 0.5, 1e-12);
}

static void top_k_ties_and_skips(void **state) {
    (void)state;
    float s[] = {1, 3, 3, 2, 3, NAN};
    int32_t out[10];
    assert_int_equal(mfr_rank_top_k(s, 6, NULL, 2, out), 2);
    assert_int_equal(out[0], 1); /* tie 3,3,3: smaller index first */
    assert_int_equal(out[1], 2);
    uint8_t skip[6] = {0, 1, 0, 0, 0, 0};
    assert_int_equal(mfr_rank_top_k(s, 6, skip, 2, out), 2);
    assert_int_equal(out[0], 2);
    assert_int_equal(out[1], 4);
    /* K larger than the candidates: all non-NaN, in order */
    assert_int_equal(mfr_rank_top_k(s, 6, NULL, 10, out), 5);
    int32_t want[] = {1, 2, 4, 3, 0};
    for (int q = 0; q < 5; q++) assert_int_equal(out[q], want[q]);
    assert_int_equal(mfr_rank_top_k(s, 0, NULL, 3, out), 0);
}

static void metric_names_roundtrip(void **state) {
    (void)state;
    for (int m = 0; m < MFR_METRIC__COUNT; m++) {
        mfr_metric got;
        assert_int_equal(mfr_metric_from_name(mfr_metric_name((mfr_metric)m), &got, NULL), MFR_OK);
        assert_int_equal(got, m);
    }
    mfr_metric got;
    mfr_error e;
    assert_int_equal(mfr_metric_from_name("rsme", &got, &e), MFR_E_INVALID);
    assert_non_null(strstr(e.message, "rsme"));
    assert_true(mfr_metric_higher_better(MFR_METRIC_NDCG));
    assert_false(mfr_metric_higher_better(MFR_METRIC_RMSE));
}

/* ---- splits ---------------------------------------------------------------- */

#define NU 20
#define NI 30
static int32_t g_user[600], g_item[600];
static float g_rating[600];
static int64_t g_time[600];

/* User u rates u+3 items (3..22 each), so small and large users exist. */
static mfr_ratings table(int with_time) {
    int64_t n = 0;
    for (int32_t u = 0; u < NU; u++)
        for (int32_t q = 0; q < u + 3; q++) {
            g_user[n] = u;
            g_item[n] = (u * 7 + q * 11) % NI;
            g_rating[n] = (float)(1 + (u + q) % 5);
            g_time[n] = 1000 + ((n * 37) % 101); /* ties on purpose */
            n++;
        }
    mfr_ratings r = {.n = n, .n_users = NU, .n_items = NI, .user = g_user, .item = g_item,
                     .rating = g_rating, .time = with_time ? g_time : NULL};
    return r;
}

static void split_kfold_partition(void **state) {
    (void)state;
    mfr_ratings r = table(1);
    mfr_split_params p = mfr_split_params_default();
    p.kind = MFR_SPLIT_KFOLD;
    p.folds = 5;
    int32_t fold[600], fold2[600], nf = 0, count[5] = {0};
    assert_int_equal(mfr_split_assign(&r, &p, fold, &nf, NULL), MFR_OK);
    assert_int_equal(nf, 5);
    for (int64_t j = 0; j < r.n; j++) {
        assert_true(fold[j] >= 0 && fold[j] < 5);
        count[fold[j]]++;
    }
    int64_t total = 0, mn = r.n, mx = 0;
    for (int f = 0; f < 5; f++) {
        total += count[f];
        if (count[f] < mn) mn = count[f];
        if (count[f] > mx) mx = count[f];
    }
    assert_int_equal(total, r.n); /* each rating in exactly one test fold */
    assert_true(mx - mn <= 1);
    /* test subsets of all folds are disjoint and cover the data */
    int64_t covered = 0;
    for (int f = 0; f < 5; f++) {
        mfr_ratings te, tr;
        assert_int_equal(mfr_ratings_select(&r, fold, f, 1, &te, NULL), MFR_OK);
        assert_int_equal(mfr_ratings_select(&r, fold, f, 0, &tr, NULL), MFR_OK);
        assert_int_equal(te.n + tr.n, r.n);
        assert_non_null(te.time);
        covered += te.n;
        mfr_ratings_free(&te);
        mfr_ratings_free(&tr);
    }
    assert_int_equal(covered, r.n);
    /* deterministic in the seed; another seed gives another split */
    assert_int_equal(mfr_split_assign(&r, &p, fold2, &nf, NULL), MFR_OK);
    assert_memory_equal(fold, fold2, (size_t)r.n * sizeof *fold);
    p.seed = 7;
    assert_int_equal(mfr_split_assign(&r, &p, fold2, &nf, NULL), MFR_OK);
    assert_memory_not_equal(fold, fold2, (size_t)r.n * sizeof *fold);
}

static void split_holdout_exact_size(void **state) {
    (void)state;
    mfr_ratings r = table(0);
    mfr_split_params p = mfr_split_params_default();
    p.test_frac = 0.25;
    int32_t fold[600], nf = 0;
    assert_int_equal(mfr_split_assign(&r, &p, fold, &nf, NULL), MFR_OK);
    assert_int_equal(nf, 1);
    int64_t test = 0;
    for (int64_t j = 0; j < r.n; j++) {
        assert_true(fold[j] == 0 || fold[j] == 1);
        test += fold[j];
    }
    assert_int_equal(test, (int64_t)llround(r.n * 0.25));
    assert_int_equal(mfr_split_test_fold(&p, 0), 1);
}

static void split_leave_out_keeps_small_users(void **state) {
    (void)state;
    mfr_ratings r = table(0);
    mfr_split_params p = mfr_split_params_default();
    p.kind = MFR_SPLIT_LEAVE_OUT;
    p.leave_out = 2;
    p.min_user_ratings = 6; /* users 0..2 (3..5 ratings) stay in train */
    int32_t fold[600], nf = 0, test_of[NU] = {0};
    assert_int_equal(mfr_split_assign(&r, &p, fold, &nf, NULL), MFR_OK);
    for (int64_t j = 0; j < r.n; j++) test_of[r.user[j]] += fold[j];
    for (int u = 0; u < NU; u++) assert_int_equal(test_of[u], u + 3 < 6 ? 0 : 2);
}

static void split_time_cut_ordering(void **state) {
    (void)state;
    mfr_ratings r = table(1);
    mfr_split_params p = mfr_split_params_default();
    p.kind = MFR_SPLIT_TIME;
    p.test_frac = 0.3;
    int32_t fold[600], nf = 0;
    assert_int_equal(mfr_split_assign(&r, &p, fold, &nf, NULL), MFR_OK);
    int64_t max_train = INT64_MIN, min_test = INT64_MAX, nt = 0;
    for (int64_t j = 0; j < r.n; j++) {
        if (fold[j]) {
            nt++;
            if (r.time[j] < min_test) min_test = r.time[j];
        } else if (r.time[j] > max_train) {
            max_train = r.time[j];
        }
    }
    assert_true(max_train <= min_test);
    assert_int_equal(nt, (int64_t)llround(r.n * 0.3));
}

static void split_user_last_takes_latest(void **state) {
    (void)state;
    mfr_ratings r = table(1);
    mfr_split_params p = mfr_split_params_default();
    p.kind = MFR_SPLIT_USER_LAST;
    p.leave_out = 1;
    int32_t fold[600], nf = 0;
    assert_int_equal(mfr_split_assign(&r, &p, fold, &nf, NULL), MFR_OK);
    for (int u = 0; u < NU; u++) {
        int64_t max_train = INT64_MIN, test_t = INT64_MIN, n_test = 0;
        for (int64_t j = 0; j < r.n; j++) {
            if (r.user[j] != u) continue;
            if (fold[j]) {
                n_test++;
                test_t = r.time[j];
            } else if (r.time[j] > max_train) {
                max_train = r.time[j];
            }
        }
        assert_int_equal(n_test, 1);
        assert_true(test_t >= max_train);
    }
}

static void split_errors(void **state) {
    (void)state;
    mfr_ratings r = table(0);
    mfr_split_params p = mfr_split_params_default();
    int32_t fold[600], nf;
    mfr_error e;
    p.test_frac = 1.5;
    assert_int_equal(mfr_split_assign(&r, &p, fold, &nf, &e), MFR_E_INVALID);
    assert_non_null(strstr(e.message, "test_frac"));
    p = mfr_split_params_default();
    p.kind = MFR_SPLIT_KFOLD;
    p.folds = 1;
    assert_int_equal(mfr_split_assign(&r, &p, fold, &nf, &e), MFR_E_INVALID);
    assert_non_null(strstr(e.message, "folds"));
    p.kind = MFR_SPLIT_TIME;
    assert_int_equal(mfr_split_assign(&r, &p, fold, &nf, &e), MFR_E_INVALID);
    assert_non_null(strstr(e.message, "timestamps"));
    p.kind = MFR_SPLIT_LEAVE_OUT;
    p.leave_out = 0;
    assert_int_equal(mfr_split_assign(&r, &p, fold, &nf, &e), MFR_E_INVALID);
}

/* A test file's ids are mapped into the training dataset; unknown ones -1. */
static void ratings_map_marks_unknown(void **state) {
    (void)state;
    int32_t u1[] = {0, 1, 2}, i1[] = {0, 1, 2};
    float v1[] = {1, 2, 3};
    int32_t u2[] = {0, 3, 1}, i2[] = {4, 0, 2};
    float v2[] = {4, 5, 1};
    mfr_dataset *train = NULL, *test = NULL;
    assert_int_equal(mfr__dataset_from_arrays(3, 3, 3, u1, i1, v1, NULL, &train, NULL), MFR_OK);
    assert_int_equal(mfr__dataset_from_arrays(4, 5, 3, u2, i2, v2, NULL, &test, NULL), MFR_OK);
    mfr_ratings m;
    assert_int_equal(mfr_ratings_map(test, train, &m, NULL), MFR_OK);
    assert_int_equal(m.n, 3);
    assert_int_equal(m.user[0], 0);
    assert_int_equal(m.item[0], -1); /* item id 5 unknown to train */
    assert_int_equal(m.user[1], -1); /* user id 4 unknown */
    assert_int_equal(m.item[1], 0);
    assert_int_equal(m.user[2], 1);
    assert_int_equal(m.item[2], 2);
    assert_float_near(m.rating[2], 1, 0);
    mfr_ratings_free(&m);
    mfr_dataset_free(train);
    mfr_dataset_free(test);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rank_metrics_basic),
        cmocka_unit_test(rank_metrics_k_longer_than_list),
        cmocka_unit_test(rank_metrics_perfect),
        cmocka_unit_test(rank_metrics_no_relevant),
        cmocka_unit_test(rank_metrics_empty_list),
        cmocka_unit_test(rank_metrics_relevant_below_cutoff),
        cmocka_unit_test(rank_metrics_map_two_hits),
        cmocka_unit_test(top_k_ties_and_skips),
        cmocka_unit_test(metric_names_roundtrip),
        cmocka_unit_test(split_kfold_partition),
        cmocka_unit_test(split_holdout_exact_size),
        cmocka_unit_test(split_leave_out_keeps_small_users),
        cmocka_unit_test(split_time_cut_ordering),
        cmocka_unit_test(split_user_last_takes_latest),
        cmocka_unit_test(split_errors),
        cmocka_unit_test(ratings_map_marks_unknown),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
