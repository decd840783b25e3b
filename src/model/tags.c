/* tags.c — each movie's most-used tags (tags.csv) kept in the model, for
 * the web page's movie view (mfr_model_item_tags).
 *
 * At training the dataset's tags are grouped by movie, folded (case and
 * accents, mfr__text_fold; surrounding spaces trimmed), counted, and the
 * MFR_MODEL_TOP_TAGS most used of each movie (ties alphabetical) are joined
 * with '|' and appended to the model's string pool; m->tags_off[i] is the
 * offset of movie i's list (0, the pool's leading "", for none). The .mfm
 * file keeps the offsets as the optional section TGOF. */
#include "model_impl.h"
#include "../data/dataset_impl.h"

#include <stdlib.h>
#include <string.h>

#define MFR_MODEL_TOP_TAGS 8
enum { TAG_CAP = 64 };

typedef struct tag_row {
    int32_t item, count;
    char text[TAG_CAP];
} tag_row;

static int by_item_text(const void *a, const void *b) {
    const tag_row *x = a, *y = b;
    if (x->item != y->item) return x->item < y->item ? -1 : 1;
    return strcmp(x->text, y->text);
}

static int by_count(const void *a, const void *b) {
    const tag_row *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return strcmp(x->text, y->text);
}

mfr_status mfr__model_top_tags(mfr_model *m, const mfr_dataset *ds, mfr_error *err) {
    int64_t nt = ds->n_tags;
    if (nt <= 0 || !ds->tag_item || !ds->tag_off) return MFR_OK;
    tag_row *rows = mfr__malloc(sizeof *rows * (size_t)nt);
    uint32_t *off = mfr__calloc((size_t)m->n_items + 1, sizeof *off);
    if (!rows || !off) {
        mfr__free(rows);
        mfr__free(off);
        return mfr__nomem(err, "model tags");
    }
    int64_t n = 0;
    for (int64_t t = 0; t < nt; t++) {
        int32_t i = ds->tag_item[t];
        if (i < 0 || i >= m->n_items || ds->tag_off[t] >= ds->cat.strings_len) continue;
        const char *s = ds->cat.strings + ds->tag_off[t];
        while (*s == ' ' || *s == '\t') s++;
        tag_row *r = &rows[n];
        mfr__text_fold(s, r->text, sizeof r->text);
        size_t len = strlen(r->text);
        while (len && (r->text[len - 1] == ' ' || r->text[len - 1] == '\t')) r->text[--len] = 0;
        for (char *c = r->text; *c; c++)
            if (*c == '|') *c = '/'; /* '|' separates the list */
        if (!len) continue;
        r->item = i;
        r->count = 1;
        n++;
    }
    qsort(rows, (size_t)n, sizeof *rows, by_item_text);
    int64_t w = 0; /* one row per (item, text), counted */
    for (int64_t j = 0; j < n; j++) {
        if (w && rows[w - 1].item == rows[j].item && !strcmp(rows[w - 1].text, rows[j].text))
            rows[w - 1].count++;
        else
            rows[w++] = rows[j];
    }
    /* the lists, appended to a new pool */
    size_t extra = 0;
    for (int64_t j = 0; j < w; j++) extra += strlen(rows[j].text) + 1;
    char *pool = mfr__malloc((size_t)m->cat.strings_len + extra + 1);
    if (!pool) {
        mfr__free(rows);
        mfr__free(off);
        return mfr__nomem(err, "model tags");
    }
    memcpy(pool, m->cat.strings, (size_t)m->cat.strings_len);
    size_t len = (size_t)m->cat.strings_len;
    for (int64_t a = 0; a < w;) {
        int64_t b = a;
        while (b < w && rows[b].item == rows[a].item) b++;
        qsort(rows + a, (size_t)(b - a), sizeof *rows, by_count);
        off[rows[a].item] = (uint32_t)len;
        for (int64_t j = a; j < b && j < a + MFR_MODEL_TOP_TAGS; j++) {
            size_t l = strlen(rows[j].text);
            if (j > a) pool[len++] = '|';
            memcpy(pool + len, rows[j].text, l);
            len += l;
        }
        pool[len++] = '\0';
        a = b;
    }
    mfr__free(rows);
    mfr__free(m->cat.strings);
    m->cat.strings = pool;
    m->cat.strings_len = (int64_t)len;
    m->tags_off = off;
    return MFR_OK;
}

const char *mfr_model_item_tags(const mfr_model *m, int32_t i) {
    return m ? mfr__catalog_str(&m->cat, m->tags_off, m->n_items, i) : "";
}
