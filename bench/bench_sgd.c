/* bench_sgd.c — speed, memory and accuracy of the SGD trainer (src/algo/sgd.c).
 *
 *   bench_sgd synth [users=160000 items=60000 ratings=20000000 k=64 threads=2
 *                    epochs=3 seed=1 half_rows=0 avx512=1]
 *       Builds a MovieLens-shaped synthetic set in memory (Zipf-like movie
 *       popularity, heavy-tailed user activity, rank-10 truth + noise, half
 *       stars 0.5..5, no timestamps), trains it through mfr_model_train and
 *       prints rating-updates/s per epoch and the peak RSS (getrusage). The
 *       rating arrays are handed to the dataset without a copy, so the peak is
 *       what training this data costs: dataset 12 B/rating, the model's seen
 *       lists 4 B/rating, SGD's blocked copy 4 B/rating, and the factors.
 *       avx512=0 keeps the AVX2 kernel where the CPU has AVX-512 (the same
 *       model bit for bit; for A/B runs in one binary).
 *
 *   bench_sgd kernel [users=4000 items=1500 ratings=1000000 k=64]
 *       One block's rows and random ratings, each kernel (scalar, AVX2,
 *       AVX-512 where the CPU has it; float and half rows) over three orders
 *       of the same ratings on one thread, per CPU-second.
 *
 *   bench_sgd movielens DIR [seeds=3] [name=value ...]
 *       Imports DIR (ml-latest-small), and for seeds 1..n splits it 80/20 at
 *       random, trains with mfr_train_params_default(MFR_ALGO_SGD) changed by
 *       the name=value pairs (any mfr_train_params_set field) and prints the
 *       test RMSE per seed, their mean, and the training time.
 *
 * Results and how they were taken: docs/perf/sgd.md. */
#include "algo/sgd_kernel.h"
#include "core/core.h"
#include "data/dataset_impl.h"
#include "mfrec.h"
#include "model/family.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/* CPU seconds this thread / this process has run: on a shared, loaded
 * machine wall time mostly measures the neighbours. */
static double cpu_s(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double peak_rss_mb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

static long long arg_ll(int argc, char **argv, const char *name, long long dflt) {
    size_t n = strlen(name);
    for (int a = 0; a < argc; a++)
        if (!strncmp(argv[a], name, n) && argv[a][n] == '=') return atoll(argv[a] + n + 1);
    return dflt;
}

/* ---- synthetic data ---------------------------------------------------- */

/* Cumulative weights (j + 1)^-s over n entries, normalised to 1. */
static double *power_cdf(int32_t n, double s) {
    double *c = malloc((size_t)n * sizeof *c), t = 0;
    if (!c) return NULL;
    for (int32_t j = 0; j < n; j++) c[j] = (t += pow(j + 1.0, -s));
    for (int32_t j = 0; j < n; j++) c[j] /= t;
    return c;
}

static int32_t draw(const double *cdf, int32_t n, double x) {
    int32_t lo = 0, hi = n - 1;
    while (lo < hi) {
        int32_t mid = (lo + hi) / 2;
        if (cdf[mid] < x) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

enum { RANK = 10 };

static mfr_dataset *synth(int32_t nu, int32_t ni, int64_t n, uint64_t seed) {
    mfr__rng rng;
    mfr__rng_seed(&rng, seed);
    double *cu = power_cdf(nu, 0.6), *ci = power_cdf(ni, 0.9);
    float *a = malloc((size_t)nu * RANK * sizeof *a), *c = malloc((size_t)ni * RANK * sizeof *c);
    mfr_dataset *ds = NULL;
    mfr_error err = {0};
    int32_t zero = 0;
    float zf = 0;
    if (!cu || !ci || !a || !c || mfr__dataset_from_arrays(nu, ni, 0, &zero, &zero, &zf, NULL, &ds, &err))
        return NULL;
    for (int64_t j = 0; j < (int64_t)nu * RANK; j++) a[j] = (float)(0.35 * mfr__rng_normal(&rng));
    for (int64_t j = 0; j < (int64_t)ni * RANK; j++) c[j] = (float)(0.35 * mfr__rng_normal(&rng));
    mfr__free(ds->user);
    mfr__free(ds->item);
    mfr__free(ds->rating);
    ds->user = mfr__malloc((size_t)n * sizeof *ds->user);
    ds->item = mfr__malloc((size_t)n * sizeof *ds->item);
    ds->rating = mfr__malloc((size_t)n * sizeof *ds->rating);
    if (!ds->user || !ds->item || !ds->rating) return NULL;
    for (int64_t j = 0; j < n; j++) {
        /* user ids scattered so activity is not sorted by index */
        int32_t u = (int32_t)(((int64_t)draw(cu, nu, mfr__rng_uniform(&rng)) * 7919) % nu);
        int32_t i = draw(ci, ni, mfr__rng_uniform(&rng));
        double x = 3.5 + 0.3 * mfr__rng_normal(&rng);
        for (int f = 0; f < RANK; f++) x += a[(size_t)u * RANK + f] * c[(size_t)i * RANK + f];
        x = round(x * 2.0) / 2.0;
        ds->user[j] = u;
        ds->item[j] = i;
        ds->rating[j] = (float)(x < 0.5 ? 0.5 : x > 5.0 ? 5.0 : x);
    }
    ds->n_ratings = n;
    free(cu);
    free(ci);
    free(a);
    free(c);
    return ds;
}

typedef struct epoch_clock {
    int64_t n;
    double last, cpu_last;
} epoch_clock;

static int report_epoch(const mfr_progress *p, void *user) {
    epoch_clock *c = user;
    double dt = p->elapsed_s - c->last, cpu = cpu_s(CLOCK_PROCESS_CPUTIME_ID);
    double dc = cpu - c->cpu_last;
    c->last = p->elapsed_s;
    c->cpu_last = cpu;
    printf("epoch %d: %.3f s, %.1f M updates/s (%.1f M per CPU-second), running train RMSE %.4f, "
           "peak RSS %.0f MB\n",
           (int)p->step, dt, (double)c->n / dt / 1e6, (double)c->n / dc / 1e6, p->train_rmse,
           peak_rss_mb());
    fflush(stdout);
    return 0;
}

static void print_log(int level, const char *msg, void *user) {
    (void)level;
    (void)user;
    printf("log: %s\n", msg);
}

static int bench_synth(int argc, char **argv) {
    mfr_set_log(print_log, NULL);
    int32_t nu = (int32_t)arg_ll(argc, argv, "users", 160000);
    int32_t ni = (int32_t)arg_ll(argc, argv, "items", 60000);
    int64_t n = arg_ll(argc, argv, "ratings", 20000000);
    double t0 = mfr__now();
    mfr_dataset *ds = synth(nu, ni, n, (uint64_t)arg_ll(argc, argv, "seed", 1));
    if (!ds) {
        fprintf(stderr, "bench_sgd: out of memory building the data\n");
        return 1;
    }
    printf("synthetic: %d users, %d items, %lld ratings in %.1f s, peak RSS %.0f MB\n", nu, ni,
           (long long)n, mfr__now() - t0, peak_rss_mb());
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_SGD);
    p.factors = (int32_t)arg_ll(argc, argv, "k", 64);
    p.threads = (int32_t)arg_ll(argc, argv, "threads", 2);
    p.epochs = (int32_t)arg_ll(argc, argv, "epochs", 3);
    p.lr = 0.005f;
    p.lr_decay = 1.f;
    epoch_clock clk = {n, 0, 0};
    p.progress = report_epoch;
    p.progress_user = &clk;
    mfr_model *m = NULL;
    mfr_error err = {0};
    t0 = mfr__now();
    clk.cpu_last = cpu_s(CLOCK_PROCESS_CPUTIME_ID); /* epoch 1's CPU figure includes setup */
    mfr__kernels kern = MFR__KERNELS_DEFAULT;
    kern.sgd_half_rows = (int)arg_ll(argc, argv, "half_rows", 0);
    kern.no_avx512 = !arg_ll(argc, argv, "avx512", 1);
    mfr_status st = mfr__model_train_with(ds, NULL, NULL, &p, &kern, &m, &err);
    if (st) {
        fprintf(stderr, "bench_sgd: %s\n", err.message);
        mfr_dataset_free(ds);
        return 1;
    }
    mfr_model_info info;
    mfr_model_info_get(m, &info);
    printf("k=%d threads=%d: train call %.1f s (fit %.1f s), train RMSE %.4f, peak RSS %.0f MB\n",
           p.factors, p.threads, mfr__now() - t0, info.fit_seconds, info.train_rmse, peak_rss_mb());
    mfr_model_free(m);
    mfr_dataset_free(ds);
    return 0;
}

/* ---- the inner loop alone -------------------------------------------------
 * One block of users x items rows (k floats each) and n random ratings,
 * several passes of each kernel on one thread: the compute ceiling, free of
 * scheduling, for comparison with the per-epoch figures. */
static int bench_kernel(int argc, char **argv) {
    int32_t nu = (int32_t)arg_ll(argc, argv, "users", 4000), ni = (int32_t)arg_ll(argc, argv, "items", 1500);
    int32_t k = (int32_t)arg_ll(argc, argv, "k", 64);
    int64_t n = arg_ll(argc, argv, "ratings", 1000000);
    if (nu > 4096 || ni > 4096) return 2;
    uint32_t *rec = mfr__aligned_alloc((size_t)n * 4);
    float *P = mfr__aligned_alloc((size_t)nu * k * 4), *Q = mfr__aligned_alloc((size_t)ni * k * 4);
    float *bu = mfr__aligned_alloc((size_t)nu * 4), *bi = mfr__aligned_alloc((size_t)ni * 4);
    static const float rtab[4] = {1.f, 2.5f, 4.f, 5.f};
    if (!rec || !P || !Q || !bu || !bi) return 1;
    mfr__rng rng;
    mfr__rng_seed(&rng, 1);
    for (int64_t j = 0; j < n; j++)
        rec[j] = (uint32_t)mfr__rng_below(&rng, (uint64_t)nu) |
                 (uint32_t)mfr__rng_below(&rng, (uint64_t)ni) << 12 | (uint32_t)mfr__rng_below(&rng, 4) << 24;
    for (int64_t j = 0; j < (int64_t)nu * k; j++) P[j] = (float)(0.1 * mfr__rng_normal(&rng));
    for (int64_t j = 0; j < (int64_t)ni * k; j++) Q[j] = (float)(0.1 * mfr__rng_normal(&rng));
    mfr__sgd_hyper h = {3.5f, 0.005f, 0.05f, 0.01f, k};
    /* three orders of the same ratings: random, grouped by user, and grouped
     * with 4 user runs interleaved (what sgd.c stores) */
    uint32_t *grp = mfr__aligned_alloc((size_t)n * 4), *ilv = mfr__aligned_alloc((size_t)n * 4);
    int64_t *cnt = mfr__calloc((size_t)nu + 1, sizeof *cnt);
    if (!grp || !ilv || !cnt) return 1;
    for (int64_t j = 0; j < n; j++) cnt[(rec[j] & 0xfff) + 1]++;
    for (int32_t u = 0; u < nu; u++) cnt[u + 1] += cnt[u];
    for (int64_t j = 0; j < n; j++) grp[cnt[rec[j] & 0xfff]++] = rec[j];
    int64_t len = (n + 3) / 4, o = 0;
    for (int64_t j = 0; j < len; j++)
        for (int64_t q = j; q < n; q += len) ilv[o++] = grp[q];
    const char *names[3] = {"random", "by-user", "interleaved"};
    uint32_t *orders[3] = {rec, grp, ilv};
    /* the same rows in half precision (sgd.c's default layout) */
    uint16_t *Ph = mfr__aligned_alloc((size_t)nu * k * 2), *Qh = mfr__aligned_alloc((size_t)ni * k * 2);
    if (!Ph || !Qh) return 1;
    for (int64_t j = 0; j < (int64_t)nu * k; j++) Ph[j] = mfr__float_to_half(P[j]);
    for (int64_t j = 0; j < (int64_t)ni * k; j++) Qh[j] = mfr__float_to_half(Q[j]);
    mfr__sgd_kernel_fn fns[5] = {mfr__sgd_block_scalar, mfr__sgd_block_avx2, mfr__sgd_block_scalar,
                                 mfr__sgd_block_avx2, mfr__sgd_block_avx512};
    static const char *const kname[5] = {"scalar", "avx2  ", "scalar-half", "avx2-half  ", "avx512"};
    for (int pass = 0; pass < 3; pass++)
        for (int v = 0; v < 5; v++) {
            if ((v == 1 || v == 3) && !mfr__cpu_avx2()) continue;
            if (v == 4 && !mfr__cpu_avx512()) continue;
            for (int ord = 0; ord < 3; ord++) {
                int half = v == 2 || v == 3;
                mfr__sgd_block b = {orders[ord], NULL, rtab, n, 0xfff, 12, 0xfff, 24, P, Q, bu, bi,
                                    half ? Ph : NULL, half ? Qh : NULL};
                double t0 = mfr__now(), c0 = cpu_s(CLOCK_THREAD_CPUTIME_ID);
                fns[v](&b, &h);
                double dt = mfr__now() - t0, dc = cpu_s(CLOCK_THREAD_CPUTIME_ID) - c0;
                printf("%s %-11s k=%d block %dx%d: %5.1f M updates/s wall, %5.1f M per CPU-second\n",
                       kname[v], names[ord], k, nu, ni, (double)n / dt / 1e6,
                       (double)n / dc / 1e6);
            }
        }
    mfr__free(Ph);
    mfr__free(Qh);
    mfr__free(grp);
    mfr__free(ilv);
    mfr__free(cnt);
    mfr__free(rec);
    mfr__free(P);
    mfr__free(Q);
    mfr__free(bu);
    mfr__free(bi);
    return 0;
}

/* ---- ml-latest-small accuracy ------------------------------------------- */

static mfr__kernels bench_kern; /* movielens: half_rows=1 trains on half-precision rows */

static double split_train_rmse(const mfr_dataset *ds, const mfr_train_params *p, uint64_t seed,
                               double *secs) {
    mfr_ratings all, tr, te;
    mfr_dataset_ratings(ds, &all);
    int32_t *u = malloc((size_t)all.n * 2 * sizeof *u), *i = malloc((size_t)all.n * 2 * sizeof *i);
    float *x = malloc((size_t)all.n * 2 * sizeof *x);
    if (!u || !i || !x) return NAN;
    tr = (mfr_ratings){0, all.n_users, all.n_items, u, i, x, NULL};
    te = (mfr_ratings){0, all.n_users, all.n_items, u + all.n, i + all.n, x + all.n, NULL};
    mfr__rng rng;
    mfr__rng_seed(&rng, seed);
    for (int64_t j = 0; j < all.n; j++) {
        mfr_ratings *d = mfr__rng_uniform(&rng) < 0.2 ? &te : &tr;
        ((int32_t *)d->user)[d->n] = all.user[j];
        ((int32_t *)d->item)[d->n] = all.item[j];
        ((float *)d->rating)[d->n] = all.rating[j];
        d->n++;
    }
    mfr_model *m = NULL;
    mfr_error err = {0};
    double t0 = mfr__now(), c0 = cpu_s(CLOCK_PROCESS_CPUTIME_ID), se = 0;
    if (mfr__model_train_with(ds, &tr, NULL, p, &bench_kern, &m, &err)) {
        fprintf(stderr, "bench_sgd: %s\n", err.message);
        return NAN;
    }
    secs[0] = mfr__now() - t0;
    secs[1] = cpu_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
    for (int64_t j = 0; j < te.n; j++) {
        double e = mfr_model_predict(m, te.user[j], te.item[j]) - te.rating[j];
        se += e * e;
    }
    mfr_model_free(m);
    free(u);
    free(i);
    free(x);
    return sqrt(se / (double)te.n);
}

static int bench_movielens(int argc, char **argv) {
    bench_kern = MFR__KERNELS_DEFAULT;
    bench_kern.sgd_half_rows = (int)arg_ll(argc, argv, "half_rows", 0);
    mfr_dataset *ds = NULL;
    mfr_error err = {0};
    if (mfr_dataset_import(argv[0], NULL, &ds, &err)) {
        fprintf(stderr, "bench_sgd: %s\n", err.message);
        return 1;
    }
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_SGD);
    int seeds = (int)arg_ll(argc, argv, "seeds", 3);
    for (int a = 1; a < argc; a++) {
        char name[64];
        const char *eq = strchr(argv[a], '=');
        if (!eq || eq - argv[a] >= (long)sizeof name || !strncmp(argv[a], "seeds=", 6) ||
            !strncmp(argv[a], "half_rows=", 10))
            continue;
        memcpy(name, argv[a], (size_t)(eq - argv[a]));
        name[eq - argv[a]] = 0;
        if (mfr_train_params_set(&p, name, eq + 1, &err)) {
            fprintf(stderr, "bench_sgd: %s\n", err.message);
            return 2;
        }
    }
    char buf[2048];
    mfr_train_params_format(&p, buf, sizeof buf);
    for (char *s = buf; *s; s++)
        if (*s == '\n') *s = ' ';
    printf("params: %s\n", buf);
    double sum = 0, tsum = 0, csum = 0;
    for (int s = 1; s <= seeds; s++) {
        double secs[2] = {0, 0}, r = split_train_rmse(ds, &p, (uint64_t)s, secs);
        printf("split seed %d: test RMSE %.4f, train %.2f s wall, %.2f CPU-s\n", s, r, secs[0], secs[1]);
        sum += r;
        tsum += secs[0];
        csum += secs[1];
    }
    printf("mean test RMSE %.4f over %d seeds, mean train %.2f s wall, %.2f CPU-s\n", sum / seeds,
           seeds, tsum / seeds, csum / seeds);
    mfr_dataset_free(ds);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "kernel")) return bench_kernel(argc - 2, argv + 2);
    if (argc >= 2 && !strcmp(argv[1], "synth")) return bench_synth(argc - 2, argv + 2);
    if (argc >= 3 && !strcmp(argv[1], "movielens")) return bench_movielens(argc - 2, argv + 2);
    fprintf(stderr, "usage: bench_sgd synth [users= items= ratings= k= threads= epochs= seed=]\n"
                    "       bench_sgd kernel [users= items= ratings= k=]\n"
                    "       bench_sgd movielens DIR [seeds=3] [param=value ...]\n");
    return 2;
}
