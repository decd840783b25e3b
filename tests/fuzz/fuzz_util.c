/* fuzz_util.c — the helpers of fuzz.h. */
#include "fuzz.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef MFR_FIXTURES
#define MFR_FIXTURES ""
#endif

void fz_fail(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("fuzz: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

static char dir[512];

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

static void dir_remove(void) {
    if (dir[0]) nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *fz_dir(void) {
    if (dir[0]) return dir;
    struct stat sb;
    const char *base = stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) && access("/dev/shm", W_OK) == 0
                           ? "/dev/shm"
                           : (getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    snprintf(dir, sizeof dir, "%s/mfrec-fuzz-XXXXXX", base);
    if (!mkdtemp(dir)) fz_fail("mkdtemp %s: %s", dir, strerror(errno));
    atexit(dir_remove);
    return dir;
}

const char *fz_path(const char *name) {
    static char buf[4][640];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", fz_dir(), name);
    return buf[k];
}

void fz_write(const char *path, const void *data, size_t n) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) fz_fail("open %s: %s", path, strerror(errno));
    const char *p = data;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) fz_fail("write %s: %s", path, strerror(errno));
        p += w;
        n -= (size_t)w;
    }
    close(fd);
}

const char *fz_fixtures(void) {
    const char *d = getenv("MFR_FIXTURES");
    return d && *d ? d : MFR_FIXTURES;
}

void fz_copy_fixture(const char *rel, const char *path) {
    char src[1024];
    snprintf(src, sizeof src, "%s/%s", fz_fixtures(), rel);
    FILE *f = fopen(src, "rb");
    if (!f) fz_fail("fixture %s: %s (set MFR_FIXTURES)", src, strerror(errno));
    char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    fz_write(path, buf, n);
}

void fz_check_error(mfr_status st, const mfr_error *err, const char *what) {
    if (st == MFR_OK) return;
    if (memchr(err->message, 0, sizeof err->message) == NULL)
        fz_fail("%s: error message not NUL-terminated", what);
    if (!err->message[0]) fz_fail("%s: %s without a message", what, mfr_status_name(st));
    if (err->code != st) fz_fail("%s: returned %d but err.code %d", what, st, err->code);
}

static void check_str(const char *s, const char *what, int64_t k) {
    if (!s) fz_fail("%s %lld is NULL", what, (long long)k);
    volatile size_t n = strlen(s); /* reads to the NUL: out of bounds shows */
    (void)n;
}

void fz_walk_dataset(const mfr_dataset *ds) {
    mfr_dataset_stats st;
    mfr_dataset_stats_get(ds, &st);
    mfr_ratings r;
    mfr_dataset_ratings(ds, &r);
    if (r.n != st.n_ratings || r.n_users != st.n_users || r.n_items != st.n_items)
        fz_fail("ratings view (%lld, %d, %d) differs from the stats (%lld, %d, %d)", (long long)r.n,
                r.n_users, r.n_items, (long long)st.n_ratings, st.n_users, st.n_items);
    for (int64_t j = 0; j < r.n; j++) {
        if (r.user[j] < 0 || r.user[j] >= r.n_users || r.item[j] < 0 || r.item[j] >= r.n_items)
            fz_fail("rating %lld: index (%d, %d) out of range", (long long)j, r.user[j], r.item[j]);
    }
    for (int32_t u = 0; u < st.n_users; u++)
        if (mfr_dataset_user_index(ds, mfr_dataset_user_id(ds, u)) != u)
            fz_fail("user %d: id does not map back", u);
    for (int32_t i = 0; i < st.n_items; i++) {
        if (mfr_dataset_item_index(ds, mfr_dataset_item_id(ds, i)) != i)
            fz_fail("item %d: id does not map back", i);
        check_str(mfr_dataset_item_title(ds, i), "title", i);
        check_str(mfr_dataset_item_genres(ds, i), "genres", i);
        (void)mfr_dataset_item_year(ds, i);
    }
    for (int64_t t = 0; t < mfr_dataset_n_tags(ds); t++) {
        int32_t item, user;
        const char *text;
        mfr_dataset_tag(ds, t, &item, &user, &text);
        if (item < 0 || item >= st.n_items || user < -1 || user >= st.n_users)
            fz_fail("tag %lld: item %d / user %d out of range", (long long)t, item, user);
        check_str(text, "tag", t);
    }
    const mfr_import_report *rep = mfr_dataset_report(ds);
    for (int32_t k = 0; k < rep->n_messages; k++) check_str(mfr_dataset_message(ds, k), "message", k);
    check_str(mfr_dataset_source(ds), "source", 0);
}

int fz_roundtrip = 1;

uint32_t mfr__crc32(uint32_t crc, const void *buf, size_t len); /* src/core */

void fz_sample_roundtrip(const uint8_t *data, size_t size) {
    fz_roundtrip = mfr__crc32(0, data, size) % 8 == 0;
}

mfr_status fz_import(const char *path, const mfr_import_params *p) {
    mfr_dataset *ds = NULL;
    mfr_error err = {0};
    mfr_status st = mfr_dataset_import(path, p, &ds, &err);
    fz_check_error(st, &err, "import");
    if (getenv("MFR_FUZZ_VERBOSE"))
        fprintf(stderr, "  import: %s %s\n", mfr_status_name(st), st ? err.message : "");
    if (st != MFR_OK) {
        if (ds) fz_fail("import failed (%s) but returned a dataset", err.message);
        return st;
    }
    if (!ds) fz_fail("import succeeded without a dataset");
    fz_walk_dataset(ds);
    if (!fz_roundtrip) {
        mfr_dataset_free(ds);
        return st;
    }
    /* What the library accepted it must write, and read back the same. */
    const char *rt = fz_path("roundtrip.mfd");
    mfr_status sv = mfr_dataset_save(ds, rt, &err);
    if (sv != MFR_OK) fz_fail("save of an imported dataset: %s", err.message);
    mfr_dataset *back = NULL;
    sv = mfr_dataset_import(rt, NULL, &back, &err);
    if (sv != MFR_OK) fz_fail("reload of a saved dataset: %s", err.message);
    mfr_dataset_stats a, b;
    mfr_dataset_stats_get(ds, &a);
    mfr_dataset_stats_get(back, &b);
    if (a.n_ratings != b.n_ratings || a.n_users != b.n_users || a.n_items != b.n_items ||
        a.n_catalog != b.n_catalog || a.n_tags != b.n_tags)
        fz_fail("reloaded dataset differs: %lld ratings %d users %d items, was %lld %d %d",
                (long long)b.n_ratings, b.n_users, b.n_items, (long long)a.n_ratings, a.n_users,
                a.n_items);
    fz_walk_dataset(back);
    mfr_dataset_free(back);
    mfr_dataset_free(ds);
    return st;
}
