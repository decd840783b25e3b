/* u.item (pipe-separated, Latin-1 converted to UTF-8, 19 genre flags) beside
 * a fixed u.data. */
#include "fuzz_text.h"
FZ_FOLDER_TARGET("ml", "u.item", "io/100k/u.data", "u.data")
