/* classic.h — what the classic families of issue 10 (cocluster.c,
 * timesvdpp.c) show their tests: the tags of their file sections and the
 * direct computations the unit tests check them against.
 * Not public API. */
#ifndef MFR_CLASSIC_H
#define MFR_CLASSIC_H

#include "algo.h"

/* cocluster.c: sections. CCLH: two int32, the user and movie cluster
 * counts; CCLU / CCLI: int32 cluster of every user / movie; CCLT: float
 * [ku * ki], T[g * ki + h] = C̄_gh − C̄ᵘ_g − C̄ⁱ_h + μ. */
#define MFR__TAG_CCLH MFR_TAG('C', 'C', 'L', 'H')
#define MFR__TAG_CCLU MFR_TAG('C', 'C', 'L', 'U')
#define MFR__TAG_CCLI MFR_TAG('C', 'C', 'L', 'I')
#define MFR__TAG_CCLT MFR_TAG('C', 'C', 'L', 'T')

/* timesvdpp.c: sections. TSVH: the header (timesvdpp_header below); TSVU:
 * float [n_users * 4] per user b_u, α_u, t_u (mean rating day), the last
 * rating day; TSVB: float [n_items * bins] b_{i,bin}; TSVP / TSVD / TSVV:
 * int64 ptr[n_users + 1], int32 day[], float b_{u,day}[]: each user's rating
 * days, ascending, and their day bias. */
#define MFR__TAG_TSVH MFR_TAG('T', 'S', 'V', 'H')
#define MFR__TAG_TSVU MFR_TAG('T', 'S', 'V', 'U')
#define MFR__TAG_TSVB MFR_TAG('T', 'S', 'V', 'B')
#define MFR__TAG_TSVP MFR_TAG('T', 'S', 'V', 'P')
#define MFR__TAG_TSVD MFR_TAG('T', 'S', 'V', 'D')
#define MFR__TAG_TSVV MFR_TAG('T', 'S', 'V', 'V')
/* TSVA: float [n_users * k], α_u of the user factors: p_u(t) = p_u +
 * α_u·dev_u(t) (P holds p_u(t_last)). */
#define MFR__TAG_TSVA MFR_TAG('T', 'S', 'V', 'A')
/* TSVC (item_scale = 1 only): float [n_users + n_days], c_u of every user,
 * then c_{u,t} of every (user, day) of TSVD: the movie bias of eq. 13 is
 * (b_i + b_{i,Bin(t)})·(c_u + c_{u,t}). Its model has k + 1 factor columns,
 * the last P[u][k] = c_u + c_{u,t_last} − 1, Q[i][k] = item_bias[i]; TSVA
 * then has n_users × (k − 1) floats (the model's own factors). */
#define MFR__TAG_TSVC MFR_TAG('T', 'S', 'V', 'C')

/* timesvdpp.c's fixed settings (its header says why): item time bins,
 * dev_u's exponent, α's step (× lr) and penalty, the penalties of b_{u,t}
 * and b_{i,Bin(t)}. */
#define MFR__TS_BINS 30
#define MFR__TS_BETA 0.4f
#define MFR__TS_ALPHA_LR 1e-3f
#define MFR__TS_ALPHA_REG 50.f
#define MFR__TS_DAY_REG 0.3f
#define MFR__TS_BIN_REG 5.f
/* α_u of the user factors: step (× lr) and penalty, α_u's own (Koren's
 * orders of magnitude, as for the bias drift) */
#define MFR__TS_PDRIFT_LR 1e-3f
#define MFR__TS_PDRIFT_REG 50.f
/* the scale c_u(t) (item_scale): step (× lr), penalties of c_u − 1 and of
 * c_{u,t} (docs/models.md: how they were chosen) */
#define MFR__TS_SCALE_LR 0.02f
#define MFR__TS_SCALE_REG 0.3f
#define MFR__TS_SCALE_DAY_REG 1.f

typedef struct mfr__timesvdpp_header {
    int32_t bins;          /* item time bins */
    int32_t day_min, day_max; /* the training span, days since 1970 */
    float beta;            /* dev_u(t) = sign(t − t_u) |t − t_u|^beta */
    int64_t n_days;        /* entries of TSVD / TSVV */
} mfr__timesvdpp_header;

/* The day of a timestamp (seconds since 1970, floor). */
static inline int32_t mfr__day_of(int64_t t) {
    return (int32_t)(t >= 0 ? t / 86400 : -((-t + 86399) / 86400));
}

/* dev_u(t) of timeSVD++: sign(d − t_u)·|d − t_u|^beta. */
float mfr__timesvdpp_dev(float day, float mean_day, float beta);

#endif
