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
#include "mfrec/serve.h"

static const char usage_text[] =
    "usage: mfrec serve MODEL [options]\n"
    "HTTP API and web page over a trained model (see docs/http-api.md).\n\n"
    "  --db FILE               SQLite ratings store, created if absent (ratings.db)\n"
    "  --bind ADDR             IPv4 address to listen on (127.0.0.1)\n"
    "  --port N                TCP port, 0 = any free port (8080)\n"
    "  --threads N             request threads (0 = 2 x cores, at least 4)\n"
    "  --data DIR              original dataset folder (ml-latest-small layout),\n"
    "                          enables POST /api/admin/retrain; each retrained model\n"
    "                          is saved as DB.model.N.mfm (newest 3 kept) and served\n"
    "                          at the next start when newer than MODEL\n"
    "  --admin-token-file F    admin token (first line of F); else $MFREC_ADMIN_TOKEN\n"
    "  --write-rate R          writes/s allowed per client address, 0 = no limit (50)\n"
    "  --write-burst B         burst of writes allowed per client address (100)\n"
    "  --max-body BYTES        request body limit (16384)\n"
    "  --timeout S             idle connection timeout in seconds (30)\n"
    "  --head-timeout S        seconds a client has to send a whole request, from\n"
    "                          connecting or from the previous answer (10)\n"
    "  --metrics WHO           who may read GET /metrics: loopback, any or off\n"
    "                          (loopback: clients on 127.0.0.0/8 only)\n"
    "  --sync full|normal      SQLite synchronous mode (full: durable per commit)\n"
    "  --cache N               cached answers per model version, 0 = off (8192)\n";

/* The admin token's one length rule, naming where the token came from. */
static int token_long_enough(const char *source, const char *token) {
    if (strlen(token) >= 16) return 1;
    fprintf(stderr, "mfrec serve: %s: admin token shorter than 16 characters\n", source);
    return 0;
}

static int read_token_file(const char *path, char *buf, size_t cap) {
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "mfrec serve: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!fgets(buf, (int)cap, f)) buf[0] = 0;
    fclose(f);
    buf[strcspn(buf, "\r\n")] = 0;
    return token_long_enough(path, buf) ? 0 : -1;
}

typedef struct opts {
    mfr_server_params p;
    const char *token_file;
} opts;

/* One option with its value; returns 0, or an exit status. */
static int set_option(opts *o, const char *name, const char *v) {
    long x;
    double d;
    mfr_server_params *p = &o->p;
    if (!strcmp(name, "--db")) p->db_path = v;
    else if (!strcmp(name, "--bind")) p->bind = v;
    else if (!strcmp(name, "--data")) p->data_path = v;
    else if (!strcmp(name, "--admin-token-file")) o->token_file = v;
    else if (!strcmp(name, "--port")) {
        if (cli_parse_int("serve", name, v, 0, 65535, &x)) return MFR_E_INVALID;
        p->port = (int)x;
    } else if (!strcmp(name, "--threads")) {
        if (cli_parse_int("serve", name, v, 0, 1024, &x)) return MFR_E_INVALID;
        p->threads = (int)x;
    } else if (!strcmp(name, "--max-body")) {
        if (cli_parse_int("serve", name, v, 64, 64L << 20, &x)) return MFR_E_INVALID;
        p->max_body = (size_t)x;
    } else if (!strcmp(name, "--timeout")) {
        if (cli_parse_int("serve", name, v, 1, 3600, &x)) return MFR_E_INVALID;
        p->timeout_s = (int)x;
    } else if (!strcmp(name, "--head-timeout")) {
        if (cli_parse_int("serve", name, v, 1, 3600, &x)) return MFR_E_INVALID;
        p->head_timeout_s = (int)x;
    } else if (!strcmp(name, "--metrics")) {
        if (!strcmp(v, "loopback")) p->metrics = MFR_METRICS_LOOPBACK;
        else if (!strcmp(v, "any")) p->metrics = MFR_METRICS_ANY;
        else if (!strcmp(v, "off")) p->metrics = MFR_METRICS_OFF;
        else return cli_usage_error("serve", "--metrics: expected loopback, any or off, got '%s'", v);
    } else if (!strcmp(name, "--write-rate")) {
        if (cli_parse_float("serve", name, v, 0, 1e9, &d)) return MFR_E_INVALID;
        p->write_rate = d;
    } else if (!strcmp(name, "--write-burst")) {
        if (cli_parse_float("serve", name, v, 1, 1e9, &d)) return MFR_E_INVALID;
        p->write_burst = d;
    } else if (!strcmp(name, "--cache")) {
        if (cli_parse_int("serve", name, v, 0, 1L << 24, &x)) return MFR_E_INVALID;
        p->cache_slots = (int)x;
    } else if (!strcmp(name, "--sync")) {
        if (strcmp(v, "full") && strcmp(v, "normal"))
            return cli_usage_error("serve", "--sync: expected full or normal, got '%s'", v);
        p->synchronous_full = !strcmp(v, "full");
    } else {
        return cli_usage_error("serve", "unknown option '%s'", name);
    }
    return 0;
}

static int parse_args(int argc, char **argv, opts *o) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage_text, stdout);
            return -1;
        }
        if (a[0] == '-' && a[1] == '-') {
            if (i + 1 >= argc) return cli_usage_error("serve", "%s needs a value", a);
            int rc = set_option(o, a, argv[++i]);
            if (rc) return rc;
        } else if (!o->p.model_path) {
            o->p.model_path = a;
        } else {
            return cli_usage_error("serve", "unexpected argument '%s'", a);
        }
    }
    if (!o->p.model_path) return cli_usage_error("serve", "no MODEL given");
    return 0;
}

int cmd_serve(int argc, char **argv) {
    opts o = {mfr_server_params_default(), NULL};
    int rc = parse_args(argc, argv, &o);
    if (rc < 0) return 0;
    if (rc) return rc;
    char token[512] = "";
    if (o.token_file) {
        if (read_token_file(o.token_file, token, sizeof token) < 0) return MFR_E_IO;
        o.p.admin_token = token;
    } else if (getenv("MFREC_ADMIN_TOKEN") && *getenv("MFREC_ADMIN_TOKEN")) {
        o.p.admin_token = getenv("MFREC_ADMIN_TOKEN");
        if (!token_long_enough("$MFREC_ADMIN_TOKEN", o.p.admin_token)) return MFR_E_INVALID;
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
    mfr_status st = mfr_server_create(&o.p, &s, &err);
    if (st != MFR_OK) return cli_fail("serve", st, &err);
    /* what each model-dependent route will do with this model, one line each */
    char desc[4096];
    mfr_server_describe(s, desc, sizeof desc);
    for (char *line = desc, *nl; *line; line = nl + 1) {
        nl = strchr(line, '\n');
        if (!nl) break;
        fprintf(stderr, "mfrec serve: %.*s\n", (int)(nl - line), line);
    }
    printf("listening on http://%s:%d\n", o.p.bind, mfr_server_port(s));
    fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    fprintf(stderr, "mfrec serve: %s, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    mfr_server_free(s);
    return 0;
}
