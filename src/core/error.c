/* error.c — status names and messages (from the one X-macro list), error
 * formatting, logging through the host's callback, version. */
#include "core.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

const char *mfr_status_name(mfr_status s) {
    switch (s) {
#define MFR__NAME(name, num, msg) case name: return #name;
        MFR_STATUS_MAP(MFR__NAME)
#undef MFR__NAME
    }
    return "MFR_E_UNKNOWN";
}

const char *mfr_status_message(mfr_status s) {
    switch (s) {
#define MFR__MSG(name, num, msg) case name: return msg;
        MFR_STATUS_MAP(MFR__MSG)
#undef MFR__MSG
    }
    return "unknown status";
}

mfr_status mfr__err(mfr_error *err, mfr_status code, const char *fmt, ...) {
    if (err) {
        err->code = code;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return code;
}

mfr_status mfr__nomem(mfr_error *err, const char *what) {
    return mfr__err(err, MFR_E_NOMEM, "out of memory allocating %s", what);
}

static mfr_log_fn log_fn;
static void *log_user;

void mfr_set_log(mfr_log_fn fn, void *user) {
    log_fn = fn;
    log_user = user;
}

void mfr__log(int level, const char *fmt, ...) {
    if (!log_fn) return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    log_fn(level, buf, log_user);
}

const char *mfr_version(void) { return MFR_VERSION_STRING; }

int mfr_cpu_count(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (int)n;
}
