/* cli.h — what the subcommands share: error reporting, progress on a
 * terminal, loading data or a model from a path, Ctrl-C handling.
 * Each subcommand lives in cli/cmd_<name>.c as
 *     int cmd_<name>(int argc, char **argv);   (argv[0] is the name)
 *     const cli_spec cli_spec_<name>;           (its options: opts.h)
 * returning the process exit status: 0, or the mfr_status of the failure
 * (see docs/cli.md), with MFR_E_INVALID (5) for bad command-line usage. */
#ifndef MFR_CLI_H
#define MFR_CLI_H

#include <signal.h>
#include <stdio.h>
#include "mfrec.h"
#include "opts.h"

/* The one error helper: prints "mfrec <cmd>: <message>" to stderr as one
 * write (ending a progress line first) and returns the exit status s. cli_fail takes the
 * message of a library error (or the status's own text). */
int cli_error(const char *cmd, mfr_status s, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int cli_fail(const char *cmd, mfr_status s, const mfr_error *err);
/* Prints "mfrec <cmd>: <formatted>" and a hint to run --help; returns MFR_E_INVALID. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* --quiet, and whether stderr is a terminal: progress is shown only when
 * stderr is a terminal and not quiet. */
void cli_set_quiet(int quiet);
/* --verbose: the library's log lines (mfr_set_log, info level and up) go to
 * stderr as "mfrec: LINE", e.g. training's memory plan. */
void cli_set_verbose(void);
int cli_show_progress(void);
/* The one progress style, a mfr_progress_fn for every command: one updating
 * terminal line, "epoch 3/20  train 0.8123  valid 0.8765  1.2s  ETA 4s",
 * "tune 17/60  6.2s  ETA 15s", "reading: 2097152 rows  0.5s"; returns 1
 * (cancel) once Ctrl-C was pressed. */
int cli_progress(const mfr_progress *p, void *user);
/* Install a SIGINT handler that sets cli_interrupted (a second Ctrl-C kills). */
void cli_catch_sigint(void);
extern volatile sig_atomic_t cli_interrupted;

/* err (may be NULL) as the status s and the formatted message; returns s. */
mfr_status cli_set_error(mfr_error *err, mfr_status s, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* err (may be NULL) as "PATH: <strerror(errno)>" with MFR_E_IO; returns MFR_E_IO. */
mfr_status cli_io_error(mfr_error *err, const char *path);
/* Load a dataset from any accepted path (folder, zip, ratings file, .mfd). */
mfr_status cli_load_dataset(const char *path, const mfr_import_params *p,
                            mfr_dataset **out, mfr_error *err);

/* The value of the option just returned as a number in lo..hi, stored into
 * *out of its own type (CLI_INT_OUT, opts.h), so a command reads an option
 * straight into its field; 0, or MFR_E_INVALID after printing
 * "mfrec CMD: --opt: ...". A command's plain option is a row of its
 * cli_takes.vals instead (opts.h). */
#define cli_opt_int(ps, v, lo, hi, out) cli_opt_int_n(ps, v, lo, hi, CLI_INT_OUT(out), sizeof *(out))
#define cli_opt_float(ps, v, lo, hi, out) cli_opt_float_n(ps, v, lo, hi, CLI_FLOAT_OUT(out), sizeof *(out))
int cli_opt_int_n(const cli_parser *ps, const char *v, long lo, long hi, void *out, size_t size);
int cli_opt_float_n(const cli_parser *ps, const char *v, double lo, double hi, void *out, size_t size);
/* The value of the option just returned as one of the '|'-separated names
 * (any case): its position into *out; 0, or MFR_E_INVALID after printing
 * 'mfrec CMD: --opt: expected A, B or C, got "X"'. */
int cli_opt_choice(const cli_parser *ps, const char *v, const char *names, int *out);
/* A usage error about the option just returned: "mfrec CMD: --opt: <fmt>". */
int cli_opt_error(const cli_parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Resolve a movie given as an external id or a title (mfr_model_search_titles:
 * one exact title, or the only non-typo match): otherwise prints the best
 * candidates and returns MFR_E_AMBIGUOUS (MFR_E_NOT_FOUND for none). */
mfr_status cli_resolve_movie(const mfr_model *m, const char *query, int32_t *item,
                             mfr_error *err);

/* JSON string escaping to f. */
void cli_json_string(FILE *f, const char *s);
/* One CSV field (RFC 4180: quoted when it holds a comma, quote or newline,
 * quotes doubled). */
void cli_csv_field(FILE *f, const char *s);
/* A JSON number, or null for NaN and infinities. */
void cli_json_num(FILE *f, double v);

/* --quiet and Ctrl-C handling for a command (cli_set_quiet + cli_catch_sigint). */
void cli_begin(int quiet);
/* 1 when path names a model file (ends in ".mfm", with a name before it). */
int cli_is_model_path(const char *path);
/* Short name of a data path: its last component ("ml-latest-small"). */
const char *cli_basename(const char *path);
/* Ends the progress line (newline) if one was drawn. */
void cli_progress_end(void);
/* A '|'-separated genre list as a JSON array of strings. */
void cli_json_genres(FILE *f, const char *genres);
/* Display width of UTF-8 text (code points), and printing padded to width. */
int cli_text_width(const char *s);
void cli_print_padded(FILE *f, const char *s, int width);
/* The statistics block `import` and `info` print for a dataset. */
void cli_print_dataset_stats(FILE *f, const mfr_dataset *ds);
/* The same as JSON members ("users": .., "ratings": .., ...; no braces). */
void cli_json_dataset_stats(FILE *f, const mfr_dataset *ds);
/* Movies a model's lists can hold: mfr_model_info's ranked_items for the
 * families whose ranker covers only some (those that read rank_min_ratings:
 * ease, auto), else every movie (ials, knn, content report 0 there). */
int32_t cli_ranked_items(const mfr_model_info *in);
/* Monotonic clock in seconds. */
double cli_now(void);
/* Answer rows (rank, movieId, score, 3 decimals; with recs the list is
 * recommendations and prediction, the predicted rating with 1 decimal,
 * follows the score; title, genres) as a table, or with json an array of
 * objects with those keys (score 4 decimals, genres as an array). */
void cli_print_scored(FILE *f, const mfr_model *m, const mfr_scored *rows, int32_t n, int recs,
                      int json);
/* One row as a JSON object (no newline), as cli_print_scored. */
void cli_json_rec(FILE *f, const mfr_model *m, const mfr_scored *row, int32_t rank, int recs);
/* An output file written under a temporary name beside it ("PATH.tmp.PID")
 * and renamed over PATH once complete, so a reader never sees half a file
 * and a failure leaves no temporary behind; path NULL: standard output. */
typedef struct cli_out {
    FILE *f;
    const char *path; /* as given (kept until cli_out_close) */
    char tmp[4200];
} cli_out;
/* Open it ("w" or "wb"): 0, or -1 with errno set. */
int cli_out_open(cli_out *o, const char *path, const char *mode);
/* ok: check every write, close and rename over path (stdout: flush), 0 once
 * the file is in place; -1 with errno set when that failed. !ok: remove
 * it, 0 (errno as it was). */
int cli_out_close(cli_out *o, int ok);
/* mfr_model_load with the failure printed; returns 0 or the exit status. */
int cli_load_model(const char *cmd, const char *path, mfr_model **out);

#endif
