/* api_users.c — user routes: create a user (id + a 256-bit token returned
 * once, stored only as its SHA-256), write and delete one's own ratings
 * (committed to SQLite before the answer; the in-memory copy is updated in
 * commit order by the store's apply callback, which also invalidates the
 * user's fold-in vector; the connection is suspended meanwhile, so the
 * request threads keep serving and concurrent writes share one commit), list
 * ratings, and recommendations: model users are answered from the model,
 * API users from their stored ratings through mfr_model_recommend_vec with
 * those movies excluded (factor models: the fold-in vector of the ratings;
 * models with mfr_model_fold_dim 0: the rated movies alone; no ratings: by
 * popularity). Rows carry the ranking score the list is ordered by and the
 * predicted rating. Check order for writes: rate limit (server.c, before
 * the handler), user, token, movie, body. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "server_impl.h"
#include "sha256.h"

static int64_t wall_time(void) {
    return (int64_t)time(NULL);
}

/* ---- create ---- */

static int random_token(char hex[65]) {
    unsigned char raw[32];
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
        if (n <= 0) return -1;
        got += (size_t)n;
    }
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = digits[raw[i] >> 4];
        hex[2 * i + 1] = digits[raw[i] & 15];
    }
    hex[64] = 0;
    return 0;
}

enum MHD_Result mfr__h_users_create(req *r) {
    mfr_server *s = r->s;
    char token[65];
    if (random_token(token) < 0)
        return mfr__send_error(r, 500, MFR_E_INTERNAL, "no randomness available for a token");
    api_user *u = mfr__calloc(1, sizeof *u);
    if (!u) return mfr__send_error(r, 500, MFR_E_NOMEM, "out of memory");
    pthread_mutex_init(&u->mu, NULL);
    mfr__sha256(token, 64, u->hash);
    u->created = wall_time();
    pthread_mutex_lock(&s->create_mu);
    int64_t id = s->next_user_id;
    if (id <= r->mr->max_user_id) id = r->mr->max_user_id + 1;
    u->id = id;
    mfr_error err = {0};
    mfr_status st = mfr__store_add_user(s->store, id, u->hash, u->created, NULL, NULL, &err);
    if (st == MFR_OK) {
        if (mfr__users_append(s, u) < 0) st = MFR_E_NOMEM; /* stored; visible after restart */
        s->next_user_id = id + 1;
    }
    pthread_mutex_unlock(&s->create_mu);
    if (st != MFR_OK) {
        pthread_mutex_destroy(&u->mu);
        mfr__free(u);
        /* 503: the store refuses every write (its file is gone, or it stops) */
        return mfr__send_error(r, st == MFR_E_IO && mfr__store_unavailable(s->store) ? 503 : 500,
                               st, "%s", st == MFR_E_NOMEM ? "out of memory" : err.message);
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double)id);
    cJSON_AddStringToObject(o, "token", token);
    cJSON_AddStringToObject(o, "note", "keep this token: it is shown only once");
    return mfr__send_json(r, 201, o, NULL);
}

/* ---- writes ---- */

/* The checks shared by PUT and DELETE; returns the user or NULL after
 * sending the error. */
static api_user *writable_user(req *r, enum MHD_Result *res) {
    api_user *u = mfr__user_find(r->s, r->a);
    if (!u) {
        int model_user = mfr_model_user_index(r->mr->m, r->a) >= 0;
        *res = model_user
            ? mfr__send_error(r, 403, MFR_E_AUTH, "user %lld comes from the training data and has "
                              "no token; create a user with POST /api/users", (long long)r->a)
            : mfr__send_error(r, 404, MFR_E_NOT_FOUND, "user %lld: unknown id", (long long)r->a);
        return NULL;
    }
    if (!MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, "Authorization")) {
        *res = mfr__send_error(r, 401, MFR_E_AUTH, "missing header Authorization: Bearer <token>");
        return NULL;
    }
    if (!mfr__auth_ok(r, u->hash)) {
        *res = mfr__send_error(r, 403, MFR_E_AUTH, "token does not belong to user %lld",
                               (long long)r->a);
        return NULL;
    }
    if (mfr_model_item_index(r->mr->m, r->b) < 0) {
        *res = mfr__send_error(r, 404, MFR_E_NOT_FOUND, "movie %lld: unknown id", (long long)r->b);
        return NULL;
    }
    return u;
}

/* Parses {"rating": x}; x on the model's scale in half-star steps. 0 ok. */
static int parse_rating(req *r, float *out, enum MHD_Result *res) {
    if (!r->ctx->body || !r->ctx->len) {
        *res = mfr__send_error(r, 400, MFR_E_PARSE, "body: expected JSON {\"rating\": number}");
        return -1;
    }
    const char *nul = memchr(r->ctx->body, 0, r->ctx->len);
    if (nul) {
        *res = mfr__send_error(r, 400, MFR_E_PARSE, "body: NUL byte at byte %zu",
                               (size_t)(nul - r->ctx->body));
        return -1;
    }
    /* the length counts the terminating NUL: with require_null_terminated,
     * anything after the value but white space is refused */
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(r->ctx->body, r->ctx->len + 1, &end, 1);
    if (!j) {
        size_t at = end ? (size_t)(end - r->ctx->body) : 0;
        cJSON *alone = cJSON_ParseWithLengthOpts(r->ctx->body, r->ctx->len, NULL, 0);
        int trailing = alone != NULL; /* a whole value, then more */
        cJSON_Delete(alone);
        *res = mfr__send_error(r, 400, MFR_E_PARSE, trailing
                               ? "body: bytes after the JSON value, at byte %zu"
                               : "body: malformed JSON near byte %zu", at);
        return -1;
    }
    cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "rating");
    int ok = cJSON_IsObject(j) && cJSON_IsNumber(v);
    double x = ok ? v->valuedouble : NAN;
    cJSON_Delete(j);
    if (!ok) {
        *res = mfr__send_error(r, 400, MFR_E_PARSE, "body: field \"rating\" missing or not a number");
        return -1;
    }
    float lo = r->mr->info.rating_min, hi = r->mr->info.rating_max;
    if (!(lo < hi)) { lo = 0.5f; hi = 5.0f; }
    if (!(x >= lo && x <= hi) || fabs(x * 2 - round(x * 2)) > 1e-6) {
        *res = mfr__send_error(r, 400, MFR_E_RANGE, "field \"rating\": %g outside %g..%g in steps "
                               "of 0.5", x, (double)lo, (double)hi);
        return -1;
    }
    *out = (float)x;
    return 0;
}

/* Runs on the store's writer thread after the commit, in commit order. */
static void apply_write(void *ctx) {
    pending_write *w = ctx;
    pthread_mutex_lock(&w->u->mu);
    w->changed = w->kind == R_RATING_PUT ? mfr__user_set(w->u, w->movie, w->rating, w->time)
                                         : mfr__user_unset(w->u, w->movie);
    pthread_mutex_unlock(&w->u->mu);
    if (w->changed == 1)
        atomic_fetch_add(&w->s->ratings_stored, w->kind == R_RATING_PUT ? 1 : -1);
}

/* Writer thread: record the outcome and wake the connection. w may be freed
 * by another thread as soon as the connection is resumed. */
static void write_done(void *ctx, mfr_status st, const char *message) {
    pending_write *w = ctx;
    w->status = st;
    snprintf(w->message, sizeof w->message, "%s", message ? message : "");
    struct MHD_Connection *c = w->c;
    atomic_store(&w->finished, 1);
    MHD_resume_connection(c);
}

/* Queue the write and suspend the connection until it is committed. */
static enum MHD_Result write_start(req *r, api_user *u, int kind, float rating) {
    pending_write *w = mfr__calloc(1, sizeof *w);
    if (!w) return mfr__send_error(r, 500, MFR_E_NOMEM, "out of memory");
    w->s = r->s;
    w->c = r->c;
    w->u = u;
    w->kind = kind;
    w->movie = r->b;
    w->rating = rating;
    w->time = wall_time();
    atomic_init(&w->finished, 0);
    atomic_fetch_add(&r->mr->refs, 1); /* released in mfr__write_answer */
    w->mr = r->mr;
    r->ctx->pending = w;
    MHD_suspend_connection(r->c);
    mfr_status st = kind == R_RATING_PUT
        ? mfr__store_put_async(r->s->store, u->id, w->movie, rating, w->time, apply_write,
                               write_done, w)
        : mfr__store_delete_async(r->s->store, u->id, w->movie, w->time, apply_write,
                                  write_done, w);
    if (st != MFR_OK) write_done(w, st, "store: shutting down or out of memory");
    return MHD_YES;
}

enum MHD_Result mfr__write_answer(req *r) {
    pending_write *w = r->ctx->pending;
    r->ctx->pending = NULL;
    r->mr = w->mr;
    enum MHD_Result res;
    if (w->status != MFR_OK) {
        res = mfr__send_error(r, mfr__store_unavailable(r->s->store) ? 503 : 500, w->status, "%s",
                              w->message);
    } else if (w->changed < 0) {
        res = mfr__send_error(r, 500, MFR_E_NOMEM, "stored, but out of memory");
    } else {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "user", (double)w->u->id);
        cJSON_AddNumberToObject(o, "movie", (double)w->movie);
        if (w->kind == R_RATING_PUT) {
            cJSON_AddNumberToObject(o, "rating", w->rating);
            cJSON_AddNumberToObject(o, "time", (double)w->time);
            cJSON_AddBoolToObject(o, "created", w->changed == 1);
        } else {
            cJSON_AddBoolToObject(o, "deleted", 1);
        }
        res = mfr__send_json(r, w->kind == R_RATING_PUT && w->changed == 1 ? 201 : 200, o, NULL);
    }
    r->mr = NULL;
    mfr__model_release(w->mr);
    mfr__free(w);
    return res;
}

enum MHD_Result mfr__h_rating_put(req *r) {
    enum MHD_Result res;
    api_user *u = writable_user(r, &res);
    if (!u) return res;
    float x;
    if (parse_rating(r, &x, &res) < 0) return res;
    return write_start(r, u, R_RATING_PUT, x);
}

enum MHD_Result mfr__h_rating_delete(req *r) {
    enum MHD_Result res;
    api_user *u = writable_user(r, &res);
    if (!u) return res;
    pthread_mutex_lock(&u->mu);
    int have = 0;
    for (int32_t j = 0; j < u->n && !have; j++) have = u->movie[j] == r->b;
    pthread_mutex_unlock(&u->mu);
    if (!have)
        return mfr__send_error(r, 404, MFR_E_NOT_FOUND, "user %lld has no rating for movie %lld",
                               (long long)u->id, (long long)r->b);
    return write_start(r, u, R_RATING_DELETE, 0);
}

/* ---- reads ---- */

enum MHD_Result mfr__h_ratings_get(req *r) {
    api_user *u = mfr__user_find(r->s, r->a);
    int32_t mu = u ? -1 : mfr_model_user_index(r->mr->m, r->a);
    if (!u && mu < 0)
        return mfr__send_error(r, 404, MFR_E_NOT_FOUND, "user %lld: unknown id", (long long)r->a);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "user", (double)r->a);
    cJSON_AddStringToObject(o, "source", u ? "api" : "training");
    cJSON *arr = cJSON_AddArrayToObject(o, "ratings");
    if (u) {
        pthread_mutex_lock(&u->mu);
        for (int32_t j = 0; j < u->n; j++) {
            cJSON *x = cJSON_CreateObject();
            cJSON_AddNumberToObject(x, "movie", (double)u->movie[j]);
            int32_t i = mfr_model_item_index(r->mr->m, u->movie[j]);
            const char *t = i >= 0 ? mfr_model_item_title(r->mr->m, i) : NULL;
            cJSON_AddStringToObject(x, "title", t ? t : "");
            cJSON_AddNumberToObject(x, "rating", u->rating[j]);
            cJSON_AddNumberToObject(x, "time", (double)u->time[j]);
            cJSON_AddItemToArray(arr, x);
        }
        pthread_mutex_unlock(&u->mu);
    } else {
        int32_t n = 0;
        const int32_t *items = mfr_model_user_items(r->mr->m, mu, &n);
        for (int32_t j = 0; items && j < n; j++) {
            cJSON *x = cJSON_CreateObject();
            cJSON_AddNumberToObject(x, "movie", (double)mfr_model_item_id(r->mr->m, items[j]));
            const char *t = mfr_model_item_title(r->mr->m, items[j]);
            cJSON_AddStringToObject(x, "title", t ? t : "");
            cJSON_AddNullToObject(x, "rating"); /* the model keeps which, not how much */
            cJSON_AddItemToArray(arr, x);
        }
    }
    return mfr__send_json(r, 200, o, NULL);
}

/* Top-n for an API user from their stored ratings (the movies the model
 * knows): factor models fold them in and rank with the vector, models with
 * fold_dim 0 (ease, knn, content) get the rated movies and their ratings
 * with vec NULL; with none the library ranks by popularity. The rated
 * movies are excluded either way. */
static mfr_status recs_api_user(req *r, api_user *u, const mfr_recommend_params *p,
                                mfr_scored *out, int32_t *got, int32_t *n_rated, mfr_error *err) {
    pthread_mutex_lock(&u->mu);
    int32_t *seen = mfr__malloc(sizeof *seen * (size_t)(u->n + 1));
    float *rated = mfr__malloc(sizeof *rated * (size_t)(u->n + 1));
    int32_t n_seen = 0;
    mfr_status st = seen && rated ? MFR_OK : mfr__nomem(err, "the user's rated movies");
    for (int32_t j = 0; st == MFR_OK && j < u->n; j++) {
        int32_t i = mfr_model_item_index(r->mr->m, u->movie[j]);
        if (i < 0) continue; /* a movie this model does not know */
        rated[n_seen] = u->rating[j];
        seen[n_seen++] = i;
    }
    *n_rated = n_seen;
    const float *vec = NULL;
    if (st == MFR_OK) st = mfr__user_vec(u, r->mr, seen, rated, n_seen, &vec, err);
    if (st == MFR_OK)
        st = mfr_model_recommend_vec(r->mr->m, vec, seen, rated, n_seen, p, out, got, err);
    pthread_mutex_unlock(&u->mu);
    mfr__free(seen);
    mfr__free(rated);
    return st;
}

/* The liked movies of API user u: rated in the top third of the scale (3.5
 * and up on 0.5..5), as item indices in *out (malloc'd; NULL when none or
 * out of memory). */
static int32_t user_liked(req *r, api_user *u, int32_t **out) {
    float lo = r->mr->info.rating_min, hi = r->mr->info.rating_max;
    if (!(lo < hi)) { lo = 0.5f; hi = 5.0f; }
    float cut = lo + (hi - lo) * 2.0f / 3.0f - 1e-4f;
    int32_t n = 0;
    pthread_mutex_lock(&u->mu);
    int32_t *liked = *out = u->n ? mfr__malloc(sizeof *liked * (size_t)u->n) : NULL;
    for (int32_t j = 0; liked && j < u->n; j++) {
        int32_t i = mfr_model_item_index(r->mr->m, u->movie[j]);
        if (i >= 0 && u->rating[j] >= cut) liked[n++] = i;
    }
    pthread_mutex_unlock(&u->mu);
    return n;
}

/* The "because" array of a row: up to two of liked[0..n_liked) that
 * explain item (mfr_model_explain). */
static cJSON *because_array(req *r, int32_t item, const int32_t *liked, int32_t n_liked) {
    mfr_scored why[2];
    int32_t nw = 0;
    if (n_liked) mfr_model_explain(r->mr->m, item, liked, n_liked, why, 2, &nw, NULL);
    cJSON *b = cJSON_CreateArray();
    for (int32_t w = 0; w < nw; w++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddNumberToObject(x, "id", (double)mfr_model_item_id(r->mr->m, why[w].item));
        const char *t = mfr_model_item_title(r->mr->m, why[w].item);
        cJSON_AddStringToObject(x, "title", t ? t : "");
        cJSON_AddItemToArray(b, x);
    }
    return b;
}

/* GET /api/users/{id}/recommendations?n&min_ratings&genre&decade&explain:
 * decade (1990 = 1990..1999) filters a longer list (the best 1000) down to
 * n; explain=1 adds "because": up to two of an API user's liked movies that
 * explain the row (mfr_model_explain: the co-occurrence signal). */
enum MHD_Result mfr__h_recs(req *r) {
    enum MHD_Result res;
    long n, min_ratings, decade, explain;
    if (mfr__query_int(r, "n", 1, 100, 10, &n, &res) < 0) return res;
    if (mfr__query_int(r, "min_ratings", 0, 1000000, MFR_RECOMMEND_MIN_RATINGS, &min_ratings, &res) < 0)
        return res;
    if (mfr__query_int(r, "decade", 0, 2100, 0, &decade, &res) < 0) return res;
    if (mfr__query_int(r, "explain", 0, 1, 0, &explain, &res) < 0) return res;
    if (decade && (decade < 1870 || decade % 10))
        return mfr__send_error(r, 400, MFR_E_RANGE, "query parameter decade=%ld: expected a year "
                               "ending in 0 from 1870, e.g. 1990", decade);
    const char *genre = mfr__query(r, "genre");
    if (genre && strlen(genre) > 64)
        return mfr__send_error(r, 400, MFR_E_INVALID, "query parameter genre: longer than 64 bytes");
    mfr_recommend_params p = mfr_recommend_params_default();
    int32_t ni = mfr_model_n_items(r->mr->m);
    p.n = decade ? (ni < 1000 ? ni : 1000) : (int32_t)n;
    if (p.n < 1) p.n = 1;
    p.genre = genre && *genre ? genre : NULL;
    p.min_ratings = (int32_t)min_ratings;
    p.exclude_seen = 1;
    api_user *u = mfr__user_find(r->s, r->a);
    int32_t mu = u ? -1 : mfr_model_user_index(r->mr->m, r->a);
    if (!u && mu < 0)
        return mfr__send_error(r, 404, MFR_E_NOT_FOUND, "user %lld: unknown id", (long long)r->a);
    char key[MFR_CACHE_KEY] = "";
    if (!u) { /* a model user's answer depends only on the model: cacheable */
        snprintf(key, sizeof key, "r|%d|%ld|%ld|%ld|%.64s", mu, n, min_ratings, decade,
                 p.genre ? p.genre : "");
        if (mfr__send_cached(r, key, &res)) return res;
    }
    mfr_scored *out = mfr__malloc(sizeof *out * (size_t)p.n);
    if (!out) return mfr__send_error(r, 500, MFR_E_NOMEM, "out of memory");
    int32_t got = 0, n_rated = 0;
    mfr_error err = {0};
    mfr_status st = u ? recs_api_user(r, u, &p, out, &got, &n_rated, &err)
                      : mfr_model_recommend(r->mr->m, mu, &p, out, &got, &err);
    if (st != MFR_OK) {
        mfr__free(out);
        return mfr__send_error(r, st == MFR_E_NOMEM || st == MFR_E_INTERNAL ? 500 : 400, st, "%s",
                               err.message[0] ? err.message : mfr_status_message(st));
    }
    if (decade) { /* keep the rows of that decade, in order */
        int32_t k = 0;
        for (int32_t j = 0; j < got && k < n; j++) {
            int32_t y = mfr_model_item_year(r->mr->m, out[j].item);
            if (y >= decade && y < decade + 10) out[k++] = out[j];
        }
        got = k;
    }
    cJSON *o = cJSON_CreateObject();
    mfr__json_int(o, "user", r->a);
    /* model: a training user; fold-in: an API user answered from their
     * ratings (folded in, or read as rated movies by models with fold_dim
     * 0); popular: an API user with no ratings the model knows */
    cJSON_AddStringToObject(o, "source", !u ? "model" : n_rated > 0 ? "fold-in" : "popular");
    if (u) mfr__json_int(o, "ratings_used", n_rated);
    mfr__json_int(o, "model_version", (int64_t)r->mr->version);
    if (p.genre) cJSON_AddStringToObject(o, "genre", p.genre);
    if (decade) mfr__json_int(o, "decade", decade);
    res = mfr__send_rows(r, o, "recommendations", out, got, 3, 1, (int)explain, u,
                         u || explain ? NULL : key);
    mfr__free(out);
    return res;
}

enum MHD_Result mfr__send_rows(req *r, cJSON *o, const char *name, const mfr_scored *rows,
                               int32_t n, int score_dec, int pred_dec, int explain, api_user *u,
                               const char *key) {
    int32_t *liked = NULL, n_liked = explain && u ? user_liked(r, u, &liked) : 0;
    cJSON *arr = cJSON_AddArrayToObject(o, name);
    int oom = !arr;
    for (int32_t j = 0; j < n && !oom; j++) {
        cJSON *because = explain ? because_array(r, rows[j].item, liked, n_liked) : NULL;
        cJSON *row = explain && !because ? NULL
                     : mfr__movie_row(r->mr, rows[j].item, rows[j].score, score_dec,
                                      rows[j].prediction, pred_dec, because);
        oom = !row || !cJSON_AddItemToArray(arr, row);
    }
    mfr__free(liked); /* user_liked allocates through the wrappers */
    if (oom) {
        cJSON_Delete(o);
        return mfr__send_error(r, 500, MFR_E_NOMEM, "out of memory");
    }
    return mfr__send_json(r, 200, o, key);
}
