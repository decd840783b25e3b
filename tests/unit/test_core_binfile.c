/* test_core_binfile.c — the binary-file helper both .mfd and .mfm loaders
 * use (src/core/binfile.c): overflow-safe size and bounds checks, the CSR
 * check (pointers, lengths, sorted unique in-range rows), ids that appear
 * once, section layout and CRC, the atomic save (0644, no temporary file
 * left, an existing file replaced whole) and reading a file into memory. */
#include "test.h"

#include <sys/stat.h>
#include <unistd.h>

#include "core/binfile.h"

static void sizes_and_bounds(void **state) {
    (void)state;
    assert_true(mfr__bytes_are(12, 3, 4));
    assert_false(mfr__bytes_are(12, 4, 4));
    assert_false(mfr__bytes_are(13, 3, 4));
    assert_false(mfr__bytes_are(0, -1, 4));
    /* 4 * (2^62 + 3) wraps to 12 in 64 bits: not equal */
    assert_false(mfr__bytes_are(12, ((int64_t)1 << 62) + 3, 4));
    assert_true(mfr__bsec_inside(64, 100, 64, 164));
    assert_false(mfr__bsec_inside(64, 101, 64, 164));
    assert_false(mfr__bsec_inside(65, 10, 64, 164)); /* not aligned */
    assert_false(mfr__bsec_inside(0, 10, 64, 164));  /* before the data */
    assert_false(mfr__bsec_inside(128, UINT64_MAX - 64, 64, 164)); /* off + size wraps */
    const int32_t v[] = {0, 3, 2, 5};
    assert_int_equal(mfr__first_out_of_range(v, 4, 0, 6), -1);
    assert_int_equal(mfr__first_out_of_range(v, 4, 0, 5), 3);
    assert_int_equal(mfr__first_out_of_range(v, 4, 1, 6), 0);
}

static void csr_checks(void **state) {
    (void)state;
    const int64_t ptr[] = {0, 2, 2, 5};
    int32_t idx[] = {1, 3, 0, 2, 4};
    int64_t row = -1;
    assert_null(mfr__csr_check(ptr, 3, 5, idx, 5, -1, &row));
    assert_null(mfr__csr_check(ptr, 3, 5, NULL, 0, 3, &row)); /* structure only */
    assert_string_equal(mfr__csr_check(ptr, 3, 5, idx, 4, -1, &row), "index out of range");
    assert_int_equal(row, 2);
    assert_string_equal(mfr__csr_check(ptr, 3, 5, idx, 5, 2, &row), "row length");
    assert_int_equal(row, 2);
    assert_string_equal(mfr__csr_check(ptr, 3, 6, idx, 5, -1, &row), "row pointers");
    idx[3] = 0; /* row 2: 0, 0, 4 */
    assert_string_equal(mfr__csr_check(ptr, 3, 5, idx, 5, -1, &row), "unsorted or repeated index");
    assert_int_equal(row, 2);
    idx[3] = -1; /* row 2: 0, -1, 4 */
    assert_string_equal(mfr__csr_check(ptr, 3, 5, idx, 5, -1, &row), "index out of range");
    const int64_t down[] = {0, 3, 1, 5}; /* row 1 ends before it starts */
    assert_string_equal(mfr__csr_check(down, 3, 5, NULL, 0, -1, &row), "row pointers");
    assert_int_equal(row, 1);
    const int64_t past[] = {0, 9, 9, 5}; /* row 0 ends past nnz */
    assert_string_equal(mfr__csr_check(past, 3, 5, NULL, 0, -1, &row), "row pointers");
    assert_int_equal(row, 0);
    const int64_t late[] = {1, 2, 2, 5};
    assert_string_equal(mfr__csr_check(late, 3, 5, NULL, 0, -1, &row), "row pointers");
}

static void ids_once(void **state) {
    (void)state;
    mfr__idmap m = {0};
    const int64_t ok[] = {10, 7, 12345678901LL}, dup[] = {10, 7, 10};
    assert_int_equal(mfr__idmap_from_ids(&m, ok, 3, "f.mfm", "user", NULL), MFR_OK);
    assert_int_equal(mfr__idmap_get(&m, 7), 1);
    assert_int_equal(mfr__idmap_get(&m, 12345678901LL), 2);
    mfr_error err = {0};
    assert_int_equal(mfr__idmap_from_ids(&m, dup, 3, "f.mfm", "movie", &err), MFR_E_FORMAT);
    assert_string_equal(err.message, "f.mfm: movie id 10 appears twice (indices 0 and 2)");
    mfr__idmap_free(&m);
    /* allocation failures: NOMEM, nothing leaked (ASan) */
    for (long n = 0; n < 4; n++) {
        mfr__alloc_fail_after(n);
        mfr_status st = mfr__idmap_from_ids(&m, ok, 3, NULL, "user", NULL);
        mfr__alloc_fail_after(-1);
        assert_true(st == MFR_OK || st == MFR_E_NOMEM);
        mfr__idmap_free(&m);
    }
}

static void layout_save_and_read(void **state) {
    (void)state;
    const char *d = temp_dir();
    char p[512], cmd[600];
    snprintf(p, sizeof p, "%s/x.bin", d);
    unsigned char head[100];
    memset(head, 0xab, sizeof head);
    const char a[] = "abc";
    mfr__bsec s[3] = {{.data = a, .size = 3}, {.size = 70}, {.data = a, .size = 0}};
    uint64_t end = mfr__bsec_layout(s, 3, sizeof head);
    assert_int_equal(s[0].off, 128);
    assert_int_equal(s[1].off, 192);
    assert_int_equal(s[2].off, 320); /* an empty section: where it would start */
    assert_int_equal(end, 320);
    /* an existing file is replaced whole */
    write_whole(p, "old contents", 12);
    assert_int_equal(mfr__bin_save(p, head, sizeof head, s, 3, NULL), MFR_OK);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    assert_int_equal(st.st_size, 320);
    snprintf(cmd, sizeof cmd, "test $(ls -A '%s' | wc -l) -eq 1", d); /* no temporary left */
    assert_int_equal(system(cmd), 0);
    void *b = NULL;
    uint64_t len = 0;
    assert_int_equal(mfr__bin_read(p, 100, &b, &len, NULL), MFR_OK);
    assert_int_equal(len, 320);
    assert_true((uintptr_t)b % 64 == 0);
    const unsigned char *u = b;
    assert_memory_equal(u, head, sizeof head);
    assert_memory_equal(u + 128, "abc", 3);
    for (uint64_t j = 100; j < 320; j++)
        if (j < 128 || j >= 131) assert_int_equal(u[j], 0);
    assert_int_equal(mfr__bsec_crc(s, 3, sizeof head), mfr__crc32(0, u + 100, 220));
    mfr__bin_free(b, len);
    /* the block counts as an allocation: fault injection reaches it */
    mfr__alloc_fail_after(0);
    assert_int_equal(mfr__bin_read(p, 100, &b, &len, NULL), MFR_E_NOMEM);
    mfr__alloc_fail_after(-1);
    assert_null(b);
    /* too short, missing, a folder */
    mfr_error err = {0};
    assert_int_equal(mfr__bin_read(p, 321, &b, &len, &err), MFR_E_FORMAT);
    assert_non_null(strstr(err.message, "truncated: header needs 321 bytes, file has 320"));
    assert_null(b);
    unlink(p);
    assert_int_equal(mfr__bin_read(p, 1, &b, &len, &err), MFR_E_IO);
    assert_non_null(strstr(err.message, p));
    assert_int_equal(mfr__bin_read(d, 1, &b, &len, &err), MFR_E_IO);
    /* a folder that does not exist: MFR_E_IO naming the target */
    assert_int_equal(mfr__bin_save("/nonexistent-mfrec/x.bin", head, sizeof head, s, 3, &err), MFR_E_IO);
    assert_non_null(strstr(err.message, "/nonexistent-mfrec/x.bin"));
    rmdir(d);
}

/* A save whose middle section is streamed (written in pieces at its offset,
 * out of order, its CRC combined from the pieces') gives the same bytes and
 * payload CRC as the save of the whole; a failed save leaves no file. */
static void streamed_section(void **state) {
    (void)state;
    const char *d = temp_dir();
    char pa[512], pb[512], cmd[1100];
    snprintf(pa, sizeof pa, "%s/whole.bin", d);
    snprintf(pb, sizeof pb, "%s/streamed.bin", d);
    unsigned char head[70], mid[1000];
    memset(head, 0x5a, sizeof head);
    for (size_t j = 0; j < sizeof mid; j++) mid[j] = (unsigned char)(j * 7 + 3);
    const char a[] = "first", z[] = "last";
    mfr__bsec s[3] = {{.data = a, .size = 5}, {.data = mid, .size = sizeof mid}, {.data = z, .size = 4}};
    uint64_t end = mfr__bsec_layout(s, 3, sizeof head);
    uint32_t whole = mfr__bsec_crc(s, 3, sizeof head);
    assert_int_equal(mfr__bin_save(pa, head, sizeof head, s, 3, NULL), MFR_OK);
    mfr__bsec t[3];
    memcpy(t, s, sizeof t);
    t[1].data = NULL, t[1].streamed = 1;
    mfr__bin_out o;
    assert_int_equal(mfr__bin_out_open(&o, pb, NULL), MFR_OK);
    assert_int_equal(mfr__bin_out_sections(&o, sizeof head, t, 3, NULL), MFR_OK);
    /* the second piece first */
    assert_int_equal(mfr__bin_out_at(&o, t[1].off + 600, mid + 600, 400, NULL), MFR_OK);
    assert_int_equal(mfr__bin_out_at(&o, t[1].off, mid, 600, NULL), MFR_OK);
    t[1].crc = mfr__crc32_combine(mfr__crc32(0, mid, 600), mfr__crc32(0, mid + 600, 400), 400);
    assert_int_equal(t[1].crc, mfr__crc32(0, mid, sizeof mid));
    assert_int_equal(mfr__bsec_crc(t, 3, sizeof head), whole);
    assert_int_equal(mfr__bin_out_at(&o, 0, head, sizeof head, NULL), MFR_OK);
    assert_int_equal(mfr__bin_out_commit(&o, NULL), MFR_OK);
    struct stat st;
    assert_int_equal(stat(pb, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    assert_int_equal((uint64_t)st.st_size, end);
    snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", pa, pb);
    assert_int_equal(system(cmd), 0);
    /* abandoned: neither the target nor a temporary file */
    unlink(pb);
    assert_int_equal(mfr__bin_out_open(&o, pb, NULL), MFR_OK);
    assert_int_equal(mfr__bin_out_sections(&o, sizeof head, t, 3, NULL), MFR_OK);
    mfr__bin_out_abort(&o);
    snprintf(cmd, sizeof cmd, "test $(ls -A '%s' | wc -l) -eq 1", d);
    assert_int_equal(system(cmd), 0);
    mfr_error err = {0};
    assert_int_equal(mfr__bin_out_open(&o, "/nonexistent-mfrec/x.bin", &err), MFR_E_IO);
    assert_non_null(strstr(err.message, "cannot create a temporary file"));
    unlink(pa);
    rmdir(d);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sizes_and_bounds),
        cmocka_unit_test(csr_checks),
        cmocka_unit_test(ids_once),
        cmocka_unit_test(layout_save_and_read),
        cmocka_unit_test(streamed_section),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
