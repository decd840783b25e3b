/* train_opts.h — the training options every command that trains shares
 * (train, eval, tune, report), and small helpers those commands use.
 *
 * Options are collected first and applied after the whole command line is
 * read, so their order does not matter: the algorithm's defaults
 * (--algo), then a params file (--params FILE, "name=value" lines as
 * mfr_train_params_format writes them and `mfrec tune -o` saves), then each
 * single option in command-line order. Accepted single options:
 *   --algo NAME, --params FILE, --set NAME=VALUE, and --NAME VALUE for every
 *   field of mfr_train_params (dashes or underscores: --reg-bias / --reg_bias),
 *   e.g. --factors 64 --epochs 20 --lr 0.01 --reg 0.05 --seed 7 --threads 2. */
#ifndef MFR_CLI_TRAIN_OPTS_H
#define MFR_CLI_TRAIN_OPTS_H

#include <stdio.h>
#include "mfrec.h"

#define TRAIN_OPTS_MAX 64

typedef struct train_opts {
    char algo[32];                    /* "" = sgd */
    const char *params_file;
    int n;
    char names[TRAIN_OPTS_MAX][32];
    const char *values[TRAIN_OPTS_MAX];
} train_opts;

/* If argv[*i] is a training option, consume it (and its value: *i advances)
 * and return 1; return 0 if it is not one; -1 after printing a usage error
 * (missing value, too many options). */
int train_opts_take(const char *cmd, int argc, char **argv, int *i, train_opts *o);

/* Resolve into *p (defaults of the algo, the file, then the options).
 * MFR_E_INVALID / MFR_E_IO with the reason in err (naming the option or
 * "file:line"). */
mfr_status train_opts_resolve(const train_opts *o, mfr_train_params *p, mfr_error *err);

/* Read a params file ("name=value" lines, '#' starts a comment anywhere on a
 * line, blank lines; an
 * "algo=" line applies that algorithm's defaults first) into *p. */
mfr_status train_opts_read_file(const char *path, mfr_train_params *p, mfr_error *err);
/* Write p as a params file (temporary file + rename). MFR_E_IO naming path. */
mfr_status train_opts_write_file(const char *path, const mfr_train_params *p,
                                 const char *comment, mfr_error *err);

/* The help lines for the options above (to f). */
void train_opts_help(FILE *f);

/* Helpers for the commands that parse their own argument loop (train, eval,
 * split, tune, report); errors, numbers and loading are cli.h's (cli_fail,
 * cli_usage_error, cli_parse_int/float, cli_load_dataset). */
/* The value of option argv[*i] (advancing *i), or NULL after a usage error. */
const char *eo_value(const char *cmd, int argc, char **argv, int *i);
/* Per command: --quiet, and Ctrl-C handling (a first Ctrl-C cancels at the
 * next progress report, exit 7; a second kills). */
void eo_begin(int quiet);
/* Progress line on stderr when it is a terminal and not quiet
 * ("tune 12/60  3.1s  ETA 12s"); returns 1 (cancel) after Ctrl-C. */
int eo_progress(const mfr_progress *p, void *user);
/* Short name of a data path: its last component ("ml-latest-small"). */
const char *eo_basename(const char *path);

/* Split options shared by eval, split and tune:
 *   --test-frac F (random holdout), --folds K, --leave-out K (per user),
 *   --time-frac F (global time cut), --user-last K (per user, latest),
 *   --min-user-ratings N, --split-seed S, --train FILE --test FILE. */
typedef struct eo_split {
    mfr_split_params p;
    int given;                 /* a split kind was chosen */
    int seed_set;              /* --split-seed given: --seed leaves the split alone */
    const char *train_file, *test_file;
} eo_split;

/* As train_opts_take: 1 consumed, 0 not a split option, -1 usage error. */
int eo_split_take(const char *cmd, int argc, char **argv, int *i, eo_split *s);
void eo_split_help(FILE *f);
/* "5-fold CV", "holdout 20%", ... into buf. */
void eo_split_describe(const mfr_split_params *p, char *buf, size_t cap);

/* JSON of a CV result: {"mean":{..},"std":{..},"folds":[{..},..]} (NaN: null). */
void eo_cv_json(FILE *f, const mfr_cv_result *r);
/* A JSON number or null. */
void eo_json_num(FILE *f, double v);

#endif
