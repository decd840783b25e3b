/* test_io_dense.c — the importer's id tables (src/io/build.c): a small file
 * with a large id does not allocate a table up to that id, and ids mapped
 * before the table grows over them keep their index. Each case runs in its
 * own process (ctest), so the peak RSS is this case's. */
#include "test.h"

#include <sys/resource.h>

static long peak_kib(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* Issue 11: "1,9999999,3" used to make a 64 MiB table (4 bytes per id up
 * to 2^24) for a 40-byte file. */
static void large_id_small_file(void **state) {
    (void)state;
    const char *d = temp_dir();
    char p[512];
    snprintf(p, sizeof p, "%s/ratings.csv", d);
    static const char csv[] = "1,1,4.0,1\n1,9999999,3.0,2\n9999998,1,5.0,3\n";
    write_whole(p, csv, (long)sizeof csv - 1);
    long before = peak_kib();
    mfr_dataset *ds = NULL;
    mfr_error err = {0};
    assert_int_equal(mfr_dataset_import(p, NULL, &ds, &err), MFR_OK);
    long grew = peak_kib() - before;
    mfr_dataset_stats st;
    mfr_dataset_stats_get(ds, &st);
    assert_int_equal(st.n_items, 2);
    assert_int_equal(st.n_users, 2);
    assert_true(mfr_dataset_item_index(ds, 9999999) >= 0);
    mfr_dataset_free(ds);
    if (grew > 32 * 1024) print_error("peak RSS grew by %ld KiB\n", grew);
    assert_true(grew <= 32 * 1024);
}

/* Movie 100000 comes before the table covers it (too sparse then), then
 * 3000 more movies make the ids dense enough and movie 100001 grows the
 * table over 100000: its next rating must find the same movie. */
static void table_grows_over_mapped_id(void **state) {
    (void)state;
    const char *d = temp_dir();
    char p[512];
    snprintf(p, sizeof p, "%s/ratings.csv", d);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fprintf(f, "1,1,4.0,1\n1,100000,3.0,2\n");
    for (int i = 2; i <= 3001; i++) fprintf(f, "2,%d,3.0,3\n", i);
    fprintf(f, "3,100001,2.0,4\n3,100000,5.0,5\n");
    fclose(f);
    mfr_dataset *ds = NULL;
    mfr_error err = {0};
    assert_int_equal(mfr_dataset_import(p, NULL, &ds, &err), MFR_OK);
    mfr_dataset_stats st;
    mfr_dataset_stats_get(ds, &st);
    assert_int_equal(st.n_items, 3003);
    assert_int_equal(st.n_ratings, 3004);
    int32_t i = mfr_dataset_item_index(ds, 100000);
    assert_true(i >= 0);
    assert_int_equal(mfr_dataset_item_id(ds, i), 100000);
    mfr_dataset_free(ds);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(large_id_small_file),
    cmocka_unit_test(table_grows_over_mapped_id),
};
MFR_TEST_MAIN(tests)
