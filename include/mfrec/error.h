/* mfrec/error.h — status codes and the caller-owned error record.
 *
 * Every fallible function returns an mfr_status and, when the caller passes a
 * non-NULL mfr_error as its last argument, writes a message saying what went
 * wrong and where ("ratings.csv:10432: rating \"7.5\" outside 0.5..5").
 * Status numbers are stable and append-only: the CLI's exit status and the HTTP
 * error body's "code" come from them. */
#ifndef MFREC_ERROR_H
#define MFREC_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, number, default message) — new codes go at the end. */
#define MFR_STATUS_MAP(X)                                   \
    X(MFR_OK, 0, "success")                                 \
    X(MFR_E_NOMEM, 1, "out of memory")                      \
    X(MFR_E_IO, 2, "input/output error")                    \
    X(MFR_E_PARSE, 3, "malformed input")                    \
    X(MFR_E_FORMAT, 4, "bad or unsupported file format")    \
    X(MFR_E_INVALID, 5, "invalid argument")                 \
    X(MFR_E_NOT_FOUND, 6, "not found")                      \
    X(MFR_E_CANCELLED, 7, "cancelled")                      \
    X(MFR_E_UNSUPPORTED, 8, "not supported")                \
    X(MFR_E_RANGE, 9, "value out of range")                 \
    X(MFR_E_AMBIGUOUS, 10, "ambiguous")                     \
    X(MFR_E_AUTH, 11, "not authorized")                     \
    X(MFR_E_LIMIT, 12, "limit exceeded")                    \
    X(MFR_E_EXISTS, 13, "already exists")                   \
    X(MFR_E_INTERNAL, 14, "internal error")                 \
    X(MFR_E_TIMEOUT, 15, "timed out")

typedef enum mfr_status {
#define MFR__STATUS_ENUM(name, num, msg) name = num,
    MFR_STATUS_MAP(MFR__STATUS_ENUM)
#undef MFR__STATUS_ENUM
} mfr_status;

#define MFR_ERROR_MSG_MAX 512

/* Filled by a failing call; untouched on success. */
typedef struct mfr_error {
    mfr_status code;
    char message[MFR_ERROR_MSG_MAX];
} mfr_error;

/* "MFR_E_PARSE"; "MFR_E_UNKNOWN" for a number not in the map. Static storage. */
const char *mfr_status_name(mfr_status s);
/* "malformed input"; static storage. */
const char *mfr_status_message(mfr_status s);

#ifdef __cplusplus
}
#endif
#endif
