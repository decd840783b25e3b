/* cache.c — answers of the pure read routes (a model user's recommendations,
 * similar movies) kept as their JSON text, per model version: the cache
 * hangs off the model_ref, so a retrain's swap starts an empty one and the
 * old one goes with the old model. Direct-mapped: slot = FNV-1a(key) mod
 * n_slots, each slot holds one (key, text); a new answer overwrites the
 * slot. 64 striped mutexes. Memory is bounded by n_slots x the largest
 * answer (n <= 100 movies, ~25 kB), in practice a few kB per slot. API
 * users' answers are never cached (their ratings change them). */
#include <stdlib.h>
#include <string.h>

#include "server_impl.h"

#define STRIPES 64

typedef struct slot {
    char key[MFR_CACHE_KEY];
    char *text;
    size_t len;
} slot;

struct resp_cache {
    pthread_mutex_t mu[STRIPES];
    slot *slots;
    size_t n;
    atomic_llong hits, misses;
};

resp_cache *mfr__cache_new(size_t n_slots) {
    if (n_slots == 0) return NULL;
    resp_cache *c = mfr__calloc(1, sizeof *c);
    if (!c) return NULL;
    c->slots = mfr__calloc(n_slots, sizeof *c->slots);
    if (!c->slots) {
        mfr__free(c);
        return NULL;
    }
    c->n = n_slots;
    for (int i = 0; i < STRIPES; i++) pthread_mutex_init(&c->mu[i], NULL);
    return c;
}

void mfr__cache_free(resp_cache *c) {
    if (!c) return;
    for (size_t i = 0; i < c->n; i++) mfr__free(c->slots[i].text);
    for (int i = 0; i < STRIPES; i++) pthread_mutex_destroy(&c->mu[i]);
    mfr__free(c->slots);
    mfr__free(c);
}

char *mfr__cache_get(resp_cache *c, const char *key, size_t *len) {
    if (!c) return NULL;
    size_t i = mfr__fnv1a(key, strlen(key)) % c->n;
    char *copy = NULL;
    pthread_mutex_lock(&c->mu[i % STRIPES]);
    slot *s = &c->slots[i];
    if (s->text && !strcmp(s->key, key)) {
        copy = mfr__malloc(s->len);
        if (copy) {
            memcpy(copy, s->text, s->len);
            *len = s->len;
        }
    }
    pthread_mutex_unlock(&c->mu[i % STRIPES]);
    atomic_fetch_add_explicit(copy ? &c->hits : &c->misses, 1, memory_order_relaxed);
    return copy;
}

void mfr__cache_put(resp_cache *c, const char *key, const char *text, size_t len) {
    if (!c || strlen(key) >= MFR_CACHE_KEY) return;
    char *copy = mfr__malloc(len);
    if (!copy) return;
    memcpy(copy, text, len);
    size_t i = mfr__fnv1a(key, strlen(key)) % c->n;
    pthread_mutex_lock(&c->mu[i % STRIPES]);
    slot *s = &c->slots[i];
    char *old = s->text;
    strcpy(s->key, key);
    s->text = copy;
    s->len = len;
    pthread_mutex_unlock(&c->mu[i % STRIPES]);
    mfr__free(old);
}

void mfr__cache_stats(resp_cache *c, long long *hits, long long *misses) {
    *hits = c ? atomic_load(&c->hits) : 0;
    *misses = c ? atomic_load(&c->misses) : 0;
}
