/* task_cli.h — what `rnnbench train` and `rnnbench eval` share: the task's
 * data options and loading, and their bookkeeping in results.db (a run row
 * per invocation, a device row per target, accuracy rows). */
#ifndef RB_TASK_CLI_H
#define RB_TASK_CLI_H

#include <stdint.h>

#include "../targets/target.h"
#include "../workloads/textclass/textclass.h"
#include "cli.h"
#include "store.h"

/* The data of a task: fortunes, or the synthetic rule (tests, demos). */
typedef struct rb_task_args {
    const char *task; /* "fortunes" | "synthetic" */
    rb_tc_opts o;
    int synth_classes; /* synthetic: classes and documents in all */
    long synth_docs;
} rb_task_args;

void rb_task_args_init(rb_task_args *a);

enum {
    RB_OPT_TASK = RB_OPT_FIRST_FREE + 40,
    RB_OPT_CATEGORIES,
    RB_OPT_SEQ_TOKENS,
    RB_OPT_MAX_PER_CLASS,
    RB_OPT_SPLIT_SEED,
    RB_OPT_TASK_FIRST_FREE
};
/* clang-format off */
#define RB_TASK_LONG_OPTIONS                                        \
    {"task", required_argument, 0, RB_OPT_TASK},                    \
    {"categories", required_argument, 0, RB_OPT_CATEGORIES},        \
    {"tokens", required_argument, 0, RB_OPT_SEQ_TOKENS},            \
    {"max-per-class", required_argument, 0, RB_OPT_MAX_PER_CLASS},  \
    {"split-seed", required_argument, 0, RB_OPT_SPLIT_SEED}
/* clang-format on */
#define RB_TASK_HELP                                                                               \
    "  --task NAME         fortunes (default: Debian's fortunes package, 6 categories)\n"          \
    "                      or synthetic (a generated rule, for tests)\n"                           \
    "  --categories LIST   fortunes categories to classify (default computers,politics,\n"         \
    "                      science,law,food,sports)\n"                                             \
    "  --tokens T          words kept per document, the sequence length (default 48)\n"            \
    "  --max-per-class N   at most N documents per class (small, fast configurations)\n"           \
    "  --split-seed N      seed of the stratified train/test split (default 1)\n"

/* If opt is a task option, apply it and return 1 (negative on a bad value). */
int rb_task_option(rb_task_args *a, int opt, const char *val, rb_err *e);
int rb_task_load(const rb_task_args *a, rb_tc_data *d, rb_err *e);

/* Class counts of both splits and the majority baseline, on stderr. */
void rb_task_describe(const rb_tc_data *d, FILE *f);

/* Open the database, begin a run (label, command line, host, config) and
 * record each probed target *t[0..n) as a device (device_id[i]). */
int rb_task_run_begin(const char *db, const char *label, int argc, char **argv,
                      const char *config_json, rb_target *const *t, int n, rb_store **st,
                      int64_t *run_id, int64_t *device_id, rb_err *e);

/* A saved model and the data it was trained on, as it was split then. */
typedef struct rb_task_saved {
    rb_tc_meta meta;
    char **vocab;
    int n_vocab;
    rb_tc_data d;
    rb_model m;
    rb_tc_head h;
} rb_task_saved;

/* A model `rnnbench train` saved in dir: its tensors, its task's data split
 * as it was then (rb_dir_recover first: a save killed half-way is finished
 * or dropped). */
int rb_task_load_saved(const char *dir, rb_task_saved *s, rb_err *e);
void rb_task_saved_free(rb_task_saved *s);

/* End a train/eval run begun with rb_task_run_begin (st may be NULL): its
 * status from rc (the command's code: RB_EINTR is interrupted) and bad
 * (targets that failed), and the store closed.  Returns rc, or the store's
 * error when finishing failed and rc was 0. */
int rb_task_run_end(rb_store *st, int64_t run_id, int rc, int bad, rb_err *e);
/* The exit status of such a command: interrupted (3, saying what is kept),
 * an error (rb_cli_fail), targets that failed (3), or 0. */
int rb_task_exit(const char *cmd, int rc, int bad, const rb_err *e);

/* mkdir -p: the directory and its missing parents. */
int rb_mkdir_p(const char *dir, rb_err *e);

#endif
