/* u.user (pipe-separated user attributes: age, gender, occupation) beside a
 * fixed u.data. */
#include "fuzz_text.h"
FZ_FOLDER_TARGET("ml", "u.user", "io/100k/u.data", "u.data")
