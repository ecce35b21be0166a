/* command.h — one command, one file (kmod's tools/ pattern).
 *
 * Each harness/cmd_*.c defines one `rb_command`: its name, summary, help,
 * the shared options it accepts, its own options and its handler.  main.c
 * lists them; rb_cli_parse parses every command's options the same way, so
 * `--db`, `--format`, `--quiet`, the workload axes and the target flags are
 * declared once, here and in cli.c, and mean the same wherever they are
 * accepted. */
#ifndef RB_COMMAND_H
#define RB_COMMAND_H

#include <getopt.h>

#include "cli.h"

/* The shared options a command accepts (rb_command.uses). */
enum {
    RB_USE_DB = 1u << 0,           /* --db PATH */
    RB_USE_FORMAT = 1u << 1,       /* --format NAME, one of rb_command.formats */
    RB_USE_QUIET = 1u << 2,        /* -q, --quiet */
    RB_USE_AXES = 1u << 3,         /* --seq --hidden ... --no-input-proj */
    RB_USE_TARGET_FLAGS = 1u << 4, /* the targets' shorthand flags (--fpga-config ...) */
    RB_USE_SERVING = 1u << 5,      /* the serving axes (--scenario ...), with RB_USE_AXES */
};

/* What the shared options set. */
typedef struct rb_cli_common {
    const char *db;     /* RB_DEFAULT_DB unless --db */
    const char *format; /* the command's first format unless --format */
    int format_given;   /* --format was on the command line */
    int quiet;
    rb_cli_axes axes;
    rb_cli_topts topts;
} rb_cli_common;

typedef struct rb_command rb_command;

struct rb_command {
    const char *name;
    const char *summary;   /* one line for `rnnbench --help` */
    const char *help;      /* usage line, description and the command's own options */
    const char *help_tail; /* after the shared options' lines (exit status, examples); or NULL */
    unsigned uses;         /* RB_USE_* */
    const char *const *formats;   /* RB_USE_FORMAT: accepted names, NULL-terminated, the first
                                   is the default */
    const struct option *options; /* the command's own long options, zero-terminated; or NULL */
    const char *shortopts;        /* its own short options, getopt style ("o:"); or NULL */
    int max_args;                 /* positional arguments it takes at most (more: a usage
                                     error naming the first extra one); -1: any number */
    /* One of its own options (getopt's value and argument): 0, or a negative
     * code with e filled; RB_EINPUT is a usage error. */
    int (*option)(void *args, int opt, const char *arg, rb_err *e);
    int (*main)(int argc, char **argv); /* the command: an exit status */
};

/* Returned by rb_cli_parse when the command goes on. */
#define RB_CLI_GO (-1)

/* Parse argv (argv[0] is the command's name) for cmd: the shared options
 * into *c, its own through cmd->option(args, ...).  Positional arguments
 * are argv[c->next ...] (see rb_cli_common_next).  Returns RB_CLI_GO, or
 * the exit status the command returns at once: 0 after --help (printed),
 * 2 after a usage error (printed with the hint to --help). */
int rb_cli_parse(const rb_command *cmd, int argc, char **argv, void *args, rb_cli_common *c,
                 int *next);

/* Print cmd's whole --help to f. */
void rb_cli_help(const rb_command *cmd, FILE *f);

/* Every command, in the order `rnnbench --help` lists them. */
extern const rb_command *const rb_commands[];
const rb_command *rb_command_find(const char *name);

extern const rb_command rb_command_run, rb_command_list, rb_command_query, rb_command_dump,
    rb_command_report, rb_command_train, rb_command_eval, rb_command_compare, rb_command_export,
    rb_command_history, rb_command_inspect, rb_command_merge, rb_command_explore;

#endif
