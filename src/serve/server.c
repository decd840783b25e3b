/* server.c — the server's lifetime and its HTTP front: libmicrohttpd with an
 * internal thread pool (epoll), the request context that gathers the body
 * (refusing bodies over max_body with 413 before reading them), and the
 * router: a table of (method, path pattern, handler, rate limit) where a
 * pattern segment "#" matches a decimal id; HEAD is answered on every GET
 * route (libmicrohttpd sends the headers alone). Paths outside /api and
 * /metrics go to the embedded web assets only (mfr_web_assets[]), never to
 * the filesystem. Before any handler: a body over max_body is refused 413 on
 * the first call (before a "100 Continue" or a byte of the body is read), a
 * query string of more than MFR_MAX_QUERY_PARAMS parameters or a target over
 * MFR_MAX_QUERY_TARGET bytes 414 (the URI callback keeps libmicrohttpd from
 * parsing them), a parameter that is not
 * valid UTF-8 or holds a NUL 400, and the route's per-address bucket 429.
 * Rating writes suspend their connection until the store's group commit
 * (MHD_suspend_connection / MHD_resume_connection), so the request threads
 * never block on fsync. Shutdown: stop listening, let the store finish and
 * answer queued writes, then stop the daemon. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "server_impl.h"
#include "admin.h"
#include "sha256.h"

struct mfr_web_asset {
    const char *path;
    const unsigned char *data;
    size_t len;
};
extern const struct mfr_web_asset mfr_web_assets[]; /* generated from web/ */

/* ---- routing ---- */

typedef struct route {
    const char *method;
    const char *pattern;  /* segments; "#" = numeric id */
    int id;
    handler_fn fn;
    int limit;            /* LIMIT_* */
} route;

#define ROUTE_ROW(id, label, method, path, fn, limit) {method, path, id, fn, limit},
static const route routes[] = {MFR__ROUTES(ROUTE_ROW)};
#undef ROUTE_ROW

/* Match url against pattern; numeric segments go to nums (up to 2). 1 on match. */
static int match(const char *pat, const char *url, int64_t nums[2]) {
    int k = 0;
    while (*pat && *url) {
        if (*pat == '#') {
            if (*url < '0' || *url > '9') return 0;
            int64_t v = 0;
            int digits = 0;
            while (*url >= '0' && *url <= '9') {
                if (++digits > 15) return 0;
                v = v * 10 + (*url++ - '0');
            }
            if (k < 2) nums[k++] = v;
            pat++;
        } else if (*pat++ != *url++) {
            return 0;
        }
    }
    return !*pat && (!*url || (url[0] == '/' && !url[1]));
}

static enum MHD_Result serve_static(req *r, const char *url) {
    r->ctx->route = R_STATIC;
    if (strcmp(r->method, "GET") && strcmp(r->method, "HEAD"))
        return mfr__send_error(r, 405, MFR_E_INVALID, "method %s not allowed here", r->method);
    if (!strcmp(url, "/")) url = "/index.html";
    static const struct { const char *ext, *type; } types[] = {
        {".html", "text/html; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"}, {".svg", "image/svg+xml"},
        {".png", "image/png"}, {".ico", "image/x-icon"}};
    for (const struct mfr_web_asset *a = mfr_web_assets; a && a->path; a++) {
        if (strcmp(a->path, url)) continue;
        const char *type = "application/octet-stream";
        const char *dot = strrchr(url, '.');
        for (size_t t = 0; dot && t < sizeof types / sizeof *types; t++)
            if (!strcmp(dot, types[t].ext)) type = types[t].type;
        return mfr__send_buffer(r, 200, type, a->data, a->len, 0, 1);
    }
    r->ctx->route = R_NOT_FOUND;
    return mfr__send_error(r, 404, MFR_E_NOT_FOUND, "no such page: %.200s", url);
}

/* Query parameters: each key and value valid UTF-8 without a NUL (the
 * first offender is kept for the answer). */
typedef struct arg_check {
    const char *bad_key;
    const char *why;
} arg_check;

static enum MHD_Result check_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                 size_t key_size, const char *value, size_t value_size) {
    arg_check *a = cls;
    const char *why = NULL;
    if (memchr(key, 0, key_size) || (value && memchr(value, 0, value_size)))
        why = "holds a NUL byte";
    else if (!mfr__utf8_valid(key, key_size) || (value && !mfr__utf8_valid(value, value_size)))
        why = "is not valid UTF-8";
    if (!why) return MHD_YES;
    a->bad_key = key;
    a->why = why;
    return MHD_NO;
}

static enum MHD_Result dispatch(req *r, const char *url) {
    if (r->ctx->too_large)
        return mfr__send_error(r, 413, MFR_E_LIMIT, "request body over %zu bytes",
                               r->s->p.max_body);
    if (r->ctx->too_many_params == 1)
        return mfr__send_error(r, 414, MFR_E_LIMIT, "more than %d query parameters",
                               MFR_MAX_QUERY_PARAMS);
    if (r->ctx->too_many_params)
        return mfr__send_error(r, 414, MFR_E_LIMIT, "request target with a query string longer "
                               "than %d bytes", MFR_MAX_QUERY_TARGET);
    arg_check ac = {NULL, NULL};
    MHD_get_connection_values_n(r->c, MHD_GET_ARGUMENT_KIND, check_arg, &ac);
    if (ac.why)
        return mfr__send_error(r, 400, MFR_E_INVALID, "query parameter %.40s %s",
                               ac.bad_key, ac.why);
    int head = !strcmp(r->method, "HEAD");
    int path_known = 0;
    for (size_t i = 0; i < sizeof routes / sizeof *routes; i++) {
        int64_t nums[2] = {0, 0};
        if (!match(routes[i].pattern, url, nums)) continue;
        path_known = 1;
        if (strcmp(routes[i].method, r->method) && !(head && !strcmp(routes[i].method, "GET")))
            continue;
        r->ctx->route = routes[i].id;
        enum MHD_Result res;
        if (routes[i].limit != LIMIT_NONE) {
            if (atomic_load(&r->s->stopping))
                return mfr__send_error(r, 503, MFR_E_UNSUPPORTED,
                                       "the server is shutting down; retry later");
            unsigned char addr[16];
            mfr__client_addr(r->c, addr);
            mfr__limiter *l = routes[i].limit == LIMIT_WRITE ? r->s->write_limit
                                                             : r->s->admin_limit;
            if (!mfr__limiter_take(l, addr, mfr__now()))
                return mfr__send_error(r, 429, MFR_E_LIMIT, "too many %s from this address; "
                                       "slow down", routes[i].limit == LIMIT_WRITE
                                       ? "writes" : "admin requests");
        }
        r->a = nums[0];
        r->b = nums[1];
        r->mr = mfr__model_acquire(r->s);
        res = routes[i].fn(r);
        mfr__model_release(r->mr);
        r->mr = NULL;
        return res;
    }
    if (path_known) {
        r->ctx->route = R_NOT_FOUND;
        return mfr__send_error(r, 405, MFR_E_INVALID, "method %s not allowed on %.200s",
                               r->method, url);
    }
    if (!strncmp(url, "/api/", 5) || !strcmp(url, "/api")) {
        r->ctx->route = R_NOT_FOUND;
        return mfr__send_error(r, 404, MFR_E_NOT_FOUND, "no such route: %s %.200s", r->method,
                               url);
    }
    return serve_static(r, url);
}

/* A body without a Content-Length (chunked) can only be refused once it
 * passes the limit, and libmicrohttpd queues no answer mid-body: it is read
 * and dropped up to this many times the limit, then the connection closed. */
#define DISCARD_FACTOR 4

/* 0 ok, -1 out of memory, -2 too much past the limit. */
static int body_append(req_ctx *ctx, const char *data, size_t n, size_t max) {
    if (ctx->too_large || ctx->len + n > max) {
        ctx->too_large = 1;
        ctx->discarded += n;
        return ctx->discarded > DISCARD_FACTOR * max ? -2 : 0;
    }
    if (ctx->len + n + 1 > ctx->cap) {
        size_t cap = ctx->cap ? ctx->cap * 2 : 1024;
        while (cap < ctx->len + n + 1) cap *= 2;
        char *b = mfr__realloc(ctx->body, cap);
        if (!b) return -1;
        ctx->body = b;
        ctx->cap = cap;
    }
    memcpy(ctx->body + ctx->len, data, n);
    ctx->len += n;
    ctx->body[ctx->len] = 0;
    return 0;
}

/* MHD_OPTION_URI_LOG_CALLBACK: runs once the request line is in, before
 * libmicrohttpd parses the query string into its per-connection memory
 * (where ~500 parameters exhaust it and the request is never answered, in
 * 0.9.75). The request context starts here; a query string with too many
 * parameters is cut at its '?' (the buffer is libmicrohttpd's own, writable
 * at this point: the parser writes into it next) and answered 414. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c) {
    req_ctx *ctx = mfr__calloc(1, sizeof *ctx);
    if (!ctx) return NULL;
    ctx->start = mfr__now();
    ctx->route = R_NOT_FOUND;
    char *q = strchr(uri, '?');
    if (q) {
        int n = 1;
        const char *p = q + 1;
        for (; *p && n <= MFR_MAX_QUERY_PARAMS; p++) n += *p == '&';
        int too_long = (size_t)(p - uri) + strlen(p) > MFR_MAX_QUERY_TARGET;
        if (n > MFR_MAX_QUERY_PARAMS || too_long) {
            q[1] = 0;
            ctx->too_many_params = too_long ? 2 : 1;
        }
    }
    return ctx;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **con_cls) {
    mfr_server *s = cls;
    req_ctx *ctx = *con_cls;
    if (!ctx || !ctx->started) {
        if (!ctx) ctx = *con_cls = on_uri(s, "", c);
        if (!ctx) return MHD_NO;
        ctx->started = 1;
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > s->p.max_body) ctx->too_large = 1;
        /* refused before the body: no "100 Continue", nothing of it read */
        if (!ctx->too_large && !ctx->too_many_params) return MHD_YES;
    } else if (*upload_size) {
        int rc = body_append(ctx, upload_data, *upload_size, s->p.max_body);
        if (rc < 0) return MHD_NO;
        *upload_size = 0;
        return MHD_YES;
    }
    mfr__watchdog_head(c, 1);
    req r = {.s = s, .c = c, .ctx = ctx, .method = method};
    if (ctx->pending) {
        if (!atomic_load(&ctx->pending->finished)) return MHD_YES; /* not ours yet */
        return mfr__write_answer(&r);
    }
    return dispatch(&r, url);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
    req_ctx *ctx = *con_cls;
    if (!ctx) return;
    /* connection closed after the commit, before the answer (a write still
     * queued is never freed here: the writer thread owns it until done) */
    if (ctx->pending && atomic_load(&ctx->pending->finished)) {
        mfr__model_release(ctx->pending->mr);
        mfr__free(ctx->pending);
    }
    mfr__free(ctx->body);
    mfr__free(ctx);
    *con_cls = NULL;
    mfr__watchdog_head(c, 0); /* the next request's time starts now */
}

/* ---- lifetime ---- */

mfr_server_params mfr_server_params_default(void) {
    mfr_server_params p = {0};
    p.db_path = "ratings.db";
    p.bind = "127.0.0.1";
    p.port = 8080;
    p.max_body = 16384;
    p.max_header = 32768;
    p.timeout_s = 30;
    p.write_rate = 50;
    p.write_burst = 100;
    p.synchronous_full = 1;
    p.cache_slots = 8192;
    p.head_timeout_s = 10;
    p.metrics = MFR_METRICS_LOOPBACK;
    return p;
}

/* The accepting thread. libmicrohttpd's own listening socket would be in
 * every pool thread's epoll set, and a thread that wakes accepts up to ten
 * connections in a row: a burst of connections (a load generator's 16, a
 * browser's 6) then lands on one or two threads, and with the load on one
 * thread the server uses one core of two (measured: 4.8k instead of 10k+
 * requests a second, with every connection on one thread). Here one thread
 * accepts and hands each connection to MHD_add_connection, which gives it
 * to the pool thread of index (descriptor mod pool size): a burst of new
 * descriptors is spread evenly. The daemon's connection limits apply as
 * before (it closes a connection it refuses). */
static void *accept_loop(void *arg) {
    mfr_server *s = arg;
    for (;;) {
        struct sockaddr_storage sa;
        socklen_t len = sizeof sa;
        int fd = accept4(s->lfd, (struct sockaddr *)&sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            MHD_add_connection(s->d, fd, (struct sockaddr *)&sa, len); /* closes fd on failure */
            continue;
        }
        if (atomic_load(&s->stopping)) break; /* shutdown(2) woke us: EINVAL */
        if (errno == EINTR || errno == ECONNABORTED || errno == EAGAIN) continue;
        /* out of descriptors or memory: wait instead of spinning */
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static mfr_status listen_socket(mfr_server *s, mfr_error *err) {
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)s->p.port);
    if (inet_pton(AF_INET, s->bind, &sa.sin_addr) != 1)
        return mfr__err(err, MFR_E_INVALID, "--bind %s: not an IPv4 address", s->bind);
    s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int on = 1;
    if (s->lfd < 0 || setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) ||
        bind(s->lfd, (struct sockaddr *)&sa, sizeof sa) || listen(s->lfd, SOMAXCONN))
        return mfr__err(err, MFR_E_IO, "cannot listen on %s:%d (%s)", s->bind, s->p.port,
                        strerror(errno));
    socklen_t len = sizeof sa;
    if (getsockname(s->lfd, (struct sockaddr *)&sa, &len))
        return mfr__err(err, MFR_E_IO, "cannot read the bound port (%s)", strerror(errno));
    s->port = ntohs(sa.sin_port);
    return MFR_OK;
}

static mfr_status start_daemon(mfr_server *s, mfr_error *err) {
    mfr_status st = listen_socket(s, err);
    if (st != MFR_OK) return st;
    int threads = s->p.threads > 0 ? s->p.threads : 2 * mfr_cpu_count();
    if (s->p.threads <= 0 && threads < 4) threads = 4;
    s->d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_TURBO |
                            MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC | MHD_USE_NO_LISTEN_SOCKET,
                            0, NULL, NULL, on_request, s,
                            MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)threads,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)s->p.timeout_s,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, s->p.max_header,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned int)1000,
                            MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)256,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                            MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
                            MHD_OPTION_NOTIFY_CONNECTION, mfr__watchdog_notify, s,
                            MHD_OPTION_END);
    if (!s->d)
        return mfr__err(err, MFR_E_IO, "cannot start the HTTP daemon on %s:%d (%s)", s->bind,
                        s->port, strerror(errno));
    int rc = pthread_create(&s->acceptor, NULL, accept_loop, s);
    if (rc)
        return mfr__err(err, MFR_E_IO, "cannot start the accepting thread (%s)", strerror(rc));
    s->acceptor_joinable = 1;
    return MFR_OK;
}

/* Stop accepting: shutdown(2) wakes the accepting thread's accept4 (EINVAL
 * on Linux); new connections are refused once the socket is closed. */
static void stop_accepting(mfr_server *s) {
    if (s->lfd >= 0) shutdown(s->lfd, SHUT_RDWR);
    if (s->acceptor_joinable) pthread_join(s->acceptor, NULL);
    s->acceptor_joinable = 0;
    if (s->lfd >= 0) close(s->lfd);
    s->lfd = -1;
}

static mfr_status load_model(mfr_server *s, mfr_error *err) {
    mfr_model *m = NULL;
    mfr_status st = mfr__model_load_newest(s, &m, err); /* admin.c: a saved retrain, or MODEL */
    if (st != MFR_OK) return st;
    model_ref *mr = NULL;
    st = mfr__model_ref_new(s, m, &mr, err);
    if (st != MFR_OK) {
        mfr_model_free(m);
        return st;
    }
    s->cur = mr;
    return MFR_OK;
}

static void server_destroy(mfr_server *s) {
    /* Finish queued writes first: their connections are suspended and must
     * be resumed before the daemon stops; writes arriving from now on are
     * answered 503 (dispatch), as are those the stopped store refuses. */
    atomic_store(&s->stopping, 1);
    stop_accepting(s); /* the daemon has no listening socket of its own */
    if (s->store) mfr__store_stop(s->store);
    if (s->d) MHD_stop_daemon(s->d);
    mfr__watchdog_stop(s);
    pthread_mutex_lock(&s->retrain_mu);
    int join = s->retrain_joinable;
    s->retrain_joinable = 0;
    pthread_mutex_unlock(&s->retrain_mu);
    if (join) pthread_join(s->retrain_thread, NULL);
    mfr__store_close(s->store);
    mfr__users_free(s);
    if (s->cur) mfr__model_release(s->cur);
    pthread_mutex_destroy(&s->model_mu);
    pthread_mutex_destroy(&s->create_mu);
    pthread_mutex_destroy(&s->retrain_mu);
    pthread_rwlock_destroy(&s->users_lock);
    mfr__limiter_free(s->write_limit);
    mfr__limiter_free(s->admin_limit);
    mfr__free(s->model_path);
    mfr__free(s->db_path);
    mfr__free(s->data_path);
    mfr__free(s->bind);
    mfr__free(s);
}

/* cJSON allocates through the library's wrappers (fault injection reaches
 * the answers' JSON too). Process-wide, set once. */
static void json_hooks_init(void) {
    cJSON_Hooks h = {mfr__malloc, mfr__free};
    cJSON_InitHooks(&h);
}
static pthread_once_t json_once = PTHREAD_ONCE_INIT;

static mfr_status make_limiters(mfr_server *s, mfr_error *err) {
    int oom1 = 0, oom2 = 0;
    s->write_limit = mfr__limiter_new(s->p.write_rate, s->p.write_burst, MFR_LIMIT_SLOTS, &oom1);
    s->admin_limit = mfr__limiter_new(MFR_ADMIN_RATE, MFR_ADMIN_BURST, MFR_LIMIT_SLOTS, &oom2);
    return oom1 || oom2 ? mfr__nomem(err, "the rate-limit tables") : MFR_OK;
}

mfr_status mfr_server_create(const mfr_server_params *p, mfr_server **out, mfr_error *err) {
    *out = NULL;
    if (!p->model_path || !*p->model_path)
        return mfr__err(err, MFR_E_INVALID, "no model path given");
    if (p->port < 0 || p->port > 65535)
        return mfr__err(err, MFR_E_INVALID, "port outside 0..65535");
    if (p->admin_token && *p->admin_token && strlen(p->admin_token) < MFR_ADMIN_TOKEN_MIN)
        return mfr__err(err, MFR_E_INVALID, "admin token shorter than %d characters",
                        MFR_ADMIN_TOKEN_MIN);
    if (p->metrics < MFR_METRICS_LOOPBACK || p->metrics > MFR_METRICS_OFF)
        return mfr__err(err, MFR_E_INVALID, "metrics exposure %d: expected loopback, any or off",
                        p->metrics);
    if (!mfr__queue_hook_ok())
        return mfr__err(err, MFR_E_INTERNAL, "libmicrohttpd's MHD_queue_response not found "
                        "(the server must link libmicrohttpd dynamically)");
    pthread_once(&json_once, json_hooks_init);
    mfr_server *s = mfr__calloc(1, sizeof *s);
    if (!s) return mfr__nomem(err, "the server");
    s->p = *p;
    s->model_path = mfr__strdup(p->model_path);
    s->db_path = mfr__strdup(p->db_path && *p->db_path ? p->db_path : "ratings.db");
    s->data_path = p->data_path && *p->data_path ? mfr__strdup(p->data_path) : NULL;
    s->bind = mfr__strdup(p->bind && *p->bind ? p->bind : "127.0.0.1");
    if (!s->p.max_body) s->p.max_body = 16384;
    if (!s->p.max_header) s->p.max_header = 32768;
    if (s->p.timeout_s <= 0) s->p.timeout_s = 30;
    if (s->p.cache_slots < 0) s->p.cache_slots = 0;
    if (s->p.head_timeout_s <= 0) s->p.head_timeout_s = 10;
    s->p.model_path = s->p.db_path = s->p.data_path = s->p.bind = s->p.admin_token = NULL;
    if (p->admin_token && *p->admin_token) {
        mfr__sha256(p->admin_token, strlen(p->admin_token), s->admin_hash);
        s->have_admin = 1;
    }
    s->retrain_last_ok = -1;
    s->lfd = -1;
    s->started = mfr__now();
    pthread_mutex_init(&s->model_mu, NULL);
    pthread_mutex_init(&s->create_mu, NULL);
    pthread_mutex_init(&s->retrain_mu, NULL);
    pthread_rwlock_init(&s->users_lock, NULL);
    mfr_status st = MFR_OK;
    if (!s->model_path || !s->db_path || !s->bind || (p->data_path && *p->data_path && !s->data_path))
        st = mfr__nomem(err, "the server's paths");
    if (st == MFR_OK) st = make_limiters(s, err);
    if (st == MFR_OK) st = load_model(s, err);
    if (st == MFR_OK) st = mfr__store_open(s->db_path, p->synchronous_full, &s->store, err);
    if (st == MFR_OK) st = mfr__users_load(s, err);
    if (st == MFR_OK) st = mfr__watchdog_start(s, err);
    if (st == MFR_OK) st = start_daemon(s, err);
    if (st != MFR_OK) {
        server_destroy(s);
        return st;
    }
    *out = s;
    return MFR_OK;
}

int mfr_server_port(const mfr_server *s) {
    return s->port;
}

void mfr_server_free(mfr_server *s) {
    if (s) server_destroy(s);
}
