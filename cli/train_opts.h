/* train_opts.h — the option groups commands share (opts.h): the training
 * options of train, eval, tune and report, the split options of eval and
 * split, the reading options of import and train, and the ranking-metric
 * options of eval, tune and report; plus params files and the JSON of a CV
 * result. They read their values with cli.h's cli_opt_* (the option layer,
 * opts.c, calls them; they do not call it).
 *
 * Training options are collected while the command line is read and applied
 * once it is complete, in one documented order (docs/cli.md "Precedence"):
 *   1. the family's defaults (--algo, else auto; or a params file's algo=),
 *   2. the params file (--params FILE),
 *   3. every --NAME VALUE and --set NAME=VALUE in command-line order (the
 *      two spellings are the same thing; a later one wins).
 * A parameter the family does not read is an error that lists the family's
 * parameters; `mfrec train --algo NAME --help` prints them with defaults. */
#ifndef MFR_CLI_TRAIN_OPTS_H
#define MFR_CLI_TRAIN_OPTS_H

#include <stdio.h>
#include "mfrec.h"
#include "opts.h"

/* The group tables (ids CLI_T_* and CLI_S_*, opts.h). */
extern const cli_opt cli_train_group[];
extern const cli_opt cli_split_group[];
extern const cli_opt cli_rank_group[]; /* ids CLI_R_*: --k, --threshold */

#define TRAIN_OPTS_MAX 64

typedef struct train_opts {
    char algo[32]; /* "" = the default family */
    const char *params_file;
    int n;
    char names[TRAIN_OPTS_MAX][32];
    const char *values[TRAIN_OPTS_MAX];
    char from[TRAIN_OPTS_MAX][40]; /* how it was given: "--factors", "--set" */
} train_opts;

/* Handle option id (value v) of the training group: 1 taken, 0 not a
 * training option, -1 after a usage error (bad --set, too many options). */
int train_opts_take(const cli_parser *ps, int id, const char *v, train_opts *o);
/* Append name=value (name with underscores); -1 after a usage error when the
 * table is full. from names the option in messages. */
int train_opts_add(const char *cmd, train_opts *o, const char *name, const char *value,
                   const char *from);

/* Resolve into *p. MFR_E_INVALID naming the option or "file:line" (also for
 * a parameter the family does not use), MFR_E_PARSE for a malformed params
 * line, MFR_E_IO for an unreadable file. */
mfr_status train_opts_resolve(const train_opts *o, mfr_train_params *p, mfr_error *err);

/* Read a params file ("name=value" lines; '#' starts a comment anywhere on a
 * line; blank lines ignored; an "algo=" line applies that family's defaults
 * first) into *p; every name must be one p's family uses. */
mfr_status train_opts_read_file(const char *path, mfr_train_params *p, mfr_error *err);
/* Write p as a params file (temporary file + rename). MFR_E_IO naming path. */
mfr_status train_opts_write_file(const char *path, const mfr_train_params *p,
                                 const char *comment, mfr_error *err);
/* "parameters of NAME (defaults): ..." for --algo NAME --help. */
void train_opts_help_algo(FILE *f, const char *algo);

/* Split options. */
typedef struct cli_split {
    mfr_split_params p;
    int given;    /* a split kind was chosen */
    int seed_set; /* --split-seed given: --seed leaves the split alone */
    const char *train_file, *test_file;
} cli_split;

/* As train_opts_take, for the split group. */
int cli_split_take(const cli_parser *ps, int id, const char *v, cli_split *s);
/* --seed S of eval, tune and split: the training seed (o NULL: none), and
 * the split's unless --split-seed gave that. 1, or -1 after a usage error. */
int cli_seed_take(const cli_parser *ps, const char *v, cli_split *s, train_opts *o);
/* "5-fold CV", "random holdout 20%", ... into buf. */
void cli_split_describe(const mfr_split_params *p, char *buf, size_t cap);

/* As train_opts_take, for the ranking-metric group (eval, tune, report):
 * --k and --threshold into *r. */
int cli_rank_take(const cli_parser *ps, int id, const char *v, mfr_ranking_params *r);

/* The reading options of import and train (ids CLI_I_*): --format, --columns,
 * --delimiter, --header, --scale MIN..MAX, --movies FILE, --strict. */
extern const cli_opt cli_import_group[];
/* Option id (value v) of that group into p: 1 taken, 0 not one, -1 after a
 * usage error. */
int cli_import_take(const cli_parser *ps, int id, const char *v, mfr_import_params *p);

/* JSON of a CV result: {"mean":{..},"std":{..},"folds":[{..},..]} (NaN: null);
 * each {..} one value a metric, cli_json_metrics's {"rmse":..,"mae":..,..}. */
void cli_cv_json(FILE *f, const mfr_cv_result *r);
void cli_json_metrics(FILE *f, const double *v);

#endif
