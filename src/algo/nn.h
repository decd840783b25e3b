/* nn.h — the dense-layer and optimiser kernels the neural families share
 * (autorec.c: I-AutoRec; vae.c: Mult-VAE), each with a scalar reference the
 * tests compare it with (mfr__kernels.scalar, core/simd.h).
 *
 * Matrices are row-major float. A layer's weight matrix is stored input-major,
 * W[in × out] (row j = what input j adds to every output), so a batch of rows
 * X[n × in] maps to X·W, and a sparse input row (a user's or a movie's
 * ratings, CSR) adds the weight rows of its entries.
 *
 * Determinism: every kernel gives the same bits for any thread count except
 * mfr__nn_gemm through OpenBLAS, whose split depends on its thread count; the
 * fits set that count to ctx->threads (mfr__blas_threads_set), so a model is
 * reproducible for one seed and one thread count. The sparse kernels
 * parallelise over output columns, so each float is summed in one order. */
#ifndef MFR_NN_H
#define MFR_NN_H

#include "algo.h"

/* C = alpha·op(A)·op(B) + beta·C, row-major, op(X) = Xᵀ when tX; op(A) is
 * M × K, op(B) K × N. cblas_sgemm, or the scalar reference loop (ks->scalar). */
void mfr__nn_gemm(const mfr__kernels *ks, int tA, int tB, int M, int N, int K, float alpha,
                  const float *A, int lda, const float *B, int ldb, float beta, float *C,
                  int ldc);

/* A sparse input batch: n rows, row r's entries idx/val[ptr[r] .. ptr[r+1])
 * (pass ptr + r0 for rows r0.. of a bigger CSR) —
 *   Y[r][0..out) = bias + Σ_j val_j·W[idx_j]     (bias NULL: 0).
 * threads: OpenMP threads over blocks of output columns. */
void mfr__nn_sparse_fwd(const mfr__kernels *ks, int threads, int32_t n, const int64_t *ptr,
                        const int32_t *idx, const float *val, const float *W, const float *bias,
                        int out, float *Y);
/* Its weight gradient: dW[idx_j] += val_j·dY[r] for every entry of row r. */
void mfr__nn_sparse_bwd(const mfr__kernels *ks, int threads, int32_t n, const int64_t *ptr,
                        const int32_t *idx, const float *val, const float *dY, int out,
                        float *dW);

/* 1 when work multiply-adds are worth an OpenMP team of threads (> 1). */
int mfr__nn_parallel(int threads, int64_t work);

/* Activations in place, and their backward given the activation's output y:
 * d *= σ'(·) = y(1 − y) (sigmoid), 1 − y² (tanh). */
void mfr__nn_sigmoid(float *x, int64_t n);
void mfr__nn_tanh(float *x, int64_t n);
void mfr__nn_sigmoid_bwd(const float *y, float *d, int64_t n);
void mfr__nn_tanh_bwd(const float *y, float *d, int64_t n);

/* Y[r] += b for every row of Y (n × out); db[c] += Σ_r dY[r][c]. */
void mfr__nn_add_bias(float *Y, int32_t n, int out, const float *b);
void mfr__nn_bias_grad(const float *dY, int32_t n, int out, float *db);

/* Multinomial log-likelihood of a row of logits l[0..n) given counts x (a
 * sparse row: cols/vals, nz entries): returns −Σ x_c log softmax(l)_c and
 * turns l into its gradient scale·(Σx·softmax(l) − x). */
double mfr__nn_multinomial(float *l, int n, const int32_t *cols, const float *vals, int64_t nz,
                           float scale);

/* One Adam step (Kingma & Ba 2015) on n parameters: g is the gradient times
 * gscale, t >= 1 the step number;
 *   m ← β1 m + (1−β1) g,  v ← β2 v + (1−β2) g²,
 *   x ← x − lr · (m / (1−β1^t)) / (√(v / (1−β2^t)) + 1e-8).
 * c1 = 1−β1^t, c2 = 1−β2^t are passed in (the caller's step count). The
 * one Adam update of the library: adam.c's rows and the neural layers. */
void mfr__adam_update(float *x, const float *g, float *m, float *v, int64_t n, float gscale,
                      float lr, float b1, float b2, float c1, float c2);

/* A parameter array with its gradient and Adam moments; x is owned unless
 * it was borrowed (a model array the fit writes in place). */
typedef struct mfr__nn_param {
    float *x, *g, *m, *v;
    int64_t n;
    int own_x;
} mfr__nn_param;
/* g, m, v zeroed; x borrowed, or allocated (zeroed) when NULL. -1 on no
 * memory (mfr__nn_param_free still frees what was allocated). */
int mfr__nn_param_alloc(mfr__nn_param *p, int64_t n, float *x);
void mfr__nn_param_free(mfr__nn_param *p);
/* One Adam step on p with gradient scale gscale, then g cleared. */
void mfr__nn_param_step(mfr__nn_param *p, float gscale, float lr, float b1, float b2, float c1,
                        float c2);

/* ---- the families' inner steps, driven by the tests (finite differences) */

/* I-AutoRec: a batch of n movies, row r = movie item[r] with its raters
 * idx/val[ptr[r] .. ptr[r+1]) (ptr[0] = 0; val: the encoder's input) and
 * targets t (same entries: rating − μ). Hidden layer h_r = σ(x_r·V + c)
 * (k units; V: n_users × k input-major), prediction at each entry (u, r)
 *   t̂ = W_u·h_r + bu_u + bi_item      (W: n_users × k, the decoder).
 * Returns Σ ½ (t̂ − t)² + Σ_r ½ lam_b n_r bi² + share · Σ_u ½ uw_u (lam
 * (|V_u|² + |W_u|²) + lam_b bu_u²) (n_r: the row's entries; uw NULL: 1) and
 * adds its gradient into the g of each parameter. H, D: n × k floats of
 * scratch, E: the batch's entries. */
typedef struct mfr__autorec_net {
    int32_t n_users, k;
    mfr__nn_param V, c, W, bu, bi;
} mfr__autorec_net;
double mfr__autorec_batch(const mfr__kernels *ks, int threads, mfr__autorec_net *net, int32_t n,
                          const int32_t *item, const int64_t *ptr, const int32_t *idx,
                          const float *val, const float *t, const float *uw, float lam,
                          float lam_b, float share, float *H, float *D, float *E);
/* The same batch through dense products (cblas_sgemm, mfr__nn_gemm): the
 * n × n_users input X (0 where a user did not rate the movie), H = σ(X·V +
 * c), the decoder O = H·Wᵀ everywhere and read at the entries, the masked
 * error back through Oᵀ·H, O·W and Xᵀ·dZ. The same loss and gradients as
 * mfr__autorec_batch up to float rounding; X, O: n × n_users floats of
 * scratch. */
double mfr__autorec_batch_dense(const mfr__kernels *ks, int threads, mfr__autorec_net *net,
                                int32_t n, const int32_t *item, const int64_t *ptr,
                                const int32_t *idx, const float *val, const float *t,
                                const float *uw, float lam, float lam_b, float share, float *H,
                                float *D, float *E, float *X, float *O);

/* Mult-VAE: n input movies, h hidden units, k latent dimensions, the
 * weights of the four layers (input-major; vae.c has the formulas). A batch
 * of n users: row r's movies idx[ptr[r] .. ptr[r+1]) (ptr[0] = 0), xin the
 * encoder's input there (normalised, dropped entries 0), xcnt the counts the
 * likelihood scores; eps (n × k) the reparameterisation noise (NULL: z = μ).
 * Returns mean_r [−log-likelihood + beta·KL] + lam·Σ‖W‖² and adds its
 * gradient into the g of each parameter; ws: mfr__vae_scratch floats. */
typedef struct mfr__vae_net {
    int32_t n, h, k;
    mfr__nn_param W1, b1, W2, b2, W3, b3, W4, b4;
} mfr__vae_net;
int64_t mfr__vae_scratch(const mfr__vae_net *net, int32_t batch);
double mfr__vae_batch(const mfr__kernels *ks, int threads, mfr__vae_net *net, int32_t n,
                      const int64_t *ptr, const int32_t *idx, const float *xin,
                      const float *xcnt, const float *eps, float beta, float lam, float *ws);

#endif
