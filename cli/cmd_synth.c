/* cmd_synth.c — `mfrec synth -o DIR [...]`: writes MovieLens-shaped synthetic
 * data (ratings.csv, movies.csv, links.csv, optionally tags.csv) generated
 * from a known low-rank model by mfr_synth_write (src/io/synth.c). The
 * options map one to one onto mfr_synth_params. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static const char synth_help[] =
    "usage: mfrec synth -o DIR [options]\n"
    "Write synthetic ratings in the ml-latest-small layout into DIR (created if absent):\n"
    "ratings = 3.5 + b_u + b_i + p_u.q_i + N(0, noise^2), rounded to half stars.\n"
    "\n"
    "  -o, --output DIR    folder to write (required)\n"
    "      --users N       number of users (default 1000)\n"
    "      --movies N      number of movies (default 2000)\n"
    "      --ratings N     number of ratings (default 100000; at most users*movies)\n"
    "      --rank K        rank of the true factors (default 8)\n"
    "      --noise S       std of the rating noise (default 0.5)\n"
    "      --zipf A        movie popularity exponent (default 0.9; 0 = uniform)\n"
    "      --seed N        random seed (default 1); same seed, same bytes\n"
    "      --tags          also write tags.csv\n"
    "  -q, --quiet         print nothing on success\n"
    "  -h, --help          this help\n";

enum { O_USERS = 256, O_MOVIES, O_RATINGS, O_RANK, O_NOISE, O_ZIPF, O_SEED, O_TAGS };

static const struct option synth_opts[] = {
    {"output", required_argument, 0, 'o'}, {"users", required_argument, 0, O_USERS},
    {"movies", required_argument, 0, O_MOVIES}, {"ratings", required_argument, 0, O_RATINGS},
    {"rank", required_argument, 0, O_RANK}, {"noise", required_argument, 0, O_NOISE},
    {"zipf", required_argument, 0, O_ZIPF}, {"seed", required_argument, 0, O_SEED},
    {"tags", no_argument, 0, O_TAGS}, {"quiet", no_argument, 0, 'q'},
    {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};

/* One option into p; returns 0 or the exit status of a usage error. */
static int synth_option(int c, const char *arg, mfr_synth_params *p) {
    long v;
    double d;
    switch (c) {
    case O_USERS:
        if (cli_parse_int("synth", "--users", arg, 1, 100000000, &v)) return MFR_E_INVALID;
        p->users = (int32_t)v;
        return 0;
    case O_MOVIES:
        if (cli_parse_int("synth", "--movies", arg, 1, 100000000, &v)) return MFR_E_INVALID;
        p->movies = (int32_t)v;
        return 0;
    case O_RATINGS:
        if (cli_parse_int("synth", "--ratings", arg, 1, 2000000000, &v)) return MFR_E_INVALID;
        p->ratings = v;
        return 0;
    case O_RANK:
        if (cli_parse_int("synth", "--rank", arg, 1, 1024, &v)) return MFR_E_INVALID;
        p->rank = (int32_t)v;
        return 0;
    case O_NOISE:
        if (cli_parse_float("synth", "--noise", arg, 0, 10, &d)) return MFR_E_INVALID;
        p->noise = (float)d;
        return 0;
    case O_ZIPF:
        if (cli_parse_float("synth", "--zipf", arg, 0, 5, &d)) return MFR_E_INVALID;
        p->zipf = (float)d;
        return 0;
    case O_SEED:
        if (cli_parse_int("synth", "--seed", arg, 0, 2147483647, &v)) return MFR_E_INVALID;
        p->seed = (uint64_t)v;
        return 0;
    case O_TAGS: p->with_tags = 1; return 0;
    }
    return MFR_E_INVALID;
}

int cmd_synth(int argc, char **argv) {
    mfr_synth_params p = mfr_synth_params_default();
    const char *dir = NULL;
    int quiet = 0, c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:qh", synth_opts, NULL)) != -1) {
        switch (c) {
        case 'o': dir = optarg; break;
        case 'q': quiet = 1; break;
        case 'h': fputs(synth_help, stdout); return 0;
        case '?': case ':': return cli_bad_option("synth", c, argv);
        default:
            if (synth_option(c, optarg, &p)) return MFR_E_INVALID;
        }
    }
    if (optind < argc) return cli_usage_error("synth", "unexpected argument \"%s\"", argv[optind]);
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
