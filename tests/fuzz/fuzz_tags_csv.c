/* tags.csv (quoted free text) beside a fixed ratings.csv and movies.csv. */
#include "fuzz_text.h"
FZ_FOLDER_TARGET("ml", "tags.csv", "io/csv/ratings.csv", "ratings.csv", "io/csv/movies.csv",
                 "movies.csv")
