/* train_opts.c — shared training options and params files, plus the small
 * helpers of the eval / split / tune / report commands (see train_opts.h).
 * Options are kept as (name, text) pairs until resolve, which applies them
 * through mfr_train_params_set, so every field the library knows is an
 * option here without a table to keep in step. */
#include "train_opts.h"
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int train_opts_take(const char *cmd, int argc, char **argv, int *i, train_opts *o) {
    const char *a = argv[*i];
    if (strncmp(a, "--", 2) != 0 || !a[2]) return 0;
    const char *name = a + 2;
    if (!strcmp(name, "algo") || !strcmp(name, "params") || !strcmp(name, "set")) {
        const char *v = eo_value(cmd, argc, argv, i);
        if (!v) return -1;
        if (!strcmp(name, "params")) {
            o->params_file = v;
        } else if (!strcmp(name, "algo")) {
            snprintf(o->algo, sizeof o->algo, "%s", v);
        } else {
            const char *eq = strchr(v, '=');
            if (!eq || eq == v || (size_t)(eq - v) >= sizeof o->names[0])
                return cli_usage_error(cmd, "--set wants NAME=VALUE, got \"%s\"", v), -1;
            if (o->n >= TRAIN_OPTS_MAX) return cli_usage_error(cmd, "too many training options"), -1;
            memcpy(o->names[o->n], v, (size_t)(eq - v));
            o->names[o->n][eq - v] = 0;
            o->values[o->n++] = eq + 1;
        }
        return 1;
    }
    /* --NAME VALUE for any parameter field: validate the name now. */
    char field[32];
    if (strlen(name) >= sizeof field) return 0;
    snprintf(field, sizeof field, "%s", name);
    for (char *c = field; *c; c++)
        if (*c == '-') *c = '_';
    mfr_train_params probe = mfr_train_params_default(MFR_ALGO_SGD);
    mfr_error e;
    if (mfr_train_params_set(&probe, field, "x", &e) && strstr(e.message, "unknown field")) return 0;
    const char *v = eo_value(cmd, argc, argv, i);
    if (!v) return -1;
    if (o->n >= TRAIN_OPTS_MAX) return cli_usage_error(cmd, "too many training options"), -1;
    snprintf(o->names[o->n], sizeof o->names[0], "%s", field);
    o->values[o->n++] = v;
    return 1;
}

static char *trim(char *s) {
    while (*s == ' ' || *s == '\t') s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r')) *--e = 0;
    return s;
}

mfr_status train_opts_read_file(const char *path, mfr_train_params *p, mfr_error *err) {
    FILE *f = fopen(path, "r");
    if (!f) {
        if (err) {
            err->code = MFR_E_IO;
            snprintf(err->message, sizeof err->message, "%s: %s", path, strerror(errno));
        }
        return MFR_E_IO;
    }
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
                s = MFR_E_PARSE;
                if (err) {
                    err->code = s;
                    snprintf(err->message, sizeof err->message, "%s:%d: not name=value", path, ln);
                }
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
                s = mfr_train_params_set(p, name, val, &e);
                if (s && err) {
                    err->code = s;
                    snprintf(err->message, sizeof err->message, "%s:%d: %.400s", path, ln, e.message);
                }
            }
        }
    }
    fclose(f);
    return s;
}

mfr_status train_opts_write_file(const char *path, const mfr_train_params *p,
                                 const char *comment, mfr_error *err) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    char buf[8192];
    mfr_train_params_format(p, buf, sizeof buf);
    int ok = f != NULL;
    if (ok && comment) ok = fprintf(f, "# %s\n", comment) >= 0;
    if (ok && !strstr(buf, "algo=")) ok = fprintf(f, "algo=%s\n", mfr_algo_name(p->algo)) >= 0;
    if (ok) ok = fputs(buf, f) >= 0;
    if (f && fclose(f)) ok = 0;
    if (ok && rename(tmp, path)) ok = 0;
    if (!ok) {
        int e = errno;
        remove(tmp);
        if (err) {
            err->code = MFR_E_IO;
            snprintf(err->message, sizeof err->message, "%s: %s", path, strerror(e));
        }
        return MFR_E_IO;
    }
    return MFR_OK;
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
            return err ? (err->code = MFR_E_INVALID,
                          snprintf(err->message, sizeof err->message,
                                   "--algo %s but %s says algo=%s", o->algo, o->params_file,
                                   mfr_algo_name(p->algo)), MFR_E_INVALID)
                       : MFR_E_INVALID;
    }
    for (int q = 0; q < o->n; q++) {
        mfr_error e;
        mfr_status s = mfr_train_params_set(p, o->names[q], o->values[q], &e);
        if (s) {
            if (err) {
                err->code = s;
                snprintf(err->message, sizeof err->message, "--%s: %.450s", o->names[q], e.message);
            }
            return s;
        }
    }
    return mfr_train_params_check(p, err);
}

void train_opts_help(FILE *f) {
    fprintf(f,
            "training options (the same for train, eval, tune and report):\n"
            "  --algo NAME        model family (auto, ease, sgd, ials, als, knn-item, ...; default auto)\n"
            "  --params FILE      name=value lines (what mfrec tune -o writes)\n"
            "  --NAME VALUE       any training parameter: --factors 64 --epochs 20 --lr 0.01\n"
            "                     --reg 0.05 --seed 7 --threads 2 ...\n"
            "  --set NAME=VALUE   the same, as one argument\n");
}

/* ---- helpers ---------------------------------------------------------------- */

const char *eo_value(const char *cmd, int argc, char **argv, int *i) {
    if (*i + 1 >= argc) {
        cli_usage_error(cmd, "%s needs a value", argv[*i]);
        return NULL;
    }
    return argv[++*i];
}

void eo_begin(int quiet) {
    cli_set_quiet(quiet);
    cli_catch_sigint();
}

int eo_progress(const mfr_progress *p, void *user) {
    (void)user;
    if (cli_interrupted) return 1; /* Ctrl-C: stop after the running fits */
    if (!cli_show_progress()) return 0;
    if (p->eta_s == p->eta_s)
        fprintf(stderr, "\r%s %d/%d  %.1fs  ETA %.0fs   ", p->stage, p->step, p->steps, p->elapsed_s,
                p->eta_s);
    else
        fprintf(stderr, "\r%s %d/%d  %.1fs   ", p->stage, p->step, p->steps, p->elapsed_s);
    if (p->step == p->steps) fprintf(stderr, "\r%60s\r", "");
    return 0;
}

const char *eo_basename(const char *path) {
    static char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    size_t n = strlen(buf);
    while (n > 1 && buf[n - 1] == '/') buf[--n] = 0;
    const char *s = strrchr(buf, '/');
    return s ? s + 1 : buf;
}

/* ---- split options ---------------------------------------------------------- */

static int take_kind(const char *cmd, eo_split *s, mfr_split_kind k, const char *opt) {
    if (s->given && s->p.kind != k)
        return cli_usage_error(cmd, "%s: only one split kind (--test-frac, --folds, --leave-out, "
                        "--time-frac, --user-last) at a time", opt), -1;
    s->given = 1;
    s->p.kind = k;
    return 1;
}

int eo_split_take(const char *cmd, int argc, char **argv, int *i, eo_split *s) {
    const char *a = argv[*i], *v;
    long n;
    double x;
    if (!strcmp(a, "--train") || !strcmp(a, "--test")) {
        if (!(v = eo_value(cmd, argc, argv, i))) return -1;
        *(!strcmp(a, "--train") ? &s->train_file : &s->test_file) = v;
        return 1;
    }
    int is_frac = !strcmp(a, "--test-frac") || !strcmp(a, "--time-frac");
    int is_count = !strcmp(a, "--folds") || !strcmp(a, "--leave-out") || !strcmp(a, "--user-last") ||
                   !strcmp(a, "--min-user-ratings") || !strcmp(a, "--split-seed");
    if (!is_frac && !is_count) return 0;
    if (!(v = eo_value(cmd, argc, argv, i))) return -1;
    if (is_frac) {
        if (cli_parse_float(cmd, a, v, 1e-9, 1 - 1e-9, &x)) return -1;
        s->p.test_frac = x;
        return take_kind(cmd, s, !strcmp(a, "--test-frac") ? MFR_SPLIT_HOLDOUT : MFR_SPLIT_TIME, a);
    }
    if (!strcmp(a, "--split-seed")) {
        if (cli_parse_int(cmd, a, v, 0, 0x7fffffffffffffffL, &n)) return -1;
        s->p.seed = (uint64_t)n;
        s->seed_set = 1;
        return 1;
    }
    if (cli_parse_int(cmd, a, v, !strcmp(a, "--folds") ? 2 : !strcmp(a, "--min-user-ratings") ? 0 : 1,
                1000000, &n))
        return -1;
    if (!strcmp(a, "--min-user-ratings")) {
        s->p.min_user_ratings = (int32_t)n;
        return 1;
    }
    if (!strcmp(a, "--folds")) {
        s->p.folds = (int32_t)n;
        return take_kind(cmd, s, MFR_SPLIT_KFOLD, a);
    }
    s->p.leave_out = (int32_t)n;
    return take_kind(cmd, s, !strcmp(a, "--leave-out") ? MFR_SPLIT_LEAVE_OUT : MFR_SPLIT_USER_LAST, a);
}

void eo_split_help(FILE *f) {
    fprintf(f,
            "split options (one kind; all deterministic from --seed):\n"
            "  --test-frac F         random holdout of fraction F\n"
            "  --folds K             K-fold cross-validation (every rating tested once)\n"
            "  --leave-out K         per user, K random ratings to test\n"
            "  --time-frac F         the latest fraction F of all ratings (by timestamp) to test\n"
            "  --user-last K         per user, the K latest ratings to test\n"
            "  --min-user-ratings N  per-user kinds: users with fewer stay in training\n"
            "                        (default K+1)\n"
            "  --train A --test B    predefined files (e.g. ml-100k u1.base / u1.test)\n");
}

void eo_split_describe(const mfr_split_params *p, char *buf, size_t cap) {
    switch (p->kind) {
    case MFR_SPLIT_KFOLD: snprintf(buf, cap, "%d-fold CV", p->folds); break;
    case MFR_SPLIT_HOLDOUT: snprintf(buf, cap, "random holdout %g%%", p->test_frac * 100); break;
    case MFR_SPLIT_TIME: snprintf(buf, cap, "time cut, latest %g%% to test", p->test_frac * 100); break;
    case MFR_SPLIT_LEAVE_OUT: snprintf(buf, cap, "leave %d out per user", p->leave_out); break;
    case MFR_SPLIT_USER_LAST: snprintf(buf, cap, "last %d per user", p->leave_out); break;
    default: snprintf(buf, cap, "?"); break;
    }
}

void eo_json_num(FILE *f, double v) {
    if (v != v || v > 1e308 || v < -1e308) fputs("null", f);
    else fprintf(f, "%.10g", v);
}

static void metrics_obj(FILE *f, const double *v) {
    fputc('{', f);
    for (int m = 0; m < MFR_METRIC__COUNT; m++) {
        fprintf(f, "%s\"%s\":", m ? "," : "", mfr_metric_name((mfr_metric)m));
        eo_json_num(f, v[m]);
    }
    fputc('}', f);
}

void eo_cv_json(FILE *f, const mfr_cv_result *r) {
    fputs("{\"mean\":", f);
    metrics_obj(f, r->mean);
    fputs(",\"std\":", f);
    metrics_obj(f, r->std);
    fputs(",\"folds\":[", f);
    for (int32_t q = 0; q < r->n_folds; q++) {
        const mfr_fold_result *x = &r->folds[q];
        fprintf(f, "%s{\"metrics\":", q ? "," : "");
        metrics_obj(f, x->v);
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
