/* topn.c — top-n selection with a bounded heap, and the row dot-product
 * kernel recommend spends its time in (see topn.h).
 *
 * Kernel: 4 rows at a time, each with two 8-float vector accumulators
 * (GCC vector extensions, unaligned loads through memcpy), a scalar tail for
 * k % 8. The summation order differs from mfr__dot_ref, so results agree to
 * rounding (tests allow 1e-5 relative). */
#include "topn.h"
#include "../core/simd.h"

#include <math.h>
#include <string.h>

/* a better than b: higher score, then lower item index. */
static int better(const mfr_scored *a, const mfr_scored *b) {
    return a->score > b->score || (a->score == b->score && a->item < b->item);
}

static void sift_down(mfr_scored *h, int32_t n, int32_t j) {
    for (;;) {
        int32_t l = 2 * j + 1, r = l + 1, w = j;
        if (l < n && better(&h[w], &h[l])) w = l;
        if (r < n && better(&h[w], &h[r])) w = r;
        if (w == j) return;
        mfr_scored t = h[j];
        h[j] = h[w];
        h[w] = t;
        j = w;
    }
}

void mfr__topn_push(topn *h, int32_t item, float score) {
    mfr_scored c = {item, score, NAN};
    if (h->cap <= 0) return;
    if (h->len < h->cap) {
        int32_t j = h->len++;
        h->row[j] = c;
        while (j > 0) { /* sift up: parent must be worse than child */
            int32_t p = (j - 1) / 2;
            if (!better(&h->row[p], &h->row[j])) break;
            mfr_scored t = h->row[p];
            h->row[p] = h->row[j];
            h->row[j] = t;
            j = p;
        }
        return;
    }
    if (!better(&c, &h->row[0])) return;
    h->row[0] = c;
    sift_down(h->row, h->len, 0);
}

int32_t mfr__topn_finish(topn *h) {
    /* heap sort: repeatedly move the worst to the end, leaving best first */
    for (int32_t n = h->len; n > 1; n--) {
        mfr_scored t = h->row[0];
        h->row[0] = h->row[n - 1];
        h->row[n - 1] = t;
        sift_down(h->row, n - 1, 0);
    }
    return h->len;
}

float mfr__dot_ref(const float *a, const float *b, int32_t k) {
    float s = 0.f;
    for (int32_t f = 0; f < k; f++) s += a[f] * b[f];
    return s;
}

typedef float v8f __attribute__((vector_size(32)));

/* Macros, not functions: a 32-byte vector passed by value would change the
 * ABI of a non-AVX function (-Wpsabi). */
#define LOAD8(dst, src) memcpy(&(dst), (src), sizeof(v8f))
#define HSUM(v) (((v)[0] + (v)[4]) + ((v)[1] + (v)[5])) + (((v)[2] + (v)[6]) + ((v)[3] + (v)[7]))

/* Row j is item ROW(j): idx[j] for an index list, else i0 + j. */
#define ROW(j) (idx ? idx[j] : i0 + (j))

/* Row j's score: dot + base + bias[ROW(j)]; the running maximum kept. */
#define FINISH(j, dot)                                               \
    do {                                                             \
        float v_ = (dot) + base + (bias ? bias[ROW(j)] : 0.f);       \
        out[j] = v_;                                                 \
        if (v_ > best) best = v_;                                    \
    } while (0)

/* The kernel of both entry points below, inlined into each of their clones. */
static inline __attribute__((always_inline)) float
rows_kernel(const float *Q, int32_t k, const float *p, const int32_t *idx, int32_t i0, int32_t n,
            float base, const float *bias, float *out) {
    int32_t k8 = k & ~7, j = 0;
    float best = -INFINITY;
    for (; j + 4 <= n; j += 4) {
        const float *q0 = Q + (size_t)ROW(j) * k, *q1 = Q + (size_t)ROW(j + 1) * k;
        const float *q2 = Q + (size_t)ROW(j + 2) * k, *q3 = Q + (size_t)ROW(j + 3) * k;
        v8f a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
        for (int32_t f = 0; f < k8; f += 8) {
            v8f pv, x0, x1, x2, x3;
            LOAD8(pv, p + f);
            LOAD8(x0, q0 + f);
            LOAD8(x1, q1 + f);
            LOAD8(x2, q2 + f);
            LOAD8(x3, q3 + f);
            a0 += pv * x0;
            a1 += pv * x1;
            a2 += pv * x2;
            a3 += pv * x3;
        }
        float s0 = HSUM(a0), s1 = HSUM(a1), s2 = HSUM(a2), s3 = HSUM(a3);
        for (int32_t f = k8; f < k; f++) {
            s0 += p[f] * q0[f];
            s1 += p[f] * q1[f];
            s2 += p[f] * q2[f];
            s3 += p[f] * q3[f];
        }
        FINISH(j, s0);
        FINISH(j + 1, s1);
        FINISH(j + 2, s2);
        FINISH(j + 3, s3);
    }
    for (; j < n; j++) {
        const float *q = Q + (size_t)ROW(j) * k;
        v8f a = {0};
        for (int32_t f = 0; f < k8; f += 8) {
            v8f pv, qv;
            LOAD8(pv, p + f);
            LOAD8(qv, q + f);
            a += pv * qv;
        }
        float sum = HSUM(a);
        for (int32_t f = k8; f < k; f++) sum += p[f] * q[f];
        FINISH(j, sum);
    }
    return best;
}

MFR_HOT
float mfr__score_rows(const float *Q, int32_t k, const float *p, int32_t i0, int32_t n, float base,
                      const float *bias, float *out) {
    return rows_kernel(Q, k, p, NULL, i0, n, base, bias, out);
}

MFR_HOT
void mfr__score_rows_idx(const float *Q, int32_t k, const float *p, const int32_t *idx, int32_t n,
                         float base, const float *bias, float *out) {
    rows_kernel(Q, k, p, idx, 0, n, base, bias, out);
}

void mfr__dot_rows(const float *Q, int32_t k, const float *p, int32_t i0, int32_t n, float *out) {
    mfr__score_rows(Q, k, p, i0, n, 0.f, NULL, out);
}
