/* ratelimit.c — per-address token buckets (server_impl.h) and the client
 * address of a connection.
 *
 * The table is open-addressed: the home slot is a 64-bit mix of all 16
 * address bytes, and an address lives in the first slot of its probe window
 * (MFR_LIMIT_PROBE slots from home) that was free or reusable when it
 * arrived. Slots never become empty again, so a look-up stops at the first
 * empty slot. A slot is reusable when its bucket has refilled to the burst:
 * a new bucket starts there full, so forgetting such an address grants
 * nothing. Distinct addresses therefore never share a bucket and a bucket is
 * never reset by another address; under pressure (a full window of buckets
 * still refilling) a new address is refused. One mutex: a take is a few
 * dozen instructions. */
#include <netinet/in.h>
#include <string.h>

#include "server_impl.h"

typedef struct bucket {
    unsigned char key[16];
    int used;
    double tokens, last;
} bucket;

struct mfr__limiter {
    pthread_mutex_t mu;
    double rate, burst;
    size_t mask;
    bucket *slots;
};

mfr__limiter *mfr__limiter_new(double rate, double burst, size_t slots, int *oom) {
    *oom = 0;
    if (!(rate > 0)) return NULL;
    size_t n = 64;
    while (n < slots) n *= 2;
    mfr__limiter *l = mfr__calloc(1, sizeof *l);
    if (l) l->slots = mfr__calloc(n, sizeof *l->slots);
    if (!l || !l->slots) {
        if (l) mfr__free(l->slots);
        mfr__free(l);
        *oom = 1;
        return NULL;
    }
    pthread_mutex_init(&l->mu, NULL);
    l->rate = rate;
    l->burst = burst > 1 ? burst : 1;
    l->mask = n - 1;
    return l;
}

void mfr__limiter_free(mfr__limiter *l) {
    if (!l) return;
    pthread_mutex_destroy(&l->mu);
    mfr__free(l->slots);
    mfr__free(l);
}

static uint64_t addr_hash(const unsigned char a[16]) {
    uint64_t hi, lo;
    memcpy(&hi, a, 8);
    memcpy(&lo, a + 8, 8);
    return mfr__mix64(mfr__mix64(hi) ^ lo);
}

static double level(const mfr__limiter *l, const bucket *b, double now) {
    double t = b->tokens + (now - b->last) * l->rate;
    return t < l->burst ? t : l->burst;
}

int mfr__limiter_take(mfr__limiter *l, const unsigned char addr[16], double now) {
    if (!l) return 1;
    pthread_mutex_lock(&l->mu);
    size_t home = (size_t)addr_hash(addr) & l->mask;
    bucket *b = NULL, *reuse = NULL;
    for (size_t p = 0; p < MFR_LIMIT_PROBE && p <= l->mask; p++) {
        bucket *s = &l->slots[(home + p) & l->mask];
        if (!s->used) {
            if (!reuse) reuse = s;
            break;
        }
        if (!memcmp(s->key, addr, 16)) {
            b = s;
            break;
        }
        if (!reuse && level(l, s, now) >= l->burst) reuse = s;
    }
    if (!b && reuse) {
        b = reuse;
        memcpy(b->key, addr, 16);
        b->used = 1;
        b->tokens = l->burst;
        b->last = now;
    }
    int ok = 0;
    if (b) {
        b->tokens = level(l, b, now);
        b->last = now;
        ok = b->tokens >= 1;
        if (ok) b->tokens -= 1;
    }
    pthread_mutex_unlock(&l->mu);
    return ok;
}

int mfr__client_addr(struct MHD_Connection *c, unsigned char addr[16]) {
    memset(addr, 0, 16);
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    if (sa && sa->sa_family == AF_INET) {
        addr[10] = addr[11] = 0xff;
        memcpy(addr + 12, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
        return addr[12] == 127;
    }
    if (sa && sa->sa_family == AF_INET6) {
        memcpy(addr, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
        static const unsigned char one[16] = {[15] = 1};
        return !memcmp(addr, one, 16) ||
               (!memcmp(addr, (const unsigned char[12]){[10] = 0xff, [11] = 0xff}, 12) &&
                addr[12] == 127);
    }
    return 0;
}
