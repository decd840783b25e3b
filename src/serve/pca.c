/* pca.c — a 2-D map of movie factors by principal component analysis:
 * centre the rows of X (n x k), form the k x k covariance
 * C = (1/n) Σ_i (x_i - x̄)(x_i - x̄)^T in double, take its two leading
 * eigenvectors by power iteration with deflation (C ← C - λ1 v1 v1^T), and
 * project: xy[i] = ((x_i - x̄)·v1, (x_i - x̄)·v2). Jolliffe, Principal
 * Component Analysis (2002), ch. 1; Golub & Van Loan §8.2 (power method).
 * k is small (tens), so this costs O(n k^2) and needs no LAPACK. The sign of
 * each axis is fixed so its largest component is positive (stable maps). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "server_impl.h"

static double power_iter(const double *C, int32_t k, double *v) {
    double *w = malloc(sizeof *w * (size_t)k);
    if (!w) return -1;
    for (int32_t f = 0; f < k; f++) v[f] = 1.0 / sqrt(k) + 1e-3 * f;
    double lambda = 0;
    for (int it = 0; it < 500; it++) {
        double norm = 0;
        for (int32_t a = 0; a < k; a++) {
            double sum = 0;
            for (int32_t b = 0; b < k; b++) sum += C[a * k + b] * v[b];
            w[a] = sum;
            norm += sum * sum;
        }
        norm = sqrt(norm);
        if (norm < 1e-300) break;
        double diff = 0;
        for (int32_t a = 0; a < k; a++) {
            double x = w[a] / norm;
            diff += fabs(x - v[a]);
            v[a] = x;
        }
        lambda = norm;
        if (diff < 1e-10) break;
    }
    int32_t big = 0;
    for (int32_t a = 1; a < k; a++)
        if (fabs(v[a]) > fabs(v[big])) big = a;
    if (v[big] < 0)
        for (int32_t a = 0; a < k; a++) v[a] = -v[a];
    free(w);
    return lambda;
}

mfr_status mfr__pca2(const float *X, int32_t n, int32_t k, float *xy, mfr_error *err) {
    if (n < 1 || k < 2) {
        if (err) { err->code = MFR_E_INVALID; strcpy(err->message, "pca: need n >= 1 and k >= 2"); }
        return MFR_E_INVALID;
    }
    double *mean = calloc((size_t)k, sizeof *mean);
    double *C = calloc((size_t)k * (size_t)k, sizeof *C);
    double *v1 = malloc(sizeof *v1 * (size_t)k), *v2 = malloc(sizeof *v2 * (size_t)k);
    mfr_status st = mean && C && v1 && v2 ? MFR_OK : MFR_E_NOMEM;
    for (int32_t i = 0; st == MFR_OK && i < n; i++)
        for (int32_t f = 0; f < k; f++) mean[f] += X[(size_t)i * k + f] / (double)n;
    for (int32_t i = 0; st == MFR_OK && i < n; i++) {
        const float *x = X + (size_t)i * k;
        for (int32_t a = 0; a < k; a++)
            for (int32_t b = a; b < k; b++) C[a * k + b] += (x[a] - mean[a]) * (x[b] - mean[b]) / n;
    }
    for (int32_t a = 0; st == MFR_OK && a < k; a++)
        for (int32_t b = 0; b < a; b++) C[a * k + b] = C[b * k + a];
    double l1 = st == MFR_OK ? power_iter(C, k, v1) : -1;
    if (l1 < 0) st = MFR_E_NOMEM;
    for (int32_t a = 0; st == MFR_OK && a < k; a++)
        for (int32_t b = 0; b < k; b++) C[a * k + b] -= l1 * v1[a] * v1[b];
    if (st == MFR_OK && power_iter(C, k, v2) < 0) st = MFR_E_NOMEM;
    for (int32_t i = 0; st == MFR_OK && i < n; i++) {
        const float *x = X + (size_t)i * k;
        double p = 0, q = 0;
        for (int32_t f = 0; f < k; f++) {
            p += (x[f] - mean[f]) * v1[f];
            q += (x[f] - mean[f]) * v2[f];
        }
        xy[2 * i] = (float)p;
        xy[2 * i + 1] = (float)q;
    }
    if (st != MFR_OK && err) { err->code = st; strcpy(err->message, "out of memory"); }
    free(mean);
    free(C);
    free(v1);
    free(v2);
    return st;
}
