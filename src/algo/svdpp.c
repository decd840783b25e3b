/* svdpp.c — SVD++ (Koren 2008, "Factorization meets the neighborhood", §4):
 *
 *     r̂_ui = μ + b_u + b_i + q_iᵀ(p_u + |N(u)|^-½ Σ_{j∈N(u)} y_j)
 *
 * with N(u) the items u rated in training, trained by SGD on
 * e_ui = r_ui − r̂_ui with the usual L2 terms:
 *     b_u += γ(e − λ_b b_u),  b_i += γ(e − λ_b b_i),
 *     q_i += γ(e·(p_u + z_u) − λ q_i),  p_u += γ(e·q_i − λ p_u),
 *     y_j += γ(e·|N(u)|^-½ q_i − λ y_j)  for every j ∈ N(u).
 *
 * Ratings are processed grouped by user (users in a seeded random order each
 * epoch). The implicit sum z_u = |N(u)|^-½ Σ y_j is computed once per user
 * per epoch and the y gradient is accumulated over the user's ratings,
 * g = Σ e·q_i, then applied once: y_j += γ(|N(u)|^-½ g − |N(u)|·λ y_j) — the
 * sum of the per-rating updates with z_u held for the user, as in LIBMF-style
 * implementations. So an epoch costs O(n·k + Σ_u |N(u)|·k) = about 3 SGD
 * epochs at most, instead of O(Σ_u |N(u)|²·k).
 *
 * After the last epoch z_u is folded into P (P[u] = p_u + z_u), so the model
 * predicts with the default formula and y is not kept. Single-threaded and
 * deterministic in the seed. Layout: P, Q, Y row-major k floats per row.
 *
 * Two versions of the per-user step: svdpp_user (plain loops, the reference)
 * and svdpp_user_avx2 (8-wide FMA with explicit intrinsics, prefetching the
 * next rows of Q and Y, the next rating's dot product summed inside this
 * rating's update pass), picked once per fit the way sgd.c picks its kernel
 * (mfr__use_avx2 with the fit's kernel switches, core/simd.h). It was
 * written when MFR_HOT's clone was "arch=haswell", which GCC dispatches only
 * on Intel CPUs it recognises, so on AMD the plain loops ran as SSE2: 4-5x
 * the CPU time of sgd at k = 128, 1.3-2x with it (bench/bench_svdpp.c;
 * MFR_HOT now picks by feature level, x86-64-v3). The two agree to float
 * rounding (the dot product is summed in 8 lanes); test:
 * svdpp_avx2_matches_scalar. */
#include "svdpp.h"
#include "../linalg/linalg.h"

#include <math.h>
#include <string.h>

void mfr__svdpp_defaults(mfr_train_params *p) {
    /* Tuned on one 80/20 split of ml-latest-small: test RMSE 0.849 (Surprise's
     * defaults k=20, 20 epochs, γ=0.007, λ=0.02 give 0.870 here). */
    p->factors = 128;
    p->epochs = 40;
    p->lr = 0.015f;
    p->lr_decay = 0.97f;
    p->reg = 0.06f;
    p->reg_bias = 0.01f;
    p->init_std = 0.05f;
}

typedef struct svdpp_state {
    const mfr__csr *c;   /* by user */
    float *Y;             /* [n_items * k] */
    float *z, *pz, *g;    /* [k] each */
    int32_t *order;       /* [n_users] */
} svdpp_state;

MFR_HOT void mfr__svdpp_implicit(const mfr__csr *c, const float *Y, int32_t u, int32_t k, float *z) {
    memset(z, 0, sizeof(float) * (size_t)k);
    int64_t n = c->ptr[u + 1] - c->ptr[u];
    if (n == 0) return;
    for (int64_t e = c->ptr[u]; e < c->ptr[u + 1]; e++) {
        const float *y = Y + (size_t)c->idx[e] * k;
#pragma omp simd
        for (int32_t f = 0; f < k; f++) z[f] += y[f];
    }
    float nrm = 1.f / sqrtf((float)n);
    for (int32_t f = 0; f < k; f++) z[f] *= nrm;
}

MFR_HOT void mfr__svdpp_push_y(const mfr__csr *c, float *Y, int32_t u, int32_t k, const float *g,
                               float lr, float reg) {
    int64_t n = c->ptr[u + 1] - c->ptr[u];
    float nrm = 1.f / sqrtf((float)n), decay = lr * reg * (float)n;
    if (decay > 0.5f) decay = 0.5f; /* keep the batched shrink stable for heavy users */
    for (int64_t e = c->ptr[u]; e < c->ptr[u + 1]; e++) {
        float *y = Y + (size_t)c->idx[e] * k;
#pragma omp simd
        for (int32_t f = 0; f < k; f++) y[f] += lr * nrm * g[f] - decay * y[f];
    }
}

/* One user's ratings; returns the sum of squared errors. */
MFR_HOT static double svdpp_user(mfr_model *m, svdpp_state *s, int32_t u, float lr,
                         const mfr_train_params *p) {
    const mfr__csr *c = s->c;
    const int32_t k = m->k;
    int64_t n = c->ptr[u + 1] - c->ptr[u];
    if (n == 0) return 0.0;
    float *pu = m->P + (size_t)u * k, *z = s->z, *pz = s->pz, *g = s->g;
    mfr__svdpp_implicit(c, s->Y, u, k, z);
    for (int32_t f = 0; f < k; f++) pz[f] = pu[f] + z[f], g[f] = 0.f;
    double se = 0.0;
    for (int64_t e = c->ptr[u]; e < c->ptr[u + 1]; e++) {
        int32_t i = c->idx[e];
        float *qi = m->Q + (size_t)i * k;
        float err = c->val[e] - (m->mu + m->user_bias[u] + m->item_bias[i] + mfr__dot(qi, pz, k));
        se += (double)err * err;
        m->user_bias[u] += lr * (err - p->reg_bias * m->user_bias[u]);
        m->item_bias[i] += lr * (err - p->reg_bias * m->item_bias[i]);
#pragma omp simd
        for (int32_t f = 0; f < k; f++) {
            float qf = qi[f];
            qi[f] += lr * (err * pz[f] - p->reg * qf);
            pu[f] += lr * (err * qf - p->reg * pu[f]);
            pz[f] = pu[f] + z[f];
            g[f] += err * qf;
        }
    }
    mfr__svdpp_push_y(c, s->Y, u, k, g, lr, p->reg);
    return se;
}

#ifdef MFR_HAVE_AVX2
#define SVDPP_PF 4 /* rows ahead whose cache lines are prefetched */

MFR_AVX2 static inline void prefetch_row(const float *r, int32_t k) {
    for (int32_t f = 0; f < k; f += 16) _mm_prefetch((const char *)(r + f), _MM_HINT_T0);
}

/* The same step as svdpp_user, 8 lanes at a time (scalar tail for k % 8):
 *     z_u = |N(u)|^-½ Σ y_j;  per rating: e = r − (μ + b_u + b_i + q_i·(p_u + z_u)),
 *     q_i ← (1 − γλ) q_i + γe (p_u + z_u),  p_u ← (1 − γλ) p_u + γe q_i (old q_i),
 *     g += e q_i (old q_i);  then y_j ← y_j + γ|N(u)|^-½ g − min(γλ|N(u)|, ½) y_j. */
MFR_AVX2 static double svdpp_user_avx2(
    mfr_model *m, svdpp_state *s, int32_t u, float lr, const mfr_train_params *p) {
    const mfr__csr *c = s->c;
    const int32_t k = m->k, k8 = k & ~7;
    const int64_t b = c->ptr[u], end = c->ptr[u + 1], n = end - b;
    if (n == 0) return 0.0;
    float *restrict pu = m->P + (size_t)u * k, *restrict z = s->z, *restrict pz = s->pz,
                    *restrict g = s->g;
    const float *Y = s->Y;
    float *Q = m->Q;
    const int32_t *idx = c->idx;
    const float nrm = 1.f / sqrtf((float)n);
    /* z = |N(u)|^-½ Σ y_j, rows summed in order (as mfr__svdpp_implicit) */
    for (int32_t f = 0; f < k; f++) z[f] = 0.f;
    for (int64_t e = b; e < end; e++) {
        if (e + SVDPP_PF < end) prefetch_row(Y + (size_t)idx[e + SVDPP_PF] * k, k);
        const float *y = Y + (size_t)idx[e] * k;
        int32_t f = 0;
        for (; f < k8; f += 8)
            _mm256_storeu_ps(z + f, _mm256_add_ps(_mm256_loadu_ps(z + f), _mm256_loadu_ps(y + f)));
        for (; f < k; f++) z[f] += y[f];
    }
    {
        const __m256 vn = _mm256_set1_ps(nrm);
        int32_t f = 0;
        for (; f < k8; f += 8) {
            __m256 zv = _mm256_mul_ps(_mm256_loadu_ps(z + f), vn);
            _mm256_storeu_ps(z + f, zv);
            _mm256_storeu_ps(pz + f, _mm256_add_ps(_mm256_loadu_ps(pu + f), zv));
            _mm256_storeu_ps(g + f, _mm256_setzero_ps());
        }
        for (; f < k; f++) z[f] *= nrm, pz[f] = pu[f] + z[f], g[f] = 0.f;
    }
    const float reg = p->reg, rb = p->reg_bias, dec = 1.f - lr * reg;
    const __m256 vdec = _mm256_set1_ps(dec);
    float *bu = m->user_bias + u;
    double se = 0.0;
    /* The dot product q_i·(p_u + z_u) of each rating is summed while the
     * previous rating's update is applied (its new p_u + z_u is then in
     * registers), in the same lane order as a separate pass would use: lanes
     * a0 for f % 16 < 8, a1 for the rest, then the scalar tail. The first
     * one reads pz; the vector part of pz is not kept after that. */
    float dot;
    {
        const float *q0 = Q + (size_t)idx[b] * k;
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
        int32_t f = 0;
        for (; f + 16 <= k8; f += 16) {
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q0 + f), _mm256_loadu_ps(pz + f), a0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(q0 + f + 8), _mm256_loadu_ps(pz + f + 8), a1);
        }
        for (; f < k8; f += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q0 + f), _mm256_loadu_ps(pz + f), a0);
        dot = mfr__hsum256(_mm256_add_ps(a0, a1));
        for (; f < k; f++) dot += q0[f] * pz[f];
    }
    for (int64_t e = b; e < end; e++) {
        if (e + SVDPP_PF < end) prefetch_row(Q + (size_t)idx[e + SVDPP_PF] * k, k);
        const int32_t i = idx[e];
        float *qi = Q + (size_t)i * k;
        /* the next rating's row (this one's when last: its dot is unused) */
        const float *qn = Q + (size_t)idx[e + 1 < end ? e + 1 : e] * k;
        float *bi = m->item_bias + i;
        const float err = c->val[e] - (m->mu + *bu + *bi + dot);
        se += (double)err * err;
        *bu += lr * (err - rb * *bu);
        *bi += lr * (err - rb * *bi);
        const float le = lr * err;
        const __m256 vle = _mm256_set1_ps(le), verr = _mm256_set1_ps(err);
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
        /* q_i ← dec q_i + γe (p_u + z_u);  p_u ← dec p_u + γe q_i;  g += e q_i;
         * then (p_u + z_u)·q_next, q_next read after q_i is stored */
#define SVDPP_STEP(F, ACC)                                                                \
    do {                                                                                  \
        __m256 qv = _mm256_loadu_ps(qi + (F)), pv = _mm256_loadu_ps(pu + (F));            \
        __m256 zv = _mm256_loadu_ps(z + (F));                                             \
        _mm256_storeu_ps(qi + (F), _mm256_fmadd_ps(vle, _mm256_add_ps(pv, zv),            \
                                                   _mm256_mul_ps(vdec, qv)));             \
        pv = _mm256_fmadd_ps(vle, qv, _mm256_mul_ps(vdec, pv));                           \
        _mm256_storeu_ps(pu + (F), pv);                                                   \
        _mm256_storeu_ps(g + (F), _mm256_fmadd_ps(verr, qv, _mm256_loadu_ps(g + (F))));   \
        ACC = _mm256_fmadd_ps(_mm256_loadu_ps(qn + (F)), _mm256_add_ps(pv, zv), ACC);     \
    } while (0)
        int32_t f = 0;
        for (; f + 16 <= k8; f += 16) {
            SVDPP_STEP(f, a0);
            SVDPP_STEP(f + 8, a1);
        }
        for (; f < k8; f += 8) SVDPP_STEP(f, a0);
#undef SVDPP_STEP
        for (int32_t t = f; t < k; t++) {
            float qf = qi[t];
            qi[t] += lr * (err * pz[t] - reg * qf);
            pu[t] += lr * (err * qf - reg * pu[t]);
            pz[t] = pu[t] + z[t];
            g[t] += err * qf;
        }
        dot = mfr__hsum256(_mm256_add_ps(a0, a1));
        for (; f < k; f++) dot += qn[f] * pz[f];
    }
    float decay = lr * reg * (float)n;
    if (decay > 0.5f) decay = 0.5f; /* as svdpp_user */
    const float ln = lr * nrm;
    const __m256 vln = _mm256_set1_ps(ln), vkeep = _mm256_set1_ps(1.f - decay);
    float *Yw = s->Y;
    for (int64_t e = b; e < end; e++) {
        if (e + SVDPP_PF < end) prefetch_row(Yw + (size_t)idx[e + SVDPP_PF] * k, k);
        float *restrict y = Yw + (size_t)idx[e] * k;
        int32_t f = 0;
        for (; f < k8; f += 8)
            _mm256_storeu_ps(y + f, _mm256_fmadd_ps(vln, _mm256_loadu_ps(g + f),
                                                    _mm256_mul_ps(vkeep, _mm256_loadu_ps(y + f))));
        for (; f < k; f++) y[f] += ln * g[f] - decay * y[f];
    }
    return se;
}
#endif

typedef double (*svdpp_user_fn)(mfr_model *, svdpp_state *, int32_t, float,
                                const mfr_train_params *);

/* svdpp_user_avx2 where the switches ks allow it, else the reference. */
static svdpp_user_fn svdpp_user_kernel(const mfr__kernels *ks) {
#ifdef MFR_HAVE_AVX2
    if (mfr__use_avx2(ks)) return svdpp_user_avx2;
#else
    (void)ks;
#endif
    return svdpp_user;
}

/* P[u] += z_u for every user: the model then predicts with the default formula. */
static void fold_implicit(mfr_model *m, svdpp_state *s) {
    for (int32_t u = 0; u < m->n_users; u++) {
        mfr__svdpp_implicit(s->c, s->Y, u, m->k, s->z);
        float *pu = m->P + (size_t)u * m->k;
        for (int32_t f = 0; f < m->k; f++) pu[f] += s->z[f];
    }
}

static mfr_status svdpp_epochs(mfr_model *m, const mfr__fit_ctx *ctx, svdpp_state *s,
                               mfr_error *err) {
    const mfr_train_params *p = ctx->p;
    mfr__rng rng;
    mfr__rng_seed_stream(&rng, p->seed, 4);
    float lr = p->lr;
    const svdpp_user_fn user_step = svdpp_user_kernel(ctx->kern);
    double t0 = mfr__now();
    mfr_status st = MFR_OK;
    for (int32_t ep = 1; ep <= p->epochs && !st; ep++) {
        mfr__shuffle_i32(&rng, s->order, m->n_users);
        double se = 0.0;
        for (int32_t j = 0; j < m->n_users; j++) se += user_step(m, s, s->order[j], lr, p);
        lr *= p->lr_decay;
        m->epochs_run = ep;
        m->train_rmse = sqrt(se / (double)s->c->nnz); /* during the epoch */
        st = mfr__report_epoch(ctx, "svdpp", ep, p->epochs, m->train_rmse, NAN, t0, err);
    }
    fold_implicit(m, s);
    if (!st) m->train_rmse = NAN; /* re-measured by the caller on the folded model */
    return st;
}

static mfr_status svdpp_fit(mfr_model *m, const mfr__fit_ctx *ctx, mfr_error *err) {
    const mfr_train_params *p = ctx->p;
    mfr_status st = mfr__check_fit(m, ctx, "svdpp", err);
    if (st || (st = mfr__model_alloc_factors(m, p->factors, err))) return st;
    mfr__csr c;
    if ((st = mfr__csr_rows(ctx->train, m->n_users, m->n_items, 0, &c, err))) return st;
    const int32_t k = m->k;
    svdpp_state s = {.c = &c};
    s.Y = mfr__aligned_alloc(sizeof(float) * (size_t)m->n_items * k);
    s.z = mfr__aligned_alloc(sizeof(float) * 3 * (size_t)k);
    s.order = mfr__malloc(sizeof(int32_t) * (size_t)m->n_users);
    if (!s.Y || !s.z || !s.order) {
        st = mfr__nomem(err, "svdpp state");
    } else {
        s.pz = s.z + k, s.g = s.z + 2 * k;
        for (int32_t u = 0; u < m->n_users; u++) s.order[u] = u;
        mfr__fill_normal(m->P, (int64_t)m->n_users * k, p->init_std, p->seed, 1);
        mfr__fill_normal(m->Q, (int64_t)m->n_items * k, p->init_std, p->seed, 2);
        st = svdpp_epochs(m, ctx, &s, err);
    }
    mfr__free(s.Y), mfr__free(s.z), mfr__free(s.order);
    mfr__csr_free(&c);
    return st;
}

const mfr__algo mfr__algo_svdpp = {
    .id = MFR_ALGO_SVDPP,
    .fit = svdpp_fit,
    .defaults = mfr__svdpp_defaults,
};
