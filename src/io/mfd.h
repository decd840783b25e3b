/* mfd.h — the binary dataset file (.mfd), byte by byte.
 *
 * Written by mfr_dataset_save, read by mfr_dataset_import (detected by the
 * magic, whatever the file is called). The loader reads the file into one
 * owned, 64-byte aligned block (src/core/binfile.c: not a mapping, so the
 * file rewritten in place later changes nothing) and points the dataset's
 * arrays into it; only the id maps and the messages are built apart. All
 * integers and floats are
 * little-endian (IEEE 754 binary32 for floats); a big-endian host refuses
 * the file with MFR_E_UNSUPPORTED.
 *
 * Header: MFD_HEADER_SIZE = 384 bytes at offset 0.
 *
 *   off  size  type        field
 *     0     4  char[4]     magic "MFRD"
 *     4     4  u32         version (MFD_VERSION = 1)
 *     8     4  u32         header size (384)
 *    12     4  u32         flags: bit 0 = ratings carry timestamps,
 *                          bit 1 = section 15 holds the links,
 *                          bit 2 = section 16 (users) is present
 *    16     8  i64         n_ratings
 *    24     4  i32         n_users
 *    28     4  i32         n_items
 *    32     4  i32         n_catalog
 *    36     4  f32         scale_min
 *    40     4  f32         scale_max
 *    44     4  u32         n_messages (import report messages kept)
 *    48     8  i64         n_tags
 *    56     8  i64         strings_len (bytes in the string pool)
 *    64     8  u64         file size in bytes (detects truncation)
 *    72   256  16 x {u64 offset, u64 length in bytes}: the section table,
 *                          in the order of enum mfd_section below
 *   328     4  u32         data CRC-32: of bytes [384, file size)
 *   332     4  u32         header CRC-32: of bytes [0, 332)
 *   336    16  {u64 offset, u64 length}: section 16's table entry, with
 *                          flag bit 2 (else zero); outside the header CRC
 *                          (older readers ignore it), checked like the others
 *   352    32  zero        reserved
 *
 * Sections follow the header in table order, each starting at an offset that
 * is a multiple of 64 (zero bytes pad the gaps; the padding is covered by the
 * data CRC). A section that is empty has length 0 and the offset where it
 * would start.
 *
 *   #  section      type / count             meaning
 *   0  user         i32[n_ratings]           dense user index of rating j
 *   1  item         i32[n_ratings]           dense item index
 *   2  rating       f32[n_ratings]
 *   3  time         i64[n_ratings] or empty  Unix seconds (flag bit 0)
 *   4  user_ids     i64[n_users]             external id of user index u
 *   5  item_ids     i64[n_items]             external (MovieLens) movie id
 *   6  strings      u8[strings_len]          NUL-terminated strings; byte 0
 *                                            and the last byte are NUL
 *   7  title_off    u32[n_items]             title offset in strings
 *   8  genres_off   u32[n_items]             '|'-separated genres offset
 *   9  year         i16[n_items]             0 = unknown
 *  10  tag_item     i32[n_tags]
 *  11  tag_user     i32[n_tags]              -1 = user without ratings
 *  12  tag_off      u32[n_tags]              tag text offset in strings
 *  13  report       i64[12]                  rows_read, rows_kept,
 *                     bad_field_count, bad_number, bad_rating, unknown_movie,
 *                     duplicates, catalog_rows, catalog_bad, tags_rows,
 *                     tags_bad, n_messages
 *  14  messages     u8[]                     n_messages NUL-terminated
 *                                            "file:line: reason" strings
 *  15  links        i32[2 n_items]           imdbId, tmdbId of each movie
 *                                            (0 = none), with flag bit 1;
 *                                            else empty
 *  16  users        i16[n_users] age (0 = unknown), then i16[n_users]
 *                   occupation code (-1 = unknown), then u8[n_users] gender
 *                   ('M', 'F', 0 = unknown): ml-100k u.user / ml-1m
 *                   users.dat, with flag bit 2 (5 n_users bytes)
 *
 * The loader checks, in this order, and fails with MFR_E_FORMAT and a message
 * naming the file and the problem: size >= 384 ("truncated"), magic, version,
 * header size, header CRC, file size equal to the header's ("truncated" /
 * "trailing bytes"), each section's alignment, bounds and exact length, the
 * message count against the messages' bytes (no allocation larger than the
 * file can justify), the data CRC, then the contents (indices within range,
 * string offsets inside the pool, pool NUL-terminated, every user and movie
 * id once), so a file with a valid checksum but inconsistent contents cannot
 * make the library read out of bounds. */
#ifndef MFR_IO_MFD_H
#define MFR_IO_MFD_H

#include <stdint.h>

#define MFD_MAGIC          "MFRD"
#define MFD_VERSION        1u
#define MFD_HEADER_SIZE    384u
#define MFD_SECTIONS       16
#define MFD_OFF_TABLE      72u
#define MFD_OFF_DATA_CRC   328u
#define MFD_OFF_HEADER_CRC 332u
#define MFD_FLAG_TIME      1u
#define MFD_FLAG_LINKS     2u
#define MFD_FLAG_USERS     4u
#define MFD_OFF_USERS      336u /* section 16's {offset, length} */
#define MFD_USERS          16   /* the section after the table's 16 */

enum mfd_section {
    MFD_USER,
    MFD_ITEM,
    MFD_RATING,
    MFD_TIME,
    MFD_USER_IDS,
    MFD_ITEM_IDS,
    MFD_STRINGS,
    MFD_TITLE_OFF,
    MFD_GENRES_OFF,
    MFD_YEAR,
    MFD_TAG_ITEM,
    MFD_TAG_USER,
    MFD_TAG_OFF,
    MFD_REPORT,
    MFD_MESSAGES,
    MFD_LINKS
};

#define MFD_REPORT_FIELDS 12

#endif
