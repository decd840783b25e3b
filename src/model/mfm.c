/* mfm.c — saving and loading the model file (.mfm); the layout is specified
 * byte by byte in mfm.h and docs/model-format.md, and what it shares with
 * the dataset file (.mfd) — section layout, CRC, atomic save, reading,
 * consistency checks — is src/core/binfile.c.
 *
 * Save collects the sections (core arrays, then the family's extras), lays
 * them out 64-byte aligned after the header and directory, computes the
 * payload and header CRC-32s and saves through mfr__bin_save (temporary
 * file, 0644, fsync, rename), so an existing model is never half-overwritten.
 * Load reads the file into one owned block (a file rewritten in place while
 * a server holds the model cannot fault it), validates every count, offset
 * and checksum against the file length before touching the data, then the
 * contents that index other arrays, points the model's arrays into the
 * block, builds the id maps (each id once) and lets the family re-attach its
 * extra sections. */
#include "mfm.h"
#include "family.h"
#include "../core/binfile.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

typedef mfr__bsec sec;

/* "P", "SITM": the tag as text with trailing spaces dropped. */
static const char *tag_name(uint32_t tag, char out[5]) {
    for (int j = 0; j < 4; j++) {
        unsigned char c = (unsigned char)(tag >> (8 * j));
        out[j] = c >= 0x21 && c < 0x7f ? (char)c : c == ' ' ? ' ' : '?';
    }
    out[4] = '\0';
    for (int j = 3; j > 0 && out[j] == ' '; j--) out[j] = '\0';
    return out;
}

#define T_UBIA MFR_TAG('U', 'B', 'I', 'A')
#define T_IBIA MFR_TAG('I', 'B', 'I', 'A')
#define T_P MFR_TAG('P', ' ', ' ', ' ')
#define T_Q MFR_TAG('Q', ' ', ' ', ' ')
#define T_UIDS MFR_TAG('U', 'I', 'D', 'S')
#define T_IIDS MFR_TAG('I', 'I', 'D', 'S')
#define T_STRS MFR_TAG('S', 'T', 'R', 'S')
#define T_TOFF MFR_TAG('T', 'O', 'F', 'F')
#define T_GOFF MFR_TAG('G', 'O', 'F', 'F')
#define T_YEAR MFR_TAG('Y', 'E', 'A', 'R')
#define T_ICNT MFR_TAG('I', 'C', 'N', 'T')
#define T_IMEA MFR_TAG('I', 'M', 'E', 'A')
#define T_SPTR MFR_TAG('S', 'P', 'T', 'R')
#define T_SITM MFR_TAG('S', 'I', 'T', 'M')
#define T_SRAT MFR_TAG('S', 'R', 'A', 'T')
#define T_LINK MFR_TAG('L', 'I', 'N', 'K') /* optional: imdbId, tmdbId per movie */
#define T_TGOF MFR_TAG('T', 'G', 'O', 'F') /* optional: top tags offsets */
#define N_CORE 17

/* ---- params block -------------------------------------------------------
 * Where each field of mfr_train_params lies in the header (absolute byte
 * offsets, docs/model-format.md), copied as its host bytes: little-endian
 * (mfr__bin_host_ok), the enums 4-byte ints, the seed 8 bytes. */
_Static_assert(sizeof(mfr_algo) == 4 && sizeof(mfr_sim) == 4, "4-byte enums");
#define PF(at, f) {at, sizeof(((mfr_train_params *)0)->f), offsetof(mfr_train_params, f)}
static const struct { uint8_t at, size; uint16_t off; } PARAMS[] = {
    PF(112, item_scale), PF(116, dense), PF(120, algo), PF(124, factors), PF(128, epochs),
    PF(132, lr), PF(136, lr_decay), PF(140, reg), PF(144, reg_bias), PF(148, init_std),
    PF(152, seed), PF(160, threads), PF(164, valid_frac), PF(168, early_stop), PF(172, batch),
    PF(176, beta1), PF(180, beta2), PF(184, alpha), PF(188, cg_steps), PF(192, burnin),
    PF(196, samples), PF(200, knn_k), PF(204, min_support), PF(208, shrinkage), PF(212, sim),
    PF(216, hybrid_base), PF(220, ease_lambda), PF(224, max_memory_mb),
    PF(228, rank_min_ratings), PF(232, rating_power), PF(236, blend), PF(240, unobserved),
    PF(244, reg_exp), PF(248, ease_keep), PF(252, features),
};
#undef PF
#define N_PARAMS (sizeof PARAMS / sizeof PARAMS[0])

static void put_params(uint8_t *h, const mfr_train_params *p) {
    for (size_t j = 0; j < N_PARAMS; j++)
        memcpy(h + PARAMS[j].at, (const char *)p + PARAMS[j].off, PARAMS[j].size);
}

static void get_params(const uint8_t *b, mfr_train_params *p) {
    memset(p, 0, sizeof *p);
    for (size_t j = 0; j < N_PARAMS; j++)
        memcpy((char *)p + PARAMS[j].off, b + PARAMS[j].at, PARAMS[j].size);
    /* Files written before these fields existed hold zeros there. */
    if (p->rank_min_ratings < 1) p->rank_min_ratings = 1;
    if (p->features == 0) p->features = MFR_FEAT_ALL;
}

/* ---- save ---------------------------------------------------------------- */
static int add_sec(sec *s, int n, uint32_t tag, const void *data, uint64_t size) {
    if (!data) return n;
    s[n] = (sec){.tag = tag, .data = data, .size = size};
    return n + 1;
}

/* A section whose bytes the save streams (mfr__model_save_seen). */
static int add_streamed(sec *s, int n, uint32_t tag, uint64_t size) {
    s[n] = (sec){.tag = tag, .size = size, .streamed = 1};
    return n + 1;
}

/* The sections of m in file order; returns their count. seen (NULL: m's
 * own): the seen lists' row starts of a save that streams SITM and SRAT. */
static int collect_sections(const mfr_model *m, const int64_t *seen, sec *s) {
    uint64_t nu = (uint64_t)m->n_users, ni = (uint64_t)m->n_items, k = (uint64_t)m->k;
    int n = 0;
    n = add_sec(s, n, T_UBIA, m->user_bias, nu * 4);
    n = add_sec(s, n, T_IBIA, m->item_bias, ni * 4);
    if (k) n = add_sec(s, n, T_P, m->P, nu * k * 4);
    if (k) n = add_sec(s, n, T_Q, m->Q, ni * k * 4);
    n = add_sec(s, n, T_UIDS, m->user_ids, nu * 8);
    n = add_sec(s, n, T_IIDS, m->item_ids, ni * 8);
    n = add_sec(s, n, T_STRS, m->cat.strings, (uint64_t)m->cat.strings_len);
    n = add_sec(s, n, T_TOFF, m->cat.title_off, ni * 4);
    n = add_sec(s, n, T_GOFF, m->cat.genres_off, ni * 4);
    n = add_sec(s, n, T_YEAR, m->cat.year, ni * 2);
    n = add_sec(s, n, T_ICNT, m->item_count, ni * 4);
    n = add_sec(s, n, T_IMEA, m->item_mean, ni * 4);
    if (seen) {
        n = add_sec(s, n, T_SPTR, seen, (nu + 1) * 8);
        n = add_streamed(s, n, T_SITM, (uint64_t)seen[nu] * 4);
        n = add_streamed(s, n, T_SRAT, (uint64_t)seen[nu] * 4);
    } else {
        n = add_sec(s, n, T_SPTR, m->seen_ptr, (nu + 1) * 8);
        n = add_sec(s, n, T_SITM, m->seen_item, m->seen_ptr ? (uint64_t)m->seen_ptr[nu] * 4 : 0);
        n = add_sec(s, n, T_SRAT, m->seen_rating, m->seen_ptr ? (uint64_t)m->seen_ptr[nu] * 4 : 0);
    }
    n = add_sec(s, n, T_LINK, m->cat.links, ni * 8);
    n = add_sec(s, n, T_TGOF, m->tags_off, ni * 4);
    for (int j = 0; j < m->n_extra; j++)
        n = add_sec(s, n, m->extra[j].tag, m->extra[j].data, m->extra[j].size);
    return n;
}

/* Header + directory + padding up to data_off into h (zeroed by caller). */
static void build_header(const mfr_model *m, const sec *s, int n, uint64_t data_off,
                         uint64_t file_size, uint8_t *h) {
    memcpy(h, MFM_MAGIC, 4);
    mfr__put32(h, MFM_OFF_VERSION, MFM_VERSION);
    mfr__put32(h, MFM_OFF_HEADER_BYTES, MFM_HEADER_BYTES);
    mfr__put32(h, MFM_OFF_NSECT, (uint32_t)n);
    mfr__put32(h, MFM_OFF_ALGO, (uint32_t)m->algo);
    mfr__put32(h, MFM_OFF_NUSERS, (uint32_t)m->n_users);
    mfr__put32(h, MFM_OFF_NITEMS, (uint32_t)m->n_items);
    mfr__put32(h, MFM_OFF_K, (uint32_t)m->k);
    mfr__put64(h, MFM_OFF_NTRAIN, (uint64_t)m->n_train);
    mfr__putf(h, MFM_OFF_MU, m->mu);
    mfr__putf(h, MFM_OFF_RMIN, m->rmin);
    mfr__putf(h, MFM_OFF_RMAX, m->rmax);
    mfr__put32(h, MFM_OFF_EPOCHS, (uint32_t)m->epochs_run);
    mfr__putd(h, MFM_OFF_TRAIN_RMSE, m->train_rmse);
    mfr__putd(h, MFM_OFF_VALID_RMSE, m->valid_rmse);
    mfr__putd(h, MFM_OFF_FIT_SECONDS, m->fit_seconds);
    mfr__put64(h, MFM_OFF_STRLEN, (uint64_t)m->cat.strings_len);
    mfr__put64(h, MFM_OFF_FILE_SIZE, file_size);
    mfr__put64(h, MFM_OFF_DATA, data_off);
    put_params(h, &m->params);
    for (int j = 0; j < n; j++) {
        uint8_t *d = h + MFM_HEADER_BYTES + (size_t)j * MFM_DIR_ENTRY;
        mfr__put32(d, 0, s[j].tag);
        mfr__put64(d, 8, s[j].off);
        mfr__put64(d, 16, s[j].size);
    }
    mfr__put32(h, MFM_OFF_PAYLOAD_CRC, mfr__bsec_crc(s, n, data_off));
    uint32_t crc = mfr__crc32(0, h, MFM_HEADER_BYTES + (size_t)n * MFM_DIR_ENTRY);
    mfr__put32(h, MFM_OFF_HEADER_CRC, crc);
}

/* A model file laid out, for both writers: its sections (the seen lists'
 * from ptr when not NULL, else m's own), where the data starts, the file's
 * size, and room for the header (zeroed). */
typedef struct plan {
    sec s[N_CORE + MFR_MODEL_MAX_EXTRA];
    int n;
    uint64_t data_off, file_size;
    uint8_t h[MFM_HEADER_BYTES + (N_CORE + MFR_MODEL_MAX_EXTRA) * MFM_DIR_ENTRY + MFM_ALIGN];
} plan;

static mfr_status plan_file(const mfr_model *m, const char *path, const int64_t *ptr, plan *p,
                            mfr_error *err) {
    mfr_status st = mfr__bin_host_ok(path, err);
    if (st) return st;
    p->n = collect_sections(m, ptr, p->s);
    p->data_off = mfr__align64(MFM_HEADER_BYTES + (uint64_t)p->n * MFM_DIR_ENTRY);
    p->file_size = mfr__bsec_layout(p->s, p->n, p->data_off);
    memset(p->h, 0, sizeof p->h);
    return MFR_OK;
}

mfr_status mfr_model_save(const mfr_model *m, const char *path, mfr_error *err) {
    if (!m || !path) return mfr__err(err, MFR_E_INVALID, "save: model or path is NULL");
    plan p;
    mfr_status st = plan_file(m, path, NULL, &p, err);
    if (st) return st;
    build_header(m, p.s, p.n, p.data_off, p.file_size, p.h);
    return mfr__bin_save(path, p.h, (size_t)p.data_off, p.s, p.n, err);
}

/* The seen lists band by band (model_impl.h): each band's rows filled by
 * feed, sorted, written at their offsets in SITM and SRAT, their CRCs
 * combined; the header, which holds the payload CRC, written last. */
static mfr_status stream_seen(mfr__bin_out *o, const int64_t *ptr, int32_t nu, int64_t band,
                              mfr__seen_feed_fn feed, void *ctx, sec *itm, sec *rat,
                              mfr_error *err) {
    int64_t cap = band > 0 ? band : 1;
    for (int32_t u = 0; u < nu; u++)
        if (ptr[u + 1] - ptr[u] > cap) cap = ptr[u + 1] - ptr[u];
    if (cap > ptr[nu]) cap = ptr[nu] > 0 ? ptr[nu] : 1;
    int32_t *item = mfr__malloc((size_t)cap * sizeof *item);
    float *rating = mfr__malloc((size_t)cap * sizeof *rating);
    mfr_status st = item && rating ? MFR_OK : mfr__nomem(err, "model seen lists");
    itm->crc = rat->crc = mfr__crc32(0, NULL, 0);
    for (int32_t u0 = 0, u1; !st && u0 < nu; u0 = u1) {
        for (u1 = u0 + 1; u1 < nu && ptr[u1 + 1] - ptr[u0] <= cap;) u1++;
        mfr__seen_fill f;
        st = mfr__seen_fill_begin(&f, ptr, nu, u0, u1, item, rating, err);
        if (st) break;
        st = feed(ctx, &f, err);
        mfr_status se = mfr__seen_fill_end(&f, st ? NULL : err); /* frees f either way */
        if (!st) st = se;
        uint64_t at = (uint64_t)ptr[u0] * 4, bytes = (uint64_t)(ptr[u1] - ptr[u0]) * 4;
        if (!st) st = mfr__bin_out_at(o, itm->off + at, item, bytes, err);
        if (!st) st = mfr__bin_out_at(o, rat->off + at, rating, bytes, err);
        itm->crc = mfr__crc32_combine(itm->crc, mfr__crc32(0, item, (size_t)bytes), bytes);
        rat->crc = mfr__crc32_combine(rat->crc, mfr__crc32(0, rating, (size_t)bytes), bytes);
    }
    mfr__free(item);
    mfr__free(rating);
    return st;
}

mfr_status mfr__model_save_seen(const mfr_model *m, const char *path, const int64_t *ptr,
                                int64_t band, mfr__seen_feed_fn feed, void *ctx, mfr_error *err) {
    if (!m || !path || !ptr || !feed || m->seen_ptr)
        return mfr__err(err, MFR_E_INVALID, "save: model, path or seen lists wrong");
    plan p;
    mfr_status st = plan_file(m, path, ptr, &p, err);
    if (st) return st;
    sec *itm = NULL, *rat = NULL;
    for (int j = 0; j < p.n; j++) {
        if (p.s[j].tag == T_SITM) itm = &p.s[j];
        if (p.s[j].tag == T_SRAT) rat = &p.s[j];
    }
    mfr__bin_out o;
    if ((st = mfr__bin_out_open(&o, path, err))) return st;
    st = mfr__bin_out_sections(&o, p.data_off, p.s, p.n, err);
    if (!st) st = stream_seen(&o, ptr, m->n_users, band, feed, ctx, itm, rat, err);
    if (!st) build_header(m, p.s, p.n, p.data_off, p.file_size, p.h);
    if (!st) st = mfr__bin_out_at(&o, 0, p.h, p.data_off, err);
    if (!st) return mfr__bin_out_commit(&o, err);
    mfr__bin_out_abort(&o);
    return st;
}

/* ---- load ---------------------------------------------------------------- */
typedef struct view {
    const char *path;
    const uint8_t *b;
    uint64_t len;
} view;

/* Fixed header checks (mfr__bin_read checked the length): magic, version,
 * directory bounds, header CRC. */
static mfr_status check_header(const view *v, uint32_t *n_sect, mfr_error *err) {
    if (memcmp(v->b, MFM_MAGIC, 4) != 0)
        return mfr__err(err, MFR_E_FORMAT, "%s: not a model file (magic is not \"MFRM\")", v->path);
    uint32_t ver = mfr__get32(v->b, MFM_OFF_VERSION);
    if (ver != MFM_VERSION)
        return mfr__err(err, MFR_E_FORMAT, "%s: unsupported format version %u (this library reads %u)",
                        v->path, ver, MFM_VERSION);
    uint32_t hb = mfr__get32(v->b, MFM_OFF_HEADER_BYTES), n = mfr__get32(v->b, MFM_OFF_NSECT);
    if (hb != MFM_HEADER_BYTES || n > MFM_MAX_SECTIONS)
        return mfr__err(err, MFR_E_FORMAT, "%s: corrupted: header size %u / %u sections (max %u)",
                        v->path, hb, n, MFM_MAX_SECTIONS);
    uint64_t dir_end = MFM_HEADER_BYTES + (uint64_t)n * MFM_DIR_ENTRY;
    if (dir_end > v->len)
        return mfr__err(err, MFR_E_FORMAT,
                        "%s: truncated: section directory needs %llu bytes, file has %llu", v->path,
                        (unsigned long long)dir_end, (unsigned long long)v->len);
    uint8_t h[MFM_HEADER_BYTES];
    memcpy(h, v->b, sizeof h);
    mfr__put32(h, MFM_OFF_HEADER_CRC, 0);
    uint32_t crc = mfr__crc32(0, h, sizeof h);
    crc = mfr__crc32(crc, v->b + MFM_HEADER_BYTES, (size_t)(dir_end - MFM_HEADER_BYTES));
    if (crc != mfr__get32(v->b, MFM_OFF_HEADER_CRC))
        return mfr__err(err, MFR_E_FORMAT, "%s: corrupted: header checksum mismatch", v->path);
    *n_sect = n;
    return MFR_OK;
}

/* Directory entries: alignment, bounds, then file size and payload CRC. */
static mfr_status check_sections(const view *v, uint32_t n, sec *s, mfr_error *err) {
    uint64_t data_off = mfr__get64(v->b, MFM_OFF_DATA), fsize = mfr__get64(v->b, MFM_OFF_FILE_SIZE);
    char t[5];
    if (data_off != mfr__align64(MFM_HEADER_BYTES + (uint64_t)n * MFM_DIR_ENTRY) || data_off > fsize)
        return mfr__err(err, MFR_E_FORMAT, "%s: corrupted: data offset %llu", v->path,
                        (unsigned long long)data_off);
    for (uint32_t j = 0; j < n; j++) {
        const uint8_t *d = v->b + MFM_HEADER_BYTES + (size_t)j * MFM_DIR_ENTRY;
        s[j].tag = mfr__get32(d, 0);
        s[j].off = mfr__get64(d, 8);
        s[j].size = mfr__get64(d, 16);
        tag_name(s[j].tag, t);
        if (s[j].off % MFM_ALIGN || s[j].off < data_off || s[j].size > UINT64_MAX - s[j].off)
            return mfr__err(err, MFR_E_FORMAT, "%s: corrupted: section %s at offset %llu", v->path, t,
                            (unsigned long long)s[j].off);
        if (s[j].off + s[j].size > v->len)
            return mfr__err(err, MFR_E_FORMAT,
                            "%s: truncated: section %s needs %llu bytes at offset %llu, file has %llu",
                            v->path, t, (unsigned long long)s[j].size, (unsigned long long)s[j].off,
                            (unsigned long long)v->len);
        s[j].data = v->b + s[j].off;
    }
    if (fsize != v->len)
        return mfr__err(err, MFR_E_FORMAT, "%s: %s: header says %llu bytes, file has %llu", v->path,
                        fsize > v->len ? "truncated" : "corrupted", (unsigned long long)fsize,
                        (unsigned long long)v->len);
    uint32_t crc = mfr__crc32(0, v->b + data_off, (size_t)(fsize - data_off));
    if (crc != mfr__get32(v->b, MFM_OFF_PAYLOAD_CRC))
        return mfr__err(err, MFR_E_FORMAT, "%s: corrupted: payload checksum mismatch", v->path);
    return MFR_OK;
}

/* Scalars and params from the header; counts sanity-checked. */
static mfr_status read_scalars(const view *v, mfr_model *m, mfr_error *err) {
    const uint8_t *b = v->b;
    m->n_users = (int32_t)mfr__get32(b, MFM_OFF_NUSERS);
    m->n_items = (int32_t)mfr__get32(b, MFM_OFF_NITEMS);
    m->k = (int32_t)mfr__get32(b, MFM_OFF_K);
    m->n_train = (int64_t)mfr__get64(b, MFM_OFF_NTRAIN);
    m->mu = mfr__getf(b, MFM_OFF_MU);
    m->rmin = mfr__getf(b, MFM_OFF_RMIN);
    m->rmax = mfr__getf(b, MFM_OFF_RMAX);
    m->epochs_run = (int32_t)mfr__get32(b, MFM_OFF_EPOCHS);
    m->train_rmse = mfr__getd(b, MFM_OFF_TRAIN_RMSE);
    m->valid_rmse = mfr__getd(b, MFM_OFF_VALID_RMSE);
    m->fit_seconds = mfr__getd(b, MFM_OFF_FIT_SECONDS);
    m->cat.strings_len = (int64_t)mfr__get64(b, MFM_OFF_STRLEN);
    m->file_version = mfr__get32(b, MFM_OFF_VERSION);
    get_params(b, &m->params);
    if (m->n_users < 0 || m->n_items < 0 || m->k < 0 || m->k > 4096 || m->cat.strings_len < 1 ||
        !isfinite(m->mu) || !(m->rmin <= m->rmax))
        return mfr__err(err, MFR_E_FORMAT, "%s: corrupted: bad counts in header (%d users, %d items, k %d)",
                        v->path, (int)m->n_users, (int)m->n_items, (int)m->k);
    mfr_error pe;
    if (mfr_train_params_check(&m->params, &pe) || m->params.algo != m->algo)
        return mfr__err(err, MFR_E_FORMAT, "%s: corrupted: stored %s", v->path,
                        m->params.algo != m->algo ? "params algo differs" : pe.message);
    return MFR_OK;
}

/* Where a core tag's pointer lives in m and how many bytes it must have;
 * NULL for a tag that is not core. */
static void **core_slot(mfr_model *m, uint32_t tag, uint64_t *want) {
    uint64_t nu = (uint64_t)m->n_users, ni = (uint64_t)m->n_items, k = (uint64_t)m->k;
    switch (tag) {
    case T_UBIA: *want = nu * 4; return (void **)&m->user_bias;
    case T_IBIA: *want = ni * 4; return (void **)&m->item_bias;
    case T_P: *want = nu * k * 4; return (void **)&m->P;
    case T_Q: *want = ni * k * 4; return (void **)&m->Q;
    case T_UIDS: *want = nu * 8; return (void **)&m->user_ids;
    case T_IIDS: *want = ni * 8; return (void **)&m->item_ids;
    case T_STRS: *want = (uint64_t)m->cat.strings_len; return (void **)&m->cat.strings;
    case T_TOFF: *want = ni * 4; return (void **)&m->cat.title_off;
    case T_GOFF: *want = ni * 4; return (void **)&m->cat.genres_off;
    case T_YEAR: *want = ni * 2; return (void **)&m->cat.year;
    case T_ICNT: *want = ni * 4; return (void **)&m->item_count;
    case T_IMEA: *want = ni * 4; return (void **)&m->item_mean;
    case T_SPTR: *want = (nu + 1) * 8; return (void **)&m->seen_ptr;
    case T_SITM: *want = UINT64_MAX; return (void **)&m->seen_item; /* checked with SPTR */
    case T_SRAT: *want = UINT64_MAX; return (void **)&m->seen_rating; /* optional; with SPTR */
    case T_LINK: *want = ni * 8; return (void **)&m->cat.links; /* optional */
    case T_TGOF: *want = ni * 4; return (void **)&m->tags_off; /* optional */
    default: return NULL;
    }
}

static mfr_status attach_sections(const view *v, mfr_model *m, const sec *s, uint32_t n,
                                  mfr_error *err) {
    char t[5];
    for (uint32_t j = 0; j < n; j++) {
        uint64_t want;
        void **slot = core_slot(m, s[j].tag, &want);
        tag_name(s[j].tag, t);
        if (slot) {
            if (*slot) return mfr__err(err, MFR_E_FORMAT, "%s: corrupted: section %s twice", v->path, t);
            if (want != UINT64_MAX && s[j].size != want)
                return mfr__err(err, MFR_E_FORMAT, "%s: corrupted: section %s has %llu bytes, expected %llu",
                                v->path, t, (unsigned long long)s[j].size, (unsigned long long)want);
            *slot = (void *)s[j].data;
        } else {
            if (m->n_extra >= MFR_MODEL_MAX_EXTRA)
                return mfr__err(err, MFR_E_FORMAT, "%s: corrupted: more than %d extra sections", v->path,
                                MFR_MODEL_MAX_EXTRA);
            m->extra[m->n_extra++] = (mfr__section){s[j].tag, s[j].size, (void *)s[j].data, 0};
        }
    }
    return MFR_OK;
}

/* Contents that index other arrays: required sections present (the biases
 * for every family but EASE, the one that stores none), the seen lists a CSR
 * whose rows are sorted, without repeats and in range, string offsets inside
 * the NUL-ended pool. Messages name the section and the row, never the
 * file's bytes. */
static mfr_status check_contents(const view *v, const mfr_model *m, const sec *s, uint32_t n,
                                 mfr_error *err) {
    const mfr__catalog *cat = &m->cat;
    const void *req[] = {m->user_ids,       m->item_ids,   cat->strings,  cat->title_off,
                         cat->genres_off,   cat->year,     m->item_count, m->item_mean,
                         m->seen_ptr,       m->seen_item};
    static const char *names[] = {"UIDS", "IIDS", "STRS", "TOFF", "GOFF", "YEAR", "ICNT", "IMEA", "SPTR", "SITM"};
    for (int j = 0; j < 10; j++)
        if (!req[j]) return mfr__err(err, MFR_E_FORMAT, "%s: corrupted: section %s missing", v->path, names[j]);
    if (m->algo != MFR_ALGO_EASE && (!m->user_bias || !m->item_bias))
        return mfr__err(err, MFR_E_FORMAT, "%s: corrupted: a %s model needs sections UBIA and IBIA",
                        v->path, mfr_algo_name(m->algo));
    if (m->k > 0 && (!m->P || !m->Q))
        return mfr__err(err, MFR_E_FORMAT, "%s: corrupted: k = %d but section P or Q missing", v->path, (int)m->k);
    uint64_t sitm = 0, srat = 0;
    for (uint32_t j = 0; j < n; j++) {
        if (s[j].tag == T_SITM) sitm = s[j].size;
        if (s[j].tag == T_SRAT) srat = s[j].size;
    }
    int64_t nnz = m->seen_ptr[m->n_users], row;
    if (!mfr__bytes_are(sitm, nnz, 4))
        return mfr__err(err, MFR_E_FORMAT, "%s: corrupted: seen lists (SPTR) do not match the %llu bytes of section SITM",
                        v->path, (unsigned long long)sitm);
    if (m->seen_rating && srat != sitm)
        return mfr__err(err, MFR_E_FORMAT, "%s: corrupted: section SRAT has %llu bytes, SITM %llu", v->path,
                        (unsigned long long)srat, (unsigned long long)sitm);
    const char *why = mfr__csr_check(m->seen_ptr, m->n_users, nnz, m->seen_item, m->n_items, -1, &row);
    if (why)
        return mfr__err(err, MFR_E_FORMAT, "%s: corrupted: seen list of user %lld (SPTR/SITM): %s", v->path,
                        (long long)row, why);
    int32_t bad;
    if (!mfr__catalog_check(cat, m->n_items, m->tags_off, &bad)) return MFR_OK;
    return bad < 0 ? mfr__err(err, MFR_E_FORMAT, "%s: corrupted: string pool not NUL-terminated", v->path)
                   : mfr__err(err, MFR_E_FORMAT, "%s: corrupted: title/genres offset of item %d", v->path, (int)bad);
}

mfr_status mfr_model_load(const char *path, mfr_model **out, mfr_error *err) {
    if (!out || !path) return mfr__err(err, MFR_E_INVALID, "load: path or out is NULL");
    *out = NULL;
    view v = {path, NULL, 0};
    void *block = NULL;
    mfr_status st = mfr__bin_host_ok(path, err);
    if (!st) st = mfr__bin_read(path, MFM_HEADER_BYTES, &block, &v.len, err);
    if (st) return st;
    v.b = block;
    uint32_t n = 0;
    sec s[MFM_MAX_SECTIONS];
    st = check_header(&v, &n, err);
    if (!st) st = check_sections(&v, n, s, err);
    uint32_t algo = st ? 0 : mfr__get32(v.b, MFM_OFF_ALGO);
    if (!st && algo >= MFR_ALGO__COUNT)
        st = mfr__err(err, MFR_E_FORMAT, "%s: corrupted: unknown algorithm %u", path, algo);
    mfr_model *m = st ? NULL : mfr__model_new((mfr_algo)algo);
    if (!st && !m) st = mfr__nomem(err, "model");
    if (st) {
        mfr__bin_free(block, v.len);
        return st;
    }
    m->map_base = block;
    m->map_len = (size_t)v.len;
    st = read_scalars(&v, m, err);
    if (!st) st = attach_sections(&v, m, s, n, err);
    if (!st) st = check_contents(&v, m, s, n, err);
    if (!st && !m->vt && m->n_extra > 0)
        st = mfr__err(err, MFR_E_UNSUPPORTED, "%s: algorithm %s is not built into this library", path,
                      mfr_algo_name(m->algo));
    if (!st) st = mfr__idmap_from_ids(&m->user_map, m->user_ids, m->n_users, path, "user", err);
    if (!st) st = mfr__idmap_from_ids(&m->item_map, m->item_ids, m->n_items, path, "movie", err);
    if (!st && m->vt && m->vt->attach && (st = m->vt->attach(m, err)) == MFR_E_FORMAT && err) {
        char why[sizeof err->message]; /* the family's sections: name the file too */
        memcpy(why, err->message, sizeof why);
        mfr__err(err, st, "%s: corrupted: %s", path, why);
    }
    if (!st) st = mfr__model_prepare(m, err);
    if (st) {
        mfr_model_free(m);
        return st;
    }
    *out = m;
    return MFR_OK;
}
