/* cmd_similar.c — `mfrec similar MODEL MOVIE [...]`: the movies closest to
 * one movie (mfr_model_similar): by default from who rated both
 * (co-occurrence re-scored by a neighbourhood regression: any model family),
 * or by Pearson correlation / cosine of the factor vectors. MOVIE is a
 * movieId or a title as people type it (cli_resolve_movie: the library's
 * title matcher; one exact title wins); otherwise the candidates are listed
 * and the exit status is 10 so the user can pick an id. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

static const char similar_help[] =
    "usage: mfrec similar MODEL MOVIE [options]\n"
    "Movies most similar to MOVIE (a movieId, an exact title, or part of a title).\n"
    "\n"
    "  -n, --count N          how many (default 10)\n"
    "      --metric M         cooccurrence (default: who rated both movies; any model),\n"
    "                         or pearson / cosine of the movie factors\n"
    "      --min-ratings N    skip movies with fewer training ratings (default 5)\n"
    "      --json             a JSON array of {rank, movieId, score, title, genres}\n"
    "  -h, --help             this help\n"
    "Exit status 6 when no movie matches, 10 when several titles match (they are listed).\n";

enum { O_METRIC = 256, O_MIN, O_JSON };

static const struct option similar_opts[] = {
    {"count", required_argument, 0, 'n'}, {"metric", required_argument, 0, O_METRIC},
    {"min-ratings", required_argument, 0, O_MIN}, {"json", no_argument, 0, O_JSON},
    {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};

int cmd_similar(int argc, char **argv) {
    long n = 10, min_ratings = MFR_SIMILAR_MIN_RATINGS;
    mfr_sim metric = MFR_SIM_COOC;
    int json = 0, c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":n:h", similar_opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (cli_parse_int("similar", "-n", optarg, 1, 100000, &n)) return MFR_E_INVALID;
            break;
        case O_METRIC:
            if (!strcasecmp(optarg, "cooccurrence")) metric = MFR_SIM_COOC;
            else if (!strcasecmp(optarg, "pearson")) metric = MFR_SIM_PEARSON;
            else if (!strcasecmp(optarg, "cosine")) metric = MFR_SIM_COSINE;
            else
                return cli_usage_error(
                    "similar", "--metric: expected cooccurrence, pearson or cosine, got \"%s\"",
                    optarg);
            break;
        case O_MIN:
            if (cli_parse_int("similar", "--min-ratings", optarg, 0, 2000000000, &min_ratings))
                return MFR_E_INVALID;
            break;
        case O_JSON: json = 1; break;
        case 'h': fputs(similar_help, stdout); return 0;
        default: return cli_bad_option("similar", c, argv);
        }
    }
    if (optind + 2 > argc) return cli_usage_error("similar", "expected MODEL and MOVIE");
    if (optind + 2 < argc) return cli_usage_error("similar", "unexpected argument \"%s\"", argv[optind + 2]);
    mfr_model *m;
    int rc = cli_load_model("similar", argv[optind], &m);
    if (rc) return rc;
    mfr_error err = {0};
    int32_t item, got = 0;
    mfr_status s = cli_resolve_movie(m, argv[optind + 1], &item, &err);
    mfr_scored *rows = NULL;
    if (!s) {
        rows = malloc((size_t)n * sizeof *rows);
        s = rows ? mfr_model_similar(m, item, metric, (int32_t)n, (int32_t)min_ratings, rows, &got, &err)
                 : MFR_E_NOMEM;
    }
    if (!s) {
        if (!json)
            printf("movies most similar to %s [movieId %lld]:\n", mfr_model_item_title(m, item),
                   (long long)mfr_model_item_id(m, item));
        cli_print_scored(stdout, m, rows, got, "score", json);
    }
    free(rows);
    mfr_model_free(m);
    return s ? cli_fail("similar", s, &err) : 0;
}
