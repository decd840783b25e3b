/* synth.c — synthetic MovieLens-shaped data from a known low-rank model.
 *
 * The generating model (all draws from one seed, so the same params give the
 * same bytes on every platform):
 *   r(u,i) = round_half( mu + b_u + b_i + p_u . q_i + e ),  e ~ N(0, noise^2),
 *   clipped to 0.5..5, with mu = 3.5, b_u ~ N(0, 0.35^2), b_i ~ N(0, 0.45^2),
 *   p_u, q_i ~ N(0, s^2 I_rank) with s^2 = 0.6 / sqrt(rank) so that p.q has a
 *   standard deviation of about 0.6 whatever the rank.
 * Which pairs are rated:
 *   - movie popularity is Zipf-like: the movie of popularity rank j (a seeded
 *     random permutation of the ids) is drawn with weight 1 / (j + 1)^zipf,
 *     sampled in O(1) with Walker's alias table (Walker 1977; Vose 1991);
 *   - user activity is heavy-tailed: user u's share of the ratings is
 *     proportional to exp(1.1 * z_u), z_u ~ N(0, 1) (log-normal), on top of a
 *     floor of min(20, ratings / (2 * users)) ratings each, capped at `movies`;
 *     the counts add up to exactly `ratings` (or users * movies if smaller);
 *   - each user's movies are distinct: draws by popularity, repeats rejected
 *     with a per-user bitset over the movies; a user who would need too many
 *     rejections (near saturation) takes the rest uniformly from the movies
 *     left.
 * Generation is user by user with an RNG stream per user, and ratings.csv is
 * streamed through a buffer, so memory is O(users + movies) plus the output
 * (measured on a shared, loaded 2-core machine: 20 M ratings by 138,000 users
 * of 27,000 movies written in 15.5 s with 21 MB resident; 5 M in memory in
 * about 1 s).
 *
 * Layout written (ml-latest-small, LF line ends): ratings.csv
 * "userId,movieId,rating,timestamp" sorted by user then movie; movies.csv
 * "movieId,title,genres" with titles "Synthetic Movie 123 (1987)" (every
 * seventh "Synthetic Movie 123, The (1987)", quoted as RFC 4180 asks) and 1-3
 * genres from the MovieLens list, the first chosen by the movie's largest
 * latent factor (so genres agree with the factors); links.csv; tags.csv when
 * with_tags. Ids are 1..users and 1..movies, the same as the dense index + 1
 * that mfr_synth_dataset gives. */
#include "../data/dataset_impl.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SYNTH_MU 3.5
#define SYNTH_T0 820454400LL   /* 1996-01-01 */
#define SYNTH_T1 1537833600LL  /* 2018-09-25 */

static const char *const synth_genres[] = {
    "Action", "Adventure", "Animation", "Children", "Comedy", "Crime", "Documentary",
    "Drama", "Fantasy", "Film-Noir", "Horror", "IMAX", "Musical", "Mystery",
    "Romance", "Sci-Fi", "Thriller", "War", "Western"};
#define SYNTH_N_GENRES ((int)(sizeof synth_genres / sizeof *synth_genres))

static const char *const synth_tag_words[] = {
    "funny", "dark", "classic", "twist ending", "visually appealing", "slow",
    "atmospheric", "quirky", "based on a book", "great soundtrack"};
#define SYNTH_N_TAGS ((int)(sizeof synth_tag_words / sizeof *synth_tag_words))

mfr_synth_params mfr_synth_params_default(void) {
    mfr_synth_params p;
    memset(&p, 0, sizeof p);
    p.users = 1000;
    p.movies = 2000;
    p.ratings = 100000;
    p.rank = 8;
    p.noise = 0.5f;
    p.zipf = 0.9f;
    p.seed = 1;
    p.with_tags = 0;
    return p;
}

/* ---- the model and the sampling tables -------------------------------- */

typedef struct synth {
    mfr_synth_params p;
    int64_t total;        /* ratings actually generated */
    float *P, *Q;         /* [users*rank], [movies*rank] */
    float *bu, *bi;       /* [users], [movies] */
    int32_t *count;       /* [users] ratings per user */
    int16_t *year;        /* [movies] */
    int64_t *tstart;      /* [users] first timestamp */
    float *alias_prob;    /* [movies] Walker alias table */
    int32_t *alias_idx;   /* [movies] */
    /* per-user scratch */
    uint64_t *seen;       /* bitset over movies */
    int32_t *items;       /* [movies] chosen items of one user */
    int32_t *rest;        /* [movies] fallback list */
} synth;

static void synth_free(synth *s) {
    mfr__free(s->P);
    mfr__free(s->Q);
    mfr__free(s->bu);
    mfr__free(s->bi);
    mfr__free(s->count);
    mfr__free(s->year);
    mfr__free(s->tstart);
    mfr__free(s->alias_prob);
    mfr__free(s->alias_idx);
    mfr__free(s->seen);
    mfr__free(s->items);
    mfr__free(s->rest);
    memset(s, 0, sizeof *s);
}

static mfr_status synth_check(const mfr_synth_params *p, mfr_error *err) {
    if (p->users < 1) return mfr__err(err, MFR_E_INVALID, "synth: users must be >= 1 (got %d)", p->users);
    if (p->movies < 1) return mfr__err(err, MFR_E_INVALID, "synth: movies must be >= 1 (got %d)", p->movies);
    if (p->ratings < 1)
        return mfr__err(err, MFR_E_INVALID, "synth: ratings must be >= 1 (got %lld)", (long long)p->ratings);
    if (p->rank < 1 || p->rank > 1024)
        return mfr__err(err, MFR_E_INVALID, "synth: rank must be in 1..1024 (got %d)", p->rank);
    if (!(p->noise >= 0.0f) || p->noise > 10.0f)
        return mfr__err(err, MFR_E_INVALID, "synth: noise must be in 0..10 (got %g)", (double)p->noise);
    if (!(p->zipf >= 0.0f) || p->zipf > 5.0f)
        return mfr__err(err, MFR_E_INVALID, "synth: zipf must be in 0..5 (got %g)", (double)p->zipf);
    return MFR_OK;
}

/* Walker/Vose alias table for weights w[0..n) (overwritten). */
static void synth_alias_build(double *w, int32_t n, float *prob, int32_t *alias, int32_t *small,
                              int32_t *large) {
    double sum = 0;
    for (int32_t i = 0; i < n; i++) sum += w[i];
    int32_t ns = 0, nl = 0;
    for (int32_t i = 0; i < n; i++) {
        w[i] = w[i] * n / sum;
        if (w[i] < 1.0) small[ns++] = i;
        else large[nl++] = i;
    }
    while (ns && nl) {
        int32_t s = small[--ns], l = large[--nl];
        prob[s] = (float)w[s];
        alias[s] = l;
        w[l] = (w[l] + w[s]) - 1.0;
        if (w[l] < 1.0) small[ns++] = l;
        else large[nl++] = l;
    }
    while (nl) { int32_t l = large[--nl]; prob[l] = 1.0f; alias[l] = l; }
    while (ns) { int32_t s = small[--ns]; prob[s] = 1.0f; alias[s] = s; }
}

static inline int32_t synth_alias_draw(const synth *s, mfr__rng *r) {
    int32_t j = (int32_t)mfr__rng_below(r, (uint64_t)s->p.movies);
    return mfr__rng_uniform(r) < s->alias_prob[j] ? j : s->alias_idx[j];
}

/* Movie popularity: a seeded permutation gives each movie its rank j. */
static mfr_status synth_popularity(synth *s, mfr__rng *r, mfr_error *err) {
    int32_t n = s->p.movies;
    double *w = mfr__malloc((size_t)n * sizeof *w);
    int32_t *perm = mfr__malloc((size_t)n * sizeof *perm);
    int32_t *small = mfr__malloc((size_t)n * sizeof *small);
    int32_t *large = mfr__malloc((size_t)n * sizeof *large);
    mfr_status st = MFR_OK;
    if (!w || !perm || !small || !large) {
        st = mfr__nomem(err, "synthetic popularity table");
        goto out;
    }
    for (int32_t i = 0; i < n; i++) perm[i] = i;
    mfr__shuffle_i32(r, perm, n);
    for (int32_t j = 0; j < n; j++) w[perm[j]] = pow((double)j + 1.0, -(double)s->p.zipf);
    synth_alias_build(w, n, s->alias_prob, s->alias_idx, small, large);
out:
    mfr__free(w);
    mfr__free(perm);
    mfr__free(small);
    mfr__free(large);
    return st;
}

/* Ratings per user: a floor plus a log-normal share, capped at movies, adding
 * up to exactly s->total. */
static mfr_status synth_counts(synth *s, mfr__rng *r, mfr_error *err) {
    int32_t nu = s->p.users, nm = s->p.movies;
    int64_t total = s->total;
    int64_t floor_n = total / ((int64_t)nu * 2);
    if (floor_n > 20) floor_n = 20;
    if (floor_n < 1 && total >= nu) floor_n = 1;
    if (floor_n > nm) floor_n = nm;
    double *a = mfr__malloc((size_t)nu * sizeof *a);
    if (!a) return mfr__nomem(err, "synthetic user activity");
    double sum = 0;
    for (int32_t u = 0; u < nu; u++) sum += a[u] = exp(1.1 * mfr__rng_normal(r));
    int64_t left = total - floor_n * nu, assigned = 0;
    for (int32_t u = 0; u < nu; u++) {
        int64_t c = floor_n + (int64_t)((double)left * a[u] / sum);
        if (c > nm) c = nm;
        s->count[u] = (int32_t)c;
        assigned += c;
    }
    mfr__free(a);
    /* Hand out what rounding and the caps left, one at a time, round-robin
     * from a random start (only users below the cap take more). */
    int32_t u = (int32_t)mfr__rng_below(r, (uint64_t)nu);
    while (assigned < total) {
        if (s->count[u] < nm) {
            s->count[u]++;
            assigned++;
        }
        u = (u + 1) % nu;
    }
    return MFR_OK;
}

static mfr_status synth_init(synth *s, const mfr_synth_params *p, mfr_error *err) {
    memset(s, 0, sizeof *s);
    mfr_status st = synth_check(p, err);
    if (st) return st;
    s->p = *p;
    int64_t cells = (int64_t)p->users * p->movies;
    s->total = p->ratings < cells ? p->ratings : cells;
    size_t k = (size_t)p->rank;
    s->P = mfr__malloc((size_t)p->users * k * sizeof *s->P);
    s->Q = mfr__malloc((size_t)p->movies * k * sizeof *s->Q);
    s->bu = mfr__malloc((size_t)p->users * sizeof *s->bu);
    s->bi = mfr__malloc((size_t)p->movies * sizeof *s->bi);
    s->count = mfr__malloc((size_t)p->users * sizeof *s->count);
    s->year = mfr__malloc((size_t)p->movies * sizeof *s->year);
    s->tstart = mfr__malloc((size_t)p->users * sizeof *s->tstart);
    s->alias_prob = mfr__malloc((size_t)p->movies * sizeof *s->alias_prob);
    s->alias_idx = mfr__malloc((size_t)p->movies * sizeof *s->alias_idx);
    s->seen = mfr__calloc(((size_t)p->movies + 63) / 64, sizeof *s->seen);
    s->items = mfr__malloc((size_t)p->movies * sizeof *s->items);
    s->rest = mfr__malloc((size_t)p->movies * sizeof *s->rest);
    if (!s->P || !s->Q || !s->bu || !s->bi || !s->count || !s->year || !s->tstart ||
        !s->alias_prob || !s->alias_idx || !s->seen || !s->items || !s->rest) {
        synth_free(s);
        return mfr__nomem(err, "synthetic model");
    }
    mfr__rng r;
    mfr__rng_seed_stream(&r, p->seed, UINT64_C(0xFFFFFFFF00000000));
    double sd = sqrt(0.6 / sqrt((double)p->rank));
    for (size_t j = 0; j < (size_t)p->users * k; j++) s->P[j] = (float)(sd * mfr__rng_normal(&r));
    for (size_t j = 0; j < (size_t)p->movies * k; j++) s->Q[j] = (float)(sd * mfr__rng_normal(&r));
    for (int32_t u = 0; u < p->users; u++) {
        s->bu[u] = (float)(0.35 * mfr__rng_normal(&r));
        s->tstart[u] = SYNTH_T0 + (int64_t)mfr__rng_below(&r, (uint64_t)(SYNTH_T1 - SYNTH_T0));
    }
    for (int32_t i = 0; i < p->movies; i++) {
        s->bi[i] = (float)(0.45 * mfr__rng_normal(&r));
        /* more recent movies are more common, as in MovieLens */
        s->year[i] = (int16_t)(2018 - (int)(98.0 * pow(mfr__rng_uniform(&r), 2.0)));
    }
    if ((st = synth_popularity(s, &r, err)) || (st = synth_counts(s, &r, err))) {
        synth_free(s);
        return st;
    }
    return MFR_OK;
}

/* ---- one user's ratings ----------------------------------------------- */

static inline int synth_seen(const synth *s, int32_t i) { return (int)(s->seen[i >> 6] >> (i & 63)) & 1; }
static inline void synth_mark(synth *s, int32_t i) { s->seen[i >> 6] |= UINT64_C(1) << (i & 63); }

/* Fills s->items[0..count[u]) with distinct movies (sorted) for user u. */
static int32_t synth_user_items(synth *s, int32_t u, mfr__rng *r) {
    int32_t n = s->count[u], got = 0;
    int64_t tries = 0, budget = 8 * (int64_t)n + 64;
    while (got < n && tries < budget) {
        int32_t i = synth_alias_draw(s, r);
        tries++;
        if (synth_seen(s, i)) continue;
        synth_mark(s, i);
        s->items[got++] = i;
    }
    if (got < n) { /* near saturation: the rest uniformly from what is left */
        int32_t nr = 0;
        for (int32_t i = 0; i < s->p.movies; i++)
            if (!synth_seen(s, i)) s->rest[nr++] = i;
        while (got < n) {
            int32_t j = (int32_t)mfr__rng_below(r, (uint64_t)nr);
            int32_t i = s->rest[j];
            s->rest[j] = s->rest[--nr];
            synth_mark(s, i);
            s->items[got++] = i;
        }
    }
    for (int32_t j = 0; j < n; j++) s->seen[s->items[j] >> 6] = 0; /* reset */
    qsort(s->items, (size_t)n, sizeof *s->items, mfr__cmp_i32);
    return n;
}

static inline float synth_rating(const synth *s, int32_t u, int32_t i, mfr__rng *r) {
    int32_t k = s->p.rank;
    const float *pu = s->P + (size_t)u * k, *qi = s->Q + (size_t)i * k;
    double dot = 0;
    for (int32_t f = 0; f < k; f++) dot += (double)pu[f] * qi[f];
    double x = SYNTH_MU + s->bu[u] + s->bi[i] + dot + s->p.noise * mfr__rng_normal(r);
    double h = floor(x * 2.0 + 0.5) / 2.0;
    if (h < 0.5) h = 0.5;
    if (h > 5.0) h = 5.0;
    return (float)h;
}

static inline int64_t synth_time(const synth *s, int32_t u, mfr__rng *r) {
    int64_t t = s->tstart[u] + (int64_t)mfr__rng_below(r, 2 * 365 * 86400);
    return t < SYNTH_T1 ? t : SYNTH_T1 - (int64_t)mfr__rng_below(r, 86400);
}

/* Sink receiving one user's ratings (items sorted, dense indices). */
typedef mfr_status (*synth_sink)(void *ctx, int32_t u, int32_t n, const int32_t *items,
                                 const float *rating, const int64_t *time, mfr_error *err);

static mfr_status synth_run(synth *s, synth_sink sink, void *ctx, mfr_error *err) {
    int32_t nm = s->p.movies;
    float *rt = mfr__malloc((size_t)nm * sizeof *rt);
    int64_t *tm = mfr__malloc((size_t)nm * sizeof *tm);
    mfr_status st = MFR_OK;
    if (!rt || !tm) st = mfr__nomem(err, "synthetic ratings buffer");
    for (int32_t u = 0; u < s->p.users && !st; u++) {
        mfr__rng r;
        mfr__rng_seed_stream(&r, s->p.seed, (uint64_t)u);
        int32_t n = synth_user_items(s, u, &r);
        for (int32_t j = 0; j < n; j++) {
            rt[j] = synth_rating(s, u, s->items[j], &r);
            tm[j] = synth_time(s, u, &r);
        }
        if (n) st = sink(ctx, u, n, s->items, rt, tm, err);
    }
    mfr__free(rt);
    mfr__free(tm);
    return st;
}

/* ---- the catalogue ---------------------------------------------------- */

/* Title and genres of movie i into the buffers (title unquoted). */
static void synth_movie_text(const synth *s, int32_t i, char *title, size_t tcap, char *genres,
                             size_t gcap) {
    if (i % 7 == 3)
        snprintf(title, tcap, "Synthetic Movie %d, The (%d)", i + 1, s->year[i]);
    else
        snprintf(title, tcap, "Synthetic Movie %d (%d)", i + 1, s->year[i]);
    if (i % 97 == 50) { /* a few without genres, as in MovieLens */
        snprintf(genres, gcap, "(no genres listed)");
        return;
    }
    /* first genre: the movie's largest factor; then up to two more seeded by id */
    int32_t k = s->p.rank, best = 0;
    const float *q = s->Q + (size_t)i * k;
    for (int32_t f = 1; f < k; f++)
        if (q[f] > q[best]) best = f;
    int g[3], ng = 0;
    g[ng++] = best % SYNTH_N_GENRES;
    mfr__rng r;
    mfr__rng_seed_stream(&r, s->p.seed ^ UINT64_C(0x5EED), (uint64_t)i);
    int extra = (int)mfr__rng_below(&r, 3);
    for (int e = 0; e < extra; e++) {
        int c = (int)mfr__rng_below(&r, SYNTH_N_GENRES), dup = 0;
        for (int j = 0; j < ng; j++) dup |= g[j] == c;
        if (!dup) g[ng++] = c;
    }
    /* MovieLens lists genres alphabetically */
    for (int a = 1; a < ng; a++)
        for (int b = a; b > 0 && g[b] < g[b - 1]; b--) { int t = g[b]; g[b] = g[b - 1]; g[b - 1] = t; }
    size_t len = 0;
    genres[0] = '\0';
    for (int j = 0; j < ng; j++)
        len += (size_t)snprintf(genres + len, gcap - len, "%s%s", j ? "|" : "", synth_genres[g[j]]);
}

/* ---- writing files ---------------------------------------------------- */

typedef struct synth_out {
    FILE *f;
    const char *path;
    char *buf;
    size_t len, cap;
    FILE *tags;          /* tags.csv or NULL */
    const char *tags_path;
    const synth *s;
} synth_out;

static mfr_status synth_flush(synth_out *o, mfr_error *err) {
    if (o->len && fwrite(o->buf, 1, o->len, o->f) != o->len)
        return mfr__err(err, MFR_E_IO, "%s: write failed: %s", o->path, strerror(errno));
    o->len = 0;
    return MFR_OK;
}

static mfr_status synth_sink_csv(void *ctx, int32_t u, int32_t n, const int32_t *items,
                                 const float *rating, const int64_t *time, mfr_error *err) {
    synth_out *o = ctx;
    for (int32_t j = 0; j < n; j++) {
        if (o->cap - o->len < 64) {
            mfr_status st = synth_flush(o, err);
            if (st) return st;
        }
        char *p = o->buf + o->len;
        p += mfr__put_u64(p, (uint64_t)u + 1);
        *p++ = ',';
        p += mfr__put_u64(p, (uint64_t)items[j] + 1);
        *p++ = ',';
        int half = (int)(rating[j] * 2.0f + 0.5f);
        p += mfr__put_u64(p, (uint64_t)(half / 2));
        *p++ = '.';
        *p++ = half % 2 ? '5' : '0';
        *p++ = ',';
        p += mfr__put_u64(p, (uint64_t)time[j]);
        *p++ = '\n';
        o->len = (size_t)(p - o->buf);
    }
    /* tags: about one user in five tags one of their movies */
    if (o->tags && u % 5 == 0) {
        int32_t j = (u / 5) % n;
        const char *w = synth_tag_words[(u / 5 + items[j]) % SYNTH_N_TAGS];
        if (fprintf(o->tags, "%d,%d,%s,%lld\n", u + 1, items[j] + 1, w, (long long)time[j] + 60) < 0)
            return mfr__err(err, MFR_E_IO, "%s: write failed: %s", o->tags_path, strerror(errno));
    }
    return MFR_OK;
}

static FILE *synth_open(const char *dir, const char *name, char *path, size_t cap, mfr_error *err) {
    snprintf(path, cap, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) mfr__err(err, MFR_E_IO, "%s: cannot create: %s", path, strerror(errno));
    return f;
}

static mfr_status synth_close(FILE *f, const char *path, mfr_status st, mfr_error *err) {
    if (!f) return st;
    int bad = ferror(f);
    if (fclose(f) != 0) bad = 1;
    if (bad && !st) st = mfr__err(err, MFR_E_IO, "%s: write failed: %s", path, strerror(errno));
    return st;
}

/* "Title" quoted per RFC 4180 when it holds a comma or a quote. */
static int synth_csv_field(FILE *f, const char *s) {
    if (!strpbrk(s, ",\"\n")) return fputs(s, f) < 0 ? -1 : 0;
    if (fputc('"', f) == EOF) return -1;
    for (; *s; s++)
        if ((*s == '"' && fputc('"', f) == EOF) || fputc(*s, f) == EOF) return -1;
    return fputc('"', f) == EOF ? -1 : 0;
}

static mfr_status synth_write_catalog(const synth *s, const char *dir, mfr_error *err) {
    char path[4096], lpath[4096], title[128], genres[256];
    FILE *f = synth_open(dir, "movies.csv", path, sizeof path, err);
    if (!f) return MFR_E_IO;
    FILE *l = synth_open(dir, "links.csv", lpath, sizeof lpath, err);
    if (!l) {
        fclose(f);
        return MFR_E_IO;
    }
    int bad = fputs("movieId,title,genres\n", f) < 0 || fputs("movieId,imdbId,tmdbId\n", l) < 0;
    for (int32_t i = 0; i < s->p.movies && !bad; i++) {
        synth_movie_text(s, i, title, sizeof title, genres, sizeof genres);
        bad = fprintf(f, "%d,", i + 1) < 0 || synth_csv_field(f, title) < 0 ||
              fprintf(f, ",%s\n", genres) < 0;
        bad = bad || fprintf(l, "%d,%07d,%d\n", i + 1, 100000 + i, 1000 + i) < 0;
    }
    mfr_status st = bad ? mfr__err(err, MFR_E_IO, "%s: write failed: %s", path, strerror(errno)) : MFR_OK;
    st = synth_close(f, path, st, err);
    return synth_close(l, lpath, st, err);
}

static mfr_status synth_write_ratings(synth *s, const char *dir, mfr_error *err) {
    char path[4096], tpath[4096];
    synth_out o = {0};
    o.s = s;
    o.path = path;
    o.tags_path = tpath;
    o.cap = 1 << 20;
    o.buf = mfr__malloc(o.cap);
    if (!o.buf) return mfr__nomem(err, "write buffer");
    mfr_status st = MFR_OK;
    o.f = synth_open(dir, "ratings.csv", path, sizeof path, err);
    if (!o.f) st = MFR_E_IO;
    if (!st && s->p.with_tags) {
        o.tags = synth_open(dir, "tags.csv", tpath, sizeof tpath, err);
        if (!o.tags) st = MFR_E_IO;
        else if (fputs("userId,movieId,tag,timestamp\n", o.tags) < 0)
            st = mfr__err(err, MFR_E_IO, "%s: write failed", tpath);
    }
    if (!st && fputs("userId,movieId,rating,timestamp\n", o.f) < 0)
        st = mfr__err(err, MFR_E_IO, "%s: write failed: %s", path, strerror(errno));
    if (!st) st = synth_run(s, synth_sink_csv, &o, err);
    if (!st) st = synth_flush(&o, err);
    st = synth_close(o.f, path, st, err);
    st = synth_close(o.tags, tpath, st, err);
    mfr__free(o.buf);
    return st;
}

mfr_status mfr_synth_write(const mfr_synth_params *p, const char *dir, mfr_error *err) {
    if (!p || !dir || !*dir) return mfr__err(err, MFR_E_INVALID, "synth: no params or folder");
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return mfr__err(err, MFR_E_IO, "%s: cannot create folder: %s", dir, strerror(errno));
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return mfr__err(err, MFR_E_IO, "%s: not a folder", dir);
    synth s;
    mfr_status st = synth_init(&s, p, err);
    if (st) return st;
    st = synth_write_catalog(&s, dir, err);
    if (!st) st = synth_write_ratings(&s, dir, err);
    synth_free(&s);
    return st;
}

/* ---- in memory -------------------------------------------------------- */

typedef struct synth_arrays {
    int32_t *user, *item;
    float *rating;
    int64_t *time;
    int64_t n;
} synth_arrays;

static mfr_status synth_sink_arrays(void *ctx, int32_t u, int32_t n, const int32_t *items,
                                    const float *rating, const int64_t *time, mfr_error *err) {
    synth_arrays *a = ctx;
    for (int32_t j = 0; j < n; j++) a->user[a->n + j] = u;
    memcpy(a->item + a->n, items, (size_t)n * sizeof *items);
    memcpy(a->rating + a->n, rating, (size_t)n * sizeof *rating);
    memcpy(a->time + a->n, time, (size_t)n * sizeof *time);
    a->n += n;
    return MFR_OK;
}

/* Titles and genres into the dataset's string pool. */
static mfr_status synth_fill_catalog(const synth *s, mfr_dataset *ds, mfr_error *err) {
    int32_t n = s->p.movies;
    size_t cap = (size_t)n * 64 + 64, len = 1;
    char *pool = mfr__malloc(cap), title[128], genres[256];
    if (!pool) return mfr__nomem(err, "synthetic catalogue");
    pool[0] = '\0';
    for (int32_t i = 0; i < n; i++) {
        synth_movie_text(s, i, title, sizeof title, genres, sizeof genres);
        size_t tl = strlen(title) + 1, gl = strlen(genres) + 1;
        if (len + tl + gl > cap) {
            size_t ncap = cap * 2 + tl + gl;
            char *np = mfr__realloc(pool, ncap);
            if (!np) {
                mfr__free(pool);
                return mfr__nomem(err, "synthetic catalogue");
            }
            pool = np;
            cap = ncap;
        }
        ds->cat.title_off[i] = (uint32_t)len;
        memcpy(pool + len, title, tl);
        len += tl;
        if (strcmp(genres, "(no genres listed)") == 0) {
            ds->cat.genres_off[i] = 0;
        } else {
            ds->cat.genres_off[i] = (uint32_t)len;
            memcpy(pool + len, genres, gl);
            len += gl;
        }
        ds->cat.year[i] = s->year[i];
    }
    mfr__free(ds->cat.strings);
    ds->cat.strings = pool;
    ds->cat.strings_len = (int64_t)len;
    ds->n_catalog = n;
    ds->report.catalog_rows = n;
    return MFR_OK;
}

mfr_status mfr_synth_dataset(const mfr_synth_params *p, mfr_dataset **out, mfr_error *err) {
    *out = NULL;
    if (!p) return mfr__err(err, MFR_E_INVALID, "synth: no params");
    synth s;
    mfr_status st = synth_init(&s, p, err);
    if (st) return st;
    mfr_dataset *ds = NULL;
    /* Ids, maps and catalogue arrays from the builder (with no ratings); the
     * rating arrays are then filled in place, so 20 M ratings are never held
     * twice. */
    static const int32_t no_idx[1] = {0};
    static const float no_rating[1] = {0};
    st = mfr__dataset_from_arrays(p->users, p->movies, 0, no_idx, no_idx, no_rating, NULL, &ds,
                                  err);
    synth_arrays a = {0};
    if (!st) { /* the dataset's own arrays, so a failure frees them with it */
        mfr__free(ds->user), mfr__free(ds->item), mfr__free(ds->rating), mfr__free(ds->time);
        ds->user = a.user = mfr__malloc((size_t)s.total * sizeof *a.user);
        ds->item = a.item = mfr__malloc((size_t)s.total * sizeof *a.item);
        ds->rating = a.rating = mfr__malloc((size_t)s.total * sizeof *a.rating);
        ds->time = a.time = mfr__malloc((size_t)s.total * sizeof *a.time);
        if (!a.user || !a.item || !a.rating || !a.time) st = mfr__nomem(err, "synthetic ratings");
    }
    if (!st) st = synth_run(&s, synth_sink_arrays, &a, err);
    if (!st) st = synth_fill_catalog(&s, ds, err);
    if (!st) {
        ds->n_ratings = a.n;
        ds->report.rows_read = ds->report.rows_kept = a.n;
        *out = ds;
    } else {
        mfr_dataset_free(ds);
    }
    synth_free(&s);
    return st;
}
