/* nn.c — dense-layer, sparse-input-layer, activation, softmax-likelihood and
 * Adam kernels for the neural families (nn.h), each with its scalar
 * reference behind mfr__kernels.scalar. */
#include "nn.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#define NN_COLS 64 /* output columns per block of the sparse kernels */
/* Fewest multiply-adds for which a kernel starts an OpenMP team: below it
 * the team's start and barrier cost more than they save (and far more on a
 * loaded machine). Only the speed depends on it, never a result. */
#define NN_PAR_WORK ((int64_t)1 << 21)

int mfr__nn_parallel(int threads, int64_t work) { return threads > 1 && work >= NN_PAR_WORK; }

static void gemm_ref(int tA, int tB, int M, int N, int K, float alpha, const float *A, int lda,
                     const float *B, int ldb, float beta, float *C, int ldc) {
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s = 0.0;
            for (int p = 0; p < K; p++) {
                float a = tA ? A[(size_t)p * lda + i] : A[(size_t)i * lda + p];
                float b = tB ? B[(size_t)j * ldb + p] : B[(size_t)p * ldb + j];
                s += (double)a * b;
            }
            float *c = C + (size_t)i * ldc + j;
            *c = (float)(alpha * s + (beta == 0.0f ? 0.0 : (double)beta * *c));
        }
}

void mfr__nn_gemm(const mfr__kernels *ks, int tA, int tB, int M, int N, int K, float alpha,
                  const float *A, int lda, const float *B, int ldb, float beta, float *C,
                  int ldc) {
    if (M <= 0 || N <= 0) return;
    if (ks && ks->scalar) {
        gemm_ref(tA, tB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    if (K <= 0) { /* BLAS would leave beta·C, spelled out for clarity */
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) C[(size_t)i * ldc + j] *= beta;
        return;
    }
    cblas_sgemm(CblasRowMajor, tA ? CblasTrans : CblasNoTrans, tB ? CblasTrans : CblasNoTrans, M,
                N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

MFR_HOT void mfr__nn_sparse_fwd(const mfr__kernels *ks, int threads, int32_t n, const int64_t *ptr,
                        const int32_t *idx, const float *val, const float *W, const float *bias,
                        int out, float *Y) {
    if (ks && ks->scalar) {
        for (int32_t r = 0; r < n; r++) {
            float *y = Y + (size_t)r * out;
            for (int c = 0; c < out; c++) y[c] = bias ? bias[c] : 0.0f;
            for (int64_t j = ptr[r]; j < ptr[r + 1]; j++)
                for (int c = 0; c < out; c++) y[c] += val[j] * W[(size_t)idx[j] * out + c];
        }
        return;
    }
    /* rows in parallel: each output float is one row's sum in entry order */
    int par = threads > 1 && n > 1 && (ptr[n] - ptr[0] + n) * (int64_t)out >= NN_PAR_WORK;
#pragma omp parallel for num_threads(threads) schedule(static) if (par)
    for (int32_t r = 0; r < n; r++) {
        float *y = Y + (size_t)r * out;
        if (bias) memcpy(y, bias, sizeof *y * (size_t)out);
        else memset(y, 0, sizeof *y * (size_t)out);
        for (int64_t j = ptr[r]; j < ptr[r + 1]; j++) {
            const float *w = W + (size_t)idx[j] * out;
            const float v = val[j];
#pragma omp simd
            for (int c = 0; c < out; c++) y[c] += v * w[c];
        }
    }
}

MFR_HOT void mfr__nn_sparse_bwd(const mfr__kernels *ks, int threads, int32_t n, const int64_t *ptr,
                        const int32_t *idx, const float *val, const float *dY, int out,
                        float *dW) {
    if (ks && ks->scalar) {
        for (int32_t r = 0; r < n; r++)
            for (int64_t j = ptr[r]; j < ptr[r + 1]; j++)
                for (int c = 0; c < out; c++)
                    dW[(size_t)idx[j] * out + c] += val[j] * dY[(size_t)r * out + c];
        return;
    }
    /* blocks of output columns in parallel: rows of dW are shared between
     * input rows, columns are not, and each float still sums in row order */
    int nb = (out + NN_COLS - 1) / NN_COLS;
    int par = threads > 1 && nb > 1 && (ptr[n] - ptr[0]) * (int64_t)out >= NN_PAR_WORK;
#pragma omp parallel for num_threads(threads) schedule(static) if (par)
    for (int b = 0; b < nb; b++) {
        int c0 = b * NN_COLS, c1 = c0 + NN_COLS < out ? c0 + NN_COLS : out;
        for (int32_t r = 0; r < n; r++) {
            const float *d = dY + (size_t)r * out;
            for (int64_t j = ptr[r]; j < ptr[r + 1]; j++) {
                float *w = dW + (size_t)idx[j] * out;
                const float v = val[j];
#pragma omp simd
                for (int c = c0; c < c1; c++) w[c] += v * d[c];
            }
        }
    }
}

void mfr__nn_sigmoid(float *x, int64_t n) {
    for (int64_t j = 0; j < n; j++) x[j] = 1.0f / (1.0f + expf(-x[j]));
}

void mfr__nn_tanh(float *x, int64_t n) {
    for (int64_t j = 0; j < n; j++) x[j] = tanhf(x[j]);
}

MFR_HOT void mfr__nn_sigmoid_bwd(const float *y, float *d, int64_t n) {
#pragma omp simd
    for (int64_t j = 0; j < n; j++) d[j] *= y[j] * (1.0f - y[j]);
}

MFR_HOT void mfr__nn_tanh_bwd(const float *y, float *d, int64_t n) {
#pragma omp simd
    for (int64_t j = 0; j < n; j++) d[j] *= 1.0f - y[j] * y[j];
}

MFR_HOT void mfr__nn_add_bias(float *Y, int32_t n, int out, const float *b) {
    for (int32_t r = 0; r < n; r++) {
        float *y = Y + (size_t)r * out;
#pragma omp simd
        for (int c = 0; c < out; c++) y[c] += b[c];
    }
}

MFR_HOT void mfr__nn_bias_grad(const float *dY, int32_t n, int out, float *db) {
    for (int32_t r = 0; r < n; r++) {
        const float *d = dY + (size_t)r * out;
#pragma omp simd
        for (int c = 0; c < out; c++) db[c] += d[c];
    }
}

double mfr__nn_multinomial(float *l, int n, const int32_t *cols, const float *vals, int64_t nz,
                           float scale) {
    float mx = -INFINITY;
    for (int c = 0; c < n; c++) mx = l[c] > mx ? l[c] : mx;
    double z = 0.0;
    for (int c = 0; c < n; c++) z += exp((double)(l[c] - mx));
    double lse = (double)mx + log(z), sx = 0.0, ll = 0.0;
    for (int64_t j = 0; j < nz; j++) {
        sx += vals[j];
        ll += (double)vals[j] * ((double)l[cols[j]] - lse);
    }
    for (int c = 0; c < n; c++) l[c] = (float)(scale * sx * exp((double)l[c] - lse));
    for (int64_t j = 0; j < nz; j++) l[cols[j]] -= scale * vals[j];
    return -ll;
}

MFR_HOT void mfr__adam_update(float *x, const float *g, float *m, float *v, int64_t n,
                              float gscale, float lr, float b1, float b2, float c1, float c2) {
#pragma omp simd
    for (int64_t f = 0; f < n; f++) {
        float gf = g[f] * gscale;
        m[f] = b1 * m[f] + (1.f - b1) * gf;
        v[f] = b2 * v[f] + (1.f - b2) * gf * gf;
        x[f] -= lr * (m[f] / c1) / (sqrtf(v[f] / c2) + 1e-8f);
    }
}

int mfr__nn_param_alloc(mfr__nn_param *p, int64_t n, float *x) {
    size_t b = sizeof(float) * (size_t)(n > 0 ? n : 1);
    p->n = n;
    p->own_x = x == NULL;
    p->x = x ? x : mfr__aligned_alloc(b);
    p->g = mfr__aligned_alloc(b);
    p->m = mfr__aligned_alloc(b);
    p->v = mfr__aligned_alloc(b);
    return p->x && p->g && p->m && p->v ? 0 : -1;
}

void mfr__nn_param_step(mfr__nn_param *p, float gscale, float lr, float b1, float b2, float c1,
                        float c2) {
    mfr__adam_update(p->x, p->g, p->m, p->v, p->n, gscale, lr, b1, b2, c1, c2);
    memset(p->g, 0, sizeof *p->g * (size_t)p->n);
}

void mfr__nn_param_free(mfr__nn_param *p) {
    if (p->own_x) mfr__free(p->x);
    mfr__free(p->g), mfr__free(p->m), mfr__free(p->v);
    memset(p, 0, sizeof *p);
}
