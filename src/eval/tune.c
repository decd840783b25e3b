/* tune.c — grid and random search over training parameters, scored by
 * cross-validation on the training data only.
 *
 * A space is a list of fields, each with either a list of values (text, as
 * mfr_train_params_set takes them) or a range lo:hi. The grid is the product
 * of the lists, enumerated mixed-radix with the last field fastest. Random
 * search draws each field independently: a list uniformly, an integer range
 * uniformly over lo..hi, a real range uniformly — or log-uniformly when
 * 0 < lo and hi/lo >= 10 (learning rates and regularisation span decades;
 * Bergstra & Bengio 2012). The draws use their own RNG stream of base.seed.
 *
 * Every point is evaluated on the same inner folds, so the points are compared
 * on identical data; (point, fold) pairs are the jobs of one thread pool
 * (each model trained with one thread). The points are then ranked by the
 * mean of the chosen metric (NaN last, ties keep point order). */
#include "eval_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TUNE_MAX_FIELDS 16
#define TUNE_MAX_VALUES 64

typedef struct tune_field {
    char name[32];
    int32_t n_vals;                    /* 0: a range */
    char vals[TUNE_MAX_VALUES][32];
    double lo, hi;
    int is_int;
} tune_field;

struct mfr_tune_space {
    int32_t n;
    tune_field f[TUNE_MAX_FIELDS];
};

static mfr_status check_value(const mfr_train_params *base, const char *name, const char *v,
                              mfr_error *err) {
    mfr_train_params t = *base;
    return mfr_train_params_set(&t, name, v, err);
}

static int is_integer_text(const char *s) {
    char *end;
    (void)strtol(s, &end, 10);
    return end != s && !*end;
}

/* "lo:hi" into f; MFR_E_INVALID naming the token. */
static mfr_status parse_range(tune_field *f, const char *v, const mfr_train_params *base,
                              mfr_error *err) {
    const char *colon = strchr(v, ':');
    char lo[32], hi[32];
    size_t nl = (size_t)(colon - v);
    if (nl == 0 || nl >= sizeof lo || strlen(colon + 1) == 0 || strlen(colon + 1) >= sizeof hi)
        return mfr__err(err, MFR_E_INVALID, "range \"%s\" for %s: want lo:hi", v, f->name);
    memcpy(lo, v, nl);
    lo[nl] = 0;
    snprintf(hi, sizeof hi, "%s", colon + 1);
    char *e1, *e2;
    f->lo = strtod(lo, &e1);
    f->hi = strtod(hi, &e2);
    if (*e1 || *e2 || !(f->lo <= f->hi))
        return mfr__err(err, MFR_E_INVALID, "range \"%s\" for %s: want numbers lo <= hi", v,
                        f->name);
    f->is_int = is_integer_text(lo) && is_integer_text(hi);
    mfr_status s = check_value(base, f->name, lo, err);
    return s ? s : check_value(base, f->name, hi, err);
}

/* One "name=v1,v2" or "name=lo:hi" token. */
static mfr_status parse_field(tune_field *f, const char *tok, const mfr_train_params *base,
                              mfr_error *err) {
    const char *eq = strchr(tok, '=');
    if (!eq || eq == tok || (size_t)(eq - tok) >= sizeof f->name || !eq[1])
        return mfr__err(err, MFR_E_INVALID, "search space: \"%s\" is not name=values", tok);
    memcpy(f->name, tok, (size_t)(eq - tok));
    f->name[eq - tok] = 0;
    const char *v = eq + 1;
    if (strchr(v, ':')) return parse_range(f, v, base, err);
    while (*v) {
        const char *c = strchr(v, ',');
        size_t len = c ? (size_t)(c - v) : strlen(v);
        if (len == 0 || len >= 32 || f->n_vals >= TUNE_MAX_VALUES)
            return mfr__err(err, MFR_E_INVALID, "search space: bad value list in \"%s\"", tok);
        memcpy(f->vals[f->n_vals], v, len);
        f->vals[f->n_vals][len] = 0;
        mfr_status s = check_value(base, f->name, f->vals[f->n_vals], err);
        if (s) return s;
        f->n_vals++;
        v += len + (c != NULL);
    }
    return MFR_OK;
}

mfr_status mfr_tune_space_parse(const char *spec, const mfr_train_params *base,
                                mfr_tune_space **out, mfr_error *err) {
    *out = NULL;
    mfr_tune_space *sp = mfr__calloc(1, sizeof *sp);
    if (!sp) return mfr__nomem(err, "search space");
    char tok[1024];
    const char *p = spec ? spec : "";
    mfr_status s = MFR_OK;
    while (!s) {
        while (*p == ' ' || *p == '\t' || *p == '\n') p++;
        if (!*p) break;
        size_t len = strcspn(p, " \t\n");
        if (len >= sizeof tok || sp->n >= TUNE_MAX_FIELDS) {
            s = mfr__err(err, MFR_E_INVALID, "search space too large (max %d fields)",
                         TUNE_MAX_FIELDS);
            break;
        }
        memcpy(tok, p, len);
        tok[len] = 0;
        p += len;
        for (int32_t q = 0; q < sp->n && !s; q++)
            if (!strncmp(sp->f[q].name, tok, strlen(sp->f[q].name)) &&
                tok[strlen(sp->f[q].name)] == '=')
                s = mfr__err(err, MFR_E_INVALID, "search space: %s given twice", sp->f[q].name);
        if (!s) s = parse_field(&sp->f[sp->n++], tok, base, err);
    }
    if (!s && sp->n == 0) s = mfr__err(err, MFR_E_INVALID, "search space is empty");
    if (s) {
        mfr__free(sp);
        return s;
    }
    *out = sp;
    return MFR_OK;
}

void mfr_tune_space_free(mfr_tune_space *s) { mfr__free(s); }

int64_t mfr_tune_space_grid_size(const mfr_tune_space *s) {
    int64_t n = 1;
    for (int32_t q = 0; q < s->n; q++) {
        if (s->f[q].n_vals == 0) return -1;
        n *= s->f[q].n_vals;
    }
    return n;
}

/* ---- points ----------------------------------------------------------------- */

static void draw_value(const tune_field *f, mfr__rng *rng, char *buf, size_t cap) {
    if (f->n_vals) {
        snprintf(buf, cap, "%s", f->vals[mfr__rng_below(rng, (uint64_t)f->n_vals)]);
    } else if (f->is_int) {
        long span = (long)f->hi - (long)f->lo + 1;
        snprintf(buf, cap, "%ld", (long)f->lo + (long)mfr__rng_below(rng, (uint64_t)span));
    } else if (f->lo > 0 && f->hi / f->lo >= 10.0) {
        double u = mfr__rng_uniform(rng);
        snprintf(buf, cap, "%.6g", exp(log(f->lo) + u * (log(f->hi) - log(f->lo))));
    } else {
        snprintf(buf, cap, "%.6g", f->lo + mfr__rng_uniform(rng) * (f->hi - f->lo));
    }
}

/* Point `idx`: grid coordinates (mixed radix) or a random draw. */
static mfr_status make_point(const mfr_tune_space *sp, const mfr_tune_params *p, int64_t idx,
                             mfr__rng *rng, mfr_tune_point *pt, mfr_error *err) {
    pt->params = p->base;
    pt->params.progress = NULL;
    pt->params.progress_user = NULL;
    pt->params.threads = 1;
    pt->desc[0] = 0;
    int64_t rest = idx;
    char vals[TUNE_MAX_FIELDS][64];
    for (int32_t q = sp->n - 1; q >= 0; q--) { /* last field varies fastest */
        const tune_field *f = &sp->f[q];
        if (p->random_points > 0) {
            draw_value(f, rng, vals[q], sizeof vals[q]);
        } else {
            snprintf(vals[q], sizeof vals[q], "%s", f->vals[rest % f->n_vals]);
            rest /= f->n_vals;
        }
        mfr_status s = mfr_train_params_set(&pt->params, f->name, vals[q], err);
        if (s) return s;
    }
    for (int32_t q = 0; q < sp->n; q++) {
        size_t len = strlen(pt->desc);
        snprintf(pt->desc + len, sizeof pt->desc - len, "%s%s=%s", q ? " " : "",
                 sp->f[q].name, vals[q]);
    }
    return MFR_OK;
}

mfr_tune_params mfr_tune_params_default(mfr_algo algo) {
    mfr_tune_params p;
    memset(&p, 0, sizeof p);
    p.base = mfr_train_params_default(algo);
    p.metric = MFR_METRIC_RMSE;
    p.inner = mfr_split_params_default();
    p.inner.kind = MFR_SPLIT_KFOLD;
    p.rank = mfr_ranking_params_default();
    return p;
}

void mfr_tune_result_free(mfr_tune_result *r) {
    if (!r) return;
    for (int32_t q = 0; q < r->n_points; q++) mfr__free(r->points[q].cv.folds);
    mfr__free(r->points);
    memset(r, 0, sizeof *r);
}

/* x strictly better than y by metric m (NaN is worst). */
static int point_better(const mfr_tune_point *x, const mfr_tune_point *y, mfr_metric m) {
    double vx = x->cv.mean[m], vy = y->cv.mean[m];
    if (isnan(vx) || isnan(vy)) return !isnan(vx) && isnan(vy);
    return mfr_metric_higher_better(m) ? vx > vy : vx < vy;
}

/* Stable insertion sort, best first: ties keep point order. */
static void rank_points(mfr_tune_point *pt, int32_t n, mfr_metric m) {
    for (int32_t a = 1; a < n; a++) {
        mfr_tune_point t = pt[a];
        int32_t b = a;
        while (b > 0 && point_better(&t, &pt[b - 1], m)) {
            pt[b] = pt[b - 1];
            b--;
        }
        pt[b] = t;
    }
}

static mfr_status alloc_points(mfr_tune_result *out, int64_t n, int32_t nf, mfr_error *err) {
    out->points = mfr__calloc((size_t)n, sizeof *out->points);
    if (!out->points) return mfr__nomem(err, "search points");
    out->n_points = (int32_t)n;
    for (int64_t q = 0; q < n; q++) {
        out->points[q].cv.folds = mfr__calloc((size_t)nf, sizeof(mfr_fold_result));
        if (!out->points[q].cv.folds) return mfr__nomem(err, "search folds");
        out->points[q].cv.n_folds = nf;
    }
    return MFR_OK;
}

/* Jobs for every (point, fold); cvp[q] holds point q's evaluation settings. */
static mfr_status run_points(const mfr_dataset *ds, const mfr_ratings *data,
                             const int32_t *fold, int32_t nf, const mfr_tune_params *p,
                             mfr_tune_result *out, mfr_error *err) {
    int64_t np = out->n_points, nj = np * nf;
    mfr_cv_params *cvp = mfr__calloc((size_t)np, sizeof *cvp);
    mfr__job *jobs = mfr__calloc((size_t)nj, sizeof *jobs);
    mfr_status s = MFR_OK;
    if (!cvp || !jobs) s = mfr__nomem(err, "search jobs");
    for (int64_t q = 0; q < np && !s; q++) {
        cvp[q].split = p->inner;
        cvp[q].train = out->points[q].params;
        cvp[q].ranking = mfr_metric_is_ranking(p->metric);
        cvp[q].rank = p->rank;
        cvp[q].rank.threads = 1;
        for (int32_t f = 0; f < nf; f++)
            jobs[q * nf + f] = (mfr__job){.ds = ds, .data = data, .fold = fold,
                                          .test_fold = mfr_split_test_fold(&p->inner, f),
                                          .params = &cvp[q], .out = &out->points[q].cv.folds[f]};
    }
    int threads = p->threads > 0 ? p->threads : mfr_cpu_count();
    if (!s) s = mfr__jobs_run(jobs, nj, threads, "tune", p->progress, p->progress_user, err);
    mfr__free(cvp);
    mfr__free(jobs);
    return s;
}

mfr_status mfr_tune_run(const mfr_dataset *ds, const mfr_ratings *train,
                        const mfr_tune_space *space, const mfr_tune_params *p,
                        mfr_tune_result *out, mfr_error *err) {
    memset(out, 0, sizeof *out);
    out->metric = p->metric;
    int64_t np = p->random_points > 0 ? p->random_points : mfr_tune_space_grid_size(space);
    if (np < 1)
        return mfr__err(err, MFR_E_INVALID,
                        "the search space has ranges (lo:hi): give a number of random points");
    if (np > 100000) return mfr__err(err, MFR_E_LIMIT, "%lld search points is too many", (long long)np);
    mfr_ratings all;
    int32_t nf, *fold;
    mfr_status s = mfr__folds(ds, &train, &all, &p->inner, &fold, &nf, err);
    if (!s) s = alloc_points(out, np, nf, err);
    mfr__rng rng;
    mfr__rng_seed_stream(&rng, p->base.seed, 0x7a2e);
    for (int64_t q = 0; q < np && !s; q++)
        s = make_point(space, p, q, &rng, &out->points[q], err);
    if (!s) s = run_points(ds, train, fold, nf, p, out, err);
    mfr__free(fold);
    if (s) {
        mfr_tune_result_free(out);
        out->metric = p->metric;
        return s;
    }
    for (int64_t q = 0; q < np; q++) mfr_cv_result_summarize(&out->points[q].cv);
    rank_points(out->points, out->n_points, p->metric);
    return MFR_OK;
}
