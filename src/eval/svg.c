/* svg.c — the report's charts, written as self-contained SVG elements.
 *
 * Every chart is a 720×400 (map: 720×560) <svg> with a plot box inside
 * margins, "nice" axis ticks (1, 2, 5 × 10^n steps), and class names the
 * browser test looks for (class="chart" id="..."; data marks are <path>,
 * <rect> or <circle>). Colours are the Tableau 10 palette. Text is XML-escaped.
 *   learning curves — validation RMSE solid, training RMSE dashed, per model;
 *   rating histogram — one bar per rating value present (half stars);
 *   long tail      — ratings per movie against popularity rank (log y), with
 *                    the share of ratings held by the top 10% of movies;
 *   movie map      — PCA of the item factors (mfr_model_project_2d), one dot a
 *                    movie (area ∝ ratings), coloured by first genre or by
 *                    k-means cluster, the most rated movies labelled. */
#include "eval_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const mfr__palette[10] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                      "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};

typedef struct box {
    double x0, y0, w, h;        /* plot area in pixels */
    double xmin, xmax, ymin, ymax;
    int ylog;
} box;

static double px(const box *b, double x) {
    return b->x0 + (x - b->xmin) / (b->xmax - b->xmin) * b->w;
}
static double py(const box *b, double y) {
    if (b->ylog) {
        double l = log10(y > 0 ? y : b->ymin);
        return b->y0 + b->h - (l - log10(b->ymin)) / (log10(b->ymax) - log10(b->ymin)) * b->h;
    }
    return b->y0 + b->h - (y - b->ymin) / (b->ymax - b->ymin) * b->h;
}

void mfr__xml_text(FILE *f, const char *s, int max) {
    for (int n = 0; *s && (max < 0 || n < max); s++, n++) {
        if (*s == '&') fputs("&amp;", f);
        else if (*s == '<') fputs("&lt;", f);
        else if (*s == '>') fputs("&gt;", f);
        else if (*s == '"') fputs("&quot;", f);
        else fputc(*s, f);
    }
    if (*s) fputs("…", f);
}

static double nice_step(double span, int target) {
    double raw = span / (target > 0 ? target : 5), mag = pow(10, floor(log10(raw)));
    double r = raw / mag;
    return (r < 1.5 ? 1 : r < 3 ? 2 : r < 7 ? 5 : 10) * mag;
}

static void svg_open(FILE *f, const char *id, int w, int h, const char *title) {
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" id=\"%s\" "
               "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\">\n"
               "<title>", id, w, h, w, h);
    mfr__xml_text(f, title, -1);
    fprintf(f, "</title>\n<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n", w, h);
    fprintf(f, "<text x=\"%d\" y=\"22\" class=\"ctitle\" text-anchor=\"middle\" "
               "font-size=\"15\" font-weight=\"600\">", w / 2);
    mfr__xml_text(f, title, -1);
    fputs("</text>\n", f);
}

/* Axes with ticks and labels; log y ticks at powers of ten. */
static void axes(FILE *f, const box *b, const char *xlabel, const char *ylabel) {
    fprintf(f, "<g class=\"axes\" font-size=\"11\" fill=\"#444\" stroke=\"none\">\n");
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
               "stroke=\"#999\"/>\n", b->x0, b->y0, b->w, b->h);
    double xs = nice_step(b->xmax - b->xmin, 6);
    for (double x = ceil(b->xmin / xs) * xs; x <= b->xmax + 1e-9 * xs; x += xs)
        fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#999\"/>"
                   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n",
                px(b, x), px(b, x), b->y0 + b->h, b->y0 + b->h + 4, px(b, x), b->y0 + b->h + 16, x);
    if (b->ylog) {
        for (double y = pow(10, ceil(log10(b->ymin))); y <= b->ymax * 1.0001; y *= 10)
            fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>"
                       "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
                    b->x0, b->x0 + b->w, py(b, y), py(b, y), b->x0 - 6, py(b, y) + 4, y);
    } else {
        double ys = nice_step(b->ymax - b->ymin, 5);
        for (double y = ceil(b->ymin / ys) * ys; y <= b->ymax + 1e-9 * ys; y += ys)
            fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>"
                       "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
                    b->x0, b->x0 + b->w, py(b, y), py(b, y), b->x0 - 6, py(b, y) + 4,
                    fabs(y) < ys * 1e-6 ? 0.0 : y);
    }
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"12\">", b->x0 + b->w / 2,
            b->y0 + b->h + 34);
    mfr__xml_text(f, xlabel, -1);
    fprintf(f, "</text><text transform=\"translate(%.1f %.1f) rotate(-90)\" text-anchor=\"middle\" "
               "font-size=\"12\">", b->x0 - 46, b->y0 + b->h / 2);
    mfr__xml_text(f, ylabel, -1);
    fputs("</text>\n</g>\n", f);
}

static mfr_status finish(FILE *f, mfr_error *err) {
    fputs("</svg>\n", f);
    return ferror(f) ? mfr__err(err, MFR_E_IO, "report: write error") : MFR_OK;
}

/* ---- learning curves ------------------------------------------------------ */

static void curve_range(const mfr_curve *c, int32_t n, box *b) {
    b->xmin = 1;
    b->xmax = 2;
    b->ymin = INFINITY;
    b->ymax = -INFINITY;
    for (int32_t q = 0; q < n; q++)
        for (int32_t e = 0; e < c[q].n; e++) {
            double v[2] = {c[q].train_rmse[e], c[q].valid_rmse[e]};
            for (int t = 0; t < 2; t++)
                if (isfinite(v[t])) {
                    if (v[t] < b->ymin) b->ymin = v[t];
                    if (v[t] > b->ymax) b->ymax = v[t];
                }
            if (e + 1 > b->xmax) b->xmax = e + 1;
        }
    if (!(b->ymin <= b->ymax)) b->ymin = 0, b->ymax = 1;
    double pad = (b->ymax - b->ymin) * 0.05 + 1e-3;
    b->ymin -= pad;
    b->ymax += pad;
}

static void curve_path(FILE *f, const box *b, const double *v, int32_t n, const char *col,
                       int dashed, const char *cls) {
    fprintf(f, "<path class=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s d=\"", cls, col,
            dashed ? " stroke-dasharray=\"5 4\"" : "");
    int pen = 0;
    for (int32_t e = 0; e < n; e++) {
        if (!isfinite(v[e])) {
            pen = 0;
            continue;
        }
        fprintf(f, "%c%.1f %.1f", pen ? 'L' : 'M', px(b, e + 1), py(b, v[e]));
        pen = 1;
    }
    fputs("\"/>\n", f);
}

mfr_status mfr_svg_learning_curves(const mfr_curve *c, int32_t n, FILE *f, mfr_error *err) {
    box b = {.x0 = 70, .y0 = 40, .w = 480, .h = 300};
    curve_range(c, n, &b);
    svg_open(f, "curves", 720, 400, "Learning curves: RMSE per epoch");
    axes(f, &b, "epoch", "RMSE");
    for (int32_t q = 0; q < n; q++) {
        const char *col = mfr__palette[q % 10];
        curve_path(f, &b, c[q].valid_rmse, c[q].n, col, 0, "valid");
        curve_path(f, &b, c[q].train_rmse, c[q].n, col, 1, "train");
        double ly = 50 + q * 20;
        fprintf(f, "<line x1=\"565\" x2=\"590\" y1=\"%.0f\" y2=\"%.0f\" stroke=\"%s\" "
                   "stroke-width=\"2\"/><text x=\"596\" y=\"%.0f\" font-size=\"12\">", ly, ly, col,
                ly + 4);
        mfr__xml_text(f, c[q].name, -1);
        fputs("</text>\n", f);
    }
    double ly = 60 + n * 20;
    fprintf(f, "<g font-size=\"11\" fill=\"#444\"><line x1=\"565\" x2=\"590\" y1=\"%.0f\" y2=\"%.0f\" "
               "stroke=\"#444\" stroke-width=\"2\"/><text x=\"596\" y=\"%.0f\">validation</text>"
               "<line x1=\"565\" x2=\"590\" y1=\"%.0f\" y2=\"%.0f\" stroke=\"#444\" stroke-width=\"2\" "
               "stroke-dasharray=\"5 4\"/><text x=\"596\" y=\"%.0f\">training</text></g>\n",
            ly, ly, ly + 4, ly + 18, ly + 18, ly + 22);
    return finish(f, err);
}

/* ---- rating histogram ----------------------------------------------------- */

mfr_status mfr_svg_rating_hist(const mfr_dataset *ds, FILE *f, mfr_error *err) {
    mfr_ratings r;
    mfr_dataset_ratings(ds, &r);
    float lo, hi;
    mfr_dataset_scale(ds, &lo, &hi);
    int nb = (int)lround((hi - lo) * 2) + 1; /* half-star bins */
    if (nb < 1 || nb > 200) nb = 10;
    int64_t *cnt = mfr__calloc((size_t)nb, sizeof *cnt), mx = 1;
    if (!cnt) return mfr__nomem(err, "histogram");
    for (int64_t j = 0; j < r.n; j++) {
        long q = lround((r.rating[j] - lo) * 2);
        if (q >= 0 && q < nb) cnt[q]++;
    }
    for (int q = 0; q < nb; q++)
        if (cnt[q] > mx) mx = cnt[q];
    box b = {.x0 = 80, .y0 = 40, .w = 600, .h = 300, .xmin = lo - 0.25, .xmax = hi + 0.25,
             .ymin = 0, .ymax = (double)mx * 1.08};
    svg_open(f, "ratings", 720, 400, "Distribution of ratings");
    axes(f, &b, "rating (stars)", "ratings");
    double bw = b.w / (nb + 1) * 0.8;
    for (int q = 0; q < nb; q++) {
        if (!cnt[q]) continue;
        double x = px(&b, lo + q * 0.5), y = py(&b, (double)cnt[q]);
        fprintf(f, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                   "fill=\"%s\"><title>%g stars: %lld ratings</title></rect>\n",
                x - bw / 2, y, bw, b.y0 + b.h - y, mfr__palette[0], lo + q * 0.5, (long long)cnt[q]);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"middle\" "
                   "fill=\"#333\">%.1f%%</text>\n",
                x, y - 4, 100.0 * (double)cnt[q] / (double)(r.n ? r.n : 1));
    }
    mfr__free(cnt);
    return finish(f, err);
}

/* ---- long tail ------------------------------------------------------------ */

static int cmp_desc64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

mfr_status mfr_svg_long_tail(const mfr_dataset *ds, FILE *f, mfr_error *err) {
    mfr_ratings r;
    mfr_dataset_ratings(ds, &r);
    int64_t *cnt = mfr__calloc((size_t)r.n_items + 1, sizeof *cnt);
    if (!cnt) return mfr__nomem(err, "long tail");
    for (int64_t j = 0; j < r.n; j++) cnt[r.item[j]]++;
    qsort(cnt, (size_t)r.n_items, sizeof *cnt, cmp_desc64);
    int32_t nr = 0;
    while (nr < r.n_items && cnt[nr] > 0) nr++;
    int64_t top = 0, ntop = nr / 10 > 0 ? nr / 10 : 1;
    for (int32_t q = 0; q < ntop && q < nr; q++) top += cnt[q];
    box b = {.x0 = 80, .y0 = 40, .w = 600, .h = 300, .xmin = 0, .xmax = nr > 1 ? nr : 2,
             .ymin = 1, .ymax = nr ? (double)cnt[0] * 1.5 : 10, .ylog = 1};
    svg_open(f, "longtail", 720, 400, "The long tail: ratings per movie by popularity rank");
    axes(f, &b, "movies, most rated first", "ratings (log scale)");
    fprintf(f, "<path class=\"tail\" fill=\"%s\" fill-opacity=\"0.35\" stroke=\"%s\" "
               "stroke-width=\"1.5\" d=\"M%.1f %.1f", mfr__palette[1], mfr__palette[1], px(&b, 0), py(&b, 1));
    int32_t step = nr > 2000 ? nr / 2000 : 1;
    for (int32_t q = 0; q < nr; q += step) fprintf(f, "L%.1f %.1f", px(&b, q + 1), py(&b, (double)cnt[q]));
    if (nr) fprintf(f, "L%.1f %.1f", px(&b, nr), py(&b, (double)cnt[nr - 1]));
    fprintf(f, "L%.1f %.1fZ\"/>\n", px(&b, nr), py(&b, 1));
    fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e15759\" "
               "stroke-dasharray=\"4 3\"/>\n<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" "
               "fill=\"#333\">top 10%% of movies (%d) hold %.1f%% of the ratings</text>\n",
            px(&b, ntop), px(&b, ntop), b.y0, b.y0 + b.h, px(&b, ntop) + 6, b.y0 + 16, (int)ntop,
            100.0 * (double)top / (double)(r.n ? r.n : 1));
    mfr__free(cnt);
    return finish(f, err);
}
