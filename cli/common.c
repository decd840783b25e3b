/* common.c — what the subcommands share (declared in cli.h): one-line error
 * messages "mfrec <cmd>: <message>" on stderr, the value of an option read
 * strictly (a number in range, one of named choices), the one progress line
 * on a terminal (epochs, folds, tune points), Ctrl-C as "stop after this
 * epoch", loading a dataset from any accepted path, resolving a movie given
 * by id or title, JSON string escaping, and the dataset statistics table that
 * `import` and `info` both print. It calls nothing else of cli/. Nothing here
 * keeps state beyond the quiet flag, the progress-line flag and the interrupt
 * flag (one command per process). */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

volatile sig_atomic_t cli_interrupted = 0;
static int cli_quiet = 0;
static int cli_progress_shown = 0;

/* The line is put together first and written in one write(2), so the lines
 * of several processes on one stderr (the ranks of mpirun) never interleave;
 * a longer line is cut at 4 KiB. */
int cli_error(const char *cmd, mfr_status s, const char *fmt, ...) {
    if (cli_progress_shown) cli_progress_end();
    char line[4096];
    int n = snprintf(line, sizeof line, "mfrec %s: ", cmd);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < sizeof line) n += vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    size_t len = n < 0 ? 0 : (size_t)n < sizeof line - 1 ? (size_t)n : sizeof line - 2;
    line[len++] = '\n';
    for (size_t at = 0; at < len;) {
        ssize_t w = write(STDERR_FILENO, line + at, len - at);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        at += (size_t)w;
    }
    return s ? (int)s : (int)MFR_E_INTERNAL;
}

int cli_fail(const char *cmd, mfr_status s, const mfr_error *err) {
    return cli_error(cmd, s, "%s", err && err->message[0] ? err->message : mfr_status_message(s));
}

/* "mfrec CMD: [OPT: ]MESSAGE (see mfrec CMD --help)"; MFR_E_INVALID. */
static int usage_v(const char *cmd, const char *opt, const char *fmt, va_list ap) {
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    return cli_error(cmd, MFR_E_INVALID, "%s%s%s (see mfrec %s --help)", opt ? opt : "", opt ? ": " : "",
                     msg, cmd);
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int r = usage_v(cmd, NULL, fmt, ap);
    va_end(ap);
    return r;
}

int cli_opt_error(const cli_parser *ps, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int r = usage_v(ps->spec->name, ps->opt, fmt, ap);
    va_end(ap);
    return r;
}

int cli_opt_int_n(const cli_parser *ps, const char *v, long lo, long hi, void *out, size_t size) {
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (!*v || *end || errno == ERANGE) return cli_opt_error(ps, "expected an integer, got \"%s\"", v);
    if (x < lo || x > hi) return cli_opt_error(ps, "%ld is outside %ld..%ld", x, lo, hi);
    if (size == sizeof(int)) *(int *)out = (int)x;
    else *(long *)out = x; /* long, or unsigned long: lo..hi is within both */
    return 0;
}

int cli_opt_float_n(const cli_parser *ps, const char *v, double lo, double hi, void *out, size_t size) {
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (!*v || *end || errno == ERANGE || isnan(x)) return cli_opt_error(ps, "expected a number, got \"%s\"", v);
    if (x < lo || x > hi) return cli_opt_error(ps, "%g is outside %g..%g", x, lo, hi);
    if (size == sizeof(float)) *(float *)out = (float)x;
    else *(double *)out = x;
    return 0;
}

int cli_val_take(const cli_parser *ps, int id, const char *v, const cli_val *vals) {
    const cli_val *n = vals;
    while (n && n->id && n->id != id) n++;
    if (!n || !n->id) return 0;
    switch (n->kind) {
    case CLI_K_TEXT: *(const char **)n->out = v; return 1;
    case CLI_K_SET: *(int *)n->out = (int)n->lo; return 1;
    case CLI_K_CHOICE: return cli_opt_choice(ps, v, n->text, n->out) ? -1 : 1;
    }
    return (n->flo < n->fhi ? cli_opt_float_n(ps, v, n->flo, n->fhi, n->out, n->size)
                            : cli_opt_int_n(ps, v, n->lo, n->hi, n->out, n->size)) ? -1 : 1;
}

int cli_opt_choice(const cli_parser *ps, const char *v, const char *names, int *out) {
    char list[256];
    size_t w = 0, vn = strlen(v);
    for (int k = 0;; k++) {
        size_t n = strcspn(names, "|");
        if (n == vn && !strncasecmp(v, names, n)) return *out = k, 0;
        const char *sep = !names[n] ? "" : strchr(names + n + 1, '|') ? ", " : " or ";
        w += (size_t)snprintf(list + w, sizeof list - w, "%.*s%s", (int)n, names, sep);
        if (!names[n] || w >= sizeof list) break;
        names += n + 1;
    }
    return cli_opt_error(ps, "expected %s, got \"%s\"", list, v);
}

int32_t cli_ranked_items(const mfr_model_info *in) {
    return mfr_train_params_applies(in->algo, "rank_min_ratings") == 1 ? in->ranked_items : in->n_items;
}

int cli_is_model_path(const char *path) {
    size_t n = strlen(path);
    return n > 4 && !strcmp(path + n - 4, ".mfm");
}

double cli_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void cli_set_quiet(int quiet) { cli_quiet = quiet; }

static void cli_log_line(int level, const char *msg, void *user) {
    if (level < MFR_LOG_INFO) return;
    if (cli_progress_shown) cli_progress_end();
    fprintf(stderr, "mfrec: %s%s\n", level >= MFR_LOG_WARN ? "warning: " : "", msg);
}

void cli_set_verbose(void) { mfr_set_log(cli_log_line, NULL); }

void cli_begin(int quiet) {
    cli_set_quiet(quiet);
    cli_catch_sigint();
}

const char *cli_basename(const char *path) {
    static char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    size_t n = strlen(buf);
    while (n > 1 && buf[n - 1] == '/') buf[--n] = 0;
    const char *s = strrchr(buf, '/');
    return s ? s + 1 : buf;
}

int cli_show_progress(void) { return !cli_quiet && isatty(STDERR_FILENO); }

static void cli_fmt_secs(char *buf, size_t cap, double s) {
    if (!(s >= 0) || isinf(s)) snprintf(buf, cap, "?");
    else if (s < 10) snprintf(buf, cap, "%.1fs", s);
    else if (s < 600) snprintf(buf, cap, "%.0fs", s);
    else snprintf(buf, cap, "%.0fm%02.0fs", floor(s / 60), fmod(s, 60));
}

int cli_progress(const mfr_progress *p, void *user) {
    if (cli_show_progress()) {
        char el[32], eta[32], line[256];
        int n = 0;
        cli_fmt_secs(el, sizeof el, p->elapsed_s);
        cli_fmt_secs(eta, sizeof eta, p->eta_s);
        const char *stage = p->stage && strcmp(p->stage, "train") ? p->stage : "epoch";
        if (p->stage && !strcmp(p->stage, "import"))
            n += snprintf(line + n, sizeof line - (size_t)n, "reading: %d rows", p->step);
        else if (p->steps > 0) n += snprintf(line + n, sizeof line - (size_t)n, "%s %d/%d", stage, p->step, p->steps);
        else n += snprintf(line + n, sizeof line - (size_t)n, "%s %d", stage, p->step);
        if (!isnan(p->train_rmse)) n += snprintf(line + n, sizeof line - (size_t)n, "  train %.4f", p->train_rmse);
        if (!isnan(p->valid_rmse)) n += snprintf(line + n, sizeof line - (size_t)n, "  valid %.4f", p->valid_rmse);
        n += snprintf(line + n, sizeof line - (size_t)n, "  %s", el);
        if (!isnan(p->eta_s)) snprintf(line + n, sizeof line - (size_t)n, "  ETA %s", eta);
        fprintf(stderr, "\r%s\033[K", line);
        fflush(stderr);
        cli_progress_shown = 1;
    }
    return cli_interrupted ? 1 : 0;
}

void cli_progress_end(void) {
    if (cli_progress_shown) {
        fputc('\n', stderr);
        cli_progress_shown = 0;
    }
}

static void cli_on_sigint(int sig) {
    if (cli_interrupted) { /* second Ctrl-C: die the default way */
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    cli_interrupted = 1;
}

void cli_catch_sigint(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = cli_on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
}

mfr_status cli_set_error(mfr_error *err, mfr_status s, const char *fmt, ...) {
    if (!err) return s;
    va_list ap;
    va_start(ap, fmt);
    err->code = s;
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return s;
}

mfr_status cli_io_error(mfr_error *err, const char *path) {
    return cli_set_error(err, MFR_E_IO, "%.400s: %s", path, strerror(errno));
}

mfr_status cli_load_dataset(const char *path, const mfr_import_params *p, mfr_dataset **out,
                            mfr_error *err) {
    struct stat sb;
    *out = NULL;
    if (stat(path, &sb) != 0) return cli_io_error(err, path);
    /* a line of rows read on a terminal; Ctrl-C (when caught) cancels */
    mfr_import_params q = p ? *p : mfr_import_params_default();
    if (!q.progress) {
        q.progress = cli_progress;
        q.progress_user = NULL;
    }
    mfr_status s = mfr_dataset_import(path, &q, out, err);
    cli_progress_end();
    return s;
}

static int cli_is_integer(const char *s) {
    if (!*s) return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9') return 0;
    return 1;
}

/* A title goes through the library's one matcher (mfr_model_search_titles):
 * one exact title once folded (articles, accents, punctuation; the year
 * optional) wins, as does a single match that is not a guess at a typo;
 * otherwise the best candidates are listed, best first, and the answer is
 * MFR_E_AMBIGUOUS, so an obscure movie is never picked silently. */
mfr_status cli_resolve_movie(const mfr_model *m, const char *query, int32_t *item, mfr_error *err) {
    enum { CAP = 10 };
    if (cli_is_integer(query)) {
        int32_t i = mfr_model_item_index(m, strtoll(query, NULL, 10));
        if (i < 0) return cli_set_error(err, MFR_E_NOT_FOUND, "no movie with movieId %s in the model", query);
        *item = i;
        return MFR_OK;
    }
    mfr_title_hit h[CAP];
    int32_t n = 0;
    mfr_status st = mfr_model_search_titles(m, query, h, CAP, &n, err);
    if (st) return st;
    int exact_one = n >= 1 && h[0].quality == MFR_TITLE_EXACT &&
                    (n == 1 || h[1].quality != MFR_TITLE_EXACT);
    if (exact_one || (n == 1 && h[0].quality != MFR_TITLE_TYPO)) {
        *item = h[0].item;
        return MFR_OK;
    }
    if (n == 0) return cli_set_error(err, MFR_E_NOT_FOUND, "no movie title matches \"%s\"", query);
    fprintf(stderr, "\"%s\" %s %d movies:\n", query,
            h[0].quality == MFR_TITLE_TYPO ? "is close to" : "matches", n);
    for (int32_t j = 0; j < n && j < CAP; j++)
        fprintf(stderr, "  %8lld  %s  (%d ratings)\n", (long long)mfr_model_item_id(m, h[j].item),
                mfr_model_item_title(m, h[j].item), mfr_model_item_count(m, h[j].item));
    if (n > CAP) fprintf(stderr, "  ... and %d more\n", n - CAP);
    return cli_set_error(err, MFR_E_AMBIGUOUS, "\"%s\" matches %d movies; give the movieId of one of them",
                         query, n);
}

void cli_json_string(FILE *f, const char *s) {
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20) fprintf(f, "\\u%04x", *p);
            else fputc(*p, f);
        }
    }
    fputc('"', f);
}

void cli_csv_field(FILE *f, const char *s) {
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

void cli_json_num(FILE *f, double v) {
    if (v != v || v > 1e308 || v < -1e308) fputs("null", f);
    else fprintf(f, "%.10g", v);
}

void cli_json_genres(FILE *f, const char *genres) {
    fputc('[', f);
    const char *s = genres;
    int first = 1;
    while (s && *s) {
        const char *bar = strchr(s, '|');
        size_t len = bar ? (size_t)(bar - s) : strlen(s);
        char g[128];
        snprintf(g, sizeof g, "%.*s", (int)(len < sizeof g ? len : sizeof g - 1), s);
        if (!first) fputc(',', f);
        cli_json_string(f, g);
        first = 0;
        s = bar ? bar + 1 : NULL;
    }
    fputc(']', f);
}

int cli_text_width(const char *s) {
    int w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80) w++;
    return w;
}

void cli_print_padded(FILE *f, const char *s, int width) {
    fputs(s, f);
    for (int w = cli_text_width(s); w < width; w++) fputc(' ', f);
}

static void cli_print_count_range(FILE *f, const char *what, int32_t lo, int32_t hi) {
    fprintf(f, "%-13s%d..%d ratings\n", what, lo, hi);
}

void cli_print_dataset_stats(FILE *f, const mfr_dataset *ds) {
    mfr_dataset_stats st;
    mfr_dataset_stats_get(ds, &st);
    fprintf(f, "%-13s%d\n", "users", st.n_users);
    fprintf(f, "%-13s%d rated / %d in catalogue\n", "movies", st.n_items_rated, st.n_catalog);
    fprintf(f, "%-13s%lld\n", "ratings", (long long)st.n_ratings);
    fprintf(f, "%-13s%.4f%% of user x rated-movie cells\n", "density", 100.0 * st.density);
    fprintf(f, "%-13s%g..%g (present %g..%g, mean %.3f)\n", "rating scale", (double)st.rating_min,
            (double)st.rating_max, (double)st.rating_lo, (double)st.rating_hi, st.rating_mean);
    cli_print_count_range(f, "per user", st.user_min, st.user_max);
    cli_print_count_range(f, "per movie", st.item_min, st.item_max);
    fprintf(f, "%-13s%s\n", "timestamps", st.has_time ? "yes" : "no");
    fprintf(f, "%-13s%lld\n", "tags", (long long)st.n_tags);
}

void cli_json_dataset_stats(FILE *f, const mfr_dataset *ds) {
    mfr_dataset_stats st;
    mfr_dataset_stats_get(ds, &st);
    fprintf(f, "\"users\": %d, \"movies_rated\": %d, \"movies_catalogue\": %d, \"ratings\": %lld, "
               "\"density\": %.6g, \"scale\": [%g, %g], \"present\": [%g, %g], \"mean\": %.6g, "
               "\"per_user\": [%d, %d], \"per_movie\": [%d, %d], \"timestamps\": %s, \"tags\": %lld",
            st.n_users, st.n_items_rated, st.n_catalog, (long long)st.n_ratings, st.density,
            (double)st.rating_min, (double)st.rating_max, (double)st.rating_lo, (double)st.rating_hi,
            st.rating_mean, st.user_min, st.user_max, st.item_min, st.item_max,
            st.has_time ? "true" : "false", (long long)st.n_tags);
}

/* A title in exactly width columns: padded, or cut at a code point with "...". */
static void cli_print_title(FILE *f, const char *s, int width) {
    if (cli_text_width(s) <= width) {
        cli_print_padded(f, s, width);
        return;
    }
    int w = 0;
    const char *p = s;
    for (; *p; p++) {
        if (((unsigned char)*p & 0xC0) != 0x80 && w++ == width - 3) break;
    }
    fprintf(f, "%.*s...", (int)(p - s), s);
}

/* Title column width for rows: the widest title, 5..60 columns. */
static int cli_title_width(const mfr_model *m, const mfr_scored *rows, int32_t n) {
    int tw = 5;
    for (int32_t j = 0; j < n; j++) {
        int w = cli_text_width(mfr_model_item_title(m, rows[j].item));
        if (w > tw) tw = w;
    }
    return tw > 60 ? 60 : tw;
}

/* The end of a table line of cli_print_scored: movie i's title (tw columns)
 * and genres; with m NULL, the header's. */
static void table_tail(FILE *f, const mfr_model *m, int32_t i, int tw) {
    if (!m) {
        cli_print_padded(f, "title", tw);
        fputs("  genres\n", f);
        return;
    }
    cli_print_title(f, mfr_model_item_title(m, i), tw);
    const char *g = mfr_model_item_genres(m, i);
    fprintf(f, "  %s\n", *g ? g : "-");
}

/* Rows as a table or a JSON array: similar's (recs 0) and recommendations,
 * ordered by score (the model's ranking score), each with the predicted
 * rating on the scale. */
void cli_print_scored(FILE *f, const mfr_model *m, const mfr_scored *rows, int32_t n, int recs,
                      int json) {
    if (json) {
        fputc('[', f);
        for (int32_t j = 0; j < n; j++) {
            fputs(j ? ",\n  " : "\n  ", f);
            cli_json_rec(f, m, &rows[j], j + 1, recs);
        }
        fputs(n ? "\n]\n" : "]\n", f);
        return;
    }
    int tw = cli_title_width(m, rows, n);
    if (recs) fprintf(f, "%4s  %7s  %9s  %10s  ", "rank", "movieId", "score", "prediction");
    else fprintf(f, "%4s  %7s  %10s  ", "rank", "movieId", "score");
    table_tail(f, NULL, -1, tw);
    for (int32_t j = 0; j < n; j++) {
        int32_t i = rows[j].item;
        fprintf(f, "%4d  %7lld  %*.3f  ", j + 1, (long long)mfr_model_item_id(m, i), recs ? 9 : 10,
                (double)rows[j].score);
        if (recs && isfinite(rows[j].prediction)) fprintf(f, "%10.1f  ", (double)rows[j].prediction);
        else if (recs) fprintf(f, "%10s  ", "-");
        table_tail(f, m, i, tw);
    }
}

void cli_json_rec(FILE *f, const mfr_model *m, const mfr_scored *row, int32_t rank, int recs) {
    int32_t i = row->item;
    fprintf(f, "{\"rank\": %d, \"movieId\": %lld, \"score\": ", rank,
            (long long)mfr_model_item_id(m, i));
    if (isfinite(row->score)) fprintf(f, "%.4f", (double)row->score);
    else fputs("null", f);
    if (recs && isfinite(row->prediction)) fprintf(f, ", \"prediction\": %.1f", (double)row->prediction);
    else if (recs) fputs(", \"prediction\": null", f);
    fputs(", \"title\": ", f);
    cli_json_string(f, mfr_model_item_title(m, i));
    fputs(", \"genres\": ", f);
    cli_json_genres(f, mfr_model_item_genres(m, i));
    fputc('}', f);
}

int cli_out_open(cli_out *o, const char *path, const char *mode) {
    o->path = path;
    o->f = stdout;
    if (!path) return 0;
    if ((size_t)snprintf(o->tmp, sizeof o->tmp, "%s.tmp.%ld", path, (long)getpid()) >= sizeof o->tmp)
        return errno = ENAMETOOLONG, -1;
    o->f = fopen(o->tmp, mode);
    return o->f ? 0 : -1;
}

int cli_out_close(cli_out *o, int ok) {
    int e = errno;
    if (!o->path) return ok && (fflush(stdout) || ferror(stdout)) ? -1 : 0;
    int bad = ferror(o->f);
    if (fclose(o->f)) bad = 1;
    if (ok && !bad && !rename(o->tmp, o->path)) return 0;
    if (ok) e = bad && !errno ? EIO : errno;
    remove(o->tmp);
    errno = e;
    return ok ? -1 : 0;
}

/* Loads a model, printing "mfrec <cmd>: <message>"; 0 or the exit status. */
int cli_load_model(const char *cmd, const char *path, mfr_model **out) {
    mfr_error err = {0};
    struct stat sb;
    *out = NULL;
    mfr_status s = stat(path, &sb) ? cli_io_error(&err, path) : mfr_model_load(path, out, &err);
    return s ? cli_fail(cmd, s, &err) : 0;
}
