/* fault_vfs.h — an SQLite VFS for tests that wraps the default one and makes
 * its Nth xRead, xWrite or xSync fail (SQLITE_IOERR_READ / _WRITE / _FSYNC,
 * or SQLITE_FULL for a write: a full disk), once or from then on, until
 * disarmed. A test calls fault_vfs_install() once, before anything opens a
 * database: it registers the shim as the default VFS of the process, so the
 * library's own sqlite3_open_v2 (which names no VFS) goes through it with no
 * hook in the library. Only test binaries include this file.
 *
 * Every file method passes through to the wrapped file (io methods version 3:
 * WAL shared memory and memory-mapped I/O included, answered as absent for a
 * wrapped file with older methods); only the counted calls can fail.
 * Counters are atomic: the store's writer thread does the I/O while the test
 * thread arms and reads them. */
#ifndef MFR_TEST_FAULT_VFS_H
#define MFR_TEST_FAULT_VFS_H

#include <sqlite3.h>
#include <stdatomic.h>
#include <string.h>

/* FAULT_FULL: an xWrite that fails as on a full disk (SQLITE_FULL, what the
 * unix VFS answers for ENOSPC) rather than as an I/O error. */
enum { FAULT_READ, FAULT_WRITE, FAULT_SYNC, FAULT_FULL, FAULT__N };

static sqlite3_vfs *fault_real;           /* the wrapped default VFS */
static atomic_long fault_calls[FAULT__N]; /* calls seen per kind */
static atomic_long fault_at[FAULT__N];    /* call number that fails; -1: none */
static atomic_int fault_sticky[FAULT__N]; /* 1: every call from fault_at on fails */
static atomic_long fault_hits;            /* failures returned so far */

typedef struct fault_file {
    sqlite3_file base;
    sqlite3_file *real; /* follows this struct in the same block */
} fault_file;

/* Arm kind: call number n from now (0 = the next call) fails; sticky keeps
 * failing after it. */
static void fault_arm(int kind, long n, int sticky) {
    atomic_store(&fault_sticky[kind], sticky);
    atomic_store(&fault_at[kind], atomic_load(&fault_calls[kind]) + n);
}

static void fault_disarm(void) {
    for (int k = 0; k < FAULT__N; k++) atomic_store(&fault_at[k], -1);
}

static int fault_now(int kind) {
    long c = atomic_fetch_add(&fault_calls[kind], 1);
    long at = atomic_load(&fault_at[kind]);
    int hit = at >= 0 && (c == at || (c > at && atomic_load(&fault_sticky[kind])));
    if (hit) atomic_fetch_add(&fault_hits, 1);
    return hit;
}

#define REAL(f) (((fault_file *)(f))->real)

static int ff_close(sqlite3_file *f) {
    int rc = REAL(f)->pMethods ? REAL(f)->pMethods->xClose(REAL(f)) : SQLITE_OK;
    return rc;
}
static int ff_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off) {
    if (fault_now(FAULT_READ)) return SQLITE_IOERR_READ;
    return REAL(f)->pMethods->xRead(REAL(f), buf, n, off);
}
static int ff_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off) {
    if (fault_now(FAULT_WRITE)) return SQLITE_IOERR_WRITE;
    if (fault_now(FAULT_FULL)) return SQLITE_FULL;
    return REAL(f)->pMethods->xWrite(REAL(f), buf, n, off);
}
static int ff_truncate(sqlite3_file *f, sqlite3_int64 size) {
    return REAL(f)->pMethods->xTruncate(REAL(f), size);
}
static int ff_sync(sqlite3_file *f, int flags) {
    if (fault_now(FAULT_SYNC)) return SQLITE_IOERR_FSYNC;
    return REAL(f)->pMethods->xSync(REAL(f), flags);
}
static int ff_size(sqlite3_file *f, sqlite3_int64 *size) {
    return REAL(f)->pMethods->xFileSize(REAL(f), size);
}
static int ff_lock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xLock(REAL(f), l); }
static int ff_unlock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xUnlock(REAL(f), l); }
static int ff_reserved(sqlite3_file *f, int *out) {
    return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}
static int ff_fcntl(sqlite3_file *f, int op, void *arg) {
    return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}
static int ff_sector(sqlite3_file *f) { return REAL(f)->pMethods->xSectorSize(REAL(f)); }
static int ff_devchar(sqlite3_file *f) {
    return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}
/* Shared memory (io methods version 2) and memory-mapped reads (version 3):
 * a wrapped file whose methods are older has none; SQLite then does without
 * (no WAL, plain xRead). */
#define HAS(f, v) (REAL(f)->pMethods->iVersion >= (v))
static int ff_shm_map(sqlite3_file *f, int pg, int sz, int extend, void volatile **pp) {
    if (!HAS(f, 2)) return SQLITE_IOERR_SHMMAP;
    return REAL(f)->pMethods->xShmMap(REAL(f), pg, sz, extend, pp);
}
static int ff_shm_lock(sqlite3_file *f, int off, int n, int flags) {
    if (!HAS(f, 2)) return SQLITE_IOERR_SHMLOCK;
    return REAL(f)->pMethods->xShmLock(REAL(f), off, n, flags);
}
static void ff_shm_barrier(sqlite3_file *f) {
    if (HAS(f, 2)) REAL(f)->pMethods->xShmBarrier(REAL(f));
}
static int ff_shm_unmap(sqlite3_file *f, int del) {
    return HAS(f, 2) ? REAL(f)->pMethods->xShmUnmap(REAL(f), del) : SQLITE_OK;
}
static int ff_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **pp) {
    if (!HAS(f, 3)) { *pp = NULL; return SQLITE_OK; }
    return REAL(f)->pMethods->xFetch(REAL(f), off, n, pp);
}
static int ff_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p) {
    return HAS(f, 3) ? REAL(f)->pMethods->xUnfetch(REAL(f), off, p) : SQLITE_OK;
}
#undef HAS

static const sqlite3_io_methods fault_io = {
    3, ff_close, ff_read, ff_write, ff_truncate, ff_sync, ff_size, ff_lock, ff_unlock,
    ff_reserved, ff_fcntl, ff_sector, ff_devchar, ff_shm_map, ff_shm_lock, ff_shm_barrier,
    ff_shm_unmap, ff_fetch, ff_unfetch,
};

static int fv_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out) {
    fault_file *ff = (fault_file *)f;
    ff->real = (sqlite3_file *)(ff + 1);
    memset(ff->real, 0, (size_t)fault_real->szOsFile);
    int rc = fault_real->xOpen(fault_real, name, ff->real, flags, out);
    /* a failed open leaves pMethods NULL: SQLite then does not close it */
    ff->base.pMethods = ff->real->pMethods ? &fault_io : NULL;
    (void)vfs;
    return rc;
}
static int fv_delete(sqlite3_vfs *v, const char *n, int sync) {
    return fault_real->xDelete(fault_real, n, sync);
}
static int fv_access(sqlite3_vfs *v, const char *n, int flags, int *out) {
    return fault_real->xAccess(fault_real, n, flags, out);
}
static int fv_full(sqlite3_vfs *v, const char *n, int cap, char *out) {
    return fault_real->xFullPathname(fault_real, n, cap, out);
}
static void *fv_dlopen(sqlite3_vfs *v, const char *n) { return fault_real->xDlOpen(fault_real, n); }
static void fv_dlerror(sqlite3_vfs *v, int n, char *msg) { fault_real->xDlError(fault_real, n, msg); }
static void (*fv_dlsym(sqlite3_vfs *v, void *h, const char *s))(void) {
    return fault_real->xDlSym(fault_real, h, s);
}
static void fv_dlclose(sqlite3_vfs *v, void *h) { fault_real->xDlClose(fault_real, h); }
static int fv_random(sqlite3_vfs *v, int n, char *out) {
    return fault_real->xRandomness(fault_real, n, out);
}
static int fv_sleep(sqlite3_vfs *v, int us) { return fault_real->xSleep(fault_real, us); }
static int fv_time(sqlite3_vfs *v, double *t) { return fault_real->xCurrentTime(fault_real, t); }
static int fv_lasterr(sqlite3_vfs *v, int n, char *msg) {
    return fault_real->xGetLastError ? fault_real->xGetLastError(fault_real, n, msg) : 0;
}
static int fv_time64(sqlite3_vfs *v, sqlite3_int64 *t) {
    return fault_real->xCurrentTimeInt64(fault_real, t);
}

static sqlite3_vfs fault_vfs = {
    .iVersion = 2,
    .mxPathname = 0, /* from the real one at install */
    .zName = "mfr-fault",
    .xOpen = fv_open,
    .xDelete = fv_delete,
    .xAccess = fv_access,
    .xFullPathname = fv_full,
    .xDlOpen = fv_dlopen,
    .xDlError = fv_dlerror,
    .xDlSym = fv_dlsym,
    .xDlClose = fv_dlclose,
    .xRandomness = fv_random,
    .xSleep = fv_sleep,
    .xCurrentTime = fv_time,
    .xGetLastError = fv_lasterr,
    .xCurrentTimeInt64 = fv_time64,
};

/* Make the shim the process's default VFS (idempotent). 0 ok. */
static int fault_vfs_install(void) {
    if (fault_real) return 0;
    sqlite3_initialize();
    fault_real = sqlite3_vfs_find(NULL);
    if (!fault_real || fault_real->iVersion < 2) return -1;
    fault_vfs.szOsFile = (int)sizeof(fault_file) + fault_real->szOsFile;
    fault_vfs.mxPathname = fault_real->mxPathname;
    fault_disarm();
    return sqlite3_vfs_register(&fault_vfs, 1) == SQLITE_OK ? 0 : -1;
}

#undef REAL
#endif
