/* serve_topn.c — the cost of one served list without HTTP: top-10 for random
 * trained users (fixed seed), one thread, CPU time, through
 * mfr_model_recommend, with the fast paths (the 8-bit index of
 * src/model/index.c, a family's top_user such as auto's) and with the plain
 * path (both set aside: every movie scored, then selected), in alternating
 * rounds so both see the same machine; the lists are compared row for row.
 * Then, for a factor model: the share of movies whose Cauchy–Schwarz bound
 * base + b_i + ‖p‖‖q_i‖ reaches the user's 10th score (the movies the index
 * could ever have to read), over the first 200 of those users.
 * Then, when nprobes are asked for and the approximate index serves the
 * model (mfr_model_set_index), for each nprobe: recall@10 of its lists against the exact lists over
 * the same users (|approx ∩ exact| / |exact|, averaged), and the CPU time a
 * list of the exact index and of the approximate one in alternating rounds
 * (best round each), with their ratio; the index's build time (wall) first.
 *
 * usage: serve_topn MODEL.mfm [calls per round (2000)] [rounds (6)]
 *                   [nprobe,nprobe,... (none: the exact paths only; the
 *                   issue's set: 4,8,16,24,32,64)] [lists (0: √movies)] */
#include "mfrec.h"
#include "model/ann.h"
#include "model/family.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double wall(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The approximate index against the exact one: recall@10 and CPU time a
 * list for each nprobe in the comma-separated list; exact[10 * calls] the
 * exact lists. Returns 1 when building or a list fails. */
static int approx(mfr_model *m, const int32_t *users, int calls, int rounds,
                  const mfr_scored *exact, const char *probes, int32_t lists) {
    mfr_error err;
    mfr_index_params ip = mfr_index_params_default();
    ip.kind = MFR_INDEX_APPROX, ip.lists = lists;
    double t0 = wall();
    mfr_status st = mfr_model_set_index(m, &ip, &err);
    if (st == MFR_E_UNSUPPORTED) {
        printf("approximate index: %s\n", err.message);
        return 0;
    }
    if (st) {
        fprintf(stderr, "approximate index: %s\n", err.message);
        return 1;
    }
    printf("approximate index: %d lists, built in %.2f s (wall, k-means %d iterations)\n",
           (int)m->ann->lists, wall() - t0, (int)ip.max_iter);
    mfr_recommend_params p = mfr_recommend_params_default();
    mfr_scored *o = malloc(sizeof *o * 10 * (size_t)calls);
    int32_t n;
    int bad = 0;
    printf("%7s %10s %12s %12s %7s\n", "nprobe", "recall@10", "exact us", "approx us", "ratio");
    for (const char *c = probes; *c;) {
        ip.nprobe = atoi(c);
        if (ip.nprobe < 1 || mfr_model_set_index(m, &ip, &err)) {
            fprintf(stderr, "nprobe %s: %s\n", c, ip.nprobe < 1 ? "not a number >= 1" : err.message);
            bad = 1;
            break;
        }
        mfr__ann *a = m->ann;
        double best[2] = {1e30, 1e30};
        for (int r = 0; r < rounds; r++)
            for (int v = 0; v < 2; v++) {
                m->ann = v ? a : NULL;
                double t1 = now();
                for (int u = 0; u < calls; u++)
                    bad |= mfr_model_recommend(m, users[u], &p, o + 10 * u, &n, NULL) != MFR_OK;
                double t = (now() - t1) / calls;
                if (t < best[v]) best[v] = t;
            }
        m->ann = a;
        int64_t hit = 0, want = 0;
        for (int u = 0; u < calls; u++) { /* o holds the approximate lists */
            for (int j = 0; j < 10; j++) {
                int32_t it = exact[10 * u + j].item;
                if (it < 0) continue; /* a list shorter than 10 */
                want++;
                for (int i = 0; i < 10; i++) hit += o[10 * u + i].item == it;
            }
        }
        printf("%7d %10.4f %12.1f %12.1f %6.2fx\n", (int)a->nprobe, (double)hit / (double)want,
               1e6 * best[0], 1e6 * best[1], best[0] / best[1]);
        c = strchr(c, ',');
        if (!c) break;
        c++;
    }
    free(o);
    return bad;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: serve_topn MODEL.mfm [calls] [rounds] [nprobe,...] [lists]\n");
        return 2;
    }
    int calls = argc > 2 ? atoi(argv[2]) : 2000, rounds = argc > 3 ? atoi(argv[3]) : 6;
    mfr_error err;
    mfr_model *m;
    if (mfr_model_load(argv[1], &m, &err)) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    mfr__qindex *x = m->qindex;
    const mfr__algo *vt = m->vt;
    mfr__algo plain_vt = *vt;
    plain_vt.top_user = NULL;
    int fast = x || vt->top_user;
    printf("model: %s, %d users, %d movies, k = %d; index %s, top_user %s\n", mfr_algo_name(m->algo),
           (int)m->n_users, (int)m->n_items, (int)m->k, x ? "built" : "none",
           vt->top_user ? "yes" : "no");
    int32_t *users = malloc(sizeof *users * (size_t)calls);
    uint64_t s = 42;
    for (int c = 0; c < calls; c++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        users[c] = (int32_t)((s >> 33) % (uint64_t)m->n_users);
    }
    mfr_recommend_params p = mfr_recommend_params_default();
    mfr_scored *a = malloc(sizeof *a * 10 * (size_t)calls), *b = malloc(sizeof *b * 10 * (size_t)calls);
    memset(b, 0xff, sizeof *b * 10 * (size_t)calls); /* item -1: no row */
    int32_t n;
    double best[2] = {1e30, 1e30};
    for (int r = 0; r < rounds; r++)
        for (int v = 0; v < 2; v++) {
            if (v == 1 && !fast) continue;
            m->qindex = v ? x : NULL;
            m->vt = v ? vt : &plain_vt;
            mfr_scored *o = v ? a : b;
            double t0 = now();
            for (int c = 0; c < calls; c++) mfr_model_recommend(m, users[c], &p, o + 10 * c, &n, NULL);
            double t = (now() - t0) / calls;
            if (t < best[v]) best[v] = t;
            printf("round %d %-5s %.1f us a list\n", r, v ? "fast" : "plain", 1e6 * t);
        }
    m->qindex = x;
    m->vt = vt;
    int diff = 0;
    for (int c = 0; fast && c < 10 * calls; c++)
        diff += a[c].item != b[c].item || memcmp(&a[c].score, &b[c].score, sizeof a[c].score);
    printf("best: plain %.1f us, fast %.1f us (%.2fx); rows differing: %d\n", 1e6 * best[0],
           1e6 * best[1], best[0] / best[1], diff);
    if (!vt->rank_user && m->P && m->Q && m->user_bias && m->item_bias) {
        double share = 0.0;
        int nu = calls < 200 ? calls : 200;
        for (int c = 0; c < nu; c++) {
            const mfr_scored *row = b + 10 * c; /* the plain list: its 10th score */
            const float *pu = m->P + (size_t)users[c] * m->k;
            double pn = 0.0;
            for (int32_t f = 0; f < m->k; f++) pn += (double)pu[f] * pu[f];
            pn = sqrt(pn);
            float base = m->mu + m->user_bias[users[c]];
            int32_t reach = 0;
            for (int32_t i = 0; i < m->n_items; i++) {
                double qn = 0.0;
                for (int32_t f = 0; f < m->k; f++) qn += (double)m->Q[(size_t)i * m->k + f] * m->Q[(size_t)i * m->k + f];
                reach += base + m->item_bias[i] + pn * sqrt(qn) >= row[9].score;
            }
            share += (double)reach / m->n_items / nu;
        }
        printf("movies whose Cauchy-Schwarz bound reaches the 10th score: %.1f %% (%d users)\n",
               100.0 * share, nu);
    }
    if (argc > 4) /* the k-means of the approximate index only when asked for */
        diff += approx(m, users, calls, rounds, b, argv[4], argc > 5 ? atoi(argv[5]) : 0);
    free(users);
    free(a);
    free(b);
    mfr_model_free(m);
    return diff != 0;
}
