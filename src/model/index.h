/* index.h — the item side of a factor model laid out for top-n search: the
 * movies in blocks of 8 (ordered so that movies of like bounds share a
 * block, and blocks no list can reach are skipped unread), each block holding its 8 movies' factors movie-major
 * by factor (f = 0: 8 values, f = 1: 8 values, ...) as signed bytes, each
 * movie on its own scale, so one vector lane is one movie and a block's 8
 * scores come out of k fused multiply-adds with no horizontal sum, reading a
 * quarter of the bytes of Q.
 *
 * The byte scores are a filter, not the answer: each comes with a bound on
 * its distance to the exact float score (index.c), the exact top-n is taken
 * among the blocks that can still reach it, scored by the same row kernel as
 * every other list (mfr__score_rows), so the lists are the ones the plain
 * path gives, row for row (tests/unit/test_model_index.c). */
#ifndef MFR_INDEX_H
#define MFR_INDEX_H

#include "model_impl.h"
#include "../core/simd.h"

typedef struct mfr__qindex {
    int32_t n_items, k, n_blocks;
    /* The bytes round(q_if / scale_i), movie-major by factor pair (8 lanes x
     * 2 bytes a pair), in two arrays of per-block records: hot (what every
     * block pass 1 reads: its 8 scale_i = max_f |q_if| / 127 and 8 b_i (bias,
     * 0 without) as floats, then the prefix's pairs) and cold (the pairs
     * beyond the prefix: all of them without one), so the prefix pass reads
     * hot records only (960 KB for 60,000 movies with an 8-factor prefix). */
    int8_t *hot, *q8;
    size_t hot_stride, cold_stride; /* bytes a record, whole cache lines */
    float *rad;      /* [n_blocks * 8] scale_i / 2: the largest rounding of a byte */
    float *norm;     /* [n_blocks * 8] ‖q_i‖₂ + scale_i √k / 2 */
    int32_t *item;   /* [n_blocks * 8] the movie in each slot (n_items in padding): the
                        movies by b_i + c·‖q_i‖, highest first (c: the users' mean ‖p_u‖),
                        each band of 1,024 of them by ‖q_i‖, highest first */
    float *max_bias, *max_abs_bias, *max_norm; /* [n_blocks] per block, for skipping it */
    float *max_rad, *max_tail; /* [n_blocks] the largest rad_i and ‖q̃_i beyond the prefix‖ */
    double user_norm;    /* c: the users' mean ‖p_u‖ (the exact index's order) */
    /* The principal axes of Q, when a few of them hold most of its energy
     * (NULL otherwise): rot[r * k + c] is component r of the c-th axis
     * (QᵀQ's eigenvectors, the largest eigenvalue first), and the bytes hold
     * q̃_i = rotᵀ q_i, so p·q_i = p̃·q̃_i with p̃ = rotᵀ p. Pass 1 then scores
     * the first 2·pre factors of a block, bounds the rest by
     * ‖p̃_rest‖·max_tail, and reads the others only when that bound can
     * reach the heap. */
    double *rot;
    float *rotf;         /* rot rounded to float, for p̃ (mfr__qindex_rotate) */
    int32_t pre;         /* factor pairs of the prefix (0 with rot NULL) */
} mfr__qindex;

/* The index of m's Q (m->qindex), or NULL (and MFR_OK) when the model has no
 * factors or a factor is not finite (the plain path then serves).
 * MFR_E_NOMEM. */
mfr_status mfr__qindex_build(mfr_model *m, mfr_error *err);
void mfr__qindex_free(mfr__qindex *x);
/* An index whose slot l (n_blocks * 8 of them) holds movie slot[l], or
 * padding when slot[l] >= n_items; padding comes last in a block (a block's
 * movies are its first lanes), in the basis of the axes rot (k x k, copied;
 * NULL: Q's own) with a prefix of pre factor pairs. m's Q must be usable.
 * *out NULL on failure. MFR_E_NOMEM. */
mfr_status mfr__qindex_from_slots(const mfr_model *m, const int32_t *slot, int32_t n_blocks,
                                  const double *rot, int32_t pre, mfr__qindex **out,
                                  mfr_error *err);
/* v (k floats) in x's principal axes (x->rot set): out = rotᵀ v, summed in
 * float over rot rounded to float (index.c bounds the difference). */
void mfr__qindex_rotate(const mfr__qindex *x, const float *v, float *out);
/* The order the exact index places movies in: key b_i + c·n_i (c: the users'
 * mean ‖p_u‖), highest first, ties by the lower index (qsort comparator). */
typedef struct mfr__keyed {
    float key;
    int32_t item;
} mfr__keyed;
float mfr__qindex_order_key(const mfr_model *m, double c, int32_t i);
int mfr__qindex_by_key(const void *a, const void *b);

/* What a list keeps: p's filters for one user (seen sorted, n_seen entries). */
typedef struct mfr__filter {
    const mfr_model *m;
    const mfr_recommend_params *p;
    const int32_t *seen;
    int64_t n_seen;
} mfr__filter;
/* 1 when item i may be in the list: enough training ratings, not seen,
 * of the genre asked for (index.c). */
int mfr__filter_pass(const mfr__filter *f, int32_t i);

/* w's factor vector p and base μ + b_u for the biased-MF formula: 1 when w
 * has one (a trained user of a model with P and Q, or a folded-in vector;
 * score.c). */
int mfr__who_vector(const mfr_model *m, const mfr__who *w, const float **p, float *base);
/* The biased-MF score base + b_i + p·q_i of w, when it is what w's list is
 * ordered by (a family without rank_user, score_user and predict, a trained
 * user or a folded-in vector): 1 with *p and *base set, else 0 (score.c). */
int mfr__who_mf(const mfr_model *m, const mfr__who *w, const float **p, float *base);

/* pt: p in x's axes (mfr__qindex_rotate; NULL: rotated here when x->rot).
 * Top-n of base + b_i + p·q_i over the movies of x's blocks blocks[0..nv)
 * (NULL: every block) that f lets through into out (the scores exact,
 * predictions not set), best first, ties by the lower item: the exact top-n
 * of those movies. Returns the count, or -1 on no memory. ks: NULL or the
 * kernel switches (scalar: the portable reference filter). */
int32_t mfr__qindex_search(const mfr_model *m, const mfr__qindex *x, const int32_t *blocks,
                           int32_t nv, const float *p, const float *pt, float base,
                           const mfr__filter *f, int32_t n, mfr_scored *out,
                           const mfr__kernels *ks);

#endif
