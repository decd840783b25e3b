/* dataset.c — lifetime, accessors and statistics of mfr_dataset, and
 * building a dataset from arrays (synthetic data, tests).
 * The readers live in src/io/; this file knows nothing of file formats. */
#include "dataset_impl.h"
#include "../core/binfile.h"

#include <math.h>
#include <string.h>

mfr_dataset *mfr__dataset_new(void) {
    mfr_dataset *ds = mfr__calloc(1, sizeof *ds);
    if (!ds) return NULL;
    ds->cat.strings = mfr__calloc(1, 1);
    if (!ds->cat.strings) {
        mfr__free(ds);
        return NULL;
    }
    ds->cat.strings_len = 1;
    ds->scale_min = 0.5f;
    ds->scale_max = 5.0f;
    return ds;
}

void mfr_dataset_free(mfr_dataset *ds) {
    if (!ds) return;
    if (ds->map_base) {
        mfr__bin_free(ds->map_base, ds->map_len); /* the .mfd file's contents */
    } else {
        mfr__free(ds->user);
        mfr__free(ds->item);
        mfr__free(ds->rating);
        mfr__free(ds->time);
        mfr__free(ds->user_ids);
        mfr__free(ds->item_ids);
        mfr__catalog_free(&ds->cat);
        mfr__free(ds->tag_item);
        mfr__free(ds->tag_user);
        mfr__free(ds->tag_off);
        mfr__free(ds->user_age);
        mfr__free(ds->user_gender);
        mfr__free(ds->user_occ);
    }
    mfr__idmap_free(&ds->user_map);
    mfr__idmap_free(&ds->item_map);
    for (int32_t i = 0; i < ds->report.n_messages; i++) mfr__free(ds->messages[i]);
    mfr__free(ds->messages);
    mfr__free(ds->source);
    mfr__free(ds);
}

const mfr_import_report *mfr_dataset_report(const mfr_dataset *ds) { return &ds->report; }

const char *mfr_dataset_message(const mfr_dataset *ds, int32_t i) {
    return i >= 0 && i < ds->report.n_messages ? ds->messages[i] : "";
}

const char *mfr_dataset_source(const mfr_dataset *ds) { return ds->source ? ds->source : ""; }

void mfr_dataset_ratings(const mfr_dataset *ds, mfr_ratings *out) {
    out->n = ds->n_ratings;
    out->n_users = ds->n_users;
    out->n_items = ds->n_items;
    out->user = ds->user;
    out->item = ds->item;
    out->rating = ds->rating;
    out->time = ds->time;
}

void mfr_dataset_scale(const mfr_dataset *ds, float *min, float *max) {
    if (min) *min = ds->scale_min;
    if (max) *max = ds->scale_max;
}

int64_t mfr_dataset_user_id(const mfr_dataset *ds, int32_t u) {
    return u >= 0 && u < ds->n_users ? ds->user_ids[u] : -1;
}
int64_t mfr_dataset_item_id(const mfr_dataset *ds, int32_t i) {
    return i >= 0 && i < ds->n_items ? ds->item_ids[i] : -1;
}
int32_t mfr_dataset_user_index(const mfr_dataset *ds, int64_t id) {
    return mfr__idmap_get(&ds->user_map, id);
}
int32_t mfr_dataset_item_index(const mfr_dataset *ds, int64_t id) {
    return mfr__idmap_get(&ds->item_map, id);
}

/* mfr_dataset_item_title, _genres, _year, _imdb, _tmdb */
MFR__CATALOG_GETTERS(mfr_dataset)

int64_t mfr_dataset_n_tags(const mfr_dataset *ds) { return ds->n_tags; }

void mfr_dataset_tag(const mfr_dataset *ds, int64_t t, int32_t *item, int32_t *user,
                     const char **text) {
    int ok = t >= 0 && t < ds->n_tags;
    if (item) *item = ok ? ds->tag_item[t] : -1;
    if (user) *user = ok ? ds->tag_user[t] : -1;
    if (text) *text = mfr__catalog_str(&ds->cat, ds->tag_off, ds->n_tags, t);
}

void mfr_dataset_stats_get(const mfr_dataset *ds, mfr_dataset_stats *out) {
    memset(out, 0, sizeof *out);
    out->n_users = ds->n_users;
    out->n_items = ds->n_items;
    out->n_ratings = ds->n_ratings;
    out->n_catalog = ds->n_catalog;
    out->rating_min = ds->scale_min;
    out->rating_max = ds->scale_max;
    out->has_time = ds->time != NULL;
    out->n_tags = ds->n_tags;
    int32_t *uc = mfr__calloc((size_t)ds->n_users + 1, sizeof *uc);
    int32_t *ic = mfr__calloc((size_t)ds->n_items + 1, sizeof *ic);
    double sum = 0.0;
    float lo = INFINITY, hi = -INFINITY;
    for (int64_t j = 0; j < ds->n_ratings; j++) {
        float r = ds->rating[j];
        sum += r;
        if (r < lo) lo = r;
        if (r > hi) hi = r;
        if (uc) uc[ds->user[j]]++;
        if (ic) ic[ds->item[j]]++;
    }
    out->rating_lo = ds->n_ratings ? lo : 0.f;
    out->rating_hi = ds->n_ratings ? hi : 0.f;
    out->rating_mean = ds->n_ratings ? sum / (double)ds->n_ratings : NAN;
    if (uc && ic) {
        out->user_min = ds->n_users ? INT32_MAX : 0;
        for (int32_t u = 0; u < ds->n_users; u++) {
            if (uc[u] < out->user_min) out->user_min = uc[u];
            if (uc[u] > out->user_max) out->user_max = uc[u];
        }
        out->item_min = INT32_MAX;
        for (int32_t i = 0; i < ds->n_items; i++) {
            if (!ic[i]) continue;
            out->n_items_rated++;
            if (ic[i] < out->item_min) out->item_min = ic[i];
            if (ic[i] > out->item_max) out->item_max = ic[i];
        }
        if (!out->n_items_rated) out->item_min = 0;
    }
    if (out->n_users && out->n_items_rated)
        out->density = (double)ds->n_ratings / ((double)out->n_users * out->n_items_rated);
    mfr__free(uc);
    mfr__free(ic);
}

/* Build a dataset from arrays of dense indices; external ids are index + 1.
 * Copies the arrays. time may be NULL. Used by synthetic data and tests. */
mfr_status mfr__dataset_from_arrays(int32_t n_users, int32_t n_items, int64_t n,
                                    const int32_t *user, const int32_t *item,
                                    const float *rating, const int64_t *time,
                                    mfr_dataset **out, mfr_error *err) {
    *out = NULL;
    mfr_dataset *ds = mfr__dataset_new();
    if (!ds) return mfr__nomem(err, "dataset");
    ds->n_users = n_users;
    ds->n_items = n_items;
    ds->n_ratings = n;
    ds->user = mfr__malloc((size_t)n * sizeof *ds->user);
    ds->item = mfr__malloc((size_t)n * sizeof *ds->item);
    ds->rating = mfr__malloc((size_t)n * sizeof *ds->rating);
    ds->time = time ? mfr__malloc((size_t)n * sizeof *ds->time) : NULL;
    ds->user_ids = mfr__malloc((size_t)n_users * sizeof *ds->user_ids);
    ds->item_ids = mfr__malloc((size_t)n_items * sizeof *ds->item_ids);
    ds->cat.title_off = mfr__calloc((size_t)n_items, sizeof *ds->cat.title_off);
    ds->cat.genres_off = mfr__calloc((size_t)n_items, sizeof *ds->cat.genres_off);
    ds->cat.year = mfr__calloc((size_t)n_items, sizeof *ds->cat.year);
    if (!ds->user || !ds->item || !ds->rating || (time && !ds->time) || !ds->user_ids ||
        !ds->item_ids || !ds->cat.title_off || !ds->cat.genres_off || !ds->cat.year)
        goto nomem;
    if (mfr__idmap_init(&ds->user_map, (uint64_t)n_users, err) ||
        mfr__idmap_init(&ds->item_map, (uint64_t)n_items, err))
        goto nomem;
    for (int64_t j = 0; j < n; j++) {
        if (user[j] < 0 || user[j] >= n_users || item[j] < 0 || item[j] >= n_items) {
            mfr_dataset_free(ds);
            return mfr__err(err, MFR_E_INVALID, "rating %lld: index out of range", (long long)j);
        }
    }
    memcpy(ds->user, user, (size_t)n * sizeof *user);
    memcpy(ds->item, item, (size_t)n * sizeof *item);
    memcpy(ds->rating, rating, (size_t)n * sizeof *rating);
    if (time) memcpy(ds->time, time, (size_t)n * sizeof *time);
    for (int32_t u = 0; u < n_users; u++) {
        ds->user_ids[u] = u + 1;
        if (mfr__idmap_put(&ds->user_map, u + 1, u) < 0) goto nomem;
    }
    for (int32_t i = 0; i < n_items; i++) {
        ds->item_ids[i] = i + 1;
        if (mfr__idmap_put(&ds->item_map, i + 1, i) < 0) goto nomem;
    }
    *out = ds;
    return MFR_OK;
nomem:
    mfr_dataset_free(ds);
    return mfr__nomem(err, "dataset arrays");
}

static void release_array(mfr_dataset *ds, void **a, size_t elem) {
    if (!*a) return;
    if (ds->map_base) mfr__bin_discard(*a, (uint64_t)ds->n_ratings * elem);
    else mfr__free(*a);
    *a = NULL;
}

void mfr__dataset_release(mfr_dataset *ds, unsigned what) {
    if (what & MFR__DS_TIME) release_array(ds, (void **)&ds->time, sizeof *ds->time);
    if (what & MFR__DS_USER) release_array(ds, (void **)&ds->user, sizeof *ds->user);
    if (what & MFR__DS_ITEM_RATING) {
        release_array(ds, (void **)&ds->item, sizeof *ds->item);
        release_array(ds, (void **)&ds->rating, sizeof *ds->rating);
    }
    if (!ds->user && !ds->item && !ds->rating) ds->n_ratings = 0;
}
