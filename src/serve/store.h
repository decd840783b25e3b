/* store.h — the SQLite ratings store: users (id, SHA-256 of their token,
 * creation time), their current ratings, and an append-only log of every
 * rating write received. WAL journal; synchronous=FULL by default, so a write
 * is on disk once its commit returns.
 *
 * Writes go through one writer thread that batches whatever is queued into a
 * single transaction (group commit): each caller blocks until the transaction
 * holding its write has committed (or failed), and the writer then runs each
 * write's apply callback in commit order, so in-memory state follows the
 * database exactly. Before and after each commit the store checks that the
 * path still names the file it opened and that this file still has a link
 * (store.c); when not, the batch fails and so does every later write, so a
 * write into a deleted or replaced file is never acknowledged. Schema
 * (version 1):
 *   users(id INTEGER PRIMARY KEY, token_hash BLOB, created INTEGER)
 *   ratings(user_id, movie_id, rating REAL, time INTEGER, PK(user_id, movie_id))
 *   rating_log(seq INTEGER PRIMARY KEY, user_id, movie_id, rating REAL NULL
 *              (NULL = deleted), time INTEGER)
 *   meta(key TEXT PRIMARY KEY, value TEXT) */
#ifndef MFR_SERVE_STORE_H
#define MFR_SERVE_STORE_H

#include <stdint.h>
#include "mfrec/error.h"

typedef struct mfr_store mfr_store;

/* Open or create path. MFR_E_IO naming the path and SQLite's reason. */
mfr_status mfr__store_open(const char *path, int sync_full, mfr_store **out, mfr_error *err);
/* Stops the writer (after draining its queue) and closes. NULL is fine. */
void mfr__store_close(mfr_store *s);

typedef void (*mfr_store_user_fn)(void *ctx, int64_t id, const unsigned char hash[32],
                                  int64_t created);
typedef void (*mfr_store_rating_fn)(void *ctx, int64_t user, int64_t movie, float rating,
                                    int64_t time);
/* Calls on_user for every user (by id), then on_rating for every stored
 * rating (by user, movie). MFR_E_IO on a read error. */
mfr_status mfr__store_load(mfr_store *s, mfr_store_user_fn on_user,
                           mfr_store_rating_fn on_rating, void *ctx, mfr_error *err);

/* Run after the commit, in commit order, on the writer thread. */
typedef void (*mfr_store_apply_fn)(void *ctx);

/* Each blocks until durable. MFR_E_IO when the transaction failed (nothing of
 * it is stored and apply is not called). */
mfr_status mfr__store_add_user(mfr_store *s, int64_t id, const unsigned char hash[32],
                               int64_t created, mfr_store_apply_fn apply, void *ctx,
                               mfr_error *err);
mfr_status mfr__store_put(mfr_store *s, int64_t user, int64_t movie, float rating,
                          int64_t time, mfr_store_apply_fn apply, void *ctx, mfr_error *err);
mfr_status mfr__store_delete(mfr_store *s, int64_t user, int64_t movie, int64_t time,
                             mfr_store_apply_fn apply, void *ctx, mfr_error *err);

/* Asynchronous forms for the HTTP threads: queue the write and return at
 * once; after the transaction, on the writer thread, apply (if it committed)
 * and then done(ctx, status, message) run. MFR_OK when queued; MFR_E_IO
 * when the store is stopping or out of memory (then neither callback runs). */
typedef void (*mfr_store_done_fn)(void *ctx, mfr_status st, const char *message);
mfr_status mfr__store_put_async(mfr_store *s, int64_t user, int64_t movie, float rating,
                                int64_t time, mfr_store_apply_fn apply,
                                mfr_store_done_fn done, void *ctx);
mfr_status mfr__store_delete_async(mfr_store *s, int64_t user, int64_t movie, int64_t time,
                                   mfr_store_apply_fn apply, mfr_store_done_fn done, void *ctx);

/* Stop accepting writes, finish the queued ones (their callbacks run) and
 * join the writer; later submissions fail with MFR_E_IO. Idempotent;
 * mfr__store_close calls it. */
void mfr__store_stop(mfr_store *s);

/* 1 while writes are refused for a reason no retry by the client fixes now:
 * the database file was deleted or replaced while the store ran (latched
 * until a restart; one line on stderr says which), or the store is stopping.
 * The HTTP layer answers such failures 503, other store failures 500. */
int mfr__store_unavailable(mfr_store *s);

/* Commits so far and the largest batch (for /metrics). */
void mfr__store_stats(mfr_store *s, int64_t *commits, int64_t *writes, int64_t *max_batch);

#endif
