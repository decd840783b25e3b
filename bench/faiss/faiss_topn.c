/* faiss_topn.c — Faiss (Debian's libfaiss-dev, through its C API) against
 * mfrec's own top-10 paths on a biased-MF model, one thread, CPU time a list,
 * the same random trained users as serve_topn (seed 42). Movie vectors are
 * augmented (q_i, b_i) and the query (p_u, 1), so the inner product plus
 * μ + b_u is mfrec's score. Faiss cannot exclude the user's seen movies (nor
 * those with too few training ratings): each list searches k = 10 + |seen|
 * and doubles k until 10 movies pass mfrec's filter; that cost is counted.
 * Faiss exact (IndexFlatIP) must give mfrec's exact lists (same scores at
 * each rank, ties allowed) or the run fails. Then IVF (IVF<lists>,Flat, inner
 * product) at each nprobe and HNSW32,Flat at each efSearch: recall@10
 * against mfrec's exact lists and µs a list, with mfrec's approximate index
 * (mfr_model_set_index) at the same nprobe in alternating rounds.
 *
 * usage: faiss_topn MODEL.mfm [calls (1000)] [rounds (3)] [nprobe,... (4,8,16,24,32,64)]
 *                   [efSearch,... (16,32,64,128)] */
#include "mfrec.h"
#include "model/ann.h"
#include "model/family.h"
#include "model/index.h"

#include <faiss/c_api/AutoTune_c.h>
#include <faiss/c_api/IndexFlat_c.h>
#include <faiss/c_api/Index_c.h>
#include <faiss/c_api/index_factory_c.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double clock_of(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct bench {
    mfr_model *m;
    const int32_t *users;
    int calls, rounds;
    const mfr_scored *exact; /* mfrec's exact lists, 10 a user */
    float *query;            /* [k + 1] */
    float *dist;
    idx_t *label;
    idx_t cap;
    double searched; /* movies asked for, summed over the lists of a round */
} bench;

/* One Faiss list for user u into out[10] (items, scores): k = 10 + |seen|,
 * doubled until 10 movies pass the filter. Returns 1 on an error. */
static int faiss_list(bench *b, const FaissIndex *x, int32_t u, mfr_scored *out) {
    const mfr_model *m = b->m;
    mfr_recommend_params p = mfr_recommend_params_default();
    mfr__filter f = {m, &p, m->seen_item + m->seen_ptr[u], m->seen_ptr[u + 1] - m->seen_ptr[u]};
    memcpy(b->query, m->P + (size_t)u * m->k, sizeof(float) * (size_t)m->k);
    b->query[m->k] = 1.0f;
    float base = m->mu + m->user_bias[u];
    for (idx_t k = 10 + f.n_seen;; k *= 2) {
        if (k > m->n_items) k = m->n_items;
        if (k > b->cap) {
            free(b->dist), free(b->label);
            b->cap = k;
            b->dist = malloc(sizeof *b->dist * (size_t)k), b->label = malloc(sizeof *b->label * (size_t)k);
            if (!b->dist || !b->label) return 1;
        }
        if (faiss_Index_search(x, 1, b->query, k, b->dist, b->label)) return 1;
        b->searched += (double)k;
        int n = 0;
        for (idx_t j = 0; j < k && n < 10; j++)
            if (b->label[j] >= 0 && mfr__filter_pass(&f, (int32_t)b->label[j]))
                out[n].item = (int32_t)b->label[j], out[n++].score = base + b->dist[j];
        if (n == 10 || k == m->n_items) {
            for (; n < 10; n++) out[n].item = -1;
            return 0;
        }
    }
}

/* Best round's CPU time a list of x over the users, lists into o. */
static double faiss_time(bench *b, const FaissIndex *x, mfr_scored *o, int *bad) {
    double best = 1e30;
    for (int r = 0; r < b->rounds; r++) {
        b->searched = 0.0;
        double t0 = clock_of(CLOCK_THREAD_CPUTIME_ID);
        for (int c = 0; c < b->calls; c++) *bad |= faiss_list(b, x, b->users[c], o + 10 * c);
        double t = (clock_of(CLOCK_THREAD_CPUTIME_ID) - t0) / b->calls;
        if (t < best) best = t;
    }
    return best;
}

/* Best round's CPU time a list of mfrec's current path, lists into o. */
static double mfrec_time(bench *b, mfr_scored *o, int *bad) {
    mfr_recommend_params p = mfr_recommend_params_default();
    int32_t n;
    double best = 1e30;
    for (int r = 0; r < b->rounds; r++) {
        double t0 = clock_of(CLOCK_THREAD_CPUTIME_ID);
        for (int c = 0; c < b->calls; c++)
            *bad |= mfr_model_recommend(b->m, b->users[c], &p, o + 10 * c, &n, NULL) != MFR_OK;
        double t = (clock_of(CLOCK_THREAD_CPUTIME_ID) - t0) / b->calls;
        if (t < best) best = t;
    }
    return best;
}

static double recall(const bench *b, const mfr_scored *o) {
    int64_t hit = 0, want = 0;
    for (int c = 0; c < b->calls; c++)
        for (int j = 0; j < 10; j++) {
            int32_t it = b->exact[10 * c + j].item;
            if (it < 0) continue;
            want++;
            for (int i = 0; i < 10; i++) hit += o[10 * c + i].item == it;
        }
    return want ? (double)hit / (double)want : 0.0;
}

/* Lists that differ from the exact ones beyond ties: a rank whose score is
 * off by more than 1e-4 relative. */
static int disagree(const bench *b, const mfr_scored *o) {
    int bad = 0;
    for (int c = 0; c < 10 * b->calls; c++) {
        double e = b->exact[c].score, g = o[c].score;
        if ((b->exact[c].item < 0) != (o[c].item < 0) ||
            (o[c].item >= 0 && fabs(e - g) > 1e-4 * (1.0 + fabs(e))))
            bad++;
    }
    return bad;
}

static FaissIndex *build(const char *desc, int32_t d, const float *v, int32_t n, double *secs) {
    FaissIndex *x = NULL;
    double t0 = clock_of(CLOCK_MONOTONIC);
    if (faiss_index_factory(&x, d, desc, METRIC_INNER_PRODUCT) || faiss_Index_train(x, n, v) ||
        faiss_Index_add(x, n, v)) {
        fprintf(stderr, "faiss %s: build failed\n", desc);
        if (x) faiss_Index_free(x);
        return NULL;
    }
    *secs = clock_of(CLOCK_MONOTONIC) - t0;
    return x;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: faiss_topn MODEL.mfm [calls] [rounds] [nprobe,...] [efSearch,...]\n");
        return 2;
    }
    int calls = argc > 2 ? atoi(argv[2]) : 1000, rounds = argc > 3 ? atoi(argv[3]) : 3;
    const char *probes = argc > 4 ? argv[4] : "4,8,16,24,32,64";
    const char *efs = argc > 5 ? argv[5] : "16,32,64,128";
    if (calls < 1 || rounds < 1) return 2;
    mfr_error err;
    mfr_model *m;
    if (mfr_model_load(argv[1], &m, &err)) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    if (m->vt->rank_user || !m->P || !m->Q || !m->user_bias || !m->item_bias || !m->seen_ptr) {
        fprintf(stderr, "faiss_topn: needs a biased-MF model\n");
        mfr_model_free(m);
        return 1;
    }
    int32_t k = m->k, d = k + 1, ni = m->n_items;
    float *v = malloc(sizeof *v * (size_t)d * (size_t)ni);
    int32_t *users = malloc(sizeof *users * (size_t)calls);
    mfr_scored *ex = malloc(sizeof *ex * 10 * (size_t)calls), *o = malloc(sizeof *o * 10 * (size_t)calls);
    bench b = {m, users, calls, rounds, ex, malloc(sizeof(float) * (size_t)d), NULL, NULL, 0, 0.0};
    int bad = !v || !users || !ex || !o || !b.query;
    if (bad) goto out;
    for (int32_t i = 0; i < ni; i++) {
        memcpy(v + (size_t)i * d, m->Q + (size_t)i * k, sizeof(float) * (size_t)k);
        v[(size_t)i * d + k] = m->item_bias[i];
    }
    uint64_t s = 42; /* serve_topn's users */
    for (int c = 0; c < calls; c++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        users[c] = (int32_t)((s >> 33) % (uint64_t)m->n_users);
    }
    printf("model: %d users, %d movies, k = %d; %d lists a round, best of %d rounds\n",
           (int)m->n_users, (int)ni, (int)k, calls, rounds);
    double secs;
    FaissIndex *flat = NULL;
    if (faiss_IndexFlatIP_new_with((FaissIndexFlatIP **)&flat, d) || faiss_Index_add(flat, ni, v)) {
        fprintf(stderr, "faiss flat: build failed\n");
        bad = 1;
        goto out;
    }
    double t_mx = 1e30, t_fx = 1e30;
    for (int r = 0; r < 2; r++) { /* alternating: mfrec exact, Faiss exact */
        double t = mfrec_time(&b, ex, &bad);
        if (t < t_mx) t_mx = t;
        t = faiss_time(&b, flat, o, &bad);
        if (t < t_fx) t_fx = t;
    }
    int diff = disagree(&b, o);
    printf("%-24s %10s %10s %14s\n", "path", "recall@10", "us a list", "movies asked");
    printf("%-24s %10.4f %10.1f %14s\n", "mfrec exact", 1.0, 1e6 * t_mx, "-");
    printf("%-24s %10.4f %10.1f %14.0f   (ranks differing: %d)\n", "faiss IndexFlatIP", recall(&b, o),
           1e6 * t_fx, b.searched / calls, diff);
    faiss_Index_free(flat);
    bad |= diff != 0;
    mfr_index_params ip = mfr_index_params_default();
    ip.kind = MFR_INDEX_APPROX;
    double t0 = clock_of(CLOCK_MONOTONIC);
    if (mfr_model_set_index(m, &ip, &err)) {
        fprintf(stderr, "approximate index: %s\n", err.message);
        bad = 1;
        goto out;
    }
    int32_t lists = (int32_t)m->ann->lists;
    printf("mfrec approx index: %d lists, built in %.2f s (wall)\n", (int)lists, clock_of(CLOCK_MONOTONIC) - t0);
    char desc[64];
    snprintf(desc, sizeof desc, "IVF%d,Flat", (int)lists);
    FaissIndex *ivf = build(desc, d, v, ni, &secs);
    FaissParameterSpace *ps = NULL;
    if (!ivf || faiss_ParameterSpace_new(&ps)) {
        bad = 1;
        goto out;
    }
    printf("faiss %s: train+add %.2f s (wall)\n", desc, secs);
    for (const char *c = probes; c && *c; c = strchr(c, ','), c = c ? c + 1 : NULL) {
        ip.nprobe = atoi(c);
        if (ip.nprobe < 1 || mfr_model_set_index(m, &ip, &err) ||
            faiss_ParameterSpace_set_index_parameter(ps, ivf, "nprobe", ip.nprobe)) {
            fprintf(stderr, "nprobe %s: refused\n", c);
            bad = 1;
            break;
        }
        double t_ma = 1e30, t_fi = 1e30;
        mfr_scored *oa = malloc(sizeof *oa * 10 * (size_t)calls);
        if (!oa) { bad = 1; break; }
        for (int r = 0; r < 2; r++) {
            double t = mfrec_time(&b, oa, &bad);
            if (t < t_ma) t_ma = t;
            t = faiss_time(&b, ivf, o, &bad);
            if (t < t_fi) t_fi = t;
        }
        char name[40];
        snprintf(name, sizeof name, "mfrec approx nprobe %d", (int)ip.nprobe);
        printf("%-24s %10.4f %10.1f %14s\n", name, recall(&b, oa), 1e6 * t_ma, "-");
        snprintf(name, sizeof name, "faiss IVF nprobe %d", (int)ip.nprobe);
        printf("%-24s %10.4f %10.1f %14.0f\n", name, recall(&b, o), 1e6 * t_fi, b.searched / calls);
        free(oa);
    }
    faiss_Index_free(ivf);
    FaissIndex *hnsw = build("HNSW32,Flat", d, v, ni, &secs);
    if (!hnsw) {
        bad = 1;
        goto done;
    }
    printf("faiss HNSW32,Flat: add %.2f s (wall)\n", secs);
    for (const char *c = efs; c && *c; c = strchr(c, ','), c = c ? c + 1 : NULL) {
        int ef = atoi(c);
        if (ef < 1 || faiss_ParameterSpace_set_index_parameter(ps, hnsw, "efSearch", ef)) {
            fprintf(stderr, "efSearch %s: refused\n", c);
            bad = 1;
            break;
        }
        double t = faiss_time(&b, hnsw, o, &bad);
        char name[40];
        snprintf(name, sizeof name, "faiss HNSW efSearch %d", ef);
        printf("%-24s %10.4f %10.1f %14.0f\n", name, recall(&b, o), 1e6 * t, b.searched / calls);
    }
    faiss_Index_free(hnsw);
done:
    faiss_ParameterSpace_free(ps);
out:
    free(v), free(users), free(ex), free(o), free(b.query), free(b.dist), free(b.label);
    mfr_model_free(m);
    return bad;
}
