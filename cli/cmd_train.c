/* cmd_train.c — `mfrec train DATA -o model.mfm [...]`: loads ratings from any
 * accepted path, trains one model family with mfr_model_train and saves the
 * model file. Parameters are the training options every training command
 * shares (train_opts.h: the family's defaults, --params FILE, then --NAME
 * VALUE / --set NAME=VALUE in command-line order); every one goes through
 * mfr_train_params_set, so the names and checks are the library's. On a
 * terminal one updating line shows epoch, RMSEs, time and ETA; Ctrl-C stops
 * after the current epoch and the last completed epoch is still saved. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "train_opts.h"

static const char train_help[] =
    "usage: mfrec train DATA -o model.mfm [options] [training options]\n"
    "Train a model on DATA (MovieLens folder or .zip, ratings file, or .mfd) and save it.\n"
    "\n"
    "  -o, --output FILE     model file to write (required)\n"
    "  -q, --quiet           no progress line\n"
    "  -h, --help            this help\n"
    "%s"
    "Families: auto (the default: EASE orders the lists, biased MF by SGD gives the\n"
    "stars), ease, sgd, adam, als, svd, svdpp, ials, bpr, nmf, bmf, baseline,\n"
    "knn-user, knn-item, content, hybrid. Every parameter: --NAME VALUE with the\n"
    "names `mfrec info` prints (dashes or underscores), e.g. --ease-lambda 120\n"
    "--max-memory-mb 4096 --rank-min-ratings 3. Precedence: the family's defaults,\n"
    "then --params, then the options in command-line order.\n"
    "Ctrl-C stops after the current epoch and saves that model (exit status 7).\n";

static void train_summary(const mfr_model *m, const char *path, double secs, int cancelled) {
    mfr_model_info info;
    mfr_model_info_get(m, &info);
    char valid[64] = "";
    if (!isnan(info.valid_rmse)) snprintf(valid, sizeof valid, ", valid RMSE %.4f", info.valid_rmse);
    char train[64] = "";
    if (!isnan(info.train_rmse)) snprintf(train, sizeof train, ", train RMSE %.4f", info.train_rmse);
    printf("%s %s: %d users, %d movies, %lld ratings, %d epochs in %.2f s%s%s\n",
           cancelled ? "interrupted" : "trained", mfr_algo_name(info.algo), info.n_users,
           info.n_items, (long long)info.n_train, info.epochs_run, secs, train, valid);
    if (info.ranked_items < info.n_items) {
        int32_t eligible = 0;
        for (int32_t i = 0; i < info.n_items; i++)
            eligible += mfr_model_item_count(m, i) >= info.params.rank_min_ratings;
        printf("ranking covers %d movies (with >= %d training ratings%s); the other %d %s\n",
               info.ranked_items, (int)info.params.rank_min_ratings,
               eligible > info.ranked_items ? ", the most rated that fit max_memory_mb" : "",
               info.n_items - info.ranked_items,
               info.algo == MFR_ALGO_AUTO ? "come after them, by their baseline rating"
                                          : "are predicted but never recommended");
    }
    printf("saved %s\n", path);
}

static int train_parse_args(int argc, char **argv, train_opts *t, const char **data,
                            const char **out, int *quiet) {
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
            char opts[1024];
            FILE *f = fmemopen(opts, sizeof opts, "w");
            if (f) {
                train_opts_help(f);
                fclose(f);
            } else {
                opts[0] = '\0';
            }
            printf(train_help, opts);
            return -1;
        }
        if (!strcmp(o, "-q") || !strcmp(o, "--quiet")) {
            *quiet = 1;
            continue;
        }
        if (!strcmp(o, "-o") || !strcmp(o, "--output")) {
            if (!(*out = eo_value("train", argc, argv, &i))) return MFR_E_INVALID;
            continue;
        }
        int r = train_opts_take("train", argc, argv, &i, t);
        if (r < 0) return MFR_E_INVALID;
        if (r) continue;
        if (o[0] == '-') return cli_usage_error("train", "unknown option %s", o);
        if (*data) return cli_usage_error("train", "unexpected argument \"%s\"", o);
        *data = o;
    }
    if (!*data) return cli_usage_error("train", "no DATA given");
    if (!*out) return cli_usage_error("train", "-o model.mfm is required");
    return 0;
}

int cmd_train(int argc, char **argv) {
    static train_opts topts; /* a few KB: not on the stack */
    const char *out = NULL, *data = NULL;
    int quiet = 0;
    memset(&topts, 0, sizeof topts);
    int rc = train_parse_args(argc, argv, &topts, &data, &out, &quiet);
    if (rc) return rc < 0 ? 0 : rc;
    mfr_train_params p;
    mfr_error err = {0};
    if (train_opts_resolve(&topts, &p, &err)) {
        fprintf(stderr, "mfrec train: %s\n", err.message);
        return err.code == MFR_E_IO ? MFR_E_IO : MFR_E_INVALID;
    }
    cli_set_quiet(quiet);
    cli_catch_sigint(); /* Ctrl-C while loading cancels the load (exit 7) */
    mfr_dataset *ds = NULL;
    mfr_status s = cli_load_dataset(data, NULL, &ds, &err);
    if (s) return cli_fail("train", s, &err);
    p.progress = cli_progress;
    p.progress_user = NULL;
    mfr_model *m = NULL;
    double t0 = cli_now();
    s = mfr_model_train(ds, NULL, NULL, &p, &m, &err);
    double secs = cli_now() - t0;
    cli_progress_end();
    mfr_dataset_free(ds);
    int cancelled = s == MFR_E_CANCELLED && m;
    if (s && !cancelled) {
        mfr_model_free(m);
        return cli_fail("train", s, &err);
    }
    mfr_status ss = mfr_model_save(m, out, &err);
    if (ss) {
        mfr_model_free(m);
        return cli_fail("train", ss, &err);
    }
    if (cancelled)
        fprintf(stderr, "mfrec train: interrupted; saved the model of the last completed epoch to %s\n", out);
    train_summary(m, out, secs, cancelled);
    mfr_model_free(m);
    return cancelled ? MFR_E_CANCELLED : 0;
}
