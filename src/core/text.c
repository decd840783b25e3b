/* text.c — small text helpers: UTF-8 validation, accent-folding case-insensitive matching for
 * title search ("amelie" finds "Amélie"), CRC-32 through zlib. */
#include "core.h"

#include <string.h>
#include <zlib.h>

uint32_t mfr__crc32(uint32_t crc, const void *data, size_t n) {
    const unsigned char *p = data;
    while (n > 0) {
        uInt chunk = n > 0x40000000u ? 0x40000000u : (uInt)n;
        crc = (uint32_t)crc32(crc, p, chunk);
        p += chunk;
        n -= chunk;
    }
    return crc;
}

uint32_t mfr__crc32_combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b) {
    return (uint32_t)crc32_combine(crc_a, crc_b, (z_off_t)len_b); /* z_off_t: 64 bits on the hosts built for */
}

/* Base letter for a UTF-8 two-byte sequence C3 xx (U+00C0..U+00FF), or 0. */
static char fold_c3(unsigned char b) {
    static const char map[64] =
        "aaaaaaaceeeeiiii"  /* C0-CF: À..Ï */
        "dnooooo*ouuuuyts"  /* D0-DF: Ð..ß */
        "aaaaaaaceeeeiiii"  /* E0-EF: à..ï */
        "dnooooo/ouuuuyty"; /* F0-FF: ð..ÿ */
    if (b < 0x80 || b > 0xBF) return 0;
    return map[b - 0x80];
}

void mfr__text_fold(const char *s, char *out, size_t cap) {
    size_t o = 0;
    if (!cap) return;
    for (const unsigned char *p = (const unsigned char *)s; *p && o + 1 < cap; p++) {
        if (*p == 0xC3 && p[1]) {
            char c = fold_c3(p[1]);
            if (c) {
                out[o++] = c;
                p++;
                continue;
            }
        }
        unsigned char c = *p;
        out[o++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    out[o] = '\0';
}

int mfr__utf8_valid(const char *s, size_t n) {
    const unsigned char *p = (const unsigned char *)s, *e = p + n;
    while (p < e) {
        unsigned c = *p;
        if (c < 0x80) {
            p++;
            continue;
        }
        int k = c >= 0xF0 && c <= 0xF4 ? 3 : c >= 0xE0 ? 2 : c >= 0xC2 && c < 0xE0 ? 1 : -1;
        if (k < 0 || c > 0xF4 || e - p <= k) return 0;
        for (int j = 1; j <= k; j++)
            if ((p[j] & 0xC0) != 0x80) return 0;
        if (c == 0xE0 && p[1] < 0xA0) return 0;  /* overlong */
        if (c == 0xED && p[1] >= 0xA0) return 0; /* surrogates */
        if (c == 0xF0 && p[1] < 0x90) return 0;  /* overlong */
        if (c == 0xF4 && p[1] >= 0x90) return 0; /* > U+10FFFF */
        p += k + 1;
    }
    return 1;
}
