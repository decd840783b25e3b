/* arrays.c — a dataset from parallel arrays of external ids (mfr_dataset_build),
 * for hosts that hold ratings in memory: the Python package's
 * Dataset.from_frame / from_csr / merge.
 *
 * It goes through the same builder as the file readers (io_internal.h): users
 * get dense indices in order of first appearance, items in the catalogue
 * dataset's order first, then new movies in order of first appearance, and
 * duplicate (user, movie) pairs keep the latest (larger timestamp, the later
 * row on ties) exactly as an import does. Unlike a file, an array has no line
 * to skip: the first bad value fails the call, naming its position. */
#include "io_internal.h"

#include <math.h>
#include <string.h>

static mfr_status copy_catalog(mfr__build *b, const mfr_dataset *c, mfr_error *err) {
    mfr_dataset *ds = b->ds;
    for (int32_t i = 0; i < c->n_items; i++) {
        int32_t k = mfr__item_add(b, c->item_ids[i]);
        if (k < 0) return mfr__nomem(err, "catalogue");
        const char *t = c->cat.strings + c->cat.title_off[i];
        const char *g = c->cat.strings + c->cat.genres_off[i];
        int64_t to = mfr__pool_add(b, t, strlen(t));
        int64_t go = to < 0 ? -1 : mfr__pool_add(b, g, strlen(g));
        if (go < 0) return mfr__nomem(err, "catalogue");
        ds->cat.title_off[k] = (uint32_t)to;
        ds->cat.genres_off[k] = (uint32_t)go;
        ds->cat.year[k] = c->cat.year[i];
    }
    ds->n_catalog = c->n_catalog;
    ds->report.catalog_rows = c->n_catalog;
    return MFR_OK;
}

/* The catalogue dataset's tags, their users re-indexed by external id (-1
 * when the user has no rating here). */
static mfr_status copy_tags(mfr__build *b, const mfr_dataset *c, mfr_error *err) {
    for (int64_t t = 0; t < c->n_tags; t++) {
        int32_t u = c->tag_user[t];
        int32_t nu = u >= 0 ? mfr__idmap_get(&b->ds->user_map, c->user_ids[u]) : -1;
        int32_t it = mfr__idmap_get(&b->ds->item_map, c->item_ids[c->tag_item[t]]);
        const char *text = c->cat.strings + c->tag_off[t];
        if (it < 0) continue; /* cannot happen: every catalogue movie was copied */
        if (mfr__tag_add(b, it, nu, text, strlen(text))) return mfr__nomem(err, "tags");
    }
    b->ds->report.tags_rows = b->ds->n_tags;
    return MFR_OK;
}

static mfr_status check_input(const mfr_dataset_arrays *a, mfr_error *err) {
    if (!a || a->n < 0 || (a->n > 0 && (!a->user || !a->item)))
        return mfr__err(err, MFR_E_INVALID, "dataset arrays: user and item arrays are required");
    if (a->n == 0) return mfr__err(err, MFR_E_INVALID, "dataset arrays: no ratings");
    if (a->n >= INT32_MAX)
        return mfr__err(err, MFR_E_LIMIT, "dataset arrays: %lld ratings (at most %d)",
                        (long long)a->n, INT32_MAX - 1);
    int given = a->rating_min != 0.f || a->rating_max != 0.f;
    if (given && !(a->rating_min <= a->rating_max))
        return mfr__err(err, MFR_E_INVALID, "dataset arrays: rating_min %g above rating_max %g",
                        (double)a->rating_min, (double)a->rating_max);
    for (int64_t j = 0; a->rating && j < a->n; j++) {
        float r = a->rating[j];
        if (!isfinite(r))
            return mfr__err(err, MFR_E_INVALID, "dataset arrays: rating[%lld] is not a number",
                            (long long)j);
        if (given && (r < a->rating_min || r > a->rating_max))
            return mfr__err(err, MFR_E_RANGE, "dataset arrays: rating[%lld] = %g outside %g..%g",
                            (long long)j, (double)r, (double)a->rating_min, (double)a->rating_max);
    }
    return MFR_OK;
}

static void set_scale(mfr_dataset *ds, const mfr_dataset_arrays *a) {
    if (a->rating_min != 0.f || a->rating_max != 0.f) {
        ds->scale_min = a->rating_min;
        ds->scale_max = a->rating_max;
    } else if (a->catalog) {
        ds->scale_min = a->catalog->scale_min;
        ds->scale_max = a->catalog->scale_max;
    } else {
        mfr__scale_from_ratings(ds);
    }
}

mfr_status mfr_dataset_build(const mfr_dataset_arrays *a, mfr_dataset **out, mfr_error *err) {
    if (!out) return mfr__err(err, MFR_E_INVALID, "dataset arrays: out is NULL");
    *out = NULL;
    mfr_status st = check_input(a, err);
    if (st) return st;
    mfr_import_params p = mfr_import_params_default();
    p.strict = 1;
    mfr__build b;
    st = mfr__build_init(&b, &p, "", err);
    if (st) return st;
    b.want_time = a->time != NULL;
    const mfr_dataset *c = a->catalog;
    if (c) st = copy_catalog(&b, c, err);
    int closed = c && c->n_catalog > 0; /* a real catalogue: no new movies */
    for (int64_t j = 0; !st && j < a->n; j++) {
        int32_t u = mfr__user_index(&b, a->user[j]);
        int32_t i = closed ? mfr__item_find(&b, a->item[j]) : mfr__item_add(&b, a->item[j]);
        if (u == -2 || i == -2) {
            st = mfr__nomem(err, "dataset arrays");
        } else if (i < 0) {
            b.ds->report.unknown_movie++;
            st = mfr__err(err, MFR_E_INVALID,
                          "dataset arrays: item[%lld] = movie %lld is not in the catalogue",
                          (long long)j, (long long)a->item[j]);
        } else if (mfr__rating_add(&b, u, i, a->rating ? a->rating[j] : 1.f,
                                   a->time ? a->time[j] : 0)) {
            st = mfr__nomem(err, "dataset arrays");
        }
    }
    b.ds->report.rows_read = a->n;
    if (!st && c) st = copy_tags(&b, c, err);
    if (!st) st = mfr__build_finish(&b, err);
    mfr__build_release(&b);
    if (st) {
        mfr_dataset_free(b.ds);
        return st;
    }
    set_scale(b.ds, a);
    *out = b.ds;
    return MFR_OK;
}
