/* ratings.dat alone (ml-1m / ml-10m, "::"-separated). */
#include "fuzz_text.h"
FZ_SINGLE_FILE_TARGET("ratings.dat")
