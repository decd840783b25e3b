/* split.c — train/test splits of a ratings view, and subsets built from them.
 *
 * A split is one int32 per rating (fold[j]): 0..k-1 for k-fold, 0 = train /
 * 1 = test for the holdout kinds. Every kind is deterministic in its seed:
 *   holdout  — a Fisher–Yates shuffle of 0..n-1; the first round(n*frac) go
 *              to test (so the test size is exact, not binomial);
 *   kfold    — the same shuffle; position p goes to fold p mod k, so fold
 *              sizes differ by at most one and every rating is in one fold;
 *   leave-out — per user (ratings grouped by a counting sort on user), a
 *              partial shuffle picks leave_out ratings; users with fewer than
 *              min_user_ratings ratings stay wholly in train;
 *   time     — ratings ordered by (timestamp, index); the last round(n*frac)
 *              are test, so no test rating is older than a train rating;
 *   user-last — per user, the leave_out latest by (timestamp, index).
 * Subsets (mfr_ratings_select) are owned copies of the four parallel arrays. */
#include "../core/core.h"
#include "dataset_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

mfr_split_params mfr_split_params_default(void) {
    mfr_split_params p = {
        .kind = MFR_SPLIT_HOLDOUT, .test_frac = 0.2, .folds = 5,
        .leave_out = 1, .min_user_ratings = 0, .seed = 42,
    };
    return p;
}

const char *mfr_split_kind_name(mfr_split_kind k) {
    static const char *names[] = {"holdout", "kfold", "leave-out", "time", "user-last"};
    return (unsigned)k < sizeof names / sizeof *names ? names[k] : NULL;
}

int32_t mfr_split_test_fold(const mfr_split_params *p, int32_t t) {
    return p->kind == MFR_SPLIT_KFOLD ? t : 1;
}

/* perm = a seeded random permutation of 0..n-1. */
static void shuffle(int64_t *perm, int64_t n, uint64_t seed) {
    mfr__rng rng;
    mfr__rng_seed_stream(&rng, seed, 0x5e11);
    for (int64_t j = 0; j < n; j++) perm[j] = j;
    mfr__shuffle_i64(&rng, perm, n);
}

static int64_t frac_count(int64_t n, double frac) {
    int64_t c = (int64_t)llround((double)n * frac);
    return c < 0 ? 0 : c > n ? n : c;
}

/* Ratings grouped by user: order[start[u] .. start[u+1]) are user u's
 * rating indices in increasing index order. Both arrays are the caller's
 * to free, also on failure. */
static mfr_status group_by_user(const mfr_ratings *r, int64_t **order, int64_t **start,
                                mfr_error *err) {
    int64_t *st = *start = mfr__calloc((size_t)r->n_users + 2, sizeof *st);
    int64_t *ord = *order = mfr__malloc((size_t)(r->n > 0 ? r->n : 1) * sizeof *ord);
    if (!st || !ord) return mfr__nomem(err, "split user groups");
    for (int64_t j = 0; j < r->n; j++) st[r->user[j] + 2]++;
    for (int32_t u = 0; u < r->n_users; u++) st[u + 2] += st[u + 1];
    for (int64_t j = 0; j < r->n; j++) ord[st[r->user[j] + 1]++] = j;
    return MFR_OK; /* st[u] .. st[u+1] after the fill shifted it by one */
}

typedef struct tkey {
    int64_t t, j;
} tkey;

static int cmp_tkey(const void *a, const void *b) {
    const tkey *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    return x->j < y->j ? -1 : x->j > y->j;
}

static mfr_status split_time(const mfr_ratings *r, double frac, int32_t *fold, mfr_error *err) {
    tkey *k = mfr__malloc((size_t)(r->n > 0 ? r->n : 1) * sizeof *k);
    if (!k) return mfr__nomem(err, "time split");
    for (int64_t j = 0; j < r->n; j++) k[j] = (tkey){r->time[j], j};
    qsort(k, (size_t)r->n, sizeof *k, cmp_tkey);
    int64_t cut = r->n - frac_count(r->n, frac);
    for (int64_t p = 0; p < r->n; p++) fold[k[p].j] = p >= cut;
    mfr__free(k);
    return MFR_OK;
}

/* Per-user kinds: leave-out (random) and user-last (by time). */
static mfr_status split_per_user(const mfr_ratings *r, const mfr_split_params *p,
                                 int32_t *fold, mfr_error *err) {
    int64_t *order = NULL, *start = NULL;
    mfr_status s = group_by_user(r, &order, &start, err);
    int32_t minr = p->min_user_ratings > p->leave_out ? p->min_user_ratings : p->leave_out + 1;
    mfr__rng rng;
    mfr__rng_seed_stream(&rng, p->seed, 0x1eaf);
    int64_t maxc = 0;
    for (int32_t u = 0; !s && u < r->n_users; u++)
        if (start[u + 1] - start[u] > maxc) maxc = start[u + 1] - start[u];
    tkey *k = s ? NULL : mfr__malloc((size_t)(maxc > 0 ? maxc : 1) * sizeof *k);
    if (!s && !k) s = mfr__nomem(err, "per-user split");
    for (int64_t j = 0; !s && j < r->n; j++) fold[j] = 0;
    for (int32_t u = 0; !s && u < r->n_users; u++) {
        int64_t *g = order + start[u], c = start[u + 1] - start[u];
        if (c < minr) continue;
        if (p->kind == MFR_SPLIT_LEAVE_OUT) {
            for (int32_t t = 0; t < p->leave_out; t++) { /* partial Fisher–Yates */
                int64_t s2 = t + (int64_t)mfr__rng_below(&rng, (uint64_t)(c - t));
                int64_t tmp = g[t];
                g[t] = g[s2];
                g[s2] = tmp;
                fold[g[t]] = 1;
            }
        } else {
            for (int64_t q = 0; q < c; q++) k[q] = (tkey){r->time[g[q]], g[q]};
            qsort(k, (size_t)c, sizeof *k, cmp_tkey);
            for (int64_t q = c - p->leave_out; q < c; q++) fold[k[q].j] = 1;
        }
    }
    mfr__free(k);
    mfr__free(order);
    mfr__free(start);
    return s;
}

static mfr_status check_params(const mfr_ratings *r, const mfr_split_params *p, mfr_error *err) {
    switch (p->kind) {
    case MFR_SPLIT_HOLDOUT:
    case MFR_SPLIT_TIME:
        if (!(p->test_frac > 0.0 && p->test_frac < 1.0))
            return mfr__err(err, MFR_E_INVALID, "test_frac %g outside (0, 1)", p->test_frac);
        break;
    case MFR_SPLIT_KFOLD:
        if (p->folds < 2 || p->folds > r->n)
            return mfr__err(err, MFR_E_INVALID, "folds %d outside 2..%lld (the number of ratings)",
                            p->folds, (long long)r->n);
        break;
    case MFR_SPLIT_LEAVE_OUT:
    case MFR_SPLIT_USER_LAST:
        if (p->leave_out < 1)
            return mfr__err(err, MFR_E_INVALID, "leave_out %d must be >= 1", p->leave_out);
        break;
    default:
        return mfr__err(err, MFR_E_INVALID, "unknown split kind %d", (int)p->kind);
    }
    if ((p->kind == MFR_SPLIT_TIME || p->kind == MFR_SPLIT_USER_LAST) && !r->time)
        return mfr__err(err, MFR_E_INVALID, "%s split needs timestamps; these ratings have none",
                        mfr_split_kind_name(p->kind));
    return MFR_OK;
}

mfr_status mfr_split_assign(const mfr_ratings *r, const mfr_split_params *p,
                            int32_t *fold, int32_t *n_folds, mfr_error *err) {
    mfr_status s = check_params(r, p, err);
    if (s) return s;
    *n_folds = p->kind == MFR_SPLIT_KFOLD ? p->folds : 1;
    if (p->kind == MFR_SPLIT_TIME) return split_time(r, p->test_frac, fold, err);
    if (p->kind == MFR_SPLIT_LEAVE_OUT || p->kind == MFR_SPLIT_USER_LAST)
        return split_per_user(r, p, fold, err);
    int64_t *perm = mfr__malloc((size_t)(r->n > 0 ? r->n : 1) * sizeof *perm);
    if (!perm) return mfr__nomem(err, "split permutation");
    shuffle(perm, r->n, p->seed);
    if (p->kind == MFR_SPLIT_KFOLD) {
        for (int64_t q = 0; q < r->n; q++) fold[perm[q]] = (int32_t)(q % p->folds);
    } else {
        int64_t nt = frac_count(r->n, p->test_frac);
        for (int64_t q = 0; q < r->n; q++) fold[perm[q]] = q < nt;
    }
    mfr__free(perm);
    return MFR_OK;
}

static mfr_status ratings_alloc(mfr_ratings *o, int64_t n, int with_time, mfr_error *err) {
    size_t c = (size_t)(n > 0 ? n : 1);
    int32_t *u = mfr__malloc(c * sizeof *u), *i = mfr__malloc(c * sizeof *i);
    float *v = mfr__malloc(c * sizeof *v);
    int64_t *t = with_time ? mfr__malloc(c * sizeof *t) : NULL;
    if (!u || !i || !v || (with_time && !t)) {
        mfr__free(u);
        mfr__free(i);
        mfr__free(v);
        mfr__free(t);
        return mfr__nomem(err, "ratings subset");
    }
    o->n = n;
    o->user = u;
    o->item = i;
    o->rating = v;
    o->time = t;
    return MFR_OK;
}

/* The n ratings j of all whose keep(j) == want into out: keep(j) is
 * fold[j] == f, or (fold NULL) bit j of bits (held out: 1). */
static mfr_status select_rows(const mfr_ratings *all, const int32_t *fold, int32_t f,
                              const uint64_t *bits, int want, int64_t n, mfr_ratings *out,
                              mfr_error *err) {
    mfr_status s = ratings_alloc(out, n, all->time != NULL, err);
    if (s) return s;
    out->n_users = all->n_users;
    out->n_items = all->n_items;
    int32_t *u = (int32_t *)out->user, *i = (int32_t *)out->item;
    float *v = (float *)out->rating;
    int64_t *t = (int64_t *)out->time, q = 0;
    for (int64_t j = 0; j < all->n; j++) {
        int keep = fold ? fold[j] == f : (int)(bits[j >> 6] >> (j & 63) & 1);
        if (keep != !!want) continue;
        u[q] = all->user[j], i[q] = all->item[j], v[q] = all->rating[j];
        if (t) t[q] = all->time[j];
        q++;
    }
    return MFR_OK;
}

mfr_status mfr_ratings_select(const mfr_ratings *r, const int32_t *fold, int32_t f,
                              int want, mfr_ratings *out, mfr_error *err) {
    memset(out, 0, sizeof *out);
    int64_t n = 0;
    for (int64_t j = 0; j < r->n; j++) n += (fold[j] == f) == !!want;
    return select_rows(r, fold, f, NULL, want, n, out, err);
}

void mfr_ratings_free(mfr_ratings *r) {
    if (!r) return;
    mfr__free((void *)r->user);
    mfr__free((void *)r->item);
    mfr__free((void *)r->rating);
    mfr__free((void *)r->time);
    memset(r, 0, sizeof *r);
}

mfr_status mfr_ratings_map(const mfr_dataset *src, const mfr_dataset *dst,
                           mfr_ratings *out, mfr_error *err) {
    mfr_ratings r;
    mfr_dataset_ratings(src, &r);
    memset(out, 0, sizeof *out);
    mfr_status s = ratings_alloc(out, r.n, r.time != NULL, err);
    if (s) return s;
    mfr_dataset_stats st;
    mfr_dataset_stats_get(dst, &st);
    out->n_users = st.n_users;
    out->n_items = st.n_items;
    int32_t *u = (int32_t *)out->user, *i = (int32_t *)out->item;
    for (int64_t j = 0; j < r.n; j++) {
        u[j] = mfr_dataset_user_index(dst, mfr_dataset_user_id(src, r.user[j]));
        i[j] = mfr_dataset_item_index(dst, mfr_dataset_item_id(src, r.item[j]));
    }
    memcpy((float *)out->rating, r.rating, (size_t)r.n * sizeof *r.rating);
    if (r.time) memcpy((int64_t *)out->time, r.time, (size_t)r.n * sizeof *r.time);
    return MFR_OK;
}

mfr_status mfr__holdout_bits(int64_t n, double frac, uint64_t seed, uint64_t **bits,
                             int64_t *held, mfr_error *err) {
    *bits = NULL, *held = 0;
    if (!(frac > 0.0 && frac < 1.0))
        return mfr__err(err, MFR_E_INVALID, "test_frac %g outside (0, 1)", frac);
    if (n < 0 || n > INT32_MAX) return mfr__err(err, MFR_E_INVALID, "holdout of %lld ratings", (long long)n);
    /* the shuffle of a holdout split (mfr_split_assign), of 4-byte positions */
    int32_t *perm = mfr__malloc(sizeof *perm * (size_t)(n > 0 ? n : 1));
    uint64_t *b = mfr__calloc((size_t)n / 64 + 1, sizeof *b);
    if (!perm || !b) {
        mfr__free(perm), mfr__free(b);
        return mfr__nomem(err, "validation split");
    }
    mfr__rng rng;
    mfr__rng_seed_stream(&rng, seed, 0x5e11);
    for (int64_t j = 0; j < n; j++) perm[j] = (int32_t)j;
    mfr__shuffle_i32(&rng, perm, n);
    int64_t nt = frac_count(n, frac);
    for (int64_t q = 0; q < nt; q++) b[perm[q] >> 6] |= (uint64_t)1 << (perm[q] & 63);
    mfr__free(perm);
    *bits = b, *held = nt;
    return MFR_OK;
}

mfr_status mfr_ratings_holdout(const mfr_ratings *all, double frac, uint64_t seed,
                               mfr_ratings *tr, mfr_ratings *va, mfr_error *err) {
    memset(tr, 0, sizeof *tr), memset(va, 0, sizeof *va);
    uint64_t *bits;
    int64_t held;
    mfr_status st = mfr__holdout_bits(all->n, frac, seed, &bits, &held, err);
    if (!st) st = select_rows(all, NULL, 0, bits, 0, all->n - held, tr, err);
    if (!st) st = select_rows(all, NULL, 0, bits, 1, held, va, err);
    mfr__free(bits);
    if (st) mfr_ratings_free(tr), mfr_ratings_free(va);
    return st;
}
