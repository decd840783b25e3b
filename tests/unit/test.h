/* test.h — shared by the unit tests: cmocka, a main that runs one case by
 * name (ctest registers every case separately) or all, and small helpers.
 * Assertions print both values (cmocka's assert_*_equal do). */
#ifndef MFR_TEST_H
#define MFR_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>

#include "mfrec.h"

void mfr__alloc_fail_after(long n); /* src/core/alloc.c */

/* A whole file into a malloc-ed buffer (*len bytes). */
static inline char *read_whole(const char *path, long *len) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)*len + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)*len, f), (size_t)*len);
    fclose(f);
    return b;
}

static inline void write_whole(const char *path, const char *b, long len) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, (size_t)len, f), (size_t)len);
    fclose(f);
}

/* fix_crcs / fix_mfd_crcs: one copy for the unit tests and the fuzz targets. */
#include "../fuzz/crc_fix.h"

/* The section tagged tag ("KNNJ", "P   ") of an .mfm image: its bytes and
 * *size, or NULL; *dir (when non-NULL) gets its directory entry. */
static inline unsigned char *mfm_section(unsigned char *b, long len, const char tag[4],
                                         uint64_t *size, unsigned char **dir) {
    uint32_t nsect;
    memcpy(&nsect, b + 12, 4);
    for (uint32_t j = 0; j < nsect && 256 + 24 * (long)(j + 1) <= len; j++) {
        unsigned char *d = b + 256 + 24 * (size_t)j;
        uint64_t off;
        if (memcmp(d, tag, 4) != 0) continue;
        memcpy(&off, d + 8, 8);
        memcpy(size, d + 16, 8);
        if (dir) *dir = d;
        return off <= (uint64_t)len ? b + off : NULL;
    }
    return NULL;
}

/* Loading path must fail with MFR_E_FORMAT, no model, and a message naming
 * the file and containing want. */
static inline void expect_model_refused(const char *path, const char *want) {
    mfr_model *m = (mfr_model *)1;
    mfr_error err = {0};
    mfr_status st = mfr_model_load(path, &m, &err);
    if (st != MFR_E_FORMAT || !strstr(err.message, want))
        print_error("status %d, message \"%s\", wanted \"%s\"\n", st, err.message, want);
    assert_int_equal(st, MFR_E_FORMAT);
    assert_non_null(strstr(err.message, want));
    assert_non_null(strstr(err.message, path));
    assert_null(m);
}

/* argv[1], when given, is the name of the one case to run. */
#define MFR_TEST_MAIN(tests)                                              \
    int main(int argc, char **argv) {                                     \
        if (argc > 1) cmocka_set_test_filter(argv[1]);                    \
        return cmocka_run_group_tests(tests, NULL, NULL);                 \
    }

#define assert_float_near(a, b, tol)                                      \
    do {                                                                  \
        double a_ = (a), b_ = (b);                                        \
        if (!(fabs(a_ - b_) <= (tol))) {                                  \
            print_error("%s = %.9g, %s = %.9g, |diff| > %g\n", #a, a_, #b, b_, (double)(tol)); \
            fail();                                                       \
        }                                                                 \
    } while (0)

/* Path of a fixture file: MFR_FIXTURES "/" name, in a static buffer. */
static inline const char *fixture(const char *name) {
    static char buf[4][1024];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", MFR_FIXTURES, name);
    return buf[k];
}

/* The ml-latest-small folder, or NULL (the test then skips with a message). */
static inline const char *movielens_dir(void) {
    const char *d = getenv("MFR_DATA_DIR");
    if (!d || !*d) d = MFR_DATA_DIR;
    if (!d || !*d) return NULL;
    char p[1024];
    snprintf(p, sizeof p, "%s/ratings.csv", d);
    FILE *f = fopen(p, "rb");
    if (!f) return NULL;
    fclose(f);
    return d;
}

/* Temporary directories made by temp_dir() are removed, with their
 * contents, when the test process exits. */
static char temp_dirs_made[32][256];
static int n_temp_dirs_made;

static inline int temp_rm_entry(const char *path, const struct stat *sb, int flag,
                                struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

static inline void temp_dirs_remove(void) {
    for (int i = 0; i < n_temp_dirs_made; i++)
        nftw(temp_dirs_made[i], temp_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh temporary directory (mkdtemp), in a static buffer. */
static inline const char *temp_dir(void) {
    static char buf[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/mfrec-test-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(buf[k])) return NULL;
    if (n_temp_dirs_made < 32) {
        if (n_temp_dirs_made == 0) atexit(temp_dirs_remove);
        snprintf(temp_dirs_made[n_temp_dirs_made++], sizeof temp_dirs_made[0], "%s", buf[k]);
    }
    return buf[k];
}

/* Saves m (then frees it) as path (a file name in a fresh temp_dir, cap
 * bytes) and answers the file's bytes (malloc'd) and *len: the image a
 * hostile-file test mutates. */
static inline unsigned char *saved_image(mfr_model *m, const char *name, char *path, size_t cap,
                                         long *len) {
    snprintf(path, cap, "%s/%s", temp_dir(), name);
    assert_int_equal(mfr_model_save(m, path, NULL), MFR_OK);
    mfr_model_free(m);
    return (unsigned char *)read_whole(path, len);
}

/* Train p on train (NULL: all of ds) with allocation n failing, for n = 0,
 * 1, ... until training succeeds: every failing run must answer
 * MFR_E_NOMEM with no model (leaks show under ASan). */
static inline void check_train_alloc_failures_on(const mfr_dataset *ds, const mfr_ratings *train,
                                                 const mfr_train_params *p) {
    for (long n = 0;; n++) {
        mfr_model *m = NULL;
        mfr_error err = {0};
        mfr__alloc_fail_after(n);
        mfr_status st = mfr_model_train(ds, train, NULL, p, &m, &err);
        mfr__alloc_fail_after(-1);
        if (st == MFR_OK) {
            assert_non_null(m);
            mfr_model_free(m);
            break;
        }
        if (st != MFR_E_NOMEM) print_error("allocation %ld: %s\n", n, err.message);
        assert_int_equal(st, MFR_E_NOMEM);
        assert_null(m);
        assert_true(n < 100000);
    }
}

static inline void check_train_alloc_failures(const mfr_dataset *ds, const mfr_train_params *p) {
    check_train_alloc_failures_on(ds, NULL, p);
}

/* RMSE on every 5th rating of ds of a model trained with p on the others. */
static inline double holdout_rmse_params(const mfr_dataset *ds, const mfr_train_params *p) {
    mfr_ratings all;
    mfr_dataset_ratings(ds, &all);
    int64_t n = all.n, nt = 0, nv = 0;
    int32_t *tu = malloc(4 * n), *ti = malloc(4 * n), *vu = malloc(4 * n), *vi = malloc(4 * n);
    float *tr = malloc(4 * n), *vr = malloc(4 * n);
    assert_true(tu && ti && vu && vi && tr && vr);
    for (int64_t j = 0; j < n; j++) {
        if (j % 5 == 0) vu[nv] = all.user[j], vi[nv] = all.item[j], vr[nv++] = all.rating[j];
        else tu[nt] = all.user[j], ti[nt] = all.item[j], tr[nt++] = all.rating[j];
    }
    mfr_ratings T = {nt, all.n_users, all.n_items, tu, ti, tr, NULL};
    mfr_model *m = NULL;
    mfr_error err = {0};
    assert_int_equal(mfr_model_train(ds, &T, NULL, p, &m, &err), MFR_OK);
    double se = 0;
    for (int64_t j = 0; j < nv; j++) {
        double e = mfr_model_predict(m, vu[j], vi[j]) - vr[j];
        se += e * e;
    }
    mfr_model_free(m);
    free(tu), free(ti), free(vu), free(vi), free(tr), free(vr);
    return sqrt(se / (double)nv);
}

/* The same with algo's default parameters. */
static inline double holdout_rmse(const mfr_dataset *ds, mfr_algo algo) {
    mfr_train_params p = mfr_train_params_default(algo);
    return holdout_rmse_params(ds, &p);
}

#endif
