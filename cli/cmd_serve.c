/* cmd_serve.c — `mfrec serve MODEL [options]`: runs the HTTP API and web page
 * (libmfrec_serve, include/mfrec/serve.h) until SIGINT or SIGTERM. Prints
 * "listening on http://ADDR:PORT" on stdout once the socket is bound (with
 * --port 0 the kernel picks the port; tests read it from this line). The
 * admin token comes from --admin-token-file or $MFREC_ADMIN_TOKEN and is never
 * printed. Options are a table; each one sets a field of mfr_server_params.
 * Before that line, stderr gets one "mfrec serve: <route>: ..." line per
 * model-dependent route saying what it does with the loaded model
 * (mfr_server_describe: fold-in for factor models, the rated movies for
 * ease/knn/content, the similarity used, ...). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "index_opts.h"
#include "mfrec/serve.h"

enum { O_DB = 1, O_BIND, O_PORT, O_THREADS, O_DATA, O_TOKEN_FILE, O_WRITE_RATE, O_WRITE_BURST,
       O_MAX_BODY, O_TIMEOUT, O_SYNC, O_CACHE, O_HEAD_TIMEOUT, O_METRICS, O_INDEX, O_NPROBE };

static const cli_opt serve_opts[] = {
    {O_DB, 0, "db", "FILE", "SQLite store of API users, token hashes and ratings; created if\nabsent (ratings.db)"},
    {O_BIND, 0, "bind", "ADDR", "IPv4 address to listen on (127.0.0.1)"},
    {O_PORT, 0, "port", "N", "TCP port, 0 = any free port (8080)"},
    {O_THREADS, 0, "threads", "N", "request threads (0 = 2 x cores, at least 4)"},
    {O_DATA, 0, "data", "DIR", "original dataset (ml-latest-small layout): enables\nPOST /api/admin/retrain; each retrained model is saved\nas DB.model.N.mfm (newest 3 kept) and served at the next\nstart when newer than MODEL"},
    {O_TOKEN_FILE, 0, "admin-token-file", "FILE", "admin token (first line, >= 16 characters); else $MFREC_ADMIN_TOKEN"},
    {O_WRITE_RATE, 0, "write-rate", "R", "writes/s allowed per client address, 0 = no limit (50)"},
    {O_WRITE_BURST, 0, "write-burst", "B", "burst of writes allowed per client address (100)"},
    {O_MAX_BODY, 0, "max-body", "BYTES", "larger request bodies get 413 (16384)"},
    {O_TIMEOUT, 0, "timeout", "S", "idle connection timeout in seconds (30)"},
    {O_SYNC, 0, "sync", "full|normal", "SQLite synchronous mode (full: each commit durable before its answer)"},
    {O_CACHE, 0, "cache", "N", "cached answers per model version, 0 = off (8192)"},
    {O_HEAD_TIMEOUT, 0, "head-timeout", "S", "seconds a client has to send a whole request, from\nconnecting or from the previous answer (10)"},
    {O_METRICS, 0, "metrics", "loopback|any|off", "who may read GET /metrics (loopback: clients on\n127.0.0.0/8 only, the default)"},
    CLI_INDEX_ROWS(O_INDEX, O_NPROBE),
    {0, 0, 0, 0, 0}};

const cli_spec cli_spec_serve = {
    "serve", "HTTP API and web page", "serve MODEL [options]",
    "HTTP API and web page over a trained model (see docs/http-api.md), until\n"
    "SIGINT or SIGTERM; prints \"listening on http://ADDR:PORT\" once bound.",
    serve_opts, 0, NULL};

/* The admin token's one length rule, naming where the token came from. */
static int token_long_enough(const char *source, const char *token) {
    if (strlen(token) >= 16) return 1;
    cli_error("serve", MFR_E_INVALID, "%s: admin token shorter than 16 characters", source);
    return 0;
}

static int read_token_file(const char *path, char *buf, size_t cap) {
    FILE *f = fopen(path, "r");
    mfr_error err;
    if (!f) return cli_fail("serve", cli_io_error(&err, path), &err), -1;
    if (!fgets(buf, (int)cap, f)) buf[0] = 0;
    int whole = strchr(buf, '\n') || fgetc(f) == EOF; /* the line fit in buf */
    fclose(f);
    if (!whole) return cli_error("serve", MFR_E_INVALID, "%s: admin token longer than %d characters", path, (int)cap - 2), -1;
    buf[strcspn(buf, "\r\n")] = 0;
    return token_long_enough(path, buf) ? 0 : -1;
}

static int parse_args(int argc, char **argv, mfr_server_params *p, const char **token_file) {
    cli_index x = {0, 0}; /* --index, --nprobe: into p->index, p->nprobe */
    const cli_val vals[] = {CLI_INT(O_PORT, 0, 65535, &p->port),
                            CLI_INT(O_THREADS, 0, 1024, &p->threads),
                            CLI_INT(O_MAX_BODY, 64, 64L << 20, &p->max_body),
                            CLI_INT(O_TIMEOUT, 1, 3600, &p->timeout_s),
                            CLI_FLOAT(O_WRITE_RATE, 0, 1e9, &p->write_rate),
                            CLI_FLOAT(O_WRITE_BURST, 1, 1e9, &p->write_burst),
                            CLI_INT(O_CACHE, 0, 1L << 24, &p->cache_slots),
                            CLI_INT(O_HEAD_TIMEOUT, 1, 3600, &p->head_timeout_s),
                            CLI_TEXT(O_DB, &p->db_path),
                            CLI_TEXT(O_BIND, &p->bind),
                            CLI_TEXT(O_DATA, &p->data_path),
                            CLI_TEXT(O_TOKEN_FILE, token_file),
                            /* the names in MFR_METRICS_* order */
                            CLI_CHOICE(O_METRICS, "loopback|any|off", &p->metrics),
                            CLI_CHOICE(O_SYNC, "normal|full", &p->synchronous_full),
                            CLI_INDEX_VALS(O_INDEX, O_NPROBE, &x), {0}};
    const cli_takes t = {.args = {&p->model_path}, .missing = "no MODEL given", .vals = vals};
    int rc = cli_parse(&cli_spec_serve, argc, argv, &t);
    if (!rc) rc = cli_index_check("serve", &x, NULL);
    p->index = x.kind;
    p->nprobe = x.nprobe;
    return rc;
}

int cmd_serve(int argc, char **argv) {
    mfr_server_params p = mfr_server_params_default();
    const char *token_file = NULL;
    int rc = parse_args(argc, argv, &p, &token_file);
    if (rc) return rc < 0 ? 0 : rc;
    char token[512] = "";
    if (token_file) {
        if (read_token_file(token_file, token, sizeof token) < 0) return MFR_E_IO;
        p.admin_token = token;
    } else if (getenv("MFREC_ADMIN_TOKEN") && *getenv("MFREC_ADMIN_TOKEN")) {
        p.admin_token = getenv("MFREC_ADMIN_TOKEN");
        if (!token_long_enough("$MFREC_ADMIN_TOKEN", p.admin_token)) return MFR_E_INVALID;
    }
    /* Block the stop signals in every thread; this one waits for them. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    mfr_server *s = NULL;
    mfr_error err = {0};
    mfr_status st = mfr_server_create(&p, &s, &err);
    if (st != MFR_OK) return cli_fail("serve", st, &err);
    /* what each model-dependent route will do with this model, one line each */
    char desc[4096];
    mfr_server_describe(s, desc, sizeof desc);
    for (char *line = desc, *nl; *line; line = nl + 1) {
        nl = strchr(line, '\n');
        if (!nl) break;
        fprintf(stderr, "mfrec serve: %.*s\n", (int)(nl - line), line);
    }
    printf("listening on http://%s:%d\n", p.bind, mfr_server_port(s));
    fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    fprintf(stderr, "mfrec serve: %s, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    mfr_server_free(s);
    return 0;
}
