/* test_serve.c — unit tests of the server's own parts: SHA-256 against the
 * FIPS 180-4 / NIST example vectors, constant-time comparison, the SQLite
 * store (round trip, reopen, group commit keeping memory in commit order),
 * the answer cache, and server start-up errors and port 0. The HTTP behaviour is tested end to end in tests/http/. */
#include "test.h"

#include <pthread.h>
#include <unistd.h>

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
        cmocka_unit_test(ct_equal_works),
        cmocka_unit_test(store_roundtrip),
        cmocka_unit_test(store_open_error),
        cmocka_unit_test(store_group_commit_order),
        cmocka_unit_test(cache_get_put),
        cmocka_unit_test(server_start_errors),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
