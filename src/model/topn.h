/* topn.h — a bounded min-heap of (item, score) rows for top-n selection, and
 * the dot-product kernel that scores a block of item rows.
 *
 * The heap lives in the caller's output array (capacity n): its root is the
 * worst row kept, so each candidate costs one comparison unless it enters.
 * "Better" means a higher score, ties broken by the lower item index, which
 * makes every answer deterministic. topn_finish sorts the rows best first. */
#ifndef MFR_TOPN_H
#define MFR_TOPN_H

#include "model_impl.h"

typedef struct topn {
    mfr_scored *row;
    int32_t cap, len;
} topn;

void mfr__topn_push(topn *h, int32_t item, float score);
/* Sort the kept rows best first; returns their count. */
int32_t mfr__topn_finish(topn *h);

/* out[j] = dot(p, Q[(i0 + j) * k .. +k]) for j in [0, n). Vectorised (AVX2
 * clone chosen at load time on x86-64, plain SSE/NEON otherwise);
 * mfr__dot_ref is the scalar reference the tests compare it against. */
void mfr__dot_rows(const float *Q, int32_t k, const float *p, int32_t i0, int32_t n, float *out);
/* The same fused with the rest of the biased-MF score:
 * out[j] = base + bias[i0 + j] + dot(p, q_{i0+j}) (bias may be NULL);
 * returns the largest out[j] (-INFINITY when n == 0; NaNs ignored). */
float mfr__score_rows(const float *Q, int32_t k, const float *p, int32_t i0, int32_t n, float base,
                      const float *bias, float *out);
/* The same for the rows idx[0..n) (no running maximum). */
void mfr__score_rows_idx(const float *Q, int32_t k, const float *p, const int32_t *idx, int32_t n,
                         float base, const float *bias, float *out);
float mfr__dot_ref(const float *a, const float *b, int32_t k);

/* Top-n for the user w (scored by mfr__model_score) that pass p's filters;
 * seen (sorted, n_seen entries) excluded when p->exclude_seen. Shared by
 * recommend, the batch (query.c) and recommend_vec (fold.c). */
mfr_status mfr__recommend_with(const mfr_model *m, const mfr__who *w, const int32_t *seen,
                               int64_t n_seen, const mfr_recommend_params *p, mfr_scored *out,
                               int32_t *n_out, mfr_error *err);

#endif
