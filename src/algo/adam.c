/* adam.c — biased matrix factorisation trained with Adam (Kingma & Ba 2015,
 * "Adam: a method for stochastic optimization") on shuffled mini-batches.
 *
 * Model r̂_ui = μ + b_u + b_i + p_uᵀq_i; per mini-batch B the loss is
 *
 *   L_B = (1/|B|) Σ_{(u,i)∈B} ½[e_ui² + λ(|p_u|² + |q_i|²) + λ_b(b_u² + b_i²)],
 *
 * e_ui = r_ui − r̂_ui, so ∂L_B/∂p_u = (1/|B|) Σ_{(u,i)∈B} (−e_ui q_i + λ p_u)
 * and likewise for q_i and the biases (all gradients at the parameters of the
 * start of the batch). Each touched parameter row θ then takes the Adam step
 *
 *   m ← β1 m + (1−β1) g,  v ← β2 v + (1−β2) g²,
 *   θ ← θ − γ_t · m̂ / (√v̂ + ε),  m̂ = m/(1−β1^t), v̂ = v/(1−β2^t),
 *
 * with t the global step count. Rows a batch does not touch keep their
 * moments unchanged ("lazy" Adam, as TensorFlow's LazyAdamOptimizer), so a
 * step costs O(|B|·k), not O(all parameters). γ_t = lr · lr_decay^epoch.
 * Single-threaded; deterministic in the seed. With a validation set and
 * early_stop > 0 the best epoch is kept.
 *
 * Layout: P, Q and their moment arrays are row-major k floats per row;
 * gradients accumulate in arrays of the same shape and are cleared per row
 * after the step. */
#include "factor_util.h"
#include "nn.h"
#include "../linalg/linalg.h"

#include <math.h>
#include <string.h>

static void adam_defaults(mfr_train_params *p) {
    p->factors = 64;
    p->epochs = 30;
    p->lr = 0.003f;
    p->lr_decay = 0.95f;
    p->reg = 0.1f; /* test RMSE 0.848 on one 80/20 split of ml-latest-small */
    p->reg_bias = 0.005f;
    p->init_std = 0.05f;
    p->batch = 256;
    p->beta1 = 0.9f;
    p->beta2 = 0.999f;
}

/* One parameter block: value, gradient, moments, and which rows are touched. */
typedef struct adam_block {
    float *x, *g, *m, *v;  /* [rows * width] */
    int32_t *touched;      /* rows touched this batch */
    int32_t n_touched;
    int32_t *stamp;        /* [rows]: batch number that last touched the row */
    int32_t rows, width;
} adam_block;

static int block_alloc(adam_block *b, float *x, int32_t rows, int32_t width) {
    size_t n = (size_t)rows * width;
    b->x = x, b->rows = rows, b->width = width, b->n_touched = 0;
    b->g = mfr__aligned_alloc(sizeof(float) * n);
    b->m = mfr__aligned_alloc(sizeof(float) * n);
    b->v = mfr__aligned_alloc(sizeof(float) * n);
    b->touched = mfr__malloc(sizeof(int32_t) * (size_t)rows);
    b->stamp = mfr__malloc(sizeof(int32_t) * (size_t)rows);
    if (!b->g || !b->m || !b->v || !b->touched || !b->stamp) return -1;
    for (int32_t r = 0; r < rows; r++) b->stamp[r] = -1;
    return 0;
}

static void block_free(adam_block *b) {
    mfr__free(b->g), mfr__free(b->m), mfr__free(b->v), mfr__free(b->touched), mfr__free(b->stamp);
}

/* g[row] += s·dir + reg·x[row]; records the row as touched in batch bn. */
static void block_grad(adam_block *b, int32_t row, int32_t bn, const float *dir, float s, float reg) {
    if (b->stamp[row] != bn) b->stamp[row] = bn, b->touched[b->n_touched++] = row;
    float *g = b->g + (size_t)row * b->width;
    const float *x = b->x + (size_t)row * b->width;
    for (int32_t f = 0; f < b->width; f++) g[f] += s * dir[f] + reg * x[f];
}

/* Adam step on the touched rows with gradient scale 1/nb (the library's one
 * Adam update, nn.h); clears gradients. */
static void block_step(adam_block *b, float lr, float b1, float b2, float c1, float c2, float inv_nb) {
    for (int32_t t = 0; t < b->n_touched; t++) {
        size_t o = (size_t)b->touched[t] * b->width;
        float *g = b->g + o;
        mfr__adam_update(b->x + o, g, b->m + o, b->v + o, b->width, inv_nb, lr, b1, b2, c1, c2);
        memset(g, 0, sizeof *g * (size_t)b->width);
    }
    b->n_touched = 0;
}

typedef struct adam_run {
    adam_block P, Q, bu, bi;
    int64_t *order;
    int64_t step;
} adam_run;

/* One mini-batch order[lo..hi); returns the batch's squared error. */
static double adam_batch(mfr_model *m, const mfr_ratings *r, adam_run *w, int64_t lo, int64_t hi,
                         int32_t bn, float lr, const mfr_train_params *p) {
    const int32_t k = m->k;
    const float one = -1.f;
    double se = 0.0;
    for (int64_t j = lo; j < hi; j++) {
        int64_t o = w->order[j];
        int32_t u = r->user[o], i = r->item[o];
        const float *pu = m->P + (size_t)u * k, *qi = m->Q + (size_t)i * k;
        float e = r->rating[o] - (m->mu + m->user_bias[u] + m->item_bias[i] + mfr__dot(pu, qi, k));
        se += (double)e * e;
        block_grad(&w->P, u, bn, qi, -e, p->reg);
        block_grad(&w->Q, i, bn, pu, -e, p->reg);
        block_grad(&w->bu, u, bn, &one, e, p->reg_bias); /* -e·1 */
        block_grad(&w->bi, i, bn, &one, e, p->reg_bias);
    }
    w->step++;
    float c1 = 1.f - powf(p->beta1, (float)w->step), c2 = 1.f - powf(p->beta2, (float)w->step);
    float inv = 1.f / (float)(hi - lo);
    block_step(&w->P, lr, p->beta1, p->beta2, c1, c2, inv);
    block_step(&w->Q, lr, p->beta1, p->beta2, c1, c2, inv);
    block_step(&w->bu, lr, p->beta1, p->beta2, c1, c2, inv);
    block_step(&w->bi, lr, p->beta1, p->beta2, c1, c2, inv);
    return se;
}

static mfr_status adam_epochs(mfr_model *m, const mfr__fit_ctx *ctx, adam_run *w, mfr__best *best,
                              mfr_error *err) {
    const mfr_train_params *p = ctx->p;
    const mfr_ratings *r = ctx->train;
    mfr__rng rng;
    mfr__rng_seed_stream(&rng, p->seed, 5);
    float lr = p->lr;
    int32_t bn = 0;
    double t0 = mfr__now();
    for (int32_t ep = 1; ep <= p->epochs; ep++) {
        mfr__shuffle_i64(&rng, w->order, r->n);
        double se = 0.0;
        for (int64_t lo = 0; lo < r->n; lo += p->batch, bn++)
            se += adam_batch(m, r, w, lo, lo + p->batch < r->n ? lo + p->batch : r->n, bn, lr, p);
        lr *= p->lr_decay;
        m->epochs_run = ep;
        m->train_rmse = sqrt(se / (double)r->n);
        m->valid_rmse = mfr__rmse(m, ctx->valid);
        mfr_status st = mfr__report_epoch(ctx, "adam", ep, p->epochs, m->train_rmse,
                                          m->valid_rmse, t0, err);
        if (st) return st;
        if (mfr__best_update(best, m, m->valid_rmse, ep)) break;
    }
    m->train_rmse = NAN; /* measured by the caller at the final parameters */
    mfr__best_restore(best, m);
    return MFR_OK;
}

static mfr_status adam_fit(mfr_model *m, const mfr__fit_ctx *ctx, mfr_error *err) {
    const mfr_train_params *p = ctx->p;
    mfr_status st = mfr__check_fit(m, ctx, "adam", err);
    if (st || (st = mfr__model_alloc_factors(m, p->factors, err))) return st;
    mfr__fill_normal(m->P, (int64_t)m->n_users * m->k, p->init_std, p->seed, 1);
    mfr__fill_normal(m->Q, (int64_t)m->n_items * m->k, p->init_std, p->seed, 2);
    adam_run w;
    memset(&w, 0, sizeof w);
    w.order = mfr__malloc(sizeof(int64_t) * (size_t)ctx->train->n);
    if (!w.order || block_alloc(&w.P, m->P, m->n_users, m->k) || block_alloc(&w.Q, m->Q, m->n_items, m->k) ||
        block_alloc(&w.bu, m->user_bias, m->n_users, 1) || block_alloc(&w.bi, m->item_bias, m->n_items, 1)) {
        st = mfr__nomem(err, "adam state");
    } else {
        for (int64_t j = 0; j < ctx->train->n; j++) w.order[j] = j;
        mfr__best best;
        if (!(st = mfr__best_init(&best, m, ctx, err))) st = adam_epochs(m, ctx, &w, &best, err);
        mfr__best_free(&best);
    }
    block_free(&w.P), block_free(&w.Q), block_free(&w.bu), block_free(&w.bi);
    mfr__free(w.order);
    return st;
}

const mfr__algo mfr__algo_adam = {
    .id = MFR_ALGO_ADAM,
    .fit = adam_fit,
    .defaults = adam_defaults,
};
