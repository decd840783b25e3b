/* u.data alone (ml-100k, tab-separated, 1..5 stars). */
#include "fuzz_text.h"
FZ_SINGLE_FILE_TARGET("u.data")
