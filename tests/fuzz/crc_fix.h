/* crc_fix.h — rewrite the checksums of a binary image after changing it, so
 * a mutation reaches the checks behind the CRCs instead of stopping at
 * "checksum mismatch". Shared by the unit tests (tests/unit/test.h) and the
 * fuzz targets (tests/fuzz); no test framework needed. Layouts:
 * src/model/mfm.h (.mfm) and src/io/mfd.h (.mfd). */
#ifndef MFR_TESTS_CRC_FIX_H
#define MFR_TESTS_CRC_FIX_H

#include <stdint.h>
#include <string.h>

uint32_t mfr__crc32(uint32_t crc, const void *buf, size_t len); /* src/core */

/* .mfm: the payload CRC (when the header's data offset and file size match
 * the image) and the header CRC (when the directory fits). */
static inline void fix_crcs(unsigned char *b, long len) {
    if (len < 256) return;
    uint64_t data_off, fsize;
    uint32_t nsect, zero = 0;
    memcpy(&data_off, b + 96, 8);
    memcpy(&fsize, b + 88, 8);
    memcpy(&nsect, b + 12, 4);
    if (data_off <= (uint64_t)len && fsize == (uint64_t)len) {
        uint32_t pc = mfr__crc32(0, b + data_off, (size_t)(fsize - data_off));
        memcpy(b + 104, &pc, 4);
    }
    if (nsect > 64 || 256 + 24 * (long)nsect > len) return;
    memcpy(b + 108, &zero, 4);
    uint32_t hc = mfr__crc32(0, b, 256 + 24 * (size_t)nsect);
    memcpy(b + 108, &hc, 4);
}

/* .mfd: the data CRC over [384, len) and the header CRC over [0, 332). */
static inline void fix_mfd_crcs(unsigned char *b, long len) {
    if (len < 384) return;
    uint32_t dc = mfr__crc32(0, b + 384, (size_t)(len - 384));
    memcpy(b + 328, &dc, 4);
    uint32_t hc = mfr__crc32(0, b, 332);
    memcpy(b + 332, &hc, 4);
}

#endif
