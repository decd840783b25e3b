/* status.c — the routes about the server itself. GET /api/health: its state
 * in one answer (version, uptime, the model served and what each
 * model-dependent route does with it (describe.c), the store's counts, the
 * retrain status), polled by the page and by POST /api/admin/retrain's
 * callers. GET /metrics: the counters of metrics.c, to loopback clients only
 * unless the operator says otherwise (mfr_server_params.metrics). */
#include <math.h>

#include "server_impl.h"

enum MHD_Result mfr__h_health(req *r) {
    mfr_server *s = r->s;
    const mfr_model_info *in = &r->mr->info;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "status", "ok");
    cJSON_AddStringToObject(o, "version", mfr_version());
    cJSON_AddNumberToObject(o, "uptime_s", round((mfr__now() - s->started) * 1000) / 1000);
    cJSON *m = cJSON_AddObjectToObject(o, "model");
    const char *algo = mfr_algo_name(in->algo);
    cJSON_AddStringToObject(m, "algo", algo ? algo : "unknown");
    cJSON_AddNumberToObject(m, "version", r->mr->version);
    cJSON_AddNumberToObject(m, "users", in->n_users);
    cJSON_AddNumberToObject(m, "movies", in->n_items);
    cJSON_AddNumberToObject(m, "factors", in->factors);
    cJSON_AddNumberToObject(m, "ratings", (double)in->n_train);
    cJSON_AddNumberToObject(m, "rating_min", in->rating_min);
    cJSON_AddNumberToObject(m, "rating_max", in->rating_max);
    cJSON_AddNumberToObject(m, "fold_dim", r->mr->fold_dim);
    mfr__route_desc d[8];
    int nd = mfr__describe_routes(s, r->mr, d, 8);
    cJSON *routes = cJSON_AddObjectToObject(o, "routes");
    for (int j = 0; j < nd; j++) cJSON_AddStringToObject(routes, d[j].key, d[j].text);
    pthread_rwlock_rdlock(&s->users_lock);
    int64_t users = s->n_users;
    pthread_rwlock_unlock(&s->users_lock);
    cJSON *st = cJSON_AddObjectToObject(o, "store");
    cJSON_AddNumberToObject(st, "users", (double)users);
    cJSON_AddNumberToObject(st, "ratings", (double)atomic_load(&s->ratings_stored));
    /* false once writes are refused (store.h: its file gone, or stopping) */
    cJSON_AddBoolToObject(st, "writable", !mfr__store_unavailable(s->store));
    pthread_mutex_lock(&s->retrain_mu);
    cJSON *rt = cJSON_AddObjectToObject(o, "retrain");
    cJSON_AddBoolToObject(rt, "available", s->data_path != NULL && s->have_admin);
    cJSON_AddBoolToObject(rt, "running", s->retrain_running);
    if (s->retrain_last_ok >= 0) {
        cJSON_AddBoolToObject(rt, "last_ok", s->retrain_last_ok);
        cJSON_AddStringToObject(rt, "last_message", s->retrain_message);
    }
    pthread_mutex_unlock(&s->retrain_mu);
    return mfr__send_json(r, 200, o, NULL);
}

enum MHD_Result mfr__h_metrics(req *r) {
    unsigned char addr[16];
    int mode = r->s->p.metrics;
    if (mode == MFR_METRICS_OFF)
        return mfr__send_error(r, 404, MFR_E_NOT_FOUND, "no such route: /metrics is off "
                               "(mfrec serve --metrics)");
    if (mode == MFR_METRICS_LOOPBACK && !mfr__client_addr(r->c, addr))
        return mfr__send_error(r, 403, MFR_E_AUTH, "/metrics is served to loopback clients only "
                               "(mfrec serve --metrics any)");
    size_t len = 0;
    char *text = mfr__metrics_text(r->s, r->mr, &len);
    if (!text) return mfr__send_error(r, 500, MFR_E_NOMEM, "out of memory");
    enum MHD_Result res =
        mfr__send_buffer(r, 200, "text/plain; version=0.0.4; charset=utf-8", text, len, 1, 0);
    mfr__free(text);
    return res;
}
