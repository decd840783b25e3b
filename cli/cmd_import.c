/* cmd_import.c — `mfrec import PATH [-o data.mfd] [...]`: reads ratings (a
 * MovieLens folder or zip, a single ratings file, a generic delimited file,
 * or a .mfd) through mfr_dataset_import, prints what it holds and the
 * cleaning report (bad rows by reason, and the first kept messages as
 * "file:line: reason"), and with -o writes the binary dataset file. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

static const char import_help[] =
    "usage: mfrec import PATH [-o data.mfd] [options]\n"
    "Read ratings and report what they hold and which rows were dropped and why.\n"
    "PATH: a MovieLens folder or .zip (ml-latest-small, ml-25m, ml-100k, ml-1m, ml-10m),\n"
    "a single ratings file, any delimited ratings file, or a .mfd dataset.\n"
    "\n"
    "  -o, --output FILE         write the binary dataset (.mfd) to FILE\n"
    "      --format F            auto (default), movielens, ml100k, mldat, csv\n"
    "      --columns SPEC        column order of a csv file, e.g. user,item,rating,timestamp\n"
    "                            (names: user, item, rating, timestamp, skip)\n"
    "      --delimiter C         field delimiter of a csv file: one character or 'tab'\n"
    "      --header yes|no       whether the first line of a csv file is a header\n"
    "      --strict              fail on the first bad row (exit 3) instead of skipping it\n"
    "  -q, --quiet               print nothing on success\n"
    "  -h, --help                this help\n";

enum { O_FORMAT = 256, O_COLUMNS, O_DELIM, O_HEADER, O_STRICT };

static const struct option import_opts[] = {
    {"output", required_argument, 0, 'o'}, {"format", required_argument, 0, O_FORMAT},
    {"columns", required_argument, 0, O_COLUMNS}, {"delimiter", required_argument, 0, O_DELIM},
    {"header", required_argument, 0, O_HEADER}, {"strict", no_argument, 0, O_STRICT},
    {"quiet", no_argument, 0, 'q'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};

static int import_format(const char *s, mfr_format *out) {
    static const struct { const char *name; mfr_format f; } names[] = {
        {"auto", MFR_FMT_AUTO}, {"movielens", MFR_FMT_ML_CSV}, {"ml100k", MFR_FMT_ML_100K},
        {"mldat", MFR_FMT_ML_DAT}, {"csv", MFR_FMT_GENERIC}, {"mfd", MFR_FMT_MFD}};
    for (size_t j = 0; j < sizeof names / sizeof *names; j++)
        if (!strcasecmp(s, names[j].name)) {
            *out = names[j].f;
            return 0;
        }
    return cli_usage_error("import", "--format: unknown format \"%s\" (auto, movielens, ml100k, mldat, csv)", s);
}

/* One option into p; 0 or MFR_E_INVALID (message printed). */
static int import_option(const char *cmd, int c, const char *arg, mfr_import_params *p) {
    mfr_error err = {0};
    switch (c) {
    case O_FORMAT: return import_format(arg, &p->format) ? MFR_E_INVALID : 0;
    case O_COLUMNS:
        if (mfr_import_params_set_columns(p, arg, &err))
            return cli_usage_error(cmd, "--columns: %s", err.message);
        if (p->format == MFR_FMT_AUTO) p->format = MFR_FMT_GENERIC;
        return 0;
    case O_DELIM:
        if (!strcasecmp(arg, "tab") || !strcmp(arg, "\\t")) p->delimiter = '\t';
        else if (strlen(arg) == 1) p->delimiter = arg[0];
        else return cli_usage_error(cmd, "--delimiter: expected one character or 'tab', got \"%s\"", arg);
        return 0;
    case O_HEADER:
        if (!strcasecmp(arg, "yes")) p->header = 1;
        else if (!strcasecmp(arg, "no")) p->header = 0;
        else return cli_usage_error(cmd, "--header: expected yes or no, got \"%s\"", arg);
        return 0;
    case O_STRICT: p->strict = 1; return 0;
    }
    return MFR_E_INVALID;
}

static void import_print_report(const mfr_dataset *ds) {
    const mfr_import_report *r = mfr_dataset_report(ds);
    printf("%-13s%s\n", "source", mfr_dataset_source(ds));
    cli_print_dataset_stats(stdout, ds);
    printf("\ncleaning: %lld rows read, %lld ratings kept\n", (long long)r->rows_read,
           (long long)r->rows_kept);
    const struct { const char *what; int64_t n; } lines[] = {
        {"wrong number of fields", r->bad_field_count},
        {"bad number (id, rating, time)", r->bad_number},
        {"rating outside the scale", r->bad_rating},
        {"movie not in the catalogue", r->unknown_movie},
        {"duplicate (user, movie), latest kept", r->duplicates},
        {"catalogue rows skipped", r->catalog_bad},
        {"tag rows skipped", r->tags_bad}};
    for (size_t j = 0; j < sizeof lines / sizeof *lines; j++)
        printf("  %-38s %lld\n", lines[j].what, (long long)lines[j].n);
    printf("  %-38s %lld\n", "catalogue rows read", (long long)r->catalog_rows);
    if (r->n_messages > 0) {
        printf("\nfirst %d problems:\n", r->n_messages);
        for (int32_t i = 0; i < r->n_messages; i++) printf("  %s\n", mfr_dataset_message(ds, i));
    }
}

int cmd_import(int argc, char **argv) {
    mfr_import_params p = mfr_import_params_default();
    const char *out = NULL;
    int quiet = 0, c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:qh", import_opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'q': quiet = 1; break;
        case 'h': fputs(import_help, stdout); return 0;
        case '?': case ':': return cli_bad_option("import", c, argv);
        default:
            if (import_option("import", c, optarg, &p)) return MFR_E_INVALID;
        }
    }
    if (optind >= argc) return cli_usage_error("import", "no PATH given");
    if (optind + 1 < argc) return cli_usage_error("import", "unexpected argument \"%s\"", argv[optind + 1]);
    cli_set_quiet(quiet);
    mfr_error err = {0};
    mfr_dataset *ds = NULL;
    mfr_status s = cli_load_dataset(argv[optind], &p, &ds, &err);
    if (s) return cli_fail("import", s, &err);
    if (!quiet) import_print_report(ds);
    if (out) {
        s = mfr_dataset_save(ds, out, &err);
        if (s) {
            mfr_dataset_free(ds);
            return cli_fail("import", s, &err);
        }
        if (!quiet) printf("\nwrote %s\n", out);
    }
    mfr_dataset_free(ds);
    return 0;
}
