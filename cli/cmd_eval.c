/* cmd_eval.c — `mfrec eval DATA`: train on a split and measure.
 *
 * The split is any kind of cli_split (holdout by default, --folds K for
 * cross-validation, --test FILE / --train A --test B for predefined files);
 * folds run in parallel (--jobs, default all cores), each model trained with
 * the given training options (shared with mfrec train through train_opts).
 * Prints a table (metric, mean, std, each fold) or, with --json, the per-fold
 * values. --seed S seeds both the split and the training. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "train_opts.h"

static const char *CMD = "eval";

typedef struct eval_args {
    const char *data;
    cli_split split;
    train_opts topts;
    int ranking, json, quiet;
    long jobs;
    mfr_ranking_params rank;
} eval_args;

enum { O_SEED = 1, O_NO_RANKING, O_RANKING, O_JOBS, O_JSON, O_QUIET };

static const cli_opt eval_opts[] = {
    {O_SEED, 0, "seed", "S", "seeds the split and the training (42)"},
    {O_NO_RANKING, 0, "no-ranking", NULL, "rating accuracy only (faster)"},
    {O_RANKING, 0, "ranking", NULL, "also the ranking metrics (the default)"},
    {O_JOBS, 0, "jobs", "N", "folds trained in parallel (all cores)"},
    {O_JSON, 0, "json", NULL, "JSON with per-fold values"},
    {O_QUIET, 'q', "quiet", NULL, "no progress"},
    {0, 0, 0, 0, 0}};

const cli_spec cli_spec_eval = {
    "eval", "train on a split and measure accuracy",
    "eval DATA [split] [options] [training options]\neval --train A --test B [options]\n"
    "eval DATA --test B [options]   (B's pairs are left out of training)",
    "Train on the training part of a split and measure on the test part:\n"
    "RMSE, MAE, MSE, and (unless --no-ranking) precision, recall, NDCG, MAP,\n"
    "hit rate @K, MRR over the full catalogue, coverage and novelty.\n"
    "Test users or movies with no training ratings are predicted from the\n"
    "biases and counted. Default split: --test-frac 0.2.",
    eval_opts, CLI_G_SPLIT | CLI_G_RANK | CLI_G_TRAIN, NULL};

static int parse(int argc, char **argv, eval_args *a) {
    cli_parser ps;
    cli_parser_init(&ps, &cli_spec_eval, argc, argv);
    const cli_val vals[] = {CLI_INT(O_JOBS, 1, 1024, &a->jobs),
                            CLI_FLAG(O_JSON, &a->json),
                            CLI_SET(O_NO_RANKING, &a->ranking, 0),
                            CLI_FLAG(O_RANKING, &a->ranking),
                            CLI_FLAG(O_QUIET, &a->quiet), {0}};
    const cli_takes t = {.args = {&a->data}, .vals = vals, .train = &a->topts, .split = &a->split,
                         .rank = &a->rank};
    int id;
    const char *v;
    while ((id = cli_next_own(&ps, &v, &t)) > 0) /* --seed */
        if (cli_seed_take(&ps, v, &a->split, &a->topts) < 0) return MFR_E_INVALID;
    if (id) return cli_stop(id);
    if (a->split.train_file && a->data)
        return cli_usage_error(CMD, "give DATA or --train FILE, not both");
    if (a->split.train_file && !a->split.test_file)
        return cli_usage_error(CMD, "--train needs --test");
    if (!a->data && !a->split.train_file) return cli_usage_error(CMD, "no DATA given");
    if (a->split.test_file && a->split.given)
        return cli_usage_error(CMD, "--test FILE is the split; drop --test-frac/--folds/...");
    return 0;
}

/* One fold: metric and value. Several: mean, std and one column per fold. */
static void print_table(FILE *f, const mfr_cv_result *r, int ranking, int32_t k) {
    int many = r->n_folds > 1;
    fprintf(f, many ? "%-13s %9s %9s" : "%-13s %9s", "metric", many ? "mean" : "value", "std");
    for (int32_t q = 0; many && q < r->n_folds; q++) fprintf(f, "   fold %-2d", q + 1);
    fputc('\n', f);
    for (int m = 0; m < MFR_METRIC__COUNT; m++) {
        if (!ranking && (mfr_metric_is_ranking((mfr_metric)m) || m == MFR_METRIC_RANK_S)) continue;
        char name[32];
        if (m >= MFR_METRIC_PRECISION && m <= MFR_METRIC_HIT)
            snprintf(name, sizeof name, "%s@%d", mfr_metric_name((mfr_metric)m), k);
        else
            snprintf(name, sizeof name, "%s", mfr_metric_name((mfr_metric)m));
        fprintf(f, "%-13s %9.4f", name, r->mean[m]);
        if (many) fprintf(f, " %9.4f", r->std[m]);
        for (int32_t q = 0; many && q < r->n_folds; q++) fprintf(f, " %9.4f", r->folds[q].v[m]);
        fputc('\n', f);
    }
}

static void print_counts(FILE *f, const mfr_cv_result *r, const eval_args *a) {
    long long uu = 0, ui = 0, nt = 0, ur = 0, unr = 0, uk = 0;
    for (int32_t q = 0; q < r->n_folds; q++) {
        const mfr_fold_result *x = &r->folds[q];
        uu += x->unknown_users;
        ui += x->unknown_items;
        nt += x->n_test;
        ur += x->users_ranked;
        unr += x->users_no_relevant;
        uk += x->users_unknown;
    }
    fprintf(f, "test ratings: %lld; of users with no training ratings: %lld, of movies with none: "
               "%lld (predicted from the biases)\n", nt, uu, ui);
    if (a->ranking)
        fprintf(f, "ranking: K=%d, relevant = rating >= %g; users ranked %lld, with no relevant "
                   "test movie %lld (left out), unknown %lld (summed over folds)\n",
                a->rank.k, a->rank.threshold, ur, unr, uk);
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t pair_key(int32_t u, int32_t i) {
    return (uint64_t)(uint32_t)u << 32 | (uint32_t)i;
}

/* fold[j] = 1 for each rating of ds whose (user, movie) pair is in test, so
 * that a test file drawn from DATA itself is never trained on; *n_dup counts
 * them. */
static mfr_status mark_test_pairs(const mfr_dataset *ds, const mfr_ratings *test, int32_t *fold,
                                  long long *n_dup) {
    mfr_ratings all;
    mfr_dataset_ratings(ds, &all);
    uint64_t *keys = malloc((size_t)(test->n > 0 ? test->n : 1) * sizeof *keys);
    if (!keys) return MFR_E_NOMEM;
    int64_t nk = 0;
    for (int64_t j = 0; j < test->n; j++)
        if (test->user[j] >= 0 && test->item[j] >= 0) keys[nk++] = pair_key(test->user[j], test->item[j]);
    qsort(keys, (size_t)nk, sizeof *keys, cmp_u64);
    *n_dup = 0;
    for (int64_t j = 0; j < all.n; j++) {
        uint64_t k = pair_key(all.user[j], all.item[j]);
        fold[j] = nk > 0 && bsearch(&k, keys, (size_t)nk, sizeof *keys, cmp_u64) != NULL;
        *n_dup += fold[j];
    }
    free(keys);
    return MFR_OK;
}

/* --test FILE (with DATA or --train A): train on DATA minus any rating of the
 * same (user, movie) pairs as FILE, measure on FILE; a one-fold result. */
static mfr_status run_predefined(const mfr_dataset *ds, const mfr_cv_params *cp,
                                 const char *test_path, mfr_cv_result *out, long long *n_dup,
                                 mfr_error *err) {
    mfr_dataset *tds = NULL;
    mfr_status s = cli_load_dataset(test_path, NULL, &tds, err);
    if (s) return s;
    mfr_ratings test, all, train = {0};
    s = mfr_ratings_map(tds, ds, &test, err);
    mfr_dataset_free(tds);
    if (s) return s;
    mfr_dataset_ratings(ds, &all);
    int32_t *fold = malloc((size_t)(all.n > 0 ? all.n : 1) * sizeof *fold);
    s = fold ? mark_test_pairs(ds, &test, fold, n_dup) : MFR_E_NOMEM;
    if (!s) s = mfr_ratings_select(&all, fold, 1, 0, &train, err);
    free(fold);
    static mfr_fold_result one; /* not owned by the library: never cv_result_free'd */
    memset(out, 0, sizeof *out);
    out->folds = &one;
    if (!s) s = mfr_eval_train_test(ds, &train, &test, cp, &out->folds[0], err);
    mfr_ratings_free(&train);
    mfr_ratings_free(&test);
    if (s) return s;
    out->n_folds = 1;
    mfr_cv_result_summarize(out);
    return MFR_OK;
}

static void print_json(const eval_args *a, const mfr_train_params *tp, const mfr_cv_result *r) {
    char split[128], params[4096];
    cli_split_describe(&a->split.p, split, sizeof split);
    mfr_train_params_format(tp, params, sizeof params);
    printf("{\"algo\":\"%s\",\"data\":\"%s\",\"split\":\"%s\",\"seed\":%llu,\"k\":%d,"
           "\"threshold\":%g,\"result\":",
           mfr_algo_name(tp->algo), cli_basename(a->data ? a->data : a->split.train_file),
           a->split.test_file ? "predefined" : split, (unsigned long long)a->split.p.seed,
           a->rank.k, a->rank.threshold);
    cli_cv_json(stdout, r);
    printf("}\n");
}

int cmd_eval(int argc, char **argv) {
    eval_args a = {.ranking = 1, .rank = mfr_ranking_params_default()};
    a.split.p = mfr_split_params_default();
    int rc = parse(argc, argv, &a);
    if (rc) return rc < 0 ? 0 : rc;
    cli_begin(a.quiet);
    mfr_error err = {0};
    mfr_cv_params cp = mfr_cv_params_default(MFR_ALGO_DEFAULT);
    mfr_status s = train_opts_resolve(&a.topts, &cp.train, &err);
    if (s) return cli_fail(CMD, s, &err);
    cp.split = a.split.p;
    cp.ranking = a.ranking;
    cp.rank = a.rank;
    cp.threads = (int32_t)a.jobs;
    if (!a.quiet) cp.progress = cli_progress;
    mfr_dataset *ds = NULL;
    s = cli_load_dataset(a.data ? a.data : a.split.train_file, NULL, &ds, &err);
    if (s) return cli_fail(CMD, s, &err);
    mfr_cv_result r;
    long long n_dup = 0;
    if (a.split.test_file) s = run_predefined(ds, &cp, a.split.test_file, &r, &n_dup, &err);
    else s = mfr_cv_run(ds, NULL, &cp, &r, &err);
    cli_progress_end();
    if (s) {
        mfr_dataset_free(ds);
        return cli_fail(CMD, s, &err);
    }
    if (a.json) {
        print_json(&a, &cp.train, &r);
    } else {
        mfr_dataset_stats st;
        mfr_dataset_stats_get(ds, &st);
        char split[128];
        cli_split_describe(&a.split.p, split, sizeof split);
        printf("%s on %s: %s, seed %llu; %lld ratings, %d users, %d movies\n",
               mfr_algo_name(cp.train.algo), cli_basename(a.data ? a.data : a.split.train_file),
               a.split.test_file ? "predefined test file" : split,
               (unsigned long long)a.split.p.seed, (long long)st.n_ratings, st.n_users, st.n_items);
        print_table(stdout, &r, a.ranking, a.rank.k);
        print_counts(stdout, &r, &a);
        if (n_dup)
            printf("%lld ratings of the training data are also in the test file: left out of "
                   "training\n", n_dup);
    }
    if (!a.split.test_file) mfr_cv_result_free(&r);
    mfr_dataset_free(ds);
    return 0;
}
