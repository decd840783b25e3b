/* alloc.c — allocation wrappers with fault injection.
 *
 * Every allocation in the library goes through mfr__malloc and friends. Tests
 * call mfr__alloc_fail_after(n) to make the allocation after the next n fail,
 * then check that the code under test returns MFR_E_NOMEM and leaks nothing.
 * Aligned blocks come from posix_memalign; free() releases both kinds. */
#include "core.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static atomic_long alloc_count;
static atomic_long fail_at = -1; /* allocation number that starts failing */

void mfr__alloc_fail_after(long n) {
    atomic_store(&fail_at, n < 0 ? -1 : atomic_load(&alloc_count) + n);
}

static int should_fail(void) {
    long f = atomic_load(&fail_at);
    long c = atomic_fetch_add(&alloc_count, 1);
    return f >= 0 && c >= f;
}

int mfr__alloc_injected_failure(void) { return should_fail(); }

int mfr__mul_overflow(size_t count, size_t size, size_t *out) {
    if (size && count > SIZE_MAX / size) return 1;
    *out = count * size;
    return 0;
}

void *mfr__malloc(size_t n) {
    if (should_fail()) return NULL;
    return malloc(n ? n : 1);
}

void *mfr__calloc(size_t count, size_t size) {
    if (should_fail()) return NULL;
    if (!count || !size) count = size = 1;
    return calloc(count, size);
}

void *mfr__realloc(void *p, size_t n) {
    if (should_fail()) return NULL;
    return realloc(p, n ? n : 1);
}

void *mfr__aligned_alloc(size_t n) {
    if (should_fail()) return NULL;
    size_t rounded = (n + 63) & ~(size_t)63;
    if (rounded < n) return NULL;
    void *p = NULL;
    if (posix_memalign(&p, 64, rounded ? rounded : 64) != 0) return NULL;
    memset(p, 0, rounded ? rounded : 64);
    return p;
}

void mfr__free(void *p) { free(p); }

char *mfr__strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = mfr__malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}
