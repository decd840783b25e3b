/* sha256.h — SHA-256 (FIPS 180-4) for hashing API tokens, and a
 * constant-time comparison. Owned because neither SQLite nor libarchive
 * export a hash; ~100 lines, checked against the FIPS test vectors in
 * tests/unit/test_serve.c. */
#ifndef MFR_SERVE_SHA256_H
#define MFR_SERVE_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct mfr_sha256 {
    uint32_t h[8];
    uint64_t len;          /* bytes hashed so far */
    unsigned char buf[64]; /* partial block */
    size_t used;
} mfr_sha256;

void mfr__sha256_init(mfr_sha256 *c);
void mfr__sha256_update(mfr_sha256 *c, const void *data, size_t n);
void mfr__sha256_final(mfr_sha256 *c, unsigned char out[32]);
/* One-shot digest of data[0..n). */
void mfr__sha256(const void *data, size_t n, unsigned char out[32]);
/* 1 when a and b (n bytes) are equal; time depends only on n. */
int mfr__ct_equal(const unsigned char *a, const unsigned char *b, size_t n);

#endif
