/* autorec.c — I-AutoRec (Sedhain, Menon, Sanner & Xie 2015, "AutoRec:
 * Autoencoders Meet Collaborative Filtering", WWW): each movie's vector of
 * ratings r_i ∈ R^{n_users} (0 where a user did not rate it) goes through one
 * hidden layer and back,
 *
 *     h_i = σ(V ᵀ r_i + c)           (k = factors hidden units, sigmoid)
 *     r̂_ui = μ + bu_u + bi_i + W_u·h_i    (identity output),
 *
 * trained on the observed entries only (the masked squared loss)
 *
 *     L = Σ_(u,i) observed ½ (r_ui − r̂_ui)² + ½ λ Σ_u n_u (|V_u|² + |W_u|²)
 *         + ½ λ_b (Σ_u n_u bu_u² + Σ_i n_i bi_i²),     λ = reg, λ_b = reg_bias,
 *
 * by Adam (nn.h: mfr__adam_update) on mini-batches of `batch` movies in a
 * seeded order, the penalty of a batch weighted by its share of the ratings.
 * Two choices beyond the paper, each measured on ml-latest-small (the
 * defaults' comment): the encoder reads the residual of the regularised
 * baseline, r_ui − μ − bu_u − bi_i (an unrated entry, 0, is "as expected"),
 * and while training a quarter of a movie's input entries are dropped at
 * random (the rest scaled by 4/3; denoising, as in CDAE) — 0.8531 → 0.8512
 * at the paper's uniform λ = 10. The penalties are per rating (weighted-λ:
 * a user's rows by n_u, a movie's bias by n_i), so that fold-in (below)
 * minimises the decoder's own training objective.
 * The decoder's output bias is bu (one per user, as in the paper) plus bi,
 * both starting at the baseline (Surprise's λ 15 / 10). Two forms of the
 * layers, the same numbers up to float rounding (tests/unit/test_algo_nn.c):
 * by default every layer is a sparse one: the encoder adds the rows of V of
 * a movie's raters, the decoder is evaluated at the observed entries only,
 * and their gradients are the transposed sparse products (nn.c), O(ratings ·
 * k) an epoch. With `dense` = 1 a batch is a dense batch × n_users block X
 * (0 where a user did not rate) and the layers are cblas_sgemm calls
 * (mfr__autorec_batch_dense: H = σ(X·V + c), the decoder H·Wᵀ over the whole
 * block read at the observed entries, the masked error back through three
 * more products), O(movies · n_users · k) an epoch: ~60 times the work on
 * ml-latest-small (1.7 % dense), slower there than the sparse form although
 * OpenBLAS runs near its peak (docs/models.md has the figures).
 *
 * Stored as a factor model: P = W (the decoder row of each user), Q = h (each
 * movie's code), user_bias = bu, item_bias = bi, so predictions, lists,
 * similar movies and the file are the factor models' (no extra section). A
 * movie with no training rating has h = σ(c), one shared code.
 *
 * New users: I-AutoRec's input dimension is the set of trained users, so a
 * new user's ratings cannot enter the encoder without retraining it. What is
 * possible, and what mfr_model_fold_in does for this family as for every
 * factor model: keep the movies' codes h_i fixed and solve the new user's
 * decoder row [bu, W_u] by ridge regression on their ratings (src/model/fold.c,
 * penalty n·reg, n·reg_bias) — the decoder's training objective for that row.
 *
 * Deterministic for a seed: the sparse kernels give the same bits for any
 * thread count (nn.h), so thread count changes nothing either; the dense
 * form is deterministic for a seed and a thread count (OpenBLAS's split). */
#include "nn.h"
#include "factor_util.h"
#include "../linalg/linalg.h"

#include <math.h>
#include <string.h>

#define AR_DROP 0.25f /* input drop rate while training (denoising) */
#define AR_MIN_STEPS 32 /* fewest steps an epoch (the batch shrinks on small data) */
enum { S_V = 71, S_W = 72, S_ORDER = 73 };

static void autorec_defaults(mfr_train_params *p) {
    /* ml-latest-small, holdout seed 1: RMSE 0.8512 (λ 30: 0.8526, λ 3:
     * 0.8518; lr 1e-3 for 10 epochs: 0.8605; no input dropout: 0.8531; 50 epochs 0.8513).
     * Re-measured later on the same holdout (`mfrec eval DATA --test-frac 0.2 --seed 1
     * --threads 1`): reg 0.05 / 30 epochs 0.8520, reg 0.08 / 40 epochs 0.8512, reg 0.08 / 60
     * 0.8513, reg 0.1 0.8535, lr 2e-4 / 45 epochs 0.8518, batch 128 0.8543, 800 units 0.8542;
     * the 5-fold rows of docs/benchmarks.md: 0.8504 (reg 0.05 / 30) -> 0.8489 (reg 0.08 / 40). */
    p->factors = 500;   /* hidden units, as in the paper */
    p->epochs = 40;
    p->lr = 0.0003f;
    p->lr_decay = 1.0f;
    p->reg = 0.08f;     /* λ, per rating */
    p->reg_bias = 0.02f; /* λ_b, per rating */
    p->init_std = 0.03f;
    p->batch = 256;     /* movies per step */
    p->beta1 = 0.9f;
    p->beta2 = 0.999f;
}

/* The decoder at the observed entries, given the encoder's output H:
 * E = t̂ − t at each entry (O: the dense n × n_users decoder output W·h, or
 * NULL: the sparse dot products); their bias gradients. Returns Σ e². */
MFR_HOT static double ar_decode(int threads, mfr__autorec_net *net, int32_t n, const int32_t *item,
                                const int64_t *ptr, const int32_t *idx, const float *t,
                                const float *H, const float *O, float *E) {
    const int k = net->k, nu = net->n_users;
    double se = 0.0;
    int par = !O && mfr__nn_parallel(threads, (ptr[n] - ptr[0]) * (int64_t)k);
#pragma omp parallel for num_threads(threads) schedule(static) reduction(+ : se) if (par)
    for (int32_t r = 0; r < n; r++) {
        const float *h = H + (size_t)r * k;
        for (int64_t j = ptr[r]; j < ptr[r + 1]; j++) {
            float d = 0.f;
            if (O) {
                d = O[(size_t)r * nu + idx[j]];
            } else {
                const float *w = net->W.x + (size_t)idx[j] * k;
#pragma omp simd reduction(+ : d)
                for (int f = 0; f < k; f++) d += w[f] * h[f];
            }
            float e = d + net->bu.x[idx[j]] + net->bi.x[item[r]] - t[j];
            E[j] = e;
            se += (double)e * e;
        }
    }
    for (int32_t r = 0; r < n; r++)
        for (int64_t j = ptr[r]; j < ptr[r + 1]; j++) {
            net->bu.g[idx[j]] += E[j];
            net->bi.g[item[r]] += E[j];
        }
    return se;
}

/* The weighted-λ penalties and their gradients: a user's rows by their
 * rating count (uw), a movie's bias by its own count (its ratings are all
 * in this batch). */
MFR_HOT static double ar_penalty(int threads, mfr__autorec_net *net, int32_t n, const int32_t *item,
                                 const int64_t *ptr, const float *uw, float lam, float lam_b,
                                 float share) {
    const int k = net->k;
    double pen = 0.0;
    for (int32_t r = 0; r < n; r++) {
        float b = net->bi.x[item[r]], w = lam_b * (float)(ptr[r + 1] - ptr[r]);
        net->bi.g[item[r]] += w * b;
        pen += 0.5 * (double)w * b * b;
    }
    const int32_t nu = net->n_users;
    double sq = 0.0;
    int par = mfr__nn_parallel(threads, 2 * (int64_t)nu * k);
#pragma omp parallel for num_threads(threads) schedule(static) reduction(+ : sq) if (par)
    for (int32_t u = 0; u < nu; u++) {
        float w = share * lam * (uw ? uw[u] : 1.f), wb = share * lam_b * (uw ? uw[u] : 1.f);
        float *v = net->V.x + (size_t)u * k, *gv = net->V.g + (size_t)u * k;
        float *x = net->W.x + (size_t)u * k, *gx = net->W.g + (size_t)u * k;
        double s = 0.0;
        for (int f = 0; f < k; f++) {
            s += (double)v[f] * v[f] + (double)x[f] * x[f];
            gv[f] += w * v[f], gx[f] += w * x[f];
        }
        float b = net->bu.x[u];
        net->bu.g[u] += wb * b;
        sq += 0.5 * ((double)w * s + (double)wb * b * b);
    }
    return pen + sq;
}

MFR_HOT double mfr__autorec_batch(const mfr__kernels *ks, int threads, mfr__autorec_net *net, int32_t n,
                          const int32_t *item, const int64_t *ptr, const int32_t *idx,
                          const float *val, const float *t, const float *uw, float lam,
                          float lam_b, float share, float *H, float *D,
                          float *E) {
    const int k = net->k;
    /* encoder */
    mfr__nn_sparse_fwd(ks, threads, n, ptr, idx, val, net->V.x, net->c.x, k, H);
    mfr__nn_sigmoid(H, (int64_t)n * k);
    /* decoder at the observed entries: E = t̂ − t */
    double se = ar_decode(threads, net, n, item, ptr, idx, t, H, NULL, E);
    /* dW_u += e·h_r;  dH_r = Σ e·W_u;  dZ = dH ⊙ h(1 − h);  dV_u += x·dZ_r */
    mfr__nn_sparse_bwd(ks, threads, n, ptr, idx, E, H, k, net->W.g);
    mfr__nn_sparse_fwd(ks, threads, n, ptr, idx, E, net->W.x, NULL, k, D);
    mfr__nn_sigmoid_bwd(H, D, (int64_t)n * k);
    mfr__nn_sparse_bwd(ks, threads, n, ptr, idx, val, D, k, net->V.g);
    mfr__nn_bias_grad(D, n, k, net->c.g);
    return 0.5 * se + ar_penalty(threads, net, n, item, ptr, uw, lam, lam_b, share);
}

/* X[r][idx_j] = val_j for row r's entries, 0 elsewhere (n × n_users). */
static void ar_scatter(int32_t n, int32_t nu, const int64_t *ptr, const int32_t *idx,
                       const float *val, float *X) {
    memset(X, 0, sizeof *X * (size_t)n * (size_t)nu);
    for (int32_t r = 0; r < n; r++)
        for (int64_t j = ptr[r]; j < ptr[r + 1]; j++) X[(size_t)r * nu + idx[j]] = val[j];
}

MFR_HOT double mfr__autorec_batch_dense(const mfr__kernels *ks, int threads, mfr__autorec_net *net,
                                int32_t n, const int32_t *item, const int64_t *ptr,
                                const int32_t *idx, const float *val, const float *t,
                                const float *uw, float lam, float lam_b, float share, float *H,
                                float *D, float *E, float *X, float *O) {
    const int k = net->k, nu = net->n_users;
    /* encoder: H = σ(X·V + c), X the batch's dense n × n_users input */
    ar_scatter(n, nu, ptr, idx, val, X);
    mfr__nn_gemm(ks, 0, 0, n, k, nu, 1.f, X, nu, net->V.x, k, 0.f, H, k);
    mfr__nn_add_bias(H, n, k, net->c.x);
    mfr__nn_sigmoid(H, (int64_t)n * k);
    /* decoder: O = H·Wᵀ (n × n_users), read at the observed entries */
    mfr__nn_gemm(ks, 0, 1, n, nu, k, 1.f, H, k, net->W.x, k, 0.f, O, nu);
    double se = ar_decode(threads, net, n, item, ptr, idx, t, H, O, E);
    /* the masked error as a dense matrix: dW += Oᵀ·H, dH = O·W, dV += Xᵀ·dZ */
    ar_scatter(n, nu, ptr, idx, E, O);
    mfr__nn_gemm(ks, 1, 0, nu, k, n, 1.f, O, nu, H, k, 1.f, net->W.g, k);
    mfr__nn_gemm(ks, 0, 0, n, k, nu, 1.f, O, nu, net->W.x, k, 0.f, D, k);
    mfr__nn_sigmoid_bwd(H, D, (int64_t)n * k);
    mfr__nn_gemm(ks, 1, 0, nu, k, n, 1.f, X, nu, D, k, 1.f, net->V.g, k);
    mfr__nn_bias_grad(D, n, k, net->c.g);
    return 0.5 * se + ar_penalty(threads, net, n, item, ptr, uw, lam, lam_b, share);
}

/* The training state: the by-movie ratings, the net, a batch's own CSR. */
typedef struct ar_run {
    mfr__csr bi;           /* rows = movies, idx = users, val = ratings */
    int32_t *order;        /* movies with ratings, shuffled each epoch */
    int32_t n_active;
    mfr__autorec_net net;
    int64_t *bptr;         /* [batch + 1] */
    int32_t *bidx, *bitem; /* the batch's entries / movies */
    float *bval, *bt, *H, *D, *E;
    float *xall;           /* [nnz] encoder input of every entry (rating − baseline) */
    float *uw;             /* [n_users] each user's training ratings (penalty weights) */
    float *X, *O;          /* dense: [batch × n_users] input and decoder output / error */
} ar_run;

static void run_free(ar_run *R) {
    mfr__csr_free(&R->bi);
    mfr__free(R->order);
    mfr__nn_param_free(&R->net.V), mfr__nn_param_free(&R->net.c);
    mfr__nn_param_free(&R->net.W), mfr__nn_param_free(&R->net.bu);
    mfr__nn_param_free(&R->net.bi);
    mfr__free(R->bptr), mfr__free(R->bidx), mfr__free(R->bitem);
    mfr__free(R->bval), mfr__free(R->bt), mfr__free(R->H), mfr__free(R->D), mfr__free(R->E);
    mfr__free(R->xall), mfr__free(R->uw), mfr__free(R->X), mfr__free(R->O);
}

/* Q = σ(X·V + c) for every movie (an unrated one: σ(c)). */
static void encode_all(mfr_model *m, const ar_run *R, const mfr__kernels *ks, int threads) {
    mfr__nn_sparse_fwd(ks, threads, m->n_items, R->bi.ptr, R->bi.idx, R->xall, R->net.V.x,
                       R->net.c.x, m->k, m->Q);
    mfr__nn_sigmoid(m->Q, (int64_t)m->n_items * m->k);
}

static mfr_status run_alloc(ar_run *R, mfr_model *m, const mfr__fit_ctx *ctx, int32_t bsz,
                            mfr_error *err) {
    const int32_t k = m->k, nu = m->n_users, ni = m->n_items;
    mfr_status st = mfr__csr_rows(ctx->train, nu, ni, 1, &R->bi, err);
    if (st) return st;
    int64_t nnz = R->bi.nnz, most = 0;
    for (int32_t i = 0; i < ni; i++) {
        int64_t c = R->bi.ptr[i + 1] - R->bi.ptr[i];
        most = c > most ? c : most;
    }
    /* a batch holds at most bsz movies and their ratings */
    int64_t bn = most * bsz < nnz ? most * bsz : nnz;
    R->order = mfr__malloc(sizeof *R->order * ((size_t)ni + 1));
    R->bptr = mfr__malloc(sizeof *R->bptr * ((size_t)bsz + 1));
    R->bitem = mfr__malloc(sizeof *R->bitem * ((size_t)bsz + 1));
    R->bidx = mfr__malloc(sizeof *R->bidx * ((size_t)bn + 1));
    R->bval = mfr__malloc(sizeof *R->bval * ((size_t)bn + 1));
    R->bt = mfr__malloc(sizeof *R->bt * ((size_t)bn + 1));
    R->E = mfr__malloc(sizeof *R->E * ((size_t)bn + 1));
    R->H = mfr__aligned_alloc(sizeof *R->H * (size_t)bsz * (size_t)k);
    R->D = mfr__aligned_alloc(sizeof *R->D * (size_t)bsz * (size_t)k);
    R->xall = mfr__malloc(sizeof *R->xall * ((size_t)nnz + 1));
    R->uw = mfr__calloc((size_t)nu + 1, sizeof *R->uw);
    R->net.n_users = nu, R->net.k = k;
    int bad = !R->order || !R->bptr || !R->bitem || !R->bidx || !R->bval || !R->bt || !R->E ||
              !R->H || !R->D || !R->xall || !R->uw;
    if (ctx->p->dense) {
        R->X = mfr__aligned_alloc(sizeof *R->X * (size_t)bsz * (size_t)nu);
        R->O = mfr__aligned_alloc(sizeof *R->O * (size_t)bsz * (size_t)nu);
        bad |= !R->X || !R->O;
    }
    bad |= mfr__nn_param_alloc(&R->net.V, (int64_t)nu * k, NULL);
    bad |= mfr__nn_param_alloc(&R->net.c, k, NULL);
    bad |= mfr__nn_param_alloc(&R->net.W, (int64_t)nu * k, m->P);
    bad |= mfr__nn_param_alloc(&R->net.bu, nu, m->user_bias);
    bad |= mfr__nn_param_alloc(&R->net.bi, ni, m->item_bias);
    if (bad) return mfr__nomem(err, "autorec: training state");

    for (int64_t j = 0; j < nnz; j++) R->uw[R->bi.idx[j]] += 1.f;
    R->n_active = 0;
    for (int32_t i = 0; i < ni; i++)
        if (R->bi.ptr[i + 1] > R->bi.ptr[i]) R->order[R->n_active++] = i;
    return MFR_OK;
}

/* One epoch: the movies in a new seeded order, batch by batch. Returns Σ e². */
static double run_epoch(ar_run *R, mfr_model *m, const mfr__fit_ctx *ctx, mfr__rng *rng,
                        int32_t bsz, float lr, int64_t *step) {
    const mfr_train_params *p = ctx->p;
    mfr__shuffle_i32(rng, R->order, R->n_active);
    double se = 0.0;
    const double nnz = (double)R->bi.nnz;
    const float keep_scale = 1.f / (1.f - AR_DROP);
    for (int32_t b0 = 0; b0 < R->n_active; b0 += bsz) {
        int32_t n = R->n_active - b0 < bsz ? R->n_active - b0 : bsz;
        int64_t e = 0;
        R->bptr[0] = 0;
        for (int32_t r = 0; r < n; r++) {
            int32_t i = R->order[b0 + r];
            R->bitem[r] = i;
            for (int64_t j = R->bi.ptr[i]; j < R->bi.ptr[i + 1]; j++, e++) {
                R->bidx[e] = R->bi.idx[j];
                R->bval[e] = mfr__rng_uniform(rng) < AR_DROP ? 0.f : R->xall[j] * keep_scale;
                R->bt[e] = R->bi.val[j] - m->mu;
            }
            R->bptr[r + 1] = e;
        }
        /* the users' penalties' share: this batch's ratings of all ratings */
        float share = (float)((double)e / nnz);
        double loss =
            p->dense ? mfr__autorec_batch_dense(ctx->kern, ctx->threads, &R->net, n, R->bitem,
                                                R->bptr, R->bidx, R->bval, R->bt, R->uw, p->reg,
                                                p->reg_bias, share, R->H, R->D, R->E, R->X, R->O)
                     : mfr__autorec_batch(ctx->kern, ctx->threads, &R->net, n, R->bitem, R->bptr,
                                          R->bidx, R->bval, R->bt, R->uw, p->reg, p->reg_bias,
                                          share, R->H, R->D, R->E);
        for (int64_t j = 0; j < e; j++) se += (double)R->E[j] * R->E[j];
        if (!isfinite(loss)) return NAN;
        ++*step;
        float c1 = 1.f - powf(p->beta1, (float)*step), c2 = 1.f - powf(p->beta2, (float)*step);
        mfr__nn_param *ps[5] = {&R->net.V, &R->net.c, &R->net.W, &R->net.bu, &R->net.bi};
        for (int q = 0; q < 5; q++) mfr__nn_param_step(ps[q], 1.f, lr, p->beta1, p->beta2, c1, c2);
    }
    return se;
}

static mfr_status autorec_fit(mfr_model *m, const mfr__fit_ctx *ctx, mfr_error *err) {
    const mfr_train_params *p = ctx->p;
    mfr_status st = mfr__check_fit(m, ctx, "autorec", err);
    if (st || (st = mfr__model_alloc_factors(m, p->factors, err))) return st;
    /* at least AR_MIN_STEPS steps an epoch, so a small catalogue still
     * trains (Adam's steps are small) */
    int32_t active = 0;
    for (int32_t i = 0; i < m->n_items; i++) active += m->item_count[i] > 0;
    int32_t cap = (active + AR_MIN_STEPS - 1) / AR_MIN_STEPS;
    int32_t bsz = p->batch < cap ? p->batch : cap > 0 ? cap : 1;
    ar_run R;
    memset(&R, 0, sizeof R);
    mfr__csr bu = {0};
    mfr__best best;
    if ((st = run_alloc(&R, m, ctx, bsz, err)) ||
        (st = mfr__csr_rows(ctx->train, m->n_users, m->n_items, 0, &bu, err)) ||
        (st = mfr__best_init(&best, m, ctx, err))) {
        run_free(&R);
        mfr__csr_free(&bu);
        return st;
    }
    /* the biases start at the regularised baseline */
    mfr__baseline_fit(&bu, &R.bi, m->mu, &MFR__BASELINE_15, m->user_bias, m->item_bias);
    mfr__csr_free(&bu);
    for (int32_t i = 0; i < m->n_items; i++)
            for (int64_t j = R.bi.ptr[i]; j < R.bi.ptr[i + 1]; j++)
                R.xall[j] = R.bi.val[j] - m->mu - m->user_bias[R.bi.idx[j]] - m->item_bias[i];
    mfr__fill_normal(R.net.V.x, R.net.V.n, p->init_std, p->seed, S_V);
    mfr__fill_normal(R.net.W.x, R.net.W.n, p->init_std, p->seed, S_W);
    for (int32_t u = 0; u < m->n_users; u++) /* no ratings: no decoder row to learn */
        if (R.uw[u] == 0.f) memset(R.net.W.x + (size_t)u * m->k, 0, sizeof(float) * (size_t)m->k);
    mfr__rng rng;
    mfr__rng_seed_stream(&rng, p->seed, S_ORDER);
    /* the dense path's products run on the fit's threads (its model then
     * depends on the thread count too: OpenBLAS's split) */
    int blas_before = p->dense ? mfr__blas_threads_set(ctx->threads) : 0;
    double t0 = mfr__now();
    float lr = p->lr;
    int64_t step = 0;
    for (int32_t ep = 1; ep <= p->epochs && !st; ep++) {
        double se = run_epoch(&R, m, ctx, &rng, bsz, lr, &step);
        lr *= p->lr_decay;
        if (!isfinite(se)) {
            st = mfr__err(err, MFR_E_RANGE, "autorec: diverged in epoch %d (lr = %g too large?)",
                          (int)ep, (double)p->lr);
            break;
        }
        encode_all(m, &R, ctx->kern, ctx->threads);
        m->epochs_run = ep;
        m->train_rmse = sqrt(se / (double)R.bi.nnz);
        m->valid_rmse = mfr__rmse(m, ctx->valid);
        st = mfr__report_epoch(ctx, "autorec", ep, p->epochs, m->train_rmse, m->valid_rmse, t0,
                               err);
        if (!st && mfr__best_update(&best, m, m->valid_rmse, ep)) break;
    }
    if (p->dense) mfr__blas_threads_set(blas_before);
    if (m->epochs_run == 0) encode_all(m, &R, ctx->kern, ctx->threads);
    if (!st || st == MFR_E_CANCELLED) mfr__best_restore(&best, m);
    mfr__best_free(&best);
    run_free(&R);
    m->train_rmse = mfr__rmse(m, ctx->train);
    return st;
}

const mfr__algo mfr__algo_autorec = {
    .id = MFR_ALGO_AUTOREC,
    .fit = autorec_fit,
    .defaults = autorec_defaults,
    .ignores_time = 1,
};
