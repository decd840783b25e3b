/* main.c — the mfrec command: a table of subcommands and a dispatcher.
 * Each subcommand is cmd_<name> in cli/cmd_<name>.c.
 * Every "--name=value" argument is split into "--name" "value" before the
 * subcommand sees it, so each command (getopt or its own loop) takes both
 * spellings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define CMD(name) int cmd_##name(int argc, char **argv);
CMD(import) CMD(synth) CMD(train) CMD(recommend) CMD(similar) CMD(predict)
CMD(eval) CMD(info) CMD(split) CMD(tune) CMD(report) CMD(cluster) CMD(project)
CMD(serve)
#undef CMD

typedef struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"import", cmd_import, "read MovieLens or CSV ratings, report, write a .mfd dataset"},
    {"synth", cmd_synth, "generate MovieLens-shaped synthetic data"},
    {"train", cmd_train, "train a model and save it (.mfm)"},
    {"recommend", cmd_recommend, "top-N unseen movies for a user"},
    {"similar", cmd_similar, "movies most similar to a movie"},
    {"predict", cmd_predict, "predicted ratings for user/movie pairs"},
    {"eval", cmd_eval, "train on a split and measure accuracy"},
    {"info", cmd_info, "show what a model or dataset holds"},
    {"split", cmd_split, "write train/test splits as files"},
    {"tune", cmd_tune, "grid or random search of parameters by cross-validation"},
    {"report", cmd_report, "an HTML report with charts"},
    {"cluster", cmd_cluster, "k-means clusters of movie factors"},
    {"project", cmd_project, "2-D PCA map of movie factors"},
    {"serve", cmd_serve, "HTTP API and web page"},
};

static void usage(FILE *f) {
    fprintf(f, "usage: mfrec <command> [options]   (mfrec <command> --help for more)\n\ncommands:\n");
    for (size_t c = 0; c < sizeof commands / sizeof *commands; c++)
        fprintf(f, "  %-10s %s\n", commands[c].name, commands[c].summary);
    fprintf(f, "\nmfrec %s — https://grouplens.org/datasets/movielens/ data: cite Harper & Konstan 2015\n",
            mfr_version());
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return MFR_E_INVALID;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("mfrec %s\n", mfr_version());
        return 0;
    }
    for (size_t c = 0; c < sizeof commands / sizeof *commands; c++) {
        if (strcmp(argv[1], commands[c].name)) continue;
        /* argv[1..] with each --name=value split in two (at the first '=') */
        char **av = malloc(sizeof *av * (2 * (size_t)argc + 1));
        char **names = malloc(sizeof *names * ((size_t)argc + 1));
        if (!av || !names) {
            free(av);
            free(names);
            fprintf(stderr, "mfrec: out of memory\n");
            return MFR_E_NOMEM;
        }
        int n = 0, nn = 0;
        for (int i = 1; i < argc; i++) {
            const char *eq = strncmp(argv[i], "--", 2) == 0 ? strchr(argv[i], '=') : NULL;
            if (!eq || eq == argv[i] + 2) {
                av[n++] = argv[i];
                continue;
            }
            names[nn] = strndup(argv[i], (size_t)(eq - argv[i]));
            if (!names[nn]) {
                av[n++] = argv[i];
                continue;
            }
            av[n++] = names[nn++];
            av[n++] = (char *)eq + 1;
        }
        av[n] = NULL;
        int rc = commands[c].fn(n, av);
        for (int j = 0; j < nn; j++) free(names[j]);
        free(names);
        free(av);
        return rc;
    }
    fprintf(stderr, "mfrec: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return MFR_E_INVALID;
}
