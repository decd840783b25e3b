/* ratings.csv alone (ml-latest-small layout): header detection, RFC 4180
 * records, the fast row path, numbers, duplicates. */
#include "fuzz_text.h"
FZ_SINGLE_FILE_TARGET("ratings.csv")
