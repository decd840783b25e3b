/* bench_svdpp.c — fit time of SVD++ (src/algo/svdpp.c) against SGD with the
 * same factors and epochs (the target: svdpp within 3x of sgd).
 *
 *   bench_svdpp DIR [k=128 epochs=40 threads=1 reps=3]
 *       Imports DIR (ml-latest-small), then trains on all its ratings, reps
 *       times each: sgd with factors=k and epochs, svdpp with the same, and
 *       svdpp with its own defaults. Prints the best wall and process CPU
 *       seconds of each mfr_model_train call (import excluded) and the
 *       svdpp/sgd ratios. MFR_SGD_SCALAR=1 in the environment times the
 *       plain loops (the bench sets the library's kernel switch from it).
 *
 * On a shared, loaded machine wall time mostly measures the neighbours, so
 * the CPU figures are the ones to compare (with threads=1 they are the same
 * work; with threads=2 sgd's CPU seconds include both threads). */
#include "mfrec.h"
#include "algo/algo.h" /* mfr__model_train_with: the kernel switches */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double clock_s(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static long long arg_ll(int argc, char **argv, const char *name, long long dflt) {
    size_t n = strlen(name);
    for (int a = 0; a < argc; a++)
        if (!strncmp(argv[a], name, n) && argv[a][n] == '=') return atoll(argv[a] + n + 1);
    return dflt;
}

/* Best (smallest) wall and CPU seconds of reps trainings with p. */
static int time_fit(const mfr_dataset *ds, const mfr_train_params *p, int reps, double out[2]) {
    out[0] = out[1] = INFINITY;
    for (int r = 0; r < reps; r++) {
        mfr_model *m = NULL;
        mfr_error err = {0};
        double w0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
        const char *sc = getenv("MFR_SGD_SCALAR");
        const mfr__kernels ks = {.scalar = sc && *sc && *sc != '0', .sgd_min_round_work = 20000};
        mfr_status st = mfr__model_train_with(ds, NULL, NULL, p, &ks, &m, &err);
        double w = clock_s(CLOCK_MONOTONIC) - w0, c = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
        mfr_model_free(m);
        if (st) {
            fprintf(stderr, "bench_svdpp: %s\n", err.message);
            return 1;
        }
        out[0] = fmin(out[0], w), out[1] = fmin(out[1], c);
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fprintf(stderr, "usage: bench_svdpp DIR [k=128 epochs=40 threads=1 reps=3]\n");
        return 2;
    }
    int32_t k = (int32_t)arg_ll(argc, argv, "k", 128), epochs = (int32_t)arg_ll(argc, argv, "epochs", 40);
    int32_t threads = (int32_t)arg_ll(argc, argv, "threads", 1);
    int reps = (int)arg_ll(argc, argv, "reps", 3);
    mfr_dataset *ds = NULL;
    mfr_error err = {0};
    if (mfr_dataset_import(argv[1], NULL, &ds, &err)) {
        fprintf(stderr, "bench_svdpp: %s\n", err.message);
        return 1;
    }
    mfr_train_params sgd = mfr_train_params_default(MFR_ALGO_SGD);
    sgd.factors = k, sgd.epochs = epochs, sgd.threads = threads;
    mfr_train_params spp = mfr_train_params_default(MFR_ALGO_SVDPP);
    spp.threads = threads;
    mfr_train_params spp_def = spp;
    spp.factors = k, spp.epochs = epochs;
    double ts[2], tp[2], td[2];
    int bad = time_fit(ds, &sgd, reps, ts) || time_fit(ds, &spp, reps, tp) ||
              time_fit(ds, &spp_def, reps, td);
    if (!bad) {
        printf("threads=%d, best of %d, train call only (import excluded)\n", threads, reps);
        printf("sgd   k=%d epochs=%d: %.3f s wall, %.3f CPU-s\n", k, epochs, ts[0], ts[1]);
        printf("svdpp k=%d epochs=%d: %.3f s wall, %.3f CPU-s  (x%.2f wall, x%.2f CPU of sgd)\n", k,
               epochs, tp[0], tp[1], tp[0] / ts[0], tp[1] / ts[1]);
        printf("svdpp defaults k=%d epochs=%d: %.3f s wall, %.3f CPU-s\n", spp_def.factors,
               spp_def.epochs, td[0], td[1]);
    }
    mfr_dataset_free(ds);
    return bad;
}
