/* test_similar.c — mfr_model_similar's co-occurrence metric (the default of
 * `mfrec similar` and the server): a hand-made case with a known answer
 * (the regression ranks a sequel above blockbusters that cosine ranks first),
 * agreement with a dense reference implementation on random ratings with the
 * rating weights, the same answer from any family and after save/load, the
 * fallback for a movie nobody rated, the filters, allocation failures, and
 * on ml-latest-small the franchise list (a sequel or prequel in the top 10
 * for at least 18 of 20 first parts) and the time per call. */
#include "test.h"

#include <unistd.h>

#include "core/core.h" /* mfr__now */
#include "data/dataset_impl.h"

/* ---- small models ------------------------------------------------------- */

static mfr_dataset *dataset_from(int32_t nu, int32_t ni, int64_t n, const int32_t *user,
                                 const int32_t *item, const float *rating) {
    mfr_dataset *ds = NULL;
    mfr_error err = {0};
    mfr_status st = mfr__dataset_from_arrays(nu, ni, n, user, item, rating, NULL, &ds, &err);
    if (st) print_error("dataset: %s\n", err.message);
    assert_int_equal(st, MFR_OK);
    return ds;
}

static mfr_model *train(const mfr_dataset *ds, mfr_algo algo) {
    mfr_train_params p = mfr_train_params_default(algo);
    p.threads = 1;
    p.seed = 3;
    if (p.epochs > 5) p.epochs = 5;
    mfr_model *m = NULL;
    mfr_error err = {0};
    mfr_status st = mfr_model_train(ds, NULL, NULL, &p, &m, &err);
    if (st == MFR_E_UNSUPPORTED) return NULL; /* family not built */
    if (st) print_error("train %s: %s\n", mfr_algo_name(algo), err.message);
    assert_int_equal(st, MFR_OK);
    return m;
}

/* 120 users, 7 movies, every rating 4 (so every weight is 1):
 *   users  0..29 saw 0 (a first part), 1 (its sequel) and 2, 3, 4 (blockbusters);
 *   users 30..79 saw 0, 2, 3, 4;   users 80..119 saw 2, 3, 4 and 5.
 * Movie 6 is in the catalogue with no rating. For movie 0 the cosine ranks
 * the blockbusters first (0.816 against 0.612 for the sequel); the ridge
 * regression of "saw 0" on its neighbours (λ = 10) solves
 *   40 β1 + 90 b = 30,  30 β1 + 370 b = 80
 * (b the weight of each blockbuster, alike by symmetry): β1 = 39/121 for the
 * sequel, b = 23/121. Movie 5 shares no user with 0: not listed. From the
 * sequel's side the first part comes first with 13/47, each blockbuster 1/47. */
static mfr_dataset *franchise_dataset(void) {
    int32_t user[700], item[700];
    float rating[700];
    int64_t n = 0;
    for (int32_t u = 0; u < 120; u++)
        for (int32_t i = 0; i < 6; i++) {
            int saw = u < 30 ? i <= 4 : u < 80 ? i != 1 && i <= 4 : i >= 2;
            if (!saw) continue;
            user[n] = u, item[n] = i, rating[n] = 4.f, n++;
        }
    return dataset_from(120, 7, n, user, item, rating);
}

static void similar_cooc_known_answer(void **state) {
    (void)state;
    mfr_dataset *ds = franchise_dataset();
    mfr_model *m = train(ds, MFR_ALGO_BASELINE); /* no factors, no own similarity */
    if (!m) m = train(ds, MFR_ALGO_SGD);
    assert_non_null(m);
    mfr_scored out[10];
    int32_t n = -1;
    mfr_error err = {0};
    assert_int_equal(mfr_model_similar(m, 0, MFR_SIM_COOC, 10, 0, out, &n, &err), MFR_OK);
    assert_int_equal(n, 4); /* 1..4; not 0 itself, not 5 (no common user), not 6 (unrated) */
    assert_int_equal(out[0].item, 1);
    assert_float_near(out[0].score, 39.0 / 121.0, 1e-5);
    int seen = 0;
    for (int j = 1; j < 4; j++) { /* 2, 3, 4 in some order (equal up to rounding) */
        assert_true(out[j].item >= 2 && out[j].item <= 4);
        seen |= 1 << out[j].item;
        assert_float_near(out[j].score, 23.0 / 121.0, 1e-5);
        assert_true(isnan(out[j].prediction));
    }
    assert_int_equal(seen, 4 + 8 + 16);
    assert_int_equal(mfr_model_similar(m, 1, MFR_SIM_COOC, 10, 0, out, &n, &err), MFR_OK);
    assert_int_equal(n, 4);
    assert_int_equal(out[0].item, 0);
    assert_float_near(out[0].score, 13.0 / 47.0, 1e-5);
    assert_float_near(out[1].score, 1.0 / 47.0, 1e-5);
    /* n smaller than the list: the best rows; n = 0: none */
    assert_int_equal(mfr_model_similar(m, 0, MFR_SIM_COOC, 2, 0, out, &n, &err), MFR_OK);
    assert_int_equal(n, 2);
    assert_int_equal(out[0].item, 1);
    assert_int_equal(mfr_model_similar(m, 0, MFR_SIM_COOC, 0, 0, NULL, &n, &err), MFR_OK);
    assert_int_equal(n, 0);
    /* min_ratings: the sequel (30 ratings) leaves, the rest is regressed again
     * without it: 3 identical columns, 370 b = 80 */
    assert_int_equal(mfr_model_similar(m, 0, MFR_SIM_COOC, 10, 31, out, &n, &err), MFR_OK);
    assert_int_equal(n, 3);
    for (int j = 0; j < 3; j++) {
        assert_true(out[j].item >= 2 && out[j].item <= 4);
        assert_float_near(out[j].score, 80.0 / 370.0, 1e-5);
    }
    /* a movie nobody rated: no co-occurrence and no similarity of its own */
    assert_int_equal(mfr_model_similar(m, 6, MFR_SIM_COOC, 10, 0, out, &n, &err), MFR_OK);
    assert_int_equal(n, 0);
    /* errors */
    assert_int_equal(mfr_model_similar(m, 7, MFR_SIM_COOC, 10, 0, out, &n, &err), MFR_E_NOT_FOUND);
    assert_int_equal(mfr_model_similar(m, 0, MFR_SIM_COOC, -1, 0, out, &n, &err), MFR_E_INVALID);
    assert_int_equal(mfr_model_similar(m, 0, MFR_SIM_COOC, 3, 0, NULL, &n, &err), MFR_E_INVALID);
    assert_int_equal(mfr_model_similar(NULL, 0, MFR_SIM_COOC, 3, 0, out, &n, &err), MFR_E_INVALID);
    if (!mfr_model_item_factors(m)) /* baseline: no similarity of its own */
        assert_int_equal(mfr_model_similar(m, 0, MFR_SIM_PEARSON, 3, 0, out, &n, &err),
                         MFR_E_UNSUPPORTED);
    mfr_model_free(m);
    mfr_dataset_free(ds);
}

/* A factor model answers every metric; a movie without ratings falls back to
 * the factor cosine under the co-occurrence metric; other metrics are
 * refused. */
static void similar_cooc_factor_fallback(void **state) {
    (void)state;
    mfr_dataset *ds = franchise_dataset();
    mfr_model *m = train(ds, MFR_ALGO_SGD);
    if (!m) {
        mfr_dataset_free(ds);
        skip();
    }
    mfr_scored a[10], b[10];
    int32_t na, nb;
    assert_int_equal(mfr_model_similar(m, 0, MFR_SIM_COOC, 10, 0, a, &na, NULL), MFR_OK);
    assert_int_equal(na, 4);
    assert_int_equal(a[0].item, 1);
    assert_float_near(a[0].score, 39.0 / 121.0, 1e-5); /* the same for every family */
    assert_int_equal(mfr_model_similar(m, 6, MFR_SIM_COOC, 10, 0, a, &na, NULL), MFR_OK);
    assert_int_equal(mfr_model_similar(m, 6, MFR_SIM_COSINE, 10, 0, b, &nb, NULL), MFR_OK);
    assert_true(na > 0);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, sizeof a[0] * (size_t)na);
    assert_int_equal(mfr_model_similar(m, 0, MFR_SIM_PEARSON, 10, 0, a, &na, NULL), MFR_OK);
    assert_int_equal(mfr_model_similar(m, 0, MFR_SIM_MSD, 10, 0, a, &na, NULL), MFR_E_INVALID);
    mfr_model_free(m);
    mfr_dataset_free(ds);
}

/* Allocation n failing, for n = 0, 1, ...: MFR_E_NOMEM and no rows until
 * the call succeeds (leaks show under ASan). */
static void fault_similar_cooc_alloc(void **state) {
    (void)state;
    mfr_dataset *ds = franchise_dataset();
    mfr_model *m = train(ds, MFR_ALGO_BASELINE);
    if (!m) m = train(ds, MFR_ALGO_SGD);
    assert_non_null(m);
    for (long k = 0;; k++) {
        mfr_scored out[10];
        int32_t n = -1;
        mfr_error err = {0};
        mfr__alloc_fail_after(k);
        mfr_status st = mfr_model_similar(m, 0, MFR_SIM_COOC, 10, 0, out, &n, &err);
        mfr__alloc_fail_after(-1);
        if (st == MFR_OK) {
            assert_int_equal(n, 4);
            break;
        }
        assert_int_equal(st, MFR_E_NOMEM);
        assert_int_equal(n, 0);
        assert_true(k < 1000);
    }
    mfr_model_free(m);
    mfr_dataset_free(ds);
}

/* ---- a dense reference --------------------------------------------------- */

/* Solve A x = b (n x n, row-major, destroyed) by Gaussian elimination with
 * partial pivoting; x overwrites b. */
static void dense_solve(double *A, double *b, int n) {
    for (int c = 0; c < n; c++) {
        int p = c;
        for (int r = c + 1; r < n; r++)
            if (fabs(A[r * n + c]) > fabs(A[p * n + c])) p = r;
        for (int k = 0; k < n; k++) {
            double t = A[c * n + k];
            A[c * n + k] = A[p * n + k], A[p * n + k] = t;
        }
        double t = b[c];
        b[c] = b[p], b[p] = t;
        for (int r = 0; r < n; r++) {
            if (r == c) continue;
            double f = A[r * n + c] / A[c * n + c];
            for (int k = c; k < n; k++) A[r * n + k] -= f * A[c * n + k];
            b[r] -= f * b[c];
        }
    }
    for (int r = 0; r < n; r++) b[r] /= A[r * n + r];
}

/* Random ratings on 40 users x 25 movies: every movie's list against the
 * definition in include/mfrec/model.h / similar.c computed densely: weights
 * w = 1 + 2.25 (r − r̄_u) / (max − min), c = WᵀW, the neighbourhood all
 * movies with c_ij > 0 (fewer than 100), β = (C_NN + 10 I)⁻¹ c_Ni. */
static void similar_cooc_reference(void **state) {
    (void)state;
    enum { NU = 40, NI = 25 };
    int32_t user[NU * NI], item[NU * NI];
    float rating[NU * NI];
    int64_t n = 0;
    uint64_t x = 12345;
    for (int32_t u = 0; u < NU; u++)
        for (int32_t i = 0; i < NI; i++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            if ((x >> 33) % 3 != 0) continue; /* about a third rated */
            user[n] = u, item[n] = i, rating[n] = 0.5f * (float)(1 + (x >> 40) % 10), n++;
        }
    mfr_dataset *ds = dataset_from(NU, NI, n, user, item, rating);
    mfr_model *m = train(ds, MFR_ALGO_BASELINE);
    if (!m) m = train(ds, MFR_ALGO_SGD);
    assert_non_null(m);
    mfr_model_info info;
    mfr_model_info_get(m, &info);
    double tilt = 2.25 / (info.rating_max - info.rating_min);
    static double W[NU][NI], C[NI][NI];
    memset(W, 0, sizeof W);
    for (int32_t u = 0; u < NU; u++) {
        double s = 0;
        int cnt = 0;
        for (int64_t t = 0; t < n; t++)
            if (user[t] == u) s += rating[t], cnt++;
        for (int64_t t = 0; t < n; t++)
            if (user[t] == u) W[u][item[t]] = 1.0 + tilt * (rating[t] - s / cnt);
    }
    for (int a = 0; a < NI; a++)
        for (int b = 0; b < NI; b++) {
            C[a][b] = 0;
            for (int u = 0; u < NU; u++) C[a][b] += W[u][a] * W[u][b];
        }
    int checked = 0;
    for (int32_t i = 0; i < NI; i++) {
        int nb[NI], k = 0;
        for (int j = 0; j < NI; j++)
            if (j != i && C[i][j] > 0 && mfr_model_item_count(m, j) > 0) nb[k++] = j;
        double A[NI * NI], beta[NI];
        for (int r = 0; r < k; r++) {
            for (int c = 0; c < k; c++) A[r * k + c] = C[nb[r]][nb[c]] + (r == c ? 10.0 : 0.0);
            beta[r] = C[i][nb[r]];
        }
        dense_solve(A, beta, k);
        mfr_scored out[NI];
        int32_t got;
        assert_int_equal(mfr_model_similar(m, i, MFR_SIM_COOC, NI, 0, out, &got, NULL), MFR_OK);
        assert_int_equal(got, k);
        for (int32_t j = 0; j < got; j++) {
            int r = 0;
            while (r < k && nb[r] != out[j].item) r++;
            assert_true(r < k);
            assert_float_near(out[j].score, beta[r], 1e-4 * (1 + fabs(beta[r])));
            if (j) assert_true(out[j - 1].score >= out[j].score);
        }
        checked += got;
    }
    assert_true(checked > NI * 5);
    mfr_model_free(m);
    mfr_dataset_free(ds);
}

/* ---- ml-latest-small ----------------------------------------------------- */

/* 20 well-known first parts (or first films of a series) and their sequels
 * and prequels in ml-latest-small, by movieId; chosen before measuring. */
static const int64_t FRANCHISES[20][10] = {
    {1, 3114, 78499},                                          /* Toy Story */
    {858, 1221, 2023},                                         /* The Godfather */
    {4993, 5952, 7153, 98809, 106489, 118696},                 /* The Fellowship of the Ring */
    {2571, 6365, 6934},                                        /* The Matrix */
    {1240, 589, 6537, 68791, 120799},                          /* The Terminator */
    {260, 1196, 1210, 2628, 5378, 33493, 122886, 179819, 166528}, /* Star Wars IV */
    {1270, 2011, 2012},                                        /* Back to the Future */
    {4306, 8360, 53121, 78637},                                /* Shrek */
    {4896, 5816, 8368, 40815, 54001, 69844, 81834, 88125},     /* Harry Potter 1 */
    {6539, 45722, 53125, 86880, 122896},                       /* Pirates of the Caribbean */
    {1214, 1200, 1320, 1690, 169984},                          /* Alien */
    {1036, 1370, 165, 53972, 100498},                          /* Die Hard */
    {1198, 2115, 1291, 59615},                                 /* Raiders of the Lost Ark */
    {480, 1544, 4638, 117529},                                 /* Jurassic Park */
    {1580, 5459, 94777},                                       /* Men in Black */
    {5349, 8636, 52722},                                       /* Spider-Man (2002) */
    {3793, 6333, 45499, 68319, 87232, 111362, 122924},         /* X-Men */
    {33794, 58559, 91529},                                     /* Batman Begins */
    {6874, 7438},                                              /* Kill Bill: Vol. 1 */
    {5418, 8665, 54286, 91535, 160438},                        /* The Bourne Identity */
};

/* First parts with a sequel or prequel in the top 10 by metric. */
static int franchise_hits(const mfr_model *m, mfr_sim metric, int32_t min_ratings, int verbose) {
    int hits = 0;
    for (int f = 0; f < 20; f++) {
        int32_t i = mfr_model_item_index(m, FRANCHISES[f][0]);
        assert_true(i >= 0);
        mfr_scored out[10];
        int32_t n = 0, hit = 0;
        mfr_status st = mfr_model_similar(m, i, metric, 10, min_ratings, out, &n, NULL);
        if (st == MFR_E_UNSUPPORTED) return -1;
        assert_int_equal(st, MFR_OK);
        for (int32_t j = 0; j < n; j++)
            for (int s = 1; s < 10 && FRANCHISES[f][s]; s++)
                hit |= mfr_model_item_id(m, out[j].item) == FRANCHISES[f][s];
        hits += hit;
        if (!hit && verbose) {
            print_message("  no sequel for %s:", mfr_model_item_title(m, i));
            for (int32_t j = 0; j < n && j < 5; j++)
                print_message(" | %s", mfr_model_item_title(m, out[j].item));
            print_message("\n");
        }
    }
    return hits;
}

static void similar_franchises_movielens(void **state) {
    (void)state;
    const char *dir = movielens_dir();
    if (!dir) {
        print_message("skipped: no MovieLens data (MFR_DATA_DIR)\n");
        skip();
    }
    mfr_dataset *ds = NULL;
    mfr_error err = {0};
    assert_int_equal(mfr_dataset_import(dir, NULL, &ds, &err), MFR_OK);
#ifdef MFR_ALGO_DEFAULT
    mfr_algo algo = MFR_ALGO_DEFAULT;
#else
    mfr_algo algo = MFR_ALGO_SGD;
#endif
    mfr_train_params p = mfr_train_params_default(algo);
    p.seed = 1;
    mfr_model *m = NULL;
    mfr_status st = mfr_model_train(ds, NULL, NULL, &p, &m, &err);
    if (st == MFR_E_UNSUPPORTED) {
        p = mfr_train_params_default(algo = MFR_ALGO_SGD);
        st = mfr_model_train(ds, NULL, NULL, &p, &m, &err);
    }
    if (st) print_error("train: %s\n", err.message);
    assert_int_equal(st, MFR_OK);
    int cooc = franchise_hits(m, MFR_SIM_COOC, MFR_SIMILAR_MIN_RATINGS, 1);
    int cooc20 = franchise_hits(m, MFR_SIM_COOC, 20, 0);
    int pear = franchise_hits(m, MFR_SIM_PEARSON, MFR_SIMILAR_MIN_RATINGS, 0);
    int cosine = franchise_hits(m, MFR_SIM_COSINE, MFR_SIMILAR_MIN_RATINGS, 0);
    print_message(
        "%s model: a sequel/prequel in the top 10 for cooccurrence %d/20 (min_ratings 20: "
        "%d/20), pearson %d/20, cosine %d/20 (-1: unsupported)\n",
        mfr_algo_name(algo), cooc, cooc20, pear, cosine);
    assert_true(cooc >= 18);
    assert_true(cooc20 >= 18);

    /* the same answer from another family (the metric reads only the
     * training ratings) and from the saved and loaded model */
    mfr_train_params bp = mfr_train_params_default(MFR_ALGO_BASELINE);
    mfr_model *b = NULL;
    mfr_model *l = NULL;
    char path[512];
    snprintf(path, sizeof path, "%s/sim.mfm", temp_dir());
    assert_int_equal(mfr_model_save(m, path, &err), MFR_OK);
    assert_int_equal(mfr_model_load(path, &l, &err), MFR_OK);
    if (mfr_model_train(ds, NULL, NULL, &bp, &b, &err)) b = NULL;
    for (int f = 0; f < 20; f++) {
        int32_t i = mfr_model_item_index(m, FRANCHISES[f][0]);
        mfr_scored x[10], y[10];
        int32_t nx, ny;
        assert_int_equal(mfr_model_similar(m, i, MFR_SIM_COOC, 10, 5, x, &nx, NULL), MFR_OK);
        assert_int_equal(mfr_model_similar(l, i, MFR_SIM_COOC, 10, 5, y, &ny, NULL), MFR_OK);
        assert_int_equal(nx, 10);
        assert_int_equal(nx, ny);
        assert_memory_equal(x, y, sizeof x[0] * (size_t)nx);
        if (b) {
            assert_int_equal(mfr_model_similar(b, i, MFR_SIM_COOC, 10, 5, y, &ny, NULL), MFR_OK);
            assert_int_equal(nx, ny);
            assert_memory_equal(x, y, sizeof x[0] * (size_t)nx);
        }
        for (int32_t j = 0; j < nx; j++) {
            assert_int_not_equal(x[j].item, i);
            assert_true(mfr_model_item_count(m, x[j].item) >= 5);
            if (j) assert_true(x[j - 1].score >= x[j].score);
        }
    }
    /* a long list: the neighbourhood grows to n */
    int32_t ni = mfr_model_n_items(m), nl = 0;
    mfr_scored *big = malloc(sizeof *big * 300);
    assert_non_null(big);
    assert_int_equal(mfr_model_similar(m, 0, MFR_SIM_COOC, 300, 5, big, &nl, NULL), MFR_OK);
    assert_int_equal(nl, 300);
    free(big);

    /* time per call over the 300 most-rated movies (the server answers this
     * route; a popular movie has the most co-raters) */
    int32_t *order = malloc(sizeof *order * (size_t)ni);
    assert_non_null(order);
    for (int32_t i = 0; i < ni; i++) order[i] = i;
    for (int32_t a = 0; a < 300; a++) /* partial selection: the 300 most rated first */
        for (int32_t c = a + 1; c < ni; c++)
            if (mfr_model_item_count(m, order[c]) > mfr_model_item_count(m, order[a])) {
                int32_t t = order[a];
                order[a] = order[c], order[c] = t;
            }
    mfr_scored out[10];
    int32_t n;
    double t0 = mfr__now();
    for (int32_t r = 0; r < 300; r++)
        assert_int_equal(mfr_model_similar(m, order[r], MFR_SIM_COOC, 10, 5, out, &n, NULL),
                         MFR_OK);
    double dt = (mfr__now() - t0) / 300;
    t0 = mfr__now();
    for (int32_t r = 0; r < 300; r++)
        assert_int_equal(
            mfr_model_similar(m, order[ni - 1 - r], MFR_SIM_COOC, 10, 5, out, &n, NULL), MFR_OK);
    double dt_rare = (mfr__now() - t0) / 300;
    print_message(
        "similar (cooccurrence): %.2f ms per call for the 300 most-rated movies, %.2f ms for "
        "300 of the least rated (%d users, %d movies, one thread)\n",
        1e3 * dt, 1e3 * dt_rare, (int)mfr_model_n_users(m), (int)ni);
#ifndef MFR_SANITIZE
    assert_true(dt < 0.05); /* measured about 1 ms */
#endif
    free(order);
    mfr_model_free(b);
    mfr_model_free(l);
    mfr_model_free(m);
    unlink(path);
    mfr_dataset_free(ds);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(similar_cooc_known_answer),
        cmocka_unit_test(similar_cooc_factor_fallback),
        cmocka_unit_test(similar_cooc_reference),
        cmocka_unit_test(fault_similar_cooc_alloc),
        cmocka_unit_test(similar_franchises_movielens),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
