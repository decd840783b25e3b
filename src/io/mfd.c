/* mfd.c — writing and mapping the binary dataset file (.mfd).
 *
 * The layout is specified byte by byte in mfd.h. Saving streams the sections
 * through a 64 KiB buffer into a temporary file next to the target
 * (mkstemp), computing the data CRC on the way, then writes the header with
 * both CRCs, fsyncs and renames: a reader never sees a half-written file.
 * Loading maps the file read-only, checks the header, the section table and
 * both checksums, then every index and offset, and points the dataset's
 * arrays into the mapping (ds->map_base / map_len); mfr_dataset_free unmaps.
 * Only the id maps and the report messages are allocated. */
#include "io_internal.h"
#include "mfd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const sec_name[MFD_SECTIONS] = {
    "user",       "item", "rating",   "time",     "user_ids", "item_ids", "strings",  "title_off",
    "genres_off", "year", "tag_item", "tag_user", "tag_off",  "report",   "messages", "reserved"};

static int host_little_endian(void) {
    const uint16_t one = 1;
    return *(const unsigned char *)&one == 1;
}

static uint64_t align_up(uint64_t x) { return (x + MFD_ALIGN - 1) & ~(uint64_t)(MFD_ALIGN - 1); }

/* ---- writing ----------------------------------------------------------- */

typedef struct writer {
    int fd;
    uint64_t off; /* bytes of the data part written (after the header) */
    uint32_t crc;
    int failed; /* errno of the first failed write, or 0 */
    size_t n;
    unsigned char buf[1 << 16];
} writer;

static void wr_flush(writer *w) {
    const unsigned char *p = w->buf;
    size_t n = w->n;
    while (n && !w->failed) {
        ssize_t r = write(w->fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            w->failed = r < 0 ? errno : EIO;
            break;
        }
        p += r;
        n -= (size_t)r;
    }
    w->n = 0;
}

static void wr_put(writer *w, const void *data, size_t n) {
    const unsigned char *p = data;
    w->crc = mfr_crc32(w->crc, p, n);
    w->off += n;
    while (n) {
        size_t k = sizeof w->buf - w->n;
        if (k > n) k = n;
        memcpy(w->buf + w->n, p, k);
        w->n += k;
        p += k;
        n -= k;
        if (w->n == sizeof w->buf) wr_flush(w);
    }
}

static void wr_pad_to(writer *w, uint64_t file_off) {
    static const unsigned char zero[MFD_ALIGN];
    while (MFD_HEADER_SIZE + w->off < file_off) {
        uint64_t k = file_off - MFD_HEADER_SIZE - w->off;
        wr_put(w, zero, k > MFD_ALIGN ? MFD_ALIGN : (size_t)k);
    }
}

/* Section contents of ds: pointer and byte length. Report and messages are
 * serialised into the caller's buffers. */
static void sections_of(const mfr_dataset *ds, const void *ptr[MFD_SECTIONS],
                        uint64_t len[MFD_SECTIONS], int64_t report[MFD_REPORT_FIELDS],
                        uint64_t msg_len) {
    const mfr_import_report *r = &ds->report;
    int64_t v[MFD_REPORT_FIELDS] = {r->rows_read,  r->rows_kept,    r->bad_field_count,
                                    r->bad_number, r->bad_rating,   r->unknown_movie,
                                    r->duplicates, r->catalog_rows, r->catalog_bad,
                                    r->tags_rows,  r->tags_bad,     r->n_messages};
    memcpy(report, v, sizeof v);
    uint64_t n = (uint64_t)ds->n_ratings, nu = (uint64_t)ds->n_users, ni = (uint64_t)ds->n_items,
             nt = (uint64_t)ds->n_tags;
    const void *p[MFD_SECTIONS] = {ds->user,       ds->item,     ds->rating,   ds->time,
                                   ds->user_ids,   ds->item_ids, ds->strings,  ds->title_off,
                                   ds->genres_off, ds->year,     ds->tag_item, ds->tag_user,
                                   ds->tag_off,    report,       NULL,         NULL};
    uint64_t l[MFD_SECTIONS] = {4 * n,
                                4 * n,
                                4 * n,
                                ds->time ? 8 * n : 0,
                                8 * nu,
                                8 * ni,
                                (uint64_t)ds->strings_len,
                                4 * ni,
                                4 * ni,
                                2 * ni,
                                4 * nt,
                                4 * nt,
                                4 * nt,
                                8 * MFD_REPORT_FIELDS,
                                msg_len,
                                0};
    memcpy(ptr, p, sizeof p);
    memcpy(len, l, sizeof l);
}

static void put_u32(unsigned char *h, size_t off, uint32_t v) { memcpy(h + off, &v, 4); }
static void put_u64(unsigned char *h, size_t off, uint64_t v) { memcpy(h + off, &v, 8); }

static void fill_header(const mfr_dataset *ds, unsigned char h[MFD_HEADER_SIZE],
                        const uint64_t off[MFD_SECTIONS], const uint64_t len[MFD_SECTIONS],
                        uint64_t file_size, uint32_t data_crc) {
    memset(h, 0, MFD_HEADER_SIZE);
    memcpy(h, MFD_MAGIC, 4);
    put_u32(h, 4, MFD_VERSION);
    put_u32(h, 8, MFD_HEADER_SIZE);
    put_u32(h, 12, ds->time ? MFD_FLAG_TIME : 0);
    put_u64(h, 16, (uint64_t)ds->n_ratings);
    put_u32(h, 24, (uint32_t)ds->n_users);
    put_u32(h, 28, (uint32_t)ds->n_items);
    put_u32(h, 32, (uint32_t)ds->n_catalog);
    memcpy(h + 36, &ds->scale_min, 4);
    memcpy(h + 40, &ds->scale_max, 4);
    put_u32(h, 44, (uint32_t)ds->report.n_messages);
    put_u64(h, 48, (uint64_t)ds->n_tags);
    put_u64(h, 56, (uint64_t)ds->strings_len);
    put_u64(h, 64, file_size);
    for (int k = 0; k < MFD_SECTIONS; k++) {
        put_u64(h, MFD_OFF_TABLE + 16 * (size_t)k, off[k]);
        put_u64(h, MFD_OFF_TABLE + 16 * (size_t)k + 8, len[k]);
    }
    put_u32(h, MFD_OFF_DATA_CRC, data_crc);
    put_u32(h, MFD_OFF_HEADER_CRC, mfr_crc32(0, h, MFD_OFF_HEADER_CRC));
}

/* Write everything to the open temp file fd. 0 or an errno. */
static int write_all(const mfr_dataset *ds, int fd, writer *w) {
    const void *ptr[MFD_SECTIONS];
    uint64_t len[MFD_SECTIONS], off[MFD_SECTIONS], msg_len = 0;
    int64_t report[MFD_REPORT_FIELDS];
    for (int32_t i = 0; i < ds->report.n_messages; i++) msg_len += strlen(ds->messages[i]) + 1;
    sections_of(ds, ptr, len, report, msg_len);
    uint64_t pos = MFD_HEADER_SIZE;
    for (int k = 0; k < MFD_SECTIONS; k++) {
        pos = align_up(pos);
        off[k] = pos;
        pos += len[k];
    }
    unsigned char h[MFD_HEADER_SIZE];
    memset(h, 0, sizeof h);
    if (pwrite(fd, h, sizeof h, 0) != (ssize_t)sizeof h) return errno ? errno : EIO;
    if (lseek(fd, MFD_HEADER_SIZE, SEEK_SET) < 0) return errno;
    memset(w, 0, offsetof(writer, buf));
    w->fd = fd;
    for (int k = 0; k < MFD_SECTIONS; k++) {
        wr_pad_to(w, off[k]);
        if (k == MFD_MESSAGES) {
            for (int32_t i = 0; i < ds->report.n_messages; i++)
                wr_put(w, ds->messages[i], strlen(ds->messages[i]) + 1);
        } else if (len[k] && ptr[k]) {
            wr_put(w, ptr[k], (size_t)len[k]);
        } else if (len[k]) { /* an array a builder left NULL: all zero */
            wr_pad_to(w, off[k] + len[k]);
        }
    }
    wr_flush(w);
    if (w->failed) return w->failed;
    fill_header(ds, h, off, len, MFD_HEADER_SIZE + w->off, w->crc);
    if (pwrite(fd, h, sizeof h, 0) != (ssize_t)sizeof h) return errno ? errno : EIO;
    if (fsync(fd) != 0) return errno;
    return 0;
}

mfr_status mfr_dataset_save(const mfr_dataset *ds, const char *path, mfr_error *err) {
    if (!ds || !path || !*path) return mfr__err(err, MFR_E_INVALID, "save: no dataset or path");
    if (!host_little_endian())
        return mfr__err(err, MFR_E_UNSUPPORTED, "%s: .mfd files are little-endian only", path);
    size_t pl = strlen(path);
    char *tmp = mfr_malloc(pl + 16);
    writer *w = mfr_malloc(sizeof *w);
    if (!tmp || !w) {
        mfr_free(tmp);
        mfr_free(w);
        return mfr__nomem(err, "save buffers");
    }
    memcpy(tmp, path, pl);
    memcpy(tmp + pl, ".tmp-XXXXXX", 12);
    mfr_status rc = MFR_OK;
    int fd = mkstemp(tmp);
    if (fd < 0) {
        rc = mfr__err(err, MFR_E_IO, "%s: cannot create temporary file: %s", path, strerror(errno));
    } else {
        int e = fchmod(fd, 0644) ? errno : 0; /* mkstemp makes 0600; a dataset is shared like a model */
        if (!e) e = write_all(ds, fd, w);
        if (close(fd) != 0 && !e) e = errno;
        if (!e && rename(tmp, path) != 0) e = errno;
        if (e) {
            unlink(tmp);
            rc = mfr__err(err, MFR_E_IO, "%s: write failed: %s", path, strerror(e));
        }
    }
    mfr_free(tmp);
    mfr_free(w);
    return rc;
}

/* ---- loading ------------------------------------------------------------ */

static uint32_t get_u32(const unsigned char *h, size_t off) {
    uint32_t v;
    memcpy(&v, h + off, 4);
    return v;
}
static uint64_t get_u64(const unsigned char *h, size_t off) {
    uint64_t v;
    memcpy(&v, h + off, 8);
    return v;
}

/* Header checks up to the section table (the mapping is size bytes). */
static mfr_status check_header(const char *path, const unsigned char *h, uint64_t size,
                               mfr_error *err) {
    if (memcmp(h, MFD_MAGIC, 4) != 0)
        return mfr__err(err, MFR_E_FORMAT, "%s: not an mfrec dataset file (magic is not \"MFRD\")",
                        path);
    uint32_t ver = get_u32(h, 4);
    if (ver != MFD_VERSION)
        return mfr__err(err, MFR_E_FORMAT, "%s: format version %u, this build reads version %u",
                        path, ver, MFD_VERSION);
    if (get_u32(h, 8) != MFD_HEADER_SIZE)
        return mfr__err(err, MFR_E_FORMAT, "%s: header size %u, expected %u", path, get_u32(h, 8),
                        MFD_HEADER_SIZE);
    uint32_t stored = get_u32(h, MFD_OFF_HEADER_CRC), got = mfr_crc32(0, h, MFD_OFF_HEADER_CRC);
    if (stored != got)
        return mfr__err(err, MFR_E_FORMAT,
                        "%s: header checksum mismatch (stored %08x, computed %08x): the file is "
                        "corrupted",
                        path, stored, got);
    uint64_t want = get_u64(h, 64);
    if (want > size)
        return mfr__err(err, MFR_E_FORMAT, "%s: truncated: header says %llu bytes, file has %llu",
                        path, (unsigned long long)want, (unsigned long long)size);
    if (want < size)
        return mfr__err(err, MFR_E_FORMAT,
                        "%s: %llu trailing bytes after the %llu the header gives", path,
                        (unsigned long long)(size - want), (unsigned long long)want);
    return MFR_OK;
}

/* Counts from the header, checked for sign and size. */
typedef struct counts {
    uint64_t n, nu, ni, nc, nt, sl, nm;
    int has_time;
} counts;

static mfr_status read_counts(const char *path, const unsigned char *h, uint64_t size, counts *c,
                              mfr_error *err) {
    c->n = get_u64(h, 16);
    c->nu = get_u32(h, 24);
    c->ni = get_u32(h, 28);
    c->nc = get_u32(h, 32);
    c->nm = get_u32(h, 44);
    c->nt = get_u64(h, 48);
    c->sl = get_u64(h, 56);
    c->has_time = (get_u32(h, 12) & MFD_FLAG_TIME) != 0;
    if (c->n > INT32_MAX || c->nu > INT32_MAX || c->ni > INT32_MAX || c->nc > c->ni ||
        c->nt > size || c->sl > UINT32_MAX || c->sl < 1 || c->nm > INT32_MAX)
        return mfr__err(err, MFR_E_FORMAT, "%s: header counts out of range", path);
    return MFR_OK;
}

static mfr_status check_sections(const char *path, const unsigned char *h, uint64_t size,
                                 const counts *c, mfr_error *err) {
    const uint64_t want[MFD_SECTIONS] = {4 * c->n,   4 * c->n,
                                         4 * c->n,   c->has_time ? 8 * c->n : 0,
                                         8 * c->nu,  8 * c->ni,
                                         c->sl,      4 * c->ni,
                                         4 * c->ni,  2 * c->ni,
                                         4 * c->nt,  4 * c->nt,
                                         4 * c->nt,  8 * MFD_REPORT_FIELDS,
                                         UINT64_MAX, 0};
    for (int k = 0; k < MFD_SECTIONS; k++) {
        uint64_t off = get_u64(h, MFD_OFF_TABLE + 16 * (size_t)k);
        uint64_t len = get_u64(h, MFD_OFF_TABLE + 16 * (size_t)k + 8);
        if (off % MFD_ALIGN || off < MFD_HEADER_SIZE || off > size || len > size - off)
            return mfr__err(err, MFR_E_FORMAT,
                            "%s: section %s (offset %llu, %llu bytes) lies "
                            "outside the file or is not 64-byte aligned",
                            path, sec_name[k], (unsigned long long)off, (unsigned long long)len);
        if (want[k] != UINT64_MAX && len != want[k])
            return mfr__err(err, MFR_E_FORMAT, "%s: section %s has %llu bytes, expected %llu", path,
                            sec_name[k], (unsigned long long)len, (unsigned long long)want[k]);
    }
    uint32_t stored = get_u32(h, MFD_OFF_DATA_CRC);
    uint32_t got = mfr_crc32(0, h + MFD_HEADER_SIZE, (size_t)(size - MFD_HEADER_SIZE));
    if (stored != got)
        return mfr__err(err, MFR_E_FORMAT,
                        "%s: data checksum mismatch (stored %08x, computed %08x): the file is "
                        "corrupted",
                        path, stored, got);
    return MFR_OK;
}

static const void *sec(const unsigned char *base, int k) {
    return base + get_u64(base, MFD_OFF_TABLE + 16 * (size_t)k);
}

/* Point ds into the mapping. */
static void attach(mfr_dataset *ds, const unsigned char *b, const counts *c) {
    ds->n_ratings = (int64_t)c->n;
    ds->n_users = (int32_t)c->nu;
    ds->n_items = (int32_t)c->ni;
    ds->n_catalog = (int32_t)c->nc;
    ds->n_tags = (int64_t)c->nt;
    ds->strings_len = (int64_t)c->sl;
    memcpy(&ds->scale_min, b + 36, 4);
    memcpy(&ds->scale_max, b + 40, 4);
    ds->user = (int32_t *)sec(b, MFD_USER);
    ds->item = (int32_t *)sec(b, MFD_ITEM);
    ds->rating = (float *)sec(b, MFD_RATING);
    ds->time = c->has_time ? (int64_t *)sec(b, MFD_TIME) : NULL;
    ds->user_ids = (int64_t *)sec(b, MFD_USER_IDS);
    ds->item_ids = (int64_t *)sec(b, MFD_ITEM_IDS);
    ds->strings = (char *)sec(b, MFD_STRINGS);
    ds->title_off = (uint32_t *)sec(b, MFD_TITLE_OFF);
    ds->genres_off = (uint32_t *)sec(b, MFD_GENRES_OFF);
    ds->year = (int16_t *)sec(b, MFD_YEAR);
    ds->tag_item = (int32_t *)sec(b, MFD_TAG_ITEM);
    ds->tag_user = (int32_t *)sec(b, MFD_TAG_USER);
    ds->tag_off = (uint32_t *)sec(b, MFD_TAG_OFF);
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
    if (ds->strings[0] != '\0' || ds->strings[ds->strings_len - 1] != '\0') return "string pool";
    for (int64_t j = 0; j < ds->n_ratings; j++)
        if ((uint32_t)ds->user[j] >= (uint32_t)ds->n_users ||
            (uint32_t)ds->item[j] >= (uint32_t)ds->n_items)
            return "rating index";
    for (int32_t i = 0; i < ds->n_items; i++)
        if (ds->title_off[i] >= ds->strings_len || ds->genres_off[i] >= ds->strings_len)
            return "catalogue string offset";
    for (int64_t t = 0; t < ds->n_tags; t++)
        if ((uint32_t)ds->tag_item[t] >= (uint32_t)ds->n_items || ds->tag_user[t] < -1 ||
            ds->tag_user[t] >= ds->n_users || ds->tag_off[t] >= ds->strings_len)
            return "tag";
    return NULL;
}

/* Copy the messages and build the id maps. */
static mfr_status finish_load(const char *path, mfr_dataset *ds, const unsigned char *b,
                              const counts *c, mfr_error *err) {
    const char *m = sec(b, MFD_MESSAGES);
    uint64_t ml = get_u64(b, MFD_OFF_TABLE + 16 * MFD_MESSAGES + 8);
    if (c->nm) {
        ds->messages = mfr_calloc((size_t)c->nm, sizeof *ds->messages);
        if (!ds->messages) return mfr__nomem(err, "messages");
    }
    for (uint64_t k = 0, pos = 0; k < c->nm; k++) {
        const char *z = pos < ml ? memchr(m + pos, '\0', (size_t)(ml - pos)) : NULL;
        if (!z) return mfr__err(err, MFR_E_FORMAT, "%s: section messages is malformed", path);
        ds->messages[k] = mfr_strdup(m + pos);
        if (!ds->messages[k]) return mfr__nomem(err, "messages");
        ds->report.n_messages = (int32_t)k + 1;
        pos = (uint64_t)(z - m) + 1;
    }
    if (mfr_idmap_init(&ds->user_map, c->nu, err) || mfr_idmap_init(&ds->item_map, c->ni, err))
        return mfr__nomem(err, "id maps");
    for (int32_t u = 0; u < ds->n_users; u++) {
        int32_t v = mfr_idmap_put(&ds->user_map, ds->user_ids[u], u);
        if (v == -2) return mfr__nomem(err, "id maps");
        if (v != u)
            return mfr__err(err, MFR_E_FORMAT, "%s: user id %lld appears twice", path,
                            (long long)ds->user_ids[u]);
    }
    for (int32_t i = 0; i < ds->n_items; i++) {
        int32_t v = mfr_idmap_put(&ds->item_map, ds->item_ids[i], i);
        if (v == -2) return mfr__nomem(err, "id maps");
        if (v != i)
            return mfr__err(err, MFR_E_FORMAT, "%s: movie id %lld appears twice", path,
                            (long long)ds->item_ids[i]);
    }
    return MFR_OK;
}

/* Map the whole file; MFR_E_IO / MFR_E_FORMAT (too short). */
static mfr_status map_file(const char *path, void **base, uint64_t *size, mfr_error *err) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return mfr__err(err, MFR_E_IO, "%s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        close(fd);
        return mfr__err(err, MFR_E_IO, "%s: %s", path, strerror(errno));
    }
    *size = (uint64_t)sb.st_size;
    if (*size < MFD_HEADER_SIZE) {
        close(fd);
        return mfr__err(err, MFR_E_FORMAT, "%s: truncated: %llu bytes, the header alone needs %u",
                        path, (unsigned long long)*size, MFD_HEADER_SIZE);
    }
    *base = mmap(NULL, (size_t)*size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (*base == MAP_FAILED) return mfr__err(err, MFR_E_IO, "%s: mmap: %s", path, strerror(errno));
    return MFR_OK;
}

mfr_status mfr__mfd_load(const char *path, mfr_dataset **out, mfr_error *err) {
    *out = NULL;
    if (!host_little_endian())
        return mfr__err(err, MFR_E_UNSUPPORTED, "%s: .mfd files are little-endian only", path);
    void *base = NULL;
    uint64_t size = 0;
    mfr_status rc = map_file(path, &base, &size, err);
    if (rc) return rc;
    const unsigned char *b = base;
    counts c;
    rc = check_header(path, b, size, err);
    if (!rc) rc = read_counts(path, b, size, &c, err);
    if (!rc) rc = check_sections(path, b, size, &c, err);
    mfr_dataset *ds = rc ? NULL : mfr__dataset_new();
    if (!rc && !ds) rc = mfr__nomem(err, "dataset");
    if (rc) {
        munmap(base, (size_t)size);
        return rc;
    }
    mfr_free(ds->strings); /* the pool lives in the mapping */
    ds->map_base = base;
    ds->map_len = (size_t)size;
    attach(ds, b, &c);
    const char *bad = check_contents(ds);
    if (bad) rc = mfr__err(err, MFR_E_FORMAT, "%s: %s out of range (inconsistent file)", path, bad);
    if (!rc) rc = finish_load(path, ds, b, &c, err);
    if (!rc && !(ds->source = mfr_strdup(path))) rc = mfr__nomem(err, "source");
    if (rc) {
        mfr_dataset_free(ds);
        return rc;
    }
    *out = ds;
    return MFR_OK;
}
