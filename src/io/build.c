/* build.c — filling an mfr_dataset while reading: growing arrays, id maps,
 * the string pool, bad-row accounting, and the final duplicate removal.
 *
 * Ratings are appended to the dataset's own parallel arrays (user, item,
 * rating, time), which grow by doubling; the capacity beyond the rows read is
 * never touched, so it costs address space, not memory. Users get dense
 * indices in order of first appearance; items are added by the catalogue
 * reader first (catalogue order), then by the ratings reader when no
 * catalogue was loaded.
 *
 * Duplicates: rows are grouped by user with a counting sort (one int32
 * permutation, O(n)); within a user, a per-item stamp array finds repeated
 * items in file order. The row with the larger timestamp wins, the later line
 * on ties (rows are in line order, so "later" is the larger row number). The
 * losers are compacted away, keeping the file order of the survivors. */
#include "io_internal.h"

#include <math.h>
#include <string.h>

mfr_status mfr__build_init(mfr__build *b, const mfr_import_params *p, const char *source,
                           mfr_error *err) {
    memset(b, 0, sizeof *b);
    b->p = p;
    b->rmin = 1.f;
    b->rmax = 0.f; /* no validation until a reader sets it */
    b->t0 = mfr__now();
    b->next_progress = 1 << 20;
    b->last_uid = -1;
    b->last_u = -1;
    b->whole = 1;
    b->ds = mfr__dataset_new();
    if (!b->ds) return mfr__nomem(err, "dataset");
    b->pool_cap = 1;
    b->ds->source = mfr__strdup(source);
    if (!b->ds->source || mfr__idmap_init(&b->ds->user_map, 1024, err) ||
        mfr__idmap_init(&b->ds->item_map, 1024, err)) {
        mfr_dataset_free(b->ds);
        b->ds = NULL;
        return mfr__nomem(err, "dataset");
    }
    return MFR_OK;
}

/* Grow *p (elements of size sz) to hold need; *cap updated. 0 or -1. */
static int grow(void **p, int64_t *cap, int64_t need, size_t sz) {
    if (need <= *cap) return 0;
    int64_t c = *cap ? *cap : 256;
    while (c < need) c *= 2;
    size_t bytes;
    if (mfr__mul_overflow((size_t)c, sz, &bytes)) return -1;
    void *q = mfr__realloc(*p, bytes);
    if (!q) return -1;
    *p = q;
    *cap = c;
    return 0;
}

mfr_status mfr__bad(mfr__build *b, int64_t *counter, mfr_error *err, const char *file, int64_t line,
                    const char *fmt, ...) {
    char reason[400], msg[MFR_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    snprintf(msg, sizeof msg, "%s:%lld: %s", file, (long long)line, reason);
    (*counter)++;
    if (b->p->strict) return mfr__err(err, MFR_E_PARSE, "%s", msg);
    mfr_dataset *ds = b->ds;
    if (ds->report.n_messages >= b->p->max_messages) return MFR_OK;
    if (ds->report.n_messages == b->msg_cap) {
        int32_t c = b->msg_cap ? b->msg_cap * 2 : 8;
        char **m = mfr__realloc(ds->messages, (size_t)c * sizeof *m);
        if (!m) return mfr__nomem(err, "import messages");
        ds->messages = m;
        b->msg_cap = c;
    }
    char *s = mfr__strdup(msg);
    if (!s) return mfr__nomem(err, "import message");
    ds->messages[ds->report.n_messages++] = s;
    return MFR_OK;
}

int64_t mfr__pool_add(mfr__build *b, const char *s, size_t n) {
    mfr_dataset *ds = b->ds;
    if (n == 0) return 0;
    if (ds->cat.strings_len + (int64_t)n + 1 > (int64_t)UINT32_MAX) return -1;
    void *pool = ds->cat.strings;
    if (grow(&pool, &b->pool_cap, ds->cat.strings_len + (int64_t)n + 1, 1)) return -1;
    ds->cat.strings = pool;
    int64_t off = ds->cat.strings_len;
    memcpy(ds->cat.strings + off, s, n);
    ds->cat.strings[off + (int64_t)n] = '\0';
    ds->cat.strings_len += (int64_t)n + 1;
    return off;
}

void mfr__build_release(mfr__build *b) {
    mfr__free(b->dense_user);
    mfr__free(b->dense_item);
    b->dense_user = b->dense_item = NULL;
    b->dense_user_len = b->dense_item_len = 0;
}

/* Make the dense table cover id when it is small and not far beyond the ids
 * mapped so far (count of them, ids[k] -> k): 4 bytes a slot up to the
 * largest id, so the table grows only while the ids stay dense (at most 16
 * slots an id beyond the first 64 Ki); a stray large id in a small file
 * costs a hash entry, not a 64 MiB table. Ids already mapped inside the
 * newly covered range are copied in. 0, or -1 on no memory. */
static int dense_cover(int32_t **t, int64_t *len, int64_t id, const int64_t *ids, int32_t count) {
    if (id < 0 || id >= MFR__DENSE_MAX || id < *len) return 0;
    if (id >= (int64_t)16 * count + 65536) return 0;
    int64_t old = *len, n = old ? old : 1024;
    while (n <= id) n *= 2;
    if (n > MFR__DENSE_MAX) n = MFR__DENSE_MAX;
    int32_t *q = mfr__realloc(*t, (size_t)n * sizeof *q);
    if (!q) return -1;
    memset(q + old, 0xff, (size_t)(n - old) * sizeof *q);
    for (int32_t k = 0; k < count; k++)
        if (ids[k] >= old && ids[k] < n) q[ids[k]] = k;
    *t = q;
    *len = n;
    return 0;
}

/* Every id is in the hash map; the table answers for the ids it covers. */
static int32_t dense_get(const int32_t *t, int64_t len, const mfr__idmap *m, int64_t id) {
    if (id >= 0 && id < len) return t[id];
    return mfr__idmap_get(m, id);
}

int32_t mfr__item_find(const mfr__build *b, int64_t id) {
    return dense_get(b->dense_item, b->dense_item_len, &b->ds->item_map, id);
}

int32_t mfr__user_index(mfr__build *b, int64_t id) {
    mfr_dataset *ds = b->ds;
    if (id == b->last_uid) return b->last_u;
    int32_t u = dense_get(b->dense_user, b->dense_user_len, &ds->user_map, id);
    if (u >= 0) {
        b->last_uid = id;
        b->last_u = u;
        return u;
    }
    if (dense_cover(&b->dense_user, &b->dense_user_len, id, ds->user_ids, ds->n_users)) return -2;
    if (ds->n_users == INT32_MAX) return -2;
    int64_t cap = b->ucap;
    void *ids = ds->user_ids;
    if (grow(&ids, &cap, (int64_t)ds->n_users + 1, sizeof(int64_t))) return -2;
    ds->user_ids = ids;
    b->ucap = (int32_t)(cap > INT32_MAX ? INT32_MAX : cap);
    if (mfr__idmap_put(&ds->user_map, id, ds->n_users) < 0) return -2;
    ds->user_ids[ds->n_users] = id;
    if (id >= 0 && id < b->dense_user_len) b->dense_user[id] = ds->n_users;
    return ds->n_users++;
}

int32_t mfr__item_add(mfr__build *b, int64_t id) {
    mfr_dataset *ds = b->ds;
    int32_t i = mfr__item_find(b, id);
    if (i >= 0) return i;
    if (dense_cover(&b->dense_item, &b->dense_item_len, id, ds->item_ids, ds->n_items)) return -2;
    if (ds->n_items == INT32_MAX) return -2;
    int64_t need = (int64_t)ds->n_items + 1;
    if (need > b->icap) {
        int64_t c = b->icap, c2 = b->icap, c3 = b->icap, c4 = b->icap;
        void *a = ds->item_ids, *t = ds->cat.title_off, *g = ds->cat.genres_off, *y = ds->cat.year;
        int bad = grow(&a, &c, need, sizeof(int64_t));
        ds->item_ids = a;
        bad |= grow(&t, &c2, need, sizeof(uint32_t));
        ds->cat.title_off = t;
        bad |= grow(&g, &c3, need, sizeof(uint32_t));
        ds->cat.genres_off = g;
        bad |= grow(&y, &c4, need, sizeof(int16_t));
        ds->cat.year = y;
        if (bad) return -2;
        b->icap = (int32_t)(c > INT32_MAX ? INT32_MAX : c);
    }
    if (mfr__idmap_put(&ds->item_map, id, ds->n_items) < 0) return -2;
    i = ds->n_items++;
    if (id >= 0 && id < b->dense_item_len) b->dense_item[id] = i;
    ds->item_ids[i] = id;
    ds->cat.title_off[i] = 0;
    ds->cat.genres_off[i] = 0;
    ds->cat.year[i] = 0;
    return i;
}

void mfr__build_flush(mfr__build *b) {
    mfr_dataset *ds = b->ds;
    int64_t n = ds->n_ratings;
    if (!b->each || n <= 0) return;
    for (int64_t j = 0; j < n; j++) {
        float r = ds->rating[j];
        if (b->streamed + j == 0) b->lo = b->hi = r;
        if (r < b->lo) b->lo = r;
        if (r > b->hi) b->hi = r;
        b->whole &= r == floorf(r);
    }
    b->each(b->each_ctx, ds->user, ds->item, ds->rating, n);
    b->streamed += n;
    ds->n_ratings = 0;
}

mfr_status mfr__rating_add(mfr__build *b, int32_t u, int32_t i, float r, int64_t t) {
    mfr_dataset *ds = b->ds;
    int64_t n = ds->n_ratings;
    if (MFR_UNLIKELY(n == b->cap) && b->each && n >= MFR__EACH_CHUNK) { /* streaming: a chunk */
        mfr__build_flush(b);
        n = 0;
    }
    if (MFR_UNLIKELY(n == b->cap)) {
        int64_t c1 = b->cap, c2 = b->cap, c3 = b->cap, c4 = b->cap;
        void *pu = ds->user, *pi = ds->item, *pr = ds->rating, *pt = ds->time;
        int bad = grow(&pu, &c1, n + 1, sizeof(int32_t));
        ds->user = pu;
        bad |= grow(&pi, &c2, n + 1, sizeof(int32_t));
        ds->item = pi;
        bad |= grow(&pr, &c3, n + 1, sizeof(float));
        ds->rating = pr;
        if (b->want_time) {
            bad |= grow(&pt, &c4, n + 1, sizeof(int64_t));
            ds->time = pt;
        }
        if (bad || n + 1 >= INT32_MAX) return MFR_E_NOMEM;
        b->cap = c1;
    }
    ds->user[n] = u;
    ds->item[n] = i;
    ds->rating[n] = r;
    if (b->want_time) ds->time[n] = t;
    ds->n_ratings = n + 1;
    return MFR_OK;
}

mfr_status mfr__tag_add(mfr__build *b, int32_t item, int32_t user, const char *text, size_t n) {
    mfr_dataset *ds = b->ds;
    int64_t k = ds->n_tags;
    if (k == b->tag_cap) {
        int64_t c1 = b->tag_cap, c2 = b->tag_cap, c3 = b->tag_cap;
        void *a = ds->tag_item, *u = ds->tag_user, *o = ds->tag_off;
        int bad = grow(&a, &c1, k + 1, sizeof(int32_t));
        ds->tag_item = a;
        bad |= grow(&u, &c2, k + 1, sizeof(int32_t));
        ds->tag_user = u;
        bad |= grow(&o, &c3, k + 1, sizeof(uint32_t));
        ds->tag_off = o;
        if (bad) return MFR_E_NOMEM;
        b->tag_cap = c1;
    }
    int64_t off = mfr__pool_add(b, text, n);
    if (off < 0) return MFR_E_NOMEM;
    ds->tag_item[k] = item;
    ds->tag_user[k] = user;
    ds->tag_off[k] = (uint32_t)off;
    ds->n_tags = k + 1;
    return MFR_OK;
}

mfr_status mfr__progress(mfr__build *b, mfr_error *err) {
    b->next_progress += 1 << 20;
    if (!b->p->progress) return MFR_OK;
    mfr_progress pr = {
        .stage = "import",
        .step =
            (int32_t)(b->ds->report.rows_read > INT32_MAX ? INT32_MAX : b->ds->report.rows_read),
        .steps = -1,
        .train_rmse = NAN,
        .valid_rmse = NAN,
        .loss = NAN,
        .elapsed_s = mfr__now() - b->t0,
        .eta_s = NAN};
    /* ETA from the bytes read (a buffer ahead of the rows parsed) */
    if (b->bytes_total > 0 && b->bytes_done > 0 && b->bytes_done <= b->bytes_total)
        pr.eta_s = pr.elapsed_s * (double)(b->bytes_total - b->bytes_done) / (double)b->bytes_done;
    if (b->p->progress(&pr, b->p->progress_user))
        return mfr__err(err, MFR_E_CANCELLED, "import cancelled after %lld rows",
                        (long long)b->ds->report.rows_read);
    return MFR_OK;
}

/* Mark duplicates (item = -1 on the losing row); returns the count, or -1 on
 * no memory (mfd_share.h). */
int64_t mfr__mark_duplicates(mfr_dataset *ds) {
    int64_t n = ds->n_ratings;
    int32_t *start = mfr__calloc((size_t)ds->n_users + 1, sizeof *start);
    int32_t *perm = mfr__malloc((size_t)n * sizeof *perm);
    int32_t *stamp = mfr__malloc((size_t)ds->n_items * sizeof *stamp);
    int32_t *where = mfr__malloc((size_t)ds->n_items * sizeof *where);
    int64_t dups = 0;
    if (!start || !perm || !stamp || !where) {
        dups = -1;
        goto done;
    }
    for (int64_t j = 0; j < n; j++) start[ds->user[j] + 1]++;
    for (int32_t u = 0; u < ds->n_users; u++) start[u + 1] += start[u];
    for (int64_t j = 0; j < n; j++) perm[start[ds->user[j]]++] = (int32_t)j;
    memset(stamp, 0xff, (size_t)ds->n_items * sizeof *stamp);
    int64_t k = 0; /* start[] now holds each user's end */
    for (int32_t u = 0; u < ds->n_users; u++) {
        for (; k < start[u]; k++) {
            int32_t j = perm[k], it = ds->item[j];
            if (stamp[it] != u) {
                stamp[it] = u;
                where[it] = j;
                continue;
            }
            int32_t old = where[it]; /* old < j: earlier line */
            int keep_new = !ds->time || ds->time[j] >= ds->time[old];
            ds->item[keep_new ? old : j] = -1;
            if (keep_new) where[it] = j;
            dups++;
        }
    }
done:
    mfr__free(start);
    mfr__free(perm);
    mfr__free(stamp);
    mfr__free(where);
    return dups;
}

static void compact(mfr_dataset *ds) {
    int64_t w = 0;
    for (int64_t j = 0; j < ds->n_ratings; j++) {
        if (ds->item[j] < 0) continue;
        ds->user[w] = ds->user[j];
        ds->item[w] = ds->item[j];
        ds->rating[w] = ds->rating[j];
        if (ds->time) ds->time[w] = ds->time[j];
        w++;
    }
    ds->n_ratings = w;
}

mfr_status mfr__build_finish(mfr__build *b, mfr_error *err) {
    mfr_dataset *ds = b->ds;
    mfr__build_flush(b);
    if (b->each) { /* streamed: nothing held, duplicates not looked for */
        ds->report.rows_kept = b->streamed;
        return MFR_OK;
    }
    if (ds->n_ratings > 0) {
        int64_t d = mfr__mark_duplicates(ds);
        if (d < 0) return mfr__nomem(err, "duplicate detection");
        if (d > 0) compact(ds);
        ds->report.duplicates = d;
    }
    ds->report.rows_kept = ds->n_ratings;
    /* Every array non-NULL so accessors and the .mfd writer need no cases. */
    if (!ds->user) ds->user = mfr__malloc(sizeof *ds->user);
    if (!ds->item) ds->item = mfr__malloc(sizeof *ds->item);
    if (!ds->rating) ds->rating = mfr__malloc(sizeof *ds->rating);
    if (!ds->user_ids) ds->user_ids = mfr__malloc(sizeof *ds->user_ids);
    if (!ds->item_ids) ds->item_ids = mfr__malloc(sizeof *ds->item_ids);
    if (!ds->cat.title_off) ds->cat.title_off = mfr__calloc(1, sizeof *ds->cat.title_off);
    if (!ds->cat.genres_off) ds->cat.genres_off = mfr__calloc(1, sizeof *ds->cat.genres_off);
    if (!ds->cat.year) ds->cat.year = mfr__calloc(1, sizeof *ds->cat.year);
    if (!ds->user || !ds->item || !ds->rating || !ds->user_ids || !ds->item_ids ||
        !ds->cat.title_off || !ds->cat.genres_off || !ds->cat.year)
        return mfr__nomem(err, "dataset arrays");
    return MFR_OK;
}

void mfr__scale_from_ratings(mfr_dataset *ds) {
    float lo = ds->rating[0], hi = ds->rating[0];
    for (int64_t j = 1; j < ds->n_ratings; j++) {
        if (ds->rating[j] < lo) lo = ds->rating[j];
        if (ds->rating[j] > hi) hi = ds->rating[j];
    }
    ds->scale_min = lo;
    ds->scale_max = hi;
}
