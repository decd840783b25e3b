/* model.c — the model object: creation, the part every family shares (ids,
 * catalogue, per-item counts and means, seen lists, μ, scale), training
 * dispatch through the family vtable, lifetime and getters (prediction: score.c).
 *
 * Layout (see model_impl.h): factors row-major float, 64-byte aligned,
 * P[u*k + f], Q[i*k + f]; biases float[n]; the catalogue is one string pool
 * with per-item byte offsets; seen lists are CSR (seen_ptr[n_users + 1],
 * seen_item sorted within each user). A model built here owns every array
 * (map_base == NULL); a loaded one points into the file's block (mfm.c). */
#include "model_impl.h"
#include "ann.h"
#include "family.h"
#include "../data/dataset_impl.h"
#include "../core/binfile.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

mfr_model *mfr__model_new(mfr_algo algo) {
    mfr_model *m = mfr__calloc(1, sizeof *m);
    if (!m) return NULL;
    m->algo = algo;
    m->vt = mfr__algo_get(algo);
    m->params = mfr_train_params_default(algo);
    m->train_rmse = NAN;
    m->valid_rmse = NAN;
    m->rmin = 0.5f;
    m->rmax = 5.0f;
    return m;
}

/* Owned copy of n elements of size sz (n may be 0); NULL on no memory. */
static void *dup_array(const void *src, size_t n, size_t sz) {
    size_t bytes;
    if (mfr__mul_overflow(n, sz, &bytes)) return NULL;
    void *d = mfr__aligned_alloc(bytes);
    if (d && src && bytes) memcpy(d, src, bytes);
    return d;
}

typedef struct seen_pair {
    int32_t item;
    float rating;
} seen_pair;

/* By item, then rating: a total order, so the lists do not depend on
 * qsort's stability (a repeated item keeps its ratings in value order). */
static int cmp_pair(const void *a, const void *b) {
    const seen_pair *x = a, *y = b;
    if (x->item != y->item) return (x->item > y->item) - (x->item < y->item);
    return (x->rating > y->rating) - (x->rating < y->rating);
}

/* Build the id maps from user_ids / item_ids (used after train and load). */
mfr_status mfr__model_build_maps(mfr_model *m, mfr_error *err) {
    mfr_status st = mfr__idmap_from_ids(&m->user_map, m->user_ids, m->n_users, NULL, "user", err);
    return st ? st : mfr__idmap_from_ids(&m->item_map, m->item_ids, m->n_items, NULL, "movie", err);
}

/* Catalogue: an owned copy of ds's (pool, offsets, years, links), the pool NUL-ended. */
static mfr_status copy_catalogue(mfr_model *m, const mfr_dataset *ds, mfr_error *err) {
    size_t n = (size_t)m->n_items;
    const mfr__catalog *src = &ds->cat;
    mfr__catalog *c = &m->cat;
    c->strings_len = src->strings_len > 0 ? src->strings_len : 1;
    c->strings = dup_array(src->strings_len > 0 ? src->strings : NULL, (size_t)c->strings_len, 1);
    c->title_off = dup_array(src->title_off, n, sizeof *c->title_off);
    c->genres_off = dup_array(src->genres_off, n, sizeof *c->genres_off);
    c->year = dup_array(src->year, n, sizeof *c->year);
    c->links = src->links ? dup_array(src->links, 2 * n, sizeof *c->links) : NULL;
    if (!c->strings || !c->title_off || !c->genres_off || !c->year || (src->links && !c->links))
        return mfr__nomem(err, "model catalogue");
    c->strings[c->strings_len - 1] = '\0';
    return MFR_OK;
}

/* Seen lists (model_impl.h: mfr__seen_fill). */
int64_t *mfr__seen_ptr(const int64_t *user_count, int32_t n_users) {
    int64_t *ptr = dup_array(NULL, (size_t)n_users + 1, sizeof *ptr);
    for (int32_t u = 0; ptr && u < n_users; u++) ptr[u + 1] = ptr[u] + user_count[u];
    return ptr;
}

mfr_status mfr__seen_fill_begin(mfr__seen_fill *f, const int64_t *ptr, int32_t n_users, int32_t u0,
                                int32_t u1, int32_t *item, float *rating, mfr_error *err) {
    *f = (mfr__seen_fill){.ptr = ptr, .n_users = n_users, .u0 = u0, .u1 = u1, .item = item,
                          .rating = rating};
    f->next = dup_array(NULL, (size_t)(u1 - u0), sizeof *f->next);
    if (!f->next) return mfr__nomem(err, "model seen lists");
    for (int32_t u = u0; u < u1; u++) {
        f->next[u - u0] = ptr[u] - ptr[u0];
        if (ptr[u + 1] - ptr[u] > f->longest) f->longest = ptr[u + 1] - ptr[u];
    }
    return MFR_OK;
}

void mfr__seen_fill_add(mfr__seen_fill *f, const int32_t *user, const int32_t *item,
                        const float *rating, int64_t n) {
    const int64_t base = f->ptr[f->u0];
    for (int64_t j = 0; j < n; j++) {
        int32_t u = user[j];
        if (u < 0 || u >= f->n_users) {
            f->overflow = 1;
            continue;
        }
        if (u < f->u0 || u >= f->u1) continue; /* another band's */
        int64_t *d = &f->next[u - f->u0];
        if (*d >= f->ptr[u + 1] - base) {
            f->overflow = 1;
            continue;
        }
        f->item[*d] = item[j];
        f->rating[*d] = rating[j];
        (*d)++;
    }
}

mfr_status mfr__seen_fill_end(mfr__seen_fill *f, mfr_error *err) {
    const int64_t base = f->ptr[f->u0];
    int short_row = 0;
    for (int32_t u = f->u0; u < f->u1 && !f->overflow; u++)
        short_row |= f->next[u - f->u0] != f->ptr[u + 1] - base;
    mfr__free(f->next);
    f->next = NULL;
    if (f->overflow || short_row)
        return mfr__err(err, MFR_E_INVALID, "model seen lists: the ratings per user do not match "
                        "the counts they were sized by");
    int32_t *it = f->item;
    float *r = f->rating;
    seen_pair *row = NULL;
    for (int32_t u = f->u0; u < f->u1; u++) {
        int64_t lo = f->ptr[u] - base, hi = f->ptr[u + 1] - base, t = lo + 1;
        while (t < hi && (it[t - 1] < it[t] || (it[t - 1] == it[t] && !(r[t - 1] > r[t])))) t++;
        if (t >= hi) continue; /* in cmp_pair's order already */
        if (!row && !(row = mfr__malloc((size_t)f->longest * sizeof *row)))
            return mfr__nomem(err, "model seen lists");
        for (int64_t x = lo; x < hi; x++) row[x - lo] = (seen_pair){it[x], r[x]};
        qsort(row, (size_t)(hi - lo), sizeof *row, cmp_pair);
        for (int64_t x = lo; x < hi; x++) {
            it[x] = row[x - lo].item;
            r[x] = row[x - lo].rating;
        }
    }
    mfr__free(row);
    return MFR_OK;
}

/* The model's whole seen lists allocated from the ratings per user and a
 * fill of all its users begun into them. */
static mfr_status seen_begin(mfr_model *m, const int64_t *user_count, mfr__seen_fill *f,
                             mfr_error *err) {
    memset(f, 0, sizeof *f);
    m->seen_ptr = mfr__seen_ptr(user_count, m->n_users);
    if (!m->seen_ptr) return mfr__nomem(err, "model seen lists");
    size_t nnz = (size_t)m->seen_ptr[m->n_users];
    m->seen_item = dup_array(NULL, nnz, sizeof *m->seen_item);
    m->seen_rating = dup_array(NULL, nnz, sizeof *m->seen_rating);
    if (!m->seen_item || !m->seen_rating) return mfr__nomem(err, "model seen lists");
    return mfr__seen_fill_begin(f, m->seen_ptr, m->n_users, 0, m->n_users, m->seen_item,
                                m->seen_rating, err);
}

/* Item counts and means, μ and n_train from per-item counts and sums
 * (s[i], s[ni + i]) and their totals (s[2 ni], s[2 ni + 1]). */
static void stats_from_sums(mfr_model *m, const double *s) {
    size_t ni = (size_t)m->n_items;
    for (size_t i = 0; i < ni; i++) {
        m->item_count[i] = (int32_t)s[i];
        m->item_mean[i] = m->item_count[i] ? (float)(s[ni + i] / m->item_count[i]) : NAN;
    }
    m->n_train = (int64_t)s[2 * ni];
    m->mu = m->n_train ? (float)(s[2 * ni + 1] / (double)m->n_train) : 0.5f * (m->rmin + m->rmax);
}

/* The sums over tr's ratings whose user is u0..u1-1 (each rating once
 * over the ranks of a distributed run: the users' ranges partition them)
 * and over the share's user rows when it was read as rows, summed over the
 * ranks (share; NULL: one process), then the statistics. */
static mfr_status fill_stats(mfr_model *m, const mfr_ratings *tr, int32_t u0, int32_t u1,
                             const mfr__dist *share, mfr_error *err) {
    size_t ni = (size_t)m->n_items;
    double *s = mfr__calloc(2 * ni + 2, sizeof *s);
    m->item_count = dup_array(NULL, ni, sizeof *m->item_count);
    m->item_mean = dup_array(NULL, ni, sizeof *m->item_mean);
    if (!s || !m->item_count || !m->item_mean) {
        mfr__free(s);
        return mfr__nomem(err, "model item statistics");
    }
    for (int64_t j = 0; j < tr->n; j++) {
        if (tr->user[j] < u0 || tr->user[j] >= u1) continue;
        int32_t i = tr->item[j];
        s[i] += 1.0;
        s[ni + i] += tr->rating[j];
        s[2 * ni] += 1.0;
        s[2 * ni + 1] += tr->rating[j];
    }
    const mfr__csr *bu = share && share->rows ? &share->rows[0] : NULL; /* its users' rows */
    for (int64_t e = 0; bu && e < bu->nnz; e++) {
        int32_t i = bu->idx[e];
        s[i] += 1.0;
        s[ni + i] += bu->val[e];
        s[2 * ni] += 1.0;
        s[2 * ni + 1] += bu->val[e];
    }
    mfr_status st = share ? share->sum_d(share, s, (int64_t)(2 * ni + 2), err) : MFR_OK;
    if (!st) stats_from_sums(m, s);
    mfr__free(s);
    return st;
}

/* Item counts and means, μ and the seen CSR from the training ratings tr. */
static mfr_status fill_from_ratings(mfr_model *m, const mfr_ratings *tr, mfr_error *err) {
    mfr_status st = fill_stats(m, tr, 0, m->n_users, NULL, err);
    int64_t *cnt = st ? NULL : mfr__calloc((size_t)m->n_users + 1, sizeof *cnt);
    if (!st && !cnt) st = mfr__nomem(err, "model seen lists");
    for (int64_t j = 0; !st && j < tr->n; j++) cnt[tr->user[j]]++;
    mfr__seen_fill f;
    if (!st) st = seen_begin(m, cnt, &f, err);
    mfr__free(cnt);
    if (st) return st;
    mfr__seen_fill_add(&f, tr->user, tr->item, tr->rating, tr->n);
    return mfr__seen_fill_end(&f, err);
}

mfr_status mfr__model_fill_common(mfr_model *m, const mfr_dataset *ds, const mfr_ratings *train,
                                  const mfr__dist *share, mfr_error *err) {
    m->n_users = ds->n_users;
    m->n_items = ds->n_items;
    mfr_dataset_scale(ds, &m->rmin, &m->rmax);
    for (int64_t j = 0; j < train->n; j++) {
        if (train->user[j] < 0 || train->user[j] >= m->n_users || train->item[j] < 0 ||
            train->item[j] >= m->n_items)
            return mfr__err(err, MFR_E_INVALID,
                            "training rating %lld: user %d / item %d outside the dataset's %d users, %d items",
                            (long long)j, (int)train->user[j], (int)train->item[j],
                            (int)m->n_users, (int)m->n_items);
    }
    m->user_ids = dup_array(ds->user_ids, (size_t)m->n_users, sizeof *m->user_ids);
    m->item_ids = dup_array(ds->item_ids, (size_t)m->n_items, sizeof *m->item_ids);
    if (!m->user_ids || !m->item_ids) return mfr__nomem(err, "model ids");
    /* a rank's share: the id maps after the fit (train.c), not held through it */
    mfr_status st = share ? MFR_OK : mfr__model_build_maps(m, err);
    if (!st) st = copy_catalogue(m, ds, err);
    if (!st) st = mfr__model_top_tags(m, ds, err);
    if (share) /* a rank's share: the statistics summed over the ranks, no seen lists */
        return st ? st : fill_stats(m, train, share->user_lo[share->rank],
                                    share->user_lo[share->rank + 1], share, err);
    if (!st) st = fill_from_ratings(m, train, err);
    return st;
}

mfr_status mfr__model_alloc_factors(mfr_model *m, int32_t k, mfr_error *err) {
    size_t pu, qi;
    if (k < 0 || mfr__mul_overflow((size_t)m->n_users, (size_t)k * sizeof(float), &pu) ||
        mfr__mul_overflow((size_t)m->n_items, (size_t)k * sizeof(float), &qi))
        return mfr__err(err, MFR_E_INVALID, "factors: %d x (%d + %d) too large", (int)k,
                        (int)m->n_users, (int)m->n_items);
    if (!m->map_base) {
        mfr__free(m->P);
        mfr__free(m->Q);
        mfr__free(m->user_bias);
        mfr__free(m->item_bias);
    }
    m->k = k;
    m->P = k ? mfr__aligned_alloc(pu) : NULL;
    m->Q = k ? mfr__aligned_alloc(qi) : NULL;
    m->user_bias = mfr__aligned_alloc((size_t)m->n_users * sizeof(float));
    m->item_bias = mfr__aligned_alloc((size_t)m->n_items * sizeof(float));
    if ((k && (!m->P || !m->Q)) || !m->user_bias || !m->item_bias)
        return mfr__nomem(err, "model factors");
    return MFR_OK;
}

mfr_status mfr__model_add_extra(mfr_model *m, uint32_t tag, void *data, uint64_t size,
                                mfr_error *err) {
    for (int j = 0; j < m->n_extra; j++) {
        if (m->extra[j].tag != tag) continue;
        if (m->extra[j].owned) mfr__free(m->extra[j].data);
        m->extra[j] = (mfr__section){tag, size, data, 1};
        return MFR_OK;
    }
    if (m->n_extra >= MFR_MODEL_MAX_EXTRA) {
        mfr__free(data);
        return mfr__err(err, MFR_E_LIMIT, "model: more than %d extra sections", MFR_MODEL_MAX_EXTRA);
    }
    m->extra[m->n_extra++] = (mfr__section){tag, size, data, 1};
    return MFR_OK;
}

mfr_status mfr__model_new_extra(mfr_model *m, uint32_t tag, size_t bytes, void **out,
                                const char *what, mfr_error *err) {
    void *d = mfr__aligned_alloc(bytes ? bytes : 1);
    mfr_status s = d ? mfr__model_add_extra(m, tag, d, bytes, err) : mfr__nomem(err, what);
    *out = s ? NULL : d;
    return s;
}

void *mfr__model_get_extra(const mfr_model *m, uint32_t tag, uint64_t *size) {
    for (int j = 0; j < m->n_extra; j++) {
        if (m->extra[j].tag != tag) continue;
        if (size) *size = m->extra[j].size;
        return m->extra[j].data;
    }
    if (size) *size = 0;
    return NULL;
}

mfr_status mfr__model_prepare(mfr_model *m, mfr_error *err) {
    mfr__free(m->item_sq);
    mfr__free(m->item_sum);
    m->item_sq = m->item_sum = NULL;
    mfr__qindex_free(m->qindex);
    m->qindex = NULL;
    mfr__ann_free(m->ann); /* built from the old factors */
    m->ann = NULL;
    if (m->k <= 0 || !m->Q) return MFR_OK;
    m->item_sq = mfr__malloc((size_t)m->n_items * sizeof *m->item_sq + 1);
    m->item_sum = mfr__malloc((size_t)m->n_items * sizeof *m->item_sum + 1);
    if (!m->item_sq || !m->item_sum) return mfr__nomem(err, "item norms");
    for (int32_t i = 0; i < m->n_items; i++) {
        const float *q = m->Q + (size_t)i * m->k;
        double sq = 0.0, sum = 0.0;
        for (int32_t f = 0; f < m->k; f++) {
            sq += (double)q[f] * q[f];
            sum += q[f];
        }
        m->item_sq[i] = sq;
        m->item_sum[i] = sum;
    }
    return mfr__qindex_build(m, err);
}

mfr_status mfr__model_set_state(mfr_model *m, const void *v, size_t n, const char *what,
                                mfr_error *err) {
    void *s = mfr__malloc(n);
    if (!s) return mfr__nomem(err, what);
    memcpy(s, v, n);
    mfr__model_release_state(m);
    m->algo_state = s;
    return MFR_OK;
}

void mfr__model_release_state(mfr_model *m) {
    mfr__free(m->algo_state);
    m->algo_state = NULL;
}

void mfr_model_free(mfr_model *m) {
    if (!m) return;
    mfr__free(m->item_sq);
    mfr__free(m->item_sum);
    mfr__qindex_free(m->qindex);
    mfr__ann_free(m->ann);
    if (m->vt && m->vt->release && m->algo_state) m->vt->release(m);
    for (int j = 0; j < m->n_extra; j++)
        if (m->extra[j].owned) mfr__free(m->extra[j].data);
    if (!m->map_base) {
        void *arrays[] = {m->user_bias, m->item_bias, m->P,           m->Q,
                          m->user_ids,  m->item_ids,  m->item_count,  m->item_mean,
                          m->seen_ptr,  m->seen_item, m->seen_rating, m->tags_off};
        for (size_t j = 0; j < sizeof arrays / sizeof arrays[0]; j++) mfr__free(arrays[j]);
        mfr__catalog_free(&m->cat);
    } else {
        mfr__bin_free(m->map_base, m->map_len); /* the .mfm file's contents */
    }
    mfr__idmap_free(&m->user_map);
    mfr__idmap_free(&m->item_map);
    mfr__free(m);
}

/* ---- getters --------------------------------------------- */

void mfr_model_info_get(const mfr_model *m, mfr_model_info *out) {
    memset(out, 0, sizeof *out);
    out->algo = m->algo;
    out->params = m->params;
    out->params.progress = NULL;
    out->params.progress_user = NULL;
    out->n_users = m->n_users;
    out->n_items = m->n_items;
    out->factors = m->k;
    out->n_train = m->n_train;
    out->mu = m->mu;
    out->rating_min = m->rmin;
    out->rating_max = m->rmax;
    out->train_rmse = m->train_rmse;
    out->valid_rmse = m->valid_rmse;
    out->epochs_run = m->epochs_run;
    out->fit_seconds = m->fit_seconds;
    out->file_version = m->file_version;
    out->ranked_items = m->vt && m->vt->rank_user ? m->ranked_items : m->n_items;
}

int32_t mfr_model_n_users(const mfr_model *m) { return m->n_users; }
int32_t mfr_model_n_items(const mfr_model *m) { return m->n_items; }
int64_t mfr_model_user_id(const mfr_model *m, int32_t u) {
    return u >= 0 && u < m->n_users ? m->user_ids[u] : -1;
}
int64_t mfr_model_item_id(const mfr_model *m, int32_t i) {
    return i >= 0 && i < m->n_items ? m->item_ids[i] : -1;
}
int32_t mfr_model_user_index(const mfr_model *m, int64_t id) { return mfr__idmap_get(&m->user_map, id); }
int32_t mfr_model_item_index(const mfr_model *m, int64_t id) { return mfr__idmap_get(&m->item_map, id); }

/* mfr_model_item_title, _genres, _year, _imdb, _tmdb */
MFR__CATALOG_GETTERS(mfr_model)
int32_t mfr_model_item_count(const mfr_model *m, int32_t i) {
    return m->item_count && i >= 0 && i < m->n_items ? m->item_count[i] : 0;
}
float mfr_model_item_mean(const mfr_model *m, int32_t i) {
    return m->item_mean && i >= 0 && i < m->n_items ? m->item_mean[i] : NAN;
}
const int32_t *mfr_model_user_items(const mfr_model *m, int32_t u, int32_t *n) {
    if (!m->seen_ptr || u < 0 || u >= m->n_users) {
        if (n) *n = 0;
        return NULL;
    }
    if (n) *n = (int32_t)(m->seen_ptr[u + 1] - m->seen_ptr[u]);
    return m->seen_item + m->seen_ptr[u];
}
const float *mfr_model_user_factors(const mfr_model *m) { return m->k > 0 ? m->P : NULL; }
const float *mfr_model_item_factors(const mfr_model *m) { return m->k > 0 ? m->Q : NULL; }
