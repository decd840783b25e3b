/* bfm.c — Bayesian factorization machine by Gibbs sampling (Rendle 2012,
 * "Factorization machines with libFM", §4.3 MCMC; Freudenthaler, Schmidt-
 * Thieme & Rendle 2011, "Bayesian factorization machines"), the sampler
 * myFM and libFM's MCMC run, with the block structure of Rendle 2013
 * ("Scaling factorization machines to relational data").
 *
 * Model. A rating r = (u, i, t) has a sparse feature vector x made of three
 * blocks: the user's (u's id, u's rated set N(u) with value |N(u)|^-½ —
 * the implicit block of SVD++ — and u's attributes: age band, gender,
 * occupation), the movie's (i's id, i's rater set R(i) at |R(i)|^-½ —
 * "flipped" —, genres and top tags at n^-½ each, release-year band) and the
 * context's (the rating's date bin, one per year). With p = F features,
 *
 *   ŷ(x) = w0 + Σ_j w_j x_j + ½ Σ_f [(Σ_j v_jf x_j)² − Σ_j v_jf² x_j²]
 *   y ~ N(ŷ(x), α⁻¹),   w_j ~ N(μ_w,g, λ_w,g⁻¹),   v_jf ~ N(μ_v,g,f, λ_v,g,f⁻¹)
 *
 * with g the feature's group (one per kind above), α ~ Gamma(α0/2, β0/2),
 * λ ~ Gamma((α_λ + n_g)/2, β_λ/2), μ | λ ~ N(μ0, (γ0 λ)⁻¹), all of α0 = β0
 * = α_λ = β_λ = γ0 = 1, μ0 = 0 (libFM's). w0 ~ N(0, 10⁶) (flat).
 *
 * Gibbs conditionals. ŷ is linear in each parameter θ: ŷ = g_θ + θ h_θ, so
 * θ | rest ~ N(m, P⁻¹), P = λ_θ + α Σ_r h_θ(x_r)², m = (α Σ_r (e_r + θ h_r)
 * h_r + λ_θ μ_θ)/P, e_r = y_r − ŷ_r. h = x_j for w_j and x_j (q_rf − v_jf
 * x_j) for v_jf, q_rf = Σ_j v_jf x_rj. A feature j of block B belongs to
 * entities e (users, say) and every rating of e carries the same x_ej, so
 * with a_ef = Σ_{j∈B} v_jf x_ej, s = a_ef − v_jf x_ej and d_r = q_rf − a_ef
 * (the other blocks' part, fixed while block B is drawn), the sums over
 * ratings collapse to per-entity sums of the current factor:
 *
 *   Σ_r h² = Σ_e x² (n_e s² + 2 s D1_e + D2_e),  Σ_r e_r h = Σ_e x (s E0_e + E1_e)
 *   D1 = Σ_{r∈e} d_r, D2 = Σ d_r², E0 = Σ e_r, E1 = Σ e_r d_r
 *
 * updated in O(1) per entity after each draw. A sweep costs
 * O(k · (N + nnz of the blocks)): the implicit and flipped blocks are never
 * expanded per rating (N(u) is stored once per user, not once per rating).
 * Every draw comes from one RNG stream per sweep, in a fixed order; the
 * threads only share the per-entity and per-rating passes, each entity
 * summed by one thread, so the chain is the same for any thread count.
 *
 * Prediction. After `burnin` sweeps, `samples` sweeps are kept and the
 * model predicts the mean of the samples' predictions (not the prediction
 * of the mean parameters: ŷ is quadratic in them). For a user u and movie i
 * at the user's serving context t(u) (the date bin of u's latest training
 * rating: predictions carry no date), each sample's ŷ splits into a user
 * constant, a movie constant and one dot product (a_u + c_t(u))·b_i, so the
 * mean over S samples is exactly the biased-MF form the model stores:
 * b_u = mean(lin_u + ½Σ_f(a_uf² − Σ v²x²) + a_u·c_t + K_t), b_i likewise
 * plus mean(w0) − μ, P[u] = [a_u + c_t]^{1..S}/√S, Q[i] = [b_i]^{1..S}/√S,
 * k_eff = k·S factors: the default predictor, fold-in (a new user's
 * ridge solve against these Q) and every list work unchanged. A movie
 * without training ratings still has its genre, tag and year features, so
 * its stars are the features' (not μ's). Memory of the model:
 * (n_users + n_items)·k·S floats; of the fit: F·(k+1) floats of parameters,
 * 2k floats and 6 doubles per entity, 5 numbers per rating. */
#include "bfm.h"
#include "factor_util.h"
#include "../data/dataset_impl.h"

#include <math.h>
#include <omp.h>
#include <string.h>

enum {
    G_UID = MFR__BFM_G_UID, G_IMPL, G_AGE, G_GENDER, G_OCC, /* user block */
    G_IID, G_FLIP, G_GENRE, G_TAG, G_YEAR,                   /* movie block */
    G_DATE,                                                  /* context block */
    G_COUNT
};
_Static_assert((int)G_COUNT == (int)MFR__BFM_G_COUNT, "bfm.h lists the groups");
enum { B_USER, B_ITEM, B_CTX, B_COUNT };

#define BFM_MAX_GENRES 64
#define BFM_YEAR_BAND 5 /* release years per feature */
#define BFM_DAY 86400.0
#define BFM_BIN_SECONDS (365.25 * BFM_DAY) /* one date bin */
#define BFM_MAX_BINS 1000                   /* later dates share the last bin */
#define T_BFMT MFR_TAG('B', 'F', 'M', 'T')

/* Section BFMT (with the time group): what mfr_model_predict_at needs for a
 * rating's own date bin t instead of the user's serving bin t(u):
 *   ŷ_t = ŷ + mean(K_t − K_t(u)) + (P_u + Q_i − C_t(u))·(C_t − C_t(u))
 * with C_t = [c_t^1 … c_t^S]/√S the bin's factors as P and Q store theirs
 * and K_t = mean over samples of the bin's own constant. Layout: this
 * header, i32 user_bin[n_users], f32 K[n_bins], f32 C[n_bins * kS]. */
typedef struct bfm_time_hdr {
    int64_t t0;          /* the earliest training rating: bin 0 starts here */
    double width;        /* seconds a bin */
    int32_t n_bins, kS, n_users, pad;
} bfm_time_hdr;

typedef struct bfm_time_view {
    const bfm_time_hdr *h;
    const int32_t *user_bin;
    const float *K, *C;
} bfm_time_view;

static void bfm_defaults(mfr_train_params *p) {
    p->factors = 10;
    p->burnin = 30;
    p->samples = 100;
    p->init_std = 0.1f;
    p->features = MFR_FEAT_ID | MFR_FEAT_IMPLICIT | MFR_FEAT_FLIPPED | MFR_FEAT_GENRES |
                  MFR_FEAT_USER | MFR_FEAT_TIME;
}

/* ---- one block: entities (users, movies or date bins) and their features */
typedef struct bfm_block {
    int32_t n_ent;
    const int32_t *ent;        /* [N] the entity of each rating */
    int64_t *rptr; int32_t *ridx; /* ratings by entity */
    int64_t *fptr; int32_t *fidx; float *fval; /* features by entity (global ids) */
    int32_t f0, f1;            /* its features' global range */
    int64_t *cptr; int32_t *cent; float *cval; /* entities by feature (j − f0) */
    float *A, *S2;             /* [k * n_ent] a_ef, Σ_j v_jf² x_ej² (factor-major) */
    float *lin, *aold, *s2old; /* [n_ent] */
    double *E0, *E1, *D1, *D2; /* [n_ent] */
} bfm_block;

typedef struct bfm_state {
    int64_t N;
    int32_t k, F;
    const float *y;
    float *e;                  /* [N] residuals y − ŷ */
    int32_t *rt;               /* [N] date bin */
    bfm_block b[B_COUNT];
    int32_t glo[G_COUNT], ghi[G_COUNT]; /* each group's feature range */
    float *w, *V;              /* [F], [F * k] */
    float w0, alpha;
    float mu_w[G_COUNT], lam_w[G_COUNT];
    float *mu_v, *lam_v;       /* [G_COUNT * k] */
    int32_t *user_bin;         /* [n_users] serving context */
    double *ub, *ib, gsum;     /* sums of the kept samples' constants */
    int threads;
    int64_t t0;                /* date bin 0's start */
    unsigned char *tsec;       /* the BFMT section being filled, or NULL */
    double *ksum;              /* [n_bins] */
    mfr__bfm_probe_fn probe;   /* tests (bfm.h) */
    void *probe_user;
} bfm_state;

static mfr__bfm_probe_fn g_probe;
static void *g_probe_user;

void mfr__bfm_set_probe(mfr__bfm_probe_fn fn, void *user) { g_probe = fn, g_probe_user = user; }

/* The probe's call before a draw (bfm.h). */
static void probe(const bfm_state *s, int32_t j, int32_t f, double prec, double num) {
    mfr__bfm_view v = {s->N, s->F, s->k, s->w, s->V, s->w0, s->alpha, s->glo, s->ghi,
                       s->mu_w, s->lam_w, s->mu_v, s->lam_v, s->rt};
    s->probe(s->probe_user, &v, j, f, prec, num);
}

/* ---- a growable list of (feature, value) rows for one block ------------ */
typedef struct flist {
    int64_t n, cap;
    int32_t *idx;
    float *val;
} flist;

static int flist_push(flist *l, int32_t j, float v) {
    if (l->n == l->cap) {
        int64_t cap = l->cap ? 2 * l->cap : 1024;
        int32_t *ni = mfr__realloc(l->idx, sizeof(int32_t) * (size_t)cap);
        if (!ni) return -1;
        l->idx = ni;
        float *nv = mfr__realloc(l->val, sizeof(float) * (size_t)cap);
        if (!nv) return -1;
        l->val = nv;
        l->cap = cap;
    }
    l->idx[l->n] = j, l->val[l->n] = v, l->n++;
    return 0;
}

/* Group g takes the next n global feature ids. */
static void group_take(bfm_state *s, int g, int32_t n) {
    s->glo[g] = s->F;
    s->F += n;
    s->ghi[g] = s->F;
}

/* Ratings of block b grouped by entity (counting sort, stable). */
static mfr_status block_rows(bfm_block *b, int64_t N, mfr_error *err) {
    b->rptr = mfr__calloc((size_t)b->n_ent + 1, sizeof(int64_t));
    b->ridx = mfr__malloc(sizeof(int32_t) * (size_t)(N > 0 ? N : 1));
    if (!b->rptr || !b->ridx) return mfr__nomem(err, "bfm rows");
    for (int64_t r = 0; r < N; r++) b->rptr[b->ent[r] + 1]++;
    for (int32_t e = 0; e < b->n_ent; e++) b->rptr[e + 1] += b->rptr[e];
    int64_t *pos = mfr__malloc(sizeof(int64_t) * (size_t)(b->n_ent > 0 ? b->n_ent : 1));
    if (!pos) return mfr__nomem(err, "bfm rows");
    memcpy(pos, b->rptr, sizeof(int64_t) * (size_t)b->n_ent);
    for (int64_t r = 0; r < N; r++) b->ridx[pos[b->ent[r]]++] = (int32_t)r;
    mfr__free(pos);
    return MFR_OK;
}

/* The column view (entities by feature) of block b and its working arrays. */
static mfr_status block_finish(bfm_block *b, int32_t k, mfr_error *err) {
    int32_t nf = b->f1 - b->f0;
    int64_t nnz = b->fptr[b->n_ent];
    size_t ne = (size_t)(b->n_ent > 0 ? b->n_ent : 1);
    b->cptr = mfr__calloc((size_t)nf + 1, sizeof(int64_t));
    b->cent = mfr__malloc(sizeof(int32_t) * (size_t)(nnz > 0 ? nnz : 1));
    b->cval = mfr__malloc(sizeof(float) * (size_t)(nnz > 0 ? nnz : 1));
    b->A = mfr__calloc(ne * (size_t)k, sizeof(float));
    b->S2 = mfr__calloc(ne * (size_t)k, sizeof(float));
    b->lin = mfr__calloc(ne, sizeof(float));
    b->aold = mfr__malloc(sizeof(float) * ne);
    b->s2old = mfr__malloc(sizeof(float) * ne);
    b->E0 = mfr__malloc(sizeof(double) * ne);
    b->E1 = mfr__malloc(sizeof(double) * ne);
    b->D1 = mfr__malloc(sizeof(double) * ne);
    b->D2 = mfr__malloc(sizeof(double) * ne);
    if (!b->cptr || !b->cent || !b->cval || !b->A || !b->S2 || !b->lin || !b->aold ||
        !b->s2old || !b->E0 || !b->E1 || !b->D1 || !b->D2)
        return mfr__nomem(err, "bfm block");
    for (int64_t t = 0; t < nnz; t++) b->cptr[b->fidx[t] - b->f0 + 1]++;
    for (int32_t j = 0; j < nf; j++) b->cptr[j + 1] += b->cptr[j];
    int64_t *pos = mfr__malloc(sizeof(int64_t) * (size_t)(nf > 0 ? nf : 1));
    if (!pos) return mfr__nomem(err, "bfm block");
    memcpy(pos, b->cptr, sizeof(int64_t) * (size_t)nf);
    for (int32_t e = 0; e < b->n_ent; e++)
        for (int64_t t = b->fptr[e]; t < b->fptr[e + 1]; t++) {
            int64_t q = pos[b->fidx[t] - b->f0]++;
            b->cent[q] = e, b->cval[q] = b->fval[t];
        }
    mfr__free(pos);
    return MFR_OK;
}

static void block_free(bfm_block *b) {
    mfr__free(b->rptr), mfr__free(b->ridx), mfr__free(b->fptr), mfr__free(b->fidx);
    mfr__free(b->fval), mfr__free(b->cptr), mfr__free(b->cent), mfr__free(b->cval);
    mfr__free(b->A), mfr__free(b->S2), mfr__free(b->lin), mfr__free(b->aold);
    mfr__free(b->s2old), mfr__free(b->E0), mfr__free(b->E1), mfr__free(b->D1), mfr__free(b->D2);
}

static void state_free(bfm_state *s) {
    for (int b = 0; b < B_COUNT; b++) block_free(&s->b[b]);
    mfr__free(s->e), mfr__free(s->rt), mfr__free(s->w), mfr__free(s->V);
    mfr__free(s->mu_v), mfr__free(s->lam_v), mfr__free(s->user_bin);
    mfr__free(s->ub), mfr__free(s->ib), mfr__free(s->tsec), mfr__free(s->ksum);
}

/* Move a finished list into block b's entity rows. */
static void block_take_list(bfm_block *b, flist *l) {
    b->fidx = l->idx, b->fval = l->val;
    l->idx = NULL, l->val = NULL, l->n = l->cap = 0;
}

/* ---- the feature vocabularies ------------------------------------------ */

/* Genre j of "Action|Comedy" in the table names[] (appended when new). */
static int32_t genre_id(char names[][32], int32_t *n, const char *s, size_t len) {
    if (len == 0 || len >= 32) return -1;
    for (int32_t j = 0; j < *n; j++)
        if (strlen(names[j]) == len && memcmp(names[j], s, len) == 0) return j;
    if (*n >= BFM_MAX_GENRES) return -1;
    memcpy(names[*n], s, len);
    names[*n][len] = 0;
    return (*n)++;
}

/* Calls fn(tag hash) for each of movie i's kept tags ('|'-joined list). */
#define FOR_TAGS(m, i, H, BODY)                                                       \
    do {                                                                              \
        const char *t_ = mfr_model_item_tags(m, i);                                   \
        while (*t_) {                                                                 \
            const char *e_ = strchr(t_, '|');                                         \
            size_t l_ = e_ ? (size_t)(e_ - t_) : strlen(t_);                          \
            if (l_) {                                                                 \
                int64_t H = (int64_t)(mfr__fnv1a(t_, l_) & 0x7fffffffffffffffull);     \
                BODY                                                                  \
            }                                                                         \
            t_ += l_ + (e_ ? 1 : 0);                                                  \
        }                                                                             \
    } while (0)

/* Movie year band, or -1 when unknown. */
static int32_t year_band(int16_t y) { return y >= 1880 ? (y - 1880) / BFM_YEAR_BAND : -1; }

/* ---- building the blocks ------------------------------------------------ */

/* Entity e's first features, the same on both sides: its own id (group gid)
 * and its row of c (group grow; the user's movies, the movie's raters), each
 * 1/sqrt(n) of the row's n. Non-zero on out of memory. */
static int push_id_and_row(flist *l, const bfm_state *s, int gid, int grow, const mfr__csr *c, int32_t e) {
    int bad = 0;
    if (s->ghi[gid] > s->glo[gid]) bad |= flist_push(l, s->glo[gid] + e, 1.f);
    int64_t n = c->ptr[e + 1] - c->ptr[e];
    if (n > 0 && s->ghi[grow] > s->glo[grow]) {
        float x = 1.f / sqrtf((float)n);
        for (int64_t t = c->ptr[e]; t < c->ptr[e + 1] && !bad; t++) bad |= flist_push(l, s->glo[grow] + c->idx[t], x);
    }
    return bad;
}

static mfr_status build_user_block(bfm_state *s, const mfr_model *m, const mfr__fit_ctx *ctx,
                                   const mfr__csr *bu, mfr_error *err) {
    const int32_t feat = ctx->p->features;
    const mfr_dataset *ds = ctx->ds;
    bfm_block *b = &s->b[B_USER];
    b->n_ent = m->n_users;
    b->ent = ctx->train->user;
    b->f0 = s->F;
    const int has_attr = (feat & MFR_FEAT_USER) && ds && ds->user_age && ds->n_users == m->n_users;
    int32_t n_age = 0, n_occ = 0;
    if (has_attr)
        for (int32_t u = 0; u < m->n_users; u++) {
            if (ds->user_age[u] > 0 && ds->user_age[u] / 10 + 1 > n_age) n_age = ds->user_age[u] / 10 + 1;
            if (ds->user_occ[u] >= 0 && ds->user_occ[u] + 1 > n_occ) n_occ = ds->user_occ[u] + 1;
        }
    group_take(s, G_UID, (feat & MFR_FEAT_ID) ? m->n_users : 0);
    group_take(s, G_IMPL, (feat & MFR_FEAT_IMPLICIT) ? m->n_items : 0);
    group_take(s, G_AGE, has_attr ? n_age : 0);
    group_take(s, G_GENDER, has_attr ? 2 : 0);
    group_take(s, G_OCC, has_attr ? n_occ : 0);
    b->f1 = s->F;
    flist l = {0};
    b->fptr = mfr__malloc(sizeof(int64_t) * ((size_t)b->n_ent + 1));
    if (!b->fptr) return mfr__nomem(err, "bfm user block");
    int bad = 0;
    for (int32_t u = 0; u < b->n_ent && !bad; u++) {
        b->fptr[u] = l.n;
        bad |= push_id_and_row(&l, s, G_UID, G_IMPL, bu, u);
        if (has_attr) {
            if (ds->user_age[u] > 0) bad |= flist_push(&l, s->glo[G_AGE] + ds->user_age[u] / 10, 1.f);
            if (ds->user_gender[u] == 'M' || ds->user_gender[u] == 'F')
                bad |= flist_push(&l, s->glo[G_GENDER] + (ds->user_gender[u] == 'F'), 1.f);
            if (ds->user_occ[u] >= 0) bad |= flist_push(&l, s->glo[G_OCC] + ds->user_occ[u], 1.f);
        }
    }
    b->fptr[b->n_ent] = l.n;
    block_take_list(b, &l);
    if (bad) return mfr__nomem(err, "bfm user block");
    return MFR_OK;
}

static mfr_status build_item_block(bfm_state *s, const mfr_model *m, const mfr__fit_ctx *ctx,
                                   const mfr__csr *bi, mfr_error *err) {
    const int32_t feat = ctx->p->features;
    bfm_block *b = &s->b[B_ITEM];
    b->n_ent = m->n_items;
    b->ent = ctx->train->item;
    b->f0 = s->F;
    char (*gnames)[32] = mfr__malloc(sizeof(char[32]) * BFM_MAX_GENRES);
    int32_t *gid = mfr__malloc(sizeof(int32_t) * BFM_MAX_GENRES);
    mfr__idmap tags = {0}, tag_movies = {0};
    int32_t n_gen = 0, n_tags = 0, n_year = 0;
    mfr_status st = MFR_OK;
    if (!gnames || !gid) st = mfr__nomem(err, "bfm genres");
    if (!st && (feat & MFR_FEAT_TAGS) && !(st = mfr__idmap_init(&tag_movies, 1024, err)) &&
        !(st = mfr__idmap_init(&tags, 1024, err))) {
        /* a tag becomes a feature when at least two movies carry it */
        for (int32_t i = 0; i < m->n_items && !st; i++)
            FOR_TAGS(m, i, h, {
                int32_t c = mfr__idmap_get(&tag_movies, h);
                if (mfr__idmap_put(&tag_movies, h, c < 0 ? 1 : c + 1) < 0) st = mfr__nomem(err, "bfm tags");
                if (c == 1 && mfr__idmap_put(&tags, h, n_tags++) < 0) st = mfr__nomem(err, "bfm tags");
            });
    }
    if (!st && (feat & MFR_FEAT_GENRES) && m->cat.genres_off)
        for (int32_t i = 0; i < m->n_items; i++) {
            const char *g = mfr_model_item_genres(m, i);
            while (*g) {
                const char *e = strchr(g, '|');
                size_t len = e ? (size_t)(e - g) : strlen(g);
                if (len && g[0] != '(') genre_id(gnames, &n_gen, g, len);
                g += len + (e ? 1 : 0);
            }
        }
    if (!st && (feat & MFR_FEAT_TIME) && m->cat.year)
        for (int32_t i = 0; i < m->n_items; i++)
            if (year_band(m->cat.year[i]) + 1 > n_year) n_year = year_band(m->cat.year[i]) + 1;
    group_take(s, G_IID, (feat & MFR_FEAT_ID) ? m->n_items : 0);
    group_take(s, G_FLIP, (feat & MFR_FEAT_FLIPPED) ? m->n_users : 0);
    group_take(s, G_GENRE, n_gen);
    group_take(s, G_TAG, n_tags);
    group_take(s, G_YEAR, n_year);
    b->f1 = s->F;
    flist l = {0};
    int bad = 0;
    if (!st && !(b->fptr = mfr__malloc(sizeof(int64_t) * ((size_t)b->n_ent + 1))))
        st = mfr__nomem(err, "bfm movie block");
    for (int32_t i = 0; !st && i < b->n_ent && !bad; i++) {
        b->fptr[i] = l.n;
        bad |= push_id_and_row(&l, s, G_IID, G_FLIP, bi, i);
        if (n_gen) {
            int32_t ng = 0;
            const char *g = mfr_model_item_genres(m, i);
            while (*g) {
                const char *e = strchr(g, '|');
                size_t len = e ? (size_t)(e - g) : strlen(g);
                int32_t j = len && g[0] != '(' ? genre_id(gnames, &n_gen, g, len) : -1;
                for (int32_t t = 0; t < ng && j >= 0; t++)
                    if (gid[t] == j) j = -1; /* "Drama|Drama": one feature */
                if (j >= 0 && ng < BFM_MAX_GENRES) gid[ng++] = j;
                g += len + (e ? 1 : 0);
            }
            for (int32_t t = 0; t < ng && !bad; t++)
                bad |= flist_push(&l, s->glo[G_GENRE] + gid[t], 1.f / sqrtf((float)ng));
        }
        if (n_tags) {
            int64_t t0 = l.n;
            FOR_TAGS(m, i, h, {
                int32_t j = mfr__idmap_get(&tags, h);
                if (j >= 0 && !bad) bad |= flist_push(&l, s->glo[G_TAG] + j, 1.f);
            });
            for (int64_t t = t0; t < l.n; t++) l.val[t] = 1.f / sqrtf((float)(l.n - t0));
        }
        if (n_year && year_band(m->cat.year[i]) >= 0)
            bad |= flist_push(&l, s->glo[G_YEAR] + year_band(m->cat.year[i]), 1.f);
    }
    if (!st) {
        b->fptr[b->n_ent] = l.n;
        if (bad) st = mfr__nomem(err, "bfm movie block");
    }
    block_take_list(b, &l);
    mfr__free(l.idx), mfr__free(l.val);
    mfr__free(gnames), mfr__free(gid);
    mfr__idmap_free(&tags), mfr__idmap_free(&tag_movies);
    return st;
}

/* Date bins: one a year (365.25 days) from the earliest training rating.
 * Each user's serving bin is that of their latest training rating (the
 * latest bin for a user without ratings). */
static mfr_status build_ctx_block(bfm_state *s, const mfr_model *m, const mfr__fit_ctx *ctx,
                                  mfr_error *err) {
    const mfr_ratings *tr = ctx->train;
    bfm_block *b = &s->b[B_CTX];
    s->rt = mfr__calloc((size_t)(s->N > 0 ? s->N : 1), sizeof(int32_t));
    s->user_bin = mfr__malloc(sizeof(int32_t) * (size_t)(m->n_users > 0 ? m->n_users : 1));
    if (!s->rt || !s->user_bin) return mfr__nomem(err, "bfm dates");
    int32_t nb = 1;
    if ((ctx->p->features & MFR_FEAT_TIME) && tr->time) {
        int64_t t0 = tr->time[0];
        for (int64_t r = 1; r < s->N; r++) t0 = tr->time[r] < t0 ? tr->time[r] : t0;
        s->t0 = t0;
        for (int64_t r = 0; r < s->N; r++) {
            double bin = ((double)tr->time[r] - (double)t0) / BFM_BIN_SECONDS;
            s->rt[r] = bin < BFM_MAX_BINS - 1 ? (int32_t)bin : BFM_MAX_BINS - 1;
            if (s->rt[r] + 1 > nb) nb = s->rt[r] + 1;
        }
        for (int32_t u = 0; u < m->n_users; u++) s->user_bin[u] = nb - 1;
        int64_t *last = mfr__malloc(sizeof(int64_t) * (size_t)(m->n_users > 0 ? m->n_users : 1));
        if (!last) return mfr__nomem(err, "bfm dates");
        for (int32_t u = 0; u < m->n_users; u++) last[u] = INT64_MIN;
        for (int64_t r = 0; r < s->N; r++)
            if (tr->time[r] >= last[tr->user[r]]) last[tr->user[r]] = tr->time[r], s->user_bin[tr->user[r]] = s->rt[r];
        mfr__free(last);
        group_take(s, G_DATE, nb);
    } else {
        for (int32_t u = 0; u < m->n_users; u++) s->user_bin[u] = 0;
        group_take(s, G_DATE, 0);
    }
    b->n_ent = nb;
    b->ent = s->rt;
    b->f0 = s->glo[G_DATE], b->f1 = s->ghi[G_DATE];
    b->fptr = mfr__malloc(sizeof(int64_t) * ((size_t)nb + 1));
    int32_t nf = b->f1 - b->f0;
    b->fidx = mfr__malloc(sizeof(int32_t) * (size_t)(nf > 0 ? nf : 1));
    b->fval = mfr__malloc(sizeof(float) * (size_t)(nf > 0 ? nf : 1));
    if (!b->fptr || !b->fidx || !b->fval) return mfr__nomem(err, "bfm dates");
    for (int32_t t = 0; t <= nb; t++) b->fptr[t] = nf ? t : 0;
    for (int32_t t = 0; t < nf; t++) b->fidx[t] = b->f0 + t, b->fval[t] = 1.f;
    return MFR_OK;
}

/* ---- the sampler --------------------------------------------------------- */

static inline double draw_normal(mfr__rng *r, double prec, double num) {
    return num / prec + mfr__rng_normal(r) / sqrt(prec);
}

/* lin, A, S2 of every entity of every block from w and V. */
static void recompute_entities(bfm_state *s) {
    const int32_t k = s->k;
    for (int bb = 0; bb < B_COUNT; bb++) {
        bfm_block *b = &s->b[bb];
#pragma omp parallel for schedule(static) num_threads(s->threads)
        for (int32_t e = 0; e < b->n_ent; e++) {
            double lin = 0;
            for (int32_t f = 0; f < k; f++) b->A[(size_t)f * b->n_ent + e] = 0, b->S2[(size_t)f * b->n_ent + e] = 0;
            for (int64_t t = b->fptr[e]; t < b->fptr[e + 1]; t++) {
                const float x = b->fval[t], *v = s->V + (size_t)b->fidx[t] * k;
                lin += s->w[b->fidx[t]] * x;
                for (int32_t f = 0; f < k; f++) {
                    b->A[(size_t)f * b->n_ent + e] += v[f] * x;
                    b->S2[(size_t)f * b->n_ent + e] += v[f] * v[f] * x * x;
                }
            }
            b->lin[e] = (float)lin;
        }
    }
}

/* ŷ of rating r from the entity sums. */
static inline double predict_rating(const bfm_state *s, int64_t r) {
    double y = s->w0, pair = 0;
    for (int32_t f = 0; f < s->k; f++) {
        double q = 0, sq = 0;
        for (int bb = 0; bb < B_COUNT; bb++) {
            const bfm_block *b = &s->b[bb];
            size_t at = (size_t)f * b->n_ent + b->ent[r];
            q += b->A[at], sq += b->S2[at];
        }
        pair += q * q - sq;
    }
    for (int bb = 0; bb < B_COUNT; bb++) y += s->b[bb].lin[s->b[bb].ent[r]];
    return y + 0.5 * pair;
}

/* Residuals from scratch; returns Σ e². */
static double recompute_residuals(bfm_state *s) {
    double sse = 0;
#pragma omp parallel for schedule(static) reduction(+ : sse) num_threads(s->threads)
    for (int64_t r = 0; r < s->N; r++) {
        s->e[r] = (float)(s->y[r] - predict_rating(s, r));
        sse += (double)s->e[r] * s->e[r];
    }
    return sse;
}

/* Gamma(shape, rate). */
static double draw_gamma(mfr__rng *r, double shape, double rate) {
    return mfr__rng_gamma(r, shape) / rate;
}

/* Normal-Gamma draw of (μ, λ) for the n values x[0], x[stride], ... */
static void draw_hyper(mfr__rng *r, const float *x, int32_t n, size_t stride, float lam,
                       float *mu_out, float *lam_out) {
    const double gamma0 = 1.0, mu0 = 0.0, alpha_l = 1.0, beta_l = 1.0;
    double sum = 0;
    for (int32_t j = 0; j < n; j++) sum += x[(size_t)j * stride];
    double mu = draw_normal(r, (n + gamma0) * lam, (sum + gamma0 * mu0) * lam);
    double ss = gamma0 * (mu - mu0) * (mu - mu0);
    for (int32_t j = 0; j < n; j++) {
        double d = x[(size_t)j * stride] - mu;
        ss += d * d;
    }
    *mu_out = (float)mu;
    *lam_out = (float)draw_gamma(r, 0.5 * (alpha_l + n + 1), 0.5 * (beta_l + ss));
}

/* d_r of rating r for factor f: the blocks other than `skip`. */
static inline double other_blocks(const bfm_state *s, int skip, int32_t f, int64_t r) {
    double d = 0;
    for (int bb = 0; bb < B_COUNT; bb++)
        if (bb != skip) {
            const bfm_block *b = &s->b[bb];
            d += b->A[(size_t)f * b->n_ent + b->ent[r]];
        }
    return d;
}

/* The per-entity sums of block bb for factor f (f < 0: E0 only). */
static void entity_sums(bfm_state *s, int bb, int32_t f) {
    bfm_block *b = &s->b[bb];
#pragma omp parallel for schedule(dynamic, 16) num_threads(s->threads)
    for (int32_t e = 0; e < b->n_ent; e++) {
        double e0 = 0, e1 = 0, d1 = 0, d2 = 0;
        for (int64_t t = b->rptr[e]; t < b->rptr[e + 1]; t++) {
            int64_t r = b->ridx[t];
            double er = s->e[r];
            e0 += er;
            if (f >= 0) {
                double d = other_blocks(s, bb, f, r);
                e1 += er * d, d1 += d, d2 += d * d;
            }
        }
        b->E0[e] = e0, b->E1[e] = e1, b->D1[e] = d1, b->D2[e] = d2;
    }
}

/* Draw the linear weights of block bb, then bring the residuals up to date. */
static void draw_block_linear(bfm_state *s, int bb, mfr__rng *rng) {
    bfm_block *b = &s->b[bb];
    entity_sums(s, bb, -1);
    memcpy(b->aold, b->lin, sizeof(float) * (size_t)b->n_ent);
    for (int g = 0; g < G_COUNT; g++) {
        if (s->glo[g] < b->f0 || s->ghi[g] > b->f1 || s->ghi[g] == s->glo[g]) continue;
        for (int32_t j = s->glo[g]; j < s->ghi[g]; j++) {
            double h2 = 0, eh = 0;
            for (int64_t t = b->cptr[j - b->f0]; t < b->cptr[j - b->f0 + 1]; t++) {
                int32_t e = b->cent[t];
                double x = b->cval[t], n = (double)(b->rptr[e + 1] - b->rptr[e]);
                h2 += x * x * n, eh += x * b->E0[e];
            }
            double prec = s->lam_w[g] + s->alpha * h2;
            double num = s->alpha * (eh + s->w[j] * h2) + s->lam_w[g] * s->mu_w[g];
            if (s->probe) probe(s, j, -1, prec, num);
            float wn = (float)draw_normal(rng, prec, num);
            double dl = wn - s->w[j];
            s->w[j] = wn;
            for (int64_t t = b->cptr[j - b->f0]; t < b->cptr[j - b->f0 + 1]; t++) {
                int32_t e = b->cent[t];
                double x = b->cval[t], n = (double)(b->rptr[e + 1] - b->rptr[e]);
                b->E0[e] -= dl * x * n;
                b->lin[e] += (float)(dl * x);
            }
        }
    }
#pragma omp parallel for schedule(static) num_threads(s->threads)
    for (int64_t r = 0; r < s->N; r++) {
        int32_t e = b->ent[r];
        s->e[r] -= b->lin[e] - b->aold[e];
    }
}

/* Draw factor f of every feature of block bb, then update the residuals. */
static void draw_block_factor(bfm_state *s, int bb, int32_t f, mfr__rng *rng) {
    bfm_block *b = &s->b[bb];
    const int32_t k = s->k;
    float *A = b->A + (size_t)f * b->n_ent, *S2 = b->S2 + (size_t)f * b->n_ent;
    entity_sums(s, bb, f);
    memcpy(b->aold, A, sizeof(float) * (size_t)b->n_ent);
    memcpy(b->s2old, S2, sizeof(float) * (size_t)b->n_ent);
    for (int g = 0; g < G_COUNT; g++) {
        if (s->glo[g] < b->f0 || s->ghi[g] > b->f1 || s->ghi[g] == s->glo[g]) continue;
        const double lam = s->lam_v[g * k + f], mu = s->mu_v[g * k + f];
        for (int32_t j = s->glo[g]; j < s->ghi[g]; j++) {
            const int64_t c0 = b->cptr[j - b->f0], c1 = b->cptr[j - b->f0 + 1];
            const double v = s->V[(size_t)j * k + f];
            double h2 = 0, eh = 0;
            for (int64_t t = c0; t < c1; t++) {
                int32_t e = b->cent[t];
                double x = b->cval[t], n = (double)(b->rptr[e + 1] - b->rptr[e]);
                double sx = A[e] - v * x;
                h2 += x * x * (n * sx * sx + 2 * sx * b->D1[e] + b->D2[e]);
                eh += x * (sx * b->E0[e] + b->E1[e]);
            }
            double prec = lam + s->alpha * h2, num = s->alpha * (eh + v * h2) + lam * mu;
            if (s->probe) probe(s, j, f, prec, num);
            double vn = draw_normal(rng, prec, num);
            double dv = (double)(float)vn - v;
            s->V[(size_t)j * k + f] = (float)vn;
            for (int64_t t = c0; t < c1; t++) {
                int32_t e = b->cent[t];
                double x = b->cval[t], n = (double)(b->rptr[e + 1] - b->rptr[e]);
                double sx = A[e] - v * x;
                b->E0[e] -= dv * x * (n * sx + b->D1[e]);
                b->E1[e] -= dv * x * (sx * b->D1[e] + b->D2[e]);
                A[e] += (float)(dv * x);
                S2[e] += (float)(((double)(float)vn * (float)vn - v * v) * x * x);
            }
        }
    }
#pragma omp parallel for schedule(static) num_threads(s->threads)
    for (int64_t r = 0; r < s->N; r++) {
        int32_t e = b->ent[r];
        double da = (double)A[e] - b->aold[e];
        if (da == 0 && S2[e] == b->s2old[e]) continue;
        double d = other_blocks(s, bb, f, r);
        double dk = 0.5 * (((double)A[e] * A[e] - (double)b->aold[e] * b->aold[e]) - ((double)S2[e] - b->s2old[e]));
        s->e[r] -= (float)(da * d + dk);
    }
}

/* One sweep: α, the hyperparameters, w0, then block by block the linear
 * weights and factor by factor the latent ones. Returns Σ e² before it. */
static double bfm_sweep(bfm_state *s, uint64_t seed, int32_t sweep) {
    mfr__rng rng;
    mfr__rng_seed_stream(&rng, seed, 0xbf3000000000ull | (uint64_t)sweep);
    recompute_entities(s);
    double sse = recompute_residuals(s);
    const int32_t k = s->k;
    s->alpha = (float)draw_gamma(&rng, 0.5 * (1.0 + (double)s->N), 0.5 * (1.0 + sse));
    for (int g = 0; g < G_COUNT; g++) {
        int32_t n = s->ghi[g] - s->glo[g];
        if (!n) continue;
        draw_hyper(&rng, s->w + s->glo[g], n, 1, s->lam_w[g], &s->mu_w[g], &s->lam_w[g]);
        for (int32_t f = 0; f < k; f++)
            draw_hyper(&rng, s->V + (size_t)s->glo[g] * k + f, n, (size_t)k, s->lam_v[g * k + f],
                       &s->mu_v[g * k + f], &s->lam_v[g * k + f]);
    }
    double esum = 0;
    for (int64_t r = 0; r < s->N; r++) esum += s->e[r];
    const double lam0 = 1e-6;
    double prec = lam0 + s->alpha * (double)s->N;
    double num0 = s->alpha * (esum + s->w0 * (double)s->N);
    if (s->probe) probe(s, -1, -1, prec, num0);
    float w0 = (float)draw_normal(&rng, prec, num0);
    float d0 = w0 - s->w0;
    s->w0 = w0;
    for (int64_t r = 0; r < s->N; r++) s->e[r] -= d0;
    for (int bb = 0; bb < B_COUNT; bb++) {
        if (s->b[bb].f1 == s->b[bb].f0) continue;
        draw_block_linear(s, bb, &rng);
        for (int32_t f = 0; f < k; f++) draw_block_factor(s, bb, f, &rng);
    }
    return sse;
}

/* Add the current draw as kept sample `got` (0-based) of S to the model. */
static void collect(mfr_model *m, bfm_state *s, int32_t got, int32_t S) {
    const int32_t k = s->k;
    const float sc = 1.f / sqrtf((float)S);
    const bfm_block *bu = &s->b[B_USER], *bi = &s->b[B_ITEM], *bc = &s->b[B_CTX];
    recompute_entities(s);
    for (int32_t u = 0; u < m->n_users; u++) {
        int32_t t = s->user_bin[u];
        double c = bu->lin[u] + bc->lin[t];
        for (int32_t f = 0; f < k; f++) {
            double a = bu->A[(size_t)f * bu->n_ent + u], ct = bc->A[(size_t)f * bc->n_ent + t];
            c += 0.5 * (a * a - bu->S2[(size_t)f * bu->n_ent + u]) + a * ct +
                 0.5 * (ct * ct - bc->S2[(size_t)f * bc->n_ent + t]);
            m->P[(size_t)u * m->k + (size_t)got * k + f] = (float)(a + ct) * sc;
        }
        s->ub[u] += c;
    }
    for (int32_t i = 0; i < m->n_items; i++) {
        double c = bi->lin[i];
        for (int32_t f = 0; f < k; f++) {
            double b = bi->A[(size_t)f * bi->n_ent + i];
            c += 0.5 * (b * b - bi->S2[(size_t)f * bi->n_ent + i]);
            m->Q[(size_t)i * m->k + (size_t)got * k + f] = (float)b * sc;
        }
        s->ib[i] += c;
    }
    s->gsum += s->w0;
    if (s->tsec) {
        const bfm_time_hdr *h = (const bfm_time_hdr *)(const void *)s->tsec;
        float *C = (float *)(void *)(s->tsec + sizeof *h + 4 * ((size_t)h->n_users + (size_t)h->n_bins));
        for (int32_t t = 0; t < bc->n_ent; t++) {
            double c = bc->lin[t];
            for (int32_t f = 0; f < k; f++) {
                double ct = bc->A[(size_t)f * bc->n_ent + t];
                c += 0.5 * (ct * ct - bc->S2[(size_t)f * bc->n_ent + t]);
                C[(size_t)t * h->kS + (size_t)got * k + f] = (float)ct * sc;
            }
            s->ksum[t] += c;
        }
    }
}

/* The model from the `got` kept samples of S (fewer after a cancel): mean
 * constants, factors rescaled to 1/√got; got 0 leaves the plain μ. */
static void finish(mfr_model *m, bfm_state *s, int32_t got, int32_t S) {
    if (got <= 0) return;
    float fs = sqrtf((float)S / (float)got);
    if (got < S) {
        for (size_t j = 0; j < (size_t)m->n_users * m->k; j++) m->P[j] *= fs;
        for (size_t j = 0; j < (size_t)m->n_items * m->k; j++) m->Q[j] *= fs;
    }
    for (int32_t u = 0; u < m->n_users; u++) m->user_bias[u] = (float)(s->ub[u] / got);
    double g = s->gsum / got - m->mu;
    for (int32_t i = 0; i < m->n_items; i++) m->item_bias[i] = (float)(s->ib[i] / got + g);
    if (s->tsec) {
        const bfm_time_hdr *h = (const bfm_time_hdr *)(const void *)s->tsec;
        float *K = (float *)(void *)(s->tsec + sizeof *h + 4 * (size_t)h->n_users), *C = K + h->n_bins;
        for (int32_t t = 0; t < h->n_bins; t++) K[t] = (float)(s->ksum[t] / got);
        if (got < S)
            for (size_t j = 0; j < (size_t)h->n_bins * h->kS; j++) C[j] *= fs;
    }
}

/* The BFMT section's size for nb bins (bfm_time_hdr). */
static uint64_t time_section_size(int32_t n_users, int32_t nb, int32_t kS) {
    return sizeof(bfm_time_hdr) + 4 * ((uint64_t)n_users + (uint64_t)nb + (uint64_t)nb * (uint64_t)kS);
}

/* With the time group: the section predict_at reads, filled by collect. */
static mfr_status time_section_init(bfm_state *s, const mfr_model *m, mfr_error *err) {
    const bfm_block *bc = &s->b[B_CTX];
    if (bc->f1 == bc->f0) return MFR_OK;
    uint64_t size = time_section_size(m->n_users, bc->n_ent, m->k);
    s->tsec = mfr__aligned_alloc((size_t)size); /* zeroed */
    s->ksum = mfr__calloc((size_t)bc->n_ent, sizeof(double));
    if (!s->tsec || !s->ksum) return mfr__nomem(err, "bfm time section");
    bfm_time_hdr *h = (bfm_time_hdr *)(void *)s->tsec;
    *h = (bfm_time_hdr){s->t0, BFM_BIN_SECONDS, bc->n_ent, m->k, m->n_users, 0};
    memcpy(s->tsec + sizeof *h, s->user_bin, 4 * (size_t)m->n_users);
    return MFR_OK;
}

/* The BFMT section's view, checked against the model (a file's section is
 * untrusted): MFR_E_FORMAT when it does not fit. No section: no view. */
static mfr_status bfm_attach(mfr_model *m, mfr_error *err) {
    mfr__model_release_state(m);
    uint64_t size = 0;
    const unsigned char *p = mfr__model_get_extra(m, T_BFMT, &size);
    if (!p) return MFR_OK;
    const bfm_time_hdr *h = (const bfm_time_hdr *)(const void *)p;
    if (size < sizeof *h || h->n_bins < 1 || h->n_bins > 100000 || h->kS != m->k ||
        h->n_users != m->n_users || !(h->width > 0) || size != time_section_size(h->n_users, h->n_bins, h->kS))
        return mfr__err(err, MFR_E_FORMAT, "bfm: section BFMT does not fit the model (%llu bytes)",
                        (unsigned long long)size);
    const int32_t *ub = (const int32_t *)(const void *)(p + sizeof *h);
    for (int32_t u = 0; u < h->n_users; u++)
        if (ub[u] < 0 || ub[u] >= h->n_bins)
            return mfr__err(err, MFR_E_FORMAT, "bfm: section BFMT: user %d's date bin %d outside 0..%d",
                            u, ub[u], h->n_bins - 1);
    bfm_time_view *v = mfr__malloc(sizeof *v);
    if (!v) return mfr__nomem(err, "bfm time view");
    v->h = h, v->user_bin = ub;
    v->K = (const float *)(const void *)(p + sizeof *h + 4 * (size_t)h->n_users);
    v->C = v->K + h->n_bins;
    m->algo_state = v;
    return MFR_OK;
}

/* The prediction at the rating's own date bin (the section's formula). */
static float bfm_predict_at(const mfr_model *m, int32_t u, int32_t i, int64_t t) {
    float base = mfr__predict_mf(m, u, i);
    const bfm_time_view *v = m->algo_state;
    if (!v || u < 0 || i < 0) return base;
    double b = floor(((double)t - (double)v->h->t0) / v->h->width);
    int32_t bin = b < 0 ? 0 : b >= v->h->n_bins ? v->h->n_bins - 1 : (int32_t)b, tu = v->user_bin[u];
    if (bin == tu) return base;
    const int32_t kS = v->h->kS;
    const float *P = m->P + (size_t)u * kS, *Q = m->Q + (size_t)i * kS;
    const float *C = v->C + (size_t)bin * kS, *Cu = v->C + (size_t)tu * kS;
    double d = (double)v->K[bin] - v->K[tu];
    for (int32_t j = 0; j < kS; j++) d += ((double)P[j] + Q[j] - Cu[j]) * ((double)C[j] - Cu[j]);
    return (float)(base + d);
}

static mfr_status state_init(bfm_state *s, const mfr_model *m, const mfr__fit_ctx *ctx,
                             mfr_error *err) {
    const mfr_train_params *p = ctx->p;
    mfr__csr bu = {0}, bi = {0};
    mfr_status st;
    s->N = ctx->train->n;
    s->k = p->factors;
    s->y = ctx->train->rating;
    s->threads = ctx->threads;
    s->probe = g_probe, s->probe_user = g_probe_user;
    st = mfr__csr_pair(ctx->train, m->n_users, m->n_items, &bu, &bi, err);
    if (!st) st = build_user_block(s, m, ctx, &bu, err);
    if (!st) st = build_item_block(s, m, ctx, &bi, err);
    if (!st) st = build_ctx_block(s, m, ctx, err);
    mfr__csr_free(&bu), mfr__csr_free(&bi);
    if (st) return st;
    for (int bb = 0; bb < B_COUNT; bb++)
        if ((st = block_rows(&s->b[bb], s->N, err)) || (st = block_finish(&s->b[bb], s->k, err))) return st;
    size_t F = (size_t)(s->F > 0 ? s->F : 1), k = (size_t)s->k;
    s->e = mfr__malloc(sizeof(float) * (size_t)(s->N > 0 ? s->N : 1));
    s->w = mfr__calloc(F, sizeof(float));
    s->V = mfr__malloc(sizeof(float) * F * k);
    s->mu_v = mfr__calloc((size_t)G_COUNT * k, sizeof(float));
    s->lam_v = mfr__malloc(sizeof(float) * (size_t)G_COUNT * k);
    s->ub = mfr__calloc((size_t)(m->n_users > 0 ? m->n_users : 1), sizeof(double));
    s->ib = mfr__calloc((size_t)(m->n_items > 0 ? m->n_items : 1), sizeof(double));
    if (!s->e || !s->w || !s->V || !s->mu_v || !s->lam_v || !s->ub || !s->ib)
        return mfr__nomem(err, "bfm state");
    mfr__fill_normal(s->V, (int64_t)F * (int64_t)k, p->init_std, p->seed, 0xbf3);
    for (size_t j = 0; j < (size_t)G_COUNT * k; j++) s->lam_v[j] = 1.f;
    for (int g = 0; g < G_COUNT; g++) s->mu_w[g] = 0.f, s->lam_w[g] = 1.f;
    s->w0 = m->mu;
    s->alpha = 1.f;
    return MFR_OK;
}

/* ---- entry points -------------------------------------------------------- */

static mfr_status bfm_fit(mfr_model *m, const mfr__fit_ctx *ctx, mfr_error *err) {
    const mfr_train_params *p = ctx->p;
    mfr_status st = mfr__check_fit(m, ctx, "bfm", err);
    if (st) return st;
    if ((int64_t)p->factors * p->samples > 65536) /* (the params check holds samples >= 1) */
        return mfr__err(err, MFR_E_INVALID, "bfm: need factors*samples <= 65536 (got factors %d, "
                        "samples %d)", p->factors, p->samples);
    if ((st = mfr__model_alloc_factors(m, p->factors * p->samples, err))) return st;
    bfm_state s = {0};
    if ((st = state_init(&s, m, ctx, err)) || (st = time_section_init(&s, m, err))) {
        state_free(&s);
        return st;
    }
    const int32_t total = p->burnin + p->samples;
    double t0 = mfr__now();
    for (int32_t sw = 1; sw <= total && !st; sw++) {
        double sse = bfm_sweep(&s, p->seed, sw);
        if (sw > p->burnin) collect(m, &s, sw - p->burnin - 1, p->samples);
        m->epochs_run = sw;
        if ((st = mfr__report_epoch(ctx, "bfm", sw, total, sqrt(sse / (double)s.N), NAN, t0,
                                    err)))
            finish(m, &s, sw - p->burnin, p->samples);
    }
    if (!st) finish(m, &s, p->samples, p->samples);
    if (s.tsec && (!st || st == MFR_E_CANCELLED)) {
        mfr_status at = mfr__model_add_extra(m, T_BFMT, s.tsec, time_section_size(m->n_users, s.b[B_CTX].n_ent, m->k), err);
        s.tsec = NULL; /* the model's (freed by it on failure) */
        if (!at) at = bfm_attach(m, err);
        if (at) st = at;
    }
    state_free(&s);
    return st;
}

const mfr__algo mfr__algo_bfm = {
    .id = MFR_ALGO_BFM,
    .fit = bfm_fit,
    .predict_at = bfm_predict_at,
    .attach = bfm_attach,
    .release = mfr__model_release_state,
    .defaults = bfm_defaults,
};
