/* mfm.c — saving and loading the model file (.mfm); the layout is specified
 * byte by byte in mfm.h and docs/model-format.md.
 *
 * Save collects the sections (core arrays, then the family's extras), lays
 * them out 64-byte aligned after the header and directory, computes the
 * payload and header CRC-32s, writes everything to a temporary file in the
 * same directory, fsyncs and renames it over the target, so an existing model
 * is never half-overwritten. Load mmaps the file read-only, validates every
 * count, offset and checksum against the file length before touching the
 * data, points the model's arrays into the mapping, rebuilds the id maps and
 * lets the family re-attach its extra sections. */
#include "mfm.h"
#include "../algo/algo.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct sec {
    uint32_t tag;
    const void *data;
    uint64_t size, off;
} sec;

static void put32(uint8_t *b, size_t off, uint32_t v) { memcpy(b + off, &v, 4); }
static void put64(uint8_t *b, size_t off, uint64_t v) { memcpy(b + off, &v, 8); }
static void putf(uint8_t *b, size_t off, float v) { memcpy(b + off, &v, 4); }
static void putd(uint8_t *b, size_t off, double v) { memcpy(b + off, &v, 8); }
static uint32_t get32(const uint8_t *b, size_t off) { uint32_t v; memcpy(&v, b + off, 4); return v; }
static uint64_t get64(const uint8_t *b, size_t off) { uint64_t v; memcpy(&v, b + off, 8); return v; }
static float getf(const uint8_t *b, size_t off) { float v; memcpy(&v, b + off, 4); return v; }
static double getd(const uint8_t *b, size_t off) { double v; memcpy(&v, b + off, 8); return v; }

static uint64_t align64(uint64_t x) { return (x + MFM_ALIGN - 1) & ~(uint64_t)(MFM_ALIGN - 1); }

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
#define N_CORE 15

/* ---- params block ------------------------------------------------------- */
static void put_params(uint8_t *h, const mfr_train_params *p) {
    uint8_t *b = h + MFM_OFF_PARAMS - 120; /* offsets below are absolute */
    put32(b, 120, (uint32_t)p->algo);      put32(b, 124, (uint32_t)p->factors);
    put32(b, 128, (uint32_t)p->epochs);    putf(b, 132, p->lr);
    putf(b, 136, p->lr_decay);             putf(b, 140, p->reg);
    putf(b, 144, p->reg_bias);             putf(b, 148, p->init_std);
    put64(b, 152, p->seed);                put32(b, 160, (uint32_t)p->threads);
    putf(b, 164, p->valid_frac);           put32(b, 168, (uint32_t)p->early_stop);
    put32(b, 172, (uint32_t)p->batch);     putf(b, 176, p->beta1);
    putf(b, 180, p->beta2);                putf(b, 184, p->alpha);
    put32(b, 188, (uint32_t)p->cg_steps);  put32(b, 192, (uint32_t)p->burnin);
    put32(b, 196, (uint32_t)p->samples);   put32(b, 200, (uint32_t)p->knn_k);
    put32(b, 204, (uint32_t)p->min_support); putf(b, 208, p->shrinkage);
    put32(b, 212, (uint32_t)p->sim);       put32(b, 216, (uint32_t)p->hybrid_base);
    putf(b, 220, p->ease_lambda);          put32(b, 224, (uint32_t)p->max_memory_mb);
    put32(b, 228, (uint32_t)p->rank_min_ratings); putf(b, 232, p->rating_power);
    putf(b, 236, p->blend);                putf(b, 240, p->unobserved);
    putf(b, 244, p->reg_exp);              put32(b, 248, (uint32_t)p->ease_keep);
}

static void get_params(const uint8_t *b, mfr_train_params *p) {
    memset(p, 0, sizeof *p);
    p->algo = (mfr_algo)get32(b, 120);       p->factors = (int32_t)get32(b, 124);
    p->epochs = (int32_t)get32(b, 128);      p->lr = getf(b, 132);
    p->lr_decay = getf(b, 136);              p->reg = getf(b, 140);
    p->reg_bias = getf(b, 144);              p->init_std = getf(b, 148);
    p->seed = get64(b, 152);                 p->threads = (int32_t)get32(b, 160);
    p->valid_frac = getf(b, 164);            p->early_stop = (int32_t)get32(b, 168);
    p->batch = (int32_t)get32(b, 172);       p->beta1 = getf(b, 176);
    p->beta2 = getf(b, 180);                 p->alpha = getf(b, 184);
    p->cg_steps = (int32_t)get32(b, 188);    p->burnin = (int32_t)get32(b, 192);
    p->samples = (int32_t)get32(b, 196);     p->knn_k = (int32_t)get32(b, 200);
    p->min_support = (int32_t)get32(b, 204); p->shrinkage = getf(b, 208);
    p->sim = (mfr_sim)get32(b, 212);         p->hybrid_base = (mfr_algo)get32(b, 216);
    p->ease_lambda = getf(b, 220);           p->max_memory_mb = (int32_t)get32(b, 224);
    p->rank_min_ratings = (int32_t)get32(b, 228); p->rating_power = getf(b, 232);
    p->blend = getf(b, 236);                 p->unobserved = getf(b, 240);
    p->reg_exp = getf(b, 244);               p->ease_keep = (int32_t)get32(b, 248);
    /* Files written before these fields existed hold zeros there. */
    if (p->rank_min_ratings < 1) p->rank_min_ratings = 1;
}

/* ---- save ---------------------------------------------------------------- */
static int add_sec(sec *s, int n, uint32_t tag, const void *data, uint64_t size) {
    if (!data) return n;
    s[n].tag = tag;
    s[n].data = data;
    s[n].size = size;
    return n + 1;
}

/* The sections of m in file order; returns their count. */
static int collect_sections(const mfr_model *m, sec *s) {
    uint64_t nu = (uint64_t)m->n_users, ni = (uint64_t)m->n_items, k = (uint64_t)m->k;
    int n = 0;
    n = add_sec(s, n, T_UBIA, m->user_bias, nu * 4);
    n = add_sec(s, n, T_IBIA, m->item_bias, ni * 4);
    if (k) n = add_sec(s, n, T_P, m->P, nu * k * 4);
    if (k) n = add_sec(s, n, T_Q, m->Q, ni * k * 4);
    n = add_sec(s, n, T_UIDS, m->user_ids, nu * 8);
    n = add_sec(s, n, T_IIDS, m->item_ids, ni * 8);
    n = add_sec(s, n, T_STRS, m->strings, (uint64_t)m->strings_len);
    n = add_sec(s, n, T_TOFF, m->title_off, ni * 4);
    n = add_sec(s, n, T_GOFF, m->genres_off, ni * 4);
    n = add_sec(s, n, T_YEAR, m->year, ni * 2);
    n = add_sec(s, n, T_ICNT, m->item_count, ni * 4);
    n = add_sec(s, n, T_IMEA, m->item_mean, ni * 4);
    n = add_sec(s, n, T_SPTR, m->seen_ptr, (nu + 1) * 8);
    n = add_sec(s, n, T_SITM, m->seen_item, m->seen_ptr ? (uint64_t)m->seen_ptr[nu] * 4 : 0);
    n = add_sec(s, n, T_SRAT, m->seen_rating, m->seen_ptr ? (uint64_t)m->seen_ptr[nu] * 4 : 0);
    for (int j = 0; j < m->n_extra; j++)
        n = add_sec(s, n, m->extra[j].tag, m->extra[j].data, m->extra[j].size);
    return n;
}

static const uint8_t zeros[MFM_ALIGN];

/* Lay the sections out; returns the file size. */
static uint64_t layout(sec *s, int n, uint64_t data_off) {
    uint64_t cur = data_off;
    for (int j = 0; j < n; j++) {
        s[j].off = align64(cur);
        cur = s[j].off + s[j].size;
    }
    return cur;
}

static uint32_t payload_crc(const sec *s, int n, uint64_t data_off) {
    uint32_t crc = mfr_crc32(0, NULL, 0);
    uint64_t pos = data_off;
    for (int j = 0; j < n; j++) {
        crc = mfr_crc32(crc, zeros, (size_t)(s[j].off - pos));
        crc = mfr_crc32(crc, s[j].data, (size_t)s[j].size);
        pos = s[j].off + s[j].size;
    }
    return crc;
}

/* Header + directory + padding up to data_off into h (zeroed by caller). */
static void build_header(const mfr_model *m, const sec *s, int n, uint64_t data_off,
                         uint64_t file_size, uint8_t *h) {
    memcpy(h, MFM_MAGIC, 4);
    put32(h, MFM_OFF_VERSION, MFM_VERSION);
    put32(h, MFM_OFF_HEADER_BYTES, MFM_HEADER_BYTES);
    put32(h, MFM_OFF_NSECT, (uint32_t)n);
    put32(h, MFM_OFF_ALGO, (uint32_t)m->algo);
    put32(h, MFM_OFF_NUSERS, (uint32_t)m->n_users);
    put32(h, MFM_OFF_NITEMS, (uint32_t)m->n_items);
    put32(h, MFM_OFF_K, (uint32_t)m->k);
    put64(h, MFM_OFF_NTRAIN, (uint64_t)m->n_train);
    putf(h, MFM_OFF_MU, m->mu);
    putf(h, MFM_OFF_RMIN, m->rmin);
    putf(h, MFM_OFF_RMAX, m->rmax);
    put32(h, MFM_OFF_EPOCHS, (uint32_t)m->epochs_run);
    putd(h, MFM_OFF_TRAIN_RMSE, m->train_rmse);
    putd(h, MFM_OFF_VALID_RMSE, m->valid_rmse);
    putd(h, MFM_OFF_FIT_SECONDS, m->fit_seconds);
    put64(h, MFM_OFF_STRLEN, (uint64_t)m->strings_len);
    put64(h, MFM_OFF_FILE_SIZE, file_size);
    put64(h, MFM_OFF_DATA, data_off);
    put_params(h, &m->params);
    for (int j = 0; j < n; j++) {
        uint8_t *d = h + MFM_HEADER_BYTES + (size_t)j * MFM_DIR_ENTRY;
        put32(d, 0, s[j].tag);
        put64(d, 8, s[j].off);
        put64(d, 16, s[j].size);
    }
    put32(h, MFM_OFF_PAYLOAD_CRC, payload_crc(s, n, data_off));
    uint32_t crc = mfr_crc32(0, h, MFM_HEADER_BYTES + (size_t)n * MFM_DIR_ENTRY);
    put32(h, MFM_OFF_HEADER_CRC, crc);
}

static int write_all(int fd, const void *data, size_t n) {
    const char *p = data;
    while (n > 0) {
        ssize_t w = write(fd, p, n > (1u << 30) ? (1u << 30) : n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int write_file(int fd, const uint8_t *h, const sec *s, int n, uint64_t data_off) {
    if (write_all(fd, h, (size_t)data_off)) return -1;
    uint64_t pos = data_off;
    for (int j = 0; j < n; j++) {
        if (write_all(fd, zeros, (size_t)(s[j].off - pos)) ||
            write_all(fd, s[j].data, (size_t)s[j].size))
            return -1;
        pos = s[j].off + s[j].size;
    }
    return fsync(fd);
}

mfr_status mfr_model_save(const mfr_model *m, const char *path, mfr_error *err) {
    if (!m || !path) return mfr__err(err, MFR_E_INVALID, "save: model or path is NULL");
    sec s[N_CORE + MFR_MODEL_MAX_EXTRA];
    int n = collect_sections(m, s);
    uint64_t data_off = align64(MFM_HEADER_BYTES + (uint64_t)n * MFM_DIR_ENTRY);
    uint64_t file_size = layout(s, n, data_off);
    uint8_t h[MFM_HEADER_BYTES + (N_CORE + MFR_MODEL_MAX_EXTRA) * MFM_DIR_ENTRY + MFM_ALIGN];
    memset(h, 0, sizeof h);
    build_header(m, s, n, data_off, file_size, h);
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", path) >= (int)sizeof tmp)
        return mfr__err(err, MFR_E_INVALID, "%s: path too long", path);
    int fd = mkstemp(tmp);
    if (fd < 0) return mfr__err(err, MFR_E_IO, "%s: cannot create: %s", path, strerror(errno));
    if (write_file(fd, h, s, n, data_off) || fchmod(fd, 0644)) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return mfr__err(err, MFR_E_IO, "%s: write failed: %s", path, strerror(e));
    }
    if (close(fd) || rename(tmp, path)) {
        int e = errno;
        unlink(tmp);
        return mfr__err(err, MFR_E_IO, "%s: cannot write: %s", path, strerror(e));
    }
    return MFR_OK;
}

/* ---- load ---------------------------------------------------------------- */
typedef struct view {
    const char *path;
    const uint8_t *b;
    uint64_t len;
} view;

/* Fixed header checks: length, magic, version, directory bounds, header CRC. */
static mfr_status check_header(const view *v, uint32_t *n_sect, mfr_error *err) {
    if (v->len < MFM_HEADER_BYTES)
        return mfr__err(err, MFR_E_FORMAT, "%s: truncated: header needs %u bytes, file has %llu",
                        v->path, MFM_HEADER_BYTES, (unsigned long long)v->len);
    if (memcmp(v->b, MFM_MAGIC, 4) != 0)
        return mfr__err(err, MFR_E_FORMAT, "%s: not a model file (magic is not \"MFRM\")", v->path);
    uint32_t ver = get32(v->b, MFM_OFF_VERSION);
    if (ver != MFM_VERSION)
        return mfr__err(err, MFR_E_FORMAT, "%s: unsupported format version %u (this library reads %u)",
                        v->path, ver, MFM_VERSION);
    uint32_t hb = get32(v->b, MFM_OFF_HEADER_BYTES), n = get32(v->b, MFM_OFF_NSECT);
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
    put32(h, MFM_OFF_HEADER_CRC, 0);
    uint32_t crc = mfr_crc32(0, h, sizeof h);
    crc = mfr_crc32(crc, v->b + MFM_HEADER_BYTES, (size_t)(dir_end - MFM_HEADER_BYTES));
    if (crc != get32(v->b, MFM_OFF_HEADER_CRC))
        return mfr__err(err, MFR_E_FORMAT, "%s: corrupted: header checksum mismatch", v->path);
    *n_sect = n;
    return MFR_OK;
}

/* Directory entries: alignment, bounds, then file size and payload CRC. */
static mfr_status check_sections(const view *v, uint32_t n, sec *s, mfr_error *err) {
    uint64_t data_off = get64(v->b, MFM_OFF_DATA), fsize = get64(v->b, MFM_OFF_FILE_SIZE);
    char t[5];
    if (data_off != align64(MFM_HEADER_BYTES + (uint64_t)n * MFM_DIR_ENTRY) || data_off > fsize)
        return mfr__err(err, MFR_E_FORMAT, "%s: corrupted: data offset %llu", v->path,
                        (unsigned long long)data_off);
    for (uint32_t j = 0; j < n; j++) {
        const uint8_t *d = v->b + MFM_HEADER_BYTES + (size_t)j * MFM_DIR_ENTRY;
        s[j].tag = get32(d, 0);
        s[j].off = get64(d, 8);
        s[j].size = get64(d, 16);
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
    uint32_t crc = mfr_crc32(0, v->b + data_off, (size_t)(fsize - data_off));
    if (crc != get32(v->b, MFM_OFF_PAYLOAD_CRC))
        return mfr__err(err, MFR_E_FORMAT, "%s: corrupted: payload checksum mismatch", v->path);
    return MFR_OK;
}

/* Scalars and params from the header; counts sanity-checked. */
static mfr_status read_scalars(const view *v, mfr_model *m, mfr_error *err) {
    const uint8_t *b = v->b;
    m->n_users = (int32_t)get32(b, MFM_OFF_NUSERS);
    m->n_items = (int32_t)get32(b, MFM_OFF_NITEMS);
    m->k = (int32_t)get32(b, MFM_OFF_K);
    m->n_train = (int64_t)get64(b, MFM_OFF_NTRAIN);
    m->mu = getf(b, MFM_OFF_MU);
    m->rmin = getf(b, MFM_OFF_RMIN);
    m->rmax = getf(b, MFM_OFF_RMAX);
    m->epochs_run = (int32_t)get32(b, MFM_OFF_EPOCHS);
    m->train_rmse = getd(b, MFM_OFF_TRAIN_RMSE);
    m->valid_rmse = getd(b, MFM_OFF_VALID_RMSE);
    m->fit_seconds = getd(b, MFM_OFF_FIT_SECONDS);
    m->strings_len = (int64_t)get64(b, MFM_OFF_STRLEN);
    m->file_version = get32(b, MFM_OFF_VERSION);
    get_params(b, &m->params);
    if (m->n_users < 0 || m->n_items < 0 || m->k < 0 || m->k > 4096 || m->strings_len < 1 ||
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
    case T_STRS: *want = (uint64_t)m->strings_len; return (void **)&m->strings;
    case T_TOFF: *want = ni * 4; return (void **)&m->title_off;
    case T_GOFF: *want = ni * 4; return (void **)&m->genres_off;
    case T_YEAR: *want = ni * 2; return (void **)&m->year;
    case T_ICNT: *want = ni * 4; return (void **)&m->item_count;
    case T_IMEA: *want = ni * 4; return (void **)&m->item_mean;
    case T_SPTR: *want = (nu + 1) * 8; return (void **)&m->seen_ptr;
    case T_SITM: *want = UINT64_MAX; return (void **)&m->seen_item; /* checked with SPTR */
    case T_SRAT: *want = UINT64_MAX; return (void **)&m->seen_rating; /* optional; with SPTR */
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

/* Contents that index other arrays: required sections present, seen CSR
 * monotone with items in range, string offsets inside the NUL-ended pool. */
static mfr_status check_contents(const view *v, const mfr_model *m, const sec *s, uint32_t n,
                                 mfr_error *err) {
    const void *req[] = {m->user_ids, m->item_ids, m->strings, m->title_off, m->genres_off,
                         m->year, m->item_count, m->item_mean, m->seen_ptr, m->seen_item};
    static const char *names[] = {"UIDS", "IIDS", "STRS", "TOFF", "GOFF", "YEAR", "ICNT", "IMEA", "SPTR", "SITM"};
    for (int j = 0; j < 10; j++)
        if (!req[j]) return mfr__err(err, MFR_E_FORMAT, "%s: corrupted: section %s missing", v->path, names[j]);
    if (m->k > 0 && (!m->P || !m->Q))
        return mfr__err(err, MFR_E_FORMAT, "%s: corrupted: k = %d but section P or Q missing", v->path, (int)m->k);
    uint64_t sitm = 0, srat = 0;
    for (uint32_t j = 0; j < n; j++) {
        if (s[j].tag == T_SITM) sitm = s[j].size;
        if (s[j].tag == T_SRAT) srat = s[j].size;
    }
    if (m->seen_ptr[0] != 0 || (uint64_t)m->seen_ptr[m->n_users] * 4 != sitm)
        return mfr__err(err, MFR_E_FORMAT, "%s: corrupted: seen lists do not match section SITM", v->path);
    if (m->seen_rating && srat != sitm)
        return mfr__err(err, MFR_E_FORMAT, "%s: corrupted: section SRAT has %llu bytes, SITM %llu", v->path,
                        (unsigned long long)srat, (unsigned long long)sitm);
    for (int32_t u = 0; u < m->n_users; u++)
        if (m->seen_ptr[u + 1] < m->seen_ptr[u])
            return mfr__err(err, MFR_E_FORMAT, "%s: corrupted: seen list of user %d", v->path, (int)u);
    for (int64_t j = 0; j < m->seen_ptr[m->n_users]; j++)
        if (m->seen_item[j] < 0 || m->seen_item[j] >= m->n_items)
            return mfr__err(err, MFR_E_FORMAT, "%s: corrupted: seen item %d out of range", v->path,
                            (int)m->seen_item[j]);
    if (m->strings[m->strings_len - 1] != '\0')
        return mfr__err(err, MFR_E_FORMAT, "%s: corrupted: string pool not NUL-terminated", v->path);
    for (int32_t i = 0; i < m->n_items; i++)
        if (m->title_off[i] >= m->strings_len || m->genres_off[i] >= m->strings_len)
            return mfr__err(err, MFR_E_FORMAT, "%s: corrupted: title/genres offset of item %d", v->path, (int)i);
    return MFR_OK;
}

static mfr_status map_file(const char *path, view *v, mfr_error *err) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return mfr__err(err, MFR_E_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        int e = errno;
        close(fd);
        return mfr__err(err, MFR_E_IO, "%s: not a readable file%s%s", path, e ? ": " : "", e ? strerror(e) : "");
    }
    v->path = path;
    v->len = (uint64_t)st.st_size;
    v->b = NULL;
    if (v->len >= MFM_HEADER_BYTES) {
        void *p = mmap(NULL, (size_t)v->len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            int e = errno;
            close(fd);
            return mfr__err(err, MFR_E_IO, "%s: cannot map: %s", path, strerror(e));
        }
        v->b = p;
    }
    close(fd);
    return MFR_OK;
}

mfr_status mfr_model_load(const char *path, mfr_model **out, mfr_error *err) {
    if (!out || !path) return mfr__err(err, MFR_E_INVALID, "load: path or out is NULL");
    *out = NULL;
    view v = {path, NULL, 0};
    mfr_status st = map_file(path, &v, err);
    if (st) return st;
    uint32_t n = 0;
    sec s[MFM_MAX_SECTIONS];
    st = check_header(&v, &n, err);
    if (!st) st = check_sections(&v, n, s, err);
    uint32_t algo = st ? 0 : get32(v.b, MFM_OFF_ALGO);
    if (!st && algo >= MFR_ALGO__COUNT)
        st = mfr__err(err, MFR_E_FORMAT, "%s: corrupted: unknown algorithm %u", path, algo);
    mfr_model *m = st ? NULL : mfr__model_new((mfr_algo)algo);
    if (!st && !m) st = mfr__nomem(err, "model");
    if (st) {
        if (v.b) munmap((void *)v.b, (size_t)v.len);
        return st;
    }
    m->map_base = (void *)v.b;
    m->map_len = (size_t)v.len;
    st = read_scalars(&v, m, err);
    if (!st) st = attach_sections(&v, m, s, n, err);
    if (!st) st = check_contents(&v, m, s, n, err);
    if (!st && !m->vt && m->n_extra > 0)
        st = mfr__err(err, MFR_E_UNSUPPORTED, "%s: algorithm %s is not built into this library", path,
                      mfr_algo_name(m->algo));
    if (!st) st = mfr__model_build_maps(m, err);
    if (!st && m->vt && m->vt->attach) st = m->vt->attach(m, err);
    if (!st) st = mfr__model_prepare(m, err);
    if (st) {
        mfr_model_free(m);
        return st;
    }
    *out = m;
    return MFR_OK;
}
