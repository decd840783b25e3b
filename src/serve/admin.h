/* admin.h — what admin.c offers the rest of the server besides its route
 * handler (declared with the others in server_impl.h). */
#ifndef MFR_SERVE_ADMIN_H
#define MFR_SERVE_ADMIN_H

#include "mfrec.h"

typedef struct mfr_server mfr_server;

/* Load the model to serve at start into *out: the newest retrained model
 * saved beside the database (DB.model.N.mfm, admin.c) when it is newer than
 * the MODEL file, else MODEL. One stderr line says when a saved model is
 * served, or passed over; a saved model that does not load is reported and
 * MODEL is served. Errors as mfr_model_load's, for MODEL. */
mfr_status mfr__model_load_newest(mfr_server *s, mfr_model **out, mfr_error *err);

#endif
