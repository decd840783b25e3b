/* mfd.c — the binary dataset file (.mfd). Work in progress: the format is
 * being written; until then loading and saving report MFR_E_UNSUPPORTED. */
#include "io_internal.h"

mfr_status mfr__mfd_load(const char *path, mfr_dataset **out, mfr_error *err) {
    *out = NULL;
    return mfr__err(err, MFR_E_UNSUPPORTED, "%s: .mfd loading not implemented yet", path);
}

mfr_status mfr_dataset_save(const mfr_dataset *ds, const char *path, mfr_error *err) {
    (void)ds;
    return mfr__err(err, MFR_E_UNSUPPORTED, "%s: .mfd saving not implemented yet", path);
}
