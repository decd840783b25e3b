/* fuzz_text.h — one macro per kind of text target: the input becomes one
 * file of a dataset (the others copied once from the fixtures) and the whole
 * dataset is imported with the default parameters. */
#ifndef MFR_FUZZ_TEXT_H
#define MFR_FUZZ_TEXT_H

#include "fuzz.h"

#include <stdio.h>
#include <sys/stat.h>

/* The input is the single file `name`, imported alone. */
#define FZ_SINGLE_FILE_TARGET(name)                                        \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {         \
        const char *p = fz_path(name);                                     \
        fz_sample_roundtrip(data, size);                                   \
        fz_write(p, data, size);                                           \
        fz_import(p, NULL);                                                \
        return 0;                                                          \
    }

/* The input is file `name` of folder `folder`, beside fixture files
 * fixtures[] (pairs: path under the fixture folder, name in the folder). */
#define FZ_FOLDER_TARGET(folder, name, ...)                                \
    static const char *const fz_others[] = {__VA_ARGS__, NULL, NULL};      \
    int LLVMFuzzerInitialize(int *argc, char ***argv) {                    \
        (void)argc, (void)argv;                                            \
        mkdir(fz_path(folder), 0700);                                      \
        char p[700];                                                       \
        for (int k = 0; fz_others[k]; k += 2) {                            \
            snprintf(p, sizeof p, "%s/%s/%s", fz_dir(), folder, fz_others[k + 1]); \
            fz_copy_fixture(fz_others[k], p);                              \
        }                                                                  \
        return 0;                                                          \
    }                                                                      \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {         \
        char p[700];                                                       \
        snprintf(p, sizeof p, "%s/%s/%s", fz_dir(), folder, name);         \
        fz_sample_roundtrip(data, size);                                   \
        fz_write(p, data, size);                                           \
        fz_import(fz_path(folder), NULL);                                  \
        return 0;                                                          \
    }

#endif
