/* binfile.h — the one helper behind both binary files, the dataset (.mfd,
 * src/io/mfd.c) and the model (.mfm, src/model/mfm.c). Not public API.
 *
 * Both formats are a fixed header, then sections that each start at a
 * multiple of 64 bytes (zero padding between them), with a CRC-32 over the
 * payload; both are little-endian and refuse a big-endian host. This file
 * holds what they share:
 *   - little-endian field access (memcpy, so unaligned offsets are fine);
 *   - the section layout, the payload CRC and the atomic save (temporary
 *     file beside the target, mode 0644, fsync, rename, fsync of the folder);
 *   - reading a whole file into owned memory (read() into anonymous pages,
 *     not a mapping of the file: a file rewritten or truncated in place
 *     while it is loaded cannot fault the process or change what it holds,
 *     and the data is checked once, then trusted);
 *   - the consistency checks a loader runs before trusting contents:
 *     overflow-safe section sizes, indices in range, sorted unique index
 *     lists (CSR rows), and ids that appear once. */
#ifndef MFR_CORE_BINFILE_H
#define MFR_CORE_BINFILE_H

#include "core.h"

#include <string.h>

#define MFR_BIN_ALIGN 64u

/* ---- little-endian fields (the host is checked by mfr__bin_host_ok) ---- */
/* mfr__get32/64/f/d: the field of that type at byte off of b; mfr__put32/64/f/d
 * write one there. */
#define MFR__LE_FIELD(SUFFIX, T)                                                                   \
    static inline T mfr__get##SUFFIX(const void *b, size_t off) {                                  \
        T v;                                                                                       \
        memcpy(&v, (const unsigned char *)b + off, sizeof v);                                      \
        return v;                                                                                  \
    }                                                                                              \
    static inline void mfr__put##SUFFIX(void *b, size_t off, T v) {                                \
        memcpy((unsigned char *)b + off, &v, sizeof v);                                            \
    }
MFR__LE_FIELD(32, uint32_t)
MFR__LE_FIELD(64, uint64_t)
MFR__LE_FIELD(f, float)
MFR__LE_FIELD(d, double)
#undef MFR__LE_FIELD

static inline uint64_t mfr__align64(uint64_t x) {
    return (x + MFR_BIN_ALIGN - 1) & ~(uint64_t)(MFR_BIN_ALIGN - 1);
}

/* MFR_OK on a little-endian host, else MFR_E_UNSUPPORTED naming path. */
mfr_status mfr__bin_host_ok(const char *path, mfr_error *err);

/* ---- writing ---------------------------------------------------------- */
typedef struct mfr__bsec {
    uint32_t tag;     /* for formats with a directory (.mfm); 0 otherwise */
    const void *data; /* NULL with size > 0: that many zero bytes, or (streamed) */
    uint64_t size;    /* bytes */
    uint64_t off;     /* set by mfr__bsec_layout */
    int streamed;     /* 1: the caller writes its bytes (mfr__bin_out_at), crc is theirs */
    uint32_t crc;     /* streamed: CRC-32 of its bytes (from 0) */
} mfr__bsec;

/* Offsets of s[0..n) laid out 64-byte aligned from data_off (s[0] at
 * align64(data_off)); returns the end of the last one, the file size. */
uint64_t mfr__bsec_layout(mfr__bsec *s, int n, uint64_t data_off);
/* CRC-32 of the bytes [data_off, end) a save writes: sections and padding. */
uint32_t mfr__bsec_crc(const mfr__bsec *s, int n, uint64_t data_off);
/* Write head (head_len bytes: the header, directory and padding, ending at
 * the data_off the layout used), then the sections, into a temporary file
 * beside path; mode 0644, fsync, rename over path, fsync the folder. A
 * reader never sees a half-written file. MFR_E_IO / MFR_E_INVALID (path
 * too long) / MFR_E_NOMEM. (mfr__bin_out_open, _sections, _commit.) */
mfr_status mfr__bin_save(const char *path, const void *head, size_t head_len, const mfr__bsec *s,
                         int n, mfr_error *err);

/* The same save in steps, for a file some of whose sections are streamed
 * (written piece by piece at their offsets, not held whole): open the
 * temporary file, write the sections that have data and the padding
 * (_sections: from head_len on), the streamed ones and the header at their
 * offsets (_at: data NULL writes zeros), then _commit (fsync, rename,
 * fsync the folder) or _abort (the temporary file removed). Messages as
 * mfr__bin_save's; after a failed _at or _sections call _abort. */
typedef struct mfr__bin_out {
    const char *path;
    char *tmp;
    int fd;
} mfr__bin_out;
mfr_status mfr__bin_out_open(mfr__bin_out *o, const char *path, mfr_error *err);
mfr_status mfr__bin_out_at(mfr__bin_out *o, uint64_t off, const void *data, uint64_t n,
                           mfr_error *err);
mfr_status mfr__bin_out_sections(mfr__bin_out *o, uint64_t head_len, const mfr__bsec *s, int n,
                                 mfr_error *err);
mfr_status mfr__bin_out_commit(mfr__bin_out *o, mfr_error *err);
void mfr__bin_out_abort(mfr__bin_out *o);

/* ---- reading ---------------------------------------------------------- */
/* The whole regular file into *data (page-aligned anonymous memory, owned:
 * mfr__bin_free(*data, *len)) and its length into *len. A file shorter than
 * min_len is MFR_E_FORMAT
 * "truncated: header needs N bytes, file has M" (no allocation then).
 * A file that shrinks while being read is MFR_E_FORMAT "truncated".
 * MFR_E_IO names the path and the system's reason. */
mfr_status mfr__bin_read(const char *path, uint64_t min_len, void **data, uint64_t *len,
                         mfr_error *err);
/* n bytes of zeroed anonymous pages (mfr__bin_free; NULL on no memory): a
 * page counts in RSS only once written, so a reader that fills part of a
 * block pays for that part only. */
void *mfr__bin_alloc(uint64_t n);
/* Frees what mfr__bin_read or mfr__bin_alloc returned (NULL: nothing). */
void mfr__bin_free(void *data, uint64_t len);
/* Hands the whole pages inside [p, p + len) of a block from mfr__bin_read
 * back to the system (they read as zeros afterwards): a loader's caller
 * that has taken what it needs from a section drops it without copying the
 * rest of the block. The partial pages at either end stay. */
void mfr__bin_discard(void *p, uint64_t len);

/* ---- consistency checks ----------------------------------------------- */
/* 1 when size == count * elem exactly, count >= 0, without overflow. */
static inline int mfr__bytes_are(uint64_t size, int64_t count, uint64_t elem) {
    return count >= 0 && size % elem == 0 && size / elem == (uint64_t)count;
}
/* 1 when [off, off + size) lies within [min_off, len) and off is 64-byte
 * aligned (no overflow whatever the values). */
int mfr__bsec_inside(uint64_t off, uint64_t size, uint64_t min_off, uint64_t len);
/* Index of the first v[j] outside [lo, hi), or -1 when all are inside. */
int64_t mfr__first_out_of_range(const int32_t *v, int64_t n, int32_t lo, int32_t hi);
/* CSR structure: ptr[0] == 0, ptr non-decreasing, ptr[rows] == nnz, no row
 * longer than max_len (< 0: any), and, when idx is non-NULL, every row's
 * idx strictly ascending (sorted, no repeats) inside [0, hi). Returns NULL
 * when it holds, else a static phrase saying what is wrong, with the row
 * in *bad_row ("row pointers", "row length", "index out of range",
 * "unsorted or repeated index"). */
const char *mfr__csr_check(const int64_t *ptr, int64_t rows, int64_t nnz, const int32_t *idx,
                           int32_t hi, int64_t max_len, int64_t *bad_row);
/* (Re)build m from ids[0..n) (id -> index). A repeated id is MFR_E_FORMAT
 * "<source>: <what> id <id> appears twice" (source NULL: "model"); no
 * memory MFR_E_NOMEM. m is left valid for mfr__idmap_free either way. */
mfr_status mfr__idmap_from_ids(mfr__idmap *m, const int64_t *ids, int32_t n, const char *source,
                               const char *what, mfr_error *err);

#endif
