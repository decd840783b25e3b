/* gen_seeds.c — the seed inputs of every fuzz target, made from the test
 * fixtures: `gen_seeds FIXTURES OUT` writes OUT/<target>/<name>.
 *   text targets  the fixture files of their kind, as they are, and a few
 *                 gzip-compressed (read wherever the plain file is);
 *   zip           archives of the fixture folders (deflated and stored, files
 *                 at the top and inside one folder), written with libarchive;
 *   mfd           each fixture dataset saved by mfr_dataset_save;
 *   mfm           a model of every family trained on a fixture (small k).
 * Binary seeds are made here, not stored in git, so they follow the formats
 * as those change. Deterministic (fixed seeds, one thread). */
#include "mfrec.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

static const char *fix, *out;

static void die(const char *what, const char *why) {
    fprintf(stderr, "gen_seeds: %s: %s\n", what, why);
    exit(1);
}

static char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) die(path, strerror(errno));
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)len + 1);
    if (!b || fread(b, 1, (size_t)len, f) != (size_t)len) die(path, "read failed");
    fclose(f);
    *n = (size_t)len;
    return b;
}

static const char *target_dir(const char *target) {
    static char p[2048];
    snprintf(p, sizeof p, "%s/%s", out, target);
    mkdir(out, 0755);
    mkdir(p, 0755);
    return p;
}

static void put(const char *target, const char *name, const void *pre, size_t npre, const void *data,
                size_t n) {
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", target_dir(target), name);
    FILE *f = fopen(p, "wb");
    if (!f || fwrite(pre, 1, npre, f) != npre || fwrite(data, 1, n, f) != n || fclose(f) != 0)
        die(p, strerror(errno));
}

/* Fixture file rel as seed `name` of target, after an optional prefix. */
static void copy(const char *target, const char *rel, const char *name, const char *prefix) {
    char p[2048];
    snprintf(p, sizeof p, "%s/%s", fix, rel);
    size_t n;
    char *b = slurp(p, &n);
    put(target, name, prefix, strlen(prefix), b, n);
    free(b);
}

/* A zip of fixture folder rel's files (names[]), inside folder top ("" for
 * none), deflated or stored. */
static void zip(const char *name, const char *rel, const char *const *names, const char *top,
                int store) {
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", target_dir("zip"), name);
    struct archive *a = archive_write_new();
    archive_write_set_format_zip(a);
    if (store) archive_write_set_options(a, "zip:compression=store");
    if (archive_write_open_filename(a, p) != ARCHIVE_OK) die(p, archive_error_string(a));
    for (int k = 0; names[k]; k++) {
        char src[2048], in[512];
        snprintf(src, sizeof src, "%s/%s/%s", fix, rel, names[k]);
        snprintf(in, sizeof in, "%s%s", top, names[k]);
        size_t n;
        char *b = slurp(src, &n);
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, in);
        archive_entry_set_size(e, (la_int64_t)n);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_mtime(e, 0, 0);
        if (archive_write_header(a, e) != ARCHIVE_OK ||
            archive_write_data(a, b, n) != (la_ssize_t)n)
            die(p, archive_error_string(a));
        archive_entry_free(e);
        free(b);
    }
    if (archive_write_close(a) != ARCHIVE_OK) die(p, archive_error_string(a));
    archive_write_free(a);
}

/* Fixture file rel gzip-compressed, as seed `name` of target (the readers
 * decompress any file that starts with the gzip magic). */
static void gz(const char *target, const char *rel, const char *name) {
    char src[2048], p[4096];
    snprintf(src, sizeof src, "%s/%s", fix, rel);
    snprintf(p, sizeof p, "%s/%s", target_dir(target), name);
    size_t n;
    char *b = slurp(src, &n);
    gzFile g = gzopen(p, "wb9");
    if (!g || gzwrite(g, b, (unsigned)n) != (int)n || gzclose(g) != Z_OK) die(p, "gzip write failed");
    free(b);
}

static mfr_dataset *load(const char *rel) {
    char p[2048];
    snprintf(p, sizeof p, "%s/%s", fix, rel);
    mfr_dataset *ds = NULL;
    mfr_error err = {0};
    if (mfr_dataset_import(p, NULL, &ds, &err) != MFR_OK) die(p, err.message);
    return ds;
}

static void mfd(const char *rel, const char *name) {
    mfr_dataset *ds = load(rel);
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", target_dir("mfd"), name);
    mfr_error err = {0};
    if (mfr_dataset_save(ds, p, &err) != MFR_OK) die(p, err.message);
    mfr_dataset_free(ds);
}

static void mfm(void) {
    mfr_dataset *ds = load("cli/synth_seed3");
    for (int a = 0; a < MFR_ALGO__COUNT; a++) {
        mfr_train_params tp = mfr_train_params_default((mfr_algo)a);
        tp.threads = 1;
        tp.seed = 3;
        if (tp.factors > 4) tp.factors = 4;
        if (tp.epochs > 5) tp.epochs = 5;
        if (tp.burnin > 2) tp.burnin = 2;
        if (tp.samples > 2) tp.samples = 2;
        mfr_model *m = NULL;
        mfr_error err = {0};
        if (mfr_model_train(ds, NULL, NULL, &tp, &m, &err) != MFR_OK) {
            fprintf(stderr, "gen_seeds: no %s seed: %s\n", mfr_algo_name((mfr_algo)a), err.message);
            continue;
        }
        char p[4096];
        snprintf(p, sizeof p, "%s/%s.mfm", target_dir("mfm"), mfr_algo_name((mfr_algo)a));
        if (mfr_model_save(m, p, &err) != MFR_OK) die(p, err.message);
        mfr_model_free(m);
    }
    mfr_dataset_free(ds);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: gen_seeds FIXTURES OUT\n");
        return 2;
    }
    fix = argv[1];
    out = argv[2];
    copy("ratings_csv", "cli/tiny/ratings.csv", "tiny", "");
    copy("ratings_csv", "io/csv/ratings.csv", "csv", "");
    copy("ratings_csv", "io/bad/ratings.csv", "bad", "");
    copy("ratings_csv", "cli/synth_seed3/ratings.csv", "synth", "");
    gz("ratings_csv", "cli/tiny/ratings.csv", "tiny.gz");
    gz("movies_csv", "io/csv/movies.csv", "csv.gz");
    copy("ratings_generic", "io/generic.txt", "semicolon-header", "\x13"); /* ';', header */
    copy("ratings_generic", "io/generic.txt", "sniff-strict", "\x40");
    copy("ratings_generic", "io/100k/u.data", "tab", "\x02");
    copy("ratings_generic", "io/dat/ratings.dat", "colons-notime", "\x25");
    copy("ratings_generic", "cli/tiny/ratings.csv", "item-user", "\x81");
    copy("movies_csv", "cli/tiny/movies.csv", "tiny", "");
    copy("movies_csv", "io/csv/movies.csv", "csv", "");
    copy("movies_csv", "io/bad/movies.csv", "bad", "");
    copy("movies_csv", "cli/synth_seed3/movies.csv", "synth", "");
    copy("tags_csv", "io/csv/tags.csv", "csv", "");
    copy("tags_csv", "cli/synth_seed3/tags.csv", "synth", "");
    copy("u_data", "io/100k/u.data", "100k", "");
    copy("u_item", "io/100k/u.item", "100k", "");
    copy("ratings_dat", "io/dat/ratings.dat", "dat", "");
    copy("movies_dat", "io/dat/movies.dat", "dat", "");
    static const char tags_dat[] = "1::1::funny::978300760\n2::2::dark, slow::978300761\n";
    put("tags_dat", "dat", "", 0, tags_dat, sizeof tags_dat - 1);
    static const char u_user[] = "1|24|M|technician|85711\n2|53|F|other|94043\n";
    put("u_user", "100k", "", 0, u_user, sizeof u_user - 1);
    static const char users_dat[] = "1::F::1::10::48067\n2::M::56::16::70072\n";
    put("users_dat", "dat", "", 0, users_dat, sizeof users_dat - 1);
    static const char links_csv[] = "movieId,imdbId,tmdbId\n1,0114709,862\n2,0113497,\n";
    put("links_csv", "csv", "", 0, links_csv, sizeof links_csv - 1);

    static const char *const csv[] = {"ratings.csv", "movies.csv", "tags.csv", NULL};
    static const char *const tiny[] = {"ratings.csv", "movies.csv", NULL};
    static const char *const k100[] = {"u.data", "u.item", NULL};
    static const char *const dat[] = {"ratings.dat", "movies.dat", NULL};
    zip("csv-deflate.zip", "io/csv", csv, "", 0);
    zip("tiny-stored-folder.zip", "cli/tiny", tiny, "ml-latest-small/", 1);
    zip("100k-folder.zip", "io/100k", k100, "ml-100k/", 0);
    zip("dat-stored.zip", "io/dat", dat, "", 1);

    mfd("io/csv", "csv.mfd");
    mfd("cli/tiny", "tiny.mfd");
    mfd("io/100k", "100k.mfd");
    mfd("io/dat", "dat.mfd");
    mfd("cli/synth_seed3", "synth.mfd");
    mfm();
    printf("gen_seeds: seeds in %s\n", out);
    return 0;
}
