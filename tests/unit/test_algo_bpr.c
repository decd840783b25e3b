/* test_algo_bpr.c — pairwise ranking MF (src/algo/bpr.c): one SGD step
 * against hand-computed numbers and against finite differences of the BPR
 * objective; two disjoint user groups each rank their own movies first
 * (trained users and a folded-in new one); the stars are the baseline's;
 * same seed -> the same model for any thread count, different seed -> a
 * different one; save/load gives the same lists; a cancel through the
 * progress callback keeps the completed epochs; allocation failures; and the
 * defaults on ml-latest-small. */
#include "factors_common.h"
#include "linalg/linalg.h"

/* bpr.c: one step on (p_u, q_i, c_i; q_j, c_j), returning x = s_ui − s_uj
 * before it (not in factor_util.h: only the tests call it). */
float mfr__bpr_step(float *p, float *qi, float *qj, float *ci, float *cj, int32_t k, float lr,
                    float reg, float w);

/* Known answer, k = 2: x = c_i − c_j + p·(q_i − q_j) = 0.15 + 0.2 − 0.04 = 0.31,
 * g = w·σ(−x) = 0.8 / (1 + e^0.31) = 0.338491791; every parameter moves by
 * lr·(±g·(other side) − reg·itself), numbers computed by hand (in double). */
static void bpr_step_known_answer(void **state) {
    (void)state;
    float p[2] = {0.5f, -0.2f}, qi[2] = {0.3f, 0.4f}, qj[2] = {-0.1f, 0.2f};
    float ci = 0.1f, cj = -0.05f;
    float x = mfr__bpr_step(p, qi, qj, &ci, &cj, 2, 0.1f, 0.01f, 0.8f);
    assert_float_near(x, 0.31, 1e-6);
    assert_float_near(p[0], 0.513039672, 1e-6);
    assert_float_near(p[1], -0.193030164, 1e-6);
    assert_float_near(qi[0], 0.316624590, 1e-6);
    assert_float_near(qi[1], 0.392830164, 1e-6);
    assert_float_near(qj[0], -0.116824590, 1e-6);
    assert_float_near(qj[1], 0.206569836, 1e-6);
    assert_float_near(ci, 0.133749179, 1e-6);
    assert_float_near(cj, -0.083799179, 1e-6);
}

/* The objective of one triple: w·(−ln σ(x)) + reg/2·|θ|², θ = (p, q_i, q_j, c_i, c_j). */
static double triple_loss(const double *t, int k, double reg, double w) {
    const double *p = t, *qi = t + k, *qj = t + 2 * k;
    double x = t[3 * k] - t[3 * k + 1], sq = 0;
    for (int f = 0; f < k; f++) x += p[f] * (qi[f] - qj[f]);
    for (int j = 0; j < 3 * k + 2; j++) sq += t[j] * t[j];
    return w * log1p(exp(-x)) + 0.5 * reg * sq;
}

/* The step is −lr times the gradient of the objective (central differences
 * in double), at k = 7 with random parameters. */
static void bpr_step_is_gradient_descent(void **state) {
    (void)state;
    enum { K = 7, N = 3 * K + 2 };
    mfr__rng rng;
    mfr__rng_seed(&rng, 17);
    double t[N];
    for (int j = 0; j < N; j++) t[j] = 0.6 * mfr__rng_normal(&rng);
    float f[N];
    for (int j = 0; j < N; j++) f[j] = (float)t[j];
    const float lr = 0.05f, reg = 0.03f, w = 0.7f;
    mfr__bpr_step(f, f + K, f + 2 * K, f + 3 * K, f + 3 * K + 1, K, lr, reg, w);
    for (int j = 0; j < N; j++) {
        double h = 1e-5, a[N], b[N];
        memcpy(a, t, sizeof a), memcpy(b, t, sizeof b);
        a[j] += h, b[j] -= h;
        double grad = (triple_loss(a, K, reg, w) - triple_loss(b, K, reg, w)) / (2 * h);
        assert_float_near(f[j], (float)t[j] - lr * grad, 2e-6);
    }
}

/* Two groups of users, each rating (3.5..5 stars) about half of its own block
 * of 40 movies and nothing of the other block. */
enum { G_USERS = 40, G_ITEMS = 40 };

static mfr_dataset *two_groups(void) {
    mfr__rng rng;
    mfr__rng_seed(&rng, 21);
    int32_t *u = malloc(sizeof(int32_t) * 4 * G_USERS * G_ITEMS);
    int32_t *it = malloc(sizeof(int32_t) * 4 * G_USERS * G_ITEMS);
    float *r = malloc(sizeof(float) * 4 * G_USERS * G_ITEMS);
    int64_t n = 0;
    for (int a = 0; a < 2 * G_USERS; a++)
        for (int b = 0; b < 2 * G_ITEMS; b++) {
            if (a / G_USERS != b / G_ITEMS || mfr__rng_uniform(&rng) > 0.5) continue;
            u[n] = a, it[n] = b, r[n] = 3.5f + 0.5f * (float)mfr__rng_below(&rng, 4), n++;
        }
    mfr_dataset *ds = NULL;
    mfr_error err;
    assert_int_equal(
        mfr__dataset_from_arrays(2 * G_USERS, 2 * G_ITEMS, n, u, it, r, NULL, &ds, &err), MFR_OK);
    free(u), free(it), free(r);
    return ds;
}

static int in_block(int32_t item, int group) { return item / G_ITEMS == group; }

/* Plain BPR (cg_steps = 1: one uniform negative a step). With the default
 * 8 candidates the hardest negatives of this construction are the user's own
 * unseen block (a quarter of the catalogue), which hard-negative sampling
 * pushes down by design (docs/models-ranking.md); the held-out test below
 * checks the defaults. */
static void bpr_two_groups_rank_own_block(void **state) {
    (void)state;
    mfr_dataset *ds = two_groups();
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_BPR);
    p.factors = 8, p.epochs = 30, p.threads = 2, p.cg_steps = 1;
    mfr_model *m = NULL;
    mfr_error err;
    assert_int_equal(mfr_model_train(ds, NULL, NULL, &p, &m, &err), MFR_OK);
    mfr_model_info info;
    mfr_model_info_get(m, &info);
    assert_int_equal(info.ranked_items, 2 * G_ITEMS);
    mfr_recommend_params rp = mfr_recommend_params_default();
    rp.n = 10, rp.min_ratings = 1;
    mfr_scored out[10];
    int32_t n = 0;
    for (int32_t u = 0; u < 2 * G_USERS; u++) {
        int32_t seen = 0;
        mfr_model_user_items(m, u, &seen);
        assert_true(2 * G_ITEMS - seen >= 10);
        assert_int_equal(mfr_model_recommend(m, u, &rp, out, &n, &err), MFR_OK);
        assert_int_equal(n, 10);
        int own = 0;
        for (int j = 0; j < n; j++) own += in_block(out[j].item, u / G_USERS);
        /* a group's unseen own movies (about 20) all rank above the other block */
        assert_int_equal(own, 10);
    }
    /* a new user who liked five movies of the second block: fold-in ranks
     * that block first, and the list is the same twice (seeded) */
    int32_t items[5] = {41, 44, 50, 63, 77};
    float ratings[5] = {5, 4.5f, 5, 4, 5};
    /* no rating fold-in: bpr's factors score preferences; its rank_user
     * folds the user in on the BPR objective (the vector below is ignored) */
    assert_int_equal(mfr_model_fold_dim(m), 0);
    float vec[9];
    assert_int_equal(mfr_model_fold_in(m, items, ratings, 5, vec, &err), MFR_OK);
    mfr_scored again[10];
    int32_t n2 = 0;
    assert_int_equal(mfr_model_recommend_vec(m, vec, items, ratings, 5, &rp, out, &n, &err),
                     MFR_OK);
    assert_int_equal(mfr_model_recommend_vec(m, vec, items, ratings, 5, &rp, again, &n2, &err),
                     MFR_OK);
    assert_int_equal(n, 10);
    assert_int_equal(n2, 10);
    for (int j = 0; j < n; j++) {
        assert_true(in_block(out[j].item, 1));
        assert_int_equal(out[j].item, again[j].item);
        for (int q = 0; q < 5; q++) assert_int_not_equal(out[j].item, items[q]);
    }
    mfr_model_free(m);
    mfr_dataset_free(ds);
}

/* 4 user groups x 4 item groups of 75 movies; a user rates ~40% of its
 * group's movies (3..5 stars), of which ~10% are held out. */
enum { C_USERS = 200, C_ITEMS = 300 };

static void clustered(mfr_dataset **ds, int32_t *hu, int32_t *hi, int *nh) {
    mfr__rng rng;
    mfr__rng_seed(&rng, 9);
    int32_t *u = malloc(4 * C_USERS * C_ITEMS), *it = malloc(4 * C_USERS * C_ITEMS);
    float *r = malloc(4 * C_USERS * C_ITEMS);
    int64_t n = 0;
    *nh = 0;
    for (int a = 0; a < C_USERS; a++)
        for (int b = 0; b < C_ITEMS; b++) {
            if (a % 4 != b % 4 || mfr__rng_uniform(&rng) > 0.4) continue;
            if (mfr__rng_uniform(&rng) < 0.1 && *nh < 2000) {
                hu[*nh] = a, hi[*nh] = b, (*nh)++;
                continue;
            }
            u[n] = a, it[n] = b, r[n] = (float)(3 + mfr__rng_below(&rng, 3)), n++;
        }
    mfr_error err;
    assert_int_equal(mfr__dataset_from_arrays(C_USERS, C_ITEMS, n, u, it, r, NULL, ds, &err),
                     MFR_OK);
    free(u), free(it), free(r);
}

/* The defaults (8 candidate negatives): a held-out positive scores above
 * the other groups' movies (AUC over all such pairs). */
static void bpr_heldout_positives_rank_high(void **state) {
    (void)state;
    mfr_dataset *ds;
    static int32_t hu[2000], hi[2000];
    int nh;
    clustered(&ds, hu, hi, &nh);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_BPR);
    p.factors = 8, p.epochs = 30;
    mfr_model *m = NULL;
    mfr_error err;
    assert_int_equal(mfr_model_train(ds, NULL, NULL, &p, &m, &err), MFR_OK);
    const float *cb = mfr__model_get_extra(m, MFR_TAG('B', 'P', 'R', 'B'), NULL);
    assert_non_null(cb);
    long wins = 0, total = 0;
    for (int h = 0; h < nh; h++) {
        const float *pu = m->P + (size_t)hu[h] * m->k;
        float s = cb[hi[h]] + mfr__dot(pu, m->Q + (size_t)hi[h] * m->k, m->k);
        for (int32_t j = 0; j < m->n_items; j++) {
            if (j % 4 == hu[h] % 4) continue;
            wins += s > cb[j] + mfr__dot(pu, m->Q + (size_t)j * m->k, m->k);
            total++;
        }
    }
    double auc = (double)wins / (double)total;
    print_message("bpr held-out AUC %.4f over %d positives\n", auc, nh);
    assert_true(nh > 200);
    assert_true(auc > 0.95);
    mfr_model_free(m);
    mfr_dataset_free(ds);
}

/* Stars: the baseline μ + b_u + b_i with the same reg_bias (the baseline
 * family's closed form), not the ranking factors. */
static void bpr_stars_are_the_baseline(void **state) {
    (void)state;
    lowrank L;
    lowrank_make(&L, 60, 50, 2, 0.3, 0.3, 8);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_BPR);
    p.factors = 4, p.epochs = 3;
    mfr_model *m = train_ok(&L, &p);
    mfr_train_params pb = mfr_train_params_default(MFR_ALGO_BASELINE);
    pb.reg_bias = p.reg_bias;
    mfr_model *b = train_ok(&L, &pb);
    for (int64_t j = 0; j < L.test.n; j++)
        assert_float_near(mfr_model_predict(m, L.test.user[j], L.test.item[j]),
                          mfr_model_predict(b, L.test.user[j], L.test.item[j]), 1e-4);
    mfr_model_info info;
    mfr_model_info_get(m, &info);
    assert_false(isnan(info.train_rmse));
    mfr_model_free(m), mfr_model_free(b);
    lowrank_free(&L);
}

/* Big enough for 16 x 16 blocks (>= 1024 active movies, >= 128 users). */
static void big_implicit(lowrank *L) { lowrank_make(L, 200, 1100, 2, 0.05, 0.3, 6); }

static void assert_ranking_biases_identical(const mfr_model *a, const mfr_model *b) {
    uint64_t sa = 0, sb = 0;
    const void *ca = mfr__model_get_extra(a, MFR_TAG('B', 'P', 'R', 'B'), &sa);
    const void *cb = mfr__model_get_extra(b, MFR_TAG('B', 'P', 'R', 'B'), &sb);
    assert_non_null(ca);
    assert_non_null(cb);
    assert_int_equal(sa, sb);
    assert_memory_equal(ca, cb, (size_t)sa);
}

/* Same seed: the same model on 1, 2 and 3 threads (16 blocks a side in every
 * case); another seed: a different one. */
static void bpr_same_seed_identical(void **state) {
    (void)state;
    lowrank L;
    big_implicit(&L);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_BPR);
    p.factors = 8, p.epochs = 3, p.threads = 1;
    mfr_model *a = train_ok(&L, &p);
    p.threads = 2;
    mfr_model *b = train_ok(&L, &p);
    p.threads = 3;
    mfr_model *c = train_ok(&L, &p);
    assert_models_identical(a, b);
    assert_models_identical(a, c);
    assert_ranking_biases_identical(a, b);
    assert_ranking_biases_identical(a, c);
    p.seed = 43;
    mfr_model *d = train_ok(&L, &p);
    assert_true(memcmp(a->Q, d->Q, sizeof(float) * (size_t)a->n_items * a->k) != 0);
    mfr_model_free(a), mfr_model_free(b), mfr_model_free(c), mfr_model_free(d);
    lowrank_free(&L);
}

/* The lists a loaded model gives: the trained users' and a new user's, item
 * for item and score for score. */
static void bpr_save_load_same_lists(void **state) {
    (void)state;
    lowrank L;
    big_implicit(&L);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_BPR);
    p.factors = 8, p.epochs = 5;
    mfr_model *m = train_ok(&L, &p);
    check_save_load(m, &L.test);
    const char *dir = temp_dir();
    assert_non_null(dir);
    char path[512];
    snprintf(path, sizeof path, "%s/bpr.mfm", dir);
    mfr_error err;
    assert_int_equal(mfr_model_save(m, path, &err), MFR_OK);
    mfr_model *l = NULL;
    assert_int_equal(mfr_model_load(path, &l, &err), MFR_OK);
    mfr_recommend_params rp = mfr_recommend_params_default();
    rp.n = 20, rp.min_ratings = 1;
    mfr_scored x[20], y[20];
    int32_t nx = 0, ny = 0;
    for (int32_t u = 0; u < mfr_model_n_users(m); u += 7) {
        assert_int_equal(mfr_model_recommend(m, u, &rp, x, &nx, &err), MFR_OK);
        assert_int_equal(mfr_model_recommend(l, u, &rp, y, &ny, &err), MFR_OK);
        assert_int_equal(nx, 20);
        assert_int_equal(nx, ny);
        for (int j = 0; j < nx; j++) {
            assert_int_equal(x[j].item, y[j].item);
            assert_true(x[j].score == y[j].score);
            assert_true(x[j].prediction == y[j].prediction);
        }
    }
    int32_t items[4] = {3, 10, 200, 801};
    float ratings[4] = {2.5f, 3.5f, 4.f, 3.f};
    float vec[9];
    assert_int_equal(mfr_model_fold_in(m, items, ratings, 4, vec, &err), MFR_OK);
    assert_int_equal(mfr_model_recommend_vec(m, vec, items, ratings, 4, &rp, x, &nx, &err), MFR_OK);
    assert_int_equal(mfr_model_recommend_vec(l, vec, items, ratings, 4, &rp, y, &ny, &err), MFR_OK);
    assert_int_equal(nx, 20);
    assert_int_equal(nx, ny);
    for (int j = 0; j < nx; j++) {
        assert_int_equal(x[j].item, y[j].item);
        assert_true(x[j].score == y[j].score);
    }
    mfr_model_free(l);
    mfr_model_free(m);
    lowrank_free(&L);
}

typedef struct cancel_at {
    int32_t at, calls;
} cancel_at;

static int cancel_cb(const mfr_progress *pr, void *user) {
    cancel_at *c = user;
    c->calls++;
    return pr->step >= c->at;
}

/* A progress callback asking to stop after epoch 3 of 50: MFR_E_CANCELLED,
 * a model holding exactly 3 epochs (the same as training 3), which lists. */
static void bpr_cancel_keeps_completed_epochs(void **state) {
    (void)state;
    lowrank L;
    big_implicit(&L);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_BPR);
    p.factors = 8, p.epochs = 50, p.threads = 2;
    cancel_at c = {3, 0};
    p.progress = cancel_cb, p.progress_user = &c;
    mfr_model *m = NULL;
    mfr_error err;
    assert_int_equal(mfr_model_train(L.ds, &L.train, NULL, &p, &m, &err), MFR_E_CANCELLED);
    assert_non_null(m);
    assert_int_equal(c.calls, 3);
    assert_non_null(strstr(err.message, "epoch 3"));
    mfr_model_info info;
    mfr_model_info_get(m, &info);
    assert_int_equal(info.epochs_run, 3);
    p.progress = NULL, p.epochs = 3;
    mfr_model *ref = train_ok(&L, &p);
    assert_models_identical(m, ref);
    assert_ranking_biases_identical(m, ref);
    mfr_recommend_params rp = mfr_recommend_params_default();
    rp.min_ratings = 1;
    mfr_scored out[10];
    int32_t n = 0;
    assert_int_equal(mfr_model_recommend(m, 0, &rp, out, &n, &err), MFR_OK);
    assert_int_equal(n, 10);
    mfr_model_free(m), mfr_model_free(ref);
    lowrank_free(&L);
}

static void fault_bpr_alloc_failures(void **state) {
    (void)state;
    check_alloc_failures(MFR_ALGO_BPR, 3);
}

/* ml-latest-small, random 80/20 holdout, split and training seed 1 (what
 * `mfrec eval DATA --algo bpr --test-frac 0.2 --seed 1` runs), relevant =
 * test rating >= 4: the defaults give P@10 0.224 and NDCG@10 0.305
 * (docs/models-ranking.md, bpr), above implicit's ALS (0.178 / 0.249 on the
 * same split). */
static void bpr_movielens_ranking_slow(void **state) {
    (void)state;
    mfr_dataset *ds = NULL;
    mfr_ratings tr, te;
    if (!movielens_holdout(1, &ds, &tr, &te)) return;
    mfr_error err;
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_BPR);
    p.seed = 1;
    mfr_model *m = NULL;
    double t0 = mfr__now();
    assert_int_equal(mfr_model_train(ds, &tr, NULL, &p, &m, &err), MFR_OK);
    double fit = mfr__now() - t0;
    mfr_ranking_params rp = mfr_ranking_params_default();
    rp.min_ratings = 1;
    mfr_ranking rk;
    assert_int_equal(mfr_eval_ranking(m, &te, &rp, &rk, &err), MFR_OK);
    print_message("bpr P@10 %.4f NDCG@10 %.4f over %lld users, fit %.2f s\n", rk.precision, rk.ndcg,
                  (long long)rk.users_ranked, fit);
    assert_true(rk.users_ranked > 500);
    assert_true(rk.precision > 0.20);
    assert_true(rk.ndcg > 0.27);
    mfr_model_free(m);
    mfr_ratings_free(&tr), mfr_ratings_free(&te);
    mfr_dataset_free(ds);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bpr_step_known_answer),
        cmocka_unit_test(bpr_step_is_gradient_descent),
        cmocka_unit_test(bpr_two_groups_rank_own_block),
        cmocka_unit_test(bpr_heldout_positives_rank_high),
        cmocka_unit_test(bpr_stars_are_the_baseline),
        cmocka_unit_test(bpr_same_seed_identical),
        cmocka_unit_test(bpr_save_load_same_lists),
        cmocka_unit_test(bpr_cancel_keeps_completed_epochs),
        cmocka_unit_test(fault_bpr_alloc_failures),
        cmocka_unit_test(bpr_movielens_ranking_slow),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
