/* model_ref.c — the reference-counted holder of the served model
 * (server_impl.h): built once per model (the popularity order, whether the
 * similar route can answer, the answer cache, the movies' JSON text as the
 * lists first show them), acquired by each request and
 * by the retrain, swapped in by mfr__model_install, freed with its last
 * reference. */
#include <stdlib.h>

#include "server_impl.h"

/* 0 when m has neither item factors nor an item similarity (one probe). */
static int model_similar_ok(const mfr_model *m) {
    if (mfr_model_fold_dim(m) > 0) return 1;
    int32_t ni = mfr_model_n_items(m), probe = 0;
    for (int32_t i = 0; i < ni; i++) /* a rated movie: the similarity may skip unrated ones */
        if (mfr_model_item_count(m, i) > 0) { probe = i; break; }
    if (ni <= 0) return 0;
    mfr_scored row;
    int32_t n = 0;
    return mfr_model_similar(m, probe, MFR_SIM_PEARSON, 1, 0, &row, &n, NULL) != MFR_E_UNSUPPORTED;
}

model_ref *mfr__model_acquire(mfr_server *s) {
    pthread_mutex_lock(&s->model_mu);
    model_ref *mr = s->cur;
    atomic_fetch_add(&mr->refs, 1);
    pthread_mutex_unlock(&s->model_mu);
    return mr;
}

void mfr__model_release(model_ref *mr) {
    if (mr && atomic_fetch_sub(&mr->refs, 1) == 1) {
        for (int32_t i = 0; mr->movie_text && i < mfr_model_n_items(mr->m); i++)
            cJSON_free(atomic_load(&mr->movie_text[i]));
        mfr__free((void *)mr->movie_text);
        mfr_model_free(mr->m);
        mfr__free(mr->popular);
        mfr__free(mr->map_xy);
        mfr__cache_free(mr->cache);
        mfr__free(mr);
    }
}

/* qsort_r's order of movies: more ratings first (counts[i], ctx), then by index. */
static int by_count_desc(const void *a, const void *b, void *ctx) {
    const int32_t *counts = ctx;
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    int32_t cx = counts[x], cy = counts[y];
    return cx != cy ? (cx < cy) - (cx > cy) : (x > y) - (x < y);
}

mfr_status mfr__model_ref_new(mfr_server *s, mfr_model *m, model_ref **out, mfr_error *err) {
    if (s->p.index != MFR_INDEX_EXACT) { /* --index approx: built before any query */
        mfr_index_params ip = mfr_index_params_default();
        ip.kind = (mfr_index_kind)s->p.index, ip.nprobe = s->p.nprobe ? s->p.nprobe : ip.nprobe;
        mfr_status st = mfr_model_set_index(m, &ip, err);
        if (st != MFR_OK) return st;
    }
    model_ref *mr = mfr__calloc(1, sizeof *mr);
    int32_t ni = mfr_model_n_items(m);
    int32_t *counts = mfr__malloc(sizeof *counts * (size_t)(ni > 0 ? ni : 1));
    if (mr) mr->popular = mfr__malloc(sizeof *mr->popular * (size_t)(ni > 0 ? ni : 1));
    if (mr) mr->movie_text = mfr__calloc((size_t)(ni > 0 ? ni : 1), sizeof *mr->movie_text);
    if (!mr || !counts || !mr->popular || !mr->movie_text) {
        if (mr) mfr__free(mr->popular);
        if (mr) mfr__free((void *)mr->movie_text);
        mfr__free(mr);
        mfr__free(counts);
        return mfr__nomem(err, "the served model's tables");
    }
    mr->m = m;
    atomic_init(&mr->refs, 1);
    mfr_model_info_get(m, &mr->info);
    mr->fold_dim = mfr_model_fold_dim(m);
    mr->similar_ok = model_similar_ok(m);
    pthread_once_t once = PTHREAD_ONCE_INIT;
    mr->map_once = once;
    for (int32_t u = 0; u < mfr_model_n_users(m); u++) {
        int64_t id = mfr_model_user_id(m, u);
        if (id > mr->max_user_id) mr->max_user_id = id;
    }
    int32_t n = 0;
    for (int32_t i = 0; i < ni; i++) {
        counts[i] = mfr_model_item_count(m, i);
        if (counts[i] > 0) mr->popular[n++] = i;
    }
    qsort_r(mr->popular, (size_t)n, sizeof *mr->popular, by_count_desc, counts);
    mfr__free(counts);
    mr->n_popular = n;
    mr->cache = mfr__cache_new(s->p.cache_slots > 0 ? (size_t)s->p.cache_slots : 0);
    mr->version = ++s->next_version;
    *out = mr;
    return MFR_OK;
}

void mfr__model_install(mfr_server *s, model_ref *mr) {
    pthread_mutex_lock(&s->model_mu);
    model_ref *old = s->cur;
    s->cur = mr;
    pthread_mutex_unlock(&s->model_mu);
    mfr__model_release(old);
}
