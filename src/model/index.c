/* index.c — exact top-n of a factor model's biased-MF scores
 * s_i = base + b_i + p·q_i through an 8-bit filter (index.h).
 *
 * Each movie's factors are stored as signed bytes on its own scale
 * σ_i = max_f |q_if| / 127 (q̂_if = σ_i·round(q_if / σ_i), |q_if − q̂_if| ≤ σ_i/2),
 * movie-major by factor in blocks of 8 movies. Pass 1 scores every block
 * from the bytes (AVX2: p rounded to 16-bit integers on its own scale sp,
 * one widening of a factor pair's 16 bytes and one vpmaddwd per pair, exact
 * 32-bit integer sums; 4 blocks at a time so the adds do not wait on each
 * other; the portable pass multiplies the bytes by p in float) and gives
 * each movie an interval
 * [a_i − E_i, a_i + E_i] that holds the exact float score s_i the row
 * kernel computes:
 *
 *   |s_i − a_i| ≤ E_i = (‖p‖₁ + k·sp/2)·σ_i/2 + (c₁(‖p‖₂ + h) + h)·n_i
 *                       + 2⁻²²|b_i| + 2⁻²¹|base|,
 *   c₁ = 1.01 (2k + 8) 2⁻²⁴,  h = sp √k / 2,  n_i = ‖q_i‖₂ + σ_i √k / 2 (≥ ‖q_i‖, ‖q̂_i‖),
 *
 * from the rounding to bytes and of p to 16 bits, the float sums of both
 * kernels (γ_k each,
 * Higham's bound, with Cauchy–Schwarz for Σ|p_f q_f|), the scaling and the
 * two additions of base and b_i in each. The n-th largest lower bound
 * a_i − E_i among the movies the filters keep is a threshold T that only a
 * movie whose upper bound reaches it can beat; pass 2 scores exactly
 * (mfr__score_rows, the plain path's kernel) only the blocks whose largest
 * upper bound reaches T, in index order, into the same bounded heap as the
 * plain path, so the rows, their order and their scores are the plain
 * path's. The bounds only decide which movies are scored exactly, never a
 * row.
 *
 * Pass 1 reads 1 byte a factor instead of Q's 4 (on the 20 M-rating
 * synthetic model, 60,000 movies, k = 64: 3.8 MB instead of 15.4 MB, which
 * is what a list costs on a machine whose caches do not hold Q), and pass 2
 * a few blocks (docs/perf/serve.md). */
#include "index.h"
#include "topn.h"

#include <math.h>
#include <string.h>

enum { LANES = 8, MAX_K = 512 };

/* Byte of factor f of lane j inside a block: factors in pairs, each pair
 * 8 lanes x 2 bytes (the layout vpmaddwd multiplies and adds). */
#define POS(f, j) (((size_t)(f) >> 1) * (2 * LANES) + (size_t)(j) * 2 + ((size_t)(f) & 1))
/* Bytes of one block: k rounded up to even, times 8. */
#define BLOCK_BYTES(k) ((size_t)(((k) + 1) & ~1) * LANES)

void mfr__qindex_free(mfr__qindex *x) {
    if (!x) return;
    mfr__free(x->q8);
    mfr__free(x->bias);
    mfr__free(x->norm);
    mfr__free(x->rad);
    mfr__free(x->scale);
    mfr__free(x);
}

mfr_status mfr__qindex_build(mfr_model *m, mfr_error *err) {
    mfr__qindex_free(m->qindex);
    m->qindex = NULL;
    if (m->k <= 0 || m->k > MAX_K || !m->Q || m->n_items <= 0) return MFR_OK;
    size_t nq = (size_t)m->n_items * (size_t)m->k;
    for (size_t t = 0; t < nq; t++)
        if (!isfinite(m->Q[t])) return MFR_OK; /* the plain path serves */
    int32_t nb = (m->n_items + LANES - 1) / LANES, k = m->k;
    size_t nl = (size_t)nb * LANES;
    mfr__qindex *x = mfr__calloc(1, sizeof *x);
    if (!x) return mfr__nomem(err, "item index");
    x->q8 = mfr__aligned_alloc((size_t)nb * BLOCK_BYTES(k));
    x->bias = mfr__aligned_alloc(nl * sizeof *x->bias);
    x->norm = mfr__aligned_alloc(nl * sizeof *x->norm);
    x->rad = mfr__aligned_alloc(nl * sizeof *x->rad);
    x->scale = mfr__aligned_alloc(nl * sizeof *x->scale);
    if (!x->q8 || !x->bias || !x->norm || !x->rad || !x->scale) {
        mfr__qindex_free(x);
        return mfr__nomem(err, "item index");
    }
    x->n_items = m->n_items, x->k = k, x->n_blocks = nb;
    for (size_t l = 0; l < nl; l++) {
        int32_t i = (int32_t)l, b = i / LANES, j = i % LANES;
        int8_t *h = x->q8 + (size_t)b * BLOCK_BYTES(k);
        if (k & 1) h[POS(k, j)] = 0; /* the pad byte of an odd k */
        x->bias[l] = x->scale[l] = x->norm[l] = x->rad[l] = 0.f; /* padding: never offered */
        if (i >= m->n_items) {
            for (int32_t f = 0; f < k; f++) h[POS(f, j)] = 0;
            continue;
        }
        const float *q = m->Q + (size_t)i * k;
        double sq = 0.0, top = 0.0;
        for (int32_t f = 0; f < k; f++) {
            sq += (double)q[f] * q[f];
            if (fabs((double)q[f]) > top) top = fabs((double)q[f]);
        }
        float sc = (float)(top / 127.0);
        for (int32_t f = 0; f < k; f++) {
            double r = sc > 0.f ? nearbyint((double)q[f] / sc) : 0.0;
            h[POS(f, j)] = (int8_t)(r > 127 ? 127 : r < -127 ? -127 : r);
        }
        x->bias[l] = m->item_bias ? m->item_bias[i] : 0.f;
        x->scale[l] = sc;
        x->rad[l] = (float)(sc * 0.5 * (1.0 + 1e-5));
        x->norm[l] = (float)((sqrt(sq) + sc * sqrt((double)k) * 0.5) * (1.0 + 1e-5));
    }
    m->qindex = x;
    return MFR_OK;
}

/* The per-request constants of E_i = R·rad_i + A·norm_i + C·|b_i| + D, and
 * the scale sp of p as 16-bit integers (AVX2 pass: p̂_f = sp·round(p_f/sp),
 * |p_f − p̂_f| ≤ sp/2, so |p̂·q̂ − p·q̂| ≤ (sp/2)·√k·‖q̂‖ and ‖p̂‖₁ ≤ ‖p‖₁ + k·sp/2;
 * the portable pass, with p itself, is within the same bound). */
typedef struct bounds {
    float R, A, C, D, sp;
} bounds;

static bounds bounds_of(const float *p, int32_t k, float base) {
    double l2 = 0.0, l1 = 0.0, top = 0.0;
    for (int32_t f = 0; f < k; f++) {
        l2 += (double)p[f] * p[f], l1 += fabs((double)p[f]);
        if (fabs((double)p[f]) > top) top = fabs((double)p[f]);
    }
    double u = ldexp(1.0, -24), c1 = 1.01 * (2.0 * k + 8.0) * u, sp = top / 32767.0;
    double half = 0.5 * sp * sqrt((double)k);
    return (bounds){(float)((l1 + 0.5 * k * sp) * (1.0 + 1e-5)),
                    (float)((c1 * (sqrt(l2) + half) + half) * (1.0 + 1e-5)), (float)(4.0 * u),
                    (float)(8.0 * u * fabs((double)base) * 1.01), (float)sp};
}

/* Pass 1 state: the heap of the n largest lower bounds of kept movies. */
typedef struct pass1 {
    const mfr__filter *f;
    topn low;
    int32_t n_items;
} pass1;

/* Lane j of block b with lower bound lo: into the heap when kept. */
static void offer(pass1 *s, int32_t item, float lo) {
    if (item >= s->n_items) return;
    if (s->low.len == s->low.cap && !(lo > s->low.row[0].score)) return;
    if (!mfr__filter_pass(s->f, item)) return;
    mfr__topn_push(&s->low, item, lo);
}

static float worst(const pass1 *s) {
    return s->low.len == s->low.cap ? s->low.row[0].score : -INFINITY;
}

/* The portable pass 1: block b's approximate scores a[8]. */
static void block_ref(const mfr__qindex *x, const float *p, float base, int32_t b, float *a) {
    const int8_t *h = x->q8 + (size_t)b * BLOCK_BYTES(x->k);
    for (int32_t j = 0; j < LANES; j++) {
        float s = 0.f;
        for (int32_t f = 0; f < x->k; f++) s += p[f] * (float)h[POS(f, j)];
        size_t l = (size_t)b * LANES + j;
        a[j] = s * x->scale[l] + base + x->bias[l];
    }
}

static void pass1_ref(const mfr__qindex *x, const float *p, float base, bounds e, pass1 *s,
                      float *max_up) {
    float a[LANES];
    for (int32_t b = 0; b < x->n_blocks; b++) {
        block_ref(x, p, base, b, a);
        float top = -INFINITY;
        for (int32_t j = 0; j < LANES; j++) {
            size_t l = (size_t)b * LANES + j;
            float r = e.R * x->rad[l] + e.A * x->norm[l] + e.C * fabsf(x->bias[l]) + e.D;
            float lo = a[j] - r, up = a[j] + r;
            if (up > top) top = up;
            if (lo > worst(s)) offer(s, (int32_t)l, lo);
        }
        max_up[b] = top;
    }
}

#ifdef MFR_HAVE_AVX2
/* Lower/upper bounds of one block's scores (acc: the integer dot products
 * p̂/sp · q̂/scale); lanes above the heap's worst offered; the block's largest
 * upper bound returned. */
MFR_AVX2 static inline float finish_block(const mfr__qindex *x, __m256i acc, float base, bounds e,
                                          int32_t b, pass1 *s) {
    size_t l = (size_t)b * LANES;
    __m256 bv = _mm256_load_ps(x->bias + l);
    __m256 sc = _mm256_mul_ps(_mm256_load_ps(x->scale + l), _mm256_set1_ps(e.sp));
    __m256 v = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc), sc, _mm256_set1_ps(base));
    v = _mm256_add_ps(v, bv);
    __m256 absb = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), bv);
    __m256 r = _mm256_fmadd_ps(_mm256_set1_ps(e.R), _mm256_load_ps(x->rad + l), _mm256_set1_ps(e.D));
    r = _mm256_fmadd_ps(_mm256_set1_ps(e.A), _mm256_load_ps(x->norm + l), r);
    r = _mm256_fmadd_ps(_mm256_set1_ps(e.C), absb, r);
    __m256 lo = _mm256_sub_ps(v, r), up = _mm256_add_ps(v, r);
    int mask = _mm256_movemask_ps(_mm256_cmp_ps(lo, _mm256_set1_ps(worst(s)), _CMP_GT_OQ));
    if (mask) {
        float l8[LANES];
        _mm256_storeu_ps(l8, lo);
        for (int j = 0; j < LANES; j++)
            if ((mask >> j) & 1 && l8[j] > worst(s)) offer(s, b * LANES + j, l8[j]);
    }
    /* NaN lanes drop out: max_ps returns its second operand when one is NaN */
    up = _mm256_max_ps(up, _mm256_set1_ps(-INFINITY));
    __m128 m4 = _mm_max_ps(_mm256_extractf128_ps(up, 1), _mm256_castps256_ps128(up));
    m4 = _mm_max_ps(_mm_movehl_ps(m4, m4), m4);
    m4 = _mm_max_ss(_mm_shuffle_ps(m4, m4, 1), m4);
    return _mm_cvtss_f32(m4);
}

/* 16 bytes (one factor pair of 8 lanes) times the pair's p̂, added into acc:
 * each 32-bit lane gets q̂_f p̂_f + q̂_{f+1} p̂_{f+1}, exact (|sum| < 2^31 for
 * k <= MAX_K). */
#define PAIR(acc, ptr, pp) \
    acc = _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm_load_si128((const __m128i *)(ptr))), pp))

MFR_AVX2 static void pass1_avx2(const mfr__qindex *x, const float *p, float base, bounds e,
                                pass1 *s, float *max_up) {
    const int32_t k = x->k, nb = x->n_blocks, np = (k + 1) / 2;
    const size_t step = BLOCK_BYTES(k);
    int32_t pq[MAX_K / 2]; /* p̂/sp as int16 pairs */
    float inv = e.sp > 0.f ? 1.0f / e.sp : 0.f;
    for (int32_t g = 0; g < np; g++) {
        long a = lrintf(p[2 * g] * inv), c = 2 * g + 1 < k ? lrintf(p[2 * g + 1] * inv) : 0;
        a = a > 32767 ? 32767 : a < -32767 ? -32767 : a;
        c = c > 32767 ? 32767 : c < -32767 ? -32767 : c;
        pq[g] = (int32_t)((uint32_t)(uint16_t)(int16_t)a | ((uint32_t)(uint16_t)(int16_t)c << 16));
    }
    int32_t b = 0;
    for (; b + 4 <= nb; b += 4) {
        const int8_t *h = x->q8 + (size_t)b * step;
        __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
        for (int32_t g = 0; g < np; g++) {
            __m256i pp = _mm256_set1_epi32(pq[g]);
            const int8_t *hg = h + (size_t)g * 2 * LANES;
            PAIR(a0, hg, pp);
            PAIR(a1, hg + step, pp);
            PAIR(a2, hg + 2 * step, pp);
            PAIR(a3, hg + 3 * step, pp);
        }
        max_up[b] = finish_block(x, a0, base, e, b, s);
        max_up[b + 1] = finish_block(x, a1, base, e, b + 1, s);
        max_up[b + 2] = finish_block(x, a2, base, e, b + 2, s);
        max_up[b + 3] = finish_block(x, a3, base, e, b + 3, s);
    }
    for (; b < nb; b++) {
        const int8_t *h = x->q8 + (size_t)b * step;
        __m256i a0 = _mm256_setzero_si256();
        for (int32_t g = 0; g < np; g++) PAIR(a0, h + (size_t)g * 2 * LANES, _mm256_set1_epi32(pq[g]));
        max_up[b] = finish_block(x, a0, base, e, b, s);
    }
}
#endif

int32_t mfr__qindex_topn(const mfr_model *m, const float *p, float base, const mfr__filter *f,
                         int32_t n, mfr_scored *out, const mfr__kernels *ks) {
    const mfr__qindex *x = m->qindex;
    if (n <= 0) return 0;
    mfr_scored *low = mfr__malloc((size_t)n * sizeof *low);
    float *max_up = mfr__malloc(((size_t)x->n_blocks + 1) * sizeof *max_up);
    if (!low || !max_up) {
        mfr__free(low);
        mfr__free(max_up);
        return -1;
    }
    bounds e = bounds_of(p, x->k, base);
    pass1 s = {f, {low, n, 0}, m->n_items};
#ifdef MFR_HAVE_AVX2
    if (mfr__use_avx2(ks)) pass1_avx2(x, p, base, e, &s, max_up);
    else pass1_ref(x, p, base, e, &s, max_up);
#else
    (void)ks;
    pass1_ref(x, p, base, e, &s, max_up);
#endif
    float T = worst(&s);
    mfr__free(low);
    /* pass 2: the exact scores of the blocks that can reach T */
    topn h = {out, n, 0};
    float v[LANES];
    for (int32_t b = 0; b < x->n_blocks; b++) {
        if (!(max_up[b] >= T)) continue;
        int32_t i0 = b * LANES, cnt = m->n_items - i0 < LANES ? m->n_items - i0 : LANES;
        mfr__score_rows(m->Q, m->k, p, i0, cnt, base, m->item_bias, v);
        for (int32_t j = 0; j < cnt; j++) {
            if (h.len == h.cap && !(v[j] > h.row[0].score)) continue;
            if (isnan(v[j]) || !mfr__filter_pass(f, i0 + j)) continue;
            mfr__topn_push(&h, i0 + j, v[j]);
        }
    }
    mfr__free(max_up);
    return mfr__topn_finish(&h);
}
