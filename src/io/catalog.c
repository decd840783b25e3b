/* catalog.c — the movie catalogue and tags readers of each MovieLens layout.
 *
 *   movies.csv  movieId,title,genres          RFC 4180 quotes, UTF-8
 *   u.item      id|title|release|video|url|19 genre flags   Latin-1
 *   movies.dat  MovieID::Title::Genres        UTF-8 or Latin-1
 *   tags.csv    userId,movieId,tag,timestamp  RFC 4180 quotes
 *   tags.dat    UserID::MovieID::Tag::Timestamp
 *   links.csv   movieId,imdbId,tmdbId         the IMDb / TMDB ids (ds->cat.links)
 *   u.user      id|age|gender|occupation|zip  ml-100k user attributes
 *   users.dat   UserID::Gender::Age::Occupation::Zip-code   ml-1m's
 *
 * Each file is read whole (they are small next to the ratings) and turned to
 * UTF-8 when it is not valid UTF-8 (mfr__slurp_text). Every movie becomes an
 * item in file order; its title (trailing spaces removed) and genres
 * ('|'-separated, "" for "(no genres listed)" or no flag set) go into the
 * string pool, and its year is the last "(YYYY)" of the title (u.item falls
 * back to the release date's year). A repeated or non-numeric movie id, or a
 * wrong field count, is a bad catalogue row (report.catalog_bad). */
#include "io_internal.h"

#include <string.h>

static const char *const genres_100k[19] = {
    "unknown",     "Action", "Adventure", "Animation", "Children's", "Comedy",  "Crime",
    "Documentary", "Drama",  "Fantasy",   "Film-Noir", "Horror",     "Musical", "Mystery",
    "Romance",     "Sci-Fi", "Thriller",  "War",       "Western"};

/* One catalogue entry; title/genres not NUL-terminated necessarily. */
static mfr_status add_movie(mfr__build *b, const char *file, int64_t line, const char *idf,
                            size_t idn, const char *title, size_t tn, const char *genres, size_t gn,
                            int32_t year_fallback, mfr_error *err) {
    mfr_import_report *rep = &b->ds->report;
    int64_t id;
    if (!mfr__parse_i64(idf, idf + idn, &id))
        return mfr__bad(b, &rep->catalog_bad, err, file, line, "movie id \"%.60s\" is not a number",
                        idf);
    if (mfr__item_find(b, id) >= 0)
        return mfr__bad(b, &rep->catalog_bad, err, file, line, "movie %lld listed twice",
                        (long long)id);
    while (tn > 0 && (title[tn - 1] == ' ' || title[tn - 1] == '\t')) tn--;
    if (gn == 18 && memcmp(genres, "(no genres listed)", 18) == 0) gn = 0;
    int32_t i = mfr__item_add(b, id);
    int64_t to = i < 0 ? -1 : mfr__pool_add(b, title, tn);
    int64_t go = to < 0 ? -1 : mfr__pool_add(b, genres, gn);
    if (go < 0) return mfr__nomem(err, "catalogue");
    int32_t y = mfr__title_year(title, tn);
    b->ds->cat.title_off[i] = (uint32_t)to;
    b->ds->cat.genres_off[i] = (uint32_t)go;
    b->ds->cat.year[i] = (int16_t)(y ? y : year_fallback);
    b->ds->n_catalog++;
    rep->catalog_rows++;
    return MFR_OK;
}

/* Shared loop: read file, skip a header (first field not an integer when
 * header_detect), hand each record to fn with the reader's arg (a layout). */
typedef mfr_status (*rec_fn)(mfr__build *b, const char *file, int64_t line, mfr__rec *r, int arg,
                             mfr_error *err);

static mfr_status each_record(mfr__build *b, const mfr__src *s, const char *name, const char *delim,
                              int quotes, rec_fn fn, int arg, mfr_error *err) {
    char *buf, file[256];
    size_t len;
    mfr_status rc = mfr__slurp_text(s, name, &buf, &len, file, sizeof file, err);
    if (rc) return rc;
    mfr__rec r;
    memset(&r, 0, sizeof r);
    size_t pos = 0;
    int64_t lines = 0;
    for (int first = 1;; first = 0) {
        int64_t line = lines + 1;
        int k = mfr__rec_next(buf, len, &pos, delim, quotes, &r, &lines);
        if (k < 0) {
            rc = mfr__nomem(err, "record buffer");
            break;
        }
        if (k == 0) break;
        if (r.n == 1 && r.len[0] == 0) continue; /* empty line */
        int64_t v;
        if (first && !mfr__parse_i64(r.f[0], r.f[0] + r.len[0], &v)) continue; /* header */
        rc = fn(b, file, line, &r, arg, err);
        if (rc) break;
    }
    mfr__free(r.scratch);
    mfr__free(buf);
    return rc;
}

/* One catalogue row of layout (MFR_FMT_ML_CSV, MFR_FMT_ML_DAT: movieId,
 * title, genres; MFR_FMT_ML_100K: u.item's 24 fields, the genres from its 19
 * flags and the year from the release date when the title has none). */
static mfr_status movie_row(mfr__build *b, const char *file, int64_t line, mfr__rec *r, int layout,
                            mfr_error *err) {
    const int fields = layout == MFR_FMT_ML_100K ? 24 : 3;
    if (r->n != fields)
        return mfr__bad(b, &b->ds->report.catalog_bad, err, file, line,
                        "expected %d fields, found %d", fields, r->n);
    if (layout != MFR_FMT_ML_100K)
        return add_movie(b, file, line, r->f[0], r->len[0], r->f[1], r->len[1], r->f[2], r->len[2],
                         0, err);
    char g[256];
    size_t gn = 0;
    for (int k = 0; k < 19; k++) {
        const char *f = r->f[5 + k];
        if (r->len[5 + k] != 1 || (f[0] != '0' && f[0] != '1'))
            return mfr__bad(b, &b->ds->report.catalog_bad, err, file, line,
                            "genre flag %d \"%.20s\" is not 0 or 1", k + 1, f);
        if (f[0] != '1') continue;
        size_t n = strlen(genres_100k[k]);
        if (gn) g[gn++] = '|';
        memcpy(g + gn, genres_100k[k], n);
        gn += n;
    }
    int32_t y = 0; /* release date "01-Jan-1995": last four characters */
    if (r->len[2] >= 4) {
        int64_t v;
        if (mfr__parse_i64(r->f[2] + r->len[2] - 4, r->f[2] + r->len[2], &v)) y = (int32_t)v;
    }
    return add_movie(b, file, line, r->f[0], r->len[0], r->f[1], r->len[1], g, gn, y, err);
}

mfr_status mfr__read_movies(mfr__build *b, const mfr__src *s, const char *name, int layout,
                            mfr_error *err) {
    const char *delim = layout == MFR_FMT_ML_100K ? "|" : layout == MFR_FMT_ML_DAT ? "::" : ",";
    mfr_status rc =
        each_record(b, s, name, delim, layout == MFR_FMT_ML_CSV, movie_row, layout, err);
    if (!rc) b->have_catalog = 1;
    return rc;
}

static mfr_status tag_row(mfr__build *b, const char *file, int64_t line, mfr__rec *r, int arg,
                          mfr_error *err) {
    mfr_import_report *rep = &b->ds->report;
    if (r->n != 4)
        return mfr__bad(b, &rep->tags_bad, err, file, line, "expected 4 fields, found %d", r->n);
    int64_t uid, mid, t;
    if (!mfr__parse_i64(r->f[0], r->f[0] + r->len[0], &uid))
        return mfr__bad(b, &rep->tags_bad, err, file, line, "user id \"%.60s\" is not a number",
                        r->f[0]);
    if (!mfr__parse_i64(r->f[1], r->f[1] + r->len[1], &mid))
        return mfr__bad(b, &rep->tags_bad, err, file, line, "movie id \"%.60s\" is not a number",
                        r->f[1]);
    if (!mfr__parse_i64(r->f[3], r->f[3] + r->len[3], &t))
        return mfr__bad(b, &rep->tags_bad, err, file, line, "timestamp \"%.60s\" is not a number",
                        r->f[3]);
    int32_t i = mfr__item_find(b, mid);
    if (i < 0)
        return mfr__bad(b, &rep->tags_bad, err, file, line, "movie %lld not in the dataset",
                        (long long)mid);
    int32_t u = mfr__idmap_get(&b->ds->user_map, uid);
    if (mfr__tag_add(b, i, u, r->f[2], r->len[2])) return mfr__nomem(err, "tags");
    rep->tags_rows++;
    return MFR_OK;
}

mfr_status mfr__read_tags(mfr__build *b, const mfr__src *s, const char *name, int layout,
                          mfr_error *err) {
    int dat = layout == MFR_FMT_ML_DAT;
    return each_record(b, s, name, dat ? "::" : ",", !dat, tag_row, 0, err);
}

/* links.csv: movieId,imdbId,tmdbId (ml-latest; either id may be empty, as
 * for a few TMDB entries). Read after the ratings, so every movie has its
 * index: ids of movies the dataset does not know are skipped silently (as in
 * links.csv of a subset). A wrong field count or an id that is not a
 * non-negative 32-bit number is a bad catalogue row (file:line, the field). */
static mfr_status link_row(mfr__build *b, const char *file, int64_t line, mfr__rec *r, int arg,
                           mfr_error *err) {
    mfr_import_report *rep = &b->ds->report;
    static const char *const field[3] = {"movieId", "imdbId", "tmdbId"};
    if (r->n != 3)
        return mfr__bad(b, &rep->catalog_bad, err, file, line,
                        "expected 3 fields (movieId,imdbId,tmdbId), found %d", r->n);
    int64_t v[3] = {0, 0, 0};
    for (int k = 0; k < 3; k++)
        if ((k == 0 || r->len[k]) && (!mfr__parse_i64(r->f[k], r->f[k] + r->len[k], &v[k]) ||
                                      v[k] < 0 || v[k] > INT32_MAX))
            return mfr__bad(b, &rep->catalog_bad, err, file, line, "%s \"%.*s\" is not an id",
                            field[k], (int)(r->len[k] < 60 ? r->len[k] : 60), r->f[k]);
    int32_t i = mfr__item_find(b, v[0]);
    if (i < 0) return MFR_OK;
    b->ds->cat.links[2 * (size_t)i] = (int32_t)v[1];
    b->ds->cat.links[2 * (size_t)i + 1] = (int32_t)v[2];
    return MFR_OK;
}

mfr_status mfr__read_links(mfr__build *b, const mfr__src *s, const char *name, mfr_error *err) {
    mfr__free(b->ds->cat.links);
    b->ds->cat.links =
        mfr__calloc(2 * (size_t)(b->ds->n_items > 0 ? b->ds->n_items : 1), sizeof *b->ds->cat.links);
    if (!b->ds->cat.links) return mfr__nomem(err, "links");
    return each_record(b, s, name, ",", 1, link_row, 0, err);
}

/* ---- user attributes: u.user (ml-100k), users.dat (ml-1m) -----------------
 * Read after the ratings, so every user has an index: rows of users with no
 * ratings are skipped (as in links.csv). ds->user_age / user_gender /
 * user_occ (dataset_impl.h) get one entry per user (0, 0, -1 when a user has
 * no row). A wrong field count, an id, age (1..120) or occupation that does
 * not parse, a gender other than M / F, or a user listed twice is a bad
 * catalogue row (report.catalog_bad, file:line and the field). ml-100k's
 * occupations are coded by their place in its u.occupation list below,
 * ml-1m's are its own codes 0..20. */
static const char *const occupations_100k[21] = {
    "administrator", "artist",    "doctor",     "educator",   "engineer", "entertainment",
    "executive",     "healthcare", "homemaker", "lawyer",     "librarian", "marketing",
    "none",          "other",     "programmer", "retired",    "salesman", "scientist",
    "student",       "technician", "writer"};

static mfr_status user_row(mfr__build *b, const char *file, int64_t line, mfr__rec *r, int layout,
                           mfr_error *err) {
    const int dat = layout == MFR_FMT_ML_DAT;
    mfr_import_report *rep = &b->ds->report;
    mfr_dataset *ds = b->ds;
    if (r->n != 5)
        return mfr__bad(b, &rep->catalog_bad, err, file, line,
                        dat ? "expected 5 fields (UserID::Gender::Age::Occupation::Zip-code), found %d"
                            : "expected 5 fields (user id|age|gender|occupation|zip code), found %d",
                        r->n);
    const int fa = dat ? 2 : 1, fg = dat ? 1 : 2, fo = 3;
    int64_t id, age, occ = -1;
    if (!mfr__parse_i64(r->f[0], r->f[0] + r->len[0], &id))
        return mfr__bad(b, &rep->catalog_bad, err, file, line, "user id \"%.*s\" is not a number",
                        (int)(r->len[0] < 60 ? r->len[0] : 60), r->f[0]);
    if (!mfr__parse_i64(r->f[fa], r->f[fa] + r->len[fa], &age) || age < 1 || age > 120)
        return mfr__bad(b, &rep->catalog_bad, err, file, line, "age \"%.*s\" is not a number in 1..120",
                        (int)(r->len[fa] < 60 ? r->len[fa] : 60), r->f[fa]);
    if (r->len[fg] != 1 || (r->f[fg][0] != 'M' && r->f[fg][0] != 'F'))
        return mfr__bad(b, &rep->catalog_bad, err, file, line, "gender \"%.*s\" is not M or F",
                        (int)(r->len[fg] < 60 ? r->len[fg] : 60), r->f[fg]);
    if (dat) {
        if (!mfr__parse_i64(r->f[fo], r->f[fo] + r->len[fo], &occ) || occ < 0 || occ > 20) occ = -2;
    } else {
        for (int k = 0; k < 21 && occ < 0; k++)
            if (strlen(occupations_100k[k]) == r->len[fo] && !memcmp(occupations_100k[k], r->f[fo], r->len[fo]))
                occ = k;
        if (occ < 0) occ = -2;
    }
    if (occ == -2)
        return mfr__bad(b, &rep->catalog_bad, err, file, line,
                        dat ? "occupation \"%.*s\" is not a code 0..20"
                            : "occupation \"%.*s\" is not one of u.occupation's",
                        (int)(r->len[fo] < 60 ? r->len[fo] : 60), r->f[fo]);
    int32_t u = mfr__idmap_get(&ds->user_map, id);
    if (u < 0) return MFR_OK;
    if (ds->user_gender[u])
        return mfr__bad(b, &rep->catalog_bad, err, file, line, "user %lld listed twice", (long long)id);
    ds->user_age[u] = (int16_t)age;
    ds->user_gender[u] = r->f[fg][0];
    ds->user_occ[u] = (int16_t)occ;
    return MFR_OK;
}

mfr_status mfr__read_users(mfr__build *b, const mfr__src *s, const char *name, int layout,
                           mfr_error *err) {
    mfr_dataset *ds = b->ds;
    size_t n = (size_t)(ds->n_users > 0 ? ds->n_users : 1);
    mfr__free(ds->user_age), mfr__free(ds->user_gender), mfr__free(ds->user_occ);
    ds->user_age = mfr__calloc(n, sizeof *ds->user_age);
    ds->user_gender = mfr__calloc(n, 1);
    ds->user_occ = mfr__malloc(n * sizeof *ds->user_occ);
    if (!ds->user_age || !ds->user_gender || !ds->user_occ) return mfr__nomem(err, "user attributes");
    for (size_t u = 0; u < n; u++) ds->user_occ[u] = -1;
    return each_record(b, s, name, layout == MFR_FMT_ML_DAT ? "::" : "|", 0, user_row, layout, err);
}
