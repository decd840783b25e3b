/* test_io_bomb.c — compressed inputs are bounded by what they unpack to
 * (issue 11, defect 7): a zip entry or gzip file may give at most 32 times
 * its compressed size or 16 MiB, whichever is larger (src/io/source.c). A
 * 200 KB zip of one repeated line used to unpack to 200 MB and take 831 MB
 * to import; now it is refused with MFR_E_LIMIT naming the file, while a
 * normal archive below the limit imports. The archives are built here with
 * libarchive and zlib. */
#include "test.h"

#include <archive.h>
#include <archive_entry.h>
#include <unistd.h>
#include <zlib.h>


/* "userId,movieId,rating,timestamp" then rows: lines copies of one line
 * (bomb) or distinct users and movies (a normal file). */
static char *ratings_text(long lines, int bomb, size_t *len) {
    size_t cap = 64 + (size_t)lines * 40, n = 0;
    char *b = malloc(cap);
    assert_non_null(b);
    n += (size_t)snprintf(b, cap, "userId,movieId,rating,timestamp\n");
    for (long j = 0; j < lines; j++)
        n += (size_t)snprintf(b + n, cap - n, "%ld,%ld,%.1f,%ld\n", bomb ? 1 : 1 + j / 50,
                              bomb ? 1 : 1 + (j * 7) % 997, bomb ? 4.0 : 0.5 + (double)(j % 10) / 2,
                              bomb ? 0L : 964982703L + j);
    *len = n;
    return b;
}

static void write_zip(const char *zip_path, const char *name, const char *data, size_t len) {
    struct archive *a = archive_write_new();
    assert_int_equal(archive_write_set_format_zip(a), ARCHIVE_OK);
    assert_int_equal(archive_write_open_filename(a, zip_path), ARCHIVE_OK);
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_size(e, (la_int64_t)len);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
    assert_int_equal(archive_write_data(a, data, len), (la_ssize_t)len);
    archive_entry_free(e);
    archive_write_close(a);
    archive_write_free(a);
}

static void write_gz(const char *path, const char *data, size_t len) {
    gzFile g = gzopen(path, "wb9");
    assert_non_null(g);
    assert_int_equal(gzwrite(g, data, (unsigned)len), (int)len);
    assert_int_equal(gzclose(g), Z_OK);
}

static long file_size(const char *path) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

/* Import must fail with MFR_E_LIMIT naming path and the limit, no dataset. */
static void expect_refused(const char *path) {
    mfr_dataset *ds = (mfr_dataset *)1;
    mfr_error err = {0};
    mfr_status st = mfr_dataset_import(path, NULL, &ds, &err);
    if (st != MFR_E_LIMIT) print_error("status %d: %s\n", st, err.message);
    assert_int_equal(st, MFR_E_LIMIT);
    assert_null(ds);
    assert_non_null(strstr(err.message, path));
    assert_non_null(strstr(err.message, "decompresses to more than 16777216 bytes"));
}

static void zip_bomb_refused(void **state) {
    (void)state;
    const char *d = temp_dir();
    char z[512];
    snprintf(z, sizeof z, "%s/bomb.zip", d);
    size_t len;
    char *text = ratings_text(2000000, 1, &len); /* 26 MB of one repeated row */
    write_zip(z, "ml-bomb/ratings.csv", text, len);
    long packed = file_size(z);
    print_message("zip: %zu bytes unpacked from %ld\n", len, packed);
    assert_true(packed < 200000 && len > ((size_t)16 << 20));
    expect_refused(z);
    free(text);
    unlink(z);
    rmdir(d);
}

static void gzip_bomb_refused(void **state) {
    (void)state;
    const char *d = temp_dir();
    char g[512];
    snprintf(g, sizeof g, "%s/ratings.csv.gz", d);
    size_t len;
    char *text = ratings_text(2000000, 1, &len);
    write_gz(g, text, len);
    assert_true(file_size(g) < 200000);
    expect_refused(g);
    free(text);
    unlink(g);
    rmdir(d);
}

/* Below the limit (and for plain files, which have none) nothing changes. */
static void normal_archives_import(void **state) {
    (void)state;
    const char *d = temp_dir();
    char z[512], g[512];
    snprintf(z, sizeof z, "%s/ok.zip", d);
    snprintf(g, sizeof g, "%s/ratings.csv.gz", d);
    size_t len;
    char *text = ratings_text(20000, 0, &len);
    write_zip(z, "ratings.csv", text, len);
    write_gz(g, text, len);
    const char *paths[] = {z, g};
    for (int k = 0; k < 2; k++) {
        mfr_dataset *ds = NULL;
        mfr_error err = {0};
        mfr_status st = mfr_dataset_import(paths[k], NULL, &ds, &err);
        if (st) print_error("%s: %s\n", paths[k], err.message);
        assert_int_equal(st, MFR_OK);
        mfr_dataset_stats s;
        mfr_dataset_stats_get(ds, &s);
        assert_int_equal(s.n_ratings, 20000);
        mfr_dataset_free(ds);
    }
    free(text);
    unlink(z);
    unlink(g);
    rmdir(d);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(zip_bomb_refused),
        cmocka_unit_test(gzip_bomb_refused),
        cmocka_unit_test(normal_archives_import),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
