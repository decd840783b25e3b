/* access.c — a model's arrays as a whole (ids, biases) and predictions in
 * bulk, for hosts that copy or view them at once: the Python package's
 * user_factors / item_factors / predict and `mfrec export`. The per-element
 * getters live in model.c; the prediction itself is mfr_model_predict's. */
#include "model_impl.h"

const int64_t *mfr_model_user_ids(const mfr_model *m) { return m->user_ids; }
const int64_t *mfr_model_item_ids(const mfr_model *m) { return m->item_ids; }
const float *mfr_model_user_bias(const mfr_model *m) { return m->user_bias; }
const float *mfr_model_item_bias(const mfr_model *m) { return m->item_bias; }

void mfr_model_predict_many(const mfr_model *m, int64_t n, const int32_t *users,
                            const int32_t *items, float *out) {
    for (int64_t j = 0; j < n; j++) out[j] = mfr_model_predict(m, users[j], items[j]);
}
