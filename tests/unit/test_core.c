/* test_core.c — core's sorted-array helpers (src/core/core.h): the one
 * binary search, over an int32 index list and over a table of records by
 * an int64 key (as the server's users table, pointers ascending by id), and
 * the one int32 order for qsort. */
#include "test.h"

#include "core/core.h"

typedef struct rec {
    int64_t id;
    int tag;
} rec;
typedef const rec *rec_ref;
#define REC_ID(r) ((r)->id)
MFR__FIND_SORTED(find_rec, rec_ref, int64_t, REC_ID)

static void find_sorted(void **state) {
    (void)state;
    const int32_t s[] = {-5, 0, 3, 3, 3, 9, INT32_MAX};
    assert_int_equal(mfr__find_sorted(s, 7, -5), 0);
    assert_int_equal(mfr__find_sorted(s, 7, 3), 2); /* the first of a repeat */
    assert_int_equal(mfr__find_sorted(s, 7, 9), 5);
    assert_int_equal(mfr__find_sorted(s, 7, INT32_MAX), 6);
    assert_int_equal(mfr__find_sorted(s, 7, 4), -1);
    assert_int_equal(mfr__find_sorted(s, 7, -6), -1);
    assert_int_equal(mfr__find_sorted(s, 7, INT32_MIN), -1);
    assert_int_equal(mfr__find_sorted(s, 5, 9), -1); /* only s[0..n) */
    assert_int_equal(mfr__find_sorted(s, 0, -5), -1);
    /* records by a key past 32 bits, through pointers */
    enum { N = 101 };
    rec r[N];
    rec_ref p[N];
    for (int i = 0; i < N; i++) r[i] = (rec){((int64_t)1 << 40) + 3 * (int64_t)i, i}, p[i] = &r[i];
    for (int64_t n = 0; n <= N; n += 25)
        for (int64_t k = ((int64_t)1 << 40) - 2; k < ((int64_t)1 << 40) + 3 * N + 2; k++) {
            int64_t at = find_rec(p, n, k), d = k - ((int64_t)1 << 40);
            int64_t want = d >= 0 && d % 3 == 0 && d / 3 < n ? d / 3 : -1;
            if (at != want) print_error("n %lld key %lld: at %lld, want %lld\n", (long long)n, (long long)k,
                                        (long long)at, (long long)want);
            assert_int_equal(at, want);
            if (at >= 0) assert_int_equal(p[at]->tag, (int)at);
        }
}

static void cmp_i32_order(void **state) {
    (void)state;
    /* the extremes too: a comparator returning x - y overflows on them */
    int32_t v[] = {7, INT32_MIN, -1, INT32_MAX, 0, 7, -7};
    const int32_t want[] = {INT32_MIN, -7, -1, 0, 7, 7, INT32_MAX};
    qsort(v, 7, sizeof *v, mfr__cmp_i32);
    for (int i = 0; i < 7; i++) assert_int_equal(v[i], want[i]);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(find_sorted),
        cmocka_unit_test(cmp_i32_order),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
