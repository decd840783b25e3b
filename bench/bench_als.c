/* bench_als.c — one full explicit-ALS iteration (users then items) at k = 64
 * on a 20M-rating synthetic MovieLens-20M-shaped matrix (bench_factors_data.h),
 * plus a micro-benchmark of the per-row solver: the owned Cholesky
 * (src/linalg) against LAPACKE_sposv on 65 x 65 systems.
 *
 * usage: bench_als [threads (default 2)] [ratings (default 20000263)] [k (64)]
 * Prints one line per measurement; the target is < 8 s per iteration on 2
 * cores. */
#include "bench_factors_data.h"
#include "linalg/linalg.h"

#include <lapacke.h>
#include <string.h>
#include <time.h>

/* Process CPU seconds (all threads): on a shared, loaded machine this is the
 * honest measure of work; wall time is reported beside it. */
static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void solver_micro(int D, int reps) {
    float *A0 = malloc(sizeof(float) * D * D), *A = malloc(sizeof(float) * D * D);
    float *b = malloc(sizeof(float) * D);
    mfr__rng r;
    mfr__rng_seed(&r, 1);
    for (int i = 0; i < D; i++)
        for (int j = 0; j <= i; j++) A0[i * D + j] = A0[j * D + i] = (float)(0.01 * mfr__rng_normal(&r)) + (i == j ? D : 0);
    double t0 = cpu_now(), sink = 0;
    for (int k = 0; k < reps; k++) {
        memcpy(A, A0, sizeof(float) * D * D);
        for (int i = 0; i < D; i++) b[i] = (float)i;
        mfr__chol(A, D, D);
        mfr__chol_solve(A, D, D, b);
        sink += b[0];
    }
    double t1 = cpu_now();
    for (int k = 0; k < reps; k++) {
        memcpy(A, A0, sizeof(float) * D * D);
        for (int i = 0; i < D; i++) b[i] = (float)i;
        LAPACKE_sposv(LAPACK_ROW_MAJOR, 'L', D, 1, A, D, b, 1);
        sink += b[0];
    }
    double t2 = cpu_now();
    printf("solver %dx%d x%d (cpu time): owned cholesky %.2f us/solve, LAPACKE_sposv %.2f us/solve (sink %g)\n",
           D, D, reps, (t1 - t0) / reps * 1e6, (t2 - t1) / reps * 1e6, sink);
    free(A0), free(A), free(b);
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 2;
    int64_t target = argc > 2 ? atoll(argv[2]) : 20000263;
    int32_t k = argc > 3 ? atoi(argv[3]) : 64;
    int32_t nu = (int32_t)(138493.0 * target / 20000263.0), ni = 26744;
    if (nu < 100) nu = 100;
    int old = mfr__blas_threads_set(1); /* sposv single-threaded, as inside the fit */
    solver_micro(k + 1, 20000);
    mfr__blas_threads_set(old);
    double t0 = mfr__now();
    mfr__csr bu, bi;
    if (bench_make_data(nu, ni, target, &bu, &bi)) return 1;
    printf("data: %d users, %d items, %lld ratings, built in %.2f s\n", nu, ni, (long long)bu.nnz,
           mfr__now() - t0);
    float *P = mfr__aligned_alloc(sizeof(float) * (size_t)nu * k), *Q = mfr__aligned_alloc(sizeof(float) * (size_t)ni * k);
    float *bpu = mfr__aligned_alloc(sizeof(float) * (size_t)nu), *bqi = mfr__aligned_alloc(sizeof(float) * (size_t)ni);
    mfr__fill_normal(Q, (int64_t)ni * k, 0.1f, 1, 2);
    mfr_error err;
    for (int it = 1; it <= 2; it++) {
        double a = mfr__now(), ca = cpu_now();
        mfr__als_solve_side(&bu, Q, bqi, 3.5f, k, 0.1f, 0.02f, P, bpu, threads, &err);
        double b = mfr__now();
        mfr__als_solve_side(&bi, P, bpu, 3.5f, k, 0.1f, 0.02f, Q, bqi, threads, &err);
        double c = mfr__now(), cc = cpu_now();
        printf("als iteration %d: k=%d threads=%d wall: users %.2f s + items %.2f s = %.2f s; "
               "cpu %.2f s (cpu/threads %.2f s)\n", it, k, threads, b - a, c - b, c - a, cc - ca,
               (cc - ca) / threads);
    }
    mfr__csr_free(&bu), mfr__csr_free(&bi);
    mfr__free(P), mfr__free(Q), mfr__free(bpu), mfr__free(bqi);
    return 0;
}
