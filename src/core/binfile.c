/* binfile.c — what the .mfd and .mfm files share (see binfile.h): section
 * layout, payload CRC, atomic save, reading a file into owned memory, and
 * the loaders' consistency checks. */
#include "binfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const unsigned char zeros[4096];

mfr_status mfr__bin_host_ok(const char *path, mfr_error *err) {
    const uint16_t one = 1;
    if (*(const unsigned char *)&one == 1) return MFR_OK;
    return mfr__err(err, MFR_E_UNSUPPORTED, "%s: mfrec's binary files are little-endian only",
                    path);
}

/* ---- writing ---------------------------------------------------------- */

uint64_t mfr__bsec_layout(mfr__bsec *s, int n, uint64_t data_off) {
    uint64_t cur = data_off;
    for (int j = 0; j < n; j++) {
        s[j].off = mfr__align64(cur);
        cur = s[j].off + s[j].size;
    }
    return cur;
}

static uint32_t crc_zeros(uint32_t crc, uint64_t n) {
    for (; n > 0; n -= n > sizeof zeros ? sizeof zeros : n)
        crc = mfr__crc32(crc, zeros, n > sizeof zeros ? sizeof zeros : (size_t)n);
    return crc;
}

uint32_t mfr__bsec_crc(const mfr__bsec *s, int n, uint64_t data_off) {
    uint32_t crc = mfr__crc32(0, NULL, 0);
    uint64_t pos = data_off;
    for (int j = 0; j < n; j++) {
        crc = crc_zeros(crc, s[j].off - pos);
        if (s[j].streamed) crc = mfr__crc32_combine(crc, s[j].crc, s[j].size);
        else if (s[j].data) crc = mfr__crc32(crc, s[j].data, (size_t)s[j].size);
        else crc = crc_zeros(crc, s[j].size);
        pos = s[j].off + s[j].size;
    }
    return crc;
}

/* 0 or an errno: n bytes of data (NULL: zeros) at off. */
static int write_at(int fd, uint64_t off, const void *data, uint64_t n) {
    const unsigned char *p = data;
    while (n > 0) {
        size_t want = n > (1u << 30) ? (1u << 30) : (size_t)n;
        if (!data && want > sizeof zeros) want = sizeof zeros;
        ssize_t w = pwrite(fd, data ? (const void *)p : zeros, want, (off_t)off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return w < 0 ? errno : EIO;
        if (data) p += w;
        off += (uint64_t)w;
        n -= (uint64_t)w;
    }
    return 0;
}

/* fsync the folder holding path, so the rename itself is durable. */
static int sync_dir(const char *path) {
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash) snprintf(dir, sizeof dir, ".");
    else if (slash == path) snprintf(dir, sizeof dir, "/");
    else if ((size_t)(slash - path) < sizeof dir) snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    else return 0;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return 0; /* the rename happened; a folder we cannot open stays unsynced */
    int e = fsync(fd) != 0 && errno != EINVAL ? errno : 0;
    close(fd);
    return e;
}

static mfr_status write_failed(const char *path, int e, mfr_error *err) {
    return mfr__err(err, MFR_E_IO, "%s: write failed: %s", path, strerror(e));
}

mfr_status mfr__bin_out_open(mfr__bin_out *o, const char *path, mfr_error *err) {
    *o = (mfr__bin_out){path, NULL, -1};
    size_t pl = strlen(path);
    if (pl > 4000) return mfr__err(err, MFR_E_INVALID, "%s: path too long", path);
    char *tmp = mfr__malloc(pl + 16);
    if (!tmp) return mfr__nomem(err, "save path");
    memcpy(tmp, path, pl);
    memcpy(tmp + pl, ".tmp-XXXXXX", 12);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        mfr__free(tmp);
        return mfr__err(err, MFR_E_IO, "%s: cannot create a temporary file beside it: %s", path,
                        strerror(e));
    }
    o->tmp = tmp, o->fd = fd;
    /* mkstemp makes 0600; models and datasets are shared like any data file */
    if (fchmod(fd, 0644) != 0) {
        int e = errno;
        mfr__bin_out_abort(o);
        return write_failed(path, e, err);
    }
    return MFR_OK;
}

mfr_status mfr__bin_out_at(mfr__bin_out *o, uint64_t off, const void *data, uint64_t n,
                           mfr_error *err) {
    int e = write_at(o->fd, off, data, n);
    return e ? write_failed(o->path, e, err) : MFR_OK;
}

mfr_status mfr__bin_out_sections(mfr__bin_out *o, uint64_t head_len, const mfr__bsec *s, int n,
                                 mfr_error *err) {
    uint64_t pos = head_len;
    int e = 0;
    for (int j = 0; j < n && !e; j++) {
        e = write_at(o->fd, pos, NULL, s[j].off - pos);
        if (!e && !s[j].streamed) e = write_at(o->fd, s[j].off, s[j].data, s[j].size);
        pos = s[j].off + s[j].size;
    }
    return e ? write_failed(o->path, e, err) : MFR_OK;
}

mfr_status mfr__bin_out_commit(mfr__bin_out *o, mfr_error *err) {
    int e = fsync(o->fd) != 0 ? errno : 0;
    if (close(o->fd) != 0 && !e) e = errno;
    o->fd = -1;
    if (!e && rename(o->tmp, o->path) != 0) e = errno;
    if (e) unlink(o->tmp);
    else e = sync_dir(o->path);
    mfr__free(o->tmp);
    o->tmp = NULL;
    return e ? write_failed(o->path, e, err) : MFR_OK;
}

void mfr__bin_out_abort(mfr__bin_out *o) {
    if (o->fd >= 0) close(o->fd);
    if (o->tmp) unlink(o->tmp);
    mfr__free(o->tmp);
    *o = (mfr__bin_out){o->path, NULL, -1};
}

mfr_status mfr__bin_save(const char *path, const void *head, size_t head_len, const mfr__bsec *s,
                         int n, mfr_error *err) {
    mfr__bin_out o;
    mfr_status st = mfr__bin_out_open(&o, path, err);
    if (!st) st = mfr__bin_out_at(&o, 0, head, head_len, err);
    if (!st) st = mfr__bin_out_sections(&o, head_len, s, n, err);
    if (!st) return mfr__bin_out_commit(&o, err);
    mfr__bin_out_abort(&o);
    return st;
}

/* ---- reading ---------------------------------------------------------- */

void *mfr__bin_alloc(uint64_t n) {
    /* anonymous pages of our own, handed back whole on free: malloc would
     * keep a freed block this size in its heap (glibc raises its mmap
     * threshold after the first one), growing a process that reloads */
    if (n > SIZE_MAX - MFR_BIN_ALIGN || mfr__alloc_injected_failure()) return NULL;
    void *p = mmap(NULL, (size_t)(n ? n : 1), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

mfr_status mfr__bin_read(const char *path, uint64_t min_len, void **data, uint64_t *len,
                         mfr_error *err) {
    *data = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return mfr__err(err, MFR_E_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int e = errno;
        close(fd);
        return mfr__err(err, MFR_E_IO, "%s: not a readable file%s%s", path, e ? ": " : "",
                        e ? strerror(e) : "");
    }
    uint64_t n = (uint64_t)st.st_size;
    if (n < min_len) {
        close(fd);
        return mfr__err(err, MFR_E_FORMAT, "%s: truncated: header needs %llu bytes, file has %llu",
                        path, (unsigned long long)min_len, (unsigned long long)n);
    }
    if (n > SIZE_MAX - MFR_BIN_ALIGN) {
        close(fd);
        return mfr__err(err, MFR_E_LIMIT, "%s: %llu bytes do not fit in memory", path,
                        (unsigned long long)n);
    }
    void *p = mfr__bin_alloc(n);
    if (!p) {
        close(fd);
        return mfr__nomem(err, "file contents");
    }
    unsigned char *b = p;
    /* a hint (transparent huge pages in "madvise" mode, Debian's default):
     * 2 MiB faults instead of 4 KiB ones; bench_load on the 16 MB default
     * model: 10.4 ms of CPU at best instead of 14.8 (mapping the file: 7.3) */
    if (n >= (2u << 20)) madvise(p, (size_t)n, MADV_HUGEPAGE);
    uint64_t got = 0;
    int e = 0;
    while (got < n) {
        size_t want = n - got > (1u << 30) ? (1u << 30) : (size_t)(n - got);
        ssize_t r = read(fd, b + got, want);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) e = errno;
        if (r <= 0) break;
        got += (uint64_t)r;
    }
    close(fd);
    if (e || got < n) {
        mfr__bin_free(b, n);
        if (e) return mfr__err(err, MFR_E_IO, "%s: read failed: %s", path, strerror(e));
        return mfr__err(err, MFR_E_FORMAT,
                        "%s: truncated while being read (%llu of %llu bytes): the file changed",
                        path, (unsigned long long)got, (unsigned long long)n);
    }
    *data = b;
    *len = n;
    return MFR_OK;
}

void mfr__bin_free(void *data, uint64_t len) {
    if (data) munmap(data, (size_t)(len ? len : 1));
}

void mfr__bin_discard(void *p, uint64_t len) {
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t lo = ((uintptr_t)p + page - 1) / page * page, hi = ((uintptr_t)p + len) / page * page;
    if (p && hi > lo) madvise((void *)lo, (size_t)(hi - lo), MADV_DONTNEED);
}

/* ---- consistency checks ----------------------------------------------- */

int mfr__bsec_inside(uint64_t off, uint64_t size, uint64_t min_off, uint64_t len) {
    return off % MFR_BIN_ALIGN == 0 && off >= min_off && off <= len && size <= len - off;
}

int64_t mfr__first_out_of_range(const int32_t *v, int64_t n, int32_t lo, int32_t hi) {
    for (int64_t j = 0; j < n; j++)
        if (v[j] < lo || v[j] >= hi) return j;
    return -1;
}

const char *mfr__csr_check(const int64_t *ptr, int64_t rows, int64_t nnz, const int32_t *idx,
                           int32_t hi, int64_t max_len, int64_t *bad_row) {
    *bad_row = 0;
    if (rows < 0 || nnz < 0 || ptr[0] != 0 || ptr[rows] != nnz) return "row pointers";
    for (int64_t r = 0; r < rows; r++) {
        *bad_row = r;
        int64_t a = ptr[r], b = ptr[r + 1];
        /* a <= b <= nnz, checked before any subtraction or index */
        if (b < a || b > nnz) return "row pointers";
        if (max_len >= 0 && b - a > max_len) return "row length";
        if (!idx) continue;
        for (int64_t t = a; t < b; t++) {
            if (idx[t] < 0 || idx[t] >= hi) return "index out of range";
            if (t > a && idx[t] <= idx[t - 1]) return "unsorted or repeated index";
        }
    }
    return NULL;
}

mfr_status mfr__idmap_from_ids(mfr__idmap *m, const int64_t *ids, int32_t n, const char *source,
                               const char *what, mfr_error *err) {
    mfr__idmap_free(m);
    if (mfr__idmap_init(m, n > 0 ? (uint64_t)n : 0, err)) return mfr__nomem(err, "id map");
    for (int32_t j = 0; j < n; j++) {
        int32_t v = mfr__idmap_put(m, ids[j], j);
        if (v == -2) return mfr__nomem(err, "id map");
        if (v != j)
            return mfr__err(err, MFR_E_FORMAT, "%s: %s id %lld appears twice (indices %d and %d)",
                            source ? source : "model", what, (long long)ids[j], (int)v, (int)j);
    }
    return MFR_OK;
}
