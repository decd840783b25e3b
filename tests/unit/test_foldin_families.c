/* test_foldin_families.c — a user who is not in the model, given only by the
 * movies they rated, gets a list from every family: fold-in where the model
 * has item factors (fold_dim k + 1), the rated movies alone otherwise
 * (fold_dim 0); never an error. The list excludes the rated movies, has no
 * NaN, is ordered by score, and for the factor families with a ranker or the
 * rated movies alone it moves when the ratings change. With no ratings at
 * all, every family answers by popularity. */
#include "test.h"

#include <math.h>
#include <string.h>

static void every_family_serves_a_new_user(void **state) {
    (void)state;
    mfr_synth_params sp = mfr_synth_params_default();
    sp.users = 120, sp.movies = 200, sp.ratings = 6000, sp.seed = 3, sp.with_tags = 1;
    mfr_dataset *ds = NULL;
    mfr_error err = {0};
    assert_int_equal(mfr_synth_dataset(&sp, &ds, &err), MFR_OK);
    for (int a = 0; a < MFR_ALGO__COUNT; a++) {
        mfr_train_params p = mfr_train_params_default((mfr_algo)a);
        p.threads = 1;
        if (p.epochs > 5) p.epochs = 5;
        if (a == MFR_ALGO_BMF) p.burnin = 2, p.samples = 3;
        p.rank_min_ratings = 1;
        mfr_model *m = NULL;
        mfr_status st = mfr_model_train(ds, NULL, NULL, &p, &m, &err);
        assert_int_equal(st, MFR_OK);
        int32_t dim = mfr_model_fold_dim(m);
        int32_t items[5] = {0, 3, 7, 11, 19};
        float ratings[5] = {5, 4.5f, 5, 4, 5};
        float *vec = dim ? calloc((size_t)dim, sizeof *vec) : NULL;
        if (dim) assert_int_equal(mfr_model_fold_in(m, items, ratings, 5, vec, &err), MFR_OK);
        mfr_recommend_params rp = mfr_recommend_params_default();
        rp.n = 10, rp.min_ratings = 1;
        mfr_scored out[10];
        int32_t n = 0;
        st = mfr_model_recommend_vec(m, vec, items, ratings, 5, &rp, out, &n, &err);
        if (st) print_message("%s: %s\n", mfr_algo_name((mfr_algo)a), err.message);
        assert_int_equal(st, MFR_OK);
        assert_int_equal(n, 10);
        for (int j = 0; j < n; j++) {
            for (int q = 0; q < 5; q++) assert_int_not_equal(out[j].item, items[q]);
            assert_false(isnan(out[j].score));
            assert_true(out[j].prediction >= 0.5f && out[j].prediction <= 5.0f);
            if (j) assert_true(out[j - 1].score >= out[j].score);
        }
        /* nobody: the most rated first, for every family */
        assert_int_equal(mfr_model_recommend_vec(m, vec, NULL, NULL, 0, &rp, out, &n, &err), MFR_OK);
        assert_int_equal(n, 10);
        for (int j = 1; j < n; j++)
            assert_true(mfr_model_item_count(m, out[j - 1].item) >= mfr_model_item_count(m, out[j].item));
        free(vec);
        mfr_model_free(m);
    }
    mfr_dataset_free(ds);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_family_serves_a_new_user),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
