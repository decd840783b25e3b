/* test_sgd.c — the biased-MF SGD trainer (src/algo/sgd.c, sgd_kernel.c):
 * recovery of a known low-rank matrix (float-rating layout), the coded 4-byte
 * layout round trip on a grid larger than the minimum, determinism (same seed
 * -> identical bytes for 1 and 2 threads; different seed -> different), the
 * AVX2 kernel against the scalar reference, its AVX-512 form against it bit
 * for bit, one update against finite
 * differences of the loss, early stopping, cancellation, divergence, every
 * allocation failing in turn, and the accuracy target on ml-latest-small with
 * the default parameters (skipped without the data). */
#include "test.h"

#include "algo/algo.h"
#include "algo/sgd_kernel.h"
#include "core/core.h"
#include "data/dataset_impl.h"
#include "model/model_impl.h"
#include "model/topn.h"

/* ---- helpers ------------------------------------------------------------ */

#ifdef MFR_HAVE_AVX2
/* F16C's own conversions, to check the portable ones against. */
MFR_AVX2 static uint16_t f16c_round(float f) {
    return (uint16_t)_cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
MFR_AVX2 static float f16c_widen(uint16_t h) { return _cvtsh_ss(h); }
#endif

/* Kernel switches for every training here: small problems really run on 2
 * threads (no fewest-work-per-thread rule). */
static const mfr__kernels ALL_THREADS = {.scalar = 0, .sgd_min_round_work = 0};

typedef struct owned_ratings {
    mfr_ratings r;
    int32_t *u, *i;
    float *x;
} owned_ratings;

static void owned_free(owned_ratings *o) {
    free(o->u);
    free(o->i);
    free(o->x);
    memset(o, 0, sizeof *o);
}

static void owned_alloc(owned_ratings *o, int64_t cap, int32_t nu, int32_t ni) {
    o->u = malloc((size_t)cap * sizeof *o->u);
    o->i = malloc((size_t)cap * sizeof *o->i);
    o->x = malloc((size_t)cap * sizeof *o->x);
    assert_non_null(o->u);
    assert_non_null(o->i);
    assert_non_null(o->x);
    o->r = (mfr_ratings){0, nu, ni, o->u, o->i, o->x, NULL};
}

static void owned_push(owned_ratings *o, int32_t u, int32_t i, float x) {
    o->u[o->r.n] = u;
    o->i[o->r.n] = i;
    o->x[o->r.n] = x;
    o->r.n++;
}

/* Split the ratings of ds at random (seeded): a fraction test_frac to *te. */
static void split_ratings(const mfr_dataset *ds, double test_frac, uint64_t seed,
                          owned_ratings *tr, owned_ratings *te) {
    mfr_ratings all;
    mfr_dataset_ratings(ds, &all);
    owned_alloc(tr, all.n, all.n_users, all.n_items);
    owned_alloc(te, all.n, all.n_users, all.n_items);
    mfr__rng rng;
    mfr__rng_seed(&rng, seed);
    for (int64_t j = 0; j < all.n; j++)
        owned_push(mfr__rng_uniform(&rng) < test_frac ? te : tr, all.user[j], all.item[j],
                   all.rating[j]);
}

/* RMSE of the model's (clipped) predictions on r. */
static double rmse_on(const mfr_model *m, const mfr_ratings *r) {
    double se = 0.0;
    for (int64_t j = 0; j < r->n; j++) {
        double e = (double)mfr_model_predict(m, r->user[j], r->item[j]) - r->rating[j];
        se += e * e;
    }
    return sqrt(se / (double)r->n);
}

/* Low-rank data: r = 3 + b_u + b_i + a_u·c_i + N(0, noise²), rank `rank`,
 * each (u, i) present with probability density. Ratings are not rounded (so
 * the trainer's float-array path is used), scale set wide enough to not clip. */
static mfr_dataset *low_rank_dataset(int32_t nu, int32_t ni, int rank, double density,
                                     double noise, uint64_t seed) {
    mfr__rng rng;
    mfr__rng_seed(&rng, seed);
    float *a = malloc((size_t)nu * rank * sizeof *a), *c = malloc((size_t)ni * rank * sizeof *c);
    float *bu = malloc((size_t)nu * sizeof *bu), *bi = malloc((size_t)ni * sizeof *bi);
    for (int64_t j = 0; j < (int64_t)nu * rank; j++) a[j] = (float)(0.6 * mfr__rng_normal(&rng));
    for (int64_t j = 0; j < (int64_t)ni * rank; j++) c[j] = (float)(0.6 * mfr__rng_normal(&rng));
    for (int32_t u = 0; u < nu; u++) bu[u] = (float)(0.3 * mfr__rng_normal(&rng));
    for (int32_t i = 0; i < ni; i++) bi[i] = (float)(0.3 * mfr__rng_normal(&rng));
    owned_ratings o;
    owned_alloc(&o, (int64_t)nu * ni, nu, ni);
    for (int32_t u = 0; u < nu; u++)
        for (int32_t i = 0; i < ni; i++) {
            if (mfr__rng_uniform(&rng) >= density) continue;
            double x = 3.0 + bu[u] + bi[i] + noise * mfr__rng_normal(&rng);
            for (int f = 0; f < rank; f++) x += a[(size_t)u * rank + f] * c[(size_t)i * rank + f];
            owned_push(&o, u, i, (float)x);
        }
    mfr_dataset *ds = NULL;
    mfr_error err = {0};
    assert_int_equal(mfr__dataset_from_arrays(nu, ni, o.r.n, o.u, o.i, o.x, NULL, &ds, &err), MFR_OK);
    ds->scale_min = -100.f;
    ds->scale_max = 100.f;
    owned_free(&o);
    free(a);
    free(c);
    free(bu);
    free(bi);
    return ds;
}

static mfr_model *train_or_fail(const mfr_dataset *ds, const mfr_ratings *tr,
                                const mfr_ratings *va, const mfr_train_params *p) {
    mfr_model *m = NULL;
    mfr_error err = {0};
    mfr_status st = mfr__model_train_with(ds, tr, va, p, &ALL_THREADS, &m, &err);
    if (st != MFR_OK) print_error("train: %s\n", err.message);
    assert_int_equal(st, MFR_OK);
    assert_non_null(m);
    return m;
}

/* ---- recovery ----------------------------------------------------------- */

static void recovers_low_rank(void **state) {
    (void)state;
    const double noise = 0.1;
    mfr_dataset *ds = low_rank_dataset(400, 300, 3, 0.3, noise, 7);
    owned_ratings tr, te;
    split_ratings(ds, 0.1, 11, &tr, &te);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_SGD);
    p.factors = 8;
    p.epochs = 120;
    p.lr = 0.01f;
    p.lr_decay = 0.99f;
    p.reg = 0.01f;
    p.reg_bias = 0.0f;
    p.init_std = 0.1f;
    p.threads = 2;
    mfr_model *m = train_or_fail(ds, &tr.r, NULL, &p);
    double rt = rmse_on(m, &te.r), rtrain = rmse_on(m, &tr.r);
    print_message("low-rank: train RMSE %.4f, test RMSE %.4f (noise %.2f)\n", rtrain, rt, noise);
    mfr_model_info info;
    mfr_model_info_get(m, &info);
    assert_float_near(info.train_rmse, rtrain, 1e-4); /* the fit's own exact pass */
    /* near the noise floor: the truth's signal has std ~1.2 */
    assert_true(rt < 1.5 * noise);
    assert_true(rtrain < 1.2 * noise);
    mfr_model_free(m);
    owned_free(&tr);
    owned_free(&te);
    mfr_dataset_free(ds);
}

static char last_log[512], kept_log[512];

/* last_log: sgd's grid line; kept_log: its share of blocks that stayed on
 * their row block's thread */
static void keep_log(int level, const char *msg, void *user) {
    (void)level;
    (void)user;
    if (strncmp(msg, "sgd:", 4) != 0) return;
    if (strstr(msg, " blocks of ")) snprintf(last_log, sizeof last_log, "%s", msg);
    if (strstr(msg, "previous round")) snprintf(kept_log, sizeof kept_log, "%s", msg);
}

/* Half-star ratings (10 values: the 4-byte coded layout) with more users than
 * one 4096-wide range per block of the minimum 16 x 16 grid, so the grid grows
 * to 18 x 18.
 * The fit's exact train RMSE is computed from the packed words; it matching
 * the RMSE computed from the original arrays shows every user, item and rating
 * survives packing. */
static void coded_layout_round_trips(void **state) {
    (void)state;
    enum { NU = 70000, NI = 700, PER_USER = 4 };
    owned_ratings o;
    owned_alloc(&o, (int64_t)NU * PER_USER, NU, NI);
    mfr__rng rng;
    mfr__rng_seed(&rng, 12);
    for (int32_t u = 0; u < NU; u++)
        for (int j = 0; j < PER_USER; j++) {
            int32_t i = (int32_t)mfr__rng_below(&rng, NI);
            float x = 0.5f * (float)(1 + (int)mfr__rng_below(&rng, 10));
            owned_push(&o, u, i, x);
        }
    mfr_dataset *ds = NULL;
    mfr_error err = {0};
    assert_int_equal(mfr__dataset_from_arrays(NU, NI, o.r.n, o.u, o.i, o.x, NULL, &ds, &err), MFR_OK);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_SGD);
    p.factors = 8;
    p.epochs = 3;
    p.threads = 2;
    last_log[0] = kept_log[0] = 0;
    mfr_set_log(keep_log, NULL);
    mfr_model *m = train_or_fail(ds, NULL, NULL, &p);
    mfr_set_log(NULL, NULL);
    print_message("%s\n", last_log);
    assert_non_null(strstr(last_log, "18 x 18 blocks"));
    assert_non_null(strstr(last_log, "coded"));
    /* one thread here (too little work for two): its claims follow its own
     * row blocks whenever they are ready, so some blocks stay on it */
    print_message("%s\n", kept_log);
    int share = -1;
    assert_int_equal(sscanf(kept_log, "sgd: %d%%", &share), 1);
    assert_true(share > 0 && share <= 100);
    mfr_ratings all;
    mfr_dataset_ratings(ds, &all);
    mfr_model_info info;
    mfr_model_info_get(m, &info);
    assert_float_near(info.train_rmse, rmse_on(m, &all), 1e-5);
    mfr_model_free(m);
    mfr_dataset_free(ds);
    owned_free(&o);
}

/* ---- determinism -------------------------------------------------------- */

static mfr_model *train_small_with(const mfr_dataset *ds, uint64_t seed, int threads,
                                   const mfr__kernels *ks) {
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_SGD);
    p.factors = 19; /* not a multiple of 8: the kernel's scalar tail too */
    p.epochs = 5;
    p.seed = seed;
    p.threads = threads;
    mfr_model *m = NULL;
    mfr_error err = {0};
    assert_int_equal(mfr__model_train_with(ds, NULL, NULL, &p, ks, &m, &err), MFR_OK);
    return m;
}

static mfr_model *train_small(const mfr_dataset *ds, uint64_t seed, int threads) {
    return train_small_with(ds, seed, threads, &ALL_THREADS);
}

static int same_model(const mfr_model *a, const mfr_model *b) {
    return a->k == b->k && a->n_users == b->n_users && a->n_items == b->n_items &&
           memcmp(a->P, b->P, (size_t)a->n_users * a->k * sizeof(float)) == 0 &&
           memcmp(a->Q, b->Q, (size_t)a->n_items * a->k * sizeof(float)) == 0 &&
           memcmp(a->user_bias, b->user_bias, (size_t)a->n_users * sizeof(float)) == 0 &&
           memcmp(a->item_bias, b->item_bias, (size_t)a->n_items * sizeof(float)) == 0;
}

static void same_seed_identical(void **state) {
    (void)state;
    mfr_dataset *ds = low_rank_dataset(300, 200, 3, 0.2, 0.2, 3);
    mfr_model *a1 = train_small(ds, 5, 1), *b1 = train_small(ds, 5, 1);
    mfr_model *a2 = train_small(ds, 5, 2), *b2 = train_small(ds, 5, 2);
    assert_true(same_model(a1, b1));
    assert_true(same_model(a2, b2));
    /* the blocks of a round are independent and the grid is the same for
     * t <= 8, so even 1 vs 2 threads agree bit for bit */
    assert_true(same_model(a1, a2));
    /* the small-problem rule (fewer threads for little work) changes nothing */
    mfr_model *c2 = train_small_with(ds, 5, 2, NULL); /* the default switches */
    assert_true(same_model(a2, c2));
    mfr_model_free(c2);
    mfr_model_free(a1);
    mfr_model_free(b1);
    mfr_model_free(a2);
    mfr_model_free(b2);
    mfr_dataset_free(ds);
}

static void different_seed_differs(void **state) {
    (void)state;
    mfr_dataset *ds = low_rank_dataset(300, 200, 3, 0.2, 0.2, 3);
    mfr_model *a = train_small(ds, 5, 2), *b = train_small(ds, 6, 2);
    assert_false(same_model(a, b));
    assert_true(memcmp(a->P, b->P, (size_t)a->n_users * a->k * sizeof(float)) != 0);
    mfr_model_free(a);
    mfr_model_free(b);
    mfr_dataset_free(ds);
}

/* Half-precision rows during the epochs (kernel switch sgd_half_rows):
 * deterministic across 1 and 2 threads, the model's factors are binary16
 * values, and the train RMSE within 0.5 % of the float rows' one. */
static void half_rows_fit(void **state) {
    (void)state;
    mfr_dataset *ds = low_rank_dataset(300, 200, 3, 0.2, 0.2, 3);
    mfr__kernels half = ALL_THREADS;
    half.sgd_half_rows = 1;
    mfr_model *h1 = train_small_with(ds, 5, 1, &half), *h2 = train_small_with(ds, 5, 2, &half);
    mfr_model *f2 = train_small(ds, 5, 2);
    assert_true(same_model(h1, h2));
    assert_false(same_model(h2, f2));
    for (int64_t x = 0; x < (int64_t)h2->n_users * h2->k; x++) {
        float v = h2->P[x], w = mfr__half_to_float(mfr__float_to_half(v));
        assert_memory_equal(&v, &w, sizeof v);
    }
    print_message("train RMSE half %.5f float %.5f\n", h2->train_rmse, f2->train_rmse);
    assert_true(fabs(h2->train_rmse - f2->train_rmse) < 5e-3 * f2->train_rmse);
    mfr_model_free(h1);
    mfr_model_free(h2);
    mfr_model_free(f2);
    mfr_dataset_free(ds);
}

/* ---- kernels ------------------------------------------------------------ */

/* Runs `passes` passes of kern over a random block with k factors. */
static void run_kernel(mfr__sgd_kernel_fn kern, int32_t k, int passes, float *P, float *Q,
                       float *bu, float *bi, uint64_t seed, int half) {
    enum { NU = 50, NI = 40, N = 600 };
    static uint32_t rec[N];
    static const float rtab[4] = {1.f, 2.5f, 4.f, 5.f};
    mfr__rng rng;
    mfr__rng_seed(&rng, seed);
    for (int j = 0; j < N; j++)
        rec[j] = (uint32_t)mfr__rng_below(&rng, NU) | (uint32_t)mfr__rng_below(&rng, NI) << 12 |
                 (uint32_t)mfr__rng_below(&rng, 4) << 24;
    for (int j = 0; j < NU * k; j++) P[j] = (float)(0.1 * mfr__rng_normal(&rng));
    for (int j = 0; j < NI * k; j++) Q[j] = (float)(0.1 * mfr__rng_normal(&rng));
    memset(bu, 0, NU * sizeof *bu);
    memset(bi, 0, NI * sizeof *bi);
    mfr__sgd_block b = {rec, NULL, rtab, N, 0xfff, 12, 0xfff, 24, P, Q, bu, bi, NULL, NULL};
    mfr__sgd_hyper h = {3.5f, 0.01f, 0.05f, 0.01f, k};
    /* half: the same start rounded to binary16, the kernels on those rows */
    uint16_t *Ph = half ? malloc(NU * (size_t)k * 2) : NULL, *Qh = half ? malloc(NI * (size_t)k * 2) : NULL;
    if (half) {
        assert_true(Ph && Qh);
        for (int j = 0; j < NU * k; j++) Ph[j] = mfr__float_to_half(P[j]);
        for (int j = 0; j < NI * k; j++) Qh[j] = mfr__float_to_half(Q[j]);
        b.Ph = Ph, b.Qh = Qh;
    }
    for (int e = 0; e < passes; e++) kern(&b, &h);
    if (half) {
        for (int j = 0; j < NU * k; j++) P[j] = mfr__half_to_float(Ph[j]);
        for (int j = 0; j < NI * k; j++) Q[j] = mfr__half_to_float(Qh[j]);
    }
    free(Ph);
    free(Qh);
}

static double max_rel_diff(const float *a, const float *b, int n) {
    double worst = 0.0;
    for (int j = 0; j < n; j++) {
        double d = fabs((double)a[j] - b[j]) / (1e-3 + fabs((double)a[j]));
        if (d > worst) worst = d;
    }
    return worst;
}

static void simd_matches_scalar(void **state) {
    (void)state;
    if (!mfr__cpu_avx2()) {
        print_message("skipped: this CPU has no AVX2+FMA\n");
        skip();
    }
    const int32_t ks[] = {1, 7, 8, 19, 64, 100};
    for (size_t t = 0; t < sizeof ks / sizeof ks[0]; t++) {
        int32_t k = ks[t];
        float *P1 = calloc(50 * (size_t)k, 4), *Q1 = calloc(40 * (size_t)k, 4);
        float *P2 = calloc(50 * (size_t)k, 4), *Q2 = calloc(40 * (size_t)k, 4);
        float bu1[50], bi1[40], bu2[50], bi2[40];
        run_kernel(mfr__sgd_block_scalar, k, 5, P1, Q1, bu1, bi1, 99, 0);
        run_kernel(mfr__sgd_block_avx2, k, 5, P2, Q2, bu2, bi2, 99, 0);
        /* stated tolerance: relative 1e-4 (float rounding of a differently
         * ordered dot product, carried through 3000 updates) */
        double dp = max_rel_diff(P1, P2, 50 * k), dq = max_rel_diff(Q1, Q2, 40 * k);
        double db = fmax(max_rel_diff(bu1, bu2, 50), max_rel_diff(bi1, bi2, 40));
        print_message("k=%d: max rel diff P %.2e Q %.2e biases %.2e\n", k, dp, dq, db);
        assert_true(dp < 1e-4 && dq < 1e-4 && db < 1e-4);
        /* the dot product used for the exact train RMSE: relative 1e-5 */
        float ds_ = mfr__dot_ref(P1, Q1, k), dv = mfr__sgd_dot_avx2(P1, Q1, k);
        assert_float_near(dv, ds_, 1e-5 * (1e-3 + fabs(ds_)) + 1e-7);
        free(P1);
        free(Q1);
        free(P2);
        free(Q2);
    }
}

/* The AVX-512 form against the AVX2 kernel: the same floats bit for bit
 * (simd.h's rule for a kernel's AVX-512 form), for k a multiple of 32 (its
 * own loop) and otherwise (the AVX2 kernel itself); then a whole 2-thread
 * fit at k = 64 gives the same model with and without it. */
static void avx512_matches_avx2(void **state) {
    (void)state;
    if (!mfr__cpu_avx512()) {
        print_message("skipped: this CPU has no AVX-512F\n");
        skip();
    }
    const int32_t ks[] = {19, 32, 64, 96, 128};
    for (size_t t = 0; t < sizeof ks / sizeof ks[0]; t++) {
        int32_t k = ks[t];
        float *P1 = calloc(50 * (size_t)k, 4), *Q1 = calloc(40 * (size_t)k, 4);
        float *P2 = calloc(50 * (size_t)k, 4), *Q2 = calloc(40 * (size_t)k, 4);
        float bu1[50], bi1[40], bu2[50], bi2[40];
        run_kernel(mfr__sgd_block_avx2, k, 5, P1, Q1, bu1, bi1, 99, 0);
        run_kernel(mfr__sgd_block_avx512, k, 5, P2, Q2, bu2, bi2, 99, 0);
        assert_memory_equal(P1, P2, 50 * (size_t)k * 4);
        assert_memory_equal(Q1, Q2, 40 * (size_t)k * 4);
        assert_memory_equal(bu1, bu2, sizeof bu1);
        assert_memory_equal(bi1, bi2, sizeof bi1);
        /* and the updates did something (not two untouched copies) */
        float *P0 = calloc(50 * (size_t)k, 4), *Q0 = calloc(40 * (size_t)k, 4), bu0[50], bi0[40];
        run_kernel(mfr__sgd_block_avx2, k, 0, P0, Q0, bu0, bi0, 99, 0);
        assert_true(memcmp(P0, P1, 50 * (size_t)k * 4) != 0);
        free(P0);
        free(Q0);
        free(P1);
        free(Q1);
        free(P2);
        free(Q2);
    }
    mfr_dataset *ds = low_rank_dataset(300, 200, 3, 0.2, 0.2, 3);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_SGD);
    p.epochs = 3;
    p.threads = 2;
    mfr__kernels no512 = ALL_THREADS;
    no512.no_avx512 = 1;
    mfr_model *a = train_or_fail(ds, NULL, NULL, &p), *b = NULL;
    mfr_error err = {0};
    assert_int_equal(mfr__model_train_with(ds, NULL, NULL, &p, &no512, &b, &err), MFR_OK);
    assert_int_equal(a->k, 64);
    assert_true(same_model(a, b));
    mfr_model_free(a);
    mfr_model_free(b);
    mfr_dataset_free(ds);
}

/* Half-precision rows: the AVX2 kernel (F16C) against the scalar reference
 * on the same binary16 rows. Each stored element is rounded to 11 bits, so a
 * float-rounding difference in the dot product can move an element by one
 * half-precision step (2^-11 relative) and that carries: the stated bound
 * is relative 1e-2 after 5 passes of 600 updates (measured: at most 8.1e-3,
 * at k = 64; 0 where k % 8 leaves the AVX2 kernel to the reference). */
static void simd_half_matches_scalar(void **state) {
    (void)state;
    if (!mfr__cpu_avx2()) {
        print_message("skipped: this CPU has no AVX2+FMA+F16C\n");
        skip();
    }
    const int32_t ks[] = {1, 7, 8, 16, 64, 100};
    for (size_t t = 0; t < sizeof ks / sizeof ks[0]; t++) {
        int32_t k = ks[t];
        float *P1 = calloc(50 * (size_t)k, 4), *Q1 = calloc(40 * (size_t)k, 4);
        float *P2 = calloc(50 * (size_t)k, 4), *Q2 = calloc(40 * (size_t)k, 4);
        float bu1[50], bi1[40], bu2[50], bi2[40];
        run_kernel(mfr__sgd_block_scalar, k, 5, P1, Q1, bu1, bi1, 99, 1);
        run_kernel(mfr__sgd_block_avx2, k, 5, P2, Q2, bu2, bi2, 99, 1);
        double dp = max_rel_diff(P1, P2, 50 * k), dq = max_rel_diff(Q1, Q2, 40 * k);
        double db = fmax(max_rel_diff(bu1, bu2, 50), max_rel_diff(bi1, bi2, 40));
        print_message("half k=%d: max rel diff P %.2e Q %.2e biases %.2e\n", k, dp, dq, db);
        assert_true(dp < 1e-2 && dq < 1e-2 && db < 1e-2);
        free(P1);
        free(Q1);
        free(P2);
        free(Q2);
    }
}

/* The portable binary16 conversion is exact both ways: every half value
 * round-trips, and float -> half rounds to nearest-even as F16C does (on
 * every 4096th float bit pattern, subnormals, ties and overflow included). */
static void half_conversion_exact(void **state) {
    (void)state;
    for (uint32_t h = 0; h < 0x10000u; h++) {
        if ((h & 0x7c00u) == 0x7c00u && (h & 0x3ffu)) continue; /* NaN payloads */
        assert_int_equal(mfr__float_to_half(mfr__half_to_float((uint16_t)h)), h);
    }
    assert_int_equal(mfr__float_to_half(65504.f), 0x7bff);
    assert_int_equal(mfr__float_to_half(65519.f), 0x7bff);
    assert_int_equal(mfr__float_to_half(65520.f), 0x7c00);
    assert_int_equal(mfr__float_to_half(1.0f + 0x1p-11f), 0x3c00);           /* tie: to even */
    assert_int_equal(mfr__float_to_half(1.0f + 3 * 0x1p-11f), 0x3c02);       /* tie: to even */
    assert_int_equal(mfr__float_to_half(0x1p-25f), 0x0000);                  /* tie to 0 */
    assert_int_equal(mfr__float_to_half(0x1p-25f + 0x1p-40f), 0x0001);
#ifdef MFR_HAVE_AVX2
    if (mfr__cpu_avx2()) {
        for (uint64_t x = 0; x < 0x100000000ull; x += 4093) {
            uint32_t b = (uint32_t)x;
            float f;
            memcpy(&f, &b, 4);
            if (isnan(f)) continue;
            assert_int_equal(mfr__float_to_half(f), f16c_round(f));
            uint16_t h = (uint16_t)(x >> 16);
            if ((h & 0x7c00u) == 0x7c00u && (h & 0x3ffu)) continue;
            float a = mfr__half_to_float(h), c = f16c_widen(h);
            assert_memory_equal(&a, &c, 4);
        }
    }
#endif
}

/* Loss of one rating: ½e² + ½λ(|p|²+|q|²) + ½λ_b(b_u²+b_i²), in double. */
static double loss1(const double *th, int k, double r, double mu, double reg, double rb) {
    const double *p = th, *q = th + k;
    double bu = th[2 * k], bi = th[2 * k + 1], dot = 0, n2 = 0;
    for (int f = 0; f < k; f++) {
        dot += p[f] * q[f];
        n2 += p[f] * p[f] + q[f] * q[f];
    }
    double e = r - (mu + bu + bi + dot);
    return 0.5 * e * e + 0.5 * reg * n2 + 0.5 * rb * (bu * bu + bi * bi);
}

static void gradient_check(void **state) {
    (void)state;
    enum { K = 5, NP = 2 * K + 2 };
    mfr__rng rng;
    mfr__rng_seed(&rng, 17);
    float th[NP];
    double thd[NP];
    for (int j = 0; j < NP; j++) thd[j] = th[j] = (float)(0.5 * mfr__rng_normal(&rng));
    const float r = 4.5f;
    mfr__sgd_hyper h = {3.0f, 1e-3f, 0.07f, 0.03f, K};
    float after[NP];
    memcpy(after, th, sizeof th);
    mfr__sgd_update_scalar(after, after + K, after + 2 * K, after + 2 * K + 1, r, &h);
    for (int j = 0; j < NP; j++) {
        double save = thd[j], eps = 1e-5;
        thd[j] = save + eps;
        double lp = loss1(thd, K, r, h.mu, h.reg, h.reg_bias);
        thd[j] = save - eps;
        double lm = loss1(thd, K, r, h.mu, h.reg, h.reg_bias);
        thd[j] = save;
        double grad = (lp - lm) / (2 * eps);
        double step = ((double)after[j] - th[j]) / -(double)h.lr; /* the update's gradient */
        assert_float_near(step, grad, 2e-3 * (1.0 + fabs(grad)));
    }
}

/* ---- early stopping and cancellation ------------------------------------ */

typedef struct epoch_log {
    int n;
    double valid[256];
    int cancel_at;
} epoch_log;

static int log_progress(const mfr_progress *pr, void *user) {
    epoch_log *l = user;
    if (l->n < 256) l->valid[l->n++] = pr->valid_rmse;
    return l->cancel_at > 0 && pr->step >= l->cancel_at;
}

static void early_stop_restores_best(void **state) {
    (void)state;
    mfr_dataset *ds = low_rank_dataset(200, 150, 2, 0.15, 0.3, 21);
    owned_ratings tr, va;
    split_ratings(ds, 0.2, 5, &tr, &va);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_SGD);
    p.factors = 40; /* far too many, no regularisation: it overfits */
    p.reg = 0.f;
    p.reg_bias = 0.f;
    p.lr = 0.03f;
    p.lr_decay = 1.f;
    p.init_std = 0.3f;
    p.epochs = 200;
    p.early_stop = 3;
    p.threads = 2;
    epoch_log log = {0};
    p.progress = log_progress;
    p.progress_user = &log;
    mfr_model *m = train_or_fail(ds, &tr.r, &va.r, &p);
    mfr_model_info info;
    mfr_model_info_get(m, &info);
    double best = INFINITY;
    int best_ep = 0;
    for (int e = 0; e < log.n; e++)
        if (log.valid[e] < best) best = log.valid[e], best_ep = e + 1;
    print_message("stopped after %d epochs, best epoch %d (valid %.4f), last %.4f\n", log.n,
                  best_ep, best, log.valid[log.n - 1]);
    assert_true(log.n < p.epochs);
    assert_int_equal(log.n, best_ep + p.early_stop);
    assert_true(log.valid[log.n - 1] > best);
    assert_float_near(rmse_on(m, &va.r), best, 1e-5);
    assert_float_near(info.valid_rmse, best, 1e-6);
    assert_int_equal(info.epochs_run, best_ep); /* the epoch it keeps, as every family */
    mfr_model_free(m);
    owned_free(&tr);
    owned_free(&va);
    mfr_dataset_free(ds);
}

static void cancel_returns_model(void **state) {
    (void)state;
    mfr_dataset *ds = low_rank_dataset(200, 150, 2, 0.2, 0.2, 8);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_SGD);
    p.factors = 16;
    p.epochs = 50;
    p.threads = 2;
    epoch_log log = {.cancel_at = 3};
    p.progress = log_progress;
    p.progress_user = &log;
    mfr_model *m = NULL;
    mfr_error err = {0};
    assert_int_equal(mfr__model_train_with(ds, NULL, NULL, &p, &ALL_THREADS, &m, &err), MFR_E_CANCELLED);
    assert_non_null(m);
    assert_int_equal(log.n, 3);
    mfr_model_info info;
    mfr_model_info_get(m, &info);
    assert_int_equal(info.epochs_run, 3);
    mfr_ratings all;
    mfr_dataset_ratings(ds, &all);
    double r = rmse_on(m, &all);
    print_message("cancelled after 3 epochs: train RMSE %.4f\n", r);
    assert_true(isfinite(r) && r < 1.5); /* a usable, partly trained model */
    mfr_model_free(m);
    mfr_dataset_free(ds);
}

static void diverging_lr_is_an_error(void **state) {
    (void)state;
    mfr_dataset *ds = low_rank_dataset(100, 80, 2, 0.3, 0.2, 4);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_SGD);
    p.factors = 8;
    p.lr = 9.f; /* allowed by the range check, but blows up to inf/NaN */
    p.init_std = 1.f;
    p.lr_decay = 1.f;
    p.epochs = 10;
    mfr_model *m = NULL;
    mfr_error err = {0};
    mfr_status st = mfr__model_train_with(ds, NULL, NULL, &p, &ALL_THREADS, &m, &err);
    print_message("lr 9: %s\n", err.message);
    assert_int_equal(st, MFR_E_RANGE);
    assert_null(m);
    assert_non_null(strstr(err.message, "diverged"));
    mfr_dataset_free(ds);
}

/* Every allocation of a small training run failing in turn: each run ends in
 * MFR_OK or MFR_E_NOMEM with no model leaked (ASan checks the leaks). */
static void fault_every_allocation(void **state) {
    (void)state;
    mfr_dataset *ds = low_rank_dataset(60, 50, 2, 0.3, 0.2, 6);
    owned_ratings tr, va;
    split_ratings(ds, 0.2, 3, &tr, &va);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_SGD);
    p.factors = 4;
    p.epochs = 3;
    p.early_stop = 1; /* the snapshot allocations too */
    p.threads = 2;
    int ok = 0, nomem = 0;
    for (long n = 0; n < 400 && ok < 3; n++) {
        mfr_model *m = NULL;
        mfr_error err = {0};
        mfr__alloc_fail_after(n);
        mfr_status st = mfr__model_train_with(ds, &tr.r, &va.r, &p, &ALL_THREADS, &m, &err);
        mfr__alloc_fail_after(-1);
        if (st == MFR_OK) {
            ok++;
            assert_non_null(m);
        } else {
            if (st != MFR_E_NOMEM) print_error("allocation %ld: status %d (%s)\n", n, (int)st, err.message);
            assert_int_equal(st, MFR_E_NOMEM);
            assert_null(m);
            nomem++;
        }
        mfr_model_free(m);
    }
    print_message("%d runs out of memory, then %d succeeded\n", nomem, ok);
    assert_true(nomem > 5);
    assert_int_equal(ok, 3);
    owned_free(&tr);
    owned_free(&va);
    mfr_dataset_free(ds);
}

/* Degenerate inputs: no training ratings, one rating, one factor, more
 * threads than blocks. Each trains without error and predicts finite values. */
static void tiny_and_empty_inputs(void **state) {
    (void)state;
    int32_t u[1] = {2}, i[1] = {1};
    float x[1] = {4.5f};
    mfr_dataset *ds = NULL;
    mfr_error err = {0};
    assert_int_equal(mfr__dataset_from_arrays(3, 2, 1, u, i, x, NULL, &ds, &err), MFR_OK);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_SGD);
    p.factors = 1;
    p.epochs = 5;
    p.threads = 40;
    mfr_ratings none = {0, 3, 2, u, i, x, NULL};
    mfr_model *m = train_or_fail(ds, &none, NULL, &p);
    assert_true(isfinite(mfr_model_predict(m, 0, 0)));
    mfr_model_free(m);
    m = train_or_fail(ds, NULL, NULL, &p);
    float r = mfr_model_predict(m, 2, 1);
    print_message("one rating 4.5: predicted %.3f\n", r);
    assert_true(isfinite(r) && fabsf(r - 4.5f) < 0.2f); /* mu is that rating */
    assert_true(isfinite(mfr_model_predict(m, 0, 0)));
    mfr_model_free(m);
    mfr_dataset_free(ds);
}

/* ---- ml-latest-small ---------------------------------------------------- */

/* ratings.csv (userId,movieId,rating,timestamp) into a dataset, ids made
 * dense in order of appearance. Kept here so this test does not depend on
 * the readers. NULL when the file is missing. */
static mfr_dataset *read_movielens(const char *dir) {
    char path[1100], line[256];
    snprintf(path, sizeof path, "%s/ratings.csv", dir);
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    owned_ratings o;
    owned_alloc(&o, 2000000, 0, 0);
    static int32_t umap[1 << 20], imap[1 << 20];
    memset(umap, 0xff, sizeof umap);
    memset(imap, 0xff, sizeof imap);
    int32_t nu = 0, ni = 0;
    if (!fgets(line, sizeof line, f)) line[0] = 0;
    while (fgets(line, sizeof line, f) && o.r.n < 2000000) {
        long uid, iid;
        float x;
        if (sscanf(line, "%ld,%ld,%f", &uid, &iid, &x) != 3) continue;
        if (uid < 0 || uid >= (1 << 20) || iid < 0 || iid >= (1 << 20)) continue;
        if (umap[uid] < 0) umap[uid] = nu++;
        if (imap[iid] < 0) imap[iid] = ni++;
        owned_push(&o, umap[uid], imap[iid], x);
    }
    fclose(f);
    mfr_dataset *ds = NULL;
    mfr_error err = {0};
    assert_int_equal(mfr__dataset_from_arrays(nu, ni, o.r.n, o.u, o.i, o.x, NULL, &ds, &err), MFR_OK);
    ds->scale_min = 0.5f;
    ds->scale_max = 5.0f;
    owned_free(&o);
    return ds;
}

static void movielens_defaults_rmse_slow(void **state) {
    (void)state;
    const char *dir = movielens_dir();
    if (!dir) {
        print_message("skipped: ml-latest-small not found (set MFR_DATA_DIR)\n");
        skip();
    }
    mfr_dataset *ds = read_movielens(dir);
    assert_non_null(ds);
    owned_ratings tr, te;
    split_ratings(ds, 0.2, 1, &tr, &te);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_SGD);
    double t0 = mfr__now();
    mfr_model *m = train_or_fail(ds, &tr.r, NULL, &p);
    double secs = mfr__now() - t0, r = rmse_on(m, &te.r);
    print_message("ml-latest-small 80/20 (seed 1), defaults: test RMSE %.4f in %.2f s\n", r, secs);
    assert_true(r <= 0.865);
    mfr_model_free(m);
    owned_free(&tr);
    owned_free(&te);
    mfr_dataset_free(ds);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(recovers_low_rank),
        cmocka_unit_test(coded_layout_round_trips),
        cmocka_unit_test(same_seed_identical),
        cmocka_unit_test(different_seed_differs),
        cmocka_unit_test(half_rows_fit),
        cmocka_unit_test(simd_matches_scalar),
        cmocka_unit_test(simd_half_matches_scalar),
        cmocka_unit_test(avx512_matches_avx2),
        cmocka_unit_test(half_conversion_exact),
        cmocka_unit_test(gradient_check),
        cmocka_unit_test(early_stop_restores_best),
        cmocka_unit_test(cancel_returns_model),
        cmocka_unit_test(diverging_lr_is_an_error),
        cmocka_unit_test(fault_every_allocation),
        cmocka_unit_test(tiny_and_empty_inputs),
        cmocka_unit_test(movielens_defaults_rmse_slow),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
