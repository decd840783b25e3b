/* ml_baseline.h — one ml-latest-small model for the tests that need real
 * titles and ratings but no factors (test_title.c, test_explain.c): a group
 * setup that imports the data and trains the baseline (a fraction of a
 * second), its teardown, and NEED_MODEL() to skip when the data is absent. */
#ifndef MFR_ML_BASELINE_H
#define MFR_ML_BASELINE_H

#include "test.h"

static mfr_model *g_m;

static int ml_baseline_setup(void **state) {
    (void)state;
    const char *dir = movielens_dir();
    if (!dir) return 0;
    mfr_dataset *ds = NULL;
    mfr_error err;
    if (mfr_dataset_import(dir, NULL, &ds, &err)) {
        print_error("import: %s\n", err.message);
        return -1;
    }
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_BASELINE);
    p.seed = 1;
    mfr_status st = mfr_model_train(ds, NULL, NULL, &p, &g_m, &err);
    if (st) print_error("train: %s\n", err.message);
    mfr_dataset_free(ds);
    return st ? -1 : 0;
}

static int ml_baseline_teardown(void **state) {
    (void)state;
    mfr_model_free(g_m);
    return 0;
}

#define NEED_MODEL()                                                        \
    do {                                                                    \
        if (!g_m) {                                                         \
            print_message("skipped: no MovieLens data (MFR_DATA_DIR)\n");   \
            skip();                                                         \
        }                                                                   \
    } while (0)

#endif
