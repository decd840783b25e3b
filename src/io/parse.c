/* parse.c — hand-written parsing: numbers, delimited records, and the
 * streaming ratings reader.
 *
 * Numbers: integers are an optional sign and 1..18 decimal digits; a rating is
 * an optional sign, digits, and an optional '.' with digits (at most 9 digits
 * in all), computed exactly as mantissa / 10^decimals — no strtod, no locale.
 *
 * The ratings reader fills a 4 MiB buffer with read(), processes every
 * complete line in it and moves the incomplete tail to the front. Each line
 * first goes through a fast path that parses "u<d>i<d>r[<d>t]\n" in one pass
 * (the digits loops stop at the delimiter or the newline, which always exists
 * in the buffer, so the loop needs no bounds checks). Anything the fast path
 * does not accept — other column orders, spaces, quotes, bad values — is
 * re-parsed by the slow path, which splits fields and says exactly what is
 * wrong. Empty lines are skipped; a UTF-8 BOM at the start is skipped; the
 * first line is a header when asked, or (detect) when its user field is not
 * an integer. */
#include "io_internal.h"

#include <string.h>
#include <sys/stat.h>

int mfr__parse_i64(const char *s, const char *e, int64_t *out) {
    int neg = 0;
    if (s < e && (*s == '-' || *s == '+')) neg = *s++ == '-';
    if (s == e || e - s > 18) return 0;
    int64_t v = 0;
    for (; s < e; s++) {
        unsigned d = (unsigned)(unsigned char)*s - '0';
        if (d > 9) return 0;
        v = v * 10 + d;
    }
    *out = neg ? -v : v;
    return 1;
}

static const double pow10_tab[10] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};

int mfr__parse_rating(const char *s, const char *e, float *out) {
    int neg = 0, digits = 0, frac = 0, dot = 0;
    if (s < e && (*s == '-' || *s == '+')) neg = *s++ == '-';
    int64_t m = 0;
    for (; s < e; s++) {
        if (*s == '.' && !dot) {
            dot = 1;
            continue;
        }
        unsigned d = (unsigned)(unsigned char)*s - '0';
        if (d > 9 || ++digits > 9) return 0;
        m = m * 10 + d;
        frac += dot;
    }
    if (!digits) return 0;
    double v = (double)m / pow10_tab[frac];
    *out = (float)(neg ? -v : v);
    return 1;
}

int32_t mfr__title_year(const char *t, size_t n) {
    for (size_t k = n; k >= 6; k--) {
        const char *p = t + k - 6;
        if (p[0] != '(' || p[5] != ')') continue;
        int y = 0, ok = 1;
        for (int j = 1; j <= 4; j++) {
            unsigned d = (unsigned)(unsigned char)p[j] - '0';
            if (d > 9) ok = 0;
            y = y * 10 + (int)d;
        }
        if (ok) return y;
    }
    return 0;
}

/* Ensure scratch holds need bytes. 0 or -1. */
static int scratch_need(mfr__rec *r, size_t need) {
    if (need <= r->scratch_cap) return 0;
    size_t c = r->scratch_cap ? r->scratch_cap : 256;
    while (c < need) c *= 2;
    char *s = mfr__realloc(r->scratch, c);
    if (!s) return -1;
    r->scratch = s;
    r->scratch_cap = c;
    return 0;
}

int mfr__rec_next(const char *buf, size_t len, size_t *pos, const char *delim, int quotes,
                  mfr__rec *r, int64_t *lines) {
    size_t p = *pos, dl = strlen(delim);
    if (p >= len) return 0;
    /* the record is at most the rest of the buffer, plus NULs */
    if (scratch_need(r, len - p + 66)) return -1;
    char *o = r->scratch;
    int inq = 0, nf = 0;
    const char *fstart = o;
    r->n = 0;
    for (;;) {
        char c = p < len ? buf[p] : '\n';
        int at_end = p >= len;
        if (inq) {
            if (at_end) {
                inq = 0;
                continue;
            } /* unterminated quote: close it */
            if (c == '"') {
                if (p + 1 < len && buf[p + 1] == '"') {
                    *o++ = '"';
                    p += 2;
                    continue;
                }
                inq = 0;
                p++;
                continue;
            }
            if (c == '\n') (*lines)++;
            *o++ = c;
            p++;
            continue;
        }
        if (c == '\n' || c == '\r' ||
            (c == delim[0] && (dl == 1 || (p + 1 < len && buf[p + 1] == delim[1])))) {
            int eol = c == '\n' || c == '\r';
            *o++ = '\0';
            if (nf < 64) {
                r->f[nf] = fstart;
                r->len[nf] = (size_t)(o - 1 - fstart);
            }
            nf++;
            fstart = o;
            if (!eol) {
                p += dl;
                continue;
            }
            if (c == '\r') p++;
            if (p < len && buf[p] == '\n') p++;
            (*lines)++;
            break;
        }
        if (quotes && c == '"' && o == fstart) {
            inq = 1;
            p++;
            continue;
        }
        *o++ = c;
        p++;
    }
    r->n = nf;
    *pos = p;
    return 1;
}

/* ---- ratings ---------------------------------------------------------- */

typedef struct rstate {
    mfr__build *b;
    mfr__rcols c;
    const char *file;
    int64_t line;
    int first; /* the next line is the file's first */
    size_t dl;
    int fast_ok; /* column order allows the fast path */
    mfr__rec rec;
} rstate;

static const char *const col_names[4] = {"user id", "movie id", "rating", "timestamp"};

/* Validate and store one row of parsed values. */
static mfr_status store(rstate *st, int64_t uid, int64_t mid, float r, int64_t t, mfr_error *err) {
    mfr__build *b = st->b;
    mfr_import_report *rep = &b->ds->report;
    if (b->rmax >= b->rmin && !(r >= b->rmin && r <= b->rmax))
        return mfr__bad(b, &rep->bad_rating, err, st->file, st->line,
                        "rating \"%g\" outside %g..%g", (double)r, (double)b->rmin,
                        (double)b->rmax);
    int32_t i;
    if (b->have_catalog) {
        i = mfr__item_find(b, mid);
        if (i < 0)
            return mfr__bad(b, &rep->unknown_movie, err, st->file, st->line,
                            "movie %lld not in the catalogue", (long long)mid);
    } else {
        i = mfr__item_add(b, mid);
        if (i < 0) return mfr__nomem(err, "item ids");
    }
    int32_t u = mfr__user_index(b, uid);
    if (u < 0) return mfr__nomem(err, "user ids");
    if (mfr__rating_add(b, u, i, r, t)) return mfr__nomem(err, "ratings");
    return MFR_OK;
}

/* Slow path: split, count, parse each field with a precise complaint. */
static mfr_status slow_row(rstate *st, const char *s, const char *e, mfr_error *err) {
    mfr__build *b = st->b;
    mfr_import_report *rep = &b->ds->report;
    size_t pos = 0;
    int64_t dummy = 0;
    if (mfr__rec_next(s, (size_t)(e - s), &pos, st->c.delim, 1, &st->rec, &dummy) < 0)
        return mfr__nomem(err, "row buffer");
    if (st->rec.n != st->c.nfields)
        return mfr__bad(b, &rep->bad_field_count, err, st->file, st->line,
                        "expected %d fields, found %d", st->c.nfields, st->rec.n);
    const int cols[4] = {st->c.cu, st->c.ci, st->c.cr, st->c.ct};
    int64_t v[4] = {0, 0, 0, 0};
    float r = 1.f; /* no rating column: implicit data, every row a 1 */
    for (int k = 0; k < 4; k++) {
        if (cols[k] < 0) continue;
        const char *f = st->rec.f[cols[k]];
        size_t n = st->rec.len[cols[k]];
        int ok = k == 2 ? mfr__parse_rating(f, f + n, &r) : mfr__parse_i64(f, f + n, &v[k]);
        if (!ok) {
            if (n == 0)
                return mfr__bad(b, &rep->bad_number, err, st->file, st->line, "empty %s",
                                col_names[k]);
            return mfr__bad(b, &rep->bad_number, err, st->file, st->line,
                            "%s \"%.60s\" is not a number", col_names[k], f);
        }
    }
    return store(st, v[0], v[1], r, v[3], err);
}

/* Fast path over one line ending at '\n' (guaranteed present). Returns 1 and
 * the values, or 0 to let the slow path decide. */
static int fast_row(const rstate *st, const char *p, int64_t *u, int64_t *i, float *r, int64_t *t) {
    const char d0 = st->c.delim[0], d1 = st->c.delim[1];
    const size_t dl = st->dl;
    uint64_t v; /* unsigned: a runaway digit string wraps, then fails the length check */
    const char *s = p;
#define DIGITS(dst)                                                                                \
    v = 0;                                                                                         \
    s = p;                                                                                         \
    while ((unsigned)(unsigned char)*p - '0' < 10) v = v * 10 + (uint64_t)(*p++ - '0');            \
    if (p == s || p - s > 18) return 0;                                                            \
    dst = (int64_t)v
#define DELIM()                                                                                    \
    if (*p != d0 || (dl == 2 && p[1] != d1)) return 0;                                             \
    p += dl
    DIGITS(*u);
    DELIM();
    DIGITS(*i);
    DELIM();
    const char *rs = p;
    DIGITS(uint64_t m);
    int frac = 0;
    if (*p == '.') {
        p++;
        s = p;
        while ((unsigned)(unsigned char)*p - '0' < 10) m = m * 10 + (uint64_t)(*p++ - '0');
        frac = (int)(p - s);
    }
    if (p - rs > 9 + (frac > 0)) return 0;
    *r = (float)((double)m / pow10_tab[frac]);
    if (st->c.ct >= 0) {
        DELIM();
        DIGITS(*t);
    }
#undef DIGITS
#undef DELIM
    if (*p == '\r') p++;
    return *p == '\n';
}

/* Is the first field of [s, e) an integer? (header detection) */
static int first_field_numeric(const rstate *st, const char *s, const char *e) {
    const char *f = s;
    while (f < e && *f != st->c.delim[0]) f++;
    int64_t v;
    return mfr__parse_i64(s, f, &v);
}

/* Count fields on the first line when the layout did not fix it. */
static void learn_fields(rstate *st, const char *s, const char *e) {
    if (st->c.nfields) return;
    size_t pos = 0;
    int64_t dummy = 0;
    if (mfr__rec_next(s, (size_t)(e - s), &pos, st->c.delim, 1, &st->rec, &dummy) > 0)
        st->c.nfields = st->rec.n;
    /* a generic file narrower than the time column has no timestamps */
    if (st->c.ct >= st->c.nfields && st->c.cu < st->c.nfields && st->c.ci < st->c.nfields &&
        st->c.cr < st->c.nfields) {
        st->c.ct = -1;
        st->b->want_time = 0;
    }
    int need = st->c.cu;
    if (st->c.ci > need) need = st->c.ci;
    if (st->c.cr > need) need = st->c.cr;
    if (st->c.ct > need) need = st->c.ct;
    if (st->c.nfields < need + 1) st->c.nfields = need + 1;
}

static mfr_status one_line(rstate *st, const char *s, const char *nl, mfr_error *err) {
    mfr__build *b = st->b;
    st->line++;
    if (st->first) {
        st->first = 0;
        if (nl - s >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) s += 3;
        learn_fields(st, s, nl);
        /* the fast path reads exactly 3 or 4 fields */
        st->fast_ok = st->fast_ok && st->c.nfields == (st->c.ct >= 0 ? 4 : 3);
        int hdr = st->c.header;
        if (hdr < 0) hdr = !first_field_numeric(st, s, nl);
        if (hdr) return MFR_OK;
    }
    if (s == nl || (s + 1 == nl && *s == '\r')) return MFR_OK; /* empty line */
    b->ds->report.rows_read++;
    int64_t u, i, t = 0;
    float r;
    if (st->fast_ok && fast_row(st, s, &u, &i, &r, &t)) {
        if (b->rmax >= b->rmin && !(r >= b->rmin && r <= b->rmax)) return slow_row(st, s, nl, err);
        int32_t ii = b->have_catalog ? mfr__item_find(b, i) : mfr__item_add(b, i);
        int32_t uu = ii >= 0 ? mfr__user_index(b, u) : -1;
        if (ii < 0 || uu < 0) return ii == -1 ? slow_row(st, s, nl, err) : mfr__nomem(err, "ids");
        if (mfr__rating_add(b, uu, ii, r, t)) return mfr__nomem(err, "ratings");
        return MFR_OK;
    }
    return slow_row(st, s, nl, err);
}

/* Process every complete line of buf[0..n); returns bytes consumed. */
static mfr_status lines(rstate *st, char *buf, size_t n, size_t *used, mfr_error *err) {
    char *s = buf, *end = buf + n;
    for (;;) {
        char *nl = memchr(s, '\n', (size_t)(end - s));
        if (!nl) break;
        mfr_status rc = one_line(st, s, nl, err);
        if (rc) return rc;
        s = nl + 1;
        if (MFR_UNLIKELY(st->b->ds->report.rows_read >= st->b->next_progress)) {
            rc = mfr__progress(st->b, err);
            if (rc) return rc;
        }
    }
    *used = (size_t)(s - buf);
    return MFR_OK;
}

static mfr_status pump(rstate *st, mfr__stream *in, mfr_error *err) {
    /* 4 MiB, or less for a smaller plain file (the buffer grows if needed) */
    size_t cap = (size_t)4 << 20, n = 0;
    struct stat sb;
    int sized = in->fd >= 0 && fstat(in->fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size >= 0;
    if (sized && (uint64_t)sb.st_size < cap)
        cap = (size_t)sb.st_size < 4096 ? 4096 : (size_t)sb.st_size + 1;
    char *buf = mfr__malloc(cap + 1);
    if (!buf) return mfr__nomem(err, "read buffer");
    /* a plain (not gzip) file's size gives the progress reports an ETA */
    st->b->bytes_done = 0;
    st->b->bytes_total = sized && !in->gz ? (uint64_t)sb.st_size : 0;
    mfr_status rc = MFR_OK;
    for (int eof = 0; !eof;) {
        if (n == cap) { /* one line longer than the buffer */
            char *nb = mfr__realloc(buf, cap * 2 + 1);
            if (!nb) {
                rc = mfr__nomem(err, "read buffer");
                break;
            }
            buf = nb;
            cap *= 2;
        }
        long r = mfr__stream_read(in, buf + n, cap - n);
        if (r < 0) {
            rc = mfr__stream_error(in, err);
            break;
        }
        n += (size_t)r;
        st->b->bytes_done += (uint64_t)r;
        if (r == 0) {
            eof = 1;
            if (n == 0 || buf[n - 1] == '\n') break;
            buf[n++] = '\n'; /* last line without newline (buffer has +1 byte) */
        }
        size_t used = 0;
        rc = lines(st, buf, n, &used, err);
        if (rc) break;
        memmove(buf, buf + used, n - used);
        n -= used;
    }
    mfr__free(buf);
    return rc;
}

mfr_status mfr__read_ratings(mfr__build *b, const mfr__src *s, const char *name, mfr__rcols cols,
                             mfr_error *err) {
    mfr__stream in;
    mfr_status rc = mfr__stream_open(s, name, &in, err);
    if (rc) return rc;
    rstate st;
    memset(&st, 0, sizeof st);
    st.b = b;
    st.c = cols;
    st.file = in.name;
    st.first = 1;
    st.dl = strlen(cols.delim);
    st.fast_ok = cols.cu == 0 && cols.ci == 1 && cols.cr == 2 && (cols.ct == 3 || cols.ct < 0) &&
                 st.dl >= 1 && st.dl <= 2;
    b->want_time = cols.ct >= 0;
    rc = pump(&st, &in, err);
    mfr__stream_close(&in);
    mfr__free(st.rec.scratch);
    return rc;
}
