/* cmd_cluster.c — `mfrec cluster MODEL [--k 20] [--seed S] [--top 5]
 * [--min-ratings N] [--json]`: k-means (k-means++ seeding) on the movie
 * factors of a model (mfr_model_cluster), then for each cluster its size, the
 * most typical movies (closest to the centroid, popular ones first among
 * near-equals) and the dominant genres with the share of the cluster's movies
 * carrying each. Deterministic for a given seed. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

enum { O_K = 1, O_SEED, O_TOP, O_MIN, O_ITER, O_JSON };

static const cli_opt cluster_opts[] = {
    {O_K, 'k', "k", "N", "clusters (20; 1..100000; more than the qualifying movies exits 5)"},
    {O_SEED, 0, "seed", "S", "seed of the k-means++ draw (42)"},
    {O_TOP, 0, "top", "N", "typical movies and genres shown per cluster (5)"},
    {O_MIN, 0, "min-ratings", "N", "movies with fewer training ratings are left out (10)"},
    {O_ITER, 0, "max-iter", "N", "Lloyd iterations at most (100; stops when nothing changes)"},
    {O_JSON, 0, "json", NULL, "one JSON object {k, movies, inertia, clusters: [...]}"},
    {0, 0, 0, 0, 0}};

const cli_spec cli_spec_cluster = {
    "cluster", "k-means clusters of movie factors", "cluster MODEL [options]",
    "Group the movies of a factor model into k clusters (k-means++ on the movie factors).",
    cluster_opts, 0,
    "Exit status 8 for a model without movie factors (baseline, knn, content),\n"
    "5 when fewer than k movies qualify."};

/* The most --top may ask for. */
enum { TOP_MAX = 1000 };

/* One cluster's leading genres (name pointers, lengths, shares: ng) and its
 * typical movies (nt), as both printers show them. */
typedef struct cluster_lists {
    const char *gn[TOP_MAX];
    int32_t gl[TOP_MAX], typ[TOP_MAX], ng, nt;
    float gs[TOP_MAX];
} cluster_lists;

static void cluster_lists_get(const mfr_model *m, const mfr_clustering *c, int32_t k, int32_t top,
                              cluster_lists *l) {
    l->ng = mfr_clustering_genres(m, c, k, top, l->gn, l->gl, l->gs);
    l->nt = mfr_clustering_typical(m, c, k, top, l->typ);
}

static void print_text(const mfr_model *m, const mfr_clustering *c, int32_t top) {
    cluster_lists l;
    printf("%d clusters of %d movies (inertia %.4g)\n", (int)c->k, (int)c->n, c->inertia);
    for (int32_t k = 0; k < c->k; k++) {
        cluster_lists_get(m, c, k, top, &l);
        printf("\ncluster %d  (%d movies)\n  genres:", (int)k + 1, (int)c->size[k]);
        for (int32_t g = 0; g < l.ng; g++)
            printf(" %.*s %.0f%%", (int)l.gl[g], l.gn[g], 100.0 * l.gs[g]);
        printf("\n");
        for (int32_t t = 0; t < l.nt; t++)
            printf("  %7lld  %s  (%d ratings)\n", (long long)mfr_model_item_id(m, l.typ[t]),
                   mfr_model_item_title(m, l.typ[t]), (int)mfr_model_item_count(m, l.typ[t]));
    }
}

static void print_json(const mfr_model *m, const mfr_clustering *c, int32_t top) {
    cluster_lists l;
    printf("{\"k\": %d, \"movies\": %d, \"inertia\": %.6g, \"clusters\": [", (int)c->k, (int)c->n,
           c->inertia);
    for (int32_t k = 0; k < c->k; k++) {
        cluster_lists_get(m, c, k, top, &l);
        printf("%s\n  {\"cluster\": %d, \"size\": %d, \"genres\": [", k ? "," : "", (int)k + 1,
               (int)c->size[k]);
        for (int32_t g = 0; g < l.ng; g++) {
            char name[128];
            snprintf(name, sizeof name, "%.*s", (int)l.gl[g], l.gn[g]);
            printf("%s{\"genre\": ", g ? ", " : "");
            cli_json_string(stdout, name);
            printf(", \"share\": %.4f}", l.gs[g]);
        }
        printf("], \"typical\": [");
        for (int32_t t = 0; t < l.nt; t++) {
            printf("%s{\"movieId\": %lld, \"title\": ", t ? ", " : "",
                   (long long)mfr_model_item_id(m, l.typ[t]));
            cli_json_string(stdout, mfr_model_item_title(m, l.typ[t]));
            printf(", \"ratings\": %d}", (int)mfr_model_item_count(m, l.typ[t]));
        }
        printf("]}");
    }
    printf("\n]}\n");
}

int cmd_cluster(int argc, char **argv) {
    const char *model = NULL;
    mfr_cluster_params p = mfr_cluster_params_default();
    int32_t top = 5;
    int json = 0;
    const cli_val vals[] = {CLI_INT(O_K, 1, 100000, &p.k),
                            CLI_INT(O_SEED, 0, 0x7fffffffL, &p.seed),
                            CLI_INT(O_TOP, 1, TOP_MAX, &top),
                            CLI_INT(O_MIN, 0, 2000000000, &p.min_ratings),
                            CLI_INT(O_ITER, 1, 100000, &p.max_iter),
                            CLI_FLAG(O_JSON, &json), {0}};
    const cli_takes t = {.args = {&model}, .missing = "expected MODEL", .vals = vals};
    int rc = cli_parse(&cli_spec_cluster, argc, argv, &t);
    if (rc) return rc < 0 ? 0 : rc;
    mfr_model *m;
    if ((rc = cli_load_model("cluster", model, &m))) return rc;
    mfr_error err = {0};
    mfr_clustering *c = NULL;
    mfr_status s = mfr_model_cluster(m, &p, &c, &err);
    if (!s) {
        if (json) print_json(m, c, top);
        else print_text(m, c, top);
    }
    mfr_clustering_free(c);
    mfr_model_free(m);
    return s ? cli_fail("cluster", s, &err) : 0;
}
