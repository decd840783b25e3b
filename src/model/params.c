/* params.c — algorithm names and training parameters: defaults, checks, and
 * the text form ("name=value" lines) used by params files and the CLI.
 *
 * Every field of mfr_train_params is described once in the FIELDS table
 * below: its name, type, offset, the set of algorithms it applies to (a
 * bit mask over mfr_algo), its range and its generic default. _default,
 * _check, _set, _format and the params files all go through that table, so
 * a new field needs one row here. Each family refines the generic defaults
 * in its vt->defaults hook (src/algo/<family>.c), never here. */
#include "model_impl.h"
#include "family.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const algo_names[MFR_ALGO__COUNT] = {
    "sgd", "adam", "als", "svd", "svdpp", "ials", "nmf", "bmf",
    "baseline", "knn-user", "knn-item", "content", "hybrid", "ease", "auto", "bpr", "bfm",
    "slopeone", "cocluster", "timesvdpp", "autorec", "vae",
};

static const char *const sim_names[] = {"pearson", "cosine", "pearson-baseline", "msd"};
#define N_SIM ((int)(sizeof sim_names / sizeof sim_names[0]))

const char *mfr_algo_name(mfr_algo a) {
    return (int)a >= 0 && a < MFR_ALGO__COUNT ? algo_names[a] : NULL;
}

mfr_status mfr_algo_from_name(const char *name, mfr_algo *out, mfr_error *err) {
    for (int a = 0; name && a < MFR_ALGO__COUNT; a++) {
        if (strcasecmp(name, algo_names[a]) == 0) {
            *out = (mfr_algo)a;
            return MFR_OK;
        }
    }
    char known[512];
    size_t n = 0;
    for (int a = 0; a < MFR_ALGO__COUNT && n < sizeof known; a++)
        n += (size_t)snprintf(known + n, sizeof known - n, "%s%s", a ? " " : "", algo_names[a]);
    return mfr__err(err, MFR_E_INVALID, "unknown algorithm \"%.64s\" (known: %s)",
                    name ? name : "(null)", known);
}

/* ---- which fields apply to which algorithm ----------------------------- */
#define A(x) (1u << MFR_ALGO_##x)
#define ALL ((1u << MFR_ALGO__COUNT) - 1u)
/* the neural families (autorec, vae) */
#define NN (A(AUTOREC) | A(VAE))
#define FACTOR (NN | A(SGD) | A(ADAM) | A(ALS) | A(SVD) | A(SVDPP) | A(IALS) | A(NMF) | A(BMF) | A(HYBRID) | A(AUTO) | A(BPR) | A(BFM) | A(TIMESVDPP))
/* ease runs `epochs` baseline passes for its stars (ease_defaults) */
#define ITER (NN | A(SGD) | A(ADAM) | A(ALS) | A(SVDPP) | A(IALS) | A(NMF) | A(BMF) | A(BASELINE) | A(HYBRID) | A(AUTO) | A(BPR) | A(EASE) | A(COCLUSTER) | A(TIMESVDPP))
#define GRAD (NN | A(SGD) | A(ADAM) | A(SVDPP) | A(NMF) | A(BASELINE) | A(HYBRID) | A(AUTO) | A(BPR) | A(TIMESVDPP))
#define BIAS (NN | A(SGD) | A(ADAM) | A(ALS) | A(SVDPP) | A(BMF) | A(BASELINE) | A(HYBRID) | A(AUTO) | A(EASE) | A(BPR) | A(IALS) | A(BFM) | A(TIMESVDPP))
#define RANK (A(EASE) | A(AUTO))
#define KNN (A(KNN_USER) | A(KNN_ITEM))

typedef enum { F_ALGO, F_I32, F_F32, F_U64, F_SIM, F_FEAT } ftype;

/* bfm's feature groups, bit j = feat_names[j] (MFR_FEAT_*). */
static const char *const feat_names[] = {"id", "implicit", "flipped", "genres", "tags", "user", "time"};
#define N_FEAT ((int)(sizeof feat_names / sizeof feat_names[0]))

typedef struct field {
    const char *name;
    ftype type;
    size_t off;
    uint32_t algos;
    double lo, hi; /* allowed range (inclusive) for numbers */
    double def;    /* the generic default (floats as float literals: exact) */
} field;

#define P(f) offsetof(mfr_train_params, f)
static const field FIELDS[] = {
    {"algo", F_ALGO, P(algo), ALL, 0, MFR_ALGO__COUNT - 1, 0}, /* set by the caller */
    {"factors", F_I32, P(factors), FACTOR | A(COCLUSTER), 0, 4096, 64},
    {"epochs", F_I32, P(epochs), ITER, 0, 1000000, 20},
    {"lr", F_F32, P(lr), GRAD, 0, 10, 0.005f},
    {"lr_decay", F_F32, P(lr_decay), GRAD, 0, 1, 1.0f},
    {"reg", F_F32, P(reg), FACTOR, 0, 1e6, 0.02f},
    {"reg_bias", F_F32, P(reg_bias), BIAS, 0, 1e6, 0.02f},
    {"init_std", F_F32, P(init_std), FACTOR, 0, 100, 0.1f},
    {"seed", F_U64, P(seed), ALL, 0, 0, 42},
    {"threads", F_I32, P(threads), ALL, 0, 4096, 0},
    {"valid_frac", F_F32, P(valid_frac), ALL, 0, 0.99, 0.0f},
    {"early_stop", F_I32, P(early_stop), ITER, 0, 1000000, 0},
    {"batch", F_I32, P(batch), A(ADAM) | NN, 1, 1 << 24, 256},
    {"beta1", F_F32, P(beta1), A(ADAM) | NN, 0, 0.999999, 0.9f},
    {"beta2", F_F32, P(beta2), A(ADAM) | NN, 0, 0.999999, 0.999f},
    {"alpha", F_F32, P(alpha), A(IALS), 0, 1e6, 40.0f},
    {"cg_steps", F_I32, P(cg_steps), A(IALS) | A(BPR), 0, 1000, 3},
    {"burnin", F_I32, P(burnin), A(BMF) | A(BFM), 0, 1000000, 10},
    {"samples", F_I32, P(samples), A(BMF) | A(BFM), 1, 1000000, 50},
    {"knn_k", F_I32, P(knn_k), KNN, 1, 1 << 20, 40},
    {"min_support", F_I32, P(min_support), KNN, 0, 1 << 20, 3},
    {"shrinkage", F_F32, P(shrinkage), KNN, 0, 1e9, 100.0f},
    {"sim", F_SIM, P(sim), KNN, 0, N_SIM - 1, MFR_SIM_PEARSON_BASELINE},
    {"hybrid_base", F_ALGO, P(hybrid_base), A(HYBRID), 0, MFR_ALGO__COUNT - 1, MFR_ALGO_SGD},
    {"ease_lambda", F_F32, P(ease_lambda), RANK, 0, 1e9, 200.0f},
    {"max_memory_mb", F_I32, P(max_memory_mb), RANK, 0, 1 << 30, 4096},
    {"rank_min_ratings", F_I32, P(rank_min_ratings), RANK | A(VAE), 1, 1 << 30,
     MFR_RECOMMEND_MIN_RATINGS},
    {"rating_power", F_F32, P(rating_power), RANK | A(IALS) | A(BPR) | A(VAE), 0, 16, 0.0f},
    {"blend", F_F32, P(blend), A(AUTO), 0, 1e6, 0.0f},
    {"ease_keep", F_I32, P(ease_keep), RANK, 0, 1 << 30, 0},
    {"unobserved", F_F32, P(unobserved), A(IALS), 0, 1e6, 1.0f},
    {"reg_exp", F_F32, P(reg_exp), A(IALS), 0, 4, 0.0f},
    {"features", F_FEAT, P(features), A(BFM), 1, MFR_FEAT_ALL, MFR_FEAT_ALL},
    {"dense", F_I32, P(dense), A(AUTOREC), 0, 1, 0},
    {"item_scale", F_I32, P(item_scale), A(TIMESVDPP), 0, 1, 0},
};
#undef P
#define N_FIELDS ((int)(sizeof FIELDS / sizeof FIELDS[0]))

/* Store v into field f of p (converted to the field's type). */
static void put_value(mfr_train_params *p, const field *f, double v) {
    char *b = (char *)p + f->off;
    switch (f->type) {
    case F_I32:
    case F_FEAT: *(int32_t *)(void *)b = (int32_t)v; break;
    case F_F32: *(float *)(void *)b = (float)v; break;
    case F_U64: *(uint64_t *)(void *)b = (uint64_t)v; break;
    case F_ALGO: *(mfr_algo *)(void *)b = (mfr_algo)(int)v; break;
    case F_SIM: *(mfr_sim *)(void *)b = (mfr_sim)(int)v; break;
    }
}

mfr_train_params mfr_train_params_default(mfr_algo algo) {
    mfr_train_params p;
    memset(&p, 0, sizeof p);
    for (int j = 0; j < N_FIELDS; j++) put_value(&p, &FIELDS[j], FIELDS[j].def);
    p.algo = algo;
    const mfr__algo *vt = mfr__algo_get(algo);
    if (vt && vt->defaults) vt->defaults(&p);
    p.algo = algo; /* a hook must not change the family */
    return p;
}

/* Value of field f in p as a double (for range checks). */
static double field_value(const mfr_train_params *p, const field *f) {
    const char *b = (const char *)p + f->off;
    switch (f->type) {
    case F_I32:
    case F_FEAT: return *(const int32_t *)(const void *)b;
    case F_F32: return *(const float *)(const void *)b;
    case F_U64: return 0.0;
    case F_ALGO: return (double)*(const mfr_algo *)(const void *)b;
    case F_SIM: return (double)*(const mfr_sim *)(const void *)b;
    }
    return 0.0;
}

mfr_status mfr_train_params_check(const mfr_train_params *p, mfr_error *err) {
    if (!p) return mfr__err(err, MFR_E_INVALID, "params: NULL");
    for (int j = 0; j < N_FIELDS; j++) {
        const field *f = &FIELDS[j];
        if (f->type == F_U64) continue;
        double v = field_value(p, f);
        if (!isfinite(v) || v < f->lo || v > f->hi)
            return mfr__err(err, MFR_E_INVALID, "params: %s = %g outside %g..%g", f->name, v,
                            f->lo, f->hi);
    }
    uint32_t bit = 1u << p->algo;
    if ((bit & FACTOR) && p->algo != MFR_ALGO_HYBRID && p->factors < 1)
        return mfr__err(err, MFR_E_INVALID, "params: factors = %d: %s needs at least 1",
                        (int)p->factors, algo_names[p->algo]);
    if ((bit & GRAD) && p->lr <= 0.0f)
        return mfr__err(err, MFR_E_INVALID, "params: lr = %g must be > 0", (double)p->lr);
    if ((bit & GRAD) && p->lr_decay <= 0.0f)
        return mfr__err(err, MFR_E_INVALID, "params: lr_decay = %g must be in (0, 1]",
                        (double)p->lr_decay);
    if (p->algo == MFR_ALGO_HYBRID && !((1u << p->hybrid_base) & FACTOR & ~A(HYBRID)))
        return mfr__err(err, MFR_E_INVALID,
                        "params: hybrid_base = %s is not a factor model", algo_names[p->hybrid_base]);
    return MFR_OK;
}

/* ---- text form ---------------------------------------------------------- */
static mfr_status parse_i64(const char *name, const char *s, long long *out, mfr_error *err) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end)
        return mfr__err(err, MFR_E_INVALID, "params: %s: \"%s\" is not an integer", name, s);
    *out = v;
    return MFR_OK;
}

static mfr_status set_field(mfr_train_params *p, const field *f, const char *v, mfr_error *err) {
    char *b = (char *)p + f->off, *end;
    long long iv = 0;
    switch (f->type) {
    case F_ALGO: {
        mfr_algo a = MFR_ALGO_DEFAULT;
        if (mfr_algo_from_name(v, &a, err)) return MFR_E_INVALID;
        *(mfr_algo *)(void *)b = a;
        return MFR_OK;
    }
    case F_SIM:
        for (int s = 0; s < N_SIM; s++)
            if (strcasecmp(v, sim_names[s]) == 0) {
                *(mfr_sim *)(void *)b = (mfr_sim)s;
                return MFR_OK;
            }
        return mfr__err(err, MFR_E_INVALID,
                        "params: sim: unknown \"%s\" (known: pearson cosine pearson-baseline msd)", v);
    case F_FEAT: { /* "id,implicit,time" */
        int32_t mask = 0;
        for (const char *t = v; *t;) {
            size_t len = strcspn(t, ",");
            int j = 0;
            while (j < N_FEAT && !(strlen(feat_names[j]) == len && strncasecmp(t, feat_names[j], len) == 0)) j++;
            if (j == N_FEAT)
                return mfr__err(err, MFR_E_INVALID,
                                "params: %s: unknown group \"%.*s\" (known: id implicit flipped "
                                "genres tags user time, comma-separated)", f->name, (int)(len < 64 ? len : 64), t);
            mask |= 1 << j;
            t += len + (t[len] == ',');
        }
        if (!mask) return mfr__err(err, MFR_E_INVALID, "params: %s: name at least one group", f->name);
        *(int32_t *)(void *)b = mask;
        return MFR_OK;
    }
    case F_U64:
        errno = 0;
        if (*v == '-') return mfr__err(err, MFR_E_INVALID, "params: %s: \"%s\" is negative", f->name, v);
        unsigned long long u = strtoull(v, &end, 10);
        if (errno || end == v || *end)
            return mfr__err(err, MFR_E_INVALID, "params: %s: \"%s\" is not an integer", f->name, v);
        *(uint64_t *)(void *)b = (uint64_t)u;
        return MFR_OK;
    case F_I32:
        if (parse_i64(f->name, v, &iv, err)) return MFR_E_INVALID;
        if (iv < (long long)f->lo || iv > (long long)f->hi)
            return mfr__err(err, MFR_E_INVALID, "params: %s = %s outside %g..%g", f->name, v, f->lo, f->hi);
        *(int32_t *)(void *)b = (int32_t)iv;
        return MFR_OK;
    case F_F32: {
        errno = 0;
        float x = strtof(v, &end);
        if (errno || end == v || *end || !isfinite(x))
            return mfr__err(err, MFR_E_INVALID, "params: %s: \"%s\" is not a number", f->name, v);
        if (x < f->lo || x > f->hi)
            return mfr__err(err, MFR_E_INVALID, "params: %s = %s outside %g..%g", f->name, v, f->lo, f->hi);
        *(float *)(void *)b = x;
        return MFR_OK;
    }
    }
    return MFR_E_INTERNAL;
}

mfr_status mfr_train_params_set(mfr_train_params *p, const char *name, const char *value,
                                mfr_error *err) {
    if (!name || !value) return mfr__err(err, MFR_E_INVALID, "params: NULL name or value");
    for (int j = 0; j < N_FIELDS; j++)
        if (strcmp(name, FIELDS[j].name) == 0) return set_field(p, &FIELDS[j], value, err);
    return mfr__err(err, MFR_E_INVALID, "params: unknown field \"%s\"", name);
}

int mfr_train_params_applies(mfr_algo algo, const char *name) {
    for (int j = 0; name && j < N_FIELDS; j++)
        if (strcmp(name, FIELDS[j].name) == 0)
            return (int)algo >= 0 && algo < MFR_ALGO__COUNT && (FIELDS[j].algos & (1u << algo)) ? 1 : 0;
    return -1;
}

const char *mfr_train_params_field(int j) {
    return j >= 0 && j < N_FIELDS ? FIELDS[j].name : NULL;
}

/* The shortest "%.Ng" text of v that reads back as the same float, so
 * params files show 0.015 rather than 0.0149999997 yet round-trip exactly. */
static int shortest_float_digits(float v) {
    char t[48];
    for (int d = 6; d < 9; d++) {
        snprintf(t, sizeof t, "%.*g", d, (double)v);
        if (strtof(t, NULL) == v) return d;
    }
    return 9;
}

/* One "name=value" line for field f into buf+len (bounded by cap). */
static int format_field(const mfr_train_params *p, const field *f, char *buf, int cap, int len) {
    const char *b = (const char *)p + f->off;
    char *dst = len < cap ? buf + len : NULL;
    size_t room = len < cap ? (size_t)(cap - len) : 0;
    char tmp[1]; /* snprintf with size 0 needs a valid pointer on some libcs */
    if (!dst) dst = tmp;
    switch (f->type) {
    case F_ALGO: return snprintf(dst, room, "%s=%s\n", f->name, algo_names[*(const mfr_algo *)(const void *)b]);
    case F_SIM: return snprintf(dst, room, "%s=%s\n", f->name, sim_names[*(const mfr_sim *)(const void *)b]);
    case F_U64: return snprintf(dst, room, "%s=%llu\n", f->name, (unsigned long long)*(const uint64_t *)(const void *)b);
    case F_I32: return snprintf(dst, room, "%s=%d\n", f->name, (int)*(const int32_t *)(const void *)b);
    case F_FEAT: {
        char list[128] = "";
        size_t n = 0;
        int32_t mask = *(const int32_t *)(const void *)b;
        for (int j = 0; j < N_FEAT; j++)
            if (mask & (1 << j)) n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", n ? "," : "", feat_names[j]);
        return snprintf(dst, room, "%s=%s\n", f->name, list);
    }
    case F_F32: {
        float v = *(const float *)(const void *)b;
        return snprintf(dst, room, "%s=%.*g\n", f->name, shortest_float_digits(v), (double)v);
    }
    }
    return 0;
}

int mfr_train_params_format(const mfr_train_params *p, char *buf, int cap) {
    int len = 0;
    if (buf && cap > 0) buf[0] = '\0';
    if (!buf) cap = 0;
    uint32_t bit = (int)p->algo >= 0 && p->algo < MFR_ALGO__COUNT ? 1u << p->algo : 0;
    for (int j = 0; j < N_FIELDS; j++) {
        const field *f = &FIELDS[j];
        if (!(f->algos & bit)) continue;
        if ((f->type == F_ALGO || f->type == F_SIM) && field_value(p, f) > f->hi) continue;
        len += format_field(p, f, buf, cap, len);
    }
    if (buf && cap > 0 && len >= cap) buf[cap - 1] = '\0';
    return len;
}
