/* test_title.c — the title matcher (mfr_model_search_titles, src/model/title.c)
 * on ml-latest-small's real titles, as people type them: moved articles
 * ("The Matrix" for "Matrix, The (1999)"), "the godfather" naming The
 * Godfather and not the 2-rating trilogy, an optional year, typos, accents,
 * punctuation and a.k.a. titles; ranking by match quality, then popularity.
 * A baseline model (no factors needed) carries the catalogue. Skips without
 * the data. */
#include "ml_baseline.h"

/* The first hit's title and quality for query (n total in *n). */
static const char *first(const char *query, mfr_title_quality *q, int32_t *n) {
    mfr_title_hit h[8];
    int32_t got = -1;
    assert_int_equal(mfr_model_search_titles(g_m, query, h, 8, &got, NULL), MFR_OK);
    if (n) *n = got;
    if (got <= 0) return "";
    if (q) *q = h[0].quality;
    return mfr_model_item_title(g_m, h[0].item);
}

#define EXPECT_FIRST(query, title, quality)                                 \
    do {                                                                    \
        mfr_title_quality q_ = 0;                                           \
        const char *t_ = first(query, &q_, NULL);                           \
        assert_string_equal(t_, title);                                     \
        assert_int_equal(q_, quality);                                      \
    } while (0)

static void title_moved_articles(void **state) {
    (void)state;
    NEED_MODEL();
    EXPECT_FIRST("The Matrix", "Matrix, The (1999)", MFR_TITLE_EXACT);
    EXPECT_FIRST("the matrix", "Matrix, The (1999)", MFR_TITLE_EXACT);
    EXPECT_FIRST("Matrix, The", "Matrix, The (1999)", MFR_TITLE_EXACT);
    EXPECT_FIRST("matrix", "Matrix, The (1999)", MFR_TITLE_EXACT);
    EXPECT_FIRST("Les Misérables 1995", "Misérables, Les (1995)", MFR_TITLE_EXACT);
    EXPECT_FIRST("das boot", "Boot, Das (Boat, The) (1981)", MFR_TITLE_EXACT);
    EXPECT_FIRST("A Beautiful Mind", "Beautiful Mind, A (2001)", MFR_TITLE_EXACT);
    /* the rest of the matrix films follow, by popularity */
    mfr_title_hit h[8];
    int32_t n = 0;
    assert_int_equal(mfr_model_search_titles(g_m, "the matrix", h, 8, &n, NULL), MFR_OK);
    assert_true(n >= 3);
    assert_string_equal(mfr_model_item_title(g_m, h[1].item), "Matrix Reloaded, The (2003)");
    assert_int_equal(h[1].quality, MFR_TITLE_PREFIX);
}

static void title_godfather_not_the_trilogy(void **state) {
    (void)state;
    NEED_MODEL();
    EXPECT_FIRST("the godfather", "Godfather, The (1972)", MFR_TITLE_EXACT);
    EXPECT_FIRST("The Godfather", "Godfather, The (1972)", MFR_TITLE_EXACT);
    /* the year is optional, and may be given either way */
    EXPECT_FIRST("godfather 1972", "Godfather, The (1972)", MFR_TITLE_EXACT);
    EXPECT_FIRST("Godfather (1972)", "Godfather, The (1972)", MFR_TITLE_EXACT);
    EXPECT_FIRST("godfather part ii", "Godfather: Part II, The (1974)", MFR_TITLE_EXACT);
    /* a year that is part of the title is still the title */
    EXPECT_FIRST("blade runner 2049", "Blade Runner 2049 (2017)", MFR_TITLE_EXACT);
    /* with a year, only that year's titles */
    int32_t n = 0;
    assert_string_equal(first("Toy Story (1995)", NULL, &n), "Toy Story (1995)");
    assert_int_equal(n, 1);
}

static void title_typos(void **state) {
    (void)state;
    NEED_MODEL();
    EXPECT_FIRST("godfathr", "Godfather, The (1972)", MFR_TITLE_TYPO);
    EXPECT_FIRST("the matrx", "Matrix, The (1999)", MFR_TITLE_TYPO);
    EXPECT_FIRST("shawshenk redemption", "Shawshank Redemption, The (1994)", MFR_TITLE_TYPO);
    EXPECT_FIRST("pulp fiction", "Pulp Fiction (1994)", MFR_TITLE_EXACT);
    EXPECT_FIRST("plup fiction", "Pulp Fiction (1994)", MFR_TITLE_TYPO);
    /* typos only when nothing matches better; nonsense finds nothing */
    int32_t n = -1;
    first("qqqqzzzz xxyy", NULL, &n);
    assert_int_equal(n, 0);
}

static void title_folding(void **state) {
    (void)state;
    NEED_MODEL();
    EXPECT_FIRST("amelie", "Amelie (Fabuleux destin d'Amélie Poulain, Le) (2001)", MFR_TITLE_EXACT);
    EXPECT_FIRST("fabuleux destin d amelie poulain",
                 "Amelie (Fabuleux destin d'Amélie Poulain, Le) (2001)", MFR_TITLE_EXACT);
    EXPECT_FIRST("se7en", "Seven (a.k.a. Se7en) (1995)", MFR_TITLE_EXACT);
    EXPECT_FIRST("spiderman", "Spider-Man (2002)", MFR_TITLE_EXACT);
    EXPECT_FIRST("schindlers list", "Schindler's List (1993)", MFR_TITLE_EXACT);
    EXPECT_FIRST("SCHINDLER'S LIST", "Schindler's List (1993)", MFR_TITLE_EXACT);
    EXPECT_FIRST("lord rings return king",
                 "Lord of the Rings: The Return of the King, The (2003)", MFR_TITLE_WORDS);
    /* nothing to match */
    int32_t n = -1;
    first("", NULL, &n);
    assert_int_equal(n, 0);
    first("!!! ...", NULL, &n);
    assert_int_equal(n, 0);
    first("the", NULL, &n); /* a lone article is a word, not dropped */
    assert_true(n > 0);
}

/* Within a level, more-rated movies first; the total counts past cap. */
static void title_ranked_by_popularity(void **state) {
    (void)state;
    NEED_MODEL();
    mfr_title_hit h[4];
    int32_t n = 0;
    assert_int_equal(mfr_model_search_titles(g_m, "star wars", h, 4, &n, NULL), MFR_OK);
    assert_true(n > 4);
    for (int j = 1; j < 4; j++) {
        assert_true(h[j - 1].quality >= h[j].quality);
        if (h[j - 1].quality == h[j].quality)
            assert_true(mfr_model_item_count(g_m, h[j - 1].item) >= mfr_model_item_count(g_m, h[j].item));
    }
    assert_string_equal(mfr_title_quality_name(MFR_TITLE_TYPO), "typo");
    assert_int_equal(mfr_model_search_titles(g_m, NULL, h, 4, &n, NULL), MFR_E_INVALID);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(title_moved_articles),
        cmocka_unit_test(title_godfather_not_the_trilogy),
        cmocka_unit_test(title_typos),
        cmocka_unit_test(title_folding),
        cmocka_unit_test(title_ranked_by_popularity),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, ml_baseline_setup, ml_baseline_teardown);
}
