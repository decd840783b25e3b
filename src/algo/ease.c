/* ease.c — EASE^R (Steck 2019, "Embarrassingly Shallow Autoencoders for
 * Sparse Data", WWW): the item-item weights
 *
 *     B = argmin ‖X − XB‖² + λ‖B‖²  subject to diag(B) = 0,
 *     P = (XᵀX + λI)⁻¹,  B = I − P·diag(1/diag P), i.e. B_ij = −P_ij / P_jj,
 *
 * where X (users × covered items) holds each training rating's input weight
 * w(r) = (r / r_max)^rating_power (1 for every rating when the power is 0;
 * docs/models.md says which input measured best). A user with weighted row
 * x scores s = x·B: the sum of the rows of B of the movies they rated, so a
 * new user is served at once with no solve.
 *
 * Covered items: those with at least rank_min_ratings training ratings (a
 * movie a single person rated has no co-occurrence to learn from), and no
 * more than the memory budget holds: B takes 4·n² bytes, built in place from
 * the Gram matrix, so the peak is one n × n float matrix plus a block of 256
 * user rows. Items not covered are never ranked (NaN).
 *
 * Numerics: G = XᵀX + λI accumulated (lower triangle) by blocks of users
 * with cblas_ssyrk, inverted through its Cholesky factor (mfr__chol, which
 * is LAPACK's blocked spotrf at these sizes, then LAPACKE spotri, both in
 * place on the column-major view of the row-major lower triangle, so LAPACKE
 * makes no transposed n × n copy; single
 * precision: on ml-latest-small the lists match a double-precision inverse,
 * tests/unit/test_algo_ease.c checks B against a direct inverse). The
 * family's rating predictions (the stars shown) are the baseline
 * μ + b_u + b_i, fitted by the baseline family. */
#include "ease.h"
#include "../linalg/linalg.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <omp.h>
#include <string.h>

#define T_EASB MFR_TAG('E', 'A', 'S', 'B')
#define T_EASI MFR_TAG('E', 'A', 'S', 'I')
#define T_EASP MFR_TAG('E', 'A', 'S', 'P')
#define T_EASC MFR_TAG('E', 'A', 'S', 'C')
#define T_EASV MFR_TAG('E', 'A', 'S', 'V')
enum { EASE_BLOCK = 256 };

typedef struct ease_state {
    int32_t n;            /* covered items */
    const int32_t *item;  /* [n] model index of each row, ascending */
    const float *B;       /* [n * n] dense, or NULL when pruned: */
    const int64_t *ptr;   /* [n + 1] row starts of the kept weights */
    const int32_t *col;   /* [ptr[n]] their columns as model item indices, ascending */
    const float *val;     /* [ptr[n]] their values */
    uint16_t *crow;       /* [ptr[n]] pruned: the columns as covered rows, when n <= 65536 */
    int32_t *crow32;      /* [ptr[n]] the same for larger n */
    float *cbias, *cnorm; /* [n] b_i and an upper bound of ‖q_i‖ of the covered items, when
                             the model has item biases and factors (auto's bounds) */
    int32_t *row;         /* [n_items] row of each model item, -1 if not covered */
    float *tail;          /* [n_items] 0 for covered, μ + b_i − 10⁴ for the others
                             (auto's order for what EASE does not cover) */
} ease_state;

float mfr__ease_weight(const mfr_model *m, float r) {
    float pw = m->params.rating_power;
    if (pw == 0.0f || !(r > 0.0f)) return 1.0f;
    float x = r / m->rmax;
    return pw == 1.0f ? x : powf(x, pw);
}

/* A scored user's input weight: the training weight, except that a rating
 * at the bottom of the scale (the web app's "not interested" is 0.5 on
 * MovieLens) counts against: −w(r_max), so the movies that go with it move
 * down by as much as a top rating moves them up. */
static float user_weight(const mfr_model *m, const mfr__who *w, int32_t j) {
    float r = w->ratings ? w->ratings[j] : m->rmax;
    if (r <= m->rmin && m->rmin < m->rmax) return -mfr__ease_weight(m, m->rmax);
    return mfr__ease_weight(m, r);
}

/* Covered items: count >= min, the most rated first until the budget; the
 * result in ascending index order. Returns how many, or -1 on no memory. */
static int32_t choose_items(const mfr_model *m, int32_t min, int64_t max_n, int32_t *out) {
    int32_t n = 0;
    for (int32_t i = 0; i < m->n_items; i++)
        if (m->item_count[i] >= min) out[n++] = i;
    if (n <= max_n) return n;
    /* Keep the max_n most rated: find the count cutoff by a histogram over
     * counts, ties at the cutoff broken by the smaller index. */
    int32_t top = 0;
    for (int32_t j = 0; j < n; j++) top = m->item_count[out[j]] > top ? m->item_count[out[j]] : top;
    int64_t *hist = mfr__calloc((size_t)top + 2, sizeof *hist);
    if (!hist) return -1;
    for (int32_t j = 0; j < n; j++) hist[m->item_count[out[j]]]++;
    int64_t kept = 0;
    int32_t cut = top;
    for (; cut >= min; cut--) {
        if (kept + hist[cut] >= max_n) break;
        kept += hist[cut];
    }
    int64_t room_at_cut = max_n - kept;
    int32_t w = 0;
    for (int32_t j = 0; j < n; j++) {
        int32_t c = m->item_count[out[j]];
        if (c > cut || (c == cut && room_at_cut-- > 0)) out[w++] = out[j];
    }
    mfr__free(hist);
    return w;
}

/* G += X_bᵀ X_b over users [u0, u1), G lower triangle; xb scratch 256 × n. */
static void gram_block(const mfr_model *m, const mfr__csr *byu, const int32_t *row, int32_t u0,
                       int32_t u1, int32_t n, float *xb, float *G) {
    memset(xb, 0, (size_t)(u1 - u0) * (size_t)n * sizeof *xb);
    for (int32_t u = u0; u < u1; u++)
        for (int64_t j = byu->ptr[u]; j < byu->ptr[u + 1]; j++) {
            int32_t r = row[byu->idx[j]];
            if (r >= 0) xb[(size_t)(u - u0) * n + r] = mfr__ease_weight(m, byu->val[j]);
        }
    cblas_ssyrk(CblasRowMajor, CblasLower, CblasTrans, n, u1 - u0, 1.0f, xb, n, 1.0f, G, n);
}

/* The keep largest |B_jc| of row j (ties by the smaller column) into col /
 * val, columns ascending; tmp scratch for n floats. */
static void keep_row(const float *b, int32_t n, int32_t keep, float *tmp, int32_t *col, float *val) {
    /* threshold: the keep-th largest magnitude, by selection on a copy */
    for (int32_t c = 0; c < n; c++) tmp[c] = fabsf(b[c]);
    int32_t lo = 0, hi = n - 1, want = keep - 1; /* descending order index */
    while (lo < hi) {
        float piv = tmp[lo + (hi - lo) / 2];
        int32_t i = lo, j = hi;
        while (i <= j) {
            while (tmp[i] > piv) i++;
            while (tmp[j] < piv) j--;
            if (i <= j) {
                float t = tmp[i];
                tmp[i++] = tmp[j];
                tmp[j--] = t;
            }
        }
        if (want <= j) hi = j;
        else if (want >= i) lo = i;
        else break;
    }
    float cut = tmp[want];
    int32_t above = 0;
    for (int32_t c = 0; c < n; c++) above += fabsf(b[c]) > cut;
    int32_t at_cut = keep - above, w = 0;
    for (int32_t c = 0; c < n && w < keep; c++) {
        float a = fabsf(b[c]);
        if (a > cut || (a == cut && at_cut-- > 0)) col[w] = c, val[w++] = b[c];
    }
}

/* Sparse B: each row's keep largest weights (sections EASP, EASC, EASV), the
 * columns stored as model item indices so scoring adds straight into the
 * catalogue's order. */
static mfr_status prune(mfr_model *m, const float *B, const int32_t *item, int32_t n, int32_t keep,
                        int threads, mfr_error *err) {
    size_t nnz = (size_t)n * (size_t)keep;
    int64_t *ptr;
    int32_t *col;
    float *val, *tmp = NULL;
    const char *what = "ease: pruned B";
    mfr_status st = mfr__model_new_extra(m, T_EASP, ((size_t)n + 1) * sizeof *ptr, (void **)&ptr,
                                         what, err);
    if (!st) st = mfr__model_new_extra(m, T_EASC, nnz * sizeof *col, (void **)&col, what, err);
    if (!st) st = mfr__model_new_extra(m, T_EASV, nnz * sizeof *val, (void **)&val, what, err);
    if (!st && !(tmp = mfr__malloc((size_t)threads * (size_t)n * sizeof *tmp)))
        st = mfr__nomem(err, what);
    if (!st) {
        for (int32_t j = 0; j <= n; j++) ptr[j] = (int64_t)j * keep;
#pragma omp parallel for num_threads(threads) schedule(static)
        for (int32_t j = 0; j < n; j++)
            keep_row(B + (size_t)j * n, n, keep, tmp + (size_t)omp_get_thread_num() * n,
                     col + (size_t)j * keep, val + (size_t)j * keep);
        for (size_t e = 0; e < nnz; e++) col[e] = item[col[e]];
    }
    mfr__free(tmp);
    return st;
}

mfr_status mfr__ease_build(mfr_model *m, const mfr__fit_ctx *ctx, int shrink, mfr_error *err) {
    const mfr_train_params *p = ctx->p;
    int64_t budget = p->max_memory_mb > 0 ? (int64_t)p->max_memory_mb << 20 : INT64_MAX;
    int64_t max_n = (int64_t)floor(sqrt((double)budget / 4.0));
    if (max_n > m->n_items) max_n = m->n_items;
    int32_t n_all = 0;
    for (int32_t i = 0; i < m->n_items; i++) n_all += m->item_count[i] >= p->rank_min_ratings;
    if (n_all > max_n && !shrink) {
        double need = 4.0 * (double)n_all * (double)n_all / 1048576.0;
        return mfr__err(err, MFR_E_LIMIT,
                        "ease: %d movies with >= %d training ratings need a %d x %d matrix B "
                        "(%.0f MiB) but max_memory_mb is %d MiB; raise --max-memory-mb or "
                        "--rank-min-ratings",
                        (int)n_all, (int)p->rank_min_ratings, (int)n_all, (int)n_all, need,
                        (int)p->max_memory_mb);
    }
    int32_t *item = mfr__aligned_alloc(((size_t)m->n_items + 1) * sizeof *item);
    if (!item) return mfr__nomem(err, "ease: item list");
    int32_t n = choose_items(m, p->rank_min_ratings, max_n, item);
    if (n < 0 || (n == 0 && !shrink)) {
        mfr__free(item);
        return n < 0 ? mfr__nomem(err, "ease: item choice")
                     : mfr__err(err, MFR_E_INVALID, "ease: no movie has %d or more training "
                                "ratings (lower rank_min_ratings)", (int)p->rank_min_ratings);
    }
    if (n == 0) { /* auto on data too small: no ranker, lists by rating */
        mfr_status st = mfr__model_add_extra(m, T_EASI, item, 0, err);
        void *none;
        return st ? st : mfr__model_new_extra(m, T_EASB, 0, &none, "ease", err);
    }
    int32_t *row = mfr__malloc(((size_t)m->n_items + 1) * sizeof *row);
    float *G = mfr__aligned_alloc((size_t)n * (size_t)n * sizeof *G); /* zeroed */
    float *xb = mfr__aligned_alloc((size_t)EASE_BLOCK * (size_t)n * sizeof *xb);
    mfr__csr byu = {0};
    mfr_status st = !row || !G || !xb ? mfr__nomem(err, "ease: item-item matrix")
                                      : mfr__csr_rows(ctx->train, m->n_users, m->n_items, 0, &byu, err);
    if (!st) {
        int blas_before = mfr__blas_threads_set(ctx->threads);
        for (int32_t i = 0; i < m->n_items; i++) row[i] = -1;
        for (int32_t r = 0; r < n; r++) row[item[r]] = r;
        for (int32_t u0 = 0; u0 < m->n_users; u0 += EASE_BLOCK) {
            int32_t u1 = u0 + EASE_BLOCK < m->n_users ? u0 + EASE_BLOCK : m->n_users;
            gram_block(m, &byu, row, u0, u1, n, xb, G);
        }
        for (int32_t r = 0; r < n; r++) G[(size_t)r * n + r] += p->ease_lambda;
        int bad = mfr__chol(G, n, n) != 0;
        if (!bad) bad = LAPACKE_spotri_work(LAPACK_COL_MAJOR, 'U', n, G, n) != 0;
        mfr__blas_threads_set(blas_before);
        if (bad)
            st = mfr__err(err, MFR_E_RANGE,
                          "ease: XᵀX + λI not positive definite; raise ease_lambda");
    }
    if (!st) {
        /* P = G (lower triangle) → B_ij = −P_ij / P_jj, full matrix, in place. */
        mfr__sym_fill_upper(G, n, n);
        float *inv_d = xb; /* n floats of scratch */
        for (int32_t j = 0; j < n; j++) inv_d[j] = -1.0f / G[(size_t)j * n + j];
#pragma omp parallel for num_threads(ctx->threads) schedule(static)
        for (int32_t i = 0; i < n; i++) {
            float *g = G + (size_t)i * n;
            for (int32_t j = 0; j < n; j++) g[j] *= inv_d[j];
            g[i] = 0.0f;
        }
    }
    mfr__free(xb);
    mfr__free(row);
    mfr__csr_free(&byu);
    if (!st) st = mfr__model_add_extra(m, T_EASI, item, (uint64_t)n * sizeof *item, err);
    else mfr__free(item);
    if (!st && p->ease_keep > 0 && p->ease_keep < n) {
        st = prune(m, G, item, n, p->ease_keep, ctx->threads, err);
        mfr__free(G);
        return st;
    }
    if (!st) return mfr__model_add_extra(m, T_EASB, G, (uint64_t)n * (uint64_t)n * sizeof *G, err);
    mfr__free(G);
    return st;
}

mfr_status mfr__ease_attach(mfr_model *m, mfr_error *err) {
    uint64_t ni_bytes = 0, b_bytes = 0, p_bytes = 0, c_bytes = 0, v_bytes = 0;
    const int32_t *item = mfr__model_get_extra(m, T_EASI, &ni_bytes);
    const float *B = mfr__model_get_extra(m, T_EASB, &b_bytes);
    const int64_t *ptr = mfr__model_get_extra(m, T_EASP, &p_bytes);
    const int32_t *col = mfr__model_get_extra(m, T_EASC, &c_bytes);
    const float *val = mfr__model_get_extra(m, T_EASV, &v_bytes);
    if (!item || (!B && !(ptr && col && val)))
        return mfr__err(err, MFR_E_FORMAT, "ease: sections EASI and EASB (or EASP, EASC, EASV) missing");
    uint64_t n = ni_bytes / sizeof *item;
    if (ni_bytes % sizeof *item || n > (uint64_t)m->n_items || (B && b_bytes != n * n * sizeof *B))
        return mfr__err(err, MFR_E_FORMAT,
                        "ease: section EASI (%llu bytes) and EASB (%llu bytes) do not fit %d items",
                        (unsigned long long)ni_bytes, (unsigned long long)b_bytes, (int)m->n_items);
    for (uint64_t r = 0; r < n; r++)
        if (item[r] < 0 || item[r] >= m->n_items || (r > 0 && item[r] <= item[r - 1]))
            return mfr__err(err, MFR_E_FORMAT, "ease: section EASI: row %llu holds item %d (not ascending "
                                               "or out of range)", (unsigned long long)r, (int)item[r]);
    if (!B) {
        if (p_bytes != (n + 1) * sizeof *ptr || c_bytes % sizeof *col || c_bytes / sizeof *col != v_bytes / sizeof *val ||
            v_bytes % sizeof *val || ptr[0] != 0 || (uint64_t)ptr[n] != c_bytes / sizeof *col)
            return mfr__err(err, MFR_E_FORMAT, "ease: sections EASP (%llu bytes), EASC (%llu), EASV (%llu) "
                                               "do not fit %llu rows", (unsigned long long)p_bytes,
                            (unsigned long long)c_bytes, (unsigned long long)v_bytes, (unsigned long long)n);
        for (uint64_t r = 0; r < n; r++) {
            if (ptr[r + 1] < ptr[r] || ptr[r + 1] > ptr[n])
                return mfr__err(err, MFR_E_FORMAT, "ease: section EASP: row %llu ends before it starts "
                                "or after the last", (unsigned long long)r);
            for (int64_t e = ptr[r] + 1; e < ptr[r + 1]; e++)
                if (col[e] <= col[e - 1])
                    return mfr__err(err, MFR_E_FORMAT, "ease: section EASC: row %llu's columns do not "
                                    "ascend", (unsigned long long)r);
        }
    }
    mfr__ease_release(m);
    ease_state *s = mfr__calloc(1, sizeof *s);
    int32_t *row = mfr__malloc(((size_t)m->n_items + 1) * sizeof *row), *crow32 = NULL;
    float *tail = mfr__malloc(((size_t)m->n_items + 1) * sizeof *tail), *cbias = NULL, *cnorm = NULL;
    uint16_t *crow = NULL;
    mfr_status st;
    if (!s || !row || !tail) {
        st = mfr__nomem(err, "ease: item rows");
        goto fail;
    }
    for (int32_t i = 0; i < m->n_items; i++) {
        row[i] = -1;
        tail[i] = m->mu + (m->item_bias ? m->item_bias[i] : 0.f) - 1e4f;
    }
    for (uint64_t r = 0; r < n; r++) row[item[r]] = (int32_t)r, tail[item[r]] = 0.0f;
    for (int64_t e = 0; !B && e < ptr[n]; e++)
        if (col[e] < 0 || col[e] >= m->n_items || row[col[e]] < 0) {
            st = mfr__err(err, MFR_E_FORMAT, "ease: section EASC: column %d is not a covered movie",
                          (int)col[e]);
            goto fail;
        }
    if (!B) { /* the columns as covered rows: scores accumulate in n floats, 2 bytes a weight */
        size_t nnz = (size_t)ptr[n];
        if (n <= 65536) crow = mfr__malloc(nnz * sizeof *crow + 1);
        else crow32 = mfr__malloc(nnz * sizeof *crow32 + 1);
        if (!crow && !crow32) {
            st = mfr__nomem(err, "ease: covered columns");
            goto fail;
        }
        for (size_t e = 0; e < nnz; e++) {
            if (crow) crow[e] = (uint16_t)row[col[e]];
            else crow32[e] = row[col[e]];
        }
    }
    if (m->item_bias && m->Q && m->k > 0) {
        cbias = mfr__malloc((n + 1) * sizeof *cbias);
        cnorm = mfr__malloc((n + 1) * sizeof *cnorm);
        if (!cbias || !cnorm) {
            st = mfr__nomem(err, "ease: covered item terms");
            goto fail;
        }
        for (uint64_t r = 0; r < n; r++) {
            const float *q = m->Q + (size_t)item[r] * m->k;
            double sq = 0.0;
            for (int32_t f = 0; f < m->k; f++) sq += (double)q[f] * q[f];
            cbias[r] = m->item_bias[item[r]];
            cnorm[r] = (float)sqrt(sq) * (1.0f + 1e-5f);
        }
    }
    *s = (ease_state){(int32_t)n, item, B, B ? NULL : ptr, B ? NULL : col, B ? NULL : val,
                      crow, crow32, cbias, cnorm, row, tail};
    m->algo_state = s;
    m->ranked_items = (int32_t)n;
    return MFR_OK;
fail:
    mfr__free(s), mfr__free(row), mfr__free(tail), mfr__free(crow), mfr__free(crow32);
    mfr__free(cbias), mfr__free(cnorm);
    return st;
}

void mfr__ease_release(mfr_model *m) {
    ease_state *s = m->algo_state;
    if (!s) return;
    mfr__free(s->crow);
    mfr__free(s->crow32);
    mfr__free(s->cbias);
    mfr__free(s->cnorm);
    mfr__free(s->row);
    mfr__free(s->tail);
    mfr__free(s);
    m->algo_state = NULL;
}

int mfr__ease_item_terms(const mfr_model *m, const float **bias, const float **norm) {
    const ease_state *s = m->algo_state;
    *bias = s ? s->cbias : NULL;
    *norm = s ? s->cnorm : NULL;
    return *bias != NULL;
}

const int32_t *mfr__ease_items(const mfr_model *m, int32_t *n) {
    const ease_state *s = m->algo_state;
    *n = s ? s->n : 0;
    return s ? s->item : NULL;
}

/* acc[c[e]] += x · v[e] for e in [e0, e1): a pruned row's kept weights,
 * its columns as covered rows. A row's columns are distinct (attach checks
 * they ascend), so four loads go before their four stores: the same sums as
 * one at a time, a third less time (the scatter is the list's main cost). */
#define ADD_PRUNED(acc, c, v, e0, e1, x)                                        \
    do {                                                                        \
        int64_t e_ = (e0);                                                      \
        for (; e_ + 4 <= (e1); e_ += 4) {                                       \
            float a0_ = (acc)[(c)[e_]] + (x) * (v)[e_];                         \
            float a1_ = (acc)[(c)[e_ + 1]] + (x) * (v)[e_ + 1];                 \
            float a2_ = (acc)[(c)[e_ + 2]] + (x) * (v)[e_ + 2];                 \
            float a3_ = (acc)[(c)[e_ + 3]] + (x) * (v)[e_ + 3];                 \
            (acc)[(c)[e_]] = a0_, (acc)[(c)[e_ + 1]] = a1_;                     \
            (acc)[(c)[e_ + 2]] = a2_, (acc)[(c)[e_ + 3]] = a3_;                 \
        }                                                                       \
        for (; e_ < (e1); e_++) (acc)[(c)[e_]] += (x) * (v)[e_];                \
    } while (0)

/* acc[c] += x · B[r, c] over the n covered columns: one dense row. */
static void add_dense(float *restrict acc, const float *restrict b, int32_t n, float x) {
#pragma omp simd
    for (int32_t c = 0; c < n; c++) acc[c] += x * b[c];
}

void mfr__ease_scores(const mfr_model *m, const mfr__who *w, const int32_t *skip, int64_t n_skip,
                      float *acc) {
    const ease_state *s = m->algo_state;
    if (!s) return;
    memset(acc, 0, (size_t)s->n * sizeof *acc);
    for (int32_t j = 0; j < w->n; j++) {
        int32_t r = s->row[w->items[j]];
        if (r < 0) continue;
        float x = user_weight(m, w, j);
        if (s->B) add_dense(acc, s->B + (size_t)r * s->n, s->n, x);
        else if (s->crow) ADD_PRUNED(acc, s->crow, s->val, s->ptr[r], s->ptr[r + 1], x);
        else ADD_PRUNED(acc, s->crow32, s->val, s->ptr[r], s->ptr[r + 1], x);
    }
    for (int64_t j = 0; j < n_skip; j++) {
        int32_t r = skip[j] >= 0 && skip[j] < m->n_items ? s->row[skip[j]] : -1;
        if (r >= 0) acc[r] = NAN;
    }
}

void mfr__ease_rank(const mfr_model *m, const mfr__who *w, float *rank, int with_tail) {
    const ease_state *s = m->algo_state;
    if (!s) {
        for (int32_t i = 0; i < m->n_items; i++) rank[i] = NAN;
        return;
    }
    /* the covered scores accumulate in rank[0..n) (n <= n_items), then move
     * to the model's item order */
    for (int32_t i = s->n; i < m->n_items; i++) rank[i] = NAN;
    mfr__ease_scores(m, w, NULL, 0, rank);
    /* item[] is ascending with item[c] >= c, so moving from the back never
     * overwrites a value not yet moved. */
    for (int32_t c = s->n - 1; c >= 0; c--) {
        float v = rank[c];
        if (s->item[c] != c) rank[c] = NAN;
        rank[s->item[c]] = v;
    }
    if (with_tail)
        for (int32_t i = 0; i < m->n_items; i++)
            if (s->row[i] < 0) rank[i] = s->tail[i];
}

/* ---- the family ---------------------------------------------------------- */

static void ease_defaults(mfr_train_params *p) {
    p->factors = 0;
    p->epochs = 10;      /* baseline passes for the stars */
    p->reg_bias = 15.0f; /* baseline fit (see baseline.c) */
    p->ease_lambda = 120.0f;
    p->rating_power = 1.0f;
}

static mfr_status ease_fit(mfr_model *m, const mfr__fit_ctx *ctx, mfr_error *err) {
    mfr_status st = mfr__algo_baseline.fit(m, ctx, err);
    if (!st) st = mfr__ease_build(m, ctx, 0, err);
    if (!st) st = mfr__ease_attach(m, err);
    return st;
}

static void ease_rank_user(const mfr_model *m, const mfr__who *w, const float *pred, float *rank) {
    (void)pred;
    mfr__ease_rank(m, w, rank, 0);
}

const mfr__algo mfr__algo_ease = {
    .id = MFR_ALGO_EASE,
    .fit = ease_fit,
    .rank_user = ease_rank_user,
    .rank_without_pred = 1,
    .attach = mfr__ease_attach,
    .release = mfr__ease_release,
    .defaults = ease_defaults,
};
