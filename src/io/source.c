/* source.c — where a dataset's files come from: a folder, a .zip archive or
 * one single file, read sequentially in large chunks.
 *
 * A plain file is read with read() into the caller's buffer (no mmap, so the
 * file's pages never count in the process's RSS). A zip entry is found by
 * scanning the archive's headers with libarchive and then decompressed in
 * chunks with archive_read_data; each stream reopens the archive, so the
 * readers may take the files in any order. Inside a zip, the layout files may
 * sit at the top or inside one top folder ("ml-latest-small/ratings.csv");
 * mfr__zip_find records that folder as the source's prefix. A plain file
 * that starts with the gzip magic (1f 8b) is decompressed while it is read
 * (zlib's gzread over the same descriptor), so "ratings.csv.gz" works wherever
 * "ratings.csv" does. A zip entry or gzip file may unpack to at most
 * MFR__UNPACK_RATIO (32) times the compressed file's size or MFR__UNPACK_FLOOR
 * (16 MiB), whichever is larger; past that the read fails with MFR_E_LIMIT
 * (MovieLens zips unpack 3-5x; a 204 KB bomb used to take 831 MB).
 * Text helpers: UTF-8 validation and Latin-1 -> UTF-8 conversion, used for
 * catalogue and tags files ("UTF-8 when valid, else Latin-1", per file). */
#include "io_internal.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* The cap on what a compressed file of packed bytes may unpack to. */
static void set_unpack_limit(mfr__stream *st, uint64_t packed) {
    uint64_t lim = packed > UINT64_MAX / MFR__UNPACK_RATIO ? UINT64_MAX : packed * MFR__UNPACK_RATIO;
    st->packed = packed;
    st->unpack_limit = lim > MFR__UNPACK_FLOOR ? lim : MFR__UNPACK_FLOOR;
}

const char *mfr__base_name(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static struct archive *zip_open(const char *path) {
    struct archive *a = archive_read_new();
    if (!a) return NULL;
    archive_read_support_format_zip(a);
    if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
        archive_read_free(a);
        return NULL;
    }
    return a;
}

/* Advance a to the entry called want; 1 found, 0 not. */
static int zip_seek(struct archive *a, const char *want) {
    struct archive_entry *e;
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
        const char *n = archive_entry_pathname(e);
        if (n && strcmp(n, want) == 0) return 1;
    }
    return 0;
}

/* Is n equal to name, or "<one folder>/name" (not __MACOSX)? Returns the
 * prefix length, or -1. */
static int zip_match(const char *n, const char *name) {
    size_t ln = strlen(n), lm = strlen(name);
    if (strcmp(n, name) == 0) return 0;
    if (ln <= lm + 1 || strcmp(n + ln - lm, name) != 0 || n[ln - lm - 1] != '/') return -1;
    const char *slash = strchr(n, '/');
    if (slash != n + ln - lm - 1 || strncmp(n, "__MACOSX/", 9) == 0) return -1;
    return (int)(ln - lm);
}

const char *mfr__zip_find(mfr__src *s, const char *const *names, mfr_error *err) {
    struct archive *a = zip_open(s->path);
    if (!a) {
        mfr__err(err, MFR_E_IO, "%s: cannot open as a zip archive", s->path);
        return NULL;
    }
    const char *found = NULL;
    int best = 1 << 30;
    struct archive_entry *e;
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
        const char *n = archive_entry_pathname(e);
        for (int k = 0; n && names[k] && k < best; k++) {
            int plen = zip_match(n, names[k]);
            if (plen < 0 || plen >= (int)sizeof s->prefix) continue;
            memcpy(s->prefix, n, (size_t)plen);
            s->prefix[plen] = '\0';
            found = names[k];
            best = k;
        }
    }
    archive_read_free(a);
    if (!found) mfr__err(err, MFR_E_FORMAT, "%s: no ratings file inside the zip", s->path);
    return found;
}

int mfr__src_has(const mfr__src *s, const char *name) {
    char p[1200];
    if (s->kind == MFR__SRC_FILE) return name == NULL;
    if (s->kind == MFR__SRC_DIR) {
        snprintf(p, sizeof p, "%s/%s", s->path, name);
        /* lstat: a dangling link counts as present, so opening it reports
         * the I/O error instead of silently skipping the file */
        struct stat sb;
        if (stat(p, &sb) == 0) return S_ISREG(sb.st_mode);
        return lstat(p, &sb) == 0 && S_ISLNK(sb.st_mode);
    }
    struct archive *a = zip_open(s->path);
    if (!a) return 0;
    snprintf(p, sizeof p, "%s%s", s->prefix, name);
    int ok = zip_seek(a, p);
    archive_read_free(a);
    return ok;
}

mfr_status mfr__stream_open(const mfr__src *s, const char *name, mfr__stream *st, mfr_error *err) {
    memset(st, 0, sizeof *st);
    st->fd = -1;
    if (s->kind == MFR__SRC_ZIP) {
        snprintf(st->path, sizeof st->path, "%s:%s%s", s->path, s->prefix, name);
        snprintf(st->name, sizeof st->name, "%s", name);
        char inner[1200];
        snprintf(inner, sizeof inner, "%s%s", s->prefix, name);
        st->ar = zip_open(s->path);
        if (!st->ar) return mfr__err(err, MFR_E_IO, "%s: cannot open zip archive", s->path);
        if (!zip_seek(st->ar, inner)) {
            mfr__stream_close(st);
            return mfr__err(err, MFR_E_IO, "%s: no such file in the archive", st->path);
        }
        struct stat zb;
        set_unpack_limit(st, stat(s->path, &zb) == 0 ? (uint64_t)zb.st_size : 0);
        return MFR_OK;
    }
    if (s->kind == MFR__SRC_DIR)
        snprintf(st->path, sizeof st->path, "%s/%s", s->path, name);
    else
        snprintf(st->path, sizeof st->path, "%s", s->path);
    const char *bn = mfr__base_name(st->path);
    size_t bl = strlen(bn);
    if (bl >= sizeof st->name) bl = sizeof st->name - 1;
    memcpy(st->name, bn, bl);
    st->name[bl] = '\0';
    st->fd = open(st->path, O_RDONLY | O_CLOEXEC);
    if (st->fd < 0) return mfr__err(err, MFR_E_IO, "%s: %s", st->path, strerror(errno));
    struct stat sb;
    if (fstat(st->fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        mfr__stream_close(st);
        return mfr__err(err, MFR_E_IO, "%s: is a directory", st->path);
    }
    unsigned char magic[2];
    if (pread(st->fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
        st->gz = gzdopen(st->fd, "rb"); /* owns fd from here on */
        if (!st->gz) {
            mfr__stream_close(st);
            return mfr__nomem(err, "gzip stream");
        }
        st->fd = -1;
        set_unpack_limit(st, (uint64_t)sb.st_size);
    }
    return MFR_OK;
}

/* Count what a compressed stream gave: -1 once it passes its limit. */
static long count_unpacked(mfr__stream *st, long r) {
    if (r <= 0 || !st->unpack_limit) return r;
    st->unpacked += (uint64_t)r;
    return st->unpacked > st->unpack_limit ? -1 : r;
}

mfr_status mfr__stream_error(const mfr__stream *st, mfr_error *err) {
    if (st->unpack_limit && st->unpacked > st->unpack_limit)
        return mfr__err(err, MFR_E_LIMIT,
                        "%s: decompresses to more than %llu bytes (%u times its %llu compressed "
                        "bytes, at least %llu MiB): refused as a likely decompression bomb; "
                        "unpack it and import the plain files if it is genuine",
                        st->path, (unsigned long long)st->unpack_limit, MFR__UNPACK_RATIO,
                        (unsigned long long)st->packed,
                        (unsigned long long)(MFR__UNPACK_FLOOR >> 20));
    return mfr__err(err, MFR_E_IO, "%s: read error", st->path);
}

long mfr__stream_read(mfr__stream *st, void *buf, size_t n) {
    if (st->ar) {
        la_ssize_t r = archive_read_data(st->ar, buf, n);
        return r < 0 ? -1 : count_unpacked(st, (long)r);
    }
    if (st->gz) { /* a corrupt or truncated stream is a read error */
        int r = gzread((gzFile)st->gz, buf, n > (1u << 30) ? 1u << 30 : (unsigned)n), e = Z_OK;
        if (r == 0) gzerror((gzFile)st->gz, &e); /* Z_BUF_ERROR: cut short */
        return r < 0 || e != Z_OK ? -1 : count_unpacked(st, (long)r);
    }
    for (;;) {
        ssize_t r = read(st->fd, buf, n);
        if (r >= 0) return (long)r;
        if (errno != EINTR) return -1;
    }
}

void mfr__stream_close(mfr__stream *st) {
    if (st->ar) archive_read_free(st->ar);
    if (st->gz) gzclose((gzFile)st->gz);
    if (st->fd >= 0) close(st->fd);
    st->ar = NULL;
    st->gz = NULL;
    st->fd = -1;
}

/* Latin-1 -> UTF-8 (out holds 2*n+1 bytes). */
static size_t latin1_to_utf8(const char *in, size_t n, char *out) {
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c < 0x80) {
            out[o++] = (char)c;
        } else {
            out[o++] = (char)(0xC0 | (c >> 6));
            out[o++] = (char)(0x80 | (c & 0x3F));
        }
    }
    out[o] = '\0';
    return o;
}

/* Read the whole stream into a growing buffer. */
static mfr_status slurp_raw(mfr__stream *st, char **buf, size_t *len, mfr_error *err) {
    size_t cap = 1 << 16, n = 0;
    char *b = mfr__malloc(cap + 1);
    if (!b) return mfr__nomem(err, "file buffer");
    for (;;) {
        if (n == cap) {
            char *nb = cap > SIZE_MAX / 4 ? NULL : mfr__realloc(b, cap * 2 + 1);
            if (!nb) {
                mfr__free(b);
                return mfr__nomem(err, "file buffer");
            }
            b = nb;
            cap *= 2;
        }
        long r = mfr__stream_read(st, b + n, cap - n);
        if (r < 0) {
            mfr__free(b);
            return mfr__stream_error(st, err);
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    return MFR_OK;
}

mfr_status mfr__slurp_text(const mfr__src *s, const char *name, char **buf, size_t *len,
                           char *shown, size_t shown_cap, mfr_error *err) {
    mfr__stream st;
    *buf = NULL;
    *len = 0;
    mfr_status rc = mfr__stream_open(s, name, &st, err);
    if (rc) return rc;
    snprintf(shown, shown_cap, "%s", st.name);
    char *raw = NULL;
    size_t n = 0;
    rc = slurp_raw(&st, &raw, &n, err);
    mfr__stream_close(&st);
    if (rc) return rc;
    size_t skip = n >= 3 && memcmp(raw, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    if (mfr__utf8_valid(raw + skip, n - skip)) {
        if (skip) memmove(raw, raw + skip, n - skip + 1);
        *buf = raw;
        *len = n - skip;
        return MFR_OK;
    }
    char *u = mfr__malloc(2 * n + 1);
    if (!u) {
        mfr__free(raw);
        return mfr__nomem(err, "text conversion");
    }
    *len = latin1_to_utf8(raw, n, u);
    *buf = u;
    mfr__free(raw);
    return MFR_OK;
}
