/* vae.c — Mult-VAE (Liang, Krishnan, Hoffman & Jebara 2018, "Variational
 * Autoencoders for Collaborative Filtering", WWW) for top-N lists. A user's
 * row x over the covered movies (input weight w(r) = (r / r_max)^rating_power,
 * 1 for every rating at power 0; mfr__ease_weight) is encoded, sampled and
 * decoded into a multinomial over the movies:
 *
 *     x̃ = dropout(x / ‖x‖)                 (drop rate 0.5 while training)
 *     a1 = tanh(x̃·W1 + b1)                 (h = 3·factors hidden units)
 *     [μ, log σ²] = a1·W2 + b2              (k = factors latent dimensions)
 *     z = μ + ε ⊙ σ,  ε ~ N(0, I)           (z = μ when ranking)
 *     a3 = tanh(z·W3 + b3),  π = softmax(a3·W4 + b4),
 *
 * trained on the annealed negative ELBO, averaged over a batch of users,
 * plus L2 on the weights (λ = reg):
 *
 *     L = mean_u [ −Σ_i x_ui log π_ui + β·½Σ_j (μ_j² + σ_j² − log σ_j² − 1) ]
 *         + λ Σ_l ‖W_l‖²,
 *
 * with β rising linearly from 0 to 0.2 over the first 80 % of the steps (the
 * paper's cap; its anneal), by Adam (nn.h) on batches of `batch` users in a
 * seeded order. The dense layers are cblas_sgemm calls (nn.c:
 * mfr__nn_gemm, with a scalar reference); the input layer is sparse (a
 * user's row adds the rows of W1 of their movies) and so is its gradient.
 * Weights start Glorot-normal scaled by init_std, biases at 0.
 *
 * Covered movies: those with at least rank_min_ratings training ratings; the
 * others are never ranked (NaN). The list of a user — trained or new — is
 * the decoder's logits for z = μ of their rated movies: an autoencoder maps a
 * new user's ratings directly, so fold-in needs no solve and a trained user
 * given as their ratings gets the same list (mfr_model_fold_dim is 0: like
 * ials and bpr, no_fold_in). The stars are the regularised baseline
 * μ + b_u + b_i (reg_bias).
 *
 * File sections: VAEI (the covered movies, int32, ascending) and VAEW (the
 * weights W1 n×h, b1 h, W2 h×2k, b2 2k, W3 k×h, b3 h, W4 h×n, b4 n, float),
 * whose sizes attach checks against n, factors and h = 3·factors.
 * Deterministic for a seed and a thread count: the draws (order, dropout, ε)
 * come from one seeded stream in a fixed order, the sparse kernels are the
 * same for any thread count, and OpenBLAS runs on ctx->threads threads. */
#include "nn.h"
#include "ease.h"
#include "factor_util.h"
#include "../linalg/linalg.h"

#include <math.h>
#include <string.h>

#define T_VAEI MFR_TAG('V', 'A', 'E', 'I')
#define T_VAEW MFR_TAG('V', 'A', 'E', 'W')
#define VAE_DROP 0.5f      /* input drop rate while training */
#define VAE_BETA 0.2f      /* KL weight cap */
#define VAE_ANNEAL 0.8     /* share of the steps over which β rises to the cap */
enum { S_INIT = 81, S_DRAW = 82 };

static void vae_defaults(mfr_train_params *p) {
    /* ml-latest-small, holdout seed 1, NDCG@10: 0.2802 (rating_power 0:
     * 0.2352; factors 64: 0.2614, at power 0 0.2335; 30 epochs: 0.2770;
     * lr 3e-3: 0.2038 and 3e-4: 0.2237 at power 0) */
    p->factors = 200;   /* latent; hidden 600, the paper's [I → 600 → 200 → 600 → I] */
    p->epochs = 50;
    p->lr = 0.001f;
    p->lr_decay = 1.0f;
    p->reg = 0.0f;
    p->reg_bias = 15.0f; /* the stars' baseline */
    p->init_std = 1.0f;  /* × Glorot's std */
    p->batch = 64;       /* users per step */
    p->beta1 = 0.9f;
    p->beta2 = 0.999f;
    p->rating_power = 3.0f; /* a 5 counts 1, a 4 0.51, a 3 0.22: the list is for liked movies */
}

/* ---- one batch ------------------------------------------------------------ */

int64_t mfr__vae_scratch(const mfr__vae_net *net, int32_t batch) {
    return (int64_t)batch * (3 * (int64_t)net->h + 6 * (int64_t)net->k + net->n);
}

double mfr__vae_batch(const mfr__kernels *ks, int threads, mfr__vae_net *net, int32_t n,
                      const int64_t *ptr, const int32_t *idx, const float *xin,
                      const float *xcnt, const float *eps, float beta, float lam, float *ws) {
    const int N = net->n, H = net->h, K = net->k;
    float *A1 = ws, *Z2 = A1 + (size_t)n * H, *Z = Z2 + (size_t)n * 2 * K,
          *A3 = Z + (size_t)n * K, *L = A3 + (size_t)n * H, *dA = L + (size_t)n * N,
          *dZ2 = dA + (size_t)n * H, *dz = dZ2 + (size_t)n * 2 * K;
    /* forward */
    mfr__nn_sparse_fwd(ks, threads, n, ptr, idx, xin, net->W1.x, net->b1.x, H, A1);
    mfr__nn_tanh(A1, (int64_t)n * H);
    mfr__nn_gemm(ks, 0, 0, n, 2 * K, H, 1.f, A1, H, net->W2.x, 2 * K, 0.f, Z2, 2 * K);
    mfr__nn_add_bias(Z2, n, 2 * K, net->b2.x);
    double kl = 0.0;
    for (int32_t r = 0; r < n; r++) {
        const float *mu = Z2 + (size_t)r * 2 * K, *lv = mu + K;
        float *z = Z + (size_t)r * K;
        for (int j = 0; j < K; j++) {
            float sd = expf(0.5f * lv[j]);
            z[j] = eps ? mu[j] + eps[(size_t)r * K + j] * sd : mu[j];
            kl += 0.5 * ((double)mu[j] * mu[j] + (double)sd * sd - lv[j] - 1.0);
        }
    }
    mfr__nn_gemm(ks, 0, 0, n, H, K, 1.f, Z, K, net->W3.x, H, 0.f, A3, H);
    mfr__nn_add_bias(A3, n, H, net->b3.x);
    mfr__nn_tanh(A3, (int64_t)n * H);
    mfr__nn_gemm(ks, 0, 0, n, N, H, 1.f, A3, H, net->W4.x, N, 0.f, L, N);
    mfr__nn_add_bias(L, n, N, net->b4.x);
    const float inv = 1.f / (float)n;
    double nll = 0.0;
    for (int32_t r = 0; r < n; r++) /* L becomes dLoss/dlogits */
        nll += mfr__nn_multinomial(L + (size_t)r * N, N, idx + ptr[r], xcnt + ptr[r],
                                   ptr[r + 1] - ptr[r], inv);
    /* backward: decoder */
    mfr__nn_gemm(ks, 1, 0, H, N, n, 1.f, A3, H, L, N, 1.f, net->W4.g, N);
    mfr__nn_bias_grad(L, n, N, net->b4.g);
    mfr__nn_gemm(ks, 0, 1, n, H, N, 1.f, L, N, net->W4.x, N, 0.f, dA, H);
    mfr__nn_tanh_bwd(A3, dA, (int64_t)n * H);
    mfr__nn_gemm(ks, 1, 0, K, H, n, 1.f, Z, K, dA, H, 1.f, net->W3.g, H);
    mfr__nn_bias_grad(dA, n, H, net->b3.g);
    mfr__nn_gemm(ks, 0, 1, n, K, H, 1.f, dA, H, net->W3.x, H, 0.f, dz, K);
    /* the sample and the KL term */
    for (int32_t r = 0; r < n; r++) {
        const float *mu = Z2 + (size_t)r * 2 * K, *lv = mu + K, *g = dz + (size_t)r * K;
        float *dmu = dZ2 + (size_t)r * 2 * K, *dlv = dmu + K;
        for (int j = 0; j < K; j++) {
            float s2 = expf(lv[j]), sd = expf(0.5f * lv[j]);
            float e = eps ? eps[(size_t)r * K + j] : 0.f;
            dmu[j] = g[j] + beta * inv * mu[j];
            dlv[j] = g[j] * e * 0.5f * sd + beta * inv * 0.5f * (s2 - 1.f);
        }
    }
    /* encoder */
    mfr__nn_gemm(ks, 1, 0, H, 2 * K, n, 1.f, A1, H, dZ2, 2 * K, 1.f, net->W2.g, 2 * K);
    mfr__nn_bias_grad(dZ2, n, 2 * K, net->b2.g);
    mfr__nn_gemm(ks, 0, 1, n, H, 2 * K, 1.f, dZ2, 2 * K, net->W2.x, 2 * K, 0.f, dA, H);
    mfr__nn_tanh_bwd(A1, dA, (int64_t)n * H);
    mfr__nn_sparse_bwd(ks, threads, n, ptr, idx, xin, dA, H, net->W1.g);
    mfr__nn_bias_grad(dA, n, H, net->b1.g);
    /* L2 on the weights */
    double sq = 0.0;
    if (lam > 0.f) {
        mfr__nn_param *ws4[4] = {&net->W1, &net->W2, &net->W3, &net->W4};
        for (int q = 0; q < 4; q++) {
            mfr__nn_param *p = ws4[q];
            for (int64_t j = 0; j < p->n; j++) {
                sq += (double)p->x[j] * p->x[j];
                p->g[j] += 2.f * lam * p->x[j];
            }
        }
    }
    return (nll + (double)beta * kl) / n + (double)lam * sq;
}

/* ---- the weights' layout ---------------------------------------------------- */

/* Offsets of the eight arrays in one block of floats; returns its length. */
static int64_t layout(int64_t n, int64_t h, int64_t k, int64_t off[9]) {
    int64_t len[8] = {n * h, h, h * 2 * k, 2 * k, k * h, h, h * n, n};
    off[0] = 0;
    for (int q = 0; q < 8; q++) off[q + 1] = off[q] + len[q];
    return off[8];
}

static mfr__nn_param *net_params(mfr__vae_net *net, int q) {
    mfr__nn_param *ps[8] = {&net->W1, &net->b1, &net->W2, &net->b2,
                            &net->W3, &net->b3, &net->W4, &net->b4};
    return ps[q];
}

/* ---- fit -------------------------------------------------------------------- */

typedef struct vae_data {
    int32_t n;       /* covered movies */
    int32_t *item;   /* [n] model index of each column, ascending */
    int32_t *col;    /* [n_items] column of each movie, -1 if not covered */
    int64_t *ptr;    /* [n_users + 1] each user's covered entries */
    int32_t *idx;    /* columns */
    float *x;        /* input weights */
} vae_data;

static void data_free(vae_data *d) {
    mfr__free(d->item), mfr__free(d->col), mfr__free(d->ptr), mfr__free(d->idx), mfr__free(d->x);
    memset(d, 0, sizeof *d);
}

static mfr_status data_build(const mfr_model *m, const mfr__fit_ctx *ctx, vae_data *d,
                             mfr_error *err) {
    memset(d, 0, sizeof *d);
    mfr__csr bu;
    mfr_status st = mfr__csr_rows(ctx->train, m->n_users, m->n_items, 0, &bu, err);
    if (st) return st;
    d->item = mfr__aligned_alloc(((size_t)m->n_items + 1) * sizeof *d->item);
    d->col = mfr__malloc(((size_t)m->n_items + 1) * sizeof *d->col);
    d->ptr = mfr__malloc(((size_t)m->n_users + 1) * sizeof *d->ptr);
    d->idx = mfr__malloc(((size_t)bu.nnz + 1) * sizeof *d->idx);
    d->x = mfr__malloc(((size_t)bu.nnz + 1) * sizeof *d->x);
    if (!d->item || !d->col || !d->ptr || !d->idx || !d->x) {
        mfr__csr_free(&bu);
        data_free(d);
        return mfr__nomem(err, "vae: ratings by user");
    }
    for (int32_t i = 0; i < m->n_items; i++) {
        d->col[i] = -1;
        if (m->item_count[i] >= ctx->p->rank_min_ratings) d->col[i] = d->n, d->item[d->n++] = i;
    }
    int64_t e = 0;
    d->ptr[0] = 0;
    for (int32_t u = 0; u < m->n_users; u++) {
        for (int64_t j = bu.ptr[u]; j < bu.ptr[u + 1]; j++) {
            int32_t c = d->col[bu.idx[j]];
            if (c < 0) continue;
            d->idx[e] = c;
            d->x[e++] = mfr__ease_weight(m, bu.val[j]);
        }
        d->ptr[u + 1] = e;
    }
    mfr__csr_free(&bu);
    if (d->n == 0) {
        data_free(d);
        return mfr__err(err, MFR_E_INVALID, "vae: no movie has %d or more training ratings "
                        "(lower rank_min_ratings)", (int)ctx->p->rank_min_ratings);
    }
    return MFR_OK;
}

typedef struct vae_run {
    mfr__vae_net net;
    float *w;          /* the weights' block (VAEW) */
    int32_t *order, n_active;
    int64_t *bptr;
    int32_t *bidx;
    float *bin, *bcnt, *eps, *ws;
} vae_run;

static void run_free(vae_run *R) {
    for (int q = 0; q < 8; q++) mfr__nn_param_free(net_params(&R->net, q));
    mfr__free(R->w), mfr__free(R->order), mfr__free(R->bptr), mfr__free(R->bidx);
    mfr__free(R->bin), mfr__free(R->bcnt), mfr__free(R->eps), mfr__free(R->ws);
}

static mfr_status run_alloc(vae_run *R, const mfr_model *m, const vae_data *d, int32_t k,
                            int32_t bsz, float init, uint64_t seed, mfr_error *err) {
    memset(R, 0, sizeof *R);
    int64_t off[9], h = 3 * (int64_t)k, n = d->n;
    int64_t total = layout(n, h, k, off);
    R->net.n = d->n, R->net.h = (int32_t)h, R->net.k = k;
    R->w = mfr__aligned_alloc(sizeof *R->w * (size_t)total);
    int64_t most = 0;
    for (int32_t u = 0; u < m->n_users; u++)
        most = d->ptr[u + 1] - d->ptr[u] > most ? d->ptr[u + 1] - d->ptr[u] : most;
    int64_t bn = most * bsz < d->ptr[m->n_users] ? most * bsz : d->ptr[m->n_users];
    R->order = mfr__malloc(sizeof *R->order * ((size_t)m->n_users + 1));
    R->bptr = mfr__malloc(sizeof *R->bptr * ((size_t)bsz + 1));
    R->bidx = mfr__malloc(sizeof *R->bidx * ((size_t)bn + 1));
    R->bin = mfr__malloc(sizeof *R->bin * ((size_t)bn + 1));
    R->bcnt = mfr__malloc(sizeof *R->bcnt * ((size_t)bn + 1));
    R->eps = mfr__malloc(sizeof *R->eps * (size_t)bsz * (size_t)k);
    R->ws = mfr__aligned_alloc(sizeof *R->ws * (size_t)mfr__vae_scratch(&R->net, bsz));
    int bad = !R->w || !R->order || !R->bptr || !R->bidx || !R->bin || !R->bcnt || !R->eps || !R->ws;
    for (int q = 0; q < 8 && !bad; q++)
        bad |= mfr__nn_param_alloc(net_params(&R->net, q), off[q + 1] - off[q], R->w + off[q]);
    if (bad) return mfr__nomem(err, "vae: network");
    /* Glorot normal × init on the weights (stream per layer), biases 0 */
    int64_t fan[4][2] = {{n, h}, {h, 2 * k}, {k, h}, {h, n}};
    for (int q = 0; q < 4; q++) {
        float sd = init * sqrtf(2.f / (float)(fan[q][0] + fan[q][1]));
        mfr__nn_param *p = net_params(&R->net, 2 * q);
        mfr__fill_normal(p->x, p->n, sd, seed, S_INIT + 10 * (uint64_t)q);
    }
    R->n_active = 0;
    for (int32_t u = 0; u < m->n_users; u++)
        if (d->ptr[u + 1] > d->ptr[u]) R->order[R->n_active++] = u;
    return MFR_OK;
}

/* One epoch; returns the mean loss per step (NaN when it diverged). */
static double run_epoch(vae_run *R, const vae_data *d, const mfr__fit_ctx *ctx, mfr__rng *rng,
                        int32_t bsz, float lr, int64_t *step, int64_t anneal) {
    const mfr_train_params *p = ctx->p;
    const int32_t K = R->net.k;
    mfr__shuffle_i32(rng, R->order, R->n_active);
    double sum = 0.0;
    int32_t nb = 0;
    const float keep = 1.f - VAE_DROP;
    for (int32_t b0 = 0; b0 < R->n_active; b0 += bsz, nb++) {
        int32_t n = R->n_active - b0 < bsz ? R->n_active - b0 : bsz;
        int64_t e = 0;
        R->bptr[0] = 0;
        for (int32_t r = 0; r < n; r++) {
            int32_t u = R->order[b0 + r];
            double sq = 0.0;
            for (int64_t j = d->ptr[u]; j < d->ptr[u + 1]; j++) sq += (double)d->x[j] * d->x[j];
            float s = (float)(1.0 / sqrt(sq)) / keep;
            for (int64_t j = d->ptr[u]; j < d->ptr[u + 1]; j++, e++) {
                R->bidx[e] = d->idx[j];
                R->bcnt[e] = d->x[j];
                R->bin[e] = mfr__rng_uniform(rng) < keep ? d->x[j] * s : 0.f;
            }
            R->bptr[r + 1] = e;
        }
        for (int64_t j = 0; j < (int64_t)n * K; j++) R->eps[j] = (float)mfr__rng_normal(rng);
        ++*step;
        float beta = anneal > 0 && *step < anneal ? VAE_BETA * (float)*step / (float)anneal : VAE_BETA;
        double loss = mfr__vae_batch(ctx->kern, ctx->threads, &R->net, n, R->bptr, R->bidx, R->bin,
                                     R->bcnt, R->eps, beta, p->reg, R->ws);
        if (!isfinite(loss)) return NAN;
        sum += loss;
        float c1 = 1.f - powf(p->beta1, (float)*step), c2 = 1.f - powf(p->beta2, (float)*step);
        for (int q = 0; q < 8; q++)
            mfr__nn_param_step(net_params(&R->net, q), 1.f, lr, p->beta1, p->beta2, c1, c2);
    }
    return nb ? sum / nb : 0.0;
}

static mfr_status vae_attach(mfr_model *m, mfr_error *err);

static mfr_status vae_fit(mfr_model *m, const mfr__fit_ctx *ctx, mfr_error *err) {
    const mfr_train_params *p = ctx->p;
    mfr_status st = mfr__check_fit(m, ctx, "vae", err);
    if (st) return st;
    if (p->factors > 1365)
        return mfr__err(err, MFR_E_INVALID, "vae: factors = %d, allowed 1..1365 (3 x factors "
                        "hidden units)", (int)p->factors);
    if ((st = mfr__model_alloc_factors(m, 0, err))) return st;
    /* the stars: the baseline */
    mfr__csr bu, bi;
    if ((st = mfr__csr_pair(ctx->train, m->n_users, m->n_items, &bu, &bi, err))) return st;
    mfr__baseline_settings bset = mfr__baseline_default(p->reg_bias);
    mfr__baseline_fit(&bu, &bi, m->mu, &bset, m->user_bias, m->item_bias);
    mfr__csr_free(&bu), mfr__csr_free(&bi);
    vae_data d;
    if ((st = data_build(m, ctx, &d, err))) return st;
    int32_t bsz = p->batch < m->n_users ? p->batch : m->n_users;
    vae_run R;
    if ((st = run_alloc(&R, m, &d, p->factors, bsz, p->init_std, p->seed, err))) {
        run_free(&R), data_free(&d);
        return st;
    }
    mfr__rng rng;
    mfr__rng_seed_stream(&rng, p->seed, S_DRAW);
    int64_t per = (R.n_active + bsz - 1) / bsz, step = 0;
    int64_t anneal = (int64_t)(VAE_ANNEAL * (double)per * p->epochs);
    int blas_before = mfr__blas_threads_set(ctx->threads);
    double t0 = mfr__now();
    float lr = p->lr;
    for (int32_t ep = 1; ep <= p->epochs && !st; ep++) {
        double loss = run_epoch(&R, &d, ctx, &rng, bsz, lr, &step, anneal);
        lr *= p->lr_decay;
        if (!isfinite(loss)) {
            st = mfr__err(err, MFR_E_RANGE, "vae: diverged in epoch %d (lr = %g too large?)",
                          (int)ep, (double)p->lr);
            break;
        }
        m->epochs_run = ep;
        st = mfr__report_epoch(ctx, "vae", ep, p->epochs, NAN, NAN, t0, err);
    }
    mfr__blas_threads_set(blas_before);
    mfr_status est = MFR_OK;
    if (!st || st == MFR_E_CANCELLED) {
        int64_t off[9];
        uint64_t wbytes = (uint64_t)layout(d.n, R.net.h, R.net.k, off) * sizeof(float);
        est = mfr__model_add_extra(m, T_VAEI, d.item, (uint64_t)d.n * sizeof *d.item, err);
        d.item = NULL; /* the model's (freed by it on failure) */
        if (!est) est = mfr__model_add_extra(m, T_VAEW, R.w, wbytes, err), R.w = NULL;
        if (!est) {
            for (int q = 0; q < 8; q++) net_params(&R.net, q)->x = NULL;
            est = vae_attach(m, err);
        }
    }
    run_free(&R);
    data_free(&d);
    if (est) return est;
    m->train_rmse = mfr__rmse(m, ctx->train);
    return st;
}

/* ---- answers ---------------------------------------------------------------- */

typedef struct vae_state {
    int32_t n, h, k;
    const int32_t *item;
    int32_t *col;          /* [n_items] column, -1 if not covered */
    const float *w[8];     /* the eight arrays in VAEW */
} vae_state;

/* logits[n] for the rated movies items/ratings (ratings NULL: r_max) through
 * the encoder's mean and the decoder; ws: 2h + 2k floats. */
static void vae_logits(const mfr_model *m, const vae_state *s, const mfr__who *w, float *ws,
                       float *logits) {
    const int H = s->h, K = s->k;
    float *a1 = ws, *z = a1 + H, *a3 = z + 2 * K;
    double sq = 0.0;
    for (int32_t j = 0; j < w->n; j++) {
        int32_t i = w->items[j];
        if (i < 0 || i >= m->n_items || s->col[i] < 0) continue;
        float x = mfr__ease_weight(m, w->ratings ? w->ratings[j] : m->rmax);
        sq += (double)x * x;
    }
    memcpy(a1, s->w[1], sizeof *a1 * (size_t)H);
    if (sq > 0.0) {
        float inv = (float)(1.0 / sqrt(sq));
        for (int32_t j = 0; j < w->n; j++) {
            int32_t i = w->items[j];
            if (i < 0 || i >= m->n_items || s->col[i] < 0) continue;
            float x = mfr__ease_weight(m, w->ratings ? w->ratings[j] : m->rmax) * inv;
            const float *row = s->w[0] + (size_t)s->col[i] * H;
            for (int c = 0; c < H; c++) a1[c] += x * row[c];
        }
    }
    mfr__nn_tanh(a1, H);
    memcpy(z, s->w[3], sizeof *z * (size_t)(2 * K)); /* μ is the first half */
    mfr__nn_gemm(NULL, 0, 0, 1, 2 * K, H, 1.f, a1, H, s->w[2], 2 * K, 1.f, z, 2 * K);
    memcpy(a3, s->w[5], sizeof *a3 * (size_t)H);
    mfr__nn_gemm(NULL, 0, 0, 1, H, K, 1.f, z, 2 * K, s->w[4], H, 1.f, a3, H);
    mfr__nn_tanh(a3, H);
    memcpy(logits, s->w[7], sizeof *logits * (size_t)s->n);
    mfr__nn_gemm(NULL, 0, 0, 1, s->n, H, 1.f, a3, H, s->w[6], s->n, 1.f, logits, s->n);
}

static void vae_rank_user(const mfr_model *m, const mfr__who *w, const float *pred, float *rank) {
    (void)pred;
    const vae_state *s = m->algo_state;
    for (int32_t i = 0; i < m->n_items; i++) rank[i] = NAN;
    if (!s) return;
    float *ws = mfr__malloc(sizeof *ws * ((size_t)2 * s->h + 2 * (size_t)s->k + (size_t)s->n + 1));
    if (!ws) return; /* no memory: nothing ranked */
    float *logits = ws + 2 * (size_t)s->h + 2 * (size_t)s->k;
    vae_logits(m, s, w, ws, logits);
    for (int32_t c = 0; c < s->n; c++) rank[s->item[c]] = logits[c];
    mfr__free(ws);
}

static void vae_release(mfr_model *m) {
    vae_state *s = m->algo_state;
    if (!s) return;
    mfr__free(s->col);
    mfr__free(s);
    m->algo_state = NULL;
}

static mfr_status vae_attach(mfr_model *m, mfr_error *err) {
    uint64_t ib = 0, wb = 0;
    const int32_t *item = mfr__model_get_extra(m, T_VAEI, &ib);
    const float *w = mfr__model_get_extra(m, T_VAEW, &wb);
    if (!item || !w) return mfr__err(err, MFR_E_FORMAT, "vae: sections VAEI and VAEW missing");
    int64_t k = m->params.factors, h = 3 * k, off[9];
    uint64_t n = ib / sizeof *item;
    if (ib % sizeof *item || n == 0 || n > (uint64_t)m->n_items || k < 1 || k > 1365)
        return mfr__err(err, MFR_E_FORMAT, "vae: section VAEI (%llu bytes) does not fit %d movies "
                        "(factors %d)", (unsigned long long)ib, (int)m->n_items, (int)k);
    uint64_t want = (uint64_t)layout((int64_t)n, h, k, off) * sizeof(float);
    if (wb != want)
        return mfr__err(err, MFR_E_FORMAT, "vae: section VAEW holds %llu bytes, %llu expected for "
                        "%llu movies, %d hidden, %d latent", (unsigned long long)wb,
                        (unsigned long long)want, (unsigned long long)n, (int)h, (int)k);
    for (uint64_t r = 0; r < n; r++)
        if (item[r] < 0 || item[r] >= m->n_items || (r > 0 && item[r] <= item[r - 1]))
            return mfr__err(err, MFR_E_FORMAT, "vae: section VAEI: entry %llu holds movie %d "
                            "(not ascending or out of range)", (unsigned long long)r, (int)item[r]);
    vae_release(m);
    vae_state *s = mfr__calloc(1, sizeof *s);
    int32_t *col = mfr__malloc(((size_t)m->n_items + 1) * sizeof *col);
    if (!s || !col) {
        mfr__free(s), mfr__free(col);
        return mfr__nomem(err, "vae: movie columns");
    }
    for (int32_t i = 0; i < m->n_items; i++) col[i] = -1;
    for (uint64_t r = 0; r < n; r++) col[item[r]] = (int32_t)r;
    s->n = (int32_t)n, s->h = (int32_t)h, s->k = (int32_t)k, s->item = item, s->col = col;
    for (int q = 0; q < 8; q++) s->w[q] = w + off[q];
    m->algo_state = s;
    m->ranked_items = (int32_t)n;
    return MFR_OK;
}

const mfr__algo mfr__algo_vae = {
    .id = MFR_ALGO_VAE,
    .fit = vae_fit,
    .predict = mfr__predict_bias, /* the stars are the baseline's */
    .score_user = mfr__score_bias,
    .rank_user = vae_rank_user,
    .no_fold_in = 1,
    .attach = vae_attach,
    .release = vae_release,
    .defaults = vae_defaults,
    .ignores_time = 1,
};
