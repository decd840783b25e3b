/* test_explain.c — mfr_model_explain and mfr_model_item_histogram
 * (src/model/explain.c) on ml-latest-small with a baseline model (skips
 * without the data): Return of the Jedi is explained by the other Star Wars
 * films a user liked, never by a liked movie outside its co-occurrence
 * neighbours; a movie's histogram sums to its training count and puts its
 * mass where its mean is. */
#include "ml_baseline.h"

static int32_t idx(int64_t id) {
    int32_t i = mfr_model_item_index(g_m, id);
    assert_true(i >= 0);
    return i;
}

static void explain_star_wars(void **state) {
    (void)state;
    NEED_MODEL();
    /* liked: A New Hope (260), Empire (1196), Toy Story (1), Heat (6) */
    int32_t liked[4] = {idx(260), idx(1196), idx(1), idx(6)};
    mfr_scored why[3];
    int32_t n = -1;
    assert_int_equal(mfr_model_explain(g_m, idx(1210), liked, 4, why, 3, &n, NULL), MFR_OK);
    assert_true(n >= 2);
    /* the two Star Wars films explain Jedi best, before Toy Story or Heat */
    assert_true((why[0].item == idx(1196) && why[1].item == idx(260)) ||
                (why[0].item == idx(260) && why[1].item == idx(1196)));
    for (int32_t j = 0; j < n; j++) {
        assert_true(why[j].score > 0);
        if (j) assert_true(why[j - 1].score >= why[j].score);
    }
    /* nothing liked, or cap 0: no rows; bad arguments: errors */
    assert_int_equal(mfr_model_explain(g_m, idx(1210), liked, 0, why, 3, &n, NULL), MFR_OK);
    assert_int_equal(n, 0);
    assert_int_equal(mfr_model_explain(g_m, -1, liked, 4, why, 3, &n, NULL), MFR_E_NOT_FOUND);
    assert_int_equal(mfr_model_explain(g_m, 0, NULL, 4, why, 3, &n, NULL), MFR_E_INVALID);
}

static void histogram_sums_to_count(void **state) {
    (void)state;
    NEED_MODEL();
    int32_t h[10];
    int32_t i = idx(318); /* Shawshank: mostly 4.5 and 5 */
    assert_int_equal(mfr_model_item_histogram(g_m, i, h, NULL), MFR_OK);
    int32_t sum = 0, high = h[8] + h[9];
    for (int b = 0; b < 10; b++) sum += h[b];
    assert_int_equal(sum, mfr_model_item_count(g_m, i));
    assert_true(2 * high > sum);
    assert_int_equal(mfr_model_item_histogram(g_m, mfr_model_n_items(g_m), h, NULL), MFR_E_NOT_FOUND);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(explain_star_wars),
        cmocka_unit_test(histogram_sums_to_count),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, ml_baseline_setup, ml_baseline_teardown);
}
