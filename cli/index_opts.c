/* index_opts.c — the --index / --nprobe check of recommend and serve. */
#include "index_opts.h"

int cli_index_check(const char *cmd, const cli_index *x, mfr_index_params *ip) {
    if (x->nprobe && x->kind != MFR_INDEX_APPROX)
        return cli_usage_error(cmd, "--nprobe applies to --index approx only");
    if (ip) ip->kind = (mfr_index_kind)x->kind;
    if (ip && x->nprobe) ip->nprobe = x->nprobe;
    return 0;
}
