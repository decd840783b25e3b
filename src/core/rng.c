/* rng.c — xoshiro256** (Blackman & Vigna, 2018) seeded through splitmix64.
 * Fast, 256 bits of state, and identical on every platform, so the same seed
 * gives the same model everywhere. Normal deviates by the polar Box–Muller
 * method (no cached second value, so a stream's position depends only on the
 * number of calls). */
#include "core.h"

#include <math.h>
#include <time.h>

static uint64_t splitmix64(uint64_t *x) { return mfr__mix64(*x += 0x9E3779B97F4A7C15ull); }

void mfr__rng_seed(mfr__rng *r, uint64_t seed) {
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
}

void mfr__rng_seed_stream(mfr__rng *r, uint64_t seed, uint64_t stream) {
    uint64_t x = seed ^ 0x6A09E667F3BCC909ull;
    uint64_t a = splitmix64(&x);
    x = stream + a;
    mfr__rng_seed(r, splitmix64(&x) ^ seed);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t mfr__rng_next(mfr__rng *r) {
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double mfr__rng_uniform(mfr__rng *r) { return (double)(mfr__rng_next(r) >> 11) * 0x1.0p-53; }

uint64_t mfr__rng_below(mfr__rng *r, uint64_t n) {
    if (n <= 1) return 0;
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = mfr__rng_next(r); while (x >= limit);
    return x % n;
}

#define SHUFFLE(a, n, r)                                                                           \
    for (int64_t j = (n) - 1; j > 0; j--) {                                                        \
        int64_t s = (int64_t)mfr__rng_below(r, (uint64_t)j + 1);                                   \
        __typeof__(*(a)) t = (a)[j];                                                               \
        (a)[j] = (a)[s], (a)[s] = t;                                                               \
    }

void mfr__shuffle_i32(mfr__rng *r, int32_t *a, int64_t n) { SHUFFLE(a, n, r) }
void mfr__shuffle_i64(mfr__rng *r, int64_t *a, int64_t n) { SHUFFLE(a, n, r) }

double mfr__rng_normal(mfr__rng *r) {
    double u, v, s;
    do {
        u = 2.0 * mfr__rng_uniform(r) - 1.0;
        v = 2.0 * mfr__rng_uniform(r) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    return u * sqrt(-2.0 * log(s) / s);
}

/* Marsaglia & Tsang 2000; shape < 1 by the boost Gamma(a) = Gamma(a+1)·U^(1/a). */
double mfr__rng_gamma(mfr__rng *r, double shape) {
    if (shape < 1.0) return mfr__rng_gamma(r, shape + 1.0) * pow(mfr__rng_uniform(r) + 1e-300, 1.0 / shape);
    double d = shape - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double x = mfr__rng_normal(r), v = 1.0 + c * x;
        if (v <= 0) continue;
        v = v * v * v;
        double u = mfr__rng_uniform(r);
        if (log(u + 1e-300) < 0.5 * x * x + d - d * v + d * log(v)) return d * v;
    }
}

double mfr__now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
