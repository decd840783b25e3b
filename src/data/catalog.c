/* catalog.c — the movie catalogue's accessors (catalog.h), shared by the
 * dataset and the model. */
#include "catalog.h"

#include <string.h>

const char *mfr__catalog_str(const mfr__catalog *c, const uint32_t *off, int64_t n, int64_t i) {
    if (!off || !c->strings || i < 0 || i >= n || off[i] >= c->strings_len) return "";
    return c->strings + off[i];
}
const char *mfr__catalog_genres(const mfr__catalog *c, int32_t n, int32_t i) {
    return mfr__catalog_str(c, c->genres_off, n, i);
}
int32_t mfr__catalog_link(const mfr__catalog *c, int32_t n, int32_t i, int which) {
    return c->links && i >= 0 && i < n ? c->links[2 * (size_t)i + (size_t)which] : 0;
}

const char *mfr__catalog_check(const mfr__catalog *c, int32_t n, const uint32_t *extra, int32_t *item) {
    *item = -1;
    if (c->strings_len < 1 || c->strings[c->strings_len - 1] != '\0') return "string pool";
    for (int32_t i = 0; i < n; i++)
        if (c->title_off[i] >= c->strings_len || c->genres_off[i] >= c->strings_len ||
            (extra && extra[i] >= c->strings_len)) {
            *item = i;
            return "string offset";
        }
    return NULL;
}

void mfr__catalog_free(mfr__catalog *c) {
    mfr__free(c->strings);
    mfr__free(c->title_off);
    mfr__free(c->genres_off);
    mfr__free(c->year);
    mfr__free(c->links);
    memset(c, 0, sizeof *c);
}
