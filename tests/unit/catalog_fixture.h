/* catalog_fixture.h — a tiny rated catalogue for the content and hybrid tests
 * (tests/unit/test_algo_content.c, test_algo_hybrid.c): six movies with
 * genres and tags, twelve users in two taste groups, movie 5 never rated.
 *
 *   0 Alien          Horror|Sci-Fi             tags space, creature
 *   1 Aliens         Action|Horror|Sci-Fi      tags space, creature, " Space "
 *   2 Notting Hill   Comedy|Romance            tag  london
 *   3 Love Actually  Comedy|Romance            tags london, christmas
 *   4 Toy Story      Animation|Children|Comedy
 *   5 Solaris        Drama|Sci-Fi              tag  space        (no ratings)
 *
 * Users 0..5 like science fiction (0, 1 high; 2, 3 low), users 6..11 the
 * reverse; user 0 has not rated movies 1 and 3. */
#ifndef MFR_CATALOG_FIXTURE_H
#define MFR_CATALOG_FIXTURE_H

#include "test.h"
#include "core/core.h"
#include "data/dataset_impl.h"

static const char *const CF_TITLE[6] = {"Alien (1979)", "Aliens (1986)", "Notting Hill (1999)",
                                        "Love Actually (2003)", "Toy Story (1995)", "Solaris (1972)"};
static const char *const CF_GENRES[6] = {"Horror|Sci-Fi", "Action|Horror|Sci-Fi", "Comedy|Romance",
                                         "Comedy|Romance", "Animation|Children|Comedy", "Drama|Sci-Fi"};
static const struct { int32_t item; const char *text; } CF_TAGS[] = {
    {0, "space"}, {0, "creature"}, {1, "space"}, {1, "creature"}, {1, " Space "},
    {2, "london"}, {3, "London"}, {3, "christmas"}, {5, "space"},
};
#define CF_NTAGS ((int)(sizeof CF_TAGS / sizeof CF_TAGS[0]))

/* Append s to the pool; returns its offset. */
static inline uint32_t cf_put(char *pool, size_t *len, const char *s) {
    uint32_t off = (uint32_t)*len;
    size_t n = strlen(s) + 1;
    memcpy(pool + *len, s, n);
    *len += n;
    return off;
}

static inline mfr_dataset *catalog_fixture(void) {
    int32_t u[80], i[80];
    float r[80];
    int n = 0;
    static const float fan[5] = {5, 4.5f, 1.5f, 2, 3}, other[5] = {1.5f, 2, 5, 4.5f, 3};
    for (int a = 0; a < 12; a++)
        for (int b = 0; b < 5; b++) {
            if (a == 0 && (b == 1 || b == 3)) continue;
            u[n] = a, i[n] = b, r[n] = a < 6 ? fan[b] : other[b], n++;
        }
    mfr_dataset *ds = NULL;
    assert_int_equal(mfr__dataset_from_arrays(12, 6, n, u, i, r, NULL, &ds, NULL), MFR_OK);
    ds->scale_min = 0.5f, ds->scale_max = 5.f;
    char *pool = mfr__malloc(4096);
    size_t len = 1;
    pool[0] = '\0';
    for (int j = 0; j < 6; j++) {
        ds->cat.title_off[j] = cf_put(pool, &len, CF_TITLE[j]);
        ds->cat.genres_off[j] = cf_put(pool, &len, CF_GENRES[j]);
    }
    ds->tag_item = mfr__malloc(sizeof(int32_t) * CF_NTAGS);
    ds->tag_user = mfr__malloc(sizeof(int32_t) * CF_NTAGS);
    ds->tag_off = mfr__malloc(sizeof(uint32_t) * CF_NTAGS);
    for (int j = 0; j < CF_NTAGS; j++) {
        ds->tag_item[j] = CF_TAGS[j].item;
        ds->tag_user[j] = j % 12;
        ds->tag_off[j] = cf_put(pool, &len, CF_TAGS[j].text);
    }
    ds->n_tags = CF_NTAGS;
    mfr__free(ds->cat.strings);
    ds->cat.strings = pool;
    ds->cat.strings_len = (int64_t)len;
    ds->n_catalog = 6;
    return ds;
}

/* Index of the best-scored row, or -1. */
static inline int32_t cf_top(const mfr_scored *s, int32_t n) { return n > 0 ? s[0].item : -1; }

#endif
