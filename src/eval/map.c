/* map.c — the report's 2-D map of movies: the item factors projected on
 * their first two principal axes (mfr_model_project_2d, src/analysis/pca.c),
 * one dot per movie with at least MAP_MIN_RATINGS training ratings (fewer
 * on small data), dot area proportional to its rating count, coloured by
 * its first listed genre (the nine commonest genres get colours, the rest
 * grey) or by k-means cluster (mfr_model_cluster), and the `labels` most
 * rated movies named. Dots are drawn least popular first so the well-known
 * ones stay visible. */
#include "eval_impl.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define MAP_MIN_RATINGS 10
#define MAP_GENRES 9

typedef struct genre_tab {
    int n;
    char name[64][32];
    int64_t count[64];
} genre_tab;

/* Index of the first genre of item i in t (added when new; -1 for none). */
static int first_genre(genre_tab *t, const char *genres) {
    char g[32];
    size_t len = strcspn(genres, "|");
    if (len == 0 || len >= sizeof g || !strncmp(genres, "(no genres", 10)) return -1;
    memcpy(g, genres, len);
    g[len] = 0;
    for (int q = 0; q < t->n; q++)
        if (!strcmp(t->name[q], g)) return q;
    if (t->n >= 64) return -1;
    snprintf(t->name[t->n], sizeof t->name[0], "%s", g);
    return t->n++;
}

/* colour slot per genre: the MAP_GENRES commonest get 0..8, the rest 9. */
static void genre_slots(const genre_tab *t, int *slot) {
    for (int q = 0; q < t->n; q++) {
        int better = 0;
        for (int o = 0; o < t->n; o++)
            better += t->count[o] > t->count[q] || (t->count[o] == t->count[q] && o < q);
        slot[q] = better < MAP_GENRES ? better : 9;
    }
}

typedef struct map_data {
    int32_t n, *items, *color;
    float *xy, explained[2];
} map_data;

static mfr_status place(const mfr_model *m, int32_t clusters, map_data *d, genre_tab *gt,
                        int *slot, mfr_error *err) {
    int32_t ni = mfr_model_n_items(m);
    d->items = mfr__malloc((size_t)(ni + 1) * sizeof *d->items);
    d->color = mfr__malloc((size_t)(ni + 1) * sizeof *d->color);
    d->xy = mfr__malloc((size_t)(2 * ni + 2) * sizeof *d->xy);
    if (!d->items || !d->color || !d->xy) return mfr__nomem(err, "movie map");
    int32_t minr = MAP_MIN_RATINGS;
    mfr_status s = mfr_model_project_2d(m, minr, d->items, d->xy, &d->n, d->explained, err);
    if (s == MFR_E_INVALID) {
        minr = 1;
        s = mfr_model_project_2d(m, minr, d->items, d->xy, &d->n, d->explained, err);
    }
    if (s) return s;
    if (clusters > 0) {
        mfr_cluster_params cp = mfr_cluster_params_default();
        cp.k = clusters;
        cp.min_ratings = minr;
        mfr_clustering *c = NULL;
        s = mfr_model_cluster(m, &cp, &c, err);
        if (s) return s;
        for (int32_t j = 0; j < d->n; j++) d->color[j] = mfr_clustering_of(c, d->items[j]);
        mfr_clustering_free(c);
        return MFR_OK;
    }
    for (int32_t j = 0; j < d->n; j++) {
        int g = first_genre(gt, mfr_model_item_genres(m, d->items[j]));
        d->color[j] = g;
        if (g >= 0) gt->count[g]++;
    }
    genre_slots(gt, slot);
    return MFR_OK;
}

static const char *dot_color(int32_t c, int32_t clusters, const int *slot) {
    if (c < 0) return mfr__palette[9];
    return clusters > 0 ? mfr__palette[c % 10] : mfr__palette[slot[c]];
}

/* One legend row per colour in use, in slot order, "other genres" last. */
static void legend(FILE *f, int32_t clusters, const genre_tab *gt, const int *slot, int other) {
    fputs("<g class=\"legend\" font-size=\"12\">\n", f);
    int row = 0, rows = clusters > 0 ? (clusters < 10 ? clusters : 10) : MAP_GENRES + 1;
    for (int r = 0; r < rows; r++) {
        const char *name = NULL;
        char buf[40];
        if (clusters > 0) {
            snprintf(buf, sizeof buf, clusters > 10 && r == 9 ? "clusters 10+ (repeat)" : "cluster %d", r + 1);
            name = buf;
        } else if (r == MAP_GENRES) {
            name = other ? "other genres" : NULL;
        } else {
            for (int q = 0; q < gt->n; q++)
                if (slot[q] == r) name = gt->name[q];
        }
        if (!name) continue;
        fprintf(f, "<circle cx=\"572\" cy=\"%d\" r=\"6\" fill=\"%s\"/><text x=\"584\" y=\"%d\">",
                60 + row * 20, mfr__palette[r], 64 + row * 20);
        mfr__xml_text(f, name, 30);
        fputs("</text>\n", f);
        row++;
    }
    fputs("</g>\n", f);
}

/* Label the most rated movies, each placed right, left, above or below its
 * dot, whichever first does not overlap an earlier label (boxes estimated at
 * 6 px a character, 12 px high); a movie whose label fits nowhere is skipped
 * and the next most rated tried, up to `labels` labels. */
typedef struct lbox {
    double x0, y0, x1, y1;
} lbox;

static int overlaps(const lbox *b, int n, const lbox *c) {
    for (int q = 0; q < n; q++)
        if (c->x0 < b[q].x1 && b[q].x0 < c->x1 && c->y0 < b[q].y1 && b[q].y0 < c->y1) return 1;
    return 0;
}

static void label_movies(FILE *f, const mfr_model *m, map_data *d, int32_t labels, double X0,
                         double Y0, double W, double H, float xmin, float xmax, float ymin,
                         float ymax) {
    lbox placed[64];
    int np = 0;
    if (labels > 64) labels = 64;
    for (int tries = 0; np < labels && tries < 4 * labels + 8; tries++) {
        int32_t best = -1, bc = -1;
        for (int32_t j = 0; j < d->n; j++) {
            int32_t c = mfr_model_item_count(m, d->items[j]);
            if (c > bc && d->color[j] != -2) best = j, bc = c;
        }
        if (best < 0) break;
        d->color[best] = -2; /* considered */
        double cx = X0 + 8 + (d->xy[2 * best] - xmin) / (xmax - xmin) * (W - 16);
        double cy = Y0 + H - 8 - (d->xy[2 * best + 1] - ymin) / (ymax - ymin) * (H - 16);
        const char *t = mfr_model_item_title(m, d->items[best]);
        double tw = 6.0 * (strlen(t) < 28 ? (double)strlen(t) : 29.0);
        double pos[4][2] = {{cx + 7, cy + 4}, {cx - 7 - tw, cy + 4}, {cx - tw / 2, cy - 8},
                            {cx - tw / 2, cy + 16}};
        for (int p = 0; p < 4; p++) {
            lbox b = {pos[p][0] - 1, pos[p][1] - 10, pos[p][0] + tw + 1, pos[p][1] + 2};
            if (b.x0 < X0 || b.x1 > X0 + W || b.y0 < Y0 || b.y1 > Y0 + H || overlaps(placed, np, &b))
                continue;
            placed[np++] = b;
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" stroke=\"#fff\" stroke-width=\"3\" "
                       "paint-order=\"stroke\">", pos[p][0], pos[p][1]);
            mfr__xml_text(f, t, 28);
            fputs("</text>\n", f);
            break;
        }
    }
}

mfr_status mfr_svg_movie_map(const mfr_model *m, int32_t clusters, int32_t labels, FILE *f,
                             mfr_error *err) {
    map_data d = {0};
    genre_tab *gt = mfr__calloc(1, sizeof *gt);
    int slot[64] = {0};
    mfr_status s = gt ? place(m, clusters, &d, gt, slot, err) : mfr__nomem(err, "genres");
    if (s) goto done;
    float xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    int32_t cmax = 1;
    for (int32_t j = 0; j < d.n; j++) {
        float x = d.xy[2 * j], y = d.xy[2 * j + 1];
        if (x < xmin) xmin = x;
        if (x > xmax) xmax = x;
        if (y < ymin) ymin = y;
        if (y > ymax) ymax = y;
        if (mfr_model_item_count(m, d.items[j]) > cmax) cmax = mfr_model_item_count(m, d.items[j]);
    }
    if (!(xmax > xmin)) xmax = xmin + 1;
    if (!(ymax > ymin)) ymax = ymin + 1;
    double X0 = 50, Y0 = 50, W = 490, H = 470;
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" id=\"map\" viewBox=\"0 0 "
               "720 560\" width=\"720\" height=\"560\" role=\"img\"><title>Map of movies</title>\n"
               "<rect width=\"720\" height=\"560\" fill=\"#fff\"/>\n"
               "<text x=\"360\" y=\"24\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"600\">"
               "Map of movies: PCA of the item factors (%d movies)</text>\n"
               "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" stroke=\"#ccc\"/>\n"
               "<text x=\"%.0f\" y=\"545\" text-anchor=\"middle\" font-size=\"12\">PC1 (%.1f%% of variance)</text>\n"
               "<text transform=\"translate(30 %.0f) rotate(-90)\" text-anchor=\"middle\" font-size=\"12\">"
               "PC2 (%.1f%% of variance)</text>\n<g class=\"dots\" fill-opacity=\"0.7\">\n",
            d.n, X0, Y0, W, H, X0 + W / 2, 100 * d.explained[0], Y0 + H / 2, 100 * d.explained[1]);
    /* draw in rounds by popularity: the least rated first */
    for (int pass = 0; pass < 4; pass++)
        for (int32_t j = 0; j < d.n; j++) {
            int32_t c = mfr_model_item_count(m, d.items[j]);
            double share = (double)c / cmax;
            int p = share < 0.05 ? 0 : share < 0.2 ? 1 : share < 0.5 ? 2 : 3;
            if (p != pass) continue;
            double cx = X0 + 8 + (d.xy[2 * j] - xmin) / (xmax - xmin) * (W - 16);
            double cy = Y0 + H - 8 - (d.xy[2 * j + 1] - ymin) / (ymax - ymin) * (H - 16);
            fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\"><title>", cx, cy,
                    1.5 + 7 * sqrt(share), dot_color(d.color[j], clusters, slot));
            mfr__xml_text(f, mfr_model_item_title(m, d.items[j]), 120);
            fprintf(f, " (%d ratings)</title></circle>\n", c);
        }
    fputs("</g>\n<g class=\"labels\" font-size=\"11\" fill=\"#222\">\n", f);
    label_movies(f, m, &d, labels, X0, Y0, W, H, xmin, xmax, ymin, ymax);
    fputs("</g>\n", f);
    int other = 0;
    for (int32_t j = 0; j < d.n && !clusters; j++) {
        int32_t g = first_genre(gt, mfr_model_item_genres(m, d.items[j]));
        other |= g < 0 || slot[g] == 9;
    }
    legend(f, clusters, gt, slot, other);
    fputs("</svg>\n", f);
    if (ferror(f)) s = mfr__err(err, MFR_E_IO, "report: write error");
done:
    mfr__free(d.items);
    mfr__free(d.color);
    mfr__free(d.xy);
    mfr__free(gt);
    return s;
}
