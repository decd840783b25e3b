/* test_analysis.c — k-means and PCA (src/analysis/kmeans.c, src/analysis/pca.c):
 * separable blobs are recovered, the same seed gives the same clustering,
 * PCA of points on a line finds that line, bad sizes are refused. */
#include "test.h"

#include "model/model_impl.h"
#include "core/core.h"

/* n points per blob around 3 centres far apart in 4-D, interleaved. */
static float *make_blobs(int32_t per, uint64_t seed, int32_t *truth) {
    static const float centre[3][4] = {{10, 0, 0, 0}, {0, 10, 0, 0}, {0, 0, -10, 5}};
    float *X = malloc(sizeof(float) * 3 * per * 4);
    uint64_t s = seed;
    for (int32_t j = 0; j < 3 * per; j++) {
        int32_t b = j % 3;
        truth[j] = b;
        for (int f = 0; f < 4; f++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            float noise = (float)((s >> 40) % 1000) / 1000.f - 0.5f; /* [-0.5, 0.5) */
            X[j * 4 + f] = centre[b][f] + noise;
        }
    }
    return X;
}

static void kmeans_recovers_blobs(void **state) {
    (void)state;
    int32_t per = 50, n = 3 * per, truth[150], assign[150];
    float *X = make_blobs(per, 7, truth);
    float C[3 * 4];
    double inertia = 0;
    assert_int_equal(mfr_kmeans(X, n, 4, 3, 1, 100, assign, C, &inertia, NULL), MFR_OK);
    /* every blob maps to one cluster, and the three clusters differ */
    int32_t map[3] = {assign[0], assign[1], assign[2]};
    assert_int_not_equal(map[0], map[1]);
    assert_int_not_equal(map[0], map[2]);
    assert_int_not_equal(map[1], map[2]);
    for (int32_t j = 0; j < n; j++) assert_int_equal(assign[j], map[truth[j]]);
    /* inertia: 150 points × 4 dims × var(U(-.5,.5)) = 1/12 -> about 50 */
    assert_true(inertia > 10 && inertia < 100);
    free(X);
}

static void kmeans_same_seed_same_result(void **state) {
    (void)state;
    int32_t truth[150], a1[150], a2[150];
    float *X = make_blobs(50, 3, truth);
    float C1[5 * 4], C2[5 * 4];
    assert_int_equal(mfr_kmeans(X, 150, 4, 5, 99, 50, a1, C1, NULL, NULL), MFR_OK);
    assert_int_equal(mfr_kmeans(X, 150, 4, 5, 99, 50, a2, C2, NULL, NULL), MFR_OK);
    assert_memory_equal(a1, a2, sizeof a1);
    assert_memory_equal(C1, C2, sizeof C1);
    free(X);
}

static void kmeans_rejects_bad_k(void **state) {
    (void)state;
    float X[4] = {0, 1, 2, 3};
    int32_t a[4];
    float C[8];
    mfr_error err = {0};
    assert_int_equal(mfr_kmeans(X, 4, 1, 5, 1, 10, a, C, NULL, &err), MFR_E_INVALID);
    assert_non_null(strstr(err.message, "k=5"));
    assert_int_equal(mfr_kmeans(X, 4, 1, 0, 1, 10, a, C, NULL, NULL), MFR_E_INVALID);
}

static void pca_line_direction(void **state) {
    (void)state;
    /* points t·(1, 2, 2)/3 + tiny orthogonal wobble, t in -10..10 */
    int32_t n = 21;
    float X[21 * 3], xy[21 * 2], axes[2 * 3], expl[2];
    for (int32_t j = 0; j < n; j++) {
        float t = (float)(j - 10);
        float w = (j % 2 ? 0.01f : -0.01f);
        X[j * 3 + 0] = t / 3.f + w * 2.f / 3.f;
        X[j * 3 + 1] = 2.f * t / 3.f + w * 1.f / 3.f;  /* (2,1,-2)/3 ⟂ (1,2,2)/3 */
        X[j * 3 + 2] = 2.f * t / 3.f - w * 2.f / 3.f;
    }
    assert_int_equal(mfr_pca(X, n, 3, 2, xy, axes, expl, NULL), MFR_OK);
    assert_float_near(axes[0], 1.0 / 3, 1e-3);
    assert_float_near(axes[1], 2.0 / 3, 1e-3);
    assert_float_near(axes[2], 2.0 / 3, 1e-3);
    assert_true(expl[0] > 0.999);
    /* first coordinate is t (the points are centred already) */
    for (int32_t j = 0; j < n; j++) assert_float_near(xy[j * 2], j - 10, 1e-3);
    for (int32_t j = 0; j < n; j++) assert_float_near(fabs(xy[j * 2 + 1]), 0.01, 1e-3);
}

static void pca_rejects_bad_sizes(void **state) {
    (void)state;
    float X[3] = {1, 2, 3}, out[6];
    assert_int_equal(mfr_pca(X, 1, 3, 2, out, NULL, NULL, NULL), MFR_E_INVALID);
    assert_int_equal(mfr_pca(X, 3, 1, 2, out, NULL, NULL, NULL), MFR_E_INVALID);
}

/* A small synthetic data set and an sgd model on it (one thread). */
static mfr_model *synth_model(mfr_algo algo, mfr_dataset **ds_out) {
    mfr_synth_params sp = mfr_synth_params_default();
    sp.users = 150, sp.movies = 120, sp.ratings = 6000, sp.rank = 3, sp.seed = 4;
    mfr_dataset *ds = NULL;
    mfr_error err = {0};
    assert_int_equal(mfr_synth_dataset(&sp, &ds, &err), MFR_OK);
    mfr_train_params p = mfr_train_params_default(algo);
    p.threads = 1;
    if (p.factors > 0) p.factors = 6;
    mfr_model *m = NULL;
    assert_int_equal(mfr_model_train(ds, NULL, NULL, &p, &m, &err), MFR_OK);
    *ds_out = ds;
    return m;
}

static void model_cluster_consistent(void **state) {
    (void)state;
    mfr_dataset *ds;
    mfr_model *m = synth_model(MFR_ALGO_SGD, &ds);
    mfr_cluster_params cp = mfr_cluster_params_default();
    cp.k = 4, cp.min_ratings = 30;
    mfr_clustering *c = NULL, *c2 = NULL;
    mfr_error err = {0};
    assert_int_equal(mfr_model_cluster(m, &cp, &c, &err), MFR_OK);
    assert_int_equal(mfr_model_cluster(m, &cp, &c2, &err), MFR_OK);
    int32_t want = 0, total = 0;
    for (int32_t i = 0; i < mfr_model_n_items(m); i++) want += mfr_model_item_count(m, i) >= 30;
    assert_int_equal(c->n, want);
    for (int32_t k = 0; k < c->k; k++) total += c->size[k];
    assert_int_equal(total, c->n);
    assert_memory_equal(c->assign, c2->assign, sizeof(int32_t) * c->n);
    for (int32_t j = 0; j < c->n; j++) {
        if (j) assert_true(c->items[j] > c->items[j - 1]);
        assert_int_equal(mfr_clustering_of(c, c->items[j]), c->assign[j]);
    }
    int32_t typ[3];
    const char *gn[3];
    int32_t gl[3];
    float gs[3];
    for (int32_t k = 0; k < c->k; k++) {
        int32_t nt = mfr_clustering_typical(m, c, k, 3, typ);
        assert_true(nt <= 3 && nt <= c->size[k] && (nt > 0 || c->size[k] == 0));
        for (int32_t t = 0; t < nt; t++) assert_int_equal(mfr_clustering_of(c, typ[t]), k);
        for (int32_t t = 1; t < nt; t++)
            assert_true(mfr_model_item_count(m, typ[t - 1]) >= mfr_model_item_count(m, typ[t]));
        int32_t ng = mfr_clustering_genres(m, c, k, 3, gn, gl, gs);
        for (int32_t g = 0; g < ng; g++) assert_true(gs[g] > 0 && gs[g] <= 1 && gl[g] > 0);
        for (int32_t g = 1; g < ng; g++) assert_true(gs[g - 1] >= gs[g]);
    }
    assert_int_equal(mfr_clustering_of(c, -5), -1);
    mfr_clustering_free(c);
    mfr_clustering_free(c2);
    mfr_model_free(m);
    mfr_dataset_free(ds);
}

static void model_project_centred(void **state) {
    (void)state;
    mfr_dataset *ds;
    mfr_model *m = synth_model(MFR_ALGO_SGD, &ds);
    int32_t ni = mfr_model_n_items(m), n = 0, want = 0;
    int32_t *items = malloc(sizeof(int32_t) * ni);
    float *xy = malloc(sizeof(float) * 2 * ni), ex[2];
    assert_int_equal(mfr_model_project_2d(m, 20, items, xy, &n, ex, NULL), MFR_OK);
    for (int32_t i = 0; i < ni; i++) want += mfr_model_item_count(m, i) >= 20;
    assert_int_equal(n, want);
    double sx = 0, sy = 0, vx = 0, vy = 0;
    for (int32_t j = 0; j < n; j++) sx += xy[2 * j], sy += xy[2 * j + 1];
    for (int32_t j = 0; j < n; j++) vx += xy[2 * j] * xy[2 * j], vy += xy[2 * j + 1] * xy[2 * j + 1];
    assert_float_near(sx / n, 0, 1e-4);
    assert_float_near(sy / n, 0, 1e-4);
    assert_true(vx >= vy);                 /* the first axis carries more variance */
    assert_true(ex[0] >= ex[1] && ex[1] > 0 && ex[0] + ex[1] <= 1.0001);
    free(items), free(xy);
    mfr_model_free(m);
    mfr_dataset_free(ds);
}

static void model_without_factors_refused(void **state) {
    (void)state;
    mfr_dataset *ds;
    mfr_model *m = synth_model(MFR_ALGO_BASELINE, &ds);
    mfr_clustering *c = (mfr_clustering *)1;
    mfr_error err = {0};
    assert_int_equal(mfr_model_cluster(m, NULL, &c, &err), MFR_E_UNSUPPORTED);
    assert_null(c);
    assert_non_null(strstr(err.message, "baseline"));
    int32_t items[1], n = 7;
    float xy[2];
    assert_int_equal(mfr_model_project_2d(m, 0, items, xy, &n, NULL, NULL), MFR_E_UNSUPPORTED);
    assert_int_equal(n, 0);
    mfr_model_free(m);
    mfr_dataset_free(ds);
}

/* Every allocation of clustering and projection failed in turn: MFR_E_NOMEM,
 * nothing returned, nothing leaked (ASan), until the call succeeds. */
static void fault_analysis_alloc_failures(void **state) {
    (void)state;
    mfr_dataset *ds;
    mfr_model *m = synth_model(MFR_ALGO_SGD, &ds);
    mfr_cluster_params cp = mfr_cluster_params_default();
    cp.k = 3;
    for (long n = 0;; n++) {
        mfr_clustering *c = NULL;
        mfr__alloc_fail_after(n);
        mfr_status st = mfr_model_cluster(m, &cp, &c, NULL);
        mfr__alloc_fail_after(-1);
        if (st == MFR_OK) {
            mfr_clustering_free(c);
            break;
        }
        assert_int_equal(st, MFR_E_NOMEM);
        assert_null(c);
    }
    int32_t ni = mfr_model_n_items(m), got;
    int32_t *items = malloc(sizeof(int32_t) * ni);
    float *xy = malloc(sizeof(float) * 2 * ni);
    for (long n = 0;; n++) {
        mfr__alloc_fail_after(n);
        mfr_status st = mfr_model_project_2d(m, 10, items, xy, &got, NULL, NULL);
        mfr__alloc_fail_after(-1);
        if (st == MFR_OK) break;
        assert_int_equal(st, MFR_E_NOMEM);
        assert_int_equal(got, 0);
    }
    free(items), free(xy);
    mfr_model_free(m);
    mfr_dataset_free(ds);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kmeans_recovers_blobs),
        cmocka_unit_test(kmeans_same_seed_same_result),
        cmocka_unit_test(kmeans_rejects_bad_k),
        cmocka_unit_test(pca_line_direction),
        cmocka_unit_test(pca_rejects_bad_sizes),
        cmocka_unit_test(model_cluster_consistent),
        cmocka_unit_test(model_project_centred),
        cmocka_unit_test(model_without_factors_refused),
        cmocka_unit_test(fault_analysis_alloc_failures),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
