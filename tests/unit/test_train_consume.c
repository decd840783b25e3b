/* test_train_consume.c — mfr_model_train_consume (src/model/train.c): the
 * dataset gives up its ratings during training so they are held once, and
 * the model is the same as mfr_model_train's, bit for bit: from arrays
 * sorted by user then item (the view switches to the model's seen lists, the
 * log says so), from an unsorted set (no switch, same model), and from a
 * .mfd file, whose dropped pages read as zeros afterwards (a fit that still
 * read them would train another model). Also the seen lists the model
 * builds in place (src/model/model.c): sorted rows, repeated items. */
#include "test.h"

#include "data/dataset_impl.h"
#include "model/model_impl.h"

#include <unistd.h>

/* nu users x ni items, about density of the pairs rated, sorted by user then
 * item unless shuffled; timestamps when with_time. */
static mfr_dataset *make_set(int32_t nu, int32_t ni, double density, int shuffled, int with_time) {
    int64_t cap = (int64_t)nu * ni, n = 0;
    int32_t *u = malloc((size_t)cap * sizeof *u), *i = malloc((size_t)cap * sizeof *i);
    float *r = malloc((size_t)cap * sizeof *r);
    int64_t *t = malloc((size_t)cap * sizeof *t);
    assert_true(u && i && r && t);
    mfr__rng rng;
    mfr__rng_seed(&rng, 7);
    for (int32_t a = 0; a < nu; a++)
        for (int32_t b = 0; b < ni; b++) {
            if (mfr__rng_uniform(&rng) >= density) continue;
            u[n] = a, i[n] = b;
            r[n] = 0.5f * (float)(1 + (a * 7 + b * 3) % 10);
            t[n] = 1000000000 + n;
            n++;
        }
    for (int64_t m = n; shuffled && m > 1; m--) {
        int64_t s = (int64_t)mfr__rng_below(&rng, (uint64_t)m);
        int32_t x = u[m - 1];
        u[m - 1] = u[s], u[s] = x;
        x = i[m - 1], i[m - 1] = i[s], i[s] = x;
        float y = r[m - 1];
        r[m - 1] = r[s], r[s] = y;
    }
    mfr_dataset *ds = NULL;
    mfr_error err = {0};
    assert_int_equal(mfr__dataset_from_arrays(nu, ni, n, u, i, r, with_time ? t : NULL, &ds, &err), MFR_OK);
    free(u), free(i), free(r), free(t);
    return ds;
}

static mfr_train_params sgd_params(void) {
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_SGD);
    p.factors = 8;
    p.epochs = 5;
    p.threads = 2;
    p.seed = 3;
    return p;
}

static void assert_same_model(const mfr_model *a, const mfr_model *b) {
    assert_int_equal(a->n_users, b->n_users);
    assert_int_equal(a->n_items, b->n_items);
    assert_int_equal(a->k, b->k);
    assert_int_equal(a->n_train, b->n_train);
    size_t nu = (size_t)a->n_users, ni = (size_t)a->n_items, k = (size_t)a->k;
    assert_memory_equal(a->P, b->P, nu * k * sizeof(float));
    assert_memory_equal(a->Q, b->Q, ni * k * sizeof(float));
    assert_memory_equal(a->user_bias, b->user_bias, nu * sizeof(float));
    assert_memory_equal(a->item_bias, b->item_bias, ni * sizeof(float));
    assert_memory_equal(a->seen_ptr, b->seen_ptr, (nu + 1) * sizeof *a->seen_ptr);
    assert_memory_equal(a->seen_item, b->seen_item, (size_t)a->n_train * sizeof *a->seen_item);
    assert_memory_equal(a->seen_rating, b->seen_rating, (size_t)a->n_train * sizeof(float));
}

/* The log lines of one training, concatenated. */
static char log_text[4096];
static void capture_log(int level, const char *msg, void *user) {
    (void)level, (void)user;
    size_t n = strlen(log_text);
    snprintf(log_text + n, sizeof log_text - n, "%s\n", msg);
}

/* Train p on ds with mfr_model_train and on twin with the consume call;
 * the same model; twin has no ratings afterwards. Answers whether the log
 * said the item and rating arrays were dropped. */
static int check_consume(mfr_dataset *ds, mfr_dataset *twin, const mfr_train_params *p) {
    mfr_error err = {0};
    mfr_model *a = NULL, *b = NULL;
    assert_int_equal(mfr_model_train(ds, NULL, NULL, p, &a, &err), MFR_OK);
    log_text[0] = 0;
    mfr_set_log(capture_log, NULL);
    assert_int_equal(mfr_model_train_consume(twin, p, &b, &err), MFR_OK);
    mfr_set_log(NULL, NULL);
    assert_same_model(a, b);
    mfr_ratings left;
    mfr_dataset_ratings(twin, &left);
    assert_int_equal(left.n, 0);
    assert_null(left.user);
    assert_null(left.item);
    assert_null(left.time);
    /* what stays: ids and the id maps */
    assert_int_equal(mfr_dataset_user_id(twin, 0), mfr_dataset_user_id(ds, 0));
    mfr_model_free(a);
    mfr_model_free(b);
    return strstr(log_text, "item and rating arrays") != NULL;
}

static void sorted_set_same_model_ratings_once(void **state) {
    (void)state;
    mfr_dataset *ds = make_set(300, 200, 0.2, 0, 1), *twin = make_set(300, 200, 0.2, 0, 1);
    mfr_train_params p = sgd_params();
    assert_true(check_consume(ds, twin, &p));
    assert_non_null(strstr(log_text, "timestamps")); /* sgd reads none */
    assert_non_null(strstr(log_text, "sgd memory plan"));
    mfr_dataset_free(ds);
    mfr_dataset_free(twin);
}

static void unsorted_set_same_model(void **state) {
    (void)state;
    mfr_dataset *ds = make_set(200, 150, 0.2, 1, 0), *twin = make_set(200, 150, 0.2, 1, 0);
    mfr_train_params p = sgd_params();
    assert_false(check_consume(ds, twin, &p)); /* the lists are in another order: no switch */
    mfr_dataset_free(ds);
    mfr_dataset_free(twin);
}

/* A family that reads timestamps keeps them until the end; ALS (not
 * ignoring time) trains the same model too. */
static void other_family_same_model(void **state) {
    (void)state;
    mfr_dataset *ds = make_set(120, 90, 0.3, 0, 1), *twin = make_set(120, 90, 0.3, 0, 1);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_ALS);
    p.factors = 4;
    p.epochs = 3;
    p.threads = 1;
    assert_true(check_consume(ds, twin, &p));
    assert_null(strstr(log_text, "timestamps"));
    mfr_dataset_free(ds);
    mfr_dataset_free(twin);
}

/* From a .mfd: the dropped sections lie in the file's block and read as
 * zeros afterwards, so a fit that still read them would differ. */
static void from_mfd_same_model(void **state) {
    (void)state;
    mfr_dataset *ds = make_set(400, 300, 0.25, 0, 1);
    char path[] = "/tmp/mfr_consume_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    mfr_error err = {0};
    assert_int_equal(mfr_dataset_save(ds, path, &err), MFR_OK);
    mfr_dataset *twin = NULL;
    assert_int_equal(mfr_dataset_import(path, NULL, &twin, &err), MFR_OK);
    unlink(path);
    assert_non_null(twin->map_base);
    const int32_t *item = twin->item;
    int64_t n = twin->n_ratings;
    mfr_train_params p = sgd_params();
    assert_true(check_consume(ds, twin, &p));
    /* the whole pages of the item section were handed back */
    int64_t zeros = 0;
    for (int64_t j = 0; j < n; j++) zeros += item[j] == 0;
    assert_true(zeros > n / 2);
    mfr_dataset_free(ds);
    mfr_dataset_free(twin);
}

/* Seen lists built in place: rows sorted by item, a repeated item's ratings
 * in value order, whatever the input order. */
static void seen_lists_sorted_in_place(void **state) {
    (void)state;
    const int32_t u[] = {1, 0, 1, 0, 1, 0, 1};
    const int32_t i[] = {3, 2, 0, 0, 3, 1, 2};
    const float r[] = {5, 4, 1, 2, 3, 4.5f, 2};
    mfr_dataset *ds = NULL;
    mfr_error err = {0};
    assert_int_equal(mfr__dataset_from_arrays(2, 4, 7, u, i, r, NULL, &ds, &err), MFR_OK);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_BASELINE);
    mfr_model *m = NULL;
    assert_int_equal(mfr_model_train(ds, NULL, NULL, &p, &m, &err), MFR_OK);
    const int64_t ptr[] = {0, 3, 7};
    const int32_t items[] = {0, 1, 2, 0, 2, 3, 3};
    const float ratings[] = {2, 4.5f, 4, 1, 2, 3, 5};
    assert_memory_equal(m->seen_ptr, ptr, sizeof ptr);
    assert_memory_equal(m->seen_item, items, sizeof items);
    assert_memory_equal(m->seen_rating, ratings, sizeof ratings);
    mfr_model_free(m);
    mfr_dataset_free(ds);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sorted_set_same_model_ratings_once),
        cmocka_unit_test(unsorted_set_same_model),
        cmocka_unit_test(other_family_same_model),
        cmocka_unit_test(from_mfd_same_model),
        cmocka_unit_test(seen_lists_sorted_in_place),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
