/* test_algo_ease.c — EASE and the default two-stage model: B against a
 * direct double-precision inverse on a tiny matrix (binary and
 * rating-weighted input); the memory budget refused before allocating
 * (ease) or met with the most rated movies (auto); a new user given by their
 * ratings gets the trained user's list; a "not interested" (the bottom of
 * the scale) pushes the movies like it down; eval's lists are recommend's;
 * save/load and determinism; the pruned scoring kernel against a plain sum
 * over the model's sections. */
#include "factors_common.h"
#include "mfrec/eval.h"
#include "algo/ease.h"

#include <math.h>
#include <string.h>

enum { NU = 9, NI = 6 };

/* 9 users x 6 items, ratings 1..5 on about half the cells. */
static void tiny(mfr_dataset **ds, mfr_ratings *tr, int32_t *u, int32_t *it, float *r) {
    int64_t n = 0;
    for (int a = 0; a < NU; a++)
        for (int b = 0; b < NI; b++) {
            if ((a * 7 + b * 3) % 5 >= 3 && !(a == 0 && b == 1)) continue;
            u[n] = a, it[n] = b, r[n] = (float)(1 + (a + 2 * b) % 5);
            n++;
        }
    mfr_error err;
    assert_int_equal(mfr__dataset_from_arrays(NU, NI, n, u, it, r, NULL, ds, &err), MFR_OK);
    (*ds)->scale_min = 0.5f, (*ds)->scale_max = 5.0f;
    *tr = (mfr_ratings){n, NU, NI, u, it, r, NULL};
}

/* In-place Gauss-Jordan inverse of the n x n matrix A (double). */
static void invert(double *A, int n) {
    double I[NI * NI] = {0};
    for (int j = 0; j < n; j++) I[j * n + j] = 1.0;
    for (int c = 0; c < n; c++) {
        double d = A[c * n + c];
        assert_true(fabs(d) > 1e-12);
        for (int j = 0; j < n; j++) A[c * n + j] /= d, I[c * n + j] /= d;
        for (int r = 0; r < n; r++) {
            if (r == c) continue;
            double f = A[r * n + c];
            for (int j = 0; j < n; j++) A[r * n + j] -= f * A[c * n + j], I[r * n + j] -= f * I[c * n + j];
        }
    }
    memcpy(A, I, sizeof I);
}

/* The scores x_u·B of every item for user u from the direct inverse. */
static void reference_scores(const mfr_ratings *tr, float lambda, float power, int32_t u, double *s) {
    double X[NU * NI] = {0}, G[NI * NI] = {0};
    for (int64_t j = 0; j < tr->n; j++)
        X[tr->user[j] * NI + tr->item[j]] = power == 0.f ? 1.0 : pow(tr->rating[j] / 5.0, power);
    for (int a = 0; a < NI; a++)
        for (int b = 0; b < NI; b++) {
            for (int v = 0; v < NU; v++) G[a * NI + b] += X[v * NI + a] * X[v * NI + b];
            if (a == b) G[a * NI + b] += lambda;
        }
    invert(G, NI);
    for (int i = 0; i < NI; i++) {
        s[i] = 0.0;
        for (int j = 0; j < NI; j++) {
            double b = i == j ? 0.0 : -G[j * NI + i] / G[i * NI + i];
            s[i] += X[u * NI + j] * b;
        }
    }
}

static mfr_train_params ease_params(float power) {
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_EASE);
    p.ease_lambda = 2.0f, p.rating_power = power, p.rank_min_ratings = 1, p.threads = 1;
    return p;
}

static void ease_matches_direct_inverse(void **state) {
    (void)state;
    int32_t u[NU * NI], it[NU * NI];
    float r[NU * NI];
    mfr_dataset *ds;
    mfr_ratings tr;
    tiny(&ds, &tr, u, it, r);
    float powers[] = {0.f, 1.f, 2.f};
    for (int pw = 0; pw < 3; pw++) {
        mfr_train_params p = ease_params(powers[pw]);
        mfr_model *m = NULL;
        mfr_error err;
        assert_int_equal(mfr_model_train(ds, &tr, NULL, &p, &m, &err), MFR_OK);
        for (int32_t v = 0; v < NU; v++) {
            double ref[NI];
            float scores[NI];
            reference_scores(&tr, 2.0f, powers[pw], v, ref);
            mfr_recommend_params rp = mfr_recommend_params_default();
            rp.n = NI, rp.min_ratings = 1, rp.exclude_seen = 0, rp.scores = scores;
            mfr_scored out[NI];
            int32_t got = 0;
            assert_int_equal(mfr_model_recommend(m, v, &rp, out, &got, &err), MFR_OK);
            assert_int_equal(got, NI);
            for (int i = 0; i < NI; i++) assert_float_near(scores[i], ref[i], 1e-4);
            for (int j = 1; j < got; j++) assert_true(out[j - 1].score >= out[j].score);
            /* the stars are the baseline's, on the scale */
            for (int j = 0; j < got; j++) assert_true(out[j].prediction >= 0.5f && out[j].prediction <= 5.0f);
        }
        mfr_model_free(m);
    }
    mfr_dataset_free(ds);
}

/* ~600 movies: B would need 600² · 4 bytes = 1.4 MiB > a 1 MiB budget. */
static void big_catalogue(mfr_dataset **ds, mfr_ratings *tr, int32_t **bu, int32_t **bi, float **br) {
    enum { U = 40, I = 600 };
    int32_t *u = *bu = malloc(sizeof *u * U * I), *it = *bi = malloc(sizeof *it * U * I);
    float *r = *br = malloc(sizeof *r * U * I);
    int64_t n = 0;
    for (int a = 0; a < U; a++)
        for (int b = 0; b < I; b++)
            if ((a * 31 + b * 17) % 7 < 1 + (b < 100) * 4) u[n] = a, it[n] = b, r[n++] = (float)(1 + (a + b) % 5);
    mfr_error err;
    assert_int_equal(mfr__dataset_from_arrays(U, I, n, u, it, r, NULL, ds, &err), MFR_OK);
    (*ds)->scale_min = 0.5f, (*ds)->scale_max = 5.0f;
    *tr = (mfr_ratings){n, U, I, u, it, r, NULL};
}

static void ease_memory_budget(void **state) {
    (void)state;
    mfr_dataset *ds;
    mfr_ratings tr;
    int32_t *bu, *bi;
    float *br;
    big_catalogue(&ds, &tr, &bu, &bi, &br);
    mfr_train_params p = ease_params(1.f);
    p.max_memory_mb = 1;
    mfr_model *m = NULL;
    mfr_error err = {0};
    assert_int_equal(mfr_model_train(ds, &tr, NULL, &p, &m, &err), MFR_E_LIMIT);
    assert_null(m);
    assert_non_null(strstr(err.message, "max_memory_mb"));
    print_message("%s\n", err.message);
    /* the default model keeps the most rated movies that fit: 512 of 600 */
    mfr_train_params a = mfr_train_params_default(MFR_ALGO_AUTO);
    a.max_memory_mb = 1, a.rank_min_ratings = 1, a.epochs = 2, a.threads = 1;
    assert_int_equal(mfr_model_train(ds, &tr, NULL, &a, &m, &err), MFR_OK);
    mfr_model_info info;
    mfr_model_info_get(m, &info);
    assert_int_equal(info.ranked_items, 512);
    float *scores = malloc(sizeof *scores * 600);
    mfr_recommend_params rp = mfr_recommend_params_default();
    rp.n = 1, rp.min_ratings = 0, rp.scores = scores;
    mfr_scored one[1];
    int32_t got;
    assert_int_equal(mfr_model_recommend(m, 0, &rp, one, &got, &err), MFR_OK);
    int32_t min_in = 1 << 30, max_out = 0;
    for (int i = 0; i < 600; i++) {
        int32_t c = mfr_model_item_count(m, i);
        if (isnan(scores[i])) max_out = c > max_out ? c : max_out;
        else min_in = c < min_in ? c : min_in;
    }
    assert_true(min_in >= max_out); /* covered = the most rated */
    free(scores);
    mfr_model_free(m);
    free(bu), free(bi), free(br);
    mfr_dataset_free(ds);
}

/* A user given by their ratings (not in the model) gets the list of the
 * trained user with the same ratings: ease needs no solve (x·B). */
static void ease_new_user_equals_trained(void **state) {
    (void)state;
    int32_t u[NU * NI], it[NU * NI];
    float r[NU * NI];
    mfr_dataset *ds;
    mfr_ratings tr;
    tiny(&ds, &tr, u, it, r);
    mfr_train_params p = ease_params(1.f);
    mfr_model *m = NULL;
    assert_int_equal(mfr_model_train(ds, &tr, NULL, &p, &m, NULL), MFR_OK);
    assert_int_equal(mfr_model_fold_dim(m), 0);
    for (int32_t v = 0; v < NU; v++) {
        int32_t items[NI], n = 0;
        float rat[NI];
        for (int64_t j = tr.n - 1; j >= 0; j--) /* any order */
            if (tr.user[j] == v) items[n] = tr.item[j], rat[n++] = tr.rating[j];
        mfr_recommend_params rp = mfr_recommend_params_default();
        rp.n = NI, rp.min_ratings = 1;
        mfr_scored a[NI], b[NI];
        int32_t na = 0, nb = 0;
        assert_int_equal(mfr_model_recommend(m, v, &rp, a, &na, NULL), MFR_OK);
        assert_int_equal(mfr_model_recommend_vec(m, NULL, items, rat, n, &rp, b, &nb, NULL), MFR_OK);
        assert_int_equal(na, nb);
        for (int j = 0; j < na; j++) {
            assert_int_equal(a[j].item, b[j].item);
            assert_float_near(a[j].score, b[j].score, 1e-5);
        }
    }
    /* nobody: most rated first */
    mfr_recommend_params rp = mfr_recommend_params_default();
    rp.n = 2, rp.min_ratings = 1;
    mfr_scored b[2];
    int32_t nb = 0;
    assert_int_equal(mfr_model_recommend_vec(m, NULL, NULL, NULL, 0, &rp, b, &nb, NULL), MFR_OK);
    assert_int_equal(nb, 2);
    assert_true(mfr_model_item_count(m, b[0].item) >= mfr_model_item_count(m, b[1].item));
    for (int i = 0; i < NI; i++) assert_true(mfr_model_item_count(m, i) <= mfr_model_item_count(m, b[0].item));
    mfr_model_free(m);
    mfr_dataset_free(ds);
}

/* Every item's ranking score for a new user with these ratings. */
static void scores_of(const mfr_model *m, const int32_t *items, const float *rat, int32_t n, float *s) {
    mfr_recommend_params rp = mfr_recommend_params_default();
    mfr_scored row[NI];
    int32_t got;
    rp.n = NI, rp.min_ratings = 1, rp.scores = s;
    assert_int_equal(mfr_model_recommend_vec(m, NULL, items, rat, n, &rp, row, &got, NULL), MFR_OK);
}

/* "Not interested" (the web app's 0.5, the bottom of the scale) counts
 * against: the movies that go with it move down by its row of B, and by as
 * much as a 5-star rating of it would move them up (issue 13). */
static void ease_not_interested_pushes_similar_down(void **state) {
    (void)state;
    int32_t u[NU * NI], it[NU * NI];
    float r[NU * NI];
    mfr_dataset *ds;
    mfr_ratings tr;
    tiny(&ds, &tr, u, it, r);
    mfr_train_params p = ease_params(1.f);
    mfr_model *m = NULL;
    assert_int_equal(mfr_model_train(ds, &tr, NULL, &p, &m, NULL), MFR_OK);
    int checked = 0;
    for (int32_t bad = 1; bad < NI; bad++) {
        float liked[NI], with_bad[NI], bad_row[NI];
        int32_t items[2] = {0, bad};
        float rat[2] = {5.0f, 0.5f}, five = 5.0f;
        scores_of(m, items, rat, 1, liked);         /* movie 0 liked */
        scores_of(m, items, rat, 2, with_bad);      /* and `bad` not interested */
        scores_of(m, &items[1], &five, 1, bad_row); /* `bad` alone at 5 stars: its row of B */
        int32_t near = -1; /* the movie most like `bad` */
        for (int32_t i = 1; i < NI; i++)
            if (i != bad && (near < 0 || bad_row[i] > bad_row[near])) near = i;
        if (!(bad_row[near] > 1e-4f)) continue;
        assert_true(with_bad[near] < liked[near]);
        assert_float_near(with_bad[near], liked[near] - bad_row[near], 1e-5);
        checked++;
    }
    assert_true(checked >= 2);
    mfr_model_free(m);
    mfr_dataset_free(ds);
}

/* eval's ranking metrics are those of recommend's lists. */
static void eval_uses_recommend_lists(void **state) {
    (void)state;
    mfr_dataset *ds;
    mfr_ratings all;
    int32_t *bu, *bi;
    float *br;
    big_catalogue(&ds, &all, &bu, &bi, &br);
    int32_t *fold = malloc(sizeof *fold * (size_t)all.n);
    for (int64_t j = 0; j < all.n; j++) fold[j] = j % 5 == 0;
    mfr_ratings tr, te;
    assert_int_equal(mfr_ratings_select(&all, fold, 1, 0, &tr, NULL), MFR_OK);
    assert_int_equal(mfr_ratings_select(&all, fold, 1, 1, &te, NULL), MFR_OK);
    mfr_algo algos[] = {MFR_ALGO_EASE, MFR_ALGO_AUTO, MFR_ALGO_SGD};
    for (int a = 0; a < 3; a++) {
        mfr_train_params p = mfr_train_params_default(algos[a]);
        p.threads = 1, p.rank_min_ratings = 1, p.epochs = 3;
        mfr_model *m = NULL;
        assert_int_equal(mfr_model_train(ds, &tr, NULL, &p, &m, NULL), MFR_OK);
        mfr_ranking_params rkp = mfr_ranking_params_default();
        rkp.threshold = 3.0f, rkp.threads = 2;
        mfr_ranking got;
        assert_int_equal(mfr_eval_ranking(m, &te, &rkp, &got, NULL), MFR_OK);
        double ndcg = 0, prec = 0;
        int64_t ranked = 0;
        for (int32_t v = 0; v < m->n_users; v++) {
            int32_t rel[600], nrel = 0;
            for (int64_t j = 0; j < te.n; j++)
                if (te.user[j] == v && te.rating[j] >= 3.0f) rel[nrel++] = te.item[j];
            if (!nrel) continue;
            mfr_recommend_params rp = mfr_recommend_params_default();
            rp.n = 10, rp.min_ratings = 1;
            mfr_scored out[10];
            int32_t n = 0, list[10];
            assert_int_equal(mfr_model_recommend(m, v, &rp, out, &n, NULL), MFR_OK);
            for (int j = 0; j < n; j++) list[j] = out[j].item;
            mfr_rank_user one;
            mfr_rank_user_metrics(list, n, rel, nrel, 10, 0, &one);
            ndcg += one.ndcg, prec += one.precision, ranked++;
        }
        assert_int_equal(got.users_ranked, ranked);
        assert_float_near(got.ndcg, ndcg / ranked, 1e-9);
        assert_float_near(got.precision, prec / ranked, 1e-9);
        mfr_model_free(m);
    }
    mfr_ratings_free(&tr);
    mfr_ratings_free(&te);
    free(fold);
    free(bu), free(bi), free(br);
    mfr_dataset_free(ds);
}

static void ease_save_load_and_determinism(void **state) {
    (void)state;
    int32_t u[NU * NI], it[NU * NI];
    float r[NU * NI];
    mfr_dataset *ds;
    mfr_ratings tr;
    tiny(&ds, &tr, u, it, r);
    mfr_algo algos[] = {MFR_ALGO_EASE, MFR_ALGO_AUTO};
    for (int a = 0; a < 2; a++) {
        mfr_train_params p = mfr_train_params_default(algos[a]);
        p.rank_min_ratings = 1, p.threads = 2;
        mfr_model *m = NULL, *m2 = NULL, *l = NULL;
        assert_int_equal(mfr_model_train(ds, &tr, NULL, &p, &m, NULL), MFR_OK);
        assert_int_equal(mfr_model_train(ds, &tr, NULL, &p, &m2, NULL), MFR_OK);
        char path[512];
        snprintf(path, sizeof path, "%s/e.mfm", temp_dir());
        mfr_error err;
        assert_int_equal(mfr_model_save(m, path, &err), MFR_OK);
        assert_int_equal(mfr_model_load(path, &l, &err), MFR_OK);
        for (int32_t v = 0; v < NU; v++) {
            float s1[NI], s2[NI], s3[NI];
            mfr_scored o[NI];
            int32_t n;
            mfr_recommend_params rp = mfr_recommend_params_default();
            rp.n = NI, rp.min_ratings = 1;
            rp.scores = s1;
            assert_int_equal(mfr_model_recommend(m, v, &rp, o, &n, NULL), MFR_OK);
            rp.scores = s2;
            assert_int_equal(mfr_model_recommend(m2, v, &rp, o, &n, NULL), MFR_OK);
            rp.scores = s3;
            assert_int_equal(mfr_model_recommend(l, v, &rp, o, &n, NULL), MFR_OK);
            assert_memory_equal(s1, s2, sizeof s1);
            assert_memory_equal(s1, s3, sizeof s1);
        }
        mfr_model_free(m);
        mfr_model_free(m2);
        mfr_model_free(l);
    }
    mfr_dataset_free(ds);
}

/* Offset and size of section tag in an .mfm image, or -1. */
static long section_at(const unsigned char *b, long len, const char *tag, uint64_t *size) {
    uint32_t n, want;
    memcpy(&n, b + 12, 4);
    memcpy(&want, tag, 4);
    for (uint32_t j = 0; j < n && 256 + 24 * (long)(j + 1) <= len; j++) {
        uint32_t t;
        uint64_t off;
        memcpy(&t, b + 256 + 24 * j, 4);
        memcpy(&off, b + 256 + 24 * j + 8, 8);
        memcpy(size, b + 256 + 24 * j + 16, 8);
        if (t == want) return (long)off;
    }
    return -1;
}

/* Hostile model files with valid checksums: a covered-item list out of
 * order or out of range is refused naming the section; B full of NaN or
 * huge values, ratings of NaN, and random flips in the ranker's sections
 * load and answer without reading out of bounds (ASan watches) or listing
 * a NaN. */
static void ease_hostile_model_file(void **state) {
    (void)state;
    int32_t u[NU * NI], it[NU * NI];
    float r[NU * NI];
    mfr_dataset *ds;
    mfr_ratings tr;
    tiny(&ds, &tr, u, it, r);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_AUTO);
    p.rank_min_ratings = 1, p.threads = 1, p.factors = 4, p.epochs = 3;
    mfr_model *m = NULL;
    assert_int_equal(mfr_model_train(ds, &tr, NULL, &p, &m, NULL), MFR_OK);
    char path[512];
    long len;
    unsigned char *orig = saved_image(m, "h.mfm", path, sizeof path, &len), *b = malloc((size_t)len);
    uint64_t easi_size, easb_size, srat_size;
    long easi = section_at(orig, len, "EASI", &easi_size), easb = section_at(orig, len, "EASB", &easb_size);
    long srat = section_at(orig, len, "SRAT", &srat_size);
    assert_true(easi > 0 && easb > 0 && srat > 0 && easi_size >= 8);
    int32_t bad_items[][2] = {{3, 1}, {-1, 0}, {0, NI}, {2, 2}};
    for (int c = 0; c < 4; c++) {
        memcpy(b, orig, (size_t)len);
        memcpy(b + easi, bad_items[c], sizeof bad_items[c]);
        fix_crcs(b, len);
        write_whole(path, (char *)b, len);
        mfr_error err = {0};
        assert_int_equal(mfr_model_load(path, &m, &err), MFR_E_FORMAT);
        assert_null(m);
        assert_non_null(strstr(err.message, "EASI"));
    }
    mfr__rng rng;
    mfr__rng_seed(&rng, 7);
    for (int t = 0; t < 60; t++) {
        memcpy(b, orig, (size_t)len);
        if (t == 0) for (uint64_t j = 0; j < easb_size / 4; j++) memcpy(b + easb + 4 * j, &(float){NAN}, 4);
        else if (t == 1) for (uint64_t j = 0; j < easb_size / 4; j++) memcpy(b + easb + 4 * j, &(float){3e38f}, 4);
        else if (t == 2) for (uint64_t j = 0; j < srat_size / 4; j++) memcpy(b + srat + 4 * j, &(float){NAN}, 4);
        else {
            long base = t % 2 ? easb : srat, span = (long)(t % 2 ? easb_size : srat_size);
            for (int f = 0; f < 3; f++) b[base + (long)mfr__rng_below(&rng, (uint64_t)span)] ^= (unsigned char)(1u << mfr__rng_below(&rng, 8));
        }
        fix_crcs(b, len);
        write_whole(path, (char *)b, len);
        mfr_status st = mfr_model_load(path, &m, NULL);
        if (st) {
            assert_int_equal(st, MFR_E_FORMAT);
            continue;
        }
        for (int32_t v = 0; v < NU; v++) {
            mfr_recommend_params rp = mfr_recommend_params_default();
            rp.n = NI, rp.min_ratings = 1;
            mfr_scored o[NI];
            int32_t n = 0;
            assert_int_equal(mfr_model_recommend(m, v, &rp, o, &n, NULL), MFR_OK);
            for (int j = 0; j < n; j++) assert_false(isnan(o[j].score));
            int32_t items[2] = {0, 1};
            float rat[2] = {5.f, NAN};
            assert_int_equal(mfr_model_recommend_vec(m, NULL, items, rat, 2, &rp, o, &n, NULL),
                             MFR_E_INVALID); /* auto folds in: a vector is needed */
        }
        mfr_model_free(m);
    }
    free(b);
    free(orig);
    /* the pruned form: a column out of range, a row ending before it starts,
     * a row's columns out of order */
    p.ease_keep = 3;
    assert_int_equal(mfr_model_train(ds, &tr, NULL, &p, &m, NULL), MFR_OK);
    assert_int_equal(mfr_model_save(m, path, NULL), MFR_OK);
    mfr_model_free(m);
    orig = (unsigned char *)read_whole(path, &len);
    b = malloc((size_t)len);
    uint64_t c_size, p_size;
    long easc = section_at(orig, len, "EASC", &c_size), easp = section_at(orig, len, "EASP", &p_size);
    assert_true(easc > 0 && easp > 0 && section_at(orig, len, "EASB", &easb_size) < 0);
    for (int c = 0; c < 3; c++) {
        memcpy(b, orig, (size_t)len);
        if (c == 0) memcpy(b + easc, &(int32_t){NI}, 4);
        else if (c == 1) memcpy(b + easp + 8, &(int64_t){-1}, 8);
        else { /* the first row's first two columns swapped: not ascending */
            int32_t c01[2];
            memcpy(c01, b + easc, 8);
            memcpy(b + easc, &c01[1], 4);
            memcpy(b + easc + 4, &c01[0], 4);
        }
        fix_crcs(b, len);
        write_whole(path, (char *)b, len);
        mfr_error err = {0};
        assert_int_equal(mfr_model_load(path, &m, &err), MFR_E_FORMAT);
        assert_non_null(strstr(err.message, c == 1 ? "EASP" : "EASC"));
    }
    free(b);
    free(orig);
    mfr_dataset_free(ds);
}

/* Pruned B keeps each row's largest weights: with keep = n it is B itself,
 * and with keep = 2 each rated movie adds exactly its two strongest
 * neighbours. */
static void ease_pruned_rows(void **state) {
    (void)state;
    int32_t u[NU * NI], it[NU * NI];
    float r[NU * NI];
    mfr_dataset *ds;
    mfr_ratings tr;
    tiny(&ds, &tr, u, it, r);
    mfr_train_params p = ease_params(1.f);
    mfr_model *dense = NULL, *pruned = NULL;
    assert_int_equal(mfr_model_train(ds, &tr, NULL, &p, &dense, NULL), MFR_OK);
    p.ease_keep = 2;
    assert_int_equal(mfr_model_train(ds, &tr, NULL, &p, &pruned, NULL), MFR_OK);
    for (int32_t j = 0; j < NI; j++) {
        /* a new user who rated only j: the scores are row j of B */
        float rowd[NI], rowp[NI];
        mfr_recommend_params rp = mfr_recommend_params_default();
        rp.n = NI, rp.min_ratings = 1, rp.exclude_seen = 0;
        mfr_scored o[NI];
        int32_t n;
        float five = 5.f;
        rp.scores = rowd;
        assert_int_equal(mfr_model_recommend_vec(dense, NULL, &j, &five, 1, &rp, o, &n, NULL), MFR_OK);
        rp.scores = rowp;
        assert_int_equal(mfr_model_recommend_vec(pruned, NULL, &j, &five, 1, &rp, o, &n, NULL), MFR_OK);
        int kept = 0;
        for (int c = 0; c < NI; c++) {
            if (rowp[c] != 0.f) {
                kept++;
                assert_float_near(rowp[c], rowd[c], 1e-6);
                for (int d = 0; d < NI; d++) /* nothing dropped is larger */
                    if (rowp[d] == 0.f && d != c) assert_true(fabsf(rowd[d]) <= fabsf(rowd[c]) + 1e-7f);
            }
        }
        assert_true(kept <= 2);
    }
    mfr_model_free(dense);
    mfr_model_free(pruned);
    mfr_dataset_free(ds);
}

/* The scoring kernel (mfr__ease_scores: the columns as covered rows, four
 * weights at a time) against the plain sum over the model's own sections
 * EASP/EASC/EASV, in the catalogue's order, one weight at a time, in the
 * same order of rated movies: every score bit for bit, and the list item for
 * item. keep = 37 leaves rows with a remainder after the groups of four; the
 * rating-weighted input and a 0.5 ("not interested", weight −1) among the
 * ratings exercise the weights. */
static void ease_pruned_kernel_matches_reference(void **state) {
    (void)state;
    mfr_dataset *ds;
    mfr_ratings tr;
    int32_t *bu, *bi;
    float *br;
    big_catalogue(&ds, &tr, &bu, &bi, &br);
    for (int64_t j = 0; j < tr.n; j += 11) br[j] = 0.5f; /* some "not interested" */
    mfr_train_params p = ease_params(1.f);
    p.ease_keep = 37;
    mfr_model *m = NULL;
    assert_int_equal(mfr_model_train(ds, &tr, NULL, &p, &m, NULL), MFR_OK);
    uint64_t pb, cb, vb;
    const int64_t *ptr = mfr__model_get_extra(m, MFR_TAG('E', 'A', 'S', 'P'), &pb);
    const int32_t *col = mfr__model_get_extra(m, MFR_TAG('E', 'A', 'S', 'C'), &cb);
    const float *val = mfr__model_get_extra(m, MFR_TAG('E', 'A', 'S', 'V'), &vb);
    int32_t nc;
    const int32_t *item = mfr__ease_items(m, &nc);
    assert_non_null(ptr);
    assert_true(nc > 37 && (uint64_t)nc + 1 == pb / sizeof *ptr);
    int32_t ni = m->n_items, *row = malloc(sizeof *row * (size_t)ni);
    float *ref = malloc(sizeof *ref * (size_t)ni), *got = malloc(sizeof *got * (size_t)ni);
    for (int32_t i = 0; i < ni; i++) row[i] = -1;
    for (int32_t c = 0; c < nc; c++) row[item[c]] = c;
    for (int32_t u = 0; u < m->n_users; u++) {
        for (int32_t i = 0; i < ni; i++) ref[i] = row[i] >= 0 ? 0.f : NAN;
        for (int64_t j = m->seen_ptr[u]; j < m->seen_ptr[u + 1]; j++) {
            int32_t r = row[m->seen_item[j]];
            float rating = m->seen_rating[j];
            float x = rating <= m->rmin ? -mfr__ease_weight(m, m->rmax) : mfr__ease_weight(m, rating);
            for (int64_t e = r < 0 ? 0 : ptr[r]; r >= 0 && e < ptr[r + 1]; e++) ref[col[e]] += x * val[e];
        }
        mfr_recommend_params rp = mfr_recommend_params_default();
        rp.n = 10, rp.min_ratings = 0, rp.scores = got;
        mfr_scored list[10];
        int32_t n;
        assert_int_equal(mfr_model_recommend(m, u, &rp, list, &n, NULL), MFR_OK);
        for (int32_t i = 0; i < ni; i++) {
            if (isnan(ref[i])) assert_true(isnan(got[i]));
            else assert_memory_equal(&ref[i], &got[i], sizeof(float));
        }
        /* the list: the best unseen covered movies by ref, ties by index */
        int32_t want = 0;
        for (int32_t k = 0; k < 10; k++) {
            int32_t best = -1;
            for (int32_t i = 0; i < ni; i++) {
                int seen = 0, taken = 0;
                for (int64_t j = m->seen_ptr[u]; j < m->seen_ptr[u + 1]; j++) seen |= m->seen_item[j] == i;
                for (int32_t t = 0; t < k; t++) taken |= list[t].item == i;
                if (isnan(ref[i]) || seen || taken) continue;
                if (best < 0 || ref[i] > ref[best]) best = i;
            }
            if (best < 0) break;
            assert_true(k < n);
            assert_int_equal(list[k].item, best);
            assert_memory_equal(&list[k].score, &ref[best], sizeof(float));
            want++;
        }
        assert_int_equal(n, want);
    }
    free(row), free(ref), free(got);
    mfr_model_free(m);
    free(bu), free(bi), free(br);
    mfr_dataset_free(ds);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ease_matches_direct_inverse),
        cmocka_unit_test(ease_memory_budget),
        cmocka_unit_test(ease_new_user_equals_trained),
        cmocka_unit_test(eval_uses_recommend_lists),
        cmocka_unit_test(ease_save_load_and_determinism),
        cmocka_unit_test(ease_hostile_model_file),
        cmocka_unit_test(ease_pruned_rows),
        cmocka_unit_test(ease_pruned_kernel_matches_reference),
        cmocka_unit_test(ease_not_interested_pushes_similar_down),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
