/* A .zip archive (libarchive): layout detection (files at the top or in one
 * folder), then every file of the layout found read from the archive. */
#include "fuzz_text.h"
FZ_SINGLE_FILE_TARGET("in.zip")
