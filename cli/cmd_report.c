/* cmd_report.c — `mfrec report DATA|MODEL -o report.html`: one
 * self-contained HTML page with the models' metrics table, learning curves,
 * a 2-D map of movies and the rating / popularity charts.
 *
 * From DATA: a random holdout (--test-frac, default 0.2) is drawn; each model
 * of --algos is trained on the rest with the holdout as validation (the
 * per-epoch RMSE makes the learning curves) and measured on it (accuracy and
 * ranking metrics make the table); the first model with item factors (or
 * --model FILE) draws the map. From a MODEL (.mfm): the map, plus the data
 * charts when --data DATA is given. --table / --table-json also write the
 * table as Markdown / JSON. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "train_opts.h"

static const char *CMD = "report";

typedef struct report_args {
    const char *input, *out, *algos, *model_path, *data_path, *title, *md, *json;
    long clusters, labels;
    double test_frac;
    uint64_t seed;
    int quiet;
    mfr_ranking_params rank;
    train_opts topts;
} report_args;

#define MAX_MODELS 16

enum { O_OUT = 1, O_ALGOS, O_TEST_FRAC, O_SEED, O_MODEL, O_DATA, O_CLUSTERS, O_LABELS,
       O_TABLE, O_TABLE_JSON, O_TITLE, O_QUIET };

static const cli_opt report_opts[] = {
    {O_OUT, 'o', "output", "FILE", "the page (required)"},
    {O_ALGOS, 0, "algos", "A,B,...", "models to train and compare, at most 16 (sgd,als,svd,baseline)"},
    {O_TEST_FRAC, 0, "test-frac", "F", "holdout for curves and metrics (0.2)"},
    {O_SEED, 0, "seed", "S", "split and training seed (42)"},
    {O_MODEL, 0, "model", "FILE", "draw the map from this model instead"},
    {O_DATA, 0, "data", "DATA", "with a MODEL: also the data charts"},
    {O_CLUSTERS, 0, "clusters", "K", "colour the map by K k-means clusters (default: genre)"},
    {O_LABELS, 0, "labels", "N", "movies named on the map (15)"},
    {O_TABLE, 0, "table", "FILE.md", "also write the table as Markdown"},
    {O_TABLE_JSON, 0, "table-json", "FILE", "also write the table as JSON"},
    {O_TITLE, 0, "title", "TEXT", "page title"},
    {O_QUIET, 'q', "quiet", NULL, "no progress"},
    {0, 0, 0, 0, 0}};

const cli_spec cli_spec_report = {
    "report", "an HTML report with charts",
    "report DATA -o report.html [options] [training options]\nreport MODEL.mfm -o report.html [--data DATA]",
    "One self-contained HTML page (no network needed): metrics table, learning\n"
    "curves, a PCA map of movies, rating distribution and long tail.",
    report_opts, CLI_G_RANK | CLI_G_TRAIN,
    "The models are chosen with --algos (not --algo); each training option goes to\n"
    "the models of --algos that use it and must be used by one of them."};

/* 1 when some family of the comma list uses parameter name. */
static int some_algo_uses(const char *list, const char *name) {
    char buf[512];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        mfr_algo al;
        if (!mfr_algo_from_name(t, &al, NULL) && mfr_train_params_applies(al, name) == 1) return 1;
    }
    return 0;
}

static int parse(int argc, char **argv, report_args *a) {
    const cli_val vals[] = {CLI_INT(O_CLUSTERS, 0, 1000, &a->clusters),
                            CLI_INT(O_LABELS, 0, 1000, &a->labels),
                            CLI_INT(O_SEED, 0, 0x7fffffffffffffffL, &a->seed),
                            CLI_FLOAT(O_TEST_FRAC, 1e-6, 0.9, &a->test_frac),
                            CLI_NEED(O_OUT, &a->out, "no output file (-o report.html)"),
                            CLI_TEXT(O_ALGOS, &a->algos),
                            CLI_TEXT(O_MODEL, &a->model_path),
                            CLI_TEXT(O_DATA, &a->data_path),
                            CLI_TEXT(O_TITLE, &a->title),
                            CLI_TEXT(O_TABLE, &a->md),
                            CLI_TEXT(O_TABLE_JSON, &a->json),
                            CLI_FLAG(O_QUIET, &a->quiet), {0}};
    const cli_takes t = {.args = {&a->input}, .missing = "no DATA or MODEL given", .vals = vals,
                         .train = &a->topts, .rank = &a->rank};
    int rc = cli_parse(&cli_spec_report, argc, argv, &t);
    if (rc) return rc;
    if (a->topts.algo[0]) return cli_usage_error(CMD, "use --algos A,B to choose the models");
    int n_algos = 1;
    for (const char *c = a->algos; *c; c++) n_algos += *c == ',';
    if (n_algos > MAX_MODELS || strlen(a->algos) >= 512)
        return cli_usage_error(CMD, "--algos: at most %d models, got %d", MAX_MODELS, n_algos);
    for (int q = 0; q < a->topts.n; q++)
        if (!some_algo_uses(a->algos, a->topts.names[q]))
            return cli_usage_error(CMD, "%s: none of %s uses %s", a->topts.from[q], a->algos,
                                   a->topts.names[q]);
    return 0;
}

typedef struct report_state {
    mfr_curve curves[MAX_MODELS];
    mfr_report_row rows[MAX_MODELS];
    int32_t n_curves, n_rows;
    mfr_model *map_model;
} report_state;

/* Train and measure one algorithm; a family not built is skipped with a note. */
static mfr_status one_model(const report_args *a, const char *name, const mfr_dataset *ds,
                            const mfr_ratings *train, const mfr_ratings *test, report_state *st,
                            mfr_error *err) {
    train_opts to = a->topts; /* only the options this family uses */
    snprintf(to.algo, sizeof to.algo, "%s", name);
    mfr_algo al;
    to.n = 0;
    if (!mfr_algo_from_name(name, &al, NULL))
        for (int q = 0; q < a->topts.n; q++)
            if (mfr_train_params_applies(al, a->topts.names[q]) == 1) {
                memcpy(to.names[to.n], a->topts.names[q], sizeof to.names[0]);
                memcpy(to.from[to.n], a->topts.from[q], sizeof to.from[0]);
                to.values[to.n++] = a->topts.values[q];
            }
    mfr_train_params tp;
    mfr_status s = train_opts_resolve(&to, &tp, err);
    if (s) return s;
    tp.seed = a->seed;
    if (!a->quiet) fprintf(stderr, "mfrec report: training %s\n", name);
    mfr_curve c;
    mfr_model *m = NULL;
    if (!a->quiet) tp.progress = cli_progress; /* epoch line on a terminal; Ctrl-C cancels */
    s = mfr_eval_learning_curve(ds, train, test, &tp, &c, &m, err);
    cli_progress_end();
    if (s == MFR_E_UNSUPPORTED) {
        fprintf(stderr, "mfrec report: %s skipped: %s\n", name, err->message);
        return MFR_OK;
    }
    if (s) return s;
    mfr_report_row *row = &st->rows[st->n_rows++];
    snprintf(row->name, sizeof row->name, "%s", name);
    s = mfr_eval_model(m, test, &a->rank, &row->r, err);
    int finite = 0;
    for (int32_t q = 0; q < c.n; q++) finite += isfinite(c.valid_rmse[q]) || isfinite(c.train_rmse[q]);
    if (finite >= 2 && st->n_curves < MAX_MODELS) st->curves[st->n_curves++] = c;
    else mfr_curve_free(&c);
    if (!st->map_model && mfr_model_item_factors(m)) st->map_model = m;
    else mfr_model_free(m);
    return s;
}

static mfr_status train_all(const report_args *a, const mfr_dataset *ds, report_state *st,
                            mfr_error *err) {
    mfr_ratings all, train, test;
    mfr_dataset_ratings(ds, &all);
    mfr_status s = mfr_ratings_holdout(&all, a->test_frac, a->seed, &train, &test, err);
    if (s) return s;
    char list[512];
    snprintf(list, sizeof list, "%s", a->algos);
    for (char *save = NULL, *t = strtok_r(list, ",", &save); t && !s; t = strtok_r(NULL, ",", &save)) {
        s = one_model(a, t, ds, &train, &test, st, err);
    }
    mfr_ratings_free(&train);
    mfr_ratings_free(&test);
    return s;
}

static mfr_status write_outputs(const report_args *a, const mfr_dataset *ds, report_state *st,
                                const mfr_model *map, mfr_error *err) {
    char title[300];
    snprintf(title, sizeof title, "%s", a->title ? a->title : "");
    if (!a->title) snprintf(title, sizeof title, "mfrec report: %s", cli_basename(a->input));
    mfr_report_input in = {.title = title, .ds = ds, .model = map, .curves = st->curves,
                           .n_curves = st->n_curves, .rows = st->rows, .n_rows = st->n_rows,
                           .clusters = (int32_t)a->clusters, .labels = (int32_t)a->labels};
    const char *paths[3] = {a->out, a->md, a->json};
    mfr_status s = MFR_OK;
    for (int q = 0; q < 3 && !s; q++) {
        if (!paths[q]) continue;
        FILE *f = fopen(paths[q], "w");
        if (!f) {
            s = cli_set_error(err, MFR_E_IO, "%.400s: cannot write", paths[q]);
            break;
        }
        if (q == 0) s = mfr_report_write_html(&in, f, err);
        else s = mfr_report_write_table(st->rows, st->n_rows, q == 2, f, err);
        if (fclose(f) && !s) s = cli_set_error(err, MFR_E_IO, "%.400s: write failed", paths[q]);
    }
    if (!s && !a->quiet) printf("wrote %s (%d models)\n", a->out, st->n_rows);
    return s;
}

int cmd_report(int argc, char **argv) {
    report_args a = {.algos = "sgd,als,svd,baseline", .labels = 15, .test_frac = 0.2, .seed = 42,
                     .rank = mfr_ranking_params_default()};
    int rc = parse(argc, argv, &a);
    if (rc) return rc < 0 ? 0 : rc;
    cli_begin(a.quiet);
    mfr_error err = {0};
    mfr_dataset *ds = NULL;
    mfr_model *given = NULL;
    report_state *st = calloc(1, sizeof *st);
    mfr_status s = st ? MFR_OK : MFR_E_NOMEM;
    int from_model = cli_is_model_path(a.input);
    const char *mpath = from_model ? a.input : a.model_path;
    const char *dpath = from_model ? a.data_path : a.input;
    if (!s && mpath) s = mfr_model_load(mpath, &given, &err);
    if (!s && dpath) s = cli_load_dataset(dpath, NULL, &ds, &err);
    if (!s && ds && !from_model) s = train_all(&a, ds, st, &err);
    if (!s) s = write_outputs(&a, ds, st, given ? given : st->map_model, &err);
    for (int32_t q = 0; st && q < st->n_curves; q++) mfr_curve_free(&st->curves[q]);
    if (st) mfr_model_free(st->map_model);
    free(st);
    mfr_model_free(given);
    mfr_dataset_free(ds);
    return s ? cli_fail(CMD, s, &err) : 0;
}
