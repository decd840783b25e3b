/* movies.dat ("::", Latin-1) beside a fixed ratings.dat. */
#include "fuzz_text.h"
FZ_FOLDER_TARGET("ml", "movies.dat", "io/dat/ratings.dat", "ratings.dat")
