/* pca.c — principal component analysis of a row-major float matrix and the
 * 2-D map of a model's movie factors (mfrec/analysis.h).
 *
 * Data: X[n*d] row-major floats. The mean and the d×d covariance
 * C = (1/(n−1)) Σ_j (x_j − x̄)(x_j − x̄)ᵀ accumulate in double (d is the
 * factor count, so C is small); LAPACKE_dsyevd gives its eigenpairs in
 * ascending order, and the last `dims` eigenvectors are the principal axes
 * (Jolliffe, "Principal Component Analysis", 2002, ch. 1). Each axis's sign is
 * fixed so its largest-magnitude component is positive, so the map does not
 * flip between runs or machines. */
#include "analysis_impl.h"

#include <lapacke.h>
#include <math.h>
#include <string.h>

/* mean[d] and the upper triangle of cov[d*d] (row-major). */
static void covariance(const float *X, int32_t n, int32_t d, double *mean, double *cov) {
    memset(mean, 0, sizeof(double) * (size_t)d);
    memset(cov, 0, sizeof(double) * (size_t)d * d);
    for (int32_t j = 0; j < n; j++)
        for (int32_t f = 0; f < d; f++) mean[f] += X[(size_t)j * d + f];
    for (int32_t f = 0; f < d; f++) mean[f] /= n;
    for (int32_t j = 0; j < n; j++) {
        const float *x = X + (size_t)j * d;
        for (int32_t a = 0; a < d; a++) {
            double xa = x[a] - mean[a];
            for (int32_t b = a; b < d; b++) cov[(size_t)a * d + b] += xa * (x[b] - mean[b]);
        }
    }
    for (int32_t a = 0; a < d; a++)
        for (int32_t b = a; b < d; b++) {
            cov[(size_t)a * d + b] /= (n - 1);
            cov[(size_t)b * d + a] = cov[(size_t)a * d + b];
        }
}

/* Axis `col` of the eigenvector matrix V (row-major, column = vector), sign
 * fixed, into axis[d]. */
static void take_axis(const double *V, int32_t d, int32_t col, double *axis) {
    int32_t big = 0;
    for (int32_t f = 0; f < d; f++) {
        axis[f] = V[(size_t)f * d + col];
        if (fabs(axis[f]) > fabs(axis[big]) + 1e-12) big = f;
    }
    if (axis[big] < 0)
        for (int32_t f = 0; f < d; f++) axis[f] = -axis[f];
}

mfr_status mfr_pca(const float *X, int32_t n, int32_t d, int32_t dims,
                   float *out, float *axes, float *explained, mfr_error *err) {
    if (!X || !out) return mfr__err(err, MFR_E_INVALID, "pca: NULL array");
    if (n < 2 || d < 1 || dims < 1 || dims > d)
        return mfr__err(err, MFR_E_INVALID,
                        "pca: need n >= 2 and 1 <= dims <= d (n=%d, d=%d, dims=%d)",
                        (int)n, (int)d, (int)dims);
    double *mean = mfr__malloc(sizeof(double) * (size_t)d);
    double *cov = mfr__malloc(sizeof(double) * (size_t)d * d);
    double *w = mfr__malloc(sizeof(double) * (size_t)d);
    double *ax = mfr__malloc(sizeof(double) * (size_t)d * dims);
    mfr_status s = MFR_OK;
    if (!mean || !cov || !w || !ax) {
        s = mfr__nomem(err, "PCA covariance");
        goto done;
    }
    covariance(X, n, d, mean, cov);
    if (LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'V', 'U', d, cov, d, w) != 0) {
        s = mfr__err(err, MFR_E_INTERNAL, "pca: eigen-decomposition failed");
        goto done;
    }
    double total = 0.0;
    for (int32_t f = 0; f < d; f++) total += w[f] > 0 ? w[f] : 0;
    for (int32_t a = 0; a < dims; a++) {
        take_axis(cov, d, d - 1 - a, ax + (size_t)a * d);
        if (axes)
            for (int32_t f = 0; f < d; f++) axes[(size_t)a * d + f] = (float)ax[(size_t)a * d + f];
        if (explained) explained[a] = total > 0 ? (float)(w[d - 1 - a] / total) : 0.f;
    }
    for (int32_t j = 0; j < n; j++)
        for (int32_t a = 0; a < dims; a++) {
            double t = 0.0;
            for (int32_t f = 0; f < d; f++)
                t += (X[(size_t)j * d + f] - mean[f]) * ax[(size_t)a * d + f];
            out[(size_t)j * dims + a] = (float)t;
        }
done:
    mfr__free(mean), mfr__free(cov), mfr__free(w), mfr__free(ax);
    return s;
}

mfr_status mfr_model_project_2d(const mfr_model *m, int32_t min_ratings,
                                int32_t *items, float *xy, int32_t *n_out,
                                float *explained, mfr_error *err) {
    *n_out = 0;
    float *X = NULL;
    int32_t *sel = NULL, n = 0;
    mfr_status s = mfr__gather_item_factors(m, min_ratings, &sel, &X, &n, err);
    if (s) return s;
    if (n < 2) {
        s = mfr__err(err, MFR_E_INVALID,
                     "cannot project: only %d movies have >= %d ratings", (int)n,
                     (int)min_ratings);
    } else if (m->k < 2) {
        s = mfr__err(err, MFR_E_INVALID, "cannot project %d factors to 2-D", (int)m->k);
    } else {
        s = mfr_pca(X, n, m->k, 2, xy, NULL, explained, err);
    }
    if (!s) {
        memcpy(items, sel, sizeof(int32_t) * (size_t)n);
        *n_out = n;
    }
    mfr__free(sel), mfr__free(X);
    return s;
}
