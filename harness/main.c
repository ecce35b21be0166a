/* main.c — `rnnbench <command> [options]`: the command table and exit codes. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const rb_cmd commands[] = {
    {"run", rb_cmd_run, "run the workload matrix on the targets and store the results"},
    {"list", rb_cmd_list, "show targets (available or why not) and the points a matrix expands to"},
    {"query", rb_cmd_query, "read-only SQL over the results database (table, csv or json)"},
    {"dump", rb_cmd_dump, "write one point's weights, input and outputs as .npy files"},
    {"report", rb_cmd_report, "turn a run into a decision: HTML with charts, Markdown, CSV, JSON"},
    {"train", rb_cmd_train, "train the text classifier (LSTM or RNN) on a target; save the model"},
    {"eval", rb_cmd_eval, "score a trained classifier on every target, in each one's number format"},
    {"compare", rb_cmd_compare, "two runs or baselines: regressions (exit 1), improvements, changes"},
    {"history", rb_cmd_history, "one figure across runs, with the runs where it stepped"},
    {"export", rb_cmd_export, "write a run's figures as a baseline file to commit"},
};

static void usage(FILE *f)
{
    fprintf(f, "Usage: rnnbench <command> [options]\n\n"
               "rnnbench measures LSTM/RNN workloads on CPU, GPU, FPGA and ASIC targets,\n"
               "checks every output against a reference and stores the results in SQLite.\n\n"
               "Commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'rnnbench <command> --help' describes a command.  --version prints the version.\n"
               "Exit status: 0 ok, 1 regression found, 2 bad usage or input, 3 run-time failure.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *name = argv[1];
    if (!strcmp(name, "--help") || !strcmp(name, "-h")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(name, "--version")) {
        printf("rnnbench %s (%s)\n", RB_VERSION, RB_GIT_SHA);
        return 0;
    }
    int help = !strcmp(name, "help");
    if (help) {
        if (argc < 3) {
            usage(stdout);
            return 0;
        }
        name = argv[2];
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(name, commands[i].name))
            continue;
        if (help) {
            char *hargv[] = {argv[2], "--help", NULL};
            return commands[i].fn(2, hargv);
        }
        return commands[i].fn(argc - 1, argv + 1);
    }
    fprintf(stderr, "rnnbench: unknown command '%s'\n\n", name);
    usage(stderr);
    return 2;
}
