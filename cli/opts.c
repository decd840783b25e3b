/* opts.c — the option layer (opts.h): the parser every command uses, the
 * --help text, and the documents generated from the same tables (the option
 * tables of docs/cli.md, man/mfrec.1, completions/mfrec.bash). */
#include "opts.h"
#include "cli.h"
#include "train_opts.h"

#include <stdlib.h>
#include <string.h>

const cli_spec *cli_spec_find(const char *name) {
    for (int c = 0; name && cli_specs[c]; c++)
        if (!strcmp(cli_specs[c]->name, name)) return cli_specs[c];
    return NULL;
}

/* The tables a command's options come from, in help order. */
static int spec_tables(const cli_spec *s, const cli_opt *t[5], const char *titles[5]) {
    int n = 0;
    titles[n] = "options";
    t[n++] = s->opts;
    if (s->groups & CLI_G_IMPORT) {
        titles[n] = "reading options (for a single ratings file)";
        t[n++] = cli_import_group;
    }
    if (s->groups & CLI_G_SPLIT) {
        titles[n] = "split options (one kind; all deterministic from --seed)";
        t[n++] = cli_split_group;
    }
    if (s->groups & CLI_G_RANK) {
        titles[n] = "ranking metrics (the full catalogue less the user's training movies)";
        t[n++] = cli_rank_group;
    }
    if (s->groups & CLI_G_TRAIN) {
        titles[n] = "training options";
        t[n++] = cli_train_group;
    }
    return n;
}

/* Every option of a command, its own first, into out (cap rows); the count. */
static int spec_all(const cli_spec *s, const cli_opt **out, int cap) {
    const cli_opt *t[5];
    const char *titles[5];
    int nt = spec_tables(s, t, titles), n = 0;
    for (int k = 0; k < nt; k++)
        for (const cli_opt *o = t[k]; o->id && n < cap; o++) out[n++] = o;
    return n;
}

/* Options of one command, groups included: far above the largest table (~35);
 * a cut would show in tests/cli/docs_sync.sh (--help lists every row). */
enum { MAX_OPTS = 128 };

void cli_parser_init(cli_parser *ps, const cli_spec *spec, int argc, char **argv) {
    memset(ps, 0, sizeof *ps);
    ps->spec = spec;
    ps->argc = argc;
    ps->argv = argv;
    ps->i = 1;
}

int cli_next_own(cli_parser *ps, const char **val, const cli_takes *t) {
    for (;;) {
        int id = cli_next(ps, val), r = 0;
        const char **last = t->args[1] ? t->args[1] : t->args[0];
        if (id == CLI_END && t->missing && last && !*last)
            return cli_usage_error(ps->spec->name, "%s", t->missing), CLI_ERR;
        for (const cli_val *n = t->vals; id == CLI_END && n && n->id; n++)
            if (n->kind == CLI_K_TEXT && n->text && !*(const char **)n->out)
                return cli_usage_error(ps->spec->name, "%s", n->text), CLI_ERR;
        if (id == CLI_ARG) {
            int k = t->args[0] && *t->args[0] && t->args[1];
            const char *cmd = ps->spec->name, **slot = t->args[k];
            if (!slot) return cli_usage_error(cmd, "unexpected argument \"%s\"", *val), CLI_ERR;
            if (*slot)
                return cli_usage_error(cmd, "unexpected argument \"%s\" (after \"%s\")", *val, *slot),
                       CLI_ERR;
            *slot = *val;
            continue;
        }
        if ((r = cli_val_take(ps, id, *val, t->vals))) {
            if (r < 0) return CLI_ERR;
            continue;
        }
        if (id < CLI_T_ALGO) return id;
        if (t->train) r = train_opts_take(ps, id, *val, t->train);
        if (!r && t->split) r = cli_split_take(ps, id, *val, t->split);
        if (!r && t->rank) r = cli_rank_take(ps, id, *val, t->rank);
        if (!r && t->import) r = cli_import_take(ps, id, *val, t->import);
        if (r < 0) return CLI_ERR;
        if (!r) return id;
    }
}

int cli_stop(int id) { return id == CLI_HELP ? -1 : MFR_E_INVALID; }

int cli_parse(const cli_spec *spec, int argc, char **argv, const cli_takes *t) {
    cli_parser ps;
    cli_parser_init(&ps, spec, argc, argv);
    const char *v;
    int id = cli_next_own(&ps, &v, t);
    if (id > 0) return cli_error(spec->name, MFR_E_INTERNAL, "%s: not read by the command", ps.opt);
    return id ? cli_stop(id) : 0;
}

/* The family named by --algo anywhere on the line (for --help), or NULL. */
static const char *help_algo(const cli_parser *ps) {
    const char *algo = NULL;
    for (int j = 1; j < ps->argc; j++) {
        const char *a = ps->argv[j];
        if (!strcmp(a, "--")) break;
        if (!strncmp(a, "--algo=", 7)) algo = a + 7;
        else if (!strcmp(a, "--algo") && j + 1 < ps->argc) algo = ps->argv[++j];
    }
    return algo;
}

static const cli_opt *find_long(const cli_spec *s, const char *name, size_t n) {
    const cli_opt *all[MAX_OPTS];
    int na = spec_all(s, all, MAX_OPTS);
    for (int j = 0; j < na; j++)
        if (all[j]->id != CLI_T_PARAM && strlen(all[j]->name) == n && !strncmp(all[j]->name, name, n))
            return all[j];
    return NULL;
}

static const cli_opt *find_short(const cli_spec *s, char c) {
    for (const cli_opt *o = s->opts; o->id; o++)
        if (o->shrt == c) return o;
    return NULL;
}

/* "--reg-bias" as a training parameter: its field name into ps->param. */
static int as_param(cli_parser *ps, const char *name, size_t n) {
    if (!(ps->spec->groups & CLI_G_TRAIN) || n == 0 || n >= sizeof ps->param) return 0;
    memcpy(ps->param, name, n);
    ps->param[n] = '\0';
    for (char *c = ps->param; *c; c++)
        if (*c == '-') *c = '_';
    return mfr_train_params_applies(MFR_ALGO_SGD, ps->param) >= 0;
}

int cli_next(cli_parser *ps, const char **val) {
    *val = NULL;
    if (ps->i >= ps->argc) return CLI_END;
    char *a = ps->argv[ps->i++];
    const char *cmd = ps->spec->name;
    if (ps->no_more_opts || a[0] != '-' || !a[1]) {
        *val = a;
        return CLI_ARG;
    }
    if (!strcmp(a, "--")) {
        ps->no_more_opts = 1;
        return cli_next(ps, val);
    }
    const cli_opt *o = NULL;
    const char *glued = NULL; /* a value in the same argument */
    if (a[1] == '-') {
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t n = eq ? (size_t)(eq - name) : strlen(name);
        if (eq) glued = eq + 1;
        snprintf(ps->opt, sizeof ps->opt, "--%.*s", (int)(n < 60 ? n : 60), name);
        if (n == 4 && !strncmp(name, "help", 4)) {
            cli_help(stdout, ps->spec, help_algo(ps));
            return CLI_HELP;
        }
        o = find_long(ps->spec, name, n);
        if (!o && as_param(ps, name, n)) {
            static const cli_opt param = {CLI_T_PARAM, 0, "NAME", "VALUE", ""};
            o = &param;
        }
        if (!o) return cli_usage_error(cmd, "unknown option %s", ps->opt), CLI_ERR;
    } else {
        snprintf(ps->opt, sizeof ps->opt, "-%c", a[1]);
        if (a[1] == 'h' && !a[2]) {
            cli_help(stdout, ps->spec, help_algo(ps));
            return CLI_HELP;
        }
        o = find_short(ps->spec, a[1]);
        if (!o) return cli_usage_error(cmd, "unknown option -%c", a[1]), CLI_ERR;
        if (a[2]) glued = a + 2;
    }
    if (!o->meta) {
        if (glued) return cli_usage_error(cmd, "%s takes no value", ps->opt), CLI_ERR;
        return o->id;
    }
    if (glued) {
        *val = glued;
        return o->id;
    }
    if (ps->i >= ps->argc) return cli_usage_error(cmd, "option %s needs a value", ps->opt), CLI_ERR;
    *val = ps->argv[ps->i++];
    return o->id;
}

/* ---- help ------------------------------------------------------------------ */

/* "-n, --count N" / "    --json" into buf. */
static void opt_label(const cli_opt *o, char *buf, size_t cap) {
    char s[8] = "    ";
    if (o->shrt) snprintf(s, sizeof s, "-%c, ", o->shrt);
    if (o->id == CLI_T_PARAM) snprintf(buf, cap, "    --NAME VALUE");
    else snprintf(buf, cap, "%s--%s%s%s", s, o->name, o->meta ? " " : "", o->meta ? o->meta : "");
}

enum { HELP_COL = 26, HELP_WIDTH = 80 };

/* o's help text; --algo's ends with the families the library has, so the
 * help, docs/cli.md, the man page and the completion list the same names. */
static const char *opt_help(const cli_opt *o, char *buf, size_t cap) {
    if (o->id != CLI_T_ALGO) return o->help;
    size_t n = (size_t)snprintf(buf, cap, "%s", o->help);
    for (int a = 0; a < MFR_ALGO__COUNT && n < cap; a++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%s", a ? ", " : " ", mfr_algo_name((mfr_algo)a));
    return buf;
}

/* The next line of help text h (its '\n's are spaces: the text flows), cut
 * at a space so it fits in width columns (a longer word stands alone). Its
 * length; *next the rest. */
static size_t help_line(const char *h, size_t width, const char **next) {
    size_t n = strlen(h), cut = n;
    if (n > width) {
        cut = width;
        while (cut > 0 && h[cut] != ' ' && h[cut] != '\n') cut--;
        if (cut == 0) cut = strcspn(h, " \n");
    }
    *next = h + cut + (h[cut] == ' ' || h[cut] == '\n');
    return cut;
}

/* One group of options: label, then the help flowed into its column. */
static void help_table(FILE *f, const char *title, const cli_opt *t, int with_help_row) {
    fprintf(f, "\n%s:\n", title);
    for (const cli_opt *o = t; o->id; o++) {
        char label[96];
        opt_label(o, label, sizeof label);
        int w = fprintf(f, "  %s", label);
        if (w >= HELP_COL) {
            fputc('\n', f);
            w = 0;
        }
        char hbuf[1024];
        const char *h = opt_help(o, hbuf, sizeof hbuf), *next;
        do {
            size_t n = help_line(h, HELP_WIDTH - HELP_COL, &next);
            fprintf(f, "%*s", HELP_COL - w, "");
            for (size_t j = 0; j < n; j++) fputc(h[j] == '\n' ? ' ' : h[j], f);
            fputc('\n', f);
            w = 0;
            h = next;
        } while (*h);
    }
    if (with_help_row) fprintf(f, "  -h, --help              this help\n");
}

void cli_help(FILE *f, const cli_spec *s, const char *algo) {
    const char *u = s->usage;
    for (int first = 1; *u; first = 0) {
        const char *nl = strchr(u, '\n');
        size_t n = nl ? (size_t)(nl - u) : strlen(u);
        fprintf(f, "%s mfrec %.*s\n", first ? "usage:" : "      ", (int)n, u);
        u = nl ? nl + 1 : u + n;
    }
    if (s->about) fprintf(f, "%s\n", s->about);
    const cli_opt *t[5];
    const char *titles[5];
    int nt = spec_tables(s, t, titles);
    for (int k = 0; k < nt; k++) help_table(f, titles[k], t[k], k == 0);
    if (s->notes) fprintf(f, "\n%s\n", s->notes);
    if ((s->groups & CLI_G_TRAIN) && algo) train_opts_help_algo(f, algo);
}

/* ---- generated documents ------------------------------------------------------ */

/* Help text on one line (breaks become spaces), with '|' escaped for Markdown. */
static void md_text(FILE *f, const char *h) {
    for (; *h; h++) {
        if (*h == '\n') fputc(' ', f);
        else if (*h == '|') fputs("\\|", f);
        else fputc(*h, f);
    }
}

void cli_gen_markdown(FILE *f, const cli_spec *s) {
    const cli_opt *all[MAX_OPTS];
    int na = spec_all(s, all, MAX_OPTS);
    fprintf(f, "| option | meaning (default) |\n|---|---|\n");
    for (int j = 0; j < na; j++) {
        char label[96];
        opt_label(all[j], label, sizeof label);
        fprintf(f, "| `");
        md_text(f, label + strspn(label, " "));
        fprintf(f, "` | ");
        char hbuf[1024];
        md_text(f, opt_help(all[j], hbuf, sizeof hbuf));
        fprintf(f, " |\n");
    }
}

void cli_gen_options(FILE *f, const cli_spec *s) {
    const cli_opt *all[MAX_OPTS];
    int na = spec_all(s, all, MAX_OPTS);
    for (int j = 0; j < na; j++)
        if (all[j]->id != CLI_T_PARAM) fprintf(f, "--%s\n", all[j]->name);
    fprintf(f, "--help\n");
}

/* roff text: backslashes doubled, a leading '.' or '\'' guarded. */
static void man_text(FILE *f, const char *s, int line_start) {
    for (; *s; s++) {
        if (line_start && (*s == '.' || *s == '\'')) fputs("\\&", f);
        line_start = 0;
        if (*s == '\\') fputs("\\e", f);
        else if (*s == '-') fputs("\\-", f);
        else if (*s == '\n') {
            fputc('\n', f);
            line_start = 1;
        } else fputc(*s, f);
    }
}

void cli_gen_man(FILE *f) {
    fprintf(f, ".\\\" Generated by scripts/gen-cli-docs from the option tables in cli/; do not edit.\n"
               ".TH MFREC 1 \"\" \"mfrec\" \"User Commands\"\n"
               ".SH NAME\nmfrec \\- movie recommender: import ratings, train, recommend, evaluate, serve\n"
               ".SH SYNOPSIS\n.B mfrec\n.I command\n[\\fIoptions\\fR]\n.br\n.B mfrec help\n.I command\n"
               ".SH DESCRIPTION\nOne binary, one subcommand per task. Options take their value as\n"
               "\\fB\\-\\-opt VALUE\\fR or \\fB\\-\\-opt=VALUE\\fR, in any order with the positional\n"
               "arguments. Results go to standard output, errors to standard error as one line\n"
               "naming the file and line, option or id at fault. The exit status is the number\n"
               "of the library's status (0 success, 2 I/O, 3 parse, 4 format, 5 usage, 6 not found,\n"
               "7 cancelled, 8 unsupported, 9 range, 10 ambiguous). The full reference is\n"
               "docs/cli.md.\n.SH COMMANDS\n");
    for (int c = 0; cli_specs[c]; c++) {
        const cli_spec *s = cli_specs[c];
        fprintf(f, ".SS %s\n", s->name);
        const char *u = s->usage;
        while (*u) {
            const char *nl = strchr(u, '\n');
            size_t n = nl ? (size_t)(nl - u) : strlen(u);
            char line[512];
            snprintf(line, sizeof line, "mfrec %.*s", (int)n, u);
            fputs(".B ", f);
            man_text(f, line, 0);
            fputs("\n.br\n", f);
            u = nl ? nl + 1 : u + n;
        }
        man_text(f, s->summary, 1);
        fputs(".\n", f);
        if (s->about) {
            fputs(".PP\n", f);
            man_text(f, s->about, 1);
            fputc('\n', f);
        }
        const cli_opt *all[MAX_OPTS];
        int na = spec_all(s, all, MAX_OPTS);
        for (int j = 0; j < na; j++) {
            char label[96];
            opt_label(all[j], label, sizeof label);
            fputs(".TP\n.B ", f);
            man_text(f, label + strspn(label, " "), 0);
            fputc('\n', f);
            char hbuf[1024];
            man_text(f, opt_help(all[j], hbuf, sizeof hbuf), 1);
            fputc('\n', f);
        }
        if (s->notes) {
            fputs(".PP\n", f);
            man_text(f, s->notes, 1);
            fputc('\n', f);
        }
    }
    fprintf(f, ".SH SEE ALSO\ndocs/cli.md, docs/http-api.md, docs/models.md in the mfrec sources.\n");
}

void cli_gen_bash(FILE *f) {
    fprintf(f, "# bash completion for mfrec — generated by scripts/gen-cli-docs from the option\n"
               "# tables in cli/; do not edit. Source it, or install it as\n"
               "# share/bash-completion/completions/mfrec.\n"
               "_mfrec() {\n"
               "    local cur prev cmd\n"
               "    cur=${COMP_WORDS[COMP_CWORD]}\n"
               "    prev=${COMP_WORDS[COMP_CWORD-1]}\n"
               "    cmd=${COMP_WORDS[1]}\n"
               "    local commands=\"help");
    for (int c = 0; cli_specs[c]; c++) fprintf(f, " %s", cli_specs[c]->name);
    fprintf(f, "\"\n    local algos=\"");
    for (int a = 0; a < MFR_ALGO__COUNT; a++) fprintf(f, "%s%s", a ? " " : "", mfr_algo_name((mfr_algo)a));
    fprintf(f, "\"\n    local params=\"");
    for (int j = 0; mfr_train_params_field(j); j++) {
        char n[64];
        snprintf(n, sizeof n, "%s", mfr_train_params_field(j));
        if (!strcmp(n, "algo")) continue;
        for (char *p = n; *p; p++)
            if (*p == '_') *p = '-';
        fprintf(f, "%s--%s", j > 1 ? " " : "", n);
    }
    fprintf(f, "\"\n"
               "    if [ \"$COMP_CWORD\" -eq 1 ]; then\n"
               "        COMPREPLY=($(compgen -W \"$commands\" -- \"$cur\"))\n"
               "        return\n"
               "    fi\n"
               "    case $prev in\n"
               "        --algo) COMPREPLY=($(compgen -W \"$algos\" -- \"$cur\")); return ;;\n"
               "        --algos) # a comma list: complete its last name\n"
               "            local last=${cur##*,}\n"
               "            COMPREPLY=($(compgen -P \"${cur%%\"$last\"}\" -W \"$algos\" -- \"$last\"))\n"
               "            return ;;\n"
               "    esac\n"
               "    local opts=\"\"\n"
               "    case $cmd in\n"
               "        help) COMPREPLY=($(compgen -W \"$commands\" -- \"$cur\")); return ;;\n");
    for (int c = 0; cli_specs[c]; c++) {
        const cli_spec *s = cli_specs[c];
        fprintf(f, "        %s) opts=\"", s->name);
        const cli_opt *all[MAX_OPTS];
        int na = spec_all(s, all, MAX_OPTS);
        for (int j = 0, first = 1; j < na; j++)
            if (all[j]->id != CLI_T_PARAM) {
                fprintf(f, "%s--%s", first ? "" : " ", all[j]->name);
                first = 0;
            }
        fprintf(f, " --help%s\" ;;\n", (s->groups & CLI_G_TRAIN) ? " $params" : "");
    }
    fprintf(f, "    esac\n"
               "    # the value of an option that takes one: complete file names\n"
               "    case $cur in\n"
               "        -*) COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\")) ;;\n"
               "        *) COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n"
               "    esac\n"
               "}\n"
               "complete -o filenames -F _mfrec mfrec\n");
}
