/* api_movies.c — read-only routes over the model: title search,
 * one movie, similar movies and the 2-D map of movie factors. Each handler
 * works on r->mr, the model reference held for the request, and answers JSON
 * (shapes in docs/http-api.md). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server_impl.h"

enum MHD_Result mfr__h_movies(req *r) {
    enum MHD_Result res;
    long limit;
    if (mfr__query_int(r, "limit", 1, 200, 20, &limit, &res) < 0) return res;
    const char *q = mfr__query(r, "q");
    if (q && strlen(q) > 200)
        return mfr__send_error(r, 400, MFR_E_INVALID, "query parameter q: longer than 200 bytes");
    mfr_title_hit hits[200];
    int32_t found = 0, n;
    if (q && *q) {
        mfr_error err = {0};
        mfr_status st = mfr_model_search_titles(r->mr->m, q, hits, (int32_t)limit, &found, &err);
        if (st != MFR_OK)
            return mfr__send_error(r, st == MFR_E_NOMEM ? 500 : 400, st, "%s", err.message);
    } else {
        found = r->mr->n_popular;
        for (int32_t j = 0; j < found && j < limit; j++)
            hits[j] = (mfr_title_hit){r->mr->popular[j], 0, 0};
    }
    n = found < limit ? found : (int32_t)limit;
    cJSON *o = cJSON_CreateObject();
    if (q && *q) cJSON_AddStringToObject(o, "query", q);
    else cJSON_AddStringToObject(o, "order", "popular");
    cJSON_AddNumberToObject(o, "total", found);
    cJSON *arr = cJSON_AddArrayToObject(o, "movies");
    for (int32_t j = 0; j < n; j++) {
        cJSON *m = mfr__movie_json(r->mr, hits[j].item);
        if (q && *q) cJSON_AddStringToObject(m, "match", mfr_title_quality_name(hits[j].quality));
        cJSON_AddItemToArray(arr, m);
    }
    return mfr__send_json(r, 200, o, NULL);
}

static int32_t movie_or_404(req *r, int64_t id, enum MHD_Result *res) {
    int32_t i = mfr_model_item_index(r->mr->m, id);
    if (i < 0) *res = mfr__send_error(r, 404, MFR_E_NOT_FOUND, "movie %lld: unknown id", (long long)id);
    return i;
}

enum MHD_Result mfr__h_movie(req *r) {
    enum MHD_Result res;
    int32_t i = movie_or_404(r, r->a, &res);
    if (i < 0) return res;
    cJSON *o = mfr__movie_json(r->mr, i);
    /* the movie's most-used tags (tags.csv), most used first */
    cJSON *tags = cJSON_AddArrayToObject(o, "tags");
    const char *tg = mfr_model_item_tags(r->mr->m, i);
    for (const char *p = tg; *p;) {
        const char *e = strchr(p, '|');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char buf[72];
        snprintf(buf, sizeof buf, "%.*s", (int)(len < 71 ? len : 71), p);
        cJSON_AddItemToArray(tags, cJSON_CreateString(buf));
        if (!e) break;
        p = e + 1;
    }
    /* IMDb / TMDB ids from links.csv (null when the model has none) */
    int32_t imdb = mfr_model_item_imdb(r->mr->m, i), tmdb = mfr_model_item_tmdb(r->mr->m, i);
    if (imdb > 0) cJSON_AddNumberToObject(o, "imdb_id", imdb);
    else cJSON_AddNullToObject(o, "imdb_id");
    if (tmdb > 0) cJSON_AddNumberToObject(o, "tmdb_id", tmdb);
    else cJSON_AddNullToObject(o, "tmdb_id");
    /* the training ratings by half star, 0.5 first (null: the file keeps none) */
    int32_t h[10];
    if (mfr_model_item_histogram(r->mr->m, i, h, NULL) == MFR_OK) {
        cJSON *a = cJSON_AddArrayToObject(o, "histogram");
        for (int b = 0; b < 10; b++) cJSON_AddItemToArray(a, cJSON_CreateNumber(h[b]));
    } else {
        cJSON_AddNullToObject(o, "histogram");
    }
    return mfr__send_json(r, 200, o, NULL);
}

enum MHD_Result mfr__h_similar(req *r) {
    enum MHD_Result res;
    long n, min_ratings;
    if (mfr__query_int(r, "n", 1, 100, 10, &n, &res) < 0) return res;
    long min_default = MFR_SIMILAR_MIN_RATINGS;
    if (mfr__query_int(r, "min_ratings", 0, 1000000, min_default, &min_ratings, &res) < 0) return res;
    const char *metric = mfr__query(r, "metric");
    mfr_sim sim = MFR_SIM_COOC;
    const char *sim_label = "cooccurrence";
    if (metric && !strcmp(metric, "cosine")) sim = MFR_SIM_COSINE, sim_label = "cosine";
    else if (metric && !strcmp(metric, "pearson")) sim = MFR_SIM_PEARSON, sim_label = "pearson";
    else if (metric && strcmp(metric, "cooccurrence"))
        return mfr__send_error(
            r, 400, MFR_E_INVALID,
            "query parameter metric=\"%.40s\": expected cooccurrence, pearson or cosine", metric);
    int32_t i = movie_or_404(r, r->a, &res);
    if (i < 0) return res;
    /* ?user=ID (an API user): each row says which of their liked movies
     * explain it, as the recommendations' explain=1; such answers are not cached */
    long uid;
    if (mfr__query_int(r, "user", 0, 999999999999999L, 0, &uid, &res) < 0) return res;
    api_user *u = uid ? mfr__user_find(r->s, uid) : NULL;
    if (uid && !u)
        return mfr__send_error(r, 404, MFR_E_NOT_FOUND, "user %ld: not a user created through the "
                               "API", uid);
    char key[MFR_CACHE_KEY];
    snprintf(key, sizeof key, "s|%d|%d|%ld|%ld", i, (int)sim, n, min_ratings);
    if (!u && mfr__send_cached(r, key, &res)) return res;
    mfr_scored out[100];
    int32_t got = 0;
    mfr_error err = {0};
    mfr_status st = mfr_model_similar(r->mr->m, i, sim, (int32_t)n, (int32_t)min_ratings, out,
                                      &got, &err);
    if (st != MFR_OK)
        return mfr__send_error(r, st == MFR_E_NOMEM ? 500 : 400, st, "%s", err.message);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "movie", mfr__movie_json(r->mr, i));
    cJSON_AddStringToObject(o, "metric", sim_label);
    return mfr__send_rows(r, o, "similar", out, got, 4, -1, u != NULL, u, u ? NULL : key);
}

/* The map: mfr_model_project_2d (include/mfrec/analysis.h: PCA of the item
 * factors of the movies with at least one rating), spread into an
 * n_items x 2 table with NaN for movies it did not place. */
static void map_compute(model_ref *mr) {
    int32_t ni = mfr_model_n_items(mr->m), n = 0;
    int32_t *items = mfr__malloc(sizeof *items * (size_t)(ni > 0 ? ni : 1));
    float *xy = mfr__malloc(sizeof *xy * 2 * (size_t)(ni > 0 ? ni : 1));
    mr->map_xy = mfr__malloc(sizeof *mr->map_xy * 2 * (size_t)(ni > 0 ? ni : 1));
    mr->map_status = items && xy && mr->map_xy ? MFR_OK : MFR_E_NOMEM;
    if (mr->map_status == MFR_OK)
        mr->map_status = mfr_model_project_2d(mr->m, 1, items, xy, &n, NULL, NULL);
    if (mr->map_status == MFR_OK) {
        for (int32_t i = 0; i < 2 * ni; i++) mr->map_xy[i] = NAN;
        for (int32_t j = 0; j < n; j++) {
            mr->map_xy[2 * items[j]] = xy[2 * j];
            mr->map_xy[2 * items[j] + 1] = xy[2 * j + 1];
        }
    }
    mfr__free(items);
    mfr__free(xy);
}

/* The pthread_once callback gets no argument; the model ref travels here. */
static __thread model_ref *map_target;
static void map_once_fn(void) {
    map_compute(map_target);
}

enum MHD_Result mfr__h_map(req *r) {
    enum MHD_Result res;
    long limit;
    if (mfr__query_int(r, "limit", 1, 5000, 500, &limit, &res) < 0) return res;
    map_target = r->mr;
    pthread_once(&r->mr->map_once, map_once_fn);
    if (r->mr->map_status != MFR_OK)
        return mfr__send_error(r, r->mr->map_status == MFR_E_NOMEM ? 500 : 400,
                               r->mr->map_status, "this model has no movie factors to map");
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "method", "pca");
    cJSON *arr = cJSON_AddArrayToObject(o, "points");
    for (int32_t j = 0, shown = 0; j < r->mr->n_popular && shown < limit; j++) {
        int32_t i = r->mr->popular[j];
        if (isnan(r->mr->map_xy[2 * i])) continue;
        shown++;
        cJSON *p = mfr__movie_json(r->mr, i); /* id, title, year, genres, count, mean */
        cJSON_AddNumberToObject(p, "x", round(r->mr->map_xy[2 * i] * 1e4) / 1e4);
        cJSON_AddNumberToObject(p, "y", round(r->mr->map_xy[2 * i + 1] * 1e4) / 1e4);
        cJSON_AddItemToArray(arr, p);
    }
    return mfr__send_json(r, 200, o, NULL);
}
