/* The model file (.mfm, src/model/mfm.h), then the questions a loaded model
 * answers: a trained user's list, a new user's list (fold-in and the
 * rated-movies path), similar movies by every metric, a title search.
 * Families keep extra sections (knn neighbour lists, EASE weights, ...)
 * that only those questions read, so loading alone is not enough. Under
 * libFuzzer a custom mutator writes the file size and both CRCs after most
 * mutations (15 in 16) so the structural checks are reached. */
#include "fuzz.h"
#include "crc_fix.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void ask(const mfr_model *m) {
    mfr_model_info info;
    mfr_model_info_get(m, &info);
    int32_t nu = mfr_model_n_users(m), ni = mfr_model_n_items(m);
    mfr_scored out[20];
    int32_t n = 0;
    mfr_error err = {0};
    mfr_recommend_params rp = mfr_recommend_params_default();
    rp.n = 20;
    rp.min_ratings = 1;
    for (int32_t u = 0; u < nu && u < 3; u++) {
        mfr_status st = mfr_model_recommend(m, u, &rp, out, &n, &err);
        fz_check_error(st, &err, "recommend");
        for (int32_t j = 0; st == MFR_OK && j < n; j++)
            if (out[j].item < 0 || out[j].item >= ni) fz_fail("recommend: item %d of %d", out[j].item, ni);
        (void)mfr_model_predict(m, u, ni ? u % ni : 0);
        int32_t ns = 0;
        const int32_t *seen = mfr_model_user_items(m, u, &ns);
        for (int32_t j = 0; seen && j < ns; j++)
            if (seen[j] < 0 || seen[j] >= ni) fz_fail("seen: item %d of %d", seen[j], ni);
    }
    if (ni > 0) {
        int32_t items[3] = {0, ni >= 3 ? ni / 2 : 1, ni - 1}; /* distinct */
        float ratings[3] = {5.f, 1.f, 3.5f};
        int32_t nr = ni >= 3 ? 3 : ni;
        int32_t dim = mfr_model_fold_dim(m);
        float *vec = NULL;
        if (dim > 0 && dim < 4096) {
            vec = calloc((size_t)dim, sizeof *vec);
            if (!vec) abort();
            mfr_status st = mfr_model_fold_in(m, items, ratings, nr, vec, &err);
            fz_check_error(st, &err, "fold_in");
            (void)mfr_model_predict_vec(m, vec, 0);
        }
        mfr_status st = mfr_model_recommend_vec(m, vec, items, ratings, nr, &rp, out, &n, &err);
        fz_check_error(st, &err, "recommend_vec");
        free(vec);
        static const mfr_sim metrics[] = {MFR_SIM_COOC, MFR_SIM_PEARSON, MFR_SIM_COSINE};
        for (int k = 0; k < 3; k++) {
            st = mfr_model_similar(m, ni - 1, metrics[k], 10, 1, out, &n, &err);
            fz_check_error(st, &err, "similar");
        }
        for (int32_t i = 0; i < ni; i++) {
            volatile size_t l = strlen(mfr_model_item_title(m, i)) + strlen(mfr_model_item_genres(m, i));
            (void)l;
            if (mfr_model_item_index(m, mfr_model_item_id(m, i)) < 0) fz_fail("item %d: id unknown", i);
        }
        int32_t found[4], nf = 0;
        mfr_model_find_title(m, "a", found, 4, &nf);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *p = fz_path("in.mfm");
    fz_write(p, data, size);
    mfr_model *m = NULL;
    mfr_error err = {0};
    mfr_status st = mfr_model_load(p, &m, &err);
    fz_check_error(st, &err, "load");
    if (st != MFR_OK) {
        if (m) fz_fail("load failed (%s) but returned a model", err.message);
        return 0;
    }
    ask(m);
    mfr_model_free(m);
    return 0;
}

#ifdef MFR_LIBFUZZER
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed) {
    size = LLVMFuzzerMutate(data, size, max_size);
    if (size >= 256 && seed % 16) {
        uint64_t n = size;
        memcpy(data + 88, &n, 8); /* header's file size */
        fix_crcs(data, (long)size);
    }
    return size;
}
#endif
