/* cmd_train.c — `mfrec train DATA -o model.mfm [...]`: loads ratings from any
 * accepted path, trains one model family with mfr_model_train and saves the
 * model file. Parameters are the training options every training command
 * shares (train_opts.h: the family's defaults, --params FILE, then --NAME
 * VALUE / --set NAME=VALUE in command-line order); every one goes through
 * mfr_train_params_set, so the names and checks are the library's. The
 * reading options (--columns, --scale, --movies, ...) are import's. On a
 * terminal one updating line shows epoch, RMSEs, time and ETA; Ctrl-C stops
 * after the current epoch and the last completed epoch is still saved.
 *
 * Started by mpirun (or with --checkpoint / --resume) it trains through the
 * distributed trainer (include/mfrec/dist.h, docs/distributed.md): every
 * rank reads DATA (only its share of the ratings, mfr_dist_train_share;
 * a text file that repeats a (user, movie) pair whole); an error on any rank stops all of them with that rank's
 * message (printed by that rank, "rank R: ..."); rank 0 alone prints
 * progress and the summary and writes the model. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mfrec/dist.h"
#include "train_opts.h"

enum { O_OUT = 1, O_QUIET, O_CKPT, O_CKPT_EVERY, O_RESUME, O_VERBOSE, O_RANK_TIMEOUT };

static const cli_opt train_opts_table[] = {
    {O_OUT, 'o', "output", "FILE", "model file to write (required)"},
    {O_QUIET, 'q', "quiet", NULL, "no progress line"},
    {O_VERBOSE, 'v', "verbose", NULL, "the library's log on stderr: the memory plan, the block grid"},
    {O_CKPT, 0, "checkpoint", "DIR", "als, ials: write the factors to DIR/checkpoint.mfc after epochs (atomically)"},
    {O_CKPT_EVERY, 0, "checkpoint-every", "N", "epochs between checkpoints (default 1)"},
    {O_RESUME, 0, "resume", "DIR", "als, ials: continue from DIR/checkpoint.mfc (the same model as an uninterrupted run)"},
    {O_RANK_TIMEOUT, 0, "rank-timeout", "SECONDS", "distributed: the longest wait for another rank before the run ends (default 60)"},
    {0, 0, 0, 0, 0}};

const cli_spec cli_spec_train = {
    "train", "train a model and save it (.mfm)", "train DATA -o model.mfm [options]",
    "Train a model on DATA (MovieLens folder or .zip, ratings file, or .mfd) and save it.",
    train_opts_table, CLI_G_TRAIN | CLI_G_IMPORT,
    "Precedence: the family's defaults, then --params FILE, then every --NAME VALUE\n"
    "and --set NAME=VALUE in command-line order (a later one wins). A parameter the\n"
    "family does not use is an error; mfrec train --algo NAME --help lists NAME's\n"
    "parameters with their defaults. Ctrl-C stops after the current epoch and saves\n"
    "that model (exit status 7).\n"
    "Distributed (als, ials, sgd): mpirun -n P mfrec train DATA --algo als -o model.mfm\n"
    "trains one model on P processes (--hostfile for several hosts); rank 0 writes\n"
    "it. A build without MPI refuses P > 1. See docs/distributed.md."};

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

/* One rank's failure in front of the others: "rank R: message" when there
 * are several. */
static int dist_fail(const mfr_dist *d, mfr_status s, const mfr_error *err) {
    if (mfr_dist_size(d) <= 1) return cli_fail("train", s, err);
    return cli_error("train", s, "rank %d: %s", mfr_dist_rank(d),
                     err->message[0] ? err->message : mfr_status_message(s));
}

/* The distributed trainer (mpirun, or --checkpoint / --resume). */
/* A failure the other ranks did not share (they may wait for this rank, or
 * this rank waited past --rank-timeout for them): its message, then the
 * whole run ends with its status. */
static int dist_abort(mfr_dist *d, mfr_status s, const mfr_error *err) {
    dist_fail(d, s, err);
    fflush(NULL);
    mfr_dist_abort(d, s);
    mfr_dist_close(d);
    return s;
}

static int train_dist(const char *data, const mfr_import_params *ip, mfr_train_params *p,
                      const mfr_dist_params *dp, double rank_timeout, const char *out, int quiet) {
    mfr_error err = {0};
    mfr_dist *d = NULL;
    mfr_status s = mfr_dist_open(&d, rank_timeout, &err);
    if (s && mfr_dist_failed_alone(d)) return dist_abort(d, s, &err);
    if (s) return cli_fail("train", s, &err);
    const int rank = mfr_dist_rank(d), size = mfr_dist_size(d);
    cli_begin(quiet || rank != 0);
    mfr_dataset *ds = NULL;
    mfr_model *m = NULL;
    double t0 = cli_now();
    p->progress = rank == 0 ? cli_progress : NULL;
    p->progress_user = NULL;
    int who = -1, whole = !mfr_dist_reads_share(data, ip, p);
    if (!whole) {
        /* each rank reads only its share (docs/distributed.md) */
        s = mfr_dist_train_share(d, data, ip, p, dp, &m, &who, &whole, &err);
        if (s && who >= 0 && !mfr_dist_failed_alone(d)) { /* the file, on the rank that read it */
            if (who == rank) dist_fail(d, s, &err);
            mfr_dist_close(d);
            return s;
        }
    }
    if (whole) { /* duplicate rows (or a .mfd with --movies): every rank reads DATA whole */
        s = cli_load_dataset(data, ip, &ds, &err);
        mfr_status all = mfr_dist_agree(d, s, &err, &who); /* the first rank that failed */
        if (all && mfr_dist_failed_alone(d)) { /* this rank waited past --rank-timeout */
            mfr_dataset_free(ds);
            return dist_abort(d, all, &err);
        }
        if (all) {
            if (who == rank) dist_fail(d, all, &err);
            mfr_dataset_free(ds);
            mfr_dist_close(d);
            return all;
        }
        t0 = cli_now();
        s = mfr_dist_train(d, ds, p, dp, &m, &err);
    }
    double secs = cli_now() - t0;
    cli_progress_end();
    mfr_dataset_free(ds);
    if (s && mfr_dist_failed_alone(d)) { /* the others wait in a collective */
        mfr_model_free(m);
        return dist_abort(d, s, &err);
    }
    int cancelled = s == MFR_E_CANCELLED && m;
    int rc = 0;
    if (s && !cancelled) {
        if (rank == 0) cli_fail("train", s, &err);
        rc = s;
    } else if (rank == 0) {
        mfr_status ss = mfr_dist_model_save(d, m, out, &err); /* the seen lists from the file */
        if (ss) {
            rc = cli_fail("train", ss, &err);
        } else {
            if (cancelled)
                fprintf(stderr, "mfrec train: interrupted; saved the model of the last completed epoch to %s\n", out);
            train_summary(m, out, secs, cancelled);
            mfr_dist_stats st;
            mfr_dist_stats_get(d, &st);
            mfr_model_info info;
            mfr_model_info_get(m, &info);
            int ep = info.epochs_run > 0 ? info.epochs_run : 1;
            printf("distributed: %d rank%s%s; rank 0 kept %lld ratings for its user and movie rows "
                   "(one in both counts twice), sent %.0f bytes per epoch, %.3f s per epoch in collectives, %.3f s per epoch in all\n",
                   size, size == 1 ? "" : "s", mfr_dist_built_with_mpi() ? "" : " (built without MPI)",
                   (long long)st.share_ratings, (double)st.bytes_sent / ep, st.comm_seconds / ep,
                   st.train_seconds / ep);
            rc = cancelled ? MFR_E_CANCELLED : 0;
        }
    } else {
        rc = cancelled ? MFR_E_CANCELLED : 0;
    }
    mfr_model_free(m);
    mfr_dist_close(d);
    return rc;
}

int cmd_train(int argc, char **argv) {
    static train_opts topts; /* a few KB: not on the stack */
    const char *out = NULL, *data = NULL;
    int quiet = 0, verbose = 0;
    memset(&topts, 0, sizeof topts);
    mfr_import_params ip = mfr_import_params_default();
    mfr_dist_params dp = {NULL, 1, NULL};
    double rank_timeout = MFR_DIST_RANK_TIMEOUT;
    const cli_val vals[] = {CLI_NEED(O_OUT, &out, "-o model.mfm is required"),
                            CLI_FLAG(O_QUIET, &quiet),
                            CLI_FLAG(O_VERBOSE, &verbose),
                            CLI_TEXT(O_CKPT, &dp.checkpoint_dir),
                            CLI_TEXT(O_RESUME, &dp.resume_dir),
                            CLI_INT(O_CKPT_EVERY, 1, 1000000, &dp.checkpoint_every),
                            CLI_FLOAT(O_RANK_TIMEOUT, 0.1, 1e6, &rank_timeout), {0}};
    const cli_takes t = {.args = {&data}, .missing = "no DATA given", .vals = vals,
                         .train = &topts, .import = &ip};
    int rc = cli_parse(&cli_spec_train, argc, argv, &t);
    if (rc) return rc < 0 ? 0 : rc;
    if (verbose) cli_set_verbose();
    mfr_train_params p;
    mfr_error err = {0};
    mfr_status s = train_opts_resolve(&topts, &p, &err);
    if (s) return cli_fail("train", s, &err);
    if (mfr_dist_launched() || dp.checkpoint_dir || dp.resume_dir)
        return train_dist(data, &ip, &p, &dp, rank_timeout, out, quiet);
    cli_begin(quiet); /* Ctrl-C while loading cancels the load (exit 7) */
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
