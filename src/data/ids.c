/* ids.c — every external id of a dataset at once (index order), for hosts
 * that map ids in bulk (the Python package, `mfrec export`). */
#include "dataset_impl.h"

const int64_t *mfr_dataset_user_ids(const mfr_dataset *ds) { return ds->user_ids; }
const int64_t *mfr_dataset_item_ids(const mfr_dataset *ds) { return ds->item_ids; }
