/* cmd_merge.c — `rnnbench merge OUT.db IN.db...`: databases from many
 * machines (a fleet's shards, or any runs) into one (store_merge.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../workloads/files.h"
#include "command.h"
#include "signals.h"
#include "store.h"

static const char merge_help[] =
    "Usage: rnnbench merge OUT.db IN.db...\n"
    "\n"
    "Carry every run of the IN databases into OUT (made if it does not exist):\n"
    "runs with their host metadata, devices, workloads, results with their samples\n"
    "and metrics, resources and accuracy rows.  The shards of one `run --shard`\n"
    "partition become one run whose devices are (instance, host) pairs, so that a\n"
    "report over it compares machines.  Runs are known by their uuid and results by\n"
    "the run that measured them: merging twice, or overlapping files, adds nothing\n"
    "twice; the same point measured by two different runs is a conflict, reported\n"
    "and not guessed at (the first kept).  A merged run lacking points lists them\n"
    "per shard (no database given, interrupted, failed) and is marked incomplete.\n"
    "The inputs are only read (an older schema is migrated in a copy); OUT is\n"
    "written to a temporary file beside it and renamed into place: an error or\n"
    "Ctrl-C leaves it as it was.\n";

static const char merge_tail[] =
    "\n"
    "Exit status: 0 merged, every merged run complete; 2 bad usage or an input that\n"
    "is not an rnnbench database (nothing written); 3 merged and written, but a\n"
    "merged run is incomplete or results conflicted, or a run-time failure.\n";

/* A path beside out for a temporary file ("OUT.mergeXXXXXX"), made empty. */
static int temp_beside(const char *out, const char *what, char *buf, size_t n, rb_err *e)
{
    snprintf(buf, n, "%s.%sXXXXXX", out, what);
    int fd = mkstemp(buf);
    if (fd < 0)
        return rb_errf(e, RB_EINPUT, "cannot write next to %s: %s", out, strerror(errno));
    close(fd);
    return 0;
}

static int merge_main(int argc, char **argv)
{
    rb_cli_common com;
    int next, st = rb_cli_parse(&rb_command_merge, argc, argv, NULL, &com, &next);
    if (st != RB_CLI_GO)
        return st;
    if (argc - next < 2)
        return rb_cli_usage("merge", "give the output and at least one database to merge: "
                                     "rnnbench merge OUT.db IN.db...");
    const char *out = argv[next];
    rb_err e = {0};
    char tmp[4200], src[4200];
    rb_store *s = NULL;
    int rc = rb_out_path_ok(out, &e) ? e.code : 0, exists = !access(out, F_OK);
    if (!rc && exists) { /* an existing OUT must be ours: refused untouched otherwise */
        rb_store *probe = NULL;
        if (!(rc = rb_store_open(&probe, out, 1, &e)))
            rb_store_close(probe);
    }
    if (rc)
        return rb_cli_fail("merge", &e);
    if ((rc = temp_beside(out, "merge", tmp, sizeof tmp, &e)) ||
        (rc = temp_beside(out, "source", src, sizeof src, &e))) {
        unlink(tmp);
        return rb_cli_fail("merge", &e);
    }
    rb_signals_install();
    /* OUT's rows first, in the copy that becomes OUT */
    rb_store_remove_files(tmp);
    if (!(rc = rb_store_open(&s, tmp, 0, &e)))
        rc = rb_store_merge_begin(s, &e);
    if (!rc && exists) {
        rb_merge_stats ms = {0};
        rc = rb_store_merge_from(s, out, src, &ms, NULL, &e);
        rb_store_remove_files(src);
    }
    rb_merge_stats all = {0};
    int inputs = 0, bad_input = 0;
    for (int i = next + 1; i < argc && !rc; i++) {
        if (rb_interrupted()) {
            rc = rb_errf(&e, RB_EINTR, "interrupted: %s is as it was", out);
            break;
        }
        if (rb_same_file(argv[i], out)) {
            fprintf(stderr, "rnnbench merge: %s is the output: skipped\n", argv[i]);
            continue;
        }
        rb_merge_stats ms = {0};
        rc = rb_store_merge_from(s, argv[i], src, &ms, stderr, &e);
        rb_store_remove_files(src);
        if (rc) {
            bad_input = rc == RB_EDB || rc == RB_EINPUT;
            break;
        }
        inputs++;
        if (ms.running)
            fprintf(stderr,
                    "rnnbench merge: %s: %ld run%s still running when read: merged as "
                    "far as it got\n",
                    argv[i], ms.running, ms.running > 1 ? "s" : "");
        all.runs_new += ms.runs_new;
        all.runs_known += ms.runs_known;
        all.results_added += ms.results_added;
        all.results_replaced += ms.results_replaced;
        all.results_same += ms.results_same;
        all.conflicts += ms.conflicts;
    }
    int incomplete = 0;
    if (!rc)
        rc = rb_store_merge_finish(s, stderr, &incomplete, &e);
    rb_store_close(s);
    if (!rc && rb_interrupted())
        rc = rb_errf(&e, RB_EINTR, "interrupted: %s is as it was", out);
    if (!rc) { /* durable before it replaces OUT */
        int fd = open(tmp, O_RDONLY);
        if (fd < 0 || fsync(fd))
            rc = rb_errf(&e, RB_ERUNTIME, "cannot sync %s: %s", tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
    }
    if (!rc && rename(tmp, out))
        rc = rb_errf(&e, RB_ERUNTIME, "cannot rename %s to %s: %s", tmp, out, strerror(errno));
    rb_store_remove_files(src);
    if (rc) {
        rb_store_remove_files(tmp);
        /* an input that is not a database we can read is bad input (exit 2) */
        if (bad_input)
            e.code = RB_EINPUT;
        return rb_cli_fail("merge", &e);
    }
    if (!com.quiet)
        fprintf(stderr,
                "rnnbench merge: %d database%s into %s: %ld run%s new, %ld already there; "
                "results: %ld added, %ld replaced by a newer one of the same run, %ld already "
                "there, %ld conflicting%s\n",
                inputs, inputs == 1 ? "" : "s", out, all.runs_new, all.runs_new == 1 ? "" : "s",
                all.runs_known, all.results_added, all.results_replaced, all.results_same,
                all.conflicts, incomplete ? "; incomplete runs above" : "");
    return incomplete || all.conflicts ? RB_EXIT_FAILURE : RB_EXIT_OK;
}

const rb_command rb_command_merge = {
    .name = "merge",
    .summary = "merge databases from several machines (a fleet's shards) into one",
    .help = merge_help,
    .help_tail = merge_tail,
    .uses = RB_USE_QUIET,
    .max_args = -1,
    .main = merge_main,
};
