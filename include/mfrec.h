/* mfrec.h — the public API of libmfrec, a movie recommender built on matrix
 * factorization. One header per concern lives in include/mfrec/; only what is
 * declared there is API. Functions and types are prefixed mfr_, macros and enum
 * values MFR_. Handles are opaque with paired create/load and free; errors
 * come back as mfr_status plus an optional caller-owned mfr_error. */
#ifndef MFREC_H
#define MFREC_H

#include "mfrec/error.h"
#include "mfrec/core.h"
#include "mfrec/dataset.h"
#include "mfrec/model.h"
#include "mfrec/eval.h"
#include "mfrec/analysis.h"

#endif
