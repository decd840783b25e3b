/* cmd_info.c — `mfrec info PATH`: what a model file holds (family,
 * parameters, sizes, mu, RMSEs, fit time, file version) or, for anything
 * else (folder, zip, ratings file, .mfd), the statistics of the dataset.
 * A path ending in .mfm is always read as a model, so a damaged model file
 * reports the model loader's precise error (exit 4). */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static const char info_help[] =
    "usage: mfrec info MODEL|DATA\n"
    "Show what a model file (.mfm) holds, or the statistics of a dataset\n"
    "(MovieLens folder or .zip, ratings file, or .mfd).\n"
    "\n"
    "  -h, --help   this help\n";

static const struct option info_opts[] = {{"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};

static void info_rmse(const char *what, double v) {
    if (isnan(v)) printf("%-13s-\n", what);
    else printf("%-13s%.4f\n", what, v);
}

static void info_model(const char *path, const mfr_model *m) {
    mfr_model_info in;
    mfr_model_info_get(m, &in);
    printf("%-13s%s (model file version %u)\n", "model", path, in.file_version);
    printf("%-13s%s\n", "algorithm", mfr_algo_name(in.algo));
    printf("%-13s%d\n", "users", in.n_users);
    printf("%-13s%d\n", "movies", in.n_items);
    printf("%-13s%d\n", "factors", in.factors);
    if (in.ranked_items < in.n_items) printf("%-13s%d of %d movies\n", "ranked", in.ranked_items, in.n_items);
    printf("%-13s%lld\n", "trained on", (long long)in.n_train);
    printf("%-13s%.4f\n", "mean (mu)", (double)in.mu);
    printf("%-13s%g..%g\n", "rating scale", (double)in.rating_min, (double)in.rating_max);
    info_rmse("train RMSE", in.train_rmse);
    info_rmse("valid RMSE", in.valid_rmse);
    printf("%-13s%d\n", "epochs run", in.epochs_run);
    printf("%-13s%.2f s\n", "fit time", in.fit_seconds);
    char buf[4096];
    mfr_train_params_format(&in.params, buf, sizeof buf);
    printf("parameters:\n");
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) printf("  %s\n", line);
}

static int info_is_model(const char *path) {
    size_t n = strlen(path);
    return n > 4 && !strcmp(path + n - 4, ".mfm");
}

int cmd_info(int argc, char **argv) {
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", info_opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(info_help, stdout);
            return 0;
        }
        return cli_bad_option("info", c, argv);
    }
    if (optind >= argc) return cli_usage_error("info", "no MODEL or DATA given");
    if (optind + 1 < argc) return cli_usage_error("info", "unexpected argument \"%s\"", argv[optind + 1]);
    const char *path = argv[optind];
    mfr_error err = {0};
    struct stat sb;
    if (stat(path, &sb) != 0) {
        err.code = MFR_E_IO;
        snprintf(err.message, sizeof err.message, "%s: no such file or folder", path);
        return cli_fail("info", MFR_E_IO, &err);
    }
    mfr_model *m = NULL;
    mfr_status s = MFR_E_FORMAT;
    if (S_ISREG(sb.st_mode)) s = mfr_model_load(path, &m, &err);
    if (!s) {
        info_model(path, m);
        mfr_model_free(m);
        return 0;
    }
    if (info_is_model(path)) return cli_fail("info", s, &err);
    mfr_dataset *ds = NULL;
    memset(&err, 0, sizeof err);
    s = cli_load_dataset(path, NULL, &ds, &err);
    if (s) return cli_fail("info", s, &err);
    printf("%-13s%s\n", "dataset", path);
    cli_print_dataset_stats(stdout, ds);
    mfr_dataset_free(ds);
    return 0;
}
