/* admin.c — POST /api/admin/retrain: with the admin token, retrains in a
 * background thread on the original ratings (--data: a folder in the
 * ml-latest-small layout) plus every rating stored through the API, saves
 * the new model next to the database, then swaps it in (mfr__model_install;
 * requests in flight keep the old one until they finish). The combined data
 * is staged in a temporary folder next to the database: ratings.csv = the
 * original file followed by the API ratings as "userId,movieId,rating,
 * timestamp" rows, movies.csv a symbolic link to the original, and imported
 * with mfr_dataset_import, so the server still uses only the public API.
 * Training reuses the served model's parameters with one thread, leaving the
 * other cores to requests.
 *
 * Retrained models are kept as DB.model.N.mfm beside the database DB (N = 1,
 * 2, ...; the newest MFR_RETRAIN_KEEP are kept): written by mfr_model_save
 * (a temporary file, fsync, rename) and the folder fsync-ed before the swap,
 * so a model that was served survives a crash. At start the server serves the
 * newest of them when it is newer than MODEL (mfr__model_load_newest): a
 * restart does not revert to the original file, and an operator who installs
 * a newer MODEL gets it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server_impl.h"

/* Messages may be cut at their buffer size; a path cut at 4 KiB fails to open
 * and is reported, so truncation is never silent corruption. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

static int copy_file(const char *from, FILE *to) {
    FILE *f = fopen(from, "rb");
    if (!f) return -1;
    char buf[65536];
    size_t n;
    int last = '\n';
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        if (fwrite(buf, 1, n, to) != n) { fclose(f); return -1; }
        last = buf[n - 1];
    }
    int bad = ferror(f);
    fclose(f);
    if (!bad && last != '\n' && fputc('\n', to) == EOF) bad = 1;
    return bad ? -1 : 0;
}

static int write_api_ratings(mfr_server *s, FILE *out) {
    pthread_rwlock_rdlock(&s->users_lock);
    int bad = 0;
    for (int64_t k = 0; k < s->n_users && !bad; k++) {
        api_user *u = s->users[k];
        pthread_mutex_lock(&u->mu);
        for (int32_t j = 0; j < u->n && !bad; j++)
            bad = fprintf(out, "%lld,%lld,%.1f,%lld\n", (long long)u->id, (long long)u->movie[j],
                          (double)u->rating[j], (long long)u->time[j]) < 0;
        pthread_mutex_unlock(&u->mu);
    }
    pthread_rwlock_unlock(&s->users_lock);
    return bad ? -1 : 0;
}

/* Stage the combined data in dir; 0 ok, else a message in msg. */
static int stage(mfr_server *s, const char *dir, char *msg, size_t cap) {
    char from[4096], to[4096];
    snprintf(to, sizeof to, "%s/ratings.csv", dir);
    snprintf(from, sizeof from, "%s/ratings.csv", s->data_path);
    FILE *out = fopen(to, "wb");
    if (!out) { snprintf(msg, cap, "%s: %s", to, strerror(errno)); return -1; }
    int bad = copy_file(from, out);
    if (bad) snprintf(msg, cap, "%s: cannot read (%s)", from, strerror(errno));
    if (!bad && write_api_ratings(s, out) < 0) { bad = 1; snprintf(msg, cap, "%s: write failed", to); }
    if (fclose(out) != 0 && !bad) { bad = 1; snprintf(msg, cap, "%s: write failed", to); }
    if (bad) return -1;
    snprintf(from, sizeof from, "%s/movies.csv", s->data_path);
    snprintf(to, sizeof to, "%s/movies.csv", dir);
    if (access(from, R_OK) == 0) {
        char abs[4096];
        if (!realpath(from, abs) || symlink(abs, to) != 0) {
            snprintf(msg, cap, "%s: cannot link (%s)", to, strerror(errno));
            return -1;
        }
    }
    return 0;
}

static void unstage(const char *dir) {
    char p[4096];
    snprintf(p, sizeof p, "%s/ratings.csv", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/movies.csv", dir);
    unlink(p);
    rmdir(dir);
}

/* ---- saved retrained models: DB.model.N.mfm ---- */

/* The folder and file-name prefix of db_path's saved models. */
static void saved_prefix(const char *db_path, char *dir, size_t dcap, char *prefix, size_t pcap) {
    char a[4096], b[4096];
    snprintf(a, sizeof a, "%s", db_path);
    snprintf(b, sizeof b, "%s", db_path);
    snprintf(dir, dcap, "%s", dirname(a));
    snprintf(prefix, pcap, "%s.model.", basename(b));
}

/* N when name is PREFIX N ".mfm" (N a positive decimal without a sign), else 0. */
static long saved_generation(const char *name, const char *prefix) {
    size_t pl = strlen(prefix);
    if (strncmp(name, prefix, pl)) return 0;
    const char *p = name + pl;
    long n = 0;
    int digits = 0;
    while (*p >= '0' && *p <= '9' && digits < 9) n = n * 10 + (*p++ - '0'), digits++;
    return digits && !strcmp(p, ".mfm") ? n : 0;
}

/* The newest saved generations, newest first, into gen (up to cap); their
 * count (at most cap). */
static int saved_list(const char *db_path, long *gen, int cap) {
    char dir[4096], prefix[4200];
    saved_prefix(db_path, dir, sizeof dir, prefix, sizeof prefix);
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        long g = saved_generation(e->d_name, prefix);
        if (g <= 0) continue;
        if (n == cap && g <= gen[n - 1]) continue; /* older than every one kept */
        int i = n < cap ? n++ : n - 1;
        for (; i > 0 && gen[i - 1] < g; i--) gen[i] = gen[i - 1];
        gen[i] = g;
    }
    closedir(d);
    return n;
}

/* How many retrained models are kept beside the database. */
#define MFR_RETRAIN_KEEP 3

static void saved_path(const char *db_path, long g, char *out, size_t cap) {
    char dir[4096], prefix[4200];
    saved_prefix(db_path, dir, sizeof dir, prefix, sizeof prefix);
    snprintf(out, cap, "%s/%s%ld.mfm", dir, prefix, g);
}

/* Save m as the next generation, make the rename durable, drop all but the
 * newest MFR_RETRAIN_KEEP. 0 ok, else -1 with the reason in msg. */
static int save_retrained(mfr_server *s, const mfr_model *m, char *path, size_t pcap, char *msg,
                          size_t cap) {
    long gen[MFR_RETRAIN_KEEP + 1];
    int n = saved_list(s->db_path, gen, MFR_RETRAIN_KEEP + 1);
    long next = n ? gen[0] + 1 : 1;
    saved_path(s->db_path, next, path, pcap);
    mfr_error err = {0};
    if (mfr_model_save(m, path, &err) != MFR_OK) {
        snprintf(msg, cap, "%s", err.message);
        return -1;
    }
    char dir[4096], prefix[4200];
    saved_prefix(s->db_path, dir, sizeof dir, prefix, sizeof prefix);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int synced = fd >= 0 && fsync(fd) == 0;
    int e = errno;
    if (fd >= 0) close(fd);
    if (!synced) {
        snprintf(msg, cap, "%s: cannot sync the folder (%s)", dir, strerror(e));
        unlink(path);
        return -1;
    }
    /* drop the oldest until MFR_RETRAIN_KEEP are left */
    while (saved_list(s->db_path, gen, MFR_RETRAIN_KEEP + 1) > MFR_RETRAIN_KEEP) {
        char old[4400];
        saved_path(s->db_path, gen[MFR_RETRAIN_KEEP], old, sizeof old);
        if (unlink(old) != 0) break;
    }
    return 0;
}

/* Newer modification time: 1 when a is newer than b. */
static int newer(const struct stat *a, const struct stat *b) {
    return a->st_mtim.tv_sec != b->st_mtim.tv_sec ? a->st_mtim.tv_sec > b->st_mtim.tv_sec
                                                  : a->st_mtim.tv_nsec > b->st_mtim.tv_nsec;
}

mfr_status mfr__model_load_newest(mfr_server *s, mfr_model **out, mfr_error *err) {
    long gen[1];
    struct stat saved, orig;
    char path[4400];
    if (saved_list(s->db_path, gen, 1) == 1) {
        saved_path(s->db_path, gen[0], path, sizeof path);
        if (stat(path, &saved) == 0 && (stat(s->model_path, &orig) != 0 || newer(&saved, &orig))) {
            mfr_status st = mfr_model_load(path, out, err);
            if (st == MFR_OK) {
                fprintf(stderr, "mfrec serve: serving the retrained model %s (saved after %s)\n",
                        path, s->model_path);
                return MFR_OK;
            }
            fprintf(stderr, "mfrec serve: %s: cannot load the retrained model (%s); serving %s\n",
                    path, err ? err->message : "?", s->model_path);
        } else {
            fprintf(stderr, "mfrec serve: %s is newer than the retrained model %s: serving it\n",
                    s->model_path, path);
        }
    }
    return mfr_model_load(s->model_path, out, err);
}

static mfr_status retrain(mfr_server *s, char *msg, size_t cap) {
    char dir[4096], dbdir[4096];
    snprintf(dbdir, sizeof dbdir, "%s", s->db_path);
    snprintf(dir, sizeof dir, "%s/.mfrec-retrain-XXXXXX", dirname(dbdir));
    if (!mkdtemp(dir)) {
        snprintf(msg, cap, "%s: cannot create (%s)", dir, strerror(errno));
        return MFR_E_IO;
    }
    mfr_status st = stage(s, dir, msg, cap) == 0 ? MFR_OK : MFR_E_IO;
    mfr_dataset *ds = NULL;
    mfr_model *m = NULL;
    mfr_error err = {0};
    model_ref *old = mfr__model_acquire(s);
    mfr_train_params p = old->info.params;
    mfr__model_release(old);
    p.progress = NULL;
    p.progress_user = NULL;
    p.threads = 1;
    p.valid_frac = 0;
    p.early_stop = 0;
    double t0 = mfr__now();
    if (st == MFR_OK) st = mfr_dataset_import(dir, NULL, &ds, &err);
    if (st == MFR_OK) st = mfr_model_train(ds, NULL, NULL, &p, &m, &err);
    if (st != MFR_OK && !msg[0]) snprintf(msg, cap, "%s", err.message);
    /* durable before it is served: what is served is what a restart serves */
    char saved[4400] = "";
    if (st == MFR_OK && save_retrained(s, m, saved, sizeof saved, msg, cap) < 0) {
        mfr_model_free(m);
        m = NULL;
        st = MFR_E_IO;
    }
    model_ref *mr = NULL;
    if (st == MFR_OK) {
        pthread_mutex_lock(&s->create_mu); /* next_version is shared with user creation's lock */
        st = mfr__model_ref_new(s, m, &mr, &err);
        pthread_mutex_unlock(&s->create_mu);
        if (st != MFR_OK) { mfr_model_free(m); snprintf(msg, cap, "%s", err.message); }
    }
    if (st == MFR_OK) {
        mfr__model_install(s, mr);
        mfr_dataset_stats ds_st;
        mfr_dataset_stats_get(ds, &ds_st);
        snprintf(msg, cap, "model version %d trained on %lld ratings in %.1f s, saved as %s",
                 mr->version, (long long)ds_st.n_ratings, mfr__now() - t0, saved);
    }
    mfr_dataset_free(ds);
    unstage(dir);
    return st;
}

static void *retrain_main(void *arg) {
    mfr_server *s = arg;
    char msg[512] = "";
    mfr_status st = retrain(s, msg, sizeof msg);
    pthread_mutex_lock(&s->retrain_mu);
    s->retrain_running = 0;
    s->retrain_last_ok = st == MFR_OK;
    snprintf(s->retrain_message, sizeof s->retrain_message, "%s", msg);
    pthread_mutex_unlock(&s->retrain_mu);
    return NULL;
}

enum MHD_Result mfr__h_retrain(req *r) {
    mfr_server *s = r->s;
    if (!s->have_admin)
        return mfr__send_error(r, 403, MFR_E_AUTH, "no admin token configured on this server");
    if (!MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, "Authorization"))
        return mfr__send_error(r, 401, MFR_E_AUTH, "missing header Authorization: Bearer <token>");
    if (!mfr__auth_ok(r, s->admin_hash))
        return mfr__send_error(r, 403, MFR_E_AUTH, "not the admin token");
    if (!s->data_path)
        return mfr__send_error(r, 503, MFR_E_UNSUPPORTED,
                               "retraining needs the original data: start with --data DIR");
    pthread_mutex_lock(&s->retrain_mu);
    if (s->retrain_running) {
        pthread_mutex_unlock(&s->retrain_mu);
        return mfr__send_error(r, 409, MFR_E_EXISTS, "a retrain is already running");
    }
    if (s->retrain_joinable) pthread_join(s->retrain_thread, NULL);
    s->retrain_joinable = 0;
    s->retrain_running = 1;
    int ok = pthread_create(&s->retrain_thread, NULL, retrain_main, s) == 0;
    if (ok) s->retrain_joinable = 1;
    else s->retrain_running = 0;
    pthread_mutex_unlock(&s->retrain_mu);
    if (!ok) return mfr__send_error(r, 500, MFR_E_INTERNAL, "cannot start the retrain thread");
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "status", "started");
    cJSON_AddNumberToObject(o, "model_version", r->mr->version);
    cJSON_AddStringToObject(o, "poll", "/api/health");
    return mfr__send_json(r, 202, o, NULL);
}
