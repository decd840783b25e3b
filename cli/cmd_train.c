/* cmd_train.c — `mfrec train DATA -o model.mfm [...]`: loads ratings from any
 * accepted path, trains one model family with mfr_model_train and saves the
 * model file. Parameters come, later winning over earlier, from the family's
 * defaults, a --params file of "name=value" lines ('#' comments), the named
 * options (--factors ...), and --set name=value; every one goes through
 * mfr_train_params_set, so the names and checks are the library's. On a
 * terminal one updating line shows epoch, RMSEs, time and ETA; Ctrl-C stops
 * after the current epoch and the last completed epoch is still saved. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char train_help[] =
    "usage: mfrec train DATA -o model.mfm [options]\n"
    "Train a model on DATA (MovieLens folder or .zip, ratings file, or .mfd) and save it.\n"
    "\n"
    "  -o, --output FILE     model file to write (required)\n"
    "      --algo NAME       sgd (default), adam, als, svd, svdpp, ials, nmf, bmf,\n"
    "                        baseline, knn-user, knn-item, content, hybrid\n"
    "      --factors K       latent factors\n"
    "      --epochs N        epochs / iterations\n"
    "      --lr X            learning rate\n"
    "      --lr-decay X      learning rate multiplier after each epoch\n"
    "      --reg X           L2 regularisation of the factors\n"
    "      --reg-bias X      L2 regularisation of the biases\n"
    "      --init-std X      std of the initial factors\n"
    "      --seed N          random seed (same seed and threads=1: same model)\n"
    "      --threads N       threads (0 = all cores)\n"
    "      --valid-frac X    hold out this fraction of ratings for validation RMSE\n"
    "      --early-stop N    stop after N epochs without a better validation RMSE\n"
    "      --params FILE     read name=value lines ('#' starts a comment)\n"
    "      --set NAME=VALUE  set any parameter by name (repeatable), e.g. --set knn_k=40\n"
    "  -q, --quiet           no progress line\n"
    "  -h, --help            this help\n"
    "Order of precedence: defaults < --params < options < --set.\n"
    "Ctrl-C stops after the current epoch and saves that model (exit status 7).\n";

enum { O_ALGO = 256, O_FACTORS, O_EPOCHS, O_LR, O_LR_DECAY, O_REG, O_REG_BIAS, O_INIT_STD,
       O_SEED, O_THREADS, O_VALID, O_EARLY, O_PARAMS, O_SET };

static const struct option train_opts[] = {
    {"output", required_argument, 0, 'o'}, {"algo", required_argument, 0, O_ALGO},
    {"factors", required_argument, 0, O_FACTORS}, {"epochs", required_argument, 0, O_EPOCHS},
    {"lr", required_argument, 0, O_LR}, {"lr-decay", required_argument, 0, O_LR_DECAY},
    {"reg", required_argument, 0, O_REG}, {"reg-bias", required_argument, 0, O_REG_BIAS},
    {"init-std", required_argument, 0, O_INIT_STD}, {"seed", required_argument, 0, O_SEED},
    {"threads", required_argument, 0, O_THREADS}, {"valid-frac", required_argument, 0, O_VALID},
    {"early-stop", required_argument, 0, O_EARLY}, {"params", required_argument, 0, O_PARAMS},
    {"set", required_argument, 0, O_SET}, {"quiet", no_argument, 0, 'q'},
    {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};

/* Option code -> parameter field name. */
static const char *train_field(int c) {
    switch (c) {
    case O_ALGO: return "algo";
    case O_FACTORS: return "factors";
    case O_EPOCHS: return "epochs";
    case O_LR: return "lr";
    case O_LR_DECAY: return "lr_decay";
    case O_REG: return "reg";
    case O_REG_BIAS: return "reg_bias";
    case O_INIT_STD: return "init_std";
    case O_SEED: return "seed";
    case O_THREADS: return "threads";
    case O_VALID: return "valid_frac";
    case O_EARLY: return "early_stop";
    }
    return NULL;
}

#define TRAIN_MAX_SETTINGS 256

/* Settings in the order they apply: name, value, and where they came from. */
typedef struct setting {
    char name[64];
    char value[192];
    char where[320]; /* "--factors", "params.txt:3", "--set" */
} setting;

typedef struct train_cfg {
    setting s[TRAIN_MAX_SETTINGS];
    int n;
} train_cfg;

static int train_add(train_cfg *c, const char *name, size_t nlen, const char *value, const char *where) {
    if (c->n >= TRAIN_MAX_SETTINGS) return cli_usage_error("train", "too many parameter settings");
    setting *s = &c->s[c->n++];
    snprintf(s->name, sizeof s->name, "%.*s", (int)(nlen < sizeof s->name ? nlen : sizeof s->name - 1), name);
    snprintf(s->value, sizeof s->value, "%s", value);
    snprintf(s->where, sizeof s->where, "%s", where);
    return 0;
}

/* "name=value" (spaces around either trimmed) into c; 0 or MFR_E_INVALID. */
static int train_add_pair(train_cfg *c, char *text, const char *where) {
    char *eq = strchr(text, '=');
    if (!eq) return cli_usage_error("train", "%s: expected name=value, got \"%s\"", where, text);
    char *name = text, *end = eq, *value = eq + 1;
    while (isspace((unsigned char)*name)) name++;
    while (end > name && isspace((unsigned char)end[-1])) end--;
    while (isspace((unsigned char)*value)) value++;
    size_t vl = strlen(value);
    while (vl && isspace((unsigned char)value[vl - 1])) value[--vl] = '\0';
    if (end == name) return cli_usage_error("train", "%s: empty parameter name", where);
    return train_add(c, name, (size_t)(end - name), value, where);
}

/* A params file: one name=value per line, '#' comments, blank lines. */
static int train_read_params(train_cfg *c, const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "mfrec train: %s: %s\n", path, strerror(errno));
        return MFR_E_IO;
    }
    char line[1024], where[320];
    int ln = 0, rc = 0;
    while (!rc && fgets(line, sizeof line, f)) {
        ln++;
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        char *t = line;
        while (isspace((unsigned char)*t)) t++;
        if (!*t) continue;
        snprintf(where, sizeof where, "%s:%d", path, ln);
        rc = train_add_pair(c, t, where);
    }
    fclose(f);
    return rc;
}

/* The family: the last algo setting (options and files alike), else the
 * default (auto). */
static int train_pick_algo(const train_cfg *c, mfr_algo *algo) {
    *algo = MFR_ALGO_DEFAULT;
    for (int j = 0; j < c->n; j++) {
        if (strcmp(c->s[j].name, "algo")) continue;
        mfr_error err = {0};
        if (mfr_algo_from_name(c->s[j].value, algo, &err))
            return cli_usage_error("train", "%s: %s", c->s[j].where, err.message);
    }
    return 0;
}

static int train_build_params(const train_cfg *c, mfr_train_params *p) {
    mfr_algo algo;
    if (train_pick_algo(c, &algo)) return MFR_E_INVALID;
    *p = mfr_train_params_default(algo);
    mfr_error err = {0};
    for (int j = 0; j < c->n; j++)
        if (mfr_train_params_set(p, c->s[j].name, c->s[j].value, &err))
            return cli_usage_error("train", "%s: %s", c->s[j].where, err.message);
    if (mfr_train_params_check(p, &err)) return cli_usage_error("train", "%s", err.message);
    return 0;
}

static void train_summary(const mfr_model *m, const char *path, double secs, int cancelled) {
    mfr_model_info info;
    mfr_model_info_get(m, &info);
    char valid[64] = "";
    if (!isnan(info.valid_rmse)) snprintf(valid, sizeof valid, ", valid RMSE %.4f", info.valid_rmse);
    char train[64] = "";
    if (!isnan(info.train_rmse)) snprintf(train, sizeof train, ", train RMSE %.4f", info.train_rmse);
    printf("%s %s: %d users, %d movies, %lld ratings, %d epochs in %.2f s%s%s\n",
           cancelled ? "interrupted" : "trained", mfr_algo_name(info.algo), info.n_users,
           info.n_items, (long long)info.n_train, info.epochs_run, secs, train, valid);
    if (info.ranked_items < info.n_items) {
        int32_t eligible = 0;
        for (int32_t i = 0; i < info.n_items; i++)
            eligible += mfr_model_item_count(m, i) >= info.params.rank_min_ratings;
        printf("ranking covers %d movies (with >= %d training ratings%s); the other %d %s\n",
               info.ranked_items, (int)info.params.rank_min_ratings,
               eligible > info.ranked_items ? ", the most rated that fit max_memory_mb" : "",
               info.n_items - info.ranked_items,
               info.algo == MFR_ALGO_AUTO ? "come after them, by predicted rating"
                                          : "are predicted but never recommended");
    }
    printf("saved %s\n", path);
}

static int train_parse_args(int argc, char **argv, train_cfg *cfg, const char **out, int *quiet) {
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:qh", train_opts, NULL)) != -1) {
        const char *field = train_field(c);
        char where[64];
        if (field) {
            for (const struct option *o = train_opts; o->name; o++)
                if (o->val == c) snprintf(where, sizeof where, "--%s", o->name);
            if (train_add(cfg, field, strlen(field), optarg, where)) return MFR_E_INVALID;
            continue;
        }
        switch (c) {
        case 'o': *out = optarg; break;
        case 'q': *quiet = 1; break;
        case 'h': fputs(train_help, stdout); return -1;
        case O_PARAMS: {
            int rc = train_read_params(cfg, optarg);
            if (rc) return rc;
            break;
        }
        case O_SET:
            if (train_add_pair(cfg, optarg, "--set")) return MFR_E_INVALID;
            break;
        default: return cli_bad_option("train", c, argv);
        }
    }
    if (optind >= argc) return cli_usage_error("train", "no DATA given");
    if (optind + 1 < argc) return cli_usage_error("train", "unexpected argument \"%s\"", argv[optind + 1]);
    if (!*out) return cli_usage_error("train", "-o model.mfm is required");
    return 0;
}

int cmd_train(int argc, char **argv) {
    static train_cfg cfg; /* a few hundred KB: not on the stack */
    const char *out = NULL;
    int quiet = 0;
    cfg.n = 0;
    int rc = train_parse_args(argc, argv, &cfg, &out, &quiet);
    if (rc) return rc < 0 ? 0 : rc;
    mfr_train_params p;
    if (train_build_params(&cfg, &p)) return MFR_E_INVALID;
    cli_set_quiet(quiet);
    cli_catch_sigint(); /* Ctrl-C while loading cancels the load (exit 7) */
    mfr_error err = {0};
    mfr_dataset *ds = NULL;
    mfr_status s = cli_load_dataset(argv[optind], NULL, &ds, &err);
    if (s) return cli_fail("train", s, &err);
    p.progress = cli_progress;
    p.progress_user = NULL;
    mfr_model *m = NULL;
    double t0 = cli_now();
    s = mfr_model_train(ds, NULL, NULL, &p, &m, &err);
    double secs = cli_now() - t0;
    cli_progress_end();
    mfr_dataset_free(ds);
    int cancelled = s == MFR_E_CANCELLED && m;
    if (s && !cancelled) {
        mfr_model_free(m);
        return cli_fail("train", s, &err);
    }
    mfr_status ss = mfr_model_save(m, out, &err);
    if (ss) {
        mfr_model_free(m);
        return cli_fail("train", ss, &err);
    }
    if (cancelled)
        fprintf(stderr, "mfrec train: interrupted; saved the model of the last completed epoch to %s\n", out);
    train_summary(m, out, secs, cancelled);
    mfr_model_free(m);
    return cancelled ? MFR_E_CANCELLED : 0;
}
