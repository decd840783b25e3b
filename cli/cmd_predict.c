/* cmd_predict.c — `mfrec predict MODEL --user U --movie M` (one line) or
 * `mfrec predict MODEL --input pairs.csv` (batch). Output lines are
 * "user,movie,prediction[,note]": note is unknown_user, unknown_movie or
 * unknown_user_and_movie when an id is not in the model, whose prediction
 * then falls back to mu plus the known bias (mfr_model_predict with -1).
 * Batch input: one "user,movie" per line, extra columns ignored, a first line
 * that is not numeric (e.g. "userId,movieId") is taken as a header and
 * answered with the header "userId,movieId,prediction,note"; blank lines are
 * skipped; any other malformed line stops with "FILE:LINE: ..." (exit 3).
 * Output is in input order, one line per input line ("-" reads stdin). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char predict_help[] =
    "usage: mfrec predict MODEL --user U --movie M\n"
    "       mfrec predict MODEL --input pairs.csv\n"
    "Predicted ratings, as lines user,movie,prediction[,note].\n"
    "\n"
    "  -u, --user U       userId\n"
    "  -m, --movie M      movieId\n"
    "  -i, --input FILE   lines \"user,movie[,...]\" (header optional, extra columns\n"
    "                     ignored; - for stdin); answers in input order\n"
    "  -h, --help         this help\n"
    "An id missing from the model falls back to the mean and the known bias and is\n"
    "flagged in a fourth column: unknown_user, unknown_movie, unknown_user_and_movie.\n"
    "A malformed input line stops with FILE:LINE and exit status 3.\n";

static const struct option predict_opts[] = {
    {"user", required_argument, 0, 'u'}, {"movie", required_argument, 0, 'm'},
    {"input", required_argument, 0, 'i'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};

static const char *predict_note(int32_t u, int32_t i) {
    if (u < 0 && i < 0) return "unknown_user_and_movie";
    if (u < 0) return "unknown_user";
    if (i < 0) return "unknown_movie";
    return NULL;
}

static void predict_one(FILE *f, const mfr_model *m, long long user, long long movie) {
    int32_t u = mfr_model_user_index(m, user), i = mfr_model_item_index(m, movie);
    const char *note = predict_note(u, i);
    fprintf(f, "%lld,%lld,%.4f%s%s\n", user, movie, (double)mfr_model_predict(m, u, i),
            note ? "," : "", note ? note : "");
}

/* Parses an integer field ending at ',', end of line or whitespace; advances *p. */
static int predict_field(const char **p, long long *out) {
    const char *s = *p;
    while (*s == ' ' || *s == '\t') s++;
    if (*s == '"') s++;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || errno) return -1;
    if (*end == '"') end++;
    while (*end == ' ' || *end == '\t') end++;
    if (*end && *end != ',') return -1;
    *out = v;
    *p = *end ? end + 1 : end;
    return 0;
}

/* 1 when the line's first field is not a number (a header). */
static int predict_is_header(const char *line) {
    const char *s = line;
    while (*s == ' ' || *s == '"') s++;
    return !((*s >= '0' && *s <= '9') || *s == '-' || *s == '+');
}

static int predict_batch(const mfr_model *m, const char *path) {
    FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
    if (!f) {
        fprintf(stderr, "mfrec predict: %s: %s\n", path, strerror(errno));
        return MFR_E_IO;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long ln = 0;
    int rc = 0;
    while (!rc && (len = getline(&line, &cap, f)) >= 0) {
        ln++;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
        if (len == 0 || strspn(line, " \t") == (size_t)len) continue;
        if (ln == 1 && predict_is_header(line)) {
            printf("userId,movieId,prediction,note\n");
            continue;
        }
        const char *p = line;
        long long user, movie;
        if (predict_field(&p, &user) || predict_field(&p, &movie)) {
            fprintf(stderr, "mfrec predict: %s:%ld: expected \"user,movie\" (integer ids), got \"%.80s\"\n",
                    path, ln, line);
            rc = MFR_E_PARSE;
            break;
        }
        predict_one(stdout, m, user, movie);
    }
    if (!rc && ferror(f)) {
        fprintf(stderr, "mfrec predict: %s: read error\n", path);
        rc = MFR_E_IO;
    }
    free(line);
    if (f != stdin) fclose(f);
    return rc;
}

int cmd_predict(int argc, char **argv) {
    long user = 0, movie = 0;
    int have_user = 0, have_movie = 0, c;
    const char *input = NULL;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":u:m:i:h", predict_opts, NULL)) != -1) {
        switch (c) {
        case 'u':
            if (cli_parse_int("predict", "--user", optarg, 0, 9223372036854775807L, &user)) return MFR_E_INVALID;
            have_user = 1;
            break;
        case 'm':
            if (cli_parse_int("predict", "--movie", optarg, 0, 9223372036854775807L, &movie)) return MFR_E_INVALID;
            have_movie = 1;
            break;
        case 'i': input = optarg; break;
        case 'h': fputs(predict_help, stdout); return 0;
        default: return cli_bad_option("predict", c, argv);
        }
    }
    if (optind >= argc) return cli_usage_error("predict", "no MODEL given");
    if (optind + 1 < argc) return cli_usage_error("predict", "unexpected argument \"%s\"", argv[optind + 1]);
    if (input && (have_user || have_movie))
        return cli_usage_error("predict", "give either --input or --user and --movie, not both");
    if (!input && !(have_user && have_movie))
        return cli_usage_error("predict", "--user and --movie (or --input FILE) are required");
    mfr_model *m;
    int rc = cli_load_model("predict", argv[optind], &m);
    if (rc) return rc;
    if (input) rc = predict_batch(m, input);
    else predict_one(stdout, m, user, movie);
    mfr_model_free(m);
    return rc;
}
