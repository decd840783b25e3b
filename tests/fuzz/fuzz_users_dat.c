/* users.dat (ml-1m user attributes, "::") beside a fixed ratings.dat. */
#include "fuzz_text.h"
FZ_FOLDER_TARGET("ml", "users.dat", "io/dat/ratings.dat", "ratings.dat")
