/* title.c — the one title matcher (mfr_model_search_titles), used by the
 * server's search and the CLI's `similar MOVIE`.
 *
 * A title and a query are both reduced to keys: accents folded (mfr__text_fold),
 * lower case, apostrophes and dots dropped ("Schindler's" = "schindlers",
 * "L.A." = "la"), other punctuation a space, "&" = "and"; a trailing
 * MovieLens article moved back (", The", ", A", ", Les", ", L'", ", Die" ...)
 * and then a leading article dropped, so "The Matrix", "matrix" and
 * "Matrix, The (1999)" share the key "matrix". A title's trailing "(1999)" is
 * its year; each other trailing parenthesised group is an alternative title
 * ("Seven (a.k.a. Se7en) (1995)" answers to "se7en"). A query ending in a
 * year ("godfather 1972", "Toy Story (1995)") is read both with and without
 * it; the reading with the year matches only titles of that year.
 *
 * Levels, best first: exact key (spaces ignored: "spiderman" = "Spider-Man"),
 * the title starts with the query, every query word starts a title word,
 * the query inside the title; only when nothing matches those, typos: every
 * query word (or the whole query, spaces ignored) within an optimal string
 * alignment distance of 1 (4-7 letters) or 2 (8 or more) of a title word,
 * words of up to 3 letters exact, the last query word may be a prefix.
 * Order: level, then a matching year, then fewer typos, then more training
 * ratings, then index. */
#include "model_impl.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { TKEY = 256, TVAR = 4, QWORDS = 12, TWORDS = 48 };

/* Articles MovieLens moves to the end ("Matrix, The"), lower case. */
static const char *const ARTICLES[] = {"the", "a", "an", "le", "la", "les", "l'", "el",
                                       "los", "las", "il", "lo", "die", "der", "das", NULL};

static int is_article(const char *w, size_t n) {
    for (int a = 0; ARTICLES[a]; a++)
        if (strlen(ARTICLES[a]) == n && strncasecmp(ARTICLES[a], w, n) == 0) return 1;
    return 0;
}

/* The key of s[0..n): see the file comment. */
static void make_key(const char *s, size_t n, char *out) {
    char raw[TKEY], folded[TKEY];
    if (n >= sizeof raw) n = sizeof raw - 1;
    memcpy(raw, s, n);
    raw[n] = 0;
    /* trailing ", The" */
    char *comma = NULL;
    for (char *p = raw; (p = strstr(p, ", ")) != NULL; p++) comma = p;
    if (comma) {
        char *w = comma + 2;
        size_t wl = strlen(w);
        while (wl && w[wl - 1] == ' ') wl--;
        if (is_article(w, wl)) *comma = 0;
    }
    /* a leading French elision "L'" */
    const char *start = raw;
    while (*start == ' ') start++;
    if ((start[0] == 'l' || start[0] == 'L') && start[1] == '\'' && start[2] && start[2] != ' ')
        start += 2;
    mfr__text_fold(start, folded, sizeof folded);
    size_t o = 0;
    int space = 1; /* no leading space */
    for (const unsigned char *p = (const unsigned char *)folded; *p && o + 5 < TKEY; p++) {
        unsigned char c = *p;
        if (c == 0xE2 && p[1] == 0x80 && p[2]) { /* ’ ‘ (apostrophes), – — (dashes) ... */
            int apostrophe = p[2] == 0x98 || p[2] == 0x99;
            p += 2;
            if (apostrophe) continue;
            c = ' ';
        }
        if (c == '\'' || c == '.') continue;
        if (c == '&') {
            if (!space) out[o++] = ' ';
            memcpy(out + o, "and ", 4);
            o += 4;
            space = 1;
            continue;
        }
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80) {
            out[o++] = (char)c;
            space = 0;
        } else if (!space) {
            out[o++] = ' ';
            space = 1;
        }
    }
    while (o && out[o - 1] == ' ') o--;
    out[o] = 0;
    /* a leading article, when more words follow */
    char *sp = strchr(out, ' ');
    if (sp && is_article(out, (size_t)(sp - out))) memmove(out, sp + 1, strlen(sp + 1) + 1);
}

/* A year "(1999)", "(1999-2003)" or "(1999–)" ending s[0..*n): the year,
 * and *n cut before it; else 0. */
static int32_t cut_year(const char *s, size_t *n) {
    size_t e = *n;
    while (e && s[e - 1] == ' ') e--;
    if (e < 6 || s[e - 1] != ')') return 0;
    size_t b = e - 1;
    while (b > 0 && s[b - 1] != '(') b--;
    if (b == 0) return 0;
    const char *in = s + b;
    size_t len = e - 1 - b;
    if (len < 4) return 0;
    for (int d = 0; d < 4; d++)
        if (in[d] < '0' || in[d] > '9') return 0;
    for (size_t d = 4; d < len; d++)
        if (!strchr("0123456789-\xe2\x80\x93 ", in[d])) return 0;
    int32_t y = (in[0] - '0') * 1000 + (in[1] - '0') * 100 + (in[2] - '0') * 10 + (in[3] - '0');
    *n = b - 1;
    return y;
}

typedef struct title_keys {
    int n;
    int32_t year;
    char key[TVAR][TKEY];
} title_keys;

static void title_keys_of(const char *t, int32_t model_year, title_keys *k) {
    size_t n = strlen(t);
    k->n = 0;
    k->year = cut_year(t, &n);
    if (!k->year && model_year > 0) k->year = model_year; /* the title's own first */
    while (k->n < TVAR - 1) {
        while (n && t[n - 1] == ' ') n--;
        if (n < 2 || t[n - 1] != ')') break;
        size_t b = n - 1;
        int depth = 0;
        while (b > 0) {
            b--;
            if (t[b] == ')') depth++;
            else if (t[b] == '(' && depth-- == 0) break;
        }
        if (t[b] != '(' || b == 0) break;
        const char *in = t + b + 1;
        size_t len = n - 1 - (b + 1);
        if (len >= 7 && strncasecmp(in, "a.k.a. ", 7) == 0) in += 7, len -= 7;
        else if (len >= 4 && strncasecmp(in, "aka ", 4) == 0) in += 4, len -= 4;
        make_key(in, len, k->key[k->n]);
        if (k->key[k->n][0]) k->n++;
        n = b;
    }
    make_key(t, n, k->key[k->n]);
    if (k->key[k->n][0]) k->n++;
}

static int nospace_equal(const char *a, const char *b) {
    for (;;) {
        while (*a == ' ') a++;
        while (*b == ' ') b++;
        if (*a != *b) return 0;
        if (!*a) return 1;
        a++, b++;
    }
}

static void nospace_copy(const char *s, char *out) {
    size_t o = 0;
    for (; *s; s++)
        if (*s != ' ') out[o++] = *s;
    out[o] = 0;
}

/* Split key into words (pointers into buf, a copy). */
static int split_words(const char *key, char *buf, const char **w, size_t *len, int cap) {
    strcpy(buf, key);
    int n = 0;
    for (char *p = buf; *p && n < cap;) {
        while (*p == ' ') p++;
        if (!*p) break;
        w[n] = p;
        while (*p && *p != ' ') p++;
        len[n] = (size_t)(p - w[n]);
        n++;
        if (*p) *p++ = 0;
    }
    return n;
}

/* 1 when every word of q starts some word of t. */
static int words_prefix(const char *t, const char *q) {
    char tb[TKEY], qb[TKEY];
    const char *tw[TWORDS], *qw[QWORDS];
    size_t tl[TWORDS], ql[QWORDS];
    int nt = split_words(t, tb, tw, tl, TWORDS), nq = split_words(q, qb, qw, ql, QWORDS);
    if (!nq) return 0;
    for (int a = 0; a < nq; a++) {
        int hit = 0;
        for (int b = 0; b < nt && !hit; b++) hit = tl[b] >= ql[a] && !memcmp(tw[b], qw[a], ql[a]);
        if (!hit) return 0;
    }
    return 1;
}

static int strict_level(const char *t, const char *q) {
    if (!strcmp(t, q) || nospace_equal(t, q)) return MFR_TITLE_EXACT;
    if (!strncmp(t, q, strlen(q))) return MFR_TITLE_PREFIX;
    if (words_prefix(t, q)) return MFR_TITLE_WORDS;
    if (strstr(t, q)) return MFR_TITLE_CONTAINS;
    return 0;
}

/* Optimal string alignment distance of a and b, or max + 1 once over max. */
static int osa(const char *a, size_t na, const char *b, size_t nb, int max) {
    enum { W = 64 };
    if (na >= W || nb >= W) return max + 1;
    if ((na > nb ? na - nb : nb - na) > (size_t)max) return max + 1;
    int d[3][W]; /* rows i-2, i-1, i (rolling) */
    for (size_t j = 0; j <= nb; j++) d[0][j] = (int)j;
    for (size_t i = 1; i <= na; i++) {
        int *cur = d[i % 3], *prev = d[(i - 1) % 3], *pp = d[(i + 1) % 3];
        cur[0] = (int)i;
        int row_min = cur[0];
        for (size_t j = 1; j <= nb; j++) {
            int cost = a[i - 1] != b[j - 1];
            int v = prev[j] + 1;
            if (cur[j - 1] + 1 < v) v = cur[j - 1] + 1;
            if (prev[j - 1] + cost < v) v = prev[j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && pp[j - 2] + 1 < v)
                v = pp[j - 2] + 1;
            cur[j] = v;
            if (v < row_min) row_min = v;
        }
        if (row_min > max) return max + 1;
    }
    return d[na % 3][nb];
}

static int typo_allowance(size_t len) {
    return len <= 3 ? 0 : len <= 7 ? 1 : 2;
}

/* Typos from q to t (see the file comment), or -1 when too far. */
static int fuzzy_distance(const char *t, const char *q) {
    char tb[TKEY], qb[TKEY];
    const char *tw[TWORDS], *qw[QWORDS];
    size_t tl[TWORDS], ql[QWORDS];
    int nt = split_words(t, tb, tw, tl, TWORDS), nq = split_words(q, qb, qw, ql, QWORDS);
    int total = 0;
    for (int a = 0; a < nq && total >= 0; a++) {
        int allow = typo_allowance(ql[a]), best = allow + 1;
        for (int b = 0; b < nt && best > 0; b++) {
            if (a == nq - 1 && tl[b] >= ql[a] && !memcmp(tw[b], qw[a], ql[a])) best = 0;
            int d = osa(qw[a], ql[a], tw[b], tl[b], allow);
            if (d < best) best = d;
        }
        total = best <= allow ? total + best : -1;
    }
    char tn[TKEY], qn[TKEY];
    nospace_copy(t, tn);
    nospace_copy(q, qn);
    size_t qnl = strlen(qn);
    int allow = typo_allowance(qnl);
    int d = osa(qn, qnl, tn, strlen(tn), allow);
    if (d <= allow && (total < 0 || d < total)) total = d;
    return nq ? total : -1;
}

typedef struct hit {
    int32_t item, quality, distance, year_ok, count;
} hit;

static int hit_cmp(const void *pa, const void *pb) {
    const hit *a = pa, *b = pb;
    if (a->quality != b->quality) return a->quality > b->quality ? -1 : 1;
    if (a->year_ok != b->year_ok) return a->year_ok > b->year_ok ? -1 : 1;
    if (a->distance != b->distance) return a->distance < b->distance ? -1 : 1;
    if (a->count != b->count) return a->count > b->count ? -1 : 1;
    return (a->item > b->item) - (a->item < b->item);
}

/* The query's readings: its key without a trailing year (year set) and,
 * when the year was only a bare last word, its whole key too (year 0). */
typedef struct query_keys {
    int n;
    char key[2][TKEY];
    int32_t year[2];
} query_keys;

static void query_keys_of(const char *query, query_keys *qk) {
    size_t n = strnlen(query, TKEY - 1);
    qk->n = 0;
    int32_t y = cut_year(query, &n);
    if (y) {
        make_key(query, n, qk->key[0]);
        qk->year[0] = y;
        qk->n = qk->key[0][0] != 0;
        return;
    }
    make_key(query, n, qk->key[0]);
    qk->year[0] = 0;
    if (!qk->key[0][0]) return;
    qk->n = 1;
    const char *last = strrchr(qk->key[0], ' ');
    if (last && strlen(last + 1) == 4) {
        int32_t v = 0;
        for (const char *p = last + 1; *p && v >= 0; p++) v = *p >= '0' && *p <= '9' ? v * 10 + (*p - '0') : -1;
        if (v >= 1870 && v <= 2100) {
            memcpy(qk->key[1], qk->key[0], (size_t)(last - qk->key[0]));
            qk->key[1][last - qk->key[0]] = 0;
            qk->year[1] = v;
            qk->n = 2;
        }
    }
}

/* Best level of title keys tk for the query readings qk (fuzzy: typos in *dist). */
static void match_title(const title_keys *tk, const query_keys *qk, int fuzzy, hit *h) {
    h->quality = 0;
    h->year_ok = 0;
    h->distance = 0;
    for (int r = 0; r < qk->n; r++) {
        int year_ok = qk->year[r] && qk->year[r] == tk->year;
        for (int v = 0; v < tk->n; v++) {
            int level, dist = 0;
            if (!fuzzy) {
                level = strict_level(tk->key[v], qk->key[r]);
            } else {
                dist = fuzzy_distance(tk->key[v], qk->key[r]);
                level = dist >= 0 ? MFR_TITLE_TYPO : 0;
            }
            if (!level || (qk->year[r] && !year_ok)) continue; /* another year */
            hit c = {h->item, level, dist, year_ok, h->count};
            if (!h->quality || hit_cmp(&c, h) < 0) *h = c;
        }
    }
}

mfr_status mfr_model_search_titles(const mfr_model *m, const char *query, mfr_title_hit *out,
                                   int32_t cap, int32_t *n_found, mfr_error *err) {
    int32_t dummy;
    if (!n_found) n_found = &dummy;
    *n_found = 0;
    if (!m || !query) return mfr__err(err, MFR_E_INVALID, "title search: model or query is NULL");
    if (cap > 0 && !out) return mfr__err(err, MFR_E_INVALID, "title search: out is NULL");
    query_keys qk;
    query_keys_of(query, &qk);
    if (!qk.n || m->n_items <= 0) return MFR_OK;
    hit *hits = mfr__malloc(sizeof *hits * (size_t)m->n_items);
    title_keys *tk = mfr__malloc(sizeof *tk);
    if (!hits || !tk) {
        mfr__free(hits);
        mfr__free(tk);
        return mfr__nomem(err, "title search");
    }
    int32_t n = 0;
    for (int fuzzy = 0; fuzzy < 2 && n == 0; fuzzy++) {
        for (int32_t i = 0; i < m->n_items; i++) {
            title_keys_of(mfr_model_item_title(m, i), mfr_model_item_year(m, i), tk);
            hit h = {i, 0, 0, 0, mfr_model_item_count(m, i)};
            match_title(tk, &qk, fuzzy, &h);
            if (h.quality) hits[n++] = h;
        }
    }
    qsort(hits, (size_t)n, sizeof *hits, hit_cmp);
    for (int32_t j = 0; j < n && j < cap; j++)
        out[j] = (mfr_title_hit){hits[j].item, (mfr_title_quality)hits[j].quality, hits[j].distance};
    *n_found = n;
    mfr__free(hits);
    mfr__free(tk);
    return MFR_OK;
}

const char *mfr_title_quality_name(mfr_title_quality q) {
    switch (q) {
    case MFR_TITLE_EXACT: return "exact";
    case MFR_TITLE_PREFIX: return "prefix";
    case MFR_TITLE_WORDS: return "words";
    case MFR_TITLE_CONTAINS: return "contains";
    case MFR_TITLE_TYPO: return "typo";
    default: return "none";
    }
}

void mfr_model_find_title(const mfr_model *m, const char *query, int32_t *out, int32_t cap,
                          int32_t *n_found) {
    enum { BLK = 64 };
    mfr_title_hit h[BLK];
    int32_t n = 0;
    if (n_found) *n_found = 0;
    if (mfr_model_search_titles(m, query, h, cap < BLK ? (cap > 0 ? cap : 0) : BLK, &n, NULL)) return;
    /* more than BLK wanted: ask again with room for all */
    mfr_title_hit *all = h;
    if (cap > BLK && n > BLK) {
        all = mfr__malloc(sizeof *all * (size_t)(n < cap ? n : cap));
        if (!all || mfr_model_search_titles(m, query, all, n < cap ? n : cap, &n, NULL)) {
            mfr__free(all);
            return;
        }
    }
    for (int32_t j = 0; j < n && j < cap && out; j++) out[j] = all[j].item;
    if (all != h) mfr__free(all);
    if (n_found) *n_found = n;
}
