/* linalg.h — the small dense kernels the factor models own, and thin helpers
 * around OpenBLAS.
 *
 * Matrices are row-major float with a leading dimension (lda >= n). The
 * symmetric routines read and write only the lower triangle (j <= i), so a
 * Gram matrix accumulated with mfr__syr_lower can go straight into mfr__chol.
 *
 * One Cholesky (mfr__chol) serves every caller: the ALS, iALS (exact) and BMF
 * row solves, fold-in of a new user, BMF's hyperparameter draw, the
 * co-occurrence solve of similar.c and EASE's n_items-sized factor. By size
 * class (bench/bench_chol.c, docs/perf/factors.md): up to about 33 unknowns
 * the owned kernel matches LAPACK (spotrf without LAPACKE's NaN scan) and
 * beats LAPACKE_spotrf+spotrs; from 64 LAPACK's blocked spotrf is faster
 * (10-40 % at 64-257, 3-5x at 512-2048), so mfr__chol switches at
 * MFR__CHOL_LAPACK_MIN. LAPACK is called on the column-major view of the
 * same triangle (row-major lower = column-major upper): no transposed copy.
 * Callers that sum in double (fold-in, BMF) round once to float before the
 * factor; the solves (mfr__chol_solve*) are owned at every size. */
#ifndef MFR_LINALG_H
#define MFR_LINALG_H

#include <stdint.h>

#include "../core/simd.h" /* MFR_HOT: the hot kernels' x86-64-v3 clone */

/* In-place Cholesky A = L·Lᵀ of the symmetric positive-definite n x n matrix
 * whose lower triangle is in A; L overwrites the lower triangle (the strict
 * upper triangle is not touched). Returns 0, or -1 when A is not positive
 * definite (a pivot <= 0; A is then partly overwritten). The one Cholesky of
 * the library: below MFR__CHOL_LAPACK_MIN the owned kernel, from there
 * LAPACK's blocked spotrf (on as many OpenBLAS threads as are set). */
int mfr__chol(float *A, int n, int lda);
#define MFR__CHOL_LAPACK_MIN 64

/* The owned kernel behind mfr__chol for small n (the bench calls it at every
 * size). */
int mfr__chol_owned(float *A, int n, int lda);

/* Solve L·Lᵀ x = b given the factor from mfr__chol; x overwrites b. */
void mfr__chol_solve(const float *L, int n, int lda, float *b);

/* Solve Lᵀ x = z (back substitution only); x overwrites z. Used to draw
 * x ~ N(0, (L·Lᵀ)^-1) from z ~ N(0, I). */
void mfr__chol_solve_lt(const float *L, int n, int lda, float *z);

/* A += w · x·xᵀ on the lower triangle (n x n). */
void mfr__syr_lower(float *A, int n, int lda, const float *x, float w);

/* Copy the lower triangle onto the upper one. */
void mfr__sym_fill_upper(float *A, int n, int lda);

/* Dot product of n floats, accumulated in float lanes (vectorised). */
float mfr__dot(const float *a, const float *b, int n);

/* Conjugate gradient for A x = b with A symmetric positive definite, given
 * through matvec(ctx, x, Ax) (n floats each), starting from the residual
 * r = b − A·x the caller has put in scratch[0..n) (it fuses that product
 * with building b). x holds the starting point and receives the result;
 * scratch needs 3n floats. Stops after `steps` iterations or when
 * |r|² < tol2. Returns the iterations done.
 * Reference: Hestenes & Stiefel 1952; used as in Takács, Pilászy & Tikk 2011. */
typedef void (*mfr__matvec_fn)(const void *ctx, const float *x, float *y);
int mfr__cg_residual(mfr__matvec_fn matvec, const void *ctx, float *x, int n, int steps,
                     float tol2, float *scratch);

/* OpenBLAS threading: set to n threads, returning the previous count, so an
 * OpenMP region that calls BLAS per row can run BLAS single-threaded and
 * restore the host's setting afterwards. */
int mfr__blas_threads_set(int n);

#endif
