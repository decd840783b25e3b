/* index_opts.h — --index exact|approx and --nprobe N, the top-n search
 * switch of recommend and serve (mfr_model_set_index, mfrec/analysis.h):
 * the two rows of their option tables, the two that read them and the one
 * check behind both. */
#ifndef MFR_CLI_INDEX_OPTS_H
#define MFR_CLI_INDEX_OPTS_H

#include "cli.h"

#define CLI_INDEX_ROWS(ID_INDEX, ID_NPROBE)                                                       \
    {ID_INDEX, 0, "index", "exact|approx",                                                         \
     "how a factor model's lists are found: exact (every movie that\ncan reach the list is scored; "  \
     "the default) or approx (k-means\nclusters of the movies, the best nprobe of them searched;\n"    \
     "built at start, factor models without their own ranking only)"},                              \
    {ID_NPROBE, 0, "nprobe", "N",                                                                  \
     "with --index approx: clusters searched a list (of about\nsqrt(movies); default: the fewest "    \
     "whose recall@10\nagainst the exact lists of 256 model users is >= 0.96,\nmeasured at start; "   \
     "more: higher recall, slower; all:\nthe exact lists)"}

/* What --index and --nprobe gave, read by the two rows of a command's
 * cli_takes.vals that CLI_INDEX_VALS makes: kind (MFR_INDEX_* in
 * "exact|approx" order), nprobe (0: not given). */
typedef struct cli_index {
    int kind, nprobe;
} cli_index;
#define CLI_INDEX_VALS(ID_INDEX, ID_NPROBE, x)                                                     \
    CLI_CHOICE(ID_INDEX, "exact|approx", &(x)->kind),                                              \
    CLI_INT(ID_NPROBE, 1, 1000000, &(x)->nprobe)
/* After the options: --nprobe without --index approx is a usage error
 * (MFR_E_INVALID); else 0, and ip (when not NULL) gets the kind and the
 * nprobe given. */
int cli_index_check(const char *cmd, const cli_index *x, mfr_index_params *ip);

#endif
