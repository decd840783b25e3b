/* cmd_project.c — `mfrec project MODEL [--format csv|json] [--min-ratings N]
 * [--clusters K [--seed S]] -o FILE`: a 2-D map of the movies, the first two
 * principal components of the movie factors (mfr_model_project_2d), one row
 * per movie: movieId, title, genres, x, y and, with --clusters, the k-means
 * cluster (1-based) of the same factors. CSV follows RFC 4180 (fields with a
 * comma, quote or newline are quoted, quotes doubled); JSON is
 * {"explained": [e1, e2], "movies": [{movieId, title, genres, x, y[, cluster]}]}.
 * The file is written to FILE.tmp and renamed, so a failed run leaves no
 * half-written map; "-o -" (or no -o) writes to standard output. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

enum { O_OUT = 1, O_FORMAT, O_MIN, O_CLUSTERS, O_SEED };

static const cli_opt project_opts[] = {
    {O_OUT, 'o', "output", "FILE", "where to write (standard output; - too)"},
    {O_FORMAT, 0, "format", "F", "csv (default) or json"},
    {O_MIN, 0, "min-ratings", "N", "only movies with at least N training ratings (10)"},
    {O_CLUSTERS, 0, "clusters", "K", "add the k-means cluster of each movie (same as mfrec cluster --k K)"},
    {O_SEED, 0, "seed", "S", "seed of that k-means (42)"},
    {0, 0, 0, 0, 0}};

const cli_spec cli_spec_project = {
    "project", "2-D PCA map of movie factors", "project MODEL [-o FILE] [options]",
    "Map the movies of a factor model to 2-D (PCA of the movie factors).",
    project_opts, 0,
    "Columns: movieId,title,genres,x,y[,cluster]. Exit status 8 for a model without\n"
    "movie factors (baseline, knn, content), 2 when FILE cannot be written."};

typedef struct project_opts_t {
    const char *model, *out;
    int json;
    long min_ratings, clusters, seed;
} project_opts_t;

static void write_rows(FILE *f, const mfr_model *m, const project_opts_t *o, const int32_t *items,
                       const float *xy, int32_t n, const float *expl, const mfr_clustering *c) {
    if (o->json)
        fprintf(f, "{\"explained\": [%.6f, %.6f], \"movies\": [", expl[0], expl[1]);
    else
        fprintf(f, "movieId,title,genres,x,y%s\n", c ? ",cluster" : "");
    for (int32_t j = 0; j < n; j++) {
        int32_t i = items[j];
        long long id = (long long)mfr_model_item_id(m, i);
        if (o->json) {
            fprintf(f, "%s\n  {\"movieId\": %lld, \"title\": ", j ? "," : "", id);
            cli_json_string(f, mfr_model_item_title(m, i));
            fprintf(f, ", \"genres\": ");
            cli_json_genres(f, mfr_model_item_genres(m, i));
            fprintf(f, ", \"x\": %.6f, \"y\": %.6f", xy[2 * j], xy[2 * j + 1]);
            if (c) fprintf(f, ", \"cluster\": %d", (int)mfr_clustering_of(c, i) + 1);
            fputc('}', f);
        } else {
            fprintf(f, "%lld,", id);
            cli_csv_field(f, mfr_model_item_title(m, i));
            fputc(',', f);
            cli_csv_field(f, mfr_model_item_genres(m, i));
            fprintf(f, ",%.6f,%.6f", xy[2 * j], xy[2 * j + 1]);
            if (c) fprintf(f, ",%d", (int)mfr_clustering_of(c, i) + 1);
            fputc('\n', f);
        }
    }
    if (o->json) fprintf(f, "\n]}\n");
}

/* Write to o->out (via a temporary file) or stdout. */
static mfr_status write_map(const mfr_model *m, const project_opts_t *o, const int32_t *items,
                            const float *xy, int32_t n, const float *expl, const mfr_clustering *c,
                            mfr_error *err) {
    if (!o->out || !strcmp(o->out, "-")) {
        write_rows(stdout, m, o, items, xy, n, expl, c);
        return MFR_OK;
    }
    cli_out out;
    if (!cli_out_open(&out, o->out, "w")) {
        write_rows(out.f, m, o, items, xy, n, expl, c);
        if (!cli_out_close(&out, 1)) return MFR_OK;
    }
    return cli_set_error(err, MFR_E_IO, "cannot write %.400s: %s", o->out, strerror(errno));
}

int cmd_project(int argc, char **argv) {
    project_opts_t o = {NULL, NULL, 0, 10, 0, 42};
    const cli_val vals[] = {CLI_TEXT(O_OUT, &o.out),
                            CLI_CHOICE(O_FORMAT, "csv|json", &o.json),
                            CLI_INT(O_MIN, 0, 2000000000, &o.min_ratings),
                            CLI_INT(O_CLUSTERS, 1, 100000, &o.clusters),
                            CLI_INT(O_SEED, 0, 0x7fffffffL, &o.seed), {0}};
    const cli_takes t = {.args = {&o.model}, .missing = "expected MODEL", .vals = vals};
    int rc = cli_parse(&cli_spec_project, argc, argv, &t);
    if (rc) return rc < 0 ? 0 : rc;
    mfr_model *m;
    if ((rc = cli_load_model("project", o.model, &m))) return rc;
    int32_t ni = mfr_model_n_items(m), n = 0;
    int32_t *items = malloc(sizeof(int32_t) * (size_t)(ni ? ni : 1));
    float *xy = malloc(sizeof(float) * 2 * (size_t)(ni ? ni : 1)), expl[2] = {0, 0};
    mfr_error err = {0};
    mfr_clustering *c = NULL;
    mfr_status s = items && xy ? mfr_model_project_2d(m, (int32_t)o.min_ratings, items, xy, &n, expl, &err)
                               : MFR_E_NOMEM;
    if (!s && o.clusters > 0) {
        mfr_cluster_params cp = mfr_cluster_params_default();
        cp.k = (int32_t)o.clusters, cp.seed = (uint64_t)o.seed, cp.min_ratings = (int32_t)o.min_ratings;
        s = mfr_model_cluster(m, &cp, &c, &err);
    }
    if (!s) s = write_map(m, &o, items, xy, n, expl, c, &err);
    if (!s && o.out && strcmp(o.out, "-"))
        fprintf(stderr, "mfrec project: %d movies -> %s (axes explain %.1f%% and %.1f%% of the variance)\n",
                (int)n, o.out, 100.0 * expl[0], 100.0 * expl[1]);
    mfr_clustering_free(c);
    free(items), free(xy);
    mfr_model_free(m);
    return s ? cli_fail("project", s, &err) : 0;
}
