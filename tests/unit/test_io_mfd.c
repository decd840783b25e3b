/* test_io_mfd.c — the binary dataset file: round trips (every array equal),
 * and each way a file can be wrong (truncated, corrupted data or header,
 * wrong magic, wrong version, trailing bytes, inconsistent contents behind a
 * valid checksum) failing with MFR_E_FORMAT and a message saying what is
 * wrong; a failing save leaves nothing behind; allocation faults on load. */
#include "test.h"

#include <sys/stat.h>
#include <unistd.h>

#include "data/dataset_impl.h"
#include "io/mfd.h"

static mfr_dataset *import_ok(const char *path) {
    mfr_error e = {0};
    mfr_dataset *ds = NULL;
    mfr_status rc = mfr_dataset_import(path, NULL, &ds, &e);
    if (rc != MFR_OK) print_error("import %s: %s\n", path, e.message);
    assert_int_equal(rc, MFR_OK);
    return ds;
}

static void save_ok(const mfr_dataset *ds, const char *path) {
    mfr_error e = {0};
    mfr_status rc = mfr_dataset_save(ds, path, &e);
    if (rc != MFR_OK) print_error("save %s: %s\n", path, e.message);
    assert_int_equal(rc, MFR_OK);
    struct stat st; /* readable by others, like a model file (not mkstemp's 0600) */
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
}

#define SAME_ARRAY(a, b, n) assert_memory_equal((a), (b), (size_t)(n) * sizeof *(a))

static void assert_same(const mfr_dataset *a, const mfr_dataset *b) {
    assert_int_equal(a->n_ratings, b->n_ratings);
    assert_int_equal(a->n_users, b->n_users);
    assert_int_equal(a->n_items, b->n_items);
    assert_int_equal(a->n_catalog, b->n_catalog);
    assert_int_equal(a->n_tags, b->n_tags);
    assert_int_equal(a->cat.strings_len, b->cat.strings_len);
    assert_float_near(a->scale_min, b->scale_min, 0);
    assert_float_near(a->scale_max, b->scale_max, 0);
    SAME_ARRAY(a->user, b->user, a->n_ratings);
    SAME_ARRAY(a->item, b->item, a->n_ratings);
    SAME_ARRAY(a->rating, b->rating, a->n_ratings);
    assert_int_equal(a->time == NULL, b->time == NULL);
    if (a->time) SAME_ARRAY(a->time, b->time, a->n_ratings);
    SAME_ARRAY(a->user_ids, b->user_ids, a->n_users);
    SAME_ARRAY(a->item_ids, b->item_ids, a->n_items);
    SAME_ARRAY(a->cat.strings, b->cat.strings, a->cat.strings_len);
    SAME_ARRAY(a->cat.title_off, b->cat.title_off, a->n_items);
    SAME_ARRAY(a->cat.genres_off, b->cat.genres_off, a->n_items);
    SAME_ARRAY(a->cat.year, b->cat.year, a->n_items);
    if (a->n_tags) {
        SAME_ARRAY(a->tag_item, b->tag_item, a->n_tags);
        SAME_ARRAY(a->tag_user, b->tag_user, a->n_tags);
        SAME_ARRAY(a->tag_off, b->tag_off, a->n_tags);
    }
    assert_memory_equal(&a->report, &b->report, sizeof a->report);
    for (int32_t k = 0; k < a->report.n_messages; k++)
        assert_string_equal(mfr_dataset_message(a, k), mfr_dataset_message(b, k));
    for (int32_t u = 0; u < a->n_users; u++)
        assert_int_equal(mfr_dataset_user_index(b, mfr_dataset_user_id(a, u)), u);
    for (int32_t i = 0; i < a->n_items; i++)
        assert_int_equal(mfr_dataset_item_index(b, mfr_dataset_item_id(a, i)), i);
}

static void round_trip(const char *src) {
    const char *d = temp_dir();
    char p[512];
    snprintf(p, sizeof p, "%s/data.mfd", d);
    mfr_dataset *a = import_ok(src);
    save_ok(a, p);
    mfr_dataset *b = import_ok(p);
    assert_non_null(b->map_base); /* one block read from the file, not parsed */
    assert_true((uintptr_t)b->user % 64 == 0 && (uintptr_t)b->rating % 64 == 0);
    assert_string_equal(mfr_dataset_source(b), p);
    assert_same(a, b);
    /* saving the mapped dataset again gives the same bytes */
    char q[512];
    snprintf(q, sizeof q, "%s/again.mfd", d);
    save_ok(b, q);
    mfr_dataset *c = import_ok(q);
    assert_same(b, c);
    mfr_dataset_free(a);
    mfr_dataset_free(b);
    mfr_dataset_free(c);
    unlink(p);
    unlink(q);
    rmdir(d);
}

static void mfd_round_trip_fixture(void **state) {
    (void)state;
    round_trip(fixture("io/csv"));         /* catalogue, tags */
    round_trip(fixture("io/bad"));         /* messages, report counts */
    round_trip(fixture("io/generic.txt")); /* no timestamps */
}

static void mfd_round_trip_synthetic(void **state) {
    (void)state;
    const int32_t user[4] = {0, 1, 2, 0}, item[4] = {1, 0, 1, 2};
    const float rating[4] = {1, 2, 3, 4};
    mfr_dataset *a = NULL;
    mfr_error e = {0};
    assert_int_equal(mfr__dataset_from_arrays(3, 3, 4, user, item, rating, NULL, &a, &e), MFR_OK);
    const char *d = temp_dir();
    char p[512];
    snprintf(p, sizeof p, "%s/s.mfd", d);
    save_ok(a, p);
    mfr_dataset *b = import_ok(p);
    assert_same(a, b);
    mfr_dataset_free(a);
    mfr_dataset_free(b);
    unlink(p);
    rmdir(d);
}

static void mfd_round_trip_movielens(void **state) {
    (void)state;
    const char *dir = movielens_dir();
    if (!dir) {
        print_message("skipped: ml-latest-small not found (set MFR_DATA_DIR)\n");
        skip();
    }
    round_trip(dir);
}

/* A saved fixture's bytes, for the corruption tests. */
static unsigned char *saved_bytes(const char *p, size_t *n) {
    mfr_dataset *a = import_ok(fixture("io/csv"));
    save_ok(a, p);
    mfr_dataset_free(a);
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(*n + 64);
    assert_int_equal(fread(b, 1, *n, f), *n);
    fclose(f);
    return b;
}

static void write_bytes(const char *p, const unsigned char *b, size_t n) {
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, n, f), n);
    fclose(f);
}

/* Import must fail with MFR_E_FORMAT and a message containing want. */
static void expect_format(const char *p, const char *want) {
    mfr_error e = {0};
    mfr_dataset *ds = (mfr_dataset *)&e;
    mfr_status rc = mfr_dataset_import(p, NULL, &ds, &e);
    if (rc != MFR_E_FORMAT || !strstr(e.message, want))
        print_error("rc %d, message \"%s\", wanted \"%s\"\n", rc, e.message, want);
    assert_int_equal(rc, MFR_E_FORMAT);
    assert_null(ds);
    assert_non_null(strstr(e.message, want));
    assert_non_null(strstr(e.message, p));
}

static void reseal_header(unsigned char *b) {
    uint32_t crc = mfr__crc32(0, b, MFD_OFF_HEADER_CRC);
    memcpy(b + MFD_OFF_HEADER_CRC, &crc, 4);
}

static void mfd_truncated(void **state) {
    (void)state;
    const char *d = temp_dir();
    char p[512];
    snprintf(p, sizeof p, "%s/t.mfd", d);
    size_t n;
    unsigned char *b = saved_bytes(p, &n);
    write_bytes(p, b, 100);
    expect_format(p, "truncated: header needs 384 bytes, file has 100");
    write_bytes(p, b, n - 10);
    char want[128];
    snprintf(want, sizeof want, "truncated: header says %zu bytes, file has %zu", n, n - 10);
    expect_format(p, want);
    memset(b + n, 0, 64);
    write_bytes(p, b, n + 7);
    expect_format(p, "7 trailing bytes");
    free(b);
    unlink(p);
    rmdir(d);
}

static void mfd_corrupted(void **state) {
    (void)state;
    const char *d = temp_dir();
    char p[512];
    snprintf(p, sizeof p, "%s/c.mfd", d);
    size_t n;
    unsigned char *b = saved_bytes(p, &n);
    b[n - 70] ^= 0x40; /* a byte in the data part */
    write_bytes(p, b, n);
    expect_format(p, "data checksum mismatch");
    b[n - 70] ^= 0x40;
    b[24] ^= 1; /* n_users in the header */
    write_bytes(p, b, n);
    expect_format(p, "header checksum mismatch");
    b[24] ^= 1;
    write_bytes(p, b, n);
    mfr_dataset *ok = import_ok(p); /* restored: loads again */
    mfr_dataset_free(ok);
    free(b);
    unlink(p);
    rmdir(d);
}

static void mfd_wrong_magic_and_version(void **state) {
    (void)state;
    const char *d = temp_dir();
    char p[512];
    snprintf(p, sizeof p, "%s/v.mfd", d);
    size_t n;
    unsigned char *b = saved_bytes(p, &n);
    uint32_t v = 2;
    memcpy(b + 4, &v, 4);
    reseal_header(b);
    write_bytes(p, b, n);
    expect_format(p, "format version 2, this build reads version 1");
    v = MFD_VERSION;
    memcpy(b + 4, &v, 4);
    memcpy(b, "MFRX", 4);
    write_bytes(p, b, n);
    mfr_import_params ip = mfr_import_params_default();
    ip.format = MFR_FMT_MFD; /* forced: otherwise the file is not sniffed as .mfd */
    mfr_error e = {0};
    mfr_dataset *ds = NULL;
    assert_int_equal(mfr_dataset_import(p, &ip, &ds, &e), MFR_E_FORMAT);
    assert_non_null(strstr(e.message, "magic is not \"MFRD\""));
    free(b);
    unlink(p);
    rmdir(d);
}

static void mfd_inconsistent_contents(void **state) {
    (void)state;
    const char *d = temp_dir();
    char p[512];
    snprintf(p, sizeof p, "%s/i.mfd", d);
    size_t n;
    unsigned char *b = saved_bytes(p, &n);
    /* user index of rating 0 -> 999, then fix both checksums */
    uint64_t off;
    memcpy(&off, b + MFD_OFF_TABLE + 16 * MFD_USER, 8);
    int32_t bad = 999;
    memcpy(b + off, &bad, 4);
    uint32_t crc = mfr__crc32(0, b + MFD_HEADER_SIZE, n - MFD_HEADER_SIZE);
    memcpy(b + MFD_OFF_DATA_CRC, &crc, 4);
    reseal_header(b);
    write_bytes(p, b, n);
    expect_format(p, "rating index out of range");
    /* a section length that disagrees with the counts */
    unsigned char *c = saved_bytes(p, &n);
    uint64_t len;
    memcpy(&len, c + MFD_OFF_TABLE + 16 * MFD_RATING + 8, 8);
    len -= 4;
    memcpy(c + MFD_OFF_TABLE + 16 * MFD_RATING + 8, &len, 8);
    reseal_header(c);
    write_bytes(p, c, n);
    expect_format(p, "section rating has 16 bytes, expected 20");
    free(b);
    free(c);
    unlink(p);
    rmdir(d);
}

/* Both checksums of an .mfd image recomputed after a mutation. */
static void reseal_all(unsigned char *b, size_t n) {
    uint32_t crc = mfr__crc32(0, b + MFD_HEADER_SIZE, n - MFD_HEADER_SIZE);
    memcpy(b + MFD_OFF_DATA_CRC, &crc, 4);
    reseal_header(b);
}

/* The catalogue is checked as the model's is (mfr__catalog_check): a title
 * offset past the string pool, and a pool that does not end (or start) with
 * NUL, are refused; the file restored loads again. */
static void mfd_catalogue_checked(void **state) {
    (void)state;
    const char *d = temp_dir();
    char p[512];
    snprintf(p, sizeof p, "%s/k.mfd", d);
    size_t n;
    unsigned char *b = saved_bytes(p, &n);
    uint64_t toff, soff, slen;
    memcpy(&toff, b + MFD_OFF_TABLE + 16 * MFD_TITLE_OFF, 8);
    memcpy(&soff, b + MFD_OFF_TABLE + 16 * MFD_STRINGS, 8);
    memcpy(&slen, b + MFD_OFF_TABLE + 16 * MFD_STRINGS + 8, 8);
    assert_true(slen >= 2);
    uint32_t far = (uint32_t)slen, title1; /* one past the pool */
    memcpy(&title1, b + toff + 4, 4);       /* movie 1's title */
    memcpy(b + toff + 4, &far, 4);
    reseal_all(b, n);
    write_bytes(p, b, n);
    expect_format(p, "catalogue string offset out of range");
    memcpy(b + toff + 4, &title1, 4);
    b[soff + slen - 1] = 'x';
    reseal_all(b, n);
    write_bytes(p, b, n);
    expect_format(p, "string pool out of range");
    b[soff + slen - 1] = '\0';
    b[soff] = 'x';
    reseal_all(b, n);
    write_bytes(p, b, n);
    expect_format(p, "string pool out of range");
    b[soff] = '\0';
    reseal_all(b, n);
    write_bytes(p, b, n);
    mfr_dataset *ok = import_ok(p);
    assert_string_equal(mfr_dataset_item_title(ok, 1), (const char *)b + soff + title1);
    mfr_dataset_free(ok);
    free(b);
    unlink(p);
    rmdir(d);
}

/* n_messages was trusted: 2^31 - 1 in a 1.6 KB file made the loader calloc
 * 16 GiB before finding the section malformed (defect 7). Each message takes
 * at least its NUL byte, so the count is bounded by the section's length. */
static void mfd_message_count_bounded(void **state) {
    (void)state;
    const char *d = temp_dir();
    char p[512];
    snprintf(p, sizeof p, "%s/m.mfd", d);
    size_t n;
    unsigned char *b = saved_bytes(p, &n);
    uint32_t nm = INT32_MAX;
    memcpy(b + 44, &nm, 4);
    reseal_header(b);
    write_bytes(p, b, n);
    expect_format(p, "header says 2147483647 messages, section messages has 0 bytes");
    free(b);
    unlink(p);
    rmdir(d);
}

/* The same id twice (user or movie) is refused with the id named. */
static void mfd_duplicate_ids(void **state) {
    (void)state;
    const char *d = temp_dir();
    char p[512];
    snprintf(p, sizeof p, "%s/d.mfd", d);
    const int secs[] = {MFD_USER_IDS, MFD_ITEM_IDS};
    const char *what[] = {"user", "movie"};
    for (int k = 0; k < 2; k++) {
        size_t n;
        unsigned char *b = saved_bytes(p, &n);
        uint64_t off;
        memcpy(&off, b + MFD_OFF_TABLE + 16 * secs[k], 8);
        int64_t id;
        memcpy(&id, b + off, 8);
        memcpy(b + off + 8, &id, 8);
        reseal_all(b, n);
        write_bytes(p, b, n);
        char want[96];
        snprintf(want, sizeof want, "%s id %lld appears twice", what[k], (long long)id);
        expect_format(p, want);
        free(b);
    }
    unlink(p);
    rmdir(d);
}

/* A loaded dataset owns its bytes: truncating the file afterwards changes
 * nothing (a mapping would fault on the next access). */
static void mfd_survives_truncation_in_place(void **state) {
    (void)state;
    const char *d = temp_dir();
    char p[512];
    snprintf(p, sizeof p, "%s/live.mfd", d);
    mfr_dataset *a = import_ok(fixture("io/csv"));
    save_ok(a, p);
    mfr_dataset *b = import_ok(p);
    FILE *f = fopen(p, "wb"); /* same inode, now 0 bytes */
    assert_non_null(f);
    fclose(f);
    assert_same(a, b);
    mfr_dataset_free(a);
    mfr_dataset_free(b);
    unlink(p);
    rmdir(d);
}

static void mfd_save_failure(void **state) {
    (void)state;
    mfr_dataset *a = import_ok(fixture("io/csv"));
    mfr_error e = {0};
    const char *p = "/nonexistent-mfrec/dir/x.mfd";
    assert_int_equal(mfr_dataset_save(a, p, &e), MFR_E_IO);
    assert_non_null(strstr(e.message, p));
    /* an existing file is replaced whole, and no temporary file is left */
    const char *d = temp_dir();
    char q[512], cmd[600];
    snprintf(q, sizeof q, "%s/x.mfd", d);
    FILE *f = fopen(q, "wb");
    fputs("old", f);
    fclose(f);
    save_ok(a, q);
    mfr_dataset *b = import_ok(q);
    assert_same(a, b);
    snprintf(cmd, sizeof cmd, "test $(ls '%s' | wc -l) -eq 1", d);
    assert_int_equal(system(cmd), 0);
    mfr_dataset_free(a);
    mfr_dataset_free(b);
    unlink(q);
    rmdir(d);
}

static void fault_mfd(void **state) {
    (void)state;
    const char *d = temp_dir();
    char p[512];
    snprintf(p, sizeof p, "%s/f.mfd", d);
    mfr_dataset *a = import_ok(fixture("io/bad")); /* has messages */
    int saved = 0, loaded = 0;
    for (long n = 0; n < 1000 && !saved; n++) {
        mfr_error e = {0};
        mfr__alloc_fail_after(n);
        mfr_status rc = mfr_dataset_save(a, p, &e);
        mfr__alloc_fail_after(-1);
        if (rc == MFR_OK)
            saved = 1;
        else
            assert_int_equal(rc, MFR_E_NOMEM);
    }
    for (long n = 0; n < 1000 && !loaded; n++) {
        mfr_error e = {0};
        mfr_dataset *b = NULL;
        mfr__alloc_fail_after(n);
        mfr_status rc = mfr_dataset_import(p, NULL, &b, &e);
        mfr__alloc_fail_after(-1);
        if (rc == MFR_OK) {
            loaded = 1;
            assert_same(a, b);
            mfr_dataset_free(b);
        } else {
            assert_int_equal(rc, MFR_E_NOMEM);
            assert_null(b);
        }
    }
    assert_true(saved && loaded);
    mfr_dataset_free(a);
    unlink(p);
    rmdir(d);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mfd_round_trip_fixture),
        cmocka_unit_test(mfd_round_trip_synthetic),
        cmocka_unit_test(mfd_round_trip_movielens),
        cmocka_unit_test(mfd_truncated),
        cmocka_unit_test(mfd_corrupted),
        cmocka_unit_test(mfd_catalogue_checked),
        cmocka_unit_test(mfd_wrong_magic_and_version),
        cmocka_unit_test(mfd_inconsistent_contents),
        cmocka_unit_test(mfd_message_count_bounded),
        cmocka_unit_test(mfd_duplicate_ids),
        cmocka_unit_test(mfd_survives_truncation_in_place),
        cmocka_unit_test(mfd_save_failure),
        cmocka_unit_test(fault_mfd),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
