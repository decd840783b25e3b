/* cmd_export.c — `mfrec export MODEL [-o DIR] [--format csv|npy]`: a model's
 * numbers for other tools — the biases and factors of
 * r̂ = μ + b_u + b_i + p_u·q_i with the id maps, read through the public
 * arrays of include/mfrec/model.h (mfr_model_user_ids, ..._bias, ..._factors).
 *
 * Into DIR (created if absent; default MODEL without ".mfm" plus "-export"):
 *   model.json    {"algo", "factors", "mu", "rating_min", "rating_max",
 *                  "n_users", "n_items", "files": [...]}
 *   csv:  users.csv  userId,bias,f1..fk   (one row per user, index order)
 *         items.csv  movieId,bias,f1..fk,title
 *   npy:  user_ids.npy, item_ids.npy (int64), user_bias.npy, item_bias.npy
 *         (float32 [n]), user_factors.npy, item_factors.npy (float32 [n, k]):
 *         NumPy format 1.0, little-endian, C order (numpy.load reads them).
 * Columns or files a model lacks are left out: the families without factors
 * (baseline, knn, content, ease) export their ids and biases; a model with
 * neither would exit 8. Each file is written to NAME.tmp and renamed,
 * so a failed run leaves no half-written file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cli.h"

static const char *CMD = "export";

enum { O_OUT = 1, O_FORMAT };

static const cli_opt export_opts[] = {
    {O_OUT, 'o', "output", "DIR", "folder to write into (MODEL without .mfm, plus -export)"},
    {O_FORMAT, 0, "format", "F", "csv (default) or npy"},
    {0, 0, 0, 0, 0}};

const cli_spec cli_spec_export = {
    "export", "write a model's factors, biases and id maps (CSV or .npy)",
    "export MODEL [-o DIR] [--format csv|npy]",
    "Write the biases and factors of a model (r = mu + b_u + b_i + p_u.q_i) with\n"
    "the user and movie ids, for numpy, pandas or a spreadsheet.",
    export_opts, 0,
    "Files: model.json (algo, factors, mu, scale, sizes, files) and, csv:\n"
    "users.csv (userId,bias,f1..fk), items.csv (movieId,bias,f1..fk,title);\n"
    "npy: user_ids, item_ids (int64), user_bias, item_bias, user_factors,\n"
    "item_factors (float32). Models without factors (baseline, knn, content,\n"
    "ease) export ids and biases only. Exit status 2 when DIR cannot be written."};

typedef struct export_args {
    const char *model, *out;
    int npy;
} export_args;

typedef struct sink {
    const char *dir;
    char path[4096];
    cli_out out;
    char files[8][32];
    int n_files;
} sink;

static FILE *sink_open(sink *s, const char *name, mfr_error *err) {
    snprintf(s->path, sizeof s->path, "%s/%s", s->dir, name);
    if (!cli_out_open(&s->out, s->path, "wb")) return s->out.f;
    cli_set_error(err, MFR_E_IO, "cannot write %.400s: %s", s->out.tmp, strerror(errno));
    return NULL;
}

static mfr_status sink_close(sink *s, const char *name, mfr_error *err) {
    if (cli_out_close(&s->out, 1))
        return cli_set_error(err, MFR_E_IO, "cannot write %.400s: %s", s->path, strerror(errno));
    if (s->n_files < 8) snprintf(s->files[s->n_files++], sizeof s->files[0], "%s", name);
    return MFR_OK;
}

/* One .npy file: NumPy format 1.0 (magic, version, header length, a Python
 * dict literal padded with spaces to a multiple of 64 bytes, newline), then
 * the data, little-endian (this machine's order: x86-64, arm64). */
static mfr_status write_npy(sink *s, const char *name, const char *descr, size_t elem,
                            const void *data, int64_t rows, int32_t cols, mfr_error *err) {
    char hdr[256];
    int n = cols > 0 ? snprintf(hdr, sizeof hdr, "{'descr': '%s', 'fortran_order': False, 'shape': (%lld, %d), }",
                                descr, (long long)rows, cols)
                     : snprintf(hdr, sizeof hdr, "{'descr': '%s', 'fortran_order': False, 'shape': (%lld,), }",
                                descr, (long long)rows);
    int total = 10 + n + 1, pad = (64 - total % 64) % 64;
    FILE *f = sink_open(s, name, err);
    if (!f) return MFR_E_IO;
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0, 0};
    uint16_t hl = (uint16_t)(n + pad + 1);
    pre[8] = (unsigned char)(hl & 0xff);
    pre[9] = (unsigned char)(hl >> 8);
    fwrite(pre, 1, sizeof pre, f);
    fwrite(hdr, 1, (size_t)n, f);
    for (int j = 0; j < pad; j++) fputc(' ', f);
    fputc('\n', f);
    size_t count = (size_t)rows * (size_t)(cols > 0 ? cols : 1);
    if (count) fwrite(data, elem, count, f);
    return sink_close(s, name, err);
}

/* users.csv or items.csv: id,bias?,f1..fk[,title]. */
static mfr_status write_csv(sink *s, const mfr_model *m, int items, int32_t k, mfr_error *err) {
    const char *name = items ? "items.csv" : "users.csv";
    int32_t n = items ? mfr_model_n_items(m) : mfr_model_n_users(m);
    const int64_t *ids = items ? mfr_model_item_ids(m) : mfr_model_user_ids(m);
    const float *bias = items ? mfr_model_item_bias(m) : mfr_model_user_bias(m);
    const float *F = items ? mfr_model_item_factors(m) : mfr_model_user_factors(m);
    FILE *f = sink_open(s, name, err);
    if (!f) return MFR_E_IO;
    fputs(items ? "movieId" : "userId", f);
    if (bias) fputs(",bias", f);
    for (int32_t c = 0; F && c < k; c++) fprintf(f, ",f%d", (int)c + 1);
    fputs(items ? ",title\n" : "\n", f);
    for (int32_t r = 0; r < n; r++) {
        fprintf(f, "%lld", (long long)ids[r]);
        if (bias) fprintf(f, ",%.9g", (double)bias[r]);
        for (int32_t c = 0; F && c < k; c++) fprintf(f, ",%.9g", (double)F[(size_t)r * (size_t)k + c]);
        if (items) {
            fputc(',', f);
            cli_csv_field(f, mfr_model_item_title(m, r));
        }
        fputc('\n', f);
    }
    return sink_close(s, name, err);
}

static mfr_status write_npys(sink *s, const mfr_model *m, int32_t k, mfr_error *err) {
    int32_t nu = mfr_model_n_users(m), ni = mfr_model_n_items(m);
    mfr_status st = write_npy(s, "user_ids.npy", "<i8", 8, mfr_model_user_ids(m), nu, 0, err);
    if (!st) st = write_npy(s, "item_ids.npy", "<i8", 8, mfr_model_item_ids(m), ni, 0, err);
    if (!st && mfr_model_user_bias(m))
        st = write_npy(s, "user_bias.npy", "<f4", 4, mfr_model_user_bias(m), nu, 0, err);
    if (!st && mfr_model_item_bias(m))
        st = write_npy(s, "item_bias.npy", "<f4", 4, mfr_model_item_bias(m), ni, 0, err);
    if (!st && mfr_model_user_factors(m))
        st = write_npy(s, "user_factors.npy", "<f4", 4, mfr_model_user_factors(m), nu, k, err);
    if (!st && mfr_model_item_factors(m))
        st = write_npy(s, "item_factors.npy", "<f4", 4, mfr_model_item_factors(m), ni, k, err);
    return st;
}

static mfr_status write_meta(sink *s, const mfr_model *m, const mfr_model_info *in, mfr_error *err) {
    FILE *f = sink_open(s, "model.json", err);
    if (!f) return MFR_E_IO;
    fprintf(f, "{\"algo\": ");
    cli_json_string(f, mfr_algo_name(in->algo));
    fprintf(f, ", \"factors\": %d, \"mu\": %.9g, \"rating_min\": %g, \"rating_max\": %g, "
               "\"n_users\": %d, \"n_items\": %d, \"files\": [",
            mfr_model_user_factors(m) ? (int)in->factors : 0, (double)in->mu,
            (double)in->rating_min, (double)in->rating_max, (int)in->n_users, (int)in->n_items);
    for (int j = 0; j < s->n_files; j++) {
        if (j) fputs(", ", f);
        cli_json_string(f, s->files[j]);
    }
    fputs("]}\n", f);
    return sink_close(s, "model.json", err);
}

int cmd_export(int argc, char **argv) {
    export_args a = {0};
    const cli_val vals[] = {CLI_TEXT(O_OUT, &a.out),
                            CLI_CHOICE(O_FORMAT, "csv|npy", &a.npy), {0}};
    const cli_takes t = {.args = {&a.model}, .missing = "expected MODEL", .vals = vals};
    int rc = cli_parse(&cli_spec_export, argc, argv, &t);
    if (rc) return rc < 0 ? 0 : rc;
    char dir[4096];
    if (a.out) {
        snprintf(dir, sizeof dir, "%s", a.out);
    } else {
        size_t n = strlen(a.model) - (cli_is_model_path(a.model) ? 4 : 0);
        snprintf(dir, sizeof dir, "%.*s-export", (int)(n < 4000 ? n : 4000), a.model);
    }
    mfr_model *m;
    if ((rc = cli_load_model(CMD, a.model, &m))) return rc;
    mfr_model_info in;
    mfr_model_info_get(m, &in);
    mfr_error err = {0};
    mfr_status st = MFR_OK;
    int has_f = mfr_model_user_factors(m) && mfr_model_item_factors(m);
    if (!has_f && !mfr_model_user_bias(m) && !mfr_model_item_bias(m))
        st = cli_set_error(&err, MFR_E_UNSUPPORTED, "%s: a %s model has neither factors nor biases "
                           "to export", a.model, mfr_algo_name(in.algo));
    else if (mkdir(dir, 0755) && errno != EEXIST)
        st = cli_set_error(&err, MFR_E_IO, "cannot create %.400s: %s", dir, strerror(errno));
    sink s = {.dir = dir};
    int32_t k = has_f ? in.factors : 0;
    if (!st && a.npy) st = write_npys(&s, m, k, &err);
    if (!st && !a.npy) st = write_csv(&s, m, 0, k, &err);
    if (!st && !a.npy) st = write_csv(&s, m, 1, k, &err);
    if (!st) st = write_meta(&s, m, &in, &err);
    if (!st)
        fprintf(stderr, "mfrec export: %s, %d users, %d movies, k=%d -> %s/ (%d files)\n",
                mfr_algo_name(in.algo), (int)in.n_users, (int)in.n_items, (int)k, dir, s.n_files);
    mfr_model_free(m);
    return st ? cli_fail(CMD, st, &err) : 0;
}
