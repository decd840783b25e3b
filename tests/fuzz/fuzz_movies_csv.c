/* movies.csv (quoted titles, years, genres) beside a fixed ratings.csv. */
#include "fuzz_text.h"
FZ_FOLDER_TARGET("ml", "movies.csv", "cli/tiny/ratings.csv", "ratings.csv")
