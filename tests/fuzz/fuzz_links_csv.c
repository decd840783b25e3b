/* links.csv (movieId,imdbId,tmdbId; either id may be empty) beside a fixed
 * ratings.csv and movies.csv. */
#include "fuzz_text.h"
FZ_FOLDER_TARGET("ml", "links.csv", "io/csv/ratings.csv", "ratings.csv", "io/csv/movies.csv",
                 "movies.csv")
