/* index.c — exact top-n of a factor model's biased-MF scores
 * s_i = base + b_i + p·q_i through an 8-bit filter (index.h), and the
 * filters every list applies (mfr__filter_pass: training ratings, seen,
 * genre), here beside the search that calls them most.
 *
 * Each movie's factors are stored as signed bytes on its own scale
 * σ_i = max_f |q_if| / 127 (q̂_if = σ_i·round(q_if / σ_i), |q_if − q̂_if| ≤ σ_i/2),
 * movie-major by factor pair in blocks of 8 movies; the movies are placed in
 * the blocks by b_i + c·n_i, highest first (c the users' mean ‖p_u‖), so the
 * promising blocks come first, and within each band of 1,024 movies of like
 * b_i + c·n_i by n_i, highest first, so a block holds 8 movies of like norm
 * and of like bias, and its bound is close to each of its movies' (with the
 * key order alone a block could pair a high bias with a high norm of
 * another movie).
 *
 * Pass 1 visits the blocks in that order. A block whose upper bound
 * base + max b_i + ‖p‖·max n_i (Cauchy–Schwarz, plus the exact kernel's
 * rounding) is below the heap's worst lower bound is skipped unread (AVX2:
 * 8 blocks' bounds in one compare). On the 20 M-rating synthetic model 8.6 %
 * of the movies can reach a top-10 by that bound, and 10.8 % of the
 * blocks are read (59.8 % without the bands). The others are scored from the bytes (AVX2: p rounded to
 * 16-bit integers on its own scale sp, one widening of a factor pair's 16
 * bytes and one vpmaddwd per pair, exact 32-bit integer sums in two chains;
 * the portable pass multiplies the bytes by p in float), each movie with an
 * interval [a_i − E_i, a_i + E_i] that holds the exact float score s_i the
 * row kernel computes:
 *
 *   |s_i − a_i| ≤ E_i = (‖p‖₁ + k·sp/2)·σ_i/2 + (c₁(‖p‖₂ + h) + h)·n_i
 *                       + 2⁻²²|b_i| + 2⁻²¹|base|,
 *   c₁ = 1.01 (2k + 8) 2⁻²⁴,  h = sp √k / 2,  n_i = ‖q_i‖₂ + σ_i √k / 2 (≥ ‖q_i‖, ‖q̂_i‖),
 *
 * from the rounding to bytes and of p to 16 bits, the float sums of both
 * kernels (γ_k each, Higham's bound, with Cauchy–Schwarz for Σ|p_f q_f|),
 * the scaling and the two additions of base and b_i in each. The n-th
 * largest lower bound a_i − E_i among the movies the filters keep is a
 * threshold T that only a movie whose upper bound reaches it can beat;
 * pass 2 scores exactly (mfr__score_rows_idx, the plain path's row kernel)
 * only the blocks whose largest upper bound reaches T, into the same bounded
 * heap as the plain path (ties with the worst kept row decided by the item
 * index, as the plain path's index order does), so the rows, their order
 * and their scores are the plain path's. The bounds only decide which movies
 * are scored exactly, never a row.
 *
 * Principal axes. When a few directions hold most of Q's energy (a model of
 * low-rank data: on the 20 M-rating synthetic model 8 of 64 hold 96.5 % of
 * Σ‖q_i‖²), the bytes hold q̃_i = Vᵀq_i instead, V the eigenvectors of QᵀQ
 * (largest first), and p̃ = Vᵀp is formed per list; p̃·q̃_i = p·q_i, so
 * every bound above holds in that basis (norms are the same; sp and ‖p‖₁
 * are p̃'s, with 1 % on sp for p̃'s rounding to float and 10⁻⁹‖p‖ on A for
 * the rotations in double). A block that passes the skip test is first
 * scored on the first 2·pre factors only (its hot record: scales, biases and
 * those pairs, ~1 MB in all on that model, so in L2), each lane bounded by
 * a_i + E_i + ‖p̃ beyond the prefix‖·max tail (Cauchy–Schwarz on the other
 * factors); only a block where that can reach the heap reads the other
 * pairs (its cold record) and goes on as above: 59 of the ~860 blocks a
 * list tests there. The prefix is the smallest even count <= k/2 whose
 * axes leave at most 5 % of the energy; with none (a flat spectrum, k < 16)
 * Q keeps its own basis and every block is read whole, as before.
 *
 * Memory beside Q: about k + 26 bytes a movie, plus 8·k² for the axes
 * (60,000 movies, k = 64: 5.4 MB). */
#include "index.h"
#include "topn.h"

#include <lapacke.h>
#include <math.h>
#include <string.h>
#include <strings.h>

/* ROT_MIN_K: the smallest k that gets principal axes; ROT_TAIL: the share of
 * QᵀQ's trace (Σ ‖q_i‖²) the factors beyond the prefix may hold at most. */
enum { LANES = 8, MAX_K = 512, BAND = 1024, ROT_MIN_K = 16 };
#define ROT_TAIL 0.05

/* Block b's records (index.h): the hot one holds 8 scales and 8 biases
 * (HOT_META bytes), then the prefix's pairs; the cold one the other pairs.
 * A pair is 8 lanes x 2 bytes (the layout vpmaddwd multiplies and adds):
 * factor f of lane j is byte 2j + (f & 1) of pair f / 2. */
#define HOT_META 64
#define LINES(n) (((size_t)(n) + 63) & ~(size_t)63)

static inline float *rec_scale(const mfr__qindex *x, int32_t b) {
    return (float *)(void *)(x->hot + (size_t)b * x->hot_stride);
}
static inline float *rec_bias(const mfr__qindex *x, int32_t b) { return rec_scale(x, b) + LANES; }
/* The 16 bytes of factor pair g of block b. */
static inline int8_t *pair_at(const mfr__qindex *x, int32_t b, int32_t g) {
    return g < x->pre ? x->hot + (size_t)b * x->hot_stride + HOT_META + (size_t)g * 2 * LANES
                      : x->q8 + (size_t)b * x->cold_stride + (size_t)(g - x->pre) * 2 * LANES;
}

void mfr__qindex_free(mfr__qindex *x) {
    if (!x) return;
    mfr__free(x->hot);
    mfr__free(x->q8);
    mfr__free(x->norm);
    mfr__free(x->rad);
    mfr__free(x->item);
    mfr__free(x->rot);
    mfr__free(x->rotf);
    mfr__free(x->max_bias);
    mfr__free(x->max_norm);
    mfr__free(x->max_abs_bias);
    mfr__free(x->max_rad);
    mfr__free(x->max_tail);
    mfr__free(x);
}

/* ‖q‖₂ plus the largest rounding a byte adds to it (σ √k / 2), rounded up. */
static float norm_bound(const double *q, int32_t k) {
    double sq = 0.0, top = 0.0;
    for (int32_t f = 0; f < k; f++) {
        sq += q[f] * q[f];
        if (fabs(q[f]) > top) top = fabs(q[f]);
    }
    return (float)((sqrt(sq) + top / 127.0 * sqrt((double)k) * 0.5) * (1.0 + 1e-5));
}

/* out = rotᵀ q (rot NULL: q itself), in double. */
MFR_HOT static void rotate(const double *rot, int32_t k, const float *q, double *out) {
    if (!rot) {
        for (int32_t f = 0; f < k; f++) out[f] = q[f];
        return;
    }
    for (int32_t c = 0; c < k; c++) out[c] = 0.0;
    for (int32_t r = 0; r < k; r++) {
        const double *v = rot + (size_t)r * k;
        double qr = q[r];
        for (int32_t c = 0; c < k; c++) out[c] += qr * v[c];
    }
}

MFR_HOT void mfr__qindex_rotate(const mfr__qindex *x, const float *v, float *out) {
    const int32_t k = x->k;
    for (int32_t c = 0; c < k; c++) out[c] = 0.f;
    for (int32_t r = 0; r < k; r++) {
        const float *w = x->rotf + (size_t)r * k, vr = v[r];
#pragma omp simd
        for (int32_t c = 0; c < k; c++) out[c] += vr * w[c];
    }
}

/* Q's principal axes (index.h) into *rot and the prefix pairs into *pre when
 * the factors beyond 2·pre <= k/2 of them hold at most ROT_TAIL of QᵀQ's
 * trace; else *rot NULL (and 0). Returns -1 on no memory. */
static int principal_axes(const mfr_model *m, double **rot, int32_t *pre) {
    *rot = NULL, *pre = 0;
    int32_t k = m->k;
    if (k < ROT_MIN_K) return 0;
    double *G = mfr__calloc((size_t)k * k, sizeof *G), *w = mfr__malloc((size_t)k * sizeof *w);
    if (!G || !w) {
        mfr__free(G);
        mfr__free(w);
        return -1;
    }
    for (int32_t i = 0; i < m->n_items; i++) { /* the lower triangle of QᵀQ */
        const float *q = m->Q + (size_t)i * k;
        for (int32_t a = 0; a < k; a++) {
            double *g = G + (size_t)a * k, qa = q[a];
            for (int32_t b = 0; b <= a; b++) g[b] += qa * q[b];
        }
    }
    int32_t d = 0;
    if (LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'V', 'L', k, G, k, w) == 0) { /* w ascending */
        double all = 0.0;
        for (int32_t c = 0; c < k; c++) all += w[c] > 0.0 ? w[c] : 0.0;
        for (int32_t t = 2; t <= k / 2 && all > 0.0; t += 2) {
            double rest = 0.0;
            for (int32_t c = 0; c < k - t; c++) rest += w[c] > 0.0 ? w[c] : 0.0;
            if (rest <= ROT_TAIL * all) {
                d = t;
                break;
            }
        }
    }
    if (d) { /* the axes by eigenvalue, largest first: reverse the columns in place */
        for (int32_t r = 0; r < k; r++)
            for (int32_t c = 0; c < k / 2; c++) {
                double t = G[(size_t)r * k + c];
                G[(size_t)r * k + c] = G[(size_t)r * k + k - 1 - c];
                G[(size_t)r * k + k - 1 - c] = t;
            }
        *rot = G, *pre = d / 2;
    } else {
        mfr__free(G);
    }
    mfr__free(w);
    return 0;
}

mfr_status mfr__qindex_from_slots(const mfr_model *m, const int32_t *slot, int32_t nb,
                                  const double *rot, int32_t pre, mfr__qindex **out,
                                  mfr_error *err) {
    *out = NULL;
    int32_t k = m->k, ni = m->n_items;
    size_t nl = (size_t)nb * LANES;
    mfr__qindex *x = mfr__calloc(1, sizeof *x);
    if (!x) return mfr__nomem(err, "item index");
    int32_t np = (k + 1) / 2, hp = rot ? pre : 0;
    x->hot_stride = LINES(HOT_META + (size_t)hp * 2 * LANES);
    x->cold_stride = LINES((size_t)(np - hp) * 2 * LANES);
    x->hot = mfr__aligned_alloc((size_t)nb * x->hot_stride);
    x->q8 = mfr__aligned_alloc((size_t)nb * x->cold_stride);
    x->norm = mfr__aligned_alloc(nl * sizeof *x->norm);
    x->rad = mfr__aligned_alloc(nl * sizeof *x->rad);
    x->item = mfr__aligned_alloc(nl * sizeof *x->item);
    x->rot = rot ? mfr__malloc((size_t)k * k * sizeof *x->rot) : NULL;
    x->rotf = rot ? mfr__aligned_alloc((size_t)k * k * sizeof *x->rotf) : NULL;
    x->max_bias = mfr__aligned_alloc((size_t)nb * sizeof *x->max_bias);
    x->max_norm = mfr__aligned_alloc((size_t)nb * sizeof *x->max_norm);
    x->max_abs_bias = mfr__aligned_alloc((size_t)nb * sizeof *x->max_abs_bias);
    x->max_rad = mfr__aligned_alloc((size_t)nb * sizeof *x->max_rad);
    x->max_tail = mfr__aligned_alloc((size_t)nb * sizeof *x->max_tail);
    if (!x->hot || !x->q8 || !x->norm || !x->rad || !x->item || (rot && (!x->rot || !x->rotf)) ||
        !x->max_bias || !x->max_norm || !x->max_abs_bias || !x->max_rad || !x->max_tail) {
        mfr__qindex_free(x);
        return mfr__nomem(err, "item index");
    }
    x->n_items = ni, x->k = k, x->n_blocks = nb, x->pre = rot ? pre : 0;
    if (rot) memcpy(x->rot, rot, (size_t)k * k * sizeof *x->rot);
    for (size_t t = 0; rot && t < (size_t)k * k; t++) x->rotf[t] = (float)rot[t];
    memset(x->hot, 0, (size_t)nb * x->hot_stride); /* the pad byte of an odd k too */
    memset(x->q8, 0, (size_t)nb * x->cold_stride);
    memset(x->max_tail, 0, (size_t)nb * sizeof *x->max_tail);
    double q[MAX_K];
    for (size_t l = 0; l < nl; l++) {
        int32_t b = (int32_t)(l / LANES), j = (int32_t)(l % LANES);
        float *scale = rec_scale(x, b), *bias = rec_bias(x, b);
        scale[j] = bias[j] = x->norm[l] = x->rad[l] = 0.f;
        if (slot[l] >= ni) { /* padding: never offered or scored */
            x->item[l] = ni;
            continue; /* all 0 from the memset */
            continue;
        }
        int32_t i = slot[l];
        rotate(x->rot, k, m->Q + (size_t)i * k, q);
        double top = 0.0, rest = 0.0;
        for (int32_t f = 0; f < k; f++) {
            if (fabs(q[f]) > top) top = fabs(q[f]);
            if (f >= 2 * x->pre) rest += q[f] * q[f];
        }
        float sc = (float)(top / 127.0);
        for (int32_t f = 0; f < k; f++) {
            double r = sc > 0.f ? nearbyint(q[f] / sc) : 0.0;
            pair_at(x, b, f >> 1)[2 * j + (f & 1)] = (int8_t)(r > 127 ? 127 : r < -127 ? -127 : r);
        }
        x->item[l] = i;
        bias[j] = m->item_bias ? m->item_bias[i] : 0.f;
        scale[j] = sc;
        x->rad[l] = (float)(sc * 0.5 * (1.0 + 1e-5));
        x->norm[l] = norm_bound(q, k);
        float tl = x->pre ? (float)(sqrt(rest) * (1.0 + 1e-5)) : 0.f;
        if (tl > x->max_tail[b]) x->max_tail[b] = tl;
    }
    for (int32_t b = 0; b < nb; b++) {
        float mb = -INFINITY, mn = 0.f, ma = 0.f, mr = 0.f;
        const float *bias = rec_bias(x, b);
        for (int32_t j = 0; j < LANES; j++) {
            size_t l = (size_t)b * LANES + j;
            if (x->item[l] >= ni) continue;
            mb = bias[j] > mb ? bias[j] : mb;
            mn = x->norm[l] > mn ? x->norm[l] : mn;
            ma = fabsf(bias[j]) > ma ? fabsf(bias[j]) : ma;
            mr = x->rad[l] > mr ? x->rad[l] : mr;
        }
        x->max_bias[b] = mb, x->max_norm[b] = mn, x->max_abs_bias[b] = ma, x->max_rad[b] = mr;
    }
    *out = x;
    return MFR_OK;
}

/* 1 when m's Q can be indexed: 1 <= k <= 512, every factor finite. */
static int qindex_usable(const mfr_model *m) {
    if (m->k <= 0 || m->k > MAX_K || !m->Q || m->n_items <= 0) return 0;
    size_t nq = (size_t)m->n_items * (size_t)m->k;
    for (size_t t = 0; t < nq; t++)
        if (!isfinite(m->Q[t])) return 0;
    return 1;
}

float mfr__qindex_order_key(const mfr_model *m, double c, int32_t i) {
    double q[MAX_K];
    rotate(NULL, m->k, m->Q + (size_t)i * m->k, q);
    return (m->item_bias ? m->item_bias[i] : 0.f) + (float)c * norm_bound(q, m->k);
}

int mfr__qindex_by_key(const void *a, const void *b) {
    const mfr__keyed *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? 1 : -1;
    return (x->item > y->item) - (x->item < y->item);
}

mfr_status mfr__qindex_build(mfr_model *m, mfr_error *err) {
    mfr__qindex_free(m->qindex);
    m->qindex = NULL;
    if (!qindex_usable(m)) return MFR_OK; /* the plain path serves */
    int32_t nb = (m->n_items + LANES - 1) / LANES, k = m->k, ni = m->n_items;
    size_t nl = (size_t)nb * LANES;
    mfr__keyed *order = mfr__malloc((size_t)ni * sizeof *order);
    int32_t *slot = mfr__malloc(nl * sizeof *slot);
    double *rot = NULL, q[MAX_K];
    int32_t pre = 0;
    if (!order || !slot || principal_axes(m, &rot, &pre)) {
        mfr__free(order);
        mfr__free(slot);
        return mfr__nomem(err, "item index");
    }
    double c = 0.0;
    for (int32_t u = 0; m->P && u < m->n_users; u++) {
        double a = 0.0;
        for (int32_t f = 0; f < k; f++) a += (double)m->P[(size_t)u * k + f] * m->P[(size_t)u * k + f];
        c += sqrt(a) / m->n_users;
    }
    for (int32_t i = 0; i < ni; i++) order[i] = (mfr__keyed){mfr__qindex_order_key(m, c, i), i};
    qsort(order, (size_t)ni, sizeof *order, mfr__qindex_by_key);
    /* each band of BAND movies of like keys by norm, highest first: a block
     * then holds 8 movies of like norm and so of like bias, and its bound
     * (the largest bias plus the largest norm) is close to each movie's */
    for (int32_t s = 0; s < ni; s += BAND) {
        int32_t e = ni - s > BAND ? s + BAND : ni;
        for (int32_t j = s; j < e; j++) { /* the norms the index keeps, in its basis */
            rotate(rot, k, m->Q + (size_t)order[j].item * k, q);
            order[j].key = norm_bound(q, k);
        }
        qsort(order + s, (size_t)(e - s), sizeof *order, mfr__qindex_by_key);
    }
    for (size_t l = 0; l < nl; l++) slot[l] = l < (size_t)ni ? order[l].item : ni;
    mfr__free(order);
    mfr_status st = mfr__qindex_from_slots(m, slot, nb, rot, pre, &m->qindex, err);
    mfr__free(slot);
    mfr__free(rot);
    if (m->qindex) m->qindex->user_norm = c;
    return st;
}

/* The per-request constants of E_i = R·rad_i + A·norm_i + C·|b_i| + D, and
 * the scale sp of p as 16-bit integers (AVX2 pass: p̂_f = sp·round(p_f/sp),
 * |p_f − p̂_f| ≤ sp/2, so |p̂·q̂ − p·q̂| ≤ (sp/2)·√k·‖q̂‖ and ‖p̂‖₁ ≤ ‖p‖₁ + k·sp/2;
 * the portable pass, with p itself, is within the same bound). In a rotated
 * index p is p̃ = rotᵀ p summed in float over rot rounded to float
 * (mfr__qindex_rotate): within ε = 1.05 √k (k + 2) 2⁻²⁴ ‖p‖ of the exact
 * rotation (the matrix's rounding, u√k‖p‖, and the sums', √k γ_k ‖p‖), so
 * A gains 1.01 ε (|(p̃ − Vᵀp)·q̃| ≤ ε n_i), the skip test uses ‖p‖ itself,
 * and the prefix's T, ‖p̃ beyond the prefix‖, gains ε; 1 % on sp and 10⁻⁹‖p‖
 * on A cover the rest (q̃ = Vᵀq in double; V orthogonal to ~10⁻¹⁵). */
typedef struct bounds {
    float R, A, C, D, sp, pn, T;
} bounds;

static bounds bounds_of(const float *p, int32_t k, float base, int rotated) {
    double l2 = 0.0, l1 = 0.0, top = 0.0;
    for (int32_t f = 0; f < k; f++) {
        l2 += (double)p[f] * p[f], l1 += fabs((double)p[f]);
        if (fabs((double)p[f]) > top) top = fabs((double)p[f]);
    }
    double u = ldexp(1.0, -24), c1 = 1.01 * (2.0 * k + 8.0) * u, sp = top / 32767.0;
    double sw = rotated ? 1.01 * sp : sp, half = 0.5 * sw * sqrt((double)k);
    double rot = rotated ? 1e-9 * sqrt(l2) : 0.0;
    return (bounds){(float)((l1 + 0.5 * k * sw) * (1.0 + 1e-5)),
                    (float)((c1 * (sqrt(l2) + half) + half + rot) * (1.0 + 1e-5)), (float)(4.0 * u),
                    (float)(8.0 * u * fabs((double)base) * 1.01), (float)sp,
                    (float)(sqrt(l2) * (1.0 + 1e-5)), 0.f};
}

/* A block pass 1 read, and the largest upper bound of its movies' scores. */
typedef struct mfr__read {
    int32_t block;
    float up;
} mfr__read;

/* Pass 1 state: the heap of the n largest lower bounds of kept movies. */
typedef struct pass1 {
    const mfr__filter *f;
    topn low;
    int32_t n_items;
    int32_t n_read, cap; /* blocks read: read[j] with the largest upper bound up[j] */
    int nomem;           /* a growth of read failed: the search fails */
    mfr__read *read;     /* the caller's buffer, or one grown on the heap */
    mfr__read *own;
} pass1;

static void mark_read(pass1 *s, int32_t b, float up) {
    if (s->n_read == s->cap) { /* rare: most lists read a few dozen blocks */
        mfr__read *g = s->nomem ? NULL : mfr__malloc(2 * (size_t)s->cap * sizeof *g);
        if (!g) {
            s->nomem = 1;
            return;
        }
        memcpy(g, s->read, (size_t)s->n_read * sizeof *g);
        mfr__free(s->own);
        s->read = s->own = g, s->cap *= 2;
    }
    s->read[s->n_read++] = (mfr__read){b, up};
}

/* The movie with lower bound lo: into the heap when kept (padding never). */
static void offer(pass1 *s, int32_t item, float lo) {
    if (item >= s->n_items) return;
    if (s->low.len == s->low.cap && !(lo > s->low.row[0].score)) return;
    if (!mfr__filter_pass(s->f, item)) return;
    mfr__topn_push(&s->low, item, lo);
}

static float worst(const pass1 *s) {
    return s->low.len == s->low.cap ? s->low.row[0].score : -INFINITY;
}

/* An upper bound of every exact score in block b, from b_i <= max_bias,
 * p·q_i <= ‖p‖‖q_i‖ <= ‖p‖·max_norm (Cauchy–Schwarz) and the rounding of
 * the exact kernel (E_i's terms without the byte rounding); a block below
 * the heap's worst is not read. */
static float block_top(const mfr__qindex *x, float base, bounds e, int32_t b) {
    float n = x->max_norm[b];
    return base + x->max_bias[b] + e.pn * n + e.A * n + e.C * x->max_abs_bias[b] + e.D +
           1e-6f * (fabsf(base) + x->max_abs_bias[b] + e.pn * n);
}

/* The portable pass 1: block b's approximate scores a[8]. */
static void block_ref(const mfr__qindex *x, const float *p, float base, int32_t b, float *a) {
    const float *scale = rec_scale(x, b), *bias = rec_bias(x, b);
    for (int32_t j = 0; j < LANES; j++) {
        float s = 0.f;
        for (int32_t f = 0; f < x->k; f++)
            s += p[f] * (float)pair_at(x, b, f >> 1)[2 * j + (f & 1)];
        a[j] = s * scale[j] + base + bias[j];
    }
}

static void pass1_ref(const mfr__qindex *x, const int32_t *blocks, int32_t nv, const float *p,
                      float base, bounds e, pass1 *s) {
    float a[LANES];
    for (int32_t t = 0; t < nv; t++) {
        int32_t b = blocks ? blocks[t] : t;
        if (!(block_top(x, base, e, b) >= worst(s))) continue;
        block_ref(x, p, base, b, a);
        float top = -INFINITY;
        for (int32_t j = 0; j < LANES; j++) {
            size_t l = (size_t)b * LANES + j;
            float r = e.R * x->rad[l] + e.A * x->norm[l] + e.C * fabsf(rec_bias(x, b)[j]) + e.D;
            float lo = a[j] - r, up = a[j] + r;
            if (up > top) top = up;
            if (lo > worst(s)) offer(s, x->item[l], lo);
        }
        mark_read(s, b, top);
    }
}

#ifdef MFR_HAVE_AVX2
/* Lower/upper bounds of one block's scores (acc: the integer dot products
 * p̂/sp · q̂/scale); lanes above the heap's worst offered; the block's largest
 * upper bound returned. */
/* Block b's 8 approximate scores from its integer sums acc. */
MFR_AVX2 static inline __m256 lane_scores(const mfr__qindex *x, __m256i acc, float base, bounds e,
                                          int32_t b) {
    __m256 sc = _mm256_mul_ps(_mm256_load_ps(rec_scale(x, b)), _mm256_set1_ps(e.sp));
    __m256 v = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc), sc, _mm256_set1_ps(base));
    return _mm256_add_ps(v, _mm256_load_ps(rec_bias(x, b)));
}

/* The largest of 8 lanes (NaN lanes drop out: max_ps returns its second
 * operand when one is NaN). */
MFR_AVX2 static inline float lane_max(__m256 up) {
    up = _mm256_max_ps(up, _mm256_set1_ps(-INFINITY));
    __m128 m4 = _mm_max_ps(_mm256_extractf128_ps(up, 1), _mm256_castps256_ps128(up));
    m4 = _mm_max_ps(_mm_movehl_ps(m4, m4), m4);
    m4 = _mm_max_ss(_mm_shuffle_ps(m4, m4, 1), m4);
    return _mm_cvtss_f32(m4);
}

/* 1 when some score of block b can reach w, from its prefix sums acc (the
 * hot record only): a lane's approximate score plus the block's widest E_i
 * and ‖p̃_rest‖·max tail_i, which bounds the factors beyond the prefix
 * (Cauchy–Schwarz), with block_top's margin for the float sums and one of
 * 10⁻⁶|w| for comparing v against w − width instead of v + width against w. */
MFR_AVX2 static inline int prefix_reaches(const mfr__qindex *x, __m256i acc, float base, bounds e,
                                          int32_t b, float w) {
    float n = x->max_norm[b], ab = x->max_abs_bias[b];
    float wid = e.R * x->max_rad[b] + e.A * n + e.C * ab + e.D + e.T * x->max_tail[b] +
                1e-6f * (fabsf(base) + ab + e.pn * n + fabsf(w));
    __m256 v = lane_scores(x, acc, base, e, b);
    return _mm256_movemask_ps(_mm256_cmp_ps(v, _mm256_set1_ps(w - wid), _CMP_GE_OQ)) != 0;
}

MFR_AVX2 static inline float finish_block(const mfr__qindex *x, __m256i acc, float base, bounds e,
                                          int32_t b, pass1 *s) {
    size_t l = (size_t)b * LANES;
    __m256 v = lane_scores(x, acc, base, e, b);
    __m256 absb = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), _mm256_load_ps(rec_bias(x, b)));
    __m256 r = _mm256_fmadd_ps(_mm256_set1_ps(e.R), _mm256_load_ps(x->rad + l), _mm256_set1_ps(e.D));
    r = _mm256_fmadd_ps(_mm256_set1_ps(e.A), _mm256_load_ps(x->norm + l), r);
    r = _mm256_fmadd_ps(_mm256_set1_ps(e.C), absb, r);
    __m256 lo = _mm256_sub_ps(v, r), up = _mm256_add_ps(v, r);
    int mask = _mm256_movemask_ps(_mm256_cmp_ps(lo, _mm256_set1_ps(worst(s)), _CMP_GT_OQ));
    if (mask) {
        float l8[LANES];
        _mm256_storeu_ps(l8, lo);
        for (int j = 0; j < LANES; j++)
            if ((mask >> j) & 1 && l8[j] > worst(s)) offer(s, x->item[l + j], l8[j]);
    }
    return lane_max(up);
}

/* 16 bytes (one factor pair of 8 lanes) times the pair's p̂, added into acc:
 * each 32-bit lane gets q̂_f p̂_f + q̂_{f+1} p̂_{f+1}, exact (|sum| < 2^31 for
 * k <= MAX_K). */
#define PAIR(acc, ptr, pp) \
    acc = _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm_load_si128((const __m128i *)(ptr))), pp))

/* block_top of the 8 blocks b0 .. b0 + 7 into top[8]; the lanes at or
 * above w returned as a bit mask. The same bound as block_top's, its float
 * rounding (fused or not) far inside block_top's 1e-6 margin. */
MFR_AVX2 static inline int tops8(const mfr__qindex *x, float base, bounds e, int32_t b0, float w,
                                 float *top) {
    __m256 n = _mm256_loadu_ps(x->max_norm + b0), ab = _mm256_loadu_ps(x->max_abs_bias + b0);
    __m256 pn = _mm256_set1_ps(e.pn);
    __m256 v = _mm256_add_ps(_mm256_set1_ps(base), _mm256_loadu_ps(x->max_bias + b0));
    v = _mm256_fmadd_ps(pn, n, v);
    v = _mm256_fmadd_ps(_mm256_set1_ps(e.A), n, v);
    v = _mm256_fmadd_ps(_mm256_set1_ps(e.C), ab, v);
    v = _mm256_add_ps(v, _mm256_set1_ps(e.D));
    __m256 slack = _mm256_fmadd_ps(pn, n, _mm256_add_ps(_mm256_set1_ps(fabsf(base)), ab));
    v = _mm256_fmadd_ps(_mm256_set1_ps(1e-6f), slack, v);
    _mm256_storeu_ps(top, v);
    return _mm256_movemask_ps(_mm256_cmp_ps(v, _mm256_set1_ps(w), _CMP_GE_OQ));
}

MFR_AVX2 static void pass1_avx2(const mfr__qindex *x, const int32_t *blocks, int32_t nv,
                                const float *p, float base, bounds e, pass1 *s) {
    const int32_t k = x->k, np = (k + 1) / 2, pre = x->pre;
    int32_t pq[MAX_K / 2]; /* p̂/sp as int16 pairs */
    float inv = e.sp > 0.f ? 1.0f / e.sp : 0.f;
    for (int32_t g = 0; g < np; g++) {
        long a = lrintf(p[2 * g] * inv), c = 2 * g + 1 < k ? lrintf(p[2 * g + 1] * inv) : 0;
        a = a > 32767 ? 32767 : a < -32767 ? -32767 : a;
        c = c > 32767 ? 32767 : c < -32767 ? -32767 : c;
        pq[g] = (int32_t)((uint32_t)(uint16_t)(int16_t)a | ((uint32_t)(uint16_t)(int16_t)c << 16));
    }
    /* 8 blocks' bounds at a time against the heap's worst (most blocks stop
     * there, unread), then the blocks that pass one at a time, each checked
     * again against the worst as it rises: the integer adds chain at one
     * cycle each */
    float top[LANES];
    for (int32_t t0 = 0; t0 < nv; t0 += LANES) {
        int32_t cnt = nv - t0 < LANES ? nv - t0 : LANES, mask = 0;
        if (!blocks && cnt == LANES) {
            mask = tops8(x, base, e, t0, worst(s), top);
        } else {
            for (int32_t j = 0; j < cnt; j++) {
                top[j] = block_top(x, base, e, blocks ? blocks[t0 + j] : t0 + j);
                mask |= (top[j] >= worst(s)) << j;
            }
        }
        for (; mask; mask &= mask - 1) {
            int32_t j = __builtin_ctz((unsigned)mask), b = blocks ? blocks[t0 + j] : t0 + j;
            if (!(top[j] >= worst(s))) continue;
            __m256i a0 = _mm256_setzero_si256(), a1 = a0;
            int32_t g = 0;
            /* a rotated index: the prefix first (the hot record), the rest
             * (the cold one) only when the prefix's bound reaches the heap;
             * most blocks stop here */
            const int8_t *h = x->hot + (size_t)b * x->hot_stride + HOT_META;
            for (; g + 2 <= pre; g += 2) {
                PAIR(a0, h + (size_t)g * 2 * LANES, _mm256_set1_epi32(pq[g]));
                PAIR(a1, h + (size_t)(g + 1) * 2 * LANES, _mm256_set1_epi32(pq[g + 1]));
            }
            if (g < pre) PAIR(a0, h + (size_t)g * 2 * LANES, _mm256_set1_epi32(pq[g])), g++;
            if (pre && !prefix_reaches(x, _mm256_add_epi32(a0, a1), base, e, b, worst(s))) continue;
            h = x->q8 + (size_t)b * x->cold_stride; /* pair g at h + (g - pre) * 16 */
            for (; g + 2 <= np; g += 2) {
                PAIR(a0, h + (size_t)(g - pre) * 2 * LANES, _mm256_set1_epi32(pq[g]));
                PAIR(a1, h + (size_t)(g + 1 - pre) * 2 * LANES, _mm256_set1_epi32(pq[g + 1]));
            }
            if (g < np) PAIR(a0, h + (size_t)(g - pre) * 2 * LANES, _mm256_set1_epi32(pq[g]));
            mark_read(s, b, finish_block(x, _mm256_add_epi32(a0, a1), base, e, b, s));
        }
    }
}
#endif

int32_t mfr__qindex_search(const mfr_model *m, const mfr__qindex *x, const int32_t *blocks,
                           int32_t nv, const float *p, const float *pt, float base,
                           const mfr__filter *f, int32_t n, mfr_scored *out,
                           const mfr__kernels *ks) {
    if (n <= 0) return 0;
    if (!blocks) nv = x->n_blocks;
    mfr_scored *low = mfr__malloc((size_t)n * sizeof *low);
    mfr__read first[128];
    if (!low) return -1;
    /* pass 1 in the index's basis: p̃ = rotᵀ p (in float: within ε‖p‖ of
     * the exact rotation, see bounds_of), and its norm beyond the prefix */
    float own[MAX_K];
    const float *pp = p;
    if (x->rot) {
        if (!pt) mfr__qindex_rotate(x, p, own);
        pp = pt ? pt : own;
    }
    bounds e = bounds_of(pp, x->k, base, x->rot != NULL);
    if (x->rot) {
        double l2 = 0.0, tl = 0.0;
        for (int32_t c = 0; c < x->k; c++) {
            l2 += (double)p[c] * p[c];
            if (c >= 2 * x->pre) tl += (double)pp[c] * pp[c];
        }
        double eps = 1.05 * sqrt((double)x->k) * (x->k + 2) * ldexp(1.0, -24) * sqrt(l2);
        e.pn = (float)(sqrt(l2) * (1.0 + 1e-5)); /* ‖p‖ itself, for the skip test */
        e.A += (float)(eps * 1.01);
        e.T = (float)((sqrt(tl) + eps) * (1.0 + 1e-5));
    }
    pass1 s = {f, {low, n, 0}, m->n_items, 0, 128, 0, first, NULL};
#ifdef MFR_HAVE_AVX2
    if (mfr__use_avx2(ks)) pass1_avx2(x, blocks, nv, pp, base, e, &s);
    else pass1_ref(x, blocks, nv, pp, base, e, &s);
#else
    (void)ks;
    pass1_ref(x, blocks, nv, pp, base, e, &s);
#endif
    float T = worst(&s);
    mfr__free(low);
    if (s.nomem) {
        mfr__free(s.own);
        return -1;
    }
    /* pass 2: the exact scores of the blocks read whose largest upper bound
     * reaches T (a block not read cannot: its bound was below a lower bound
     * <= T); blocks come in the index's order, not the items', so a tie with
     * the worst row kept is decided by the item index here, as the heap does */
    topn h = {out, n, 0};
    float v[LANES];
    for (int32_t t = 0; t < s.n_read; t++) {
        if (!(s.read[t].up >= T)) continue;
        int32_t b = s.read[t].block, cnt = 0;
        const int32_t *it = x->item + (size_t)b * LANES;
        while (cnt < LANES && it[cnt] < m->n_items) cnt++; /* padding ends a block */
        mfr__score_rows_idx(m->Q, m->k, p, it, cnt, base, m->item_bias, v);
        for (int32_t j = 0; j < cnt; j++) {
            if (h.len == h.cap && (v[j] < h.row[0].score ||
                                   (v[j] == h.row[0].score && it[j] > h.row[0].item)))
                continue;
            if (isnan(v[j]) || !mfr__filter_pass(f, it[j])) continue;
            mfr__topn_push(&h, it[j], v[j]);
        }
    }
    mfr__free(s.own);
    return mfr__topn_finish(&h);
}

/* ---- the filters a list applies ---------------------------------------- */

/* 1 when the '|'-separated list genres holds want (case-insensitive). */
static int has_genre(const char *genres, const char *want) {
    size_t wl = strlen(want);
    for (const char *g = genres; *g;) {
        const char *e = strchr(g, '|');
        size_t len = e ? (size_t)(e - g) : strlen(g);
        if (len == wl && strncasecmp(g, want, wl) == 0) return 1;
        if (!e) break;
        g = e + 1;
    }
    return 0;
}

int mfr__filter_pass(const mfr__filter *f, int32_t i) {
    const mfr_model *m = f->m;
    if (m->item_count[i] < f->p->min_ratings) return 0;
    if (f->n_seen && mfr__find_sorted(f->seen, f->n_seen, i) >= 0) return 0;
    return !f->p->genre || has_genre(mfr__catalog_genres(&m->cat, m->n_items, i), f->p->genre);
}
