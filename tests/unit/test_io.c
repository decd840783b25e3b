/* test_io.c — the dataset readers: every MovieLens layout on tiny hand-made
 * fixtures (tests/fixtures/io/), zips built at test time with libarchive,
 * each bad-row kind with its exact message, strict mode, missing files,
 * duplicates, allocation failures, and the ml-latest-small facts. The binary
 * .mfd file has its own tests in test_io_mfd.c. */
#include "test.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "io/io_internal.h"

static mfr_dataset *import_ok(const char *path, const mfr_import_params *p) {
    mfr_error e = {0};
    mfr_dataset *ds = NULL;
    mfr_status rc = mfr_dataset_import(path, p, &ds, &e);
    if (rc != MFR_OK) print_error("import %s: %s\n", path, e.message);
    assert_int_equal(rc, MFR_OK);
    assert_non_null(ds);
    return ds;
}

static int32_t item_of(const mfr_dataset *ds, int64_t id) {
    int32_t i = mfr_dataset_item_index(ds, id);
    assert_true(i >= 0);
    return i;
}

/* Rating of (user id, movie id), or -1. */
static float rating_of(const mfr_dataset *ds, int64_t uid, int64_t mid) {
    mfr_ratings r;
    mfr_dataset_ratings(ds, &r);
    int32_t u = mfr_dataset_user_index(ds, uid), i = mfr_dataset_item_index(ds, mid);
    for (int64_t j = 0; j < r.n; j++)
        if (r.user[j] == u && r.item[j] == i) return r.rating[j];
    return -1.f;
}

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void rm_rf(const char *dir) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* ---- MovieLens CSV ------------------------------------------------------ */

static void check_csv_fixture(const mfr_dataset *ds) {
    mfr_dataset_stats st;
    mfr_dataset_stats_get(ds, &st);
    assert_int_equal(st.n_ratings, 5);
    assert_int_equal(st.n_users, 3);
    assert_int_equal(st.n_items, 6);
    assert_int_equal(st.n_catalog, 6);
    assert_int_equal(st.n_items_rated, 3);
    assert_true(st.has_time);
    assert_float_near(st.rating_min, 0.5, 0);
    assert_float_near(st.rating_max, 5.0, 0);
    /* items in catalogue order */
    assert_int_equal(item_of(ds, 10), 0);
    assert_int_equal(item_of(ds, 60), 5);
    assert_string_equal(mfr_dataset_item_title(ds, 0), "Toy Story (1995)");
    assert_string_equal(mfr_dataset_item_genres(ds, 0),
                        "Adventure|Animation|Children|Comedy|Fantasy");
    assert_int_equal(mfr_dataset_item_year(ds, 0), 1995);
    assert_string_equal(mfr_dataset_item_title(ds, 1), "American President, The (1995)");
    assert_string_equal(mfr_dataset_item_title(ds, 2), "A \"Quoted\" Word (2001)");
    assert_string_equal(mfr_dataset_item_genres(ds, 2), "");
    assert_int_equal(mfr_dataset_item_year(ds, 2), 2001);
    assert_string_equal(mfr_dataset_item_title(ds, 3), "Unrated Film (1999)");
    assert_int_equal(mfr_dataset_item_year(ds, 3), 1999);
    assert_string_equal(mfr_dataset_item_title(ds, 4),
                        "Am\xc3\xa9lie (Fabuleux destin d'Am\xc3\xa9lie Poulain, Le) (2001)");
    assert_int_equal(mfr_dataset_item_year(ds, 5), 0);
    /* users in order of first appearance */
    assert_int_equal(mfr_dataset_user_index(ds, 1), 0);
    assert_int_equal(mfr_dataset_user_index(ds, 3), 2);
    assert_int_equal(mfr_dataset_user_id(ds, 1), 2);
    assert_int_equal(mfr_dataset_user_index(ds, 42), -1);
    assert_float_near(rating_of(ds, 1, 20), 3.5, 0);
    assert_float_near(rating_of(ds, 2, 30), 0.5, 0);
    mfr_ratings r;
    mfr_dataset_ratings(ds, &r);
    assert_int_equal(r.time[4], 964982707);
}

static void csv_folder(void **state) {
    (void)state;
    mfr_dataset *ds = import_ok(fixture("io/csv"), NULL);
    check_csv_fixture(ds);
    assert_string_equal(mfr_dataset_source(ds), fixture("io/csv"));
    const mfr_import_report *rep = mfr_dataset_report(ds);
    assert_int_equal(rep->rows_read, 5);
    assert_int_equal(rep->rows_kept, 5);
    assert_int_equal(rep->catalog_rows, 6);
    assert_int_equal(rep->n_messages, 0);
    mfr_dataset_free(ds);
}

static void csv_tags(void **state) {
    (void)state;
    mfr_dataset *ds = import_ok(fixture("io/csv"), NULL);
    assert_int_equal(mfr_dataset_n_tags(ds), 3);
    int32_t item, user;
    const char *text;
    mfr_dataset_tag(ds, 1, &item, &user, &text);
    assert_int_equal(item, item_of(ds, 20));
    assert_int_equal(user, mfr_dataset_user_index(ds, 2));
    assert_string_equal(text, "politics, romance");
    mfr_dataset_tag(ds, 2, &item, &user, &text);
    assert_int_equal(user, -1); /* user 9 has no ratings */
    assert_string_equal(text, "said \"hi\"");
    mfr_dataset_free(ds);
    mfr_import_params p = mfr_import_params_default();
    p.load_tags = 0;
    ds = import_ok(fixture("io/csv"), &p);
    assert_int_equal(mfr_dataset_n_tags(ds), 0);
    mfr_dataset_free(ds);
}

static void csv_single_file(void **state) {
    (void)state;
    mfr_dataset *ds = import_ok(fixture("io/csv/ratings.csv"), NULL);
    mfr_dataset_stats st;
    mfr_dataset_stats_get(ds, &st);
    assert_int_equal(st.n_ratings, 5);
    assert_int_equal(st.n_catalog, 0);
    assert_int_equal(st.n_items, 3); /* rated movies only, first appearance */
    assert_int_equal(item_of(ds, 10), 0);
    assert_int_equal(item_of(ds, 30), 2);
    assert_string_equal(mfr_dataset_item_title(ds, 0), "");
    mfr_dataset_free(ds);
}

static void csv_lf_no_final_newline(void **state) {
    (void)state;
    const char *d = temp_dir();
    char p[512];
    snprintf(p, sizeof p, "%s/ratings.csv", d);
    write_file(p, "userId,movieId,rating,timestamp\n7,70,1.5,1\n\n8,80,4.5,2");
    mfr_dataset *ds = import_ok(p, NULL);
    assert_int_equal(mfr_dataset_report(ds)->rows_read, 2);
    assert_float_near(rating_of(ds, 8, 80), 4.5, 0);
    mfr_dataset_free(ds);
    rm_rf(d);
}

/* ---- bad rows ------------------------------------------------------------ */

static void bad_rows_messages(void **state) {
    (void)state;
    mfr_dataset *ds = import_ok(fixture("io/bad"), NULL);
    const mfr_import_report *r = mfr_dataset_report(ds);
    assert_int_equal(r->rows_read, 12);
    assert_int_equal(r->bad_rating, 1);
    assert_int_equal(r->bad_field_count, 1);
    assert_int_equal(r->bad_number, 3);
    assert_int_equal(r->unknown_movie, 1);
    assert_int_equal(r->duplicates, 3);
    assert_int_equal(r->rows_kept, 3);
    assert_int_equal(r->n_messages, 6);
    assert_string_equal(mfr_dataset_message(ds, 0), "ratings.csv:3: rating \"7.5\" outside 0.5..5");
    assert_string_equal(mfr_dataset_message(ds, 1), "ratings.csv:4: expected 4 fields, found 2");
    assert_string_equal(mfr_dataset_message(ds, 2), "ratings.csv:5: user id \"x\" is not a number");
    assert_string_equal(mfr_dataset_message(ds, 3), "ratings.csv:6: empty rating");
    assert_string_equal(mfr_dataset_message(ds, 4), "ratings.csv:7: movie 99 not in the catalogue");
    assert_string_equal(mfr_dataset_message(ds, 5),
                        "ratings.csv:8: timestamp \"abc\" is not a number");
    assert_string_equal(mfr_dataset_message(ds, 6), "");
    mfr_dataset_free(ds);
}

static void bad_rows_max_messages(void **state) {
    (void)state;
    mfr_import_params p = mfr_import_params_default();
    p.max_messages = 2;
    mfr_dataset *ds = import_ok(fixture("io/bad"), &p);
    assert_int_equal(mfr_dataset_report(ds)->n_messages, 2);
    assert_int_equal(mfr_dataset_report(ds)->bad_number, 3); /* still counted */
    mfr_dataset_free(ds);
}

static void duplicates_keep_latest(void **state) {
    (void)state;
    mfr_dataset *ds = import_ok(fixture("io/bad"), NULL);
    assert_float_near(rating_of(ds, 1, 1), 2.0, 0); /* later timestamp wins */
    assert_float_near(rating_of(ds, 2, 3), 4.5, 0); /* later line is older: kept earlier */
    assert_float_near(rating_of(ds, 3, 1), 3.5, 0); /* tie: later line */
    mfr_ratings r;
    mfr_dataset_ratings(ds, &r);
    assert_int_equal(r.n, 3);
    /* survivors stay in file order */
    assert_int_equal(r.time[0], 200);
    assert_int_equal(r.time[1], 300);
    assert_int_equal(r.time[2], 50);
    mfr_dataset_free(ds);
}

/* mfr__import_each hands on the ratings the import keeps before dropping
 * duplicates, in file order, and keeps everything else; a text share's
 * counts and checksums are those of the ratings as read (issue 9). */
typedef struct streamed {
    int32_t *u, *i;
    float *r;
    int64_t n, chunks;
} streamed;

static void keep_streamed(void *ctx, const int32_t *u, const int32_t *i, const float *r, int64_t n) {
    streamed *s = ctx;
    s->u = realloc(s->u, sizeof *s->u * (size_t)(s->n + n));
    s->i = realloc(s->i, sizeof *s->i * (size_t)(s->n + n));
    s->r = realloc(s->r, sizeof *s->r * (size_t)(s->n + n));
    assert_non_null(s->u), assert_non_null(s->i), assert_non_null(s->r);
    memcpy(s->u + s->n, u, sizeof *u * (size_t)n);
    memcpy(s->i + s->n, i, sizeof *i * (size_t)n);
    memcpy(s->r + s->n, r, sizeof *r * (size_t)n);
    s->n += n, s->chunks++;
}

static void streamed_as_imported(const char *path, int64_t dups) {
    mfr_dataset *whole = import_ok(path, NULL), *ds = NULL;
    mfr_error e = {0};
    streamed s = {0};
    assert_int_equal(mfr__import_each(path, NULL, keep_streamed, &s, &ds, &e), MFR_OK);
    mfr_ratings r;
    mfr_dataset_ratings(whole, &r);
    assert_int_equal(s.n, r.n + dups);
    assert_int_equal(mfr_dataset_report(ds)->rows_kept, s.n);
    assert_int_equal(ds->n_ratings, 0);
    assert_null(ds->user);
    assert_int_equal(ds->n_users, whole->n_users);
    assert_int_equal(ds->n_items, whole->n_items);
    assert_memory_equal(ds->user_ids, whole->user_ids, sizeof *ds->user_ids * (size_t)ds->n_users);
    assert_memory_equal(ds->item_ids, whole->item_ids, sizeof *ds->item_ids * (size_t)ds->n_items);
    assert_int_equal(ds->n_tags, whole->n_tags);
    assert_float_near(ds->scale_min, whole->scale_min, 0);
    assert_float_near(ds->scale_max, whole->scale_max, 0);
    if (!dups) { /* the import's arrays, in its order */
        assert_memory_equal(s.u, r.user, sizeof *s.u * (size_t)r.n);
        assert_memory_equal(s.i, r.item, sizeof *s.i * (size_t)r.n);
        assert_memory_equal(s.r, r.rating, sizeof *s.r * (size_t)r.n);
    }
    /* the share: counts and the checksums of those arrays, and every rating
     * again when taken (the second pass); duplicates found by the import's check */
    mfr__mfd_share sh;
    assert_int_equal(mfr__text_share_open(path, NULL, &sh, &e), MFR_OK);
    assert_int_equal(sh.n, s.n);
    assert_int_equal(sh.crc[0], mfr__crc32(mfr__crc32(0, NULL, 0), s.u, sizeof *s.u * (size_t)s.n));
    assert_int_equal(sh.crc[2], mfr__crc32(mfr__crc32(0, NULL, 0), s.r, sizeof *s.r * (size_t)s.n));
    int64_t total = 0;
    for (int32_t u = 0; u < sh.n_users; u++) total += sh.user_count[u];
    assert_int_equal(total, s.n);
    mfr_dataset *take = NULL;
    assert_int_equal(mfr__mfd_share_take(&sh, 0, sh.n_users, 0, 0, &take, &e), MFR_OK);
    assert_int_equal(take->n_ratings, s.n);
    assert_memory_equal(take->item, s.i, sizeof *s.i * (size_t)s.n);
    assert_int_equal(mfr__mark_duplicates(take), dups);
    mfr_dataset_free(take);
    mfr__mfd_share_close(&sh);
    free(s.u), free(s.i), free(s.r);
    mfr_dataset_free(ds);
    mfr_dataset_free(whole);
}

/* A share's validation split is one process's (mfr_ratings_holdout of the
 * whole data): the held ratings in file order, and the later passes hand
 * on exactly the training ratings, which the counts then describe. */
static void share_holdout_as_one_process(void **state) {
    (void)state;
    const char *dir = movielens_dir();
    const char *path = dir ? dir : fixture("io/csv");
    mfr_dataset *whole = import_ok(path, NULL);
    mfr_ratings all, tr, va, sva;
    mfr_dataset_ratings(whole, &all);
    mfr_error e = {0};
    assert_int_equal(mfr_ratings_holdout(&all, 0.2, 99, &tr, &va, &e), MFR_OK);
    mfr__mfd_share sh;
    assert_int_equal(mfr__text_share_open(path, NULL, &sh, &e), MFR_OK);
    assert_int_equal(mfr__mfd_share_holdout(&sh, 0.2, 99, &sva, &e), MFR_OK);
    assert_int_equal(sva.n, va.n);
    assert_true(va.n > 0 && tr.n > 0);
    assert_memory_equal(sva.user, va.user, sizeof *va.user * (size_t)va.n);
    assert_memory_equal(sva.item, va.item, sizeof *va.item * (size_t)va.n);
    assert_memory_equal(sva.rating, va.rating, sizeof *va.rating * (size_t)va.n);
    int64_t total = 0;
    for (int32_t u = 0; u < sh.n_users; u++) total += sh.user_count[u];
    assert_int_equal(total, tr.n);
    mfr_dataset *take = NULL;
    assert_int_equal(mfr__mfd_share_take(&sh, 0, sh.n_users, 0, 0, &take, &e), MFR_OK);
    assert_int_equal(take->n_ratings, tr.n);
    assert_memory_equal(take->user, tr.user, sizeof *tr.user * (size_t)tr.n);
    assert_memory_equal(take->item, tr.item, sizeof *tr.item * (size_t)tr.n);
    assert_memory_equal(take->rating, tr.rating, sizeof *tr.rating * (size_t)tr.n);
    mfr_dataset_free(take);
    mfr__mfd_share_close(&sh);
    mfr_ratings_free(&sva), mfr_ratings_free(&tr), mfr_ratings_free(&va);
    mfr_dataset_free(whole);
}

static void import_streamed(void **state) {
    (void)state;
    streamed_as_imported(fixture("io/csv"), 0);
    streamed_as_imported(fixture("io/dat"), 0);
    streamed_as_imported(fixture("io/bad"), 3);
    const char *dir = movielens_dir(); /* several chunks */
    if (dir) streamed_as_imported(dir, 0);
}

static void strict_mode(void **state) {
    (void)state;
    mfr_import_params p = mfr_import_params_default();
    p.strict = 1;
    mfr_error e = {0};
    mfr_dataset *ds = (mfr_dataset *)&e;
    assert_int_equal(mfr_dataset_import(fixture("io/bad"), &p, &ds, &e), MFR_E_PARSE);
    assert_null(ds);
    assert_int_equal(e.code, MFR_E_PARSE);
    assert_string_equal(e.message, "ratings.csv:3: rating \"7.5\" outside 0.5..5");
    /* a clean folder passes strict mode */
    ds = import_ok(fixture("io/csv"), &p);
    mfr_dataset_free(ds);
}

static void missing_path(void **state) {
    (void)state;
    mfr_error e = {0};
    mfr_dataset *ds = NULL;
    const char *path = "/nonexistent-mfrec/ml-latest-small";
    assert_int_equal(mfr_dataset_import(path, NULL, &ds, &e), MFR_E_IO);
    assert_null(ds);
    assert_non_null(strstr(e.message, path));
    /* a folder without a ratings file */
    const char *d = temp_dir();
    assert_int_equal(mfr_dataset_import(d, NULL, &ds, &e), MFR_E_FORMAT);
    assert_non_null(strstr(e.message, d));
    rm_rf(d);
}

static void unreadable_catalog(void **state) {
    (void)state;
    /* movies.csv is a dangling link: present but unreadable (works as root) */
    const char *d = temp_dir();
    char p[512], m[512];
    snprintf(p, sizeof p, "%s/ratings.csv", d);
    snprintf(m, sizeof m, "%s/movies.csv", d);
    write_file(p, "1,1,4,1\n");
    assert_int_equal(symlink("/nonexistent-mfrec/movies.csv", m), 0);
    mfr_error e = {0};
    mfr_dataset *ds = NULL;
    assert_int_equal(mfr_dataset_import(d, NULL, &ds, &e), MFR_E_IO);
    assert_null(ds);
    assert_non_null(strstr(e.message, m));
    rm_rf(d);
}

static void nothing_usable(void **state) {
    (void)state;
    const char *d = temp_dir();
    char p[512];
    snprintf(p, sizeof p, "%s/ratings.csv", d);
    write_file(p, "userId,movieId,rating,timestamp\n1,1,9,1\n");
    mfr_error e = {0};
    mfr_dataset *ds = NULL;
    assert_int_equal(mfr_dataset_import(p, NULL, &ds, &e), MFR_E_PARSE);
    assert_non_null(strstr(e.message, "no usable rating"));
    assert_non_null(strstr(e.message, "ratings.csv:2: rating \"9\" outside 0.5..5"));
    rm_rf(d);
}

static void long_numbers(void **state) {
    (void)state;
    const char *d = temp_dir();
    char p[512];
    snprintf(p, sizeof p, "%s/ratings.csv", d);
    write_file(p, "userId,movieId,rating,timestamp\n123456789012345678901234,1,4,5\n1,1,4."
                  "00000000000000000000000001,5\n"
                  "1,2,4.5,99999999999999999999999\n1,3,-4,5\n1,4,4.5,5\n");
    mfr_dataset *ds = import_ok(p, NULL);
    const mfr_import_report *r = mfr_dataset_report(ds);
    assert_int_equal(r->rows_kept, 1);
    assert_int_equal(r->bad_number, 3);
    assert_int_equal(r->bad_rating, 1);
    assert_string_equal(mfr_dataset_message(ds, 0),
                        "ratings.csv:2: user id \"123456789012345678901234\" is not a number");
    assert_string_equal(mfr_dataset_message(ds, 1),
                        "ratings.csv:3: rating \"4.00000000000000000000000001\" is not a number");
    assert_string_equal(mfr_dataset_message(ds, 3), "ratings.csv:5: rating \"-4\" outside 0.5..5");
    mfr_dataset_free(ds);
    rm_rf(d);
}

/* ---- ml-100k, .dat --------------------------------------------------------- */

static void ml100k_folder(void **state) {
    (void)state;
    mfr_dataset *ds = import_ok(fixture("io/100k"), NULL);
    mfr_dataset_stats st;
    mfr_dataset_stats_get(ds, &st);
    assert_int_equal(st.n_ratings, 4);
    assert_int_equal(st.n_catalog, 3);
    assert_float_near(st.rating_min, 1.0, 0);
    assert_float_near(st.rating_max, 5.0, 0);
    int32_t i = item_of(ds, 2);
    /* Latin-1 0xE9 became UTF-8 C3 A9 */
    const char *t = mfr_dataset_item_title(ds, i);
    assert_string_equal(t, "Caf\xc3\xa9 Society (1996)");
    assert_int_equal((unsigned char)t[3], 0xC3);
    assert_int_equal((unsigned char)t[4], 0xA9);
    assert_string_equal(mfr_dataset_item_genres(ds, i), "Drama");
    assert_string_equal(mfr_dataset_item_genres(ds, item_of(ds, 1)), "Animation|Children's|Comedy");
    assert_int_equal(mfr_dataset_item_year(ds, item_of(ds, 3)), 1997); /* release date */
    assert_string_equal(mfr_dataset_item_genres(ds, item_of(ds, 3)), "unknown");
    assert_float_near(rating_of(ds, 3, 3), 2.0, 0);
    mfr_dataset_free(ds);
    ds = import_ok(fixture("io/100k/u.data"), NULL); /* the single file */
    mfr_dataset_stats_get(ds, &st);
    assert_int_equal(st.n_ratings, 4);
    assert_int_equal(st.n_catalog, 0);
    assert_float_near(st.rating_min, 1.0, 0);
    mfr_dataset_free(ds);
}

static void ml_dat_folder(void **state) {
    (void)state;
    mfr_dataset *ds = import_ok(fixture("io/dat"), NULL);
    mfr_dataset_stats st;
    mfr_dataset_stats_get(ds, &st);
    assert_int_equal(st.n_ratings, 3);
    assert_int_equal(st.n_catalog, 2);
    assert_float_near(st.rating_min, 1.0, 0); /* whole stars: ml-1m scale */
    int32_t i = item_of(ds, 2);
    assert_string_equal(mfr_dataset_item_title(ds, i), "Cit\xc3\xa9 des enfants perdus, La (1995)");
    assert_string_equal(mfr_dataset_item_genres(ds, i), "Adventure|Sci-Fi");
    assert_int_equal(mfr_dataset_item_year(ds, i), 1995);
    assert_float_near(rating_of(ds, 2, 2), 4.0, 0);
    mfr_dataset_free(ds);
}

static void ml_dat_half_stars_and_tags(void **state) {
    (void)state;
    const char *d = temp_dir();
    char p[512];
    snprintf(p, sizeof p, "%s/ratings.dat", d);
    write_file(p, "5::50::3.5::1\n5::60::0.5::2\n");
    snprintf(p, sizeof p, "%s/tags.dat", d);
    write_file(p, "5::60::dark::3\n5::61::missing::4\n");
    mfr_dataset *ds = import_ok(d, NULL);
    float lo, hi;
    mfr_dataset_scale(ds, &lo, &hi);
    assert_float_near(lo, 0.5, 0);
    assert_float_near(hi, 5.0, 0);
    assert_int_equal(mfr_dataset_n_tags(ds), 1);
    assert_int_equal(mfr_dataset_report(ds)->tags_bad, 1);
    assert_string_equal(mfr_dataset_message(ds, 0), "tags.dat:2: movie 61 not in the dataset");
    mfr_dataset_free(ds);
    rm_rf(d);
}

/* ---- generic ------------------------------------------------------------------ */

static void generic_columns(void **state) {
    (void)state;
    mfr_import_params p = mfr_import_params_default();
    mfr_error e = {0};
    assert_int_equal(mfr_import_params_set_columns(&p, "item,user,rating", &e), MFR_OK);
    assert_int_equal(p.col_item, 0);
    assert_int_equal(p.col_user, 1);
    assert_int_equal(p.col_time, -1);
    mfr_dataset *ds = import_ok(fixture("io/generic.txt"), &p);
    mfr_dataset_stats st;
    mfr_dataset_stats_get(ds, &st);
    assert_int_equal(st.n_ratings, 3);
    assert_false(st.has_time);
    assert_float_near(st.rating_min, 6.0, 0); /* the data's own range */
    assert_float_near(st.rating_max, 9.0, 0);
    assert_float_near(rating_of(ds, 2, 10), 9.0, 0);
    mfr_dataset_free(ds);
    /* params' range validates */
    p.rating_min = 1;
    p.rating_max = 8;
    ds = import_ok(fixture("io/generic.txt"), &p);
    assert_int_equal(mfr_dataset_report(ds)->bad_rating, 1);
    assert_string_equal(mfr_dataset_message(ds, 0), "generic.txt:4: rating \"9\" outside 1..8");
    mfr_dataset_free(ds);
}

static void generic_set_columns_errors(void **state) {
    (void)state;
    mfr_import_params p = mfr_import_params_default();
    mfr_error e = {0};
    assert_int_equal(mfr_import_params_set_columns(&p, "user,rating", &e), MFR_E_INVALID);
    assert_non_null(strstr(e.message, "no \"item\" column"));
    /* no rating column: implicit data */
    assert_int_equal(mfr_import_params_set_columns(&p, "user,item", &e), MFR_OK);
    assert_int_equal(p.col_rating, -1);
    assert_int_equal(mfr_import_params_set_columns(&p, "user,item,rating,movie", &e),
                     MFR_E_INVALID);
    assert_non_null(strstr(e.message, "unknown name \"movie\""));
    assert_int_equal(mfr_import_params_set_columns(&p, "user,user,rating", &e), MFR_E_INVALID);
    assert_non_null(strstr(e.message, "given twice"));
    assert_int_equal(mfr_import_params_set_columns(&p, "skip,user,item,rating,timestamp", &e),
                     MFR_OK);
    assert_int_equal(p.col_user, 1);
    assert_int_equal(p.col_time, 4);
}

/* Implicit data (no rating column: every row a 1), a gzip-compressed file
 * read as the plain one, and a catalogue given for a bare ratings file. */
static void generic_implicit_gzip_movies(void **state) {
    (void)state;
    const char *d = temp_dir();
    char plain[512], gz[512], movies[512];
    snprintf(plain, sizeof plain, "%s/clicks.csv", d);
    snprintf(gz, sizeof gz, "%s/clicks.csv.gz", d);
    snprintf(movies, sizeof movies, "%s/movies.csv", d);
    const char *text = "user,item\n1,10\n1,11\n2,10\n3,12\n";
    write_file(plain, text);
    gzFile g = gzopen(gz, "wb");
    assert_non_null(g);
    assert_int_equal(gzputs(g, text), (int)strlen(text));
    assert_int_equal(gzclose(g), Z_OK);
    write_file(movies, "movieId,title,genres\n10,Ten (1990),Drama\n11,Eleven (1991),Comedy\n12,Twelve (1992),Drama\n13,Unrated (1993),Drama\n");
    mfr_import_params ip = mfr_import_params_default();
    mfr_error e = {0};
    assert_int_equal(mfr_import_params_set_columns(&ip, "user,item", &e), MFR_OK);
    for (int k = 0; k < 2; k++) {
        mfr_dataset *ds = import_ok(k ? gz : plain, &ip);
        mfr_dataset_stats st;
        mfr_dataset_stats_get(ds, &st);
        assert_int_equal(st.n_ratings, 4);
        assert_float_near(rating_of(ds, 1, 11), 1.0, 0);
        assert_float_near(st.rating_lo, 1.0, 0);
        assert_float_near(st.rating_hi, 1.0, 0);
        mfr_dataset_free(ds);
    }
    ip.movies_path = movies;
    mfr_dataset *ds = import_ok(gz, &ip);
    mfr_dataset_stats st;
    mfr_dataset_stats_get(ds, &st);
    assert_int_equal(st.n_catalog, 4); /* the unrated movie too */
    mfr_dataset_free(ds);
    /* a catalogue goes with a single file only */
    ds = NULL;
    char folder[512], inside[600];
    snprintf(folder, sizeof folder, "%s/ml", d);
    snprintf(inside, sizeof inside, "%s/ratings.csv", folder);
    assert_int_equal(mkdir(folder, 0700), 0);
    write_file(inside, "userId,movieId,rating,timestamp\n1,10,4,1\n");
    assert_int_equal(mfr_dataset_import(folder, &ip, &ds, &e), MFR_E_INVALID);
    assert_non_null(strstr(e.message, "single ratings file"));
    /* a cut gzip stream is an error, not a short dataset */
    char cut[512];
    snprintf(cut, sizeof cut, "%s/cut.csv.gz", d);
    FILE *in = fopen(gz, "rb"), *out = fopen(cut, "wb");
    char buf[64];
    size_t n = fread(buf, 1, sizeof buf, in);
    fwrite(buf, 1, n > 24 ? 24 : n, out);
    fclose(in);
    fclose(out);
    ip.movies_path = NULL;
    assert_int_not_equal(mfr_dataset_import(cut, &ip, &ds, &e), MFR_OK);
    rm_rf(d);
}

static void generic_tab_no_header(void **state) {
    (void)state;
    const char *d = temp_dir();
    char p[512];
    snprintf(p, sizeof p, "%s/data.tsv", d);
    write_file(p, "x\t1\t10\t2.5\t100\nx\t1\t11\t3\t101\nx\t2\t10\t4\n");
    mfr_import_params ip = mfr_import_params_default();
    mfr_error e = {0};
    assert_int_equal(mfr_import_params_set_columns(&ip, "skip,user,item,rating,timestamp", &e), 0);
    ip.header = 0;
    mfr_dataset *ds = import_ok(p, &ip);
    assert_int_equal(mfr_dataset_report(ds)->rows_kept, 2);
    assert_string_equal(mfr_dataset_message(ds, 0), "data.tsv:3: expected 5 fields, found 4");
    mfr_dataset_free(ds);
    rm_rf(d);
}

/* ---- zip ---------------------------------------------------------------------- */

/* Zip the files of fixture folder src into zip_path, under folder top/ (or at
 * the top level when top is ""). */
static void make_zip(const char *zip_path, const char *src, const char *top,
                     const char *const *files) {
    struct archive *a = archive_write_new();
    assert_int_equal(archive_write_set_format_zip(a), ARCHIVE_OK);
    assert_int_equal(archive_write_open_filename(a, zip_path), ARCHIVE_OK);
    for (int k = 0; files[k]; k++) {
        char p[512], name[256];
        snprintf(p, sizeof p, "%s/%s", src, files[k]);
        snprintf(name, sizeof name, "%s%s%s", top, *top ? "/" : "", files[k]);
        FILE *f = fopen(p, "rb");
        assert_non_null(f);
        fseek(f, 0, SEEK_END);
        size_t n = (size_t)ftell(f);
        fseek(f, 0, SEEK_SET);
        char *buf = malloc(n + 1);
        assert_non_null(buf);
        assert_int_equal(fread(buf, 1, n, f), n);
        fclose(f);
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, name);
        archive_entry_set_size(e, (la_int64_t)n);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
        assert_int_equal(archive_write_data(a, buf, n), (la_ssize_t)n);
        archive_entry_free(e);
        free(buf);
    }
    archive_write_close(a);
    archive_write_free(a);
}

static void zip_csv_top_folder(void **state) {
    (void)state;
    const char *d = temp_dir();
    char z[512];
    snprintf(z, sizeof z, "%s/ml-tiny.zip", d);
    static const char *const files[] = {"movies.csv", "ratings.csv", "tags.csv", NULL};
    make_zip(z, fixture("io/csv"), "ml-tiny", files);
    mfr_dataset *ds = import_ok(z, NULL);
    check_csv_fixture(ds);
    assert_int_equal(mfr_dataset_n_tags(ds), 3);
    mfr_dataset_free(ds);
    rm_rf(d);
}

static void zip_100k_flat(void **state) {
    (void)state;
    const char *d = temp_dir();
    char z[512];
    snprintf(z, sizeof z, "%s/archive.zip", d);
    static const char *const files[] = {"u.item", "u.data", NULL};
    make_zip(z, fixture("io/100k"), "", files);
    mfr_dataset *ds = import_ok(z, NULL);
    assert_int_equal(mfr_dataset_report(ds)->rows_kept, 4);
    assert_string_equal(mfr_dataset_item_title(ds, item_of(ds, 2)), "Caf\xc3\xa9 Society (1996)");
    mfr_dataset_free(ds);
    rm_rf(d);
}

static void zip_bad_rows_and_missing(void **state) {
    (void)state;
    const char *d = temp_dir();
    char z[512];
    snprintf(z, sizeof z, "%s/bad.zip", d);
    static const char *const files[] = {"ratings.csv", "movies.csv", NULL};
    make_zip(z, fixture("io/bad"), "bad", files);
    mfr_dataset *ds = import_ok(z, NULL);
    assert_string_equal(mfr_dataset_message(ds, 0), "ratings.csv:3: rating \"7.5\" outside 0.5..5");
    mfr_dataset_free(ds);
    /* a zip without any ratings file */
    static const char *const only[] = {"movies.csv", NULL};
    make_zip(z, fixture("io/bad"), "", only);
    mfr_error e = {0};
    assert_int_equal(mfr_dataset_import(z, NULL, &ds, &e), MFR_E_FORMAT);
    assert_non_null(strstr(e.message, z));
    /* not a zip at all */
    write_file(z, "this is not a zip");
    assert_int_equal(mfr_dataset_import(z, NULL, &ds, &e), MFR_E_IO);
    assert_non_null(strstr(e.message, z));
    rm_rf(d);
}

/* ---- parsing helpers -------------------------------------------------------- */

static void title_years(void **state) {
    (void)state;
    const char *t = "Babylon 5: In the Beginning (1998) (1998)";
    assert_int_equal(mfr__title_year(t, strlen(t)), 1998);
    t = "Ready Player One";
    assert_int_equal(mfr__title_year(t, strlen(t)), 0);
    t = "1984 (1956) ";
    assert_int_equal(mfr__title_year(t, strlen(t)), 1956);
    t = "(500) Days of Summer (2009)";
    assert_int_equal(mfr__title_year(t, strlen(t)), 2009);
    float r;
    assert_true(mfr__parse_rating("3.5", "3.5" + 3, &r));
    assert_float_near(r, 3.5, 0);
    assert_false(mfr__parse_rating("3.5.1", "3.5.1" + 5, &r));
    assert_false(mfr__parse_rating("", "", &r));
    int64_t v;
    assert_true(mfr__parse_i64("-42", "-42" + 3, &v));
    assert_int_equal(v, -42);
    assert_false(mfr__parse_i64("4 2", "4 2" + 3, &v));
}

static void record_quotes(void **state) {
    (void)state;
    /* quoted field spanning lines, doubled quotes, CRLF, empty fields */
    const char *text = "1,\"multi\r\nline\",x\r\n2,\"a \"\"b\"\", c\",\r\n3,,\"\"\n";
    size_t pos = 0, len = strlen(text);
    int64_t lines = 0;
    mfr__rec r;
    memset(&r, 0, sizeof r);
    assert_int_equal(mfr__rec_next(text, len, &pos, ",", 1, &r, &lines), 1);
    assert_int_equal(r.n, 3);
    assert_string_equal(r.f[1], "multi\r\nline");
    assert_int_equal(lines, 2);
    assert_int_equal(mfr__rec_next(text, len, &pos, ",", 1, &r, &lines), 1);
    assert_int_equal(r.n, 3);
    assert_string_equal(r.f[1], "a \"b\", c");
    assert_string_equal(r.f[2], "");
    assert_int_equal(mfr__rec_next(text, len, &pos, ",", 1, &r, &lines), 1);
    assert_int_equal(r.n, 3);
    assert_int_equal(r.len[1], 0);
    assert_int_equal(r.len[2], 0);
    assert_int_equal(lines, 4);
    assert_int_equal(mfr__rec_next(text, len, &pos, ",", 1, &r, &lines), 0);
    /* "::" delimiter, a title with single colons, no quoting */
    const char *dat = "7::Star: \"Wars\"::Sci-Fi";
    pos = 0;
    assert_int_equal(mfr__rec_next(dat, strlen(dat), &pos, "::", 0, &r, &lines), 1);
    assert_int_equal(r.n, 3);
    assert_string_equal(r.f[1], "Star: \"Wars\"");
    mfr__free(r.scratch);
}

static void generic_double_colon(void **state) {
    (void)state;
    const char *d = temp_dir();
    char p[512];
    snprintf(p, sizeof p, "%s/r.txt", d);
    write_file(p, "4::40::2.5::9\n4::41::3::10\n");
    mfr_import_params ip = mfr_import_params_default();
    ip.delimiter = ':';
    mfr_dataset *ds = import_ok(p, &ip);
    assert_int_equal(mfr_dataset_report(ds)->rows_kept, 2);
    assert_float_near(rating_of(ds, 4, 40), 2.5, 0);
    mfr_dataset_free(ds);
    ds = import_ok(p, NULL); /* sniffed */
    assert_int_equal(mfr_dataset_report(ds)->rows_kept, 2);
    mfr_dataset_free(ds);
    rm_rf(d);
}

static int count_progress(const mfr_progress *pr, void *user) {
    int *calls = user;
    assert_string_equal(pr->stage, "import");
    assert_true(pr->step >= (1 << 20));
    return ++*calls >= 1; /* cancel at the first report */
}

static void progress_cancel(void **state) {
    (void)state;
    const char *d = temp_dir();
    char p[512];
    snprintf(p, sizeof p, "%s/ratings.csv", d);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    for (int j = 0; j < (1 << 20) + 10; j++) fprintf(f, "%d,%d,3,1\n", j % 1000, j / 1000);
    fclose(f);
    mfr_import_params ip = mfr_import_params_default();
    int calls = 0;
    ip.progress = count_progress;
    ip.progress_user = &calls;
    mfr_error e = {0};
    mfr_dataset *ds = NULL;
    assert_int_equal(mfr_dataset_import(p, &ip, &ds, &e), MFR_E_CANCELLED);
    assert_null(ds);
    assert_int_equal(calls, 1);
    /* without a callback the same file imports */
    ds = import_ok(p, NULL);
    assert_int_equal(mfr_dataset_report(ds)->rows_kept, (1 << 20) + 10);
    mfr_dataset_free(ds);
    rm_rf(d);
}

/* ---- faults ------------------------------------------------------------------ */

static void fault_import(void **state) {
    (void)state;
    const char *d = temp_dir();
    char z[512];
    snprintf(z, sizeof z, "%s/f.zip", d);
    static const char *const files[] = {"movies.csv", "ratings.csv", "tags.csv", NULL};
    make_zip(z, fixture("io/csv"), "top", files);
    const char *paths[] = {fixture("io/csv"), fixture("io/bad"), fixture("io/100k"),
                           fixture("io/dat"), z};
    for (int k = 0; k < 5; k++) {
        int ok = 0;
        for (long n = 0; n < 5000 && !ok; n++) {
            mfr_error e = {0};
            mfr_dataset *ds = NULL;
            mfr__alloc_fail_after(n);
            mfr_status rc = mfr_dataset_import(paths[k], NULL, &ds, &e);
            mfr__alloc_fail_after(-1);
            if (rc == MFR_OK) {
                assert_true(n > 3);
                ok = 1;
                if (k == 0 || k == 4) check_csv_fixture(ds);
                mfr_dataset_free(ds);
                continue;
            }
            if (rc != MFR_E_NOMEM) print_error("n=%ld: %s\n", n, e.message);
            assert_int_equal(rc, MFR_E_NOMEM);
            assert_null(ds);
        }
        assert_true(ok);
    }
    rm_rf(d);
}

/* ---- the real data ------------------------------------------------------------ */

static void movielens_small_facts(void **state) {
    (void)state;
    const char *dir = movielens_dir();
    if (!dir) {
        print_message("skipped: ml-latest-small not found (set MFR_DATA_DIR)\n");
        skip();
    }
    mfr_dataset *ds = import_ok(dir, NULL);
    mfr_dataset_stats st;
    mfr_dataset_stats_get(ds, &st);
    assert_int_equal(st.n_ratings, 100836);
    assert_int_equal(st.n_users, 610);
    assert_int_equal(st.n_items, 9742);
    assert_int_equal(st.n_catalog, 9742);
    assert_int_equal(st.n_items_rated, 9724);
    assert_int_equal(st.n_tags, 3683);
    assert_float_near(st.rating_lo, 0.5, 0);
    assert_float_near(st.rating_hi, 5.0, 0);
    assert_int_equal(st.user_min, 20);
    const mfr_import_report *r = mfr_dataset_report(ds);
    assert_int_equal(r->rows_read, 100836);
    assert_int_equal(r->duplicates, 0);
    assert_int_equal(r->n_messages, 0);
    int32_t toy = item_of(ds, 1);
    assert_string_equal(mfr_dataset_item_title(ds, toy), "Toy Story (1995)");
    assert_string_equal(mfr_dataset_item_genres(ds, toy),
                        "Adventure|Animation|Children|Comedy|Fantasy");
    assert_int_equal(mfr_dataset_item_year(ds, toy), 1995);
    assert_string_equal(mfr_dataset_item_title(ds, item_of(ds, 11)),
                        "American President, The (1995)");
    mfr_ratings rt;
    mfr_dataset_ratings(ds, &rt);
    /* first row 1,1,4.0,964982703; last 610,170875,3.0,1493846415 */
    assert_int_equal(rt.user[0], mfr_dataset_user_index(ds, 1));
    assert_int_equal(rt.item[0], toy);
    assert_float_near(rt.rating[0], 4.0, 0);
    assert_int_equal(rt.time[0], 964982703);
    assert_int_equal(rt.item[rt.n - 1], item_of(ds, 170875));
    assert_int_equal(rt.time[rt.n - 1], 1493846415);
    /* rows per rating value */
    static const int64_t want[10] = {1370,  2811,  1791,  7551, 5550,
                                     20047, 13136, 26818, 8551, 13211};
    int64_t got[10] = {0};
    int64_t tmin = INT64_MAX, tmax = 0;
    for (int64_t j = 0; j < rt.n; j++) {
        got[(int)(rt.rating[j] * 2) - 1]++;
        if (rt.time[j] < tmin) tmin = rt.time[j];
        if (rt.time[j] > tmax) tmax = rt.time[j];
    }
    for (int k = 0; k < 10; k++) assert_int_equal(got[k], want[k]);
    assert_int_equal(tmin, 828124615);
    assert_int_equal(tmax, 1537799250);
    int32_t hi = -1;
    for (int32_t i = 0; i < st.n_items; i++)
        if (hi < 0 || mfr_dataset_item_id(ds, i) > mfr_dataset_item_id(ds, hi)) hi = i;
    assert_int_equal(mfr_dataset_item_id(ds, hi), 193609);
    mfr_dataset_free(ds);
}

/* The ml-latest-small.zip layout (everything inside ml-latest-small/), built
 * from the real files: the same dataset as the folder. */
static void movielens_small_zip(void **state) {
    (void)state;
    const char *dir = movielens_dir();
    if (!dir) {
        print_message("skipped: ml-latest-small not found (set MFR_DATA_DIR)\n");
        skip();
    }
    const char *d = temp_dir();
    char z[512];
    snprintf(z, sizeof z, "%s/ml-latest-small.zip", d);
    static const char *const files[] = {"links.csv",  "movies.csv", "ratings.csv",
                                        "README.txt", "tags.csv",   NULL};
    make_zip(z, dir, "ml-latest-small", files);
    mfr_dataset *a = import_ok(dir, NULL), *b = import_ok(z, NULL);
    mfr_ratings ra, rb;
    mfr_dataset_ratings(a, &ra);
    mfr_dataset_ratings(b, &rb);
    assert_int_equal(rb.n, 100836);
    assert_int_equal(rb.n_items, 9742);
    assert_memory_equal(ra.user, rb.user, (size_t)ra.n * sizeof *ra.user);
    assert_memory_equal(ra.item, rb.item, (size_t)ra.n * sizeof *ra.item);
    assert_memory_equal(ra.rating, rb.rating, (size_t)ra.n * sizeof *ra.rating);
    assert_memory_equal(ra.time, rb.time, (size_t)ra.n * sizeof *ra.time);
    for (int32_t i = 0; i < ra.n_items; i++)
        assert_string_equal(mfr_dataset_item_title(a, i), mfr_dataset_item_title(b, i));
    assert_int_equal(mfr_dataset_n_tags(b), 3683);
    mfr_dataset_free(a);
    mfr_dataset_free(b);
    rm_rf(d);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(csv_folder),
        cmocka_unit_test(csv_tags),
        cmocka_unit_test(csv_single_file),
        cmocka_unit_test(csv_lf_no_final_newline),
        cmocka_unit_test(bad_rows_messages),
        cmocka_unit_test(bad_rows_max_messages),
        cmocka_unit_test(duplicates_keep_latest),
        cmocka_unit_test(import_streamed),
        cmocka_unit_test(share_holdout_as_one_process),
        cmocka_unit_test(strict_mode),
        cmocka_unit_test(missing_path),
        cmocka_unit_test(unreadable_catalog),
        cmocka_unit_test(nothing_usable),
        cmocka_unit_test(long_numbers),
        cmocka_unit_test(ml100k_folder),
        cmocka_unit_test(ml_dat_folder),
        cmocka_unit_test(ml_dat_half_stars_and_tags),
        cmocka_unit_test(generic_columns),
        cmocka_unit_test(generic_set_columns_errors),
        cmocka_unit_test(generic_implicit_gzip_movies),
        cmocka_unit_test(generic_tab_no_header),
        cmocka_unit_test(zip_csv_top_folder),
        cmocka_unit_test(zip_100k_flat),
        cmocka_unit_test(zip_bad_rows_and_missing),
        cmocka_unit_test(title_years),
        cmocka_unit_test(record_quotes),
        cmocka_unit_test(generic_double_colon),
        cmocka_unit_test(progress_cancel),
        cmocka_unit_test(fault_import),
        cmocka_unit_test(movielens_small_facts),
        cmocka_unit_test(movielens_small_zip),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
