/* test_algo_cocluster.c — co-clustering: the prediction formula from the
 * model's cluster assignments recomputed by hand (one cluster: a literal
 * value), planted blocks recovered, a new user's cluster and scores, the
 * file sections checked on attach, bad parameters, determinism, save/load,
 * allocation failures. */
#include "factors_common.h"
#include "algo/classic.h"

#include <math.h>
#include <stdlib.h>

static mfr_model *train_p(const mfr_dataset *ds, const mfr_ratings *tr, int32_t k, int32_t epochs,
                          uint64_t seed) {
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_COCLUSTER);
    p.factors = k, p.epochs = epochs, p.seed = seed;
    mfr_model *m = NULL;
    mfr_error err;
    mfr_status st = mfr_model_train(ds, tr, NULL, &p, &m, &err);
    if (st) print_error("train: %s\n", err.message);
    assert_int_equal(st, MFR_OK);
    return m;
}

/* r̂ = C̄_gh + (μ_u − C̄ᵘ_g) + (μ_i − C̄ⁱ_h) from the ratings r and the stored
 * clusters, in double, for every pair with a training user and movie. */
static void check_formula(const mfr_model *m, const mfr_ratings *r, int32_t K) {
    const int32_t *cu = mfr__model_get_extra(m, MFR__TAG_CCLU, NULL);
    const int32_t *ci = mfr__model_get_extra(m, MFR__TAG_CCLI, NULL);
    assert_non_null(cu); assert_non_null(ci);
    int32_t nu = m->n_users, ni = m->n_items;
    double *su = calloc(nu, 8), *nu_ = calloc(nu, 8), *si = calloc(ni, 8), *ni_ = calloc(ni, 8);
    double cs[16][16] = {{0}}, cn[16][16] = {{0}}, gs[16] = {0}, gn[16] = {0}, hs[16] = {0},
           hn[16] = {0}, mu = 0;
    for (int64_t j = 0; j < r->n; j++) {
        int32_t u = r->user[j], i = r->item[j];
        double v = r->rating[j];
        su[u] += v, nu_[u]++, si[i] += v, ni_[i]++, mu += v;
        cs[cu[u]][ci[i]] += v, cn[cu[u]][ci[i]]++;
        gs[cu[u]] += v, gn[cu[u]]++, hs[ci[i]] += v, hn[ci[i]]++;
    }
    mu /= (double)r->n;
    assert_float_near(m->mu, mu, 1e-5);
    double worst = 0;
    for (int32_t u = 0; u < nu; u++)
        for (int32_t i = 0; i < ni; i++) {
            if (!nu_[u] || !ni_[i]) continue;
            int32_t g = cu[u], h = ci[i];
            double c = cn[g][h] ? cs[g][h] / cn[g][h] : mu, a = gn[g] ? gs[g] / gn[g] : mu,
                   b = hn[h] ? hs[h] / hn[h] : mu;
            double want = c + (su[u] / nu_[u] - a) + (si[i] / ni_[i] - b);
            want = want < m->rmin ? m->rmin : want > m->rmax ? m->rmax : want;
            worst = fmax(worst, fabs(mfr_model_predict(m, u, i) - want));
        }
    (void)K;
    assert_true(worst < 1e-4);
    free(su), free(nu_), free(si), free(ni_);
}

static void cocluster_formula_from_assignments(void **state) {
    (void)state;
    lowrank L;
    lowrank_make(&L, 40, 30, 2, 0.4, 0.3, 3);
    for (int32_t ep = 0; ep <= 3; ep += 3) { /* the random clusters, then fitted ones */
        mfr_model *m = train_p(L.ds, &L.train, 3, ep, 5);
        check_formula(m, &L.train, 3);
        mfr_model_free(m);
    }
    /* one cluster: r̂ = μ_u + μ_i − μ. Two users, two movies:
     * u0: 4, 2; u1: 5, ·  → μ = 11/3, μ_u0 = 3, μ_i0 = 4.5; r̂(u1, i1) = 5 + 2 − 11/3 */
    int32_t u[3] = {0, 0, 1}, it[3] = {0, 1, 0};
    float r[3] = {4, 2, 5};
    mfr_dataset *ds;
    assert_int_equal(mfr__dataset_from_arrays(2, 2, 3, u, it, r, NULL, &ds, NULL), MFR_OK);
    ds->scale_min = 0.5f, ds->scale_max = 5.f;
    mfr_model *m = train_p(ds, NULL, 1, 2, 1);
    assert_float_near(mfr_model_predict(m, 1, 1), 5.0 + 2.0 - 11.0 / 3.0, 1e-5);
    assert_float_near(mfr_model_predict(m, 0, 0), 3.0 + 4.5 - 11.0 / 3.0, 1e-5);
    assert_float_near(mfr_model_predict(m, -1, 0), 4.5, 1e-5); /* unknown user: μ_i */
    assert_float_near(mfr_model_predict(m, 1, -1), 5.0, 1e-5); /* unknown movie: μ_u */
    mfr_model_free(m);
    mfr_dataset_free(ds);
    lowrank_free(&L);
}

/* Two user groups x two movie groups, block means 1.5 / 4.5: two clusters a
 * side find the blocks (test RMSE near the noise), the same seed gives the
 * same model, save/load keeps the predictions; a new user who likes group 0's
 * movies is put in the cluster that likes them. */
static void cocluster_recovers_blocks(void **state) {
    (void)state;
    enum { NU = 60, NI = 40 };
    int32_t *u = malloc(4 * NU * NI), *it = malloc(4 * NU * NI);
    float *r = malloc(4 * NU * NI);
    mfr__rng rng;
    mfr__rng_seed(&rng, 4);
    int64_t n = 0;
    for (int32_t a = 0; a < NU; a++)
        for (int32_t b = 0; b < NI; b++) {
            if (mfr__rng_uniform(&rng) > 0.5) continue;
            double v = ((a % 2) == (b % 2) ? 4.5 : 1.5) + 0.2 * mfr__rng_normal(&rng);
            u[n] = a, it[n] = b, r[n++] = (float)v;
        }
    mfr_dataset *ds;
    assert_int_equal(mfr__dataset_from_arrays(NU, NI, n, u, it, r, NULL, &ds, NULL), MFR_OK);
    ds->scale_min = 0.5f, ds->scale_max = 5.f;
    mfr_model *m = train_p(ds, NULL, 2, 10, 7), *b = train_p(ds, NULL, 2, 10, 7);
    double se = 0;
    for (int64_t j = 0; j < n; j++) {
        double e = mfr_model_predict(m, u[j], it[j]) - r[j];
        se += e * e;
        assert_true(mfr_model_predict(m, u[j], it[j]) == mfr_model_predict(b, u[j], it[j]));
    }
    /* the blocks come back as the clusters: users (and movies) of one parity
     * share a cluster, the two parities do not; what is left is the noise
     * and each user's mean over their own mix of the blocks (about 0.3) */
    const int32_t *cu0 = mfr__model_get_extra(m, MFR__TAG_CCLU, NULL);
    const int32_t *ci0 = mfr__model_get_extra(m, MFR__TAG_CCLI, NULL);
    for (int32_t a = 2; a < NU; a++) assert_int_equal(cu0[a], cu0[a % 2]);
    for (int32_t a = 2; a < NI; a++) assert_int_equal(ci0[a], ci0[a % 2]);
    assert_int_not_equal(cu0[0], cu0[1]);
    assert_int_not_equal(ci0[0], ci0[1]);
    print_message("cocluster on planted blocks: RMSE %.3f (noise 0.2, blocks 1.5 apart)\n", sqrt(se / n));
    assert_true(sqrt(se / n) < 0.45);
    mfr_ratings all;
    mfr_dataset_ratings(ds, &all);
    check_save_load(m, &all);
    /* new user: 5 stars for movies 0, 2, 4, 1 star for 1, 3 */
    int32_t items[5] = {0, 1, 2, 3, 4};
    float rt[5] = {5, 1, 5, 1, 5};
    float *scores = malloc(sizeof(float) * NI);
    mfr_recommend_params rp = mfr_recommend_params_default();
    rp.n = 10, rp.min_ratings = 1, rp.scores = scores;
    mfr_scored out[10];
    int32_t got = 0;
    mfr_error err;
    assert_int_equal(mfr_model_recommend_vec(m, NULL, items, rt, 5, &rp, out, &got, &err), MFR_OK);
    assert_int_equal(got, 10);
    for (int j = 0; j < got; j++) assert_int_equal(out[j].item % 2, 0);
    /* the score of movie 6 by the formula: μ + (μ_new − μ) + b_6 + T[g][c(6)] */
    const int32_t *ci = mfr__model_get_extra(m, MFR__TAG_CCLI, NULL);
    const int32_t *cu = mfr__model_get_extra(m, MFR__TAG_CCLU, NULL);
    const float *T = mfr__model_get_extra(m, MFR__TAG_CCLT, NULL);
    int32_t g = cu[0]; /* user 0 (even) likes the even movies as this user does */
    double want = 17.0 / 5.0 + m->item_bias[6] + T[g * 2 + ci[6]];
    assert_float_near(scores[6], want, 1e-5);
    free(scores);
    mfr_model_free(m), mfr_model_free(b);
    mfr_dataset_free(ds);
    free(u), free(it), free(r);
}

/* factors (the clusters) outside 1..1024 refused; a cluster index or table
 * size a file could carry is refused by attach. */
static void cocluster_bad_params_and_sections(void **state) {
    (void)state;
    lowrank L;
    lowrank_make(&L, 20, 15, 2, 0.5, 0.3, 8);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_COCLUSTER);
    assert_int_equal(p.factors, 3);
    assert_int_equal(p.epochs, 20);
    assert_int_equal(mfr_train_params_applies(MFR_ALGO_COCLUSTER, "factors"), 1);
    assert_int_equal(mfr_train_params_applies(MFR_ALGO_COCLUSTER, "lr"), 0);
    mfr_model *m = NULL;
    mfr_error err;
    p.factors = 0;
    assert_int_equal(mfr_model_train(L.ds, &L.train, NULL, &p, &m, &err), MFR_E_INVALID);
    assert_non_null(strstr(err.message, "factors"));
    p.factors = 2000;
    assert_int_equal(mfr_model_train(L.ds, &L.train, NULL, &p, &m, &err), MFR_E_INVALID);
    assert_null(m);
    m = train_p(L.ds, &L.train, 3, 2, 1);
    int32_t *cu = mfr__model_get_extra(m, MFR__TAG_CCLU, NULL);
    int32_t keep = cu[4];
    cu[4] = 3; /* outside 0..2 */
    assert_int_equal(m->vt->attach(m, &err), MFR_E_FORMAT);
    assert_non_null(strstr(err.message, "user 4"));
    cu[4] = keep;
    int32_t *h = mfr__model_get_extra(m, MFR__TAG_CCLH, NULL);
    h[1] = 4; /* the table holds 3 x 3 */
    assert_int_equal(m->vt->attach(m, &err), MFR_E_FORMAT);
    h[1] = 3;
    assert_int_equal(m->vt->attach(m, &err), MFR_OK);
    mfr_model_free(m);
    lowrank_free(&L);
}

static void fault_cocluster_alloc_failures(void **state) {
    (void)state;
    check_alloc_failures(MFR_ALGO_COCLUSTER, 2);
}

/* Defaults on ml-latest-small, 80/20 (seed 42): measured 0.9134. */
static void cocluster_movielens_rmse_slow(void **state) {
    (void)state;
    double r = movielens_rmse(MFR_ALGO_COCLUSTER);
    if (isnan(r)) return;
    assert_true(r < 0.925);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cocluster_formula_from_assignments),
        cmocka_unit_test(cocluster_recovers_blocks),
        cmocka_unit_test(cocluster_bad_params_and_sections),
        cmocka_unit_test(fault_cocluster_alloc_failures),
        cmocka_unit_test(cocluster_movielens_rmse_slow),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
