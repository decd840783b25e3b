/* test_algo_nn.c — the neural families and their kernels (src/algo/nn.c,
 * autorec.c, vae.c): every kernel against its scalar reference; the
 * gradients of an I-AutoRec batch and a Mult-VAE batch against central
 * finite differences, layer by layer; autorec learns a low-rank matrix
 * better than its biases, folds a user in, saves and loads; vae ranks two
 * groups' own movies first for trained and new users, a trained user given
 * as ratings gets their own list, saves and loads the same lists and refuses
 * a section of the wrong size; both are bit-identical for one seed and
 * thread count; bad parameters; allocation failures. */
#include "factors_common.h"
#include "algo/nn.h"
#include "linalg/linalg.h"

static const mfr__kernels SCALAR = {.scalar = 1, .sgd_min_round_work = 0};
static const mfr__kernels FAST = {.scalar = 0, .sgd_min_round_work = 0};

static void fill(float *x, int64_t n, double sd, uint64_t seed) {
    mfr__rng rng;
    mfr__rng_seed(&rng, seed);
    for (int64_t j = 0; j < n; j++) x[j] = (float)(sd * mfr__rng_normal(&rng));
}

static void assert_close(const float *a, const float *b, int64_t n, double tol) {
    for (int64_t j = 0; j < n; j++) {
        double d = fabs((double)a[j] - b[j]), s = fabs((double)b[j]) > 1 ? fabs((double)b[j]) : 1;
        if (d > tol * s) {
            print_error("element %lld: %.7g vs %.7g\n", (long long)j, a[j], b[j]);
            fail();
        }
    }
}

/* ---- kernels --------------------------------------------------------------- */

/* sgemm in all four transpose cases, with alpha, beta and leading
 * dimensions wider than the matrices, equals the reference loop. */
static void nn_gemm_matches_reference(void **state) {
    (void)state;
    enum { M = 7, N = 9, K = 5, LD = 12 };
    float A[LD * LD], B[LD * LD], C0[M * LD], C1[M * LD], C2[M * LD];
    fill(A, LD * LD, 1, 1), fill(B, LD * LD, 1, 2), fill(C0, M * LD, 1, 3);
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            memcpy(C1, C0, sizeof C1), memcpy(C2, C0, sizeof C2);
            mfr__nn_gemm(&FAST, ta, tb, M, N, K, 0.7f, A, LD, B, LD, 0.3f, C1, LD);
            mfr__nn_gemm(&SCALAR, ta, tb, M, N, K, 0.7f, A, LD, B, LD, 0.3f, C2, LD);
            assert_close(C1, C2, M * LD, 1e-5);
            /* by hand for one element */
            double s = 0;
            for (int p = 0; p < K; p++)
                s += (double)(ta ? A[p * LD + 2] : A[2 * LD + p]) * (tb ? B[3 * LD + p] : B[p * LD + 3]);
            assert_float_near(C2[2 * LD + 3], 0.7 * s + 0.3 * C0[2 * LD + 3], 1e-5);
        }
}

/* The sparse layer and its gradient: the OpenMP column blocks (3 threads,
 * 150 columns: three blocks, the last one short) equal the plain loops. */
static void nn_sparse_matches_reference(void **state) {
    (void)state;
    enum { R = 5, IN = 11, OUT = 150 };
    int64_t ptr[R + 1] = {0, 3, 3, 7, 8, 12};
    int32_t idx[12] = {0, 4, 10, 1, 2, 4, 9, 10, 0, 3, 5, 10};
    float val[12], W[IN * OUT], b[OUT], Y1[R * OUT], Y2[R * OUT], dY[R * OUT];
    float dW1[IN * OUT], dW2[IN * OUT];
    fill(val, 12, 1, 4), fill(W, IN * OUT, 1, 5), fill(b, OUT, 1, 6), fill(dY, R * OUT, 1, 7);
    mfr__nn_sparse_fwd(&FAST, 3, R, ptr, idx, val, W, b, OUT, Y1);
    mfr__nn_sparse_fwd(&SCALAR, 1, R, ptr, idx, val, W, b, OUT, Y2);
    assert_close(Y1, Y2, R * OUT, 1e-6);
    assert_float_near(Y2[1 * OUT + 17], b[17], 0); /* an empty row is the bias */
    assert_float_near(Y2[3 * OUT + 5], b[5] + val[7] * W[10 * OUT + 5], 1e-6);
    fill(dW1, IN * OUT, 1, 8);
    memcpy(dW2, dW1, sizeof dW2);
    mfr__nn_sparse_bwd(&FAST, 3, R, ptr, idx, val, dY, OUT, dW1);
    mfr__nn_sparse_bwd(&SCALAR, 1, R, ptr, idx, val, dY, OUT, dW2);
    assert_close(dW1, dW2, IN * OUT, 1e-6);
    /* the same bits for 1 and 3 threads */
    float dW3[IN * OUT];
    memset(dW1, 0, sizeof dW1), memset(dW3, 0, sizeof dW3);
    mfr__nn_sparse_bwd(&FAST, 3, R, ptr, idx, val, dY, OUT, dW1);
    mfr__nn_sparse_bwd(&FAST, 1, R, ptr, idx, val, dY, OUT, dW3);
    assert_memory_equal(dW1, dW3, sizeof dW1);
}

/* Adam's first step moves each parameter by lr·sign(g) (m̂ = g, v̂ = g²);
 * the second by the textbook formula computed in double. */
static void nn_adam_known_answer(void **state) {
    (void)state;
    float x[3] = {1.f, -2.f, 0.5f}, g[3] = {0.4f, -3.f, 0.f}, m[3] = {0}, v[3] = {0};
    const float lr = 0.01f, b1 = 0.9f, b2 = 0.999f;
    mfr__adam_update(x, g, m, v, 3, 1.f, lr, b1, b2, 1 - b1, 1 - b2);
    assert_float_near(x[0], 1.f - lr, 1e-6);
    assert_float_near(x[1], -2.f + lr, 1e-6);
    assert_float_near(x[2], 0.5f, 0);
    float g2[3] = {0.2f, 1.f, 0.f};
    mfr__adam_update(x, g2, m, v, 3, 0.5f, lr, b1, b2, 1 - b1 * b1, 1 - b2 * b2);
    double mm = 0.9 * 0.1 * 0.4 + 0.1 * 0.1, vv = 0.999 * 0.001 * 0.16 + 0.001 * 0.01;
    double want = 1.0 - 0.01 - 0.01 * (mm / (1 - 0.81)) / (sqrt(vv / (1 - 0.998001)) + 1e-8);
    assert_float_near(x[0], want, 1e-6);
}

/* Multinomial log-likelihood and its gradient against the definition. */
static void nn_multinomial_gradient(void **state) {
    (void)state;
    float l[6] = {0.3f, -1.f, 2.f, 0.f, 0.5f, -0.2f}, l0[6];
    memcpy(l0, l, sizeof l);
    int32_t cols[2] = {1, 4};
    float vals[2] = {1.f, 2.f};
    double z = 0;
    for (int c = 0; c < 6; c++) z += exp(l0[c]);
    double want = -(1.0 * (l0[1] - log(z)) + 2.0 * (l0[4] - log(z)));
    assert_float_near(mfr__nn_multinomial(l, 6, cols, vals, 2, 0.5f), want, 1e-6);
    for (int c = 0; c < 6; c++) {
        double g = 3.0 * exp(l0[c]) / z - (c == 1 ? 1.0 : c == 4 ? 2.0 : 0.0);
        assert_float_near(l[c], 0.5 * g, 1e-6);
    }
}

/* ---- finite differences ---------------------------------------------------- */

typedef double (*loss_fn)(void *ctx);

/* Central differences of f over every element of x, against grad. */
static void check_fd(const char *what, float *x, int64_t n, const float *grad, loss_fn f, void *ctx,
                     double h, double tol) {
    for (int64_t j = 0; j < n; j++) {
        float keep = x[j];
        x[j] = keep + (float)h;
        double a = f(ctx);
        x[j] = keep - (float)h;
        double b = f(ctx);
        x[j] = keep;
        double fd = (a - b) / (2 * h), s = fabs(fd) > 1 ? fabs(fd) : 1;
        if (fabs(fd - grad[j]) > tol * s) {
            print_error("%s[%lld]: gradient %.6g, finite difference %.6g\n", what, (long long)j,
                        grad[j], fd);
            fail();
        }
    }
}

typedef struct ar_case {
    mfr__autorec_net net;
    int64_t ptr[4];
    int32_t item[3], idx[8];
    float val[8], t[8], H[3 * 4], D[3 * 4], E[8], uw[5], X[3 * 5], O[3 * 5];
    float lam, lam_b, share;
    int dense;                /* 1: mfr__autorec_batch_dense */
    const mfr__kernels *ks;   /* NULL: SCALAR */
} ar_case;

static double ar_loss(void *p) {
    ar_case *c = p;
    const mfr__kernels *ks = c->ks ? c->ks : &SCALAR;
    int threads = ks == &SCALAR ? 1 : 2;
    if (c->dense)
        return mfr__autorec_batch_dense(ks, threads, &c->net, 3, c->item, c->ptr, c->idx, c->val,
                                        c->t, c->uw, c->lam, c->lam_b, c->share, c->H, c->D, c->E,
                                        c->X, c->O);
    return mfr__autorec_batch(ks, threads, &c->net, 3, c->item, c->ptr, c->idx, c->val, c->t, c->uw,
                              c->lam, c->lam_b, c->share, c->H, c->D, c->E);
}

/* The batch of the tests below: 3 movies, 5 users, 4 hidden units. */
static void ar_setup(ar_case *c) {
    memset(c, 0, sizeof *c);
    const int nu = 5, ni = 4, k = 4;
    c->net.n_users = nu, c->net.k = k, c->lam = 0.3f, c->lam_b = 0.2f, c->share = 0.6f;
    for (int u = 0; u < nu; u++) c->uw[u] = 1.f + (float)u;
    assert_int_equal(mfr__nn_param_alloc(&c->net.V, nu * k, NULL), 0);
    assert_int_equal(mfr__nn_param_alloc(&c->net.c, k, NULL), 0);
    assert_int_equal(mfr__nn_param_alloc(&c->net.W, nu * k, NULL), 0);
    assert_int_equal(mfr__nn_param_alloc(&c->net.bu, nu, NULL), 0);
    assert_int_equal(mfr__nn_param_alloc(&c->net.bi, ni, NULL), 0);
    mfr__nn_param *ps[5] = {&c->net.V, &c->net.c, &c->net.W, &c->net.bu, &c->net.bi};
    for (int q = 0; q < 5; q++) fill(ps[q]->x, ps[q]->n, 0.5, 10 + (uint64_t)q);
    int64_t ptr[4] = {0, 3, 4, 8};
    int32_t item[3] = {2, 0, 3}, idx[8] = {0, 2, 4, 1, 0, 1, 3, 4};
    memcpy(c->ptr, ptr, sizeof ptr), memcpy(c->item, item, sizeof item), memcpy(c->idx, idx, sizeof idx);
    fill(c->val, 8, 1, 20), fill(c->t, 8, 1, 21);
}

/* The loss of c's current path and its gradient, copied into g[5] (the
 * parameters' g cleared before and after). */
static double ar_grad(ar_case *c, float *g[5]) {
    mfr__nn_param *ps[5] = {&c->net.V, &c->net.c, &c->net.W, &c->net.bu, &c->net.bi};
    for (int q = 0; q < 5; q++) memset(ps[q]->g, 0, sizeof(float) * (size_t)ps[q]->n);
    double l = ar_loss(c);
    for (int q = 0; q < 5; q++) {
        memcpy(g[q], ps[q]->g, sizeof(float) * (size_t)ps[q]->n);
        memset(ps[q]->g, 0, sizeof(float) * (size_t)ps[q]->n);
    }
    return l;
}

/* One I-AutoRec batch (3 movies, 5 users, 4 hidden units, λ 0.3 with
 * per-user penalty weights 1..5, λ_b 0.2, share 0.6): the
 * gradient of every parameter of both layers and the biases against central
 * differences of the loss it returns, in double via the float loss with
 * h = 1e-2 (the loss is smooth; the error is O(h²)). The fast kernels give
 * the same gradient as the scalar ones. */
static void autorec_gradient_finite_differences(void **state) {
    (void)state;
    static ar_case c;
    ar_setup(&c);
    mfr__nn_param *ps[5] = {&c.net.V, &c.net.c, &c.net.W, &c.net.bu, &c.net.bi};
    ar_loss(&c);
    const char *names[5] = {"V", "c", "W", "bu", "bi"};
    float *g[5], *g1[5];
    for (int q = 0; q < 5; q++) {
        g[q] = malloc(sizeof(float) * (size_t)ps[q]->n);
        g1[q] = malloc(sizeof(float) * (size_t)ps[q]->n);
        memcpy(g[q], ps[q]->g, sizeof(float) * (size_t)ps[q]->n);
    }
    for (int q = 0; q < 5; q++) check_fd(names[q], ps[q]->x, ps[q]->n, g[q], ar_loss, &c, 1e-2, 2e-3);
    /* fast kernels: the same loss and gradient as the scalar ones */
    double l0 = ar_grad(&c, g);
    c.ks = &FAST;
    double l1 = ar_grad(&c, g1);
    assert_float_near(l1, l0, 1e-5 * fabs(l0));
    for (int q = 0; q < 5; q++) assert_close(g1[q], g[q], ps[q]->n, 1e-5);
    for (int q = 0; q < 5; q++) mfr__nn_param_free(ps[q]), free(g[q]), free(g1[q]);
}

/* The dense batch (sgemm over the n × n_users input and output, the error
 * masked to the observed entries) against the sparse one on the batch
 * above: the same loss and gradient of every parameter, both through the
 * scalar reference and through OpenBLAS (2 threads), and its gradient
 * against central differences of its own loss. */
static void autorec_dense_matches_sparse(void **state) {
    (void)state;
    static ar_case c;
    ar_setup(&c);
    mfr__nn_param *ps[5] = {&c.net.V, &c.net.c, &c.net.W, &c.net.bu, &c.net.bi};
    float *g0[5], *g1[5];
    for (int q = 0; q < 5; q++) {
        g0[q] = malloc(sizeof(float) * (size_t)ps[q]->n);
        g1[q] = malloc(sizeof(float) * (size_t)ps[q]->n);
    }
    double l0 = ar_grad(&c, g0); /* sparse, scalar reference */
    const mfr__kernels *kss[2] = {&SCALAR, &FAST};
    for (int s = 0; s < 2; s++) {
        c.dense = 1, c.ks = kss[s];
        double l1 = ar_grad(&c, g1);
        assert_float_near(l1, l0, 1e-5 * fabs(l0));
        for (int q = 0; q < 5; q++) assert_close(g1[q], g0[q], ps[q]->n, 1e-5);
        /* the masked output: E is the error at the entries only */
        for (int j = 0; j < 8; j++) assert_true(isfinite(c.E[j]));
    }
    c.dense = 1, c.ks = &FAST;
    ar_grad(&c, g1);
    const char *names[5] = {"V", "c", "W", "bu", "bi"};
    for (int q = 0; q < 5; q++) check_fd(names[q], ps[q]->x, ps[q]->n, g1[q], ar_loss, &c, 1e-2, 2e-3);
    for (int q = 0; q < 5; q++) mfr__nn_param_free(ps[q]), free(g0[q]), free(g1[q]);
}

typedef struct vae_case {
    mfr__vae_net net;
    int64_t ptr[4];
    int32_t idx[9];
    float xin[9], xcnt[9], eps[3 * 2];
    float beta, lam;
    float *ws;
    const mfr__kernels *ks;
} vae_case;

static double vae_loss(void *p) {
    vae_case *c = p;
    return mfr__vae_batch(c->ks, 1, &c->net, 3, c->ptr, c->idx, c->xin, c->xcnt, c->eps, c->beta,
                          c->lam, c->ws);
}

static mfr__nn_param *vae_param(mfr__vae_net *n, int q) {
    mfr__nn_param *ps[8] = {&n->W1, &n->b1, &n->W2, &n->b2, &n->W3, &n->b3, &n->W4, &n->b4};
    return ps[q];
}

/* One Mult-VAE batch (3 users, 7 movies, 6 hidden, 2 latent, fixed ε,
 * β 0.3, λ 0.01): the gradient of each of the eight arrays (the four layers'
 * weights and biases) against central differences; then the same with
 * ε = 0 path (z = μ); the BLAS kernels give the scalar ones' gradients. */
static void vae_gradient_finite_differences(void **state) {
    (void)state;
    static vae_case c;
    memset(&c, 0, sizeof c);
    const int N = 7, H = 6, K = 2;
    c.net.n = N, c.net.h = H, c.net.k = K, c.beta = 0.3f, c.lam = 0.01f, c.ks = &SCALAR;
    int64_t len[8] = {N * H, H, H * 2 * K, 2 * K, K * H, H, H * N, N};
    for (int q = 0; q < 8; q++) {
        assert_int_equal(mfr__nn_param_alloc(vae_param(&c.net, q), len[q], NULL), 0);
        fill(vae_param(&c.net, q)->x, len[q], 0.5, 30 + (uint64_t)q);
    }
    int64_t ptr[4] = {0, 3, 5, 9};
    int32_t idx[9] = {0, 3, 6, 1, 2, 0, 2, 4, 5};
    memcpy(c.ptr, ptr, sizeof ptr), memcpy(c.idx, idx, sizeof idx);
    for (int j = 0; j < 9; j++) c.xcnt[j] = 1.f + (float)(j % 3), c.xin[j] = 0.4f * c.xcnt[j];
    fill(c.eps, 3 * K, 1, 40);
    c.ws = malloc(sizeof(float) * (size_t)mfr__vae_scratch(&c.net, 3));
    const char *names[8] = {"W1", "b1", "W2", "b2", "W3", "b3", "W4", "b4"};
    for (int pass = 0; pass < 2; pass++) {
        for (int q = 0; q < 8; q++) memset(vae_param(&c.net, q)->g, 0, sizeof(float) * (size_t)len[q]);
        if (pass == 1) memset(c.eps, 0, sizeof c.eps);
        vae_loss(&c);
        float *g[8]; /* copied first: every loss evaluation adds into g */
        for (int q = 0; q < 8; q++) {
            g[q] = malloc(sizeof(float) * (size_t)len[q]);
            memcpy(g[q], vae_param(&c.net, q)->g, sizeof(float) * (size_t)len[q]);
        }
        for (int q = 0; q < 8; q++) {
            check_fd(names[q], vae_param(&c.net, q)->x, len[q], g[q], vae_loss, &c, 1e-2, 3e-3);
            free(g[q]);
        }
    }
    /* BLAS path: the same loss and gradients */
    float *g0[8];
    for (int q = 0; q < 8; q++) memset(vae_param(&c.net, q)->g, 0, sizeof(float) * (size_t)len[q]);
    fill(c.eps, 3 * K, 1, 40);
    double l0 = vae_loss(&c);
    for (int q = 0; q < 8; q++) {
        g0[q] = malloc(sizeof(float) * (size_t)len[q]);
        memcpy(g0[q], vae_param(&c.net, q)->g, sizeof(float) * (size_t)len[q]);
        memset(vae_param(&c.net, q)->g, 0, sizeof(float) * (size_t)len[q]);
    }
    c.ks = &FAST;
    double l1 = vae_loss(&c);
    assert_float_near(l1, l0, 1e-5 * fabs(l0));
    for (int q = 0; q < 8; q++) {
        assert_close(vae_param(&c.net, q)->g, g0[q], len[q], 1e-4);
        free(g0[q]);
        mfr__nn_param_free(vae_param(&c.net, q));
    }
    free(c.ws);
}

/* ---- autorec ---------------------------------------------------------------- */

static mfr_train_params small_autorec(void) {
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_AUTOREC);
    p.factors = 16, p.epochs = 40, p.batch = 16, p.lr = 0.003f, p.reg = 0.02f;
    return p;
}

/* On a low-rank matrix the autoencoder predicts held-out ratings better
 * than its own starting point, the regularised baseline. */
static void autorec_beats_baseline(void **state) {
    (void)state;
    lowrank L;
    lowrank_make(&L, 120, 80, 2, 0.4, 0.2, 3);
    mfr_train_params p = small_autorec();
    mfr_model *m = train_ok(&L, &p);
    mfr_train_params pb = mfr_train_params_default(MFR_ALGO_BASELINE);
    pb.reg_bias = p.reg_bias;
    mfr_model *b = train_ok(&L, &pb);
    double ra = rmse_on(m, &L.test), rb = rmse_on(b, &L.test);
    print_message("autorec test RMSE %.4f, baseline %.4f\n", ra, rb);
    assert_true(ra < 0.8 * rb);
    mfr_model_info info;
    mfr_model_info_get(m, &info);
    assert_int_equal(info.factors, 16);
    assert_int_equal(info.epochs_run, 40);
    mfr_model_free(m), mfr_model_free(b);
    lowrank_free(&L);
}

/* Same seed: the same model on 1 and 3 threads (the sparse kernels sum in
 * one order); another seed: another model. */
static void autorec_same_seed_identical(void **state) {
    (void)state;
    lowrank L;
    lowrank_make(&L, 80, 60, 2, 0.4, 0.2, 5);
    mfr_train_params p = small_autorec();
    p.epochs = 5, p.threads = 1;
    mfr_model *a = train_ok(&L, &p);
    p.threads = 3;
    mfr_model *b = train_ok(&L, &p);
    assert_models_identical(a, b);
    p.seed = 7;
    mfr_model *c = train_ok(&L, &p);
    assert_true(memcmp(a->Q, c->Q, sizeof(float) * (size_t)a->n_items * a->k) != 0);
    mfr_model_free(a), mfr_model_free(b), mfr_model_free(c);
    lowrank_free(&L);
}

/* dense = 1 trains the same model as the sparse layers up to float
 * rounding (test predictions within 1e-3 after 40 epochs), the same model
 * again for one seed and thread count, keeps `dense` in the file and
 * predicts the same after save/load. */
static void autorec_dense_trains_as_sparse(void **state) {
    (void)state;
    lowrank L;
    lowrank_make(&L, 120, 80, 2, 0.4, 0.2, 3);
    mfr_train_params p = small_autorec();
    p.threads = 1;
    mfr_model *s = train_ok(&L, &p);
    p.dense = 1;
    mfr_model *d = train_ok(&L, &p);
    mfr_model *d2 = train_ok(&L, &p);
    assert_models_identical(d, d2);
    double most = 0;
    for (int64_t t = 0; t < L.test.n; t++) {
        double e = fabs((double)mfr_model_predict(d, L.test.user[t], L.test.item[t]) -
                        mfr_model_predict(s, L.test.user[t], L.test.item[t]));
        most = e > most ? e : most;
    }
    print_message("dense against sparse: largest test prediction difference %.2g\n", most);
    assert_true(most < 1e-3);
    check_save_load(d, &L.test);
    const char *dir = temp_dir();
    assert_non_null(dir);
    char path[512];
    snprintf(path, sizeof path, "%s/d.mfm", dir);
    mfr_error err;
    mfr_model *l = NULL;
    assert_int_equal(mfr_model_save(d, path, &err), MFR_OK);
    assert_int_equal(mfr_model_load(path, &l, &err), MFR_OK);
    mfr_model_info info;
    mfr_model_info_get(l, &info);
    assert_int_equal(info.params.dense, 1);
    mfr_model_free(l);
    unlink(path), rmdir(dir);
    mfr_model_free(s), mfr_model_free(d), mfr_model_free(d2);
    lowrank_free(&L);
}

/* Save/load keeps every prediction; a new user folds in against the movies'
 * fixed codes (the decoder row by ridge regression, penalty n·reg): given a
 * trained user's ratings, the folded-in predictions of their held-out
 * ratings beat the global mean by far and come near the trained rows'
 * (RMSE 0.243 against 0.661 and 0.237: the decoder's penalty is per rating,
 * as fold-in's). */
static void autorec_save_load_and_fold_in(void **state) {
    (void)state;
    lowrank L;
    lowrank_make(&L, 120, 80, 2, 0.4, 0.2, 3);
    mfr_train_params p = small_autorec();
    mfr_model *m = train_ok(&L, &p);
    check_save_load(m, &L.test);
    assert_int_equal(mfr_model_fold_dim(m), 17);
    double se_f = 0, se_m = 0, se_t = 0;
    int64_t n = 0;
    for (int32_t u = 0; u < 120; u += 3) {
        int32_t nr = 0;
        const int32_t *items = mfr_model_user_items(m, u, &nr);
        float *r = malloc(sizeof(float) * ((size_t)nr + 1));
        int32_t *it = malloc(sizeof(int32_t) * ((size_t)nr + 1));
        for (int32_t j = 0; j < nr; j++) {
            it[j] = items[j];
            for (int64_t t = 0; t < L.train.n; t++)
                if (L.train.user[t] == u && L.train.item[t] == items[j]) r[j] = L.train.rating[t];
        }
        float vec[17];
        mfr_error err;
        assert_int_equal(mfr_model_fold_in(m, it, r, nr, vec, &err), MFR_OK);
        for (int64_t t = 0; t < L.test.n; t++) {
            if (L.test.user[t] != u) continue;
            int32_t i = L.test.item[t];
            double f = m->mu + m->item_bias[i] + vec[0] + mfr__dot(vec + 1, m->Q + (size_t)i * 16, 16);
            double y = L.test.rating[t];
            se_f += (f - y) * (f - y);
            se_m += (m->mu - y) * (m->mu - y);
            double tr = mfr_model_predict(m, u, i) - y;
            se_t += tr * tr;
            n++;
        }
        free(r), free(it);
    }
    double rf = sqrt(se_f / n), rm = sqrt(se_m / n), rt = sqrt(se_t / n);
    print_message("fold-in RMSE %.4f, trained rows %.4f, mean %.4f over %lld ratings\n", rf, rt, rm,
                  (long long)n);
    assert_true(n > 200);
    assert_true(rf < 0.8 * rm);
    assert_true(rf < 1.15 * rt);
    mfr_model_free(m);
    lowrank_free(&L);
}

/* ---- vae --------------------------------------------------------------------- */

enum { G_USERS = 40, G_ITEMS = 40 };

/* Two groups of users, each rating about half of its own block of 40 movies
 * and nothing of the other block. */
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

static mfr_train_params small_vae(void) {
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_VAE);
    p.factors = 8, p.epochs = 60, p.batch = 16, p.rank_min_ratings = 1, p.threads = 2;
    return p;
}

static void assert_same_list(const mfr_scored *a, int32_t na, const mfr_scored *b, int32_t nb) {
    assert_int_equal(na, nb);
    for (int j = 0; j < na; j++) {
        assert_int_equal(a[j].item, b[j].item);
        assert_true(a[j].score == b[j].score);
    }
}

/* Trained users get their own block's unseen movies first; a new user who
 * liked five movies of the second block gets that block; a trained user
 * given as their ratings (the fold-in path) gets exactly their own list. */
static void vae_two_groups_and_new_users(void **state) {
    (void)state;
    mfr_dataset *ds = two_groups();
    mfr_train_params p = small_vae();
    mfr_model *m = NULL;
    mfr_error err;
    mfr_status st = mfr_model_train(ds, NULL, NULL, &p, &m, &err);
    if (st) print_error("%s\n", err.message);
    assert_int_equal(st, MFR_OK);
    assert_int_equal(mfr_model_fold_dim(m), 0);
    mfr_recommend_params rp = mfr_recommend_params_default();
    rp.n = 10, rp.min_ratings = 1;
    mfr_scored out[10], again[10];
    int32_t n = 0, n2 = 0;
    for (int32_t u = 0; u < 2 * G_USERS; u++) {
        assert_int_equal(mfr_model_recommend(m, u, &rp, out, &n, &err), MFR_OK);
        assert_int_equal(n, 10);
        for (int j = 0; j < n; j++) assert_int_equal(out[j].item / G_ITEMS, u / G_USERS);
    }
    int32_t items[5] = {41, 44, 50, 63, 77};
    float ratings[5] = {5, 4.5f, 5, 4, 5};
    assert_int_equal(mfr_model_recommend_vec(m, NULL, items, ratings, 5, &rp, out, &n, &err), MFR_OK);
    assert_int_equal(n, 10);
    for (int j = 0; j < n; j++) {
        assert_int_equal(out[j].item / G_ITEMS, 1);
        for (int q = 0; q < 5; q++) assert_int_not_equal(out[j].item, items[q]);
    }
    /* user 3 as a new user with the same ratings */
    int32_t nr = 0;
    const int32_t *own = mfr_model_user_items(m, 3, &nr);
    int32_t *it = malloc(sizeof(int32_t) * (size_t)nr);
    float *r = malloc(sizeof(float) * (size_t)nr);
    mfr_ratings all;
    mfr_dataset_ratings(ds, &all);
    for (int32_t j = 0; j < nr; j++) {
        it[j] = own[j];
        for (int64_t t = 0; t < all.n; t++)
            if (all.user[t] == 3 && all.item[t] == own[j]) r[j] = all.rating[t];
    }
    assert_int_equal(mfr_model_recommend(m, 3, &rp, out, &n, &err), MFR_OK);
    assert_int_equal(mfr_model_recommend_vec(m, NULL, it, r, nr, &rp, again, &n2, &err), MFR_OK);
    assert_same_list(out, n, again, n2);
    free(it), free(r);
    mfr_model_free(m);
    mfr_dataset_free(ds);
}

static const void *vae_weights(const mfr_model *m, uint64_t *size) {
    return mfr__model_get_extra(m, MFR_TAG('V', 'A', 'E', 'W'), size);
}

/* One seed and thread count: the same weights bit for bit; another seed:
 * other weights. */
static void vae_same_seed_identical(void **state) {
    (void)state;
    mfr_dataset *ds = two_groups();
    mfr_train_params p = small_vae();
    p.epochs = 5;
    mfr_model *a = NULL, *b = NULL, *c = NULL;
    mfr_error err;
    assert_int_equal(mfr_model_train(ds, NULL, NULL, &p, &a, &err), MFR_OK);
    assert_int_equal(mfr_model_train(ds, NULL, NULL, &p, &b, &err), MFR_OK);
    p.seed = 9;
    assert_int_equal(mfr_model_train(ds, NULL, NULL, &p, &c, &err), MFR_OK);
    uint64_t sa = 0, sb = 0, sc = 0;
    const void *wa = vae_weights(a, &sa), *wb = vae_weights(b, &sb), *wc = vae_weights(c, &sc);
    assert_non_null(wa);
    assert_int_equal(sa, sb);
    assert_memory_equal(wa, wb, (size_t)sa);
    assert_int_equal(sa, sc);
    assert_true(memcmp(wa, wc, (size_t)sa) != 0);
    mfr_model_free(a), mfr_model_free(b), mfr_model_free(c);
    mfr_dataset_free(ds);
}

/* A loaded model gives the same lists (trained and new users) and stars; a
 * weights section one float short is refused with its size named. */
static void vae_save_load_same_lists(void **state) {
    (void)state;
    mfr_dataset *ds = two_groups();
    mfr_train_params p = small_vae();
    p.epochs = 10;
    mfr_model *m = NULL, *l = NULL;
    mfr_error err;
    assert_int_equal(mfr_model_train(ds, NULL, NULL, &p, &m, &err), MFR_OK);
    const char *dir = temp_dir();
    assert_non_null(dir);
    char path[512];
    snprintf(path, sizeof path, "%s/vae.mfm", dir);
    assert_int_equal(mfr_model_save(m, path, &err), MFR_OK);
    assert_int_equal(mfr_model_load(path, &l, &err), MFR_OK);
    mfr_recommend_params rp = mfr_recommend_params_default();
    rp.n = 15, rp.min_ratings = 1;
    mfr_scored x[15], y[15];
    int32_t nx = 0, ny = 0;
    for (int32_t u = 0; u < 2 * G_USERS; u += 5) {
        assert_int_equal(mfr_model_recommend(m, u, &rp, x, &nx, &err), MFR_OK);
        assert_int_equal(mfr_model_recommend(l, u, &rp, y, &ny, &err), MFR_OK);
        assert_same_list(x, nx, y, ny);
        for (int j = 0; j < nx; j++) assert_true(x[j].prediction == y[j].prediction);
    }
    int32_t items[3] = {2, 10, 30};
    float ratings[3] = {4.f, 5.f, 3.5f};
    assert_int_equal(mfr_model_recommend_vec(m, NULL, items, ratings, 3, &rp, x, &nx, &err), MFR_OK);
    assert_int_equal(mfr_model_recommend_vec(l, NULL, items, ratings, 3, &rp, y, &ny, &err), MFR_OK);
    assert_same_list(x, nx, y, ny);
    /* the loader's size check */
    for (int s = 0; s < l->n_extra; s++)
        if (l->extra[s].tag == MFR_TAG('V', 'A', 'E', 'W')) l->extra[s].size -= 4;
    assert_int_equal(l->vt->attach(l, &err), MFR_E_FORMAT);
    assert_non_null(strstr(err.message, "VAEW"));
    mfr_model_free(l);
    mfr_model_free(m);
    unlink(path);
    rmdir(dir);
    mfr_dataset_free(ds);
}

/* Bad parameters: a clear MFR_E_INVALID naming the field, never a crash. */
static void nn_bad_params(void **state) {
    (void)state;
    mfr_dataset *ds = two_groups();
    mfr_error err;
    mfr_model *m = NULL;
    mfr_train_params p = small_vae();
    p.factors = 2000;
    assert_int_equal(mfr_model_train(ds, NULL, NULL, &p, &m, &err), MFR_E_INVALID);
    assert_null(m);
    assert_non_null(strstr(err.message, "factors"));
    p = small_vae();
    p.rank_min_ratings = 1000;
    assert_int_equal(mfr_model_train(ds, NULL, NULL, &p, &m, &err), MFR_E_INVALID);
    assert_non_null(strstr(err.message, "rank_min_ratings"));
    p = small_autorec();
    assert_int_equal(mfr_train_params_set(&p, "batch", "0", &err), MFR_E_INVALID);
    assert_non_null(strstr(err.message, "batch"));
    p.lr = 0.f;
    assert_int_equal(mfr_model_train(ds, NULL, NULL, &p, &m, &err), MFR_E_INVALID);
    assert_non_null(strstr(err.message, "lr"));
    p = small_autorec();
    p.lr = 10.f, p.init_std = 50.f;
    mfr_status st = mfr_model_train(ds, NULL, NULL, &p, &m, &err);
    assert_true(st == MFR_OK || st == MFR_E_RANGE);
    mfr_model_free(m);
    assert_int_equal(mfr_train_params_applies(MFR_ALGO_AUTOREC, "batch"), 1);
    assert_int_equal(mfr_train_params_applies(MFR_ALGO_VAE, "rating_power"), 1);
    assert_int_equal(mfr_train_params_applies(MFR_ALGO_AUTOREC, "knn_k"), 0);
    mfr_dataset_free(ds);
}

static void fault_autorec_alloc_failures(void **state) {
    (void)state;
    check_alloc_failures(MFR_ALGO_AUTOREC, 3);
    /* and the dense layers' blocks */
    lowrank L;
    lowrank_make(&L, 30, 20, 2, 0.4, 0.1, 2);
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_AUTOREC);
    p.factors = 3, p.epochs = 2, p.dense = 1;
    check_train_alloc_failures_on(L.ds, &L.train, &p);
    lowrank_free(&L);
}

static void fault_vae_alloc_failures(void **state) {
    (void)state;
    check_alloc_failures(MFR_ALGO_VAE, 3);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nn_gemm_matches_reference),
        cmocka_unit_test(nn_sparse_matches_reference),
        cmocka_unit_test(nn_adam_known_answer),
        cmocka_unit_test(nn_multinomial_gradient),
        cmocka_unit_test(autorec_gradient_finite_differences),
        cmocka_unit_test(autorec_dense_matches_sparse),
        cmocka_unit_test(vae_gradient_finite_differences),
        cmocka_unit_test(autorec_beats_baseline),
        cmocka_unit_test(autorec_same_seed_identical),
        cmocka_unit_test(autorec_save_load_and_fold_in),
        cmocka_unit_test(autorec_dense_trains_as_sparse),
        cmocka_unit_test(vae_two_groups_and_new_users),
        cmocka_unit_test(vae_same_seed_identical),
        cmocka_unit_test(vae_save_load_same_lists),
        cmocka_unit_test(nn_bad_params),
        cmocka_unit_test(fault_autorec_alloc_failures),
        cmocka_unit_test(fault_vae_alloc_failures),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
