/* train_opts.c — the training, split, ranking and reading option groups
 * (train_opts.h), params files, and the JSON of a CV result. Training options are kept as (name,
 * text) pairs until resolve, which applies them through
 * mfr_train_params_set, so every field the library knows is an option here
 * without a table to keep in step, and mfr_train_params_applies says which of
 * them a family reads. */
#include "train_opts.h"
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

const cli_opt cli_train_group[] = {
    {CLI_T_ALGO, 0, "algo", "NAME",
     "model family (auto when none is named):"},
    {CLI_T_PARAMS, 0, "params", "FILE",
     "name=value lines (# starts a comment anywhere; what tune -o writes)"},
    {CLI_T_SET, 0, "set", "NAME=VALUE", "one training parameter, as one argument (repeatable)"},
    {CLI_T_PARAM, 0, "NAME", "VALUE",
     "any training parameter the family uses, dashes or underscores:\n--factors 64 --epochs 20 "
     "--lr 0.01 --reg-bias 0.02 --threads 2 ...;\nmfrec train --algo NAME --help lists NAME's"},
    {0, 0, 0, 0, 0}};

const cli_opt cli_split_group[] = {
    {CLI_S_TEST_FRAC, 0, "test-frac", "F", "random holdout of fraction F (the default, 0.2)"},
    {CLI_S_FOLDS, 0, "folds", "K", "K-fold: every rating in exactly one test fold"},
    {CLI_S_LEAVE_OUT, 0, "leave-out", "K", "per user, K random ratings to test"},
    {CLI_S_TIME_FRAC, 0, "time-frac", "F", "the latest fraction F of all ratings (by timestamp) to test"},
    {CLI_S_USER_LAST, 0, "user-last", "K", "per user, the K latest ratings to test"},
    {CLI_S_MIN_USER, 0, "min-user-ratings", "N",
     "per-user kinds: users with fewer ratings stay in training (K+1)"},
    {CLI_S_SPLIT_SEED, 0, "split-seed", "S", "the split's seed alone (--seed sets split and training)"},
    {CLI_S_TRAIN, 0, "train", "FILE", "predefined training file (eval only), e.g. ml-100k u1.base"},
    {CLI_S_TEST, 0, "test", "FILE", "predefined test file (eval only), e.g. ml-100k u1.test"},
    {0, 0, 0, 0, 0}};

const cli_opt cli_rank_group[] = {
    {CLI_R_K, 0, "k", "K", "the list length the metrics score (10)"},
    {CLI_R_THRESHOLD, 0, "threshold", "T", "relevant = a test rating >= T (4.0)"},
    {0, 0, 0, 0, 0}};

int cli_rank_take(const cli_parser *ps, int id, const char *v, mfr_ranking_params *r) {
    const cli_val vals[] = {CLI_INT(CLI_R_K, 1, 100000, &r->k),
                            CLI_FLOAT(CLI_R_THRESHOLD, -1e9, 1e9, &r->threshold), {0}};
    return cli_val_take(ps, id, v, vals);
}

int train_opts_add(const char *cmd, train_opts *o, const char *name, const char *value,
                   const char *from) {
    if (o->n >= TRAIN_OPTS_MAX)
        return cli_usage_error(cmd, "%s: more than %d training options", from, TRAIN_OPTS_MAX), -1;
    if (strlen(name) >= sizeof o->names[0])
        return cli_usage_error(cmd, "%s: unknown parameter \"%s\"", from, name), -1;
    snprintf(o->names[o->n], sizeof o->names[0], "%s", name);
    snprintf(o->from[o->n], sizeof o->from[0], "%s", from);
    o->values[o->n++] = value;
    return 1;
}

int train_opts_take(const cli_parser *ps, int id, const char *v, train_opts *o) {
    const char *cmd = ps->spec->name;
    switch (id) {
    case CLI_T_PARAMS: o->params_file = v; return 1;
    case CLI_T_ALGO:
        if (strlen(v) >= sizeof o->algo) return cli_usage_error(cmd, "--algo: unknown algorithm \"%s\"", v), -1;
        snprintf(o->algo, sizeof o->algo, "%s", v);
        return 1;
    case CLI_T_PARAM: return train_opts_add(cmd, o, ps->param, v, ps->opt);
    case CLI_T_SET: {
        const char *eq = strchr(v, '=');
        char name[32];
        if (!eq || eq == v || (size_t)(eq - v) >= sizeof name)
            return cli_usage_error(cmd, "--set wants NAME=VALUE, got \"%s\"", v), -1;
        memcpy(name, v, (size_t)(eq - v));
        name[eq - v] = 0;
        for (char *c = name; *c; c++)
            if (*c == '-') *c = '_';
        return train_opts_add(cmd, o, name, eq + 1, "--set");
    }
    }
    return 0;
}

/* "knn-item does not use lr; its parameters: ..." into err. */
static mfr_status not_used(mfr_algo a, const char *where, const char *name, mfr_error *err) {
    char list[1024] = "";
    size_t n = 0;
    for (int j = 1; mfr_train_params_field(j) && n < sizeof list - 40; j++)
        if (mfr_train_params_applies(a, mfr_train_params_field(j)) == 1)
            n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", n ? " " : "", mfr_train_params_field(j));
    return cli_set_error(err, MFR_E_INVALID, "%.80s: %s does not use %.32s; its parameters: %.350s",
                         where, mfr_algo_name(a), name, list);
}

static char *trim(char *s) {
    while (*s == ' ' || *s == '\t') s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r')) *--e = 0;
    return s;
}

mfr_status train_opts_read_file(const char *path, mfr_train_params *p, mfr_error *err) {
    FILE *f = fopen(path, "r");
    if (!f) return cli_io_error(err, path);
    char line[1024];
    int ln = 0;
    mfr_status s = MFR_OK;
    for (int pass = 0; pass < 2 && !s; pass++) { /* pass 0: algo=, pass 1: the rest */
        rewind(f);
        ln = 0;
        while (!s && fgets(line, sizeof line, f)) {
            ln++;
            char *hash = strchr(line, '#'); /* a comment runs to the end of the line */
            if (hash) *hash = '\0';
            char *t = trim(line);
            if (!*t) continue;
            char *eq = strchr(t, '=');
            if (!eq) {
                s = cli_set_error(err, MFR_E_PARSE, "%s:%d: not name=value", path, ln);
                break;
            }
            *eq = 0;
            char *name = trim(t), *val = trim(eq + 1);
            int is_algo = !strcmp(name, "algo");
            if (pass == 0 && is_algo) {
                mfr_algo a;
                s = mfr_algo_from_name(val, &a, err);
                if (!s) *p = mfr_train_params_default(a);
            } else if (pass == 1 && !is_algo) {
                mfr_error e;
                char where[1200];
                snprintf(where, sizeof where, "%s:%d", path, ln);
                if (mfr_train_params_applies(p->algo, name) == 0) {
                    s = not_used(p->algo, where, name, err);
                    break;
                }
                if ((s = mfr_train_params_set(p, name, val, &e)))
                    cli_set_error(err, s, "%s:%d: %.400s", path, ln, e.message);
            }
        }
    }
    fclose(f);
    return s;
}

mfr_status train_opts_write_file(const char *path, const mfr_train_params *p,
                                 const char *comment, mfr_error *err) {
    char buf[8192];
    mfr_train_params_format(p, buf, sizeof buf);
    cli_out out;
    if (!cli_out_open(&out, path, "w")) {
        int ok = !comment || fprintf(out.f, "# %s\n", comment) >= 0;
        if (ok && !strstr(buf, "algo=")) ok = fprintf(out.f, "algo=%s\n", mfr_algo_name(p->algo)) >= 0;
        if (ok) ok = fputs(buf, out.f) >= 0;
        if (!cli_out_close(&out, ok) && ok) return MFR_OK;
    }
    return cli_io_error(err, path);
}

mfr_status train_opts_resolve(const train_opts *o, mfr_train_params *p, mfr_error *err) {
    mfr_algo a = MFR_ALGO_DEFAULT;
    if (o->algo[0]) {
        mfr_status s = mfr_algo_from_name(o->algo, &a, err);
        if (s) return s;
    }
    *p = mfr_train_params_default(a);
    if (o->params_file) {
        mfr_status s = train_opts_read_file(o->params_file, p, err);
        if (s) return s;
        if (o->algo[0] && p->algo != a)
            return cli_set_error(err, MFR_E_INVALID, "--algo %s but %s says algo=%s", o->algo,
                                 o->params_file, mfr_algo_name(p->algo));
    }
    for (int q = 0; q < o->n; q++) {
        if (mfr_train_params_applies(p->algo, o->names[q]) == 0)
            return not_used(p->algo, o->from[q], o->names[q], err);
        mfr_error e;
        mfr_status s = mfr_train_params_set(p, o->names[q], o->values[q], &e);
        if (s) return cli_set_error(err, s, "%s: %.450s", o->from[q], e.message);
    }
    return mfr_train_params_check(p, err);
}

void train_opts_help_algo(FILE *f, const char *algo) {
    mfr_algo a;
    mfr_error e;
    if (mfr_algo_from_name(algo, &a, &e)) {
        fprintf(f, "\n--algo %s: %s\n", algo, e.message);
        return;
    }
    mfr_train_params p = mfr_train_params_default(a);
    char buf[4096];
    mfr_train_params_format(&p, buf, sizeof buf);
    fprintf(f, "\nparameters of %s (defaults; --NAME VALUE or --set NAME=VALUE):\n", mfr_algo_name(a));
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
        if (strncmp(line, "algo=", 5)) fprintf(f, "  %s\n", line);
}

const cli_opt cli_import_group[] = {
    {CLI_I_FORMAT, 0, "format", "F", "auto (default: from the path and contents), movielens, ml100k,\nmldat, csv"},
    {CLI_I_COLUMNS, 0, "columns", "SPEC",
     "column order of a generic file, e.g. user,item,rating,timestamp\n(user, item, rating, timestamp, skip; "
     "without rating every row is\na rating of 1: implicit data for ranking models; implies --format csv)"},
    {CLI_I_DELIM, 0, "delimiter", "C", "field delimiter of a generic file: one character, or tab"},
    {CLI_I_HEADER, 0, "header", "yes|no", "whether the first line of a generic file is a header (detected)"},
    {CLI_I_SCALE, 0, "scale", "MIN..MAX",
     "the rating scale, e.g. 1..10: ratings outside it are bad rows\n(default: the format's; a generic file's own min..max)"},
    {CLI_I_MOVIES, 0, "movies", "FILE",
     "catalogue for a single ratings file (movies.csv, u.item or\nmovies.dat layout): titles and genres"},
    {CLI_I_STRICT, 0, "strict", NULL, "fail on the first bad row (exit 3, file:line in the message)"},
    {0, 0, 0, 0, 0}};

static int import_format(const cli_parser *ps, const char *s, mfr_format *out) {
    static const struct { const char *name; mfr_format f; } names[] = {
        {"auto", MFR_FMT_AUTO}, {"movielens", MFR_FMT_ML_CSV}, {"ml100k", MFR_FMT_ML_100K},
        {"mldat", MFR_FMT_ML_DAT}, {"csv", MFR_FMT_GENERIC}, {"mfd", MFR_FMT_MFD}};
    for (size_t j = 0; j < sizeof names / sizeof *names; j++)
        if (!strcasecmp(s, names[j].name)) {
            *out = names[j].f;
            return 1;
        }
    return cli_opt_error(ps, "unknown format \"%s\" (auto, movielens, ml100k, mldat, csv)", s), -1;
}

int cli_import_take(const cli_parser *ps, int id, const char *v, mfr_import_params *p) {
    mfr_error err = {0};
    switch (id) {
    case CLI_I_FORMAT: return import_format(ps, v, &p->format);
    case CLI_I_COLUMNS:
        if (mfr_import_params_set_columns(p, v, &err)) return cli_opt_error(ps, "%s", err.message), -1;
        if (p->format == MFR_FMT_AUTO) p->format = MFR_FMT_GENERIC;
        return 1;
    case CLI_I_DELIM:
        if (!strcasecmp(v, "tab") || !strcmp(v, "\\t")) p->delimiter = '\t';
        else if (strlen(v) == 1) p->delimiter = v[0];
        else return cli_opt_error(ps, "expected one character or 'tab', got \"%s\"", v), -1;
        return 1;
    case CLI_I_HEADER:
        if (cli_opt_choice(ps, v, "yes|no", &p->header)) return -1;
        p->header = !p->header; /* yes is 1 */
        return 1;
    case CLI_I_SCALE: {
        const char *dots = strstr(v, "..");
        char lo[64];
        double a, b;
        if (!dots || (size_t)(dots - v) >= sizeof lo)
            return cli_opt_error(ps, "expected MIN..MAX (e.g. 1..10), got \"%s\"", v), -1;
        snprintf(lo, sizeof lo, "%.*s", (int)(dots - v), v);
        if (cli_opt_float(ps, lo, -1e9, 1e9, &a) || cli_opt_float(ps, dots + 2, -1e9, 1e9, &b)) return -1;
        if (!(a < b)) return cli_opt_error(ps, "MIN must be below MAX, got \"%s\"", v), -1;
        if (a == 0 && b == 0) return cli_opt_error(ps, "0..0 is not a scale"), -1;
        p->rating_min = (float)a;
        p->rating_max = (float)b;
        return 1;
    }
    case CLI_I_MOVIES: p->movies_path = v; return 1;
    case CLI_I_STRICT: p->strict = 1; return 1;
    }
    return 0;
}

/* ---- split options ---------------------------------------------------------- */

static int take_kind(const cli_parser *ps, cli_split *s, mfr_split_kind k) {
    if (s->given && s->p.kind != k)
        return cli_opt_error(ps, "only one split kind (--test-frac, --folds, --leave-out, "
                                 "--time-frac, --user-last) at a time"), -1;
    s->given = 1;
    s->p.kind = k;
    return 1;
}

int cli_split_take(const cli_parser *ps, int id, const char *v, cli_split *s) {
    const cli_val vals[] = {CLI_TEXT(CLI_S_TRAIN, &s->train_file),
                            CLI_TEXT(CLI_S_TEST, &s->test_file),
                            CLI_FLOAT(CLI_S_TEST_FRAC, 1e-9, 1 - 1e-9, &s->p.test_frac),
                            CLI_FLOAT(CLI_S_TIME_FRAC, 1e-9, 1 - 1e-9, &s->p.test_frac),
                            CLI_INT(CLI_S_SPLIT_SEED, 0, 0x7fffffffffffffffL, &s->p.seed),
                            CLI_INT(CLI_S_MIN_USER, 0, 1000000, &s->p.min_user_ratings),
                            CLI_INT(CLI_S_FOLDS, 2, 1000000, &s->p.folds),
                            CLI_INT(CLI_S_LEAVE_OUT, 1, 1000000, &s->p.leave_out),
                            CLI_INT(CLI_S_USER_LAST, 1, 1000000, &s->p.leave_out), {0}};
    int r = cli_val_take(ps, id, v, vals);
    switch (r > 0 ? id : 0) { /* what the value sets besides its field */
    case CLI_S_SPLIT_SEED: s->seed_set = 1; break;
    case CLI_S_TEST_FRAC: return take_kind(ps, s, MFR_SPLIT_HOLDOUT);
    case CLI_S_TIME_FRAC: return take_kind(ps, s, MFR_SPLIT_TIME);
    case CLI_S_FOLDS: return take_kind(ps, s, MFR_SPLIT_KFOLD);
    case CLI_S_LEAVE_OUT: return take_kind(ps, s, MFR_SPLIT_LEAVE_OUT);
    case CLI_S_USER_LAST: return take_kind(ps, s, MFR_SPLIT_USER_LAST);
    }
    return r;
}

int cli_seed_take(const cli_parser *ps, const char *v, cli_split *s, train_opts *o) {
    long n;
    if (cli_opt_int(ps, v, 0, 0x7fffffffffffffffL, &n)) return -1;
    if (!s->seed_set) s->p.seed = (uint64_t)n;
    return o ? train_opts_add(ps->spec->name, o, "seed", v, "--seed") : 1;
}

void cli_split_describe(const mfr_split_params *p, char *buf, size_t cap) {
    switch (p->kind) {
    case MFR_SPLIT_KFOLD: snprintf(buf, cap, "%d-fold CV", p->folds); break;
    case MFR_SPLIT_HOLDOUT: snprintf(buf, cap, "random holdout %g%%", p->test_frac * 100); break;
    case MFR_SPLIT_TIME: snprintf(buf, cap, "time cut, latest %g%% to test", p->test_frac * 100); break;
    case MFR_SPLIT_LEAVE_OUT: snprintf(buf, cap, "leave %d out per user", p->leave_out); break;
    case MFR_SPLIT_USER_LAST: snprintf(buf, cap, "last %d per user", p->leave_out); break;
    default: snprintf(buf, cap, "?"); break;
    }
}

void cli_json_metrics(FILE *f, const double *v) {
    fputc('{', f);
    for (int m = 0; m < MFR_METRIC__COUNT; m++) {
        fprintf(f, "%s\"%s\":", m ? "," : "", mfr_metric_name((mfr_metric)m));
        cli_json_num(f, v[m]);
    }
    fputc('}', f);
}

void cli_cv_json(FILE *f, const mfr_cv_result *r) {
    fputs("{\"mean\":", f);
    cli_json_metrics(f, r->mean);
    fputs(",\"std\":", f);
    cli_json_metrics(f, r->std);
    fputs(",\"folds\":[", f);
    for (int32_t q = 0; q < r->n_folds; q++) {
        const mfr_fold_result *x = &r->folds[q];
        fprintf(f, "%s{\"metrics\":", q ? "," : "");
        cli_json_metrics(f, x->v);
        fprintf(f,
                ",\"n_train\":%lld,\"n_test\":%lld,\"unknown_users\":%lld,\"unknown_items\":%lld,"
                "\"users_ranked\":%lld,\"users_no_relevant\":%lld,\"users_unknown\":%lld,"
                "\"epochs_run\":%d}",
                (long long)x->n_train, (long long)x->n_test, (long long)x->unknown_users,
                (long long)x->unknown_items, (long long)x->users_ranked,
                (long long)x->users_no_relevant, (long long)x->users_unknown, x->epochs_run);
    }
    fputs("]}", f);
}
