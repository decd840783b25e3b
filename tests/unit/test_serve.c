/* test_serve.c — unit tests of the server's own parts: SHA-256 against the
 * FIPS 180-4 / NIST example vectors, constant-time comparison, the SQLite
 * store (round trip, reopen, group commit keeping memory in commit order, its
 * file deleted or replaced under it), the answer cache, and server start-up
 * errors and port 0. The fault_ cases inject failures: I/O through the
 * SQLite VFS shim of fault_vfs.h (installed as the default VFS by main, so the
 * library needs no hook) into the store and into a server in this process
 * driven over HTTP; allocation failures (mfr__alloc_fail_after) into the
 * server's start and its requests. The rest of the HTTP behaviour is tested
 * end to end in tests/http/. */
#include "test.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "fault_vfs.h"

#include "mfrec/serve.h"
#include "serve/server_impl.h"
#include "serve/sha256.h"
#include "serve/store.h"

static void hex(const unsigned char *d, char *out) {
    for (int i = 0; i < 32; i++) sprintf(out + 2 * i, "%02x", d[i]);
}

static void sha256_vectors(void **state) {
    (void)state;
    static const struct { const char *msg, *digest; } v[] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
        {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
    };
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        unsigned char d[32];
        char h[65];
        mfr__sha256(v[i].msg, strlen(v[i].msg), d);
        hex(d, h);
        assert_string_equal(h, v[i].digest);
    }
    /* one million 'a', fed in uneven pieces */
    mfr_sha256 c;
    mfr__sha256_init(&c);
    char a[997];
    memset(a, 'a', sizeof a);
    size_t left = 1000000;
    while (left) {
        size_t n = left < sizeof a ? left : sizeof a;
        mfr__sha256_update(&c, a, n);
        left -= n;
    }
    unsigned char d[32];
    char h[65];
    mfr__sha256_final(&c, d);
    hex(d, h);
    assert_string_equal(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* mfr__fixed_text writes what snprintf("%.*f") writes: floats of every
 * magnitude, the exact ties of each number of decimals (x.5 at 10^-d, which
 * printf rounds to even), signs and negative zero, and the values it hands
 * to snprintf (doubles that are not floats, over 10^15). mfr__json_int: the
 * digits cJSON prints for the integers it is given. */
static void fixed_text_matches_printf(void **state) {
    (void)state;
    char a[48], b[48];
    uint64_t s = 12345;
    for (int t = 0; t < 400000; t++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        uint32_t bits = (uint32_t)(s >> 32);
        float f;
        if (t % 4 == 0) { /* any float bit pattern (NaN and infinities are printf's) */
            memcpy(&f, &bits, sizeof f);
        } else if (t % 4 == 1) { /* scores and ratings: -20..20 */
            f = (float)((double)(bits % 4000000u) / 100000.0 - 20.0);
        } else if (t % 4 == 2) { /* exact ties k/2·10^-d */
            int d = (int)(bits % 7u);
            f = (float)((double)(bits >> 8 & 0xFFFF) / 2.0 / pow(10.0, d));
        } else {
            f = (float)((double)(int32_t)bits / 1024.0);
        }
        int d = (int)(s >> 20 & 7u); /* 0..7: 7 goes to snprintf */
        double v = t & 1 ? -(double)f : (double)f;
        size_t n = mfr__fixed_text(a, v, d);
        snprintf(b, sizeof b, "%.*f", d, v);
        if (strcmp(a, b)) fail_msg("%.9g with %d decimals: \"%s\", printf \"%s\"", v, d, a, b);
        assert_int_equal(n, strlen(b));
    }
    static const double odd[] = {0.0, -0.0, 0.0005, 0.0625, -0.0625, 2.5, 3.5, 0.1, 1e14, 1e16, 0.1 + 1e-17};
    for (size_t j = 0; j < sizeof odd / sizeof *odd; j++)
        for (int d = 0; d <= 6; d++) {
            mfr__fixed_text(a, odd[j], d);
            snprintf(b, sizeof b, "%.*f", d, odd[j]);
            assert_string_equal(a, b);
        }
    static const int64_t ints[] = {0, 7, -7, 10, 2147483647, 2147483648LL, -2147483649LL, 999999999999999LL};
    for (size_t j = 0; j < sizeof ints / sizeof *ints; j++) {
        cJSON *o = cJSON_CreateObject(), *c = cJSON_CreateObject();
        mfr__json_int(o, "v", ints[j]);
        cJSON_AddNumberToObject(c, "v", (double)ints[j]);
        char *x = cJSON_PrintUnformatted(o), *y = cJSON_PrintUnformatted(c);
        assert_string_equal(x, y);
        cJSON_free(x);
        cJSON_free(y);
        cJSON_Delete(o);
        cJSON_Delete(c);
    }
}

static void sha256_split_points(void **state) {
    (void)state;
    unsigned char msg[200], one[32], two[32];
    for (int i = 0; i < 200; i++) msg[i] = (unsigned char)(i * 7 + 3);
    mfr__sha256(msg, sizeof msg, one);
    for (size_t cut = 0; cut <= sizeof msg; cut += 13) {
        mfr_sha256 c;
        mfr__sha256_init(&c);
        mfr__sha256_update(&c, msg, cut);
        mfr__sha256_update(&c, msg + cut, sizeof msg - cut);
        mfr__sha256_final(&c, two);
        assert_memory_equal(one, two, 32);
    }
}

static void ct_equal_works(void **state) {
    (void)state;
    unsigned char a[32] = {0}, b[32] = {0};
    assert_int_equal(mfr__ct_equal(a, b, 32), 1);
    b[31] = 1;
    assert_int_equal(mfr__ct_equal(a, b, 32), 0);
    b[31] = 0;
    b[0] = 0x80;
    assert_int_equal(mfr__ct_equal(a, b, 32), 0);
}

/* ---- store ---- */

typedef struct seen {
    int users;
    int64_t last_user;
    unsigned char hash[32];
    int ratings;
    int64_t movie[8];
    float rating[8];
} seen;

static void on_user(void *ctx, int64_t id, const unsigned char hash[32], int64_t created) {
    seen *s = ctx;
    s->users++;
    s->last_user = id;
    memcpy(s->hash, hash, 32);
    (void)created;
}

static void on_rating(void *ctx, int64_t user, int64_t movie, float rating, int64_t time) {
    seen *s = ctx;
    if (s->ratings < 8) {
        s->movie[s->ratings] = movie;
        s->rating[s->ratings] = rating;
    }
    s->ratings++;
    (void)user;
    (void)time;
}

static void store_roundtrip(void **state) {
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/r.db", temp_dir());
    mfr_store *s = NULL;
    mfr_error err = {0};
    assert_int_equal(mfr__store_open(path, 1, &s, &err), MFR_OK);
    unsigned char h[32];
    mfr__sha256("tok", 3, h);
    assert_int_equal(mfr__store_add_user(s, 700, h, 1, NULL, NULL, &err), MFR_OK);
    assert_int_equal(mfr__store_put(s, 700, 10, 4.5f, 2, NULL, NULL, &err), MFR_OK);
    assert_int_equal(mfr__store_put(s, 700, 20, 1.0f, 3, NULL, NULL, &err), MFR_OK);
    assert_int_equal(mfr__store_put(s, 700, 10, 3.0f, 4, NULL, NULL, &err), MFR_OK);
    assert_int_equal(mfr__store_delete(s, 700, 20, 5, NULL, NULL, &err), MFR_OK);
    /* the same id twice violates the primary key: the write fails whole */
    assert_int_equal(mfr__store_add_user(s, 700, h, 1, NULL, NULL, &err), MFR_E_IO);
    assert_non_null(strstr(err.message, "store"));
    mfr__store_close(s);

    s = NULL;
    assert_int_equal(mfr__store_open(path, 1, &s, &err), MFR_OK);
    seen got = {0};
    assert_int_equal(mfr__store_load(s, on_user, on_rating, &got, &err), MFR_OK);
    assert_int_equal(got.users, 1);
    assert_int_equal(got.last_user, 700);
    assert_memory_equal(got.hash, h, 32);
    assert_int_equal(got.ratings, 1);
    assert_int_equal(got.movie[0], 10);
    assert_float_near(got.rating[0], 3.0, 1e-6);
    int64_t commits, writes, max_batch;
    mfr__store_stats(s, &commits, &writes, &max_batch);
    assert_int_equal(commits, 0); /* counters are per process */
    mfr__store_close(s);
}

static void store_open_error(void **state) {
    (void)state;
    mfr_store *s = NULL;
    mfr_error err = {0};
    assert_int_equal(mfr__store_open("/nonexistent-dir-mfrec/x/r.db", 1, &s, &err), MFR_E_IO);
    assert_null(s);
    assert_non_null(strstr(err.message, "/nonexistent-dir-mfrec/x/r.db"));
}

static void count_apply(void *ctx) {
    (*(int *)ctx)++;
}

/* Defect 5 of issue 11: the database file deleted, or another renamed over
 * it, or its write-ahead log deleted, while the store runs. Writes must fail
 * (nothing acknowledged into a file no restart opens) and keep failing,
 * naming the file. */
static void store_file_deleted(void **state) {
    (void)state;
    static const char *const expect[3] = {"r.db: the database file was deleted",
                                          "r.db: the database file was replaced",
                                          "r.db-wal: the write-ahead log was deleted"};
    for (int replace = 0; replace < 3; replace++) {
        const char *dir = temp_dir();
        char path[512], other[512];
        snprintf(path, sizeof path, "%s/r.db", dir);
        snprintf(other, sizeof other, "%s/other.db", dir);
        mfr_store *s = NULL;
        mfr_error err = {0};
        assert_int_equal(mfr__store_open(path, 1, &s, &err), MFR_OK);
        unsigned char h[32] = {1};
        assert_int_equal(mfr__store_add_user(s, 700, h, 1, NULL, NULL, &err), MFR_OK);
        assert_int_equal(mfr__store_put(s, 700, 10, 4.5f, 2, NULL, NULL, &err), MFR_OK);
        assert_int_equal(mfr__store_unavailable(s), 0);
        if (replace == 2) {
            char wal[600];
            snprintf(wal, sizeof wal, "%s-wal", path);
            assert_int_equal(unlink(wal), 0);
        } else if (replace) {
            mfr_store *o = NULL;
            assert_int_equal(mfr__store_open(other, 1, &o, &err), MFR_OK);
            mfr__store_close(o);
            assert_int_equal(rename(other, path), 0);
        } else {
            assert_int_equal(unlink(path), 0);
        }
        int applied = 0;
        err.message[0] = 0;
        assert_int_equal(mfr__store_put(s, 700, 11, 3.0f, 3, count_apply, &applied, &err), MFR_E_IO);
        assert_int_equal(applied, 0);
        if (!strstr(err.message, expect[replace])) print_error("got: %s\n", err.message);
        assert_non_null(strstr(err.message, expect[replace]));
        assert_int_equal(mfr__store_unavailable(s), 1);
        /* latched: later writes fail too, users included */
        assert_int_equal(mfr__store_add_user(s, 701, h, 1, NULL, NULL, &err), MFR_E_IO);
        assert_non_null(strstr(err.message, expect[replace]));
        mfr__store_close(s);
    }
}

typedef struct writer_arg {
    mfr_store *s;
    int id;
    pthread_mutex_t *mu;
    float *mem;  /* the "in-memory copy", updated by apply in commit order */
} writer_arg;

typedef struct apply_arg {
    writer_arg *w;
    float value;
} apply_arg;

static void apply_value(void *ctx) {
    apply_arg *a = ctx;
    pthread_mutex_lock(a->w->mu);
    *a->w->mem = a->value;
    pthread_mutex_unlock(a->w->mu);
}

static void *writer(void *p) {
    writer_arg *w = p;
    for (int i = 0; i < 40; i++) {
        apply_arg a = {w, (float)((w->id * 40 + i) % 10 + 1) / 2};
        mfr__store_put(w->s, 1, 1, a.value, i, apply_value, &a, NULL);
    }
    return NULL;
}

static void on_rating_last(void *ctx, int64_t user, int64_t movie, float rating, int64_t time) {
    *(float *)ctx = rating;
    (void)user; (void)movie; (void)time;
}
static void on_user_none(void *ctx, int64_t id, const unsigned char hash[32], int64_t created) {
    (void)ctx; (void)id; (void)hash; (void)created;
}

static void store_group_commit_order(void **state) {
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/r.db", temp_dir());
    mfr_store *s = NULL;
    assert_int_equal(mfr__store_open(path, 0, &s, NULL), MFR_OK);
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    float mem = 0;
    pthread_t th[8];
    writer_arg wa[8];
    for (int t = 0; t < 8; t++) {
        wa[t] = (writer_arg){s, t, &mu, &mem};
        pthread_create(&th[t], NULL, writer, &wa[t]);
    }
    for (int t = 0; t < 8; t++) pthread_join(th[t], NULL);
    int64_t commits, writes, max_batch;
    mfr__store_stats(s, &commits, &writes, &max_batch);
    assert_int_equal(writes, 320);
    assert_true(commits <= 320 && commits >= 1);
    float db = -1;
    assert_int_equal(mfr__store_load(s, on_user_none, on_rating_last, &db, NULL), MFR_OK);
    assert_float_near(mem, db, 0); /* memory followed the last commit */
    mfr__store_close(s);
}

/* ---- I/O faults (fault_vfs.h) ---- */

typedef struct rating_map {
    float r[512]; /* by movie id; 0 = none */
} rating_map;

static void on_rating_map(void *ctx, int64_t user, int64_t movie, float rating, int64_t time) {
    rating_map *m = ctx;
    if (movie >= 0 && movie < 512) m->r[movie] = rating;
    (void)user; (void)time;
}

/* The Nth read, write (as an I/O error or a full disk) or fsync of the store
 * fails, once or from then on: the write fails with MFR_E_IO naming the
 * store, its apply callback does not run, nothing of it is in the database,
 * the next write after the fault succeeds (recovery), and after a reopen
 * every acknowledged write is there with its value. A failing read at open or load fails that call cleanly. */
static void fault_store_io(void **state) {
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/f.db", temp_dir());
    mfr_store *s = NULL;
    mfr_error err = {0};
    assert_int_equal(mfr__store_open(path, 1, &s, &err), MFR_OK);
    unsigned char h[32] = {7};
    assert_int_equal(mfr__store_add_user(s, 900, h, 1, NULL, NULL, &err), MFR_OK);
    rating_map acked = {{0}};
    int64_t movie = 1;
    long failed[FAULT__N] = {0};
    for (int kind = FAULT_WRITE; kind <= FAULT_FULL; kind++)
        for (int sticky = 0; sticky < 2; sticky++)
            for (long n = 0; n < 8; n++) {
                float value = 0.5f + (float)(movie % 10) * 0.5f;
                int applied = 0;
                long hits = atomic_load(&fault_hits);
                fault_arm(kind, n, sticky);
                err.message[0] = 0;
                mfr_status st = mfr__store_put(s, 900, movie, value, movie, count_apply, &applied, &err);
                fault_disarm();
                if (st == MFR_OK) {
                    assert_int_equal(applied, 1);
                    acked.r[movie] = value;
                } else {
                    assert_int_equal(st, MFR_E_IO);
                    assert_true(atomic_load(&fault_hits) > hits);
                    assert_non_null(strstr(err.message, "store:"));
                    assert_int_equal(applied, 0);
                    failed[kind]++;
                    rating_map now = {{0}};
                    assert_int_equal(mfr__store_load(s, on_user_none, on_rating_map, &now, &err), MFR_OK);
                    assert_true(now.r[movie] == 0); /* rolled back */
                }
                movie++;
                /* I/O works again: so does the store */
                value = 0.5f + (float)(movie % 10) * 0.5f;
                assert_int_equal(mfr__store_put(s, 900, movie, value, movie, count_apply, &applied,
                                                &err), MFR_OK);
                acked.r[movie] = value;
                movie++;
            }
    assert_true(failed[FAULT_WRITE] > 0);
    assert_true(failed[FAULT_FULL] > 0);
    assert_true(failed[FAULT_SYNC] > 0);
    assert_int_equal(mfr__store_unavailable(s), 0);
    mfr__store_close(s);

    /* reads: at open (schema, statements) and at load */
    long read_failed = 0;
    for (long n = 0; n < 12; n++) {
        s = NULL;
        fault_arm(FAULT_READ, n, 0);
        mfr_status st = mfr__store_open(path, 1, &s, &err);
        rating_map got = {{0}};
        if (st == MFR_OK) st = mfr__store_load(s, on_user_none, on_rating_map, &got, &err);
        fault_disarm();
        if (st != MFR_OK) {
            assert_int_equal(st, MFR_E_IO);
            assert_true(err.message[0] != 0);
            read_failed++;
        }
        mfr__store_close(s);
    }
    assert_true(read_failed > 0);

    assert_int_equal(mfr__store_open(path, 1, &s, &err), MFR_OK);
    rating_map got = {{0}};
    assert_int_equal(mfr__store_load(s, on_user_none, on_rating_map, &got, &err), MFR_OK);
    for (int64_t m = 1; m < movie; m++)
        if (acked.r[m] != 0) assert_float_near(got.r[m], acked.r[m], 0);
    mfr__store_close(s);
}

/* ---- a server in this process, spoken to over HTTP ---- */

/* One request with "Connection: close"; the status (0 when the connection
 * closed without one), the body in out. */
static int http(int port, const char *method, const char *path, const char *body,
                const char *token, char *out, size_t cap) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 0;
    struct timeval tv = {20, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) { close(fd); return 0; }
    char head[1024], auth[128] = "";
    if (token) snprintf(auth, sizeof auth, "Authorization: Bearer %s\r\n", token);
    size_t blen = body ? strlen(body) : 0;
    int hl = snprintf(head, sizeof head, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s"
                      "Content-Type: application/json\r\nContent-Length: %zu\r\n"
                      "Connection: close\r\n\r\n", method, path, auth, blen);
    if (send(fd, head, (size_t)hl, MSG_NOSIGNAL) != hl ||
        (blen && send(fd, body, blen, MSG_NOSIGNAL) != (ssize_t)blen)) {
        close(fd);
        return 0;
    }
    char buf[65536];
    size_t got = 0;
    ssize_t n;
    while (got < sizeof buf - 1 && (n = recv(fd, buf + got, sizeof buf - 1 - got, 0)) > 0)
        got += (size_t)n;
    close(fd);
    buf[got] = 0;
    int status = 0;
    if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1) status = 0;
    const char *b = strstr(buf, "\r\n\r\n");
    if (out && cap) snprintf(out, cap, "%s", b ? b + 4 : "");
    return status;
}

typedef struct api_client {
    int port;
    int64_t id;
    char token[80];
} api_client;

/* POST /api/users; the status. */
static int create_user(api_client *c) {
    char body[4096];
    int code = http(c->port, "POST", "/api/users", NULL, NULL, body, sizeof body);
    if (code != 201) return code;
    cJSON *j = cJSON_Parse(body);
    assert_non_null(j);
    c->id = (int64_t)cJSON_GetObjectItem(j, "id")->valuedouble;
    snprintf(c->token, sizeof c->token, "%s", cJSON_GetObjectItem(j, "token")->valuestring);
    cJSON_Delete(j);
    return code;
}

static int put_rating(const api_client *c, int64_t movie, float value) {
    char path[128], body[64];
    snprintf(path, sizeof path, "/api/users/%lld/ratings/%lld", (long long)c->id, (long long)movie);
    snprintf(body, sizeof body, "{\"rating\": %.1f}", (double)value);
    return http(c->port, "PUT", path, body, c->token, NULL, 0);
}

/* GET the user's ratings into m; the status. */
static int get_ratings(const api_client *c, rating_map *m) {
    char path[128];
    static char body[65536];
    snprintf(path, sizeof path, "/api/users/%lld/ratings", (long long)c->id);
    int code = http(c->port, "GET", path, NULL, NULL, body, sizeof body);
    memset(m, 0, sizeof *m);
    if (code != 200) return code;
    cJSON *j = cJSON_Parse(body);
    assert_non_null(j);
    cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItem(j, "ratings")) {
        int64_t movie = (int64_t)cJSON_GetObjectItem(r, "movie")->valuedouble;
        if (movie >= 0 && movie < 512) m->r[movie] = (float)cJSON_GetObjectItem(r, "rating")->valuedouble;
    }
    cJSON_Delete(j);
    return code;
}

static const char *small_model(void);

/* Movie ids of the small model (the first n), for rating writes. */
static int model_movies(const char *model, int64_t *ids, int n) {
    mfr_model *m = NULL;
    assert_int_equal(mfr_model_load(model, &m, NULL), MFR_OK);
    int k = 0;
    for (int32_t i = 0; i < mfr_model_n_items(m) && k < n; i++) {
        int64_t id = mfr_model_item_id(m, i);
        if (id > 0 && id < 512) ids[k++] = id;
    }
    mfr_model_free(m);
    return k;
}

static mfr_server *serve(const char *model, const char *db) {
    mfr_server_params p = mfr_server_params_default();
    p.model_path = model;
    p.db_path = db;
    p.port = 0;
    p.write_rate = 0;
    p.threads = 2;
    mfr_server *s = NULL;
    mfr_error err = {0};
    if (mfr_server_create(&p, &s, &err) != MFR_OK) print_error("serve: %s\n", err.message);
    return s;
}

/* The server answers 5xx to writes whose commit fails (write or fsync),
 * never 2xx; reads keep working; a failed write is not in memory; writes
 * succeed again once I/O does; after a restart every acknowledged write is
 * there with its value. */
static void fault_server_io(void **state) {
    (void)state;
    const char *model = small_model();
    assert_non_null(model);
    int64_t movies[40];
    int n_movies = model_movies(model, movies, 40);
    assert_true(n_movies >= 30);
    char db[512];
    snprintf(db, sizeof db, "%s/r.db", temp_dir());
    mfr_server *srv = serve(model, db);
    assert_non_null(srv);
    api_client c = {mfr_server_port(srv), 0, ""};
    assert_int_equal(create_user(&c), 201);
    rating_map acked = {{0}};
    int k = 0, refused = 0;
    for (int kind = FAULT_WRITE; kind <= FAULT_FULL; kind++) {
        /* every write fails while the fault lasts */
        fault_arm(kind, 0, 1);
        int code = put_rating(&c, movies[k], 4.0f);
        api_client other = c;
        int create = create_user(&other);
        fault_disarm();
        assert_true(code >= 500 && code < 600);
        assert_true(create >= 500 && create < 600);
        rating_map now;
        assert_int_equal(get_ratings(&c, &now), 200);
        assert_true(now.r[movies[k]] == 0);
        /* and the same write succeeds once the disk does */
        assert_int_equal(put_rating(&c, movies[k], 4.0f), 201);
        acked.r[movies[k++]] = 4.0f;
        /* a single failing call somewhere in the next writes */
        for (long n = 0; n < 6 && k < n_movies; n++, k++) {
            float v = 0.5f + (float)(k % 10) * 0.5f;
            fault_arm(kind, n, 0);
            code = put_rating(&c, movies[k], v);
            fault_disarm();
            if (code == 201) acked.r[movies[k]] = v;
            else { assert_true(code >= 500 && code < 600); refused++; }
        }
    }
    assert_true(refused > 0);
    mfr_server_free(srv);

    srv = serve(model, db);
    assert_non_null(srv);
    c.port = mfr_server_port(srv);
    rating_map got;
    assert_int_equal(get_ratings(&c, &got), 200);
    for (int j = 0; j < n_movies; j++)
        if (acked.r[movies[j]] != 0) assert_float_near(got.r[movies[j]], acked.r[movies[j]], 0);
    assert_int_equal(put_rating(&c, movies[n_movies - 1], 2.5f), 201); /* the token survived */
    mfr_server_free(srv);
}

/* Allocation failures (mfr__alloc_fail_after) at every point of the
 * server's start (model load, store load of users and ratings): each run
 * fails cleanly with no server and nothing leaked, until one succeeds; then
 * in its requests: a recommendation of an API user (fold-in) and a rating
 * write answer 200/201 or 5xx (or drop the connection), never crash, and the
 * server answers normally afterwards. */
static void fault_server_alloc(void **state) {
    (void)state;
    const char *model = small_model();
    assert_non_null(model);
    int64_t movies[8];
    assert_int_equal(model_movies(model, movies, 8), 8);
    char db[512];
    snprintf(db, sizeof db, "%s/r.db", temp_dir());
    mfr_server *srv = serve(model, db);
    assert_non_null(srv);
    api_client c = {mfr_server_port(srv), 0, ""};
    assert_int_equal(create_user(&c), 201);
    for (int j = 0; j < 5; j++) assert_int_equal(put_rating(&c, movies[j], 4.0f), 201);
    mfr_server_free(srv);

    mfr_server_params p = mfr_server_params_default();
    p.model_path = model;
    p.db_path = db;
    p.port = 0;
    p.threads = 2;
    p.write_rate = 0;
    long n = 0;
    for (;; n++) {
        mfr_server *s = NULL;
        mfr_error err = {0};
        mfr__alloc_fail_after(n);
        mfr_status st = mfr_server_create(&p, &s, &err);
        mfr__alloc_fail_after(-1);
        if (st == MFR_OK) { srv = s; break; }
        assert_null(s);
        assert_true(err.message[0] != 0);
        assert_true(n < 100000);
    }
    assert_true(n > 0);
    c.port = mfr_server_port(srv);
    char path[128], body[65536];
    snprintf(path, sizeof path, "/api/users/%lld/recommendations?n=5", (long long)c.id);
    int ok = 0;
    for (long k = 0; k < 200 && ok < 3; k++) {
        mfr__alloc_fail_after(k);
        int code = http(c.port, "GET", path, NULL, NULL, body, sizeof body);
        mfr__alloc_fail_after(-1);
        assert_true(code == 0 || code == 200 || (code >= 500 && code < 600));
        ok = code == 200 ? ok + 1 : 0;
    }
    assert_int_equal(ok, 3);
    for (long k = 0; k < 20; k++) {
        mfr__alloc_fail_after(k);
        int code = put_rating(&c, movies[5 + k % 3], 3.0f);
        mfr__alloc_fail_after(-1);
        assert_true(code == 0 || code == 200 || code == 201 || (code >= 500 && code < 600));
    }
    assert_int_equal(http(c.port, "GET", "/api/health", NULL, NULL, body, sizeof body), 200);
    assert_int_equal(http(c.port, "GET", path, NULL, NULL, body, sizeof body), 200);
    mfr_server_free(srv);
}

/* ---- answer cache ---- */

static void cache_get_put(void **state) {
    (void)state;
    assert_null(mfr__cache_new(0)); /* disabled */
    size_t len = 0;
    assert_null(mfr__cache_get(NULL, "k", &len));
    mfr__cache_put(NULL, "k", "v", 1); /* no-op */
    resp_cache *c = mfr__cache_new(2); /* tiny: keys collide */
    assert_non_null(c);
    assert_null(mfr__cache_get(c, "r|1|10|1|", &len));
    mfr__cache_put(c, "r|1|10|1|", "{\"a\":1}", 7);
    char *t = mfr__cache_get(c, "r|1|10|1|", &len);
    assert_non_null(t);
    assert_int_equal(len, 7);
    assert_memory_equal(t, "{\"a\":1}", 7);
    free(t);
    /* a different key never returns another key's text, even in the same slot */
    for (int k = 0; k < 20; k++) {
        char key[32];
        snprintf(key, sizeof key, "s|%d|0|10|3", k);
        mfr__cache_put(c, key, key, strlen(key));
    }
    for (int k = 0; k < 20; k++) {
        char key[32];
        snprintf(key, sizeof key, "s|%d|0|10|3", k);
        t = mfr__cache_get(c, key, &len);
        if (t) {
            assert_int_equal(len, strlen(key));
            assert_memory_equal(t, key, len);
            free(t);
        }
    }
    long long hits, misses;
    mfr__cache_stats(c, &hits, &misses);
    assert_true(hits >= 2 && misses >= 1);
    /* a key too long is simply not cached */
    char big[200];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    mfr__cache_put(c, big, "v", 1);
    assert_null(mfr__cache_get(c, big, &len));
    mfr__cache_free(c);
    mfr__cache_free(NULL);
}

/* ---- server start-up ---- */

static const char *small_model(void) {
    static char path[512];
    mfr_synth_params sp = mfr_synth_params_default();
    sp.users = 50;
    sp.movies = 80;
    sp.ratings = 1500;
    mfr_dataset *ds = NULL;
    mfr_model *m = NULL;
    mfr_error err = {0};
    if (mfr_synth_dataset(&sp, &ds, &err) != MFR_OK) return NULL;
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_SGD);
    p.factors = 8;
    p.epochs = 5;
    p.threads = 1;
    snprintf(path, sizeof path, "%s/m.mfm", temp_dir());
    mfr_status st = mfr_model_train(ds, NULL, NULL, &p, &m, &err);
    if (st == MFR_OK) st = mfr_model_save(m, path, &err);
    mfr_model_free(m);
    mfr_dataset_free(ds);
    return st == MFR_OK ? path : NULL;
}

static void server_start_errors(void **state) {
    (void)state;
    mfr_server_params p = mfr_server_params_default();
    mfr_server *s = NULL;
    mfr_error err = {0};
    p.model_path = "/nonexistent/model.mfm";
    assert_int_not_equal(mfr_server_create(&p, &s, &err), MFR_OK);
    assert_null(s);
    assert_non_null(strstr(err.message, "/nonexistent/model.mfm"));

    const char *model = small_model();
    assert_non_null(model);
    char db[512];
    snprintf(db, sizeof db, "%s/r.db", temp_dir());
    p.model_path = model;
    p.db_path = db;
    p.bind = "not-an-address";
    p.port = 0;
    assert_int_equal(mfr_server_create(&p, &s, &err), MFR_E_INVALID);
    assert_non_null(strstr(err.message, "not-an-address"));
    p.bind = "127.0.0.1";
    assert_int_equal(mfr_server_create(&p, &s, &err), MFR_OK);
    int port = mfr_server_port(s);
    assert_true(port > 0 && port < 65536);
    /* the same port again cannot be bound */
    mfr_server *s2 = NULL;
    p.port = port;
    assert_int_equal(mfr_server_create(&p, &s2, &err), MFR_E_IO);
    assert_null(s2);
    mfr_server_free(s);
    mfr_server_free(NULL);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sha256_vectors),
        cmocka_unit_test(sha256_split_points),
        cmocka_unit_test(fixed_text_matches_printf),
        cmocka_unit_test(ct_equal_works),
        cmocka_unit_test(store_roundtrip),
        cmocka_unit_test(store_open_error),
        cmocka_unit_test(store_group_commit_order),
        cmocka_unit_test(store_file_deleted),
        cmocka_unit_test(fault_store_io),
        cmocka_unit_test(fault_server_io),
        cmocka_unit_test(fault_server_alloc),
        cmocka_unit_test(cache_get_put),
        cmocka_unit_test(server_start_errors),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    /* every database of this process goes through the fault shim (disarmed:
     * a plain pass-through) */
    if (fault_vfs_install() != 0) {
        fprintf(stderr, "cannot register the SQLite fault VFS\n");
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
