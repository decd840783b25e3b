/* replay.c — the main() of a fuzz target built without libFuzzer: feeds each
 * file named on the command line, and each file of each folder named (in
 * name order, not recursing), to LLVMFuzzerTestOneInput once. A path that
 * does not exist counts as an empty folder (git keeps no empty folders). Exits 0 when
 * every input ran; a finding aborts (the target's checks, the sanitizers). */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    return 0;
}

static long run_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        exit(2);
    }
    size_t cap = 1 << 16, n = 0;
    unsigned char *b = malloc(cap);
    for (;;) {
        if (!b) {
            fprintf(stderr, "replay: out of memory reading %s\n", path);
            exit(2);
        }
        n += fread(b + n, 1, cap - n, f);
        if (n < cap) break;
        cap *= 2;
        b = realloc(b, cap);
    }
    fclose(f);
    /* A copy of exactly n bytes: ASan sees a read past the input. */
    unsigned char *in = malloc(n ? n : 1);
    if (!in) exit(2);
    memcpy(in, b, n);
    free(b);
    fprintf(stderr, "replay: %s (%zu bytes)\n", path, n);
    LLVMFuzzerTestOneInput(in, n);
    free(in);
    return 1;
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static long run_dir(const char *path) {
    DIR *d = opendir(path);
    if (!d) {
        if (errno == ENOENT) return 0;
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        exit(2);
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || !strcmp(e->d_name, "README.md")) continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            names = realloc(names, cap * sizeof *names);
            if (!names) exit(2);
        }
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, by_name);
    long count = 0;
    for (size_t k = 0; k < n; k++) {
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", path, names[k]);
        struct stat sb;
        if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode)) count += run_file(p);
        free(names[k]);
    }
    free(names);
    return count;
}

int main(int argc, char **argv) {
    LLVMFuzzerInitialize(&argc, &argv);
    long count = 0;
    for (int k = 1; k < argc; k++) {
        struct stat sb;
        if (stat(argv[k], &sb) != 0) {
            if (errno == ENOENT) continue; /* a folder never made */
            fprintf(stderr, "replay: %s: %s\n", argv[k], strerror(errno));
            return 2;
        }
        count += S_ISDIR(sb.st_mode) ? run_dir(argv[k]) : run_file(argv[k]);
    }
    printf("replay: %ld inputs, no finding\n", count);
    return 0;
}
