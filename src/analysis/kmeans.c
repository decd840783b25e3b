/* kmeans.c — k-means with k-means++ seeding on a row-major float matrix, and
 * the model-level clustering of movie factors (mfrec/analysis.h).
 *
 * Data: X[n*d] row-major floats (point j at X + j*d), centroids[k*d] the same
 * way, assign[n] int32 cluster numbers. Distances and sums accumulate in
 * double. Seeding (Arthur & Vassilvitskii 2007): the first centre is a uniform
 * point, each next one is drawn with probability D(x)² / Σ D² where D is the
 * distance to the nearest centre chosen so far. Lloyd iterations then
 * alternate assignment (parallel over points, no shared writes) and centroid
 * update (sequential, fixed order) — so a given seed always gives the same
 * clustering whatever the thread count. An empty cluster is re-seeded with the
 * point farthest from its centre. */
#include "analysis_impl.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static double sqdist(const float *a, const float *b, int32_t d) {
    double s = 0.0;
    for (int32_t f = 0; f < d; f++) {
        double t = (double)a[f] - b[f];
        s += t * t;
    }
    return s;
}

/* k-means++: centres chosen by D² sampling; d2[n] is scratch. */
static void seed_plusplus(const float *X, int32_t n, int32_t d, int32_t k,
                          mfr__rng *rng, float *C, double *d2) {
    int32_t first = (int32_t)mfr__rng_below(rng, (uint64_t)n);
    memcpy(C, X + (size_t)first * d, sizeof(float) * (size_t)d);
    for (int32_t j = 0; j < n; j++) d2[j] = sqdist(X + (size_t)j * d, C, d);
    for (int32_t c = 1; c < k; c++) {
        double total = 0.0;
        for (int32_t j = 0; j < n; j++) total += d2[j];
        int32_t pick = n - 1;
        if (total > 0.0) {
            double r = mfr__rng_uniform(rng) * total, acc = 0.0;
            for (int32_t j = 0; j < n; j++) {
                acc += d2[j];
                if (acc > r && d2[j] > 0.0) { pick = j; break; }
            }
        } else {
            pick = (int32_t)mfr__rng_below(rng, (uint64_t)n);
        }
        float *cc = C + (size_t)c * d;
        memcpy(cc, X + (size_t)pick * d, sizeof(float) * (size_t)d);
        for (int32_t j = 0; j < n; j++) {
            double t = sqdist(X + (size_t)j * d, cc, d);
            if (t < d2[j]) d2[j] = t;
        }
    }
}

/* Assign each point to its nearest centre; returns how many changed. */
static int64_t assign_step(const float *X, int32_t n, int32_t d, int32_t k,
                           const float *C, int32_t *assign, double *d2) {
    int64_t changed = 0;
#pragma omp parallel for schedule(static) reduction(+ : changed)
    for (int32_t j = 0; j < n; j++) {
        const float *x = X + (size_t)j * d;
        double best = DBL_MAX;
        int32_t bc = 0;
        for (int32_t c = 0; c < k; c++) {
            double t = sqdist(x, C + (size_t)c * d, d);
            if (t < best) { best = t; bc = c; }
        }
        if (assign[j] != bc) changed++;
        assign[j] = bc;
        d2[j] = best;
    }
    return changed;
}

/* Recompute centres as means; empty clusters take the farthest point. */
static void update_step(const float *X, int32_t n, int32_t d, int32_t k,
                        float *C, int32_t *assign, double *d2, double *sum,
                        int32_t *cnt) {
    memset(sum, 0, sizeof(double) * (size_t)k * d);
    memset(cnt, 0, sizeof(int32_t) * (size_t)k);
    for (int32_t j = 0; j < n; j++) {
        double *s = sum + (size_t)assign[j] * d;
        const float *x = X + (size_t)j * d;
        for (int32_t f = 0; f < d; f++) s[f] += x[f];
        cnt[assign[j]]++;
    }
    for (int32_t c = 0; c < k; c++) {
        float *cc = C + (size_t)c * d;
        if (cnt[c] > 0) {
            for (int32_t f = 0; f < d; f++) cc[f] = (float)(sum[(size_t)c * d + f] / cnt[c]);
            continue;
        }
        int32_t far = 0;
        for (int32_t j = 1; j < n; j++)
            if (d2[j] > d2[far]) far = j;
        memcpy(cc, X + (size_t)far * d, sizeof(float) * (size_t)d);
        d2[far] = 0.0;
        assign[far] = c;
    }
}

mfr_status mfr_kmeans(const float *X, int32_t n, int32_t d, int32_t k,
                      uint64_t seed, int32_t max_iter, int32_t *assign,
                      float *centroids, double *inertia, mfr_error *err) {
    if (!X || !assign || !centroids)
        return mfr__err(err, MFR_E_INVALID, "kmeans: NULL array");
    if (d < 1 || k < 1 || n < k)
        return mfr__err(err, MFR_E_INVALID,
                        "kmeans: need 1 <= k <= n and d >= 1 (k=%d, n=%d, d=%d)",
                        (int)k, (int)n, (int)d);
    if (max_iter <= 0) max_iter = 100;
    double *d2 = mfr__malloc(sizeof(double) * (size_t)n);
    double *sum = mfr__malloc(sizeof(double) * (size_t)k * d);
    int32_t *cnt = mfr__malloc(sizeof(int32_t) * (size_t)k);
    if (!d2 || !sum || !cnt) {
        mfr__free(d2), mfr__free(sum), mfr__free(cnt);
        return mfr__nomem(err, "k-means scratch");
    }
    mfr__rng rng;
    mfr__rng_seed(&rng, seed);
    seed_plusplus(X, n, d, k, &rng, centroids, d2);
    for (int32_t j = 0; j < n; j++) assign[j] = -1;
    for (int32_t it = 0; it < max_iter; it++) {
        int64_t changed = assign_step(X, n, d, k, centroids, assign, d2);
        if (changed == 0 && it > 0) break;
        update_step(X, n, d, k, centroids, assign, d2, sum, cnt);
    }
    assign_step(X, n, d, k, centroids, assign, d2);
    if (inertia) {
        double s = 0.0;
        for (int32_t j = 0; j < n; j++) s += d2[j];
        *inertia = s;
    }
    mfr__free(d2), mfr__free(sum), mfr__free(cnt);
    return MFR_OK;
}

/* ---- on a model -------------------------------------------------------- */

mfr_cluster_params mfr_cluster_params_default(void) {
    return (mfr_cluster_params){.k = 20, .seed = 42, .max_iter = 100, .min_ratings = 10};
}

void mfr_clustering_free(mfr_clustering *c) {
    if (!c) return;
    mfr__free(c->items), mfr__free(c->assign), mfr__free(c->dist);
    mfr__free(c->centroids), mfr__free(c->size);
    mfr__free(c);
}

/* Gather the factor rows of the movies with >= min_ratings; the caller frees
 * *items and *X. Shared with pca.c. */
mfr_status mfr__gather_item_factors(const mfr_model *m, int32_t min_ratings,
                                    int32_t **items, float **X, int32_t *n,
                                    mfr_error *err) {
    *items = NULL, *X = NULL, *n = 0;
    if (!m || !m->Q || m->k < 1)
        return mfr__err(err, MFR_E_UNSUPPORTED,
                        "this model (%s) has no movie factors to analyse",
                        m ? mfr_algo_name(m->algo) : "NULL");
    int32_t cnt = 0, k = m->k;
    for (int32_t i = 0; i < m->n_items; i++)
        if (!m->item_count || m->item_count[i] >= min_ratings) cnt++;
    *items = mfr__malloc(sizeof(int32_t) * (size_t)(cnt ? cnt : 1));
    *X = mfr__malloc(sizeof(float) * (size_t)(cnt ? cnt : 1) * k);
    if (!*items || !*X) {
        mfr__free(*items), mfr__free(*X);
        *items = NULL, *X = NULL;
        return mfr__nomem(err, "movie factor copy");
    }
    int32_t j = 0;
    for (int32_t i = 0; i < m->n_items; i++) {
        if (m->item_count && m->item_count[i] < min_ratings) continue;
        (*items)[j] = i;
        memcpy(*X + (size_t)j * k, m->Q + (size_t)i * k, sizeof(float) * (size_t)k);
        j++;
    }
    *n = cnt;
    return MFR_OK;
}

static mfr_status clustering_alloc(mfr_clustering *c, int32_t n, int32_t k, int32_t d,
                                   mfr_error *err) {
    c->assign = mfr__malloc(sizeof(int32_t) * (size_t)n);
    c->dist = mfr__malloc(sizeof(float) * (size_t)n);
    c->centroids = mfr__malloc(sizeof(float) * (size_t)k * d);
    c->size = mfr__calloc((size_t)k, sizeof(int32_t));
    if (!c->assign || !c->dist || !c->centroids || !c->size)
        return mfr__nomem(err, "clustering");
    return MFR_OK;
}

mfr_status mfr_model_cluster(const mfr_model *m, const mfr_cluster_params *p,
                             mfr_clustering **out, mfr_error *err) {
    mfr_cluster_params dp = mfr_cluster_params_default();
    if (!p) p = &dp;
    *out = NULL;
    float *X = NULL;
    int32_t *items = NULL, n = 0;
    mfr_status s = mfr__gather_item_factors(m, p->min_ratings, &items, &X, &n, err);
    if (s) return s;
    mfr_clustering *c = NULL;
    if (p->k < 1 || n < p->k)
        s = mfr__err(err, MFR_E_INVALID, "cannot make %d clusters: %d movies have >= %d ratings",
                     (int)p->k, (int)n, (int)p->min_ratings);
    else if (!(c = mfr__calloc(1, sizeof *c)))
        s = mfr__nomem(err, "clustering");
    if (s) {
        mfr__free(items), mfr__free(X);
        return s;
    }
    c->k = p->k, c->d = m->k, c->n = n, c->items = items;
    s = clustering_alloc(c, n, p->k, m->k, err);
    if (!s)
        s = mfr_kmeans(X, n, m->k, p->k, p->seed, p->max_iter, c->assign,
                       c->centroids, &c->inertia, err);
    if (s) {
        mfr__free(X);
        mfr_clustering_free(c);
        return s;
    }
    for (int32_t j = 0; j < n; j++) {
        c->size[c->assign[j]]++;
        c->dist[j] = (float)sqrt(sqdist(X + (size_t)j * m->k,
                                        c->centroids + (size_t)c->assign[j] * m->k, m->k));
    }
    mfr__free(X);
    *out = c;
    return MFR_OK;
}

int32_t mfr_clustering_of(const mfr_clustering *c, int32_t item) {
    int64_t at = mfr__find_sorted(c->items, c->n, item); /* items ascending */
    return at < 0 ? -1 : c->assign[at];
}

static int cmp_float(const void *x, const void *y) {
    float a = *(const float *)x, b = *(const float *)y;
    return (a > b) - (a < b);
}

/* Median distance to the centroid among cluster c's members; -1 if empty. */
static float median_dist(const mfr_clustering *c, int32_t cluster) {
    int32_t n = c->size[cluster], got = 0;
    if (n <= 0) return -1.f;
    float *d = mfr__malloc(sizeof(float) * (size_t)n);
    if (!d) return INFINITY;
    for (int32_t j = 0; j < c->n && got < n; j++)
        if (c->assign[j] == cluster) d[got++] = c->dist[j];
    qsort(d, (size_t)got, sizeof *d, cmp_float);
    float med = d[(got - 1) / 2];
    mfr__free(d);
    return med;
}

/* 1 when movie a (count ca, distance da) ranks before b. */
static int typical_before(int32_t ca, float da, int32_t ia, int32_t cb, float db, int32_t ib) {
    if (ca != cb) return ca > cb;
    if (da != db) return da < db;
    return ia < ib;
}

int32_t mfr_clustering_typical(const mfr_model *m, const mfr_clustering *c,
                               int32_t cluster, int32_t n, int32_t *out) {
    if (cluster < 0 || cluster >= c->k || n <= 0) return 0;
    float med = median_dist(c, cluster);
    int32_t got = 0;
    float *od = mfr__malloc(sizeof(float) * (size_t)n);
    if (!od || med < 0) {
        mfr__free(od);
        return 0;
    }
    for (int32_t j = 0; j < c->n; j++) {
        if (c->assign[j] != cluster || c->dist[j] > med) continue;
        int32_t i = c->items[j], ci = m->item_count ? m->item_count[i] : 0, pos;
        float d = c->dist[j];
        if (got < n) {
            pos = got++;
        } else {
            int32_t l = out[n - 1];
            if (!typical_before(ci, d, i, m->item_count ? m->item_count[l] : 0, od[n - 1], l)) continue;
            pos = n - 1;
        }
        while (pos > 0 && typical_before(ci, d, i, m->item_count ? m->item_count[out[pos - 1]] : 0,
                                         od[pos - 1], out[pos - 1])) {
            out[pos] = out[pos - 1], od[pos] = od[pos - 1];
            pos--;
        }
        out[pos] = i, od[pos] = d;
    }
    mfr__free(od);
    return got;
}

/* Count genre occurrences of one cluster into a small table. */
typedef struct genre_count { const char *s; int32_t len, n; } genre_count;

static void count_genres(const char *g, genre_count *t, int32_t *nt, int32_t cap) {
    while (*g) {
        const char *e = strchr(g, '|');
        int32_t len = e ? (int32_t)(e - g) : (int32_t)strlen(g);
        if (len > 0 && strncmp(g, "(no genres listed)", (size_t)len) != 0) {
            int32_t j = 0;
            while (j < *nt && !(t[j].len == len && !strncmp(t[j].s, g, (size_t)len))) j++;
            if (j == *nt && *nt < cap) t[(*nt)++] = (genre_count){g, len, 0};
            if (j < *nt) t[j].n++;
        }
        if (!e) break;
        g = e + 1;
    }
}

int32_t mfr_clustering_genres(const mfr_model *m, const mfr_clustering *c,
                              int32_t cluster, int32_t n, const char **names,
                              int32_t *len, float *share) {
    if (cluster < 0 || cluster >= c->k || n <= 0 || !m->cat.strings || !m->cat.genres_off) return 0;
    genre_count t[64];
    int32_t nt = 0;
    for (int32_t j = 0; j < c->n; j++)
        if (c->assign[j] == cluster)
            count_genres(mfr_model_item_genres(m, c->items[j]), t, &nt, 64);
    int32_t got = 0;
    for (; got < n && got < nt; got++) {
        int32_t b = got;
        for (int32_t j = got + 1; j < nt; j++)
            if (t[j].n > t[b].n) b = j;
        genre_count tmp = t[got];
        t[got] = t[b], t[b] = tmp;
        names[got] = t[got].s, len[got] = t[got].len;
        share[got] = c->size[cluster] ? (float)t[got].n / (float)c->size[cluster] : 0.f;
    }
    return got;
}
