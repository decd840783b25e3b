/* index_opts.c — the --index / --nprobe parser of recommend and serve. */
#include "index_opts.h"

int cli_index_take(const cli_parser *ps, int nprobe, const char *v, mfr_index_params *ip) {
    if (nprobe) return cli_opt_int(ps, v, 1, 1000000, &ip->nprobe);
    int kind;
    if (cli_opt_choice(ps, v, "exact|approx", &kind)) return MFR_E_INVALID; /* MFR_INDEX_* in order */
    ip->kind = (mfr_index_kind)kind;
    return 0;
}

int cli_index_check(const char *cmd, const mfr_index_params *ip, int have_nprobe) {
    if (have_nprobe && ip->kind != MFR_INDEX_APPROX)
        return cli_usage_error(cmd, "--nprobe applies to --index approx only");
    return 0;
}
