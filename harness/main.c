/* main.c — `rnnbench <command> [options]`: find the command, run it. */
#include <stdio.h>
#include <errno.h>
#include <sys/resource.h>
#include <unistd.h>
#include <string.h>

#include "command.h"

static void usage(FILE *f)
{
    fprintf(f, "Usage: rnnbench <command> [options]\n\n"
               "rnnbench measures LSTM/GRU/RNN workloads on CPU, GPU, FPGA and ASIC targets,\n"
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

/* Before any library starts.  OpenBLAS's initialiser, which runs before
 * main, reserves a buffer per thread; when the address space limit (ulimit
 * -v) cannot hold them it retries forever, deaf to SIGTERM, and even
 * `--version` hangs.  Under a limit below what its threads need, rnnbench
 * starts itself again with OPENBLAS_NUM_THREADS=1 (unless the person chose a
 * count), and `run` says so (host.c).  Only an executable's .preinit_array
 * runs before the libraries' initialisers; libc is not initialised yet
 * either, so this uses the system calls and envp alone (a setenv here would
 * be undone by libc's own start). */
static void rb_early_limits(int argc, char **argv, char **envp)
{
    (void)argc;
    static char *env[1024];
    static char limit[40] = "RB_AS_LIMIT_MB=";
    struct rlimit rl;
    if (!envp || getrlimit(RLIMIT_AS, &rl) || rl.rlim_cur == RLIM_INFINITY)
        return;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    /* measured on 2 CPUs: 150 MB hangs, 200 MB does not; 64 MB a CPU and
     * room for the rest is generous */
    rlim_t need = (rlim_t)(256 + 64 * (ncpu > 0 ? ncpu : 1)) << 20;
    if (rl.rlim_cur >= need)
        return;
    int n = 0;
    for (; envp[n]; n++) {
        if (!strncmp(envp[n], "OPENBLAS_NUM_THREADS=", 21) || n >= 1020)
            return; /* chosen (or set by the first start), or no room to add it */
        env[n] = envp[n];
    }
    char digits[24];
    int k = 0;
    for (unsigned long long mb = rl.rlim_cur >> 20; k == 0 || mb; mb /= 10)
        digits[k++] = (char)('0' + mb % 10);
    size_t at = strlen(limit);
    while (k && at + 1 < sizeof limit)
        limit[at++] = digits[--k];
    limit[at] = '\0';
    env[n++] = "OPENBLAS_NUM_THREADS=1";
    env[n++] = limit;
    env[n] = NULL;
    execve("/proc/self/exe", argv, env); /* returns only on failure: go on as we are */
}
__attribute__((section(".preinit_array"),
               used)) static void (*const rb_preinit)(int, char **, char **) = rb_early_limits;

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
