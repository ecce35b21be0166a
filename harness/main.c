/* main.c — `rnnbench <command> [options]`: find the command, run it. */
#include <stdio.h>
#include <errno.h>
#include <string.h>

#include "command.h"

static void usage(FILE *f)
{
    fprintf(f, "Usage: rnnbench <command> [options]\n\n"
               "rnnbench measures LSTM/RNN workloads on CPU, GPU, FPGA and ASIC targets,\n"
               "checks every output against a reference and stores the results in SQLite.\n\n"
               "Commands:\n");
    for (const rb_command *const *c = rb_commands; *c; c++)
        fprintf(f, "  %-8s %s\n", (*c)->name, (*c)->summary);
    fprintf(f,
            "\n'rnnbench <command> --help' describes a command.  --version prints the version.\n"
            "Exit status: 0 ok, 1 regression found, 2 bad usage or input, 3 run-time failure.\n");
}

#ifdef RB_SANITIZE
/* In the ASan+UBSan build a sanitizer's finding is a run-time failure (exit
 * 3), never 1, the status a CI gate reads as "regression found". */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "exitcode=3"; }
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void) { return "exitcode=3"; }
#endif

/* A command whose output could not be written (stdout on a full disk,
 * /dev/full) did not succeed, whatever it computed: exit 3, for every
 * command in one place. */
static int stdout_checked(const char *cmd, int status)
{
    errno = 0;
    if ((fflush(stdout) == 0 && !ferror(stdout)) || status != RB_EXIT_OK)
        return status; /* a failing command has said why already */
    fprintf(stderr, "rnnbench %s: writing the output failed: %s\n", cmd,
            errno ? strerror(errno) : "an earlier write failed");
    return RB_EXIT_FAILURE;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return RB_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "--help") || !strcmp(name, "-h")) {
        usage(stdout);
        return RB_EXIT_OK;
    }
    if (!strcmp(name, "--version")) {
        printf("rnnbench %s (%s)\n", RB_VERSION, RB_GIT_SHA);
        return RB_EXIT_OK;
    }
    int help = !strcmp(name, "help");
    if (help && argc < 3) {
        usage(stdout);
        return RB_EXIT_OK;
    }
    const rb_command *cmd = rb_command_find(help ? argv[2] : name);
    if (!cmd) {
        fprintf(stderr, "rnnbench: unknown command '%s'\n\n", help ? argv[2] : name);
        usage(stderr);
        return RB_EXIT_USAGE;
    }
    if (help) {
        char *hargv[] = {argv[2], "--help", NULL};
        return cmd->main(2, hargv);
    }
    return stdout_checked(name, cmd->main(argc - 1, argv + 1));
}
