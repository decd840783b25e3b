/* The HTTP side: the real server (libmicrohttpd, the route table, query
 * strings, JSON bodies, tokens, the store) runs in this process on a
 * loopback port, serving a model trained on the tiny fixture, and each input
 * becomes one request on a fresh connection.
 *
 * Input: a flags byte, then "METHOD TARGET" up to the first newline, then
 * the body.
 *   flags bit 0  Authorization: Bearer <the token of the user made at start>
 *         bit 1  Authorization: Bearer <the admin token> (over bit 0)
 *         bit 2  a wrong token of the right length (over bits 0-1)
 *         bit 3  Expect: 100-continue
 *         bit 4  the body sent chunked instead of with Content-Length
 *   METHOD keeps its letters A-Z (none: GET); in TARGET, "{U}" becomes the
 *   id of that user and bytes outside 0x21..0x7e are sent %-encoded, so the
 *   request line stays one line and every byte still reaches the decoder.
 *   Seeds are text files whose flags byte is a digit ('0' none, '1' user
 *   token, '2' admin, '4' a wrong token).
 *
 * MFR_FUZZ_HTTP_ALARM=US: a SIGALRM every US microseconds (handler without
 * SA_RESTART), as libFuzzer's timers send, so every blocking call of the
 * client and of the server's threads meets EINTR; ctest replays
 * crashes/http so (fuzz.replay.http_alarm).
 *
 * Findings besides the sanitizers': no answer within 15 s, an answer that is
 * not HTTP, a 500 (bad input must get a 4xx), and (checks on by default;
 * MFR_FUZZ_HTTP_CHECKS=crash keeps only crashes and hangs) an /api answer
 * whose body is not valid UTF-8 JSON or that lacks the security header
 * X-Content-Type-Options. */
#include "fuzz.h"
#include "mfrec/serve.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

int mfr__utf8_valid(const char *s, size_t n); /* src/core/text.c */
double mfr__now(void);                        /* src/core: monotonic seconds */

#define ADMIN_TOKEN "fuzz-admin-token-0123456789abcdef"

static mfr_server *srv;
static int port;
static char user_token[80];
static long long user_id;
static int checks = 1;
static int last_close_errno; /* how the last exchange's connection ended: 0 EOF, else recv's errno */

/* One request, the whole answer into a malloc'd buffer; -1: no answer in
 * time (or cannot connect). */
static long exchange(const char *req, size_t n, char **out) {
    *out = NULL;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) fz_fail("socket: %s", strerror(errno));
    struct timeval tv = {15, 0}; /* over the server's 10 s request deadline */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int c;
    while ((c = connect(fd, (struct sockaddr *)&a, sizeof a)) != 0 && errno == EINTR) {
    }
    if (c != 0) fz_fail("connect: %s", strerror(errno));
    size_t off = 0;
    while (off < n) { /* the server may answer (413) and close before all is sent */
        ssize_t w = send(fd, req + off, n - off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue; /* libFuzzer's timers signal */
        if (w <= 0) break;
        off += (size_t)w;
    }
    /* No shutdown(SHUT_WR): libmicrohttpd takes a half-closed connection
     * for a closed one and may drop the answer; the request is framed
     * (Content-Length or chunks, Connection: close), the server closes. */
    size_t cap = 1 << 14, len = 0;
    char *b = malloc(cap);
    if (!b) abort();
    for (;;) {
        if (len + 1 >= cap) {
            cap *= 2;
            b = realloc(b, cap);
            if (!b) abort();
        }
        ssize_t r = recv(fd, b + len, cap - len - 1, 0);
        if (r > 0) {
            len += (size_t)r;
            continue;
        }
        if (r < 0 && errno == EINTR) continue;
        last_close_errno = r < 0 ? errno : 0;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            close(fd);
            free(b);
            return -1;
        }
        break; /* closed (or reset after the answer) */
    }
    close(fd);
    b[len] = 0;
    *out = b;
    return (long)len;
}

static void on_alarm(int sig) {
    (void)sig;
}

static void server_stop(void) {
    mfr_server_free(srv);
    srv = NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    const char *c = getenv("MFR_FUZZ_HTTP_CHECKS");
    if (c && !strcmp(c, "crash")) checks = 0;
    const char *al = getenv("MFR_FUZZ_HTTP_ALARM");
    if (al && atol(al) > 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_alarm; /* no SA_RESTART: recv, send, connect answer EINTR */
        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGALRM, &sa, NULL) != 0) fz_fail("sigaction: %s", strerror(errno));
        long us = atol(al);
        struct itimerval it = {{us / 1000000, us % 1000000}, {us / 1000000, us % 1000000}};
        if (setitimer(ITIMER_REAL, &it, NULL) != 0) fz_fail("setitimer: %s", strerror(errno));
    }
    char data[1024];
    snprintf(data, sizeof data, "%s/cli/synth_seed3", fz_fixtures());
    mfr_dataset *ds = NULL;
    mfr_model *m = NULL;
    mfr_error err = {0};
    if (mfr_dataset_import(data, NULL, &ds, &err) != MFR_OK) fz_fail("fixture: %s", err.message);
    mfr_train_params tp = mfr_train_params_default(MFR_ALGO_DEFAULT);
    tp.threads = 1;
    tp.seed = 1;
    if (mfr_model_train(ds, NULL, NULL, &tp, &m, &err) != MFR_OK) fz_fail("train: %s", err.message);
    const char *model = fz_path("model.mfm");
    if (mfr_model_save(m, model, &err) != MFR_OK) fz_fail("save: %s", err.message);
    mfr_model_free(m);
    mfr_dataset_free(ds);

    mfr_server_params p = mfr_server_params_default();
    p.model_path = model;
    p.db_path = fz_path("ratings.db");
    p.port = 0;
    p.threads = 2;
    p.data_path = data;
    p.admin_token = ADMIN_TOKEN;
    p.timeout_s = 5;
    p.write_rate = 0; /* every input may write */
    p.synchronous_full = 0;
    if (mfr_server_create(&p, &srv, &err) != MFR_OK) fz_fail("server: %s", err.message);
    port = mfr_server_port(srv);
    atexit(server_stop);

    static const char mk[] = "POST /api/users HTTP/1.1\r\nHost: fuzz\r\nContent-Length: 0\r\n"
                             "Connection: close\r\n\r\n";
    char *ans = NULL;
    if (exchange(mk, sizeof mk - 1, &ans) < 0 || !ans) fz_fail("no answer to POST /api/users");
    char *body = strstr(ans, "\r\n\r\n");
    cJSON *j = body ? cJSON_Parse(body + 4) : NULL;
    cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "id");
    cJSON *tok = cJSON_GetObjectItemCaseSensitive(j, "token");
    if (!cJSON_IsNumber(id) || !cJSON_IsString(tok)) fz_fail("POST /api/users answered: %s", ans);
    user_id = (long long)id->valuedouble;
    snprintf(user_token, sizeof user_token, "%s", tok->valuestring);
    cJSON_Delete(j);
    free(ans);
    return 0;
}

/* Append to a growing buffer. */
typedef struct buf {
    char *p;
    size_t n, cap;
} buf;

static void put(buf *b, const void *s, size_t n) {
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p) abort();
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void puts_(buf *b, const char *s) { put(b, s, strlen(s)); }

/* 1 when the head [ans, head_end) has a line "name..." (containing value
 * when value is not NULL), names compared without case. */
static int head_has(const char *ans, const char *head_end, const char *name, const char *value) {
    size_t nl = strlen(name);
    for (const char *h = strstr(ans, "\r\n"); h && h < head_end; h = strstr(h, "\r\n")) {
        h += 2;
        const char *e = strstr(h, "\r\n");
        if (!e || e > head_end) e = head_end;
        if ((size_t)(e - h) >= nl && !strncasecmp(h, name, nl)) {
            if (!value) return 1;
            for (const char *v = h + nl; v + strlen(value) <= e; v++)
                if (!strncasecmp(v, value, strlen(value))) return 1;
        }
    }
    return 0;
}

static void check_answer(const char *ans, size_t len, const char *target, const buf *req) {
    if (len < 12 || memcmp(ans, "HTTP/1.", 7) != 0 || ans[8] != ' ')
        fz_fail("not an HTTP answer (%zu bytes) to:\n%s", len, req->p);
    int status = atoi(ans + 9);
    if (getenv("MFR_FUZZ_VERBOSE")) {
        const char *b = strstr(ans, "\r\n\r\n");
        fprintf(stderr, "  %.*s -> %d %.160s\n", (int)strcspn(req->p, "\r"), req->p, status,
                b ? b + 4 : "");
    }
    if (status == 100) { /* the interim answer, then the real one */
        const char *next = strstr(ans, "\r\n\r\n");
        if (!next) fz_fail("only 100 Continue to:\n%s", req->p);
        check_answer(next + 4, len - (size_t)(next + 4 - ans), target, req);
        return;
    }
    if (status < 200 || status > 599) fz_fail("status %d to:\n%s", status, req->p);
    if (status == 500) fz_fail("500 to:\n%s\nanswer:\n%.2000s", req->p, ans);
    if (!checks) return;
    const char *head_end = strstr(ans, "\r\n\r\n");
    if (!head_end) fz_fail("answer without the end of its head to:\n%s", req->p);
    int api = !strncmp(target, "/api", 4);
    if (api && !head_has(ans, head_end, "X-Content-Type-Options:", NULL))
        fz_fail("answer %d without X-Content-Type-Options to:\n%s", status, req->p);
    const char *body = head_end + 4;
    size_t blen = len - (size_t)(body - ans);
    if (api && blen && head_has(ans, head_end, "Content-Type:", "application/json")) {
    if (!mfr__utf8_valid(body, blen)) fz_fail("answer body is not UTF-8 to:\n%s", req->p);
        cJSON *j = cJSON_ParseWithLength(body, blen);
        if (!j) fz_fail("answer body is not JSON to:\n%s\nbody: %.1000s", req->p, body);
        cJSON_Delete(j);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    uint8_t flags = data[0];
    const uint8_t *line = data + 1, *end = data + size;
    const uint8_t *nl = memchr(line, '\n', (size_t)(end - line));
    const uint8_t *line_end = nl ? nl : end;
    const uint8_t *body = nl ? nl + 1 : end;
    size_t body_len = (size_t)(end - body);

    buf method = {0}, target = {0}, req = {0};
    const uint8_t *sp = memchr(line, ' ', (size_t)(line_end - line));
    const uint8_t *m_end = sp ? sp : line;
    for (const uint8_t *q = line; q < m_end && method.n < 16; q++)
        if (*q >= 'A' && *q <= 'Z') put(&method, q, 1);
    if (!method.n) puts_(&method, "GET");
    const uint8_t *t = sp ? sp + 1 : line;
    char uid[32];
    snprintf(uid, sizeof uid, "%lld", user_id);
    for (; t < line_end; t++) {
        if (line_end - t >= 3 && !memcmp(t, "{U}", 3)) {
            puts_(&target, uid);
            t += 2;
        } else if (*t > 0x20 && *t < 0x7f) {
            put(&target, t, 1);
        } else {
            char e[4];
            snprintf(e, sizeof e, "%%%02X", *t);
            puts_(&target, e);
        }
    }
    if (!target.n || target.p[0] != '/') {
        buf t2 = {0};
        puts_(&t2, "/");
        if (target.n) put(&t2, target.p, target.n);
        free(target.p);
        target = t2;
    }

    puts_(&req, method.p);
    puts_(&req, " ");
    puts_(&req, target.p);
    puts_(&req, " HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n");
    if (flags & 4) puts_(&req, "Authorization: Bearer 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\r\n");
    else if (flags & 2) puts_(&req, "Authorization: Bearer " ADMIN_TOKEN "\r\n");
    else if (flags & 1) {
        puts_(&req, "Authorization: Bearer ");
        puts_(&req, user_token);
        puts_(&req, "\r\n");
    }
    if (flags & 8) puts_(&req, "Expect: 100-continue\r\n");
    char h[96];
    if (flags & 16) {
        puts_(&req, "Transfer-Encoding: chunked\r\n\r\n");
        if (body_len) {
            snprintf(h, sizeof h, "%zx\r\n", body_len);
            puts_(&req, h);
            put(&req, body, body_len);
            puts_(&req, "\r\n");
        }
        puts_(&req, "0\r\n\r\n");
    } else {
        if (body_len || strcmp(method.p, "GET")) {
            snprintf(h, sizeof h, "Content-Length: %zu\r\n", body_len);
            puts_(&req, h);
        }
        puts_(&req, "\r\n");
        put(&req, body, body_len);
    }

    char *ans = NULL;
    double t0 = mfr__now();
    long len = exchange(req.p, req.n, &ans);
    if (len < 0) fz_fail("no answer within 15 s to:\n%.4000s", req.p);
    if (len == 0) { /* how long it took, and the deadline cuts, say who closed it */
        double dt = mfr__now() - t0;
        int how = last_close_errno; /* before the next exchange */
        static const char mq[] = "GET /metrics HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n\r\n";
        char *met = NULL;
        const char *cuts = NULL;
        if (exchange(mq, sizeof mq - 1, &met) > 0) cuts = strstr(met, "\nmfrec_http_deadline_cuts_total ");
        fz_fail("connection closed without an answer after %.3f s (%s; %.60s) to:\n%.4000s", dt,
                how ? strerror(how) : "end of file", cuts ? cuts + 1 : "no deadline count", req.p);
    }
    check_answer(ans, (size_t)len, target.p, &req);
    free(ans);
    free(method.p);
    free(target.p);
    free(req.p);
    return 0;
}
