/* users.c — the in-memory table of API users (see server_impl.h), filled from
 * the store at start and kept in step by the store's apply callbacks; and,
 * for models with item factors (mfr_model_fold_dim > 0), the fold-in of a
 * user's ratings into a vector [b_u, p_u] against the current model
 * (mfr_model_fold_in: regularised least squares with the item factors and
 * biases fixed), cached per model version. Models with fold_dim 0 (ease,
 * knn, content) need no vector: they answer from the rated movies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server_impl.h"

typedef api_user *user_ref;
#define USER_ID(u) ((u)->id)
MFR__FIND_SORTED(find_user, user_ref, int64_t, USER_ID) /* s->users ascending by id */

api_user *mfr__user_find(mfr_server *s, int64_t id) {
    pthread_rwlock_rdlock(&s->users_lock);
    int64_t at = find_user(s->users, s->n_users, id);
    api_user *u = at < 0 ? NULL : s->users[at];
    pthread_rwlock_unlock(&s->users_lock);
    return u;
}

static void user_free(api_user *u) {
    if (!u) return;
    pthread_mutex_destroy(&u->mu);
    mfr__free(u->movie);
    mfr__free(u->rating);
    mfr__free(u->time);
    mfr__free(u->vec);
    mfr__free(u);
}

typedef struct load_ctx {
    mfr_server *s;
    int oom;
} load_ctx;

static void on_user(void *ctx, int64_t id, const unsigned char hash[32], int64_t created) {
    load_ctx *lc = ctx;
    mfr_server *s = lc->s;
    api_user *u = mfr__calloc(1, sizeof *u);
    if (!u) { lc->oom = 1; return; }
    u->id = id;
    memcpy(u->hash, hash, 32);
    u->created = created;
    pthread_mutex_init(&u->mu, NULL);
    if (mfr__users_append(s, u) < 0) { /* the store lists users by increasing id */
        user_free(u);
        lc->oom = 1;
        return;
    }
    if (id >= s->next_user_id) s->next_user_id = id + 1;
}

/* Insert or replace (movie, rating, time) in u; u->mu held. -1 on OOM. */
int mfr__user_set(api_user *u, int64_t movie, float rating, int64_t time) {
    for (int32_t j = 0; j < u->n; j++)
        if (u->movie[j] == movie) {
            u->rating[j] = rating;
            u->time[j] = time;
            u->vec_version = 0;
            return 0;
        }
    if (u->n == u->cap) {
        int32_t cap = u->cap ? u->cap * 2 : 16;
        int64_t *m = mfr__realloc(u->movie, sizeof *m * (size_t)cap);
        if (m) u->movie = m;
        float *r = mfr__realloc(u->rating, sizeof *r * (size_t)cap);
        if (r) u->rating = r;
        int64_t *t = mfr__realloc(u->time, sizeof *t * (size_t)cap);
        if (t) u->time = t;
        if (!m || !r || !t) return -1;
        u->cap = cap;
    }
    u->movie[u->n] = movie;
    u->rating[u->n] = rating;
    u->time[u->n] = time;
    u->n++;
    u->vec_version = 0;
    return 1;
}

/* Remove movie from u; u->mu held. 1 when it was there. */
int mfr__user_unset(api_user *u, int64_t movie) {
    for (int32_t j = 0; j < u->n; j++)
        if (u->movie[j] == movie) {
            memmove(u->movie + j, u->movie + j + 1, sizeof *u->movie * (size_t)(u->n - j - 1));
            memmove(u->rating + j, u->rating + j + 1, sizeof *u->rating * (size_t)(u->n - j - 1));
            memmove(u->time + j, u->time + j + 1, sizeof *u->time * (size_t)(u->n - j - 1));
            u->n--;
            u->vec_version = 0;
            return 1;
        }
    return 0;
}

static void on_rating(void *ctx, int64_t user, int64_t movie, float rating, int64_t time) {
    load_ctx *lc = ctx;
    api_user *u = mfr__user_find(lc->s, user);
    if (!u) return; /* a rating without its user: ignored (cannot happen via the API) */
    if (mfr__user_set(u, movie, rating, time) < 0) lc->oom = 1;
    else atomic_fetch_add(&lc->s->ratings_stored, 1);
}

mfr_status mfr__users_load(mfr_server *s, mfr_error *err) {
    load_ctx lc = {s, 0};
    s->next_user_id = s->cur->max_user_id + 1;
    mfr_status st = mfr__store_load(s->store, on_user, on_rating, &lc, err);
    if (st == MFR_OK && lc.oom) st = mfr__nomem(err, "the stored users");
    return st;
}

void mfr__users_free(mfr_server *s) {
    for (int64_t i = 0; i < s->n_users; i++) user_free(s->users[i]);
    mfr__free(s->users);
    s->users = NULL;
    s->n_users = s->cap_users = 0;
}

mfr_status mfr__user_vec(api_user *u, model_ref *mr, const int32_t *items, const float *ratings,
                         int32_t n, const float **vec, mfr_error *err) {
    int32_t dim = mr->fold_dim;
    *vec = NULL;
    if (dim <= 0) return MFR_OK; /* the model answers from the rated movies alone */
    if (u->vec && u->vec_version == mr->version && u->vec_dim == dim) {
        *vec = u->vec;
        return MFR_OK;
    }
    if (u->vec_dim != dim || !u->vec) {
        mfr__free(u->vec);
        u->vec = mfr__calloc((size_t)dim, sizeof *u->vec);
        u->vec_dim = u->vec ? dim : 0;
        if (!u->vec) return mfr__nomem(err, "a fold-in vector");
    }
    mfr_status st = n > 0 ? mfr_model_fold_in(mr->m, items, ratings, n, u->vec, NULL) : MFR_OK;
    if (st == MFR_E_NOMEM) return mfr__nomem(err, "the fold-in");
    /* no ratings, or a fold-in the model refused: the zero vector, i.e. the
     * model's fallback μ + b_i; a rating write is never followed by an error */
    if (n == 0 || st != MFR_OK) memset(u->vec, 0, sizeof *u->vec * (size_t)dim);
    u->vec_version = mr->version;
    *vec = u->vec;
    return MFR_OK;
}

/* Append a new user (id larger than all) to the table. -1 on OOM. */
int mfr__users_append(mfr_server *s, api_user *u) {
    pthread_rwlock_wrlock(&s->users_lock);
    int ok = 1;
    if (s->n_users == s->cap_users) {
        int64_t cap = s->cap_users ? s->cap_users * 2 : 64;
        api_user **v = mfr__realloc(s->users, sizeof *v * (size_t)cap);
        if (v) { s->users = v; s->cap_users = cap; }
        else ok = 0;
    }
    if (ok) s->users[s->n_users++] = u;
    pthread_rwlock_unlock(&s->users_lock);
    return ok ? 0 : -1;
}
