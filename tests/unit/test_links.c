/* test_links.c — what the movie page shows beyond the catalogue: IMDb and
 * TMDB ids from links.csv (src/io/catalog.c), read at import, kept through
 * the .mfd and the .mfm files and answered by the dataset and model
 * accessors (a bad links.csv row is reported with its file, line and field
 * and skipped; a dataset without links.csv answers 0), and each movie's
 * most-used tags (src/model/tags.c), folded, most used first, kept through
 * the .mfm file. The ml-latest-small case skips without the data. */
#include "test.h"

static void put(const char *dir, const char *name, const char *text) {
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    write_whole(p, text, (long)strlen(text));
}

static const char *tiny(int with_links, const char *links) {
    const char *d = temp_dir();
    put(d, "movies.csv", "movieId,title,genres\n1,Toy Story (1995),Animation\n2,Heat (1995),Action\n"
                         "3,Seven (a.k.a. Se7en) (1995),Thriller\n");
    put(d, "ratings.csv", "userId,movieId,rating,timestamp\n1,1,4.0,1\n1,2,3.5,2\n2,1,5.0,3\n2,3,2.0,4\n");
    if (with_links) put(d, "links.csv", links);
    return d;
}

static int32_t idx(const mfr_dataset *ds, int64_t id) {
    int32_t i = mfr_dataset_item_index(ds, id);
    assert_true(i >= 0);
    return i;
}

/* Import, .mfd round trip, model, .mfm round trip: the ids survive each. */
static void links_round_trip(void **state) {
    (void)state;
    const char *d = tiny(1, "movieId,imdbId,tmdbId\n1,0114709,862\n2,0113277,\n3,0114369,807\n99,1,2\n");
    mfr_dataset *ds = NULL, *back = NULL;
    mfr_error err;
    assert_int_equal(mfr_dataset_import(d, NULL, &ds, &err), MFR_OK);
    assert_int_equal(mfr_dataset_item_imdb(ds, idx(ds, 1)), 114709);
    assert_int_equal(mfr_dataset_item_tmdb(ds, idx(ds, 1)), 862);
    assert_int_equal(mfr_dataset_item_tmdb(ds, idx(ds, 2)), 0); /* empty field: none */
    assert_int_equal(mfr_dataset_report(ds)->catalog_bad, 0);  /* movie 99 skipped, not bad */
    char path[512];
    snprintf(path, sizeof path, "%s/d.mfd", d);
    assert_int_equal(mfr_dataset_save(ds, path, &err), MFR_OK);
    assert_int_equal(mfr_dataset_import(path, NULL, &back, &err), MFR_OK);
    assert_int_equal(mfr_dataset_item_imdb(back, idx(back, 3)), 114369);
    assert_int_equal(mfr_dataset_item_tmdb(back, idx(back, 3)), 807);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_BASELINE);
    mfr_model *m = NULL, *m2 = NULL;
    assert_int_equal(mfr_model_train(back, NULL, NULL, &p, &m, &err), MFR_OK);
    int32_t mi = mfr_model_item_index(m, 1);
    assert_int_equal(mfr_model_item_imdb(m, mi), 114709);
    snprintf(path, sizeof path, "%s/m.mfm", d);
    assert_int_equal(mfr_model_save(m, path, &err), MFR_OK);
    assert_int_equal(mfr_model_load(path, &m2, &err), MFR_OK);
    assert_int_equal(mfr_model_item_imdb(m2, mfr_model_item_index(m2, 1)), 114709);
    assert_int_equal(mfr_model_item_tmdb(m2, mfr_model_item_index(m2, 3)), 807);
    assert_int_equal(mfr_model_item_imdb(m2, -1), 0);
    mfr_model_free(m2);
    mfr_model_free(m);
    mfr_dataset_free(back);
    mfr_dataset_free(ds);
}

/* Without links.csv: 0 everywhere, and the files say so. */
static void links_absent(void **state) {
    (void)state;
    const char *d = tiny(0, NULL);
    mfr_dataset *ds = NULL, *back = NULL;
    mfr_error err;
    assert_int_equal(mfr_dataset_import(d, NULL, &ds, &err), MFR_OK);
    assert_int_equal(mfr_dataset_item_imdb(ds, 0), 0);
    char path[512];
    snprintf(path, sizeof path, "%s/d.mfd", d);
    assert_int_equal(mfr_dataset_save(ds, path, &err), MFR_OK);
    assert_int_equal(mfr_dataset_import(path, NULL, &back, &err), MFR_OK);
    assert_int_equal(mfr_dataset_item_tmdb(back, 0), 0);
    mfr_dataset_free(back);
    mfr_dataset_free(ds);
}

/* A bad row: counted as a bad catalogue row, named by file, line and field. */
static void links_bad_row(void **state) {
    (void)state;
    const char *d = tiny(1, "movieId,imdbId,tmdbId\n1,0114709,862\n2,tt0113277,949\n3,1\n");
    mfr_dataset *ds = NULL;
    mfr_error err;
    assert_int_equal(mfr_dataset_import(d, NULL, &ds, &err), MFR_OK);
    assert_int_equal(mfr_dataset_report(ds)->catalog_bad, 2);
    int found = 0;
    for (int32_t k = 0; k < mfr_dataset_report(ds)->n_messages; k++) {
        const char *msg = mfr_dataset_message(ds, k);
        if (strstr(msg, "links.csv:3:") && strstr(msg, "imdbId \"tt0113277\"")) found |= 1;
        if (strstr(msg, "links.csv:4:") && strstr(msg, "expected 3 fields")) found |= 2;
    }
    assert_int_equal(found, 3);
    assert_int_equal(mfr_dataset_item_imdb(ds, idx(ds, 2)), 0);
    assert_int_equal(mfr_dataset_item_imdb(ds, idx(ds, 1)), 114709);
    mfr_dataset_free(ds);
}

static void links_movielens(void **state) {
    (void)state;
    const char *dir = movielens_dir();
    if (!dir) {
        print_message("skipped: no MovieLens data (MFR_DATA_DIR)\n");
        skip();
    }
    mfr_dataset *ds = NULL;
    mfr_error err;
    assert_int_equal(mfr_dataset_import(dir, NULL, &ds, &err), MFR_OK);
    assert_int_equal(mfr_dataset_item_imdb(ds, idx(ds, 858)), 68646); /* The Godfather */
    assert_int_equal(mfr_dataset_item_tmdb(ds, idx(ds, 858)), 238);
    mfr_dataset_stats st;
    mfr_dataset_stats_get(ds, &st);
    int32_t with = 0;
    for (int32_t i = 0; i < st.n_items; i++) with += mfr_dataset_item_imdb(ds, i) > 0;
    assert_int_equal(with, st.n_items); /* every movie of ml-latest-small has one */
    mfr_dataset_free(ds);
}

static void tags_top_and_round_trip(void **state) {
    (void)state;
    const char *d = tiny(0, NULL);
    put(d, "tags.csv", "userId,movieId,tag,timestamp\n1,1,pixar,1\n2,1,Pixar ,2\n1,1,toys,3\n"
                       "2,1,a|b,4\n1,2,heist,5\n");
    mfr_dataset *ds = NULL;
    mfr_error err;
    assert_int_equal(mfr_dataset_import(d, NULL, &ds, &err), MFR_OK);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_BASELINE);
    mfr_model *m = NULL, *m2 = NULL;
    assert_int_equal(mfr_model_train(ds, NULL, NULL, &p, &m, &err), MFR_OK);
    /* "pixar" twice (case and spaces folded) before the others, ties alphabetical */
    assert_string_equal(mfr_model_item_tags(m, mfr_model_item_index(m, 1)), "pixar|a/b|toys");
    assert_string_equal(mfr_model_item_tags(m, mfr_model_item_index(m, 2)), "heist");
    assert_string_equal(mfr_model_item_tags(m, mfr_model_item_index(m, 3)), "");
    assert_string_equal(mfr_model_item_title(m, mfr_model_item_index(m, 3)), "Seven (a.k.a. Se7en) (1995)");
    char path[512];
    snprintf(path, sizeof path, "%s/t.mfm", d);
    assert_int_equal(mfr_model_save(m, path, &err), MFR_OK);
    assert_int_equal(mfr_model_load(path, &m2, &err), MFR_OK);
    assert_string_equal(mfr_model_item_tags(m2, mfr_model_item_index(m2, 1)), "pixar|a/b|toys");
    assert_string_equal(mfr_model_item_tags(m2, -1), "");
    mfr_model_free(m2);
    mfr_model_free(m);
    mfr_dataset_free(ds);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(links_round_trip),
        cmocka_unit_test(links_absent),
        cmocka_unit_test(links_bad_row),
        cmocka_unit_test(links_movielens),
        cmocka_unit_test(tags_top_and_round_trip),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
