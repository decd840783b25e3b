/* test_algo_slopeone.c — weighted Slope One: deviations and predictions by
 * hand on Lemire & Maclachlan's kind of tiny matrix, the regrouped per-user
 * scores against the pair definition on a random matrix, a new user served
 * from their ratings, save/load, bad input, allocation failures. */
#include "factors_common.h"

#include <math.h>
#include <stdlib.h>

/*        i0  i1  i2
 *   u0    5   3   2
 *   u1    3   4   .
 *   u2    .   2   5                                                      */
/* dev_ij and c_ij = |U_ij| by their definition, from the model's stored
 * training ratings (dev 0 when no user rated both): what the predictions
 * are checked against. */
static void slopeone_dev(const mfr_model *m, int32_t i, int32_t j, double *dev, int32_t *count) {
    double s = 0.0;
    int32_t c = 0;
    for (int32_t v = 0; v < m->n_users; v++) {
        float ri = NAN, rj = NAN;
        for (int64_t e = m->seen_ptr[v]; e < m->seen_ptr[v + 1]; e++) {
            if (m->seen_item[e] == i) ri = m->seen_rating[e];
            if (m->seen_item[e] == j) rj = m->seen_rating[e];
        }
        if (!isnan(ri) && !isnan(rj)) s += (double)ri - rj, c++;
    }
    *dev = c ? s / c : 0.0;
    *count = c;
}

static mfr_dataset *tiny(void) {
    int32_t u[7] = {0, 0, 0, 1, 1, 2, 2}, it[7] = {0, 1, 2, 0, 1, 1, 2};
    float r[7] = {5, 3, 2, 3, 4, 2, 5};
    mfr_dataset *ds;
    assert_int_equal(mfr__dataset_from_arrays(3, 3, 7, u, it, r, NULL, &ds, NULL), MFR_OK);
    ds->scale_min = 0.5f, ds->scale_max = 5.f;
    return ds;
}

static mfr_model *train(const mfr_dataset *ds) {
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_SLOPEONE);
    mfr_model *m = NULL;
    mfr_error err;
    mfr_status st = mfr_model_train(ds, NULL, NULL, &p, &m, &err);
    if (st) print_error("train: %s\n", err.message);
    assert_int_equal(st, MFR_OK);
    return m;
}

static void slopeone_hand_deviations_and_predictions(void **state) {
    (void)state;
    mfr_dataset *ds = tiny();
    mfr_model *m = train(ds);
    double dev;
    int32_t c;
    /* dev(0,1): u0 5−3, u1 3−4 → (2 − 1)/2 */
    slopeone_dev(m, 0, 1, &dev, &c);
    assert_int_equal(c, 2); assert_float_near(dev, 0.5, 1e-12);
    slopeone_dev(m, 0, 2, &dev, &c); /* u0 5−2 */
    assert_int_equal(c, 1); assert_float_near(dev, 3.0, 1e-12);
    slopeone_dev(m, 2, 1, &dev, &c); /* u0 2−3, u2 5−2 */
    assert_int_equal(c, 2); assert_float_near(dev, 1.0, 1e-12);
    slopeone_dev(m, 2, 0, &dev, &c);
    assert_int_equal(c, 1); assert_float_near(dev, -3.0, 1e-12);
    /* u1, i2: [(dev20 + r10)·1 + (dev21 + r11)·2] / 3 = [(−3 + 3) + (1 + 4)·2] / 3 */
    assert_float_near(mfr_model_predict(m, 1, 2), 10.0 / 3.0, 1e-6);
    /* u2, i0: [(dev01 + 2)·2 + (dev02 + 5)·1] / 3 = (5 + 8) / 3 */
    assert_float_near(mfr_model_predict(m, 2, 0), 13.0 / 3.0, 1e-6);
    /* a training pair, u0, i0: [(0.5 + 3)·2 + (3 + 2)·1] / 3 = 4 */
    assert_float_near(mfr_model_predict(m, 0, 0), 4.0, 1e-6);
    /* unknown user or movie: the baseline's terms */
    assert_float_near(mfr_model_predict(m, -1, 1), m->mu + m->item_bias[1], 1e-6);
    assert_float_near(mfr_model_predict(m, 2, -1), m->mu + m->user_bias[2], 1e-6);
    assert_int_equal(mfr_model_fold_dim(m), 0);
    mfr_model_free(m);
    mfr_dataset_free(ds);
}

/* The pair definition: Σ_j (dev_ij + r_uj) c_ij / Σ_j c_ij over u's movies. */
static double by_definition(const mfr_model *m, int32_t u, int32_t i, double fallback) {
    double num = 0, den = 0;
    for (int64_t e = m->seen_ptr[u]; e < m->seen_ptr[u + 1]; e++) {
        int32_t j = m->seen_item[e];
        if (j == i) continue;
        double dev;
        int32_t c;
        slopeone_dev(m, i, j, &dev, &c);
        num += (dev + m->seen_rating[e]) * c, den += c;
    }
    return den > 0 ? num / den : fallback;
}

/* Every (user, movie) of a random 40 x 30 matrix: predict and score_user
 * (the regrouped sums) against the definition; a new user with the ratings
 * of user 3 gets user 3's scores for the movies user 3 did not rate. */
static void slopeone_regrouped_sums_match_definition(void **state) {
    (void)state;
    lowrank L;
    lowrank_make(&L, 40, 30, 2, 0.3, 0.3, 9);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_SLOPEONE);
    mfr_model *m = train_ok(&L, &p);
    float *scores = malloc(sizeof(float) * 30), *rank = malloc(sizeof(float) * 30);
    double worst = 0;
    for (int32_t u = 0; u < 40; u++) {
        m->vt->score_user(m, u, scores);
        for (int32_t i = 0; i < 30; i++) {
            double want = by_definition(m, u, i, mfr__predict_mf(m, u, i));
            worst = fmax(worst, fabs(scores[i] - want));
            worst = fmax(worst, fabs(m->vt->predict(m, u, i) - want));
        }
    }
    print_message("slopeone: largest difference from the definition %.3g\n", worst);
    assert_true(worst < 1e-4);
    /* a new user who rated what user 3 rated */
    int32_t n3 = (int32_t)(m->seen_ptr[4] - m->seen_ptr[3]);
    mfr_recommend_params rp = mfr_recommend_params_default();
    rp.n = 5, rp.min_ratings = 1, rp.scores = rank;
    mfr_scored out[5];
    int32_t n = 0;
    mfr_error err;
    assert_int_equal(mfr_model_recommend_vec(m, NULL, m->seen_item + m->seen_ptr[3],
                                             m->seen_rating + m->seen_ptr[3], n3, &rp, out, &n,
                                             &err),
                     MFR_OK);
    assert_int_equal(n, 5);
    m->vt->score_user(m, 3, scores);
    int checked = 0;
    for (int32_t i = 0; i < 30; i++) {
        int rated = 0;
        for (int64_t e = m->seen_ptr[3]; e < m->seen_ptr[4]; e++) rated |= m->seen_item[e] == i;
        if (rated) continue;
        assert_float_near(rank[i], scores[i], 1e-4);
        checked++;
    }
    assert_true(checked > 5);
    check_save_load(m, &L.test);
    mfr_model *b = train_ok(&L, &p); /* deterministic */
    for (int64_t j = 0; j < L.test.n; j++)
        assert_true(mfr_model_predict(m, L.test.user[j], L.test.item[j]) ==
                    mfr_model_predict(b, L.test.user[j], L.test.item[j]));
    free(scores), free(rank);
    mfr_model_free(m), mfr_model_free(b);
    lowrank_free(&L);
}

/* Slope One reads no factor, epoch or step parameter; an empty training set
 * and a bad value are refused with the field named. */
static void slopeone_bad_input(void **state) {
    (void)state;
    assert_int_equal(mfr_train_params_applies(MFR_ALGO_SLOPEONE, "factors"), 0);
    assert_int_equal(mfr_train_params_applies(MFR_ALGO_SLOPEONE, "lr"), 0);
    mfr_dataset *ds = tiny();
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_SLOPEONE);
    mfr_ratings none = {0, 3, 3, NULL, NULL, NULL, NULL};
    mfr_model *m = NULL;
    mfr_error err;
    assert_int_equal(mfr_model_train(ds, &none, NULL, &p, &m, &err), MFR_E_INVALID);
    assert_null(m);
    p.threads = -1;
    assert_int_equal(mfr_model_train(ds, NULL, NULL, &p, &m, &err), MFR_E_INVALID);
    assert_non_null(strstr(err.message, "threads"));
    mfr_dataset_free(ds);
}

static void fault_slopeone_alloc_failures(void **state) {
    (void)state;
    check_alloc_failures(MFR_ALGO_SLOPEONE, 0);
}

/* Defaults on ml-latest-small, 80/20 (seed 42): measured 0.8755. */
static void slopeone_movielens_rmse_slow(void **state) {
    (void)state;
    double r = movielens_rmse(MFR_ALGO_SLOPEONE);
    if (isnan(r)) return;
    assert_true(r < 0.885);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(slopeone_hand_deviations_and_predictions),
        cmocka_unit_test(slopeone_regrouped_sums_match_definition),
        cmocka_unit_test(slopeone_bad_input),
        cmocka_unit_test(fault_slopeone_alloc_failures),
        cmocka_unit_test(slopeone_movielens_rmse_slow),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
