/* command.c — the command table and the one option parser every command uses. */
#include "command.h"

#include <stdlib.h>
#include <string.h>

const rb_command *const rb_commands[] = {
    &rb_command_run,
    &rb_command_list,
    &rb_command_query,
    &rb_command_dump,
    &rb_command_inspect,
    &rb_command_report,
    &rb_command_train,
    &rb_command_eval,
    &rb_command_compare,
    &rb_command_history,
    &rb_command_export,
    &rb_command_merge,
    &rb_command_explore,
    NULL,
};

const rb_command *rb_command_find(const char *name)
{
    for (const rb_command *const *c = rb_commands; *c; c++)
        if (!strcmp((*c)->name, name))
            return *c;
    return NULL;
}

/* Shared options' getopt values: below the axes (RB_OPT_SEQ) and the
 * commands' own (RB_OPT_FIRST_FREE and up), above any short option. */
enum { OPT_DB = 900, OPT_FORMAT };

static const struct option k_db = {"db", required_argument, 0, OPT_DB};
static const struct option k_format = {"format", required_argument, 0, OPT_FORMAT};
static const struct option k_quiet = {"quiet", no_argument, 0, 'q'};
static const struct option k_help = {"help", no_argument, 0, 'h'};
static const struct option k_axes[] = {RB_AXIS_LONG_OPTIONS};
static const struct option k_serving[] = {RB_SERVING_LONG_OPTIONS};

#define MAX_LONG 128

static void formats_list(const rb_command *cmd, char *buf, size_t n)
{
    buf[0] = 0;
    for (int i = 0; cmd->formats && cmd->formats[i]; i++) {
        size_t l = strlen(buf);
        snprintf(buf + l, n - l, "%s%s",
                 i == 0                ? ""
                 : cmd->formats[i + 1] ? ", "
                                       : " or ",
                 cmd->formats[i]);
    }
}

void rb_cli_help(const rb_command *cmd, FILE *f)
{
    fputs(cmd->help, f);
    if (cmd->uses & RB_USE_AXES)
        fputs("\nWorkload axes (override the matrix file's):\n" RB_AXIS_HELP, f);
    if (cmd->uses & RB_USE_SERVING)
        fputs("\nServing scenarios (axes too):\n" RB_SERVING_HELP, f);
    if (cmd->uses & RB_USE_TARGET_FLAGS)
        rb_cli_target_help(f);
    fputs("\nCommon options:\n", f);
    if (cmd->uses & RB_USE_DB)
        fputs("  --db PATH           results database (default ./" RB_DEFAULT_DB ")\n", f);
    if (cmd->uses & RB_USE_FORMAT) {
        char list[128];
        formats_list(cmd, list, sizeof list);
        fprintf(f, "  --format FMT        %s (default %s)\n", list, cmd->formats[0]);
    }
    if (cmd->uses & RB_USE_QUIET)
        fputs("  -q, --quiet         no progress on stderr\n", f);
    fputs("  -h, --help          this text\n", f);
    if (cmd->help_tail)
        fputs(cmd->help_tail, f);
}

/* The getopt_long table: the command's own options, then the shared ones it uses. */
static void long_options(const rb_command *cmd, struct option *buf)
{
    struct option own[MAX_LONG];
    size_t n = 0;
    for (size_t i = 0; cmd->options && cmd->options[i].name && n < MAX_LONG - 32; i++)
        own[n++] = cmd->options[i];
    if (cmd->uses & RB_USE_DB)
        own[n++] = k_db;
    if (cmd->uses & RB_USE_FORMAT)
        own[n++] = k_format;
    if (cmd->uses & RB_USE_QUIET)
        own[n++] = k_quiet;
    own[n++] = k_help;
    for (size_t i = 0; (cmd->uses & RB_USE_AXES) && i < sizeof k_axes / sizeof k_axes[0]; i++)
        own[n++] = k_axes[i];
    for (size_t i = 0; (cmd->uses & RB_USE_SERVING) && i < sizeof k_serving / sizeof *k_serving; i++)
        own[n++] = k_serving[i];
    memset(&own[n], 0, sizeof own[n]);
    if (cmd->uses & RB_USE_TARGET_FLAGS) {
        rb_cli_options(own, buf, MAX_LONG);
    } else {
        memcpy(buf, own, (n + 1) * sizeof *own);
    }
}

static int usage_error(const rb_command *cmd, const rb_err *e)
{
    return rb_cli_usage(cmd->name, "%s", e->msg);
}

int rb_cli_parse(const rb_command *cmd, int argc, char **argv, void *args, rb_cli_common *c,
                 int *next)
{
    memset(c, 0, sizeof *c);
    c->db = RB_DEFAULT_DB;
    c->format = cmd->formats ? cmd->formats[0] : NULL;
    rb_cli_axes_init(&c->axes);
    struct option opts[MAX_LONG];
    long_options(cmd, opts);
    char shortopts[64];
    snprintf(shortopts, sizeof shortopts, "h%s%s", (cmd->uses & RB_USE_QUIET) ? "q" : "",
             cmd->shortopts ? cmd->shortopts : "");
    opterr = 0; /* our own messages, with the hint to --help */
    optind = 0; /* glibc: start afresh, even when a command runs twice in a process */
    int opt;
    while ((opt = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
        rb_err e = {0};
        int rc;
        switch (opt) {
        case 'h': rb_cli_help(cmd, stdout); return RB_EXIT_OK;
        case 'q': c->quiet = 1; continue;
        case OPT_DB: c->db = optarg; continue;
        case OPT_FORMAT: {
            for (int i = 0; cmd->formats[i]; i++)
                if (!strcmp(cmd->formats[i], optarg)) {
                    c->format = cmd->formats[i];
                    c->format_given = 1;
                    goto next_opt;
                }
            char list[128];
            formats_list(cmd, list, sizeof list);
            return rb_cli_usage(cmd->name, "--format '%s': expected %s", optarg, list);
        }
        case '?':
            return rb_cli_usage(cmd->name, "unknown or incomplete option '%s'", argv[optind - 1]);
        }
        if ((cmd->uses & RB_USE_AXES) && (rc = rb_cli_axis_option(&c->axes, opt, optarg, &e))) {
            if (rc < 0)
                return usage_error(cmd, &e);
            continue;
        }
        if ((cmd->uses & RB_USE_TARGET_FLAGS) &&
            (rc = rb_cli_target_option(&c->topts, opt, optarg, &e))) {
            if (rc < 0)
                return usage_error(cmd, &e);
            continue;
        }
        rc = cmd->option ? cmd->option(args, opt, optarg, &e)
                         : rb_errf(&e, RB_EINPUT, "unknown option '%s'", argv[optind - 1]);
        if (rc == RB_EINPUT)
            return usage_error(cmd, &e);
        if (rc)
            return rb_cli_fail(cmd->name, &e);
    next_opt:;
    }
    if (cmd->max_args >= 0 && argc - optind > cmd->max_args)
        return rb_cli_usage(cmd->name, "unexpected argument '%s'", argv[optind + cmd->max_args]);
    *next = optind;
    return RB_CLI_GO;
}
