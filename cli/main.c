/* main.c — the mfrec command: a table of subcommands and a dispatcher.
 * Each subcommand is cmd_<name> in cli/cmd_<name>.c with its option table
 * cli_spec_<name> (opts.h), which also makes `mfrec help CMD`, the man page,
 * the bash completion and the option tables of docs/cli.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define COMMANDS(X)                                                                                \
    X(import) X(synth) X(train) X(recommend) X(similar) X(predict) X(eval) X(info) X(split)        \
    X(tune) X(report) X(cluster) X(project) X(export) X(serve)

#define DECLARE(name)                                                                              \
    int cmd_##name(int argc, char **argv);                                                         \
    extern const cli_spec cli_spec_##name;
COMMANDS(DECLARE)
#undef DECLARE

typedef struct command {
    const cli_spec *spec;
    int (*fn)(int argc, char **argv);
} command;

#define ROW(name) {&cli_spec_##name, cmd_##name},
static const command commands[] = {COMMANDS(ROW)};
#undef ROW
#define SPEC(name) &cli_spec_##name,
const cli_spec *const cli_specs[] = {COMMANDS(SPEC) NULL};
#undef SPEC

#define N_COMMANDS (sizeof commands / sizeof *commands)

static void usage(FILE *f) {
    fprintf(f, "usage: mfrec <command> [options]   (mfrec help <command>, or mfrec <command> --help)\n\ncommands:\n");
    for (size_t c = 0; c < N_COMMANDS; c++)
        fprintf(f, "  %-10s %s\n", commands[c].spec->name, commands[c].spec->summary);
    fprintf(f, "\nmfrec %s — https://grouplens.org/datasets/movielens/ data: cite Harper & Konstan 2015\n",
            mfr_version());
}

/* mfrec help [CMD | --man | --bash-completion | --markdown CMD | --options CMD] */
static int help(int argc, char **argv) {
    if (argc < 3) {
        usage(stdout);
        return 0;
    }
    const char *a = argv[2];
    if (!strcmp(a, "--man")) return cli_gen_man(stdout), 0;
    if (!strcmp(a, "--bash-completion")) return cli_gen_bash(stdout), 0;
    int gen = !strcmp(a, "--markdown") ? 1 : !strcmp(a, "--options") ? 2 : 0;
    const char *name = gen ? (argc > 3 ? argv[3] : NULL) : a;
    const cli_spec *s = cli_spec_find(name);
    if (!s) {
        return cli_error("help", MFR_E_INVALID, "unknown command '%s' (see mfrec help)", name ? name : "");
    }
    if (gen == 1) cli_gen_markdown(stdout, s);
    else if (gen == 2) cli_gen_options(stdout, s);
    else cli_help(stdout, s, NULL);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return MFR_E_INVALID;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "help")) return help(argc, argv);
    if (!strcmp(argv[1], "--version")) {
        printf("mfrec %s\n", mfr_version());
        return 0;
    }
    for (size_t c = 0; c < N_COMMANDS; c++)
        if (!strcmp(argv[1], commands[c].spec->name)) return commands[c].fn(argc - 1, argv + 1);
    fprintf(stderr, "mfrec: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return MFR_E_INVALID;
}
