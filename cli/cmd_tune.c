/* cmd_tune.c — `mfrec tune DATA --grid SPEC`: grid or random search.
 *
 * Each point of the space is scored by K-fold CV (--folds, default 5) on the
 * training data only: with --test-frac F an outer holdout is set aside first,
 * never seen by the search, and the best point is then trained on all the
 * training data and measured once on it. The ranked table goes to stdout (or
 * JSON with --json); -o FILE writes the best parameters as a params file that
 * `mfrec train --params FILE` (and eval/tune/report --params) reads.
 * (point, fold) fits run in parallel over the cores (--jobs) with progress
 * and ETA on a terminal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "train_opts.h"

static const char *CMD = "tune";

typedef struct tune_args {
    const char *data, *grid, *out;
    long random, jobs, top;
    int json, quiet;
    double outer_frac;
    mfr_metric metric;
    cli_split inner;
    train_opts topts;
    mfr_ranking_params rank;
} tune_args;

enum { O_GRID = 1, O_RANDOM, O_METRIC, O_FOLDS, O_TEST_FRAC, O_SEED, O_OUT,
       O_TOP, O_JOBS, O_JSON, O_QUIET };

static const cli_opt tune_opts[] = {
    {O_GRID, 0, "grid", "SPEC", "NAME=V1,V2,... or NAME=LO:HI (random only), space-separated"},
    {O_RANDOM, 0, "random", "N", "N random points instead of the full grid"},
    {O_METRIC, 0, "metric", "M",
     "rmse (default), mae, mse, precision, recall, ndcg, map, hit, mrr,\ncoverage, novelty, fit_s"},
    {O_FOLDS, 0, "folds", "K", "inner CV folds (5)"},
    {O_TEST_FRAC, 0, "test-frac", "F",
     "hold out F first (never seen by the search); report the best\npoint's score on it"},
    {O_SEED, 0, "seed", "S", "split, draws and training seed (42)"},
    {O_OUT, 'o', "output", "FILE", "write the best parameters (name=value lines, with algo=)"},
    {O_TOP, 0, "top", "N", "rows of the table (all)"},
    {O_JOBS, 0, "jobs", "N", "fits in parallel (all cores)"},
    {O_JSON, 0, "json", NULL, "JSON instead of the table"},
    {O_QUIET, 'q', "quiet", NULL, "no progress"},
    {0, 0, 0, 0, 0}};

const cli_spec cli_spec_tune = {
    "tune", "grid or random search of parameters by cross-validation",
    "tune DATA --grid 'factors=32,64,128 reg=0.02,0.05' [options] [training options]",
    "Score every point of a grid (or --random N points; ranges lo:hi allowed)\n"
    "by K-fold CV on the training data, rank them by --metric and write the\n"
    "best parameters for mfrec train --params.",
    tune_opts, CLI_G_RANK | CLI_G_TRAIN, NULL};

static int parse(int argc, char **argv, tune_args *a) {
    cli_parser ps;
    cli_parser_init(&ps, &cli_spec_tune, argc, argv);
    const cli_val vals[] = {CLI_INT(O_RANDOM, 1, 100000, &a->random),
                            CLI_INT(O_JOBS, 1, 1024, &a->jobs),
                            CLI_INT(O_TOP, 1, 1000000, &a->top),
                            CLI_INT(O_FOLDS, 2, 1000, &a->inner.p.folds),
                            CLI_FLOAT(O_TEST_FRAC, 1e-9, 1 - 1e-9, &a->outer_frac),
                            CLI_FLAG(O_JSON, &a->json),
                            CLI_FLAG(O_QUIET, &a->quiet),
                            CLI_NEED(O_GRID, &a->grid,
                                     "no search space (--grid 'factors=32,64 reg=0.02,0.05')"),
                            CLI_TEXT(O_OUT, &a->out), {0}};
    const cli_takes t = {.args = {&a->data}, .missing = "no DATA given", .vals = vals,
                         .train = &a->topts, .rank = &a->rank};
    int id;
    mfr_error e;
    const char *v;
    while ((id = cli_next_own(&ps, &v, &t)) > 0) {
        if (id == O_SEED && cli_seed_take(&ps, v, &a->inner, &a->topts) < 0) return MFR_E_INVALID;
        if (id == O_METRIC && mfr_metric_from_name(v, &a->metric, &e))
            return cli_opt_error(&ps, "%s", e.message);
    }
    return id ? cli_stop(id) : 0;
}

static void print_table(const tune_args *a, const mfr_tune_result *r) {
    mfr_metric m = r->metric;
    printf("%-4s %10s %8s %8s %8s  %s\n", "rank", mfr_metric_name(m), "std", "rmse", "fit_s",
           "parameters");
    int32_t n = a->top > 0 && a->top < r->n_points ? (int32_t)a->top : r->n_points;
    for (int32_t q = 0; q < n; q++) {
        const mfr_tune_point *p = &r->points[q];
        printf("%-4d %10.4f %8.4f %8.4f %8.2f  %s\n", q + 1, p->cv.mean[m], p->cv.std[m],
               p->cv.mean[MFR_METRIC_RMSE], p->cv.mean[MFR_METRIC_FIT_S], p->desc);
    }
}

static void print_json(const mfr_tune_result *r, const mfr_fold_result *outer) {
    printf("{\"metric\":\"%s\",\"points\":[", mfr_metric_name(r->metric));
    for (int32_t q = 0; q < r->n_points; q++) {
        printf("%s{\"rank\":%d,\"params\":\"%s\",\"cv\":", q ? "," : "", q + 1, r->points[q].desc);
        cli_cv_json(stdout, &r->points[q].cv);
        putchar('}');
    }
    printf("]");
    if (outer) {
        printf(",\"test\":");
        cli_json_metrics(stdout, outer->v);
    }
    printf("}\n");
}

/* Train the best point on all of train, measure on the outer test. */
static mfr_status score_outer(const mfr_dataset *ds, const mfr_ratings *train,
                              const mfr_ratings *test, const tune_args *a,
                              const mfr_tune_result *r, mfr_fold_result *out, mfr_error *err) {
    mfr_cv_params cp = mfr_cv_params_default(r->points[0].params.algo);
    cp.train = r->points[0].params;
    cp.train.threads = 0;
    cp.ranking = mfr_metric_is_ranking(r->metric);
    cp.rank = a->rank;
    return mfr_eval_train_test(ds, train, test, &cp, out, err);
}

static mfr_status run(const tune_args *a, const mfr_dataset *ds, mfr_error *err) {
    mfr_tune_params tp = mfr_tune_params_default(MFR_ALGO_DEFAULT);
    mfr_status s = train_opts_resolve(&a->topts, &tp.base, err);
    if (s) return s;
    tp.random_points = (int32_t)a->random;
    tp.metric = a->metric;
    tp.inner = a->inner.p;
    tp.rank = a->rank;
    tp.threads = (int32_t)a->jobs;
    if (!a->quiet) tp.progress = cli_progress;
    mfr_tune_space *sp = NULL;
    if ((s = mfr_tune_space_parse(a->grid, &tp.base, &sp, err))) return s;
    mfr_ratings all, train = {0}, test = {0};
    mfr_dataset_ratings(ds, &all);
    if (a->outer_frac > 0)
        s = mfr_ratings_holdout(&all, a->outer_frac, a->inner.p.seed ^ 0x0ddba11, &train, &test, err);
    mfr_tune_result r = {0};
    mfr_fold_result outer;
    if (!s) s = mfr_tune_run(ds, a->outer_frac > 0 ? &train : NULL, sp, &tp, &r, err);
    cli_progress_end();
    if (!s && a->outer_frac > 0) s = score_outer(ds, &train, &test, a, &r, &outer, err);
    if (!s && a->out) {
        char c[512];
        snprintf(c, sizeof c, "mfrec tune: best of %d points by %s (%.6g): %.300s", r.n_points,
                 mfr_metric_name(r.metric), r.points[0].cv.mean[r.metric], r.points[0].desc);
        mfr_train_params best = r.points[0].params;
        best.threads = tp.base.threads;
        s = train_opts_write_file(a->out, &best, c, err);
    }
    if (!s) {
        if (a->json) {
            print_json(&r, a->outer_frac > 0 ? &outer : NULL);
        } else {
            printf("tune %s on %s: %d points x %d-fold CV, by %s (%s is better)\n",
                   mfr_algo_name(tp.base.algo), cli_basename(a->data), r.n_points, tp.inner.folds,
                   mfr_metric_name(r.metric), mfr_metric_higher_better(r.metric) ? "higher" : "lower");
            print_table(a, &r);
            if (a->outer_frac > 0)
                printf("best on the held-out %g%% (never seen by the search): %s %.4f, rmse %.4f\n",
                       a->outer_frac * 100, mfr_metric_name(r.metric), outer.v[r.metric],
                       outer.v[MFR_METRIC_RMSE]);
            if (a->out) printf("best parameters written to %s\n", a->out);
        }
    }
    mfr_tune_result_free(&r);
    mfr_tune_space_free(sp);
    mfr_ratings_free(&train);
    mfr_ratings_free(&test);
    return s;
}

int cmd_tune(int argc, char **argv) {
    tune_args a = {.metric = MFR_METRIC_RMSE, .rank = mfr_ranking_params_default()};
    a.inner.p = mfr_split_params_default();
    a.inner.p.kind = MFR_SPLIT_KFOLD;
    int rc = parse(argc, argv, &a);
    if (rc) return rc < 0 ? 0 : rc;
    cli_begin(a.quiet);
    mfr_error err = {0};
    mfr_dataset *ds = NULL;
    mfr_status s = cli_load_dataset(a.data, NULL, &ds, &err);
    if (!s) s = run(&a, ds, &err);
    mfr_dataset_free(ds);
    return s ? cli_fail(CMD, s, &err) : 0;
}
