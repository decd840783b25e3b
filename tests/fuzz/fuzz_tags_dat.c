/* tags.dat ("::", unquoted) beside a fixed ratings.dat and movies.dat. */
#include "fuzz_text.h"
FZ_FOLDER_TARGET("ml", "tags.dat", "io/dat/ratings.dat", "ratings.dat", "io/dat/movies.dat",
                 "movies.dat")
