/* mfd.c — writing and reading the binary dataset file (.mfd).
 *
 * The layout is specified byte by byte in mfd.h; what the two binary files
 * share (layout, CRC, atomic save, reading, consistency checks) is in
 * src/core/binfile.c. Saving lays the sections out 64-byte aligned, computes
 * the data CRC, fills the header and writes both through mfr__bin_save
 * (temporary file, 0644, fsync, rename). Loading reads the file into owned
 * memory, checks the header, the section table and both checksums, then
 * every index and offset and the ids, and points the dataset's arrays into
 * that block (ds->map_base, freed by mfr_dataset_free). */
#include "io_internal.h"
#include "mfd.h"
#include "mfd_share.h"
#include "../data/csr.h"
#include "../core/binfile.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const sec_name[MFD_SECTIONS] = {
    "user",       "item", "rating",   "time",     "user_ids", "item_ids", "strings",  "title_off",
    "genres_off", "year", "tag_item", "tag_user", "tag_off",  "report",   "messages", "links"};

/* Counts, from the dataset (save) or the header (load). */
typedef struct counts {
    uint64_t n, nu, ni, nc, nt, sl, nm;
    int has_time, has_links, has_users;
} counts;

/* The byte length each section must have; UINT64_MAX: messages (free). */
static void section_lengths(const counts *c, uint64_t len[MFD_SECTIONS]) {
    const uint64_t l[MFD_SECTIONS] = {4 * c->n,  4 * c->n,  4 * c->n,  c->has_time ? 8 * c->n : 0,
                                      8 * c->nu, 8 * c->ni, c->sl,     4 * c->ni,
                                      4 * c->ni, 2 * c->ni, 4 * c->nt, 4 * c->nt,
                                      4 * c->nt, 8 * MFD_REPORT_FIELDS, UINT64_MAX,
                                      c->has_links ? 8 * c->ni : 0};
    memcpy(len, l, sizeof l);
}

/* ---- writing ----------------------------------------------------------- */

static void fill_header(const mfr_dataset *ds, unsigned char h[MFD_HEADER_SIZE],
                        const mfr__bsec s[MFD_SECTIONS + 1], uint64_t file_size) {
    memset(h, 0, MFD_HEADER_SIZE);
    memcpy(h, MFD_MAGIC, 4);
    mfr__put32(h, 4, MFD_VERSION);
    mfr__put32(h, 8, MFD_HEADER_SIZE);
    mfr__put32(h, 12, (ds->time ? MFD_FLAG_TIME : 0) | (ds->cat.links ? MFD_FLAG_LINKS : 0) |
                          (ds->user_age ? MFD_FLAG_USERS : 0));
    mfr__put64(h, 16, (uint64_t)ds->n_ratings);
    mfr__put32(h, 24, (uint32_t)ds->n_users);
    mfr__put32(h, 28, (uint32_t)ds->n_items);
    mfr__put32(h, 32, (uint32_t)ds->n_catalog);
    mfr__putf(h, 36, ds->scale_min);
    mfr__putf(h, 40, ds->scale_max);
    mfr__put32(h, 44, (uint32_t)ds->report.n_messages);
    mfr__put64(h, 48, (uint64_t)ds->n_tags);
    mfr__put64(h, 56, (uint64_t)ds->cat.strings_len);
    mfr__put64(h, 64, file_size);
    for (int k = 0; k < MFD_SECTIONS; k++) {
        mfr__put64(h, MFD_OFF_TABLE + 16 * (size_t)k, s[k].off);
        mfr__put64(h, MFD_OFF_TABLE + 16 * (size_t)k + 8, s[k].size);
    }
    if (ds->user_age) {
        mfr__put64(h, MFD_OFF_USERS, s[MFD_USERS].off);
        mfr__put64(h, MFD_OFF_USERS + 8, s[MFD_USERS].size);
    }
    mfr__put32(h, MFD_OFF_DATA_CRC, mfr__bsec_crc(s, MFD_SECTIONS + 1, MFD_HEADER_SIZE));
    mfr__put32(h, MFD_OFF_HEADER_CRC, mfr__crc32(0, h, MFD_OFF_HEADER_CRC));
}

mfr_status mfr_dataset_save(const mfr_dataset *ds, const char *path, mfr_error *err) {
    if (!ds || !path || !*path) return mfr__err(err, MFR_E_INVALID, "save: no dataset or path");
    mfr_status rc = mfr__bin_host_ok(path, err);
    if (rc) return rc;
    const mfr_import_report *r = &ds->report;
    int64_t report[MFD_REPORT_FIELDS] = {r->rows_read,  r->rows_kept,    r->bad_field_count,
                                         r->bad_number, r->bad_rating,   r->unknown_movie,
                                         r->duplicates, r->catalog_rows, r->catalog_bad,
                                         r->tags_rows,  r->tags_bad,     r->n_messages};
    size_t msg_len = 0;
    for (int32_t i = 0; i < r->n_messages; i++) msg_len += strlen(ds->messages[i]) + 1;
    char *msgs = mfr__malloc(msg_len);
    size_t nu = (size_t)ds->n_users, ulen = ds->user_age ? 5 * nu : 0;
    unsigned char *users = ulen ? mfr__malloc(ulen) : NULL;
    if (!msgs || (ulen && !users)) {
        mfr__free(msgs), mfr__free(users);
        return mfr__nomem(err, "save buffers");
    }
    if (ulen) { /* the host is little-endian (mfr__bin_host_ok) */
        memcpy(users, ds->user_age, 2 * nu);
        memcpy(users + 2 * nu, ds->user_occ, 2 * nu);
        memcpy(users + 4 * nu, ds->user_gender, nu);
    }
    for (size_t i = 0, pos = 0; i < (size_t)r->n_messages; i++) {
        size_t l = strlen(ds->messages[i]) + 1;
        memcpy(msgs + pos, ds->messages[i], l);
        pos += l;
    }
    counts c = {(uint64_t)ds->n_ratings, (uint64_t)ds->n_users, (uint64_t)ds->n_items, 0,
                (uint64_t)ds->n_tags,    (uint64_t)ds->cat.strings_len, 0, ds->time != NULL,
                ds->cat.links != NULL, ds->user_age != NULL};
    uint64_t len[MFD_SECTIONS];
    section_lengths(&c, len);
    len[MFD_MESSAGES] = msg_len;
    const void *ptr[MFD_SECTIONS] = {
        ds->user,           ds->item,     ds->rating,      ds->time,
        ds->user_ids,       ds->item_ids, ds->cat.strings, ds->cat.title_off,
        ds->cat.genres_off, ds->cat.year, ds->tag_item,    ds->tag_user,
        ds->tag_off,        report,       msgs,            ds->cat.links};
    mfr__bsec s[MFD_SECTIONS + 1];
    for (int k = 0; k < MFD_SECTIONS; k++) /* an array a builder left NULL is written as zeros */
        s[k] = (mfr__bsec){.data = len[k] ? ptr[k] : NULL, .size = len[k]};
    s[MFD_USERS] = (mfr__bsec){.data = users, .size = ulen};
    unsigned char h[MFD_HEADER_SIZE];
    fill_header(ds, h, s, mfr__bsec_layout(s, MFD_SECTIONS + 1, MFD_HEADER_SIZE));
    rc = mfr__bin_save(path, h, sizeof h, s, MFD_SECTIONS + 1, err);
    mfr__free(msgs);
    mfr__free(users);
    return rc;
}

/* ---- loading ------------------------------------------------------------ */

/* Header checks up to the section table (the file is size bytes). */
static mfr_status check_header(const char *path, const unsigned char *h, uint64_t size,
                               mfr_error *err) {
    if (memcmp(h, MFD_MAGIC, 4) != 0)
        return mfr__err(err, MFR_E_FORMAT, "%s: not an mfrec dataset file (magic is not \"MFRD\")",
                        path);
    uint32_t ver = mfr__get32(h, 4);
    if (ver != MFD_VERSION)
        return mfr__err(err, MFR_E_FORMAT, "%s: format version %u, this build reads version %u",
                        path, ver, MFD_VERSION);
    if (mfr__get32(h, 8) != MFD_HEADER_SIZE)
        return mfr__err(err, MFR_E_FORMAT, "%s: header size %u, expected %u", path,
                        mfr__get32(h, 8), MFD_HEADER_SIZE);
    uint32_t stored = mfr__get32(h, MFD_OFF_HEADER_CRC), got = mfr__crc32(0, h, MFD_OFF_HEADER_CRC);
    if (stored != got)
        return mfr__err(err, MFR_E_FORMAT,
                        "%s: header checksum mismatch (stored %08x, computed %08x): the file is "
                        "corrupted",
                        path, stored, got);
    uint64_t want = mfr__get64(h, 64);
    if (want > size)
        return mfr__err(err, MFR_E_FORMAT, "%s: truncated: header says %llu bytes, file has %llu",
                        path, (unsigned long long)want, (unsigned long long)size);
    if (want < size)
        return mfr__err(err, MFR_E_FORMAT,
                        "%s: %llu trailing bytes after the %llu the header gives", path,
                        (unsigned long long)(size - want), (unsigned long long)want);
    return MFR_OK;
}

/* Counts from the header, each bounded by what the file can hold. */
static mfr_status read_counts(const char *path, const unsigned char *h, uint64_t size, counts *c,
                              mfr_error *err) {
    c->n = mfr__get64(h, 16);
    c->nu = mfr__get32(h, 24);
    c->ni = mfr__get32(h, 28);
    c->nc = mfr__get32(h, 32);
    c->nm = mfr__get32(h, 44);
    c->nt = mfr__get64(h, 48);
    c->sl = mfr__get64(h, 56);
    c->has_time = (mfr__get32(h, 12) & MFD_FLAG_TIME) != 0;
    c->has_links = (mfr__get32(h, 12) & MFD_FLAG_LINKS) != 0;
    c->has_users = (mfr__get32(h, 12) & MFD_FLAG_USERS) != 0;
    if (c->n > INT32_MAX || c->nu > INT32_MAX || c->ni > INT32_MAX || c->nc > c->ni ||
        c->nt > size / 4 || c->sl > UINT32_MAX || c->sl < 1 || c->nm > INT32_MAX)
        return mfr__err(err, MFR_E_FORMAT, "%s: header counts out of range", path);
    return MFR_OK;
}

/* The section table: each section inside the file, aligned, its exact length. */
static mfr_status check_table(const char *path, const unsigned char *h, uint64_t size,
                              const counts *c, mfr_error *err) {
    uint64_t want[MFD_SECTIONS];
    section_lengths(c, want);
    for (int k = 0; k < MFD_SECTIONS; k++) {
        uint64_t off = mfr__get64(h, MFD_OFF_TABLE + 16 * (size_t)k);
        uint64_t len = mfr__get64(h, MFD_OFF_TABLE + 16 * (size_t)k + 8);
        if (!mfr__bsec_inside(off, len, MFD_HEADER_SIZE, size))
            return mfr__err(err, MFR_E_FORMAT,
                            "%s: section %s (offset %llu, %llu bytes) lies "
                            "outside the file or is not 64-byte aligned",
                            path, sec_name[k], (unsigned long long)off, (unsigned long long)len);
        if (want[k] != UINT64_MAX && len != want[k])
            return mfr__err(err, MFR_E_FORMAT, "%s: section %s has %llu bytes, expected %llu", path,
                            sec_name[k], (unsigned long long)len, (unsigned long long)want[k]);
        /* each message takes at least its NUL: the count cannot outgrow the bytes */
        if (k == MFD_MESSAGES && c->nm > len)
            return mfr__err(err, MFR_E_FORMAT,
                            "%s: header says %llu messages, section messages has %llu bytes", path,
                            (unsigned long long)c->nm, (unsigned long long)len);
    }
    if (c->has_users) {
        uint64_t off = mfr__get64(h, MFD_OFF_USERS), len = mfr__get64(h, MFD_OFF_USERS + 8);
        if (!mfr__bsec_inside(off, len, MFD_HEADER_SIZE, size) || len != 5 * c->nu)
            return mfr__err(err, MFR_E_FORMAT,
                            "%s: section users (offset %llu, %llu bytes) lies outside the file, "
                            "is not 64-byte aligned or is not 5 bytes a user",
                            path, (unsigned long long)off, (unsigned long long)len);
    }
    return MFR_OK;
}

static mfr_status check_data_crc(const char *path, const unsigned char *h, uint32_t got,
                                 mfr_error *err) {
    uint32_t stored = mfr__get32(h, MFD_OFF_DATA_CRC);
    if (stored != got)
        return mfr__err(err, MFR_E_FORMAT,
                        "%s: data checksum mismatch (stored %08x, computed %08x): the file is "
                        "corrupted",
                        path, stored, got);
    return MFR_OK;
}

static void *sec(unsigned char *base, int k) {
    return base + mfr__get64(base, MFD_OFF_TABLE + 16 * (size_t)k);
}

/* Point ds into the file's block. */
static void attach(mfr_dataset *ds, unsigned char *b, const counts *c) {
    ds->n_ratings = (int64_t)c->n;
    ds->n_users = (int32_t)c->nu;
    ds->n_items = (int32_t)c->ni;
    ds->n_catalog = (int32_t)c->nc;
    ds->n_tags = (int64_t)c->nt;
    ds->cat.strings_len = (int64_t)c->sl;
    ds->scale_min = mfr__getf(b, 36);
    ds->scale_max = mfr__getf(b, 40);
    ds->user = sec(b, MFD_USER);
    ds->item = sec(b, MFD_ITEM);
    ds->rating = sec(b, MFD_RATING);
    ds->time = c->has_time ? sec(b, MFD_TIME) : NULL;
    ds->user_ids = sec(b, MFD_USER_IDS);
    ds->item_ids = sec(b, MFD_ITEM_IDS);
    ds->cat.strings = sec(b, MFD_STRINGS);
    ds->cat.title_off = sec(b, MFD_TITLE_OFF);
    ds->cat.genres_off = sec(b, MFD_GENRES_OFF);
    ds->cat.year = sec(b, MFD_YEAR);
    ds->tag_item = sec(b, MFD_TAG_ITEM);
    ds->tag_user = sec(b, MFD_TAG_USER);
    ds->tag_off = sec(b, MFD_TAG_OFF);
    ds->cat.links = c->has_links ? sec(b, MFD_LINKS) : NULL;
    if (c->has_users) {
        unsigned char *u = b + mfr__get64(b, MFD_OFF_USERS);
        ds->user_age = (int16_t *)(void *)u;
        ds->user_occ = (int16_t *)(void *)(u + 2 * c->nu);
        ds->user_gender = (char *)(u + 4 * c->nu);
    }
    const int64_t *r = sec(b, MFD_REPORT);
    mfr_import_report *rep = &ds->report;
    rep->rows_read = r[0];
    rep->rows_kept = r[1];
    rep->bad_field_count = r[2];
    rep->bad_number = r[3];
    rep->bad_rating = r[4];
    rep->unknown_movie = r[5];
    rep->duplicates = r[6];
    rep->catalog_rows = r[7];
    rep->catalog_bad = r[8];
    rep->tags_rows = r[9];
    rep->tags_bad = r[10];
    rep->n_messages = 0; /* set as the messages are copied */
}

/* Every index and offset in range. Returns the name of what is wrong, or NULL. */
static const char *check_contents(const mfr_dataset *ds) {
    const mfr__catalog *cat = &ds->cat;
    int32_t bad;
    if (mfr__catalog_check(cat, ds->n_items, NULL, &bad) || cat->strings[0] != '\0')
        return bad >= 0 ? "catalogue string offset" : "string pool";
    if (mfr__first_out_of_range(ds->user, ds->n_ratings, 0, ds->n_users) >= 0 ||
        mfr__first_out_of_range(ds->item, ds->n_ratings, 0, ds->n_items) >= 0)
        return "rating index";
    if (mfr__first_out_of_range(ds->tag_item, ds->n_tags, 0, ds->n_items) >= 0 ||
        mfr__first_out_of_range(ds->tag_user, ds->n_tags, -1, ds->n_users) >= 0)
        return "tag";
    for (int64_t t = 0; t < ds->n_tags; t++)
        if (ds->tag_off[t] >= cat->strings_len) return "tag";
    for (int32_t u = 0; ds->user_age && u < ds->n_users; u++)
        if (ds->user_age[u] < 0 || ds->user_age[u] > 120 || ds->user_occ[u] < -1 ||
            (ds->user_gender[u] && ds->user_gender[u] != 'M' && ds->user_gender[u] != 'F'))
            return "user attribute";
    return NULL;
}

/* Copy the messages and build the id maps (each id once). */
static mfr_status finish_load(const char *path, mfr_dataset *ds, unsigned char *b, const counts *c,
                              mfr_error *err) {
    const char *m = sec(b, MFD_MESSAGES);
    uint64_t ml = mfr__get64(b, MFD_OFF_TABLE + 16 * MFD_MESSAGES + 8);
    if (c->nm) {
        ds->messages = mfr__calloc((size_t)c->nm, sizeof *ds->messages);
        if (!ds->messages) return mfr__nomem(err, "messages");
    }
    for (uint64_t k = 0, pos = 0; k < c->nm; k++) {
        const char *z = pos < ml ? memchr(m + pos, '\0', (size_t)(ml - pos)) : NULL;
        if (!z) return mfr__err(err, MFR_E_FORMAT, "%s: section messages is malformed", path);
        ds->messages[k] = mfr__strdup(m + pos);
        if (!ds->messages[k]) return mfr__nomem(err, "messages");
        ds->report.n_messages = (int32_t)k + 1;
        pos = (uint64_t)(z - m) + 1;
    }
    mfr_status rc = mfr__idmap_from_ids(&ds->user_map, ds->user_ids, ds->n_users, path, "user", err);
    if (!rc) rc = mfr__idmap_from_ids(&ds->item_map, ds->item_ids, ds->n_items, path, "movie", err);
    return rc;
}

/* Point ds into block b, check its contents and finish it (messages, id
 * maps, source). ratings 0: the rating sections were not read (a share's
 * reader; indices checked as they streamed past): no ratings, no times. */
static mfr_status attach_checked(const char *path, mfr_dataset *ds, unsigned char *b,
                                 const counts *c, int ratings, mfr_error *err) {
    attach(ds, b, c);
    if (!ratings) ds->n_ratings = 0, ds->time = NULL;
    const char *bad = check_contents(ds);
    if (bad) return mfr__err(err, MFR_E_FORMAT, "%s: %s out of range (inconsistent file)", path, bad);
    mfr_status rc = finish_load(path, ds, b, c, err);
    if (!rc && !(ds->source = mfr__strdup(path))) rc = mfr__nomem(err, "source");
    return rc;
}

mfr_status mfr__mfd_load(const char *path, mfr_dataset **out, mfr_error *err) {
    *out = NULL;
    void *base = NULL;
    uint64_t size = 0;
    mfr_status rc = mfr__bin_host_ok(path, err);
    if (!rc) rc = mfr__bin_read(path, MFD_HEADER_SIZE, &base, &size, err);
    if (rc) return rc;
    unsigned char *b = base;
    counts c;
    rc = check_header(path, b, size, err);
    if (!rc) rc = read_counts(path, b, size, &c, err);
    if (!rc) rc = check_table(path, b, size, &c, err);
    uint32_t crc = rc ? 0 : mfr__crc32(0, b + MFD_HEADER_SIZE, (size_t)(size - MFD_HEADER_SIZE));
    if (!rc) rc = check_data_crc(path, b, crc, err);
    mfr_dataset *ds = rc ? NULL : mfr__dataset_new();
    if (!rc && !ds) rc = mfr__nomem(err, "dataset");
    if (rc) {
        mfr__bin_free(base, size);
        return rc;
    }
    mfr__free(ds->cat.strings); /* the pool lives in the file's block */
    ds->map_base = base;
    ds->map_len = (size_t)size;
    if ((rc = attach_checked(path, ds, b, &c, 1, err))) {
        mfr_dataset_free(ds);
        return rc;
    }
    *out = ds;
    return MFR_OK;
}

/* ---- one rank's share (mfd_share.h) ---------------------------------------- */

#define SHARE_CHUNK ((size_t)1 << 20)   /* bytes a read in the first pass */
#define SHARE_VALUES ((int64_t)1 << 16) /* ratings a read in the later passes */

static mfr_status pread_full(int fd, void *buf, size_t n, uint64_t off, const char *path,
                             mfr_error *err) {
    for (size_t got = 0; got < n;) {
        ssize_t r = pread(fd, (char *)buf + got, n - got, (off_t)(off + got));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return mfr__err(err, MFR_E_IO, "%s: read failed: %s", path, strerror(errno));
        if (r == 0)
            return mfr__err(err, MFR_E_FORMAT, "%s: truncated while being read: the file changed",
                            path);
        got += (size_t)r;
    }
    return MFR_OK;
}

/* Bytes [pos, pos + n) of the file (in buf) into the block, except those
 * inside the skipped sections (their pages are never touched). */
static void copy_outside(unsigned char *block, const unsigned char *buf, uint64_t pos, uint64_t n,
                         const uint64_t skip[4][2]) {
    for (uint64_t x = pos, end = pos + n; x < end;) {
        int moved = 0;
        for (int k = 0; k < 4; k++)
            if (skip[k][0] <= x && x < skip[k][1]) x = skip[k][1], moved = 1;
        if (moved) continue;
        uint64_t next = end;
        for (int k = 0; k < 4; k++)
            if (skip[k][0] > x && skip[k][0] < next) next = skip[k][0];
        memcpy(block + x, buf + (x - pos), (size_t)(next - x));
        x = next;
    }
}

/* Counts the indices in bytes [a, b) of a user or item section (at off):
 * 0 when one is outside 0..rows-1. */
static int count_indices(const unsigned char *p, uint64_t bytes, int64_t *count, uint32_t rows) {
    for (uint64_t x = 0; x + 4 <= bytes; x += 4) {
        int32_t v;
        memcpy(&v, p + x, 4);
        if (v < 0 || (uint32_t)v >= rows) return 0;
        count[v]++;
    }
    return 1;
}

mfr_status mfr__mfd_share_open(const char *path, mfr__mfd_share *sh, mfr_error *err) {
    memset(sh, 0, sizeof *sh);
    sh->fd = -1;
    mfr_status rc = mfr__bin_host_ok(path, err);
    if (rc) return rc;
    if (!(sh->path = mfr__strdup(path))) return mfr__nomem(err, "share path");
    sh->fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (sh->fd < 0) return mfr__err(err, MFR_E_IO, "%s: cannot open: %s", path, strerror(errno));
    if (fstat(sh->fd, &st) != 0 || !S_ISREG(st.st_mode))
        return mfr__err(err, MFR_E_IO, "%s: not a readable file", path);
    uint64_t size = (uint64_t)st.st_size;
    if (size < MFD_HEADER_SIZE)
        return mfr__err(err, MFR_E_FORMAT, "%s: truncated: header needs %u bytes, file has %llu",
                        path, MFD_HEADER_SIZE, (unsigned long long)size);
    unsigned char *block = mfr__bin_alloc(size), *buf = mfr__malloc(SHARE_CHUNK);
    mfr_dataset *ds = block && buf ? mfr__dataset_new() : NULL;
    if (!ds) {
        mfr__bin_free(block, size), mfr__free(buf);
        return mfr__nomem(err, "share reader");
    }
    mfr__free(ds->cat.strings); /* the pool lives in the block */
    ds->cat.strings = NULL;
    ds->map_base = block;
    ds->map_len = (size_t)size;
    counts c;
    rc = pread_full(sh->fd, block, MFD_HEADER_SIZE, 0, path, err);
    if (!rc) rc = check_header(path, block, size, err);
    if (!rc) rc = read_counts(path, block, size, &c, err);
    if (!rc) rc = check_table(path, block, size, &c, err);
    if (!rc) {
        sh->user_count = mfr__calloc((size_t)c.nu + 1, sizeof *sh->user_count);
        sh->item_count = mfr__calloc((size_t)c.ni + 1, sizeof *sh->item_count);
        if (!sh->user_count || !sh->item_count) rc = mfr__nomem(err, "share counts");
    }
    uint64_t skip[4][2] = {{0, 0}, {0, 0}, {0, 0}, {0, 0}};
    const int ks[4] = {MFD_USER, MFD_ITEM, MFD_RATING, MFD_TIME};
    for (int k = 0; !rc && k < 4; k++) {
        skip[k][0] = mfr__get64(block, MFD_OFF_TABLE + 16 * (size_t)ks[k]);
        skip[k][1] = skip[k][0] + mfr__get64(block, MFD_OFF_TABLE + 16 * (size_t)ks[k] + 8);
        if (k < 3) sh->off[k] = skip[k][0];
    }
    uint32_t data_crc = mfr__crc32(0, NULL, 0);
    for (int k = 0; k < 3; k++) sh->crc[k] = mfr__crc32(0, NULL, 0);
    for (uint64_t pos = MFD_HEADER_SIZE; !rc && pos < size;) {
        size_t n = size - pos > SHARE_CHUNK ? SHARE_CHUNK : (size_t)(size - pos);
        if ((rc = pread_full(sh->fd, buf, n, pos, path, err))) break;
        data_crc = mfr__crc32(data_crc, buf, n);
        for (int k = 0; k < 3; k++) { /* the chunk's part of section k (4-byte values) */
            uint64_t a = skip[k][0] > pos ? skip[k][0] : pos;
            uint64_t b = skip[k][1] < pos + n ? skip[k][1] : pos + n;
            if (a >= b) continue;
            sh->crc[k] = mfr__crc32(sh->crc[k], buf + (a - pos), (size_t)(b - a));
            if (k < 2 && !count_indices(buf + (a - pos), b - a, k ? sh->item_count : sh->user_count,
                                        k ? (uint32_t)c.ni : (uint32_t)c.nu))
                rc = mfr__err(err, MFR_E_FORMAT, "%s: rating index out of range (inconsistent file)",
                              path);
        }
        copy_outside(block, buf, pos, n, skip);
        pos += n;
    }
    mfr__free(buf);
    if (!rc) rc = check_data_crc(path, block, data_crc, err);
    if (!rc) rc = attach_checked(path, ds, block, &c, 0, err); /* take fills the ratings */
    if (rc) {
        mfr_dataset_free(ds);
        return rc;
    }
    sh->ds = ds;
    sh->n = (int64_t)c.n;
    sh->n_users = (int32_t)c.nu;
    sh->n_items = (int32_t)c.ni;
    return MFR_OK;
}

mfr_status mfr__mfd_share_each(mfr__mfd_share *sh, mfr__mfd_chunk_fn fn, void *ctx,
                               mfr_error *err) {
    if (sh->text) return mfr__text_share_each(sh, fn, ctx, err);
    int32_t *u = mfr__malloc((size_t)SHARE_VALUES * 12), *it = u + SHARE_VALUES;
    float *r = (float *)(void *)(it + SHARE_VALUES);
    if (!u) return mfr__nomem(err, "share buffers");
    void *dst[3] = {u, it, r};
    uint32_t crc[3];
    for (int k = 0; k < 3; k++) crc[k] = mfr__crc32(0, NULL, 0);
    mfr_status rc = MFR_OK;
    for (int64_t j = 0; !rc && j < sh->n;) {
        int64_t n = sh->n - j > SHARE_VALUES ? SHARE_VALUES : sh->n - j;
        for (int k = 0; !rc && k < 3; k++) {
            rc = pread_full(sh->fd, dst[k], (size_t)n * 4, sh->off[k] + (uint64_t)j * 4, sh->path,
                            err);
            if (!rc) crc[k] = mfr__crc32(crc[k], dst[k], (size_t)n * 4);
        }
        if (!rc && (mfr__first_out_of_range(u, n, 0, sh->n_users) >= 0 ||
                    mfr__first_out_of_range(it, n, 0, sh->n_items) >= 0))
            rc = mfr__err(err, MFR_E_FORMAT, "%s: rating index out of range: the file changed",
                          sh->path);
        if (!rc) fn(ctx, u, it, r, mfr__share_unheld(sh->held, j, u, it, r, n, u, it, r));
        j += n;
    }
    mfr__free(u);
    if (!rc && memcmp(crc, sh->crc, sizeof crc) != 0)
        rc = mfr__err(err, MFR_E_FORMAT, "%s: the ratings changed while being read", sh->path);
    return rc;
}

typedef struct share_keep {
    mfr_dataset *ds;
    int32_t u0, u1, i0, i1;
    int64_t cap; /* the ratings the arrays hold */
    int over;    /* more than the first pass counted: the file changed */
} share_keep;

static void keep_chunk(void *ctx, const int32_t *u, const int32_t *it, const float *r, int64_t n) {
    share_keep *k = ctx;
    mfr_dataset *ds = k->ds;
    for (int64_t j = 0; j < n; j++) {
        if (!((u[j] >= k->u0 && u[j] < k->u1) || (it[j] >= k->i0 && it[j] < k->i1))) continue;
        if (ds->n_ratings == k->cap) {
            k->over = 1;
            continue;
        }
        ds->user[ds->n_ratings] = u[j];
        ds->item[ds->n_ratings] = it[j];
        ds->rating[ds->n_ratings++] = r[j];
    }
}

mfr_status mfr__mfd_share_take(mfr__mfd_share *sh, int32_t u0, int32_t u1, int32_t i0, int32_t i1,
                               mfr_dataset **out, mfr_error *err) {
    *out = NULL;
    if (!sh->ds) return mfr__err(err, MFR_E_INVALID, "share: already taken or not open");
    share_keep k = {sh->ds, u0, u1, i0, i1, sh->n, 0};
    mfr_dataset *ds = sh->ds;
    ds->n_ratings = 0; /* the kept ratings go to the sections' first bytes */
    if (!ds->user) { /* a text share: arrays for the ratings the counts say are kept */
        int64_t cap = 1;
        for (int32_t u = u0; u < u1; u++) cap += sh->user_count[u];
        for (int32_t i = i0; i < i1; i++) cap += sh->item_count[i];
        ds->user = mfr__malloc(sizeof *ds->user * (size_t)cap);
        ds->item = mfr__malloc(sizeof *ds->item * (size_t)cap);
        ds->rating = mfr__malloc(sizeof *ds->rating * (size_t)cap);
        if (!ds->user || !ds->item || !ds->rating) return mfr__nomem(err, "share ratings");
        k.cap = cap;
    }
    mfr_status rc = u0 < u1 || i0 < i1 ? mfr__mfd_share_each(sh, keep_chunk, &k, err) : MFR_OK;
    if (!rc && k.over)
        rc = mfr__err(err, MFR_E_FORMAT, "%s: the ratings changed while being read", sh->path);
    if (rc) return rc;
    *out = sh->ds;
    sh->ds = NULL;
    return MFR_OK;
}

/* Rows lo..hi-1 of one side, sized from the first pass's counts. */
static mfr_status rows_alloc(mfr__csr *c, const int64_t *count, int32_t lo, int32_t hi,
                             int64_t **fill, mfr_error *err) {
    memset(c, 0, sizeof *c);
    c->rows = hi - lo;
    c->ptr = mfr__calloc((size_t)c->rows + 1, sizeof *c->ptr);
    *fill = mfr__malloc(sizeof **fill * ((size_t)c->rows + 1));
    for (int32_t r = 0; c->ptr && r < c->rows; r++) c->ptr[r + 1] = c->ptr[r] + count[lo + r];
    c->nnz = c->ptr ? c->ptr[c->rows] : 0;
    c->idx = mfr__malloc(sizeof *c->idx * (size_t)(c->nnz > 0 ? c->nnz : 1));
    c->val = mfr__malloc(sizeof *c->val * (size_t)(c->nnz > 0 ? c->nnz : 1));
    if (!c->ptr || !*fill || !c->idx || !c->val) return mfr__nomem(err, "share rows");
    memcpy(*fill, c->ptr, sizeof **fill * ((size_t)c->rows + 1));
    return MFR_OK;
}

typedef struct share_rows {
    mfr__csr *c[2];
    int64_t *fill[2];
    int32_t lo[2];
    int over;
} share_rows;

static void rows_chunk(void *ctx, const int32_t *u, const int32_t *it, const float *r, int64_t n) {
    share_rows *s = ctx;
    for (int side = 0; side < 2; side++) {
        const int32_t *row = side ? it : u, *col = side ? u : it;
        mfr__csr *c = s->c[side];
        for (int64_t j = 0; j < n; j++) {
            int64_t x = (int64_t)row[j] - s->lo[side];
            if (x < 0 || x >= c->rows) continue;
            int64_t at = s->fill[side][x]++;
            if (at >= c->ptr[x + 1]) { /* more than the first pass counted */
                s->over = 1;
                continue;
            }
            c->idx[at] = col[j];
            c->val[at] = r[j];
        }
    }
}

mfr_status mfr__mfd_share_rows(mfr__mfd_share *sh, int32_t u0, int32_t u1, int32_t i0, int32_t i1,
                               mfr__csr *bu, mfr__csr *bi, mfr_error *err) {
    share_rows s = {{bu, bi}, {NULL, NULL}, {u0, i0}, 0};
    mfr_status rc = rows_alloc(bu, sh->user_count, u0, u1, &s.fill[0], err);
    if (!rc) rc = rows_alloc(bi, sh->item_count, i0, i1, &s.fill[1], err);
    if (!rc) rc = mfr__mfd_share_each(sh, rows_chunk, &s, err);
    if (!rc && s.over)
        rc = mfr__err(err, MFR_E_FORMAT, "%s: the ratings changed while being read", sh->path);
    mfr__free(s.fill[0]);
    mfr__free(s.fill[1]);
    if (rc) mfr__csr_free(bu), mfr__csr_free(bi);
    return rc;
}

int64_t mfr__share_unheld(const uint64_t *held, int64_t at, const int32_t *u, const int32_t *i,
                          const float *r, int64_t n, int32_t *ou, int32_t *oi, float *orr) {
    int64_t k = 0;
    for (int64_t j = 0; j < n; j++) {
        int64_t x = at + j;
        if (held && held[x >> 6] >> (x & 63) & 1) continue;
        ou[k] = u[j], oi[k] = i[j], orr[k] = r[j];
        k++;
    }
    return k;
}

typedef struct share_hold {
    const uint64_t *bits;
    int64_t at, cap;
    int32_t *u, *i;
    float *r;
    int64_t n_held;
    int64_t *cu, *ci; /* the rest's counts */
} share_hold;

static void hold_chunk(void *ctx, const int32_t *u, const int32_t *it, const float *r, int64_t n) {
    share_hold *h = ctx;
    for (int64_t j = 0; j < n; j++, h->at++) {
        if (!(h->bits[h->at >> 6] >> (h->at & 63) & 1)) {
            h->cu[u[j]]++, h->ci[it[j]]++;
        } else if (h->n_held < h->cap) {
            h->u[h->n_held] = u[j], h->i[h->n_held] = it[j], h->r[h->n_held++] = r[j];
        }
    }
}

mfr_status mfr__mfd_share_holdout(mfr__mfd_share *sh, double frac, uint64_t seed,
                                  mfr_ratings *va, mfr_error *err) {
    memset(va, 0, sizeof *va);
    share_hold h = {0};
    uint64_t *bits = NULL;
    mfr_status rc = mfr__holdout_bits(sh->n, frac, seed, &bits, &h.cap, err);
    if (rc) return rc;
    size_t c = (size_t)(h.cap > 0 ? h.cap : 1);
    h.bits = bits;
    h.u = mfr__malloc(sizeof *h.u * c), h.i = mfr__malloc(sizeof *h.i * c);
    h.r = mfr__malloc(sizeof *h.r * c);
    h.cu = mfr__calloc((size_t)sh->n_users + 1, sizeof *h.cu);
    h.ci = mfr__calloc((size_t)sh->n_items + 1, sizeof *h.ci);
    if (!h.u || !h.i || !h.r || !h.cu || !h.ci) rc = mfr__nomem(err, "validation split");
    if (!rc) rc = mfr__mfd_share_each(sh, hold_chunk, &h, err);
    if (!rc && h.n_held != h.cap)
        rc = mfr__err(err, MFR_E_FORMAT, "%s: the ratings changed while being read", sh->path);
    if (rc) {
        mfr__free(bits), mfr__free(h.u), mfr__free(h.i), mfr__free(h.r), mfr__free(h.cu), mfr__free(h.ci);
        return rc;
    }
    mfr__free(sh->user_count), mfr__free(sh->item_count);
    sh->user_count = h.cu, sh->item_count = h.ci;
    sh->held = bits;
    va->n = h.n_held, va->n_users = sh->n_users, va->n_items = sh->n_items;
    va->user = h.u, va->item = h.i, va->rating = h.r;
    return MFR_OK;
}

void mfr__mfd_share_close(mfr__mfd_share *sh) {
    mfr__free(sh->held);
    if (sh->fd >= 0) close(sh->fd);
    mfr_dataset_free(sh->ds);
    mfr__free(sh->user_count);
    mfr__free(sh->item_count);
    mfr__free(sh->path);
    memset(sh, 0, sizeof *sh);
    sh->fd = -1;
}
