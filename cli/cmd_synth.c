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

/* One option into p; returns 0 or the exit status of a usage error. */
static int synth_option(const cli_parser *ps, int c, const char *arg, mfr_synth_params *p) {
    switch (c) {
    case O_USERS: return cli_opt_int(ps, arg, 1, 100000000, &p->users);
    case O_MOVIES: return cli_opt_int(ps, arg, 1, 100000000, &p->movies);
    case O_RATINGS: return cli_opt_int(ps, arg, 1, 2000000000, &p->ratings);
    case O_RANK: return cli_opt_int(ps, arg, 1, 1024, &p->rank);
    case O_NOISE: return cli_opt_float(ps, arg, 0, 10, &p->noise);
    case O_ZIPF: return cli_opt_float(ps, arg, 0, 5, &p->zipf);
    case O_SEED: return cli_opt_int(ps, arg, 0, 2147483647, &p->seed);
    case O_TAGS: p->with_tags = 1; return 0;
    }
    return MFR_E_INVALID;
}

int cmd_synth(int argc, char **argv) {
    mfr_synth_params p = mfr_synth_params_default();
    const char *dir = NULL;
    int quiet = 0, id;
    const char *v;
    cli_parser ps;
    cli_parser_init(&ps, &cli_spec_synth, argc, argv);
    const cli_takes t = {.missing = NULL};
    while ((id = cli_next_own(&ps, &v, &t)) > 0) {
        if (id == O_OUT) dir = v;
        else if (id == O_QUIET) quiet = 1;
        else if (synth_option(&ps, id, v, &p)) return MFR_E_INVALID;
    }
    if (id) return id == CLI_HELP ? 0 : MFR_E_INVALID;
    if (!dir) return cli_usage_error("synth", "-o DIR is required");
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
