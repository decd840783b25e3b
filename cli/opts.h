/* opts.h — the one option layer of every subcommand.
 *
 * Each command describes its options once, in a table of cli_opt rows inside
 * its cli_spec; from that table come the parsing (cli_next), the --help text
 * (cli_help), `mfrec help CMD`, the option tables of docs/cli.md, the man page
 * and the bash completion (cli_gen_*, run by scripts/gen-cli-docs), so none of
 * them can disagree with what the parser accepts.
 *
 * Spellings accepted for every option of every command: --name VALUE,
 * --name=VALUE, and for those with a short letter -n VALUE and -nVALUE; a
 * flag takes no value (--json=1 is an error); "--" ends the options; options
 * and positional arguments may come in any order. -h/--help prints the help
 * and exits 0. Commands that train also take the training option group
 * (train_opts.h: --algo, --params, --set, --NAME VALUE for every training
 * parameter); eval, split and tune the split option group; import and train
 * the import option group (--format, --columns, --scale, --movies...); eval,
 * tune and report the ranking-metric group (--k, --threshold): all four in
 * train_opts.h. The values of a command's own options are rows of its
 * cli_takes.vals (a number, a choice, a text, a flag: read straight into
 * their fields), else read with cli_opt_int, cli_opt_float and
 * cli_opt_choice (cli.h). A command reads its line with cli_parse, or with
 * cli_next_own where some option needs more than a field (--seed), which
 * takes the positional arguments, the vals and the groups for it. */
#ifndef MFR_CLI_OPTS_H
#define MFR_CLI_OPTS_H

#include <stdio.h>
#include "mfrec.h"

typedef struct cli_opt {
    int id;           /* > 0, returned by cli_next; a row with id 0 ends a table */
    char shrt;        /* short letter, or 0 */
    const char *name; /* long name without "--" */
    const char *meta; /* value placeholder ("N", "FILE"); NULL for a flag */
    const char *help; /* what it does (default); '\n' breaks the line in --help */
} cli_opt;

/* Option groups a command may take besides its own table. */
enum { CLI_G_TRAIN = 1, CLI_G_SPLIT = 2, CLI_G_IMPORT = 4, CLI_G_RANK = 8 };

typedef struct cli_spec {
    const char *name;    /* "recommend" */
    const char *summary; /* one line, for `mfrec --help` and the man page */
    const char *usage;   /* synopsis lines without "usage: mfrec ", '\n'-separated */
    const char *about;   /* paragraph under the synopsis (may be NULL) */
    const cli_opt *opts; /* the command's own options, ending with {0} */
    unsigned groups;     /* CLI_G_* */
    const char *notes;   /* text after the options (may be NULL) */
} cli_spec;

/* cli_next's answers other than an option id. */
enum { CLI_END = 0, CLI_ARG = -1, CLI_HELP = -2, CLI_ERR = -3 };

/* Ids of the shared groups (train_opts.c handles them). */
enum {
    CLI_T_ALGO = 1000, CLI_T_PARAMS, CLI_T_SET, CLI_T_PARAM, /* --NAME VALUE */
    CLI_S_TEST_FRAC = 1100, CLI_S_FOLDS, CLI_S_LEAVE_OUT, CLI_S_TIME_FRAC, CLI_S_USER_LAST,
    CLI_S_MIN_USER, CLI_S_SPLIT_SEED, CLI_S_TRAIN, CLI_S_TEST,
    CLI_I_FORMAT = 1200, CLI_I_COLUMNS, CLI_I_DELIM, CLI_I_HEADER, CLI_I_SCALE, CLI_I_MOVIES,
    CLI_I_STRICT,
    CLI_R_K = 1300, CLI_R_THRESHOLD
};

typedef struct cli_parser {
    const cli_spec *spec;
    int argc;
    char **argv;
    int i;             /* next argv index */
    int no_more_opts;  /* after "--" */
    char opt[64];      /* the option being answered, as "--name" (for messages) */
    char param[40];    /* CLI_T_PARAM: the field name, dashes as underscores */
} cli_parser;

/* Every registered command's spec (main.c), NULL-terminated. */
extern const cli_spec *const cli_specs[];
const cli_spec *cli_spec_find(const char *name);

void cli_parser_init(cli_parser *ps, const cli_spec *spec, int argc, char **argv);
/* The next option (its id; *val its value or NULL for a flag), CLI_ARG (a
 * positional argument in *val), CLI_END, CLI_HELP (the help was printed:
 * the command returns 0) or CLI_ERR (a usage error was printed: the command
 * returns MFR_E_INVALID). */
int cli_next(cli_parser *ps, const char **val);
/* What a command's option loop takes besides its own options: the slots its
 * positional arguments fill in order (a further one is the usage error
 * 'unexpected argument "X"'), the usage error printed at the end while a
 * slot is empty (NULL: the command checks), the options read straight into
 * their fields (vals) and where the shared groups of its spec go
 * (train_opts.h). */
struct train_opts;
struct cli_split;
/* A command's option read straight into its field, a row of cli_takes.vals:
 * a number in lo..hi as cli_opt_int / cli_opt_float (cli.h) read it
 * (CLI_INT(O_COUNT, 1, 100000, &n), CLI_FLOAT), one of '|'-separated names
 * as its position, as cli_opt_choice reads it (CLI_CHOICE(O_FORMAT,
 * "csv|json", &json)), the value as given (CLI_TEXT(O_OUT, &path); CLI_NEED
 * when the command requires it: msg is the usage error printed at the end
 * while it is missing), or for a flag a constant into an int
 * (CLI_SET(O_NO_RANKING, &ranking, 0); CLI_FLAG sets 1). */
enum { CLI_K_NUM, CLI_K_CHOICE, CLI_K_TEXT, CLI_K_SET };
typedef struct cli_val {
    int id;
    void *out;
    size_t size;
    long lo, hi;      /* an integer; CLI_SET: the constant */
    double flo, fhi;  /* a float or double (flo < fhi) */
    int kind;         /* CLI_K_* */
    const char *text; /* CLI_CHOICE: the names; CLI_NEED: the usage error */
} cli_val;
/* The field's type chooses the store (cli_opt_int: int, int32_t, long,
 * int64_t, uint64_t, size_t; cli_opt_float: float, double; CLI_CHOICE and
 * CLI_SET: int; CLI_TEXT: const char *; another type does not compile). */
#define CLI_INT_OUT(out) _Generic((out), int *: (void *)(out), long *: (void *)(out), unsigned long *: (void *)(out))
#define CLI_FLOAT_OUT(out) _Generic((out), float *: (void *)(out), double *: (void *)(out))
#define CLI_INT(id, lo, hi, out) {(id), CLI_INT_OUT(out), sizeof *(out), (lo), (hi), 0, 0, CLI_K_NUM, NULL}
#define CLI_FLOAT(id, lo, hi, out) {(id), CLI_FLOAT_OUT(out), sizeof *(out), 0, 0, (lo), (hi), CLI_K_NUM, NULL}
#define CLI_INT_ONLY(out) _Generic((out), int *: (void *)(out))
#define CLI_TEXT_OUT(out) _Generic((out), const char **: (void *)(out))
#define CLI_CHOICE(id, names, out) {(id), CLI_INT_ONLY(out), sizeof(int), 0, 0, 0, 0, CLI_K_CHOICE, (names)}
#define CLI_NEED(id, out, msg) {(id), CLI_TEXT_OUT(out), 0, 0, 0, 0, 0, CLI_K_TEXT, (msg)}
#define CLI_TEXT(id, out) CLI_NEED(id, out, NULL)
#define CLI_SET(id, out, v) {(id), CLI_INT_ONLY(out), sizeof(int), (v), 0, 0, 0, CLI_K_SET, NULL}
#define CLI_FLAG(id, out) CLI_SET(id, out, 1)
typedef struct cli_takes {
    const char **args[2];
    const char *missing;
    const cli_val *vals; /* ending with {0} (NULL: none) */
    struct train_opts *train;
    struct cli_split *split;
    mfr_ranking_params *rank;
    mfr_import_params *import;
} cli_takes;
/* The value v of option id when vals has it: 1 stored, -1 after the usage
 * error, 0 not one of vals. */
int cli_val_take(const cli_parser *ps, int id, const char *v, const cli_val *vals);
/* cli_next with the positional arguments, the rows of t->vals and the group
 * options taken as t says: the next of the command's other options (its id,
 * > 0), or CLI_END, CLI_HELP, CLI_ERR as cli_next. A command's loop ends
 * with "if (id) return cli_stop(id);". */
int cli_next_own(cli_parser *ps, const char **val, const cli_takes *t);
/* The whole command line of a command whose every option t reads (a row of
 * t->vals or a group): 0, or as cli_stop. */
int cli_parse(const cli_spec *spec, int argc, char **argv, const cli_takes *t);
/* After the loop: -1 for CLI_HELP (the command returns 0), else MFR_E_INVALID. */
int cli_stop(int id);
/* The help of a command (to f); for a command with training options and an
 * algo named, also that family's parameters and their defaults. */
void cli_help(FILE *f, const cli_spec *spec, const char *algo);

/* Generated documents (scripts/gen-cli-docs writes them into the tree). */
void cli_gen_markdown(FILE *f, const cli_spec *spec); /* the option table of docs/cli.md */
void cli_gen_man(FILE *f);                           /* man/mfrec.1 */
void cli_gen_bash(FILE *f);                          /* completions/mfrec.bash */
/* Every long option a command takes (one a line, "--name"), for tests. */
void cli_gen_options(FILE *f, const cli_spec *spec);

#endif
