/* test_model_index.c — the 8-bit item index (src/model/index.c) and the
 * default model's own top-n (auto_top_user, src/algo/auto.c) give the lists
 * of the plain scoring path row for row: the same movies in the same order
 * with bit-identical scores and predictions, for trained users, folded-in
 * vectors, every filter, exact ties, and both pass-1 kernels (AVX2 and the
 * portable reference).
 *
 * The approximate index (src/model/ann.c, mfr_model_set_index): probing
 * every cluster gives the exact lists item for item; on movies in
 * well-separated clusters one probed cluster already gives them (recall
 * 1.0); filters that empty the probed clusters widen the search; the same
 * seed builds the same index; bad parameters and models it cannot serve are
 * refused; out of memory is reported, nothing leaked. */
#include "test.h"
#include "model/ann.h"
#include "model/topn.h"
#include "model/family.h"

static mfr_model *g_m;
static mfr_dataset *g_ds;

static int setup(void **state) {
    (void)state;
    mfr_synth_params sp = mfr_synth_params_default();
    sp.users = 300, sp.movies = 1203, sp.ratings = 30000, sp.rank = 6, sp.seed = 7;
    if (mfr_synth_dataset(&sp, &g_ds, NULL)) return 1;
    mfr_train_params p = mfr_train_params_default(MFR_ALGO_SGD);
    p.factors = 20, p.epochs = 5, p.threads = 1, p.valid_frac = 0;
    if (mfr_model_train(g_ds, NULL, NULL, &p, &g_m, NULL) != MFR_OK) return 1;
    /* most of Q's energy in 6 factors, as in a model of low-rank data, so
     * the index is rotated (principal_axes_when_few_hold_the_energy) with
     * an odd prefix of 3 factor pairs */
    for (int32_t i = 0; i < g_m->n_items; i++)
        for (int32_t f = 0; f < 20; f++) g_m->Q[(size_t)i * 20 + f] *= f < 6 ? 8.f : 0.8f;
    return mfr__model_prepare(g_m, NULL) != MFR_OK;
}

static int teardown(void **state) {
    (void)state;
    mfr_model_free(g_m);
    mfr_dataset_free(g_ds);
    return 0;
}

/* The plain path's list: the same call with the index set aside. */
static int32_t plain(mfr_model *m, int32_t u, const float *vec, const int32_t *seen,
                     const float *r, int32_t ns, const mfr_recommend_params *p, mfr_scored *out) {
    mfr__qindex *x = m->qindex;
    m->qindex = NULL;
    int32_t n = -1;
    mfr_status st = u >= 0 ? mfr_model_recommend(m, u, p, out, &n, NULL)
                           : mfr_model_recommend_vec(m, vec, seen, r, ns, p, out, &n, NULL);
    m->qindex = x;
    assert_int_equal(st, MFR_OK);
    return n;
}

static void same_rows(const mfr_scored *a, int32_t na, const mfr_scored *b, int32_t nb) {
    assert_int_equal(na, nb);
    for (int32_t j = 0; j < na; j++) {
        assert_int_equal(a[j].item, b[j].item);
        assert_true(memcmp(&a[j].score, &b[j].score, sizeof a[j].score) == 0);
        assert_true(memcmp(&a[j].prediction, &b[j].prediction, sizeof a[j].prediction) == 0);
    }
}

static void built_for_factor_models(void **state) {
    (void)state;
    assert_non_null(g_m->qindex);
    assert_int_equal(g_m->qindex->n_blocks, (1203 + 7) / 8);
}

/* The exact index's layout: every movie in one slot, padding at the end;
 * the bands of 1,024 slots in the order of b_i + c·n_i (every key of a band
 * at least every key of the next), each band by norm, highest first, so a
 * block's movies have like norms (and the block's bound is close to
 * theirs). 1,203 movies: a full band and a part one. */
static void blocks_of_like_norm(void **state) {
    (void)state;
    const mfr__qindex *x = g_m->qindex;
    int32_t ni = g_m->n_items, seen[1203] = {0};
    for (int32_t l = 0; l < x->n_blocks * 8; l++) {
        if (l >= ni) {
            assert_int_equal(x->item[l], ni);
            continue;
        }
        assert_true(x->item[l] >= 0 && x->item[l] < ni);
        assert_int_equal(seen[x->item[l]]++, 0);
        if (l % 1024) assert_true(x->norm[l] <= x->norm[l - 1]);
    }
    float low = INFINITY, high = -INFINITY; /* band 0's lowest key, band 1's highest */
    for (int32_t l = 0; l < ni; l++) {
        float key = mfr__qindex_order_key(g_m, x->user_norm, x->item[l]);
        if (l < 1024) low = key < low ? key : low;
        else high = key > high ? key : high;
    }
    assert_true(low >= high);
    assert_true(x->norm[0] > x->norm[1023]); /* not all alike */
}

/* Trained users' lists with every filter, against the plain path's. */
static void match_plain_every_filter(void) {
    enum { N = 40 };
    mfr_scored a[N], b[N];
    const char *genres[] = {NULL, "Comedy", "Western"};
    for (int g = 0; g < 3; g++)
        for (int32_t mr = 0; mr <= 20; mr += 10)
            for (int ex = 0; ex <= 1; ex++)
                for (int32_t u = 0; u < 300; u += 7) {
                    mfr_recommend_params p = mfr_recommend_params_default();
                    p.n = 1 + u % N, p.genre = genres[g], p.min_ratings = mr, p.exclude_seen = ex;
                    int32_t na = -1;
                    assert_int_equal(mfr_model_recommend(g_m, u, &p, a, &na, NULL), MFR_OK);
                    same_rows(a, na, b, plain(g_m, u, NULL, NULL, NULL, 0, &p, b));
                }
}

static void trained_users_match_plain_path(void **state) {
    (void)state;
    match_plain_every_filter();
}

/* The principal axes: on the test model (rank-6 data, k = 20) a prefix of
 * at most k/2 factors holds all but ROT_TAIL (5 %) of QᵀQ's trace, so the
 * index is rotated: the axes orthonormal, each block's max_tail at least
 * the norm of each of its q̃_i beyond the prefix, and the lists the plain
 * path's (every test above and below runs on this index). On factors with
 * no such prefix (i.i.d. normal) the index keeps Q's own basis and gives
 * the plain lists too. */
static void principal_axes_when_few_hold_the_energy(void **state) {
    (void)state;
    const mfr__qindex *x = g_m->qindex;
    int32_t k = g_m->k;
    assert_non_null(x->rot);
    assert_int_equal(x->pre, 3);
    for (int32_t a = 0; a < k; a++)
        for (int32_t b = 0; b < k; b++) {
            double d = 0.0;
            for (int32_t r = 0; r < k; r++) d += x->rot[(size_t)r * k + a] * x->rot[(size_t)r * k + b];
            assert_true(fabs(d - (a == b)) < 1e-9);
        }
    double tail = 0.0, all = 0.0;
    for (int32_t l = 0; l < x->n_blocks * 8; l++) {
        if (x->item[l] >= g_m->n_items) continue;
        const float *q = g_m->Q + (size_t)x->item[l] * k;
        double rest = 0.0, sq = 0.0;
        for (int32_t c = 2 * x->pre; c < k; c++) {
            double t = 0.0;
            for (int32_t r = 0; r < k; r++) t += x->rot[(size_t)r * k + c] * q[r];
            rest += t * t;
        }
        for (int32_t f = 0; f < k; f++) sq += (double)q[f] * q[f];
        assert_true(x->max_tail[l / 8] >= sqrt(rest)); /* the block's: at least each movie's */
        assert_true(sqrt(rest) <= x->norm[l]);
        tail += rest, all += sq;
    }
    assert_true(tail <= 0.05 * all);
    /* i.i.d. factors: no prefix holds 95 % of the trace */
    size_t nq = (size_t)g_m->n_items * k;
    float *Q0 = malloc(sizeof *Q0 * nq);
    memcpy(Q0, g_m->Q, sizeof *Q0 * nq);
    uint64_t st = 12345;
    for (size_t t = 0; t < nq; t++) {
        st = st * 6364136223846793005ULL + 1442695040888963407ULL;
        g_m->Q[t] = (float)((double)(st >> 11) / 9007199254740992.0 - 0.5);
    }
    assert_int_equal(mfr__model_prepare(g_m, NULL), MFR_OK);
    assert_null(g_m->qindex->rot);
    assert_int_equal(g_m->qindex->pre, 0);
    match_plain_every_filter();
    memcpy(g_m->Q, Q0, sizeof *Q0 * nq);
    free(Q0);
    assert_int_equal(mfr__model_prepare(g_m, NULL), MFR_OK);
    assert_non_null(g_m->qindex->rot);
}


static void folded_in_users_match_plain_path(void **state) {
    (void)state;
    int32_t items[30];
    float r[30], vec[32];
    mfr_scored a[10], b[10];
    for (int t = 0; t < 20; t++) {
        int32_t n = 1 + t;
        for (int32_t j = 0; j < n; j++) items[j] = (t * 37 + j * 101) % 1203, r[j] = 0.5f + (float)((t + j) % 10) * 0.5f;
        assert_int_equal(mfr_model_fold_in(g_m, items, r, n, vec, NULL), MFR_OK);
        mfr_recommend_params p = mfr_recommend_params_default();
        int32_t na = -1;
        assert_int_equal(mfr_model_recommend_vec(g_m, vec, items, r, n, &p, a, &na, NULL), MFR_OK);
        same_rows(a, na, b, plain(g_m, -1, vec, items, r, n, &p, b));
    }
}

/* An odd k (the pair layout's pad byte) and k = 1. */
static void odd_k_matches_plain_path(void **state) {
    (void)state;
    for (int32_t k = 1; k <= 7; k += 6) {
        mfr_train_params tp = mfr_train_params_default(MFR_ALGO_SGD);
        tp.factors = k, tp.epochs = 3, tp.threads = 1, tp.valid_frac = 0;
        mfr_model *m = NULL;
        assert_int_equal(mfr_model_train(g_ds, NULL, NULL, &tp, &m, NULL), MFR_OK);
        assert_non_null(m->qindex);
        mfr_scored a[10], b[10];
        for (int32_t u = 0; u < 300; u += 17) {
            mfr_recommend_params p = mfr_recommend_params_default();
            int32_t na = -1;
            assert_int_equal(mfr_model_recommend(m, u, &p, a, &na, NULL), MFR_OK);
            same_rows(a, na, b, plain(m, u, NULL, NULL, NULL, 0, &p, b));
        }
        mfr_model_free(m);
    }
}

/* A whole catalogue asked for (n > items kept): every kept movie, in the
 * plain order; and n = 0. */
static void longer_than_catalogue(void **state) {
    (void)state;
    mfr_scored *a = malloc(sizeof *a * 1300), *b = malloc(sizeof *b * 1300);
    mfr_recommend_params p = mfr_recommend_params_default();
    p.n = 1300, p.min_ratings = 40;
    int32_t na = -1;
    assert_int_equal(mfr_model_recommend(g_m, 3, &p, a, &na, NULL), MFR_OK);
    assert_true(na > 0 && na < 1203);
    same_rows(a, na, b, plain(g_m, 3, NULL, NULL, NULL, 0, &p, b));
    p.n = 0;
    assert_int_equal(mfr_model_recommend(g_m, 3, &p, a, &na, NULL), MFR_OK);
    assert_int_equal(na, 0);
    free(a);
    free(b);
}

/* Movies with identical factors and bias tie exactly: the lower index wins
 * in both paths, with either kernel; a NaN vector lists nothing. */
static void ties_kernels_and_nan(void **state) {
    (void)state;
    mfr_model *m = g_m;
    int32_t k = m->k;
    float *Q0 = malloc(sizeof *Q0 * (size_t)m->n_items * k), *b0 = malloc(sizeof *b0 * (size_t)m->n_items);
    memcpy(Q0, m->Q, sizeof *Q0 * (size_t)m->n_items * k);
    memcpy(b0, m->item_bias, sizeof *b0 * (size_t)m->n_items);
    for (int32_t i = 0; i < m->n_items; i += 3) { /* triples of equal movies */
        for (int32_t d = 1; d < 3 && i + d < m->n_items; d++) {
            memcpy(m->Q + (size_t)(i + d) * k, m->Q + (size_t)i * k, sizeof *m->Q * k);
            m->item_bias[i + d] = m->item_bias[i];
        }
    }
    assert_int_equal(mfr__model_prepare(m, NULL), MFR_OK);
    mfr__kernels scalar = MFR__KERNELS_DEFAULT;
    scalar.scalar = 1;
    mfr_recommend_params p = mfr_recommend_params_default();
    p.n = 25, p.min_ratings = 0, p.exclude_seen = 0;
    mfr__filter f = {m, &p, NULL, 0};
    mfr_scored a[25], b[25], c[25];
    for (int32_t u = 0; u < 300; u += 11) {
        int32_t nb = plain(m, u, NULL, NULL, NULL, 0, &p, b);
        const float *pu = m->P + (size_t)u * k;
        float base = m->mu + m->user_bias[u];
        int32_t na = mfr__qindex_topn(m, pu, base, &f, p.n, a, NULL);
        int32_t nc = mfr__qindex_topn(m, pu, base, &f, p.n, c, &scalar);
        for (int32_t j = 0; j < nb; j++) a[j].prediction = c[j].prediction = b[j].prediction;
        same_rows(a, na, b, nb);
        same_rows(c, nc, b, nb);
        int ties = 0;
        for (int32_t j = 1; j < nb; j++) {
            ties += b[j].score == b[j - 1].score;
            if (b[j].score == b[j - 1].score) assert_true(b[j].item > b[j - 1].item);
        }
        assert_true(ties > 0);
    }
    float nan_p[64];
    for (int f2 = 0; f2 < k; f2++) nan_p[f2] = NAN;
    assert_int_equal(mfr__qindex_topn(m, nan_p, 0.f, &f, p.n, a, NULL), 0);
    assert_int_equal(mfr__qindex_topn(m, nan_p, 0.f, &f, p.n, a, &scalar), 0);
    memcpy(m->Q, Q0, sizeof *Q0 * (size_t)m->n_items * k);
    memcpy(m->item_bias, b0, sizeof *b0 * (size_t)m->n_items);
    assert_int_equal(mfr__model_prepare(m, NULL), MFR_OK);
    free(Q0);
    free(b0);
}

/* A factor that is not finite: no index, the plain path serves. */
static void nonfinite_factor_falls_back(void **state) {
    (void)state;
    float q0 = g_m->Q[5];
    g_m->Q[5] = INFINITY;
    assert_int_equal(mfr__model_prepare(g_m, NULL), MFR_OK);
    assert_null(g_m->qindex);
    mfr_scored a[10];
    int32_t n = -1;
    mfr_recommend_params p = mfr_recommend_params_default();
    assert_int_equal(mfr_model_recommend(g_m, 1, &p, a, &n, NULL), MFR_OK);
    assert_true(n >= 0 && n <= 10);
    g_m->Q[5] = q0;
    assert_int_equal(mfr__model_prepare(g_m, NULL), MFR_OK);
    assert_non_null(g_m->qindex);
}

/* Out of memory in the search's buffers (the heap of lower bounds; the list
 * of blocks read, which grows on the heap past 128 blocks: a whole
 * catalogue asked for reads all 151): MFR_E_NOMEM, no leak. */
static void out_of_memory(void **state) {
    (void)state;
    static mfr_scored a[1300];
    for (int whole = 0; whole <= 1; whole++) {
        mfr_recommend_params p = mfr_recommend_params_default();
        if (whole) p.n = 1300, p.min_ratings = 0, p.exclude_seen = 0;
        int nomem = 0;
        for (long n = 0; n < 6; n++) {
            int32_t got = -1;
            mfr__alloc_fail_after(n);
            mfr_status st = mfr_model_recommend(g_m, 2, &p, a, &got, NULL);
            mfr__alloc_fail_after(-1);
            if (st == MFR_E_NOMEM) nomem++;
            else assert_int_equal(st, MFR_OK);
        }
        assert_true(nomem >= 1 + whole);
    }
}

/* auto: the family's top-n against rank_user + select_top (the hook set
 * aside), with the index and without it (the norms from item_sq). */
static void auto_top_user_matches_full_ranking(void **state) {
    (void)state;
    mfr_train_params tp = mfr_train_params_default(MFR_ALGO_AUTO);
    tp.factors = 16, tp.epochs = 4, tp.threads = 1, tp.valid_frac = 0;
    mfr_model *m = NULL;
    assert_int_equal(mfr_model_train(g_ds, NULL, NULL, &tp, &m, NULL), MFR_OK);
    assert_non_null(m->vt->top_user);
    assert_true(m->ranked_items > 0 && m->ranked_items < m->n_items); /* covered and tail */
    mfr__algo plain_vt = *m->vt;
    plain_vt.top_user = NULL;
    const mfr__algo *vt = m->vt;
    enum { N = 30 };
    mfr_scored a[N], b[N];
    int32_t items[25];
    float r[25], vec[20];
    const char *genres[] = {NULL, "Drama"};
    for (int with_index = 1; with_index >= 0; with_index--) {
        mfr__qindex *x = m->qindex;
        if (!with_index) m->qindex = NULL;
        for (int g = 0; g < 2; g++)
            for (int32_t mr = 0; mr <= 10; mr += 10)
                for (int32_t u = 0; u < 300; u += 13) {
                    mfr_recommend_params p = mfr_recommend_params_default();
                    p.n = 1 + u % N, p.genre = genres[g], p.min_ratings = mr, p.exclude_seen = u % 2;
                    int32_t na = -1, nb = -1;
                    assert_int_equal(mfr_model_recommend(m, u, &p, a, &na, NULL), MFR_OK);
                    m->vt = &plain_vt;
                    assert_int_equal(mfr_model_recommend(m, u, &p, b, &nb, NULL), MFR_OK);
                    m->vt = vt;
                    same_rows(a, na, b, nb);
                }
        for (int t = 0; t < 15; t++) { /* new users: fold-in vector and x·B */
            int32_t n = 1 + t;
            for (int32_t j = 0; j < n; j++) items[j] = (t * 53 + j * 97) % 1203, r[j] = 0.5f + (float)((t + 3 * j) % 10) * 0.5f;
            assert_int_equal(mfr_model_fold_in(m, items, r, n, vec, NULL), MFR_OK);
            mfr_recommend_params p = mfr_recommend_params_default();
            int32_t na = -1, nb = -1;
            assert_int_equal(mfr_model_recommend_vec(m, vec, items, r, n, &p, a, &na, NULL), MFR_OK);
            m->vt = &plain_vt;
            assert_int_equal(mfr_model_recommend_vec(m, vec, items, r, n, &p, b, &nb, NULL), MFR_OK);
            m->vt = vt;
            same_rows(a, na, b, nb);
        }
        m->qindex = x;
    }
    /* longer than the covered movies: the uncovered tail comes in (the
     * hook's fallback to the full ranking) */
    mfr_scored *la = malloc(sizeof *la * 1300), *lb = malloc(sizeof *lb * 1300);
    mfr_recommend_params lp = mfr_recommend_params_default();
    lp.n = m->ranked_items + 5, lp.min_ratings = 0;
    int32_t nla = -1, nlb = -1;
    assert_int_equal(mfr_model_recommend(m, 7, &lp, la, &nla, NULL), MFR_OK);
    m->vt = &plain_vt;
    assert_int_equal(mfr_model_recommend(m, 7, &lp, lb, &nlb, NULL), MFR_OK);
    m->vt = vt;
    assert_true(nla > m->ranked_items - 300);
    same_rows(la, nla, lb, nlb);
    free(la);
    free(lb);
    /* out of memory in the hook's buffers: MFR_E_NOMEM, nothing leaked */
    mfr_recommend_params p = mfr_recommend_params_default();
    int32_t got;
    mfr__alloc_fail_after(0);
    assert_int_equal(mfr_model_recommend(m, 4, &p, a, &got, NULL), MFR_E_NOMEM);
    mfr__alloc_fail_after(-1);
    mfr_model_free(m);
}

static mfr_index_params approx(int32_t lists, int32_t nprobe) {
    mfr_index_params ip = mfr_index_params_default();
    ip.kind = MFR_INDEX_APPROX, ip.lists = lists, ip.nprobe = nprobe;
    return ip;
}

/* nprobe = every list: the exact lists, for trained users with every filter,
 * folded-in users and the batch. */
static void approx_all_lists_is_exact(void **state) {
    mfr_index_params ip = approx(0, 1000);
    assert_int_equal(mfr_model_set_index(g_m, &ip, NULL), MFR_OK);
    assert_non_null(g_m->ann);
    assert_int_equal(g_m->ann->lists, 35); /* round(sqrt(1203)) */
    assert_int_equal(g_m->ann->nprobe, 35);
    trained_users_match_plain_path(state);
    folded_in_users_match_plain_path(state);
    mfr_scored b[10];
    mfr_scored *ba = malloc(sizeof *ba * 10 * 300);
    int32_t *nba = malloc(sizeof *nba * 300);
    mfr_recommend_params p = mfr_recommend_params_default();
    assert_int_equal(mfr_model_recommend_batch(g_m, NULL, 300, &p, 2, ba, nba, NULL), MFR_OK);
    for (int32_t u = 0; u < 300; u++) same_rows(ba + 10 * u, nba[u], b, plain(g_m, u, NULL, NULL, NULL, 0, &p, b));
    free(ba);
    free(nba);
    ip.kind = MFR_INDEX_EXACT;
    assert_int_equal(mfr_model_set_index(g_m, &ip, NULL), MFR_OK);
    assert_null(g_m->ann);
}

/* Movies in C tight clusters along the axes, each user along one axis: one
 * probed list (k-means finds the clusters) holds the user's whole exact list,
 * so recall is 1.0 at nprobe = 1, item for item, while fewer movies than the
 * catalogue are read. A filter no movie of the user's cluster passes: the
 * search widens until the list is full, as long as the exact one. */
static void approx_separated_clusters_recall_one(void **state) {
    (void)state;
    mfr_model *m = g_m;
    int32_t k = m->k, ni = m->n_items, C = 8;
    float *Q0 = malloc(sizeof *Q0 * (size_t)ni * k), *P0 = malloc(sizeof *P0 * (size_t)m->n_users * k);
    float *b0 = malloc(sizeof *b0 * (size_t)ni);
    memcpy(Q0, m->Q, sizeof *Q0 * (size_t)ni * k);
    memcpy(P0, m->P, sizeof *P0 * (size_t)m->n_users * k);
    memcpy(b0, m->item_bias, sizeof *b0 * (size_t)ni);
    uint64_t s = 5;
    for (int32_t i = 0; i < ni; i++)
        for (int32_t f = 0; f < k; f++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            float noise = 0.01f * ((float)(s >> 40) / (float)(1 << 24) - 0.5f);
            m->Q[(size_t)i * k + f] = (f == i % C ? 3.0f : 0.f) + noise;
            m->item_bias[i] = 0.05f * noise;
        }
    for (int32_t u = 0; u < m->n_users; u++)
        for (int32_t f = 0; f < k; f++) m->P[(size_t)u * k + f] = f == u % C ? 1.0f : 0.f;
    assert_int_equal(mfr__model_prepare(m, NULL), MFR_OK);
    mfr_index_params ip = approx(C, 1);
    assert_int_equal(mfr_model_set_index(m, &ip, NULL), MFR_OK);
    assert_int_equal(m->ann->lists, C);
    for (int32_t c = 0; c < C; c++) /* every list one cluster: about ni / C movies */
        assert_true(m->ann->first[c + 1] - m->ann->first[c] <= (ni / C + 1 + 7) / 8);
    mfr_scored a[10], b[10];
    mfr_recommend_params p = mfr_recommend_params_default();
    int32_t full = 0;
    for (int32_t u = 0; u < m->n_users; u++) {
        int32_t na = -1, nb = plain(m, u, NULL, NULL, NULL, 0, &p, b);
        full += nb == 10; /* (a few users have seen every movie) */
        assert_int_equal(mfr_model_recommend(m, u, &p, a, &na, NULL), MFR_OK);
        same_rows(a, na, b, nb);
        for (int32_t j = 0; j < na; j++) assert_int_equal(a[j].item % C, u % C);
    }
    assert_true(full > 250);
    /* no movie of cluster 0 has the 3 ratings a list asks for: for the
     * users along axis 0 the search widens to the other clusters until the
     * list is as long as the exact one */
    int32_t *cnt = m->item_count, saved[1203];
    memcpy(saved, cnt, sizeof saved);
    for (int32_t i = 0; i < ni; i++) cnt[i] = i % C == 0 ? 0 : 5;
    for (int32_t u = 0; u < m->n_users; u += C) {
        int32_t na = -1, nb = plain(m, u, NULL, NULL, NULL, 0, &p, b);
        assert_int_equal(mfr_model_recommend(m, u, &p, a, &na, NULL), MFR_OK);
        assert_int_equal(na, nb);
        full += nb == 10 ? 1000 : 0;
    }
    assert_true(full > 250 + 30 * 1000);
    memcpy(cnt, saved, sizeof saved);
    memcpy(m->Q, Q0, sizeof *Q0 * (size_t)ni * k);
    memcpy(m->P, P0, sizeof *P0 * (size_t)m->n_users * k);
    memcpy(m->item_bias, b0, sizeof *b0 * (size_t)ni);
    assert_int_equal(mfr__model_prepare(m, NULL), MFR_OK); /* drops the index */
    assert_null(m->ann);
    free(Q0);
    free(P0);
    free(b0);
}

/* The same seed builds the same lists; fewer probes read fewer blocks and
 * give lists no better than the exact ones. */
static void approx_deterministic_with_seed(void **state) {
    (void)state;
    mfr_index_params ip = approx(20, 3);
    assert_int_equal(mfr_model_set_index(g_m, &ip, NULL), MFR_OK);
    int32_t first[21], item[1203 + 8 * 21];
    int32_t nb = g_m->ann->x->n_blocks;
    assert_true(nb * 8 <= (int32_t)(sizeof item / sizeof item[0]));
    memcpy(first, g_m->ann->first, sizeof first);
    memcpy(item, g_m->ann->x->item, sizeof *item * (size_t)nb * 8);
    assert_int_equal(mfr_model_set_index(g_m, &ip, NULL), MFR_OK);
    assert_memory_equal(first, g_m->ann->first, sizeof first);
    assert_memory_equal(item, g_m->ann->x->item, sizeof *item * (size_t)nb * 8);
    mfr_scored a[10], b[10];
    mfr_recommend_params p = mfr_recommend_params_default();
    for (int32_t u = 0; u < 300; u += 3) {
        int32_t na = -1, nb2 = plain(g_m, u, NULL, NULL, NULL, 0, &p, b);
        assert_int_equal(mfr_model_recommend(g_m, u, &p, a, &na, NULL), MFR_OK);
        assert_int_equal(na, nb2);
        for (int32_t j = 0; j < na; j++) assert_true(a[j].score <= b[j].score);
    }
    ip.kind = MFR_INDEX_EXACT;
    assert_int_equal(mfr_model_set_index(g_m, &ip, NULL), MFR_OK);
}

/* recall@10 of g_m's lists (its index as set) against the plain path's,
 * over all 300 users. */
static double recall_all_users(void) {
    mfr_recommend_params p = mfr_recommend_params_default();
    mfr_scored x[10], y[10];
    int64_t hit = 0, want = 0;
    for (int32_t u = 0; u < 300; u++) {
        int32_t nx = -1, ny = plain(g_m, u, NULL, NULL, NULL, 0, &p, y);
        assert_int_equal(mfr_model_recommend(g_m, u, &p, x, &nx, NULL), MFR_OK);
        for (int32_t i = 0; i < ny; i++)
            for (int32_t j = 0; j < nx; j++) hit += x[j].item == y[i].item;
        want += ny;
    }
    return (double)hit / (double)want;
}

/* nprobe 0: the smallest step whose recall@10 over MFR_INDEX_TUNE_USERS
 * sampled users reaches MFR_INDEX_RECALL (or every list); recounted here over
 * every user it is near that; the same seed picks the same; out of memory
 * while measuring keeps the index the model had. */
static void approx_nprobe_measured(void **state) {
    (void)state;
    mfr_index_params ip = approx(35, 0);
    assert_int_equal(mfr_model_set_index(g_m, &ip, NULL), MFR_OK);
    const mfr__ann *a = g_m->ann;
    int32_t chosen = a->nprobe;
    assert_true(chosen >= 1 && chosen <= 35);
    assert_true(a->recall >= MFR_INDEX_RECALL || chosen == 35);
    assert_true(recall_all_users() >= MFR_INDEX_RECALL - 0.05);
    if (chosen > 1) { /* a smaller nprobe measures below the target */
        ip.nprobe = chosen - 1;
        assert_int_equal(mfr_model_set_index(g_m, &ip, NULL), MFR_OK);
        assert_true(recall_all_users() < MFR_INDEX_RECALL + 0.03);
    }
    ip.nprobe = 0;
    assert_int_equal(mfr_model_set_index(g_m, &ip, NULL), MFR_OK);
    assert_int_equal(g_m->ann->nprobe, chosen);
    const mfr__ann *before = g_m->ann;
    int nomem = 0;
    for (long n = 0; n < 40; n++) {
        mfr__alloc_fail_after(n);
        mfr_status st = mfr_model_set_index(g_m, &ip, NULL);
        mfr__alloc_fail_after(-1);
        if (st == MFR_E_NOMEM) {
            nomem++;
            assert_ptr_equal(g_m->ann, before); /* the old index stays */
            assert_int_equal(g_m->ann->nprobe, chosen);
        } else {
            assert_int_equal(st, MFR_OK);
            before = g_m->ann;
        }
    }
    assert_true(nomem >= 10);
    ip.kind = MFR_INDEX_EXACT;
    assert_int_equal(mfr_model_set_index(g_m, &ip, NULL), MFR_OK);
}

static void approx_refused(void **state) {
    (void)state;
    mfr_error err;
    mfr_index_params ip = approx(0, -1);
    assert_int_equal(mfr_model_set_index(g_m, &ip, &err), MFR_E_INVALID);
    ip = approx(-1, 4);
    assert_int_equal(mfr_model_set_index(g_m, &ip, &err), MFR_E_INVALID);
    ip = approx(1204, 4);
    assert_int_equal(mfr_model_set_index(g_m, &ip, &err), MFR_E_INVALID);
    ip.kind = (mfr_index_kind)7;
    assert_int_equal(mfr_model_set_index(g_m, &ip, &err), MFR_E_INVALID);
    assert_null(g_m->ann);
    assert_int_equal(mfr_model_set_index(NULL, NULL, &err), MFR_E_INVALID);
    float b3 = g_m->item_bias[3];
    g_m->item_bias[3] = NAN; /* a hostile file's bias */
    ip = approx(0, 4);
    assert_int_equal(mfr_model_set_index(g_m, &ip, &err), MFR_E_INVALID);
    assert_non_null(strstr(err.message, "not finite"));
    g_m->item_bias[3] = b3;
    mfr_train_params tp = mfr_train_params_default(MFR_ALGO_AUTO);
    tp.factors = 8, tp.epochs = 2, tp.threads = 1, tp.valid_frac = 0;
    mfr_model *m = NULL;
    assert_int_equal(mfr_model_train(g_ds, NULL, NULL, &tp, &m, NULL), MFR_OK);
    ip = approx(0, 4);
    assert_int_equal(mfr_model_set_index(m, &ip, &err), MFR_E_UNSUPPORTED);
    assert_non_null(strstr(err.message, "auto"));
    assert_null(m->ann);
    assert_int_equal(mfr_model_set_index(m, NULL, &err), MFR_OK); /* exact: nothing to drop */
    mfr_model_free(m);
}

/* Out of memory while building and while answering: MFR_E_NOMEM, the old
 * index kept, no leak (the ASan build checks). */
static void approx_out_of_memory(void **state) {
    mfr_index_params ip = approx(10, 2);
    int nomem = 0;
    for (long n = 0; n < 12; n++) {
        mfr__alloc_fail_after(n);
        mfr_status st = mfr_model_set_index(g_m, &ip, NULL);
        mfr__alloc_fail_after(-1);
        if (st == MFR_E_NOMEM) nomem++;
        else assert_int_equal(st, MFR_OK);
    }
    assert_true(nomem >= 8);
    assert_int_equal(mfr_model_set_index(g_m, &ip, NULL), MFR_OK);
    out_of_memory(state); /* the lists' buffers, now the approximate index's */
    ip.kind = MFR_INDEX_EXACT;
    assert_int_equal(mfr_model_set_index(g_m, &ip, NULL), MFR_OK);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(built_for_factor_models),
        cmocka_unit_test(blocks_of_like_norm),
        cmocka_unit_test(trained_users_match_plain_path),
        cmocka_unit_test(principal_axes_when_few_hold_the_energy),
        cmocka_unit_test(folded_in_users_match_plain_path),
        cmocka_unit_test(odd_k_matches_plain_path),
        cmocka_unit_test(longer_than_catalogue),
        cmocka_unit_test(ties_kernels_and_nan),
        cmocka_unit_test(nonfinite_factor_falls_back),
        cmocka_unit_test(out_of_memory),
        cmocka_unit_test(auto_top_user_matches_full_ranking),
        cmocka_unit_test(approx_all_lists_is_exact),
        cmocka_unit_test(approx_separated_clusters_recall_one),
        cmocka_unit_test(approx_deterministic_with_seed),
        cmocka_unit_test(approx_nprobe_measured),
        cmocka_unit_test(approx_refused),
        cmocka_unit_test(approx_out_of_memory),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, setup, teardown);
}
