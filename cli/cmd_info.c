/* cmd_info.c — `mfrec info PATH`: what a model file holds (family,
 * parameters, sizes, mu, RMSEs, fit time, file version) or, for anything
 * else (folder, zip, ratings file, .mfd), the statistics of the dataset.
 * A path ending in .mfm is always read as a model, so a damaged model file
 * reports the model loader's precise error (exit 4). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

enum { O_JSON = 1 };

static const cli_opt info_opts[] = {
    {O_JSON, 0, "json", NULL, "one JSON object (parameters as an object) instead of the text"},
    {0, 0, 0, 0, 0}};

const cli_spec cli_spec_info = {
    "info", "show what a model or dataset holds", "info MODEL|DATA [--json]",
    "Show what a model file (.mfm) holds, or the statistics of a dataset\n"
    "(MovieLens folder or .zip, ratings file, or .mfd).",
    info_opts, 0, NULL};

static void json_num_or_null(const char *key, double v) {
    printf(", \"%s\": ", key);
    cli_json_num(stdout, v);
}

static void info_model_json(const char *path, const mfr_model *m) {
    mfr_model_info in;
    mfr_model_info_get(m, &in);
    printf("{\"model\": ");
    cli_json_string(stdout, path);
    printf(", \"file_version\": %u, \"algorithm\": \"%s\", \"users\": %d, \"movies\": %d, "
           "\"factors\": %d, \"ranked\": %d, \"trained_on\": %lld, \"mu\": %.6g, \"scale\": [%g, %g]",
           in.file_version, mfr_algo_name(in.algo), in.n_users, in.n_items, in.factors,
           cli_ranked_items(&in), (long long)in.n_train, (double)in.mu, (double)in.rating_min,
           (double)in.rating_max);
    json_num_or_null("train_rmse", in.train_rmse);
    json_num_or_null("valid_rmse", in.valid_rmse);
    printf(", \"epochs_run\": %d, \"fit_seconds\": %.6g, \"parameters\": {", in.epochs_run,
           in.fit_seconds);
    char buf[4096];
    mfr_train_params_format(&in.params, buf, sizeof buf);
    int first = 1;
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        char *eq = strchr(line, '=');
        if (!eq) continue;
        *eq = '\0';
        printf("%s", first ? "" : ", ");
        cli_json_string(stdout, line);
        fputs(": ", stdout);
        cli_json_string(stdout, eq + 1); /* as text, exactly what a params file holds */
        first = 0;
    }
    printf("}}\n");
}

static void info_dataset_json(const char *path, const mfr_dataset *ds) {
    printf("{\"dataset\": ");
    cli_json_string(stdout, path);
    fputs(", ", stdout);
    cli_json_dataset_stats(stdout, ds);
    printf("}\n");
}

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
    if (cli_ranked_items(&in) < in.n_items)
        printf("%-13s%d of %d movies\n", "ranked", cli_ranked_items(&in), in.n_items);
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

int cmd_info(int argc, char **argv) {
    const char *path = NULL;
    int json = 0;
    const cli_val vals[] = {CLI_FLAG(O_JSON, &json), {0}};
    const cli_takes t = {.args = {&path}, .missing = "no MODEL or DATA given", .vals = vals};
    int rc = cli_parse(&cli_spec_info, argc, argv, &t);
    if (rc) return rc < 0 ? 0 : rc;
    mfr_error err = {0};
    struct stat sb;
    if (stat(path, &sb) != 0) return cli_error("info", MFR_E_IO, "%s: no such file or folder", path);
    mfr_model *m = NULL;
    mfr_status s = MFR_E_FORMAT;
    if (S_ISREG(sb.st_mode)) s = mfr_model_load(path, &m, &err);
    if (!s) {
        if (json) info_model_json(path, m);
        else info_model(path, m);
        mfr_model_free(m);
        return 0;
    }
    if (cli_is_model_path(path)) return cli_fail("info", s, &err);
    mfr_dataset *ds = NULL;
    memset(&err, 0, sizeof err);
    s = cli_load_dataset(path, NULL, &ds, &err);
    if (s) return cli_fail("info", s, &err);
    if (json) {
        info_dataset_json(path, ds);
    } else {
        printf("%-13s%s\n", "dataset", path);
        cli_print_dataset_stats(stdout, ds);
    }
    mfr_dataset_free(ds);
    return 0;
}
