/* index_opts.h — --index exact|approx and --nprobe N, the top-n search
 * switch of recommend and serve (mfr_model_set_index, mfrec/analysis.h):
 * the two rows of their option tables and the one parser behind both. */
#ifndef MFR_CLI_INDEX_OPTS_H
#define MFR_CLI_INDEX_OPTS_H

#include "cli.h"

#define CLI_INDEX_ROWS(ID_INDEX, ID_NPROBE)                                                       \
    {ID_INDEX, 0, "index", "exact|approx",                                                         \
     "how a factor model's lists are found: exact (every movie that\ncan reach the list is scored; "  \
     "the default) or approx (k-means\nclusters of the movies, the best nprobe of them searched;\n"    \
     "built at start, factor models without their own ranking only)"},                              \
    {ID_NPROBE, 0, "nprobe", "N",                                                                  \
     "with --index approx: clusters searched a list (24 of about\nsqrt(movies); more: higher "         \
     "recall, slower; all: the exact\nlists)"}

/* The value v of --index (nprobe 0) or --nprobe (nprobe 1) into ip: 0, or
 * MFR_E_INVALID after a usage error. */
int cli_index_take(const cli_parser *ps, int nprobe, const char *v, mfr_index_params *ip);
/* After the options: --nprobe without --index approx is a usage error
 * (MFR_E_INVALID); 0 otherwise. have_nprobe: --nprobe was given. */
int cli_index_check(const char *cmd, const mfr_index_params *ip, int have_nprobe);

#endif
