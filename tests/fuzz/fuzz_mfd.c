/* The binary dataset file (.mfd, src/io/mfd.h): header, section table,
 * checksums, then the contents every index and string offset refers to.
 * Under libFuzzer a custom mutator writes the header's file size and both
 * CRCs after most mutations (15 in 16), so mutated files get past the
 * checksums to the structural checks; the rest keep their stale CRCs. An
 * accepted file is also saved and read back (fz_import). */
#include "fuzz.h"
#include "crc_fix.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *p = fz_path("in.mfd");
    fz_write(p, data, size);
    fz_import(p, NULL);
    return 0;
}

#ifdef MFR_LIBFUZZER
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed) {
    size = LLVMFuzzerMutate(data, size, max_size);
    if (size >= 384 && seed % 16) {
        uint64_t n = size;
        memcpy(data + 64, &n, 8); /* header's file size */
        fix_mfd_crcs(data, (long)size);
    }
    return size;
}
#endif
