/* bench_load.c — how long loading a model (.mfm) or dataset (.mfd) takes.
 *
 *   bench_load FILE [ROUNDS]
 *
 * Loads FILE ROUNDS times (default 20; .mfd files through
 * mfr_dataset_import, anything else through mfr_model_load), freeing it
 * each time, and prints the file size and the median and minimum wall and
 * CPU (user + sys) time of one load, plus the peak RSS (getrusage). The
 * first load warms the page cache and is not counted. The loader reads the
 * file into owned memory and checks both checksums, every index list and the
 * ids, so the figure is read + verify, not a lazy mapping. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "mfrec.h"

static double now(clockid_t c) {
    struct timespec t;
    clock_gettime(c, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int load_once(const char *path, int mfd, mfr_error *err) {
    if (mfd) {
        mfr_dataset *ds = NULL;
        if (mfr_dataset_import(path, NULL, &ds, err)) return 1;
        mfr_dataset_free(ds);
        return 0;
    }
    mfr_model *m = NULL;
    if (mfr_model_load(path, &m, err)) return 1;
    mfr_model_free(m);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: bench_load FILE [ROUNDS]\n");
        return 2;
    }
    const char *path = argv[1];
    int rounds = argc > 2 ? atoi(argv[2]) : 20;
    if (rounds < 1 || rounds > 10000) rounds = 20;
    size_t n = strlen(path);
    int mfd = n > 4 && strcmp(path + n - 4, ".mfd") == 0;
    struct stat sb;
    if (stat(path, &sb) != 0) {
        perror(path);
        return 1;
    }
    mfr_error err;
    if (load_once(path, mfd, &err)) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    double *wall = malloc(sizeof(double) * (size_t)rounds), *cpu = malloc(sizeof(double) * (size_t)rounds);
    if (!wall || !cpu) return 1;
    for (int r = 0; r < rounds; r++) {
        double w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID);
        if (load_once(path, mfd, &err)) {
            fprintf(stderr, "%s\n", err.message);
            return 1;
        }
        wall[r] = now(CLOCK_MONOTONIC) - w0;
        cpu[r] = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
    }
    qsort(wall, (size_t)rounds, sizeof *wall, cmp_d);
    qsort(cpu, (size_t)rounds, sizeof *cpu, cmp_d);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("%s: %.1f MB, %d loads: wall median %.2f ms (min %.2f), cpu median %.2f ms (min %.2f), "
           "peak RSS %.1f MB\n",
           path, (double)sb.st_size / 1e6, rounds, 1e3 * wall[rounds / 2], 1e3 * wall[0],
           1e3 * cpu[rounds / 2], 1e3 * cpu[0], (double)ru.ru_maxrss / 1024.0);
    free(wall);
    free(cpu);
    return 0;
}
