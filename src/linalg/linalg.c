/* linalg.c — owned small dense kernels: Cholesky factor and solves, rank-one
 * updates, symmetric mat-vec and a matrix-free conjugate-gradient solver.
 * Row-major float, lower triangle for symmetric storage (see linalg.h).
 * Sums that decide pivots accumulate in double; the rest stays in float so
 * the compiler can vectorise the inner loops. */
#include "linalg.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <string.h>

int mfr__chol(float *A, int n, int lda) {
    if (n < MFR__CHOL_LAPACK_MIN) return mfr__chol_owned(A, n, lda);
    /* Row-major lower is column-major upper: LAPACK factors it in place, no
     * transposed copy; the _work entry skips LAPACKE's NaN scan. */
    return LAPACKE_spotrf_work(LAPACK_COL_MAJOR, 'U', n, A, lda) == 0 ? 0 : -1;
}

MFR_HOT int mfr__chol_owned(float *A, int n, int lda) {
    for (int j = 0; j < n; j++) {
        float *rj = A + (size_t)j * lda;
        float d = 0.f;
#pragma omp simd reduction(+ : d)
        for (int p = 0; p < j; p++) d += rj[p] * rj[p];
        double dj = (double)rj[j] - d;
        if (!(dj > 0.0)) return -1;
        float ljj = (float)sqrt(dj), inv = 1.f / ljj;
        rj[j] = ljj;
        for (int i = j + 1; i < n; i++) {
            float *ri = A + (size_t)i * lda;
            float s = 0.f;
#pragma omp simd reduction(+ : s)
            for (int p = 0; p < j; p++) s += ri[p] * rj[p];
            ri[j] = (ri[j] - s) * inv;
        }
    }
    return 0;
}

MFR_HOT void mfr__chol_solve(const float *L, int n, int lda, float *b) {
    for (int i = 0; i < n; i++) { /* L y = b */
        const float *ri = L + (size_t)i * lda;
        float s = 0.f;
#pragma omp simd reduction(+ : s)
        for (int p = 0; p < i; p++) s += ri[p] * b[p];
        b[i] = (b[i] - s) / ri[i];
    }
    mfr__chol_solve_lt(L, n, lda, b);
}

MFR_HOT void mfr__chol_solve_lt(const float *L, int n, int lda, float *z) {
    /* column-oriented: once x_i is known, subtract x_i·L[i][0..i) from z[0..i) */
    for (int i = n - 1; i >= 0; i--) {
        const float *ri = L + (size_t)i * lda;
        float xi = z[i] / ri[i];
        z[i] = xi;
#pragma omp simd
        for (int p = 0; p < i; p++) z[p] -= xi * ri[p];
    }
}

MFR_HOT void mfr__syr_lower(float *A, int n, int lda, const float *x, float w) {
    for (int i = 0; i < n; i++) {
        float *ri = A + (size_t)i * lda;
        float wx = w * x[i];
        for (int j = 0; j <= i; j++) ri[j] += wx * x[j];
    }
}

void mfr__sym_fill_upper(float *A, int n, int lda) {
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) A[(size_t)i * lda + j] = A[(size_t)j * lda + i];
}

MFR_HOT float mfr__dot(const float *a, const float *b, int n) {
    float s = 0.f;
#pragma omp simd reduction(+ : s)
    for (int f = 0; f < n; f++) s += a[f] * b[f];
    return s;
}

int mfr__cg_residual(mfr__matvec_fn matvec, const void *ctx, float *x, int n, int steps,
                     float tol2, float *scratch) {
    float *r = scratch, *p = scratch + n, *Ap = scratch + 2 * n;
    memcpy(p, r, sizeof(float) * (size_t)n);
    float rs = mfr__dot(r, r, n);
    int it = 0;
    for (; it < steps && rs > tol2; it++) {
        matvec(ctx, p, Ap);
        float pAp = mfr__dot(p, Ap, n);
        if (!(pAp > 0.f)) break;
        float a = rs / pAp;
        for (int i = 0; i < n; i++) {
            x[i] += a * p[i];
            r[i] -= a * Ap[i];
        }
        float rs2 = mfr__dot(r, r, n);
        float beta = rs2 / rs;
        for (int i = 0; i < n; i++) p[i] = r[i] + beta * p[i];
        rs = rs2;
    }
    return it;
}

int mfr__blas_threads_set(int n) {
    int old = openblas_get_num_threads();
    openblas_set_num_threads(n);
    return old;
}
