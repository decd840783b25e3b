/* import.c — mfr_dataset_import: parameters, layout detection, dispatch.
 *
 * Detection by path:
 *   folder -> the first of ratings.csv (MovieLens CSV), u.data (ml-100k),
 *             ratings.dat (ml-1m / ml-10m) found in it;
 *   file starting "PK\3\4" or named *.zip -> the same search inside the
 *             archive, at its top or inside one top folder;
 *   file starting "MFRD" -> binary dataset (.mfd, see mfd.h);
 *   any other file -> by name (a ".gz" suffix dropped: gzip files are
 *             read through zlib): ratings.csv, u.data / *.base / *.test,
 *             ratings.dat; otherwise a generic delimited file (delimiter
 *             sniffed from the first line unless given: "::", tab, ',', ';',
 *             '|', the most frequent wins).
 *   params.format other than AUTO forces the reader for a single file.
 *   A generic file's field count comes from its first line; when that line
 *   has no field for col_time (e.g. "user,item,rating" with the default
 *   columns), the data has no timestamps.
 *
 * Rating scale (ds->scale_min..max, also the validation range unless the
 * params give rating_min/rating_max, which then win): 0.5..5 for MovieLens
 * CSV; 1..5 for ml-100k; for .dat files 0.5..5 is accepted and the scale is
 * 1..5 when every kept rating is a whole number (ml-1m), else 0.5..5 (ml-10m);
 * generic files are not range-checked and take the data's own min..max.
 * A generic file without a rating column (columns "user,item") is implicit
 * data: every row is a rating of 1. params.movies_path gives a single
 * ratings file its catalogue (read by its name: movies.csv, u.item, *.dat). */
#include "io_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

mfr_import_params mfr_import_params_default(void) {
    mfr_import_params p;
    memset(&p, 0, sizeof p);
    p.format = MFR_FMT_AUTO;
    p.header = -1;
    p.col_user = 0;
    p.col_item = 1;
    p.col_rating = 2;
    p.col_time = 3;
    p.load_catalog = 1;
    p.load_tags = 1;
    p.max_messages = 20;
    return p;
}

mfr_status mfr_import_params_set_columns(mfr_import_params *p, const char *spec, mfr_error *err) {
    int col[4] = {-1, -1, -1, -1}, k = 0;
    static const char *const names[4] = {"user", "item", "rating", "timestamp"};
    for (const char *s = spec; s && *s; k++) {
        const char *e = strchr(s, ',');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        int which = -2;
        for (int j = 0; j < 4; j++)
            if (strlen(names[j]) == n && strncmp(s, names[j], n) == 0) which = j;
        if (n == 4 && strncmp(s, "skip", 4) == 0) which = -1;
        if (which == -2)
            return mfr__err(err, MFR_E_INVALID,
                            "columns \"%s\": unknown name \"%.*s\" (use user, item, rating, "
                            "timestamp or skip)",
                            spec, (int)n, s);
        if (which >= 0 && col[which] >= 0)
            return mfr__err(err, MFR_E_INVALID, "columns \"%s\": \"%s\" given twice", spec,
                            names[which]);
        if (which >= 0) col[which] = k;
        s = e ? e + 1 : s + n;
    }
    for (int j = 0; j < 2; j++) /* no rating column: implicit data */
        if (col[j] < 0)
            return mfr__err(err, MFR_E_INVALID, "columns \"%s\": no \"%s\" column",
                            spec ? spec : "", names[j]);
    p->col_user = col[0];
    p->col_item = col[1];
    p->col_rating = col[2];
    p->col_time = col[3];
    return MFR_OK;
}

static int ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcasecmp(s + a - b, suffix) == 0;
}

/* First bytes of a file (up to n), 0-filled; of its contents when it is
 * gzip-compressed (zlib reads other files as they are). Bytes read or -1. */
static long head_bytes(const char *path, char *buf, size_t n) {
    memset(buf, 0, n);
    gzFile g = gzopen(path, "rb");
    if (!g) return -1;
    long r = (long)gzread(g, buf, (unsigned)(n - 1));
    gzclose(g);
    return r < 0 ? 0 : r;
}

/* Delimiter of a generic file from its first line. */
static int sniff_delim(const char *path, char out[3]) {
    char buf[4096];
    if (head_bytes(path, buf, sizeof buf) < 0) return -1;
    char *nl = strchr(buf, '\n');
    if (nl) *nl = '\0';
    if (strstr(buf, "::")) {
        strcpy(out, "::");
        return 0;
    }
    static const char cand[] = "\t,;|";
    int best = 0;
    for (int k = 0; cand[k]; k++) {
        int c = 0;
        for (char *s = buf; *s; s++) c += *s == cand[k];
        if (c > best) {
            best = c;
            out[0] = cand[k];
            out[1] = '\0';
        }
    }
    return best ? 0 : -1;
}

/* Apply the params' range when given, else the format's. */
static void set_range(mfr__build *b, float lo, float hi) {
    if (b->p->rating_min != 0.f || b->p->rating_max != 0.f) {
        lo = b->p->rating_min;
        hi = b->p->rating_max;
    }
    b->rmin = lo;
    b->rmax = hi;
}

static mfr__rcols std_cols(const char *delim, int header) {
    mfr__rcols c = {.header = header, .nfields = 4, .cu = 0, .ci = 1, .cr = 2, .ct = 3};
    strcpy(c.delim, delim);
    return c;
}

/* The file name of path without a ".gz": "ratings.csv.gz" reads as "ratings.csv". */
static void plain_name(const char *path, char *out, size_t cap) {
    snprintf(out, cap, "%s", mfr__base_name(path));
    if (ends_with(out, ".gz")) out[strlen(out) - 3] = '\0';
}

/* A catalogue file given by the params (movies_path) for a single ratings
 * file, read by its name: u.item, *.dat, else movies.csv's layout. */
static mfr_status given_catalog(mfr__build *b, mfr_error *err) {
    mfr__src c = {.kind = MFR__SRC_FILE, .path = b->p->movies_path};
    char name[256];
    plain_name(c.path, name, sizeof name);
    int layout = ends_with(name, ".dat") ? MFR_FMT_ML_DAT : MFR_FMT_ML_CSV;
    if (!strcmp(name, "u.item")) layout = MFR_FMT_ML_100K;
    return mfr__read_movies(b, &c, NULL, layout, err);
}

/* A side file of a MovieLens folder or zip: read only when it is there, the
 * source is not a single ratings file, and flag (load_catalog, load_tags) is on. */
static int has_side(const mfr__src *s, const char *name, int flag) {
    return name && flag && s->kind != MFR__SRC_FILE && mfr__src_has(s, name);
}

/* The three MovieLens layouts: their file names (NULL: the layout has none),
 * the layout (MFR_FMT_ML_*: how the side files are read), lowest rating and
 * the ratings' delimiter. */
typedef struct ml_layout {
    const char *movies, *ratings, *tags, *users, *links;
    int layout;
    float rmin;
    const char *delim;
} ml_layout;

static const ml_layout ml_layouts[3] = {
    {"movies.csv", "ratings.csv", "tags.csv", NULL, "links.csv", MFR_FMT_ML_CSV, 0.5f, ","},
    {"u.item", "u.data", NULL, "u.user", NULL, MFR_FMT_ML_100K, 1.f, "\t"},
    {"movies.dat", "ratings.dat", "tags.dat", "users.dat", NULL, MFR_FMT_ML_DAT, 0.5f, "::"}};

/* Catalogue, ratings, then tags, users and links where the layout has them. */
static mfr_status read_ml(mfr__build *b, const mfr__src *s, const ml_layout *l, mfr_error *err) {
    const mfr_import_params *p = b->p;
    mfr_status rc = MFR_OK;
    if (s->kind == MFR__SRC_FILE && p->movies_path) rc = given_catalog(b, err);
    else if (has_side(s, l->movies, p->load_catalog))
        rc = mfr__read_movies(b, s, l->movies, l->layout, err);
    set_range(b, l->rmin, 5.f);
    if (!rc)
        rc = mfr__read_ratings(b, s, s->kind == MFR__SRC_FILE ? NULL : l->ratings,
                               std_cols(l->delim, -1), err);
    if (!rc && has_side(s, l->tags, p->load_tags))
        rc = mfr__read_tags(b, s, l->tags, l->layout, err);
    if (!rc && has_side(s, l->users, p->load_catalog))
        rc = mfr__read_users(b, s, l->users, l->layout, err);
    if (!rc && has_side(s, l->links, p->load_catalog)) rc = mfr__read_links(b, s, l->links, err);
    return rc;
}

static mfr_status read_generic(mfr__build *b, const mfr__src *s, mfr_error *err) {
    const mfr_import_params *p = b->p;
    mfr__rcols c = {.header = p->header,
                    .nfields = 0,
                    .cu = p->col_user,
                    .ci = p->col_item,
                    .cr = p->col_rating,
                    .ct = p->col_time};
    if (c.cu < 0 || c.ci < 0 || c.cu > 63 || c.ci > 63 || c.cr > 63 || c.ct > 63)
        return mfr__err(err, MFR_E_INVALID, "%s: user, item and rating columns must be 0..63",
                        s->path);
    if (p->delimiter) {
        c.delim[0] = p->delimiter;
        if (p->delimiter == ':') c.delim[1] = ':'; /* ':' means "::" */
    } else if (sniff_delim(s->path, c.delim)) {
        return mfr__err(err, MFR_E_FORMAT,
                        "%s: cannot tell the delimiter from the first line (give one)", s->path);
    }
    if (p->rating_min != 0.f || p->rating_max != 0.f) set_range(b, 0.f, 0.f);
    mfr_status rc = s->kind == MFR__SRC_FILE && p->movies_path ? given_catalog(b, err) : MFR_OK;
    return rc ? rc : mfr__read_ratings(b, s, NULL, c, err);
}

/* Scale once the ratings are known (see the top of the file): from the
 * kept ratings, or (streaming) from those streamed. */
static void finish_scale(mfr__build *b, int layout) {
    mfr_dataset *ds = b->ds;
    if (b->rmax >= b->rmin) {
        ds->scale_min = b->rmin;
        ds->scale_max = b->rmax;
    }
    int given = b->p->rating_min != 0.f || b->p->rating_max != 0.f;
    int64_t n = b->each ? b->streamed : ds->n_ratings;
    if (layout == MFR_FMT_ML_DAT && !given) {
        int whole = b->each ? b->whole : 1;
        for (int64_t j = 0; !b->each && j < n && whole; j++)
            whole = ds->rating[j] == floorf(ds->rating[j]);
        ds->scale_min = whole && n ? 1.f : 0.5f;
    }
    if (layout == MFR_FMT_GENERIC && !given && n) {
        if (!b->each) mfr__scale_from_ratings(ds);
        else ds->scale_min = b->lo, ds->scale_max = b->hi;
    }
}

/* A ratings file's layout by its name (ml-100k's u1.base, u1.test ... too). */
static int layout_of_name(const char *name) {
    if (ends_with(name, ".base") || ends_with(name, ".test")) return MFR_FMT_ML_100K;
    for (int k = 0; k < 3; k++)
        if (!strcmp(name, ml_layouts[k].ratings)) return ml_layouts[k].layout;
    return MFR_FMT_GENERIC;
}

/* Find the source and layout of path. */
static mfr_status detect(const char *path, const mfr_import_params *p, mfr__src *s, int *layout,
                         mfr_error *err) {
    static const char *const names[] = {"ratings.csv", "u.data", "ratings.dat", NULL};
    struct stat sb;
    memset(s, 0, sizeof *s);
    s->path = path;
    if (stat(path, &sb) != 0) return mfr__err(err, MFR_E_IO, "%s: %s", path, strerror(errno));
    if (S_ISDIR(sb.st_mode)) {
        s->kind = MFR__SRC_DIR;
        for (int k = 0; names[k]; k++)
            if (mfr__src_has(s, names[k])) {
                *layout = layout_of_name(names[k]);
                return MFR_OK;
            }
        return mfr__err(err, MFR_E_FORMAT,
                        "%s: no ratings.csv, u.data or ratings.dat in the folder", path);
    }
    char head[8];
    if (head_bytes(path, head, sizeof head) < 0)
        return mfr__err(err, MFR_E_IO, "%s: %s", path, strerror(errno));
    if (memcmp(head, "MFRD", 4) == 0 || p->format == MFR_FMT_MFD) {
        *layout = MFR_FMT_MFD;
        return MFR_OK;
    }
    if (memcmp(head, "PK\3\4", 4) == 0 || ends_with(path, ".zip")) {
        s->kind = MFR__SRC_ZIP;
        const char *found = mfr__zip_find(s, names, err);
        if (!found) return err ? err->code : MFR_E_FORMAT;
        *layout = layout_of_name(found);
        return MFR_OK;
    }
    s->kind = MFR__SRC_FILE;
    char name[256];
    plain_name(path, name, sizeof name);
    *layout = p->format != MFR_FMT_AUTO ? (int)p->format : layout_of_name(name);
    return MFR_OK;
}

static mfr_status run_layout(mfr__build *b, const mfr__src *s, int layout, mfr_error *err) {
    for (int k = 0; k < 3; k++)
        if (ml_layouts[k].layout == layout) return read_ml(b, s, &ml_layouts[k], err);
    return read_generic(b, s, err);
}

/* The import (fn NULL) or the streaming one (mfr__import_each). */
static mfr_status import_impl(const char *path, const mfr_import_params *p, mfr__mfd_chunk_fn fn,
                              void *ctx, mfr_dataset **out, mfr_error *err) {
    if (!out) return mfr__err(err, MFR_E_INVALID, "import: out is NULL");
    *out = NULL;
    if (!path || !*path) return mfr__err(err, MFR_E_INVALID, "import: empty path");
    mfr_import_params params = p ? *p : mfr_import_params_default();
    if (params.max_messages < 0) params.max_messages = 0;
    mfr__src s;
    int layout = 0;
    mfr_status rc = detect(path, &params, &s, &layout, err);
    if (rc) return rc;
    if (params.movies_path && (s.kind != MFR__SRC_FILE || layout == MFR_FMT_MFD))
        return mfr__err(err, MFR_E_INVALID,
                        "%s: a catalogue file (%s) goes with a single ratings file, not a "
                        "folder, zip or .mfd", path, params.movies_path);
    if (layout == MFR_FMT_MFD && fn)
        return mfr__err(err, MFR_E_INVALID, "%s: a .mfd is not streamed by the importer", path);
    if (layout == MFR_FMT_MFD) return mfr__mfd_load(path, out, err);
    mfr__build b;
    rc = mfr__build_init(&b, &params, path, err);
    if (rc) return rc;
    b.each = fn, b.each_ctx = ctx;
    rc = run_layout(&b, &s, layout, err);
    if (!rc) rc = mfr__build_finish(&b, err);
    if (!rc && b.ds->report.rows_kept == 0) {
        const mfr_import_report *r = &b.ds->report;
        rc = mfr__err(err, MFR_E_PARSE, "%s: no usable rating among %lld rows%s%s", path,
                      (long long)r->rows_read, r->n_messages ? " (first problem: " : "",
                      r->n_messages ? b.ds->messages[0] : "");
        if (r->n_messages && err)
            strncat(err->message, ")", sizeof err->message - strlen(err->message) - 1);
    }
    if (!rc) finish_scale(&b, layout);
    mfr__build_release(&b);
    if (!rc && fn) { /* streamed: the dataset without ratings */
        mfr__dataset_release(b.ds, MFR__DS_USER | MFR__DS_ITEM_RATING | MFR__DS_TIME);
        b.ds->n_ratings = 0;
    }
    if (rc) {
        mfr_dataset_free(b.ds);
        return rc;
    }
    *out = b.ds;
    return MFR_OK;
}

mfr_status mfr_dataset_import(const char *path, const mfr_import_params *p, mfr_dataset **out,
                              mfr_error *err) {
    return import_impl(path, p, NULL, NULL, out, err);
}

mfr_status mfr__import_each(const char *path, const mfr_import_params *p, mfr__mfd_chunk_fn fn,
                            void *ctx, mfr_dataset **out, mfr_error *err) {
    return import_impl(path, p, fn, ctx, out, err);
}
