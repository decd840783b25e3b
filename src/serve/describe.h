/* describe.h — what each model-dependent route does with the served model,
 * in words: `mfrec serve` prints these lines on stderr at start-up and
 * GET /api/health returns them under "routes". Declared here rather than in
 * include/mfrec/serve.h because only the mfrec command uses it so far. */
#ifndef MFR_SERVE_DESCRIBE_H
#define MFR_SERVE_DESCRIBE_H

#include <stddef.h>

typedef struct mfr_server mfr_server;

/* One "route: what it does" line per model-dependent route of s's current
 * model, each ending in '\n', into buf (NUL-terminated, truncated to cap).
 * Returns the length needed. */
size_t mfr_server_describe(mfr_server *s, char *buf, size_t cap);

#endif
