/* test_synth.c — synthetic data (src/io/synth.c): same seed gives the same
 * bytes, exact counts, no duplicate pairs, half-star ratings in range, the
 * files and the in-memory dataset agree, movie popularity is skewed by zipf,
 * user activity is heavy-tailed, and 5 M ratings are generated quickly. */
#include "test.h"

#include <time.h>

#include "core/core.h" /* mfr__alloc_fail_after */

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    size_t got = fread(b, 1, (size_t)n, f);
    b[got] = '\0';
    fclose(f);
    *len = got;
    return b;
}

static const char *path_in(const char *dir, const char *name) {
    static char buf[4][1024];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static mfr_synth_params small_params(void) {
    mfr_synth_params p = mfr_synth_params_default();
    p.users = 300;
    p.movies = 500;
    p.ratings = 20000;
    p.rank = 5;
    p.seed = 42;
    return p;
}

static void same_seed_same_bytes(void **state) {
    (void)state;
    mfr_synth_params p = small_params();
    p.with_tags = 1;
    const char *a = temp_dir(), *b = temp_dir(), *c = temp_dir();
    mfr_error err;
    assert_int_equal(mfr_synth_write(&p, a, &err), MFR_OK);
    assert_int_equal(mfr_synth_write(&p, b, &err), MFR_OK);
    p.seed = 43;
    assert_int_equal(mfr_synth_write(&p, c, &err), MFR_OK);
    const char *files[] = {"ratings.csv", "movies.csv", "links.csv", "tags.csv"};
    for (int f = 0; f < 4; f++) {
        size_t la, lb;
        char *x = slurp(path_in(a, files[f]), &la), *y = slurp(path_in(b, files[f]), &lb);
        assert_non_null(x);
        assert_non_null(y);
        assert_int_equal(la, lb);
        assert_memory_equal(x, y, la);
        free(x);
        free(y);
    }
    size_t la, lc;
    char *x = slurp(path_in(a, "ratings.csv"), &la), *z = slurp(path_in(c, "ratings.csv"), &lc);
    assert_true(la != lc || memcmp(x, z, la) != 0);
    free(x);
    free(z);
}

/* Parses ratings.csv checking every row; returns the row count. */
static int64_t check_ratings_file(const char *path, const mfr_synth_params *p, int32_t *per_movie) {
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[256];
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "userId,movieId,rating,timestamp\n");
    long pu = 0, pm = 0;
    int64_t n = 0;
    while (fgets(line, sizeof line, f)) {
        long u, m, t;
        double r;
        assert_int_equal(sscanf(line, "%ld,%ld,%lf,%ld", &u, &m, &r, &t), 4);
        assert_in_range(u, 1, p->users);
        assert_in_range(m, 1, p->movies);
        assert_true(r >= 0.5 && r <= 5.0);
        assert_float_near(r * 2, floor(r * 2 + 0.5), 1e-9); /* half stars */
        assert_true(t > 800000000L && t < 1600000000L);
        /* sorted by user, then movie, strictly: no duplicate pairs */
        assert_true(u > pu || (u == pu && m > pm));
        pu = u;
        pm = m;
        per_movie[m - 1]++;
        n++;
    }
    fclose(f);
    return n;
}

static void counts_and_layout(void **state) {
    (void)state;
    mfr_synth_params p = small_params();
    const char *d = temp_dir();
    mfr_error err;
    assert_int_equal(mfr_synth_write(&p, d, &err), MFR_OK);
    int32_t *per_movie = calloc((size_t)p.movies, sizeof *per_movie);
    assert_int_equal(check_ratings_file(path_in(d, "ratings.csv"), &p, per_movie), p.ratings);
    free(per_movie);
    FILE *f = fopen(path_in(d, "movies.csv"), "r");
    assert_non_null(f);
    char line[512];
    int lines = 0, quoted = 0;
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "movieId,title,genres\n");
    while (fgets(line, sizeof line, f)) {
        lines++;
        assert_non_null(strstr(line, "Synthetic Movie "));
        if (strstr(line, ",\"Synthetic Movie ")) {
            quoted++;
            assert_non_null(strstr(line, ", The ("));
        }
    }
    fclose(f);
    assert_int_equal(lines, p.movies);
    assert_true(quoted > 0);
}

/* users * movies smaller than the target: every cell once. */
static void saturated_grid(void **state) {
    (void)state;
    mfr_synth_params p = small_params();
    p.users = 20;
    p.movies = 30;
    p.ratings = 10000;
    mfr_dataset *ds;
    mfr_error err;
    assert_int_equal(mfr_synth_dataset(&p, &ds, &err), MFR_OK);
    mfr_dataset_stats st;
    mfr_dataset_stats_get(ds, &st);
    assert_int_equal(st.n_ratings, 600);
    assert_int_equal(st.user_min, 30);
    mfr_dataset_free(ds);
}

/* The in-memory dataset holds exactly the rows of ratings.csv. */
static void dataset_matches_files(void **state) {
    (void)state;
    mfr_synth_params p = small_params();
    const char *d = temp_dir();
    mfr_error err;
    mfr_dataset *ds;
    assert_int_equal(mfr_synth_write(&p, d, &err), MFR_OK);
    assert_int_equal(mfr_synth_dataset(&p, &ds, &err), MFR_OK);
    mfr_ratings r;
    mfr_dataset_ratings(ds, &r);
    assert_int_equal(r.n, p.ratings);
    assert_non_null(r.time);
    FILE *f = fopen(path_in(d, "ratings.csv"), "r");
    char line[256];
    assert_non_null(fgets(line, sizeof line, f));
    for (int64_t j = 0; j < r.n; j++) {
        long u, m, t;
        double x;
        assert_non_null(fgets(line, sizeof line, f));
        assert_int_equal(sscanf(line, "%ld,%ld,%lf,%ld", &u, &m, &x, &t), 4);
        assert_int_equal(mfr_dataset_user_id(ds, r.user[j]), u);
        assert_int_equal(mfr_dataset_item_id(ds, r.item[j]), m);
        assert_float_near(r.rating[j], x, 1e-6);
        assert_int_equal(r.time[j], t);
    }
    fclose(f);
    /* the catalogue came along */
    assert_non_null(strstr(mfr_dataset_item_title(ds, 0), "Synthetic Movie 1 ("));
    assert_true(mfr_dataset_item_year(ds, 0) >= 1920 && mfr_dataset_item_year(ds, 0) <= 2018);
    mfr_dataset_stats st;
    mfr_dataset_stats_get(ds, &st);
    assert_int_equal(st.n_catalog, p.movies);
    assert_true(st.rating_mean > 3.0 && st.rating_mean < 4.0);
    mfr_dataset_free(ds);
}

static int cmp_desc(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x < y) - (x > y);
}

/* Share of the ratings going to the top 10% of movies. */
static double top_decile_share(float zipf) {
    mfr_synth_params p = small_params();
    p.zipf = zipf;
    mfr_dataset *ds;
    mfr_error err;
    assert_int_equal(mfr_synth_dataset(&p, &ds, &err), MFR_OK);
    mfr_ratings r;
    mfr_dataset_ratings(ds, &r);
    int32_t *cnt = calloc((size_t)p.movies, sizeof *cnt);
    for (int64_t j = 0; j < r.n; j++) cnt[r.item[j]]++;
    qsort(cnt, (size_t)p.movies, sizeof *cnt, cmp_desc);
    int64_t top = 0;
    for (int32_t i = 0; i < p.movies / 10; i++) top += cnt[i];
    free(cnt);
    mfr_dataset_free(ds);
    return (double)top / (double)p.ratings;
}

static void popularity_skew(void **state) {
    (void)state;
    double flat = top_decile_share(0.0f), skewed = top_decile_share(1.0f);
    print_message("top 10%% of movies: %.3f of ratings (zipf 0), %.3f (zipf 1)\n", flat, skewed);
    assert_true(flat < 0.15);   /* uniform: about 0.10 */
    assert_true(skewed > 0.30); /* Zipf(1) over 500 movies, minus distinct-per-user */
}

static void activity_heavy_tailed(void **state) {
    (void)state;
    mfr_synth_params p = small_params();
    mfr_dataset *ds;
    mfr_error err;
    assert_int_equal(mfr_synth_dataset(&p, &ds, &err), MFR_OK);
    mfr_ratings r;
    mfr_dataset_ratings(ds, &r);
    int32_t *cnt = calloc((size_t)p.users, sizeof *cnt);
    for (int64_t j = 0; j < r.n; j++) cnt[r.user[j]]++;
    qsort(cnt, (size_t)p.users, sizeof *cnt, cmp_desc);
    int32_t median = cnt[p.users / 2], max = cnt[0];
    print_message("ratings per user: max %d, median %d, min %d\n", max, median, cnt[p.users - 1]);
    assert_true(max > 4 * median);
    assert_true(cnt[p.users - 1] >= 20); /* the floor */
    free(cnt);
    mfr_dataset_free(ds);
}

static void bad_params(void **state) {
    (void)state;
    mfr_error err;
    mfr_dataset *ds;
    mfr_synth_params p = small_params();
    p.users = 0;
    assert_int_equal(mfr_synth_dataset(&p, &ds, &err), MFR_E_INVALID);
    assert_null(ds);
    assert_non_null(strstr(err.message, "users"));
    p = small_params();
    p.noise = -1;
    assert_int_equal(mfr_synth_dataset(&p, &ds, &err), MFR_E_INVALID);
    assert_non_null(strstr(err.message, "noise"));
    p = small_params();
    assert_int_equal(mfr_synth_write(&p, "/proc/mfrec-no/such", &err), MFR_E_IO);
    assert_non_null(strstr(err.message, "/proc/mfrec-no/such"));
}

/* 5 M ratings in memory: exact count, distinct pairs, and the time it took. */
static void scale_5m_slow(void **state) {
    (void)state;
    mfr_synth_params p = mfr_synth_params_default();
    p.users = 50000;
    p.movies = 20000;
    p.ratings = 5000000;
    p.rank = 10;
    mfr_dataset *ds;
    mfr_error err;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(mfr_synth_dataset(&p, &ds, &err), MFR_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    print_message("5M synthetic ratings in %.2f s\n", secs);
    mfr_ratings r;
    mfr_dataset_ratings(ds, &r);
    assert_int_equal(r.n, p.ratings);
    for (int64_t j = 1; j < r.n; j++)
        assert_true(r.user[j] > r.user[j - 1] || (r.user[j] == r.user[j - 1] && r.item[j] > r.item[j - 1]));
    assert_true(secs < 60.0);
    mfr_dataset_free(ds);
}

/* Every allocation failing in turn: MFR_E_NOMEM and nothing leaked (ASan),
 * until enough succeed and the result is complete. */
static void fault_alloc(void **state) {
    (void)state;
    mfr_synth_params p = small_params();
    p.users = 30;
    p.movies = 40;
    p.ratings = 300;
    const char *d = temp_dir();
    for (int mode = 0; mode < 2; mode++) {
        int ok = 0, failed = 0;
        for (long n = 0; n < 200 && !ok; n++) {
            mfr_error err;
            mfr_dataset *ds = NULL;
            mfr__alloc_fail_after(n);
            mfr_status s = mode ? mfr_synth_write(&p, d, &err) : mfr_synth_dataset(&p, &ds, &err);
            mfr__alloc_fail_after(-1);
            if (s == MFR_OK) {
                ok = 1;
                if (!mode) {
                    mfr_dataset_stats st;
                    mfr_dataset_stats_get(ds, &st);
                    assert_int_equal(st.n_ratings, p.ratings);
                }
            } else {
                assert_int_equal(s, MFR_E_NOMEM);
                assert_null(ds);
                failed++;
            }
            mfr_dataset_free(ds);
        }
        assert_true(ok);
        assert_true(failed >= 10); /* every allocation of the setup was tried */
    }
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_seed_same_bytes),
        cmocka_unit_test(counts_and_layout),
        cmocka_unit_test(saturated_grid),
        cmocka_unit_test(dataset_matches_files),
        cmocka_unit_test(popularity_skew),
        cmocka_unit_test(activity_heavy_tailed),
        cmocka_unit_test(bad_params),
        cmocka_unit_test(fault_alloc),
        cmocka_unit_test(scale_5m_slow),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
