/* cmd_similar.c — `mfrec similar MODEL MOVIE [...]`: the movies closest to
 * one movie (mfr_model_similar): by default from who rated both
 * (co-occurrence re-scored by a neighbourhood regression: any model family),
 * or by Pearson correlation / cosine of the factor vectors. MOVIE is a
 * movieId or a title as people type it (cli_resolve_movie: the library's
 * title matcher; one exact title wins); otherwise the candidates are listed
 * and the exit status is 10 so the user can pick an id. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

enum { O_COUNT = 1, O_METRIC, O_MIN, O_JSON };

static const cli_opt similar_opts[] = {
    {O_COUNT, 'n', "count", "N", "how many (10)"},
    {O_METRIC, 0, "metric", "M",
     "cooccurrence (default: who rated both movies; any model),\nor pearson / cosine of the movie factors"},
    {O_MIN, 0, "min-ratings", "N", "skip movies with fewer training ratings (5)"},
    {O_JSON, 0, "json", NULL, "a JSON array of {rank, movieId, score, title, genres}"},
    {0, 0, 0, 0, 0}};

const cli_spec cli_spec_similar = {
    "similar", "movies most similar to a movie", "similar MODEL MOVIE [options]",
    "Movies most similar to MOVIE (a movieId, or a title as you would type it:\n"
    "\"the matrix\", \"godfather 1972\"; one exact title wins, else candidates are listed).",
    similar_opts, 0,
    "Exit status 6 when no movie matches, 10 when several titles match (they are listed)."};

int cmd_similar(int argc, char **argv) {
    long n = 10, min_ratings = MFR_SIMILAR_MIN_RATINGS;
    int json = 0, k = 0;
    const char *pos[2] = {NULL, NULL};
    const cli_val vals[] = {CLI_INT(O_COUNT, 1, 100000, &n),
                            CLI_INT(O_MIN, 0, 2000000000, &min_ratings),
                            CLI_CHOICE(O_METRIC, "cooccurrence|pearson|cosine", &k),
                            CLI_FLAG(O_JSON, &json), {0}};
    const cli_takes t = {.args = {&pos[0], &pos[1]}, .missing = "expected MODEL and MOVIE",
                         .vals = vals};
    int rc = cli_parse(&cli_spec_similar, argc, argv, &t);
    if (rc) return rc < 0 ? 0 : rc;
    mfr_sim metric = (mfr_sim[]){MFR_SIM_COOC, MFR_SIM_PEARSON, MFR_SIM_COSINE}[k];
    mfr_model *m;
    if ((rc = cli_load_model("similar", pos[0], &m))) return rc;
    mfr_error err = {0};
    int32_t item, got = 0;
    mfr_status s = cli_resolve_movie(m, pos[1], &item, &err);
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
        cli_print_scored(stdout, m, rows, got, 0, json);
    }
    free(rows);
    mfr_model_free(m);
    return s ? cli_fail("similar", s, &err) : 0;
}
