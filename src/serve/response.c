/* response.c — building and queueing responses (every one carries the
 * security headers and is counted in /metrics), the one error answer,
 * query-string parsing, UTF-8 checks, the JSON shape of a movie and
 * bearer-token checks.
 *
 * The security headers go on in MHD_queue_response below, which this file
 * defines over libmicrohttpd's: libmicrohttpd queues its own error answers
 * (400 for a malformed request line or header, 414, 431, 505) through its
 * exported MHD_queue_response, a call that goes through the dynamic
 * symbol table and so reaches this definition, which adds the headers and
 * then calls libmicrohttpd's (dlsym RTLD_NEXT). tests/http/attack.sh checks
 * the headers on each of those answers. */
#include <dlfcn.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server_impl.h"
#include "sha256.h"

typedef enum MHD_Result (*queue_fn)(struct MHD_Connection *, unsigned int, struct MHD_Response *);
static queue_fn real_queue;
static pthread_once_t real_once = PTHREAD_ONCE_INIT;

static void find_real_queue(void) {
    real_queue = (queue_fn)dlsym(RTLD_NEXT, "MHD_queue_response");
}

int mfr__queue_hook_ok(void) {
    pthread_once(&real_once, find_real_queue);
    return real_queue != NULL && real_queue != MHD_queue_response;
}

enum MHD_Result MHD_queue_response(struct MHD_Connection *c, unsigned int status,
                                   struct MHD_Response *resp) {
    pthread_once(&real_once, find_real_queue);
    if (!real_queue || real_queue == MHD_queue_response) return MHD_NO;
    if (resp && !MHD_get_response_header(resp, "X-Content-Type-Options")) {
        MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
        MHD_add_response_header(resp, "X-Frame-Options", "DENY");
        MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
        MHD_add_response_header(resp, "Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                                "script-src 'self'; connect-src 'self'; object-src 'none'; "
                                "base-uri 'none'; frame-ancestors 'none'");
        if (!MHD_get_response_header(resp, "Cache-Control"))
            MHD_add_response_header(resp, "Cache-Control", "no-store");
        if (!MHD_get_response_header(resp, "Content-Type"))
            MHD_add_response_header(resp, "Content-Type", "text/html; charset=utf-8");
    }
    return real_queue(c, status, resp);
}

static void add_headers(struct MHD_Response *resp, const char *type, int cache) {
    MHD_add_response_header(resp, "Content-Type", type);
    MHD_add_response_header(resp, "Cache-Control", cache ? "public, max-age=300" : "no-store");
}

static enum MHD_Result queue(req *r, unsigned int status, struct MHD_Response *resp,
                             const char *type, int cache) {
    if (!resp) return MHD_NO;
    add_headers(resp, type, cache);
    enum MHD_Result res = MHD_queue_response(r->c, status, resp);
    MHD_destroy_response(resp);
    mfr__metrics_record(r->s, r->ctx->route, status, mfr__now() - r->ctx->start);
    return res;
}

enum MHD_Result mfr__send_buffer(req *r, unsigned int status, const char *type,
                                 const void *data, size_t len, int copy, int cache) {
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        len, (void *)data, copy ? MHD_RESPMEM_MUST_COPY : MHD_RESPMEM_PERSISTENT);
    return queue(r, status, resp, type, cache);
}

/* text (len bytes, freed by release once sent) as a JSON answer. */
static enum MHD_Result send_owned(req *r, unsigned int status, char *text, size_t len,
                                  void (*release)(void *)) {
    struct MHD_Response *resp =
        MHD_create_response_from_buffer_with_free_callback(len, text, release);
    if (!resp) release(text);
    return queue(r, status, resp, "application/json", 0);
}

enum MHD_Result mfr__send_json(req *r, unsigned int status, cJSON *body, const char *key) {
    char *text = body ? cJSON_PrintUnformatted(body) : NULL;
    cJSON_Delete(body);
    if (!text) {
        static const char oom[] =
            "{\"error\":{\"code\":\"MFR_E_NOMEM\",\"message\":\"out of memory\"}}";
        return mfr__send_buffer(r, 500, "application/json", oom, sizeof oom - 1, 0, 0);
    }
    size_t len = strlen(text);
    if (key) mfr__cache_put(r->mr->cache, key, text, len);
    return send_owned(r, status, text, len, cJSON_free);
}

int mfr__send_cached(req *r, const char *key, enum MHD_Result *res) {
    size_t len = 0;
    char *text = mfr__cache_get(r->mr->cache, key, &len);
    if (text) *res = send_owned(r, 200, text, len, mfr__free);
    return text != NULL;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 when invalid. */
static size_t utf8_seq(const char *s, size_t n) {
    for (size_t k = 1; k <= 4 && k <= n; k++)
        if (mfr__utf8_valid(s, k)) return k;
    return 0;
}

/* Copy n bytes of s into out (cap >= 4) as valid UTF-8: invalid or cut
 * sequences become U+FFFD; NUL-terminated. Returns the length written. */
static size_t utf8_clean(const char *s, size_t n, char *out, size_t cap) {
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq(s + i, n - i);
        const char *piece = k ? s + i : "\xEF\xBF\xBD";
        size_t len = k ? k : 3;
        if (o + len + 1 > cap) break;
        memcpy(out + o, piece, len);
        o += len;
        i += k ? k : 1;
    }
    out[o] = 0;
    return o;
}

enum MHD_Result mfr__send_error(req *r, unsigned int status, mfr_status code, const char *fmt,
                                ...) {
    char raw[512], msg[4 * sizeof raw];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    size_t len = n < 0 ? 0 : (size_t)n < sizeof raw ? (size_t)n : sizeof raw - 1;
    utf8_clean(raw, len, msg, sizeof msg);
    cJSON *root = cJSON_CreateObject();
    cJSON *e = cJSON_AddObjectToObject(root, "error");
    cJSON_AddStringToObject(e, "code", mfr_status_name(code));
    cJSON_AddStringToObject(e, "message", msg);
    return mfr__send_json(r, status, root, NULL);
}

const char *mfr__query(req *r, const char *name) {
    return MHD_lookup_connection_value(r->c, MHD_GET_ARGUMENT_KIND, name);
}

int mfr__query_int(req *r, const char *name, long lo, long hi, long def, long *out,
                   enum MHD_Result *res) {
    const char *v = mfr__query(r, name);
    *out = def;
    if (!v) return 0;
    char *end;
    long x = strtol(v, &end, 10);
    if (!*v || *end || x < lo || x > hi) {
        *res = mfr__send_error(r, 400, MFR_E_INVALID, "query parameter %s=\"%.40s\": expected an "
                               "integer in %ld..%ld", name, v, lo, hi);
        return -1;
    }
    *out = x;
    return 0;
}

size_t mfr__fixed_text(char *buf, double v, int decimals) {
    static const double pow10[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6};
    double x = decimals >= 0 && decimals <= 6 ? fabs(v) * pow10[decimals] : -1.0;
    if ((double)(float)v != v || !(x >= 0.0 && x < 1e15)) { /* not a float, too large, NaN, d > 6 */
        int n = snprintf(buf, 48, "%.*f", decimals, v);
        return n < 0 ? 0 : (size_t)n < 48 ? (size_t)n : 47;
    }
    /* v·10^d is exact (24 + 14 bits at most); nearbyint rounds it as printf
     * rounds the exact decimal expansion: to nearest, ties to even */
    uint64_t u = (uint64_t)nearbyint(x), scale = (uint64_t)pow10[decimals];
    size_t n = 0;
    if (signbit(v)) buf[n++] = '-';
    n += mfr__put_u64(buf + n, u / scale);
    if (decimals > 0) {
        buf[n++] = '.';
        uint64_t f = u % scale;
        for (int d = decimals - 1; d >= 0; d--, f /= 10) buf[n + (size_t)d] = (char)('0' + f % 10);
        n += (size_t)decimals;
    }
    buf[n] = 0;
    return n;
}

void mfr__json_int(cJSON *o, const char *name, int64_t v) {
    char buf[24];
    size_t n = 0;
    if (v < 0) buf[n++] = '-';
    n += mfr__put_u64(buf + n, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
    buf[n] = 0;
    cJSON_AddRawToObject(o, name, buf);
}

static void add_genres(cJSON *o, const char *g) {
    cJSON *arr = cJSON_AddArrayToObject(o, "genres");
    while (g && *g) {
        const char *bar = strchr(g, '|');
        size_t n = bar ? (size_t)(bar - g) : strlen(g);
        char buf[64];
        if (n > 63) n = 63;
        memcpy(buf, g, n);
        buf[n] = 0;
        if (n && strcmp(buf, "(no genres listed)")) cJSON_AddItemToArray(arr, cJSON_CreateString(buf));
        g = bar ? bar + 1 : NULL;
    }
}

void mfr__json_fixed(cJSON *o, const char *name, double v, int decimals) {
    char buf[48];
    if (!isfinite(v)) {
        cJSON_AddNullToObject(o, name);
        return;
    }
    mfr__fixed_text(buf, v, decimals);
    cJSON_AddRawToObject(o, name, buf);
}

cJSON *mfr__movie_json(const model_ref *mr, int32_t i) {
    const mfr_model *m = mr->m;
    cJSON *o = cJSON_CreateObject();
    mfr__json_int(o, "id", mfr_model_item_id(m, i));
    const char *t = mfr_model_item_title(m, i);
    cJSON_AddStringToObject(o, "title", t ? t : "");
    int32_t y = mfr_model_item_year(m, i);
    if (y > 0) mfr__json_int(o, "year", y);
    else cJSON_AddNullToObject(o, "year");
    add_genres(o, mfr_model_item_genres(m, i));
    mfr__json_int(o, "rating_count", mfr_model_item_count(m, i));
    float mean = mfr_model_item_mean(m, i);
    mfr__json_fixed(o, "rating_mean", mean, 3);
    return o;
}

const char *mfr__movie_text(model_ref *mr, int32_t i) {
    char *t = atomic_load_explicit(&mr->movie_text[i], memory_order_acquire);
    if (t) return t;
    cJSON *o = mfr__movie_json(mr, i);
    char *p = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (!p) return NULL;
    p[strlen(p) - 1] = 0; /* the closing brace: rows add members after it */
    char *none = NULL;
    if (atomic_compare_exchange_strong_explicit(&mr->movie_text[i], &none, p, memory_order_acq_rel,
                                                memory_order_acquire))
        return p;
    cJSON_free(p); /* another request printed it first */
    return none;
}

/* ,"name":value with mfr__json_fixed's text into out; returns the length. */
static size_t put_fixed(char *out, const char *name, double v, int decimals) {
    size_t nl = strlen(name), n = nl + 4;
    out[0] = ',', out[1] = '"';
    memcpy(out + 2, name, nl);
    out[nl + 2] = '"', out[nl + 3] = ':';
    if (!isfinite(v)) {
        memcpy(out + n, "null", 5);
        return n + 4;
    }
    return n + mfr__fixed_text(out + n, v, decimals);
}

cJSON *mfr__movie_row(model_ref *mr, int32_t i, double score, int score_dec, double pred,
                      int pred_dec, cJSON *because) {
    const char *t = mfr__movie_text(mr, i);
    char *bt = because ? cJSON_PrintUnformatted(because) : NULL;
    cJSON_Delete(because);
    if (!t || (because && !bt)) {
        cJSON_free(bt);
        return NULL;
    }
    size_t tl = strlen(t), bl = bt ? strlen(bt) : 0, need = tl + bl + 160;
    char stack[2048], *row = need <= sizeof stack ? stack : mfr__malloc(need);
    cJSON *node = NULL;
    if (row) {
        memcpy(row, t, tl);
        size_t n = tl + put_fixed(row + tl, "score", score, score_dec);
        if (pred_dec >= 0) n += put_fixed(row + n, "prediction", pred, pred_dec);
        if (bt) {
            memcpy(row + n, ",\"because\":", 11);
            memcpy(row + n + 11, bt, bl);
            n += 11 + bl;
        }
        row[n++] = '}';
        row[n] = 0;
        node = cJSON_CreateRaw(row);
    }
    if (row != stack) mfr__free(row);
    cJSON_free(bt);
    return node;
}

int mfr__auth_ok(req *r, const unsigned char hash[32]) {
    const char *h = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, "Authorization");
    if (!h || strncmp(h, "Bearer ", 7)) return 0;
    const char *tok = h + 7;
    size_t n = strlen(tok);
    if (n == 0 || n > 256) return 0;
    unsigned char got[32];
    mfr__sha256(tok, n, got);
    return mfr__ct_equal(got, hash, 32);
}
