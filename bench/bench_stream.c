/* bench_stream.c — the machine's memory limits that bound the SGD trainer
 * (docs/perf/cycles.md): a STREAM-like pass (McCalpin's copy, scale, add,
 * triad on float arrays far larger than the caches) and the random-row
 * gather SGD does (read-modify-write of k-float rows picked at random from a
 * factor matrix), on 1 and 2 threads, best of `reps` passes each.
 *
 *   bench_stream [mb=64] [reps=5] [threads=2] [rows_mb=56] [k=64] [updates=4000000]
 *
 * mb: size of each of the three STREAM arrays; rows_mb: size of the factor
 * matrix the gather reads (56 MB = P and Q of 160 000 + 60 000 rows at
 * k = 64). Bytes are counted as STREAM counts them (copy 2 arrays a pass,
 * scale 2, add 3, triad 3; writes counted once); the gather counts, per
 * update, two rows read and the same two written (SGD's p_u and q_i). */
#include "core/core.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long long arg_ll(int argc, char **argv, const char *name, long long dflt) {
    size_t n = strlen(name);
    for (int a = 1; a < argc; a++)
        if (!strncmp(argv[a], name, n) && argv[a][n] == '=') return atoll(argv[a] + n + 1);
    return dflt;
}

typedef struct job {
    int kind;            /* 0 copy, 1 scale, 2 add, 3 triad, 4 gather */
    float *a, *b, *c;    /* this thread's share of the arrays */
    size_t n;
    float *rows;         /* gather: the whole matrix */
    size_t k;
    const uint32_t *pick; /* gather: this thread's row indices, two an update */
    long long updates;
    double cpu;          /* thread CPU seconds of the pass */
} job;

static double thread_cpu(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The gather touches every 64-byte line of both rows of an update (read,
 * then write), the rows of the update PF ahead prefetched as sgd_kernel.c
 * does: what remains is the memory system's cost of SGD's row traffic. */
#define PF 8
static void *run_job(void *arg) {
    job *J = arg;
    float *restrict a = J->a, *restrict b = J->b, *restrict c = J->c;
    const float s = 3.0f;
    double c0 = thread_cpu();
    switch (J->kind) {
    case 0: for (size_t i = 0; i < J->n; i++) c[i] = a[i]; break;
    case 1: for (size_t i = 0; i < J->n; i++) b[i] = s * c[i]; break;
    case 2: for (size_t i = 0; i < J->n; i++) c[i] = a[i] + b[i]; break;
    case 3: for (size_t i = 0; i < J->n; i++) a[i] = b[i] + s * c[i]; break;
    default:
        for (long long u = 0; u < 2 * J->updates; u++) {
            if (u + PF < 2 * J->updates) {
                const char *pf = (const char *)(J->rows + (size_t)J->pick[u + PF] * J->k);
                for (size_t o = 0; o < J->k * 4; o += 64) __builtin_prefetch(pf + o, 1);
            }
            float *r = J->rows + (size_t)J->pick[u] * J->k;
            for (size_t f = 0; f < J->k; f += 16) r[f] += 1.0f;
        }
    }
    J->cpu = thread_cpu() - c0;
    return NULL;
}

/* One pass of kind on t threads (each its contiguous share): wall seconds,
 * and in *cpu the longest thread's CPU seconds (on a loaded machine the
 * time the threads actually ran). */
static double pass(int kind, int t, float *a, float *b, float *c, size_t n, float *rows, size_t k,
                   const uint32_t *pick, long long updates, double *cpu) {
    pthread_t tid[8];
    job jobs[8];
    double t0 = mfr__now();
    for (int j = 0; j < t; j++) {
        size_t lo = n * (size_t)j / (size_t)t, hi = n * (size_t)(j + 1) / (size_t)t;
        jobs[j] = (job){kind, a + lo, b + lo, c + lo, hi - lo, rows, k,
                        pick + 2 * (updates / t) * j, updates / t, 0};
        if (j) pthread_create(&tid[j], NULL, run_job, &jobs[j]);
    }
    run_job(&jobs[0]);
    for (int j = 1; j < t; j++) pthread_join(tid[j], NULL);
    *cpu = 0;
    for (int j = 0; j < t; j++)
        if (jobs[j].cpu > *cpu) *cpu = jobs[j].cpu;
    return mfr__now() - t0;
}

int main(int argc, char **argv) {
    size_t n = (size_t)arg_ll(argc, argv, "mb", 64) << 20 >> 2;
    int reps = (int)arg_ll(argc, argv, "reps", 5), tmax = (int)arg_ll(argc, argv, "threads", 2);
    size_t k = (size_t)arg_ll(argc, argv, "k", 64);
    size_t n_rows = ((size_t)arg_ll(argc, argv, "rows_mb", 56) << 20) / (k * 4);
    long long updates = arg_ll(argc, argv, "updates", 4000000);
    if (tmax < 1 || tmax > 8 || reps < 1 || !k || k % 16 || !n_rows || updates < 1) return 2;
    float *a = malloc(n * 4), *b = malloc(n * 4), *c = malloc(n * 4);
    float *rows = malloc(n_rows * k * 4);
    uint32_t *pick = malloc((size_t)updates * 2 * sizeof *pick);
    if (!a || !b || !c || !rows || !pick) return 1;
    for (size_t i = 0; i < n; i++) a[i] = 1.0f, b[i] = 2.0f, c[i] = 0.0f;
    for (size_t i = 0; i < n_rows * k; i++) rows[i] = 0.0f;
    mfr__rng rng;
    mfr__rng_seed(&rng, 1);
    for (long long u = 0; u < 2 * updates; u++) pick[u] = (uint32_t)mfr__rng_below(&rng, n_rows);
    static const char *const name[5] = {"copy", "scale", "add", "triad", "gather"};
    static const double arrays[4] = {2, 2, 3, 3};
    printf("arrays %zu MB each, rows %zu x %zu floats (%zu MB), best of %d; GB/s by wall time "
           "(and by the threads' CPU time)\n",
           n * 4 >> 20, n_rows, k, n_rows * k * 4 >> 20, reps);
    for (int t = 1; t <= tmax; t++)
        for (int kind = 0; kind < 5; kind++) {
            double best = 1e30, best_cpu = 1e30, cpu;
            for (int r = 0; r < reps; r++) {
                double w = pass(kind, t, a, b, c, n, rows, k, pick, updates, &cpu);
                if (w < best) best = w;
                if (cpu < best_cpu) best_cpu = cpu;
            }
            double bytes = kind < 4 ? arrays[kind] * (double)n * 4 : 4.0 * (double)updates * (double)k * 4;
            printf("threads %d %-6s %7.2f GB/s (%7.2f)", t, name[kind], bytes / best / 1e9,
                   bytes / best_cpu / 1e9);
            if (kind == 4)
                printf("  %6.1f M updates/s (%6.1f): two %zu-byte rows read and written each",
                       (double)updates / best / 1e6, (double)updates / best_cpu / 1e6, k * 4);
            printf("\n");
        }
    free(a), free(b), free(c), free(rows), free(pick);
    return 0;
}
