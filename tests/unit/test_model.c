/* test_model.c — the model object: params text form and checks, training
 * dispatch (through a tiny test-only fit, not sgd.c), the .mfm file (round
 * trip, truncation, corruption, wrong magic/version, allocation faults), and
 * the answers: recommend, similar, find_title, fold-in. */
#include "test.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "algo/algo.h"
#include "data/dataset_impl.h"
#include "model/topn.h"

/* ---- a tiny deterministic "fit" -------------------------------------------
 * b_u = 0.1 (u % 3) - 0.1, b_i = 0.05 (i % 5) - 0.1, P/Q normal(0, 0.25²)
 * from the seed: full rank, and small enough that predictions stay in 0.5..5. */
static int g_fit_calls;
static int64_t g_fit_train_n, g_fit_valid_n;
static int g_fit_threads;

static mfr_status test_fit(mfr_model *m, const mfr__fit_ctx *ctx, mfr_error *err) {
    mfr_status st = mfr__model_alloc_factors(m, ctx->p->factors, err);
    if (st) return st;
    g_fit_calls++;
    g_fit_train_n = ctx->train->n;
    g_fit_valid_n = ctx->valid ? ctx->valid->n : -1;
    g_fit_threads = ctx->threads;
    mfr__rng r;
    mfr__rng_seed(&r, ctx->p->seed);
    for (int32_t u = 0; u < m->n_users; u++) {
        m->user_bias[u] = 0.1f * (float)(u % 3) - 0.1f;
        for (int32_t f = 0; f < m->k; f++) m->P[(size_t)u * m->k + f] = (float)(0.25 * mfr__rng_normal(&r));
    }
    for (int32_t i = 0; i < m->n_items; i++) {
        m->item_bias[i] = 0.05f * (float)(i % 5) - 0.1f;
        for (int32_t f = 0; f < m->k; f++) m->Q[(size_t)i * m->k + f] = (float)(0.25 * mfr__rng_normal(&r));
    }
    uint8_t *extra = mfr__aligned_alloc(10);
    if (!extra) return mfr__nomem(err, "extra");
    memcpy(extra, "extra-data", 10);
    st = mfr__model_add_extra(m, MFR_TAG('T', 'E', 'S', 'T'), extra, 10, err);
    for (int32_t e = 1; !st && e <= ctx->p->epochs; e++) {
        m->epochs_run = e;
        if (mfr__report_epoch(ctx, "test", e, ctx->p->epochs, NAN, NAN, mfr__now(), err))
            return MFR_E_CANCELLED;
    }
    return st;
}

static const mfr__algo test_vt = {.id = MFR_ALGO_SGD, .fit = test_fit};
static const mfr__algo nofit_vt = {.id = MFR_ALGO_SGD};

/* 6 users x 8 items with a hand-made catalogue. */
static const char *TITLES[8] = {"Toy Story (1995)", "Toy Story 2 (1999)", "Am\xc3\xa9lie (2001)", "Heat (1995)",
                                "Alien (1979)", "Aliens (1986)", "Casino (1995)", "Fargo (1996)"};
static const char *GENRES[8] = {"Animation|Children|Comedy", "Animation|Comedy", "Comedy|Romance", "Action|Crime",
                                "Horror|Sci-Fi", "Action|Sci-Fi", "Crime|Drama", "Comedy|Crime|Drama"};

static mfr_dataset *make_dataset(void) {
    int32_t user[40], item[40];
    float rating[40];
    int n = 0;
    for (int32_t u = 0; u < 6; u++)
        for (int32_t i = 7; i >= 0; i--) /* unsorted on purpose */
            if ((u * 3 + i * 5) % 4 != 0 && i != 7) {
                user[n] = u;
                item[n] = i;
                rating[n] = 0.5f + (float)((u * 7 + i * 3) % 10) * 0.5f;
                n++;
            }
    mfr_dataset *ds = NULL;
    mfr_error err;
    assert_int_equal(mfr__dataset_from_arrays(6, 8, n, user, item, rating, NULL, &ds, &err), MFR_OK);
    size_t len = 1;
    for (int i = 0; i < 8; i++) len += strlen(TITLES[i]) + strlen(GENRES[i]) + 2;
    char *pool = malloc(len);
    assert_non_null(pool);
    size_t o = 1;
    pool[0] = '\0';
    for (int i = 0; i < 8; i++) {
        ds->cat.title_off[i] = (uint32_t)o;
        memcpy(pool + o, TITLES[i], strlen(TITLES[i]) + 1);
        o += strlen(TITLES[i]) + 1;
        ds->cat.genres_off[i] = (uint32_t)o;
        memcpy(pool + o, GENRES[i], strlen(GENRES[i]) + 1);
        o += strlen(GENRES[i]) + 1;
        ds->cat.year[i] = (int16_t)(1990 + i);
    }
    mfr__free(ds->cat.strings);
    ds->cat.strings = mfr__malloc(o);
    assert_non_null(ds->cat.strings);
    memcpy(ds->cat.strings, pool, o);
    ds->cat.strings_len = (int64_t)o;
    free(pool);
    return ds;
}

static mfr_model *train_test_model(mfr_dataset *ds, int32_t k) {
    mfr__algo_set_override(MFR_ALGO_SGD, &test_vt);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_SGD);
    p.factors = k;
    p.epochs = 3;
    mfr_model *m = NULL;
    mfr_error err = {0};
    mfr_status st = mfr_model_train(ds, NULL, NULL, &p, &m, &err);
    if (st) print_error("train: %s\n", err.message);
    assert_int_equal(st, MFR_OK);
    assert_non_null(m);
    return m;
}

/* ---- params --------------------------------------------------------------- */
static void algo_names(void **state) {
    (void)state;
    for (int a = 0; a < MFR_ALGO__COUNT; a++) {
        mfr_algo got;
        assert_int_equal(mfr_algo_from_name(mfr_algo_name((mfr_algo)a), &got, NULL), MFR_OK);
        assert_int_equal(got, a);
    }
    assert_null(mfr_algo_name(MFR_ALGO__COUNT));
    mfr_algo got;
    mfr_error err;
    assert_int_equal(mfr_algo_from_name("svd+++", &got, &err), MFR_E_INVALID);
    assert_non_null(strstr(err.message, "svd+++"));
    assert_non_null(strstr(err.message, "knn-item"));
}

static void params_roundtrip(void **state) {
    (void)state;
    for (int a = 0; a < MFR_ALGO__COUNT; a++) {
        mfr_train_params p = mfr_train_params_default((mfr_algo)a);
        assert_int_equal(p.algo, a);
        mfr_error err = {0};
        if (mfr_train_params_check(&p, &err)) print_error("%s: %s\n", mfr_algo_name((mfr_algo)a), err.message);
        assert_int_equal(mfr_train_params_check(&p, NULL), MFR_OK);
        p.seed = 123456789012345ull;
        p.reg = 0.0375f;
        p.threads = 3;
        char buf[4096], buf2[4096];
        int len = mfr_train_params_format(&p, buf, sizeof buf);
        assert_true(len > 0 && len < (int)sizeof buf);
        assert_int_equal(len, (int)strlen(buf));
        /* read the lines back into defaults of another algorithm */
        mfr_train_params q = mfr_train_params_default(a == 0 ? MFR_ALGO_ALS : MFR_ALGO_SGD);
        char *save = NULL;
        for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            char *eq = strchr(line, '=');
            assert_non_null(eq);
            *eq = '\0';
            if (mfr_train_params_set(&q, line, eq + 1, &err)) print_error("%s\n", err.message);
            assert_int_equal(mfr_train_params_set(&q, line, eq + 1, &err), MFR_OK);
        }
        mfr_train_params_format(&p, buf, sizeof buf);
        mfr_train_params_format(&q, buf2, sizeof buf2);
        assert_string_equal(buf, buf2);
        assert_int_equal(q.algo, a);
        assert_true(q.seed == 123456789012345ull);
        assert_int_equal(q.threads, 3);
    }
    /* truncation: the needed length is still returned (generic defaults:
     * the test vtable has no defaults hook) */
    mfr__algo_set_override(MFR_ALGO_SGD, &test_vt);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_SGD);
    mfr__algo_set_override(MFR_ALGO_SGD, NULL);
    char small[8];
    int need = mfr_train_params_format(&p, small, sizeof small);
    assert_true(need > 8);
    assert_int_equal(strlen(small), 7);
    assert_int_equal(mfr_train_params_format(&p, NULL, 0), need);
    /* knn fields only for knn */
    char buf[4096];
    mfr_train_params_format(&p, buf, sizeof buf);
    assert_null(strstr(buf, "knn_k="));
    assert_non_null(strstr(buf, "factors=64\n"));
    p = mfr_train_params_default(MFR_ALGO_KNN_ITEM);
    mfr_train_params_format(&p, buf, sizeof buf);
    assert_non_null(strstr(buf, "knn_k="));
    assert_non_null(strstr(buf, "algo=knn-item\n"));
}

static void params_errors(void **state) {
    (void)state;
    mfr__algo_set_override(MFR_ALGO_SGD, &test_vt); /* generic defaults */
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_SGD);
    mfr__algo_set_override(MFR_ALGO_SGD, NULL);
    mfr_error err;
    assert_int_equal(mfr_train_params_set(&p, "factorz", "8", &err), MFR_E_INVALID);
    assert_non_null(strstr(err.message, "factorz"));
    assert_int_equal(mfr_train_params_set(&p, "factors", "8x", &err), MFR_E_INVALID);
    assert_non_null(strstr(err.message, "factors"));
    assert_int_equal(mfr_train_params_set(&p, "factors", "-3", &err), MFR_E_INVALID);
    assert_int_equal(mfr_train_params_set(&p, "lr", "fast", &err), MFR_E_INVALID);
    assert_int_equal(mfr_train_params_set(&p, "lr", "nan", &err), MFR_E_INVALID);
    assert_int_equal(mfr_train_params_set(&p, "seed", "-1", &err), MFR_E_INVALID);
    assert_int_equal(mfr_train_params_set(&p, "sim", "jaccard", &err), MFR_E_INVALID);
    assert_non_null(strstr(err.message, "jaccard"));
    assert_int_equal(mfr_train_params_set(&p, "algo", "nope", &err), MFR_E_INVALID);
    assert_int_equal(p.factors, 64); /* failed sets change nothing */
    assert_int_equal(mfr_train_params_set(&p, "algo", "ALS", &err), MFR_OK);
    assert_int_equal(p.algo, MFR_ALGO_ALS);
    assert_int_equal(mfr_train_params_set(&p, "sim", "cosine", &err), MFR_OK);
    assert_int_equal(p.sim, MFR_SIM_COSINE);

    p = mfr_train_params_default(MFR_ALGO_SGD);
    p.lr = -0.1f;
    assert_int_equal(mfr_train_params_check(&p, &err), MFR_E_INVALID);
    assert_non_null(strstr(err.message, "lr"));
    p = mfr_train_params_default(MFR_ALGO_SGD);
    p.factors = 0;
    assert_int_equal(mfr_train_params_check(&p, &err), MFR_E_INVALID);
    assert_non_null(strstr(err.message, "factors"));
    p = mfr_train_params_default(MFR_ALGO_SGD);
    p.valid_frac = 1.5f;
    assert_int_equal(mfr_train_params_check(&p, &err), MFR_E_INVALID);
    assert_non_null(strstr(err.message, "valid_frac"));
    p = mfr_train_params_default(MFR_ALGO_SGD);
    p.algo = (mfr_algo)99;
    assert_int_equal(mfr_train_params_check(&p, &err), MFR_E_INVALID);
    assert_non_null(strstr(err.message, "algo"));
    p = mfr_train_params_default(MFR_ALGO_HYBRID);
    p.hybrid_base = MFR_ALGO_KNN_ITEM;
    assert_int_equal(mfr_train_params_check(&p, &err), MFR_E_INVALID);
    assert_non_null(strstr(err.message, "hybrid_base"));
}

/* ---- training dispatch ---------------------------------------------------- */
/* Which fields a family reads: the one table behind the CLI's "does not use". */
static void params_applies(void **state) {
    (void)state;
    assert_int_equal(mfr_train_params_applies(MFR_ALGO_SGD, "lr"), 1);
    assert_int_equal(mfr_train_params_applies(MFR_ALGO_KNN_ITEM, "lr"), 0);
    assert_int_equal(mfr_train_params_applies(MFR_ALGO_KNN_ITEM, "knn_k"), 1);
    assert_int_equal(mfr_train_params_applies(MFR_ALGO_EASE, "epochs"), 1); /* baseline passes */
    assert_int_equal(mfr_train_params_applies(MFR_ALGO_EASE, "factors"), 0);
    assert_int_equal(mfr_train_params_applies(MFR_ALGO_SGD, "factorz"), -1);
    /* the field list names every field once, "algo" first; each applies to
     * some family exactly when params files of that family show it */
    assert_string_equal(mfr_train_params_field(0), "algo");
    int n = 0;
    for (; mfr_train_params_field(n); n++) {
        const char *f = mfr_train_params_field(n);
        assert_int_not_equal(mfr_train_params_applies(MFR_ALGO_SGD, f), -1);
        for (int a = 0; a < MFR_ALGO__COUNT; a++) {
            mfr_train_params p = mfr_train_params_default((mfr_algo)a);
            char buf[4096], key[64];
            mfr_train_params_format(&p, buf, sizeof buf);
            snprintf(key, sizeof key, "\n%s=", f);
            int shown = !strncmp(buf, key + 1, strlen(key + 1)) || strstr(buf, key);
            if (strcmp(f, "hybrid_base") && strcmp(f, "sim") && strcmp(f, "algo"))
                assert_int_equal(shown, mfr_train_params_applies((mfr_algo)a, f));
        }
    }
    assert_true(n > 20);
    assert_null(mfr_train_params_field(-1));
}

static void train_common_part(void **state) {
    (void)state;
    mfr_dataset *ds = make_dataset();
    g_fit_calls = 0;
    mfr_model *m = train_test_model(ds, 4);
    assert_int_equal(g_fit_calls, 1);
    assert_int_equal(g_fit_threads, mfr_cpu_count());
    mfr_ratings r;
    mfr_dataset_ratings(ds, &r);
    mfr_model_info info;
    mfr_model_info_get(m, &info);
    assert_int_equal(info.n_train, r.n);
    assert_int_equal(info.n_users, 6);
    assert_int_equal(info.n_items, 8);
    assert_int_equal(info.factors, 4);
    assert_int_equal(info.epochs_run, 3);
    assert_int_equal(info.file_version, 0);
    assert_true(info.fit_seconds >= 0.0);
    assert_true(isfinite(info.train_rmse));
    assert_true(isnan(info.valid_rmse));
    double sum = 0, isum[8] = {0};
    int icnt[8] = {0}, ucnt[6] = {0};
    for (int64_t j = 0; j < r.n; j++) {
        sum += r.rating[j];
        isum[r.item[j]] += r.rating[j];
        icnt[r.item[j]]++;
        ucnt[r.user[j]]++;
    }
    assert_float_near(info.mu, sum / r.n, 1e-5);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(mfr_model_item_count(m, i), icnt[i]);
        if (icnt[i]) assert_float_near(mfr_model_item_mean(m, i), isum[i] / icnt[i], 1e-5);
        else assert_true(isnan(mfr_model_item_mean(m, i)));
        assert_string_equal(mfr_model_item_title(m, i), TITLES[i]);
        assert_string_equal(mfr_model_item_genres(m, i), GENRES[i]);
        assert_int_equal(mfr_model_item_year(m, i), 1990 + i);
        assert_int_equal(mfr_model_item_id(m, i), i + 1);
        assert_int_equal(mfr_model_item_index(m, i + 1), i);
    }
    assert_int_equal(mfr_model_item_count(m, 7), 0);
    for (int u = 0; u < 6; u++) {
        int32_t n;
        const int32_t *s = mfr_model_user_items(m, u, &n);
        assert_int_equal(n, ucnt[u]);
        for (int32_t j = 1; j < n; j++) assert_true(s[j - 1] < s[j]);
        for (int32_t j = 0; j < n; j++) assert_true((u * 3 + s[j] * 5) % 4 != 0);
        assert_int_equal(mfr_model_user_index(m, u + 1), u);
    }
    assert_int_equal(mfr_model_user_index(m, 999), -1);
    assert_int_equal(mfr_model_user_id(m, 6), -1);
    assert_string_equal(mfr_model_item_title(m, 8), "");
    mfr_model_free(m);
    mfr_dataset_free(ds);
    mfr__algo_set_override(MFR_ALGO_SGD, NULL);
}

static void train_validation_split(void **state) {
    (void)state;
    mfr_dataset *ds = make_dataset();
    mfr__algo_set_override(MFR_ALGO_SGD, &test_vt);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_SGD);
    p.factors = 2;
    p.valid_frac = 0.3f;
    p.threads = 2;
    mfr_model *m = NULL;
    assert_int_equal(mfr_model_train(ds, NULL, NULL, &p, &m, NULL), MFR_OK);
    int64_t tn = g_fit_train_n, vn = g_fit_valid_n;
    assert_int_equal(g_fit_threads, 2);
    assert_true(vn > 0 && tn > 0);
    assert_int_equal(tn + vn, ds->n_ratings);
    /* the validation part is the holdout split's: exactly valid_frac of them */
    assert_int_equal(vn, llround((double)ds->n_ratings * (double)0.3f));
    mfr_model_info info;
    mfr_model_info_get(m, &info);
    assert_int_equal(info.n_train, tn);
    assert_true(isfinite(info.valid_rmse));
    mfr_model_free(m);
    /* same seed, same split; the model's seen lists hold only training rows */
    assert_int_equal(mfr_model_train(ds, NULL, NULL, &p, &m, NULL), MFR_OK);
    assert_int_equal(g_fit_train_n, tn);
    int64_t seen = 0;
    int32_t per_user[6];
    for (int u = 0; u < 6; u++) {
        mfr_model_user_items(m, u, &per_user[u]);
        seen += per_user[u];
    }
    assert_int_equal(seen, tn);
    mfr_model_free(m);
    /* another seed draws another split: the same size, other ratings (over a
     * few seeds, some user's training count differs) */
    int differs = 0;
    for (uint64_t sd = 1; sd <= 8 && !differs; sd++) {
        p.seed = 42 + sd;
        assert_int_equal(mfr_model_train(ds, NULL, NULL, &p, &m, NULL), MFR_OK);
        assert_int_equal(g_fit_train_n, tn);
        for (int u = 0; u < 6; u++) {
            int32_t n;
            mfr_model_user_items(m, u, &n);
            differs |= n != per_user[u];
        }
        mfr_model_free(m);
    }
    assert_true(differs);
    p.seed = 42;
    /* an explicit valid view is passed through untouched */
    mfr_ratings all;
    mfr_dataset_ratings(ds, &all);
    assert_int_equal(mfr_model_train(ds, &all, &all, &p, &m, NULL), MFR_OK);
    assert_int_equal(g_fit_valid_n, all.n);
    assert_int_equal(g_fit_train_n, all.n);
    mfr_model_free(m);
    mfr_dataset_free(ds);
    mfr__algo_set_override(MFR_ALGO_SGD, NULL);
}

static int cancel_at_2(const mfr_progress *pr, void *user) {
    (*(int *)user)++;
    return pr->step >= 2;
}

static void train_cancel_and_errors(void **state) {
    (void)state;
    mfr_dataset *ds = make_dataset();
    mfr__algo_set_override(MFR_ALGO_SGD, &test_vt);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_SGD);
    p.factors = 2;
    p.epochs = 10;
    int calls = 0;
    p.progress = cancel_at_2;
    p.progress_user = &calls;
    mfr_model *m = NULL;
    mfr_error err;
    assert_int_equal(mfr_model_train(ds, NULL, NULL, &p, &m, &err), MFR_E_CANCELLED);
    assert_non_null(m);
    assert_int_equal(calls, 2);
    mfr_model_info info;
    mfr_model_info_get(m, &info);
    assert_int_equal(info.epochs_run, 2);
    assert_null(info.params.progress);
    mfr_model_free(m);
    /* bad params */
    p.progress = NULL;
    p.factors = -1;
    assert_int_equal(mfr_model_train(ds, NULL, NULL, &p, &m, &err), MFR_E_INVALID);
    assert_null(m);
    /* a family without a fit */
    mfr__algo_set_override(MFR_ALGO_SGD, &nofit_vt);
    p.factors = 2;
    assert_int_equal(mfr_model_train(ds, NULL, NULL, &p, &m, &err), MFR_E_UNSUPPORTED);
    assert_non_null(strstr(err.message, "sgd"));
    assert_null(m);
    /* training indices outside the dataset */
    mfr__algo_set_override(MFR_ALGO_SGD, &test_vt);
    int32_t uu[1] = {9}, ii[1] = {0};
    float rr[1] = {3};
    mfr_ratings bad = {1, 10, 8, uu, ii, rr, NULL};
    assert_int_equal(mfr_model_train(ds, &bad, NULL, &p, &m, &err), MFR_E_INVALID);
    assert_non_null(strstr(err.message, "user 9"));
    mfr_dataset_free(ds);
    mfr__algo_set_override(MFR_ALGO_SGD, NULL);
}

static void predict_fallbacks(void **state) {
    (void)state;
    mfr_dataset *ds = make_dataset();
    mfr_model *m = train_test_model(ds, 3);
    float mu = m->mu;
    assert_float_near(mfr_model_predict(m, -1, -1), mu, 1e-6);
    assert_float_near(mfr_model_predict(m, -1, 2), mu + m->item_bias[2], 1e-6);
    assert_float_near(mfr_model_predict(m, 1, -1), mu + m->user_bias[1], 1e-6);
    assert_float_near(mfr_model_predict(m, 1, 99), mu + m->user_bias[1], 1e-6);
    double full = mu + m->user_bias[1] + m->item_bias[2] + mfr__dot_ref(m->P + 3, m->Q + 6, 3);
    assert_float_near(mfr_model_predict(m, 1, 2), full, 1e-5);
    m->mu = 100.f; /* clipped to the scale */
    assert_float_near(mfr_model_predict(m, 1, 2), 5.0, 0);
    m->mu = -100.f;
    assert_float_near(mfr_model_predict(m, -1, -1), 0.5, 0);
    mfr_model_free(m);
    mfr_dataset_free(ds);
    mfr__algo_set_override(MFR_ALGO_SGD, NULL);
}

/* ---- the .mfm file ---------------------------------------------------------- */
static void assert_same_model(const mfr_model *a, const mfr_model *b) {
    mfr_model_info x, y;
    mfr_model_info_get(a, &x);
    mfr_model_info_get(b, &y);
    assert_int_equal(x.algo, y.algo);
    assert_int_equal(x.n_users, y.n_users);
    assert_int_equal(x.n_items, y.n_items);
    assert_int_equal(x.factors, y.factors);
    assert_int_equal(x.n_train, y.n_train);
    assert_true(x.mu == y.mu && x.rating_min == y.rating_min && x.rating_max == y.rating_max);
    assert_true(x.train_rmse == y.train_rmse && x.fit_seconds == y.fit_seconds);
    assert_true(isnan(x.valid_rmse) ? isnan(y.valid_rmse) : x.valid_rmse == y.valid_rmse);
    assert_int_equal(x.epochs_run, y.epochs_run);
    char pa[4096], pb[4096];
    mfr_train_params_format(&x.params, pa, sizeof pa);
    mfr_train_params_format(&y.params, pb, sizeof pb);
    assert_string_equal(pa, pb);
    assert_memory_equal(&x.params.seed, &y.params.seed, sizeof x.params.seed);
    for (int32_t u = 0; u < x.n_users; u++) {
        assert_int_equal(mfr_model_user_id(a, u), mfr_model_user_id(b, u));
        assert_int_equal(mfr_model_user_index(b, mfr_model_user_id(a, u)), u);
        int32_t na, nb;
        const int32_t *sa = mfr_model_user_items(a, u, &na), *sb = mfr_model_user_items(b, u, &nb);
        assert_int_equal(na, nb);
        if (na) assert_memory_equal(sa, sb, (size_t)na * sizeof *sa);
        for (int32_t i = -1; i <= x.n_items; i++)
            assert_true(mfr_model_predict(a, u, i) == mfr_model_predict(b, u, i));
    }
    for (int32_t i = 0; i < x.n_items; i++) {
        assert_int_equal(mfr_model_item_id(a, i), mfr_model_item_id(b, i));
        assert_int_equal(mfr_model_item_index(b, mfr_model_item_id(a, i)), i);
        assert_string_equal(mfr_model_item_title(a, i), mfr_model_item_title(b, i));
        assert_string_equal(mfr_model_item_genres(a, i), mfr_model_item_genres(b, i));
        assert_int_equal(mfr_model_item_year(a, i), mfr_model_item_year(b, i));
        assert_int_equal(mfr_model_item_count(a, i), mfr_model_item_count(b, i));
        float ma = mfr_model_item_mean(a, i), mb = mfr_model_item_mean(b, i);
        assert_true(isnan(ma) ? isnan(mb) : ma == mb);
    }
    if (x.factors) {
        assert_memory_equal(mfr_model_user_factors(a), mfr_model_user_factors(b),
                            (size_t)x.n_users * x.factors * sizeof(float));
        assert_memory_equal(mfr_model_item_factors(a), mfr_model_item_factors(b),
                            (size_t)x.n_items * x.factors * sizeof(float));
    }
}

/* The seen lists as a rating stream for mfr__model_save_seen: the model's
 * own lists, fed last row first and each row backwards (out of every order). */
typedef struct seen_src {
    const int64_t *ptr;
    const int32_t *item;
    const float *rating;
    int32_t n_users;
    int fail;  /* feed fails at this call (1-based), 0 never */
    int calls;
} seen_src;

static mfr_status feed_seen(void *ctx, mfr__seen_fill *f, mfr_error *err) {
    seen_src *s = ctx;
    if (++s->calls == s->fail) return mfr__err(err, MFR_E_IO, "feed failed");
    for (int32_t u = s->n_users - 1; u >= 0; u--)
        for (int64_t e = s->ptr[u + 1] - 1; e >= s->ptr[u]; e--)
            mfr__seen_fill_add(f, &u, &s->item[e], &s->rating[e], 1);
    return MFR_OK;
}

/* A model file whose seen lists are streamed in bands (a distributed run's
 * rank 0) is the bytes mfr_model_save writes, whatever the band; a failing
 * feed or allocation leaves no file. */
static void save_seen_streamed(void **state) {
    (void)state;
    mfr_dataset *ds = make_dataset();
    mfr_model *m = train_test_model(ds, 5);
    const char *dir = temp_dir();
    char whole[512], part[512];
    snprintf(whole, sizeof whole, "%s/whole.mfm", dir);
    snprintf(part, sizeof part, "%s/part.mfm", dir);
    mfr_error err = {0};
    assert_int_equal(mfr_model_save(m, whole, &err), MFR_OK);
    long nw;
    char *bw = read_whole(whole, &nw);
    /* the lists out of the model, as a distributed rank 0 has none */
    int64_t *ptr = m->seen_ptr;
    int32_t *item = m->seen_item;
    float *rating = m->seen_rating;
    m->seen_ptr = NULL, m->seen_item = NULL, m->seen_rating = NULL;
    seen_src src = {ptr, item, rating, m->n_users, 0, 0};
    const int64_t bands[] = {1, 7, 8, 20, 1000};
    for (size_t b = 0; b < sizeof bands / sizeof bands[0]; b++) {
        src.calls = 0;
        assert_int_equal(mfr__model_save_seen(m, part, ptr, bands[b], feed_seen, &src, &err), MFR_OK);
        long np;
        char *bp = read_whole(part, &np);
        assert_int_equal(np, nw);
        assert_memory_equal(bp, bw, (size_t)nw);
        free(bp);
        /* band 1: one user a band (rows of 8 are longer than the band) */
        if (bands[b] == 1) assert_int_equal(src.calls, m->n_users);
        if (bands[b] == 1000) assert_int_equal(src.calls, 1);
        unlink(part);
    }
    /* the feed fails in the second band: its error, no file, no temporary */
    src.calls = 0, src.fail = 2;
    assert_int_equal(mfr__model_save_seen(m, part, ptr, 8, feed_seen, &src, &err), MFR_E_IO);
    assert_string_equal(err.message, "feed failed");
    src.fail = 0;
    /* every allocation failing in turn: an error, never a leak or a file */
    for (int k = 0; k < 8; k++) {
        mfr__alloc_fail_after(k);
        mfr_status st = mfr__model_save_seen(m, part, ptr, 8, feed_seen, &src, &err);
        mfr__alloc_fail_after(-1);
        if (st == MFR_OK) {
            unlink(part);
            break;
        }
        assert_int_equal(st, MFR_E_NOMEM);
    }
    /* a model that has its own lists is refused (mfr_model_save is the way) */
    m->seen_ptr = ptr, m->seen_item = item, m->seen_rating = rating;
    assert_int_equal(mfr__model_save_seen(m, part, ptr, 8, feed_seen, &src, &err), MFR_E_INVALID);
    DIR *d = opendir(dir);
    int files = 0;
    for (struct dirent *e; (e = readdir(d));) files += e->d_name[0] != '.';
    closedir(d);
    assert_int_equal(files, 1); /* whole.mfm */
    unlink(whole);
    free(bw);
    mfr_model_free(m);
    mfr_dataset_free(ds);
}

static void save_load_roundtrip(void **state) {
    (void)state;
    mfr_dataset *ds = make_dataset();
    mfr_model *m = train_test_model(ds, 5);
    char path[512];
    const char *dir = temp_dir();
    snprintf(path, sizeof path, "%s/m.mfm", dir);
    mfr_error err = {0};
    assert_int_equal(mfr_model_save(m, path, &err), MFR_OK);
    mfr_model *l = NULL;
    if (mfr_model_load(path, &l, &err)) print_error("%s\n", err.message);
    assert_non_null(l);
    assert_same_model(m, l);
    mfr_model_info info;
    mfr_model_info_get(l, &info);
    assert_int_equal(info.file_version, 1);
    uint64_t size = 0;
    const char *extra = mfr__model_get_extra(l, MFR_TAG('T', 'E', 'S', 'T'), &size);
    assert_int_equal(size, 10);
    assert_memory_equal(extra, "extra-data", 10);
    assert_null(mfr__model_get_extra(l, MFR_TAG('N', 'O', 'N', 'E'), &size));
    /* factors in the mapping are 64-byte aligned */
    assert_int_equal((uintptr_t)mfr_model_item_factors(l) % 64, 0);
    /* saving the loaded model again gives the same bytes */
    char path2[512];
    snprintf(path2, sizeof path2, "%s/m2.mfm", dir);
    assert_int_equal(mfr_model_save(l, path2, &err), MFR_OK);
    long n1, n2;
    char *b1 = read_whole(path, &n1), *b2 = read_whole(path2, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(b1, b2, (size_t)n1);
    free(b1);
    free(b2);
    /* overwrite in place: replaced atomically, no temporary left behind */
    assert_int_equal(mfr_model_save(l, path, &err), MFR_OK);
    DIR *d = opendir(dir);
    int files = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        assert_null(strstr(e->d_name, ".tmp"));
        files++;
    }
    closedir(d);
    assert_int_equal(files, 2);
    mfr_model_free(l);
    mfr_model_free(m);
    unlink(path);
    unlink(path2);
    rmdir(dir);
    mfr_dataset_free(ds);
    mfr__algo_set_override(MFR_ALGO_SGD, NULL);
}

/* Saves the test model, returns its bytes; path receives the file name. */
static char *saved_bytes(char *path, size_t cap, long *len) {
    mfr_dataset *ds = make_dataset();
    mfr_model *m = train_test_model(ds, 4);
    snprintf(path, cap, "%s/m.mfm", temp_dir());
    assert_int_equal(mfr_model_save(m, path, NULL), MFR_OK);
    mfr_model_free(m);
    mfr_dataset_free(ds);
    mfr__algo_set_override(MFR_ALGO_SGD, NULL);
    return read_whole(path, len);
}

static void load_truncated(void **state) {
    (void)state;
    char path[512];
    long len;
    char *b = saved_bytes(path, sizeof path, &len);
    long cuts[] = {0, 3, 100, 255, 256, 300, 700, len / 2, len - 64, len - 1};
    for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
        write_whole(path, b, cuts[c]);
        expect_model_refused(path, "truncated");
    }
    write_whole(path, b, 100);
    expect_model_refused(path, "header needs 256 bytes, file has 100");
    write_whole(path, b, len - 1);
    expect_model_refused(path, "truncated: section");
    write_whole(path, b, len / 2);
    expect_model_refused(path, "needs");
    /* a longer file than the header says */
    char *longer = calloc(1, (size_t)len + 10);
    memcpy(longer, b, (size_t)len);
    write_whole(path, longer, len + 10);
    expect_model_refused(path, "header says");
    free(longer);
    free(b);
    unlink(path);
}

static void load_corrupted(void **state) {
    (void)state;
    char path[512];
    long len;
    char *b = saved_bytes(path, sizeof path, &len);
    /* a flipped payload byte */
    b[len - 5] ^= 0x10;
    write_whole(path, b, len);
    expect_model_refused(path, "payload checksum");
    b[len - 5] ^= 0x10;
    /* a flipped header byte (n_users) */
    b[21] ^= 0x01;
    write_whole(path, b, len);
    expect_model_refused(path, "header checksum");
    b[21] ^= 0x01;
    /* a flipped directory byte */
    b[256 + 30] ^= 0x40;
    write_whole(path, b, len);
    expect_model_refused(path, "header checksum");
    b[256 + 30] ^= 0x40;
    /* wrong magic */
    memcpy(b, "MFRX", 4);
    write_whole(path, b, len);
    expect_model_refused(path, "magic");
    memcpy(b, "MFRM", 4);
    /* wrong version */
    b[4] = 2;
    write_whole(path, b, len);
    expect_model_refused(path, "unsupported format version 2");
    b[4] = 1;
    /* intact again */
    write_whole(path, b, len);
    mfr_model *m = NULL;
    assert_int_equal(mfr_model_load(path, &m, NULL), MFR_OK);
    mfr_model_free(m);
    /* missing file: MFR_E_IO naming the path */
    unlink(path);
    mfr_error err;
    assert_int_equal(mfr_model_load(path, &m, &err), MFR_E_IO);
    assert_non_null(strstr(err.message, path));
    free(b);
}

/* Mutations that pass the checksums: the loader either rejects the file
 * with MFR_E_FORMAT / MFR_E_UNSUPPORTED or the model answers every query
 * without reading out of bounds (ASan watches). */
static void load_crafted_mutations(void **state) {
    (void)state;
    char path[512];
    long len;
    unsigned char *orig = (unsigned char *)saved_bytes(path, sizeof path, &len);
    unsigned char *b = malloc((size_t)len);
    mfr__rng r;
    mfr__rng_seed(&r, 2024);
    int rejected = 0, loaded = 0;
    for (int t = 0; t < 400; t++) {
        memcpy(b, orig, (size_t)len);
        /* half the mutations in the header and directory, half anywhere */
        long span = t % 2 ? len : 256 + 24 * 16;
        if (span > len) span = len;
        int flips = 1 + (int)mfr__rng_below(&r, 3);
        for (int f = 0; f < flips; f++) b[mfr__rng_below(&r, (uint64_t)span)] ^= (unsigned char)(1u << mfr__rng_below(&r, 8));
        fix_crcs(b, len);
        write_whole(path, (char *)b, len);
        mfr_model *m = NULL;
        mfr_error err;
        mfr_status st = mfr_model_load(path, &m, &err);
        if (st) {
            assert_true(st == MFR_E_FORMAT || st == MFR_E_UNSUPPORTED);
            assert_null(m);
            rejected++;
            continue;
        }
        loaded++;
        int32_t nu = mfr_model_n_users(m), ni = mfr_model_n_items(m);
        mfr_scored out[5];
        int32_t n, found[4];
        for (int32_t u = 0; u < nu; u++) mfr_model_recommend(m, u, NULL, out, &n, NULL);
        for (int32_t i = 0; i < ni; i++) {
            mfr_model_similar(m, i, MFR_SIM_PEARSON, 5, 0, out, &n, NULL);
            (void)mfr_model_predict(m, i % (nu ? nu : 1), i);
            (void)strlen(mfr_model_item_title(m, i));
            (void)strlen(mfr_model_item_genres(m, i));
        }
        mfr_model_find_title(m, "toy", found, 4, &n);
        mfr_model_free(m);
    }
    print_message("crafted mutations: %d rejected, %d loaded and queried\n", rejected, loaded);
    assert_true(rejected > 0 && loaded > 0);
    free(b);
    free(orig);
    unlink(path);
}

/* ---- hostile files: valid checksums, inconsistent contents (issue 11) ---- */

/* A repeated user or movie id made the second one unreachable; the .mfd
 * loader refused it and now the .mfm one does too (defect 13). */
static void load_refuses_duplicate_ids(void **state) {
    (void)state;
    char path[512];
    long len;
    unsigned char *orig = (unsigned char *)saved_bytes(path, sizeof path, &len);
    unsigned char *b = malloc((size_t)len);
    const char *tags[] = {"UIDS", "IIDS"}, *what[] = {"user", "movie"};
    for (int t = 0; t < 2; t++) {
        memcpy(b, orig, (size_t)len);
        uint64_t size = 0;
        unsigned char *ids = mfm_section(b, len, tags[t], &size, NULL);
        assert_non_null(ids);
        assert_true(size >= 24);
        memcpy(ids + 16, ids, 8); /* index 2 gets index 0's id */
        int64_t id;
        memcpy(&id, ids, 8);
        fix_crcs(b, len);
        write_whole(path, (char *)b, len);
        char want[128];
        snprintf(want, sizeof want, "%s id %lld appears twice", what[t], (long long)id);
        expect_model_refused(path, want);
    }
    free(b);
    free(orig);
    unlink(path);
}

/* The seen-list check was (uint64_t)SPTR[n_users] * 4 == size of SITM, which
 * wraps: SPTR[n] + 2^62 passed and the range loop read far past the file
 * (defect 6). Also refused: a seen row out of order, and the message names
 * the section and row, never the crafted number. */
static void load_refuses_bad_seen_lists(void **state) {
    (void)state;
    char path[512];
    long len;
    unsigned char *orig = (unsigned char *)saved_bytes(path, sizeof path, &len);
    unsigned char *b = malloc((size_t)len);
    memcpy(b, orig, (size_t)len);
    uint64_t ps = 0, xs = 0;
    unsigned char *sptr = mfm_section(b, len, "SPTR", &ps, NULL);
    assert_non_null(sptr);
    int64_t nu = (int64_t)(ps / 8) - 1, last;
    memcpy(&last, sptr + 8 * nu, 8);
    last += (int64_t)1 << 62; /* times 4 wraps back to the real byte count */
    memcpy(sptr + 8 * nu, &last, 8);
    fix_crcs(b, len);
    write_whole(path, (char *)b, len);
    expect_model_refused(path, "seen lists (SPTR) do not match");
    mfr_model *m = NULL;
    mfr_error err = {0};
    assert_int_equal(mfr_model_load(path, &m, &err), MFR_E_FORMAT);
    char num[32];
    snprintf(num, sizeof num, "%lld", (long long)last);
    assert_null(strstr(err.message, num));
    /* a row with two items swapped */
    memcpy(b, orig, (size_t)len);
    sptr = mfm_section(b, len, "SPTR", &ps, NULL);
    unsigned char *sitm = mfm_section(b, len, "SITM", &xs, NULL);
    assert_non_null(sitm);
    int64_t u = 0, a = 0, e = 0;
    for (; u < nu; u++) {
        memcpy(&a, sptr + 8 * u, 8);
        memcpy(&e, sptr + 8 * (u + 1), 8);
        if (e - a >= 2) break;
    }
    assert_true(u < nu);
    unsigned char tmp[4];
    memcpy(tmp, sitm + 4 * a, 4);
    memcpy(sitm + 4 * a, sitm + 4 * (a + 1), 4);
    memcpy(sitm + 4 * (a + 1), tmp, 4);
    fix_crcs(b, len);
    write_whole(path, (char *)b, len);
    char want[96];
    snprintf(want, sizeof want, "seen list of user %lld (SPTR/SITM): unsorted or repeated index", (long long)u);
    expect_model_refused(path, want);
    free(b);
    free(orig);
    unlink(path);
}

/* The catalogue is checked as the dataset's is (mfr__catalog_check): a
 * title offset past the string pool, and a pool whose last byte is not NUL,
 * are refused naming the movie or the pool. */
static void load_refuses_bad_catalogue(void **state) {
    (void)state;
    char path[512];
    long len;
    unsigned char *orig = (unsigned char *)saved_bytes(path, sizeof path, &len);
    unsigned char *b = malloc((size_t)len);
    memcpy(b, orig, (size_t)len);
    uint64_t ts = 0, ss = 0;
    unsigned char *toff = mfm_section(b, len, "TOFF", &ts, NULL);
    unsigned char *strs = mfm_section(b, len, "STRS", &ss, NULL);
    assert_non_null(toff);
    assert_non_null(strs);
    assert_true(ts >= 8 && ss >= 1);
    uint32_t far = (uint32_t)ss; /* one past the pool */
    memcpy(toff + 4, &far, 4);  /* movie 1's title */
    fix_crcs(b, len);
    write_whole(path, (char *)b, len);
    expect_model_refused(path, "title/genres offset of item 1");
    memcpy(b, orig, (size_t)len);
    strs = mfm_section(b, len, "STRS", &ss, NULL);
    strs[ss - 1] = 'x';
    fix_crcs(b, len);
    write_whole(path, (char *)b, len);
    expect_model_refused(path, "string pool not NUL-terminated");
    free(b);
    free(orig);
    unlink(path);
}

/* A loaded model owns its bytes: the file truncated or overwritten in place
 * afterwards (a server keeps its model loaded for days) changes nothing. A
 * MAP_PRIVATE mapping raised SIGBUS on the next query after a truncation
 * and showed the new bytes after an overwrite (defect 3). */
static void loaded_model_survives_file_rewritten_in_place(void **state) {
    (void)state;
    mfr_dataset *ds = make_dataset();
    mfr_model *m = train_test_model(ds, 4), *l = NULL;
    mfr__algo_set_override(MFR_ALGO_SGD, NULL);
    char path[512];
    snprintf(path, sizeof path, "%s/live.mfm", temp_dir());
    assert_int_equal(mfr_model_save(m, path, NULL), MFR_OK);
    assert_int_equal(mfr_model_load(path, &l, NULL), MFR_OK);
    long len;
    char *bytes = read_whole(path, &len);
    for (int round = 0; round < 2; round++) {
        if (round == 0) { /* truncated in place: same inode, 0 bytes */
            FILE *f = fopen(path, "wb");
            assert_non_null(f);
            fclose(f);
        } else { /* overwritten in place with other bytes of the same length */
            memset(bytes, 0x5a, (size_t)len);
            FILE *f = fopen(path, "r+b");
            assert_non_null(f);
            assert_int_equal(fwrite(bytes, 1, (size_t)len, f), (size_t)len);
            fclose(f);
        }
        for (int32_t u = 0; u < mfr_model_n_users(l); u++) {
            mfr_scored out[5];
            int32_t n = 0;
            assert_int_equal(mfr_model_recommend(l, u, NULL, out, &n, NULL), MFR_OK);
            for (int32_t i = 0; i < mfr_model_n_items(l); i++)
                assert_true(mfr_model_predict(l, u, i) == mfr_model_predict(m, u, i));
        }
        for (int32_t i = 0; i < mfr_model_n_items(l); i++)
            assert_string_equal(mfr_model_item_title(l, i), mfr_model_item_title(m, i));
    }
    free(bytes);
    mfr_model_free(l);
    mfr_model_free(m);
    mfr_dataset_free(ds);
    unlink(path);
}

static void save_io_error(void **state) {
    (void)state;
    mfr_dataset *ds = make_dataset();
    mfr_model *m = train_test_model(ds, 2);
    mfr_error err;
    assert_int_equal(mfr_model_save(m, "/nonexistent-dir/x.mfm", &err), MFR_E_IO);
    assert_non_null(strstr(err.message, "/nonexistent-dir/x.mfm"));
    mfr_model_free(m);
    mfr_dataset_free(ds);
    mfr__algo_set_override(MFR_ALGO_SGD, NULL);
}

static void fault_model_save_load(void **state) {
    (void)state;
    mfr_dataset *ds = make_dataset();
    mfr__algo_set_override(MFR_ALGO_SGD, &test_vt);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_SGD);
    p.factors = 3;
    p.valid_frac = 0.2f;
    char path[512];
    snprintf(path, sizeof path, "%s/f.mfm", temp_dir());
    int ok_train = 0, ok_load = 0;
    for (long n = 0; n < 10000 && !(ok_train && ok_load); n++) {
        mfr_model *m = NULL, *l = NULL;
        mfr_error err;
        mfr__alloc_fail_after(n);
        mfr_status st = mfr_model_train(ds, NULL, NULL, &p, &m, &err);
        mfr__alloc_fail_after(-1);
        if (st != MFR_OK) {
            assert_int_equal(st, MFR_E_NOMEM);
            assert_null(m);
            continue;
        }
        ok_train = 1;
        assert_int_equal(mfr_model_save(m, path, &err), MFR_OK);
        for (long k = 0; k < 1000; k++) {
            mfr__alloc_fail_after(k);
            st = mfr_model_load(path, &l, &err);
            mfr__alloc_fail_after(-1);
            if (st == MFR_OK) break;
            assert_int_equal(st, MFR_E_NOMEM);
            assert_null(l);
        }
        assert_non_null(l);
        assert_same_model(m, l);
        /* the queries under allocation failure: clean NOMEM or success */
        mfr_scored out[4];
        int32_t nout;
        mfr__alloc_fail_after(0);
        st = mfr_model_similar(l, 0, MFR_SIM_COSINE, 4, 0, out, &nout, &err);
        mfr__alloc_fail_after(-1);
        assert_int_equal(st, MFR_E_NOMEM);
        ok_load = 1;
        mfr_model_free(l);
        mfr_model_free(m);
    }
    assert_true(ok_train && ok_load);
    unlink(path);
    mfr_dataset_free(ds);
    mfr__algo_set_override(MFR_ALGO_SGD, NULL);
}

/* ---- answers -------------------------------------------------------------- */
static void recommend_rules(void **state) {
    (void)state;
    mfr_dataset *ds = make_dataset();
    mfr_model *m = train_test_model(ds, 4);
    mfr_error err;
    for (int32_t u = 0; u < 6; u++) {
        mfr_recommend_params rp = mfr_recommend_params_default();
        assert_int_equal(rp.n, 10);
        rp.min_ratings = 0;
        mfr_scored out[10];
        int32_t n = -1, nseen;
        const int32_t *seen = mfr_model_user_items(m, u, &nseen);
        assert_int_equal(mfr_model_recommend(m, u, &rp, out, &n, &err), MFR_OK);
        assert_int_equal(n, 8 - nseen);
        for (int32_t j = 0; j < n; j++) {
            for (int32_t s = 0; s < nseen; s++) assert_int_not_equal(out[j].item, seen[s]);
            assert_float_near(out[j].score, mfr_model_predict(m, u, out[j].item), 1e-5);
            if (j) assert_true(out[j - 1].score >= out[j].score);
        }
        /* min_ratings 1 (default) drops item 7, which nobody rated */
        rp.min_ratings = 1;
        assert_int_equal(mfr_model_recommend(m, u, &rp, out, &n, &err), MFR_OK);
        for (int32_t j = 0; j < n; j++) assert_true(mfr_model_item_count(m, out[j].item) >= 1);
        assert_int_equal(n, 7 - nseen);
        /* all items when seen ones are kept, best first, top-3 is a prefix */
        rp.exclude_seen = 0;
        rp.min_ratings = 0;
        mfr_scored all[10], top[3];
        int32_t na, nt;
        assert_int_equal(mfr_model_recommend(m, u, &rp, all, &na, &err), MFR_OK);
        assert_int_equal(na, 8);
        rp.n = 3;
        assert_int_equal(mfr_model_recommend(m, u, &rp, top, &nt, &err), MFR_OK);
        assert_int_equal(nt, 3);
        for (int j = 0; j < 3; j++) assert_int_equal(top[j].item, all[j].item);
        /* genre filter, case-insensitive, whole genre names only */
        rp.n = 10;
        rp.genre = "crime";
        assert_int_equal(mfr_model_recommend(m, u, &rp, all, &na, &err), MFR_OK);
        assert_int_equal(na, 3); /* Heat, Casino, Fargo */
        for (int32_t j = 0; j < na; j++) assert_non_null(strstr(mfr_model_item_genres(m, all[j].item), "Crime"));
        rp.genre = "Sci";
        assert_int_equal(mfr_model_recommend(m, u, &rp, all, &na, &err), MFR_OK);
        assert_int_equal(na, 0);
    }
    mfr_scored out[1];
    int32_t n;
    assert_int_equal(mfr_model_recommend(m, 6, NULL, out, &n, &err), MFR_E_NOT_FOUND);
    assert_int_equal(mfr_model_recommend(m, -1, NULL, out, &n, &err), MFR_E_NOT_FOUND);
    mfr_model_free(m);
    mfr_dataset_free(ds);
    mfr__algo_set_override(MFR_ALGO_SGD, NULL);
}

static void topn_ties_and_kernel(void **state) {
    (void)state;
    mfr_scored rows[3];
    topn h = {rows, 3, 0};
    float sc[] = {1, 2, 2, 0.5f, 2, 3};
    for (int i = 0; i < 6; i++) mfr__topn_push(&h, i, sc[i]);
    assert_int_equal(mfr__topn_finish(&h), 3);
    assert_int_equal(rows[0].item, 5);
    assert_int_equal(rows[1].item, 1); /* ties: lower index first */
    assert_int_equal(rows[2].item, 2);
    int32_t ks[] = {1, 3, 7, 8, 9, 16, 31, 64, 128};
    mfr__rng r;
    mfr__rng_seed(&r, 7);
    for (size_t t = 0; t < sizeof ks / sizeof ks[0]; t++) {
        int32_t k = ks[t], n = 11;
        float *Q = malloc(sizeof(float) * (size_t)k * n), p[128], out[11];
        for (int32_t j = 0; j < k * n; j++) Q[j] = (float)mfr__rng_normal(&r);
        for (int32_t f = 0; f < k; f++) p[f] = (float)mfr__rng_normal(&r);
        mfr__dot_rows(Q, k, p, 2, n - 2, out);
        for (int32_t j = 0; j < n - 2; j++) {
            float ref = mfr__dot_ref(p, Q + (size_t)(j + 2) * k, k);
            assert_float_near(out[j], ref, 1e-5 * (1 + sqrt((double)k) * 4));
        }
        /* fused score: base + bias + dot, and the block maximum */
        float bias[11], best = -INFINITY;
        for (int32_t j = 0; j < n; j++) bias[j] = (float)j * 0.25f;
        float got = mfr__score_rows(Q, k, p, 1, n - 1, 3.0f, bias, out);
        for (int32_t j = 0; j < n - 1; j++) {
            double ref = 3.0 + bias[j + 1] + mfr__dot_ref(p, Q + (size_t)(j + 1) * k, k);
            assert_float_near(out[j], ref, 1e-5 * (4 + sqrt((double)k) * 4));
            if (out[j] > best) best = out[j];
        }
        assert_true(got == best);
        free(Q);
    }
}

/* A model with hand-set Q for the similarity tests (k = 3, 5 items). */
static mfr_model *similar_model(mfr_dataset *ds, const float *Q) {
    mfr_model *m = train_test_model(ds, 3);
    memcpy(m->Q, Q, 3 * 5 * sizeof(float));
    for (int i = 5; i < 8; i++) m->Q[i * 3] = m->Q[i * 3 + 1] = m->Q[i * 3 + 2] = 0; /* no norm: skipped */
    assert_int_equal(mfr__model_prepare(m, NULL), MFR_OK); /* Q changed: norms again */
    return m;
}

static double pearson3(const float *a, const float *b) {
    double ma = (a[0] + a[1] + a[2]) / 3.0, mb = (b[0] + b[1] + b[2]) / 3.0, n = 0, da = 0, db = 0;
    for (int f = 0; f < 3; f++) {
        n += (a[f] - ma) * (b[f] - mb);
        da += (a[f] - ma) * (a[f] - ma);
        db += (b[f] - mb) * (b[f] - mb);
    }
    return n / sqrt(da * db);
}

static void similar_metrics(void **state) {
    (void)state;
    mfr_dataset *ds = make_dataset();
    /* item 1 = item 0 shifted: Pearson 1, cosine < 1; item 2 ≈ 2 x item 0:
     * cosine ≈ 1, Pearson a bit less; item 3 opposite; item 4 orthogonal-ish */
    const float Q[15] = {1, 2, 3, 11, 12, 13, 2, 4, 6.3f, -1, -2, -3, 3, 0, -1};
    mfr_model *m = similar_model(ds, Q);
    mfr_scored out[8];
    int32_t n;
    mfr_error err;
    assert_int_equal(mfr_model_similar(m, 0, MFR_SIM_PEARSON, 8, 0, out, &n, &err), MFR_OK);
    assert_int_equal(n, 4); /* itself and the three zero vectors excluded */
    assert_int_equal(out[0].item, 1);
    assert_float_near(out[0].score, 1.0, 1e-5);
    assert_int_equal(out[1].item, 2);
    assert_float_near(out[1].score, pearson3(Q, Q + 6), 1e-5);
    assert_int_equal(out[3].item, 3);
    assert_float_near(out[3].score, -1.0, 1e-5);
    for (int32_t j = 0; j < n; j++) assert_int_not_equal(out[j].item, 0);
    assert_int_equal(mfr_model_similar(m, 0, MFR_SIM_COSINE, 8, 0, out, &n, &err), MFR_OK);
    assert_int_equal(out[0].item, 2);
    double cos01 = (11 + 24 + 39) / (sqrt(14.0) * sqrt(121 + 144 + 169.0));
    assert_int_equal(out[1].item, 1);
    assert_float_near(out[1].score, cos01, 1e-5);
    /* min_ratings skips items with too few training ratings */
    int32_t need = mfr_model_item_count(m, 2) + 1;
    assert_int_equal(mfr_model_similar(m, 0, MFR_SIM_COSINE, 8, need, out, &n, &err), MFR_OK);
    for (int32_t j = 0; j < n; j++) assert_true(mfr_model_item_count(m, out[j].item) >= need);
    assert_int_equal(mfr_model_similar(m, 8, MFR_SIM_COSINE, 8, 0, out, &n, &err), MFR_E_NOT_FOUND);
    assert_int_equal(mfr_model_similar(m, 0, MFR_SIM_MSD, 8, 0, out, &n, &err), MFR_E_INVALID);
    mfr_model_free(m);
    mfr_dataset_free(ds);
    mfr__algo_set_override(MFR_ALGO_SGD, NULL);
}

static void find_title_modes(void **state) {
    (void)state;
    mfr_dataset *ds = make_dataset();
    mfr_model *m = train_test_model(ds, 2);
    int32_t out[8], n;
    mfr_model_find_title(m, "Toy Story (1995)", out, 8, &n);
    assert_int_equal(n, 1); /* exact wins over substring ("Toy Story 2" not listed) */
    assert_int_equal(out[0], 0);
    mfr_model_find_title(m, "toy story", out, 8, &n);
    assert_int_equal(n, 2);
    assert_int_equal(out[0], 0);
    assert_int_equal(out[1], 1);
    mfr_model_find_title(m, "amelie", out, 8, &n);
    assert_int_equal(n, 1);
    assert_int_equal(out[0], 2);
    mfr_model_find_title(m, "AM\xc3\x89LIE", out, 8, &n);
    assert_int_equal(n, 1);
    mfr_model_find_title(m, "alien", out, 1, &n);
    assert_int_equal(n, 2); /* total found, even past cap */
    assert_int_equal(out[0], 4);
    mfr_model_find_title(m, "Matrix", out, 8, &n);
    assert_int_equal(n, 0);
    mfr_model_find_title(m, "", out, 8, &n);
    assert_int_equal(n, 0);
    mfr_model_free(m);
    mfr_dataset_free(ds);
    mfr__algo_set_override(MFR_ALGO_SGD, NULL);
}

/* Fold-in objective J(x) for the test below. */
static double fold_objective(const mfr_model *m, const int32_t *it, const float *r, int n, const double *x) {
    double J = 0;
    for (int j = 0; j < n; j++) {
        double pred = m->mu + m->item_bias[it[j]] + x[0];
        for (int f = 0; f < m->k; f++) pred += x[f + 1] * m->Q[it[j] * m->k + f];
        J += (r[j] - pred) * (r[j] - pred);
    }
    for (int f = 0; f < m->k; f++) J += n * m->params.reg * x[f + 1] * x[f + 1];
    return J + n * m->params.reg_bias * x[0] * x[0];
}

static void fold_in_closed_form(void **state) {
    (void)state;
    mfr_dataset *ds = make_dataset();
    mfr_model *m = train_test_model(ds, 2);
    m->params.reg = 0.3f;
    m->params.reg_bias = 0.1f;
    int32_t it[4] = {0, 3, 5, 6};
    float r[4] = {4.5f, 2.0f, 3.5f, 5.0f};
    float vec[3];
    mfr_error err;
    assert_int_equal(mfr_model_fold_in(m, it, r, 4, vec, &err), MFR_OK);
    /* closed form: 3x3 normal equations by Cramer's rule */
    double A[3][3] = {{0}}, b[3] = {0};
    for (int j = 0; j < 4; j++) {
        double a[3] = {1, m->Q[it[j] * 2], m->Q[it[j] * 2 + 1]};
        double y = r[j] - m->mu - m->item_bias[it[j]];
        for (int p = 0; p < 3; p++) {
            b[p] += a[p] * y;
            for (int q = 0; q < 3; q++) A[p][q] += a[p] * a[q];
        }
    }
    A[0][0] += 4 * 0.1; /* n · reg_bias, n · reg with n = 4 ratings */
    A[1][1] += 4 * 0.3;
    A[2][2] += 4 * 0.3;
#define DET3(M) (M[0][0] * (M[1][1] * M[2][2] - M[1][2] * M[2][1]) - M[0][1] * (M[1][0] * M[2][2] - M[1][2] * M[2][0]) + M[0][2] * (M[1][0] * M[2][1] - M[1][1] * M[2][0]))
    double D = DET3(A);
    for (int c = 0; c < 3; c++) {
        double Ac[3][3];
        memcpy(Ac, A, sizeof Ac);
        for (int p = 0; p < 3; p++) Ac[p][c] = b[p];
        assert_float_near(vec[c], DET3(Ac) / D, 1e-4);
    }
    /* numeric gradient of the objective is zero at the solution */
    double x[3] = {vec[0], vec[1], vec[2]}, h = 1e-4;
    for (int f = 0; f < 3; f++) {
        double xp[3], xm[3];
        memcpy(xp, x, sizeof x);
        memcpy(xm, x, sizeof x);
        xp[f] += h;
        xm[f] -= h;
        double g = (fold_objective(m, it, r, 4, xp) - fold_objective(m, it, r, 4, xm)) / (2 * h);
        assert_float_near(g, 0.0, 1e-3);
        /* and the solution is a minimum */
        assert_true(fold_objective(m, it, r, 4, xp) > fold_objective(m, it, r, 4, x));
    }
    /* prediction for the vector */
    double pv = m->mu + vec[0] + m->item_bias[1] + vec[1] * m->Q[2] + vec[2] * m->Q[3];
    assert_float_near(mfr_model_predict_vec(m, vec, 1), pv, 1e-5);
    assert_float_near(mfr_model_predict_vec(m, vec, -1), m->mu + vec[0], 1e-5);
    /* no ratings: the zero vector */
    assert_int_equal(mfr_model_fold_in(m, NULL, NULL, 0, vec, &err), MFR_OK);
    assert_float_near(vec[0], 0, 1e-7);
    assert_float_near(vec[1], 0, 1e-7);
    mfr_model_free(m);
    mfr_dataset_free(ds);
    mfr__algo_set_override(MFR_ALGO_SGD, NULL);
}

/* Ratings that the model reproduces exactly: fold-in (tiny reg) recovers the
 * user's vector, and recommend_vec equals recommend for that user. */
static void fold_in_recovers_user(void **state) {
    (void)state;
    enum { NU = 30, NI = 60, K = 4 };
    int32_t user[NU * NI], item[NU * NI];
    float rating[NU * NI];
    int n = 0;
    for (int u = 0; u < NU; u++)
        for (int i = 0; i < NI; i++)
            if ((u + i) % 3 == 0) user[n] = u, item[n] = i, rating[n] = 3.f, n++;
    mfr_dataset *ds = NULL;
    assert_int_equal(mfr__dataset_from_arrays(NU, NI, n, user, item, rating, NULL, &ds, NULL), MFR_OK);
    mfr_model *m = train_test_model(ds, K);
    m->params.reg = 1e-6f;
    m->params.reg_bias = 1e-6f;
    int32_t u = 7, ns;
    const int32_t *seen = mfr_model_user_items(m, u, &ns);
    float r[NI], vec[K + 1];
    for (int j = 0; j < ns; j++) {
        float base = m->mu + m->user_bias[u] + m->item_bias[seen[j]];
        r[j] = base + mfr__dot_ref(m->P + u * K, m->Q + seen[j] * K, K);
        assert_true(r[j] > 0.5f && r[j] < 5.0f); /* no clipping in the data */
    }
    assert_int_equal(mfr_model_fold_in(m, seen, r, ns, vec, NULL), MFR_OK);
    assert_float_near(vec[0], m->user_bias[u], 1e-3);
    for (int f = 0; f < K; f++) assert_float_near(vec[f + 1], m->P[u * K + f], 1e-3);
    mfr_recommend_params rp = mfr_recommend_params_default();
    mfr_scored a[10], b[10];
    int32_t na, nb;
    assert_int_equal(mfr_model_recommend(m, u, &rp, a, &na, NULL), MFR_OK);
    /* seen in reverse order: recommend_vec accepts any order */
    int32_t rev[NI];
    for (int j = 0; j < ns; j++) rev[j] = seen[ns - 1 - j];
    assert_int_equal(mfr_model_recommend_vec(m, vec, rev, NULL, ns, &rp, b, &nb, NULL), MFR_OK);
    assert_int_equal(na, nb);
    for (int j = 0; j < na; j++) {
        assert_int_equal(a[j].item, b[j].item);
        assert_float_near(a[j].score, b[j].score, 1e-3);
    }
    mfr_model_free(m);
    mfr_dataset_free(ds);
    mfr__algo_set_override(MFR_ALGO_SGD, NULL);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(algo_names),
        cmocka_unit_test(params_roundtrip),
        cmocka_unit_test(params_errors),
        cmocka_unit_test(params_applies),
        cmocka_unit_test(train_common_part),
        cmocka_unit_test(train_validation_split),
        cmocka_unit_test(train_cancel_and_errors),
        cmocka_unit_test(predict_fallbacks),
        cmocka_unit_test(save_load_roundtrip),
        cmocka_unit_test(save_seen_streamed),
        cmocka_unit_test(load_truncated),
        cmocka_unit_test(load_corrupted),
        cmocka_unit_test(load_crafted_mutations),
        cmocka_unit_test(load_refuses_duplicate_ids),
        cmocka_unit_test(load_refuses_bad_seen_lists),
        cmocka_unit_test(load_refuses_bad_catalogue),
        cmocka_unit_test(loaded_model_survives_file_rewritten_in_place),
        cmocka_unit_test(save_io_error),
        cmocka_unit_test(fault_model_save_load),
        cmocka_unit_test(recommend_rules),
        cmocka_unit_test(topn_ties_and_kernel),
        cmocka_unit_test(similar_metrics),
        cmocka_unit_test(find_title_modes),
        cmocka_unit_test(fold_in_closed_form),
        cmocka_unit_test(fold_in_recovers_user),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
