/* test_import_progress.c — the import's progress reports (src/io/build.c,
 * parse.c): one every 2^20 rows, rows read so far, and an ETA from the bytes
 * of a plain file read so far (NaN for a gzip file, whose size says nothing
 * of what it unpacks to). */
#include "test.h"

#include <unistd.h>
#include <zlib.h>

typedef struct seen {
    int calls;
    int32_t first_step;
    double first_eta, last_eta;
} seen;

static int on_progress(const mfr_progress *p, void *user) {
    seen *s = user;
    assert_string_equal(p->stage, "import");
    if (!s->calls++) s->first_step = p->step, s->first_eta = p->eta_s;
    s->last_eta = p->eta_s;
    return 0;
}

/* rows lines "u,i,r" (about 12 bytes each), plain or gzip. */
static void write_ratings(const char *path, int rows, int gz) {
    char line[64];
    FILE *f = gz ? NULL : fopen(path, "w");
    gzFile z = gz ? gzopen(path, "wb1") : NULL;
    assert_true(f || z);
    for (int j = 0; j < rows; j++) {
        int n = snprintf(line, sizeof line, "%d,%d,%d\n", 1 + j % 5000, 1 + (j / 5000) % 3000, 1 + j % 5);
        if (f) assert_int_equal(fwrite(line, 1, (size_t)n, f), (size_t)n);
        else assert_int_equal(gzwrite(z, line, (unsigned)n), n);
    }
    if (f) fclose(f);
    else gzclose(z);
}

static void run_import(const char *path, seen *s) {
    mfr_import_params p = mfr_import_params_default();
    p.progress = on_progress;
    p.progress_user = s;
    mfr_dataset *ds = NULL;
    mfr_error err = {0};
    assert_int_equal(mfr_dataset_import(path, &p, &ds, &err), MFR_OK);
    mfr_dataset_free(ds);
}

static void plain_file_reports_eta(void **state) {
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "/tmp/mfr_progress_%d_ratings.csv", (int)getpid());
    write_ratings(path, 1200000, 0);
    seen s = {0};
    run_import(path, &s);
    unlink(path);
    assert_int_equal(s.calls, 1); /* 1.2 M rows: one report, at 2^20 */
    assert_int_equal(s.first_step, 1 << 20);
    assert_false(isnan(s.first_eta));
    assert_true(s.first_eta >= 0.0);
}

static void gzip_file_has_no_eta(void **state) {
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "/tmp/mfr_progress_%d_ratings.csv.gz", (int)getpid());
    write_ratings(path, 1100000, 1);
    seen s = {0};
    run_import(path, &s);
    unlink(path);
    assert_int_equal(s.calls, 1);
    assert_true(isnan(s.first_eta));
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_file_reports_eta),
        cmocka_unit_test(gzip_file_has_no_eta),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
