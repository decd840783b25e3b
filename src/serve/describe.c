/* describe.c — what each model-dependent route does with the served model,
 * in words (mfr_server_describe in mfrec/serve.h): recommendations for training users and for API
 * users (fold-in of their ratings for factor models, their rated movies for
 * models with mfr_model_fold_dim 0, popularity while they have none),
 * similar movies (co-occurrence by default for every family, pearson /
 * cosine where the model has factors or its own similarity), the map and
 * retraining. The sentences follow what the
 * handlers call, so they change with the model family, not with requests.
 * Only the public model API is used; the one probe (whether a model without
 * factors has an item similarity) is done once per model reference
 * (mfr__model_ref_new, model_ref.c) and kept in model_ref.similar_ok. */
#include <stdio.h>
#include <string.h>

#include "mfrec/analysis.h"
#include "mfrec/serve.h"
#include "server_impl.h"

static const char *sim_name(mfr_sim s) {
    switch (s) {
    case MFR_SIM_PEARSON: return "pearson";
    case MFR_SIM_COSINE: return "cosine";
    case MFR_SIM_PEARSON_BASELINE: return "pearson-baseline";
    case MFR_SIM_MSD: return "msd";
    case MFR_SIM_COOC: return "cooccurrence";
    default: return "?";
    }
}

int mfr__describe_routes(mfr_server *s, const model_ref *mr, mfr__route_desc *out, int cap) {
    const mfr_model_info *in = &mr->info;
    const char *algo = mfr_algo_name(in->algo);
    if (!algo) algo = "unknown";
    int k = mr->fold_dim > 0 ? mr->fold_dim - 1 : 0;
    int n = 0;
#define ADD(KEY, ...)                                                                \
    do {                                                                             \
        if (n < cap) {                                                               \
            out[n].key = KEY;                                                        \
            snprintf(out[n].text, sizeof out[n].text, __VA_ARGS__);                  \
            n++;                                                                     \
        }                                                                            \
    } while (0)
    /* training users */
    if (in->algo == MFR_ALGO_AUTO)
        ADD("recommendations", "recommendations for training users: ranked by ease x·B of their ratings + %g x "
            "predicted stars, stars from biased MF (auto, k=%d)", (double)in->params.blend, k);
    else if (in->algo == MFR_ALGO_EASE)
        ADD("recommendations", "recommendations for training users: ranked by ease x·B of their ratings, stars "
            "from the baseline mu + b_u + b_i");
    else if (in->algo == MFR_ALGO_VAE)
        ADD("recommendations", "recommendations for training users: ranked by the Mult-VAE's multinomial "
            "scores of their rated movies, stars from the baseline mu + b_u + b_i (vae, k=%d)", (int)in->params.factors);
    else if (k > 0)
        ADD("recommendations", "recommendations for training users: ranked by predicted rating (%s, k=%d)", algo, k);
    else
        ADD("recommendations", "recommendations for training users: ranked by predicted rating (%s)", algo);
    /* API users */
    const char *none = "; no ratings yet: most-rated movies (\"source\": \"popular\")";
    if (in->algo == MFR_ALGO_AUTO)
        ADD("recommendations_new_users", "recommendations for new users: ranked by ease x·B of their rated movies, "
            "stars by fold-in of their ratings (k=%d)%s", k, none);
    else if (mr->fold_dim > 0)
        ADD("recommendations_new_users", "recommendations for new users: fold-in of their ratings (k=%d)%s", k, none);
    else if (in->algo == MFR_ALGO_EASE)
        ADD("recommendations_new_users", "recommendations for new users: from their rated movies (ease x·B)%s", none);
    else if (in->algo == MFR_ALGO_VAE)
        ADD("recommendations_new_users", "recommendations for new users: the Mult-VAE's multinomial scores of "
            "their rated movies (vae)%s", none);
    else
        ADD("recommendations_new_users", "recommendations for new users: from their rated movies (%s)%s", algo, none);
    /* similar: co-occurrence by default for every family; ?metric=pearson|cosine
     * on the factors, or the model's own item similarity */
    const char *cooc = "similar: cooccurrence by default (who rated both movies, re-scored by a "
                       "neighbourhood regression)";
    if (mr->fold_dim > 0)
        ADD("similar", "%s; ?metric=pearson|cosine: of the item factors (k=%d)", cooc, k);
    else if (!mr->similar_ok)
        ADD("similar", "%s; ?metric=pearson|cosine: not available for %s models (400)", cooc, algo);
    else if (in->algo == MFR_ALGO_KNN_ITEM)
        ADD("similar", "%s; ?metric=pearson|cosine: the model's item-item %s similarity "
            "(knn-item)", cooc, sim_name(in->params.sim));
    else if (in->algo == MFR_ALGO_CONTENT)
        ADD("similar", "%s; ?metric=pearson|cosine: TF-IDF cosine of genres and tags (content)",
            cooc);
    else
        ADD("similar", "%s; ?metric=pearson|cosine: the model's own item similarity (%s)", cooc,
            algo);
    /* how the lists are searched (the approximate index: --index approx) */
    int32_t lists = 0, nprobe = 0;
    double recall = -1.0;
    mfr_model_index_info(mr->m, &lists, &nprobe, &recall);
    if (lists > 0 && recall >= 0.0)
        ADD("index", "lists: approximate index, %d of %d clusters searched a list (recall@10 %.3f "
            "against the exact lists of %d model users)", (int)nprobe, (int)lists, recall,
            (int)(in->n_users < MFR_INDEX_TUNE_USERS ? in->n_users : MFR_INDEX_TUNE_USERS));
    else if (lists > 0)
        ADD("index", "lists: approximate index, %d of %d clusters searched a list", (int)nprobe,
            (int)lists);
    /* map */
    if (mr->fold_dim > 0) ADD("map", "map: 2-D PCA of the item factors (k=%d)", k);
    else ADD("map", "map: not available without item factors (answers 400)");
    /* retrain */
    if (s->data_path && s->have_admin)
        ADD("retrain", "retrain: %s with the model's parameters on %s "
            "plus the stored ratings", algo, s->data_path);
    else
        ADD("retrain", "retrain: off (needs --data DIR and an admin token)");
#undef ADD
    return n;
}

size_t mfr_server_describe(mfr_server *s, char *buf, size_t cap) {
    model_ref *mr = mfr__model_acquire(s);
    mfr__route_desc d[8];
    int n = mfr__describe_routes(s, mr, d, 8);
    mfr__model_release(mr);
    size_t len = 0;
    if (cap) buf[0] = 0;
    for (int j = 0; j < n; j++) {
        int w = snprintf(len < cap ? buf + len : NULL, len < cap ? cap - len : 0, "%s\n", d[j].text);
        if (w > 0) len += (size_t)w;
    }
    return len;
}
