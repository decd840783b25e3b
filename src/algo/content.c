/* content.c — content-based filtering on genres and tags (TF-IDF).
 *
 * Each movie i gets a sparse vector v_i over a vocabulary of terms: one per
 * genre ("g:comedy") and one per tag ("t:dark comedy", tags.csv text
 * lowercased, accents folded, whitespace trimmed). Weights are
 *   w_it = tf_it · idf_t,  tf = 1 + ln(count) (count = users who applied the
 *   tag; 1 for a genre),  idf_t = ln(N / df_t)
 * with N the number of movies that have any term and df_t those having t
 * (Salton & Buckley, "Term-weighting approaches in automatic text
 * retrieval", 1988), then v_i is scaled to unit L2 norm.
 *
 * A user's profile is p_u = Σ_{i∈R(u)} (r_ui − b_ui) v_i, the residuals
 * against the ALS baseline b_ui = μ + b_u + b_i (reg 15/10, 10 rounds), stored
 * at unit norm. Prediction:
 *   r̂_ui = b_ui + α · cos(p_u, v_i)
 * with α fitted by least squares on the training ratings, α = Σ c e / Σ c²,
 * where c is the leave-one-out cosine (the profile without rating (u,i)
 * itself, computed exactly from p_u·v_i, |p_u| and e_ui) so that α does not
 * learn from each rating's own echo. Similar movies: cos(v_i, v_j), which
 * needs no rating, so a movie nobody rated yet still has neighbours.
 *
 * A user who is not in the model gets a profile built the same way from
 * their ratings (mfr__content_fold_cos; content_rank_user orders their list).
 *
 * Extra sections (offsets only, rebuilt by attach):
 *   CNTH  content_header
 *   CNIP  int64 [n_items+1]  CNIT int32 terms  CNIW float weights  (movies)
 *   CNUP  int64 [n_users+1]  CNUT int32 terms  CNUW float weights  (profiles)
 * terms sorted ascending within each row. The same sections serve the
 * hybrid family (hybrid.c), which calls the mfr__content_* helpers. */
#include "content.h"
#include "baseline.h"
#include "../core/binfile.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TAG_CH MFR_TAG('C', 'N', 'T', 'H')
#define TAG_CIP MFR_TAG('C', 'N', 'I', 'P')
#define TAG_CIT MFR_TAG('C', 'N', 'I', 'T')
#define TAG_CIW MFR_TAG('C', 'N', 'I', 'W')
#define TAG_CUP MFR_TAG('C', 'N', 'U', 'P')
#define TAG_CUT MFR_TAG('C', 'N', 'U', 'T')
#define TAG_CUW MFR_TAG('C', 'N', 'U', 'W')

/* ---- vocabulary: string -> term id (open addressing, FNV-1a) ------------- */

typedef struct vocab {
    int32_t *slot;      /* [cap], -1 empty, else term id */
    uint64_t cap;
    char **str;         /* [n] owned copies */
    int32_t n, n_cap;
} vocab;

static uint64_t fnv(const char *s) {
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static void vocab_free(vocab *v) {
    for (int32_t j = 0; j < v->n; j++) mfr__free(v->str[j]);
    mfr__free(v->str), mfr__free(v->slot);
    memset(v, 0, sizeof *v);
}

static int vocab_grow(vocab *v) {
    uint64_t cap = v->cap ? v->cap * 2 : 1024;
    int32_t *slot = mfr__malloc(sizeof *slot * cap);
    char **str = mfr__realloc(v->str, sizeof *str * (size_t)(cap / 2));
    if (!slot || !str) {
        mfr__free(slot);
        if (str) v->str = str;
        return -1;
    }
    v->str = str;
    for (uint64_t j = 0; j < cap; j++) slot[j] = -1;
    for (int32_t t = 0; t < v->n; t++) {
        uint64_t h = fnv(v->str[t]) & (cap - 1);
        while (slot[h] >= 0) h = (h + 1) & (cap - 1);
        slot[h] = t;
    }
    mfr__free(v->slot);
    v->slot = slot, v->cap = cap;
    return 0;
}

/* Id of s, added when absent; -1 on no memory. */
static int32_t vocab_id(vocab *v, const char *s) {
    if ((uint64_t)(v->n + 1) * 2 > v->cap && vocab_grow(v)) return -1;
    uint64_t h = fnv(s) & (v->cap - 1);
    while (v->slot[h] >= 0) {
        if (!strcmp(v->str[v->slot[h]], s)) return v->slot[h];
        h = (h + 1) & (v->cap - 1);
    }
    char *c = mfr__strdup(s);
    if (!c) return -1;
    v->str[v->n] = c;
    v->slot[h] = v->n;
    return v->n++;
}

/* ---- building the movie vectors ---------------------------------------- */

typedef struct triple { int32_t item, term; } triple;

typedef struct triples { triple *a; int64_t n, cap; } triples;

static int triples_add(triples *t, int32_t item, int32_t term) {
    if (t->n == t->cap) {
        int64_t cap = t->cap ? t->cap * 2 : 4096;
        triple *a = mfr__realloc(t->a, sizeof *a * (size_t)cap);
        if (!a) return -1;
        t->a = a, t->cap = cap;
    }
    t->a[t->n++] = (triple){item, term};
    return 0;
}

/* "prefix" + folded, trimmed text into out; returns 0 for an empty term. */
static int make_term(const char *prefix, const char *s, size_t len, char *out, size_t cap) {
    while (len && isspace((unsigned char)*s)) s++, len--;
    while (len && isspace((unsigned char)s[len - 1])) len--;
    if (!len) return 0;
    char raw[256];
    if (len >= sizeof raw) len = sizeof raw - 1;
    memcpy(raw, s, len);
    raw[len] = '\0';
    size_t pl = strlen(prefix);
    memcpy(out, prefix, pl);
    mfr__text_fold(raw, out + pl, cap - pl);
    return 1;
}

static int add_genres(const mfr_model *m, vocab *v, triples *t) {
    char term[300];
    for (int32_t i = 0; i < m->n_items; i++) {
        const char *g = mfr_model_item_genres(m, i);
        while (*g) {
            const char *e = strchr(g, '|');
            size_t len = e ? (size_t)(e - g) : strlen(g);
            if (make_term("g:", g, len, term, sizeof term) && strcmp(term, "g:(no genres listed)")) {
                int32_t id = vocab_id(v, term);
                if (id < 0 || triples_add(t, i, id)) return -1;
            }
            if (!e) break;
            g = e + 1;
        }
    }
    return 0;
}

static int add_tags(const mfr_dataset *ds, int32_t n_items, vocab *v, triples *t) {
    char term[300];
    int64_t nt = ds ? mfr_dataset_n_tags(ds) : 0;
    for (int64_t x = 0; x < nt; x++) {
        int32_t item, user;
        const char *text;
        mfr_dataset_tag(ds, x, &item, &user, &text);
        if (item < 0 || item >= n_items || !make_term("t:", text, strlen(text), term, sizeof term))
            continue;
        int32_t id = vocab_id(v, term);
        if (id < 0 || triples_add(t, item, id)) return -1;
    }
    return 0;
}

static int cmp_triple(const void *x, const void *y) {
    const triple *a = x, *b = y;
    if (a->item != b->item) return (a->item > b->item) - (a->item < b->item);
    return (a->term > b->term) - (a->term < b->term);
}

/* Sections to fill, as plain arrays. */
typedef struct sparse_rows { int64_t *ptr; int32_t *term; float *w; } sparse_rows;

static mfr_status add_sec(mfr_model *m, uint32_t tag, size_t bytes, void **out, mfr_error *err) {
    return mfr__model_new_extra(m, tag, bytes, out, "content model section", err);
}

static mfr_status alloc_rows(mfr_model *m, uint32_t tp, uint32_t tt, uint32_t tw, int32_t rows,
                             int64_t nnz, sparse_rows *r, mfr_error *err) {
    mfr_status s = add_sec(m, tp, sizeof(int64_t) * ((size_t)rows + 1), (void **)&r->ptr, err);
    if (!s) s = add_sec(m, tt, sizeof(int32_t) * (size_t)nnz, (void **)&r->term, err);
    if (!s) s = add_sec(m, tw, sizeof(float) * (size_t)nnz, (void **)&r->w, err);
    return s;
}

/* TF-IDF rows from the sorted triples (duplicates = counts). */
static mfr_status movie_rows(mfr_model *m, const triples *t, int32_t n_terms, int64_t *nnz_out,
                             mfr_error *err) {
    int64_t nnz = 0;
    for (int64_t j = 0; j < t->n; j++)
        if (j == 0 || t->a[j].item != t->a[j - 1].item || t->a[j].term != t->a[j - 1].term) nnz++;
    sparse_rows r;
    mfr_status s = alloc_rows(m, TAG_CIP, TAG_CIT, TAG_CIW, m->n_items, nnz, &r, err);
    int32_t *df = s ? NULL : mfr__calloc((size_t)n_terms + 1, sizeof *df);
    if (s || !df) return s ? s : mfr__nomem(err, "document frequencies");
    int64_t o = 0, j = 0, docs = 0;
    while (j < t->n) {
        int64_t e = j;
        while (e < t->n && t->a[e].item == t->a[j].item && t->a[e].term == t->a[j].term) e++;
        r.term[o] = t->a[j].term, r.w[o] = 1.f + logf((float)(e - j));
        df[t->a[j].term]++;
        r.ptr[t->a[j].item + 1]++;
        o++, j = e;
    }
    for (int32_t i = 0; i < m->n_items; i++) {
        docs += r.ptr[i + 1] > 0;
        r.ptr[i + 1] += r.ptr[i];
    }
    for (int32_t i = 0; i < m->n_items; i++) {
        double norm = 0.0;
        for (int64_t p = r.ptr[i]; p < r.ptr[i + 1]; p++) {
            r.w[p] *= (float)log((double)docs / df[r.term[p]]);
            norm += (double)r.w[p] * r.w[p];
        }
        norm = norm > 0 ? 1.0 / sqrt(norm) : 0.0;
        for (int64_t p = r.ptr[i]; p < r.ptr[i + 1]; p++) r.w[p] = (float)(r.w[p] * norm);
    }
    mfr__free(df);
    *nnz_out = nnz;
    return MFR_OK;
}

/* Movie vectors from genres and tags; *n_terms set. */
static mfr_status build_movies(mfr_model *m, const mfr_dataset *ds, int32_t *n_terms,
                               int64_t *nnz, mfr_error *err) {
    vocab v = {0};
    triples t = {0};
    mfr_status s = MFR_OK;
    if (add_genres(m, &v, &t) || add_tags(ds, m->n_items, &v, &t))
        s = mfr__nomem(err, "content vocabulary");
    if (!s) {
        qsort(t.a, (size_t)t.n, sizeof *t.a, cmp_triple);
        *n_terms = v.n;
        s = movie_rows(m, &t, v.n, nnz, err);
    }
    mfr__free(t.a);
    vocab_free(&v);
    return s;
}

/* ---- the view used for prediction --------------------------------------- */

static mfr_status view_rows(const mfr_model *m, uint32_t tp, uint32_t tt, uint32_t tw, int32_t rows,
                            int32_t n_terms, const int64_t **ptr, const int32_t **term,
                            const float **w, mfr_error *err) {
    uint64_t sp, st, sw;
    *ptr = mfr__model_get_extra(m, tp, &sp);
    *term = mfr__model_get_extra(m, tt, &st);
    *w = mfr__model_get_extra(m, tw, &sw);
    if (!*ptr || sp != sizeof(int64_t) * ((uint64_t)rows + 1))
        return mfr__err(err, MFR_E_FORMAT, "content model: bad row index section");
    int64_t nnz = (*ptr)[rows], bad; /* sizes compared without overflow (binfile.h) */
    if (!mfr__bytes_are(st, nnz, sizeof(int32_t)) || !mfr__bytes_are(sw, nnz, sizeof(float)))
        return mfr__err(err, MFR_E_FORMAT, "content model: term sections do not match the index");
    if (mfr__csr_check(*ptr, rows, nnz, NULL, 0, -1, &bad))
        return mfr__err(err, MFR_E_FORMAT, "content model: row %lld out of order", (long long)bad);
    if ((bad = mfr__first_out_of_range(*term, nnz, 0, n_terms)) >= 0)
        return mfr__err(err, MFR_E_FORMAT, "content model: term %lld out of range", (long long)bad);
    return MFR_OK;
}

mfr_status mfr__content_view_get(const mfr_model *m, mfr__content_view *v, mfr_error *err) {
    uint64_t sh;
    const mfr__content_header *h = mfr__model_get_extra(m, TAG_CH, &sh);
    if (!h || sh != sizeof *h || h->n_items != m->n_items || h->n_users != m->n_users)
        return mfr__err(err, MFR_E_FORMAT, "content model: missing or bad CNTH section");
    v->h = h;
    mfr_status s = view_rows(m, TAG_CIP, TAG_CIT, TAG_CIW, m->n_items, h->n_terms, &v->iptr,
                             &v->iterm, &v->iw, err);
    /* Every vocabulary term comes from some movie's genres or tags, so the
     * movie rows hold each at least once: a larger count is a crafted file
     * (it would size every new user's term buffer). */
    if (!s && (h->n_terms < 0 || h->n_terms > v->iptr[m->n_items]))
        return mfr__err(err, MFR_E_FORMAT, "content model: %d terms but %lld in the movie rows",
                        h->n_terms, (long long)v->iptr[m->n_items]);
    if (!s)
        s = view_rows(m, TAG_CUP, TAG_CUT, TAG_CUW, m->n_users, h->n_terms, &v->uptr, &v->uterm,
                      &v->uw, err);
    return s;
}

/* Dot product of two term-sorted sparse rows. */
static double sparse_dot(const int32_t *ta, const float *wa, int64_t na, const int32_t *tb,
                         const float *wb, int64_t nb) {
    double d = 0.0;
    int64_t p = 0, q = 0;
    while (p < na && q < nb) {
        if (ta[p] < tb[q]) p++;
        else if (ta[p] > tb[q]) q++;
        else d += (double)wa[p++] * wb[q++];
    }
    return d;
}

float mfr__content_cos(const mfr__content_view *v, int32_t u, int32_t i) {
    int64_t a = v->uptr[u], b = v->iptr[i];
    return (float)sparse_dot(v->uterm + a, v->uw + a, v->uptr[u + 1] - a, v->iterm + b, v->iw + b,
                             v->iptr[i + 1] - b);
}

int mfr__content_fold_cos(const mfr_model *m, const mfr__content_view *v, const mfr__who *w,
                          float bu, const float *bi, float *cos) {
    int32_t nt = v->h->n_terms;
    double *acc = mfr__calloc((size_t)nt + 1, sizeof *acc);
    if (!acc) return -1;
    for (int32_t j = 0; j < w->n; j++) {
        float r = mfr__who_rating(m, w, j);
        if (isnan(r)) continue;
        int32_t i = w->items[j];
        double e = r - (m->mu + bu + (bi ? bi[i] : 0.f));
        for (int64_t q = v->iptr[i]; q < v->iptr[i + 1]; q++) acc[v->iterm[q]] += e * v->iw[q];
    }
    double n2 = 0.0;
    for (int32_t t = 0; t < nt; t++) n2 += acc[t] * acc[t];
    if (!(n2 > 0.0)) {
        mfr__free(acc);
        return 1;
    }
    double inv = 1.0 / sqrt(n2);
    for (int32_t i = 0; i < m->n_items; i++) {
        double d = 0.0;
        for (int64_t q = v->iptr[i]; q < v->iptr[i + 1]; q++) d += acc[v->iterm[q]] * v->iw[q];
        cos[i] = (float)(d * inv);
    }
    mfr__free(acc);
    return 0;
}

/* ---- user profiles and α ------------------------------------------------ */

/* Raw profile of user u in dense acc[] (touched terms listed); returns its
 * squared norm. */
static double raw_profile(const mfr__content_view *v, const mfr__csr *byu, int32_t u,
                          const float *bu, const float *bi, float mu, double *acc,
                          int32_t *touched, int32_t *nt, char *seen) {
    *nt = 0;
    for (int64_t p = byu->ptr[u]; p < byu->ptr[u + 1]; p++) {
        int32_t i = byu->idx[p];
        double e = byu->val[p] - (mu + bu[u] + bi[i]);
        for (int64_t q = v->iptr[i]; q < v->iptr[i + 1]; q++) {
            int32_t t = v->iterm[q];
            if (!seen[t]) seen[t] = 1, touched[(*nt)++] = t;
            acc[t] += e * v->iw[q];
        }
    }
    double n2 = 0.0;
    for (int32_t j = 0; j < *nt; j++) n2 += acc[touched[j]] * acc[touched[j]];
    return n2;
}

/* Leave-one-out sums Σ c·e and Σ c² over user u's ratings. */
static void loo_sums(const mfr__content_view *v, const mfr__csr *byu, int32_t u, const float *bu,
                     const float *bi, float mu, const double *acc, double n2, double *ce,
                     double *cc) {
    *ce = 0.0, *cc = 0.0;
    for (int64_t p = byu->ptr[u]; p < byu->ptr[u + 1]; p++) {
        int32_t i = byu->idx[p];
        if (v->iptr[i + 1] == v->iptr[i]) continue;
        double e = byu->val[p] - (mu + bu[u] + bi[i]), d = 0.0;
        for (int64_t q = v->iptr[i]; q < v->iptr[i + 1]; q++) d += acc[v->iterm[q]] * v->iw[q];
        double n2l = n2 - 2.0 * e * d + e * e; /* |p − e v_i|², |v_i| = 1 */
        if (n2l <= 1e-12) continue;
        double c = (d - e) / sqrt(n2l);
        *ce += c * e, *cc += c * c;
    }
}

typedef struct prof_job {
    const mfr__content_view *v;
    const mfr__csr *byu;
    const float *bu, *bi;
    float mu;
    int32_t *cnt;            /* [n_users] terms per profile */
    int32_t **term;          /* [n_users] owned rows */
    float **w;
    double *ce, *cc;         /* [n_users] */
} prof_job;

static int one_profile(const prof_job *j, int32_t u, double *acc, int32_t *touched, char *seen) {
    int32_t nt;
    double n2 = raw_profile(j->v, j->byu, u, j->bu, j->bi, j->mu, acc, touched, &nt, seen);
    loo_sums(j->v, j->byu, u, j->bu, j->bi, j->mu, acc, n2, &j->ce[u], &j->cc[u]);
    qsort(touched, (size_t)nt, sizeof *touched, mfr__cmp_i32);
    double inv = n2 > 0 ? 1.0 / sqrt(n2) : 0.0;
    j->term[u] = mfr__malloc(sizeof(int32_t) * (size_t)(nt ? nt : 1));
    j->w[u] = mfr__malloc(sizeof(float) * (size_t)(nt ? nt : 1));
    int ok = j->term[u] && j->w[u];
    for (int32_t x = 0; x < nt; x++) {
        int32_t t = touched[x];
        if (ok) j->term[u][x] = t, j->w[u][x] = (float)(acc[t] * inv);
        acc[t] = 0.0, seen[t] = 0;
    }
    j->cnt[u] = ok ? nt : 0;
    return ok ? 0 : -1;
}

static mfr_status run_profiles(prof_job *j, int32_t n_users, int32_t n_terms, int threads,
                               mfr_error *err) {
    int failed = 0;
#pragma omp parallel num_threads(threads)
    {
        double *acc = mfr__calloc((size_t)n_terms + 1, sizeof *acc);
        int32_t *touched = mfr__malloc(sizeof(int32_t) * ((size_t)n_terms + 1));
        char *seen = mfr__calloc((size_t)n_terms + 1, 1);
        int fail = !acc || !touched || !seen;
#pragma omp for schedule(dynamic, 8)
        for (int32_t u = 0; u < n_users; u++)
            if (!fail && one_profile(j, u, acc, touched, seen)) fail = 1;
        if (fail) {
#pragma omp atomic write
            failed = 1;
        }
        mfr__free(acc), mfr__free(touched), mfr__free(seen);
    }
    return failed ? mfr__nomem(err, "user profiles") : MFR_OK;
}

/* Copy the per-user rows into the CNU* sections and fit α. */
static mfr_status store_profiles(mfr_model *m, prof_job *j, mfr__content_header *h,
                                 mfr_error *err) {
    int64_t nnz = 0;
    double ce = 0.0, cc = 0.0;
    for (int32_t u = 0; u < m->n_users; u++) nnz += j->cnt[u], ce += j->ce[u], cc += j->cc[u];
    sparse_rows r;
    mfr_status s = alloc_rows(m, TAG_CUP, TAG_CUT, TAG_CUW, m->n_users, nnz, &r, err);
    if (s) return s;
    r.ptr[0] = 0;
    for (int32_t u = 0; u < m->n_users; u++) {
        memcpy(r.term + r.ptr[u], j->term[u], sizeof(int32_t) * (size_t)j->cnt[u]);
        memcpy(r.w + r.ptr[u], j->w[u], sizeof(float) * (size_t)j->cnt[u]);
        r.ptr[u + 1] = r.ptr[u] + j->cnt[u];
    }
    h->alpha = cc > 0 ? (float)(ce / cc) : 0.f;
    h->nnz_users = nnz;
    return MFR_OK;
}

mfr_status mfr__content_build(mfr_model *m, const mfr__fit_ctx *ctx, const float *bu,
                              const float *bi, const mfr__csr *byu, mfr_error *err) {
    mfr__content_header *h = NULL;
    mfr_status s = add_sec(m, TAG_CH, sizeof *h, (void **)&h, err);
    if (s) return s;
    int32_t n_terms = 0;
    int64_t nnz = 0;
    if ((s = build_movies(m, ctx->ds, &n_terms, &nnz, err))) return s;
    *h = (mfr__content_header){m->n_items, m->n_users, n_terms, 0, nnz, 0, 0.f, {0}};
    /* profiles need the movie rows through a view; the user rows come next */
    mfr__content_view v = {h, NULL, NULL, NULL, NULL, NULL, NULL};
    uint64_t sz;
    v.iptr = mfr__model_get_extra(m, TAG_CIP, &sz);
    v.iterm = mfr__model_get_extra(m, TAG_CIT, &sz);
    v.iw = mfr__model_get_extra(m, TAG_CIW, &sz);
    size_t nu = (size_t)m->n_users + 1;
    prof_job j = {&v, byu, bu, bi, m->mu, mfr__calloc(nu, sizeof(int32_t)),
                  mfr__calloc(nu, sizeof(int32_t *)), mfr__calloc(nu, sizeof(float *)),
                  mfr__calloc(nu, sizeof(double)), mfr__calloc(nu, sizeof(double))};
    if (!j.cnt || !j.term || !j.w || !j.ce || !j.cc) s = mfr__nomem(err, "user profiles");
    if (!s) s = run_profiles(&j, m->n_users, n_terms, ctx->threads, err);
    if (!s) s = store_profiles(m, &j, h, err);
    for (int32_t u = 0; j.term && j.w && u < m->n_users; u++) mfr__free(j.term[u]), mfr__free(j.w[u]);
    mfr__free(j.cnt), mfr__free(j.term), mfr__free(j.w), mfr__free(j.ce), mfr__free(j.cc);
    return s;
}

/* ---- the content family --------------------------------------------------- */

static mfr_status content_attach(mfr_model *m, mfr_error *err) {
    mfr__content_view v;
    mfr_status s = mfr__content_view_get(m, &v, err);
    if (s) return s;
    return mfr__model_set_state(m, &v, sizeof v, "content state", err);
}

static mfr_status content_fit(mfr_model *m, const mfr__fit_ctx *ctx, mfr_error *err) {
    mfr__csr byu = {0}, byi = {0};
    mfr_status s = mfr__model_alloc_factors(m, 0, err);
    if (!s) s = mfr__csr_build(ctx->train, 0, &byu, err);
    if (!s) s = mfr__csr_build(ctx->train, 1, &byi, err);
    if (!s) {
        mfr__baseline_fit(&byu, &byi, m->mu, &MFR__BASELINE_15, m->user_bias,
                          m->item_bias);
        s = mfr__content_build(m, ctx, m->user_bias, m->item_bias, &byu, err);
    }
    if (!s) s = content_attach(m, err);
    m->epochs_run = 1;
    mfr__csr_free(&byu);
    mfr__csr_free(&byi);
    return s;
}

static float content_predict(const mfr_model *m, int32_t u, int32_t i) {
    float base = mfr__predict_mf(m, u, i);
    const mfr__content_view *v = m->algo_state;
    if (!v || u < 0 || i < 0) return base;
    return base + v->h->alpha * mfr__content_cos(v, u, i);
}

/* A user who is not in the model (mfr__who u == -1), given by their ratings:
 * the profile p = Σ_j (r_j − μ − b_new − b_j) v_j as a trained user's
 * (b_new: one ALS user step, mfr__who_bias), and
 *   rank_i = μ + b_new + b_i + cos(p, v_i)
 * — the content prediction with the cosine at one star (α = 1) instead of
 * the fitted α (0.61 on ml-latest-small): a five-movie profile's cosines
 * then outweigh the spread of the item biases, and three personas of five
 * 5-star movies (horror/sci-fi, kids' animation, romantic comedy) get
 * disjoint top-10s of their own genres (9/10/10 of 10) where the fitted α
 * shares up to 4 of 10 blockbusters between them; on a holdout of
 * ml-latest-small (each user served from their training ratings) it costs
 * P@10 0.059 against 0.070 (docs/models-neighbourhood.md). Stars stay the
 * fallback μ + b_i. A trained user keeps the predicted order (rank = pred);
 * so does a profile that comes out zero (no terms, every residual 0). */
#define CONTENT_NEW_WEIGHT 1.0f

static void content_rank_user(const mfr_model *m, const mfr__who *w, const float *pred,
                              float *rank) {
    const mfr__content_view *v = m->algo_state;
    float bu = v && w->u < 0 ? mfr__who_bias(m, w, m->item_bias, 15.f) : 0.f;
    if (w->u >= 0 || !v || mfr__content_fold_cos(m, v, w, bu, m->item_bias, rank)) {
        if (rank != pred) memcpy(rank, pred, sizeof(float) * (size_t)m->n_items);
        return;
    }
    for (int32_t i = 0; i < m->n_items; i++)
        rank[i] = m->mu + bu + m->item_bias[i] + CONTENT_NEW_WEIGHT * rank[i];
}

/* cos(v_i, v_j) for every j into scores[n_items]; NaN where <= 0. */
static mfr_status content_similar(const mfr_model *m, int32_t i, mfr_sim metric, float *scores) {
    const mfr__content_view *v = m->algo_state;
    if (!v || i < 0 || i >= m->n_items) return MFR_E_UNSUPPORTED;
    int64_t a = v->iptr[i], na = v->iptr[i + 1] - a;
    for (int32_t j = 0; j < v->h->n_items; j++) {
        int64_t b = v->iptr[j];
        double d = na ? sparse_dot(v->iterm + a, v->iw + a, na, v->iterm + b, v->iw + b,
                                   v->iptr[j + 1] - b)
                      : 0.0;
        scores[j] = d > 0.0 ? (float)d : NAN;
    }
    return MFR_OK;
}

static void content_defaults(mfr_train_params *p) {
    p->factors = 0;
    p->epochs = 1;
}

const mfr__algo mfr__algo_content = {
    .id = MFR_ALGO_CONTENT,
    .fit = content_fit,
    .predict = content_predict,
    .rank_user = content_rank_user,
    .similar = content_similar,
    .attach = content_attach,
    .release = mfr__model_release_state,
    .defaults = content_defaults,
};
