/* test_algo_knn.c — the neighbourhood models (src/algo/knn.c): similarity
 * values against hand computation (cosine, pearson, msd, pearson-baseline
 * shrinkage, min_support), the stored lists against the pairwise reference,
 * the KNNBaseline prediction on a constructed case, save/load, determinism
 * across thread counts, accuracy on ml-latest-small when present, and the
 * lists of a user who is not in the model (rank_user: known scores on the
 * tiny case, the taste classes of the medium case, trained users untouched). */
#include "test.h"
#include "data/dataset_impl.h"
#include "model/model_impl.h"
#include "algo/algo.h"
#include "algo/knn.h"

#include <unistd.h>

/* users 0..3, items 0..2:
 *   item0: u0=5 u1=3 u2=4
 *   item1: u0=4 u1=2 u2=5 u3=1
 *   item2: u0=1           u3=5 */
static const int32_t TU[] = {0, 1, 2, 0, 1, 2, 3, 0, 3};
static const int32_t TI[] = {0, 0, 0, 1, 1, 1, 1, 2, 2};
static const float TR[] = {5, 3, 4, 4, 2, 5, 1, 1, 5};

static mfr_dataset *tiny(void) {
    mfr_dataset *ds = NULL;
    assert_int_equal(mfr__dataset_from_arrays(4, 3, 9, TU, TI, TR, NULL, &ds, NULL), MFR_OK);
    ds->scale_min = 0.5f, ds->scale_max = 5.f;
    return ds;
}

static void pair_similarity_by_hand(void **state) {
    (void)state;
    mfr_ratings r = {9, 4, 3, TU, TI, TR, NULL};
    mfr__csr byi;
    assert_int_equal(mfr__csr_build(&r, 1, &byi, NULL), MFR_OK);
    /* items 0, 1 over u0..u2: x = (5,3,4), y = (4,2,5) */
    assert_float_near(mfr__knn_pair_sim(&byi, 0, 1, MFR_SIM_COSINE, 1, 0), 46 / sqrt(50.0 * 45), 1e-6);
    assert_float_near(mfr__knn_pair_sim(&byi, 0, 1, MFR_SIM_PEARSON, 1, 0), 6 / sqrt(84.0), 1e-6);
    assert_float_near(mfr__knn_pair_sim(&byi, 0, 1, MFR_SIM_MSD, 1, 0), 0.5, 1e-6);
    /* msd support shrinkage n/(n+3) = 3/6 */
    assert_float_near(mfr__knn_pair_sim(&byi, 0, 1, MFR_SIM_MSD, 1, 3.f), 0.25, 1e-6);
    /* shrinkage (n-1)/(n-1+2) = 1/2 on the cosine of the given values */
    assert_float_near(mfr__knn_pair_sim(&byi, 0, 1, MFR_SIM_PEARSON_BASELINE, 1, 2.f),
                      46 / sqrt(50.0 * 45) * 0.5, 1e-6);
    /* min_support 4 > 3 common raters: 0 */
    assert_float_near(mfr__knn_pair_sim(&byi, 0, 1, MFR_SIM_COSINE, 4, 0), 0, 0);
    /* items 0, 2 share u0 only: cosine 1, pearson undefined -> 0 */
    assert_float_near(mfr__knn_pair_sim(&byi, 0, 2, MFR_SIM_COSINE, 1, 0), 1, 1e-6);
    assert_float_near(mfr__knn_pair_sim(&byi, 0, 2, MFR_SIM_PEARSON, 1, 0), 0, 0);
    mfr__csr_free(&byi);
}

static mfr_model *train(mfr_dataset *ds, mfr_algo a, mfr_sim s, int32_t k, int threads) {
    mfr_train_params p = mfr_train_params_default(a);
    p.sim = s, p.knn_k = k, p.min_support = 1, p.threads = threads;
    if (s == MFR_SIM_MSD) p.shrinkage = 0.f; /* plain msd: the hand-computed values */
    mfr_model *m = NULL;
    mfr_error err = {0};
    assert_int_equal(mfr_model_train(ds, NULL, NULL, &p, &m, &err), MFR_OK);
    return m;
}

static void stored_lists_match_reference(void **state) {
    (void)state;
    mfr_dataset *ds = tiny();
    mfr_ratings r = {9, 4, 3, TU, TI, TR, NULL};
    mfr__csr byi;
    assert_int_equal(mfr__csr_build(&r, 1, &byi, NULL), MFR_OK);
    mfr_sim sims[] = {MFR_SIM_COSINE, MFR_SIM_PEARSON, MFR_SIM_MSD};
    float sc[3];
    for (int s = 0; s < 3; s++) {
        mfr_model *m = train(ds, MFR_ALGO_KNN_ITEM, sims[s], 40, 1);
        for (int32_t i = 0; i < 3; i++) {
            assert_int_equal(m->vt->similar(m, i, sims[s], sc), MFR_OK);
            for (int32_t j = 0; j < 3; j++) {
                if (j == i) continue;
                float ref = mfr__knn_pair_sim(&byi, i, j, sims[s], 1, 0);
                if (ref > 0) assert_float_near(sc[j], ref, 1e-5);
                else assert_true(isnan(sc[j])); /* only positive ones are stored */
            }
        }
        mfr_model_free(m);
    }
    mfr__csr_free(&byi);
    mfr_dataset_free(ds);
}

/* knn-item cosine, predict (u3, item0): u3 rated item1 (1) and item2 (5);
 * sim(0,1) = 46/√2250, sim(0,2) = 1. k = 1 takes item2 only. */
static void item_prediction_known_answer(void **state) {
    (void)state;
    mfr_dataset *ds = tiny();
    for (int32_t k = 1; k <= 2; k++) {
        mfr_model *m = train(ds, MFR_ALGO_KNN_ITEM, MFR_SIM_COSINE, k, 1);
        float mu = m->mu, *bu = m->user_bias, *bi = m->item_bias;
        double b30 = mu + bu[3] + bi[0], b31 = mu + bu[3] + bi[1], b32 = mu + bu[3] + bi[2];
        double s1 = 46 / sqrt(2250.0), s2 = 1.0, want;
        if (k == 1) want = b30 + (5 - b32);
        else want = b30 + (s1 * (1 - b31) + s2 * (5 - b32)) / (s1 + s2);
        if (want > 5) want = 5;
        assert_float_near(mfr_model_predict(m, 3, 0), want, 1e-4);
        mfr_model_free(m);
    }
    mfr_dataset_free(ds);
}

/* knn-user msd, predict (u3, item0): raters of item0 are u0, u1, u2; u3
 * shares item1 with each and item2 with u0:
 *   msd(3,0) over (1,4),(5,1): (9+16)/2 = 12.5 -> 1/13.5
 *   msd(3,1) over (1,2): 1 -> 1/2;  msd(3,2) over (1,5): 16 -> 1/17 */
static void user_prediction_known_answer(void **state) {
    (void)state;
    mfr_dataset *ds = tiny();
    mfr_model *m = train(ds, MFR_ALGO_KNN_USER, MFR_SIM_MSD, 2, 1);
    float mu = m->mu, *bu = m->user_bias, *bi = m->item_bias;
    double s0 = 1 / 13.5, s1 = 0.5; /* the two best: u1, u0 */
    double want = mu + bu[3] + bi[0] +
                  (s1 * (3 - (mu + bu[1] + bi[0])) + s0 * (5 - (mu + bu[0] + bi[0]))) / (s0 + s1);
    assert_float_near(mfr_model_predict(m, 3, 0), want < 5 ? want : 5, 1e-4);
    /* unknown user: the baseline */
    assert_float_near(mfr_model_predict(m, -1, 0), mu + bi[0], 1e-5);
    mfr_model_free(m);
    mfr_dataset_free(ds);
}

/* knn-user with its defaults (msd, shrinkage 2, k 40), the same case: the
 * msd values above times n/(n+2): u0 (n 2) 1/13.5·1/2, u1 (n 1) 1/2·1/3,
 * u2 (n 1) 1/17·1/3; all three rated item0 and k = 40 takes them all. */
static void user_default_shrunk_msd(void **state) {
    (void)state;
    mfr_dataset *ds = tiny();
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_KNN_USER);
    assert_int_equal(p.sim, MFR_SIM_MSD);
    assert_float_near(p.shrinkage, 2.f, 0);
    assert_int_equal(p.knn_k, 40);
    p.min_support = 1, p.threads = 1;
    mfr_model *m = NULL;
    mfr_error err = {0};
    assert_int_equal(mfr_model_train(ds, NULL, NULL, &p, &m, &err), MFR_OK);
    float mu = m->mu, *bu = m->user_bias, *bi = m->item_bias;
    double s0 = 1 / 13.5 / 2, s1 = 0.5 / 3, s2 = 1 / 17.0 / 3;
    double num = s0 * (5 - (mu + bu[0] + bi[0])) + s1 * (3 - (mu + bu[1] + bi[0])) +
                 s2 * (4 - (mu + bu[2] + bi[0]));
    double want = mu + bu[3] + bi[0] + num / (s0 + s1 + s2);
    want = want < 0.5 ? 0.5 : want > 5 ? 5 : want;
    assert_float_near(mfr_model_predict(m, 3, 0), want, 1e-4);
    mfr_model_free(m);
    mfr_dataset_free(ds);
}

/* A 60 x 40 matrix with structure, so lists are long. */
static mfr_dataset *medium(void) {
    int32_t u[2400], i[2400];
    float r[2400];
    int n = 0;
    mfr__rng rng;
    mfr__rng_seed(&rng, 5);
    for (int a = 0; a < 60; a++)
        for (int b = 0; b < 40; b++) {
            if (mfr__rng_uniform(&rng) < 0.5) continue;
            double v = 3 + ((a % 3) == (b % 3) ? 1.2 : -0.6) + 0.5 * mfr__rng_normal(&rng);
            v = v < 0.5 ? 0.5 : v > 5 ? 5 : v;
            u[n] = a, i[n] = b, r[n] = (float)(round(v * 2) / 2), n++;
        }
    mfr_dataset *ds = NULL;
    assert_int_equal(mfr__dataset_from_arrays(60, 40, n, u, i, r, NULL, &ds, NULL), MFR_OK);
    ds->scale_min = 0.5f, ds->scale_max = 5.f;
    return ds;
}

static void same_model_any_thread_count(void **state) {
    (void)state;
    mfr_dataset *ds = medium();
    mfr_model *a = train(ds, MFR_ALGO_KNN_ITEM, MFR_SIM_PEARSON_BASELINE, 10, 1);
    mfr_model *b = train(ds, MFR_ALGO_KNN_ITEM, MFR_SIM_PEARSON_BASELINE, 10, 2);
    assert_int_equal(a->n_extra, b->n_extra);
    for (int s = 0; s < a->n_extra; s++) {
        assert_int_equal(a->extra[s].tag, b->extra[s].tag);
        assert_int_equal(a->extra[s].size, b->extra[s].size);
        assert_memory_equal(a->extra[s].data, b->extra[s].data, a->extra[s].size);
    }
    mfr_model_free(a);
    mfr_model_free(b);
    mfr_dataset_free(ds);
}

static void save_load_round_trip(void **state) {
    (void)state;
    mfr_dataset *ds = medium();
    mfr_algo algos[] = {MFR_ALGO_KNN_ITEM, MFR_ALGO_KNN_USER};
    for (int a = 0; a < 2; a++) {
        mfr_model *m = train(ds, algos[a], MFR_SIM_PEARSON, 5, 0), *l = NULL;
        mfr_error err = {0};
        char path[512];
        snprintf(path, sizeof path, "%s/k.mfm", temp_dir());
        assert_int_equal(mfr_model_save(m, path, &err), MFR_OK);
        assert_int_equal(mfr_model_load(path, &l, &err), MFR_OK);
        assert_int_equal(l->algo, algos[a]);
        for (int u = 0; u < 60; u++)
            for (int i = 0; i < 40; i++)
                assert_float_near(mfr_model_predict(l, u, i), mfr_model_predict(m, u, i), 0);
        if (algos[a] == MFR_ALGO_KNN_ITEM) {
            mfr_scored s1[5], s2[5];
            int32_t n1 = 0, n2 = 0;
            assert_int_equal(mfr_model_similar(m, 3, MFR_SIM_PEARSON, 5, 0, s1, &n1, &err), MFR_OK);
            assert_int_equal(mfr_model_similar(l, 3, MFR_SIM_PEARSON, 5, 0, s2, &n2, &err), MFR_OK);
            assert_int_equal(n1, n2);
            assert_true(n1 > 0);
            assert_memory_equal(s1, s2, sizeof(mfr_scored) * n1);
            /* items of the same residue class are the similar ones */
            assert_int_equal(s1[0].item % 3, 3 % 3);
        }
        remove(path);
        mfr_model_free(m);
        mfr_model_free(l);
    }
    mfr_dataset_free(ds);
}

/* ---- hostile files: valid checksums, inconsistent contents (issue 11) ---- */

/* A saved knn model's bytes (the medium case) and the file they came from. */
static unsigned char *saved_knn(mfr_algo a, char *path, size_t cap, long *len) {
    mfr_dataset *ds = medium();
    mfr_model *m = train(ds, a, MFR_SIM_PEARSON, 5, 0);
    snprintf(path, cap, "%s/k.mfm", temp_dir());
    assert_int_equal(mfr_model_save(m, path, NULL), MFR_OK);
    mfr_model_free(m);
    mfr_dataset_free(ds);
    return (unsigned char *)read_whole(path, len);
}

/* b (mutated) written with fresh checksums must be refused with want. */
static void expect_refused(const char *path, unsigned char *b, long len, const char *want) {
    fix_crcs(b, len);
    write_whole(path, (char *)b, len);
    expect_model_refused(path, want);
}

/* Row r of the CSR (ptr section p, index section x) with at least 2 entries. */
static int64_t long_row(const unsigned char *p, uint64_t psize, int64_t *start) {
    for (uint64_t r = 0; (r + 2) * 8 <= psize; r++) {
        int64_t a, b;
        memcpy(&a, p + 8 * r, 8);
        memcpy(&b, p + 8 * (r + 1), 8);
        if (b - a >= 2) {
            *start = a;
            return (int64_t)r;
        }
    }
    return -1;
}

/* Neighbour (KNNJ) and lookup (KNLC) columns that are unsorted or repeated
 * made matches() overflow its stack buffer on the next prediction; the
 * loader now refuses them (defect 1). */
static void load_refuses_unsorted_or_repeated_lists(void **state) {
    (void)state;
    const char *cols[][2] = {{"KNNP", "KNNJ"}, {"KNLP", "KNLC"}};
    mfr_algo algos[] = {MFR_ALGO_KNN_ITEM, MFR_ALGO_KNN_USER};
    for (int a = 0; a < 2; a++)
        for (int c = 0; c < 2; c++) {
            char path[512];
            long len;
            unsigned char *orig = saved_knn(algos[a], path, sizeof path, &len), *b = malloc((size_t)len);
            for (int how = 0; how < 2; how++) {
                memcpy(b, orig, (size_t)len);
                uint64_t ps = 0, xs = 0;
                unsigned char *p = mfm_section(b, len, cols[c][0], &ps, NULL);
                unsigned char *x = mfm_section(b, len, cols[c][1], &xs, NULL);
                assert_non_null(p);
                assert_non_null(x);
                int64_t start = 0;
                assert_true(long_row(p, ps, &start) >= 0);
                int32_t v0, v1;
                memcpy(&v0, x + 4 * start, 4);
                memcpy(&v1, x + 4 * (start + 1), 4);
                if (how == 0) { /* swapped: unsorted */
                    memcpy(x + 4 * start, &v1, 4);
                    memcpy(x + 4 * (start + 1), &v0, 4);
                } else { /* the first one twice */
                    memcpy(x + 4 * (start + 1), &v0, 4);
                }
                expect_refused(path, b, len, "unsorted or repeated index");
            }
            /* the untouched file still loads */
            write_whole(path, (char *)orig, len);
            mfr_model *m = NULL;
            assert_int_equal(mfr_model_load(path, &m, NULL), MFR_OK);
            mfr_model_free(m);
            free(b);
            free(orig);
            unlink(path);
        }
}

/* Without UBIA or IBIA a knn model loaded, then knn_predict read through a
 * NULL bias array (defect 2): the biases are required for every family but
 * EASE. The section is hidden by renaming its tag to one no family uses. */
static void load_refuses_missing_biases(void **state) {
    (void)state;
    const char *tags[] = {"UBIA", "IBIA"};
    for (int t = 0; t < 2; t++) {
        char path[512];
        long len;
        unsigned char *b = saved_knn(MFR_ALGO_KNN_ITEM, path, sizeof path, &len), *dir = NULL;
        uint64_t size = 0;
        assert_non_null(mfm_section(b, len, tags[t], &size, &dir));
        memcpy(dir, "XXXX", 4);
        expect_refused(path, b, len, "needs sections UBIA and IBIA");
        free(b);
        unlink(path);
    }
}

/* The header's list length m sizes a buffer on every recommendation; a
 * crafted 2^31 - 1 made each one allocate 17 GB (defect 7). */
static void load_bounds_list_length(void **state) {
    (void)state;
    char path[512];
    long len;
    unsigned char *b = saved_knn(MFR_ALGO_KNN_ITEM, path, sizeof path, &len);
    uint64_t size = 0;
    unsigned char *h = mfm_section(b, len, "KNNH", &size, NULL);
    assert_non_null(h);
    int32_t m = INT32_MAX; /* knn_header: by_item, n_rows, n_other, m, ... */
    memcpy(h + 12, &m, 4);
    expect_refused(path, b, len, "list length 2147483647 outside 1..40");
    free(b);
    unlink(path);
}

static void movielens_item_rmse_slow(void **state) {
    (void)state;
    const char *dir = movielens_dir();
    if (!dir) {
        print_message("skipped: MovieLens ml-latest-small not found (MFR_DATA_DIR)\n");
        skip();
    }
    mfr_dataset *ds = NULL;
    mfr_error err = {0};
    assert_int_equal(mfr_dataset_import(dir, NULL, &ds, &err), MFR_OK);
    double rmse = holdout_rmse(ds, MFR_ALGO_KNN_ITEM);
    print_message("knn-item pearson-baseline held-out RMSE %.4f\n", rmse);
    assert_true(rmse < 0.87);
    mfr_dataset_free(ds);
}

static void fault_knn_alloc_failures(void **state) {
    (void)state;
    mfr_dataset *ds = medium();
    mfr_algo algos[] = {MFR_ALGO_KNN_ITEM, MFR_ALGO_KNN_USER};
    mfr_sim sims[] = {MFR_SIM_PEARSON_BASELINE, MFR_SIM_PEARSON};
    for (int a = 0; a < 2; a++) {
        mfr_train_params p = mfr_train_params_default(algos[a]);
        p.threads = 1, p.sim = sims[a];
        check_train_alloc_failures(ds, &p);
    }
    mfr_dataset_free(ds);
}

static int stop_at_3(const mfr_progress *pr, void *user) {
    (*(int *)user)++;
    return pr->step >= 3;
}

/* A progress callback that cancels: MFR_E_CANCELLED, a usable model whose
 * later rows fall back to the baseline, and it saves and loads. */
static void cancel_keeps_usable_model(void **state) {
    (void)state;
    mfr_dataset *ds = medium();
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_KNN_ITEM);
    int calls = 0;
    p.progress = stop_at_3, p.progress_user = &calls;
    mfr_model *m = NULL, *l = NULL;
    mfr_error err = {0};
    assert_int_equal(mfr_model_train(ds, NULL, NULL, &p, &m, &err), MFR_E_CANCELLED);
    assert_int_equal(calls, 3);
    assert_non_null(m);
    assert_non_null(strstr(err.message, "cancelled"));
    /* the last item (row 39 of 40) was not computed: its prediction is the baseline */
    assert_float_near(mfr_model_predict(m, 0, 39), m->mu + m->user_bias[0] + m->item_bias[39], 1e-5);
    char path[512];
    snprintf(path, sizeof path, "%s/c.mfm", temp_dir());
    assert_int_equal(mfr_model_save(m, path, &err), MFR_OK);
    assert_int_equal(mfr_model_load(path, &l, &err), MFR_OK);
    assert_float_near(mfr_model_predict(l, 5, 2), mfr_model_predict(m, 5, 2), 0);
    remove(path);
    mfr_model_free(m);
    mfr_model_free(l);
    mfr_dataset_free(ds);
}

/* score_user (the recommend path) gives exactly what predict gives. */
static void score_user_matches_predict(void **state) {
    (void)state;
    mfr_dataset *ds = medium();
    mfr_model *m = train(ds, MFR_ALGO_KNN_ITEM, MFR_SIM_PEARSON_BASELINE, 5, 1);
    assert_non_null(m->vt->score_user);
    float sc[40];
    for (int32_t u = 0; u < 60; u++) {
        m->vt->score_user(m, u, sc);
        for (int32_t i = 0; i < 40; i++) assert_float_near(sc[i], m->vt->predict(m, u, i), 0);
    }
    mfr_model_free(m);
    mfr_dataset_free(ds);
}

/* A user who is not in the model, by their (sorted) ratings. */
static mfr__who new_user(const int32_t *items, const float *ratings, int32_t n) {
    return (mfr__who){-1, items, ratings, n, NULL};
}

/* knn-item cosine on the tiny case, a new user who rated item 2 (5 stars):
 * rank_i = s_i2² (1 + γ e) / √(d_i d_2), d_i = Σ_j s_ij², γ = 0.5,
 * e = 5 − (μ + b_new + b_2), b_new = (5 − μ − b_2) / 16. Item 0 (cosine 1
 * with item 2) comes before item 1 (0.43). */
static void item_new_user_known_answer(void **state) {
    (void)state;
    mfr_dataset *ds = tiny();
    mfr_ratings r = {9, 4, 3, TU, TI, TR, NULL};
    mfr__csr byi;
    assert_int_equal(mfr__csr_build(&r, 1, &byi, NULL), MFR_OK);
    mfr_model *m = train(ds, MFR_ALGO_KNN_ITEM, MFR_SIM_COSINE, 40, 1);
    assert_non_null(m->vt->rank_user);
    double S[3][3], d[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            S[i][j] = i == j ? 0 : mfr__knn_pair_sim(&byi, i, j, MFR_SIM_COSINE, 1, 0);
            d[i] += S[i][j] * S[i][j];
        }
    int32_t items[1] = {2};
    float ratings[1] = {5}, pred[3], rank[3];
    double bn = (5 - m->mu - m->item_bias[2]) / 16.0, e = 5 - (m->mu + bn + m->item_bias[2]);
    mfr__who w = new_user(items, ratings, 1);
    for (int i = 0; i < 3; i++) pred[i] = mfr_model_predict(m, -1, i);
    m->vt->rank_user(m, &w, pred, rank);
    for (int i = 0; i < 2; i++)
        assert_float_near(rank[i], S[i][2] * S[i][2] * (1 + 0.5 * e) / sqrt(d[i] * d[2]), 1e-5);
    assert_true(rank[0] > rank[1]);
    /* through the library: the neighbour first, stars the fallback μ + b_i */
    mfr_recommend_params rp = mfr_recommend_params_default();
    rp.n = 2, rp.min_ratings = 1;
    mfr_scored out[2];
    int32_t n = 0;
    mfr_error err = {0};
    assert_int_equal(mfr_model_recommend_vec(m, NULL, items, ratings, 1, &rp, out, &n, &err), MFR_OK);
    assert_int_equal(n, 2);
    assert_int_equal(out[0].item, 0);
    assert_float_near(out[0].prediction, mfr_model_predict(m, -1, 0), 1e-6);
    /* disliked (1 star, e < −2): its neighbours score below zero */
    ratings[0] = 1;
    m->vt->rank_user(m, &w, pred, rank);
    assert_true(rank[0] < 0 && rank[1] < 0);
    mfr_model_free(m);
    mfr__csr_free(&byi);
    mfr_dataset_free(ds);
}

/* knn-user plain msd, k = 2, a new user with u3's ratings (item1 1, item2
 * 5): msd to u3 1, u1 1/2 (item1: 1 vs 2), u0 1/13.5, u2 1/17; the two
 * nearest are u3 (no rating of item 0) and u1, weighted 1/2 / √|R(u1)| =
 * 1/(2√2): rank_0 = (1 + γ (3 − b_{1,0})) / (2√2). */
static void user_new_user_known_answer(void **state) {
    (void)state;
    mfr_dataset *ds = tiny();
    mfr_model *m = train(ds, MFR_ALGO_KNN_USER, MFR_SIM_MSD, 2, 1);
    assert_non_null(m->vt->rank_user);
    int32_t items[2] = {1, 2};
    float ratings[2] = {1, 5}, pred[3], rank[3];
    mfr__who w = new_user(items, ratings, 2);
    for (int i = 0; i < 3; i++) pred[i] = mfr_model_predict(m, -1, i);
    m->vt->rank_user(m, &w, pred, rank);
    double b10 = m->mu + m->user_bias[1] + m->item_bias[0];
    assert_float_near(rank[0], (1 + 0.5 * (3 - b10)) / (2 * sqrt(2.0)), 1e-5);
    /* k = 3 adds u0 (5 for item 0, 3 ratings): 1/13.5/√3 (1 + γ (5 − b_{0,0})) */
    mfr_model_free(m);
    m = train(ds, MFR_ALGO_KNN_USER, MFR_SIM_MSD, 3, 1);
    m->vt->rank_user(m, &w, pred, rank);
    double b00 = m->mu + m->user_bias[0] + m->item_bias[0];
    b10 = m->mu + m->user_bias[1] + m->item_bias[0];
    assert_float_near(rank[0], (1 + 0.5 * (3 - b10)) / (2 * sqrt(2.0)) +
                                   (1 + 0.5 * (5 - b00)) / (13.5 * sqrt(3.0)), 1e-5);
    mfr_model_free(m);
    mfr_dataset_free(ds);
}

/* The medium case has three taste classes (item b % 3 == user a % 3 rated
 * higher): a new user who liked three class-1 movies and disliked three
 * class-2 movies gets class-1 movies first, from both families and their
 * default similarities; trained users keep the predicted order (rank is
 * pred, bit for bit). */
static void new_user_lists_follow_taste(void **state) {
    (void)state;
    mfr_dataset *ds = medium();
    mfr_algo algos[2] = {MFR_ALGO_KNN_ITEM, MFR_ALGO_KNN_USER};
    for (int a = 0; a < 2; a++) {
        mfr_train_params p = mfr_train_params_default(algos[a]);
        p.threads = 1;
        mfr_model *m = NULL;
        mfr_error err = {0};
        assert_int_equal(mfr_model_train(ds, NULL, NULL, &p, &m, &err), MFR_OK);
        int32_t items[6] = {1, 2, 4, 5, 7, 8};
        float ratings[6] = {5, 1, 4.5f, 1.5f, 5, 1};
        mfr_recommend_params rp = mfr_recommend_params_default();
        rp.n = 6, rp.min_ratings = 1;
        mfr_scored out[6];
        int32_t n = 0;
        assert_int_equal(mfr_model_recommend_vec(m, NULL, items, ratings, 6, &rp, out, &n, &err), MFR_OK);
        assert_int_equal(n, 6);
        for (int j = 0; j < n; j++) assert_int_equal(out[j].item % 3, 1);
        float pred[40], rank[40];
        for (int32_t u = 0; u < 60; u += 7) {
            int64_t lo = m->seen_ptr[u], hi = m->seen_ptr[u + 1];
            mfr__who w = {u, m->seen_item + lo, m->seen_rating ? m->seen_rating + lo : NULL,
                          (int32_t)(hi - lo), NULL};
            for (int32_t i = 0; i < 40; i++) pred[i] = m->vt->predict(m, u, i);
            m->vt->rank_user(m, &w, pred, rank);
            assert_memory_equal(rank, pred, sizeof pred);
        }
        mfr_model_free(m);
    }
    mfr_dataset_free(ds);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pair_similarity_by_hand),
        cmocka_unit_test(stored_lists_match_reference),
        cmocka_unit_test(item_prediction_known_answer),
        cmocka_unit_test(user_prediction_known_answer),
        cmocka_unit_test(user_default_shrunk_msd),
        cmocka_unit_test(same_model_any_thread_count),
        cmocka_unit_test(save_load_round_trip),
        cmocka_unit_test(load_refuses_unsorted_or_repeated_lists),
        cmocka_unit_test(load_refuses_missing_biases),
        cmocka_unit_test(load_bounds_list_length),
        cmocka_unit_test(movielens_item_rmse_slow),
        cmocka_unit_test(fault_knn_alloc_failures),
        cmocka_unit_test(cancel_keeps_usable_model),
        cmocka_unit_test(score_user_matches_predict),
        cmocka_unit_test(item_new_user_known_answer),
        cmocka_unit_test(user_new_user_known_answer),
        cmocka_unit_test(new_user_lists_follow_taste),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
