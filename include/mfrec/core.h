/* mfrec/core.h — version, logging and progress callbacks.
 *
 * The library never prints: hosts (the CLI, the server) install a log callback
 * and pass progress callbacks to long operations. A progress callback that
 * returns non-zero cancels the operation, which then returns MFR_E_CANCELLED
 * with whatever it completed left in a consistent state. */
#ifndef MFREC_CORE_H
#define MFREC_CORE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MFR_VERSION_MAJOR 0
#define MFR_VERSION_MINOR 1
#define MFR_VERSION_PATCH 0
#define MFR_VERSION_STRING "0.1.0"

const char *mfr_version(void);

/* One report from a long operation (training, import, search). Fields that do
 * not apply are NaN (doubles) or -1 (ints). */
typedef struct mfr_progress {
    const char *stage;   /* "train", "import", "tune", ... */
    int32_t step;        /* completed epochs / iterations / rows, 1-based */
    int32_t steps;       /* total, or -1 when unknown */
    double train_rmse;   /* on the training ratings, NaN if not measured */
    double valid_rmse;   /* on the validation split, NaN if none */
    double loss;         /* objective, NaN if not measured */
    double elapsed_s;    /* since the operation began */
    double eta_s;        /* estimated seconds left, NaN if unknown */
} mfr_progress;

/* Return 0 to continue, non-zero to cancel. */
typedef int (*mfr_progress_fn)(const mfr_progress *p, void *user);

enum { MFR_LOG_DEBUG = 0, MFR_LOG_INFO = 1, MFR_LOG_WARN = 2, MFR_LOG_ERROR = 3 };
typedef void (*mfr_log_fn)(int level, const char *msg, void *user);

/* Process-wide; NULL restores silence (the default). Not thread-safe to change
 * while other threads call into the library. */
void mfr_set_log(mfr_log_fn fn, void *user);

/* Number of online CPU cores (>= 1). */
int mfr_cpu_count(void);

#ifdef __cplusplus
}
#endif
#endif
