/* checkpoint.c — a distributed fit's checkpoint: DIR/checkpoint.mfc, the
 * factors after a completed epoch, written by rank 0 through core's atomic
 * save (temporary file, fsync, rename), so a run killed mid-write leaves the
 * previous checkpoint whole. Layout (little-endian, binfile.h):
 *
 *   0  "MFRCKPT1"            8 bytes
 *   8  version (1)           u32
 *  12  algo                  u32
 *  16  n_users, n_items, k   3 x u32
 *  28  epochs completed      u32
 *  32  fingerprint           u64  parameters and data size of the run (dist.c)
 *  40  CRC-32 of bytes 64..end
 *  64  P, Q, user biases, item biases (floats, each section 64-byte aligned)
 *
 * Resume refuses a checkpoint of another run (fingerprint, sizes) by name.
 * The fit then starts after its epoch from its factors; als and ials are
 * deterministic, so the model equals an uninterrupted run's (early stopping's
 * best-epoch snapshot is not kept: resume continues without it). */
#include "dist.h"
#include "../core/binfile.h"

#include <stdio.h>
#include <string.h>

enum { CK_HEAD = 64, CK_VERSION = 1 };

static void ck_sections(const mfr_model *m, mfr__bsec *s) {
    size_t k = (size_t)m->k;
    s[0] = (mfr__bsec){.data = m->P, .size = (uint64_t)m->n_users * k * 4};
    s[1] = (mfr__bsec){.data = m->Q, .size = (uint64_t)m->n_items * k * 4};
    s[2] = (mfr__bsec){.data = m->user_bias, .size = (uint64_t)m->n_users * 4};
    s[3] = (mfr__bsec){.data = m->item_bias, .size = (uint64_t)m->n_items * 4};
}

static int ck_path(char *buf, size_t n, const char *dir) {
    return snprintf(buf, n, "%s/checkpoint.mfc", dir) < (int)n;
}

/* The status every rank agrees on; marks the fit's error as agreed. */
static mfr_status agreed(mfr_dist *d, mfr_status st, mfr_error *err) {
    int who;
    st = mfr_dist_agree(d, st, err, &who);
    if (st) d->agreed = 1;
    return st;
}

int mfr__dist_checkpoint_due(const mfr__dist *fd, int32_t epoch) {
    const mfr_dist *d = fd->impl;
    if (!d->dp || !d->dp->checkpoint_dir) return 0;
    int32_t every = d->dp->checkpoint_every > 0 ? d->dp->checkpoint_every : 1;
    return epoch % every == 0;
}

mfr_status mfr__dist_checkpoint(const mfr__dist *fd, const mfr_model *m, int32_t epoch,
                                mfr_error *err) {
    mfr_dist *d = fd->impl;
    if (!mfr__dist_checkpoint_due(fd, epoch) && epoch != m->params.epochs) return MFR_OK;
    mfr_status st = MFR_OK;
    if (d->rank == 0) {
        char path[4096];
        if (!ck_path(path, sizeof path, d->dp->checkpoint_dir)) {
            st = mfr__err(err, MFR_E_INVALID, "checkpoint folder name too long");
        } else {
            mfr__bsec s[4];
            ck_sections(m, s);
            mfr__bsec_layout(s, 4, CK_HEAD);
            unsigned char head[CK_HEAD] = {0};
            memcpy(head, "MFRCKPT1", 8);
            mfr__put32(head, 8, CK_VERSION);
            mfr__put32(head, 12, (uint32_t)m->algo);
            mfr__put32(head, 16, (uint32_t)m->n_users);
            mfr__put32(head, 20, (uint32_t)m->n_items);
            mfr__put32(head, 24, (uint32_t)m->k);
            mfr__put32(head, 28, (uint32_t)epoch);
            mfr__put64(head, 32, d->fingerprint);
            mfr__put32(head, 40, mfr__bsec_crc(s, 4, CK_HEAD));
            st = mfr__bin_save(path, head, sizeof head, s, 4, err);
        }
    }
    return agreed(d, st, err);
}

/* Rank 0: checks the file against m's run; *epoch set on success. */
static mfr_status ck_check(const mfr_dist *d, const mfr_model *m, const char *path,
                           const unsigned char *b, uint64_t len, int32_t *epoch, mfr_error *err) {
    if (memcmp(b, "MFRCKPT1", 8) != 0 || mfr__get32(b, 8) != CK_VERSION)
        return mfr__err(err, MFR_E_FORMAT, "%s: not an mfrec checkpoint (version 1)", path);
    mfr__bsec s[4];
    ck_sections(m, s);
    uint64_t end = mfr__bsec_layout(s, 4, CK_HEAD);
    if (mfr__get32(b, 12) != (uint32_t)m->algo || mfr__get32(b, 16) != (uint32_t)m->n_users ||
        mfr__get32(b, 20) != (uint32_t)m->n_items || mfr__get32(b, 24) != (uint32_t)m->k ||
        mfr__get64(b, 32) != d->fingerprint)
        return mfr__err(err, MFR_E_INVALID,
                        "%s: a checkpoint of another run (%u users, %u movies, k = %u; this run "
                        "has %d, %d, %d, or other parameters or data)",
                        path, mfr__get32(b, 16), mfr__get32(b, 20), mfr__get32(b, 24),
                        (int)m->n_users, (int)m->n_items, (int)m->k);
    if (len != end) return mfr__err(err, MFR_E_FORMAT, "%s: truncated or padded checkpoint", path);
    if (mfr__crc32(mfr__crc32(0, NULL, 0), b + CK_HEAD, (size_t)(len - CK_HEAD)) != mfr__get32(b, 40))
        return mfr__err(err, MFR_E_FORMAT, "%s: checksum mismatch (damaged checkpoint)", path);
    int32_t ep = (int32_t)mfr__get32(b, 28);
    if (ep < 1 || ep > m->params.epochs)
        return mfr__err(err, MFR_E_INVALID, "%s: epoch %d outside this run's 1..%d", path, (int)ep,
                        (int)m->params.epochs);
    void *dst[4] = {m->P, m->Q, m->user_bias, m->item_bias};
    for (int j = 0; j < 4; j++) memcpy(dst[j], b + s[j].off, (size_t)s[j].size);
    *epoch = ep;
    return MFR_OK;
}

mfr_status mfr__dist_resume(const mfr__dist *fd, mfr_model *m, int32_t *done, mfr_error *err) {
    mfr_dist *d = fd->impl;
    mfr_status st = MFR_OK;
    int32_t ep = 0;
    if (d->rank == 0) {
        char path[4096];
        void *b = NULL;
        uint64_t len = 0;
        if (!ck_path(path, sizeof path, d->dp->resume_dir))
            st = mfr__err(err, MFR_E_INVALID, "resume folder name too long");
        else if (!(st = mfr__bin_read(path, CK_HEAD, &b, &len, err)))
            st = ck_check(d, m, path, b, len, &ep, err);
        mfr__bin_free(b, len);
    }
    if ((st = agreed(d, st, err))) return st;
    /* every rank continues from rank 0's factors */
    size_t k = (size_t)m->k;
    if (!st) st = mfr__dist_bcast(d, &ep, sizeof ep, err);
    if (!st) st = mfr__dist_bcast(d, m->P, (uint64_t)m->n_users * k * 4, err);
    if (!st) st = mfr__dist_bcast(d, m->Q, (uint64_t)m->n_items * k * 4, err);
    if (!st) st = mfr__dist_bcast(d, m->user_bias, (uint64_t)m->n_users * 4, err);
    if (!st) st = mfr__dist_bcast(d, m->item_bias, (uint64_t)m->n_items * 4, err);
    *done = ep;
    d->epoch = ep;
    return st;
}
