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
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { O_USER = 1, O_MOVIE, O_INPUT, O_JSON };

static const cli_opt predict_opts[] = {
    {O_USER, 'u', "user", "U", "userId"},
    {O_MOVIE, 'm', "movie", "M", "movieId"},
    {O_INPUT, 'i', "input", "FILE",
     "lines \"user,movie[,...]\" (header optional, extra columns ignored;\n- for stdin); answers in input order"},
    {O_JSON, 0, "json", NULL,
     "JSON lines instead of CSV: one {\"user\", \"movie\", \"prediction\", \"note\"}\nobject a line"},
    {0, 0, 0, 0, 0}};

const cli_spec cli_spec_predict = {
    "predict", "predicted ratings for user/movie pairs",
    "predict MODEL --user U --movie M\npredict MODEL --input pairs.csv",
    "Predicted ratings, as lines user,movie,prediction[,note].",
    predict_opts, 0,
    "An id missing from the model falls back to the mean and the known bias and is\n"
    "flagged in a fourth column: unknown_user, unknown_movie, unknown_user_and_movie.\n"
    "A malformed input line stops with FILE:LINE and exit status 3."};

static int predict_json; /* one command per process */

static const char *predict_note(int32_t u, int32_t i) {
    if (u < 0 && i < 0) return "unknown_user_and_movie";
    if (u < 0) return "unknown_user";
    if (i < 0) return "unknown_movie";
    return NULL;
}

static void predict_one(FILE *f, const mfr_model *m, long long user, long long movie) {
    int32_t u = mfr_model_user_index(m, user), i = mfr_model_item_index(m, movie);
    const char *note = predict_note(u, i);
    double r = (double)mfr_model_predict(m, u, i);
    if (predict_json) {
        fprintf(f, "{\"user\": %lld, \"movie\": %lld, \"prediction\": ", user, movie);
        if (isfinite(r)) fprintf(f, "%.4f", r);
        else fputs("null", f);
        fprintf(f, ", \"note\": %s%s%s}\n", note ? "\"" : "", note ? note : "null", note ? "\"" : "");
        return;
    }
    fprintf(f, "%lld,%lld,%.4f%s%s\n", user, movie, r, note ? "," : "", note ? note : "");
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
        return cli_error("predict", MFR_E_IO, "%s: %s", path, strerror(errno));
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
            if (!predict_json) printf("userId,movieId,prediction,note\n");
            continue;
        }
        const char *p = line;
        long long user, movie;
        if (predict_field(&p, &user) || predict_field(&p, &movie)) {
            rc = cli_error("predict", MFR_E_PARSE, "%s:%ld: expected \"user,movie\" (integer ids), got \"%.80s\"",
                           path, ln, line);
            break;
        }
        predict_one(stdout, m, user, movie);
    }
    if (!rc && ferror(f)) {
        rc = cli_error("predict", MFR_E_IO, "%s: read error", path);
    }
    free(line);
    if (f != stdin) fclose(f);
    return rc;
}

int cmd_predict(int argc, char **argv) {
    long user = -1, movie = -1; /* -1: not given */
    const char *input = NULL, *model = NULL;
    const cli_val vals[] = {CLI_INT(O_USER, 0, 9223372036854775807L, &user),
                            CLI_INT(O_MOVIE, 0, 9223372036854775807L, &movie),
                            CLI_TEXT(O_INPUT, &input),
                            CLI_FLAG(O_JSON, &predict_json), {0}};
    const cli_takes t = {.args = {&model}, .missing = "no MODEL given", .vals = vals};
    int rc = cli_parse(&cli_spec_predict, argc, argv, &t);
    if (rc) return rc < 0 ? 0 : rc;
    if (input && (user >= 0 || movie >= 0))
        return cli_usage_error("predict", "give either --input or --user and --movie, not both");
    if (!input && !(user >= 0 && movie >= 0))
        return cli_usage_error("predict", "--user and --movie (or --input FILE) are required");
    mfr_model *m;
    if ((rc = cli_load_model("predict", model, &m))) return rc;
    if (input) rc = predict_batch(m, input);
    else predict_one(stdout, m, user, movie);
    mfr_model_free(m);
    return rc;
}
