/* cmd_recommend.c — `mfrec recommend MODEL --user ID [...]`: the top-N movies
 * the user has not rated, best first, by predicted rating
 * (mfr_model_recommend), as a table or a JSON array. An id not in the model
 * is an error (exit 6), never a silent fallback. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static const char recommend_help[] =
    "usage: mfrec recommend MODEL --user ID [options]\n"
    "Top-N movies the user has not rated, by predicted rating.\n"
    "\n"
    "  -u, --user ID          userId as in the ratings (required)\n"
    "  -n, --count N          how many (default 10)\n"
    "      --genre G          only movies of this genre (case-insensitive), e.g. Comedy\n"
    "      --min-ratings N    skip movies with fewer training ratings (default 1)\n"
    "      --json             a JSON array of {rank, movieId, prediction, title, genres}\n"
    "  -h, --help             this help\n"
    "Exit status 6 when the user is not in the model.\n";

enum { O_GENRE = 256, O_MIN, O_JSON };

static const struct option recommend_opts[] = {
    {"user", required_argument, 0, 'u'}, {"count", required_argument, 0, 'n'},
    {"genre", required_argument, 0, O_GENRE}, {"min-ratings", required_argument, 0, O_MIN},
    {"json", no_argument, 0, O_JSON}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};

int cmd_recommend(int argc, char **argv) {
    mfr_recommend_params rp = mfr_recommend_params_default();
    long user = 0, v;
    int have_user = 0, json = 0, c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":u:n:h", recommend_opts, NULL)) != -1) {
        switch (c) {
        case 'u':
            if (cli_parse_int("recommend", "--user", optarg, 0, 9223372036854775807L, &user)) return MFR_E_INVALID;
            have_user = 1;
            break;
        case 'n':
            if (cli_parse_int("recommend", "-n", optarg, 1, 100000, &v)) return MFR_E_INVALID;
            rp.n = (int32_t)v;
            break;
        case O_GENRE: rp.genre = optarg; break;
        case O_MIN:
            if (cli_parse_int("recommend", "--min-ratings", optarg, 0, 2000000000, &v)) return MFR_E_INVALID;
            rp.min_ratings = (int32_t)v;
            break;
        case O_JSON: json = 1; break;
        case 'h': fputs(recommend_help, stdout); return 0;
        default: return cli_bad_option("recommend", c, argv);
        }
    }
    if (optind >= argc) return cli_usage_error("recommend", "no MODEL given");
    if (optind + 1 < argc) return cli_usage_error("recommend", "unexpected argument \"%s\"", argv[optind + 1]);
    if (!have_user) return cli_usage_error("recommend", "--user ID is required");
    mfr_model *m;
    int rc = cli_load_model("recommend", argv[optind], &m);
    if (rc) return rc;
    mfr_error err = {0};
    int32_t u = mfr_model_user_index(m, user);
    if (u < 0) {
        mfr_model_free(m);
        fprintf(stderr, "mfrec recommend: no user with id %ld in the model\n", user);
        return MFR_E_NOT_FOUND;
    }
    mfr_scored *rows = malloc((size_t)rp.n * sizeof *rows);
    int32_t n = 0;
    mfr_status s = rows ? mfr_model_recommend(m, u, &rp, rows, &n, &err) : MFR_E_NOMEM;
    if (!s) cli_print_scored(stdout, m, rows, n, "prediction", json);
    if (!s && !json && n == 0) fprintf(stderr, "mfrec recommend: no movie matches the filters\n");
    free(rows);
    mfr_model_free(m);
    return s ? cli_fail("recommend", s, &err) : 0;
}
