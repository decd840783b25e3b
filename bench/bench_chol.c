/* bench_chol.c — one symmetric positive-definite solve (factor + one
 * right-hand side) at the sizes the library's callers use, by each
 * implementation it has had: the owned kernel in src/linalg (mfr__chol_owned
 * + mfr__chol_solve), LAPACKE_spotrf + LAPACKE_spotrs (als.c before, with
 * LAPACKE's NaN scan of the matrix), the same without the scan
 * (LAPACKE_spotrf_work / spotrs_work), the double kernel fold.c and bmf.c
 * had, and mfr__chol itself (the size-class choice). Sizes: k and k + 1 for
 * k = 8..256 (ials exact solves, als rows, bmf, fold-in), and 512..2048 for
 * the EASE class (n_items-sized, factored once).
 *
 * usage: bench_chol [max n (2048)] [reps per timing (auto)]
 *
 * Times are thread CPU microseconds per solve, the best of 5 batches, with
 * OpenBLAS on one thread (callers run these inside their own OpenMP rows;
 * EASE's large factor is the exception, noted in docs/perf/factors.md), so
 * a loaded machine changes them less than wall time would. The last column
 * is the largest relative residual |A x - b| / |b| of the methods. */
#include "linalg/linalg.h"
#include "core/core.h"

#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return 1e6 * (double)ts.tv_sec + 1e-3 * (double)ts.tv_nsec;
}

/* The double kernel src/model/fold.c and src/algo/bmf.c each had (row-major
 * lower, dot-product form), kept here only as the reference measured. */
static int dchol(double *A, int n) {
    for (int j = 0; j < n; j++) {
        double d = A[(size_t)j * n + j];
        for (int f = 0; f < j; f++) d -= A[(size_t)j * n + f] * A[(size_t)j * n + f];
        if (!(d > 0.0)) return -1;
        d = sqrt(d);
        A[(size_t)j * n + j] = d;
        for (int i = j + 1; i < n; i++) {
            double s = A[(size_t)i * n + j];
            for (int f = 0; f < j; f++) s -= A[(size_t)i * n + f] * A[(size_t)j * n + f];
            A[(size_t)i * n + j] = s / d;
        }
    }
    return 0;
}

static void dsolve(const double *L, int n, double *b) {
    for (int i = 0; i < n; i++) {
        double s = b[i];
        for (int f = 0; f < i; f++) s -= L[(size_t)i * n + f] * b[f];
        b[i] = s / L[(size_t)i * n + i];
    }
    for (int i = n - 1; i >= 0; i--) {
        double s = b[i];
        for (int f = i + 1; f < n; f++) s -= L[(size_t)f * n + i] * b[f];
        b[i] = s / L[(size_t)i * n + i];
    }
}

enum { M_OWNED, M_LAPACKE, M_LAPACKE_WORK, M_DOUBLE, M_CHOSEN, N_METHODS };
static const char *names[N_METHODS] = {"owned", "lapacke", "lapacke_work", "double", "mfr__chol"};

/* One solve by method m: A (n x n, lower in row-major) copied into W, b into x. */
static int solve(int m, const float *A, const float *b, int n, float *W, float *x, double *Wd,
                 double *xd) {
    size_t nn = (size_t)n * n;
    if (m == M_DOUBLE) {
        for (size_t t = 0; t < nn; t++) Wd[t] = A[t];
        for (int i = 0; i < n; i++) xd[i] = b[i];
        if (dchol(Wd, n)) return -1;
        dsolve(Wd, n, xd);
        for (int i = 0; i < n; i++) x[i] = (float)xd[i];
        return 0;
    }
    memcpy(W, A, nn * sizeof *W);
    memcpy(x, b, (size_t)n * sizeof *x);
    switch (m) {
    case M_OWNED:
        if (mfr__chol_owned(W, n, n)) return -1;
        mfr__chol_solve(W, n, n, x);
        return 0;
    case M_LAPACKE: /* row-major lower = column-major upper: no transposed copy */
        if (LAPACKE_spotrf(LAPACK_COL_MAJOR, 'U', n, W, n)) return -1;
        return LAPACKE_spotrs(LAPACK_COL_MAJOR, 'U', n, 1, W, n, x, n) ? -1 : 0;
    case M_LAPACKE_WORK:
        if (LAPACKE_spotrf_work(LAPACK_COL_MAJOR, 'U', n, W, n)) return -1;
        return LAPACKE_spotrs_work(LAPACK_COL_MAJOR, 'U', n, 1, W, n, x, n) ? -1 : 0;
    default:
        if (mfr__chol(W, n, n)) return -1;
        mfr__chol_solve(W, n, n, x);
        return 0;
    }
}

int main(int argc, char **argv) {
    int nmax = argc > 1 ? atoi(argv[1]) : 2048;
    long reps_arg = argc > 2 ? atol(argv[2]) : 0;
    mfr__blas_threads_set(1);
    static const int sizes[] = {8, 9, 16, 17, 24, 25, 32, 33, 64, 65, 96, 97, 128, 129,
                                192, 193, 256, 257, 512, 1024, 2048};
    printf("SPD solve (factor + 1 rhs), thread CPU us per solve, best of 5 batches, "
           "OpenBLAS 1 thread; mfr__chol uses LAPACKE from n >= %d\n", MFR__CHOL_LAPACK_MIN);
    printf("%6s", "n");
    for (int m = 0; m < N_METHODS; m++) printf(" %13s", names[m]);
    printf(" %10s\n", "max resid");
    mfr__rng rng;
    mfr__rng_seed(&rng, 7);
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        int n = sizes[s];
        if (n > nmax) break;
        size_t nn = (size_t)n * n;
        float *A = malloc(nn * sizeof *A), *W = malloc(nn * sizeof *W), *G = malloc(nn * sizeof *G);
        float *b = malloc((size_t)n * sizeof *b), *x = malloc((size_t)n * sizeof *x);
        double *Wd = malloc(nn * sizeof *Wd), *xd = malloc((size_t)n * sizeof *xd);
        /* A = Gᵀ·G / n + 0.1·I: a Gram matrix plus a ridge, as the callers build */
        for (size_t t = 0; t < nn; t++) G[t] = (float)mfr__rng_normal(&rng);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                double a = 0;
                for (int r = 0; r < n; r++) a += (double)G[(size_t)r * n + i] * G[(size_t)r * n + j];
                A[(size_t)i * n + j] = A[(size_t)j * n + i] = (float)(a / n + (i == j ? 0.1 : 0.0));
            }
            b[i] = (float)mfr__rng_normal(&rng);
        }
        double flops = (double)n * n * n / 3.0;
        long reps = reps_arg > 0 ? reps_arg : (long)(2e7 / (flops + 1e3)) + 1;
        printf("%6d", n);
        double worst = 0;
        for (int m = 0; m < N_METHODS; m++) {
            if (m == M_DOUBLE && n > 1024) {
                printf(" %13s", "-");
                continue;
            }
            double best = INFINITY;
            for (int batch = 0; batch < 5; batch++) {
                double t0 = cpu_us();
                for (long r = 0; r < reps; r++)
                    if (solve(m, A, b, n, W, x, Wd, xd)) {
                        fprintf(stderr, "bench_chol: %s failed at n = %d\n", names[m], n);
                        return 1;
                    }
                double us = (cpu_us() - t0) / (double)reps;
                best = us < best ? us : best;
            }
            double rn = 0, bn = 0;
            for (int i = 0; i < n; i++) {
                double r = -b[i];
                for (int j = 0; j < n; j++) r += (double)A[(size_t)i * n + j] * x[j];
                rn += r * r, bn += (double)b[i] * b[i];
            }
            worst = fmax(worst, sqrt(rn / bn));
            printf(" %13.2f", best);
        }
        printf(" %10.2g\n", worst);
        fflush(stdout);
        free(A), free(W), free(G), free(b), free(x), free(Wd), free(xd);
    }
    return 0;
}
