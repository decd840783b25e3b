/* knn.c — neighbourhood models, user-based (knn-user) and item-based
 * (knn-item), with the baseline-corrected prediction of KNNBaseline
 * (Koren, "Factor in the neighbors", TKDD 2010, eq. 3):
 *
 *   r̂_ui = b_ui + Σ_{v∈N^k} s(a,v)·(r_v − b_v) / Σ_{v∈N^k} s(a,v)
 *
 * where b_ui = μ + b_u + b_i (ALS baseline, reg_u 15, reg_i 10, 10 rounds),
 * a is the target row (item i for knn-item, user u for knn-user), and N^k the
 * k = knn_k most similar rows with positive similarity among those that rated
 * the other side (items rated by u / users who rated i). No neighbour: b_ui.
 *
 * Similarities between two rows a, b over their common support C (|C| = n),
 * with x, y their ratings (residuals r − b_ui for pearson-baseline):
 *   cosine           Σxy / √(Σx² Σy²)
 *   pearson          (nΣxy − ΣxΣy) / √((nΣx² − (Σx)²)(nΣy² − (Σy)²))
 *   msd              1 / (Σ(x−y)²/n + 1) · n/(n + shrinkage)
 *   pearson-baseline Σxy / √(Σx² Σy²) · (n−1)/(n−1+shrinkage)
 * and 0 when n < min_support (as Surprise's similarities module). The msd
 * factor n/(n + shrinkage) discounts pairs with little common support, the
 * support shrinkage of Koren (TKDD 2010, eq. 2) applied to msd (shrinkage 0:
 * Surprise's plain msd). msd is positive for any pair, so without it a user
 * sharing one identical rating (msd 1) outranks one agreeing closely over 50;
 * knn-user's default shrinkage 2 lowers its 5-fold RMSE on ml-latest-small
 * from 0.8749/0.8742/0.8752 to 0.8740/0.8734/0.8743 (seeds 42/1/7; Surprise
 * KNNBaseline user msd: 0.8748).
 *
 * Computation: row by row (parallel over rows, OpenMP), each thread
 * accumulating the sums for every row b co-rated with a in a dense scratch
 * of n_rows entries by walking a's raters and their ratings — never the dense
 * n_rows² matrix. Each row keeps its M = min(n_rows−1, max(25·knn_k, 1000))
 * best positive similarities (ties by index): deterministic whatever the
 * thread count. Memory bound of the stored model: n_rows·M·8 bytes for the
 * lists plus 8 bytes a rating for the lookup CSR (ml-latest-small item-based:
 * at most 9,742·1000·8 = 78 MB, measured 2.7 M entries = 21 MB, as rare
 * movies have few co-rated partners); the fit needs the same again while it
 * compacts the per-row lists.
 *
 * A user who is not in the model (no factors to fold into) is ranked from
 * their ratings by rank_user: knn-item by the similarities of each movie to
 * the rated ones, knn-user through the trained users most similar to them
 * (section "a user who is not in the model" below).
 *
 * Extra sections (position independent; rebuilt into pointers by attach):
 *   KNNH  knn_header
 *   KNNP  int64 ptr[n_rows+1]    neighbour list of row a: ptr[a]..ptr[a+1]
 *   KNNJ  int32 nb[]             neighbour rows, ascending within a list
 *   KNNS  float sim[]            its similarity
 *   KNLP  int64 lptr[n_other+1]  lookup CSR: ratings of each "other" row
 *   KNLC  int32 lcol[]           (user → items for knn-item, item → users
 *   KNLV  float lval[]            for knn-user), columns sorted */
#include "knn.h"
#include "baseline.h"
#include "../core/binfile.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TAG_HDR MFR_TAG('K', 'N', 'N', 'H')
#define TAG_PTR MFR_TAG('K', 'N', 'N', 'P')
#define TAG_NB MFR_TAG('K', 'N', 'N', 'J')
#define TAG_SIM MFR_TAG('K', 'N', 'N', 'S')
#define TAG_LPTR MFR_TAG('K', 'N', 'L', 'P')
#define TAG_LCOL MFR_TAG('K', 'N', 'L', 'C')
#define TAG_LVAL MFR_TAG('K', 'N', 'L', 'V')

typedef struct knn_header {
    int32_t by_item;   /* 1: rows are items */
    int32_t n_rows, n_other, m;
    int32_t k, sim;
    int64_t n_nb, n_lookup;
} knn_header;

typedef struct knn_state {
    const knn_header *h;
    const int64_t *ptr, *lptr;
    const int32_t *nb, *lcol;
    const float *sim, *lval;
    float *inv_deg;      /* knn-item: 1/√(Σ_j s_ij²) of each row (0: empty), owned */
} knn_state;

/* ---- similarity -------------------------------------------------------- */

typedef struct pair_acc { double sxy, sxx, syy; int32_t n; double sx, sy; } pair_acc;

static float sim_from_acc(const pair_acc *a, mfr_sim s, int32_t min_support, float shrinkage) {
    if (a->n < min_support || a->n == 0) return 0.f;
    double n = a->n, num, den;
    switch (s) {
    case MFR_SIM_COSINE:
        den = sqrt(a->sxx * a->syy);
        return den > 0 ? (float)(a->sxy / den) : 0.f;
    case MFR_SIM_PEARSON:
        num = n * a->sxy - a->sx * a->sy;
        den = (n * a->sxx - a->sx * a->sx) * (n * a->syy - a->sy * a->sy);
        return den > 0 ? (float)(num / sqrt(den)) : 0.f;
    case MFR_SIM_MSD:
        return (float)(1.0 / ((a->sxx + a->syy - 2.0 * a->sxy) / n + 1.0) * (n / (n + shrinkage)));
    case MFR_SIM_PEARSON_BASELINE:
        den = sqrt(a->sxx * a->syy);
        if (!(den > 0)) return 0.f;
        return (float)(a->sxy / den * (n - 1.0) / (n - 1.0 + shrinkage));
    case MFR_SIM_COOC: /* a query-time similarity; the params check refuses it here */
        return 0.f;
    }
    return 0.f;
}

static void acc_add(pair_acc *a, double x, double y) {
    a->sxy += x * y, a->sxx += x * x, a->syy += y * y, a->sx += x, a->sy += y;
    a->n++;
}

/* Reference: similarity of rows a and b of `rows` by merging the two sorted
 * rows (O(|a|+|b|)); the fitted lists must agree with it. */
float mfr__knn_pair_sim(const mfr__csr *rows, int32_t a, int32_t b, mfr_sim s,
                        int32_t min_support, float shrinkage) {
    pair_acc acc = {0};
    int64_t p = rows->ptr[a], q = rows->ptr[b];
    while (p < rows->ptr[a + 1] && q < rows->ptr[b + 1]) {
        if (rows->idx[p] < rows->idx[q]) p++;
        else if (rows->idx[p] > rows->idx[q]) q++;
        else acc_add(&acc, rows->val[p++], rows->val[q++]);
    }
    return sim_from_acc(&acc, s, min_support, shrinkage);
}

/* ---- best-M selection: ordering (sim desc, index asc) ---------------------- */

typedef struct cand { float s; int32_t j; } cand;

/* 1 when a ranks after b. */
static int worse(cand a, cand b) { return a.s < b.s || (a.s == b.s && a.j > b.j); }

/* ---- fit ----------------------------------------------------------------- */

typedef struct sim_job {
    const mfr__csr *rows, *cols; /* rows: a → its raters; cols: rater → rows */
    mfr_sim sim;
    int32_t min_support, m;
    float shrinkage;
    cand **out;                  /* [n_rows]: row a's list, sorted by index */
    int32_t *cnt;                /* [n_rows] */
} sim_job;

/* Per-thread scratch: sums for every row b co-rated with the current row —
 * double sums for pearson (its numerator and denominator subtract nearly
 * equal numbers), a 16-byte float record for the other similarities, which
 * keeps the scratch of ml-latest-small's 9.7k movies (155 kB) in L2. */
typedef struct acc_f { float sxy, sxx, syy; int32_t n; } acc_f;

typedef struct scratch {
    pair_acc *acc;               /* [n_rows], pearson only */
    acc_f *accf;                 /* [n_rows], the others */
    int32_t *touched;            /* [n_rows + 1]: one spare slot */
    cand *heap;                  /* [n_rows]: the row's candidates */
    cand *tmp;                   /* [n_rows]: the boundary bucket */
    int32_t *hist;               /* [HIST_N]: candidates per bucket */
    uint64_t *bits;              /* [n_rows/64 + 1]: chosen rows */
    float *sd;                   /* [n_rows]: their similarity */
} scratch;

/* Bucket of a positive similarity: the top bits of its IEEE-754 pattern,
 * which for positive floats orders as the values do. */
#define HIST_SHIFT 19
#define HIST_N ((0x7f800000u >> HIST_SHIFT) + 1)
static uint32_t bucket(float s) {
    uint32_t u;
    memcpy(&u, &s, sizeof u);
    return u >> HIST_SHIFT;
}

/* Sums over the common raters of row a and every row b, walking a's raters
 * and their rows; returns how many rows were touched. */
static int32_t accumulate(const sim_job *jb, int32_t a, scratch *sc) {
    const mfr__csr *R = jb->rows, *C = jb->cols;
    int32_t nt = 0, *touched = sc->touched;
    for (int64_t p = R->ptr[a]; p < R->ptr[a + 1]; p++) {
        int32_t u = R->idx[p];
        if (sc->acc) {
            double x = R->val[p];
            for (int64_t q = C->ptr[u]; q < C->ptr[u + 1]; q++) {
                pair_acc *c = &sc->acc[C->idx[q]];
                double y = C->val[q];
                if (c->n == 0) touched[nt++] = C->idx[q];
                c->sxy += x * y, c->sxx += x * x, c->syy += y * y, c->n++;
                c->sx += x, c->sy += y;
            }
        } else {
            float x = R->val[p];
            /* branch-free first-touch record: whether a row is new is
             * unpredictable, and a mispredicted branch stalls the loop */
            for (int64_t q = C->ptr[u]; q < C->ptr[u + 1]; q++) {
                int32_t b = C->idx[q];
                acc_f *c = &sc->accf[b];
                float y = C->val[q];
                int32_t n = c->n;
                touched[nt] = b;
                nt += n == 0;
                c->sxy += x * y, c->sxx += x * x, c->syy += y * y, c->n = n + 1;
            }
        }
    }
    return nt;
}

/* Similarity of row b from the scratch, which it then clears. */
static float take_sim(const sim_job *jb, scratch *sc, int32_t b) {
    pair_acc a;
    if (sc->acc) {
        a = sc->acc[b];
        memset(&sc->acc[b], 0, sizeof a);
    } else {
        acc_f f = sc->accf[b];
        memset(&sc->accf[b], 0, sizeof f);
        /* pearson-baseline is ≤ 0 when Σxy ≤ 0 and exactly 0 for n = 1
         * ((n−1) factor): rejected here without the square root — most
         * co-rated pairs of movies, the same lists as the full formula */
        if (jb->sim == MFR_SIM_PEARSON_BASELINE && (f.n <= 1 || !(f.sxy > 0.f))) return 0.f;
        a = (pair_acc){f.sxy, f.sxx, f.syy, f.n, 0, 0};
    }
    return sim_from_acc(&a, jb->sim, jb->min_support, jb->shrinkage);
}

/* Reorder c[0..n) so its k best (sim desc, index asc) come first
 * (quickselect, Hoare partition around a median-of-three pivot). */
static void select_best(cand *c, int32_t n, int32_t k) {
    int32_t lo = 0, hi = n - 1;
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        cand a = c[lo], b = c[mid], d = c[hi], piv;
        if (worse(a, b)) piv = worse(b, d) ? b : (worse(a, d) ? d : a);
        else piv = worse(a, d) ? a : (worse(b, d) ? d : b);
        int32_t i = lo, j = hi;
        while (i <= j) {
            while (worse(piv, c[i])) i++;   /* c[i] better than the pivot */
            while (worse(c[j], piv)) j--;
            if (i <= j) {
                cand t = c[i];
                c[i++] = c[j], c[j--] = t;
            }
        }
        if (k - 1 <= j) hi = j;
        else if (k - 1 >= i) lo = i;
        else break;
    }
}

/* Move the m best of heap[0..nc) (sim desc, index asc) to its front and
 * return m — the same set as select_best, found faster: a histogram over
 * similarity buckets finds the bucket holding the m-th best; rows in better
 * buckets are all kept, and select_best only orders that boundary bucket. */
static int32_t keep_best(scratch *sc, int32_t nc, int32_t m) {
    cand *c = sc->heap;
    for (int32_t t = 0; t < nc; t++) sc->hist[bucket(c[t].s)]++;
    int32_t above = 0, T = (int32_t)HIST_N - 1;
    while (above + sc->hist[T] < m) above += sc->hist[T--];
    int32_t nk = 0, nb = 0;
    for (int32_t t = 0; t < nc; t++) {
        int32_t b = (int32_t)bucket(c[t].s);
        sc->hist[b] = 0;
        if (b > T) c[nk++] = c[t];
        else if (b == T) sc->tmp[nb++] = c[t];
    }
    select_best(sc->tmp, nb, m - above);
    memcpy(c + nk, sc->tmp, sizeof(cand) * (size_t)(m - above));
    return m;
}

/* heap[0..nc) sorted by index into out, through the chosen-rows bitmap
 * (O(nc + n_rows/64), no comparison sort); leaves the bitmap clear. */
static void by_index(scratch *sc, int32_t nc, cand *out) {
    int32_t lo = INT32_MAX, hi = 0;
    for (int32_t t = 0; t < nc; t++) {
        int32_t j = sc->heap[t].j;
        sc->bits[j >> 6] |= 1ull << (j & 63);
        sc->sd[j] = sc->heap[t].s;
        lo = j < lo ? j : lo, hi = j > hi ? j : hi;
    }
    int32_t n = 0;
    for (int32_t w = lo >> 6; w <= hi >> 6; w++) {
        uint64_t x = sc->bits[w];
        sc->bits[w] = 0;
        while (x) {
            int32_t j = w * 64 + __builtin_ctzll(x);
            x &= x - 1;
            out[n++] = (cand){sc->sd[j], j};
        }
    }
}

/* Top-m similar rows of row a (positive similarities), sorted by index,
 * into a new array jb->out[a] (NULL when none or on no memory: *fail set). */
static void one_row(const sim_job *jb, int32_t a, scratch *sc, int *fail) {
    int32_t nt = accumulate(jb, a, sc), nc = 0;
    for (int32_t t = 0; t < nt; t++) {
        int32_t b = sc->touched[t];
        float s = take_sim(jb, sc, b);
        if (s > 0.f && b != a) sc->heap[nc++] = (cand){s, b};
    }
    if (nc > jb->m) nc = keep_best(sc, nc, jb->m);
    jb->cnt[a] = nc;
    jb->out[a] = NULL;
    if (nc == 0) return;
    jb->out[a] = mfr__malloc(sizeof(cand) * (size_t)nc);
    if (!jb->out[a]) {
        jb->cnt[a] = 0;
        *fail = 1;
        return;
    }
    by_index(sc, nc, jb->out[a]);
}

/* Rows lo..hi-1 in parallel; returns 1 when some allocation failed. */
static int compute_range(const sim_job *jb, int32_t lo, int32_t hi, int threads) {
    int32_t n = jb->rows->rows;
    int failed = 0;
#pragma omp parallel num_threads(threads)
    {
        int pearson = jb->sim == MFR_SIM_PEARSON;
        scratch sc = {pearson ? mfr__calloc((size_t)n + 1, sizeof(pair_acc)) : NULL,
                      pearson ? NULL : mfr__calloc((size_t)n + 1, sizeof(acc_f)),
                      mfr__malloc(sizeof(int32_t) * ((size_t)n + 1)), /* +1: the branch-free store */
                      mfr__malloc(sizeof(cand) * (size_t)(n ? n : 1)),
                      mfr__malloc(sizeof(cand) * (size_t)(n ? n : 1)),
                      mfr__calloc(HIST_N, sizeof(int32_t)),
                      mfr__calloc((size_t)n / 64 + 1, sizeof(uint64_t)),
                      mfr__malloc(sizeof(float) * (size_t)(n ? n : 1))};
        int ok = (sc.acc || sc.accf) && sc.touched && sc.heap && sc.tmp && sc.hist && sc.bits && sc.sd,
            fail = !ok;
#pragma omp for schedule(dynamic, 16)
        for (int32_t a = lo; a < hi; a++) {
            if (ok) one_row(jb, a, &sc, &fail);
            else jb->cnt[a] = 0, jb->out[a] = NULL;
        }
        if (fail) {
#pragma omp atomic write
            failed = 1;
        }
        mfr__free(sc.acc), mfr__free(sc.accf), mfr__free(sc.touched), mfr__free(sc.heap);
        mfr__free(sc.tmp), mfr__free(sc.hist), mfr__free(sc.bits), mfr__free(sc.sd);
    }
    return failed;
}

/* All rows, in KNN_STEPS slices with a progress report after each; a cancel
 * leaves the later rows without neighbours (they predict the baseline) and
 * returns MFR_E_CANCELLED. */
#define KNN_STEPS 20
static mfr_status compute_rows(const sim_job *jb, const mfr__fit_ctx *ctx, mfr_error *err) {
    int32_t n = jb->rows->rows;
    double t0 = mfr__now();
    for (int32_t st = 0; st < KNN_STEPS; st++) {
        int32_t lo = (int32_t)((int64_t)n * st / KNN_STEPS), hi = (int32_t)((int64_t)n * (st + 1) / KNN_STEPS);
        if (compute_range(jb, lo, hi, ctx->threads)) return mfr__nomem(err, "similarity rows");
        if (st + 1 < KNN_STEPS &&
            mfr__report_epoch(ctx, "knn", st + 1, KNN_STEPS, NAN, NAN, t0, err))
            return mfr__err(err, MFR_E_CANCELLED, "knn: cancelled after %d of %d rows; the rest predict the baseline",
                            (int)hi, (int)n);
    }
    return MFR_OK;
}

/* Allocate a section of `bytes` and register it; *out gets the data. */
static mfr_status add_section(mfr_model *m, uint32_t tag, size_t bytes, void **out,
                              mfr_error *err) {
    return mfr__model_new_extra(m, tag, bytes, out, "neighbour model section", err);
}

/* Compact the per-row lists into the KNNP/KNNJ/KNNS sections. */
static mfr_status store_lists(mfr_model *m, const sim_job *jb, knn_header *h, mfr_error *err) {
    int32_t n = jb->rows->rows;
    int64_t tot = 0;
    for (int32_t a = 0; a < n; a++) tot += jb->cnt[a];
    int64_t *ptr;
    int32_t *nb;
    float *sim;
    mfr_status s = add_section(m, TAG_PTR, sizeof(int64_t) * ((size_t)n + 1), (void **)&ptr, err);
    if (!s) s = add_section(m, TAG_NB, sizeof(int32_t) * (size_t)tot, (void **)&nb, err);
    if (!s) s = add_section(m, TAG_SIM, sizeof(float) * (size_t)tot, (void **)&sim, err);
    if (s) return s;
    ptr[0] = 0;
    for (int32_t a = 0; a < n; a++) {
        const cand *c = jb->out[a];
        for (int32_t t = 0; t < jb->cnt[a]; t++) {
            nb[ptr[a] + t] = c[t].j;
            sim[ptr[a] + t] = c[t].s;
        }
        ptr[a + 1] = ptr[a] + jb->cnt[a];
    }
    h->n_nb = tot;
    return MFR_OK;
}

/* The lookup CSR (other side → rows with ratings) as three sections. */
static mfr_status store_lookup(mfr_model *m, const mfr__csr *c, knn_header *h, mfr_error *err) {
    int64_t nnz = c->ptr[c->rows];
    void *p, *col, *val;
    mfr_status s = add_section(m, TAG_LPTR, sizeof(int64_t) * ((size_t)c->rows + 1), &p, err);
    if (!s) s = add_section(m, TAG_LCOL, sizeof(int32_t) * (size_t)nnz, &col, err);
    if (!s) s = add_section(m, TAG_LVAL, sizeof(float) * (size_t)nnz, &val, err);
    if (s) return s;
    memcpy(p, c->ptr, sizeof(int64_t) * ((size_t)c->rows + 1));
    memcpy(col, c->idx, sizeof(int32_t) * (size_t)nnz);
    memcpy(val, c->val, sizeof(float) * (size_t)nnz);
    h->n_lookup = nnz;
    return MFR_OK;
}

/* Residuals r − (μ + b_u + b_i) in place, for pearson-baseline. rows_are_items
 * tells which of (row, col) is the item. */
static void to_residuals(mfr__csr *c, const mfr_model *m, int rows_are_items) {
    for (int32_t x = 0; x < c->rows; x++)
        for (int64_t p = c->ptr[x]; p < c->ptr[x + 1]; p++) {
            int32_t u = rows_are_items ? c->idx[p] : x, i = rows_are_items ? x : c->idx[p];
            c->val[p] -= m->mu + m->user_bias[u] + m->item_bias[i];
        }
}

static mfr_status knn_attach(mfr_model *m, mfr_error *err);

static mfr_status knn_fit_common(mfr_model *m, const mfr__fit_ctx *ctx, int by_item,
                                 mfr_error *err) {
    const mfr_train_params *p = ctx->p;
    mfr__csr byu = {0}, byi = {0};
    sim_job jb = {0};
    knn_header *h = NULL;
    mfr_status s = mfr__model_alloc_factors(m, 0, err);
    if (!s) s = mfr__csr_build(ctx->train, 0, &byu, err);
    if (!s) s = mfr__csr_build(ctx->train, 1, &byi, err);
    if (s) goto done;
    mfr__baseline_fit(&byu, &byi, m->mu, &MFR__BASELINE_15, m->user_bias,
                          m->item_bias);
    /* lookup CSR keeps raw ratings: the side opposite to the rows */
    if ((s = add_section(m, TAG_HDR, sizeof *h, (void **)&h, err))) goto done;
    if ((s = store_lookup(m, by_item ? &byu : &byi, h, err))) goto done;
    if (p->sim == MFR_SIM_PEARSON_BASELINE) {
        to_residuals(&byu, m, 0);
        to_residuals(&byi, m, 1);
    }
    int32_t n_rows = by_item ? m->n_items : m->n_users;
    int32_t mm = p->knn_k * 25 > 1000 ? p->knn_k * 25 : 1000;
    if (mm > n_rows - 1) mm = n_rows > 1 ? n_rows - 1 : 1;
    jb = (sim_job){by_item ? &byi : &byu, by_item ? &byu : &byi, p->sim, p->min_support, mm,
                   p->shrinkage, NULL, NULL};
    jb.out = mfr__calloc((size_t)n_rows + 1, sizeof(cand *));
    jb.cnt = mfr__calloc((size_t)n_rows + 1, sizeof(int32_t));
    if (!jb.out || !jb.cnt) {
        s = mfr__nomem(err, "neighbour lists");
        goto done;
    }
    mfr_status cancel = compute_rows(&jb, ctx, err);
    if (cancel && cancel != MFR_E_CANCELLED) {
        s = cancel;
        goto done;
    }
    int64_t n_lookup = h->n_lookup;
    *h = (knn_header){by_item, n_rows, by_item ? m->n_users : m->n_items, mm, p->knn_k,
                      (int32_t)p->sim, 0, n_lookup};
    if ((s = store_lists(m, &jb, h, err))) goto done;
    m->epochs_run = 1;
    s = knn_attach(m, err);
    if (!s && cancel) s = MFR_E_CANCELLED; /* err already says where it stopped */
done:
    for (int32_t a = 0; jb.out && a < jb.rows->rows; a++) mfr__free(jb.out[a]);
    mfr__free(jb.out);
    mfr__free(jb.cnt);
    mfr__csr_free(&byu);
    mfr__csr_free(&byi);
    return s;
}

static mfr_status knn_item_fit(mfr_model *m, const mfr__fit_ctx *ctx, mfr_error *err) {
    return knn_fit_common(m, ctx, 1, err);
}
static mfr_status knn_user_fit(mfr_model *m, const mfr__fit_ctx *ctx, mfr_error *err) {
    return knn_fit_common(m, ctx, 0, err);
}

/* ---- attach / release ----------------------------------------------------- */

static void knn_release(mfr_model *m) {
    knn_state *s = m->algo_state;
    if (s) mfr__free(s->inv_deg);
    mfr__free(s);
    m->algo_state = NULL;
}

static mfr_status knn_attach(mfr_model *m, mfr_error *err) {
    uint64_t sh, sp, sj, ss, slp, slc, slv;
    const knn_header *h = mfr__model_get_extra(m, TAG_HDR, &sh);
    knn_state st = {h, mfr__model_get_extra(m, TAG_PTR, &sp), mfr__model_get_extra(m, TAG_LPTR, &slp),
                    mfr__model_get_extra(m, TAG_NB, &sj), mfr__model_get_extra(m, TAG_LCOL, &slc),
                    mfr__model_get_extra(m, TAG_SIM, &ss), mfr__model_get_extra(m, TAG_LVAL, &slv), NULL};
    if (!h || sh != sizeof *h || !st.ptr || !st.lptr)
        return mfr__err(err, MFR_E_FORMAT, "knn model: missing or bad KNNH/KNNP/KNLP section");
    int by = h->by_item;
    if (h->n_rows != (by ? m->n_items : m->n_users) || h->n_other != (by ? m->n_users : m->n_items) ||
        !mfr__bytes_are(sp, (int64_t)h->n_rows + 1, sizeof(int64_t)) ||
        !mfr__bytes_are(slp, (int64_t)h->n_other + 1, sizeof(int64_t)) ||
        !mfr__bytes_are(sj, h->n_nb, sizeof(int32_t)) || !mfr__bytes_are(ss, h->n_nb, sizeof(float)) ||
        !mfr__bytes_are(slc, h->n_lookup, sizeof(int32_t)) ||
        !mfr__bytes_are(slv, h->n_lookup, sizeof(float)))
        return mfr__err(err, MFR_E_FORMAT, "knn model: neighbour sections have inconsistent sizes");
    /* the fit keeps at most n_rows - 1 neighbours a row (1 when n_rows <= 1);
     * m sizes per-query buffers, so it is bounded by the rows that exist */
    if (h->m < 1 || h->m > (h->n_rows > 1 ? h->n_rows : 1))
        return mfr__err(err, MFR_E_FORMAT, "knn model: list length %d outside 1..%d", (int)h->m,
                        (int)(h->n_rows > 1 ? h->n_rows : 1));
    /* both lists are intersected by merging: each row sorted, no repeats */
    int64_t row;
    const char *why = mfr__csr_check(st.ptr, h->n_rows, h->n_nb, st.nb, h->n_rows, h->m, &row);
    if (why)
        return mfr__err(err, MFR_E_FORMAT, "knn model: neighbour list %lld (KNNP/KNNJ): %s",
                        (long long)row, why);
    why = mfr__csr_check(st.lptr, h->n_other, h->n_lookup, st.lcol, h->n_rows, -1, &row);
    if (why)
        return mfr__err(err, MFR_E_FORMAT, "knn model: lookup row %lld (KNLP/KNLC): %s",
                        (long long)row, why);
    /* the row norms the new-user lists need (knn_item_rank_user) */
    st.inv_deg = by ? mfr__malloc(sizeof(float) * ((size_t)h->n_rows + 1)) : NULL;
    knn_state *ps = mfr__malloc(sizeof *ps);
    if (!ps || (by && !st.inv_deg)) {
        mfr__free(ps), mfr__free(st.inv_deg);
        return mfr__nomem(err, "knn state");
    }
    for (int32_t a = 0; by && a < h->n_rows; a++) {
        double d = 0.0;
        for (int64_t t = st.ptr[a]; t < st.ptr[a + 1]; t++) d += (double)st.sim[t] * st.sim[t];
        st.inv_deg[a] = d > 0.0 ? (float)(1.0 / sqrt(d)) : 0.f;
    }
    *ps = st;
    knn_release(m);
    m->algo_state = ps;
    return MFR_OK;
}

/* ---- predict ---------------------------------------------------------------- */

static int32_t log2_ceil(int64_t n) {
    int32_t l = 1;
    while (l < 62 && (1LL << l) < n) l++;
    return l;
}

/* Neighbours of row a that the other-side row o has a rating for, by
 * intersecting two index-sorted lists: binary search from the shorter list
 * when that costs less than a linear merge (n_short·log n_long < n_a + n_o).
 * Each match is packed into buf as cand{sim, position of the rating in o's
 * lookup row}; buf holds min(n_a, n_o) entries. Returns the count. */
static int32_t matches(const knn_state *s, int32_t a, int32_t o, cand *buf) {
    int64_t p0 = s->ptr[a], pe = s->ptr[a + 1], q0 = s->lptr[o], qe = s->lptr[o + 1];
    int64_t na = pe - p0, no = qe - q0;
    int32_t n = 0;
    if (no * log2_ceil(na) < na + no) {
        for (int64_t q = q0; q < qe; q++) {
            int64_t p = mfr__find_sorted(s->nb + p0, na, s->lcol[q]);
            if (p >= 0) buf[n++] = (cand){s->sim[p0 + p], (int32_t)(q - q0)};
        }
    } else if (na * log2_ceil(no) < na + no) {
        for (int64_t p = p0; p < pe; p++) {
            int64_t q = mfr__find_sorted(s->lcol + q0, no, s->nb[p]);
            if (q >= 0) buf[n++] = (cand){s->sim[p], (int32_t)q};
        }
    } else {
        int64_t p = p0, q = q0;
        while (p < pe && q < qe) {
            if (s->nb[p] < s->lcol[q]) p++;
            else if (s->nb[p] > s->lcol[q]) q++;
            else buf[n++] = (cand){s->sim[p++], (int32_t)(q++ - q0)};
        }
    }
    return n;
}

static float knn_predict(const mfr_model *m, int32_t u, int32_t i) {
    float base = mfr__predict_mf(m, u, i);
    const knn_state *s = m->algo_state;
    if (!s || u < 0 || i < 0) return base;
    int by = s->h->by_item;
    int32_t a = by ? i : u, o = by ? u : i, k = s->h->k > 0 ? s->h->k : 1;
    int64_t na = s->ptr[a + 1] - s->ptr[a], no = s->lptr[o + 1] - s->lptr[o];
    int64_t cap = na < no ? na : no;
    cand stack[1024], *buf = cap <= 1024 ? stack : mfr__malloc(sizeof(cand) * (size_t)cap);
    if (!buf) return base;
    int32_t n = matches(s, a, o, buf);
    if (n > k) select_best(buf, n, k), n = k;
    double num = 0.0, den = 0.0;
    for (int32_t t = 0; t < n; t++) {
        int64_t q = s->lptr[o] + buf[t].j;
        int32_t b = s->lcol[q];
        int32_t bu = by ? u : b, bi = by ? b : i;
        float bb = m->mu + m->user_bias[bu] + m->item_bias[bi];
        num += (double)buf[t].s * (s->lval[q] - bb);
        den += buf[t].s;
    }
    if (buf != stack) mfr__free(buf);
    return den > 0.0 ? base + (float)(num / den) : base;
}

/* knn-item scores of every movie for user u (unclipped), the same numbers
 * as knn_predict: the user's residuals go into a dense array once, then each
 * movie's neighbour list is walked against it — O(stored neighbours) for all
 * movies instead of a list intersection per movie. On no memory it falls
 * back to knn_predict per movie. */
static void knn_item_score_user(const mfr_model *m, int32_t u, float *scores) {
    const knn_state *s = m->algo_state;
    int32_t n = m->n_items, k = s ? (s->h->k > 0 ? s->h->k : 1) : 1;
    float *resid = s && u >= 0 && u < m->n_users ? mfr__malloc(sizeof(float) * (size_t)n) : NULL;
    cand *buf = resid ? mfr__malloc(sizeof(cand) * ((size_t)s->h->m + 1)) : NULL;
    if (!resid || !buf || !s->h->by_item) {
        mfr__free(resid), mfr__free(buf);
        for (int32_t i = 0; i < n; i++) scores[i] = m->vt->predict(m, u, i);
        return;
    }
    for (int32_t j = 0; j < n; j++) resid[j] = NAN;
    for (int64_t q = s->lptr[u]; q < s->lptr[u + 1]; q++) {
        int32_t j = s->lcol[q];
        float bb = m->mu + m->user_bias[u] + m->item_bias[j];
        resid[j] = s->lval[q] - bb;
    }
    for (int32_t i = 0; i < n; i++) {
        int32_t nm = 0;
        for (int64_t p = s->ptr[i]; p < s->ptr[i + 1]; p++)
            if (!isnan(resid[s->nb[p]])) buf[nm++] = (cand){s->sim[p], s->nb[p]};
        if (nm > k) select_best(buf, nm, k), nm = k;
        double num = 0.0, den = 0.0;
        for (int32_t t = 0; t < nm; t++) {
            num += (double)buf[t].s * resid[buf[t].j];
            den += buf[t].s;
        }
        float base = mfr__predict_mf(m, u, i);
        scores[i] = den > 0.0 ? base + (float)(num / den) : base;
    }
    mfr__free(resid), mfr__free(buf);
}

/* ---- a user who is not in the model ---------------------------------------- */

/* Lists for a user given only by their ratings (mfr__who u == -1: the
 * server's and the library's new users; a trained user keeps predict's
 * order, rank = pred). Stars stay the fallback μ + b_i (score.c computes
 * pred before this hook, and predict has no ratings to go on); the order
 * comes from the ratings:
 *
 *   e_j = r_j − (μ + b_new + b_j),  b_new = Σ_j (r_j − μ − b_j) / (15 + n)
 *
 * (one ALS user step of the fit's baseline), and a ranking-oriented score —
 * each rated movie votes 1 + γ·e_j (γ = NEW_GAMMA: a movie rated far below
 * its expectation votes against its neighbours) — rather than the
 * KNNBaseline prediction, whose average of neighbour residuals puts movies
 * with one weak neighbour first: on ml-latest-small (80/20 holdout, each
 * user served as a new user from their training ratings, relevant = test
 * ratings >= 4) the prediction order has P@10 0.020 (knn-item) and 0.0005
 * (knn-user), these scores 0.191 and 0.140, popularity 0.121; measured
 * variants in docs/models-neighbourhood.md. */
#define NEW_GAMMA 0.5

/* Residuals e_j of w's ratings into resid[n_items] (NaN: not rated). */
static void who_residuals(const mfr_model *m, const mfr__who *w, float *resid) {
    float bu = mfr__who_bias(m, w, m->item_bias, 15.f);
    for (int32_t j = 0; j < m->n_items; j++) resid[j] = NAN;
    for (int32_t j = 0; j < w->n; j++) {
        float r = mfr__who_rating(m, w, j);
        if (!isnan(r)) resid[w->items[j]] = r - (m->mu + bu + m->item_bias[w->items[j]]);
    }
}

/* knn-item, new user: with s_ij the stored similarity (i's list) and
 * d_i = Σ_{j∈list(i)} s_ij²,
 *
 *   rank_i = Σ_{j∈N^k(i)∩R} s_ij² (1 + γ e_j) / √(d_i d_j)
 *
 * over the k = knn_k rated neighbours of i with the largest weight: the
 * squared similarity favours strong neighbours over many weak ones (case
 * amplification, Breese et al. 1998), and the symmetric degree normalisation
 * keeps hub movies (Forrest Gump, Back to the Future: similar to everything)
 * from topping every list. Movies with no rated neighbour score 0. */
static void knn_item_rank_user(const mfr_model *m, const mfr__who *w, const float *pred,
                               float *rank) {
    const knn_state *s = m->algo_state;
    if (w->u >= 0 || !s || !s->h->by_item) {
        memcpy(rank, pred, sizeof(float) * (size_t)m->n_items);
        return;
    }
    int32_t n = m->n_items, k = s->h->k > 0 ? s->h->k : 1;
    const float *inv_deg = s->inv_deg;
    float *resid = mfr__malloc(sizeof(float) * (size_t)n);
    cand *buf = mfr__malloc(sizeof(cand) * ((size_t)s->h->m + 1));
    if (!resid || !buf) { /* no memory: the fallback order */
        mfr__free(resid), mfr__free(buf);
        memcpy(rank, pred, sizeof(float) * (size_t)m->n_items);
        return;
    }
    who_residuals(m, w, resid);
    for (int32_t i = 0; i < n; i++) {
        int32_t nm = 0;
        for (int64_t p = s->ptr[i]; p < s->ptr[i + 1]; p++) {
            int32_t j = s->nb[p];
            if (!isnan(resid[j])) buf[nm++] = (cand){s->sim[p] * s->sim[p] * inv_deg[j], j};
        }
        if (nm > k) select_best(buf, nm, k), nm = k;
        double sc = 0.0;
        for (int32_t t = 0; t < nm; t++) sc += (double)buf[t].s * (1.0 + NEW_GAMMA * resid[buf[t].j]);
        rank[i] = (float)(sc * inv_deg[i]);
    }
    mfr__free(resid), mfr__free(buf);
}

/* knn-user, new user: the similarity of w to every trained user v over
 * their co-rated movies, with the family's similarity, min_support and
 * shrinkage (pearson-baseline on the residuals, b_new for w); the N = knn_k
 * most similar (positive) users, each weighted w_v = s_v / √|R(v)| (a user
 * who rated a thousand movies is everyone's neighbour and says little about
 * any one), and
 *
 *   rank_i = Σ_{v∈N, v rated i} w_v (1 + γ (r_vi − b_vi))
 *
 * Movies no neighbour rated score 0. */
static void knn_user_rank_user(const mfr_model *m, const mfr__who *w, const float *pred,
                               float *rank) {
    const knn_state *s = m->algo_state;
    if (w->u >= 0 || !s || s->h->by_item) {
        memcpy(rank, pred, sizeof(float) * (size_t)m->n_items);
        return;
    }
    int32_t nu = m->n_users, ni = m->n_items, k = s->h->k > 0 ? s->h->k : 1;
    pair_acc *acc = mfr__calloc((size_t)nu + 1, sizeof *acc);
    float *wt = mfr__malloc(sizeof(float) * ((size_t)nu + 1));
    cand *buf = mfr__malloc(sizeof(cand) * ((size_t)nu + 1));
    if (!acc || !wt || !buf) { /* no memory: the fallback order */
        mfr__free(acc), mfr__free(wt), mfr__free(buf);
        memcpy(rank, pred, sizeof(float) * (size_t)m->n_items);
        return;
    }
    mfr_sim sm = (mfr_sim)s->h->sim;
    int pb = sm == MFR_SIM_PEARSON_BASELINE;
    float bu = mfr__who_bias(m, w, m->item_bias, 15.f);
    for (int32_t j = 0; j < w->n; j++) {
        float r = mfr__who_rating(m, w, j);
        if (isnan(r)) continue;
        int32_t i = w->items[j];
        double x = pb ? r - (m->mu + bu + m->item_bias[i]) : r;
        for (int64_t q = s->lptr[i]; q < s->lptr[i + 1]; q++) {
            int32_t v = s->lcol[q];
            double y = pb ? s->lval[q] - (m->mu + m->user_bias[v] + m->item_bias[i]) : s->lval[q];
            acc_add(&acc[v], x, y);
        }
    }
    int32_t nc = 0;
    for (int32_t v = 0; v < nu; v++) {
        float sv = sim_from_acc(&acc[v], sm, m->params.min_support, m->params.shrinkage);
        if (sv > 0.f) buf[nc++] = (cand){sv, v};
        wt[v] = 0.f;
    }
    if (nc > k) select_best(buf, nc, k), nc = k;
    for (int32_t t = 0; t < nc; t++) {
        int32_t v = buf[t].j;
        int64_t nv = m->seen_ptr[v + 1] - m->seen_ptr[v];
        wt[v] = buf[t].s / (float)sqrt((double)(nv > 0 ? nv : 1));
    }
    for (int32_t i = 0; i < ni; i++) {
        double sc = 0.0;
        for (int64_t q = s->lptr[i]; q < s->lptr[i + 1]; q++) {
            int32_t v = s->lcol[q];
            if (wt[v] > 0.f)
                sc += (double)wt[v] *
                      (1.0 + NEW_GAMMA * (s->lval[q] - (m->mu + m->user_bias[v] + m->item_bias[i])));
        }
        rank[i] = (float)sc;
    }
    mfr__free(acc), mfr__free(wt), mfr__free(buf);
}

/* Item-item similarity from the stored lists (knn-item only). */
static mfr_status knn_similar(const mfr_model *m, int32_t i, mfr_sim metric, float *scores) {
    const knn_state *s = m->algo_state;
    if (!s || !s->h->by_item || i < 0 || i >= m->n_items) return MFR_E_UNSUPPORTED;
    for (int32_t j = 0; j < m->n_items; j++) scores[j] = NAN;
    for (int64_t t = s->ptr[i]; t < s->ptr[i + 1]; t++) scores[s->nb[t]] = s->sim[t];
    return MFR_OK;
}

static void knn_defaults(mfr_train_params *p) {
    p->factors = 0;
    p->epochs = 1;
    p->knn_k = 40;
    p->min_support = 1;
    p->shrinkage = 100.f;
    p->sim = MFR_SIM_PEARSON_BASELINE;
}

/* knn-user: msd with support shrinkage 2 (see the top of the file); k = 40,
 * min_support 1 as Surprise's KNNBaseline. */
static void knn_user_defaults(mfr_train_params *p) {
    knn_defaults(p);
    p->sim = MFR_SIM_MSD;
    p->shrinkage = 2.f;
}

const mfr__algo mfr__algo_knn_item = {
    .id = MFR_ALGO_KNN_ITEM,
    .fit = knn_item_fit,
    .predict = knn_predict,
    .score_user = knn_item_score_user,
    .rank_user = knn_item_rank_user,
    .similar = knn_similar,
    .attach = knn_attach,
    .release = knn_release,
    .defaults = knn_defaults,
};

const mfr__algo mfr__algo_knn_user = {
    .id = MFR_ALGO_KNN_USER,
    .fit = knn_user_fit,
    .predict = knn_predict,
    .rank_user = knn_user_rank_user,
    .similar = knn_similar,
    .attach = knn_attach,
    .release = knn_release,
    .defaults = knn_user_defaults,
};
