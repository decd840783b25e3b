/* A generic delimited ratings file (CSV, TSV, ';', '|', "::"): the first
 * input byte chooses the import parameters, the rest is the file.
 *   bits 0-2  delimiter: 0 sniff from the first line, 1 ',', 2 '\t', 3 ';',
 *             4 '|', 5 "::", 6-7 sniff
 *   bits 3-4  header: 0 detect, 1 none, 2 present, 3 detect
 *   bit  5    no time column
 *   bit  6    strict (the first bad row fails the import)
 *   bit  7    columns "item,user,rating" and an explicit 1..10 scale */
#include "fuzz.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    uint8_t o = data[0];
    static const char delims[8] = {0, ',', '\t', ';', '|', ':', 0, 0};
    mfr_import_params p = mfr_import_params_default();
    p.format = MFR_FMT_GENERIC;
    p.delimiter = delims[o & 7];
    p.header = ((o >> 3) & 3) == 1 ? 0 : ((o >> 3) & 3) == 2 ? 1 : -1;
    if (o & 32) p.col_time = -1;
    p.strict = (o >> 6) & 1;
    if (o & 128) {
        p.col_user = 1;
        p.col_item = 0;
        p.rating_min = 1.f;
        p.rating_max = 10.f;
    }
    const char *path = fz_path("ratings.txt");
    fz_sample_roundtrip(data, size);
    fz_write(path, data + 1, size - 1);
    fz_import(path, &p);
    return 0;
}
