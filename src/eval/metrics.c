/* metrics.c — rating accuracy and full-catalogue ranking metrics.
 *
 * Accuracy walks the test ratings once: e = r̂(u,i) - r, summing e² and |e| in
 * doubles; RMSE = sqrt(Σe²/n), MAE = Σ|e|/n, MSE = Σe²/n. A user or item with no
 * training ratings is predicted with index -1 (the model's fallback, μ plus
 * the known bias) and counted.
 *
 * Ranking groups the test ratings by user (counting sort), then for each known
 * user asks mfr_model_recommend for the top K (the one scoring path that
 * recommend, the batch and the server use: ranking scores, ties broken by
 * smaller item index, training items excluded) and applies the definitions
 * at the top of include/mfrec/eval.h. The per-user
 * lists are stored ([users × K]) so coverage and novelty are computed after,
 * serially; users are scored in parallel with OpenMP, each thread with its own
 * score buffer and seen-mask. */
#include "eval_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int user_known(const mfr_model *m, int32_t u) {
    int32_t n = 0;
    if (u < 0 || u >= mfr_model_n_users(m)) return 0;
    mfr_model_user_items(m, u, &n);
    return n > 0;
}

static int item_known(const mfr_model *m, int32_t i) {
    return i >= 0 && i < mfr_model_n_items(m) && mfr_model_item_count(m, i) > 0;
}

void mfr_eval_accuracy(const mfr_model *m, const mfr_ratings *test, mfr_accuracy *out) {
    memset(out, 0, sizeof *out);
    double se = 0.0, ae = 0.0;
    for (int64_t j = 0; j < test->n; j++) {
        int32_t u = test->user[j], i = test->item[j];
        if (!user_known(m, u)) {
            out->unknown_users++;
            u = -1;
        }
        if (!item_known(m, i)) {
            out->unknown_items++;
            i = -1;
        }
        float p = test->time ? mfr_model_predict_at(m, u, i, test->time[j]) : mfr_model_predict(m, u, i);
        double e = (double)p - (double)test->rating[j];
        se += e * e;
        ae += fabs(e);
    }
    out->n = test->n;
    out->mse = test->n ? se / (double)test->n : NAN;
    out->rmse = test->n ? sqrt(out->mse) : NAN;
    out->mae = test->n ? ae / (double)test->n : NAN;
}

/* ---- the whole test set ------------------------------------------------- */

mfr_ranking_params mfr_ranking_params_default(void) {
    mfr_ranking_params p = {.k = 10, .threshold = 4.0f, .threads = 0, .min_ratings = 1};
    return p;
}

/* 1-based rank, in the full candidate ordering, of the best relevant candidate;
 * 0 when no relevant item is a candidate. */
static int64_t first_relevant_rank(const float *s, const uint8_t *skip, int32_t n,
                                   const int32_t *rel, int32_t n_rel) {
    int32_t best = -1;
    for (int32_t j = 0; j < n_rel; j++) {
        int32_t i = rel[j];
        if (i < 0 || i >= n || skip[i] || isnan(s[i])) continue;
        if (best < 0 || mfr__rank_better(s, i, best)) best = i;
    }
    if (best < 0) return 0;
    int64_t r = 1;
    for (int32_t i = 0; i < n; i++)
        if (!skip[i] && !isnan(s[i]) && i != best && mfr__rank_better(s, i, best)) r++;
    return r;
}

typedef struct rank_work {
    const mfr_model *m;
    const mfr_ratings *test;
    const mfr_ranking_params *p;
    const int64_t *order, *start; /* test ratings grouped by user */
    const uint8_t *cold;          /* items under min_ratings training ratings */
    int32_t *lists, *list_len;    /* [n_users * k], [n_users] */
    mfr_rank_user *per_user;      /* [n_users] */
    int8_t *state;                /* 0 no test, 1 ranked, 2 no relevant, 3 unknown */
} rank_work;

/* The user's list is the one mfr_model_recommend gives (the same scoring
 * path as recommend, the batch and the server), its scores array kept for
 * the rank of the first relevant item (MRR). */
static void rank_one_user(const rank_work *w, int32_t u, float *s, uint8_t *skip,
                          int32_t *rel, mfr_scored *rows) {
    const mfr_model *m = w->m;
    int64_t c = w->start[u + 1] - w->start[u];
    if (c == 0) return;
    if (!user_known(m, u)) {
        w->state[u] = 3;
        return;
    }
    int32_t n_rel = 0, n_seen = 0;
    for (int64_t q = w->start[u]; q < w->start[u + 1]; q++) {
        int64_t j = w->order[q];
        int32_t i = w->test->item[j];
        if (w->test->rating[j] >= w->p->threshold && i >= 0 && !mfr__contains(rel, n_rel, i))
            rel[n_rel++] = i;
    }
    if (n_rel == 0) {
        w->state[u] = 2;
        return;
    }
    mfr_recommend_params rp = mfr_recommend_params_default();
    rp.n = w->p->k;
    rp.min_ratings = w->p->min_ratings;
    rp.exclude_seen = 1;
    rp.scores = s;
    int32_t got = 0;
    if (mfr_model_recommend(m, u, &rp, rows, &got, NULL)) {
        w->state[u] = -1;
        return;
    }
    int32_t *list = w->lists + (size_t)u * w->p->k;
    for (int32_t q = 0; q < got; q++) list[q] = rows[q].item;
    w->list_len[u] = got;
    const int32_t *seen = mfr_model_user_items(m, u, &n_seen);
    for (int32_t q = 0; q < n_seen; q++) skip[seen[q]] = 1;
    int64_t fr = first_relevant_rank(s, skip, mfr_model_n_items(m), rel, n_rel);
    mfr_rank_user_metrics(list, got, rel, n_rel, w->p->k, fr, &w->per_user[u]);
    for (int32_t q = 0; q < n_seen; q++) skip[seen[q]] = w->cold[seen[q]];
    w->state[u] = 1;
}

static void rank_users(const rank_work *w, int threads) {
    int32_t nu = mfr_model_n_users(w->m), ni = mfr_model_n_items(w->m);
#pragma omp parallel num_threads(threads)
    {
        float *s = mfr__malloc((size_t)(ni > 0 ? ni : 1) * sizeof *s);
        uint8_t *skip = mfr__malloc((size_t)(ni > 0 ? ni : 1));
        int32_t *rel = mfr__malloc((size_t)(w->test->n > 0 ? w->test->n : 1) * sizeof *rel);
        mfr_scored *rows = mfr__malloc((size_t)w->p->k * sizeof *rows);
        int ok = s && skip && rel && rows;
        if (ok) memcpy(skip, w->cold, (size_t)ni);
#pragma omp for schedule(dynamic, 16)
        for (int32_t u = 0; u < nu; u++) {
            if (ok) rank_one_user(w, u, s, skip, rel, rows);
            else if (w->start[u + 1] > w->start[u]) w->state[u] = -1; /* -> MFR_E_NOMEM */
        }
        mfr__free(s);
        mfr__free(skip);
        mfr__free(rel);
        mfr__free(rows);
    }
}

/* rank[i] = 1-based popularity rank of item i by training count (ties by
 * index). */
static int cmp_pop(const void *a, const void *b, void *ctx) {
    const int32_t *cnt = ctx;
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    if (cnt[x] != cnt[y]) return cnt[x] > cnt[y] ? -1 : 1;
    return x < y ? -1 : x > y;
}

static mfr_status popularity_rank(const mfr_model *m, int32_t *rank, mfr_error *err) {
    int32_t n = mfr_model_n_items(m);
    int32_t *cnt = mfr__malloc((size_t)(n > 0 ? n : 1) * sizeof *cnt);
    int32_t *ord = mfr__malloc((size_t)(n > 0 ? n : 1) * sizeof *ord);
    mfr_status s = cnt && ord ? MFR_OK : mfr__nomem(err, "popularity ranks");
    for (int32_t i = 0; !s && i < n; i++) {
        cnt[i] = mfr_model_item_count(m, i);
        ord[i] = i;
    }
    if (!s) qsort_r(ord, (size_t)n, sizeof *ord, cmp_pop, cnt);
    for (int32_t r = 0; !s && r < n; r++) rank[ord[r]] = r + 1;
    mfr__free(cnt);
    mfr__free(ord);
    return s;
}

/* Means over ranked users; coverage and novelty over their lists. */
static mfr_status summarize(const rank_work *w, mfr_ranking *out, mfr_error *err) {
    const mfr_model *m = w->m;
    int32_t k = w->p->k;
    double sum[6] = {0};
    int64_t n_rec = 0, n_cand = 0, distinct = 0;
    double pop_sum = 0.0;
    uint8_t *hit = mfr__calloc((size_t)mfr_model_n_items(m) + 1, 1);
    int32_t *rank = mfr__malloc(((size_t)mfr_model_n_items(m) + 1) * sizeof *rank);
    mfr_status s = hit && rank ? popularity_rank(m, rank, err) : mfr__nomem(err, "ranking summary");
    for (int32_t u = 0; u < mfr_model_n_users(m) && !s; u++) {
        if (w->state[u] == -1) s = mfr__nomem(err, "ranking buffers");
        else if (w->state[u] == 2) out->users_no_relevant++;
        else if (w->state[u] == 3) out->users_unknown++;
        if (w->state[u] != 1) continue;
        const mfr_rank_user *r = &w->per_user[u];
        sum[0] += r->precision; sum[1] += r->recall; sum[2] += r->ndcg;
        sum[3] += r->ap; sum[4] += r->hit; sum[5] += r->rr;
        out->users_ranked++;
        for (int32_t q = 0; q < w->list_len[u]; q++) {
            int32_t i = w->lists[(size_t)u * k + q];
            distinct += !hit[i];
            hit[i] = 1;
            pop_sum += rank[i];
            n_rec++;
        }
    }
    for (int32_t i = 0; i < mfr_model_n_items(m); i++) n_cand += !w->cold[i];
    double nr = (double)out->users_ranked;
    double *dst[6] = {&out->precision, &out->recall, &out->ndcg, &out->map, &out->hit, &out->mrr};
    for (int q = 0; q < 6; q++) *dst[q] = nr > 0 ? sum[q] / nr : NAN;
    out->coverage = n_cand > 0 && nr > 0 ? (double)distinct / (double)n_cand : NAN;
    out->novelty = n_rec > 0 ? pop_sum / (double)n_rec : NAN;
    mfr__free(hit);
    mfr__free(rank);
    return s;
}

static mfr_status group_test(const mfr_ratings *t, int32_t nu, int64_t **order,
                             int64_t **start, int64_t *no_index, mfr_error *err) {
    int64_t *st = mfr__calloc((size_t)nu + 2, sizeof *st);
    int64_t *ord = mfr__malloc((size_t)(t->n > 0 ? t->n : 1) * sizeof *ord);
    if (!st || !ord) {
        mfr__free(st);
        mfr__free(ord);
        return mfr__nomem(err, "test groups");
    }
    *no_index = 0;
    for (int64_t j = 0; j < t->n; j++) {
        if (t->user[j] >= 0 && t->user[j] < nu) st[t->user[j] + 2]++;
        else (*no_index)++;
    }
    for (int32_t u = 0; u < nu; u++) st[u + 2] += st[u + 1];
    for (int64_t j = 0; j < t->n; j++)
        if (t->user[j] >= 0 && t->user[j] < nu) ord[st[t->user[j] + 1]++] = j;
    *order = ord;
    *start = st;
    return MFR_OK;
}

mfr_status mfr_eval_ranking(const mfr_model *m, const mfr_ratings *test,
                            const mfr_ranking_params *p, mfr_ranking *out, mfr_error *err) {
    memset(out, 0, sizeof *out);
    if (p->k < 1) return mfr__err(err, MFR_E_INVALID, "ranking k %d must be >= 1", p->k);
    int32_t nu = mfr_model_n_users(m), ni = mfr_model_n_items(m);
    rank_work w = {.m = m, .test = test, .p = p};
    int64_t *order = NULL, *start = NULL, no_index = 0;
    mfr_status s = group_test(test, nu, &order, &start, &no_index, err);
    if (s) return s;
    w.order = order;
    w.start = start;
    uint8_t *cold = mfr__malloc((size_t)ni + 1);
    w.lists = mfr__malloc(((size_t)nu * p->k + 1) * sizeof *w.lists);
    w.list_len = mfr__calloc((size_t)nu + 1, sizeof *w.list_len);
    w.per_user = mfr__calloc((size_t)nu + 1, sizeof *w.per_user);
    w.state = mfr__calloc((size_t)nu + 1, 1);
    if (!cold || !w.lists || !w.list_len || !w.per_user || !w.state) {
        s = mfr__nomem(err, "ranking work");
        goto done;
    }
    for (int32_t i = 0; i < ni; i++) cold[i] = mfr_model_item_count(m, i) < p->min_ratings;
    w.cold = cold;
    rank_users(&w, p->threads > 0 ? p->threads : mfr_cpu_count());
    s = summarize(&w, out, err);
    out->users_unknown += no_index;
done:
    mfr__free(order);
    mfr__free(start);
    mfr__free(cold);
    mfr__free(w.lists);
    mfr__free(w.list_len);
    mfr__free(w.per_user);
    mfr__free(w.state);
    return s;
}
