/* cmd_synth.c — `mfrec synth -o DIR [...]`: writes MovieLens-shaped synthetic
 * data (ratings.csv, movies.csv, links.csv, optionally tags.csv) generated
 * from a known low-rank model by mfr_synth_write (src/io/synth.c). The
 * options map one to one onto mfr_synth_params. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"

enum { O_OUT = 1, O_QUIET, O_USERS, O_MOVIES, O_RATINGS, O_RANK, O_NOISE, O_ZIPF, O_SEED, O_TAGS };

static const cli_opt synth_opts[] = {
    {O_OUT, 'o', "output", "DIR", "folder to write (required)"},
    {O_USERS, 0, "users", "N", "users (1000)"},
    {O_MOVIES, 0, "movies", "N", "movies (2000)"},
    {O_RATINGS, 0, "ratings", "N", "ratings (100000); exact, unless users x movies is smaller"},
    {O_RANK, 0, "rank", "K", "rank of the true factors (8)"},
    {O_NOISE, 0, "noise", "S", "standard deviation of the noise, 0..10 (0.5)"},
    {O_ZIPF, 0, "zipf", "A", "popularity exponent, 0 = uniform (0.9)"},
    {O_SEED, 0, "seed", "N", "random seed (1); the same seed gives the same bytes"},
    {O_TAGS, 0, "tags", NULL, "also write tags.csv"},
    {O_QUIET, 'q', "quiet", NULL, "print nothing on success"},
    {0, 0, 0, 0, 0}};

const cli_spec cli_spec_synth = {
    "synth", "generate MovieLens-shaped synthetic data", "synth -o DIR [options]",
    "Write synthetic ratings in the ml-latest-small layout into DIR (created if absent):\n"
    "ratings = 3.5 + b_u + b_i + p_u.q_i + N(0, noise^2), rounded to half stars.",
    synth_opts, 0, NULL};

int cmd_synth(int argc, char **argv) {
    mfr_synth_params p = mfr_synth_params_default();
    const char *dir = NULL;
    int quiet = 0;
    const cli_val vals[] = {CLI_NEED(O_OUT, &dir, "-o DIR is required"),
                            CLI_FLAG(O_QUIET, &quiet),
                            CLI_FLAG(O_TAGS, &p.with_tags),
                            CLI_INT(O_USERS, 1, 100000000, &p.users),
                            CLI_INT(O_MOVIES, 1, 100000000, &p.movies),
                            CLI_INT(O_RATINGS, 1, 2000000000, &p.ratings),
                            CLI_INT(O_RANK, 1, 1024, &p.rank),
                            CLI_FLOAT(O_NOISE, 0, 10, &p.noise),
                            CLI_FLOAT(O_ZIPF, 0, 5, &p.zipf),
                            CLI_INT(O_SEED, 0, 2147483647, &p.seed), {0}};
    const cli_takes t = {.vals = vals};
    int rc = cli_parse(&cli_spec_synth, argc, argv, &t);
    if (rc) return rc < 0 ? 0 : rc;
    mfr_error err = {0};
    double t0 = cli_now();
    mfr_status s = mfr_synth_write(&p, dir, &err);
    if (s) return cli_fail("synth", s, &err);
    int64_t cells = (int64_t)p.users * p.movies;
    if (!quiet)
        printf("wrote %lld ratings by %d users of %d movies (rank %d, noise %g, zipf %g, seed %llu) to %s in %.1f s\n",
               (long long)(p.ratings < cells ? p.ratings : cells), p.users, p.movies, p.rank,
               (double)p.noise, (double)p.zipf, (unsigned long long)p.seed, dir,
               cli_now() - t0);
    return 0;
}
