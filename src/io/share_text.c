/* share_text.c — one rank's share of a text input (CSV, MovieLens folder or
 * zip) for distributed training (mfd_share.h): the importer's own passes
 * (mfr__import_each), the ratings streamed past a chunk at a time. The
 * first pass keeps the dataset without ratings and counts the ratings per
 * user and per item with the CRC-32 of the user, item and rating arrays as
 * the import would hold them (a .mfd's section checksums, so the ranks'
 * data check and a checkpoint's fingerprint are the .mfd's); each later
 * pass (mfr__mfd_share_each) imports the file again, hands the chunks on
 * and checks that they add up to the first pass's ratings. */
#include "io_internal.h"
#include "../core/binfile.h"

#include <string.h>

typedef struct text_pass {
    mfr__mfd_share *sh;
    int64_t n;           /* ratings so far */
    uint32_t crc[3];     /* of the user, item and rating arrays so far */
    int64_t ucap, icap;  /* first pass: the counts' slots */
    int nomem, changed;  /* first pass: no memory; later: an index past the first pass's */
    mfr__mfd_chunk_fn fn; /* later passes: handed the chunks (those not held out) */
    void *ctx;
    int32_t *ku, *ki;     /* later passes with a holdout: the chunk's rest */
    float *kr;
} text_pass;

/* The counts cover index want (slots zeroed); 0 or -1. */
static int cover(int64_t **count, int64_t *cap, int64_t want) {
    if (want < *cap) return 0;
    int64_t c = *cap ? *cap : 1024;
    while (c <= want) c *= 2;
    int64_t *q = mfr__realloc(*count, (size_t)c * sizeof *q);
    if (!q) return -1;
    memset(q + *cap, 0, (size_t)(c - *cap) * sizeof *q);
    *count = q, *cap = c;
    return 0;
}

static void pass_chunk(void *ctx, const int32_t *u, const int32_t *i, const float *r, int64_t n) {
    text_pass *t = ctx;
    mfr__mfd_share *sh = t->sh;
    t->crc[0] = mfr__crc32(t->crc[0], u, (size_t)n * sizeof *u);
    t->crc[1] = mfr__crc32(t->crc[1], i, (size_t)n * sizeof *i);
    t->crc[2] = mfr__crc32(t->crc[2], r, (size_t)n * sizeof *r);
    t->n += n;
    if (t->fn) { /* a later pass: the first pass's indices, or the file changed */
        if (mfr__first_out_of_range(u, n, 0, sh->n_users) >= 0 ||
            mfr__first_out_of_range(i, n, 0, sh->n_items) >= 0)
            t->changed = 1;
        if (t->changed) return;
        if (!sh->held) {
            t->fn(t->ctx, u, i, r, n);
            return;
        }
        int64_t k = mfr__share_unheld(sh->held, t->n - n, u, i, r, n, t->ku, t->ki, t->kr);
        t->fn(t->ctx, t->ku, t->ki, t->kr, k);
        return;
    }
    for (int64_t j = 0; j < n && !t->nomem; j++) {
        if (cover(&sh->user_count, &t->ucap, u[j]) || cover(&sh->item_count, &t->icap, i[j]))
            t->nomem = 1;
        else
            sh->user_count[u[j]]++, sh->item_count[i[j]]++;
    }
}

static void pass_init(text_pass *t, mfr__mfd_share *sh) {
    memset(t, 0, sizeof *t);
    t->sh = sh;
    for (int k = 0; k < 3; k++) t->crc[k] = mfr__crc32(0, NULL, 0);
}

mfr_status mfr__text_share_open(const char *path, const mfr_import_params *ip, mfr__mfd_share *sh,
                                mfr_error *err) {
    memset(sh, 0, sizeof *sh);
    sh->fd = -1;
    sh->text = 1;
    sh->ip = ip ? *ip : mfr_import_params_default();
    if (!(sh->path = mfr__strdup(path))) return mfr__nomem(err, "share path");
    text_pass t;
    pass_init(&t, sh);
    mfr_dataset *ds = NULL;
    mfr_status rc = mfr__import_each(path, &sh->ip, pass_chunk, &t, &ds, err);
    if (!rc && t.nomem) rc = mfr__nomem(err, "share counts");
    /* every user and movie counted, those without a rating too (0) */
    if (!rc && (cover(&sh->user_count, &t.ucap, ds->n_users) ||
                cover(&sh->item_count, &t.icap, ds->n_items)))
        rc = mfr__nomem(err, "share counts");
    if (rc) {
        mfr_dataset_free(ds);
        return rc;
    }
    sh->ds = ds;
    sh->n = t.n;
    sh->n_users = ds->n_users;
    sh->n_items = ds->n_items;
    memcpy(sh->crc, t.crc, sizeof sh->crc);
    return MFR_OK;
}

mfr_status mfr__text_share_each(mfr__mfd_share *sh, mfr__mfd_chunk_fn fn, void *ctx,
                                mfr_error *err) {
    text_pass t;
    pass_init(&t, sh);
    t.fn = fn, t.ctx = ctx;
    if (sh->held) { /* the importer's chunks are at most MFR__EACH_CHUNK */
        t.ku = mfr__malloc(sizeof *t.ku * (size_t)MFR__EACH_CHUNK);
        t.ki = mfr__malloc(sizeof *t.ki * (size_t)MFR__EACH_CHUNK);
        t.kr = mfr__malloc(sizeof *t.kr * (size_t)MFR__EACH_CHUNK);
        if (!t.ku || !t.ki || !t.kr) {
            mfr__free(t.ku), mfr__free(t.ki), mfr__free(t.kr);
            return mfr__nomem(err, "share chunk");
        }
    }
    mfr_dataset *again = NULL;
    mfr_status rc = mfr__import_each(sh->path, &sh->ip, pass_chunk, &t, &again, err);
    mfr_dataset_free(again);
    mfr__free(t.ku), mfr__free(t.ki), mfr__free(t.kr);
    if (!rc && (t.changed || t.n != sh->n || memcmp(t.crc, sh->crc, sizeof t.crc) != 0))
        rc = mfr__err(err, MFR_E_FORMAT, "%s: the ratings changed while being read", sh->path);
    return rc;
}
