/* core.h — internal helpers every module shares: allocation wrappers with
 * fault injection, error formatting, logging, a seeded RNG, timing, an
 * int64 -> int32 hash map for external ids, and the one binary search and
 * sort order of ascending arrays. Nothing here is public API. */
#ifndef MFR_CORE_INTERNAL_H
#define MFR_CORE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include "mfrec.h"

#if defined(__GNUC__)
#define MFR_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define MFR_LIKELY(x) __builtin_expect(!!(x), 1)
#define MFR_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define MFR_PRINTF(a, b)
#define MFR_LIKELY(x) (x)
#define MFR_UNLIKELY(x) (x)
#endif

/* ---- allocation ------------------------------------------------------
 * All library memory goes through these so tests can make the Nth allocation
 * fail (mfr__alloc_fail_after). mfr__malloc(0) returns a valid pointer.
 * mfr__aligned_alloc returns 64-byte aligned memory freed by mfr__free too. */
void *mfr__malloc(size_t n);
void *mfr__calloc(size_t count, size_t size);
void *mfr__realloc(void *p, size_t n);
void *mfr__aligned_alloc(size_t n); /* 64-byte aligned, zeroed */
void mfr__free(void *p);
char *mfr__strdup(const char *s);
/* Overflow-checked count*size; returns 0 and sets *out on success. */
int mfr__mul_overflow(size_t count, size_t size, size_t *out);

/* Fault injection for tests: after n more successful allocations, every
 * allocation fails until reset with n < 0. */
void mfr__alloc_fail_after(long n);
/* For memory that does not come from malloc (binfile.c's anonymous pages):
 * 1 when this allocation is to fail, counting it like mfr__malloc does. */
int mfr__alloc_injected_failure(void);

/* ---- errors ---------------------------------------------------------- */
/* Sets err (if non-NULL) to code and the formatted message; returns code. */
mfr_status mfr__err(mfr_error *err, mfr_status code, const char *fmt, ...) MFR_PRINTF(3, 4);
/* Out-of-memory shorthand naming what was being allocated. */
mfr_status mfr__nomem(mfr_error *err, const char *what);

/* ---- logging --------------------------------------------------------- */
void mfr__log(int level, const char *fmt, ...) MFR_PRINTF(2, 3);

/* ---- RNG: xoshiro256** seeded through splitmix64 ---------------------- */
typedef struct mfr__rng { uint64_t s[4]; } mfr__rng;
void mfr__rng_seed(mfr__rng *r, uint64_t seed);
uint64_t mfr__rng_next(mfr__rng *r);
double mfr__rng_uniform(mfr__rng *r);            /* [0, 1) */
uint64_t mfr__rng_below(mfr__rng *r, uint64_t n);  /* [0, n), unbiased */
double mfr__rng_normal(mfr__rng *r);             /* N(0, 1) */
double mfr__rng_gamma(mfr__rng *r, double shape); /* Gamma(shape, 1), shape > 0 */
/* Independent stream for (seed, stream): splitmix of both. */
void mfr__rng_seed_stream(mfr__rng *r, uint64_t seed, uint64_t stream);
/* Fisher-Yates shuffle of a[0..n) from r (one draw of mfr__rng_below(j + 1)
 * for j = n-1 down to 1, so a stream's position depends only on n). */
void mfr__shuffle_i32(mfr__rng *r, int32_t *a, int64_t n);
void mfr__shuffle_i64(mfr__rng *r, int64_t *a, int64_t n);

/* splitmix64's output mix of z: rng.c's seeding, the server's address hash. */
static inline uint64_t mfr__mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* ---- time ------------------------------------------------------------ */
double mfr__now(void); /* monotonic seconds */

/* ---- id map: int64 external id -> int32 dense index ------------------
 * Open addressing, linear probing, power-of-two capacity. */
typedef struct mfr__idmap {
    int64_t *keys;
    int32_t *vals;   /* -1 = empty slot */
    uint64_t cap;    /* power of two */
    uint64_t len;
} mfr__idmap;

mfr_status mfr__idmap_init(mfr__idmap *m, uint64_t expected, mfr_error *err);
void mfr__idmap_free(mfr__idmap *m);
int32_t mfr__idmap_get(const mfr__idmap *m, int64_t key); /* -1 if absent */
/* Inserts key -> val if absent; returns the stored value (old or new) or -2
 * on allocation failure. */
int32_t mfr__idmap_put(mfr__idmap *m, int64_t key, int32_t val);

/* ---- checksum (CRC-32, zlib polynomial) ------------------------------ */
uint32_t mfr__crc32(uint32_t crc, const void *data, size_t n);
/* The CRC-32 of A then B from crc_a (of A) and crc_b (of B, from 0) and B's
 * length: pieces checksummed apart, in any order, combined in file order. */
uint32_t mfr__crc32_combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b);

/* ---- sorted arrays ---------------------------------------------------
 * MFR__FIND_SORTED(NAME, T, K, KEY) defines the one binary search of an
 * array ascending by a key: int64_t NAME(const T *s, int64_t n, K x), the
 * position of the first element of s[0..n) whose KEY(element) equals x, or
 * -1. Always inlined, into the MFR_HOT clones too (GCC inlines a plain
 * inline function into no clone of another arch). mfr__find_sorted is the
 * one for an int32 index list (a user's seen items, a neighbour list, a
 * user's days); the server's users table defines one by user id. */
#define MFR__FIND_SORTED(NAME, T, K, KEY)                                                          \
    static inline __attribute__((always_inline)) int64_t NAME(const T *s, int64_t n, K x) {        \
        int64_t lo = 0, hi = n;                                                                    \
        while (lo < hi) {                                                                          \
            int64_t mid = lo + (hi - lo) / 2;                                                      \
            if (KEY(s[mid]) < x) lo = mid + 1;                                                     \
            else hi = mid;                                                                         \
        }                                                                                          \
        return lo < n && KEY(s[lo]) == x ? lo : -1;                                                \
    }
#define MFR__KEY_SELF(e) (e)
MFR__FIND_SORTED(mfr__find_sorted, int32_t, int32_t, MFR__KEY_SELF)
/* The one ascending order of int32 values for qsort. */
static inline int mfr__cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* ---- text helpers ---------------------------------------------------- */
/* Fold s into out (lowercase ASCII, common accented letters to their base). */
void mfr__text_fold(const char *s, char *out, size_t cap);
/* 1 when s[0..n) is valid UTF-8 (RFC 3629: no overlong forms, surrogates or
 * code points past U+10FFFF); the one check of the readers and the server. */
int mfr__utf8_valid(const char *s, size_t n);
/* FNV-1a, 64 bits, of s[0..len) (the server's cache keys, bfm's tags). */
static inline uint64_t mfr__fnv1a(const char *s, size_t len) {
    uint64_t h = 1469598103934665603ull;
    for (size_t t = 0; t < len; t++) h = (h ^ (unsigned char)s[t]) * 1099511628211ull;
    return h;
}
/* The decimal digits of u, most significant first, into buf (20 bytes at
 * most, no NUL); returns the count. */
static inline size_t mfr__put_u64(char *buf, uint64_t u) {
    char tmp[24];
    size_t n = 0;
    do tmp[n++] = (char)('0' + u % 10);
    while (u /= 10);
    for (size_t j = 0; j < n; j++) buf[j] = tmp[n - 1 - j];
    return n;
}

#endif
