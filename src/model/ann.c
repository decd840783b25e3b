/* ann.c — the approximate top-n index (ann.h): the lists' layout and the
 * query, and the model's top-n dispatch (mfr__qindex_topn: this index when
 * set, else the exact one). The clustering comes from
 * src/analysis/ann_build.c (mfr_kmeans); this file only places the movies
 * and searches them. */
#include "ann.h"
#include "family.h"
#include "topn.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { LANES = 8 };

void mfr__ann_free(mfr__ann *a) {
    if (!a) return;
    mfr__free(a->cq);
    mfr__free(a->cb);
    mfr__free(a->first);
    mfr__qindex_free(a->x);
    mfr__free(a);
}

int mfr__ann_supported(const mfr_model *m) {
    const mfr__algo *vt = m->vt;
    return m->qindex && !(vt && (vt->rank_user || vt->score_user || vt->predict));
}

mfr_status mfr__ann_set(mfr_model *m, int32_t lists, const int32_t *assign,
                        const float *centroid, int32_t cd, int32_t nprobe, mfr_error *err) {
    if (!mfr__ann_supported(m))
        return mfr__err(err, MFR_E_UNSUPPORTED,
                        "approximate index: this model (%s) does not order its lists by the "
                        "factor score (a factor model such as sgd, als or svd does)",
                        mfr_algo_name(m->algo));
    int32_t ni = m->n_items, k = m->k;
    if (lists < 1 || lists > ni || nprobe < 1)
        return mfr__err(err, MFR_E_INVALID, "approximate index: %d lists, nprobe %d (need 1..%d "
                        "lists, nprobe >= 1)", (int)lists, (int)nprobe, (int)ni);
    if (cd < 1 || cd > k || (cd < k && !m->qindex->rot))
        return mfr__err(err, MFR_E_INVALID, "approximate index: centroids of %d dimensions for "
                        "k = %d%s", (int)cd, (int)k, cd < k ? " without principal axes" : "");
    for (int32_t i = 0; i < ni; i++)
        if (assign[i] < 0 || assign[i] >= lists)
            return mfr__err(err, MFR_E_INVALID, "approximate index: movie %d in list %d of %d",
                            (int)i, (int)assign[i], (int)lists);
    mfr__ann *a = mfr__calloc(1, sizeof *a);
    int32_t *cnt = mfr__calloc((size_t)lists + 1, sizeof *cnt);
    mfr__keyed *order = mfr__malloc((size_t)ni * sizeof *order);
    int32_t *slot = NULL;
    if (!a || !cnt || !order) goto nomem;
    a->lists = lists, a->nprobe = nprobe > lists ? lists : nprobe, a->k = k, a->cd = cd;
    a->recall = -1.0;
    a->cq = mfr__aligned_alloc((size_t)lists * cd * sizeof *a->cq);
    a->cb = mfr__aligned_alloc((size_t)lists * sizeof *a->cb);
    a->first = mfr__malloc(((size_t)lists + 1) * sizeof *a->first);
    if (!a->cq || !a->cb || !a->first) goto nomem;
    for (int32_t c = 0; c < lists; c++) {
        memcpy(a->cq + (size_t)c * cd, centroid + (size_t)c * (cd + 1), (size_t)cd * sizeof *a->cq);
        a->cb[c] = centroid[(size_t)c * (cd + 1) + cd];
    }
    /* the blocks of each list, then the movies list by list, each list in
     * the exact index's order (b_i + c·n_i, highest first) */
    for (int32_t i = 0; i < ni; i++) cnt[assign[i]]++;
    a->first[0] = 0;
    for (int32_t c = 0; c < lists; c++) a->first[c + 1] = a->first[c] + (cnt[c] + LANES - 1) / LANES;
    int32_t nb = a->first[lists];
    slot = mfr__malloc((size_t)nb * LANES * sizeof *slot);
    if (!slot) goto nomem;
    double un = m->qindex->user_norm;
    for (int32_t i = 0; i < ni; i++) order[i] = (mfr__keyed){mfr__qindex_order_key(m, un, i), i};
    qsort(order, (size_t)ni, sizeof *order, mfr__qindex_by_key);
    memset(cnt, 0, ((size_t)lists + 1) * sizeof *cnt);
    for (size_t l = 0; l < (size_t)nb * LANES; l++) slot[l] = ni; /* padding */
    for (int32_t j = 0; j < ni; j++) {
        int32_t i = order[j].item, c = assign[i];
        slot[(size_t)a->first[c] * LANES + cnt[c]++] = i;
    }
    mfr_status st = mfr__qindex_from_slots(m, slot, nb, m->qindex->rot, m->qindex->pre, &a->x, err);
    mfr__free(slot);
    mfr__free(order);
    mfr__free(cnt);
    if (st) {
        mfr__ann_free(a);
        return st;
    }
    mfr__ann_free(m->ann);
    m->ann = a;
    return MFR_OK;
nomem:
    mfr__ann_free(a);
    mfr__free(cnt);
    mfr__free(order);
    mfr__free(slot);
    return mfr__nomem(err, "approximate index");
}

/* The approximate search (m->ann): the nprobe best lists first, twice as
 * many while the filters leave fewer than n movies. */
static int32_t ann_topn(const mfr_model *m, const float *p, float base, const mfr__filter *f,
                        int32_t n, mfr_scored *out, const mfr__kernels *ks) {
    const mfr__ann *a = m->ann;
    if (n <= 0) return 0;
    float *cs = mfr__malloc((size_t)a->lists * sizeof *cs);
    mfr_scored *pick = mfr__malloc((size_t)a->lists * sizeof *pick);
    int32_t *blocks = mfr__malloc(((size_t)a->x->n_blocks + 1) * sizeof *blocks);
    int32_t got = -1;
    if (!cs || !pick || !blocks) goto done;
    /* each list's mean score: base + c_b + p·c_x, base left out (the same for
     * all), p in the centroids' coordinates */
    float pt[512]; /* p in the axes, for the centroids and the search */
    const float *pv = p;
    if (a->x->rot) {
        mfr__qindex_rotate(a->x, p, pt);
        if (a->cd < a->k) pv = pt;
    }
    mfr__score_rows(a->cq, a->cd, pv, 0, a->lists, 0.f, a->cb, cs);
    for (int32_t probe = a->nprobe;; probe = 2 * probe < a->lists ? 2 * probe : a->lists) {
        topn h = {pick, probe, 0};
        for (int32_t c = 0; c < a->lists; c++) {
            if (h.len == h.cap && !(cs[c] > h.row[0].score)) continue;
            if (!isnan(cs[c])) mfr__topn_push(&h, c, cs[c]);
        }
        int32_t np = mfr__topn_finish(&h), nv = 0;
        for (int32_t j = 0; j < np; j++)
            for (int32_t b = a->first[pick[j].item]; b < a->first[pick[j].item + 1]; b++)
                blocks[nv++] = b;
        got = mfr__qindex_search(m, a->x, blocks, nv, p, a->x->rot ? pt : NULL, base, f, n, out, ks);
        if (got < 0 || got >= n || probe >= a->lists) break;
    }
done:
    mfr__free(cs);
    mfr__free(pick);
    mfr__free(blocks);
    return got;
}

int32_t mfr__qindex_topn(const mfr_model *m, const float *p, float base, const mfr__filter *f,
                         int32_t n, mfr_scored *out, const mfr__kernels *ks) {
    if (m->ann) return ann_topn(m, p, base, f, n, out, ks);
    return mfr__qindex_search(m, m->qindex, NULL, 0, p, NULL, base, f, n, out, ks);
}
