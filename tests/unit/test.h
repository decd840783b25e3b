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

#endif
