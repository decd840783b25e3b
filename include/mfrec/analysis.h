/* mfrec/analysis.h — k-means and PCA on a model's movie factors.
 *
 * Two layers: plain functions on a row-major float matrix X[n*d] (point j is
 * X[j*d .. j*d+d-1]), and model-level helpers that pick the movies with at
 * least min_ratings training ratings, take their rows of the item factors Q
 * and hand them to the plain functions. Models without item factors (baseline,
 * knn, content) answer MFR_E_UNSUPPORTED at the model level.
 *
 * k-means: Lloyd's iterations from k-means++ seeding (Arthur & Vassilvitskii,
 * "k-means++: the advantages of careful seeding", SODA 2007); deterministic
 * for a given seed (single-threaded seeding, fixed summation order).
 * PCA: eigenvectors of the d×d covariance of the centred points (LAPACKE
 * dsyevd), sign fixed so the largest-magnitude component of each axis is
 * positive, so the map is the same on every run. */
#ifndef MFREC_ANALYSIS_H
#define MFREC_ANALYSIS_H

#include <stdint.h>
#include "error.h"
#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- plain k-means ---------------------------------------------------- */

/* Cluster n points of dimension d into k groups. assign[n] receives each
 * point's cluster (0..k-1), centroids[k*d] the centres (both caller-owned).
 * *inertia (may be NULL) = Σ squared distance to the assigned centre.
 * Stops when no assignment changes or after max_iter iterations (<= 0: 100).
 * Returns MFR_OK; MFR_E_INVALID when k < 1, k > n, d < 1 or an array is
 * NULL; MFR_E_NOMEM. Outputs are unspecified on failure. */
mfr_status mfr_kmeans(const float *X, int32_t n, int32_t d, int32_t k,
                      uint64_t seed, int32_t max_iter, int32_t *assign,
                      float *centroids, double *inertia, mfr_error *err);

/* ---- plain PCA -------------------------------------------------------- */

/* Project n points of dimension d (n >= 2, d >= 1) onto their first `dims`
 * principal axes (1 <= dims <= d): out[n*dims] (caller-owned) gets the
 * coordinates of the centred points, axes[dims*d] (may be NULL) the unit axes,
 * explained[dims] (may be NULL) each axis's fraction of the total variance.
 * Returns MFR_OK, MFR_E_INVALID for bad sizes, MFR_E_NOMEM, or
 * MFR_E_INTERNAL when the eigen-solver fails. */
mfr_status mfr_pca(const float *X, int32_t n, int32_t d, int32_t dims,
                   float *out, float *axes, float *explained, mfr_error *err);

/* ---- on a model's movie factors ---------------------------------------- */

typedef struct mfr_cluster_params {
    int32_t k;            /* clusters (default 20) */
    uint64_t seed;        /* default 42 */
    int32_t max_iter;     /* default 100 */
    int32_t min_ratings;  /* movies with fewer training ratings are left out (default 10) */
} mfr_cluster_params;

mfr_cluster_params mfr_cluster_params_default(void);

/* The result of mfr_model_cluster; every array is owned by the struct and
 * freed with mfr_clustering_free. */
typedef struct mfr_clustering {
    int32_t k, d;         /* clusters, factor dimension */
    int32_t n;            /* movies clustered */
    int32_t *items;       /* [n] model item indices, ascending */
    int32_t *assign;      /* [n] cluster of items[j] */
    float *dist;          /* [n] distance of items[j] to its centroid */
    float *centroids;     /* [k*d] */
    int32_t *size;        /* [k] */
    double inertia;
} mfr_clustering;

/* k-means over the item factors of the movies with >= p->min_ratings
 * ratings (p NULL: defaults). On success *out is a new clustering (free with
 * mfr_clustering_free). MFR_E_UNSUPPORTED for a model without item factors,
 * MFR_E_INVALID when fewer than k movies qualify (the message says how many),
 * MFR_E_NOMEM. *out is NULL on failure. */
mfr_status mfr_model_cluster(const mfr_model *m, const mfr_cluster_params *p,
                             mfr_clustering **out, mfr_error *err);
void mfr_clustering_free(mfr_clustering *c); /* NULL is fine */

/* The cluster of model item i, or -1 when i was not clustered. */
int32_t mfr_clustering_of(const mfr_clustering *c, int32_t item);

/* Up to n most typical movies of cluster c: among the half of the cluster
 * closest to its centroid (distance <= the median), the most rated first
 * (ties: closer first), so the examples are both central and well known.
 * Writes model item indices into out (capacity n); returns how many were
 * written (0 for a bad cluster number). */
int32_t mfr_clustering_typical(const mfr_model *m, const mfr_clustering *c,
                               int32_t cluster, int32_t n, int32_t *out);

/* Up to n dominant genres of cluster c, most frequent first: names[j] is a
 * pointer into a genre string of the model catalogue (not NUL-terminated at
 * the genre end; use len[j]) and share[j] the fraction of the cluster's
 * movies carrying that genre. Returns how many were written. */
int32_t mfr_clustering_genres(const mfr_model *m, const mfr_clustering *c,
                              int32_t cluster, int32_t n, const char **names,
                              int32_t *len, float *share);

/* 2-D PCA map of the item factors of the movies with >= min_ratings
 * ratings. items[] and xy[] (capacity n_items and 2*n_items of the model)
 * are caller-owned; *n_out gets how many movies were placed, items[j] their
 * model indices (ascending) and xy[2j], xy[2j+1] their coordinates.
 * explained[2] (may be NULL) gets each axis's share of the variance.
 * MFR_E_UNSUPPORTED without item factors, MFR_E_INVALID when fewer than 2
 * movies qualify, MFR_E_NOMEM. */
mfr_status mfr_model_project_2d(const mfr_model *m, int32_t min_ratings,
                                int32_t *items, float *xy, int32_t *n_out,
                                float *explained, mfr_error *err);

/* ---- the approximate top-n index of a factor model --------------------- */

/* How a factor model finds its top-n lists. Exact (the default): every
 * movie that can reach the list is scored; the lists are the plain scoring
 * path's. Approximate: an inverted file built from k-means of the movie rows
 * [q_i, b_i] (mfr_kmeans, `lists` clusters); a list is the exact top-n of the
 * movies in the `nprobe` clusters whose centroid scores highest for the user
 * (twice as many clusters while the filters leave fewer than n movies), so a
 * movie of a cluster not probed can be missed; nprobe >= lists gives the
 * exact lists item for item. docs/perf/serve.md has recall@10 and speed. */
typedef enum mfr_index_kind { MFR_INDEX_EXACT = 0, MFR_INDEX_APPROX = 1 } mfr_index_kind;

typedef struct mfr_index_params {
    mfr_index_kind kind;  /* default MFR_INDEX_EXACT */
    int32_t lists;        /* approximate: clusters, 0 = round(sqrt(movies)) (default 0) */
    int32_t nprobe;       /* approximate: clusters searched a list; 0 (the default): the
                             smallest whose recall@10 against the exact lists, measured
                             at build on up to MFR_INDEX_TUNE_USERS model users, reaches
                             MFR_INDEX_RECALL (mfr__log says the nprobe and recall) */
    uint64_t seed;        /* k-means seed (default 42) */
    int32_t max_iter;     /* k-means iterations (default 10) */
} mfr_index_params;

#define MFR_INDEX_RECALL 0.96
#define MFR_INDEX_TUNE_USERS 256
/* nprobe 0 for a model without users to measure on: this many */
#define MFR_INDEX_NPROBE 24

mfr_index_params mfr_index_params_default(void);

/* Set how m's lists are found (p NULL: the defaults, exact) for every list
 * after it: mfr_model_recommend, the batch, mfr_model_recommend_vec, the
 * server's. Approximate builds the index (k-means over the movies: about a
 * second at 60,000 movies, k = 64); exact drops it. Not thread-safe: call it
 * before the model answers queries. MFR_E_UNSUPPORTED for approximate on a
 * model whose lists are not ordered by its factor score (ranking models such
 * as auto, ease, ials; knn, baseline), MFR_E_INVALID for a bad parameter,
 * MFR_E_NOMEM. On failure the model keeps the index it had. */
mfr_status mfr_model_set_index(mfr_model *m, const mfr_index_params *p, mfr_error *err);

/* The approximate index m serves with: its clusters, the clusters searched a
 * list, and the recall@10 measured when nprobe was chosen (nprobe 0; -1 when
 * it was given). 0 with *lists = 0 when m lists exactly. */
int mfr_model_index_info(const mfr_model *m, int32_t *lists, int32_t *nprobe, double *recall);

#ifdef __cplusplus
}
#endif
#endif
