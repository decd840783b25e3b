/* bench_recommend.c — the cost of one list: mfr_model_recommend (top 10,
 * default filters) for every user of a model, repeated, single-threaded,
 * wall and CPU time per call; then mfr_model_recommend_batch for all users
 * on the given threads; and the new-user path (mfr_model_recommend_vec with
 * a fold-in of 20 ratings) per call.
 *
 * usage: bench_recommend MODEL.mfm [threads (2)] [rounds (5)] */
#include "mfrec.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(clockid_t c) {
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: bench_recommend MODEL.mfm [threads] [rounds]\n");
        return 2;
    }
    int threads = argc > 2 ? atoi(argv[2]) : 2, rounds = argc > 3 ? atoi(argv[3]) : 5;
    mfr_error err;
    mfr_model *m;
    if (mfr_model_load(argv[1], &m, &err)) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    int32_t nu = mfr_model_n_users(m);
    mfr_recommend_params rp = mfr_recommend_params_default();
    mfr_scored out[10];
    int32_t n;
    double w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID);
    for (int r = 0; r < rounds; r++)
        for (int32_t u = 0; u < nu; u++) mfr_model_recommend(m, u, &rp, out, &n, NULL);
    double calls = (double)rounds * nu;
    double wall = now(CLOCK_MONOTONIC) - w0, cpu = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
    printf("recommend (one thread): %.0f calls, %.3f ms wall / %.3f ms CPU a call, %.0f calls/s\n",
           calls, 1e3 * wall / calls, 1e3 * cpu / calls, calls / wall);

    mfr_scored *all = malloc(sizeof *all * (size_t)nu * 10);
    int32_t *cnt = malloc(sizeof *cnt * (size_t)nu);
    w0 = now(CLOCK_MONOTONIC);
    for (int r = 0; r < rounds; r++) mfr_model_recommend_batch(m, NULL, nu, &rp, threads, all, cnt, NULL);
    wall = (now(CLOCK_MONOTONIC) - w0) / rounds;
    printf("recommend_batch, %d users, %d threads: %.3f s\n", (int)nu, threads, wall);

    int32_t dim = mfr_model_fold_dim(m), items[20];
    float ratings[20], *vec = calloc((size_t)dim + 1, sizeof *vec);
    for (int j = 0; j < 20; j++) items[j] = j * 7 % mfr_model_n_items(m), ratings[j] = 3.0f + (float)(j % 5) * 0.5f;
    int reps = 2000;
    w0 = now(CLOCK_MONOTONIC);
    for (int r = 0; r < reps; r++) {
        if (dim) mfr_model_fold_in(m, items, ratings, 20, vec, NULL);
        mfr_model_recommend_vec(m, dim ? vec : NULL, items, ratings, 20, &rp, out, &n, NULL);
    }
    wall = now(CLOCK_MONOTONIC) - w0;
    printf("new user (20 ratings, fold-in + list): %.3f ms a call\n", 1e3 * wall / reps);
    free(all);
    free(cnt);
    free(vec);
    mfr_model_free(m);
    return 0;
}
