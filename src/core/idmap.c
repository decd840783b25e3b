/* idmap.c — int64 -> int32 open-addressing hash map for external ids.
 * Linear probing over a power-of-two table kept at most half full; the hash is
 * a 64-bit multiplicative mix, so sequential MovieLens ids spread well. */
#include "core.h"

#include <string.h>

static inline uint64_t mix(int64_t k) {
    uint64_t x = (uint64_t)k * 0x9E3779B97F4A7C15ull;
    return x ^ (x >> 29);
}

static int alloc_table(mfr__idmap *m, uint64_t cap) {
    int64_t *keys = mfr__malloc(cap * sizeof *keys);
    int32_t *vals = mfr__malloc(cap * sizeof *vals);
    if (!keys || !vals) {
        mfr__free(keys);
        mfr__free(vals);
        return -1;
    }
    memset(vals, 0xff, cap * sizeof *vals);
    m->keys = keys;
    m->vals = vals;
    m->cap = cap;
    return 0;
}

mfr_status mfr__idmap_init(mfr__idmap *m, uint64_t expected, mfr_error *err) {
    uint64_t cap = 16;
    while (cap < expected * 2) cap <<= 1;
    memset(m, 0, sizeof *m);
    if (alloc_table(m, cap)) return mfr__nomem(err, "id map");
    return MFR_OK;
}

void mfr__idmap_free(mfr__idmap *m) {
    if (!m) return;
    mfr__free(m->keys);
    mfr__free(m->vals);
    memset(m, 0, sizeof *m);
}

int32_t mfr__idmap_get(const mfr__idmap *m, int64_t key) {
    if (!m->cap) return -1;
    uint64_t mask = m->cap - 1;
    for (uint64_t h = mix(key) & mask;; h = (h + 1) & mask) {
        if (m->vals[h] < 0) return -1;
        if (m->keys[h] == key) return m->vals[h];
    }
}

static void insert_raw(mfr__idmap *m, int64_t key, int32_t val) {
    uint64_t mask = m->cap - 1;
    uint64_t h = mix(key) & mask;
    while (m->vals[h] >= 0) h = (h + 1) & mask;
    m->keys[h] = key;
    m->vals[h] = val;
    m->len++;
}

int32_t mfr__idmap_put(mfr__idmap *m, int64_t key, int32_t val) {
    int32_t old = mfr__idmap_get(m, key);
    if (old >= 0) return old;
    if (!m->cap || (m->len + 1) * 2 > m->cap) {
        mfr__idmap grown = *m;
        if (alloc_table(&grown, m->cap ? m->cap * 2 : 16)) return -2;
        grown.len = 0;
        for (uint64_t s = 0; s < m->cap; s++)
            if (m->vals[s] >= 0) insert_raw(&grown, m->keys[s], m->vals[s]);
        mfr__free(m->keys);
        mfr__free(m->vals);
        *m = grown;
    }
    insert_raw(m, key, val);
    return val;
}
