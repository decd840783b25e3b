/* mfrec/serve.h — the HTTP service: a JSON API over a trained model, a SQLite
 * store of users, tokens and ratings received through the API, and the web
 * page. Lives in its own library (libmfrec_serve: libmicrohttpd, cJSON,
 * SQLite) and is NOT included from mfrec.h. The API is described route by
 * route in docs/http-api.md.
 *
 * Lifetime: mfr_server_create loads the model, opens (or creates) the store,
 * binds the socket and starts serving on its own threads before it returns;
 * mfr_server_free stops accepting, waits for requests in flight and the
 * background retrain, and releases everything. */
#ifndef MFREC_SERVE_H
#define MFREC_SERVE_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mfr_server mfr_server;

typedef struct mfr_server_params {
    const char *model_path;   /* .mfm to serve (required) */
    const char *db_path;      /* SQLite store, created if absent ("ratings.db") */
    const char *bind;         /* IPv4 address to listen on ("127.0.0.1") */
    int port;                 /* 0: any free port (see mfr_server_port) */
    int threads;              /* request threads; 0: 2 x cores, at least 4 */
    const char *data_path;    /* original dataset folder (ml-latest-small layout)
                                 for POST /api/admin/retrain; NULL disables it */
    const char *admin_token;  /* NULL or "": admin routes always answer 403 */
    size_t max_body;          /* request body limit in bytes (16384) */
    size_t max_header;        /* per-connection memory for headers (32768) */
    int timeout_s;            /* idle connection timeout (30) */
    double write_rate;        /* writes per second per client address (50);
                                 0 disables the limit */
    double write_burst;       /* token-bucket depth (100) */
    int synchronous_full;     /* 1: PRAGMA synchronous=FULL (default); 0: NORMAL */
    int cache_slots;          /* answers of model users' recommendations and of
                                 similar movies kept per model version (8192);
                                 0 disables the cache */
    int head_timeout_s;       /* seconds a client has for a whole request (line,
                                 headers, body) from connecting or from the
                                 previous answer (10); then the socket is shut */
    int metrics;              /* who may read GET /metrics (MFR_METRICS_*) */
    int index;                /* how lists are found: MFR_INDEX_EXACT (0, the default)
                                 or MFR_INDEX_APPROX (mfrec/analysis.h), set on every
                                 model served (the loaded one, each retrain) */
    int nprobe;               /* approximate: clusters searched a list, 0 = measured at start
                                 (mfr_index_params) */
} mfr_server_params;

/* GET /metrics exposure: loopback clients only (the default: the counters
 * say who uses the service and how), every client, or no route at all. */
enum { MFR_METRICS_LOOPBACK = 0, MFR_METRICS_ANY = 1, MFR_METRICS_OFF = 2 };

mfr_server_params mfr_server_params_default(void);

/* Start serving. On success *out owns a running server (free with
 * mfr_server_free). On failure *out is NULL and err says why: MFR_E_IO or
 * MFR_E_FORMAT (model or store unreadable, naming the path), MFR_E_INVALID
 * (bad bind address or parameter, an admin token shorter than 16
 * characters), MFR_E_IO (cannot bind the port). */
mfr_status mfr_server_create(const mfr_server_params *p, mfr_server **out,
                             mfr_error *err);

/* The port actually bound (useful with port 0). */
int mfr_server_port(const mfr_server *s);

/* What each model-dependent route does with the current model, in words:
 * one "route: what it does" line each, ending in '\n', into buf
 * (NUL-terminated, truncated to cap); `mfrec serve` prints them at start-up
 * and GET /api/health returns them under "routes". Returns the length
 * needed. */
size_t mfr_server_describe(mfr_server *s, char *buf, size_t cap);

/* Stop and release; waits for requests in flight and a running retrain.
 * NULL is fine. */
void mfr_server_free(mfr_server *s);

#ifdef __cplusplus
}
#endif
#endif
