/* mfrec/analysis.h — k-means and PCA on a model's movie factors. */
#ifndef MFREC_ANALYSIS_H
#define MFREC_ANALYSIS_H

#include <stdint.h>
#include "error.h"
#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* (declarations added by the analysis module) */

#ifdef __cplusplus
}
#endif
#endif
