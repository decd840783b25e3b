/* cmd_split.c — `mfrec split DATA -o DIR`: write a split's folds as files.
 *
 * Each test fold t becomes DIR/foldT/train.csv and DIR/foldT/test.csv for
 * k-fold, or DIR/train.csv and DIR/test.csv for the holdout kinds, in the
 * ratings.csv layout (userId,movieId,rating[,timestamp]) with the original
 * MovieLens ids, so `mfrec eval --train A --test B` (or any other tool)
 * reads them back. The split is the one mfrec eval would use with the same
 * options and --seed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "train_opts.h"

static const char *CMD = "split";

enum { O_OUT = 1, O_SEED };

static const cli_opt split_opts[] = {
    {O_OUT, 'o', "output", "DIR", "folder to write (required; created if absent)"},
    {O_SEED, 0, "seed", "S", "the split's seed (42)"},
    {0, 0, 0, 0, 0}};

const cli_spec cli_spec_split = {
    "split", "write train/test splits as files", "split DATA -o DIR [split] [--seed S]",
    "Write train/test files for a split: DIR/foldK/{train,test}.csv for --folds,\n"
    "DIR/{train,test}.csv otherwise (ratings.csv layout, original ids).\n"
    "Default split: --test-frac 0.2. Deterministic from --seed (default 42).",
    split_opts, CLI_G_SPLIT, NULL};

static int make_dir(const char *path) {
    return mkdir(path, 0777) == 0 || errno == EEXIST ? 0 : -1;
}

/* The ratings of r whose fold (== f) == want, to path. */
static mfr_status write_part(const mfr_dataset *ds, const mfr_ratings *r, const int32_t *fold,
                             int32_t f, int want, const char *path, long long *n,
                             mfr_error *err) {
    FILE *out = fopen(path, "w");
    if (!out) goto ioerr;
    fputs(r->time ? "userId,movieId,rating,timestamp\n" : "userId,movieId,rating\n", out);
    *n = 0;
    for (int64_t j = 0; j < r->n; j++) {
        if ((fold[j] == f) != want) continue;
        fprintf(out, "%lld,%lld,%g", (long long)mfr_dataset_user_id(ds, r->user[j]),
                (long long)mfr_dataset_item_id(ds, r->item[j]), (double)r->rating[j]);
        if (r->time) fprintf(out, ",%lld", (long long)r->time[j]);
        fputc('\n', out);
        (*n)++;
    }
    if (fclose(out) == 0) return MFR_OK;
ioerr:
    return cli_io_error(err, path);
}

static mfr_status write_folds(const mfr_dataset *ds, const cli_split *sp, const char *dir,
                              mfr_error *err) {
    mfr_ratings r;
    mfr_dataset_ratings(ds, &r);
    int32_t *fold = malloc((size_t)(r.n > 0 ? r.n : 1) * sizeof *fold), nf = 0;
    if (!fold) return MFR_E_NOMEM;
    mfr_status s = mfr_split_assign(&r, &sp->p, fold, &nf, err);
    for (int32_t t = 0; !s && t < nf; t++) {
        char sub[3000], tr[3100], te[3100];
        if (sp->p.kind == MFR_SPLIT_KFOLD) snprintf(sub, sizeof sub, "%s/fold%d", dir, t + 1);
        else snprintf(sub, sizeof sub, "%s", dir);
        if (make_dir(sub)) {
            s = cli_io_error(err, sub);
            break;
        }
        snprintf(tr, sizeof tr, "%s/train.csv", sub);
        snprintf(te, sizeof te, "%s/test.csv", sub);
        int32_t tf = mfr_split_test_fold(&sp->p, t);
        long long ntr = 0, nte = 0;
        s = write_part(ds, &r, fold, tf, 0, tr, &ntr, err);
        if (!s) s = write_part(ds, &r, fold, tf, 1, te, &nte, err);
        if (!s) printf("%s: train %lld, test %lld ratings\n", sub, ntr, nte);
    }
    free(fold);
    return s;
}

int cmd_split(int argc, char **argv) {
    cli_split sp = {.p = mfr_split_params_default()};
    const char *data = NULL, *dir = NULL, *v;
    int id;
    cli_parser ps;
    cli_parser_init(&ps, &cli_spec_split, argc, argv);
    const cli_val vals[] = {CLI_NEED(O_OUT, &dir, "no output folder (-o DIR)"), {0}};
    const cli_takes t = {.args = {&data}, .missing = "no DATA given", .vals = vals, .split = &sp};
    while ((id = cli_next_own(&ps, &v, &t)) > 0) /* --seed */
        if (cli_seed_take(&ps, v, &sp, NULL) < 0) return MFR_E_INVALID;
    if (id) return id == CLI_HELP ? 0 : MFR_E_INVALID;
    if (strlen(dir) > 2900) return cli_usage_error(CMD, "-o: folder name longer than 2900 characters");
    if (sp.train_file || sp.test_file) return cli_usage_error(CMD, "--train/--test are for mfrec eval");
    cli_begin(0);
    mfr_error err = {0};
    mfr_dataset *ds = NULL;
    mfr_status s = cli_load_dataset(data, NULL, &ds, &err);
    if (s) return cli_fail(CMD, s, &err);
    if (make_dir(dir)) s = cli_io_error(&err, dir);
    if (!s) s = write_folds(ds, &sp, dir, &err);
    mfr_dataset_free(ds);
    return s ? cli_fail(CMD, s, &err) : 0;
}
