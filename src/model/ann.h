/* ann.h — the approximate top-n index of a factor model (issue 15): an
 * inverted file of the movie factors. The movies are clustered by k-means of
 * their rows [x_i, b_i] into lists, x_i = q_i, or, when the exact index is
 * in Q's principal axes, q_i's coordinates on the prefix's axes
 * (src/analysis/ann_build.c calls mfr_kmeans and hands the clustering here);
 * each list is laid out as the exact index's blocks of 8 movies (index.h),
 * the lists one after another. A query scores the centroids
 * (base + c_b + p·c_x in the same coordinates, the list's mean score),
 * takes the nprobe lists with the highest, and returns the exact top-n of the
 * movies in those lists (the exact index's two passes over their blocks):
 * probing every list gives the exact answer item for item; fewer lists give
 * fewer movies to read and may miss a movie of a list not probed. When the
 * filters leave fewer than n movies in the probed lists, twice as many lists
 * are probed, up to all of them. */
#ifndef MFR_ANN_H
#define MFR_ANN_H

#include "index.h"

typedef struct mfr__ann {
    int32_t lists, nprobe, k;
    double recall;     /* recall@10 measured when nprobe was chosen (ann_build.c), or -1 */
    int32_t cd;        /* the centroids' factor dimensions: k (Q's own), or fewer: the
                          first cd principal axes of the exact index (m->qindex->rot) */
    float *cq;         /* [lists * cd] the centroids' factor part (64-byte aligned) */
    float *cb;         /* [lists] the centroids' bias part */
    int32_t *first;    /* [lists + 1] list c is blocks first[c] .. first[c+1]-1 of x */
    mfr__qindex *x;    /* the movies list by list, each list in whole blocks */
} mfr__ann;

/* 1 when m's lists are ordered by the biased-MF score, which the index
 * searches (a factor family without its own ranking, scoring or prediction,
 * with the exact index built). */
int mfr__ann_supported(const mfr_model *m);
/* Set m->ann from a clustering of its n_items movies: assign[i] the list of
 * movie i (0..lists-1), centroid[c * (cd + 1) ..] list c's mean of
 * [x_i, b_i] with x_i in cd dimensions: q_i (cd = k) or its coordinates on the
 * exact index's first cd principal axes (cd < k, m->qindex->rot set);
 * nprobe >= 1 (more than lists: every list). Replaces an index already set.
 * MFR_E_UNSUPPORTED (see mfr__ann_supported), MFR_E_INVALID, MFR_E_NOMEM. */
mfr_status mfr__ann_set(mfr_model *m, int32_t lists, const int32_t *assign,
                        const float *centroid, int32_t cd, int32_t nprobe, mfr_error *err);
void mfr__ann_free(mfr__ann *a);
/* The model's top-n search, as mfr__qindex_search (index.h): through the
 * approximate index when one is set (m->ann: mfr_model_set_index), else the
 * exact search over every block of m->qindex. */
int32_t mfr__qindex_topn(const mfr_model *m, const float *p, float base, const mfr__filter *f,
                         int32_t n, mfr_scored *out, const mfr__kernels *ks);

#endif
