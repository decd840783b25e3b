/* test_model_hostile.c — a family's own sections behind valid checksums
 * (issue 11, "loaders check consistency"): the content model's sparse rows
 * (CNIP/CNIT/CNIW, content.c view_rows) go through the shared checks of
 * src/core/binfile.c. The row pointer's last entry + 2^62 made the section
 * size check 4 × nnz wrap back to the real size, and the term loop read far
 * past the file; the knn cases are in test_algo_knn.c, the core ones in
 * test_model.c. */
#include "test.h"

#include <unistd.h>

/* A content model of the catalogue-and-tags fixture, saved: its bytes. */
static unsigned char *saved_content(char *path, size_t cap, long *len) {
    mfr_dataset *ds = NULL;
    mfr_error err = {0};
    assert_int_equal(mfr_dataset_import(fixture("io/csv"), NULL, &ds, &err), MFR_OK);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_CONTENT);
    p.threads = 1;
    mfr_model *m = NULL;
    mfr_status st = mfr_model_train(ds, NULL, NULL, &p, &m, &err);
    if (st) print_error("train: %s\n", err.message);
    assert_int_equal(st, MFR_OK);
    snprintf(path, cap, "%s/c.mfm", temp_dir());
    assert_int_equal(mfr_model_save(m, path, NULL), MFR_OK);
    mfr_model_free(m);
    mfr_dataset_free(ds);
    return (unsigned char *)read_whole(path, len);
}

static void content_rows_checked_without_overflow(void **state) {
    (void)state;
    char path[512];
    long len;
    unsigned char *orig = saved_content(path, sizeof path, &len), *b = malloc((size_t)len);
    const char *ptrs[] = {"CNIP", "CNUP"};
    for (int k = 0; k < 2; k++) {
        memcpy(b, orig, (size_t)len);
        uint64_t size = 0;
        unsigned char *p = mfm_section(b, len, ptrs[k], &size, NULL);
        assert_non_null(p);
        assert_true(size >= 16);
        int64_t last;
        memcpy(&last, p + size - 8, 8);
        last += (int64_t)1 << 62; /* 4 x last wraps to the real byte count */
        memcpy(p + size - 8, &last, 8);
        fix_crcs(b, len);
        write_whole(path, (char *)b, len);
        expect_model_refused(path, "content model: term sections do not match the index");
        /* a row that ends before it starts */
        memcpy(b, orig, (size_t)len);
        p = mfm_section(b, len, ptrs[k], &size, NULL);
        int64_t big = 1 << 20;
        memcpy(p + 8, &big, 8);
        fix_crcs(b, len);
        write_whole(path, (char *)b, len);
        expect_model_refused(path, "content model: row 0 out of order");
    }
    /* the untouched file loads */
    write_whole(path, (char *)orig, len);
    mfr_model *m = NULL;
    assert_int_equal(mfr_model_load(path, &m, NULL), MFR_OK);
    mfr_model_free(m);
    free(b);
    free(orig);
    unlink(path);
}

/* The header's term count sizes every new user's term buffer: a count the
 * movie rows cannot hold (each term is some movie's genre or tag) is refused,
 * where it made each list for a new user ask for gigabytes. */
static void content_term_count_bounded(void **state) {
    (void)state;
    char path[512];
    long len;
    unsigned char *b = saved_content(path, sizeof path, &len);
    uint64_t size = 0;
    unsigned char *p = mfm_section(b, len, "CNTH", &size, NULL);
    assert_non_null(p);
    int32_t terms;
    memcpy(&terms, p + 8, 4);
    assert_true(terms > 0);
    terms = 778776161;
    memcpy(p + 8, &terms, 4);
    fix_crcs(b, len);
    write_whole(path, (char *)b, len);
    expect_model_refused(path, "content model: 778776161 terms but");
    free(b);
    unlink(path);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(content_rows_checked_without_overflow),
        cmocka_unit_test(content_term_count_bounded),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
