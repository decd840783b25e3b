/* bench_ials.c — implicit ALS: (1) two iterations (users then items) at the
 * ials defaults (with the overrides below) on the 20M-rating synthetic matrix of
 * bench_factors_data.h, wall and CPU time; (2) top-10 quality on
 * ml-latest-small with a per-user holdout (5 random ratings of every user
 * with >= 10 go to test; every held-out movie counts as relevant, and again
 * with only those rated >= 4): precision@10 and NDCG@10 of ials, sgd and a
 * most-popular baseline, all excluding each user's training movies.
 *
 * usage: bench_ials [threads (2)] [ratings (20000263; 0 skips part 1)]
 *                   [ml-latest-small dir (MFR_DATA_DIR or ../shared/...)]
 *                   [name value ... : overrides of the ials parameters]
 * MFR_IALS_SCALAR=1 in the environment runs the scalar reference kernels
 * (the code before the AVX2 ones; kernel switch scalar, core/simd.h) for a
 * before/after comparison; MFR_IALS_NO_AVX512=1 the AVX2 forms where the
 * CPU also has the AVX-512 ones (the same floats; switch no_avx512). */
#include "bench_factors_data.h"
#include "mfrec.h"

#include <math.h>
#include <string.h>
#include <time.h>

static mfr__kernels kern = MFR__KERNELS_DEFAULT; /* from MFR_IALS_SCALAR in main */

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}


static int n_over;
static char **over; /* "name value" pairs applied to the ials params */

/* The ials defaults with the command line's overrides. */
static mfr_train_params ials_params(int threads) {
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_IALS);
    p.threads = threads;
    mfr_error err;
    for (int o = 0; o + 1 < n_over; o += 2)
        if (mfr_train_params_set(&p, over[o], over[o + 1], &err)) printf("%s\n", err.message);
    return p;
}

static void weights(mfr__csr *c, float power) { /* as ials.c: (r / 5)^power */
    for (int64_t e = 0; e < c->nnz; e++) c->val[e] = power == 0.f ? 1.f : powf(c->val[e] / 5.f, power);
}

static void time_iteration(int threads, int64_t target) {
    const mfr_train_params p = ials_params(threads);
    const int32_t k = p.factors, nu = (int32_t)(138493.0 * target / 20000263.0), ni = 26744;
    double t0 = mfr__now();
    mfr__csr bu, bi;
    if (bench_make_data(nu, ni, target, &bu, &bi)) return;
    weights(&bu, p.rating_power), weights(&bi, p.rating_power);
    printf("data: %d users, %d items, %lld ratings, built in %.2f s\n", nu, ni, (long long)bu.nnz,
           mfr__now() - t0);
    float *P = mfr__aligned_alloc(sizeof(float) * (size_t)nu * k), *Q = mfr__aligned_alloc(sizeof(float) * (size_t)ni * k);
    mfr__fill_normal(P, (int64_t)nu * k, p.init_std, 1, 1);
    mfr__fill_normal(Q, (int64_t)ni * k, p.init_std, 1, 2);
    mfr_error err;
    for (int it = 1; it <= 2; it++) {
        double a = mfr__now(), ca = cpu_now();
        mfr__ials_solve_side(&bu, Q, ni, k, p.reg, p.alpha, p.unobserved, p.reg_exp, p.cg_steps,
                             P, threads, &kern, &err);
        double b = mfr__now();
        mfr__ials_solve_side(&bi, P, nu, k, p.reg, p.alpha, p.unobserved, p.reg_exp, p.cg_steps,
                             Q, threads, &kern, &err);
        double c = mfr__now(), cc = cpu_now();
        printf("ials iteration %d: k=%d cg=%d threads=%d wall: users %.2f s + items %.2f s = %.2f s; "
               "cpu %.2f s (cpu/threads %.2f s)\n", it, k, p.cg_steps, threads, b - a, c - b, c - a,
               cc - ca, (cc - ca) / threads);
    }
    mfr__csr_free(&bu), mfr__csr_free(&bi);
    mfr__free(P), mfr__free(Q);
}

/* Most popular (training count) top-10 for every test user with a relevant item. */
static void popular(const mfr_model *m, const mfr_ratings *test, float thr, double *prec, double *ndcg) {
    int32_t ni = mfr_model_n_items(m), nu = mfr_model_n_users(m);
    float *score = malloc(sizeof(float) * (size_t)ni);
    uint8_t *skip = calloc((size_t)ni, 1);
    int32_t *rel = malloc(sizeof(int32_t) * (size_t)ni), top[10];
    for (int32_t i = 0; i < ni; i++) score[i] = (float)mfr_model_item_count(m, i);
    double sp = 0, sn = 0;
    int64_t users = 0;
    for (int32_t u = 0; u < nu; u++) {
        int32_t nr = 0, ns;
        for (int64_t j = 0; j < test->n; j++)
            if (test->user[j] == u && test->rating[j] >= thr) rel[nr++] = test->item[j];
        if (nr == 0) continue;
        const int32_t *seen = mfr_model_user_items(m, u, &ns);
        if (ns == 0) continue;
        for (int32_t s = 0; s < ns; s++) skip[seen[s]] = 1;
        int32_t nt = mfr_rank_top_k(score, ni, skip, 10, top);
        for (int32_t s = 0; s < ns; s++) skip[seen[s]] = 0;
        mfr_rank_user metr;
        mfr_rank_user_metrics(top, nt, rel, nr, 10, 0, &metr);
        sp += metr.precision, sn += metr.ndcg, users++;
    }
    *prec = sp / (double)users, *ndcg = sn / (double)users;
    free(score), free(skip), free(rel);
}

static int quality(const char *dir, int threads) {
    mfr_dataset *ds = NULL;
    mfr_error err;
    mfr_import_params ip = mfr_import_params_default();
    if (mfr_dataset_import(dir, &ip, &ds, &err)) {
        printf("quality: skipped (%s)\n", err.message);
        return 0;
    }
    mfr_ratings all, tr, te;
    mfr_dataset_ratings(ds, &all);
    int32_t *fold = malloc(sizeof(int32_t) * (size_t)all.n), nf;
    mfr_split_params sp = mfr_split_params_default();
    sp.kind = MFR_SPLIT_LEAVE_OUT, sp.leave_out = 5, sp.min_user_ratings = 10, sp.seed = 42;
    if (mfr_split_assign(&all, &sp, fold, &nf, &err) || mfr_ratings_select(&all, fold, 1, 0, &tr, &err) ||
        mfr_ratings_select(&all, fold, 1, 1, &te, &err)) {
        printf("quality: split failed: %s\n", err.message);
        return 1;
    }
    printf("ml-latest-small per-user holdout: %lld train, %lld test ratings\n", (long long)tr.n, (long long)te.n);
    mfr_algo algos[2] = {MFR_ALGO_IALS, MFR_ALGO_SGD};
    mfr_model *ref = NULL;
    for (int a = 0; a < 2; a++) {
        mfr_train_params p = mfr_train_params_default(algos[a]);
        p.threads = threads;
        if (algos[a] == MFR_ALGO_IALS) p = ials_params(threads);
        mfr_model *m = NULL;
        double t0 = mfr__now();
        if (mfr_model_train(ds, &tr, NULL, &p, &m, &err)) {
            printf("%s: %s\n", mfr_algo_name(algos[a]), err.message);
            continue;
        }
        double fit = mfr__now() - t0;
        for (int t = 0; t < 2; t++) {
            mfr_ranking_params rp = mfr_ranking_params_default();
            rp.k = 10, rp.threshold = t ? 4.0f : 0.0f, rp.threads = threads;
            mfr_ranking rk;
            if (mfr_eval_ranking(m, &te, &rp, &rk, &err)) printf("ranking: %s\n", err.message);
            else
                printf("%-8s relevant=%s P@10 %.4f NDCG@10 %.4f (users %lld, fit %.2f s)\n",
                       mfr_algo_name(algos[a]), t ? ">=4  " : "all  ", rk.precision, rk.ndcg,
                       (long long)rk.users_ranked, fit);
        }
        if (!ref) ref = m;
        else mfr_model_free(m);
    }
    for (int t = 0; ref && t < 2; t++) {
        double pr, nd;
        popular(ref, &te, t ? 4.0f : 0.0f, &pr, &nd);
        printf("%-8s relevant=%s P@10 %.4f NDCG@10 %.4f\n", "popular", t ? ">=4  " : "all  ", pr, nd);
    }
    mfr_model_free(ref);
    mfr_ratings_free(&tr), mfr_ratings_free(&te);
    free(fold);
    mfr_dataset_free(ds);
    return 0;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 2;
    const char *sc = getenv("MFR_IALS_SCALAR");
    if (sc && *sc == '1') kern.scalar = 1;
    const char *n5 = getenv("MFR_IALS_NO_AVX512");
    if (n5 && *n5 == '1') kern.no_avx512 = 1;
    printf("ials kernels: %s\n", kern.scalar      ? "scalar reference"
                                 : kern.no_avx512 ? "AVX2+FMA when k % 8 == 0"
                                                  : "auto (AVX-512 when k % 16 == 0, AVX2+FMA when k % 8 == 0)");
    int64_t target = argc > 2 ? atoll(argv[2]) : 20000263;
    const char *dir = argc > 3 ? argv[3] : getenv("MFR_DATA_DIR");
    if (!dir || !*dir) dir = "../shared/datasets/ml-latest-small";
    if (argc > 4) n_over = argc - 4, over = argv + 4;
    if (target > 0) time_iteration(threads, target);
    return quality(dir, threads);
}
