/* knn_common.h — hybrid.c's include while its other edits are in flight; it
 * goes once hybrid.c includes baseline.h and content.h itself. Not public
 * API. */
#ifndef MFR_KNN_COMMON_H
#define MFR_KNN_COMMON_H

#include "baseline.h"
#include "content.h"

#endif
