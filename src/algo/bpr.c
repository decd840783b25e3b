/* bpr.c — pairwise ranking matrix factorisation: BPR (Rendle, Freudenthaler,
 * Gantner & Schmidt-Thieme 2009, "BPR: Bayesian Personalized Ranking from
 * Implicit Feedback", UAI) trained by SGD on (user, positive, negative)
 * triples, with an item bias and dynamic negative sampling (Zhang, Chen, Wang
 * & Yu 2013, "Optimizing Top-N Collaborative Filtering via Dynamic Negative
 * Item Sampling", SIGIR).
 *
 * Ranking score s_ui = c_i + p_u·q_i. For a positive (u, i) with weight w and
 * a negative j, x = s_ui − s_uj and the step ascends w·ln σ(x) − λ/2 (|p_u|² +
 * |q_i|² + |q_j|² + c_i² + c_j²), g = w·σ(−x):
 *
 *     p_u += η (g (q_i − q_j) − λ p_u)
 *     q_i += η (g p_u − λ q_i)         c_i += η (g − λ c_i)
 *     q_j += η (−g p_u − λ q_j)        c_j += η (−g − λ c_j)
 *
 * (all right-hand sides use the values before the step; mfr__bpr_step).
 * Positives are the training ratings in the upper half of the scale, r ≥
 * (r_min + r_max)/2 (3 and up on MovieLens' 0.5..5), weighted w = (r /
 * r_max)^rating_power; a user's other items, rated lower or not at all, are
 * negatives. Each step draws cg_steps candidate negatives uniformly from the
 * items with a training rating (rejecting the user's positives) and uses the
 * one the model currently scores highest (cg_steps <= 1: plain BPR): the
 * hard negatives lift P@10 on ml-latest-small from 0.19 to 0.23. They are
 * not free: on a catalogue where a user's unseen liked movies are a large
 * share of all movies they are the hardest negatives and get pushed down
 * (tests/unit/test_algo_bpr.c shows both). WARP (Weston, Bengio & Usunier
 * 2011: draw until a negative violates the margin, step weighted by the log
 * of the rank estimate) was measured as the alternative and ranked no better
 * at twice the time (docs/models-ranking.md, bpr).
 *
 * Blocks, so threads never share a row (LIBMF's scheme, as in sgd.c): every
 * epoch users and active items are dealt into nb groups each by a seeded
 * permutation, giving nb x nb blocks; the positives of block (a, b) are
 * those of users in group a on items in group b, and their negatives are
 * drawn from item group b only. The nb blocks (a, (a + d) mod nb) of one
 * diagonal d share no user and no item and run in parallel; the diagonals run
 * in a seeded order. A block's steps read and write only its own rows and use
 * their own random stream, so the model is bit-identical for any thread count
 * with the same nb = max(16, 2·threads) (every count up to 8), capped so a
 * group keeps at least 64 items and 8 users (small data: one block). Since
 * the groups are redrawn every epoch, a negative is still uniform over all
 * items in expectation.
 *
 * Stars: the family is a ranker; its predicted ratings are the regularised
 * baseline μ + b_u + b_i (alternating closed form, reg_bias, 10 passes;
 * factor_util.h), kept in user_bias / item_bias. The ranking bias c lives in
 * the extra section BPRB (n_items floats); P and Q (k floats a row,
 * row-major) are the ranking factors, so mfr_model_fold_dim is k + 1 as for
 * every factor model. A user who is not in the model is ranked by a fold-in
 * of the same objective against the fixed Q and c (bpr_fold: seeded SGD on
 * p only, from the rated movies); the rating fold-in vector the caller
 * passes gives only their stars. Movies with no training rating are never
 * ranked (NaN). Progress is reported after every epoch (RMSE NaN: nothing
 * rating-shaped is fitted per epoch, as for ials); a cancel keeps the last
 * completed epoch; a non-finite loss ends the fit with MFR_E_RANGE
 * ("diverged"). valid_frac / a validation set give the stars' validation
 * RMSE; early_stop does not apply. */
#include "factor_util.h"
#include "../linalg/linalg.h"

#include <math.h>
#include <omp.h>
#include <string.h>

#define T_BPRB MFR_TAG('B', 'P', 'R', 'B')

enum {
    BPR_MIN_BLOCKS = 16,  /* groups per side (more with more threads) */
    BPR_GROUP_ITEMS = 64, /* at least this many active items per group */
    BPR_GROUP_USERS = 8,  /* and users */
    BPR_TRIES = 32,       /* draws to find one negative */
    BPR_FOLD_EPOCHS = 30, /* fold-in: steps = this x positives, */
    BPR_FOLD_MIN = 2000,  /* at least this many, */
    BPR_FOLD_MAX = 20000  /* at most this many */
};

#define S_EPOCH 0x6270720000000000ull /* "bpr" streams: epoch partition */
#define S_BLOCK 0x6270720100000000ull /* one block of one epoch */
#define S_FOLD  0x62707202ull         /* fold-in of a new user */

/* Tuned on random 80/20 holdouts of ml-latest-small, seeds 11 and 12 (not
 * the seeds reported): docs/models-ranking.md, bpr. */
static void bpr_defaults(mfr_train_params *p) {
    p->factors = 128;
    p->epochs = 60;
    p->lr = 0.1f;
    p->lr_decay = 0.97f;
    p->reg = 0.01f;
    p->init_std = 0.1f;
    p->rating_power = 4.0f; /* w = (r / r_max)^4 */
    p->cg_steps = 8;        /* candidate negatives per step */
    p->reg_bias = 15.0f;    /* the stars' baseline (see baseline.c) */
}

/* ---- the step -------------------------------------------------------- */

/* The per-step helpers are inlined into the MFR_HOT loops (run_block,
 * bpr_fold, bpr_rank_user), so they get the AVX2 clone's code too. */
#define BPR_INLINE static inline __attribute__((always_inline))

/* One BPR step on (p_u, q_i, c_i; q_j, c_j) with weight w, learning rate lr
 * and L2 reg (file header); returns x = s_ui − s_uj before the step. The
 * tests check it against hand-computed numbers and finite differences. */
BPR_INLINE float bpr_step(float *p, float *qi, float *qj, float *ci, float *cj, int32_t k, float lr,
                          float reg, float w) {
    float x = *ci - *cj;
#pragma omp simd reduction(+ : x)
    for (int32_t f = 0; f < k; f++) x += p[f] * (qi[f] - qj[f]);
    float g = w / (1.0f + expf(x));
#pragma omp simd
    for (int32_t f = 0; f < k; f++) {
        float pf = p[f], a = qi[f], b = qj[f];
        p[f] = pf + lr * (g * (a - b) - reg * pf);
        qi[f] = a + lr * (g * pf - reg * a);
        qj[f] = b + lr * (-g * pf - reg * b);
    }
    *ci += lr * (g - reg * *ci);
    *cj += lr * (-g - reg * *cj);
    return x;
}

float mfr__bpr_step(float *p, float *qi, float *qj, float *ci, float *cj, int32_t k, float lr,
                    float reg, float w);
float mfr__bpr_step(float *p, float *qi, float *qj, float *ci, float *cj, int32_t k, float lr,
                    float reg, float w) {
    return bpr_step(p, qi, qj, ci, cj, k, lr, reg, w);
}

BPR_INLINE float dotf(const float *a, const float *b, int32_t k) {
    float s = 0.f;
#pragma omp simd reduction(+ : s)
    for (int32_t f = 0; f < k; f++) s += a[f] * b[f];
    return s;
}

/* −ln σ(x), without overflow. */
static double log_loss(float x) {
    return x > 0.f ? log1p(exp(-(double)x)) : -(double)x + log1p(exp((double)x));
}

/* Positives threshold: the upper half of the scale. */
static float pos_threshold(const mfr_model *m) { return 0.5f * (m->rmin + m->rmax); }

static float pos_weight(const mfr_model *m, float r) {
    float pw = m->params.rating_power;
    if (pw == 0.f || !(m->rmax > 0.f)) return 1.f;
    float x = r > 0.f ? r / m->rmax : 0.f;
    return pw == 1.f ? x : powf(x, pw);
}

/* ---- training data ---------------------------------------------------- */

typedef struct bpr_data {
    int64_t *ptr;  /* [n_users + 1] each user's positives */
    int32_t *item; /* [npos] sorted ascending within a user */
    int32_t *user; /* [npos] */
    float *w;      /* [npos] step weight */
    int64_t npos;
    int32_t *active; /* [n_active] items with a training rating, ascending */
    int32_t n_active;
} bpr_data;

static void data_free(bpr_data *d) {
    mfr__free(d->ptr), mfr__free(d->item), mfr__free(d->user), mfr__free(d->w), mfr__free(d->active);
    memset(d, 0, sizeof *d);
}

/* From the by-item view c (so each user's row comes out sorted by item). */
static mfr_status data_build(const mfr_model *m, const mfr__csr *c, bpr_data *d, mfr_error *err) {
    memset(d, 0, sizeof *d);
    const float thr = pos_threshold(m);
    int64_t np = 0;
    for (int64_t e = 0; e < c->nnz; e++) np += c->val[e] >= thr;
    d->ptr = mfr__calloc((size_t)m->n_users + 1, sizeof *d->ptr);
    d->item = mfr__malloc(((size_t)np + 1) * sizeof *d->item);
    d->user = mfr__malloc(((size_t)np + 1) * sizeof *d->user);
    d->w = mfr__malloc(((size_t)np + 1) * sizeof *d->w);
    d->active = mfr__malloc(((size_t)m->n_items + 1) * sizeof *d->active);
    int64_t *fill = mfr__malloc(((size_t)m->n_users + 1) * sizeof *fill);
    if (!d->ptr || !d->item || !d->user || !d->w || !d->active || !fill) {
        mfr__free(fill);
        data_free(d);
        return mfr__nomem(err, "bpr: positives");
    }
    for (int64_t e = 0; e < c->nnz; e++)
        if (c->val[e] >= thr) d->ptr[c->idx[e] + 1]++;
    for (int32_t u = 0; u < m->n_users; u++) d->ptr[u + 1] += d->ptr[u];
    memcpy(fill, d->ptr, (size_t)m->n_users * sizeof *fill);
    for (int32_t i = 0; i < c->rows; i++) {
        if (c->ptr[i + 1] > c->ptr[i]) d->active[d->n_active++] = i;
        for (int64_t e = c->ptr[i]; e < c->ptr[i + 1]; e++) {
            if (!(c->val[e] >= thr)) continue;
            int64_t at = fill[c->idx[e]]++;
            d->item[at] = i;
            d->user[at] = c->idx[e];
            d->w[at] = pos_weight(m, c->val[e]);
        }
    }
    mfr__free(fill);
    d->npos = np;
    return MFR_OK;
}

/* ---- one epoch --------------------------------------------------------- */

typedef struct bpr_run {
    const bpr_data *d;
    float *P, *Q, *cb;
    int32_t k, n_users, nb, cand;
    float lr, reg;
    uint64_t seed;
    int32_t *ugrp; /* [n_users] group of each user this epoch */
    int32_t *igrp; /* [n_items] group of each item (-1: inactive) */
    int32_t *pool; /* [n_active] active items, group by group */
    int64_t *poff; /* [nb + 1] */
    int64_t *boff; /* [nb*nb + 1] positives of block (a, b) at a*nb + b */
    int64_t *bpos; /* [npos] */
    int32_t *perm; /* [n_users] scratch */
    int32_t *diag; /* [nb] diagonal order */
    double *loss;  /* [nb*nb] */
} bpr_run;

/* Deal users and active items into groups, sort the positives into blocks
 * and draw the diagonals' order, all from the epoch's stream. */
static void epoch_plan(bpr_run *R, int32_t ep) {
    const bpr_data *d = R->d;
    const int32_t nb = R->nb;
    mfr__rng rng;
    mfr__rng_seed_stream(&rng, R->seed, S_EPOCH + (uint64_t)ep);
    for (int32_t u = 0; u < R->n_users; u++) R->perm[u] = u;
    mfr__shuffle_i32(&rng, R->perm, R->n_users);
    for (int32_t r = 0; r < R->n_users; r++)
        R->ugrp[R->perm[r]] = (int32_t)((int64_t)r * nb / R->n_users);
    memcpy(R->pool, d->active, (size_t)d->n_active * sizeof *R->pool);
    mfr__shuffle_i32(&rng, R->pool, d->n_active);
    for (int32_t r = 0; r < d->n_active; r++)
        R->igrp[R->pool[r]] = (int32_t)((int64_t)r * nb / d->n_active);
    for (int32_t b = 0; b <= nb; b++) /* first r with r·nb/n >= b */
        R->poff[b] = ((int64_t)b * d->n_active + nb - 1) / nb;
    const int64_t nblk = (int64_t)nb * nb;
    memset(R->boff, 0, (size_t)(nblk + 1) * sizeof *R->boff);
    for (int64_t e = 0; e < d->npos; e++)
        R->boff[(int64_t)R->ugrp[d->user[e]] * nb + R->igrp[d->item[e]] + 1]++;
    for (int64_t b = 0; b < nblk; b++) R->boff[b + 1] += R->boff[b];
    for (int64_t e = 0; e < d->npos; e++) { /* boff[b] ends as the end of b, then shifted back */
        int64_t b = (int64_t)R->ugrp[d->user[e]] * nb + R->igrp[d->item[e]];
        R->bpos[R->boff[b]++] = e;
    }
    for (int64_t b = nblk; b > 0; b--) R->boff[b] = R->boff[b - 1];
    R->boff[0] = 0;
    for (int32_t j = 0; j < nb; j++) R->diag[j] = j;
    mfr__shuffle_i32(&rng, R->diag, nb);
}

/* A negative for u from item group b: the best scored of `cand` draws that
 * are not u's positives, or -1 when none was found. The draws come first and
 * their rows are prefetched, so the scores wait on one memory latency, not
 * cand of them in turn (Q rarely fits in L2). */
enum { BPR_CHUNK = 16 };

BPR_INLINE int32_t draw_negative(const bpr_run *R, int32_t u, const float *pu, int32_t b,
                                 mfr__rng *rng) {
    const bpr_data *d = R->d;
    const int32_t *pos = d->item + d->ptr[u];
    const int64_t npu = d->ptr[u + 1] - d->ptr[u], lo = R->poff[b], n = R->poff[b + 1] - lo;
    const int32_t k = R->k;
    int32_t best = -1;
    float best_s = -INFINITY;
    if (n <= 0) return -1;
    for (int32_t c0 = 0; c0 < R->cand; c0 += BPR_CHUNK) {
        int32_t js[BPR_CHUNK], nj = 0;
        const int32_t c1 = R->cand - c0 < BPR_CHUNK ? R->cand - c0 : BPR_CHUNK;
        for (int32_t c = 0; c < c1; c++) {
            for (int t = 0; t < BPR_TRIES; t++) {
                int32_t j = R->pool[lo + (int64_t)mfr__rng_below(rng, (uint64_t)n)];
                if (mfr__find_sorted(pos, npu, j) >= 0) continue;
                js[nj++] = j;
                const char *q = (const char *)(R->Q + (size_t)j * k);
                for (int32_t o = 0; o < k * 4; o += 64) __builtin_prefetch(q + o, 0, 3);
                break;
            }
        }
        if (R->cand == 1) return nj ? js[0] : -1;
        for (int32_t c = 0; c < nj; c++) {
            float s = R->cb[js[c]] + dotf(pu, R->Q + (size_t)js[c] * k, k);
            if (best < 0 || s > best_s) best = js[c], best_s = s;
        }
    }
    return best;
}

/* Block (a, b): its positives in a shuffled order, one step each. */
MFR_HOT static void run_block(bpr_run *R, int32_t ep, int32_t a, int32_t b) {
    const int64_t blk = (int64_t)a * R->nb + b, lo = R->boff[blk], n = R->boff[blk + 1] - lo;
    const int32_t k = R->k;
    const bpr_data *d = R->d;
    mfr__rng rng;
    mfr__rng_seed_stream(&rng, R->seed, S_BLOCK + ((uint64_t)ep << 26) + (uint64_t)blk);
    int64_t *ord = R->bpos + lo;
    mfr__shuffle_i64(&rng, ord, n);
    double loss = 0.0;
    for (int64_t s = 0; s < n; s++) {
        const int64_t e = ord[s];
        const int32_t u = d->user[e], i = d->item[e];
        float *pu = R->P + (size_t)u * k;
        int32_t j = draw_negative(R, u, pu, b, &rng);
        if (j < 0) continue;
        float x = bpr_step(pu, R->Q + (size_t)i * k, R->Q + (size_t)j * k, R->cb + i, R->cb + j, k,
                           R->lr, R->reg, d->w[e]);
        loss += d->w[e] * log_loss(x);
    }
    R->loss[blk] = loss;
}

/* One epoch on `threads` threads; returns the mean weighted loss per step. */
static double run_epoch(bpr_run *R, int32_t ep, int threads) {
    epoch_plan(R, ep);
    const int32_t nb = R->nb;
#pragma omp parallel num_threads(threads)
    for (int32_t r = 0; r < nb; r++) {
        const int32_t dg = R->diag[r];
#pragma omp for schedule(dynamic, 1)
        for (int32_t a = 0; a < nb; a++) run_block(R, ep, a, (a + dg) % nb);
    }
    double loss = 0.0;
    for (int64_t b = 0; b < (int64_t)nb * nb; b++) loss += R->loss[b];
    return R->d->npos > 0 ? loss / (double)R->d->npos : 0.0;
}

/* Groups per side: max(16, 2·threads), fewer when the data is small. */
static int32_t block_count(int threads, int32_t n_users, int32_t n_active) {
    int64_t nb = BPR_MIN_BLOCKS;
    if (2 * (int64_t)threads > nb) nb = 2 * (int64_t)threads;
    if (nb > n_active / BPR_GROUP_ITEMS) nb = n_active / BPR_GROUP_ITEMS;
    if (nb > n_users / BPR_GROUP_USERS) nb = n_users / BPR_GROUP_USERS;
    return nb < 1 ? 1 : (int32_t)nb;
}

static void run_free(bpr_run *R) {
    mfr__free(R->ugrp), mfr__free(R->igrp), mfr__free(R->pool), mfr__free(R->poff);
    mfr__free(R->boff), mfr__free(R->bpos), mfr__free(R->perm), mfr__free(R->diag);
    mfr__free(R->loss);
}

static mfr_status run_alloc(bpr_run *R, const mfr_model *m, mfr_error *err) {
    const bpr_data *d = R->d;
    const size_t nb = (size_t)R->nb, nblk = nb * nb;
    R->ugrp = mfr__malloc(((size_t)m->n_users + 1) * sizeof *R->ugrp);
    R->igrp = mfr__malloc(((size_t)m->n_items + 1) * sizeof *R->igrp);
    R->pool = mfr__malloc(((size_t)d->n_active + 1) * sizeof *R->pool);
    R->poff = mfr__malloc((nb + 1) * sizeof *R->poff);
    R->boff = mfr__malloc((nblk + 1) * sizeof *R->boff);
    R->bpos = mfr__malloc(((size_t)d->npos + 1) * sizeof *R->bpos);
    R->perm = mfr__malloc(((size_t)m->n_users + 1) * sizeof *R->perm);
    R->diag = mfr__malloc(nb * sizeof *R->diag);
    R->loss = mfr__calloc(nblk, sizeof *R->loss);
    if (!R->ugrp || !R->igrp || !R->pool || !R->poff || !R->boff || !R->bpos || !R->perm ||
        !R->diag || !R->loss) {
        run_free(R);
        return mfr__nomem(err, "bpr: epoch blocks");
    }
    for (int32_t i = 0; i < m->n_items; i++) R->igrp[i] = -1;
    return MFR_OK;
}

/* ---- fit --------------------------------------------------------------- */

/* The stars: μ + b_u + b_i by the closed-form baseline; the by-item view is
 * returned in *bi for the positives. */
static mfr_status fit_baseline(mfr_model *m, const mfr__fit_ctx *ctx, mfr__csr *bi,
                               mfr_error *err) {
    mfr__csr bu;
    mfr_status st = mfr__csr_pair(ctx->train, m->n_users, m->n_items, &bu, bi, err);
    if (st) return st;
    float rb = ctx->p->reg_bias;
    mfr__baseline_settings set = mfr__baseline_default(rb);
    mfr__baseline_fit(&bu, bi, m->mu, &set, m->user_bias, m->item_bias);
    mfr__csr_free(&bu);
    return MFR_OK;
}

/* Initial factors N(0, init_std²); rows with nothing to learn (users without
 * positives, movies without ratings) zero, so they score by c alone. */
static void init_factors(mfr_model *m, const bpr_data *d, float std, uint64_t seed) {
    const int32_t k = m->k;
    mfr__fill_normal(m->P, (int64_t)m->n_users * k, std, seed, 1);
    mfr__fill_normal(m->Q, (int64_t)m->n_items * k, std, seed, 2);
    for (int32_t u = 0; u < m->n_users; u++)
        if (d->ptr[u + 1] == d->ptr[u]) memset(m->P + (size_t)u * k, 0, sizeof(float) * (size_t)k);
    for (int32_t i = 0; i < m->n_items; i++)
        if (m->item_count[i] == 0) memset(m->Q + (size_t)i * k, 0, sizeof(float) * (size_t)k);
}

static mfr_status bpr_fit(mfr_model *m, const mfr__fit_ctx *ctx, mfr_error *err) {
    const mfr_train_params *p = ctx->p;
    mfr_status st = mfr__check_fit(m, ctx, "bpr", err);
    if (st || (st = mfr__model_alloc_factors(m, p->factors, err))) return st;
    mfr__csr bi;
    if ((st = fit_baseline(m, ctx, &bi, err))) return st;
    bpr_data d;
    st = data_build(m, &bi, &d, err);
    mfr__csr_free(&bi);
    if (st) return st;
    float *cb; /* the ranking biases c: the model's section BPRB, zeroed */
    st = mfr__model_new_extra(m, T_BPRB, (size_t)m->n_items * sizeof *cb, (void **)&cb,
                              "bpr: ranking biases", err);
    bpr_run R;
    memset(&R, 0, sizeof R);
    R.d = &d, R.P = m->P, R.Q = m->Q, R.cb = cb, R.k = m->k, R.n_users = m->n_users;
    R.nb = block_count(ctx->threads, m->n_users, d.n_active);
    R.cand = p->cg_steps > 1 ? p->cg_steps : 1;
    R.lr = p->lr, R.reg = p->reg, R.seed = p->seed;
    if (!st) st = run_alloc(&R, m, err);
    if (st) {
        data_free(&d);
        return st;
    }
    init_factors(m, &d, p->init_std, p->seed);
    double t0 = mfr__now();
    for (int32_t ep = 1; ep <= p->epochs && !st; ep++) {
        double loss = run_epoch(&R, ep, ctx->threads);
        R.lr *= p->lr_decay;
        m->epochs_run = ep;
        if (!isfinite(loss))
            st = mfr__err(err, MFR_E_RANGE, "bpr: diverged in epoch %d (lr = %g too large?)",
                          (int)ep, (double)p->lr);
        else st = mfr__report_epoch(ctx, "bpr", ep, p->epochs, NAN, NAN, t0, err);
    }
    run_free(&R);
    data_free(&d);
    m->ranked_items = m->n_items;
    m->train_rmse = mfr__rmse(m, ctx->train);
    return st;
}

/* ---- answers ------------------------------------------------------------ */

/* p (k floats) for a user given by their rated items (sorted) and ratings
 * (NULL: all liked): the training objective with Q and c fixed, by seeded
 * SGD on p from zero, BPR_FOLD_EPOCHS steps per positive (clamped).
 * Negatives: any movie with a training rating that is not a positive.
 * Returns 0, or -1 when out of memory (p untouched). */
MFR_HOT static int bpr_fold(const mfr_model *m, const float *cb, const mfr__who *w, float *p) {
    const int32_t k = m->k, cand = m->params.cg_steps > 1 ? m->params.cg_steps : 1;
    const float thr = pos_threshold(m), lr = m->params.lr, reg = m->params.reg;
    int32_t *pos = mfr__malloc(((size_t)w->n + 1) * sizeof *pos);
    float *wt = mfr__malloc(((size_t)w->n + 1) * sizeof *wt);
    if (!pos || !wt) {
        mfr__free(pos), mfr__free(wt);
        return -1;
    }
    int64_t np = 0;
    for (int32_t j = 0; j < w->n; j++) {
        int32_t i = w->items[j];
        float r = w->ratings ? w->ratings[j] : m->rmax;
        if (i < 0 || i >= m->n_items || !(r >= thr)) continue;
        pos[np] = i, wt[np++] = pos_weight(m, r);
    }
    memset(p, 0, sizeof(float) * (size_t)k);
    int64_t steps = np * BPR_FOLD_EPOCHS;
    steps = steps < BPR_FOLD_MIN ? BPR_FOLD_MIN : steps > BPR_FOLD_MAX ? BPR_FOLD_MAX : steps;
    mfr__rng rng;
    mfr__rng_seed_stream(&rng, m->params.seed, S_FOLD);
    for (int64_t s = 0; np > 0 && s < steps; s++) {
        int64_t e = (int64_t)mfr__rng_below(&rng, (uint64_t)np);
        int32_t i = pos[e], jn = -1;
        float best = -INFINITY;
        for (int32_t c = 0; c < cand; c++) {
            int32_t j = -1;
            for (int t = 0; t < BPR_TRIES && j < 0; t++) {
                j = (int32_t)mfr__rng_below(&rng, (uint64_t)m->n_items);
                if (m->item_count[j] == 0 || mfr__find_sorted(pos, np, j) >= 0) j = -1;
            }
            if (j < 0) continue;
            float sj = cb[j] + dotf(p, m->Q + (size_t)j * k, k);
            if (jn < 0 || sj > best) jn = j, best = sj;
        }
        if (jn < 0) continue;
        const float *qi = m->Q + (size_t)i * k, *qj = m->Q + (size_t)jn * k;
        float x = cb[i] - cb[jn];
        for (int32_t f = 0; f < k; f++) x += p[f] * (qi[f] - qj[f]);
        float g = wt[e] / (1.0f + expf(x));
        for (int32_t f = 0; f < k; f++) p[f] += lr * (g * (qi[f] - qj[f]) - reg * p[f]);
    }
    mfr__free(pos), mfr__free(wt);
    return 0;
}

MFR_HOT static void bpr_rank_user(const mfr_model *m, const mfr__who *w, const float *pred,
                                  float *rank) {
    (void)pred;
    const float *cb = mfr__model_get_extra(m, T_BPRB, NULL);
    const int32_t k = m->k;
    const float *p = NULL;
    float *fold = NULL;
    if (w->u >= 0 && m->P) {
        p = m->P + (size_t)w->u * k;
    } else if (cb && m->Q && (fold = mfr__malloc(((size_t)k + 1) * sizeof *fold))) {
        if (bpr_fold(m, cb, w, fold) == 0) p = fold;
    }
    if (!p && w->vec && m->Q) p = w->vec + 1; /* no memory: the rating fold-in */
    for (int32_t i = 0; i < m->n_items; i++) {
        if (m->item_count[i] == 0) {
            rank[i] = NAN;
            continue;
        }
        float s = cb ? cb[i] : 0.f;
        if (p) s += dotf(p, m->Q + (size_t)i * k, k);
        rank[i] = s;
    }
    mfr__free(fold);
}

static mfr_status bpr_attach(mfr_model *m, mfr_error *err) {
    uint64_t size = 0;
    const float *cb = mfr__model_get_extra(m, T_BPRB, &size);
    if (!cb || size != (uint64_t)m->n_items * sizeof *cb)
        return mfr__err(err, MFR_E_FORMAT, "bpr: section BPRB (%llu bytes) is not %d floats",
                        (unsigned long long)size, (int)m->n_items);
    if (m->k <= 0 || !m->P || !m->Q)
        return mfr__err(err, MFR_E_FORMAT, "bpr: model has no factors");
    m->ranked_items = m->n_items;
    return MFR_OK;
}

const mfr__algo mfr__algo_bpr = {
    .id = MFR_ALGO_BPR,
    .fit = bpr_fit,
    .predict = mfr__predict_bias, /* the biases alone give the rating */
    .score_user = mfr__score_bias,
    .rank_user = bpr_rank_user,
    .no_fold_in = 1,
    .attach = bpr_attach,
    .defaults = bpr_defaults,
};
