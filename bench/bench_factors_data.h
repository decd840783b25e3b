/* bench_factors_data.h — the synthetic rating matrix the ALS / iALS
 * benchmarks time on: MovieLens-20M-shaped (138,493 users, 26,744 items,
 * 20,000,263 ratings by default), user activity heavy-tailed (20 + a
 * Pareto-like tail), item popularity skewed (index = n_items·u³ for uniform
 * u), ratings uniform on the half-star scale. Generated in memory from a
 * fixed seed and handed over as both CSR views; no files. */
#ifndef MFR_BENCH_FACTORS_DATA_H
#define MFR_BENCH_FACTORS_DATA_H

#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include "core/core.h"
#include "algo/factor_util.h"

static int bench_make_data(int32_t nu, int32_t ni, int64_t target, mfr__csr *bu, mfr__csr *bi) {
    mfr__rng rng;
    mfr__rng_seed(&rng, 2024);
    int32_t *cnt = malloc(sizeof(int32_t) * (size_t)nu);
    int64_t n = 0;
    double mean_extra = (double)target / nu - 20.0;
    for (int32_t u = 0; u < nu; u++) { /* 20 + exponential-ish tail */
        double x = -log(1.0 - mfr__rng_uniform(&rng)) * mean_extra;
        cnt[u] = 20 + (int32_t)x;
        if (cnt[u] > ni / 2) cnt[u] = ni / 2;
        n += cnt[u];
    }
    int32_t *user = malloc(sizeof(int32_t) * (size_t)n), *item = malloc(sizeof(int32_t) * (size_t)n);
    float *rating = malloc(sizeof(float) * (size_t)n);
    if (!user || !item || !rating) return -1;
    int64_t j = 0;
    for (int32_t u = 0; u < nu; u++)
        for (int32_t c = 0; c < cnt[u]; c++, j++) {
            double v = mfr__rng_uniform(&rng);
            user[j] = u;
            item[j] = (int32_t)(ni * v * v * v);
            rating[j] = 0.5f * (float)(1 + mfr__rng_below(&rng, 10));
        }
    mfr_ratings r = {n, nu, ni, user, item, rating, NULL};
    mfr_error err;
    int rc = mfr__csr_rows(&r, nu, ni, 0, bu, &err) || mfr__csr_rows(&r, nu, ni, 1, bi, &err);
    if (rc) fprintf(stderr, "bench data: %s\n", err.message);
    free(cnt), free(user), free(item), free(rating);
    return rc ? -1 : 0;
}

#endif
