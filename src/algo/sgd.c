/* sgd.c — biased matrix factorisation trained by stochastic gradient descent,
 * r̂ = μ + b_u + b_i + p_u·q_i (Koren, Bell & Volinsky, IEEE Computer 2009);
 * the update is written out in sgd_kernel.h.
 *
 * Parallel scheme (after LIBMF: Chin, Zhuang, Juan, Lin, "A Fast Parallel
 * SGD for Matrix Factorization in Shared Memory Systems", RecSys 2013/2015):
 * users and items are cut into nb contiguous ranges, giving an nb x nb grid
 * of blocks. Blocks (a, (a + d) mod nb) for a = 0..nb-1 — one "diagonal" d —
 * share no user and no item, so they can be updated at the same time without
 * locks. An epoch runs the nb diagonals in an order drawn from the seed.
 * A block starts as soon as the previous round's blocks of its row and of its
 * column are done (the only blocks it depends on), which gives exactly the
 * result of a barrier between rounds without one; a thread claims the next
 * round of the row block it just ran when that is ready, so its range of P
 * stays in cache (run_epoch_part). Since the blocks of a round are
 * independent, the result does not depend on which thread ran which block: the same seed and data give a
 * bit-identical model for any thread count for which nb is the same
 * (nb = max(16, 2t, ...) so every t <= 8 shares it).
 *
 * Layout: the training ratings are copied once per fit into block order, one
 * 32-bit word per rating: user offset in its range (bits 0..11), item offset
 * (bits 12..23) and a rating code (bits 24..31) indexing a table of the
 * distinct rating values — 4 bytes a rating, so 20 M ratings take 80 MB. When
 * the data has more than 256 distinct rating values, the offsets take 16 bits
 * each and the ratings go to a parallel float array (8 bytes a rating). Ranges
 * are at most 4096 (or 65536) users/items, which also keeps a block's rows of
 * P and Q close together in cache. Within each block the ratings are shuffled
 * once (a stream of the seed per block), grouped by user (stable counting
 * sort, as LIBMF sorts its blocks) and four user runs interleaved, so a user's
 * row stays in L1 while consecutive updates still touch different users.
 * Setup passes (initial factors, block preparation, the final exact train
 * RMSE) are shared among the same threads on plain pthreads.
 *
 * Factors start N(0, init_std²) from the seed, biases at 0; lr is multiplied by
 * lr_decay after each epoch. With a validation set the exact validation RMSE
 * (predictions clipped to the scale) is reported every epoch; with
 * early_stop > 0 training stops after that many epochs without a better one and
 * the best epoch's parameters are restored (mfr__best, factor_util.h; the
 * model's epochs_run is then that epoch, as for the other families).
 * Progress carries the running train RMSE of the epoch (errors before each
 * update); the model's train_rmse is exact, computed after the last epoch. A
 * progress callback asking to stop ends training with MFR_E_CANCELLED and the
 * last completed epoch's model; a non-finite training error ends it with
 * MFR_E_RANGE ("diverged").
 *
 * Distributed (ctx->dist, part.h; docs/distributed.md): DSGD strata. Rank r
 * keeps a grid of the ratings of its users against each of the P item
 * blocks (the ranks' item ranges); in sub-epoch s it runs the same passes
 * over its grid of item block (r + s) mod P, then hands that block's item
 * rows and biases to rank r - 1 (mfr__part_shift) and takes the next from
 * rank r + 1. After P sub-epochs each rank holds its own block again; user
 * and item rows then go to every rank (mfr__part_share), so the validation
 * RMSE, early stopping and checkpoints see the whole model, as in one
 * process. Same seed and P: the same model; P = 1 is the one-process fit. */
#include "algo.h"
#include "part.h"
#include "sgd_kernel.h"
#include "../data/dataset_impl.h"

#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>

#ifndef SMALL_BITS
#define SMALL_BITS 12 /* offsets when ratings fit a code table */
#endif
#define WIDE_BITS 16  /* offsets when ratings go to a float array */
#define MAX_CODES 256
_Static_assert(32 - 2 * SMALL_BITS >= 8, "the rating code needs 8 bits of the packed word");
#define MIN_BLOCKS 16
#define STREAMS 4     /* user runs interleaved within a block */

/* ---- defaults --------------------------------------------------------- */

/* Tuned on ml-latest-small (docs/perf/sgd.md): k = 64, 20 epochs reaches
 * 5-fold RMSE 0.851 in a fifth of the time of k = 128, 40 epochs (0.846),
 * which keeps the default fit >= 10x faster than Surprise's SVD. */
static void sgd_defaults(mfr_train_params *p) {
    p->factors = 64;
    p->epochs = 20;
    p->lr = 0.025f;
    p->lr_decay = 0.97f;
    p->reg = 0.06f;
    p->reg_bias = 0.01f;
    p->init_std = 0.05f;
}

/* ---- the blocked copy of the ratings ----------------------------------- */

typedef struct sgd_grid {
    int32_t nb;            /* blocks per side */
    int32_t ru, ri;        /* users / items per range */
    int32_t u_first, i_first; /* model rows of the grid's first user / item (0 but in DSGD) */
    int64_t *off;          /* [nb*nb + 1] start of block (a, b) at a*nb + b */
    uint32_t *rec;         /* [n] packed ratings */
    float *rf;             /* [n] or NULL (code table used) */
    float rtab[MAX_CODES];
    int32_t n_codes;       /* 0: rf used */
    uint32_t umask, ishift, imask, rshift;
} sgd_grid;

static void grid_free(sgd_grid *g) {
    mfr__free(g->off);
    mfr__free(g->rec);
    mfr__free(g->rf);
}

static uint32_t float_hash(float v) {
    uint32_t x;
    memcpy(&x, &v, sizeof x);
    x ^= x >> 16;
    x *= 0x45d9f3bu;
    return x ^ (x >> 16);
}

/* Code of v in the table (hash slots -> code), adding it if new. -1 when the
 * table is full. */
static int32_t rating_code(sgd_grid *g, int16_t *slot, float v) {
    uint32_t h = float_hash(v) & (2 * MAX_CODES - 1);
    for (;; h = (h + 1) & (2 * MAX_CODES - 1)) {
        if (slot[h] < 0) break;
        if (memcmp(&g->rtab[slot[h]], &v, sizeof v) == 0) return slot[h];
    }
    if (g->n_codes >= MAX_CODES) return -1;
    g->rtab[g->n_codes] = v;
    slot[h] = (int16_t)g->n_codes;
    return g->n_codes++;
}

/* The ratings a grid holds: users u0..u1-1 and items i0..i1-1 of a
 * ratings array (all of it in one process, a DSGD stratum of a rank's
 * users' ratings), numbered from u0 and i0; read in place, not copied. */
typedef struct sgd_win {
    int32_t u0, u1, i0, i1;
} sgd_win;

static inline int in_win(const sgd_win *w, int32_t u, int32_t i) {
    return u >= w->u0 && u < w->u1 && i >= w->i0 && i < w->i1;
}

/* n_codes > 0 when every rating value of the window fits the table, else 0;
 * slot[2 * MAX_CODES] the table's hash slots (value -> code), for grid_fill. */
static void grid_build_table(sgd_grid *g, const mfr_ratings *tr, const sgd_win *w, int16_t *slot) {
    memset(slot, 0xff, 2 * MAX_CODES * sizeof *slot);
    g->n_codes = 0;
    for (int64_t j = 0; j < tr->n; j++) {
        if (!in_win(w, tr->user[j], tr->item[j])) continue;
        if (rating_code(g, slot, tr->rating[j]) < 0) {
            g->n_codes = 0;
            return;
        }
    }
}

static void grid_shape(sgd_grid *g, int32_t n_users, int32_t n_items, int threads) {
    int bits = g->n_codes ? SMALL_BITS : WIDE_BITS;
    int64_t cap = (int64_t)1 << bits;
    int64_t nb = MIN_BLOCKS;
    if (2 * (int64_t)threads > nb) nb = 2 * (int64_t)threads;
    if ((n_users + cap - 1) / cap > nb) nb = (n_users + cap - 1) / cap;
    if ((n_items + cap - 1) / cap > nb) nb = (n_items + cap - 1) / cap;
    g->nb = (int32_t)nb;
    g->ru = (int32_t)((n_users + nb - 1) / nb);
    g->ri = (int32_t)((n_items + nb - 1) / nb);
    if (g->ru < 1) g->ru = 1;
    if (g->ri < 1) g->ri = 1;
    g->umask = (uint32_t)(cap - 1);
    g->ishift = (uint32_t)bits;
    g->imask = (uint32_t)(cap - 1);
    g->rshift = g->n_codes ? 2u * SMALL_BITS : 32u;
}

static int64_t block_of(const sgd_grid *g, int32_t u, int32_t i) {
    return (int64_t)(u / g->ru) * g->nb + i / g->ri;
}

/* Counting sort of the window's ratings into block order, packing each. */
static mfr_status grid_fill(sgd_grid *g, const mfr_ratings *tr, const sgd_win *w,
                            int16_t *slot, mfr_error *err) {
    int64_t nblk = (int64_t)g->nb * g->nb;
    g->off = mfr__calloc((size_t)nblk + 1, sizeof *g->off);
    int64_t *cur = mfr__calloc((size_t)nblk, sizeof *cur);
    if (!g->off || !cur) {
        mfr__free(cur);
        return mfr__nomem(err, "sgd: blocked ratings");
    }
    for (int64_t j = 0; j < tr->n; j++)
        if (in_win(w, tr->user[j], tr->item[j]))
            g->off[block_of(g, tr->user[j] - w->u0, tr->item[j] - w->i0) + 1]++;
    for (int64_t b = 0; b < nblk; b++) g->off[b + 1] += g->off[b];
    size_t n = (size_t)(g->off[nblk] > 0 ? g->off[nblk] : 1);
    g->rec = mfr__aligned_alloc(n * sizeof *g->rec);
    g->rf = g->n_codes ? NULL : mfr__aligned_alloc(n * sizeof *g->rf);
    if (!g->rec || (!g->n_codes && !g->rf)) {
        mfr__free(cur);
        return mfr__nomem(err, "sgd: blocked ratings");
    }
    memcpy(cur, g->off, (size_t)nblk * sizeof *cur);
    for (int64_t j = 0; j < tr->n; j++) {
        if (!in_win(w, tr->user[j], tr->item[j])) continue;
        int32_t u = tr->user[j] - w->u0, i = tr->item[j] - w->i0;
        int64_t pos = cur[block_of(g, u, i)]++;
        uint32_t w = (uint32_t)(u % g->ru) | (uint32_t)(i % g->ri) << g->ishift;
        if (g->n_codes) w |= (uint32_t)rating_code(g, slot, tr->rating[j]) << g->rshift;
        else g->rf[pos] = tr->rating[j];
        g->rec[pos] = w;
    }
    mfr__free(cur);
    return MFR_OK;
}

/* ---- fork/join for the setup passes -----------------------------------
 * fn(arg, j, t) runs once for each j in 0..t-1, j = 0 on the caller; a
 * thread that cannot start has its share run by the caller. Plain pthreads
 * (not OpenMP) so ThreadSanitizer sees every happens-before edge. Returns the
 * OR of the calls' results. */
typedef int (*sgd_part_fn)(void *arg, int j, int t);

typedef struct sgd_part {
    sgd_part_fn fn;
    void *arg;
    int j, t, rc;
} sgd_part;

static void *part_main(void *a) {
    sgd_part *p = a;
    p->rc = p->fn(p->arg, p->j, p->t);
    return NULL;
}

static int parallel_run(int t, sgd_part_fn fn, void *arg) {
    pthread_t tid[64];
    sgd_part part[64];
    int ok[64] = {0}, rc = 0;
    t = t < 1 ? 1 : t > 64 ? 64 : t;
    for (int j = 1; j < t; j++) {
        part[j] = (sgd_part){fn, arg, j, t, 0};
        ok[j] = pthread_create(&tid[j], NULL, part_main, &part[j]) == 0;
    }
    rc |= fn(arg, 0, t);
    for (int j = 1; j < t; j++) {
        if (ok[j]) pthread_join(tid[j], NULL);
        else part[j].rc = fn(arg, j, t);
        rc |= part[j].rc;
    }
    return rc;
}

/* Scratch for preparing one block: the largest block's words, and counts. */
typedef struct block_tmp {
    uint32_t *rec;
    float *rf;
    int64_t *cnt;     /* [ru + 1] */
} block_tmp;

/* Block b: Fisher–Yates shuffle with the block's own RNG stream, then a
 * stable counting sort by user offset, so a user's ratings in the block are
 * consecutive (its row of P stays in L1 across them, the rows are visited in
 * memory order) while each user's items keep the shuffled order. LIBMF also
 * sorts blocks by user; on ml-latest-small it costs no accuracy. */
static void block_prepare(const sgd_grid *g, int64_t b, uint64_t seed, block_tmp *t) {
    mfr__rng rng;
    mfr__rng_seed_stream(&rng, seed, 0x100000000ull + (uint64_t)b);
    int64_t n = g->off[b + 1] - g->off[b];
    uint32_t *rec = g->rec + g->off[b];
    float *rf = g->rf ? g->rf + g->off[b] : NULL;
    for (int64_t m = n; m > 1; m--) {
        int64_t s = (int64_t)mfr__rng_below(&rng, (uint64_t)m);
        uint32_t x = rec[m - 1];
        rec[m - 1] = rec[s];
        rec[s] = x;
        if (rf) {
            float y = rf[m - 1];
            rf[m - 1] = rf[s];
            rf[s] = y;
        }
    }
    memset(t->cnt, 0, ((size_t)g->ru + 1) * sizeof *t->cnt);
    for (int64_t j = 0; j < n; j++) t->cnt[(rec[j] & g->umask) + 1]++;
    for (int32_t u = 0; u < g->ru; u++) t->cnt[u + 1] += t->cnt[u];
    for (int64_t j = 0; j < n; j++) {
        int64_t d = t->cnt[rec[j] & g->umask]++;
        t->rec[d] = rec[j];
        if (rf) t->rf[d] = rf[j];
    }
    /* Interleave STREAMS stretches of the sorted order: consecutive updates
     * then belong to different users, so the CPU can overlap them instead of
     * waiting on each p_u just written (same-user updates form a chain). */
    int64_t len = (n + STREAMS - 1) / STREAMS, o = 0;
    for (int64_t j = 0; j < len; j++)
        for (int64_t q = j; q < n; q += len) {
            rec[o] = t->rec[q];
            if (rf) rf[o] = t->rf[q];
            o++;
        }
}

typedef struct prepare_arg {
    const sgd_grid *g;
    uint64_t seed;
    int64_t most;     /* largest block */
} prepare_arg;

/* Thread j's blocks: j, j + t, ... */
static int prepare_part(void *arg, int j, int t) {
    prepare_arg *pa = arg;
    const sgd_grid *g = pa->g;
    block_tmp tmp = {mfr__malloc((size_t)pa->most * sizeof(uint32_t)),
                     g->rf ? mfr__malloc((size_t)pa->most * sizeof(float)) : NULL,
                     mfr__malloc(((size_t)g->ru + 1) * sizeof(int64_t))};
    int failed = !tmp.rec || !tmp.cnt || (g->rf && !tmp.rf);
    for (int64_t b = j; !failed && b < (int64_t)g->nb * g->nb; b += t)
        block_prepare(g, b, pa->seed, &tmp);
    mfr__free(tmp.rec);
    mfr__free(tmp.rf);
    mfr__free(tmp.cnt);
    return failed;
}

/* block_prepare on every block, shared out among threads; the result does
 * not depend on the thread count (one RNG stream per block). */
static mfr_status grid_prepare(sgd_grid *g, uint64_t seed, int threads, mfr_error *err) {
    prepare_arg pa = {g, seed, 1};
    for (int64_t b = 0; b < (int64_t)g->nb * g->nb; b++)
        if (g->off[b + 1] - g->off[b] > pa.most) pa.most = g->off[b + 1] - g->off[b];
    return parallel_run(threads, prepare_part, &pa) ? mfr__nomem(err, "sgd: block scratch") : MFR_OK;
}

/* The grid of tr's ratings in window w (indices from its first user and
 * item, u_first/i_first). */
static mfr_status grid_build(sgd_grid *g, const sgd_win *w, const mfr_ratings *tr, int threads,
                             uint64_t seed, mfr_error *err) {
    memset(g, 0, sizeof *g);
    int16_t slot[2 * MAX_CODES];
    grid_build_table(g, tr, w, slot);
    grid_shape(g, w->u1 - w->u0, w->i1 - w->i0, threads);
    g->u_first = w->u0, g->i_first = w->i0;
    mfr_status st = grid_fill(g, tr, w, slot, err);
    return st ? st : grid_prepare(g, seed, threads, err);
}

/* ---- a barrier whose width can shrink (if a thread fails to start) ------ */

typedef struct sgd_barrier {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int count, waiting;
    unsigned gen;
} sgd_barrier;

static void barrier_release_locked(sgd_barrier *b) {
    b->waiting = 0;
    b->gen++;
    pthread_cond_broadcast(&b->cv);
}

static void barrier_wait(sgd_barrier *b) {
    pthread_mutex_lock(&b->mu);
    unsigned gen = b->gen;
    if (++b->waiting >= b->count) barrier_release_locked(b);
    else
        while (gen == b->gen) pthread_cond_wait(&b->cv, &b->mu);
    pthread_mutex_unlock(&b->mu);
}

static void barrier_set_count(sgd_barrier *b, int count) {
    pthread_mutex_lock(&b->mu);
    b->count = count;
    if (b->waiting >= b->count) barrier_release_locked(b);
    pthread_mutex_unlock(&b->mu);
}

/* ---- the threaded epoch ------------------------------------------------ */

typedef struct sgd_run {
    const sgd_grid *g;     /* the grid of the current pass (set by thread 0 before it) */
    const sgd_grid *grids; /* [n_grids]: one in one process, DSGD's strata distributed */
    int32_t n_grids;
    const mfr__part *pt;   /* the rank's share (part.h) */
    mfr_model *m;
    mfr__sgd_hyper h;
    mfr__sgd_kernel_fn kern;
    int t;                 /* threads taking part */
    int32_t *order;        /* [nb] diagonals in this pass's order (nb: the largest grid's) */
    double *loss;          /* [nb] squared error by row block */
    atomic_int *row_done; /* [nb] rounds finished by row block a this pass */
    atomic_int *col_done; /* [nb] rounds finished by column block b */
    atomic_int *row_next; /* [nb] next round of row block a to be claimed */
    atomic_llong kept;    /* blocks run right after their row block's previous
                             round on the same thread (P range in cache) */
    long long blocks;     /* blocks run (thread 0 counts) */
    sgd_barrier bar;
    int stop;
    uint16_t *Ph, *Qh;    /* half-precision rows of P and Q during the epochs, or NULL */
    int threads_setup;    /* threads for the conversions */
} sgd_run;

typedef struct sgd_worker {
    sgd_run *run;
    int j;
} sgd_worker;

static double run_block(const sgd_run *R, int32_t a, int32_t b) {
    const sgd_grid *g = R->g;
    int64_t id = (int64_t)a * g->nb + b;
    size_t u0 = (size_t)g->u_first + (size_t)a * g->ru, i0 = (size_t)g->i_first + (size_t)b * g->ri;
    size_t k = (size_t)R->h.k;
    mfr__sgd_block blk = {
        .rec = g->rec + g->off[id], .rf = g->rf ? g->rf + g->off[id] : NULL,
        .rtab = g->n_codes ? g->rtab : NULL, .n = g->off[id + 1] - g->off[id],
        .umask = g->umask, .ishift = g->ishift, .imask = g->imask, .rshift = g->rshift,
        .P = k ? R->m->P + u0 * k : NULL, .Q = k ? R->m->Q + i0 * k : NULL,
        .bu = R->m->user_bias + u0, .bi = R->m->item_bias + i0,
        .Ph = R->Ph && k ? R->Ph + u0 * k : NULL, .Qh = R->Qh && k ? R->Qh + i0 * k : NULL,
    };
    return blk.n > 0 ? R->kern(&blk, &R->h) : 0.0;
}

static void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* Until *x >= d (acquire: the writes of the block that stored it are seen). */
static void wait_round(atomic_int *x, int32_t d) {
    for (int spins = 0; atomic_load_explicit(x, memory_order_acquire) < d;) {
        if (++spins < 256) {
            cpu_relax();
        } else {
            sched_yield(); /* a busy machine: let the thread we wait on run */
            spins = 0;
        }
    }
}

/* Row block a's next block, round d = row_next[a], when its inputs are done
 * (row block a and column block b = (a + order[d]) mod nb finished round
 * d − 1); -1 when it is not ready or row a has no block left. A hint from
 * relaxed loads: the claimant still waits with acquire (wait_round). */
static int32_t ready_round(const sgd_run *R, int32_t a) {
    const int32_t nb = R->g->nb;
    int32_t d = atomic_load_explicit(&R->row_next[a], memory_order_relaxed);
    if (d >= nb) return -1;
    int32_t b = (a + R->order[d]) % nb;
    if (atomic_load_explicit(&R->row_done[a], memory_order_relaxed) < d ||
        atomic_load_explicit(&R->col_done[b], memory_order_relaxed) < d)
        return -1;
    return d;
}

/* How many rounds ahead of d is the row block whose round-d block shares
 * a column with row a's round d + 1 block: the rounds row a could run in a
 * row after d without waiting (nb when d is the last). */
static int32_t run_ahead(const sgd_run *R, int32_t a, int32_t d) {
    const int32_t nb = R->g->nb;
    if (d + 1 >= nb) return nb;
    int32_t a2 = (a + R->order[d + 1] - R->order[d] + nb) % nb;
    return atomic_load_explicit(&R->row_done[a2], memory_order_relaxed) - d;
}

/* One thread's part of an epoch. Block (a, b) of round d (column block
 * b = (a + order[d]) mod nb) starts once row block a and column block b have
 * each finished round d − 1: those two blocks are the last writers of every
 * row of P, Q and bias it reads (all other blocks of round d − 1 touch other
 * rows), so it sees exactly what it would after a barrier between rounds — the
 * model is the same, bit for bit, as with barriers, for any thread count and
 * any order in which the blocks are claimed. Which block a thread claims is
 * chosen for the caches: first the next round of the row block it just ran,
 * if ready (its range of P — 1 MB at k = 64 — is still in L2/L3, while all
 * of P is larger than L3); else the ready block whose row can run longest
 * after it (run_ahead); else, when none is ready, the first unclaimed block
 * in round-major order (round d, row a), waiting for its inputs. Every block
 * of the rounds before that one is claimed, and a claimed block waits only
 * on blocks of the round before its own, so by induction on the round every
 * claimed block finishes: no deadlock. A claim is a compare-and-swap of
 * row_next[a] from d to d + 1. */
static void run_epoch_part(sgd_run *R) {
    const int32_t nb = R->g->nb;
    int32_t last = -1, prev = -1;
    long long kept = 0;
    for (;;) {
        int32_t a = -1, d = last >= 0 ? ready_round(R, last) : -1;
        if (d >= 0) a = last;
        else {
            int32_t first = -1, first_d = nb, ahead = 0;
            for (int32_t x = 0; x < nb; x++) {
                int32_t dx = atomic_load_explicit(&R->row_next[x], memory_order_relaxed);
                if (dx >= nb) continue;
                if (dx < first_d) first_d = dx, first = x;
                if (ready_round(R, x) != dx) continue;
                int32_t r = run_ahead(R, x, dx);
                if (a < 0 || r > ahead || (r == ahead && dx < d)) ahead = r, a = x, d = dx;
            }
            if (first < 0) break; /* every block claimed */
            if (a < 0) a = first, d = first_d;
        }
        int32_t want = d;
        if (!atomic_compare_exchange_strong_explicit(&R->row_next[a], &want, d + 1,
                                                     memory_order_relaxed, memory_order_relaxed)) {
            last = -1; /* another thread took it: look again */
            continue;
        }
        int32_t b = (a + R->order[d]) % nb;
        wait_round(&R->row_done[a], d);
        wait_round(&R->col_done[b], d);
        R->loss[a] += run_block(R, a, b);
        atomic_store_explicit(&R->row_done[a], d + 1, memory_order_release);
        atomic_store_explicit(&R->col_done[b], d + 1, memory_order_release);
        kept += a == prev;
        last = prev = a;
    }
    atomic_fetch_add_explicit(&R->kept, kept, memory_order_relaxed);
    barrier_wait(&R->bar); /* epoch end */
}

static void *worker_main(void *arg) {
    sgd_worker *w = arg;
    sgd_run *R = w->run;
    for (;;) {
        barrier_wait(&R->bar); /* epoch start (or stop) */
        if (R->stop) break;
        run_epoch_part(R);
    }
    return NULL;
}

/* ---- initial factors, the training error -------------------------------- */

#define INIT_ROWS 1024 /* rows per RNG stream of the initial factors */

typedef struct init_arg {
    float *X;
    int64_t n;
    int32_t k;
    float std;
    uint64_t seed, tag;
} init_arg;

/* Chunks j, j + t, ... of INIT_ROWS rows, each from stream (seed, tag + c). */
static int init_part(void *arg, int j, int t) {
    init_arg *ia = arg;
    for (int64_t c = j; c * INIT_ROWS < ia->n; c += t) {
        int64_t end = (c + 1) * INIT_ROWS < ia->n ? (c + 1) * INIT_ROWS : ia->n;
        mfr__fill_normal(ia->X + (size_t)(c * INIT_ROWS) * (size_t)ia->k,
                         (end - c * INIT_ROWS) * ia->k, ia->std, ia->seed, ia->tag + (uint64_t)c);
    }
    return 0;
}

/* n rows of k floats, N(0, std²): the same values for any thread count. */
static void init_rows(float *X, int64_t n, int32_t k, float std, uint64_t seed, uint64_t tag,
                      int threads) {
    init_arg ia = {X, n, k, std, seed, tag};
    parallel_run(threads, init_part, &ia);
}

/* The biases stay at 0: mfr__model_alloc_factors zeroes them. */
static void init_factors(mfr_model *m, float std, uint64_t seed, int threads) {
    if (m->k > 0) {
        init_rows(m->P, m->n_users, m->k, std, seed, 1ull << 40, threads);
        init_rows(m->Q, m->n_items, m->k, std, seed, 2ull << 40, threads);
    }
}

typedef struct rmse_arg {
    const sgd_grid *g;
    const mfr_model *m;
    mfr__sgd_dot_fn dot;
    double *row;      /* [nb] squared error by row block */
} rmse_arg;

static double word_sq_error(const rmse_arg *ra, int32_t a, int32_t b, int64_t j) {
    const sgd_grid *g = ra->g;
    const mfr_model *m = ra->m;
    uint32_t w = g->rec[j];
    size_t u = (size_t)g->u_first + (size_t)a * g->ru + (w & g->umask);
    size_t i = (size_t)g->i_first + (size_t)b * g->ri + ((w >> g->ishift) & g->imask);
    float r = g->rf ? g->rf[j] : g->rtab[w >> g->rshift];
    float p = m->mu + m->user_bias[u] + m->item_bias[i] +
              (m->k ? ra->dot(m->P + u * m->k, m->Q + i * m->k, m->k) : 0.f);
    if (m->rmax > m->rmin) p = p < m->rmin ? m->rmin : p > m->rmax ? m->rmax : p;
    return ((double)p - r) * ((double)p - r);
}

/* Row blocks j, j + t, ... */
static int rmse_part(void *arg, int j, int t) {
    rmse_arg *ra = arg;
    const sgd_grid *g = ra->g;
    for (int32_t a = j; a < g->nb; a += t) {
        double se = 0.0;
        for (int32_t b = 0; b < g->nb; b++) {
            int64_t id = (int64_t)a * g->nb + b;
            for (int64_t x = g->off[id]; x < g->off[id + 1]; x++) se += word_sq_error(ra, a, b, x);
        }
        ra->row[a] = se;
    }
    return 0;
}

/* Squared error of the clipped predictions on a grid's training ratings,
 * from the blocked copy, row blocks shared among threads and summed in block
 * order (the same value for any thread count). NaN when out of memory. */
static double grid_sq_error(const sgd_grid *g, const mfr_model *m, int threads,
                            const mfr__kernels *ks) {
    int64_t total = g->off[(int64_t)g->nb * g->nb];
    if (total <= 0) return 0.0;
    rmse_arg ra = {g, m, mfr__sgd_dot(ks), mfr__calloc((size_t)g->nb, sizeof(double))};
    if (!ra.row) return NAN;
    parallel_run(threads, rmse_part, &ra);
    double se = 0.0;
    for (int32_t a = 0; a < g->nb; a++) se += ra.row[a];
    mfr__free(ra.row);
    return se;
}

/* ---- half-precision rows (kernel switch sgd_half_rows) -------------------
 * The epochs update binary16 copies of P and Q (half the bytes a row, so
 * twice the rows fit each cache level); the model's float P and Q are filled
 * from them whenever the model is read (the validation RMSE after each
 * epoch, the end of the fit). Off by default: on the development machine
 * (AMD EPYC, Zen 4) the F16C conversions cost more than the bytes saved
 * (docs/perf/sgd.md), at the same accuracy. */

typedef struct rows_arg {
    float *X;
    uint16_t *H;
    size_t n;
    int to_half;
} rows_arg;

static int rows_part(void *arg, int j, int t) {
    rows_arg *ra = arg;
    size_t lo = ra->n * (size_t)j / (size_t)t, hi = ra->n * (size_t)(j + 1) / (size_t)t;
    if (ra->to_half)
        for (size_t x = lo; x < hi; x++) ra->H[x] = mfr__float_to_half(ra->X[x]);
    else
        for (size_t x = lo; x < hi; x++) ra->X[x] = mfr__half_to_float(ra->H[x]);
    return 0;
}

/* to_half 1: model -> half rows (each value rounded); 0: half rows -> model. */
static void rows_sync(sgd_run *R, int to_half) {
    if (!R->Ph) return;
    const mfr_model *m = R->m;
    rows_arg a = {m->P, R->Ph, (size_t)m->n_users * (size_t)m->k, to_half};
    parallel_run(R->threads_setup, rows_part, &a);
    a = (rows_arg){m->Q, R->Qh, (size_t)m->n_items * (size_t)m->k, to_half};
    parallel_run(R->threads_setup, rows_part, &a);
}

/* ---- the epoch loop (thread 0) ----------------------------------------- */

static void shuffle_order(int32_t *order, int32_t nb, uint64_t seed, int32_t epoch) {
    mfr__rng rng;
    mfr__rng_seed_stream(&rng, seed, 0x200000000ull + (uint64_t)epoch);
    for (int32_t d = 0; d < nb; d++) order[d] = d;
    mfr__shuffle_i32(&rng, order, nb);
}

/* One pass of all threads over grid g (every block once, the diagonals in
 * the epoch's order): its squared error before each update. */
static double grid_pass(sgd_run *R, const sgd_grid *g, uint64_t seed, int32_t ep) {
    R->g = g;
    shuffle_order(R->order, g->nb, seed, ep);
    memset(R->loss, 0, (size_t)g->nb * sizeof *R->loss);
    for (int32_t x = 0; x < g->nb; x++) {
        atomic_store_explicit(&R->row_done[x], 0, memory_order_relaxed);
        atomic_store_explicit(&R->col_done[x], 0, memory_order_relaxed);
        atomic_store_explicit(&R->row_next[x], 0, memory_order_relaxed);
    }
    R->blocks += (long long)g->nb * g->nb;
    barrier_wait(&R->bar);
    run_epoch_part(R);
    double se = 0.0;
    for (int32_t a = 0; a < g->nb; a++) se += R->loss[a];
    return se;
}

static int64_t grid_count(const sgd_grid *g) { return g->off[(int64_t)g->nb * g->nb]; }

/* One epoch: the pass over each grid; distributed (DSGD), the item block
 * moves on to the next rank after each sub-epoch, and at the end every
 * rank's user rows and (its own again) item block go to all. se[0] gets the
 * squared errors, se[1] the ratings, both summed over the ranks. */
static mfr_status epoch_pass(sgd_run *R, uint64_t seed, int32_t ep, double se[2], mfr_error *err) {
    mfr_model *m = R->m;
    mfr_status st = MFR_OK;
    se[0] = se[1] = 0.0;
    for (int32_t s = 0; !st && s < R->n_grids; s++) {
        se[0] += grid_pass(R, &R->grids[s], seed, ep);
        se[1] += (double)grid_count(&R->grids[s]);
        st = mfr__part_shift(R->pt, s, m->Q, m->k, m->item_bias, err);
    }
    if (!st) st = mfr__part_share(R->pt, 0, m->P, m->k, m->user_bias, err);
    if (!st) st = mfr__part_share(R->pt, 1, m->Q, m->k, m->item_bias, err);
    if (!st) st = mfr__part_sum_d(R->pt, se, 2, err);
    return st;
}

static mfr_status epoch_loop(sgd_run *R, const mfr__fit_ctx *ctx, mfr_error *err) {
    const mfr_train_params *p = ctx->p;
    mfr_model *m = R->m;
    mfr__best best;
    mfr_status st = mfr__best_init(&best, m, ctx, err);
    double t0 = mfr__now();
    int32_t done = 0;
    /* a checkpoint's factors (distributed runs): the epochs after it run as
     * they would have, at the learning rate they would have had */
    if (!st) st = mfr__part_resume(R->pt, m, &done, err);
    float lr = p->lr;
    for (int32_t ep = 1; ep <= done; ep++) lr *= p->lr_decay;
    for (int32_t ep = done + 1; !st && ep <= p->epochs; ep++) {
        R->h.lr = lr;
        double se[2];
        if ((st = epoch_pass(R, p->seed, ep, se, err))) break;
        if (ctx->valid && ctx->valid->n > 0) rows_sync(R, 0); /* mfr__rmse reads the model */
        double tr = se[1] > 0 ? sqrt(se[0] / se[1]) : NAN;
        double va = mfr__rmse(m, ctx->valid);
        m->epochs_run = ep;
        m->valid_rmse = va;
        if (se[1] > 0 && !isfinite(tr)) {
            st = mfr__err(err, MFR_E_RANGE, "sgd: training diverged at epoch %d (lr %g too large?)",
                          (int)ep, (double)p->lr);
            break;
        }
        if (mfr__best_update(&best, m, va, ep)) {
            mfr__report_epoch(ctx, "sgd", ep, p->epochs, tr, va, t0, NULL);
            break;
        }
        /* the report (rank 0), a Ctrl-C every rank agrees on (the model
         * keeps that epoch), the checkpoint */
        st = mfr__part_epoch(R->pt, ctx, m, "sgd", ep, tr, va, t0, err);
        lr *= p->lr_decay;
    }
    if (!(ctx->valid && ctx->valid->n > 0)) rows_sync(R, 0);
    if (!st) mfr__best_restore(&best, m);
    mfr__best_free(&best);
    return st;
}

/* ---- the memory plan ---------------------------------------------------- */

/* Every buffer that holds ratings or factors while the epochs run, logged
 * at info level (mfrec train --verbose; formula in docs/perf/sgd.md):
 * n ratings, U users, I items, k factors, nb x nb blocks, t threads. */
static void log_memory_plan(const sgd_grid *g, const mfr_model *m, const mfr__fit_ctx *ctx, int t,
                            int half) {
    const double MB = 1e6, n = (double)ctx->train->n, U = (double)m->n_users, I = (double)m->n_items;
    const mfr_dataset *ds = ctx->ds;
    /* what the caller's dataset still holds of its ratings (its arrays may
     * have been handed over by mfr_model_train_consume) */
    double dsn = (double)ds->n_ratings;
    double ds_b = (ds->user ? 4 * dsn : 0) + (ds->item ? 4 * dsn : 0) + (ds->rating ? 4 * dsn : 0) +
                  (ds->time ? 8 * dsn : 0);
    double seen = 8 * (double)m->n_train + 8 * (U + 1);
    double stats = 8 * I + 8 * (U + I);            /* item counts + means, ids */
    double fac = 4.0 * m->k * (U + I), bias = 4 * (U + I), hrows = half ? 2.0 * m->k * (U + I) : 0;
    double blk = (g->n_codes ? 4 : 8) * n + 8.0 * ((double)g->nb * g->nb + 1);
    double run = 8.0 * g->nb * 5;                   /* order, loss, row/col done, row next */
    int64_t most = 1;
    for (int64_t b = 0; b < (int64_t)g->nb * g->nb; b++)
        if (g->off[b + 1] - g->off[b] > most) most = g->off[b + 1] - g->off[b];
    double scratch = t * ((g->n_codes ? 4.0 : 8.0) * (double)most + 8.0 * (g->ru + 1));
    char hb[64] = "";
    if (half) snprintf(hb, sizeof hb, ", half-precision rows %.1f MB", hrows / MB);
    mfr__log(MFR_LOG_INFO,
             "sgd memory plan: dataset ratings %.1f MB (user%s%s%s), model seen lists %.1f MB "
             "(8 B a rating), ids and item statistics %.1f MB, blocked copy %.1f MB (%d B a "
             "rating), factors %.1f MB (k = %d) + biases %.1f MB%s, "
             "setup scratch %.1f MB (freed before the epochs), schedule %.3f MB: %.1f MB in all",
             ds_b / MB, ds->item ? " item" : "", ds->rating ? " rating" : "", ds->time ? " time" : "",
             seen / MB, stats / MB, blk / MB, g->n_codes ? 4 : 8, fac / MB, (int)m->k, bias / MB,
             hb, scratch / MB, run / MB, (ds_b + seen + stats + blk + fac + bias + hrows + run) / MB);
}

/* ---- DSGD strata (a distributed run: part.h) ---------------------------
 * Rank r trains its users u0..u1-1 against item block (r + s) mod P in
 * sub-epoch s = 0..P-1, so the P ranks' strata of a sub-epoch share no user
 * and no item (Gemulla, Nijkamp, Haas, Sismanis, "Large-Scale Matrix
 * Factorization with Distributed Stochastic Gradient Descent", KDD 2011).
 * Each stratum is a grid of its own (indices from its first user and item,
 * u_first/i_first), trained by the same passes as the one-process grid; the
 * block shuffles of stratum (r, b) draw from seed + φ·(r·P + b), so the one
 * stratum of one rank is the one-process grid, and the model depends on P
 * but not on the run. */
static uint64_t stratum_seed(uint64_t seed, int64_t id) {
    return seed + 0x9e3779b97f4a7c15ull * (uint64_t)id;
}

static void grids_free(sgd_grid *grids, int32_t ng) {
    for (int32_t s = 0; s < ng; s++) grid_free(&grids[s]);
    mfr__free(grids);
}

/* The part's grids: one in one process, its P strata distributed, each
 * the grid of tr's ratings of the part's users and the stratum's items,
 * read in place (a stratum's ratings are not copied out first: 12 bytes a
 * rating of the stratum less while the grids are built). */
static mfr_status grids_build(sgd_grid *grids, const mfr__part *pt, const mfr_ratings *tr,
                              int threads, uint64_t seed, mfr_error *err) {
    int32_t ng = mfr__part_strata(pt), rank = pt->d ? pt->d->rank : 0;
    mfr_status st = MFR_OK;
    for (int32_t s = 0; !st && s < ng; s++) {
        sgd_win w = {pt->u0, pt->u1, 0, 0};
        mfr__part_stratum(pt, s, &w.i0, &w.i1);
        st = grid_build(&grids[s], &w, tr, threads,
                        stratum_seed(seed, (int64_t)rank * ng + (rank + s) % ng), err);
    }
    return st;
}

/* ---- fit --------------------------------------------------------------- */

/* Workers 1..t-1; if one cannot start, the run shrinks to those that did
 * (before any epoch, so the schedule is unaffected). */
static void start_threads(sgd_run *R, pthread_t *tid, sgd_worker *w, int *started) {
    *started = 0;
    for (int j = 1; j < R->t; j++) {
        w[j] = (sgd_worker){R, j};
        if (pthread_create(&tid[j], NULL, worker_main, &w[j]) != 0) break;
        (*started)++;
    }
    if (*started + 1 < R->t) {
        R->t = *started + 1;
        barrier_set_count(&R->bar, R->t);
    }
}

static mfr_status run_threads(sgd_run *R, const mfr__fit_ctx *ctx, mfr_error *err) {
    pthread_t tid[64];
    sgd_worker w[64];
    int started = 0;
    pthread_mutex_init(&R->bar.mu, NULL);
    pthread_cond_init(&R->bar.cv, NULL);
    R->bar.count = R->t;
    start_threads(R, tid, w, &started);
    mfr_status st = epoch_loop(R, ctx, err);
    R->stop = 1;
    barrier_wait(&R->bar);
    for (int j = 1; j <= started; j++) pthread_join(tid[j], NULL);
    pthread_mutex_destroy(&R->bar.mu);
    pthread_cond_destroy(&R->bar.cv);
    return st;
}

/* Exact train RMSE over the part's grids (summed over the ranks). */
static double grids_train_rmse(const sgd_grid *grids, int32_t ng, const mfr__part *pt,
                               const mfr_model *m, int threads, const mfr__kernels *ks) {
    double se[2] = {0.0, 0.0};
    for (int32_t s = 0; s < ng; s++) {
        se[0] += grid_sq_error(&grids[s], m, threads, ks);
        se[1] += (double)grid_count(&grids[s]);
    }
    mfr_error ignored = {0};
    if (mfr__part_sum_d(pt, se, 2, &ignored)) return NAN;
    return se[1] > 0 ? sqrt(se[0] / se[1]) : NAN;
}

static mfr_status sgd_fit(mfr_model *m, const mfr__fit_ctx *ctx, mfr_error *err) {
    const mfr_train_params *p = ctx->p;
    mfr_status st = mfr__model_alloc_factors(m, p->factors, err);
    if (st) return st;
    int t = ctx->threads < 1 ? 1 : ctx->threads > 64 ? 64 : ctx->threads;
    double t0 = mfr__now();
    init_factors(m, p->init_std, p->seed, t);
    mfr__part pt;
    mfr__part_init(&pt, ctx, m->n_users, m->n_items);
    int32_t ng = mfr__part_strata(&pt);
    sgd_grid *grids = mfr__calloc((size_t)ng, sizeof *grids);
    if (!grids) return mfr__nomem(err, "sgd: strata");
    if ((st = grids_build(grids, &pt, ctx->train, t, p->seed, err))) {
        grids_free(grids, ng);
        return st;
    }
    mfr__fit_drop_train(ctx); /* a rank's share: its grids are all the fit reads */
    int64_t n_part = 0;
    int32_t nb = 1;
    for (int32_t s = 0; s < ng; s++) {
        n_part += grid_count(&grids[s]);
        if (grids[s].nb > nb) nb = grids[s].nb;
    }
    const sgd_grid *g = &grids[0];
    mfr__log(MFR_LOG_INFO, "sgd: %d x %d blocks of %d users x %d items%s, %s ratings, set up in %.2f s",
             (int)g->nb, (int)g->nb, (int)g->ru, (int)g->ri, ng > 1 ? " (first stratum)" : "",
             g->n_codes ? "coded" : "float", mfr__now() - t0);
    /* Threads pay only when each has enough work per round (on a busy
     * machine every wait for another thread's block can cost a time slice).
     * Fewer threads give the same model: nb was fixed from the requested
     * count above (kernel switch sgd_min_round_work, core/simd.h). */
    const mfr__kernels ks = ctx->kern ? *ctx->kern : MFR__KERNELS_DEFAULT;
    int te = t > nb ? nb : t;
    while (te > 1 && n_part / ng / nb / te < ks.sgd_min_round_work) te--;
    sgd_run R = {.grids = grids, .n_grids = ng, .pt = &pt, .m = m, .kern = mfr__sgd_kernel(&ks),
                 .t = te, .threads_setup = t};
    R.h = (mfr__sgd_hyper){.mu = m->mu, .lr = p->lr, .reg = p->reg, .reg_bias = p->reg_bias, .k = m->k};
    /* half-precision rows stay with one process: the ranks pass float rows */
    if (ks.sgd_half_rows && m->k > 0 && !pt.d) {
        R.Ph = mfr__aligned_alloc((size_t)m->n_users * (size_t)m->k * sizeof *R.Ph + 1);
        R.Qh = mfr__aligned_alloc((size_t)m->n_items * (size_t)m->k * sizeof *R.Qh + 1);
        if (!R.Ph || !R.Qh) st = mfr__nomem(err, "sgd: half-precision rows");
        else rows_sync(&R, 1);
    }
    if (ng == 1) log_memory_plan(g, m, ctx, t, R.Ph != NULL);
    R.order = mfr__calloc((size_t)nb, sizeof *R.order);
    R.loss = mfr__calloc((size_t)nb, sizeof *R.loss);
    R.row_done = mfr__calloc((size_t)nb, sizeof *R.row_done);
    R.col_done = mfr__calloc((size_t)nb, sizeof *R.col_done);
    R.row_next = mfr__calloc((size_t)nb, sizeof *R.row_next);
    if (!st && (!R.order || !R.loss || !R.row_done || !R.col_done || !R.row_next))
        st = mfr__nomem(err, "sgd: schedule");
    if (!st) st = run_threads(&R, ctx, err);
    if (!st && R.blocks > 0)
        mfr__log(MFR_LOG_INFO,
                 "sgd: %.0f%% of the blocks ran right after their row block's previous round on the same "
                 "thread",
                 100.0 * (double)atomic_load(&R.kept) / (double)R.blocks);
    if (!st || st == MFR_E_CANCELLED) m->train_rmse = grids_train_rmse(grids, ng, &pt, m, t, &ks);
    mfr__free(R.Ph);
    mfr__free(R.Qh);
    mfr__free(R.order);
    mfr__free(R.loss);
    mfr__free(R.row_done);
    mfr__free(R.col_done);
    mfr__free(R.row_next);
    grids_free(grids, ng);
    return st;
}

const mfr__algo mfr__algo_sgd = {
    .id = MFR_ALGO_SGD,
    .fit = sgd_fit,
    .defaults = sgd_defaults,
    .distributed = 1,
    .ignores_time = 1,
};
