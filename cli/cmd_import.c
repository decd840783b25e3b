/* cmd_import.c — `mfrec import PATH [-o data.mfd] [...]`: reads ratings (a
 * MovieLens folder or zip, a single ratings file, a generic delimited file,
 * or a .mfd) through mfr_dataset_import, prints what it holds and the
 * cleaning report (bad rows by reason, and the first kept messages as
 * "file:line: reason"), and with -o writes the binary dataset file. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

enum { O_OUT = 1, O_QUIET, O_JSON };

static const cli_opt import_opts[] = {
    {O_OUT, 'o', "output", "FILE", "write the binary dataset (.mfd) to FILE"},
    {O_JSON, 0, "json", NULL, "the report as one JSON object instead of the text"},
    {O_QUIET, 'q', "quiet", NULL, "print nothing on success"},
    {0, 0, 0, 0, 0}};

const cli_spec cli_spec_import = {
    "import", "read MovieLens or CSV ratings, report, write a .mfd dataset",
    "import PATH [-o data.mfd] [options]",
    "Read ratings and report what they hold and which rows were dropped and why.\n"
    "PATH: a MovieLens folder or .zip (ml-latest-small, ml-25m, ml-100k, ml-1m, ml-10m),\n"
    "a single ratings file (also gzip-compressed, e.g. ratings.csv.gz), any delimited\n"
    "ratings file, or a .mfd dataset.",
    import_opts, CLI_G_IMPORT, NULL};

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

static void import_print_json(const mfr_dataset *ds, const char *out) {
    const mfr_import_report *r = mfr_dataset_report(ds);
    printf("{\"source\": ");
    cli_json_string(stdout, mfr_dataset_source(ds));
    fputs(", ", stdout);
    cli_json_dataset_stats(stdout, ds);
    printf(",\n");
    printf(" \"cleaning\": {\"rows_read\": %lld, \"rows_kept\": %lld, \"bad_field_count\": %lld, "
           "\"bad_number\": %lld, \"bad_rating\": %lld, \"unknown_movie\": %lld, \"duplicates\": %lld, "
           "\"catalog_bad\": %lld, \"tags_bad\": %lld, \"catalog_rows\": %lld},\n \"problems\": [",
           (long long)r->rows_read, (long long)r->rows_kept, (long long)r->bad_field_count,
           (long long)r->bad_number, (long long)r->bad_rating, (long long)r->unknown_movie,
           (long long)r->duplicates, (long long)r->catalog_bad, (long long)r->tags_bad,
           (long long)r->catalog_rows);
    for (int32_t i = 0; i < r->n_messages; i++) {
        if (i) fputs(", ", stdout);
        cli_json_string(stdout, mfr_dataset_message(ds, i));
    }
    printf("]");
    if (out) {
        printf(", \"output\": ");
        cli_json_string(stdout, out);
    }
    printf("}\n");
}

int cmd_import(int argc, char **argv) {
    mfr_import_params p = mfr_import_params_default();
    const char *out = NULL, *path = NULL;
    int quiet = 0, json = 0;
    const cli_val vals[] = {CLI_TEXT(O_OUT, &out),
                            CLI_FLAG(O_QUIET, &quiet),
                            CLI_FLAG(O_JSON, &json), {0}};
    const cli_takes t = {.args = {&path}, .missing = "no PATH given", .vals = vals, .import = &p};
    int rc = cli_parse(&cli_spec_import, argc, argv, &t);
    if (rc) return rc < 0 ? 0 : rc;
    cli_set_quiet(quiet);
    mfr_error err = {0};
    mfr_dataset *ds = NULL;
    mfr_status s = cli_load_dataset(path, &p, &ds, &err);
    if (s) return cli_fail("import", s, &err);
    if (!quiet && !json) import_print_report(ds);
    if (out) {
        s = mfr_dataset_save(ds, out, &err);
        if (s) {
            mfr_dataset_free(ds);
            return cli_fail("import", s, &err);
        }
        if (!quiet && !json) printf("\nwrote %s\n", out);
    }
    if (!quiet && json) import_print_json(ds, out);
    mfr_dataset_free(ds);
    return 0;
}
