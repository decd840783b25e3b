/* metrics.c — counters for GET /metrics (status.c) and their text in the
 * Prometheus text format
 * (https://prometheus.io/docs/instrumenting/exposition_formats/): requests by
 * route and status, a cumulative latency histogram (seconds, buckets below),
 * ratings and users stored, group-commit figures and the model version.
 * Counters are relaxed atomics; a scrape sees each one consistently but not
 * all at one instant. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server_impl.h"

static const unsigned int status_codes[MFR_N_STATUS] = {200, 201, 202, 204, 400, 401, 403, 404,
                                                        405, 409, 413, 414, 415, 429, 500, 503, 0};
static const double lat_bounds[MFR_N_LAT] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                             0.01,   0.025,   0.05,   0.1,   0.25,   0.5, 1, 5};
#define ROUTE_LABEL(id, label, method, path, fn, limit) label,
static const char *const route_names[R__COUNT] = {MFR__ROUTES(ROUTE_LABEL) "static", "not_found"};
#undef ROUTE_LABEL

void mfr__metrics_record(mfr_server *s, int route, unsigned int status, double seconds) {
    if (route < 0 || route >= R__COUNT) route = R_NOT_FOUND;
    int k = MFR_N_STATUS - 1;
    for (int i = 0; i < MFR_N_STATUS - 1; i++)
        if (status_codes[i] == status) k = i;
    atomic_fetch_add_explicit(&s->met.req[route][k], 1, memory_order_relaxed);
    int b = MFR_N_LAT;
    for (int i = 0; i < MFR_N_LAT; i++)
        if (seconds <= lat_bounds[i]) { b = i; break; }
    atomic_fetch_add_explicit(&s->met.lat_bucket[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->met.lat_sum_us, (long long)(seconds * 1e6), memory_order_relaxed);
    atomic_fetch_add_explicit(&s->met.lat_count, 1, memory_order_relaxed);
}

typedef struct buf {
    char *p;
    size_t len, cap;
    int oom;
} buf;

static void bprintf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bprintf(buf *b, const char *fmt, ...) {
    if (b->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) { b->oom = 1; return; }
        if ((size_t)n < b->cap - b->len) { b->len += (size_t)n; return; }
        size_t cap = b->cap * 2 + (size_t)n;
        char *p = mfr__realloc(b->p, cap);
        if (!p) { b->oom = 1; return; }
        b->p = p;
        b->cap = cap;
    }
}

static void write_requests(buf *b, mfr_server *s) {
    bprintf(b, "# HELP mfrec_http_requests_total HTTP requests by route and status.\n"
               "# TYPE mfrec_http_requests_total counter\n");
    for (int r = 0; r < R__COUNT; r++)
        for (int k = 0; k < MFR_N_STATUS; k++) {
            long long v = atomic_load_explicit(&s->met.req[r][k], memory_order_relaxed);
            if (!v) continue;
            if (status_codes[k])
                bprintf(b, "mfrec_http_requests_total{route=\"%s\",status=\"%u\"} %lld\n",
                        route_names[r], status_codes[k], v);
            else
                bprintf(b, "mfrec_http_requests_total{route=\"%s\",status=\"other\"} %lld\n",
                        route_names[r], v);
        }
}

static void write_latency(buf *b, mfr_server *s) {
    bprintf(b, "# HELP mfrec_http_request_duration_seconds Time from request to response queued.\n"
               "# TYPE mfrec_http_request_duration_seconds histogram\n");
    long long cum = 0;
    for (int i = 0; i <= MFR_N_LAT; i++) {
        cum += atomic_load_explicit(&s->met.lat_bucket[i], memory_order_relaxed);
        if (i < MFR_N_LAT)
            bprintf(b, "mfrec_http_request_duration_seconds_bucket{le=\"%g\"} %lld\n",
                    lat_bounds[i], cum);
        else
            bprintf(b, "mfrec_http_request_duration_seconds_bucket{le=\"+Inf\"} %lld\n", cum);
    }
    bprintf(b, "mfrec_http_request_duration_seconds_sum %.6f\n",
            atomic_load(&s->met.lat_sum_us) / 1e6);
    bprintf(b, "mfrec_http_request_duration_seconds_count %lld\n", atomic_load(&s->met.lat_count));
}

char *mfr__metrics_text(mfr_server *s, const model_ref *mr, size_t *len) {
    buf b = {mfr__malloc(8192), 0, 8192, 0};
    if (!b.p) return NULL;
    write_requests(&b, s);
    write_latency(&b, s);
    int64_t commits, writes, max_batch;
    mfr__store_stats(s->store, &commits, &writes, &max_batch);
    pthread_rwlock_rdlock(&s->users_lock);
    int64_t users = s->n_users;
    pthread_rwlock_unlock(&s->users_lock);
    bprintf(&b, "# HELP mfrec_ratings_stored Ratings held in the store.\n"
                "# TYPE mfrec_ratings_stored gauge\nmfrec_ratings_stored %lld\n",
            (long long)atomic_load(&s->ratings_stored));
    bprintf(&b, "# HELP mfrec_users_stored Users created through the API.\n"
                "# TYPE mfrec_users_stored gauge\nmfrec_users_stored %lld\n", (long long)users);
    bprintf(&b, "# HELP mfrec_store_commits_total Store transactions committed.\n"
                "# TYPE mfrec_store_commits_total counter\nmfrec_store_commits_total %lld\n",
            (long long)commits);
    bprintf(&b, "# HELP mfrec_store_writes_total Writes committed (group commit).\n"
                "# TYPE mfrec_store_writes_total counter\nmfrec_store_writes_total %lld\n",
            (long long)writes);
    bprintf(&b, "# HELP mfrec_store_max_batch Largest group commit.\n"
                "# TYPE mfrec_store_max_batch gauge\nmfrec_store_max_batch %lld\n",
            (long long)max_batch);
    bprintf(&b, "# HELP mfrec_model_version Model generation served (1 = loaded at start).\n"
                "# TYPE mfrec_model_version gauge\nmfrec_model_version %d\n", mr->version);
    long long hits, misses;
    mfr__cache_stats(mr->cache, &hits, &misses);
    bprintf(&b, "# HELP mfrec_cache_hits_total Answers served from the cache (this model).\n"
                "# TYPE mfrec_cache_hits_total counter\nmfrec_cache_hits_total %lld\n", hits);
    bprintf(&b, "# HELP mfrec_cache_misses_total Cache look-ups that computed the answer.\n"
                "# TYPE mfrec_cache_misses_total counter\nmfrec_cache_misses_total %lld\n", misses);
    bprintf(&b, "# HELP mfrec_uptime_seconds Seconds since start.\n"
                "# TYPE mfrec_uptime_seconds gauge\nmfrec_uptime_seconds %.3f\n",
            mfr__now() - s->started);
    bprintf(&b, "# HELP mfrec_http_deadline_cuts_total Connections shut for not sending a whole "
                "request within the deadline.\n"
                "# TYPE mfrec_http_deadline_cuts_total counter\nmfrec_http_deadline_cuts_total %lld\n",
            mfr__watchdog_cuts(s));
    if (b.oom) {
        mfr__free(b.p);
        return NULL;
    }
    *len = b.len;
    return b.p;
}
