/* fuzz.h — what the fuzz targets in tests/fuzz share.
 *
 * Each target is one file defining LLVMFuzzerTestOneInput (and, when it
 * needs set-up, LLVMFuzzerInitialize). Built two ways (tests/fuzz/CMakeLists.txt):
 *   - with clang and -fsanitize=fuzzer,address,undefined (MFR_FUZZ=ON,
 *     `make fuzz`): libFuzzer's own main mutates the inputs;
 *   - with the normal compiler, linked to replay.c: a main that feeds every
 *     file of the folders it is given, once (ctest label `fuzz`).
 * A target aborts when the library breaks a promise it makes for any input
 * (an error without a message, a dataset whose strings are not
 * NUL-terminated, ...); the sanitizers catch the rest. */
#ifndef MFR_FUZZ_H
#define MFR_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "mfrec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Print "fuzz: <what>" to stderr and abort (a finding). */
void fz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* This process's scratch folder (made on first use under /dev/shm, else
 * $TMPDIR or /tmp; removed at exit) and a path inside it (static buffer,
 * four in rotation). */
const char *fz_dir(void);
const char *fz_path(const char *name);
/* Write data to path (replaced); aborts on an I/O error. */
void fz_write(const char *path, const void *data, size_t n);
/* The fixture folder (env MFR_FIXTURES, else the build's copy). */
const char *fz_fixtures(void);
/* Copy fixture file rel (under fz_fixtures()) to path. */
void fz_copy_fixture(const char *rel, const char *path);

/* Import path with p (NULL: defaults), check what every import promises,
 * walk every accessor of the dataset, save it as .mfd and read it back
 * (when fz_roundtrip is set), and free it. Returns the status. */
extern int fz_roundtrip;
/* Set fz_roundtrip for one input in 8, chosen by its CRC (so a replay does
 * what the fuzzer did): the save and reload cost more than the import of a
 * small file. */
void fz_sample_roundtrip(const uint8_t *data, size_t size);
mfr_status fz_import(const char *path, const mfr_import_params *p);
/* Walk every accessor of ds (ids, titles, genres, tags, messages, stats). */
void fz_walk_dataset(const mfr_dataset *ds);
/* Check an error: a failure carries a non-empty message. */
void fz_check_error(mfr_status st, const mfr_error *err, const char *what);

#endif
