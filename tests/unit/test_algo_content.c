/* test_algo_content.c — the content family (src/algo/content.c): on a
 * constructed catalogue the most similar movie is the known one (also for a
 * movie nobody rated), tag text is folded and trimmed, predictions follow
 * taste, save/load keeps everything, on ml-latest-small (when present)
 * it beats the plain baseline, and a user who is not in the model gets
 * the movies like the ones they rated (rank_user, a known answer). */
#include "catalog_fixture.h"
#include "model/model_impl.h"
#include "algo/algo.h"

static mfr_model *train_content(mfr_dataset *ds) {
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_CONTENT);
    mfr_model *m = NULL;
    mfr_error err = {0};
    assert_int_equal(mfr_model_train(ds, NULL, NULL, &p, &m, &err), MFR_OK);
    return m;
}

static int32_t most_similar(const mfr_model *m, int32_t i) {
    mfr_scored s[6];
    int32_t n = 0;
    mfr_error err = {0};
    assert_int_equal(mfr_model_similar(m, i, MFR_SIM_COSINE, 6, 0, s, &n, &err), MFR_OK);
    return cf_top(s, n);
}

static void most_similar_is_known(void **state) {
    (void)state;
    mfr_dataset *ds = catalog_fixture();
    mfr_model *m = train_content(ds);
    assert_int_equal(most_similar(m, 0), 1);
    assert_int_equal(most_similar(m, 1), 0);
    assert_int_equal(most_similar(m, 2), 3);
    assert_int_equal(most_similar(m, 3), 2);
    /* Solaris has no ratings: Sci-Fi + "space" like Alien (fewer extra terms than Aliens) */
    assert_int_equal(mfr_model_item_count(m, 5), 0);
    assert_int_equal(most_similar(m, 5), 0);
    mfr_model_free(m);
    mfr_dataset_free(ds);
}

static void similarity_values(void **state) {
    (void)state;
    mfr_dataset *ds = catalog_fixture();
    mfr_model *m = train_content(ds);
    float sc[6];
    assert_int_equal(m->vt->similar(m, 2, MFR_SIM_COSINE, sc), MFR_OK);
    /* Notting Hill vs Alien: no shared term -> skipped (NaN) */
    assert_true(isnan(sc[0]));
    /* cosine of unit vectors is at most 1, and Love Actually > Toy Story */
    assert_true(sc[3] > 0 && sc[3] <= 1.0001f);
    assert_true(sc[4] < sc[3]);
    /* TF-IDF by hand, Alien vs Aliens. N = 6 movies with terms; df: horror 2,
     * sci-fi 3, action 1, space 3, creature 2. " Space " and "space" fold
     * into one term, so Aliens counts it twice: tf = 1 + ln 2.
     *   v0 = (horror ln3, sci-fi ln2, space ln2, creature ln3)
     *   v1 = (action ln6, horror ln3, sci-fi ln2, space (1+ln2) ln2, creature ln3) */
    double l2 = log(2), l3 = log(3), l6 = log(6);
    double num = 2 * l3 * l3 + l2 * l2 + (1 + l2) * l2 * l2;
    double n0 = sqrt(2 * l3 * l3 + 2 * l2 * l2);
    double n1 = sqrt(l6 * l6 + 2 * l3 * l3 + l2 * l2 + (1 + l2) * l2 * (1 + l2) * l2);
    assert_int_equal(m->vt->similar(m, 0, MFR_SIM_COSINE, sc), MFR_OK);
    assert_float_near(sc[1], num / (n0 * n1), 1e-5);
    assert_int_equal(m->vt->similar(m, 5, MFR_SIM_COSINE, sc), MFR_OK);
    assert_true(sc[0] > 0 && sc[1] > 0);
    mfr_model_free(m);
    mfr_dataset_free(ds);
}

static void predictions_follow_taste(void **state) {
    (void)state;
    mfr_dataset *ds = catalog_fixture();
    mfr_model *m = train_content(ds);
    /* user 0 loves Alien, dislikes Notting Hill; unseen: Aliens, Love Actually */
    assert_true(mfr_model_predict(m, 0, 1) > mfr_model_predict(m, 0, 3));
    assert_true(mfr_model_predict(m, 6, 3) > mfr_model_predict(m, 6, 1));
    /* unrated Solaris: Sci-Fi fan above a romance fan */
    assert_true(mfr_model_predict(m, 0, 5) > mfr_model_predict(m, 6, 5));
    mfr_model_free(m);
    mfr_dataset_free(ds);
}

static void save_load_round_trip(void **state) {
    (void)state;
    mfr_dataset *ds = catalog_fixture();
    mfr_model *m = train_content(ds), *l = NULL;
    mfr_error err = {0};
    char path[512];
    snprintf(path, sizeof path, "%s/c.mfm", temp_dir());
    assert_int_equal(mfr_model_save(m, path, &err), MFR_OK);
    assert_int_equal(mfr_model_load(path, &l, &err), MFR_OK);
    for (int u = 0; u < 12; u++)
        for (int i = 0; i < 6; i++)
            assert_float_near(mfr_model_predict(l, u, i), mfr_model_predict(m, u, i), 0);
    assert_int_equal(most_similar(l, 5), 0);
    remove(path);
    mfr_model_free(m);
    mfr_model_free(l);
    mfr_dataset_free(ds);
}

static void same_seed_same_model(void **state) {
    (void)state;
    mfr_dataset *ds = catalog_fixture();
    mfr_model *a = train_content(ds), *b = train_content(ds);
    assert_int_equal(a->n_extra, b->n_extra);
    for (int s = 0; s < a->n_extra; s++) {
        assert_int_equal(a->extra[s].size, b->extra[s].size);
        assert_memory_equal(a->extra[s].data, b->extra[s].data, a->extra[s].size);
    }
    mfr_model_free(a);
    mfr_model_free(b);
    mfr_dataset_free(ds);
}

static void movielens_beats_baseline_slow(void **state) {
    (void)state;
    const char *dir = movielens_dir();
    if (!dir) {
        print_message("skipped: MovieLens ml-latest-small not found (MFR_DATA_DIR)\n");
        skip();
    }
    mfr_dataset *ds = NULL;
    mfr_error err = {0};
    assert_int_equal(mfr_dataset_import(dir, NULL, &ds, &err), MFR_OK);
    double c = holdout_rmse(ds, MFR_ALGO_CONTENT), b = holdout_rmse(ds, MFR_ALGO_BASELINE);
    print_message("held-out RMSE: content %.4f, baseline %.4f\n", c, b);
    assert_true(c < b - 0.005);
    mfr_dataset_free(ds);
}

static void fault_content_alloc_failures(void **state) {
    (void)state;
    mfr_dataset *ds = catalog_fixture();
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_CONTENT);
    p.threads = 1;
    check_train_alloc_failures(ds, &p);
    mfr_dataset_free(ds);
}

/* A new user who rated Alien 5 stars: the profile is e·v_Alien, so
 *   rank_i = μ + b_new + b_i + cos(v_Alien, v_i)
 * (b_new = (5 − μ − b_0)/16, e > 0) and Aliens — the most similar rated
 * movie — comes first; rated 1 star (e < 0), the cosine counts against it
 * and the romance movies come first. Trained users keep the predicted order. */
static void new_user_known_answer(void **state) {
    (void)state;
    mfr_dataset *ds = catalog_fixture();
    mfr_model *m = train_content(ds);
    assert_non_null(m->vt->rank_user);
    float sim[6], pred[6], rank[6];
    assert_int_equal(m->vt->similar(m, 0, MFR_SIM_COSINE, sim), MFR_OK);
    int32_t items[1] = {0};
    float ratings[1] = {5};
    mfr__who w = {-1, items, ratings, 1, NULL};
    for (int i = 0; i < 6; i++) pred[i] = mfr_model_predict(m, -1, i);
    m->vt->rank_user(m, &w, pred, rank);
    double bn = (5 - m->mu - m->item_bias[0]) / 16.0;
    for (int i = 1; i < 6; i++)
        assert_float_near(rank[i], m->mu + bn + m->item_bias[i] + (isnan(sim[i]) ? 0 : sim[i]), 1e-5);
    mfr_recommend_params rp = mfr_recommend_params_default();
    rp.n = 3, rp.min_ratings = 1;
    mfr_scored out[3];
    int32_t n = 0;
    mfr_error err = {0};
    assert_int_equal(mfr_model_recommend_vec(m, NULL, items, ratings, 1, &rp, out, &n, &err), MFR_OK);
    assert_int_equal(n, 3);
    assert_int_equal(out[0].item, 1);
    assert_float_near(out[0].prediction, mfr_model_predict(m, -1, 1), 1e-6);
    ratings[0] = 1;
    assert_int_equal(mfr_model_recommend_vec(m, NULL, items, ratings, 1, &rp, out, &n, &err), MFR_OK);
    assert_true(out[0].item == 2 || out[0].item == 3);
    assert_int_not_equal(out[0].item, 1);
    /* a trained user: rank is pred */
    for (int32_t u = 0; u < 12; u++) {
        int64_t lo = m->seen_ptr[u], hi = m->seen_ptr[u + 1];
        mfr__who t = {u, m->seen_item + lo, m->seen_rating ? m->seen_rating + lo : NULL,
                      (int32_t)(hi - lo), NULL};
        for (int i = 0; i < 6; i++) pred[i] = m->vt->predict(m, u, i);
        m->vt->rank_user(m, &t, pred, rank);
        assert_memory_equal(rank, pred, sizeof pred);
    }
    mfr_model_free(m);
    mfr_dataset_free(ds);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(most_similar_is_known),
        cmocka_unit_test(similarity_values),
        cmocka_unit_test(predictions_follow_taste),
        cmocka_unit_test(save_load_round_trip),
        cmocka_unit_test(same_seed_same_model),
        cmocka_unit_test(movielens_beats_baseline_slow),
        cmocka_unit_test(fault_content_alloc_failures),
        cmocka_unit_test(new_user_known_answer),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
