/* cmd_train.c — `mfrec train DATA -o model.mfm [...]`: loads ratings from any
 * accepted path, trains one model family with mfr_model_train and saves the
 * model file. Parameters are the training options every training command
 * shares (train_opts.h: the family's defaults, --params FILE, then --NAME
 * VALUE / --set NAME=VALUE in command-line order); every one goes through
 * mfr_train_params_set, so the names and checks are the library's. The
 * reading options (--columns, --scale, --movies, ...) are import's. On a
 * terminal one updating line shows epoch, RMSEs, time and ETA; Ctrl-C stops
 * after the current epoch and the last completed epoch is still saved. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "train_opts.h"

enum { O_OUT = 1, O_QUIET, O_VERBOSE };

static const cli_opt train_opts_table[] = {
    {O_OUT, 'o', "output", "FILE", "model file to write (required)"},
    {O_QUIET, 'q', "quiet", NULL, "no progress line"},
    {O_VERBOSE, 'v', "verbose", NULL, "the library's log on stderr: the memory plan, the block grid"},
    {0, 0, 0, 0, 0}};

const cli_spec cli_spec_train = {
    "train", "train a model and save it (.mfm)", "train DATA -o model.mfm [options]",
    "Train a model on DATA (MovieLens folder or .zip, ratings file, or .mfd) and save it.",
    train_opts_table, CLI_G_TRAIN | CLI_G_IMPORT,
    "Precedence: the family's defaults, then --params FILE, then every --NAME VALUE\n"
    "and --set NAME=VALUE in command-line order (a later one wins). A parameter the\n"
    "family does not use is an error; mfrec train --algo NAME --help lists NAME's\n"
    "parameters with their defaults. Ctrl-C stops after the current epoch and saves\n"
    "that model (exit status 7)."};

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
    if (cli_ranked_items(&info) < info.n_items) {
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

static int train_parse_args(int argc, char **argv, train_opts *t, mfr_import_params *ip,
                            const char **data, const char **out, int *quiet) {
    cli_parser ps;
    cli_parser_init(&ps, &cli_spec_train, argc, argv);
    int id, r;
    const char *v;
    while ((id = cli_next(&ps, &v)) != CLI_END) {
        switch (id) {
        case CLI_HELP: return -1;
        case CLI_ERR: return MFR_E_INVALID;
        case CLI_ARG:
            if (cli_take_arg(&ps, v, data)) return MFR_E_INVALID;
            break;
        case O_OUT: *out = v; break;
        case O_QUIET: *quiet = 1; break;
        case O_VERBOSE: cli_set_verbose(); break;
        default:
            r = train_opts_take(&ps, id, v, t);
            if (!r) r = cli_import_take(&ps, id, v, ip);
            if (r < 0) return MFR_E_INVALID;
        }
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
    mfr_import_params ip = mfr_import_params_default();
    int rc = train_parse_args(argc, argv, &topts, &ip, &data, &out, &quiet);
    if (rc) return rc < 0 ? 0 : rc;
    mfr_train_params p;
    mfr_error err = {0};
    mfr_status s = train_opts_resolve(&topts, &p, &err);
    if (s) return cli_fail("train", s, &err);
    cli_set_quiet(quiet);
    cli_catch_sigint(); /* Ctrl-C while loading cancels the load (exit 7) */
    mfr_dataset *ds = NULL;
    s = cli_load_dataset(data, &ip, &ds, &err);
    if (s) return cli_fail("train", s, &err);
    p.progress = cli_progress;
    p.progress_user = NULL;
    mfr_model *m = NULL;
    double t0 = cli_now();
    s = mfr_model_train_consume(ds, &p, &m, &err); /* the ratings held once */
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
