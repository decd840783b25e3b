/* cmd_recommend.c — `mfrec recommend MODEL --user ID [...]`: the top-N movies
 * the user has not rated, best first, ordered by the model's ranking score
 * (mfr_model_recommend; for rating models the predicted rating itself, for
 * ranking models such as ease and auto a score that is not a rating), each
 * with its predicted rating, as a table or a JSON array. An id not in the
 * model is an error (exit 6), never a silent fallback.
 *
 * `mfrec recommend MODEL --all [...]`: the same list for every user of the
 * model through mfr_model_recommend_batch on --threads threads, users in
 * increasing userId, written as CSV (user,rank,movieId,score,prediction) or
 * a JSON array of {user, recommendations}. Users are computed in chunks so
 * memory stays bounded; with -o the file is written under a temporary name
 * and renamed into place only when complete. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "index_opts.h"

enum { O_USER = 1, O_COUNT, O_GENRE, O_MIN, O_JSON, O_ALL, O_OUT, O_THREADS, O_INDEX, O_NPROBE };

static const cli_opt recommend_opts[] = {
    {O_USER, 'u', "user", "ID", "userId as in the ratings"},
    {O_ALL, 0, "all", NULL, "every user of the model (CSV unless --json); exactly one of\n--user and --all"},
    {O_COUNT, 'n', "count", "N", "how many per user (10; at most 1000 with --all)"},
    {O_GENRE, 0, "genre", "G", "only movies of genre G, case-insensitive, e.g. Comedy"},
    {O_MIN, 0, "min-ratings", "N",
     "skip movies with fewer training ratings (3; --min-ratings 1 lets in\nmovies only one person rated; "
     "ranking models (auto, ease) rank only\nthe movies with rank_min_ratings ratings: train with\n"
     "--set rank_min_ratings=1 to rank those too)"},
    {O_JSON, 0, "json", NULL,
     "JSON: --user an array of {rank, movieId, score, prediction, title,\ngenres}; --all an array of "
     "{user, recommendations: [...]}"},
    {O_OUT, 'o', "output", "FILE", "write to FILE instead of standard output"},
    {O_THREADS, 0, "threads", "N", "threads for --all (0 = all cores)"},
    CLI_INDEX_ROWS(O_INDEX, O_NPROBE),
    {0, 0, 0, 0, 0}};

const cli_spec cli_spec_recommend = {
    "recommend", "top-N unseen movies for a user",
    "recommend MODEL --user ID [options]\nrecommend MODEL --all [-o FILE] [options]",
    "Top-N movies a user has not rated, ordered by the model's ranking score\n"
    "(for rating models the predicted rating; for ranking models such as ease\n"
    "and auto a score that is not a rating), each with its predicted rating.",
    recommend_opts, 0,
    "Table columns: rank, movieId, score (3 decimals), prediction (stars, 1 decimal),\n"
    "title, genres. --all CSV columns: user,rank,movieId,score,prediction.\n"
    "Exit status 6 when the user is not in the model."};

/* Users of the model m in increasing external id (qsort_r). */
static int by_user_id(const void *a, const void *b, void *m) {
    int64_t x = mfr_model_user_id(m, *(const int32_t *)a);
    int64_t y = mfr_model_user_id(m, *(const int32_t *)b);
    return (x > y) - (x < y);
}

/* -o FILE (or stdout) opened, printing the failure; 0 or the exit status. */
static int out_open(cli_out *o, const char *path) {
    if (cli_out_open(o, path, "w"))
        return cli_error("recommend", MFR_E_IO, "-o %s: cannot write: %s", path, strerror(errno));
    return 0;
}

/* Close (ok: keep the file) or abandon it; returns 0 or MFR_E_IO. */
static int out_close(cli_out *o, int ok) {
    if (!cli_out_close(o, ok)) return 0;
    if (!o->path) return cli_error("recommend", MFR_E_IO, "writing standard output: %s", strerror(errno));
    return cli_error("recommend", MFR_E_IO, "-o %s: %s", o->path, strerror(errno));
}

static void write_csv_rows(FILE *f, const mfr_model *m, int64_t user, const mfr_scored *rows,
                           int32_t n) {
    for (int32_t j = 0; j < n; j++) {
        fprintf(f, "%lld,%d,%lld,", (long long)user, j + 1,
                (long long)mfr_model_item_id(m, rows[j].item));
        if (isfinite(rows[j].score)) fprintf(f, "%.4f", (double)rows[j].score);
        fputc(',', f);
        if (isfinite(rows[j].prediction)) fprintf(f, "%.1f", (double)rows[j].prediction);
        fputc('\n', f);
    }
}

static void write_json_user(FILE *f, const mfr_model *m, int64_t user, const mfr_scored *rows,
                            int32_t n, int first) {
    fprintf(f, "%s\n  {\"user\": %lld, \"recommendations\": [", first ? "" : ",", (long long)user);
    for (int32_t j = 0; j < n; j++) {
        fputs(j ? ",\n    " : "\n    ", f);
        cli_json_rec(f, m, &rows[j], j + 1, 1);
    }
    fputs(n ? "\n  ]}" : "]}", f);
}

/* --all: every user, in chunks, through the batch call. */
static int recommend_all(const mfr_model *m, const mfr_recommend_params *rp, int threads, int json,
                         const char *path) {
    enum { CHUNK = 4096 };
    int32_t nu = mfr_model_n_users(m);
    int32_t *users = malloc(sizeof *users * (size_t)(nu > 0 ? nu : 1));
    int32_t chunk = nu < CHUNK ? (nu > 0 ? nu : 1) : CHUNK;
    mfr_scored *rows = malloc(sizeof *rows * (size_t)chunk * (size_t)rp->n);
    int32_t *got = malloc(sizeof *got * (size_t)chunk);
    mfr_error err = {0};
    cli_out o;
    int rc = !users || !rows || !got ? cli_error("recommend", MFR_E_NOMEM, "out of memory for %d "
                                                 "users x %d rows", nu, rp->n)
                                     : out_open(&o, path);
    if (rc) {
        free(users);
        free(rows);
        free(got);
        return rc;
    }
    for (int32_t u = 0; u < nu; u++) users[u] = u;
    qsort_r(users, (size_t)nu, sizeof *users, by_user_id, (void *)m);
    double t0 = cli_now();
    int64_t n_rows = 0;
    mfr_status s = MFR_OK;
    if (json) fputc('[', o.f);
    else fputs("user,rank,movieId,score,prediction\n", o.f);
    for (int32_t j0 = 0; j0 < nu && s == MFR_OK; j0 += chunk) {
        int32_t n = nu - j0 < chunk ? nu - j0 : chunk;
        s = mfr_model_recommend_batch(m, users + j0, n, rp, threads, rows, got, &err);
        for (int32_t j = 0; s == MFR_OK && j < n; j++) {
            int64_t id = mfr_model_user_id(m, users[j0 + j]);
            const mfr_scored *r = rows + (size_t)j * (size_t)rp->n;
            if (json) write_json_user(o.f, m, id, r, got[j], j0 + j == 0);
            else write_csv_rows(o.f, m, id, r, got[j]);
            n_rows += got[j];
        }
    }
    if (s == MFR_OK && json) fputs(nu ? "\n]\n" : "]\n", o.f);
    free(users);
    free(rows);
    free(got);
    rc = out_close(&o, s == MFR_OK);
    if (s) return cli_fail("recommend", s, &err);
    if (!rc && path)
        fprintf(stderr, "mfrec recommend: %lld rows for %d users written to %s (%.1fs)\n",
                (long long)n_rows, nu, path, cli_now() - t0);
    return rc;
}

int cmd_recommend(int argc, char **argv) {
    mfr_recommend_params rp = mfr_recommend_params_default();
    long user = -1; /* -1: not given */
    int all = 0, json = 0, threads = 0;
    cli_index x = {0, 0};
    mfr_index_params ip = mfr_index_params_default();
    const char *path = NULL, *model = NULL;
    const cli_val vals[] = {CLI_INT(O_USER, 0, 9223372036854775807L, &user),
                            CLI_INT(O_COUNT, 1, 100000, &rp.n),
                            CLI_INT(O_MIN, 0, 2000000000, &rp.min_ratings),
                            CLI_INT(O_THREADS, 0, 4096, &threads),
                            CLI_TEXT(O_GENRE, &rp.genre),
                            CLI_FLAG(O_JSON, &json),
                            CLI_FLAG(O_ALL, &all),
                            CLI_TEXT(O_OUT, &path),
                            CLI_INDEX_VALS(O_INDEX, O_NPROBE, &x), {0}};
    const cli_takes t = {.args = {&model}, .missing = "no MODEL given", .vals = vals};
    int rc = cli_parse(&cli_spec_recommend, argc, argv, &t);
    if (rc) return rc < 0 ? 0 : rc;
    if (cli_index_check("recommend", &x, &ip)) return MFR_E_INVALID;
    if (user >= 0 && all) return cli_usage_error("recommend", "give either --user ID or --all, not both");
    if (user < 0 && !all) return cli_usage_error("recommend", "--user ID or --all is required");
    if (path && !*path) return cli_usage_error("recommend", "-o: empty file name");
    if (rp.n > 1000 && all) return cli_usage_error("recommend", "-n %d: at most 1000 with --all", (int)rp.n);
    mfr_model *m;
    if ((rc = cli_load_model("recommend", model, &m))) return rc;
    mfr_error err = {0};
    mfr_status s = mfr_model_set_index(m, &ip, &err);
    if (s) {
        mfr_model_free(m);
        return cli_fail("recommend", s, &err);
    }
    if (all) {
        rc = recommend_all(m, &rp, threads, json, path);
        mfr_model_free(m);
        return rc;
    }
    int32_t u = mfr_model_user_index(m, user);
    if (u < 0) {
        mfr_model_free(m);
        return cli_error("recommend", MFR_E_NOT_FOUND, "no user with id %ld in the model", user);
    }
    mfr_scored *rows = malloc((size_t)rp.n * sizeof *rows);
    int32_t n = 0;
    s = rows ? mfr_model_recommend(m, u, &rp, rows, &n, &err) : MFR_E_NOMEM;
    if (!s) {
        cli_out o;
        rc = out_open(&o, path);
        if (!rc) {
            cli_print_scored(o.f, m, rows, n, 1, json);
            rc = out_close(&o, 1);
        }
    }
    if (!s && !rc && !json && n == 0) fprintf(stderr, "mfrec recommend: no movie matches the filters\n");
    free(rows);
    mfr_model_free(m);
    return s ? cli_fail("recommend", s, &err) : rc;
}
