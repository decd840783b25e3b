/* timesvdpp.c — timeSVD++ (Koren 2009, "Collaborative filtering with
 * temporal dynamics", KDD, eq. 13; the scale c_u(t) an option): SVD++ whose
 * biases and user factors move with the rating's day t,
 *
 *     r̂_ui(t) = μ + b_u + α_u·dev_u(t) + b_{u,t} + (b_i + b_{i,Bin(t)})·c_u(t)
 *               + q_iᵀ(p_u(t) + |N(u)|^-½ Σ_{j∈N(u)} y_j)
 *     c_u(t) = c_u + c_{u,t}    (item_scale = 1; else 1)
 *     p_u(t) = p_u + α^p_u·dev_u(t)      (α^p_u: k floats per user)
 *
 *     dev_u(t) = sign(t − t_u)·|t − t_u|^β,  β = 0.4
 *
 * with t in days (timestamp / 86400, floor), t_u the mean day of u's
 * training ratings, b_{u,t} one bias per user and day they rated on, and
 * b_{i,Bin(t)} one per movie and time bin: 30 equal bins over the training
 * span (Koren's 30). Trained by SGD over each user's ratings in a seeded
 * user order, as svdpp.c (the same implicit sum held for the user and the
 * batched y update; svdpp.h); e = r − r̂:
 *     b_u += γ(e − λ_b b_u)          b_{u,t} += γ(e − λ_d b_{u,t})
 *     b_i += γ(e − λ_b b_i)          b_{i,Bin(t)} += γ(e − λ_bin b_{i,Bin(t)})
 *     α_u += γ_α(e·dev_u(t) − λ_α α_u),  γ_α = 10⁻³γ, λ_α = 50
 *     α^p_u += γ_α(e·dev_u(t)·q_i − λ_α α^p_u)   (the same step and penalty)
 * (α's tiny step and strong penalty follow Koren's orders of magnitude:
 * dev_u reaches 30 for a user rating over years), and q_i, p_u, y_j as SVD++
 * with p_u(t) in place of p_u in q_i's step.
 * Koren's scale of the movie bias, c_u(t) with c_u starting at 1 and
 * c_{u,t} (one per user and day rated, as b_{u,t}) at 0, is the parameter
 * item_scale; with s = c_u + c_{u,t} and b = b_i + b_{i,Bin(t)}:
 *     b_i += γ(e·s − λ_b b_i),  b_{i,Bin(t)} += γ(e·s − λ_bin b_{i,Bin(t)})
 *     c_u += γ_c(e·b − λ_c (c_u − 1)),  c_{u,t} += γ_c(e·b − λ_ct c_{u,t})
 * (γ_c, λ_c, λ_ct: classic.h). Off by default: on the 5-fold CV of
 * docs/benchmarks.md it does not beat the model without it (docs/models.md
 * has the figures). Off, the fit and the model are exactly those without it.
 * λ_d = 0.3 and λ_bin = 5 are fixed: with reg_bias (0.01) for them the
 * bin biases overfit (one 80/20 split of ml-latest-small, seed 42: RMSE
 * 0.856; 0.836 with these; svdpp 0.842).
 * The defaults are svdpp's (svdpp.h). Ratings without timestamps all fall on
 * day 0: the model is then SVD++ with one more user bias.
 *
 * After the fit the model is stored as of each user's last rating day: P
 * holds p_u(t_last) + the implicit sum, user_bias b_u + α_u dev_u(t_last) +
 * b_{u,t_last}, item_bias b_i + b_{i,Bin(t)} of the last training day, so
 * predict, recommend and fold-in (a new user as for svdpp: src/model/fold.c
 * against Q and these item biases) use the plain biased-MF formula. mfr_model_predict_at(u, i,
 * t) gives the rating at day t from the sections (classic.h): b_u, α_u, t_u
 * and t_last per user (TSVU), the bin biases (TSVB), each user's days
 * with their b_{u,t} (TSVP/TSVD/TSVV; a day u did not rate on has none)
 * and α^p_u (TSVA: P + (dev_u(t) − dev_u(t_last))·α^p_u is p_u(t) + the
 * implicit sum); eval predicts each test rating at its own timestamp this
 * way. With item_scale the model has one more factor column, P[u][k] =
 * c_u(t_last) − 1 against Q[i][k] = item_bias[i], so that the plain formula
 * still gives the last day's (b_i + b_{i,Bin})·c_u(t_last), and TSVC holds
 * c_u and c_{u,t} for predict_at (classic.h). Memory beyond SVD++'s: 16 + 4k
 * bytes a user, 120 a movie, 8 a (user, day); item_scale adds 8 bytes a
 * user, 4 a movie and 4 a (user, day); the fit adds 16 bytes a rating.
 * Single-threaded, deterministic in the seed. */
#include "svdpp.h"
#include "classic.h"
#include "../core/binfile.h"
#include "../linalg/linalg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { TS_MAX_BINS = 100000 }; /* a loaded model's bins at most */

typedef struct ts_view {
    const mfr__timesvdpp_header *h;
    const float *U;     /* [n_users * 4]: b_u, α_u, t_u, t_last */
    const float *B;     /* [n_items * bins] */
    const int64_t *ptr; /* [n_users + 1] */
    const int32_t *day; /* [n_days] */
    const float *but;   /* [n_days] */
    const float *A;     /* [n_users * kf]: α_u of the user factors */
    const float *C;     /* [n_users + n_days]: c_u, then c_{u,t} by day (NULL: no scale) */
    int32_t kf;         /* the model's own factors: k, or k − 1 with the scale's column */
} ts_view;

static void timesvdpp_defaults(mfr_train_params *p) { mfr__svdpp_defaults(p); }

float mfr__timesvdpp_dev(float day, float mean_day, float beta) {
    float d = day - mean_day;
    return d == 0.f ? 0.f : d > 0.f ? powf(d, beta) : -powf(-d, beta);
}

/* Bin(t): days outside the training span count as its first or last day. */
static int32_t bin_of(const mfr__timesvdpp_header *h, int32_t day) {
    int64_t span = (int64_t)h->day_max - h->day_min + 1, d = day;
    d = d < h->day_min ? h->day_min : d > h->day_max ? h->day_max : d;
    int64_t b = (d - h->day_min) * h->bins / (span > 0 ? span : 1);
    return (int32_t)(b < 0 ? 0 : b >= h->bins ? h->bins - 1 : b);
}

/* Position of day in days[lo..hi) (ascending, no repeats), or -1. */
static int64_t find_day(const int32_t *days, int64_t lo, int64_t hi, int32_t day) {
    int64_t at = mfr__find_sorted(days + lo, hi - lo, day);
    return at < 0 ? -1 : lo + at;
}

/* ---- the fit ------------------------------------------------------------ */
typedef struct ts_fit {
    mfr__csr c;          /* by user */
    mfr__timesvdpp_header h;
    int32_t *bin;        /* [nnz] Bin(t) of each entry */
    int64_t *slot;       /* [nnz] its (user, day) */
    float *dev;          /* [nnz] dev_u(t) */
    float *U, *B;        /* sections TSVU, TSVB */
    int64_t *dptr;       /* TSVP */
    int32_t *days;       /* TSVD */
    float *but;          /* TSVV */
    float *A;            /* TSVA */
    float *C;            /* TSVC: c_u [n_users], c_{u,t} [n_days] (item_scale; else NULL) */
    float *Y, *z, *pz, *g;
    int32_t *order;
} ts_fit;

/* Days of every entry of the by-user view (the stable counting sort keeps
 * each user's ratings in the view's order), the users' day lists, and each
 * entry's bin, day slot and dev_u. */
static mfr_status build_days(ts_fit *f, const mfr_ratings *r, int32_t nu, int32_t ni,
                             mfr_error *err) {
    const mfr__csr *c = &f->c;
    int64_t nnz = c->nnz;
    int32_t *eday = mfr__malloc(sizeof *eday * (size_t)(nnz + 1));
    int64_t *fill = mfr__calloc((size_t)nu + 1, sizeof *fill);
    f->dptr = mfr__aligned_alloc(sizeof *f->dptr * ((size_t)nu + 1));
    f->days = mfr__aligned_alloc(sizeof *f->days * (size_t)(nnz + 1));
    f->U = mfr__aligned_alloc(sizeof *f->U * 4 * ((size_t)nu + 1));
    f->B = mfr__aligned_alloc(sizeof *f->B * (size_t)ni * MFR__TS_BINS + 64);
    f->bin = mfr__malloc(sizeof *f->bin * (size_t)(nnz + 1));
    f->slot = mfr__malloc(sizeof *f->slot * (size_t)(nnz + 1));
    f->dev = mfr__malloc(sizeof *f->dev * (size_t)(nnz + 1));
    if (!eday || !fill || !f->dptr || !f->days || !f->U || !f->B || !f->bin || !f->slot || !f->dev) {
        mfr__free(eday), mfr__free(fill);
        return mfr__nomem(err, "timesvdpp days");
    }
    int32_t dmin = 0, dmax = 0;
    for (int64_t j = 0; j < r->n; j++) {
        int32_t u = r->user[j], d = r->time ? mfr__day_of(r->time[j]) : 0;
        eday[c->ptr[u] + fill[u]++] = d;
        if (j == 0 || d < dmin) dmin = d;
        if (j == 0 || d > dmax) dmax = d;
    }
    f->h = (mfr__timesvdpp_header){MFR__TS_BINS, dmin, dmax, MFR__TS_BETA, 0};
    int64_t nd = 0;
    f->dptr[0] = 0;
    for (int32_t u = 0; u < nu; u++) {
        int64_t b = c->ptr[u], e = c->ptr[u + 1], start = nd;
        double sum = 0.0;
        for (int64_t q = b; q < e; q++) f->days[nd + (q - b)] = eday[q], sum += eday[q];
        qsort(f->days + start, (size_t)(e - b), sizeof *f->days, mfr__cmp_i32);
        for (int64_t q = 0; q < e - b; q++) /* unique */
            if (nd == start || f->days[nd - 1] != f->days[start + q]) f->days[nd++] = f->days[start + q];
        f->dptr[u + 1] = nd;
        float mean = e > b ? (float)(sum / (double)(e - b)) : 0.f;
        f->U[4 * u] = 0.f, f->U[4 * u + 1] = 0.f, f->U[4 * u + 2] = mean;
        f->U[4 * u + 3] = nd > start ? (float)f->days[nd - 1] : 0.f;
        for (int64_t q = b; q < e; q++) {
            f->slot[q] = find_day(f->days, start, nd, eday[q]);
            f->bin[q] = bin_of(&f->h, eday[q]);
            f->dev[q] = mfr__timesvdpp_dev((float)eday[q], mean, MFR__TS_BETA);
        }
    }
    f->h.n_days = nd;
    f->but = mfr__aligned_alloc(sizeof *f->but * (size_t)(nd + 1));
    mfr__free(eday), mfr__free(fill);
    if (!f->but) return mfr__nomem(err, "timesvdpp day biases");
    return MFR_OK;
}

/* One user's ratings (the step of the header); returns the squared error. */
MFR_HOT static double ts_user(mfr_model *m, ts_fit *f, int32_t u, float lr,
                              const mfr_train_params *p) {
    const mfr__csr *c = &f->c;
    const int32_t k = m->k, nb = f->h.bins;
    int64_t n = c->ptr[u + 1] - c->ptr[u];
    if (n == 0) return 0.0;
    float *pu = m->P + (size_t)u * k, *au = f->A + (size_t)u * k, *z = f->z, *pz = f->pz, *g = f->g;
    float *bu = m->user_bias + u, *al = f->U + 4 * u;
    const float rb = p->reg_bias, reg = p->reg, la = MFR__TS_ALPHA_LR * lr;
    const float lp = MFR__TS_PDRIFT_LR * lr, lc = MFR__TS_SCALE_LR * lr;
    float *cu = f->C ? f->C + u : NULL, *cday = f->C ? f->C + m->n_users : NULL;
    mfr__svdpp_implicit(c, f->Y, u, k, z);
    for (int32_t x = 0; x < k; x++) g[x] = 0.f;
    double se = 0.0;
    for (int64_t e = c->ptr[u]; e < c->ptr[u + 1]; e++) {
        int32_t i = c->idx[e];
        float *qi = m->Q + (size_t)i * k, *bi = m->item_bias + i;
        float *bib = f->B + (size_t)i * nb + f->bin[e], *but = f->but + f->slot[e];
        float dv = f->dev[e];
        for (int32_t x = 0; x < k; x++) pz[x] = pu[x] + dv * au[x] + z[x]; /* p_u(t) + implicit */
        float err;
        if (cu) { /* the movie bias scaled by c_u + c_{u,t} */
            float *cut = cday + f->slot[e], sc = *cu + *cut, bb = *bi + *bib;
            err = c->val[e] - (m->mu + *bu + al[1] * dv + *but + bb * sc + mfr__dot(qi, pz, k));
            *bi += lr * (err * sc - rb * *bi);
            *bib += lr * (err * sc - MFR__TS_BIN_REG * *bib);
            *cu += lc * (err * bb - MFR__TS_SCALE_REG * (*cu - 1.f));
            *cut += lc * (err * bb - MFR__TS_SCALE_DAY_REG * *cut);
        } else {
            err = c->val[e] - (m->mu + *bu + al[1] * dv + *but + *bi + *bib + mfr__dot(qi, pz, k));
            *bi += lr * (err - rb * *bi);
            *bib += lr * (err - MFR__TS_BIN_REG * *bib);
        }
        se += (double)err * err;
        *bu += lr * (err - rb * *bu);
        al[1] += la * (err * dv - MFR__TS_ALPHA_REG * al[1]);
        *but += lr * (err - MFR__TS_DAY_REG * *but);
#pragma omp simd
        for (int32_t x = 0; x < k; x++) {
            float qf = qi[x];
            qi[x] += lr * (err * pz[x] - reg * qf);
            pu[x] += lr * (err * qf - reg * pu[x]);
            au[x] += lp * (err * dv * qf - MFR__TS_PDRIFT_REG * au[x]);
            g[x] += err * qf;
        }
    }
    mfr__svdpp_push_y(c, f->Y, u, k, g, lr, reg);
    return se;
}

/* The model as of each user's last day (header): P += the implicit sum and
 * the factor drift α_u·dev_u(t_last); the static b_u goes to TSVU, the
 * biases to their last-day values (the movies' to the bin of the last
 * training day). */
static void store_present(mfr_model *m, ts_fit *f) {
    const int32_t k = m->k, nb = f->h.bins;
    for (int32_t u = 0; u < m->n_users; u++) {
        mfr__svdpp_implicit(&f->c, f->Y, u, k, f->z);
        float *pu = m->P + (size_t)u * k, *au = f->A + (size_t)u * k, *U = f->U + 4 * u;
        float dl = mfr__timesvdpp_dev(U[3], U[2], f->h.beta);
        for (int32_t x = 0; x < k; x++) pu[x] += f->z[x] + dl * au[x];
        U[0] = m->user_bias[u];
        if (f->dptr[u + 1] > f->dptr[u])
            m->user_bias[u] = U[0] + U[1] * dl + f->but[f->dptr[u + 1] - 1];
    }
    const int32_t last = bin_of(&f->h, f->h.day_max);
    for (int32_t i = 0; i < m->n_items; i++) m->item_bias[i] += f->B[(size_t)i * nb + last];
}

/* With the scale c_u(t): one more factor column, so that the biased-MF
 * formula gives (b_i + b_{i,Bin})·c_u(t_last) — P[u][k] = c_u + c_{u,t_last}
 * − 1 (a user without ratings: 0), Q[i][k] = item_bias (b_i + b_{i,Bin} of the
 * last training day). */
static mfr_status add_scale_column(mfr_model *m, const ts_fit *f, mfr_error *err) {
    const int32_t k = m->k, k2 = k + 1;
    float *P = mfr__aligned_alloc(sizeof *P * (size_t)m->n_users * (size_t)k2);
    float *Q = mfr__aligned_alloc(sizeof *Q * (size_t)m->n_items * (size_t)k2);
    if (!P || !Q) {
        mfr__free(P), mfr__free(Q);
        return mfr__nomem(err, "timesvdpp scale column");
    }
    for (int32_t u = 0; u < m->n_users; u++) {
        memcpy(P + (size_t)u * k2, m->P + (size_t)u * k, sizeof *P * (size_t)k);
        int64_t d = f->dptr[u + 1];
        P[(size_t)u * k2 + k] = d > f->dptr[u] ? f->C[u] + f->C[m->n_users + d - 1] - 1.f : 0.f;
    }
    for (int32_t i = 0; i < m->n_items; i++) {
        memcpy(Q + (size_t)i * k2, m->Q + (size_t)i * k, sizeof *Q * (size_t)k);
        Q[(size_t)i * k2 + k] = m->item_bias[i];
    }
    mfr__free(m->P), mfr__free(m->Q);
    m->P = P, m->Q = Q, m->k = k2;
    return MFR_OK;
}

static mfr_status timesvdpp_attach(mfr_model *m, mfr_error *err);

/* The fit's arrays become the model's sections, in this order (TSVC, last,
 * only with item_scale): each is the model's from its mfr__model_add_extra
 * (freed by it on failure), so f forgets it. */
static mfr_status store_sections(mfr_model *m, ts_fit *f, mfr_error *err) {
    const int32_t kf = m->k; /* the model's own factors (before the scale's column) */
    mfr__timesvdpp_header *h;
    mfr_status st = f->C ? add_scale_column(m, f, err) : MFR_OK;
    if (!st)
        st = mfr__model_new_extra(m, MFR__TAG_TSVH, sizeof *h, (void **)&h, "timesvdpp header",
                                  err);
    if (!st) *h = f->h;
    const struct { uint32_t tag; void **data; size_t bytes; } sec[] = {
        {MFR__TAG_TSVU, (void **)&f->U, sizeof *f->U * 4 * (size_t)m->n_users},
        {MFR__TAG_TSVB, (void **)&f->B, sizeof *f->B * (size_t)m->n_items * f->h.bins},
        {MFR__TAG_TSVP, (void **)&f->dptr, sizeof *f->dptr * ((size_t)m->n_users + 1)},
        {MFR__TAG_TSVD, (void **)&f->days, sizeof *f->days * (size_t)f->h.n_days},
        {MFR__TAG_TSVV, (void **)&f->but, sizeof *f->but * (size_t)f->h.n_days},
        {MFR__TAG_TSVA, (void **)&f->A, sizeof *f->A * (size_t)m->n_users * kf},
        {MFR__TAG_TSVC, (void **)&f->C, sizeof *f->C * (size_t)(m->n_users + f->h.n_days)},
    };
    for (size_t j = 0; !st && j < sizeof sec / sizeof sec[0] && *sec[j].data; j++) {
        st = mfr__model_add_extra(m, sec[j].tag, *sec[j].data, sec[j].bytes, err);
        *sec[j].data = NULL;
    }
    if (!st) st = timesvdpp_attach(m, err);
    return st;
}

static void ts_fit_free(ts_fit *f) {
    mfr__csr_free(&f->c);
    mfr__free(f->bin), mfr__free(f->slot), mfr__free(f->dev);
    mfr__free(f->U), mfr__free(f->B), mfr__free(f->dptr), mfr__free(f->days), mfr__free(f->but);
    mfr__free(f->A), mfr__free(f->C);
    mfr__free(f->Y), mfr__free(f->z), mfr__free(f->order);
}

static mfr_status timesvdpp_fit(mfr_model *m, const mfr__fit_ctx *ctx, mfr_error *err) {
    const mfr_train_params *p = ctx->p;
    mfr_status st = mfr__check_fit(m, ctx, "timesvdpp", err);
    if (st || (st = mfr__model_alloc_factors(m, p->factors, err))) return st;
    ts_fit f;
    memset(&f, 0, sizeof f);
    if ((st = mfr__csr_rows(ctx->train, m->n_users, m->n_items, 0, &f.c, err))) return st;
    const int32_t k = m->k;
    if ((st = build_days(&f, ctx->train, m->n_users, m->n_items, err))) goto done;
    if (p->item_scale) { /* c_u = 1, c_{u,t} = 0 */
        size_t nc = (size_t)m->n_users + (size_t)f.h.n_days;
        if (!(f.C = mfr__aligned_alloc(sizeof *f.C * (nc + 1)))) {
            st = mfr__nomem(err, "timesvdpp scale");
            goto done;
        }
        for (size_t j = 0; j < nc; j++) f.C[j] = j < (size_t)m->n_users ? 1.f : 0.f;
    }
    f.Y = mfr__aligned_alloc(sizeof(float) * (size_t)m->n_items * k);
    f.z = mfr__aligned_alloc(sizeof(float) * 3 * (size_t)k);
    f.order = mfr__malloc(sizeof(int32_t) * ((size_t)m->n_users + 1));
    f.A = mfr__aligned_alloc(sizeof(float) * ((size_t)m->n_users * k + 1));
    if (!f.Y || !f.z || !f.order || !f.A) {
        st = mfr__nomem(err, "timesvdpp state");
        goto done;
    }
    f.pz = f.z + k, f.g = f.z + 2 * k; /* Y and A start at 0: mfr__aligned_alloc zeroes */
    for (int32_t u = 0; u < m->n_users; u++) f.order[u] = u;
    mfr__fill_normal(m->P, (int64_t)m->n_users * k, p->init_std, p->seed, 1);
    mfr__fill_normal(m->Q, (int64_t)m->n_items * k, p->init_std, p->seed, 2);
    mfr__rng rng;
    mfr__rng_seed_stream(&rng, p->seed, 5);
    float lr = p->lr;
    double t0 = mfr__now();
    for (int32_t ep = 1; ep <= p->epochs; ep++) {
        mfr__shuffle_i32(&rng, f.order, m->n_users);
        double se = 0.0;
        for (int32_t j = 0; j < m->n_users; j++) se += ts_user(m, &f, f.order[j], lr, p);
        lr *= p->lr_decay;
        m->epochs_run = ep;
        if (!isfinite(se)) {
            st = mfr__err(err, MFR_E_RANGE, "timesvdpp: diverged in epoch %d (lower lr)", (int)ep);
            goto done;
        }
        if ((st = mfr__report_epoch(ctx, "timesvdpp", ep, p->epochs, sqrt(se / (double)f.c.nnz),
                                    NAN, t0, err)))
            break;
    }
    store_present(m, &f);
    {
        mfr_status s2 = store_sections(m, &f, err);
        if (s2) st = s2;
    }
    m->train_rmse = NAN; /* measured by the caller on the stored model */
done:
    ts_fit_free(&f);
    return st;
}

/* ---- load and predict --------------------------------------------------- */
static mfr_status timesvdpp_attach(mfr_model *m, mfr_error *err) {
    uint64_t sh = 0, su = 0, sb = 0, sp = 0, sd = 0, sv = 0, sa = 0, sc = 0;
    ts_view v;
    v.h = mfr__model_get_extra(m, MFR__TAG_TSVH, &sh);
    v.U = mfr__model_get_extra(m, MFR__TAG_TSVU, &su);
    v.B = mfr__model_get_extra(m, MFR__TAG_TSVB, &sb);
    v.ptr = mfr__model_get_extra(m, MFR__TAG_TSVP, &sp);
    v.day = mfr__model_get_extra(m, MFR__TAG_TSVD, &sd);
    v.but = mfr__model_get_extra(m, MFR__TAG_TSVV, &sv);
    v.A = mfr__model_get_extra(m, MFR__TAG_TSVA, &sa);
    v.C = mfr__model_get_extra(m, MFR__TAG_TSVC, &sc);
    if (!v.h || sh != sizeof *v.h || !v.U || !v.B || !v.ptr || !v.A)
        return mfr__err(err, MFR_E_FORMAT, "timesvdpp: section TSVH, TSVU, TSVB, TSVP or TSVA missing");
    if (m->k <= 0 || !m->P || !m->Q) return mfr__err(err, MFR_E_FORMAT, "timesvdpp: model has no factors");
    const mfr__timesvdpp_header *h = v.h;
    /* the scale's section goes with its factor column and the parameter */
    v.kf = m->k - (v.C != NULL);
    if ((v.C != NULL) != (m->params.item_scale != 0) || v.kf < 1)
        return mfr__err(err, MFR_E_FORMAT, "timesvdpp: item_scale = %d but section TSVC %s (%d factors)",
                        (int)m->params.item_scale, v.C ? "present" : "missing", (int)m->k);
    if (h->bins < 1 || h->bins > TS_MAX_BINS || h->day_min > h->day_max || h->n_days < 0 ||
        !isfinite(h->beta))
        return mfr__err(err, MFR_E_FORMAT, "timesvdpp: header (TSVH) says %d bins, days %d..%d, %lld day biases",
                        (int)h->bins, (int)h->day_min, (int)h->day_max, (long long)h->n_days);
    if (!mfr__bytes_are(su, (int64_t)m->n_users * 4, 4) ||
        !mfr__bytes_are(sb, (int64_t)m->n_items * h->bins, 4) ||
        !mfr__bytes_are(sp, (int64_t)m->n_users + 1, 8) || !mfr__bytes_are(sd, h->n_days, 4) ||
        !mfr__bytes_are(sv, h->n_days, 4) || !mfr__bytes_are(sa, (int64_t)m->n_users * v.kf, 4) ||
        (v.C && !mfr__bytes_are(sc, (int64_t)m->n_users + h->n_days, 4)) ||
        (h->n_days > 0 && (!v.day || !v.but)))
        return mfr__err(err, MFR_E_FORMAT,
                        "timesvdpp: sections TSVU/TSVB/TSVP/TSVD/TSVV/TSVA/TSVC "
                        "(%llu/%llu/%llu/%llu/%llu/%llu/%llu bytes) do not match %d users, "
                        "%d movies, %d factors, %d bins, %lld day biases",
                        (unsigned long long)su, (unsigned long long)sb, (unsigned long long)sp,
                        (unsigned long long)sd, (unsigned long long)sv, (unsigned long long)sa,
                        (unsigned long long)sc, (int)m->n_users, (int)m->n_items, (int)v.kf,
                        (int)h->bins, (long long)h->n_days);
    int64_t row;
    const char *why = mfr__csr_check(v.ptr, m->n_users, h->n_days, NULL, 0, -1, &row);
    if (why) return mfr__err(err, MFR_E_FORMAT, "timesvdpp: day lists (TSVP), user %lld: %s", (long long)row, why);
    for (int32_t u = 0; u < m->n_users; u++)
        for (int64_t e = v.ptr[u] + 1; e < v.ptr[u + 1]; e++)
            if (v.day[e] <= v.day[e - 1])
                return mfr__err(err, MFR_E_FORMAT, "timesvdpp: days of user %d not ascending (TSVD)", (int)u);
    return mfr__model_set_state(m, &v, sizeof v, "timesvdpp state", err);
}

static float timesvdpp_predict_at(const mfr_model *m, int32_t u, int32_t i, int64_t t) {
    const ts_view *s = m->algo_state;
    if (!s) return mfr__predict_mf(m, u, i);
    const int32_t d = mfr__day_of(t), nb = s->h->bins, k = m->k, kf = s->kf;
    float r = m->mu, dd = 0.f, sc = 1.f; /* sc: c_u + c_{u,t} (1: no scale) */
    if (u >= 0) {
        const float *U = s->U + 4 * (size_t)u;
        int64_t q = find_day(s->day, s->ptr[u], s->ptr[u + 1], d);
        float dv = mfr__timesvdpp_dev((float)d, U[2], s->h->beta);
        r += U[0] + U[1] * dv + (q >= 0 ? s->but[q] : 0.f);
        dd = dv - mfr__timesvdpp_dev(U[3], U[2], s->h->beta); /* P holds p_u(t_last) */
        if (s->C) sc = s->C[u] + (q >= 0 ? s->C[m->n_users + q] : 0.f);
    }
    if (i >= 0) {
        const float *B = s->B + (size_t)i * nb;
        float bb = m->item_bias[i] - B[bin_of(s->h, s->h->day_max)] + B[bin_of(s->h, d)];
        r += s->C ? bb * sc : bb;
    }
    if (u >= 0 && i >= 0) { /* the model's own factors (not the scale's column) */
        const float *qi = m->Q + (size_t)i * k;
        r += mfr__dot(m->P + (size_t)u * k, qi, kf) + dd * mfr__dot(s->A + (size_t)u * kf, qi, kf);
    }
    return r;
}

const mfr__algo mfr__algo_timesvdpp = {
    .id = MFR_ALGO_TIMESVDPP,
    .fit = timesvdpp_fit,
    .predict_at = timesvdpp_predict_at,
    .attach = timesvdpp_attach,
    .release = mfr__model_release_state,
    .defaults = timesvdpp_defaults,
};
