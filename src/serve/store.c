/* store.c — SQLite store with a group-commit writer thread (see store.h).
 * A queued write is a stack-allocated op owned by the blocked caller: a
 * singly linked FIFO under one mutex; the writer takes the whole queue,
 * runs it in one BEGIN IMMEDIATE ... COMMIT, records each op's status,
 * runs the apply callbacks and wakes the callers with one broadcast.
 *
 * The database file and its write-ahead log are watched: at open the store
 * keeps its own read-only descriptor of each file SQLite opened (device,
 * inode). Before and after each commit it checks that each still has a link
 * and that its path still names it; when not (deleted, or another file
 * renamed over it) the batch fails, one line goes to stderr, and every later
 * write is refused (mfr__store_unavailable): a commit into an unlinked file
 * would be acknowledged and then lost at the next start. The descriptors are
 * closed only after sqlite3_close: closing any descriptor of a file drops the
 * process's POSIX locks on it, SQLite's included. */
#include "store.h"
#include "../core/core.h" /* mfr__malloc and friends: injectable failures */

#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { OP_USER, OP_PUT, OP_DELETE };

typedef struct watched {
    char *path;        /* absolute, as SQLite opened it */
    const char *what;  /* for the message */
    int fd;            /* read-only descriptor, -1: not watched */
    dev_t dev;
    ino_t ino;
} watched;

typedef struct op {
    int kind;
    int64_t user, movie, time;
    float rating;
    const unsigned char *hash;
    mfr_store_apply_fn apply;
    mfr_store_done_fn on_done; /* async: heap op, freed after on_done */
    void *ctx;
    int done;
    mfr_status status;
    char message[256];
    struct op *next;
} op;

enum { ST_ADD_USER, ST_PUT, ST_DELETE, ST_LOG, ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST__N };

static const char *const sql_text[ST__N] = {
    "INSERT INTO users(id, token_hash, created) VALUES(?1, ?2, ?3)",
    "INSERT INTO ratings(user_id, movie_id, rating, time) VALUES(?1, ?2, ?3, ?4) "
    "ON CONFLICT(user_id, movie_id) DO UPDATE SET rating = excluded.rating, time = excluded.time",
    "DELETE FROM ratings WHERE user_id = ?1 AND movie_id = ?2",
    "INSERT INTO rating_log(user_id, movie_id, rating, time) VALUES(?1, ?2, ?3, ?4)",
    "BEGIN IMMEDIATE",
    "COMMIT",
    "ROLLBACK",
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);"
    "CREATE TABLE IF NOT EXISTS users(id INTEGER PRIMARY KEY, token_hash BLOB NOT NULL,"
    " created INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS ratings(user_id INTEGER NOT NULL, movie_id INTEGER NOT NULL,"
    " rating REAL NOT NULL, time INTEGER NOT NULL, PRIMARY KEY(user_id, movie_id)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS rating_log(seq INTEGER PRIMARY KEY, user_id INTEGER NOT NULL,"
    " movie_id INTEGER NOT NULL, rating REAL, time INTEGER NOT NULL);"
    "INSERT OR IGNORE INTO meta(key, value) VALUES('schema_version', '1');";

struct mfr_store {
    sqlite3 *db;
    sqlite3_stmt *st[ST__N];
    pthread_t writer;
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    op *head, *tail;
    int stopping, joined;
    int64_t commits, writes, max_batch;
    watched files[2];  /* the database file, its write-ahead log */
    atomic_int gone;   /* 1 once a file was found deleted or replaced */
    char gone_msg[256];
};

/* Start watching path (what: "database file", ...); a file that cannot be
 * opened is not watched. -1 on OOM. */
static int watch(watched *w, const char *path, const char *what) {
    struct stat st;
    w->what = what;
    w->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (w->fd >= 0 && fstat(w->fd, &st) != 0) {
        close(w->fd);
        w->fd = -1;
    }
    if (w->fd < 0) return 0;
    w->dev = st.st_dev;
    w->ino = st.st_ino;
    w->path = mfr__strdup(path);
    return w->path ? 0 : -1;
}

static void unwatch(watched *w) {
    if (w->fd >= 0) close(w->fd); /* after sqlite3_close: see the top */
    w->fd = -1;
    mfr__free(w->path);
    w->path = NULL;
}

/* 0 while each watched path still names the file the store opened; else -1
 * with the reason in msg. Only the writer thread calls it. */
static int file_check(mfr_store *s, char *msg, size_t cap) {
    for (size_t i = 0; i < sizeof s->files / sizeof *s->files; i++) {
        watched *w = &s->files[i];
        if (w->fd < 0) continue;
        struct stat mine, named;
        const char *how = NULL;
        if (stat(w->path, &named) != 0) how = "deleted or moved away";
        else if (named.st_dev != w->dev || named.st_ino != w->ino) how = "replaced by another file";
        else if (fstat(w->fd, &mine) != 0 || mine.st_nlink == 0) how = "deleted";
        if (how) {
            snprintf(msg, cap, "store: %s: the %s was %s while the server ran; writes are "
                     "refused until a restart", w->path, w->what, how);
            return -1;
        }
    }
    return 0;
}

/* Latch the store as unavailable: log once, refuse every later write. */
static void mark_gone(mfr_store *s, const char *msg) {
    if (atomic_exchange(&s->gone, 1)) return;
    snprintf(s->gone_msg, sizeof s->gone_msg, "%s", msg);
    fprintf(stderr, "mfrec serve: %s\n", msg);
    fflush(stderr);
}

static mfr_status db_fail(sqlite3 *db, const char *what, mfr_error *err) {
    return mfr__err(err, MFR_E_IO, "%s: %s", what, db ? sqlite3_errmsg(db) : "?");
}

/* One statement run and reset for the next, its bindings cleared. */
static int step_simple(sqlite3_stmt *st) {
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

static int run_op(mfr_store *s, op *o) {
    sqlite3_stmt *st;
    if (o->kind == OP_USER) {
        st = s->st[ST_ADD_USER];
        sqlite3_bind_int64(st, 1, o->user);
        sqlite3_bind_blob(st, 2, o->hash, 32, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, o->time);
    } else {
        st = s->st[o->kind == OP_PUT ? ST_PUT : ST_DELETE];
        sqlite3_bind_int64(st, 1, o->user);
        sqlite3_bind_int64(st, 2, o->movie);
        if (o->kind == OP_PUT) {
            sqlite3_bind_double(st, 3, o->rating);
            sqlite3_bind_int64(st, 4, o->time);
        }
    }
    int rc = step_simple(st);
    if (rc != SQLITE_DONE) return rc;
    if (o->kind == OP_USER) return SQLITE_DONE;
    st = s->st[ST_LOG];
    sqlite3_bind_int64(st, 1, o->user);
    sqlite3_bind_int64(st, 2, o->movie);
    if (o->kind == OP_PUT) sqlite3_bind_double(st, 3, o->rating);
    else sqlite3_bind_null(st, 3);
    sqlite3_bind_int64(st, 4, o->time);
    return step_simple(st);
}

/* One transaction for the batch; 0 on commit. The failing op's message goes
 * into msg. */
static int run_batch(mfr_store *s, op *batch, char *msg, size_t cap) {
    if (atomic_load(&s->gone)) {
        snprintf(msg, cap, "%s", s->gone_msg);
        return -1;
    }
    if (step_simple(s->st[ST_BEGIN]) != SQLITE_DONE) {
        snprintf(msg, cap, "store: begin: %s", sqlite3_errmsg(s->db));
        return -1;
    }
    for (op *o = batch; o; o = o->next) {
        if (run_op(s, o) != SQLITE_DONE) {
            snprintf(msg, cap, "store: write: %s", sqlite3_errmsg(s->db));
            step_simple(s->st[ST_ROLLBACK]);
            return -1;
        }
    }
    if (file_check(s, msg, cap) < 0) { /* nothing is committed into a lost file */
        step_simple(s->st[ST_ROLLBACK]);
        mark_gone(s, msg);
        return -1;
    }
    if (step_simple(s->st[ST_COMMIT]) != SQLITE_DONE) {
        snprintf(msg, cap, "store: commit: %s", sqlite3_errmsg(s->db));
        step_simple(s->st[ST_ROLLBACK]);
        return -1;
    }
    /* removed between the check and the commit: committed, but into a file no
     * restart will open, so not acknowledged */
    if (file_check(s, msg, cap) < 0) {
        mark_gone(s, msg);
        return -1;
    }
    return 0;
}

static void *writer_main(void *arg) {
    mfr_store *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->head && !s->stopping) pthread_cond_wait(&s->wake, &s->mu);
        if (!s->head && s->stopping) break;
        op *batch = s->head;
        s->head = s->tail = NULL;
        pthread_mutex_unlock(&s->mu);

        char msg[256] = "";
        int failed = run_batch(s, batch, msg, sizeof msg);
        int64_t n = 0;
        for (op *o = batch; o; o = o->next, n++) {
            if (failed) {
                o->status = MFR_E_IO;
                snprintf(o->message, sizeof o->message, "%s", msg);
            } else {
                o->status = MFR_OK;
                if (o->apply) o->apply(o->ctx);
            }
        }
        /* async ops: answer and free them outside the lock */
        op *sync_head = NULL, **sync_tail = &sync_head;
        for (op *o = batch; o;) {
            op *next = o->next;
            if (o->on_done) {
                o->on_done(o->ctx, o->status, o->message);
                mfr__free(o);
            } else {
                *sync_tail = o;
                sync_tail = &o->next;
            }
            o = next;
        }
        *sync_tail = NULL;
        pthread_mutex_lock(&s->mu);
        if (!failed) {
            s->commits++;
            s->writes += n;
            if (n > s->max_batch) s->max_batch = n;
        }
        for (op *o = sync_head; o;) {
            op *next = o->next; /* o may vanish once done is set */
            o->done = 1;
            o = next;
        }
        pthread_cond_broadcast(&s->done);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* Queue o; 0 when queued, -1 when the store is stopping. s->mu held. */
static int enqueue_locked(mfr_store *s, op *o) {
    if (s->stopping) return -1;
    o->next = NULL;
    if (s->tail) s->tail->next = o;
    else s->head = o;
    s->tail = o;
    pthread_cond_signal(&s->wake);
    return 0;
}

static mfr_status submit_async(mfr_store *s, const op *tmpl) {
    op *o = mfr__malloc(sizeof *o);
    if (!o) return MFR_E_IO;
    *o = *tmpl;
    o->done = 0;
    pthread_mutex_lock(&s->mu);
    int ok = enqueue_locked(s, o) == 0;
    pthread_mutex_unlock(&s->mu);
    if (!ok) mfr__free(o);
    return ok ? MFR_OK : MFR_E_IO;
}

mfr_status mfr__store_put_async(mfr_store *s, int64_t user, int64_t movie, float rating,
                                int64_t time, mfr_store_apply_fn apply,
                                mfr_store_done_fn done, void *ctx) {
    op o = {.kind = OP_PUT, .user = user, .movie = movie, .rating = rating, .time = time,
            .apply = apply, .on_done = done, .ctx = ctx};
    return submit_async(s, &o);
}

mfr_status mfr__store_delete_async(mfr_store *s, int64_t user, int64_t movie, int64_t time,
                                   mfr_store_apply_fn apply, mfr_store_done_fn done, void *ctx) {
    op o = {.kind = OP_DELETE, .user = user, .movie = movie, .time = time, .apply = apply,
            .on_done = done, .ctx = ctx};
    return submit_async(s, &o);
}

static mfr_status submit(mfr_store *s, op *o, mfr_error *err) {
    o->done = 0;
    o->on_done = NULL;
    pthread_mutex_lock(&s->mu);
    if (enqueue_locked(s, o) < 0) {
        pthread_mutex_unlock(&s->mu);
        return mfr__err(err, MFR_E_IO, "store: shutting down");
    }
    while (!o->done) pthread_cond_wait(&s->done, &s->mu);
    pthread_mutex_unlock(&s->mu);
    return o->status == MFR_OK ? MFR_OK : mfr__err(err, o->status, "%s", o->message);
}

static mfr_status open_db(mfr_store *s, const char *path, int sync_full, mfr_error *err) {
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                        SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
        char what[300];
        snprintf(what, sizeof what, "%s: cannot open", path);
        return db_fail(s->db, what, err);
    }
    sqlite3_busy_timeout(s->db, 5000);
    char *emsg = NULL;
    const char *pragmas = sync_full ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                                    : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;";
    if (sqlite3_exec(s->db, pragmas, NULL, NULL, &emsg) != SQLITE_OK ||
        sqlite3_exec(s->db, schema, NULL, NULL, &emsg) != SQLITE_OK) {
        mfr__err(err, MFR_E_IO, "%s: %s", path, emsg ? emsg : "?");
        sqlite3_free(emsg);
        return MFR_E_IO;
    }
    for (int i = 0; i < ST__N; i++)
        if (sqlite3_prepare_v2(s->db, sql_text[i], -1, &s->st[i], NULL) != SQLITE_OK)
            return db_fail(s->db, path, err);
    /* the files SQLite opened (the schema statements made sure both exist);
     * an in-memory database has none to watch */
    sqlite3_filename file = sqlite3_db_filename(s->db, "main");
    if (file && *file &&
        (watch(&s->files[0], file, "database file") < 0 ||
         watch(&s->files[1], sqlite3_filename_wal(file), "write-ahead log") < 0))
        return mfr__nomem(err, "the store's file watch");
    return MFR_OK;
}

/* Everything open_db and mfr__store_open set up, whatever of it succeeded
 * (the writer thread already joined or never started). */
static void store_free(mfr_store *s) {
    for (int i = 0; i < ST__N; i++) sqlite3_finalize(s->st[i]);
    sqlite3_close(s->db);
    unwatch(&s->files[0]);
    unwatch(&s->files[1]);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->wake);
    pthread_cond_destroy(&s->done);
    mfr__free(s);
}

mfr_status mfr__store_open(const char *path, int sync_full, mfr_store **out, mfr_error *err) {
    *out = NULL;
    mfr_store *s = mfr__calloc(1, sizeof *s);
    if (!s) return mfr__nomem(err, "the store");
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->wake, NULL);
    pthread_cond_init(&s->done, NULL);
    s->files[0].fd = s->files[1].fd = -1;
    mfr_status st = open_db(s, path, sync_full, err);
    if (st == MFR_OK && pthread_create(&s->writer, NULL, writer_main, s) != 0)
        st = db_fail(NULL, "store: cannot start the writer thread", err);
    if (st != MFR_OK) {
        store_free(s);
        return st;
    }
    *out = s;
    return MFR_OK;
}

void mfr__store_stop(mfr_store *s) {
    pthread_mutex_lock(&s->mu);
    s->stopping = 1;
    int join = !s->joined;
    s->joined = 1;
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->mu);
    if (join) pthread_join(s->writer, NULL);
}

void mfr__store_close(mfr_store *s) {
    if (!s) return;
    mfr__store_stop(s);
    store_free(s);
}

int mfr__store_unavailable(mfr_store *s) {
    if (atomic_load(&s->gone)) return 1;
    pthread_mutex_lock(&s->mu);
    int stopping = s->stopping;
    pthread_mutex_unlock(&s->mu);
    return stopping;
}

mfr_status mfr__store_load(mfr_store *s, mfr_store_user_fn on_user,
                           mfr_store_rating_fn on_rating, void *ctx, mfr_error *err) {
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&s->mu); /* the writer is idle before the server starts */
    int ok = sqlite3_prepare_v2(s->db, "SELECT id, token_hash, created FROM users ORDER BY id",
                                -1, &st, NULL) == SQLITE_OK;
    int rc = SQLITE_DONE;
    while (ok && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        unsigned char hash[32] = {0};
        const void *b = sqlite3_column_blob(st, 1);
        if (b && sqlite3_column_bytes(st, 1) == 32) memcpy(hash, b, 32);
        on_user(ctx, sqlite3_column_int64(st, 0), hash, sqlite3_column_int64(st, 2));
    }
    ok = ok && rc == SQLITE_DONE;
    sqlite3_finalize(st);
    st = NULL;
    ok = ok && sqlite3_prepare_v2(s->db, "SELECT user_id, movie_id, rating, time FROM ratings "
                                  "ORDER BY user_id, movie_id", -1, &st, NULL) == SQLITE_OK;
    while (ok && (rc = sqlite3_step(st)) == SQLITE_ROW)
        on_rating(ctx, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
                  (float)sqlite3_column_double(st, 2), sqlite3_column_int64(st, 3));
    ok = ok && rc == SQLITE_DONE;
    sqlite3_finalize(st);
    mfr_status ret = ok ? MFR_OK : db_fail(s->db, "store: load", err);
    pthread_mutex_unlock(&s->mu);
    return ret;
}

mfr_status mfr__store_add_user(mfr_store *s, int64_t id, const unsigned char hash[32],
                               int64_t created, mfr_store_apply_fn apply, void *ctx,
                               mfr_error *err) {
    op o = {.kind = OP_USER, .user = id, .hash = hash, .time = created, .apply = apply, .ctx = ctx};
    return submit(s, &o, err);
}

mfr_status mfr__store_put(mfr_store *s, int64_t user, int64_t movie, float rating,
                          int64_t time, mfr_store_apply_fn apply, void *ctx, mfr_error *err) {
    op o = {.kind = OP_PUT, .user = user, .movie = movie, .rating = rating, .time = time,
            .apply = apply, .ctx = ctx};
    return submit(s, &o, err);
}

mfr_status mfr__store_delete(mfr_store *s, int64_t user, int64_t movie, int64_t time,
                             mfr_store_apply_fn apply, void *ctx, mfr_error *err) {
    op o = {.kind = OP_DELETE, .user = user, .movie = movie, .time = time, .apply = apply,
            .ctx = ctx};
    return submit(s, &o, err);
}

void mfr__store_stats(mfr_store *s, int64_t *commits, int64_t *writes, int64_t *max_batch) {
    pthread_mutex_lock(&s->mu);
    *commits = s->commits;
    *writes = s->writes;
    *max_batch = s->max_batch;
    pthread_mutex_unlock(&s->mu);
}
