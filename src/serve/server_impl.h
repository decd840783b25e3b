/* server_impl.h — what the files of src/serve share: the server struct, the
 * reference-counted model holder, the table of API users, the request
 * context, the route handlers' signature and the response helpers.
 *
 * Model swap: the current model lives in a model_ref {model, refs, version}.
 * A request takes a reference under s->model_mu (refs++) and drops it when it
 * is done; a retrain installs a new ref under the same lock and drops the old
 * one, which is freed when its last request finishes. So requests in flight
 * finish on the model they started with.
 *
 * API users (created by POST /api/users; ids above every model user id) are
 * kept in memory in a sorted array of pointers (ids are handed out in
 * increasing order) under a rwlock; each user has its own mutex guarding its
 * ratings (external movie ids, scores, times) and its cached fold-in vector,
 * recomputed when its ratings or the model version change. */
#ifndef MFR_SERVE_IMPL_H
#define MFR_SERVE_IMPL_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "mfrec.h"
#include "mfrec/serve.h"
#include "store.h"
/* The library's allocation wrappers (mfr__malloc, ...: fault injection, so the
 * server's out-of-memory paths are tested like the library's), its error
 * helper (mfr__err) and its monotonic clock (mfr__now). The rest of the
 * server uses the public API only. */
#include "../core/core.h"

typedef struct resp_cache resp_cache;
#define MFR_CACHE_KEY 112

typedef struct model_ref {
    mfr_model *m;
    atomic_int refs;
    int version;
    mfr_model_info info;
    int32_t fold_dim;       /* mfr_model_fold_dim: 0 = answers from rated movies */
    int similar_ok;         /* the similar route can answer (describe.c) */
    int64_t max_user_id;
    int32_t *popular;       /* items by training count, descending */
    int32_t n_popular;
    float *map_xy;          /* 2-D PCA of item factors (n_items x 2), lazily */
    pthread_once_t map_once;
    mfr_status map_status;
    resp_cache *cache;      /* answers computed on this model; NULL: disabled */
    _Atomic(char *) *movie_text; /* [n_items] mfr__movie_text of each movie, on first use */
} model_ref;

typedef struct api_user {
    int64_t id;
    unsigned char hash[32];
    int64_t created;
    pthread_mutex_t mu;
    int32_t n, cap;
    int64_t *movie;          /* external ids, insertion order */
    float *rating;
    int64_t *time;
    float *vec;              /* fold_dim floats [b_u, p_u], valid when vec_version ==
                                model version; unused for models with fold_dim 0 */
    int vec_version;
    int vec_dim;
} api_user;

/* The API's routes, one row each: route id, its /metrics label, method, path
 * ("#": a numeric id segment), handler, and the per-address bucket drawn on
 * before the handler runs (LIMIT_*: writes and admin routes are
 * rate-limited). The route ids, the handlers' declarations, server.c's
 * routing table and metrics.c's labels all come from this one list. */
#define MFR__ROUTES(X)                                                                             \
    X(R_HEALTH, "health", "GET", "/api/health", mfr__h_health, LIMIT_NONE)                         \
    X(R_MOVIES, "movies", "GET", "/api/movies", mfr__h_movies, LIMIT_NONE)                         \
    X(R_MOVIE, "movie", "GET", "/api/movies/#", mfr__h_movie, LIMIT_NONE)                          \
    X(R_SIMILAR, "similar", "GET", "/api/movies/#/similar", mfr__h_similar, LIMIT_NONE)            \
    X(R_RECS, "recommendations", "GET", "/api/users/#/recommendations", mfr__h_recs, LIMIT_NONE)   \
    X(R_USERS_CREATE, "users_create", "POST", "/api/users", mfr__h_users_create, LIMIT_WRITE)      \
    X(R_RATING_PUT, "rating_put", "PUT", "/api/users/#/ratings/#", mfr__h_rating_put, LIMIT_WRITE) \
    X(R_RATING_DELETE, "rating_delete", "DELETE", "/api/users/#/ratings/#", mfr__h_rating_delete,  \
      LIMIT_WRITE)                                                                                 \
    X(R_RATINGS_GET, "ratings_get", "GET", "/api/users/#/ratings", mfr__h_ratings_get, LIMIT_NONE) \
    X(R_RETRAIN, "retrain", "POST", "/api/admin/retrain", mfr__h_retrain, LIMIT_ADMIN)             \
    X(R_MAP, "map", "GET", "/api/map", mfr__h_map, LIMIT_NONE)                                     \
    X(R_METRICS, "metrics", "GET", "/metrics", mfr__h_metrics, LIMIT_NONE)

enum { LIMIT_NONE, LIMIT_WRITE, LIMIT_ADMIN };

/* Route ids (the /metrics label's index): the API's, then static files and
 * no route. */
#define MFR__ROUTE_ID(id, label, method, path, fn, limit) id,
enum { MFR__ROUTES(MFR__ROUTE_ID) R_STATIC, R_NOT_FOUND, R__COUNT };
#undef MFR__ROUTE_ID

#define MFR_N_STATUS 17
#define MFR_N_LAT 14

typedef struct metrics {
    atomic_llong req[R__COUNT][MFR_N_STATUS];
    atomic_llong lat_bucket[MFR_N_LAT + 1]; /* last: +Inf */
    atomic_llong lat_sum_us;
    atomic_llong lat_count;
} metrics;

/* ratelimit.c: token buckets keyed by the full client address (16 bytes:
 * IPv6, or IPv4 as ::ffff:a.b.c.d) in an open-addressed table (hash of the
 * whole address, linear probing). A slot is reused for another address only
 * when its bucket has refilled to the burst (forgetting it changes nothing);
 * when every slot in the probe window holds a bucket still refilling, the new
 * address is refused rather than any bucket reset. */
typedef struct mfr__limiter mfr__limiter;
#define MFR_LIMIT_SLOTS 4096
#define MFR_LIMIT_PROBE 64
/* NULL for rate <= 0 (no limit) or out of memory (*oom set). */
mfr__limiter *mfr__limiter_new(double rate, double burst, size_t slots, int *oom);
void mfr__limiter_free(mfr__limiter *l);
/* 1: allowed (one token taken); 0: refused. l NULL: always 1. */
int mfr__limiter_take(mfr__limiter *l, const unsigned char addr[16], double now);
/* The client's address as 16 bytes (IPv4 mapped); 1 when it is a loopback
 * address (127.0.0.0/8 or ::1). */
int mfr__client_addr(struct MHD_Connection *c, unsigned char addr[16]);

/* The admin routes' bucket per address: MFR_ADMIN_RATE requests a second,
 * MFR_ADMIN_BURST at once (fixed: guessing the token is the threat). */
#define MFR_ADMIN_RATE 1.0
#define MFR_ADMIN_BURST 5.0
/* Fewest characters an admin token may have (file or environment). */
#define MFR_ADMIN_TOKEN_MIN 16
/* Most query parameters a request may carry, and the longest request target
 * (path and query) with a query string: libmicrohttpd 0.9.75 keeps each
 * parameter in its per-connection memory beside the request line and never
 * answers a request that exhausts it there, so past either bound the query is
 * cut before it is parsed and the request answered 414. */
#define MFR_MAX_QUERY_PARAMS 64
#define MFR_MAX_QUERY_TARGET 8192

/* watchdog.c: the deadline for a request head (line and headers). Each
 * connection is tracked from its start (libmicrohttpd's connection
 * notification) and from the end of each answer; a head not complete within
 * head_timeout_s has its socket shut down, whatever trickle keeps the idle
 * timeout from firing (slowloris). */
typedef struct mfr__watchdog mfr__watchdog;
typedef struct mfr__conn mfr__conn;
mfr_status mfr__watchdog_start(mfr_server *s, mfr_error *err);
void mfr__watchdog_stop(mfr_server *s);
/* MHD_OPTION_NOTIFY_CONNECTION callback (cls: the server). */
void mfr__watchdog_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code);
/* The request's head is complete (1) or a new one begins (0). */
void mfr__watchdog_head(struct MHD_Connection *c, int complete);
/* Connections shut down for missing the deadline so far (/metrics). */
long long mfr__watchdog_cuts(mfr_server *s);

struct mfr_server {
    mfr_server_params p;
    char *model_path, *db_path, *data_path, *bind;
    unsigned char admin_hash[32];
    int have_admin;
    struct MHD_Daemon *d;
    int port;
    int lfd;                     /* the listening socket (-1: none) */
    pthread_t acceptor;          /* accept_loop: hands connections to d */
    int acceptor_joinable;
    double started;

    pthread_mutex_t model_mu;
    model_ref *cur;
    int next_version;

    mfr_store *store;

    pthread_rwlock_t users_lock;
    api_user **users;
    int64_t n_users, cap_users;
    int64_t next_user_id;
    pthread_mutex_t create_mu;   /* serialises user id allocation */
    atomic_llong ratings_stored;

    pthread_mutex_t retrain_mu;
    int retrain_running;
    pthread_t retrain_thread;
    int retrain_joinable;
    char retrain_message[512];
    int retrain_last_ok;         /* -1 never, 0 failed, 1 ok */

    mfr__limiter *write_limit;   /* user creation and rating writes */
    mfr__limiter *admin_limit;   /* admin routes */
    mfr__watchdog *watchdog;
    atomic_int stopping;         /* set when shutdown begins: writes answer 503 */

    metrics met;
};

/* A rating write waiting for its group commit while the connection is
 * suspended (MHD_suspend_connection); the writer thread fills the result and
 * resumes the connection, whose next call answers. */
typedef struct pending_write {
    mfr_server *s;
    struct MHD_Connection *c;
    api_user *u;
    model_ref *mr;           /* held until the answer is sent */
    int kind;                /* R_RATING_PUT or R_RATING_DELETE */
    int64_t movie, time;
    float rating;
    int changed;             /* from the apply callback */
    atomic_int finished;
    mfr_status status;
    char message[256];
} pending_write;

/* One request: body accumulated across MHD calls. */
typedef struct req_ctx {
    double start;
    int route;
    char *body;
    size_t len, cap;
    size_t discarded;        /* body bytes past the limit, read and dropped */
    int too_large;
    int too_many_params;     /* seen by the URI callback (server.c): 1 too many
                                parameters, 2 a target too long */
    int started;             /* the access handler's first call is done */
    pending_write *pending;  /* a suspended write, or NULL */
} req_ctx;

/* What a handler gets: the matched path parameters and the connection. */
typedef struct req {
    mfr_server *s;
    struct MHD_Connection *c;
    req_ctx *ctx;
    const char *method;
    int64_t a, b;             /* numeric path parameters */
    model_ref *mr;            /* reference held for the request */
} req;

typedef enum MHD_Result (*handler_fn)(req *r);

/* model_ref.c */
model_ref *mfr__model_acquire(mfr_server *s);
void mfr__model_release(model_ref *mr);
mfr_status mfr__model_ref_new(mfr_server *s, mfr_model *m, model_ref **out, mfr_error *err);
void mfr__model_install(mfr_server *s, model_ref *mr);

/* response.c */
/* body as a JSON answer (consumed; NULL or no memory to print it: the
 * out-of-memory answer, 500), its text kept in the cache under key unless
 * key is NULL. */
enum MHD_Result mfr__send_json(req *r, unsigned int status, cJSON *body, const char *key);
/* The one error answer: {"error":{"code","message"}}; the message is made
 * valid UTF-8 (a cut or invalid sequence becomes U+FFFD), since it may quote
 * the request. */
enum MHD_Result mfr__send_error(req *r, unsigned int status, mfr_status code,
                                const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* 1 when libmicrohttpd's own MHD_queue_response was found behind this
 * file's (the one that adds the security headers to every answer). */
int mfr__queue_hook_ok(void);
enum MHD_Result mfr__send_buffer(req *r, unsigned int status, const char *type,
                                 const void *data, size_t len, int copy, int cache);
const char *mfr__query(req *r, const char *name);
/* Parse ?name= as an integer in [lo, hi]; *out = def when absent. 0 ok, -1
 * (after sending a 400) when malformed. */
int mfr__query_int(req *r, const char *name, long lo, long hi, long def, long *out,
                   enum MHD_Result *res);
/* Add v to o as a JSON number with this many decimals (null when not
 * finite), printed once by mfr__fixed_text: cJSON's own number printing
 * checks each double by reading it back. */
void mfr__json_fixed(cJSON *o, const char *name, double v, int decimals);
/* What snprintf(buf, 48, "%.*f", decimals, v) writes, into buf (48 bytes),
 * its length returned: without printf when v is a float and decimals <= 6
 * (v·10^decimals is then exact in double and nearbyint rounds it as printf
 * rounds: to nearest, ties to even), through snprintf otherwise. */
size_t mfr__fixed_text(char *buf, double v, int decimals);
/* Add v (|v| < 10^15) to o as a JSON integer: the digits cJSON prints for
 * it, without printf. */
void mfr__json_int(cJSON *o, const char *name, int64_t v);
cJSON *mfr__movie_json(const model_ref *mr, int32_t i);
/* mfr__movie_json(mr, i) as cJSON prints it, without the closing brace:
 * printed once per movie and model (mr->movie_text), so a list's rows cost
 * a copy instead of a tree of a dozen allocations. NULL on no memory. */
const char *mfr__movie_text(model_ref *mr, int32_t i);
/* A row of a list answer as one raw cJSON node: movie i's object with
 * "score" (score_dec decimals), "prediction" (pred_dec decimals; left out
 * when pred_dec < 0) and "because" (the array, consumed; left out when
 * NULL), the text mfr__movie_json with those members added prints. NULL on
 * no memory. */
cJSON *mfr__movie_row(model_ref *mr, int32_t i, double score, int score_dec, double pred,
                      int pred_dec, cJSON *because);
/* Check "Authorization: Bearer <token>" against hash; 1 when it matches. */
int mfr__auth_ok(req *r, const unsigned char hash[32]);

/* users.c */
api_user *mfr__user_find(mfr_server *s, int64_t id);
/* api_users.c: a list answer sent: o with the array name of rows[0..n),
 * each mfr__movie_row's ("score" score_dec decimals, "prediction" pred_dec,
 * none when < 0; with explain, "because": up to two of API user u's liked
 * movies (rated in the top third of the scale; none for u NULL) that
 * explain it, mfr_model_explain), cached under key unless key is NULL. o is
 * consumed. */
enum MHD_Result mfr__send_rows(req *r, cJSON *o, const char *name, const mfr_scored *rows,
                               int32_t n, int score_dec, int pred_dec, int explain, api_user *u,
                               const char *key);
mfr_status mfr__users_load(mfr_server *s, mfr_error *err);
void mfr__users_free(mfr_server *s);
/* u->mu held by the caller. The fold-in vector of u's ratings (items[j],
 * ratings[j]: the n that mr's model knows) against mr, cached per model
 * version: mr->fold_dim floats; *vec = NULL for models with fold_dim 0,
 * which answer from the rated movies alone. A fold-in the model refuses
 * leaves the zero vector (the model's fallback) instead of an error: only
 * MFR_E_NOMEM fails. */
mfr_status mfr__user_vec(api_user *u, model_ref *mr, const int32_t *items, const float *ratings,
                         int32_t n, const float **vec, mfr_error *err);
/* u->mu held: insert/replace (1 new, 0 replaced, -1 OOM); remove (1 if there). */
int mfr__user_set(api_user *u, int64_t movie, float rating, int64_t time);
int mfr__user_unset(api_user *u, int64_t movie);
/* Append a user whose id is above all others. -1 on OOM. */
int mfr__users_append(mfr_server *s, api_user *u);

/* handlers, one per MFR__ROUTES row (status.c: GET /api/health and GET /metrics) */
#define MFR__ROUTE_HANDLER(id, label, method, path, fn, limit) enum MHD_Result fn(req *r);
MFR__ROUTES(MFR__ROUTE_HANDLER)
#undef MFR__ROUTE_HANDLER
/* Answer a write whose commit finished (the connection was resumed). */
enum MHD_Result mfr__write_answer(req *r);

/* describe.c: one sentence per model-dependent route (describe.h). */
typedef struct mfr__route_desc {
    const char *key;     /* "recommendations", "recommendations_new_users", "similar", ... */
    char text[320];
} mfr__route_desc;
int mfr__describe_routes(mfr_server *s, const model_ref *mr, mfr__route_desc *out, int cap);

/* metrics.c */
void mfr__metrics_record(mfr_server *s, int route, unsigned int status, double seconds);
/* The /metrics text (mfr__malloc'd, *len bytes), NULL when out of memory. */
char *mfr__metrics_text(mfr_server *s, const model_ref *mr, size_t *len);

/* cache.c: NULL for n_slots 0 (disabled) or OOM. get returns a malloc'd
 * copy of the text (the caller frees it) or NULL. */
resp_cache *mfr__cache_new(size_t n_slots);
void mfr__cache_free(resp_cache *c);
char *mfr__cache_get(resp_cache *c, const char *key, size_t *len);
void mfr__cache_put(resp_cache *c, const char *key, const char *text, size_t len);
void mfr__cache_stats(resp_cache *c, long long *hits, long long *misses);
/* response.c: answer from the cache when key is there (1), else 0. */
int mfr__send_cached(req *r, const char *key, enum MHD_Result *res);

#endif
