/* report.c — the HTML report, the metrics table (Markdown / JSON), and
 * learning curves recorded through the training progress callback.
 *
 * The page is one file: inline CSS, the SVG charts of svg.c and map.c
 * inline, no scripts, no external fonts, images or links to the network,
 * so it opens the same offline. Layout: a header with the dataset's figures,
 * the models' metrics table, the learning curves, the movie map, then the
 * rating distribution and the long tail side by side. A curve is grown
 * epoch by epoch (doubling arrays) from mfr_progress reports. */
#include "eval_impl.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- learning curves ------------------------------------------------------ */

typedef struct curve_rec {
    mfr_curve *c;
    int32_t cap;
    int nomem;
    mfr_progress_fn chain;
    void *chain_user;
} curve_rec;

static int record_epoch(const mfr_progress *p, void *user) {
    curve_rec *r = user;
    if (p->step >= 1 && !r->nomem) {
        int32_t e = p->step - 1;
        if (e >= r->cap) {
            int32_t cap = r->cap ? r->cap * 2 : 32;
            while (cap <= e) cap *= 2;
            double *t = mfr__realloc(r->c->train_rmse, (size_t)cap * sizeof *t);
            if (t) r->c->train_rmse = t;
            double *v = t ? mfr__realloc(r->c->valid_rmse, (size_t)cap * sizeof *v) : NULL;
            if (v) r->c->valid_rmse = v;
            if (!t || !v) r->nomem = 1;
            else r->cap = cap;
        }
        if (!r->nomem) {
            for (int32_t q = r->c->n; q < e; q++) r->c->train_rmse[q] = r->c->valid_rmse[q] = NAN;
            r->c->train_rmse[e] = p->train_rmse;
            r->c->valid_rmse[e] = p->valid_rmse;
            if (e + 1 > r->c->n) r->c->n = e + 1;
        }
    }
    return r->chain ? r->chain(p, r->chain_user) : 0;
}

mfr_status mfr_eval_learning_curve(const mfr_dataset *ds, const mfr_ratings *train,
                                   const mfr_ratings *valid, const mfr_train_params *p,
                                   mfr_curve *out, mfr_model **model, mfr_error *err) {
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", mfr_algo_name(p->algo) ? mfr_algo_name(p->algo) : "?");
    curve_rec rec = {.c = out, .chain = p->progress, .chain_user = p->progress_user};
    mfr_train_params tp = *p;
    tp.progress = record_epoch;
    tp.progress_user = &rec;
    mfr_model *m = NULL;
    mfr_status s = mfr_model_train(ds, train, valid, &tp, &m, err);
    if (!s && rec.nomem) s = mfr__nomem(err, "learning curve");
    if (s || !model) mfr_model_free(m);
    else *model = m;
    if (s) mfr_curve_free(out);
    return s;
}

void mfr_curve_free(mfr_curve *c) {
    if (!c) return;
    mfr__free(c->train_rmse);
    mfr__free(c->valid_rmse);
    c->train_rmse = c->valid_rmse = NULL;
    c->n = 0;
}

/* ---- the table ------------------------------------------------------------ */

static const mfr_metric TABLE_COLS[] = {
    MFR_METRIC_RMSE, MFR_METRIC_MAE, MFR_METRIC_PRECISION, MFR_METRIC_RECALL, MFR_METRIC_NDCG,
    MFR_METRIC_MAP, MFR_METRIC_HIT, MFR_METRIC_MRR, MFR_METRIC_COVERAGE, MFR_METRIC_NOVELTY,
    MFR_METRIC_FIT_S, MFR_METRIC_PREDICT_S, MFR_METRIC_RANK_S,
};
#define N_COLS ((int)(sizeof TABLE_COLS / sizeof *TABLE_COLS))

static void num(FILE *f, double v, int json) {
    if (!isfinite(v)) fputs(json ? "null" : "–", f);
    else if (json) fprintf(f, "%.10g", v);
    else fprintf(f, fabs(v) >= 100 ? "%.0f" : "%.4f", v);
}

static void json_str(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') fprintf(f, "\\%c", *s);
        else if ((unsigned char)*s < 0x20) fprintf(f, "\\u%04x", *s);
        else fputc(*s, f);
    }
    fputc('"', f);
}

mfr_status mfr_report_write_table(const mfr_report_row *rows, int32_t n, int json, FILE *f,
                                  mfr_error *err) {
    if (json) {
        fputs("[", f);
        for (int32_t r = 0; r < n; r++) {
            fputs(r ? ",\n{\"model\":" : "{\"model\":", f);
            json_str(f, rows[r].name);
            for (int c = 0; c < N_COLS; c++) {
                fprintf(f, ",\"%s\":", mfr_metric_name(TABLE_COLS[c]));
                num(f, rows[r].r.v[TABLE_COLS[c]], 1);
            }
            fprintf(f, ",\"n_train\":%lld,\"n_test\":%lld}", (long long)rows[r].r.n_train,
                    (long long)rows[r].r.n_test);
        }
        fputs("]\n", f);
    } else {
        fputs("| model |", f);
        for (int c = 0; c < N_COLS; c++) fprintf(f, " %s |", mfr_metric_name(TABLE_COLS[c]));
        fputs("\n|---|", f);
        for (int c = 0; c < N_COLS; c++) fputs("---:|", f);
        fputc('\n', f);
        for (int32_t r = 0; r < n; r++) {
            fprintf(f, "| %s |", rows[r].name);
            for (int c = 0; c < N_COLS; c++) {
                fputc(' ', f);
                num(f, rows[r].r.v[TABLE_COLS[c]], 0);
                fputs(" |", f);
            }
            fputc('\n', f);
        }
    }
    return ferror(f) ? mfr__err(err, MFR_E_IO, "table: write error") : MFR_OK;
}

/* ---- the page ------------------------------------------------------------- */

static const char *CSS =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;"
    "background:#f4f5f7;color:#222}\n"
    "header{background:#24323f;color:#fff;padding:20px 32px}header h1{margin:0 0 6px;font-size:24px}"
    "header p{margin:2px 0;color:#cfd8e0}\n"
    "main{max-width:1500px;margin:0 auto;padding:16px 24px}\n"
    "section{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.12);"
    "margin:16px 0;padding:12px 20px}\nsection h2{font-size:18px;margin:6px 0 10px}\n"
    ".row{display:flex;flex-wrap:wrap;gap:16px}.row>section{flex:1 1 560px;min-width:0}\n"
    "svg.chart{max-width:100%;height:auto}\n"
    "table{border-collapse:collapse;font-size:13px}th,td{padding:5px 9px;text-align:right;"
    "border-bottom:1px solid #e3e6ea}th:first-child,td:first-child{text-align:left}"
    "th{background:#eef1f4}td.best{font-weight:700;color:#1a7f37}\n"
    ".note{color:#666;font-size:12px}footer{color:#777;font-size:12px;padding:8px 32px 24px}\n";

/* Best value of column c over the rows (by the metric's direction). */
static double best_of(const mfr_report_row *rows, int32_t n, mfr_metric m) {
    double b = NAN;
    for (int32_t r = 0; r < n; r++) {
        double v = rows[r].r.v[m];
        if (!isfinite(v)) continue;
        if (isnan(b) || (mfr_metric_higher_better(m) ? v > b : v < b)) b = v;
    }
    return b;
}

static void html_table(FILE *f, const mfr_report_row *rows, int32_t n) {
    fputs("<section id=\"metrics\"><h2>Models</h2>\n<table class=\"metrics\"><thead><tr><th>model</th>", f);
    for (int c = 0; c < N_COLS; c++) fprintf(f, "<th>%s</th>", mfr_metric_name(TABLE_COLS[c]));
    fputs("</tr></thead><tbody>\n", f);
    for (int32_t r = 0; r < n; r++) {
        fputs("<tr><td>", f);
        mfr__xml_text(f, rows[r].name, -1);
        fputs("</td>", f);
        for (int c = 0; c < N_COLS; c++) {
            mfr_metric m = TABLE_COLS[c];
            int best = m < MFR_METRIC_FIT_S && n > 1 && rows[r].r.v[m] == best_of(rows, n, m);
            fputs(best ? "<td class=\"best\">" : "<td>", f);
            num(f, rows[r].r.v[m], 0);
            fputs("</td>", f);
        }
        fputs("</tr>\n", f);
    }
    fputs("</tbody></table>\n<p class=\"note\">Ranking metrics at K over the full catalogue; "
          "relevant = test rating ≥ threshold; novelty = mean popularity rank of the "
          "recommended movies (higher = less popular); best value of each column in green.</p>"
          "</section>\n", f);
}

static void html_header(FILE *f, const mfr_report_input *in) {
    const char *title = in->title ? in->title : "mfrec report";
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>", f);
    mfr__xml_text(f, title, -1);
    fprintf(f, "</title>\n<style>\n%s</style></head><body>\n<header><h1>", CSS);
    mfr__xml_text(f, title, -1);
    fputs("</h1>\n", f);
    if (in->ds) {
        mfr_dataset_stats st;
        mfr_dataset_stats_get(in->ds, &st);
        fputs("<p>", f);
        const char *src = mfr_dataset_source(in->ds);
        mfr__xml_text(f, src[0] ? src : "synthetic data", -1);
        fprintf(f, "</p>\n<p>%lld ratings · %d users · %d movies (%d rated) · density %.2f%% · "
                   "mean rating %.2f</p>\n",
                (long long)st.n_ratings, st.n_users, st.n_items, st.n_items_rated,
                100 * st.density, st.rating_mean);
    }
    fputs("</header>\n<main>\n", f);
}

mfr_status mfr_report_write_html(const mfr_report_input *in, FILE *f, mfr_error *err) {
    mfr_status s = MFR_OK;
    html_header(f, in);
    if (in->n_rows > 0) html_table(f, in->rows, in->n_rows);
    if (in->n_curves > 0) {
        fputs("<section id=\"sec-curves\"><h2>Learning curves</h2>\n", f);
        s = mfr_svg_learning_curves(in->curves, in->n_curves, f, err);
        fputs("</section>\n", f);
    }
    if (!s && in->model && mfr_model_item_factors(in->model)) {
        fputs("<section id=\"sec-map\"><h2>Map of movies</h2>\n", f);
        s = mfr_svg_movie_map(in->model, in->clusters, in->labels > 0 ? in->labels : 15, f, err);
        fputs("<p class=\"note\">Each dot is a movie; nearby movies have similar factors. "
              "Hover a dot for its title.</p></section>\n", f);
    }
    if (!s && in->ds) {
        fputs("<div class=\"row\"><section id=\"sec-ratings\"><h2>Ratings</h2>\n", f);
        s = mfr_svg_rating_hist(in->ds, f, err);
        fputs("</section><section id=\"sec-tail\"><h2>Popularity</h2>\n", f);
        if (!s) s = mfr_svg_long_tail(in->ds, f, err);
        fputs("</section></div>\n", f);
    }
    fprintf(f, "</main>\n<footer>Generated by mfrec %s. MovieLens data: F. M. Harper and "
               "J. A. Konstan, The MovieLens Datasets: History and Context, ACM TiiS 5(4), 2015."
               "</footer>\n</body></html>\n", mfr_version());
    if (!s && ferror(f)) s = mfr__err(err, MFR_E_IO, "report: write error");
    return s;
}
